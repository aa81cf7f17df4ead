//! Interrupted runs: Ctrl-C (SIGINT) or SIGTERM during `latentlab train` saves the steps done
//! so far (checkpoint and loss curve), says how to continue, and ends the process by that
//! signal, so a shell or script sees it interrupted; a background job's ignored SIGINT stays
//! ignored. (SIGKILL, which no process can catch, is `tests/interrupted_saves.rs`.)
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use candle::Device;
use latentlab::checkpoint;

const STEPS: u64 = 1_000_000;

/// A 2-D GAN run of `STEPS` steps (far more than a test waits for) writing JSON lines every 10
/// steps and no checkpoint before its end, started by `sh -c PREFIX latentlab …` (its
/// `--data-dir` and memory limit are not the defaults; a 2-D set does not read the data).
fn start_run(out: &std::path::Path, prefix: &str) -> Child {
    let args = format!(
        "--memory-limit-mib 4096 train --model gan --dataset ring8 --steps {STEPS} --log-every 10 \
         --checkpoint-every 0 --json --data-dir /nowhere --out \"$1\""
    );
    let mut sh = Command::new("sh");
    // The tests may run where SIGINT is ignored (a CI job in a shell's background, whose
    // children inherit that and cannot trap it back): the run starts as from a terminal.
    // SAFETY: `signal` is async-signal-safe, as a function run between fork and exec must be.
    unsafe {
        sh.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            Ok(())
        });
    }
    sh.arg("-c")
        .arg(format!("{prefix} exec \"$0\" {args}"))
        .arg(env!("CARGO_BIN_EXE_latentlab"))
        .arg(out)
        .current_dir(common::repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the run's first JSON line, so that it is training.
fn wait_for_training(child: &mut Child) -> BufReader<std::process::ChildStdout> {
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("\"step\""), "not a progress line: {line:?}");
    stdout
}

/// The child's exit status, or a failure (the child killed) when it has not ended within a
/// minute: a run that ignores a signal must fail the test, not hang it.
fn wait_within_a_minute(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the run did not end within a minute of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, signal: i32) {
    // SAFETY: sends a signal to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
}

#[test]
fn sigint_and_sigterm_save_the_run_and_end_it_by_that_signal() {
    for (sig, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGTERM, "SIGTERM")] {
        // A name the shell must quote, and a --data-dir the command to continue must repeat.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("it's a run.safetensors");
        let mut child = start_run(&out, "");
        let mut stdout = wait_for_training(&mut child);
        signal(&child, sig);
        if sig == libc::SIGTERM {
            // As `timeout` sends it: to the child, then to its process group. One request.
            signal(&child, sig);
        }
        let status = wait_within_a_minute(&mut child);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.signal(), Some(sig), "{name}: {status:?}\n{stderr}");

        let steps = checkpoint::load_file(&out, &Device::Cpu)
            .unwrap_or_else(|e| panic!("{name}: no checkpoint: {e}\n{stderr}"))
            .train
            .expect("a training record")
            .steps;
        assert!(steps > 0 && steps < STEPS, "{name}: step {steps}");
        assert!(
            dir.path().join("it's a run.loss.png").exists(),
            "{name}: no curve"
        );
        let summary: serde_json::Value =
            serde_json::from_str(rest.lines().last().expect("a summary line")).unwrap();
        assert_eq!(summary["interrupted"], name);
        assert_eq!(summary["steps"], steps);
        let o = format!("'{}'", out.display().to_string().replace('\'', "'\\''"));
        let left = format!("--steps {}", STEPS - steps);
        let continue_with = format!(
            "interrupted by {name} after {steps} of {STEPS} steps; continue with: latentlab \
             --memory-limit-mib 4096 train --resume {o} {left} --out {o} --data-dir /nowhere \
             --checkpoint-every 0 --log-every 10 --json"
        );
        assert!(stderr.contains(&continue_with), "{name}: {stderr}");

        // The command works as printed (for 5 steps, not the rest of the million).
        let command = continue_with
            .split("continue with: latentlab")
            .nth(1)
            .unwrap();
        let command = command.replace(&left, "--steps 5");
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("exec \"$0\" {command} > /dev/null"))
            .arg(env!("CARGO_BIN_EXE_latentlab"))
            .status()
            .unwrap();
        assert!(status.success(), "{name}: {command}");
        let info = checkpoint::load_file(&out, &Device::Cpu).unwrap().train;
        assert_eq!(info.unwrap().steps, steps + 5);
    }
}

#[test]
fn a_run_started_ignoring_sigint_goes_on_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.safetensors");
    // As a non-interactive shell starts a background job (`latentlab train … &`).
    let mut child = start_run(&out, "trap '' INT;");
    let mut stdout = wait_for_training(&mut child);
    signal(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "SIGINT ended the run");
    // Still training: progress lines keep coming.
    for _ in 0..3 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert!(line.contains("\"step\""), "not a progress line: {line:?}");
    }
    signal(&child, libc::SIGTERM);
    assert_eq!(
        wait_within_a_minute(&mut child).signal(),
        Some(libc::SIGTERM)
    );
    assert!(out.exists(), "SIGTERM did not save the run");
}

#[test]
fn a_stop_survives_the_reader_that_ctrl_c_ends_with_it() {
    // `latentlab train --json … | tee log`: Ctrl-C ends tee too, and the run's next line goes
    // to a closed pipe.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.safetensors");
    let mut child = start_run(&out, "");
    let stdout = wait_for_training(&mut child);
    signal(&child, libc::SIGINT);
    drop(stdout);
    let status = wait_within_a_minute(&mut child);
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    let saved = checkpoint::load_file(&out, &Device::Cpu).unwrap().train;
    assert!(saved.unwrap().steps > 0);
}
