//! The command line's shape: the subcommands and the value types their flags share. Each
//! command's own flags live with it (`train.rs`, `eval.rs`, …).

use anyhow::{bail, Result};
use candle::Device;
use clap::{Parser, Subcommand, ValueEnum};

use latentlab::config::ModelKind;

#[derive(Parser)]
#[command(
    name = "latentlab",
    version,
    about = "Generative models on Candle: train natively, deploy to the browser"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Refuse any model, batch or request estimated to need more memory than this (MiB;
    /// default 8192). See README's Safety section.
    #[arg(long, global = true)]
    pub memory_limit_mib: Option<u64>,
}

#[derive(Subcommand)]
pub enum Command {
    // In each command `--lr -1` reaches the flag's check (an error naming it) instead of
    // reading as a flag `-1`.
    /// Train a model and write a self-describing .safetensors checkpoint (and a loss-curve PNG).
    #[command(allow_negative_numbers = true)]
    Train(Box<crate::train::TrainArgs>),
    /// Draw samples from a checkpoint into a PNG grid (or a scatter plot for 2-D data).
    #[command(allow_negative_numbers = true)]
    Sample(crate::sample::SampleArgs),
    /// Decode a path between two random latent points into a PNG strip.
    #[command(allow_negative_numbers = true)]
    Interpolate(crate::sample::InterpolateArgs),
    /// Print a checkpoint's metadata, parameter count and tensors.
    Info(crate::info::InfoArgs),
    /// Evaluate a checkpoint on its paper's protocol: ELBO and IWAE-k NLL (VAEs), mode
    /// coverage (2-D GANs), classifier Fréchet distance (image models), test accuracy (classifiers).
    #[command(allow_negative_numbers = true)]
    Eval(crate::eval::EvalArgs),
    /// Rewrite a checkpoint for deployment: another dtype, optimizer state dropped.
    #[command(allow_negative_numbers = true)]
    Export(crate::export::ExportArgs),
}

/// Model kinds as flags name them (with the long names as aliases).
#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    #[value(alias = "autoencoder")]
    Ae,
    Vae,
    Gan,
    #[value(alias = "vae-gan")]
    Vaegan,
    Classifier,
}

impl From<KindArg> for ModelKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Ae => ModelKind::Autoencoder,
            KindArg::Vae => ModelKind::Vae,
            KindArg::Gan => ModelKind::Gan,
            KindArg::Vaegan => ModelKind::VaeGan,
            KindArg::Classifier => ModelKind::Classifier,
        }
    }
}

/// `--device cpu`, `--device cuda` (the first GPU) or `cuda:N`, with what a CUDA build needs
/// when it fails.
pub fn device(name: &str) -> Result<Device> {
    let ordinal = match name {
        "cpu" => return Ok(Device::Cpu),
        "cuda" => 0,
        _ => match name.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(n)) => n,
            _ => bail!("unknown device {name:?} (cpu, cuda, or cuda:N with N the GPU's number)"),
        },
    };
    if !cfg!(feature = "cuda") {
        bail!("this binary was built without CUDA support: rebuild with `cargo build --release --features cuda`");
    }
    Device::new_cuda(ordinal).map_err(|e| {
        anyhow::anyhow!(
            "no usable CUDA device {ordinal}: {e}. The CUDA build needs libcuda.so.1 (the NVIDIA \
             driver), libcublas.so.13, libcurand.so.10 and libcudart.so.13 on the loader path \
             (LD_LIBRARY_PATH={})",
            std::env::var("LD_LIBRARY_PATH").unwrap_or_default()
        )
    })
}

/// A count flag's value: a whole number ≥ 1 (clap names the flag when it is not).
pub fn count(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be ≥ 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}
