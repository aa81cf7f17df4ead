//! The native command line: argument parsing, files, progress, and printing.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use candle::{DType, Device};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use latentlab::checkpoint::{self, SaveOptions};
use latentlab::config::{Activation, Arch, Likelihood, ModelKind};
use latentlab::data::{Dataset, Split};
use latentlab::eval;
use latentlab::image::{self, Rgba};
use latentlab::latent::InterpolationMode;
use latentlab::metrics::Metrics;
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::train::Session;
use latentlab::{ModelSpec, Network};

#[derive(Parser)]
#[command(
    name = "latentlab",
    version,
    about = "Generative models on Candle: train natively, deploy to the browser"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model and write a self-describing .safetensors checkpoint (and a loss-curve PNG).
    Train(TrainArgs),
    /// Draw samples from a checkpoint into a PNG grid (or a scatter plot for 2-D data).
    Sample(SampleArgs),
    /// Decode a path between two random latent points into a PNG strip.
    Interpolate(InterpolateArgs),
    /// Print a checkpoint's metadata, parameter count and tensors.
    Info {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Evaluate a checkpoint on its paper's protocol: ELBO and IWAE-k NLL (VAEs), mode
    /// coverage (2-D GANs), classifier Fréchet distance (image models), test accuracy (classifiers).
    Eval(EvalArgs),
    /// Rewrite a checkpoint for deployment: another dtype, optimizer state dropped.
    Export(ExportArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
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

#[derive(clap::Args)]
struct TrainArgs {
    #[arg(long, value_enum, required_unless_present = "resume")]
    model: Option<KindArg>,
    /// mnist, fashion-mnist, ring8, grid25 or spiral.
    #[arg(long, required_unless_present = "resume")]
    dataset: Option<String>,
    #[arg(long, value_enum)]
    arch: Option<ArchArg>,
    #[arg(long)]
    latent_dim: Option<usize>,
    /// Backbone widths (MLP) or channels (conv), comma-separated: 400 or 200,200 or 32,64.
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// Hidden-layer nonlinearity (GAN discriminators always use LeakyReLU).
    #[arg(long, value_enum)]
    activation: Option<ActivationArg>,
    #[arg(long, value_enum)]
    likelihood: Option<LikelihoodArg>,
    /// KL weight (β-VAE).
    #[arg(long)]
    beta: Option<f64>,
    /// VAE-GAN: weight of the feature-space reconstruction in the decoder's loss.
    #[arg(long)]
    gamma: Option<f64>,
    /// Condition on class labels (CVAE / cGAN).
    #[arg(long)]
    conditional: bool,
    /// PacGAN packing degree.
    #[arg(long)]
    pack: Option<usize>,
    #[arg(long, conflicts_with = "steps")]
    epochs: Option<f64>,
    #[arg(long)]
    steps: Option<u64>,
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    #[arg(long)]
    lr: Option<f64>,
    #[arg(long)]
    beta1: Option<f64>,
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f64,
    /// Draw binary pixels afresh per batch (images).
    #[arg(long)]
    binarize: bool,
    /// VAE: train on the IWAE bound with K importance samples.
    #[arg(long, default_value_t = 1)]
    iwae_k: usize,
    /// GAN: discriminator steps per generator step.
    #[arg(long, default_value_t = 1)]
    d_steps: usize,
    /// Use only the first N training samples (images) or draw N points (toys).
    #[arg(long)]
    train_size: Option<usize>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Continue a run from its checkpoint (weights, optimizer moments, step, RNG).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Write a checkpoint every N steps (atomically, to --out).
    #[arg(long, default_value_t = 1000)]
    checkpoint_every: u64,
    /// Steps between progress updates and JSON lines.
    #[arg(long, default_value_t = 50)]
    log_every: u64,
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    #[arg(long)]
    out: PathBuf,
    /// Print one JSON object per log interval, and a final summary.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ArchArg {
    Mlp,
    Conv,
}

#[derive(Clone, Copy, ValueEnum)]
enum ActivationArg {
    Relu,
    Tanh,
    LeakyRelu,
}

#[derive(Clone, Copy, ValueEnum)]
enum LikelihoodArg {
    Bernoulli,
    Gaussian,
}

#[derive(clap::Args)]
struct SampleArgs {
    file: PathBuf,
    #[arg(long, default_value_t = 64)]
    n: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Class to draw, for a conditional model (default: cycle through the classes).
    #[arg(long)]
    class: Option<u32>,
    #[arg(long, default_value_t = 1.0)]
    temperature: f32,
    #[arg(long, default_value = "cpu")]
    device: String,
    #[arg(long)]
    out: PathBuf,
    /// Also print the samples as JSON (`{"shape": [...], "values": [...]}`).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct InterpolateArgs {
    file: PathBuf,
    #[arg(long, default_value_t = 10)]
    steps: usize,
    #[arg(long, value_enum, default_value = "slerp")]
    mode: ModeArg,
    /// Rows of independent endpoint pairs.
    #[arg(long, default_value_t = 1)]
    rows: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long)]
    class: Option<u32>,
    #[arg(long)]
    out: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    Lerp,
    Slerp,
}

#[derive(clap::Args)]
struct EvalArgs {
    file: PathBuf,
    /// Importance samples for the IWAE bound (Burda et al. report k = 5000); 0 skips the
    /// likelihood.
    #[arg(long, default_value_t = 5000)]
    k: usize,
    /// Evaluate on the first N test images (default: all 10000).
    #[arg(long)]
    test_size: Option<usize>,
    #[arg(long, default_value_t = 100)]
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

#[derive(clap::Args)]
struct ExportArgs {
    file: PathBuf,
    #[arg(long, value_enum, default_value = "f16")]
    dtype: DtypeArg,
    /// Keep the optimizer moments (for resuming); dropped by default.
    #[arg(long)]
    keep_optimizer: bool,
    #[arg(long)]
    out: PathBuf,
}

pub fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(a) => train(a),
        Command::Sample(a) => sample(a),
        Command::Interpolate(a) => interpolate(a),
        Command::Info { file, json } => info(&file, json),
        Command::Export(a) => export(a),
        Command::Eval(a) => eval(a),
    }
}

fn device(name: &str) -> Result<Device> {
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" | "cuda:0" => {
            if !cfg!(feature = "cuda") {
                bail!("this binary was built without CUDA support: rebuild with `cargo build --release --features cuda`");
            }
            Device::new_cuda(0).map_err(|e| {
                anyhow::anyhow!(
                    "no usable CUDA device: {e}. The CUDA build needs libcuda.so.1 (the NVIDIA driver), \
                     libcublas.so.13, libcurand.so.10 and libcudart.so.13 on the loader path \
                     (LD_LIBRARY_PATH={})",
                    std::env::var("LD_LIBRARY_PATH").unwrap_or_default()
                )
            })
        }
        other => bail!("unknown device {other:?} (cpu or cuda)"),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn save(session: &Session, out: &Path, device: &str, wall_s: f64) -> Result<()> {
    let info = session.train_info(device, checkpoint::rfc3339(unix_now()), wall_s);
    let bytes = session.to_bytes(&info, SaveOptions::default())?;
    checkpoint::save_file(out, &bytes)?;
    Ok(())
}

fn train(a: TrainArgs) -> Result<()> {
    let dev = device(&a.device)?;
    let (mut session, data) = match &a.resume {
        Some(path) => {
            let ckpt = checkpoint::load_file(path, &dev)?;
            let data = Dataset::open(
                &ckpt.data.name,
                Split::Train,
                a.train_size,
                &a.data_dir,
                a.seed,
            )?;
            let mut s = Session::from_checkpoint(ckpt)?;
            if let Some(lr) = a.lr {
                s.set_lr(lr)?;
            }
            (s, data)
        }
        None => {
            let (kind, name) = (
                a.model.expect("clap requires --model"),
                a.dataset.as_deref().expect("clap requires --dataset"),
            );
            let mut data = Dataset::open(name, Split::Train, a.train_size, &a.data_dir, a.seed)?;
            data.info.dynamic_binarization = a.binarize;
            let spec = TrainSpec {
                model: ModelSpec {
                    arch: a.arch.map(|x| match x {
                        ArchArg::Mlp => Arch::Mlp,
                        ArchArg::Conv => Arch::Conv,
                    }),
                    latent_dim: a.latent_dim,
                    hidden: a.hidden.clone(),
                    activation: a.activation.map(|x| match x {
                        ActivationArg::Relu => Activation::Relu,
                        ActivationArg::Tanh => Activation::Tanh,
                        ActivationArg::LeakyRelu => Activation::LeakyRelu,
                    }),
                    likelihood: a.likelihood.map(|l| match l {
                        LikelihoodArg::Bernoulli => Likelihood::Bernoulli,
                        LikelihoodArg::Gaussian => Likelihood::Gaussian,
                    }),
                    beta: a.beta,
                    gamma: a.gamma,
                    pack: a.pack,
                    conditional: a.conditional,
                    ..ModelSpec::new(kind.into())
                },
                batch_size: Some(a.batch_size),
                lr: a.lr,
                beta1: a.beta1,
                weight_decay: Some(a.weight_decay),
                binarize: a.binarize,
                iwae_k: Some(a.iwae_k),
                d_steps: Some(a.d_steps),
                seed: a.seed,
            };
            let model = spec.model.build(&data.info)?;
            let train = spec.train_config();
            (Session::new(model, train, data.info.clone(), &dev)?, data)
        }
    };
    let per_epoch = (data.len() / session.train_config().batch_size).max(1) as u64;
    let total = match (a.steps, a.epochs) {
        (Some(s), _) => s,
        (None, Some(e)) => (e * per_epoch as f64).ceil() as u64,
        (None, None) => per_epoch,
    };
    if !a.json {
        eprintln!(
            "training {} on {} ({} samples, {} params) for {total} steps on {}",
            session.network().config().summary(),
            data.info.name,
            data.len(),
            session.network().parameter_count(),
            a.device
        );
    }
    let pb = if a.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    pb.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps {per_sec} eta {eta} {msg}")
            .expect("static template"),
    );
    let start = Instant::now();
    let mut history: Vec<(u64, Metrics)> = Vec::new();
    let mut done = 0u64;
    let mut last_saved: Option<u64> = None;
    while done < total {
        let k = a.log_every.min(total - done).max(1);
        let m = match session.train_steps(&data, k as usize) {
            Ok(m) => m,
            Err(e) => {
                pb.abandon();
                let kept = match last_saved {
                    Some(s) => format!("the checkpoint of step {s} in {} is kept", a.out.display()),
                    None if a.out.exists() => format!("{} is untouched", a.out.display()),
                    None => "no checkpoint was written by this run".to_string(),
                };
                bail!("{e}; {kept}. Try a lower --lr.");
            }
        };
        done += k;
        pb.set_position(done);
        pb.set_message(m.line());
        if a.json {
            println!(
                "{}",
                serde_json::json!({"step": session.steps(), "metrics": m})
            );
        }
        history.push((session.steps(), m));
        if a.checkpoint_every > 0 && done % a.checkpoint_every < k && done < total {
            save(&session, &a.out, &a.device, start.elapsed().as_secs_f64())?;
            last_saved = Some(session.steps());
        }
    }
    pb.finish_and_clear();
    let wall = start.elapsed().as_secs_f64();
    save(&session, &a.out, &a.device, wall)?;
    let curve = a.out.with_extension("loss.png");
    loss_curve(&history).save_png(&curve)?;
    let summary = serde_json::json!({
        "out": a.out, "loss_curve": curve, "steps": session.steps(), "epochs": session.epochs(),
        "wall_s": wall, "steps_per_s": total as f64 / wall, "metrics": session.last_metrics(),
    });
    if a.json {
        println!("{summary}");
    } else {
        eprintln!(
            "{} steps in {wall:.1} s ({:.1} steps/s); {}\nwrote {} and {}",
            total,
            total as f64 / wall,
            session.last_metrics().line(),
            a.out.display(),
            curve.display()
        );
    }
    Ok(())
}

/// One line per metric over steps (each scaled to its own range).
fn loss_curve(history: &[(u64, Metrics)]) -> Rgba {
    let names: Vec<String> = history
        .first()
        .map(|(_, m)| m.0.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let series: Vec<Vec<(f32, f32)>> = names
        .iter()
        .map(|n| {
            history
                .iter()
                .filter_map(|(s, m)| m.get(n).map(|v| (*s as f32, v)))
                .collect()
        })
        .collect();
    image::line_plot(&series, 640, 320)
}

/// A PNG of data-space samples: a grid for images, a scatter plot for 2-D points.
fn samples_png(net: &Network, values: &[f32], cols: usize) -> Result<Rgba> {
    let shape = net.config().sample_shape();
    if shape.len() == 3 {
        Ok(image::image_grid(values, shape, cols)?)
    } else if shape == [2] {
        let extent = values.iter().fold(1.0f32, |m, v| m.max(v.abs())) * 1.1;
        Ok(image::scatter(&[(values, image::PALETTE[0])], extent, 512))
    } else {
        bail!("cannot draw samples of shape {shape:?}")
    }
}

fn sample(a: SampleArgs) -> Result<()> {
    let dev = device(&a.device)?;
    let ckpt = checkpoint::load_file(&a.file, &dev)?;
    let net = &ckpt.network;
    let (x, _) = net.sample(a.n, &mut Rng::new(a.seed), a.temperature, a.class)?;
    let values = x.flatten_all()?.to_vec1::<f32>()?;
    // A conditional model cycles through its classes: one class per column.
    let cols = match (net.config().num_classes(), a.class) {
        (Some(k), None) => k,
        _ => (a.n as f64).sqrt().ceil() as usize,
    };
    samples_png(net, &values, cols)?.save_png(&a.out)?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({"shape": x.dims(), "values": values})
        );
    } else {
        eprintln!("wrote {}", a.out.display());
    }
    Ok(())
}

fn interpolate(a: InterpolateArgs) -> Result<()> {
    let ckpt = checkpoint::load_file(&a.file, &Device::Cpu)?;
    let net = &ckpt.network;
    let l = net
        .config()
        .latent_dim()
        .context("this model has no latent space to interpolate in")?;
    let mode = match a.mode {
        ModeArg::Lerp => InterpolationMode::Lerp,
        ModeArg::Slerp => InterpolationMode::Slerp,
    };
    let mut rng = Rng::new(a.seed);
    let mut values = Vec::new();
    for _ in 0..a.rows.max(1) {
        let (z0, z1) = (rng.normal_vec(l), rng.normal_vec(l));
        let frames = net.interpolate(&z0, &z1, a.steps, mode, a.class)?;
        values.extend(frames.flatten_all()?.to_vec1::<f32>()?);
    }
    samples_png(net, &values, a.steps)?.save_png(&a.out)?;
    eprintln!("wrote {}", a.out.display());
    Ok(())
}

fn info(file: &Path, json: bool) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let meta = checkpoint::read_metadata(&bytes).with_context(|| file.display().to_string())?;
    // Build the model too, so `info` also proves the tensors fit the config.
    checkpoint::from_bytes(&bytes, &Device::Cpu).with_context(|| file.display().to_string())?;
    if json {
        let mut v = serde_json::to_value(&meta)?;
        v["parameters"] = meta.parameter_count().into();
        v["bytes"] = bytes.len().into();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("{}", file.display());
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
            println!("  optimizer   {:?}", t.config.optimizer);
            println!("  metrics     {}", t.final_metrics.line());
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

fn export(a: ExportArgs) -> Result<()> {
    let ckpt = checkpoint::load_file(&a.file, &Device::Cpu)?;
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

fn eval(a: EvalArgs) -> Result<()> {
    let dev = device(&a.device)?;
    let ckpt = checkpoint::load_file(&a.file, &dev)?;
    let opts = eval::EvalOptions {
        k: a.k,
        test_size: a.test_size,
        batch_size: a.batch_size,
        samples: a.samples,
        seed: a.seed,
    };
    let mut files = EvalFiles {
        data_dir: a.data_dir.clone(),
        seed: a.seed,
        classifier: a.classifier.clone(),
        device: dev,
        bar: None,
        hidden: a.json,
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
struct EvalFiles {
    data_dir: PathBuf,
    seed: u64,
    classifier: Option<PathBuf>,
    device: Device,
    bar: Option<ProgressBar>,
    hidden: bool,
}

impl eval::EvalData for EvalFiles {
    fn images(
        &mut self,
        name: &str,
        split: Split,
        size: Option<usize>,
    ) -> latentlab::Result<Dataset> {
        Dataset::open(name, split, size, &self.data_dir, self.seed)
    }

    fn classifier(&mut self, name: &str) -> latentlab::Result<eval::FeatureClassifier> {
        let default = PathBuf::from(format!("results/lenet-{name}.safetensors"));
        if self.classifier.is_none() && !default.exists() {
            return Ok(eval::FeatureClassifier::Missing {
                expected_at: default.display().to_string(),
            });
        }
        let path = self.classifier.clone().unwrap_or(default);
        let clf = checkpoint::load_file(&path, &self.device).map_err(|e| {
            latentlab::Error::Checkpoint(format!(
                "the Fréchet distance needs a classifier for {name}: {e}"
            ))
        })?;
        Ok(eval::FeatureClassifier::Found {
            network: clf.network,
            source: path.display().to_string(),
        })
    }

    fn progress(&mut self, done: usize, total: usize) {
        let hidden = self.hidden;
        self.bar
            .get_or_insert_with(|| progress(total as u64, hidden))
            .set_position(done as u64);
    }
}

fn progress(len: u64, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} eta {eta}")
            .expect("static template"),
    );
    pb
}
