//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;
use std::process::{Command, Output};

use latentlab::config::{Activation, Backbone, Likelihood, ModelConfig, VaeConfig, WeightInit};
use latentlab::data::{DataInfo, Dataset, Split};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `latentlab ARGS…` run from the repository root.
pub fn latentlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_latentlab"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run latentlab")
}

/// The stdout of `latentlab ARGS…`, which must succeed.
pub fn ok(args: &[&str]) -> String {
    let out = latentlab(args);
    assert!(
        out.status.success(),
        "latentlab {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The first `n` MNIST training (or test) images. `pkg-scripts/fetch-data` lays them out;
/// a missing dataset fails the test with that instruction.
pub fn mnist(split: Split, n: usize) -> Dataset {
    Dataset::load("mnist", split, &repo().join("data"))
        .unwrap_or_else(|e| panic!("{e} (pkg-scripts/test runs fetch-data first)"))
        .first(n)
        .unwrap()
}

/// A small MLP VAE on 28×28 images.
pub fn tiny_vae(latent: usize, classes: Option<usize>) -> ModelConfig {
    ModelConfig::Vae(tiny_mlp(latent, classes))
}

/// A small MLP autoencoder on 28×28 images.
pub fn tiny_autoencoder(latent: usize) -> ModelConfig {
    ModelConfig::Autoencoder(tiny_mlp(latent, None))
}

/// The networks of [`tiny_vae`] and [`tiny_autoencoder`].
fn tiny_mlp(latent: usize, classes: Option<usize>) -> VaeConfig {
    VaeConfig {
        sample_shape: vec![1, 28, 28],
        latent_dim: latent,
        num_classes: classes,
        backbone: Backbone::mlp(&[64], Activation::Relu),
        likelihood: Likelihood::Bernoulli,
        beta: 1.0,
        init: WeightInit::Uniform,
        code_prior: None,
    }
}

/// What a checkpoint records for (unlabelled or labelled) MNIST.
pub fn mnist_info(classes: bool) -> DataInfo {
    DataInfo {
        name: "mnist".into(),
        sample_shape: vec![1, 28, 28],
        value_range: [0.0, 1.0],
        normalization: "pixel / 255".into(),
        dynamic_binarization: false,
        class_names: if classes {
            (0..10).map(|i| i.to_string()).collect()
        } else {
            vec![]
        },
        clusters: None,
    }
}

/// A shipped checkpoint's bytes (`vae-mnist-2d`, `gan-ring8`, …).
pub fn shipped(name: &str) -> Vec<u8> {
    std::fs::read(
        repo()
            .join("www/weights")
            .join(format!("{name}.safetensors")),
    )
    .unwrap()
}

/// The largest absolute elementwise difference of two tensors of one shape.
pub fn max_abs_diff(a: &candle::Tensor, b: &candle::Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}
