//! The `latentlab` binary end to end on a small run: train → info → sample → interpolate →
//! export → resume, and its errors.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{latentlab, ok};

/// `latentlab ARGS…` fails with exit `code` and a message holding `needle`, not a panic.
fn refused(args: &[&str], code: i32, needle: &str) {
    let out = latentlab(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn train_info_sample_interpolate_export_resume() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("vae.safetensors");
    let c = ckpt.to_str().unwrap();
    let out = ok(&[
        "train",
        "--model",
        "vae",
        "--dataset",
        "mnist",
        "--arch",
        "mlp",
        "--hidden",
        "64",
        "--latent-dim",
        "2",
        "--train-size",
        "2000",
        "--steps",
        "60",
        "--batch-size",
        "50",
        "--log-every",
        "20",
        "--seed",
        "3",
        "--json",
        "--out",
        c,
    ]);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "three progress lines and a summary:\n{out}");
    assert_eq!(lines[2]["step"], 60);
    assert!(
        lines[0]["metrics"]["loss"].as_f64().unwrap()
            > lines[2]["metrics"]["loss"].as_f64().unwrap()
    );
    assert_eq!(lines[3]["steps"], 60);
    assert!(dir.path().join("vae.loss.png").exists());

    let info: serde_json::Value = serde_json::from_str(&ok(&["info", c, "--json"])).unwrap();
    assert_eq!(info["model"]["kind"], "vae");
    assert_eq!(info["model"]["latent_dim"], 2);
    assert_eq!(info["data"]["name"], "mnist");
    assert_eq!(info["train"]["steps"], 60);
    assert_eq!(info["train"]["config"]["seed"], 3);
    assert_eq!(info["train"]["device"], "cpu");
    let params = 784 * 64 + 64 + 2 * (64 * 2 + 2) + 2 * 64 + 64 + 64 * 784 + 784;
    assert_eq!(info["parameters"], params);
    assert!(ok(&["info", c]).contains("vae (mlp, latent 2)"));

    let grid = dir.path().join("grid.png");
    let json: serde_json::Value = serde_json::from_str(&ok(&[
        "sample",
        c,
        "--n",
        "16",
        "--seed",
        "5",
        "--json",
        "--out",
        grid.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(json["shape"], serde_json::json!([16, 1, 28, 28]));
    assert_eq!(png_size(&grid), (4 * 30 + 2, 4 * 30 + 2));
    // The same seed gives the same samples.
    let again: serde_json::Value = serde_json::from_str(&ok(&[
        "sample",
        c,
        "--n",
        "16",
        "--seed",
        "5",
        "--json",
        "--out",
        grid.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(json, again);

    let strip = dir.path().join("strip.png");
    ok(&[
        "interpolate",
        c,
        "--steps",
        "8",
        "--mode",
        "lerp",
        "--rows",
        "2",
        "--out",
        strip.to_str().unwrap(),
    ]);
    assert_eq!(png_size(&strip), (8 * 30 + 2, 2 * 30 + 2));

    let small = dir.path().join("vae-f16.safetensors");
    ok(&[
        "export",
        c,
        "--dtype",
        "f16",
        "--out",
        small.to_str().unwrap(),
    ]);
    let (full, half) = (
        std::fs::metadata(&ckpt).unwrap().len(),
        std::fs::metadata(&small).unwrap().len(),
    );
    assert!(
        half * 5 < full,
        "f16 without optimizer state {half} vs {full}"
    );
    let info16: serde_json::Value =
        serde_json::from_str(&ok(&["info", small.to_str().unwrap(), "--json"])).unwrap();
    assert!(info16["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t[1] == "f16"));
    // Exporting over the training checkpoint would drop the optimizer state resuming needs.
    refused(&["export", c, "--out", c], 1, "itself");

    let out = ok(&[
        "train",
        "--resume",
        c,
        "--steps",
        "20",
        "--log-every",
        "20",
        "--json",
        "--out",
        c,
    ]);
    assert_eq!(
        out.lines()
            .next()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["step"].clone()),
        Some(80.into())
    );
}

#[test]
fn errors_are_messages_with_a_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.safetensors");
    std::fs::write(&bad, b"not a checkpoint at all").unwrap();
    let repo_file = |p: &str| common::repo().join(p).to_str().unwrap().to_string();
    let dcgan = repo_file("www/weights/dcgan-mnist.safetensors");
    let classifier = repo_file("results/lenet-mnist.safetensors");
    for (args, needle) in [
        (
            vec!["info", bad.to_str().unwrap()],
            "not a safetensors file",
        ),
        (
            vec!["sample", "/nonexistent.safetensors", "--out", "/tmp/x.png"],
            "/nonexistent.safetensors",
        ),
        (
            vec![
                "train",
                "--model",
                "vae",
                "--dataset",
                "cifar",
                "--out",
                "/tmp/x.safetensors",
            ],
            "unknown dataset \"cifar\" (known: mnist, fashion-mnist, and the 2-D sets ring8",
        ),
        (
            vec![
                "train",
                "--model",
                "vae",
                "--dataset",
                "mnist",
                "--data-dir",
                "/nonexistent",
                "--out",
                "/tmp/x.safetensors",
            ],
            "run pkg-scripts/fetch-data",
        ),
        (
            vec![
                "train",
                "--model",
                "vae",
                "--dataset",
                "ring8",
                "--device",
                "cuda",
                "--out",
                "/tmp/x.safetensors",
            ],
            "CUDA",
        ),
        (
            vec![
                "sample",
                "x.safetensors",
                "--device",
                "cuda:1",
                "--out",
                "/tmp/x.png",
            ],
            "CUDA",
        ),
        (
            vec![
                "sample",
                "x.safetensors",
                "--device",
                "cuda:x",
                "--out",
                "/tmp/x.png",
            ],
            "unknown device \"cuda:x\" (cpu, cuda, or cuda:N",
        ),
        (
            vec![
                "eval",
                &dcgan,
                "--samples",
                "1",
                "--classifier",
                &classifier,
            ],
            "needs at least 2 samples and 2 test images, got 1 and",
        ),
    ] {
        refused(&args, 1, needle);
    }
    // A bad --out is refused before any training, not when the first checkpoint is written.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder/x.safetensors");
    for (out, needle) in [
        (missing.to_str().unwrap(), "does not exist"),
        (dir.path().to_str().unwrap(), "is a folder"),
    ] {
        let args = [
            "train",
            "--model",
            "gan",
            "--dataset",
            "ring8",
            "--hidden",
            "8",
            "--steps",
            "100000",
            "--out",
            out,
        ];
        refused(&args, 1, needle);
        // Refused before the run starts: no "training … for 100000 steps" line came first.
        let err = String::from_utf8_lossy(&latentlab(&args).stderr).into_owned();
        assert!(!err.contains("100000 steps"), "{args:?} started: {err}");
    }
}

/// Arguments that would do nothing, or not what they say, are refused rather than ignored or
/// clamped: exit 1 with the reason, or 2 for a value clap's parser rules out.
#[test]
fn arguments_that_would_be_ignored_or_clamped_are_refused() {
    // `latentlab train --model MODEL --dataset ring8 --hidden 8 --out … EXTRA…`
    let ring_run = |model: &'static str, extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec![
            "train",
            "--model",
            model,
            "--dataset",
            "ring8",
            "--hidden",
            "8",
            "--out",
            "/tmp/latentlab-refused.safetensors",
        ];
        v.extend_from_slice(extra);
        v
    };
    let vae_ring = |extra: &[&'static str]| ring_run("vae", extra);
    let gan_ring = |extra: &[&'static str]| ring_run("gan", extra);
    let ring_gan = "www/weights/gan-ring8.safetensors";
    for (args, code, needle) in [
        (vae_ring(&["--steps", "0"]), 1, "--steps must be ≥ 1"),
        (
            vae_ring(&["--epochs", "inf"]),
            1,
            "--epochs must be a positive number, got inf",
        ),
        (
            vae_ring(&["--epochs=-1"]),
            1,
            "--epochs must be a positive number, got -1",
        ),
        (
            vae_ring(&["--gamma", "2"]),
            1,
            "a vae does not use --gamma 2.0: leave it out",
        ),
        (vae_ring(&["--binarize"]), 1, "ring8 is 2-D points"),
        (
            vae_ring(&["--likelihood", "bernoulli"]),
            1,
            "--likelihood bernoulli models values in [0, 1]; ring8 has values in",
        ),
        (
            vae_ring(&["--lr", "-1", "--beta1", "1.5"]),
            1,
            "lr must be finite and > 0 as an f32 (about 1.4e-45 to 3.4e38), got -1; beta1 must be \
             finite and in [0, 1), got 1.5",
        ),
        (vae_ring(&["--epochs", "1e30"]), 1, "a run can count"),
        (
            vae_ring(&["--train-size", "0"]),
            2,
            "--train-size <TRAIN_SIZE>': must be ≥ 1",
        ),
        (
            vae_ring(&["--batch-size", "0"]),
            2,
            "--batch-size <BATCH_SIZE>': must be ≥ 1",
        ),
        (gan_ring(&["--pack", "0"]), 2, "--pack <PACK>': must be ≥ 1"),
        (
            gan_ring(&["--d-maxout", "0"]),
            1,
            "discriminator: maxout takes 2 to 16 pieces, got 0",
        ),
        (
            gan_ring(&["--gan-update", "alternating", "--d-steps", "1000000000"]),
            1,
            "d_steps must be at most 100",
        ),
        (
            vec![
                "eval",
                "www/weights/vae-mnist-2d.safetensors",
                "--k",
                "0",
                "--test-size",
                "10",
                "--samples",
                "10",
                "--classifier",
                "results/lenet-fashion-mnist.safetensors",
            ],
            1,
            "classifies fashion-mnist, this model makes mnist",
        ),
        (vae_ring(&["--log-every", "0"]), 2, "--log-every"),
        (
            vec![
                "train",
                "--model",
                "vae",
                "--dataset",
                "mnist",
                "--train-size",
                "70000",
                "--out",
                "/tmp/latentlab-refused.safetensors",
            ],
            1,
            "70000 samples asked of the mnist training split, which has 60000",
        ),
        (
            vec![
                "sample",
                "www/weights/vae-mnist-2d.safetensors",
                "--class",
                "3",
                "--out",
                "/tmp/x.png",
            ],
            1,
            "class 3 asked of a vae without classes",
        ),
        (
            vec!["sample", ring_gan, "--out", "/tmp/x.jpg"],
            1,
            "the picture is a PNG; name it .png",
        ),
        (
            vec![
                "sample",
                ring_gan,
                "--temperature",
                "-1",
                "--out",
                "/tmp/x.png",
            ],
            1,
            "temperature must be a number from 0 to 1000, got -1",
        ),
        (
            // 1e39 is past f32: it reads as inf.
            vec![
                "sample",
                ring_gan,
                "--temperature",
                "1e39",
                "--out",
                "/tmp/x.png",
            ],
            1,
            "temperature must be a number from 0 to 1000, got inf",
        ),
        (
            vec![
                "interpolate",
                ring_gan,
                "--rows",
                "0",
                "--out",
                "/tmp/x.png",
            ],
            2,
            "--rows",
        ),
        (
            vec![
                "export",
                ring_gan,
                "--keep-optimizer",
                "--out",
                "/tmp/latentlab-refused.safetensors",
            ],
            1,
            "has no optimizer state to keep",
        ),
        (
            vec![
                "eval",
                ring_gan,
                "--k",
                "10",
                "--test-size",
                "5",
                "--classifier",
                "/nonexistent",
            ],
            1,
            "the evaluation of a gan on ring8 does not use --k, --test-size, --classifier",
        ),
        (
            vec![
                "eval",
                "results/lenet-mnist.safetensors",
                "--test-size",
                "10001",
            ],
            1,
            "10001 samples asked of the mnist test split, which has 10000",
        ),
        (
            vec![
                "eval",
                "results/lenet-mnist.safetensors",
                "--samples",
                "100",
            ],
            1,
            "does not use --samples: leave it out",
        ),
    ] {
        refused(&args, code, needle);
    }
    // A run that cannot start is not told to lower its learning rate.
    let out = latentlab(&vae_ring(&["--train-size", "10"]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("batch size 128") && !err.contains("--lr"),
        "{err}"
    );
    assert!(!std::path::Path::new("/tmp/latentlab-refused.safetensors").exists());
}

/// `latentlab info FILE | head -1`: a reader that goes away ends the output quietly, as it does
/// for other command-line tools, not with a panic about a failed print.
#[test]
fn a_closed_pipe_ends_the_output_without_a_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_latentlab"))
        .args(["info", "www/weights/cdcgan-mnist.safetensors"])
        .current_dir(common::repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run latentlab");
    // Closed before the file is read, so the first print finds no reader.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}

/// A scratch folder holding a copy of the shipped ring-8 GAN: the folder, the copy's path and
/// its bytes.
fn shipped_ring_gan_copy() -> (tempfile::TempDir, std::path::PathBuf, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("gan.safetensors");
    std::fs::copy(
        common::repo().join("www/weights/gan-ring8.safetensors"),
        &ckpt,
    )
    .unwrap();
    let bytes = std::fs::read(&ckpt).unwrap();
    (dir, ckpt, bytes)
}

/// `--out` set to the checkpoint itself (a slip when editing a command) would replace hours of
/// training with a PNG: `sample` and `interpolate` refuse it and leave the file as it was.
#[test]
fn pictures_are_not_written_over_their_checkpoint() {
    let (_dir, ckpt, before) = shipped_ring_gan_copy();
    let c = ckpt.to_str().unwrap();
    for command in ["sample", "interpolate"] {
        refused(
            &[command, c, "--out", c],
            1,
            "the PNG would replace the checkpoint",
        );
        assert!(
            std::fs::read(&ckpt).unwrap() == before,
            "{command}: the file changed"
        );
    }
}

/// A fresh run's `--out` that already holds a run (the same command run again, from the shell's
/// history) is refused with the file unchanged; `--overwrite` says to replace it.
#[test]
fn a_fresh_run_does_not_replace_an_existing_checkpoint_unless_told() {
    let (dir, ckpt, before) = shipped_ring_gan_copy();
    let c = ckpt.to_str().unwrap();
    let run = [
        "train",
        "--model",
        "gan",
        "--dataset",
        "ring8",
        "--hidden",
        "8",
    ];
    let args = [&run[..], &["--steps", "2", "--out", c]].concat();
    refused(&args, 1, "already exists: pass --overwrite to replace it");
    assert!(std::fs::read(&ckpt).unwrap() == before, "the file changed");
    ok(&[&args[..], &["--overwrite"]].concat());
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", c, "--json"])).unwrap();
    assert_eq!(info["train"]["steps"], 2);
    // A folder where the loss curve goes is found before training, not after it.
    let other = dir.path().join("other.safetensors");
    std::fs::create_dir(dir.path().join("other.loss.png")).unwrap();
    let o = other.to_str().unwrap();
    refused(
        &[&run[..], &["--out", o]].concat(),
        1,
        "other.loss.png is a folder",
    );
    assert!(!other.exists());
    // Nor another run's loss curve, where this run's would go.
    let third = dir.path().join("third.safetensors");
    let curve = dir.path().join("third.loss.png");
    std::fs::write(&curve, b"another run's curve").unwrap();
    let args = [
        &run[..],
        &["--steps", "2", "--out", third.to_str().unwrap()],
    ]
    .concat();
    refused(&args, 1, "third.loss.png already exists");
    assert_eq!(std::fs::read(&curve).unwrap(), b"another run's curve");
    assert!(!third.exists());
    ok(&[&args[..], &["--overwrite"]].concat());
    assert!(std::fs::read(&curve).unwrap().starts_with(b"\x89PNG"));
    // Two runs named by their rate, not .safetensors, keep a curve each.
    for name in ["lr0.001", "lr0.002"] {
        let out = dir.path().join(name);
        ok(&[&run[..], &["--steps", "2", "--out", out.to_str().unwrap()]].concat());
        assert!(
            dir.path().join(format!("{name}.loss.png")).exists(),
            "{name}"
        );
    }
    // Nor, even when told to overwrite, the checkpoint the run resumes from.
    let source = dir.path().join("run.loss.png");
    std::fs::copy(&ckpt, &source).unwrap();
    let resumed = dir.path().join("run.safetensors");
    for extra in [&[][..], &["--overwrite"][..]] {
        let args = [
            &[
                "train",
                "--resume",
                source.to_str().unwrap(),
                "--steps",
                "2",
            ][..],
            &["--out", resumed.to_str().unwrap()][..],
            extra,
        ]
        .concat();
        refused(&args, 1, "would replace");
        assert!(std::fs::read(&source).unwrap() == std::fs::read(&ckpt).unwrap());
        assert!(!resumed.exists());
    }
}

/// A run resumed through a symbolic link (`latest.safetensors` naming the run) updates the run
/// it names, and the link stays a link.
#[cfg(unix)]
#[test]
fn a_run_resumed_through_a_link_updates_the_file_it_names() {
    let (dir, ckpt, before) = shipped_ring_gan_copy();
    let link = dir.path().join("latest.safetensors");
    std::os::unix::fs::symlink(&ckpt, &link).unwrap();
    let l = link.to_str().unwrap();
    ok(&["train", "--resume", l, "--steps", "2", "--out", l]);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(
        std::fs::read(&ckpt).unwrap() != before,
        "the run's file did not move"
    );
    let steps = |f: &str| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&ok(&["info", f, "--json"])).unwrap()["train"]
            ["steps"]
            .clone()
    };
    assert_eq!(steps(l), steps(ckpt.to_str().unwrap()));
}

/// `export` does not replace an existing file (a run's checkpoint with the optimizer state it
/// resumes with, say) unless told.
#[test]
fn export_does_not_replace_an_existing_file_unless_told() {
    let (dir, ckpt, before) = shipped_ring_gan_copy();
    let target = dir.path().join("target.safetensors");
    std::fs::copy(&ckpt, &target).unwrap();
    let args = [
        "export",
        "--dtype",
        "f32",
        ckpt.to_str().unwrap(),
        "--without-discriminator",
        "--out",
        target.to_str().unwrap(),
    ];
    refused(
        &args,
        1,
        "target.safetensors already exists: pass --overwrite",
    );
    assert!(
        std::fs::read(&target).unwrap() == before,
        "the file changed"
    );
    ok(&[&args[..], &["--overwrite"]].concat());
    assert!(std::fs::read(&target).unwrap() != before);
}

#[test]
fn divergence_keeps_the_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("gan.safetensors");
    let c = ckpt.to_str().unwrap();
    ok(&[
        "train",
        "--model",
        "vae",
        "--dataset",
        "spiral",
        "--train-size",
        "1000",
        "--batch-size",
        "100",
        "--steps",
        "20",
        "--out",
        c,
    ]);
    let saved = std::fs::read(&ckpt).unwrap();
    // Resumed with a learning rate of 1e4, the Gaussian VAE on the spiral blows up at once.
    let out = latentlab(&[
        "train",
        "--resume",
        c,
        "--lr",
        "1e4",
        "--steps",
        "2000",
        "--log-every",
        "10",
        "--out",
        c,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // At the second step after the resume (the first one's update makes the loss infinite).
    assert!(err.contains("training diverged at step 22:"), "{err}");
    assert!(err.contains("is untouched"), "{err}");
    assert!(
        std::fs::read(&ckpt).unwrap() == saved,
        "the checkpoint changed"
    );
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", c, "--json"])).unwrap();
    assert_eq!(info["train"]["steps"], 20);
    // The kept checkpoint resumes at the learning rate it was saved with.
    let next = dir.path().join("next.safetensors");
    let n = next.to_str().unwrap();
    ok(&["train", "--resume", c, "--steps", "5", "--out", n]);
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", n, "--json"])).unwrap();
    assert_eq!(info["train"]["steps"], 25);
}

#[test]
fn memory_limits_refuse_absurd_requests_and_the_flag_moves_them() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("s.png");
    let p = png.to_str().unwrap();
    let w = "www/weights/vae-mnist-2d.safetensors";
    for (args, needle) in [
        (
            vec!["sample", w, "--n", "100000000000", "--out", p],
            "8192.0 MiB",
        ),
        (
            vec![
                "sample",
                w,
                "--n",
                "1000",
                "--memory-limit-mib",
                "1",
                "--out",
                p,
            ],
            "(1.0 MiB)",
        ),
        // Every row of an interpolation is kept for the one image: the whole grid is counted.
        (
            vec![
                "interpolate",
                w,
                "--steps",
                "3000",
                "--rows",
                "8",
                "--memory-limit-mib",
                "64",
                "--out",
                p,
            ],
            "interpolation frames (24000 × 784 values)",
        ),
    ] {
        let out = latentlab(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("memory limit") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    ok(&[
        "sample",
        w,
        "--n",
        "1000",
        "--memory-limit-mib",
        "64",
        "--out",
        p,
    ]);
}

#[test]
fn eval_fits_its_importance_samples_to_the_memory_limit() {
    // A convolutional VAE-GAN: 20 importance samples for each of 100 images at a time is 2000
    // decodes, about 1.2 GB by the budget's estimate of the encoder and decoder (1.8 GB with the
    // discriminator, which the bound does not run). Under a 1 GiB limit the chunk shrinks
    // instead of the evaluation failing.
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("vaegan.safetensors");
    let r = run.to_str().unwrap();
    ok(&[
        "train",
        "--model",
        "vaegan",
        "--dataset",
        "mnist",
        "--batch-size",
        "16",
        "--train-size",
        "64",
        "--steps",
        "1",
        "--out",
        r,
    ]);
    let report = ok(&[
        "--memory-limit-mib",
        "1024",
        "eval",
        r,
        "--test-size",
        "100",
        "--k",
        "20",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let l = &report["likelihood"];
    assert_eq!(
        (l["k"].as_u64(), l["samples"].as_u64()),
        (Some(20), Some(100))
    );
    assert!(
        l["nll"].as_f64().unwrap() <= l["neg_elbo"].as_f64().unwrap(),
        "{l}"
    );
}

#[test]
fn an_epoch_of_fixed_packs_draws_every_pack_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("packs.safetensors");
    let o = out.to_str().unwrap();
    // 100 points make 100 packs; a batch of 20 samples is 10 packs, so a pass is 10 steps.
    ok(&[
        "train",
        "--model",
        "gan",
        "--dataset",
        "ring8",
        "--hidden",
        "8",
        "--pack",
        "2",
        "--batch-size",
        "20",
        "--train-size",
        "100",
        "--fixed-packs",
        "--epochs",
        "1",
        "--out",
        o,
    ]);
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", o, "--json"])).unwrap();
    assert_eq!(info["train"]["steps"], 10);
    let epochs = info["train"]["epochs"].as_f64().unwrap();
    assert!((epochs - 1.0).abs() < 1e-9, "{epochs}");
}
