//! What `--resume` keeps: every committed run's spec rebuilds its model and training configs,
//! and `latentlab train --resume` continues the run it holds (its seed, its data) and refuses
//! flags that would change it instead of ignoring them.

mod common;

use std::path::{Path, PathBuf};

use candle::Device;
use latentlab::checkpoint;
use latentlab::rng::Rng;
use latentlab::spec::{ModelSpec, TrainSpec};

use common::{latentlab, ok};

/// The committed checkpoints: shipped weights, test fixtures, reported runs and classifiers.
fn committed_checkpoints() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "www/weights",
        "tests/fixtures",
        "fuzz/corpus/checkpoint",
        "results",
        "results/runs",
        "results/pacgan",
    ] {
        for entry in std::fs::read_dir(common::repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "safetensors") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn the_spec_of_every_committed_run_rebuilds_its_configs() {
    let files = committed_checkpoints();
    assert!(files.len() > 20, "{files:?}");
    let mut kinds = std::collections::BTreeSet::new();
    for path in files {
        let meta = checkpoint::read_metadata(&std::fs::read(&path).unwrap()).unwrap();
        // A code prior is fitted after training (`export --fit-prior`), not part of the run's
        // spec: the spec rebuilds the model it was fitted to.
        let trained = meta.model.clone().with_code_prior(None);
        let spec = ModelSpec::of(&meta.model);
        assert_eq!(
            spec.build(&meta.data).unwrap(),
            trained,
            "{}",
            path.display()
        );
        kinds.insert(format!("{:?}", meta.model.kind()));
        if let Some(train) = &meta.train {
            let run = TrainSpec::of(&meta.model, &train.config);
            assert_eq!(run.train_config(), train.config, "{}", path.display());
        }
    }
    assert!(kinds.len() >= 4, "{kinds:?}");
}

/// A small PacGAN on 500 ring-8 points drawn for seed 3, trained `steps` steps into `out`.
fn small_gan(out: &Path, steps: &str) {
    ok(&[
        "train",
        "--model",
        "gan",
        "--dataset",
        "ring8",
        "--hidden",
        "16,16",
        "--pack",
        "2",
        "--batch-size",
        "20",
        "--train-size",
        "500",
        "--seed",
        "3",
        "--steps",
        steps,
        "--out",
        out.to_str().unwrap(),
    ]);
}

fn samples(path: &Path) -> Vec<f32> {
    let ck = checkpoint::load_file(path, &Device::Cpu).unwrap();
    let (x, _) = ck.network.sample(16, &mut Rng::new(0), 1.0, None).unwrap();
    x.flatten_all().unwrap().to_vec1().unwrap()
}

#[test]
fn a_resumed_run_keeps_its_seed_and_data_and_refuses_changes() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.safetensors");
    let part = dir.path().join("part.safetensors");
    let p = part.to_str().unwrap();
    small_gan(&whole, "30");
    small_gan(&part, "20");
    let saved = std::fs::read(&part).unwrap();

    // Each flag that would change the run is named with the run's own value, and the
    // checkpoint is left as it was.
    let out = latentlab(&[
        "train",
        "--resume",
        p,
        "--hidden",
        "32",
        "--batch-size",
        "64",
        "--beta",
        "2",
        "--seed",
        "4",
        "--fixed-packs",
        "--dataset",
        "grid25",
        "--steps",
        "10",
        "--out",
        p,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for phrase in [
        "--dataset grid25 (the run's: ring8)",
        "--hidden 32 (the run's: 16,16)",
        "--beta 2.0 (the run's: none)",
        "--batch-size 64 (the run's: 20)",
        "--seed 4 (the run's: 3)",
        "--fixed-packs on (the run's: off)",
    ] {
        assert!(err.contains(phrase), "{phrase}: {err}");
    }
    assert!(!err.contains("--pack"), "{err}");
    assert_eq!(
        std::fs::read(&part).unwrap(),
        saved,
        "the checkpoint changed"
    );

    // Repeating the run's choices is allowed, and so is a new learning rate.
    let again = dir.path().join("again.safetensors");
    ok(&[
        "train",
        "--resume",
        p,
        "--model",
        "gan",
        "--pack",
        "2",
        "--hidden",
        "16,16",
        "--seed",
        "3",
        "--lr",
        "1e-4",
        "--steps",
        "1",
        "--out",
        again.to_str().unwrap(),
    ]);

    // Without --seed or --train-size the resumed run draws the same 500 points for seed 3 and
    // continues exactly where it stopped, with the loss history of all 30 steps.
    ok(&["train", "--resume", p, "--steps", "10", "--out", p]);
    assert_eq!(samples(&part), samples(&whole));
    let history = |path: &Path| {
        let train = checkpoint::load_file(path, &Device::Cpu).unwrap().train;
        train.unwrap().history
    };
    let (resumed, uninterrupted) = (history(&part), history(&whole));
    assert_eq!(resumed, uninterrupted);
    let steps: Vec<u64> = resumed.points().iter().map(|p| p.step).collect();
    assert_eq!(steps, (1..=30).collect::<Vec<_>>());
}
