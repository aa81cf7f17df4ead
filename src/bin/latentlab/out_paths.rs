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

/// `out` can take the picture drawn from checkpoint `file`: it is writable, and it is not
/// `file` itself (a slip of `--out` must not replace a trained checkpoint with a PNG).
pub fn check_picture_out(file: &Path, out: &Path) -> Result<()> {
    checkpoint::check_writable(out)?;
    if same_file(file, out) {
        bail!(
            "--out is {} itself: the PNG would replace the checkpoint; write to another file",
            file.display()
        );
    }
    Ok(())
}
