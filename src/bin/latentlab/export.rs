//! `latentlab export`: a checkpoint rewritten for deployment (another dtype, optimizer state
//! dropped unless kept, the discriminator left out if asked).

use std::path::PathBuf;

use anyhow::{bail, Result};
use candle::{DType, Device};
use clap::ValueEnum;

use latentlab::checkpoint;

#[derive(clap::Args)]
pub struct ExportArgs {
    file: PathBuf,
    #[arg(long, value_enum, default_value = "f16")]
    dtype: DtypeArg,
    /// Keep the optimizer moments (for resuming); dropped by default.
    #[arg(long, conflicts_with = "without_discriminator")]
    keep_optimizer: bool,
    /// GAN, VAE-GAN: leave the discriminator out. Sampling, encoding and decoding do not need
    /// it; the file then cannot judge samples (the page's heat map) or train.
    #[arg(long)]
    without_discriminator: bool,
    #[arg(long)]
    out: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum DtypeArg {
    F32,
    F16,
    Bf16,
}

impl From<DtypeArg> for DType {
    fn from(d: DtypeArg) -> Self {
        match d {
            DtypeArg::F32 => DType::F32,
            DtypeArg::F16 => DType::F16,
            DtypeArg::Bf16 => DType::BF16,
        }
    }
}

pub fn run(a: ExportArgs) -> Result<()> {
    let mut ckpt = checkpoint::load_file(&a.file, &Device::Cpu)?;
    if a.without_discriminator {
        ckpt.network.drop_discriminator()?;
    }
    if a.keep_optimizer && ckpt.optimizer.is_empty() {
        bail!(
            "{} has no optimizer state to keep (it was exported without it)",
            a.file.display()
        );
    }
    let optim: Vec<_> = if a.keep_optimizer {
        let mut v: Vec<_> = ckpt.optimizer.into_iter().collect();
        v.sort_by(|x, y| x.0.cmp(&y.0));
        v
    } else {
        Vec::new()
    };
    let bytes = checkpoint::to_bytes(
        &ckpt.network,
        &ckpt.data,
        ckpt.train.as_ref(),
        &optim,
        a.dtype.into(),
    )?;
    checkpoint::save_file(&a.out, &bytes)?;
    eprintln!("wrote {} ({} bytes)", a.out.display(), bytes.len());
    Ok(())
}
