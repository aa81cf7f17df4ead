//! Interrupted saves: `latentlab train` writing a checkpoint every two steps is killed
//! (SIGKILL) at seeded random moments, many times; after every kill the checkpoint on disk is
//! the last complete one (it loads, its step count never goes back) and `--resume` from it
//! trains on, and the next save removes the temporary files of writers that are gone, and only
//! those.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use candle::Device;
use latentlab::checkpoint;
use latentlab::rng::Rng;

const KILLS: usize = 24;

/// Temporary files of interrupted writes (`.run.safetensors.tmpPID`) in `dir`.
fn torn_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp")
        })
        .count()
}

fn latentlab() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_latentlab"));
    c.current_dir(common::repo())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

#[test]
fn a_killed_run_always_leaves_a_checkpoint_that_loads_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.safetensors");
    let o = out.to_str().unwrap();
    let mut rng = Rng::new(11);
    let (mut last_steps, mut survived, mut torn) = (0u64, 0, 0);
    for kill in 0..KILLS {
        // A wide MLP (a 6 MB checkpoint with its moments), so kills land inside writes too.
        let mut cmd = latentlab();
        if out.exists() {
            cmd.args(["train", "--resume", o]);
        } else {
            cmd.args(["train", "--model", "vae", "--dataset", "spiral"])
                .args(["--hidden", "512,512", "--batch-size", "64"]);
        }
        let mut child = cmd
            .args([
                "--steps",
                "100000",
                "--checkpoint-every",
                "2",
                "--log-every",
                "2",
            ])
            .args(["--out", o])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(150 + rng.below(500) as u64));
        let finished = child.try_wait().unwrap();
        assert!(
            finished.is_none(),
            "kill {kill}: the run ended early: {finished:?}"
        );
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        torn += usize::from(torn_files(dir.path()) > 0);
        if !out.exists() {
            assert_eq!(last_steps, 0, "kill {kill}: the checkpoint disappeared");
            continue;
        }
        let ckpt = checkpoint::load_file(&out, &Device::Cpu)
            .unwrap_or_else(|e| panic!("kill {kill}: the checkpoint does not load: {e}"));
        let steps = ckpt.train.expect("a training record").steps;
        assert!(
            steps >= last_steps,
            "kill {kill}: step {steps} after {last_steps}"
        );
        assert_eq!(
            steps % 2,
            0,
            "kill {kill}: step {steps} is not a checkpoint step"
        );
        last_steps = steps;
        survived += 1;
    }
    assert!(
        survived >= KILLS / 2 && last_steps > 0,
        "{survived} of {KILLS}, step {last_steps}"
    );
    eprintln!("{survived} of {KILLS} kills left a checkpoint (last at step {last_steps}); {torn} cut a write");
    // Planted beside what the kills left (a kill need not land mid-write): the temporary file
    // of a writer that is gone, and one of a live writer (this test), which must stay.
    let gone = {
        let mut c = Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    };
    let dead = dir.path().join(format!(".run.safetensors.tmp{gone}"));
    let live = dir
        .path()
        .join(format!(".run.safetensors.tmp{}", std::process::id()));
    std::fs::write(&dead, b"torn").unwrap();
    std::fs::write(&live, b"being written").unwrap();
    // A clean resume from what the kills left trains on.
    let status = latentlab()
        .args(["train", "--resume", o, "--steps", "3", "--out", o])
        .status()
        .unwrap();
    assert!(status.success());
    // The next save removed what the gone writers left, and only that.
    assert!(!dead.exists(), "the gone writer's file is left");
    assert!(live.exists(), "a live writer's file was removed");
    std::fs::remove_file(&live).unwrap();
    assert_eq!(torn_files(dir.path()), 0);
    let info = checkpoint::load_file(&out, &Device::Cpu)
        .unwrap()
        .train
        .unwrap();
    assert_eq!(info.steps, last_steps + 3);
}
