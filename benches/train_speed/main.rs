//! Training throughput of benches/README.md's native CPU benches N1–N4, built through the public
//! API as the CLI builds them (TrainSpec → Session::train_steps, whole steps with the
//! optimizer), on one fixed batch, plus the machine's FMA peak.
//!
//! `cargo bench --bench train_speed [-- --only N1,N3]` prints Latent Lab's own table (threads:
//! `RAYON_NUM_THREADS`, else every core). `pkg-scripts/bench-native` drives it with `--serve`,
//! so that its timed runs alternate with PyTorch's: it then reads one command a line on stdin
//! and answers each with one JSON line on stdout:
//! - `peak SECONDS` → `{"isa", "threads", "gflops"}`;
//! - `train BENCH SECONDS MIN_STEPS` → builds BENCH's session (once), then trains it step after
//!   step until at least SECONDS and MIN_STEPS steps have passed (a warm-up or a timed run:
//!   runs end on time, so a burst of load elsewhere cannot stretch one far) →
//!   `{"bench", "batch", "steps", "seconds", "samples_per_s"}`;
//! - `describe BENCH` → `{"bench", "cli", "model", "train", "threads"}`: the configs as built.
//!
//! Any bad command is answered `{"error": "…"}`; end of input ends the process.

#[path = "../common/mod.rs"]
mod common;
mod peak;

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;

use latentlab::data::{Dataset, Toy};
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::train::Session;

/// One native training bench: its id, the spec the CLI flags in `cli` would build, and its data.
struct Bench {
    id: &'static str,
    title: &'static str,
    /// The equivalent `latentlab train` flags, for the record.
    cli: &'static str,
    spec: &'static str,
    data: fn() -> latentlab::Result<Dataset>,
}

const BENCHES: [Bench; 4] = [
    Bench {
        id: "N1",
        title: "MLP VAE 784-400-20, batch 128",
        cli: "--model vae --arch mlp --hidden 400 --latent-dim 20 --batch-size 128",
        spec: r#"{"model": {"kind": "vae", "arch": "mlp", "hidden": [400], "latent_dim": 20}, "batch_size": 128}"#,
        data: || common::noise_images(128),
    },
    Bench {
        id: "N2",
        title: "DCGAN 64-128, batch 128",
        cli: "--model gan --arch conv --hidden 64,128 --latent-dim 100 --batch-size 128",
        spec: r#"{"model": {"kind": "gan", "arch": "conv", "hidden": [64, 128], "latent_dim": 100}, "batch_size": 128, "lr": 2e-4, "beta1": 0.5}"#,
        data: || common::noise_images(128),
    },
    Bench {
        id: "N3",
        title: "VAE-GAN conv 32-64, latent 32, batch 64",
        cli: "--model vaegan --arch conv --hidden 32,64 --latent-dim 32 --batch-size 64",
        spec: r#"{"model": {"kind": "vaegan", "arch": "conv", "hidden": [32, 64], "latent_dim": 32}, "batch_size": 64}"#,
        data: || common::noise_images(64),
    },
    Bench {
        id: "N4",
        title: "PacGAN2 ring-8, batch 100",
        cli: "--model gan --dataset ring8 --pack 2 --batch-size 100 --lr 1e-4",
        spec: r#"{"model": {"kind": "gan", "pack": 2}, "batch_size": 100, "lr": 1e-4}"#,
        data: || Dataset::toy(Toy::Ring8, 100, &mut Rng::new(0)),
    },
];

fn bench(id: &str) -> Result<&'static Bench> {
    BENCHES
        .iter()
        .find(|b| b.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| anyhow!("unknown bench {id:?} (known: N1, N2, N3, N4)"))
}

/// The benches' sessions, built on first use, each with its one fixed batch as the whole
/// dataset (Session::train_steps reshuffles those samples every step).
#[derive(Default)]
struct Sessions(HashMap<&'static str, (Session, Dataset)>);

impl Sessions {
    fn get(&mut self, b: &'static Bench) -> Result<&mut (Session, Dataset)> {
        if !self.0.contains_key(b.id) {
            let spec: TrainSpec = serde_json::from_str(b.spec).context("bench spec")?;
            let data = (b.data)()?;
            let session = common::session(&spec, &data)?;
            self.0.insert(b.id, (session, data));
        }
        Ok(self.0.get_mut(b.id).expect("inserted above"))
    }

    /// Trains until at least `seconds` and `min_steps` steps have passed; (steps, seconds).
    fn train(&mut self, b: &'static Bench, seconds: f64, min_steps: usize) -> Result<(usize, f64)> {
        let (s, data) = self.get(b)?;
        let t = Instant::now();
        let mut steps = 0;
        while steps < min_steps || t.elapsed().as_secs_f64() < seconds {
            s.train_steps(data, 1)?;
            steps += 1;
        }
        Ok((steps, t.elapsed().as_secs_f64()))
    }

    /// The model and training configs the session was built with, for the record.
    fn configs(&mut self, b: &'static Bench) -> Result<(serde_json::Value, serde_json::Value)> {
        let s = &self.get(b)?.0;
        Ok((
            serde_json::to_value(s.network().config())?,
            serde_json::to_value(s.train_config())?,
        ))
    }
}

fn batch_size(b: &'static Bench) -> Result<usize> {
    let spec: TrainSpec = serde_json::from_str(b.spec)?;
    Ok(spec.train_config().batch_size)
}

fn arg<T: std::str::FromStr>(words: &[&str], i: usize, what: &str) -> Result<T> {
    words
        .get(i)
        .ok_or_else(|| anyhow!("missing {what}"))?
        .parse()
        .map_err(|_| anyhow!("{what} must be a number, got {:?}", words[i]))
}

fn answer(sessions: &mut Sessions, line: &str) -> Result<serde_json::Value> {
    let words: Vec<&str> = line.split_whitespace().collect();
    Ok(match words.first().copied() {
        Some("peak") => serde_json::to_value(peak::measure(
            candle::utils::get_num_threads(),
            arg(&words, 1, "SECONDS")?,
        ))?,
        Some("train") => {
            let b = bench(words.get(1).ok_or_else(|| anyhow!("missing BENCH"))?)?;
            let (steps, seconds) =
                sessions.train(b, arg(&words, 2, "SECONDS")?, arg(&words, 3, "MIN_STEPS")?)?;
            let batch = batch_size(b)?;
            json!({
                "bench": b.id, "batch": batch, "steps": steps, "seconds": seconds,
                "samples_per_s": (steps * batch) as f64 / seconds,
            })
        }
        Some("describe") => {
            let b = bench(words.get(1).ok_or_else(|| anyhow!("missing BENCH"))?)?;
            let (model, train) = sessions.configs(b)?;
            json!({
                "bench": b.id, "cli": b.cli, "model": model, "train": train,
                "threads": candle::utils::get_num_threads(),
            })
        }
        _ => bail!("unknown command {line:?} (peak SECONDS | train BENCH SECONDS MIN_STEPS | describe BENCH)"),
    })
}

/// The `--serve` loop: one JSON answer per command line.
fn serve() -> Result<()> {
    let mut sessions = Sessions::default();
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let reply =
            answer(&mut sessions, &line).unwrap_or_else(|e| json!({ "error": format!("{e:#}") }));
        writeln!(out, "{reply}")?;
        out.flush()?;
    }
    Ok(())
}

/// Latent Lab alone: warm-up ≥ 1 s, then 5 runs of about 1 s each; median and range.
fn table(only: Option<&str>) -> Result<()> {
    let mut sessions = Sessions::default();
    let p = peak::measure(candle::utils::get_num_threads(), 0.5);
    println!(
        "Peak ({}, {} threads): {:.1} GFLOP/s\n\n| bench | samples/s (median) | min–max |\n|---|---|---|",
        p.isa, p.threads, p.gflops
    );
    for b in &BENCHES {
        if only.is_some_and(|o| !o.split(',').any(|id| id.eq_ignore_ascii_case(b.id))) {
            continue;
        }
        sessions.train(b, 1.0, 3)?;
        let batch = batch_size(b)? as f64;
        let mut rates = (0..5)
            .map(|_| {
                let (steps, seconds) = sessions.train(b, 1.0, 1)?;
                Ok(steps as f64 * batch / seconds)
            })
            .collect::<Result<Vec<f64>>>()?;
        rates.sort_by(f64::total_cmp);
        println!(
            "| {} {} | {:.0} | {:.0}–{:.0} |",
            b.id, b.title, rates[2], rates[0], rates[4]
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    latentlab::prepare_native_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--serve") {
        return serve();
    }
    let only = args
        .iter()
        .position(|a| a == "--only")
        .map(|i| {
            args.get(i + 1)
                .map(String::as_str)
                .context("--only needs a list, e.g. N1,N4")
        })
        .transpose()?;
    table(only)
}
