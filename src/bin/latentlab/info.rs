//! `latentlab info`: a checkpoint's metadata, parameter count and tensors.

use std::path::PathBuf;

use anyhow::{Context, Result};
use candle::Device;

use latentlab::checkpoint::{self, Metadata};

#[derive(clap::Args)]
pub struct InfoArgs {
    file: PathBuf,
    /// Print the metadata as JSON (with `parameters` and `bytes`).
    #[arg(long)]
    json: bool,
}

pub fn run(a: InfoArgs) -> Result<()> {
    let file = &a.file;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let meta = checkpoint::read_metadata(&bytes).with_context(|| file.display().to_string())?;
    // Build the model too, so `info` also proves the tensors fit the config.
    checkpoint::from_bytes(&bytes, &Device::Cpu).with_context(|| file.display().to_string())?;
    if a.json {
        let mut v = serde_json::to_value(&meta)?;
        v["parameters"] = meta.parameter_count().into();
        v["bytes"] = bytes.len().into();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("{}", file.display());
    print_text(&meta)
}

fn print_text(meta: &Metadata) -> Result<()> {
    println!("  model       {}", meta.model.summary());
    println!("  parameters  {}", meta.parameter_count());
    println!(
        "  data        {} {:?}, {}{}",
        meta.data.name,
        meta.data.sample_shape,
        meta.data.normalization,
        if meta.data.dynamic_binarization {
            ", dynamically binarized"
        } else {
            ""
        }
    );
    match &meta.train {
        Some(t) => {
            println!(
                "  trained     {} steps ({:.2} epochs), batch {}, seed {}, on {} in {:.0} s, {}",
                t.steps,
                t.epochs,
                t.config.batch_size,
                t.config.seed,
                t.device,
                t.wall_s,
                t.timestamp
            );
            println!("  training    {}", serde_json::to_string(&t.config)?);
            println!("  metrics     {}", t.final_metrics.line());
            if let (Some(first), Some(last)) =
                (t.history.points().first(), t.history.points().last())
            {
                println!(
                    "  history     steps {} to {} in {} points",
                    first.step + 1 - first.steps,
                    last.step,
                    t.history.points().len()
                );
            }
        }
        None => println!("  trained     (no training record)"),
    }
    println!("  config      {}", serde_json::to_string(&meta.model)?);
    println!("  tensors");
    for (name, dtype, shape) in &meta.tensors {
        println!("    {name:<40} {dtype:<5} {shape:?}");
    }
    Ok(())
}
