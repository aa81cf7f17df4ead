//! The one progress-bar style of the CLI (on stderr; hidden under `--json`).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over `len` items named `unit` (`steps`, `images`), with rate and ETA; `message` adds
/// room for a trailing message (the training metrics).
pub fn bar(len: u64, unit: &str, message: bool, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let template = format!(
        "{{bar:30}} {{pos}}/{{len}} {unit} {{per_sec}} eta {{eta}}{}",
        if message { " {msg}" } else { "" }
    );
    let pb = ProgressBar::new(len);
    pb.set_style(ProgressStyle::with_template(&template).expect("static template"));
    pb
}
