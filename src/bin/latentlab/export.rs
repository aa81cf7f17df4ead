//! `latentlab export`: a checkpoint rewritten for deployment (another dtype, optimizer state
//! dropped unless kept, the discriminator left out if asked, a code prior fitted or left out
//! if asked).

use std::path::PathBuf;

use anyhow::{bail, Result};
use candle::{DType, Device};
use clap::ValueEnum;

use latentlab::checkpoint;
use latentlab::data::{Dataset, Split};

use crate::out_paths;

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
    /// Models with an encoder: fit a mixture of this many diagonal Gaussians to the codes of
    /// the training set, and draw random codes from it instead of N(0, I) (README:
    /// "Sampling from the codes' own density"). The file then cannot train.
    #[arg(long, value_name = "COMPONENTS", conflicts_with = "keep_optimizer")]
    fit_prior: Option<usize>,
    /// A model with a fitted code prior: leave it out, so that random codes come from N(0, I)
    /// as the model was trained (what the page's `code-prior="standard-normal"` shows).
    #[arg(long, conflicts_with = "fit_prior")]
    without_prior: bool,
    /// With `--fit-prior`: where the training set is (`pkg-scripts/fetch-data` lays it out).
    #[arg(long, default_value = "data", requires = "fit_prior")]
    data_dir: PathBuf,
    /// With `--fit-prior`: seeds the codes' noise and the fit.
    #[arg(long, default_value_t = 1, requires = "fit_prior")]
    seed: u64,
    /// The file to write; an existing one is refused unless --overwrite.
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing --out.
    #[arg(long)]
    overwrite: bool,
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
    checkpoint::check_writable(&a.out)?;
    let mut ckpt = checkpoint::load_file(&a.file, &Device::Cpu)?;
    if !a.keep_optimizer && !ckpt.optimizer.is_empty() && out_paths::same_file(&a.file, &a.out) {
        bail!(
            "--out is {} itself: exporting over it would drop the optimizer state that resuming \
             needs; write to another file, or pass --keep-optimizer (and --overwrite)",
            a.file.display()
        );
    }
    if a.keep_optimizer && ckpt.optimizer.is_empty() {
        bail!(
            "{} has no optimizer state to keep (it was exported without it)",
            a.file.display()
        );
    }
    if a.without_discriminator {
        ckpt.network.drop_discriminator()?;
    }
    if a.without_prior {
        if ckpt.network.config().code_prior().is_none() {
            bail!(
                "{} has no fitted code prior to leave out (its random codes already come \
                 from N(0, I))",
                a.file.display()
            );
        }
        ckpt.network = ckpt.network.without_code_prior()?;
    }
    // Refused after the requests that cannot be met, before the work (a fit takes a while).
    out_paths::check_export_out(&a.out, a.overwrite)?;
    if let Some(components) = a.fit_prior {
        // A 2-D toy set is drawn for the run's seed, as it trained on.
        let run_seed = ckpt.train.as_ref().map_or(0, |t| t.config.seed);
        let data = Dataset::open(&ckpt.data.name, Split::Train, None, &a.data_dir, run_seed)?;
        let binarize = ckpt.data.dynamic_binarization;
        ckpt.network = ckpt
            .network
            .with_fitted_code_prior(&data, binarize, components, a.seed)?;
        eprintln!(
            "fitted a {components}-component code prior to {} training codes",
            data.len()
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
