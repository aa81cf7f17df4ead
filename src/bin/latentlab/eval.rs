//! `latentlab eval`: the library's protocol ([`latentlab::eval::evaluate`]) on files; prints
//! its report (with the checkpoint path and the wall time) as JSON.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use candle::Device;
use indicatif::ProgressBar;

use latentlab::checkpoint;
use latentlab::data::{Dataset, Split};
use latentlab::eval::{self, EvalOptions, FeatureClassifier};

use crate::args::device;

#[derive(clap::Args)]
pub struct EvalArgs {
    file: PathBuf,
    /// Importance samples for the IWAE bound (Burda et al. report k = 5000); 0 skips the
    /// likelihood.
    #[arg(long, default_value_t = EvalOptions::DEFAULT_K)]
    k: usize,
    /// Evaluate on the first N test images (default: all 10000).
    #[arg(long)]
    test_size: Option<usize>,
    #[arg(long, default_value_t = EvalOptions::DEFAULT_BATCH)]
    batch_size: usize,
    /// Generated samples for mode coverage (PacGAN: 2500) and the Fréchet distance (10000).
    #[arg(long)]
    samples: Option<usize>,
    /// Classifier checkpoint whose features define the Fréchet distance
    /// (default: results/lenet-<dataset>.safetensors).
    #[arg(long)]
    classifier: Option<PathBuf>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    #[arg(long, default_value = "cpu")]
    device: String,
    #[arg(long)]
    json: bool,
}

pub fn run(a: EvalArgs) -> Result<()> {
    let dev = device(&a.device)?;
    let ckpt = checkpoint::load_file(&a.file, &dev)?;
    let opts = EvalOptions {
        k: a.k,
        test_size: a.test_size,
        batch_size: a.batch_size,
        samples: a.samples,
        seed: a.seed,
    };
    let mut files = EvalFiles {
        args: &a,
        device: dev,
        bar: None,
    };
    let start = Instant::now();
    let report = eval::evaluate(&ckpt.network, &ckpt.data, &opts, &mut files)?;
    if let Some(pb) = files.bar.take() {
        pb.finish_and_clear();
    }
    let mut v = serde_json::to_value(report)?;
    v["file"] = serde_json::to_value(&a.file)?;
    v["wall_s"] = start.elapsed().as_secs_f64().into();
    if a.json {
        println!("{v}");
    } else {
        println!("{}", serde_json::to_string_pretty(&v)?);
    }
    Ok(())
}

/// The files `eval` reads: datasets under `--data-dir`, the classifier at `--classifier` or
/// `results/lenet-<dataset>.safetensors`.
struct EvalFiles<'a> {
    args: &'a EvalArgs,
    device: Device,
    bar: Option<ProgressBar>,
}

impl eval::EvalData for EvalFiles<'_> {
    fn images(
        &mut self,
        name: &str,
        split: Split,
        size: Option<usize>,
    ) -> latentlab::Result<Dataset> {
        Dataset::open(name, split, size, &self.args.data_dir, self.args.seed)
    }

    fn classifier(&mut self, name: &str) -> latentlab::Result<FeatureClassifier> {
        let default = PathBuf::from(format!("results/lenet-{name}.safetensors"));
        if self.args.classifier.is_none() && !default.exists() {
            return Ok(FeatureClassifier::Missing {
                expected_at: default.display().to_string(),
            });
        }
        let path = self.args.classifier.clone().unwrap_or(default);
        let clf = checkpoint::load_file(&path, &self.device).map_err(|e| {
            latentlab::Error::Checkpoint(format!(
                "the Fréchet distance needs a classifier for {name}: {e}"
            ))
        })?;
        Ok(FeatureClassifier::Found {
            network: Box::new(clf.network),
            source: path.display().to_string(),
        })
    }

    fn progress(&mut self, done: usize, total: usize) {
        let hidden = self.args.json;
        self.bar
            .get_or_insert_with(|| crate::progress::bar(total as u64, "images", false, hidden))
            .set_position(done as u64);
    }
}
