//! `latentlab train`: a fresh run from flags, or a resumed one from its checkpoint; progress,
//! periodic atomic checkpoints and a loss-curve PNG.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Result};
use clap::ValueEnum;

use latentlab::checkpoint::{self, SaveOptions};
use latentlab::config::{
    Activation, Arch, GanLoss, GanUpdate, Likelihood, LrSchedule, ModelConfig, ModelKind,
    TrainConfig, WeightInit,
};
use latentlab::data::{DataInfo, Dataset, Split};
use latentlab::image::{self, Rgba};
use latentlab::metrics::{History, RunningMean};
use latentlab::spec::TrainSpec;
use latentlab::train::Session;
use latentlab::ModelSpec;

use crate::args::{device, KindArg};
use crate::chunks::chunks;
use crate::interrupt;
use crate::out_paths;

const DEFAULT_CHECKPOINT_EVERY: u64 = 1000;
const DEFAULT_LOG_EVERY: u64 = 50;

#[derive(clap::Args)]
pub struct TrainArgs {
    /// The model kind (required for a new run; a resumed run keeps its own).
    #[arg(long, value_enum, required_unless_present = "resume")]
    model: Option<KindArg>,
    /// mnist, fashion-mnist, ring8, grid25 or spiral.
    #[arg(long, required_unless_present = "resume")]
    dataset: Option<String>,
    /// Convolutional or fully connected networks (default conv for images, mlp for 2-D points).
    #[arg(long, value_enum)]
    arch: Option<ArchArg>,
    /// Latent dimensions (default 2 for 2-D points; for images a VAE 16 conv / 20 mlp, a GAN
    /// 100 conv / 64 mlp).
    #[arg(long, value_parser = crate::args::count)]
    latent_dim: Option<usize>,
    /// Backbone widths (MLP) or channels (conv), comma-separated: 400 or 200,200 or 32,64.
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// GAN, VAE-GAN: the discriminator's widths or channels when they differ from --hidden.
    #[arg(long, value_delimiter = ',')]
    d_hidden: Option<Vec<usize>>,
    /// Hidden-layer nonlinearity (GAN discriminators always use LeakyReLU).
    #[arg(long, value_enum)]
    activation: Option<ActivationArg>,
    /// VAE decoder's p(x|z) (default bernoulli for images, gaussian for 2-D points).
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
    /// InfoGAN: K categorical latent codes the generator learns to use without labels; the
    /// discriminator gets a head that guesses the code (GANs only).
    #[arg(long, value_name = "K", value_parser = crate::args::count)]
    info_codes: Option<usize>,
    /// Self-conditioned GAN: condition on K k-means clusters of the training images instead
    /// of labels (clustered at the start of the run, seeded by --seed); samples draw the
    /// clusters by their share of the data (GANs only).
    #[arg(
        long,
        value_name = "K",
        value_parser = crate::args::count,
        conflicts_with_all = ["conditional", "info_codes"]
    )]
    cluster_classes: Option<usize>,
    /// PacGAN packing degree.
    #[arg(long, value_parser = crate::args::count)]
    pack: Option<usize>,
    /// BatchNorm in the generator (GAN) or the encoder and decoder (VAE).
    #[arg(long)]
    batch_norm: bool,
    /// BatchNorm in the discriminator (all but its input layer).
    #[arg(long)]
    d_batch_norm: bool,
    /// BatchNorm's ε, added to the batch variance (default 1e-5 as PyTorch; PacGAN's code on
    /// blocks: 1e-4).
    #[arg(long, value_name = "EPS")]
    batch_norm_eps: Option<f64>,
    /// MLP discriminator: maxout units of this many pieces instead of LeakyReLU (PacGAN: 5).
    #[arg(long)]
    d_maxout: Option<usize>,
    /// Spectral normalization of every discriminator layer (Miyato et al. 2018).
    #[arg(long)]
    d_spectral_norm: bool,
    /// Weight init: uniform (PyTorch's default) or dcgan (N(0, 0.02)); default by model.
    #[arg(long, value_enum)]
    init: Option<InitArg>,
    /// Passes over the training set to run, rounded up to whole steps; with --resume, more
    /// passes on top of the run's. Without --epochs and --steps: one pass. With --fixed-packs
    /// a pass draws each of the N packs once (N · pack samples).
    #[arg(long, conflicts_with = "steps")]
    epochs: Option<f64>,
    /// Steps (batches) to run; with --resume, more steps on top of the run's.
    #[arg(long)]
    steps: Option<u64>,
    /// Samples per step (default 128).
    #[arg(long, value_parser = crate::args::count)]
    batch_size: Option<usize>,
    /// Adam's learning rate (default 1e-3; GANs and VAE-GANs: 2e-4, DCGAN's).
    #[arg(long)]
    lr: Option<f64>,
    /// GAN, VAE-GAN: the discriminator's learning rate when it differs from --lr (Heusel et
    /// al.'s two time-scale update rule)
    #[arg(long)]
    d_lr: Option<f64>,
    /// Adam's β₁ (default 0.9; GANs and VAE-GANs: 0.5, DCGAN's).
    #[arg(long)]
    beta1: Option<f64>,
    /// Decoupled weight decay (AdamW; default 0, Adam).
    #[arg(long)]
    weight_decay: Option<f64>,
    /// Adam's ε (default 1e-8).
    #[arg(long)]
    adam_eps: Option<f64>,
    /// The learning rate over the run: constant, or Burda et al.'s 3^i passes at
    /// lr·10^(−i/7), i = 0…7.
    #[arg(long, value_enum)]
    lr_schedule: Option<LrScheduleArg>,
    /// GAN: alternating updates (D, then G against the updated D) or simultaneous ones (both
    /// from one forward pass, as PacGAN's code does).
    #[arg(long, value_enum)]
    gan_update: Option<GanUpdateArg>,
    /// GAN: the adversarial loss, standard (cross-entropy, non-saturating generator) or hinge.
    #[arg(long, value_enum)]
    gan_loss: Option<GanLossArg>,
    /// Packed GAN with --batch-norm: one generator pass per pack slot, so BatchNorm's batch
    /// statistics are over each slot's samples (PacGAN's code); else one pass over the batch.
    #[arg(long)]
    generate_per_slot: bool,
    /// Packed GAN: draw the real packs once (each of the N packs takes pack-size points drawn
    /// with replacement from the N training points) and shuffle whole packs every epoch, as
    /// PacGAN's code does; else every epoch packs a fresh shuffle of the points.
    #[arg(long)]
    fixed_packs: bool,
    /// Draw binary pixels afresh per batch (images).
    #[arg(long)]
    binarize: bool,
    /// VAE: train on the IWAE bound with K importance samples (default 1, the ELBO).
    #[arg(long, value_parser = crate::args::count)]
    iwae_k: Option<usize>,
    /// VAE with --iwae-k ≥ 2: the encoder's gradient by the doubly reparameterized estimator
    /// (DReG, Tucker et al. 2019), whose signal does not fade as K grows; the decoder's is
    /// unchanged. With --resume it switches a plain run's steps to come to DReG: same bound,
    /// model and optimizer state.
    #[arg(long)]
    dreg: bool,
    /// VAE: raise the KL term's weight linearly to β over the first N steps (Sønderby et al.
    /// 2016's warm-up; on the IWAE bound, the weight of each sample's log p(z) − log q(z|x))
    #[arg(long, value_name = "N")]
    kl_warmup: Option<u64>,
    /// GAN: discriminator steps per generator step (default 1, at most 100).
    #[arg(long, value_parser = crate::args::count)]
    d_steps: Option<usize>,
    /// Use only the first N training samples (images) or draw N points (toys).
    #[arg(long, value_parser = crate::args::count)]
    train_size: Option<usize>,
    /// Seeds the weights, the noise, the shuffle and the 2-D points (default 0; a resumed run
    /// keeps its own).
    #[arg(long)]
    seed: Option<u64>,
    /// cpu, or cuda (cuda:N) in a build with the cuda feature.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Continue a run from its checkpoint (weights, optimizer moments, step, RNG, data). The
    /// model and training flags may repeat the run's choices but not change them; --lr and
    /// --train-size may, and --dreg may switch DReG on.
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Write a checkpoint every N steps (atomically, to --out); 0 writes only the last.
    #[arg(long, default_value_t = DEFAULT_CHECKPOINT_EVERY)]
    checkpoint_every: u64,
    /// Steps between progress updates and JSON lines.
    #[arg(long, default_value_t = DEFAULT_LOG_EVERY, value_parser = clap::value_parser!(u64).range(1..))]
    log_every: u64,
    /// Where the MNIST and Fashion-MNIST files are (pkg-scripts/fetch-data puts them in data/).
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// The checkpoint to write (.safetensors; the loss curve goes beside it as .loss.png). An
    /// existing file (or curve) is refused unless it is the one --resume continues, or
    /// --overwrite; the curve never replaces the file resumed from.
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing --out (and its loss curve) with this run.
    #[arg(long)]
    overwrite: bool,
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
enum InitArg {
    Uniform,
    Dcgan,
}

#[derive(Clone, Copy, ValueEnum)]
enum LrScheduleArg {
    Constant,
    Burda,
}

#[derive(Clone, Copy, ValueEnum)]
enum GanUpdateArg {
    Alternating,
    Simultaneous,
}

#[derive(Clone, Copy, ValueEnum)]
enum GanLossArg {
    Standard,
    Hinge,
}

#[derive(Clone, Copy, ValueEnum)]
enum LikelihoodArg {
    Bernoulli,
    Gaussian,
}

impl TrainArgs {
    /// The spec the flags describe (for a fresh run).
    fn spec(&self, kind: ModelKind) -> TrainSpec {
        TrainSpec {
            model: ModelSpec {
                arch: self.arch.map(|x| match x {
                    ArchArg::Mlp => Arch::Mlp,
                    ArchArg::Conv => Arch::Conv,
                }),
                latent_dim: self.latent_dim,
                hidden: self.hidden.clone(),
                d_hidden: self.d_hidden.clone(),
                activation: self.activation.map(|x| match x {
                    ActivationArg::Relu => Activation::Relu,
                    ActivationArg::Tanh => Activation::Tanh,
                    ActivationArg::LeakyRelu => Activation::LeakyRelu,
                }),
                likelihood: self.likelihood.map(|l| match l {
                    LikelihoodArg::Bernoulli => Likelihood::Bernoulli,
                    LikelihoodArg::Gaussian => Likelihood::Gaussian,
                }),
                beta: self.beta,
                gamma: self.gamma,
                pack: self.pack,
                batch_norm: self.batch_norm.then_some(true),
                d_batch_norm: self.d_batch_norm.then_some(true),
                batch_norm_eps: self.batch_norm_eps,
                d_maxout: self.d_maxout,
                d_spectral_norm: self.d_spectral_norm.then_some(true),
                init: self.init.map(|i| match i {
                    InitArg::Uniform => WeightInit::Uniform,
                    InitArg::Dcgan => WeightInit::Dcgan,
                }),
                conditional: self.conditional,
                info_codes: self.info_codes,
                cluster_classes: self.cluster_classes,
                ..ModelSpec::new(kind)
            },
            batch_size: self.batch_size,
            lr: self.lr,
            d_lr: self.d_lr,
            beta1: self.beta1,
            weight_decay: self.weight_decay,
            eps: self.adam_eps,
            lr_schedule: self.lr_schedule.map(|s| match s {
                LrScheduleArg::Constant => LrSchedule::Constant,
                LrScheduleArg::Burda => LrSchedule::Burda,
            }),
            binarize: self.binarize,
            iwae_k: self.iwae_k,
            dreg: self.dreg,
            kl_warmup: self.kl_warmup,
            d_steps: self.d_steps,
            gan_update: self.gan_update.map(|u| match u {
                GanUpdateArg::Alternating => GanUpdate::Alternating,
                GanUpdateArg::Simultaneous => GanUpdate::Simultaneous,
            }),
            gan_loss: self.gan_loss.map(|l| match l {
                GanLossArg::Standard => GanLoss::Standard,
                GanLossArg::Hinge => GanLoss::Hinge,
            }),
            generate_per_slot: self.generate_per_slot,
            fixed_packs: self.fixed_packs,
            seed: self.seed.unwrap_or_default(),
        }
    }

    /// The session to train and its data: resumed from `--resume`, or fresh from the flags.
    fn session(&self) -> Result<(Session, Dataset)> {
        let dev = device(&self.device)?;
        let open = |name: &str, size: Option<usize>, seed: u64| {
            Dataset::open(name, Split::Train, size, &self.data_dir, seed)
        };
        if let Some(path) = &self.resume {
            let mut ckpt = checkpoint::load_file(path, &dev)?;
            let (size, seed) = match &mut ckpt.train {
                Some(train) => {
                    self.refuse_changes(path, ckpt.network.config(), &ckpt.data, &train.config)?;
                    // The estimator is no part of the model, the bound or the optimizer's
                    // state; Session::from_checkpoint refuses it where a fresh run would.
                    train.config.dreg |= self.dreg;
                    let run_size = train.batcher.as_ref().map(|b| b.len);
                    (self.train_size.or(run_size), train.config.seed)
                }
                None => (self.train_size, 0),
            };
            let data = open(&ckpt.data.name, size, seed)?.labelled_like(&ckpt.data)?;
            let mut s = Session::from_checkpoint(ckpt)?;
            if let Some(lr) = self.lr {
                s.set_lr(lr)?;
            }
            return Ok((s, data));
        }
        let (Some(kind), Some(name)) = (self.model, self.dataset.as_deref()) else {
            bail!("--model and --dataset are required without --resume");
        };
        let spec = self.spec(kind.into());
        let data = spec.prepare_data(open(name, self.train_size, spec.seed)?)?;
        Ok((spec.start(&data.info, &dev)?, data))
    }

    /// An error naming the flags that would change the run `path` holds: a resumed run keeps
    /// its model, data, optimizer and seed (only `--lr` and `--train-size` may differ, and
    /// `--dreg` may switch DReG on).
    fn refuse_changes(
        &self,
        path: &Path,
        model: &ModelConfig,
        data: &DataInfo,
        train: &TrainConfig,
    ) -> Result<()> {
        let run = TrainSpec::of(model, train);
        let given = TrainSpec {
            lr: None,
            dreg: false,
            seed: self.seed.unwrap_or(run.seed),
            ..self.spec(self.model.map_or(run.model.kind, ModelKind::from))
        };
        let mut changes: Vec<String> = given
            .disagreements(&run)
            .iter()
            .map(|d| format!("{} (the run's: {})", d.choice(), d.other))
            .collect();
        if let Some(name) = self.dataset.as_deref().filter(|n| *n != data.name) {
            changes.insert(0, format!("--dataset {name} (the run's: {})", data.name));
        }
        if !changes.is_empty() {
            bail!(
                "{} resumes its own run, which these flags would change: {}. Drop them, or \
                 start a new run without --resume",
                path.display(),
                changes.join(", ")
            );
        }
        Ok(())
    }

    /// Steps to run: `--steps`, else `--epochs` (rounded up), else one epoch; at least one.
    fn total_steps(&self, session: &Session, data: &Dataset) -> Result<u64> {
        // A pass draws every point once, or with --fixed-packs every pack once.
        let draws = session
            .train_config()
            .batch_draws(session.network().config());
        let per_epoch = (data.len() / draws).max(1) as u64;
        let steps = match (self.steps, self.epochs) {
            (Some(0), _) => bail!("--steps must be ≥ 1"),
            (Some(s), _) => s,
            (None, Some(e)) if !(e > 0.0 && e.is_finite()) => {
                bail!("--epochs must be a positive number, got {e}")
            }
            (None, Some(e)) => (e * per_epoch as f64).ceil().min(u64::MAX as f64) as u64,
            (None, None) => per_epoch,
        };
        let max = TrainConfig::MAX_STEPS;
        if steps > max - session.steps() {
            bail!(
                "{steps} more steps after {} would pass the {max} a run can count",
                session.steps()
            );
        }
        Ok(steps)
    }
}

pub fn run(a: TrainArgs) -> Result<()> {
    // A bad --out (or a folder where its loss curve goes) is found now, not after the first
    // checkpoint's worth of training.
    let curve = out_paths::check_run_out(&a.out, a.resume.as_deref(), a.overwrite)?;
    let (mut session, data) = a.session()?;
    let total = a.total_steps(&session, &data)?;
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
    let start = Instant::now();
    let first = session.steps();
    interrupt::catch();
    train_loop(&a, &mut session, &data, total, &curve, start)?;
    let wall = start.elapsed().as_secs_f64();
    save(&session, &a.out, &curve, &a.device, wall)?;
    let (done, stopped_by) = (session.steps() - first, interrupt::requested());
    let summary = serde_json::json!({
        "out": a.out, "loss_curve": curve, "steps": session.steps(), "epochs": session.epochs(),
        "wall_s": wall, "steps_per_s": done as f64 / wall, "metrics": session.last_metrics(),
        "interrupted": stopped_by.map(interrupt::name),
    });
    // After a stop the terminal or pipe may be gone: nothing below may fail the saved run.
    if a.json {
        say(&mut std::io::stdout(), format_args!("{summary}"));
    } else {
        say(
            &mut std::io::stderr(),
            format_args!(
                "{done} steps in {wall:.1} s ({:.1} steps/s); {}\nwrote {} and {}",
                done as f64 / wall,
                session.last_metrics().line(),
                a.out.display(),
                curve.display()
            ),
        );
    }
    if let Some(signal) = stopped_by {
        let name = interrupt::name(signal);
        let line = if done < total {
            format!(
                "interrupted by {name} after {done} of {total} steps; continue with: {}",
                a.continue_command(total - done)
            )
        } else {
            format!("interrupted by {name} as the run ended: all {total} steps are saved")
        };
        say(&mut std::io::stderr(), format_args!("{line}"));
        interrupt::reraise(signal);
    }
    Ok(())
}

/// One line to `out`, whose failure (a closed pipe) is no error of the run's.
fn say(out: &mut impl std::io::Write, line: std::fmt::Arguments) {
    let _ = writeln!(out, "{line}");
}

impl TrainArgs {
    /// The command that trains the `left` steps of this run that an interrupt left: `--resume`
    /// with the run's own output and the flags of this process that the checkpoint does not
    /// keep (the memory limit, where the data are, the device, the log and checkpoint
    /// intervals).
    fn continue_command(&self, left: u64) -> String {
        // A relative name that starts with '-' would read as a flag.
        let out = match self.out.to_string_lossy() {
            name if name.starts_with('-') => format!("./{name}"),
            name => name.into_owned(),
        };
        let out = shell_word(&out);
        // The global limit comes before the command, and resuming checks it again.
        let limit = latentlab::budget::limit();
        let mut cmd = "latentlab".to_string();
        if limit != latentlab::budget::WORKSTATION_LIMIT {
            cmd += &format!(" --memory-limit-mib {}", limit >> 20);
        }
        cmd += &format!(" train --resume {out} --steps {left} --out {out}");
        if self.data_dir != Path::new("data") {
            cmd += &format!(
                " --data-dir {}",
                shell_word(&self.data_dir.to_string_lossy())
            );
        }
        if self.device != "cpu" {
            cmd += &format!(" --device {}", shell_word(&self.device));
        }
        if self.checkpoint_every != DEFAULT_CHECKPOINT_EVERY {
            cmd += &format!(" --checkpoint-every {}", self.checkpoint_every);
        }
        if self.log_every != DEFAULT_LOG_EVERY {
            cmd += &format!(" --log-every {}", self.log_every);
        }
        if self.json {
            cmd += " --json";
        }
        cmd
    }
}

/// `word` as a POSIX shell reads it back: as it is when it has no special characters, else in
/// single quotes.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Trains `total` steps, logging every `--log-every` and saving every `--checkpoint-every`
/// (counted from this run's start; the two need not divide each other). A divergence says
/// which checkpoint is left. A SIGINT or SIGTERM ends the loop where the current call of steps
/// ends (`interrupt::requested`).
fn train_loop(
    a: &TrainArgs,
    session: &mut Session,
    data: &Dataset,
    total: u64,
    curve: &Path,
    start: Instant,
) -> Result<()> {
    let pb = crate::progress::bar(total, "steps", true, a.json);
    let mut interval = RunningMean::default();
    let mut done = 0u64;
    let mut last_saved: Option<u64> = None;
    for chunk in chunks(total, a.log_every, a.checkpoint_every) {
        let m = match session.train_steps(data, chunk.steps as usize) {
            Ok(m) => m,
            Err(e) => {
                pb.abandon();
                let kept = match last_saved {
                    Some(s) => format!("the checkpoint of step {s} in {} is kept", a.out.display()),
                    None if a.out.exists() => format!("{} is untouched", a.out.display()),
                    None => "no checkpoint was written by this run".to_string(),
                };
                let hint = match e {
                    latentlab::Error::Diverged { .. } => " Try a lower --lr.",
                    _ => "",
                };
                bail!("{e}; {kept}.{hint}");
            }
        };
        done += chunk.steps;
        interval.add_steps(&m, chunk.steps as usize);
        pb.set_position(done);
        // A stop (asked before this save, or during it) logs the steps since the last line,
        // and run() saves them.
        if chunk.save && interrupt::requested().is_none() {
            let wall = start.elapsed().as_secs_f64();
            save(session, &a.out, curve, &a.device, wall)?;
            last_saved = Some(session.steps());
        }
        let stopping = interrupt::requested().is_some();
        if chunk.log || stopping {
            let m = std::mem::take(&mut interval).mean();
            pb.set_message(m.line());
            if a.json {
                let line = serde_json::json!({"step": session.steps(), "metrics": m});
                say(&mut std::io::stdout(), format_args!("{line}"));
            }
        }
        if stopping {
            pb.abandon();
            return Ok(());
        }
    }
    pb.finish_and_clear();
    Ok(())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Writes the checkpoint, then the loss curve of the steps it holds.
fn save(session: &Session, out: &Path, curve: &Path, device: &str, wall_s: f64) -> Result<()> {
    let info = session.train_info(device, checkpoint::rfc3339(unix_now()), wall_s);
    let bytes = session.to_bytes(&info, SaveOptions::default())?;
    checkpoint::save_file(out, &bytes)?;
    loss_curve(session.history()).save_png(curve)?;
    Ok(())
}

/// One panel per metric over the run's steps, each with its name and range.
fn loss_curve(history: &History) -> Rgba {
    let mut names: Vec<&str> = Vec::new();
    for (name, _, _) in history.points().iter().flat_map(|p| &p.means) {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let series: Vec<(&str, Vec<(f32, f32)>)> = names
        .iter()
        .map(|n| {
            let points = history.points().iter();
            (
                *n,
                points
                    .filter_map(|p| p.get(n).map(|v| (p.step as f32, v as f32)))
                    .collect(),
            )
        })
        .collect();
    let points = history.points();
    let steps = match (points.first(), points.last()) {
        (Some(first), Some(last)) => [(first.step + 1 - first.steps) as f32, last.step as f32],
        _ => [0.0, 0.0],
    };
    image::metric_panels(&series, steps, 640, 110)
}
