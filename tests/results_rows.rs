//! The rows of `results/results.jsonl` that name a committed checkpoint still re-evaluate to
//! their values with today's code: the 2-D GANs' mode counts and the classifiers' accuracies
//! (94 rows, seconds), through `pkg-scripts/reproduce/verify` run with this build's binary. The
//! image generators' rows (`verify 'frechet|class|code'`, minutes) and the likelihood rows (an
//! hour) are left to that script.

mod common;

use std::process::Command;

#[test]
fn the_two_d_gan_and_classifier_rows_re_evaluate_from_their_committed_checkpoints() {
    let out = Command::new(common::repo().join("pkg-scripts/reproduce/verify"))
        .arg("^(modes_covered|high_quality_pct|reverse_kl|test_accuracy)$")
        .env("LATENTLAB_BIN", env!("CARGO_BIN_EXE_latentlab"))
        .current_dir(common::repo())
        .output()
        .expect("run pkg-scripts/reproduce/verify");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "verify failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The pattern must still select the rows it names (a renamed metric would select none, and
    // verify refuses an empty selection; a handful would mean the rows were lost).
    let summary = stdout.lines().last().unwrap_or_default();
    let checked: usize = summary
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary line in verify's output:\n{stdout}"));
    assert!(checked >= 90, "only {checked} rows checked: {summary}");
}
