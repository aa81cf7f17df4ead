//! Checks on the file a command will write, made before any work.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use latentlab::checkpoint;

/// Whether `x` and `y` name the same existing file.
pub fn same_file(x: &Path, y: &Path) -> bool {
    match (x.canonicalize(), y.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Where a run written to `out` draws its loss curve: `run.safetensors` → `run.loss.png`; any
/// other name gets `.loss.png` appended (`lr0.001` → `lr0.001.loss.png`, not `lr0.loss.png`,
/// which `lr0.002` would share).
pub fn curve_path(out: &Path) -> PathBuf {
    if out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("safetensors"))
    {
        return out.with_extension("loss.png");
    }
    let mut name = out.as_os_str().to_owned();
    name.push(".loss.png");
    PathBuf::from(name)
}

/// `out` can take a run's checkpoint, and the path returned its loss curve ([`curve_path`]):
/// both writable, and neither an existing file other than the resumed
/// run's own, unless `overwrite` (re-running a command must not erase a finished run, which may
/// have taken hours, nor another run's curve). The curve never replaces the file resumed from.
pub fn check_run_out(out: &Path, resume: Option<&Path>, overwrite: bool) -> Result<PathBuf> {
    checkpoint::check_writable(out)?;
    let resumed_here = resume.is_some_and(|r| same_file(r, out));
    if out.exists() && !resumed_here && !overwrite {
        bail!(
            "{} already exists: pass --overwrite to replace it with this run, or --resume {} to \
             continue the run it holds",
            out.display(),
            out.display()
        );
    }
    let curve = curve_path(out);
    checkpoint::check_writable(&curve)?;
    if let Some(r) = resume.filter(|r| same_file(r, &curve)) {
        bail!(
            "the loss curve of --out {} would replace {}, the checkpoint this run resumes from: \
             write the run to another --out",
            out.display(),
            r.display()
        );
    }
    if curve.exists() && !resumed_here && !overwrite {
        bail!(
            "{} already exists (a loss curve of another run?): pass --overwrite to replace it \
             with this run's, or choose another --out",
            curve.display()
        );
    }
    Ok(curve)
}

/// An exported file's `out` (whose folder `export` checks before reading its input) is not an
/// existing file, unless `overwrite`.
pub fn check_export_out(out: &Path, overwrite: bool) -> Result<()> {
    if out.exists() && !overwrite {
        bail!(
            "{} already exists: pass --overwrite to replace it",
            out.display()
        );
    }
    Ok(())
}

/// `out` can take the picture drawn from checkpoint `file`: it is writable, named `.png` (the
/// format written), and it is not `file` itself (a slip of `--out` must not replace a trained
/// checkpoint with a PNG).
pub fn check_picture_out(file: &Path, out: &Path) -> Result<()> {
    checkpoint::check_writable(out)?;
    if same_file(file, out) {
        bail!(
            "--out is {} itself: the PNG would replace the checkpoint; write to another file",
            file.display()
        );
    }
    if !out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        bail!(
            "--out {}: the picture is a PNG; name it .png",
            out.display()
        );
    }
    Ok(())
}
