//! `latentlab eval`: the library's protocol ([`latentlab::eval::evaluate`]) on files; prints
//! its report (with the checkpoint path and the wall time) as JSON.

use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use anyhow::{bail, Result};
use candle::Device;
use indicatif::ProgressBar;

use latentlab::checkpoint;
use latentlab::data::{Dataset, Split};
use latentlab::eval::{self, EvalOptions, FeatureClassifier, Protocol};
use latentlab::Network;

use crate::args::device;

#[derive(clap::Args)]
pub struct EvalArgs {
    file: PathBuf,
    /// VAEs: importance samples for the IWAE bound (default 5000, as Burda et al. report);
    /// 0 skips the likelihood.
    #[arg(long)]
    k: Option<usize>,
    /// Image models (not 2-D ones): evaluate on the first N test images (default: all 10000).
    #[arg(long, value_parser = crate::args::count)]
    test_size: Option<usize>,
    /// Image models: images per forward pass (default 100).
    #[arg(long, value_parser = crate::args::count)]
    batch_size: Option<usize>,
    /// Generated samples for mode coverage (PacGAN: 2500) and the Fréchet distance (10000).
    #[arg(long, value_parser = crate::args::count)]
    samples: Option<usize>,
    /// Image models but classifiers: the classifier checkpoint whose features define the
    /// Fréchet distance and label the reconstructions (default:
    /// results/lenet-<dataset>.safetensors).
    #[arg(long)]
    classifier: Option<PathBuf>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    #[arg(long, default_value = "cpu")]
    device: String,
    /// The report on one line, and no progress bar (without it: indented JSON).
    #[arg(long)]
    json: bool,
}

pub fn run(a: EvalArgs) -> Result<()> {
    let dev = device(&a.device)?;
    let ckpt = checkpoint::load_file(&a.file, &dev)?;
    refuse_unused(&a, &ckpt.network, &ckpt.data.name)?;
    let opts = EvalOptions {
        k: a.k.unwrap_or(EvalOptions::DEFAULT_K),
        test_size: a.test_size,
        batch_size: a.batch_size.unwrap_or(EvalOptions::DEFAULT_BATCH),
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

/// An error naming the flags the model's [`Protocol`] would not use (`--k 0` is always
/// allowed: it asks for no likelihood).
fn refuse_unused(a: &EvalArgs, net: &Network, data: &str) -> Result<()> {
    let p = Protocol::of(net, data)?;
    let unused: Vec<&str> = [
        ("--k", a.k.is_some_and(|k| k > 0) && !p.likelihood),
        (
            "--test-size",
            a.test_size.is_some() && !p.reads_test_split(),
        ),
        (
            "--batch-size",
            a.batch_size.is_some() && !p.reads_test_split(),
        ),
        ("--samples", a.samples.is_some() && !p.generates()),
        (
            "--classifier",
            a.classifier.is_some() && !p.uses_classifier(),
        ),
    ]
    .into_iter()
    .filter_map(|(flag, unused)| unused.then_some(flag))
    .collect();
    if !unused.is_empty() {
        bail!(
            "the evaluation of a {} on {data} does not use {}: leave {} out",
            net.config().kind(),
            unused.join(", "),
            if unused.len() == 1 { "it" } else { "them" }
        );
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
            let at = default.display();
            return Ok(FeatureClassifier::Missing {
                why: format!(
                    "no classifier at {at} (make one: latentlab train --model classifier \
                     --dataset {name} --epochs 2 --out {at}, or pass --classifier)"
                ),
            });
        }
        let path = self.args.classifier.clone().unwrap_or(default);
        let clf = checkpoint::load_file(&path, &self.device).map_err(|e| {
            latentlab::Error::Checkpoint(format!(
                "the feature classifier for {name} ({}): {e}",
                path.display()
            ))
        })?;
        FeatureClassifier::found(
            Rc::new(clf.network),
            &clf.data.name,
            path.display().to_string(),
            name,
        )
    }

    fn progress(&mut self, done: usize, total: usize) {
        let hidden = self.args.json;
        self.bar
            .get_or_insert_with(|| crate::progress::bar(total as u64, "images", false, hidden))
            .set_position(done as u64);
    }
}
