//! Training: one [`Trainer`] per model kind behind one trait, driven by a [`Session`] that owns
//! the network, the seeded RNG and the step count, and stops on a non-finite loss.

pub mod classifier;
pub mod gan;
pub mod optim;
pub mod vae;
pub mod vae_gan;

use std::collections::HashMap;

use candle::{Device, Tensor};

pub use optim::Adam;

use crate::checkpoint::{self, Checkpoint, SaveOptions, TrainInfo};
use crate::config::{AdamConfig, ModelConfig, TrainConfig};
use crate::data::{Batch, Batcher, DataInfo, Dataset, FixedPacks};
use crate::metrics::{History, Metrics, RunningMean};
use crate::models::Network;
use crate::rng::Rng;
use crate::{Error, Result};

/// One optimization step of one model kind.
pub trait Trainer: Send {
    /// Runs one step on `batch`, drawing noise from `rng`; returns named metrics. When a metric
    /// is not finite the trainer returns its metrics with every network's weights, optimizer
    /// moments and step counts as they were before the step.
    fn step(&mut self, net: &Network, batch: &Batch, rng: &mut Rng) -> Result<Metrics>;
    /// Optimizers by group name (the names used for their state in checkpoints).
    fn optimizers(&self) -> Vec<(&'static str, &Adam)>;
    fn optimizers_mut(&mut self) -> Vec<(&'static str, &mut Adam)>;
}

/// The trainer for `net`'s kind, every optimizer at `train.optimizer`. The discriminator's own
/// rate (`d_lr`) and the learning-rate schedule are applied by [`Session`], not here: drive
/// training through a `Session` unless you apply them yourself.
pub fn trainer_for(net: &Network, train: &TrainConfig) -> Result<Box<dyn Trainer>> {
    if net.is_without_discriminator() {
        return Err(Error::Argument(
            "this model was exported without its discriminator and cannot be trained; resume \
             from the full checkpoint"
                .into(),
        ));
    }
    if net.config().code_prior().is_some() {
        return Err(Error::Argument(
            "this model's code prior was fitted to its codes after training (latentlab export \
             --fit-prior); training would leave it stale: resume from the checkpoint it was \
             fitted to"
                .into(),
        ));
    }
    if net.is_frozen() {
        return Err(Error::Argument(
            "this network is frozen for inference (Network::freeze) and cannot be trained".into(),
        ));
    }
    let opt = train.optimizer;
    Ok(match net.config() {
        ModelConfig::Autoencoder(c) | ModelConfig::Vae(c) => {
            Box::new(vae::VaeTrainer::new(net, c, train, opt)?)
        }
        ModelConfig::Gan(c) => Box::new(gan::GanTrainer::new(net, c, train, opt)?),
        ModelConfig::VaeGan(c) => Box::new(vae_gan::VaeGanTrainer::new(net, c, opt)?),
        ModelConfig::Classifier(_) => Box::new(classifier::ClassifierTrainer::new(net, opt)?),
    })
}

/// A training run in progress.
pub struct Session {
    net: Network,
    train: TrainConfig,
    data: DataInfo,
    trainer: Box<dyn Trainer>,
    rng: Rng,
    step: u64,
    batcher: Option<Batcher>,
    /// The real packs, with `fixed_packs`: drawn again from the seed for the data at hand.
    packs: Option<FixedPacks>,
    /// Passes over the training data so far.
    epochs: f64,
    last: Metrics,
    /// Every step's metrics, as the checkpoint keeps them.
    history: History,
    /// Wall time carried over from the runs this one resumed.
    prior_wall_s: f64,
}

impl Session {
    /// A fresh run: the seed drives weight init, then noise and shuffling.
    pub fn new(
        model: ModelConfig,
        train: TrainConfig,
        data: DataInfo,
        device: &Device,
    ) -> Result<Self> {
        model.validate()?;
        train.validate(&model)?;
        data.check_fits(&model)?;
        crate::budget::check_training(&model, &train)?;
        let mut rng = Rng::new(train.seed);
        let net = Network::new(model, device, &mut rng)?;
        let trainer = trainer_for(&net, &train)?;
        Ok(Self {
            net,
            train,
            data,
            trainer,
            rng,
            step: 0,
            batcher: None,
            packs: None,
            epochs: 0.0,
            last: Metrics::default(),
            history: History::default(),
            prior_wall_s: 0.0,
        })
    }

    /// Continues a run from a checkpoint's weights, optimizer moments (when the file has them;
    /// else the moments start at zero), step count and RNG position.
    pub fn resume(
        net: Network,
        data: DataInfo,
        info: &TrainInfo,
        optim: &HashMap<String, Tensor>,
    ) -> Result<Self> {
        info.config.validate(net.config())?;
        data.check_fits(net.config())?;
        crate::budget::check_training(net.config(), &info.config)?;
        let mut trainer = trainer_for(&net, &info.config)?;
        let draws = info.config.batch_draws(net.config());
        if !optim.is_empty() {
            for (group, opt) in trainer.optimizers_mut() {
                let steps = info
                    .optimizer_steps
                    .get(group)
                    .copied()
                    .unwrap_or(info.steps);
                opt.load_state(group, optim, steps)?;
            }
        }
        Ok(Self {
            net,
            train: info.config.clone(),
            data,
            trainer,
            rng: info.rng.clone(),
            step: info.steps,
            batcher: info
                .batcher
                .clone()
                .map(|b| Batcher::restore(b, draws))
                .transpose()?,
            packs: None,
            epochs: info.epochs,
            last: info.final_metrics.clone(),
            history: info.history.clone(),
            prior_wall_s: info.wall_s,
        })
    }

    /// Continues the run a checkpoint was saved from; an error when it has no
    /// `latentlab.train` record.
    pub fn from_checkpoint(ckpt: Checkpoint) -> Result<Self> {
        let info = ckpt.train.ok_or_else(|| {
            Error::Checkpoint(
                "this checkpoint has no `latentlab.train` record to resume from".into(),
            )
        })?;
        Self::resume(ckpt.network, ckpt.data, &info, &ckpt.optimizer)
    }

    /// The run as checkpoint bytes: weights, metadata, the record `info` and (optionally)
    /// optimizer moments.
    pub fn to_bytes(&self, info: &TrainInfo, opts: SaveOptions) -> Result<Vec<u8>> {
        let optim = if opts.include_optimizer {
            self.optimizer_tensors()?
        } else {
            Vec::new()
        };
        checkpoint::to_bytes(&self.net, &self.data, Some(info), &optim, opts.dtype)
    }

    /// The run's model with a code prior of `components` Gaussians fitted to its codes of
    /// `data` (its training set, binarized as the run binarizes, seeded by the run's seed;
    /// [`Network::with_fitted_code_prior`]), as checkpoint bytes without optimizer state: a
    /// file that samples from its codes' own density and no longer resumes.
    pub fn to_bytes_with_code_prior(
        &self,
        info: &TrainInfo,
        dtype: candle::DType,
        data: &Dataset,
        components: usize,
    ) -> Result<Vec<u8>> {
        let net = self.net.with_fitted_code_prior(
            data,
            self.train.dynamic_binarization,
            components,
            self.train.seed,
        )?;
        checkpoint::to_bytes(&net, &self.data, Some(info), &[], dtype)
    }

    pub fn network(&self) -> &Network {
        &self.net
    }
    pub fn train_config(&self) -> &TrainConfig {
        &self.train
    }
    pub fn data_info(&self) -> &DataInfo {
        &self.data
    }
    pub fn steps(&self) -> u64 {
        self.step
    }
    pub fn epochs(&self) -> f64 {
        self.epochs
    }
    /// The metrics over all the run's steps, those before a resume included.
    pub fn history(&self) -> &History {
        &self.history
    }
    pub fn last_metrics(&self) -> &Metrics {
        &self.last
    }

    /// Changes the (base) learning rate of every optimizer but a discriminator with its own
    /// `d_lr` (takes effect at the next step).
    pub fn set_lr(&mut self, lr: f64) -> Result<()> {
        // Checked before it is kept: a refused rate leaves the run as it was.
        let optimizer = AdamConfig {
            lr,
            ..self.train.optimizer
        };
        optimizer.validate()?;
        let was = std::mem::replace(&mut self.train.optimizer, optimizer);
        // A rate the schedule's factor takes to 0 (a subnormal one) is refused there: undone.
        self.apply_lr_schedule().inspect_err(|_| {
            self.train.optimizer = was;
            let _ = self.apply_lr_schedule();
        })
    }

    /// Sets every optimizer's rate to the schedule's value at the current epoch (a function
    /// of the epoch count alone, so a resumed run follows the same schedule), the
    /// discriminator's from `d_lr` when the run has one.
    fn apply_lr_schedule(&mut self) -> Result<()> {
        let factor = self.train.lr_schedule.factor(self.epochs);
        let (lr, d_lr) = (self.train.optimizer.lr, self.train.d_lr);
        for (group, opt) in self.trainer.optimizers_mut() {
            let lr = factor * d_lr.filter(|_| group == "discriminator").unwrap_or(lr);
            if opt.config().lr != lr {
                opt.set_lr(lr)?;
            }
        }
        Ok(())
    }

    /// One step on a given batch. A non-finite metric is [`Error::Diverged`] naming the step
    /// and the metric; the weights, optimizer moments and step counts are then those before
    /// the step.
    pub fn step(&mut self, batch: &Batch) -> Result<Metrics> {
        self.apply_lr_schedule()?;
        let buffers = self.net.buffers()?;
        self.net.set_training(true);
        let m = self.trainer.step(&self.net, batch, &mut self.rng);
        self.net.set_training(false);
        let m = m?;
        if let Some((name, value)) = m.first_non_finite() {
            for (var, saved) in buffers {
                var.set(&saved)?;
            }
            return Err(Error::Diverged {
                step: self.step + 1,
                metric: name.to_string(),
                value,
            });
        }
        self.step += 1;
        self.history.add(self.step, &m);
        self.last = m.clone();
        Ok(m)
    }

    /// `k` steps on shuffled batches of `data`; returns the metrics' means.
    pub fn train_steps(&mut self, data: &Dataset, k: usize) -> Result<Metrics> {
        if data.info.sample_shape != self.data.sample_shape {
            return Err(Error::Data(format!(
                "samples are {:?}, the model trains on {:?}",
                data.info.sample_shape, self.data.sample_shape
            )));
        }
        let clustering = |info: &DataInfo| info.clusters.as_ref().map(|c| (c.k, c.seed));
        if clustering(&data.info) != clustering(&self.data) {
            return Err(Error::Data(format!(
                "this run trains on {} labelled {} (see Dataset::labelled_like)",
                self.data.name,
                match &self.data.clusters {
                    Some(c) => format!("by {} k-means clusters", c.k),
                    None => "by its own classes".into(),
                }
            )));
        }
        // A batch draws `draws` points, or as many fixed packs; there are as many packs as points.
        let draws = self.train.batch_draws(self.net.config());
        if self.train.fixed_packs && data.len() < draws {
            return Err(Error::Argument(format!(
                "a batch of {} samples takes {draws} fixed packs; {} points make only {} packs",
                self.train.batch_size,
                data.len(),
                data.len()
            )));
        }
        // The packs first: a refused draw leaves the batcher where it stood.
        if let ModelConfig::Gan(g) = self.net.config() {
            if self.train.fixed_packs && self.packs.as_ref().map(|p| p.len()) != Some(data.len()) {
                self.packs = Some(FixedPacks::draw(data.len(), g.pack, self.train.seed)?);
            }
        }
        if self.batcher.as_ref().map(|b| b.len()) != Some(data.len()) {
            self.batcher = Some(Batcher::new(data.len(), draws)?);
        }
        let mut mean = RunningMean::default();
        for _ in 0..k {
            let batcher = self.batcher.as_mut().expect("batcher set above");
            let drawn = batcher.next_indices(&mut self.rng);
            let idx = match &self.packs {
                Some(packs) => packs.rows(drawn),
                None => drawn.to_vec(),
            };
            let batch = data.batch(
                &idx,
                self.train.dynamic_binarization,
                &mut self.rng,
                self.net.device(),
            )?;
            // On the CPU the step runs on a pool thread (see `kernels::on_pool`); a GPU's
            // context stays with the thread that made it.
            let metrics = if self.net.device().is_cpu() {
                crate::kernels::on_pool(|| self.step(&batch))?
            } else {
                self.step(&batch)?
            };
            mean.add(&metrics);
            self.epochs += draws as f64 / data.len() as f64;
        }
        Ok(mean.mean())
    }

    /// The record stored with a checkpoint of this run: `device` names where it trained
    /// ("cpu", "cuda", "wasm"), `timestamp` when (see [`crate::checkpoint::rfc3339`]), and
    /// `wall_s` this session's own seconds of training: a resumed run's earlier time is added.
    pub fn train_info(&self, device: &str, timestamp: String, wall_s: f64) -> TrainInfo {
        TrainInfo {
            config: self.train.clone(),
            steps: self.step,
            epochs: self.epochs(),
            optimizer_steps: self
                .trainer
                .optimizers()
                .into_iter()
                .map(|(g, o)| (g.to_string(), o.steps()))
                .collect(),
            rng: self.rng.clone(),
            batcher: self.batcher.as_ref().map(|b| b.state().clone()),
            final_metrics: self.last.clone(),
            history: self.history.clone(),
            device: device.to_string(),
            timestamp,
            wall_s: self.prior_wall_s + wall_s,
            library: format!("latentlab {}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// Every optimizer's moments, named `optim.<group>.{m,v}.<var>`.
    pub fn optimizer_tensors(&self) -> Result<Vec<(String, Tensor)>> {
        let mut out = Vec::new();
        for (g, o) in self.trainer.optimizers() {
            out.extend(o.state_tensors(g)?);
        }
        Ok(out)
    }
}
