//! Checks on the file a command will write, made before any work.

use std::path::Path;

use anyhow::{bail, Result};

use latentlab::checkpoint;

/// Whether `x` and `y` name the same existing file.
pub fn same_file(x: &Path, y: &Path) -> bool {
    match (x.canonicalize(), y.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// `out` can take a run's checkpoint: writable, and not an existing file other than the one
/// the run resumes from, unless `overwrite` (re-running a command must not erase a finished
/// run, which may have taken hours).
pub fn check_run_out(out: &Path, resume: Option<&Path>, overwrite: bool) -> Result<()> {
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
