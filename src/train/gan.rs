//! GAN training: alternating discriminator and non-saturating generator steps, two optimizers
//! over disjoint variables; the discriminator step sees detached fakes.

use candle::Tensor;

use super::{Adam, Trainer};
use crate::config::{AdamConfig, GanConfig, TrainConfig};
use crate::data::Batch;
use crate::losses::{discriminator_loss, generator_loss};
use crate::metrics::Metrics;
use crate::models::layers::Weights;
use crate::models::{Model, Network};
use crate::rng::Rng;
use crate::{Error, Result};

pub struct GanTrainer {
    g_opt: Adam,
    d_opt: Adam,
    d_steps: usize,
    latent_dim: usize,
}

impl GanTrainer {
    pub fn new(
        net: &Network,
        cfg: &GanConfig,
        train: &TrainConfig,
        opt: AdamConfig,
    ) -> Result<Self> {
        Ok(Self {
            g_opt: Adam::new(net.vars_with_prefix(&["generator."]), opt)?,
            d_opt: Adam::new(net.vars_with_prefix(&["discriminator."]), opt)?,
            d_steps: train.d_steps,
            latent_dim: cfg.latent_dim,
        })
    }
}

fn mean_sigmoid(logits: &Tensor) -> Result<f32> {
    Ok(candle_nn::ops::sigmoid(logits)?.mean_all()?.to_scalar()?)
}

impl Trainer for GanTrainer {
    fn step(&mut self, net: &Network, batch: &Batch, rng: &mut Rng) -> Result<Metrics> {
        let Model::Gan(gan) = net.model() else {
            return Err(Error::Argument("not a GAN".into()));
        };
        let (g, d) = (&gan.generator, &gan.discriminator);
        let b = batch.x.dim(0)?;
        let y = net.labels(batch.labels.as_deref(), b)?;
        let real = g.from_data(&batch.x)?;
        let mut m = Metrics::default();

        // The discriminator steps before the generator's loss is known: a non-finite metric
        // later in the step puts the discriminator back as it was.
        let before = self.d_opt.snapshot()?;
        let (mut d_loss, mut d_real, mut d_fake) = (0.0, 0.0, 0.0);
        for _ in 0..self.d_steps {
            let z = rng.normal_tensor(&[b, self.latent_dim], 1.0, real.device())?;
            let fake = g.forward(&z, y.as_ref())?.detach();
            let (lr, _) = d.forward(&real, y.as_ref(), Weights::Trained)?;
            let (lf, _) = d.forward(&fake, y.as_ref(), Weights::Trained)?;
            let loss = discriminator_loss(&lr, &lf)?;
            d_loss = loss.to_scalar::<f32>()?;
            if !d_loss.is_finite() {
                self.d_opt.restore(&before)?;
                m.push("d_loss", d_loss);
                return Ok(m);
            }
            self.d_opt.step(&loss.backward()?)?;
            d_real = mean_sigmoid(&lr)?;
            d_fake = mean_sigmoid(&lf)?;
        }

        let z = rng.normal_tensor(&[b, self.latent_dim], 1.0, real.device())?;
        // The discriminator is frozen: only the generator's gradients are computed.
        let (lf, _) = d.forward(&g.forward(&z, y.as_ref())?, y.as_ref(), Weights::Frozen)?;
        let g_loss = generator_loss(&lf)?;
        m.push("d_loss", d_loss);
        m.push("g_loss", g_loss.to_scalar::<f32>()?);
        m.push("d_real", d_real);
        m.push("d_fake", d_fake);
        if m.first_non_finite().is_some() {
            self.d_opt.restore(&before)?;
        } else {
            self.g_opt.step(&g_loss.backward()?)?;
        }
        Ok(m)
    }

    fn optimizers(&self) -> Vec<(&'static str, &Adam)> {
        vec![("generator", &self.g_opt), ("discriminator", &self.d_opt)]
    }

    fn optimizers_mut(&mut self) -> Vec<(&'static str, &mut Adam)> {
        vec![
            ("generator", &mut self.g_opt),
            ("discriminator", &mut self.d_opt),
        ]
    }
}
