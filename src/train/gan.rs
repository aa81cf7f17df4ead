//! GAN training: discriminator and generator updates under a [`GanLoss`], alternating or
//! simultaneous ([`GanUpdate`]), two optimizers over disjoint variables; the discriminator's
//! loss sees detached fakes. An InfoGAN (Chen et al. 2016) draws a code for every fake and
//! adds the cross-entropy of the discriminator's guess of it to both losses (weight 1, the
//! paper's for categorical codes).

use candle::Tensor;

use super::{Adam, Trainer};
use crate::config::{AdamConfig, GanConfig, GanLoss, GanUpdate, TrainConfig};
use crate::data::Batch;
use crate::losses::{cross_entropy, discriminator_loss, generator_loss};
use crate::metrics::Metrics;
use crate::models::layers::Weights;
use crate::models::{one_hot, Discriminator, Gan, Generator, Model, Network};
use crate::rng::Rng;
use crate::{Error, Result};

pub struct GanTrainer {
    g_opt: Adam,
    d_opt: Adam,
    d_steps: usize,
    update: GanUpdate,
    objective: GanLoss,
    latent_dim: usize,
    /// InfoGAN: the number of codes.
    info_codes: Option<usize>,
    /// The pack size when the generator runs once per pack slot
    /// ([`TrainConfig::generate_per_slot`]).
    slots: Option<usize>,
}

/// InfoGAN codes for one generator pass: one-hot `[B, K]` for the generator, indices `[B]`
/// for the cross-entropy.
struct Codes {
    one_hot: Tensor,
    index: Tensor,
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
            update: train.gan_update,
            objective: train.gan_loss,
            latent_dim: cfg.latent_dim,
            info_codes: cfg.info_codes(),
            slots: train.generate_per_slot.then_some(cfg.pack),
        })
    }

    /// The generator's samples for noise `z` and its conditioning `c`: one pass, or one per
    /// pack slot (slot `s` holds rows `s, s + p, s + 2p, …`), each with BatchNorm statistics of
    /// its own, interleaved back into packs.
    ///
    /// # Shapes
    /// - `z`: `[B, L]`, `c`: `[B, K]` → `[B, *sample_shape]`
    fn generate(&self, g: &Generator, z: &Tensor, c: Option<&Tensor>) -> Result<Tensor> {
        let Some(p) = self.slots else {
            return g.forward(z, c);
        };
        let b = z.dim(0)?;
        let slot = |t: &Tensor, s: usize| -> Result<Tensor> {
            let cols = t.dim(1)?;
            Ok(t.reshape((b / p, p, cols))?
                .narrow(1, s, 1)?
                .squeeze(1)?
                .contiguous()?)
        };
        let slots = (0..p)
            .map(|s| g.forward(&slot(z, s)?, c.map(|c| slot(c, s)).transpose()?.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        let x = Tensor::stack(&slots, 1)?; // [B/p, p, *sample_shape]
        let mut shape = vec![b];
        shape.extend(&x.dims()[2..]);
        Ok(x.reshape(shape)?)
    }

    /// `b` codes drawn uniformly (InfoGAN), else `None`.
    fn draw_codes(&self, b: usize, rng: &mut Rng, real: &Tensor) -> Result<Option<Codes>> {
        let Some(k) = self.info_codes else {
            return Ok(None);
        };
        let index: Vec<u32> = (0..b).map(|_| rng.below(k) as u32).collect();
        Ok(Some(Codes {
            one_hot: one_hot(&index, k, b, real.device())?,
            index: Tensor::from_vec(index, b, real.device())?,
        }))
    }
}

/// The cross-entropy of the discriminator's guess of `codes` from `features` (InfoGAN);
/// `None` without codes.
fn info_loss(
    d: &Discriminator,
    features: &Tensor,
    codes: Option<&Codes>,
    weights: Weights,
) -> Result<Option<Tensor>> {
    codes
        .map(|c| cross_entropy(&d.info_logits(features, weights)?, &c.index))
        .transpose()
}

/// `loss + info`, when there is an InfoGAN term.
fn plus(loss: Tensor, info: Option<&Tensor>) -> Result<Tensor> {
    Ok(match info {
        Some(i) => (loss + i)?,
        None => loss,
    })
}

fn mean_sigmoid(logits: &Tensor) -> Result<f32> {
    Ok(candle_nn::ops::sigmoid(logits)?.mean_all()?.to_scalar()?)
}

impl GanTrainer {
    /// `d_steps` discriminator updates, then the generator's against the updated
    /// discriminator, on fresh noise.
    ///
    /// # Shapes
    /// - `real`: `[B, *sample_shape]` in model space, `y`: `[B, K]`
    fn alternating(
        &mut self,
        gan: &Gan,
        real: &Tensor,
        y: Option<&Tensor>,
        rng: &mut Rng,
    ) -> Result<Metrics> {
        let (g, d) = (&gan.generator, &gan.discriminator);
        let b = real.dim(0)?;
        let mut m = Metrics::default();

        // The discriminator steps before the generator's loss is known: a non-finite metric
        // later in the step puts the discriminator back as it was.
        let before = self.d_opt.snapshot()?;
        let (mut d_loss, mut d_real, mut d_fake, mut d_info) = (0.0, 0.0, 0.0, None);
        for _ in 0..self.d_steps {
            let z = rng.normal_tensor(&[b, self.latent_dim], 1.0, real.device())?;
            let codes = self.draw_codes(b, rng, real)?;
            let fake = self
                .generate(g, &z, codes.as_ref().map(|c| &c.one_hot).or(y))?
                .detach();
            let (lr, _) = d.forward(real, y, Weights::Trained)?;
            let (lf, features) = d.forward(&fake, y, Weights::Trained)?;
            let info = info_loss(d, &features, codes.as_ref(), Weights::Trained)?;
            d_info = info.as_ref().map(|i| i.to_scalar::<f32>()).transpose()?;
            let loss = plus(discriminator_loss(&lr, &lf, self.objective)?, info.as_ref())?;
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
        let codes = self.draw_codes(b, rng, real)?;
        // The discriminator is frozen: only the generator's gradients are computed.
        let fake = self.generate(g, &z, codes.as_ref().map(|c| &c.one_hot).or(y))?;
        let (lf, features) = d.forward(&fake, y, Weights::Frozen)?;
        let info = info_loss(d, &features, codes.as_ref(), Weights::Frozen)?;
        let g_loss = plus(generator_loss(&lf, self.objective)?, info.as_ref())?;
        m.push("d_loss", d_loss);
        m.push("g_loss", g_loss.to_scalar::<f32>()?);
        m.push("d_real", d_real);
        m.push("d_fake", d_fake);
        if let Some(i) = d_info {
            m.push("info_loss", i);
        }
        if m.first_non_finite().is_some() {
            self.d_opt.restore(&before)?;
        } else {
            self.g_opt.step(&g_loss.backward()?)?;
        }
        Ok(m)
    }

    /// One noise draw, one generator pass; the discriminator's loss on detached fakes and the
    /// generator's through the discriminator as it was before this step; both gradients are
    /// taken before either network changes (the optimizers update weights in place).
    ///
    /// # Shapes
    /// - `real`: `[B, *sample_shape]` in model space, `y`: `[B, K]`
    fn simultaneous(
        &mut self,
        gan: &Gan,
        real: &Tensor,
        y: Option<&Tensor>,
        rng: &mut Rng,
    ) -> Result<Metrics> {
        let (g, d) = (&gan.generator, &gan.discriminator);
        let b = real.dim(0)?;
        let z = rng.normal_tensor(&[b, self.latent_dim], 1.0, real.device())?;
        let codes = self.draw_codes(b, rng, real)?;
        let fake = self.generate(g, &z, codes.as_ref().map(|c| &c.one_hot).or(y))?;
        let (lr, _) = d.forward(real, y, Weights::Trained)?;
        let (lf, features) = d.forward(&fake.detach(), y, Weights::Trained)?;
        let d_info = info_loss(d, &features, codes.as_ref(), Weights::Trained)?;
        let d_loss = plus(
            discriminator_loss(&lr, &lf, self.objective)?,
            d_info.as_ref(),
        )?;
        let (lg, features) = d.forward(&fake, y, Weights::Frozen)?;
        let g_info = info_loss(d, &features, codes.as_ref(), Weights::Frozen)?;
        let g_loss = plus(generator_loss(&lg, self.objective)?, g_info.as_ref())?;
        let mut m = Metrics::default();
        m.push("d_loss", d_loss.to_scalar::<f32>()?);
        m.push("g_loss", g_loss.to_scalar::<f32>()?);
        m.push("d_real", mean_sigmoid(&lr)?);
        m.push("d_fake", mean_sigmoid(&lf)?);
        if let Some(i) = &d_info {
            m.push("info_loss", i.to_scalar::<f32>()?);
        }
        if m.first_non_finite().is_none() {
            let (d_grads, g_grads) = (d_loss.backward()?, g_loss.backward()?);
            self.d_opt.step(&d_grads)?;
            self.g_opt.step(&g_grads)?;
        }
        Ok(m)
    }
}

impl Trainer for GanTrainer {
    fn step(&mut self, net: &Network, batch: &Batch, rng: &mut Rng) -> Result<Metrics> {
        let Model::Gan(gan) = net.model() else {
            return Err(Error::Argument("not a GAN".into()));
        };
        // An InfoGAN's codes are drawn, not the data's labels.
        let y = match self.info_codes {
            Some(_) => None,
            None => net.labels(batch.labels.as_deref(), batch.x.dim(0)?)?,
        };
        let real = gan.generator.from_data(&batch.x)?;
        match self.update {
            GanUpdate::Alternating => self.alternating(gan, &real, y.as_ref(), rng),
            GanUpdate::Simultaneous => self.simultaneous(gan, &real, y.as_ref(), rng),
        }
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

#[cfg(test)]
mod tests {
    use candle::{Device, D};

    use super::*;
    use crate::config::{ModelConfig, ModelKind};
    use crate::data::{Dataset, Toy};
    use crate::spec::ModelSpec;

    /// Per slot, the fakes of pack slot `s` (rows `s, s + 2, …`) are the generator's training
    /// pass over that slot's noise alone; over the whole batch, BatchNorm's statistics mix
    /// the slots and the same noise gives other samples.
    #[test]
    fn generating_per_slot_normalizes_each_slot_on_its_own() {
        let mut spec = ModelSpec::new(ModelKind::Gan);
        spec.pack = Some(2);
        spec.batch_norm = Some(true);
        spec.hidden = Some(vec![16, 16]);
        let info = Dataset::toy_for_run(Toy::Ring8, Some(100), 0).unwrap().info;
        let config = spec.build(&info).unwrap();
        let ModelConfig::Gan(cfg) = &config else {
            unreachable!("a GAN spec builds a GAN")
        };
        let net = Network::new(config.clone(), &Device::Cpu, &mut Rng::new(1)).unwrap();
        let train = TrainConfig {
            generate_per_slot: true,
            batch_size: 8,
            ..TrainConfig::default()
        };
        train.validate(&config).unwrap();
        let trainer = GanTrainer::new(&net, cfg, &train, train.optimizer).unwrap();
        let Model::Gan(gan) = net.model() else {
            unreachable!("a GAN config builds a GAN")
        };
        net.set_training(true);
        let z = Rng::new(2)
            .normal_tensor(&[8, 2], 1.0, &Device::Cpu)
            .unwrap();
        let fakes = trainer.generate(&gan.generator, &z, None).unwrap();
        let z_pairs = z.reshape((4, 2, 2)).unwrap();
        let fake_pairs = fakes.reshape((4, 2, 2)).unwrap();
        let max_diff = |a: &Tensor, b: &Tensor| -> f32 {
            (a - b)
                .unwrap()
                .abs()
                .unwrap()
                .max_keepdim(D::Minus1)
                .unwrap()
                .flatten_all()
                .unwrap()
                .max(0)
                .unwrap()
                .to_scalar()
                .unwrap()
        };
        for s in 0..2 {
            let z_s = z_pairs.narrow(1, s, 1).unwrap().squeeze(1).unwrap();
            let alone = gan
                .generator
                .forward(&z_s.contiguous().unwrap(), None)
                .unwrap();
            let got = fake_pairs.narrow(1, s, 1).unwrap().squeeze(1).unwrap();
            assert!(max_diff(&got, &alone) < 1e-6, "slot {s}");
        }
        let whole = gan.generator.forward(&z, None).unwrap();
        assert!(max_diff(&fakes, &whole) > 1e-3);

        // Without BatchNorm in the generator, or without packing, it would change nothing:
        // refused.
        let mut plain = spec.clone();
        plain.batch_norm = Some(false);
        let e = train.validate(&plain.build(&info).unwrap()).unwrap_err();
        assert!(
            e.to_string()
                .contains("pack ≥ 2 and a generator with BatchNorm"),
            "{e}"
        );
        let mut single = spec;
        single.pack = Some(1);
        assert!(train.validate(&single.build(&info).unwrap()).is_err());
    }
}
