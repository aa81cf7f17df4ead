//! VAE-GAN training, Larsen et al. (2016), Algorithm 1. With x̃ = Dec(Enc(x)) and
//! x_p = Dec(z_p), z_p ~ N(0, I), and Dis_l the discriminator's feature layer:
//! - L_prior = KL(q(z|x) ‖ p(z));
//! - L_llike = −log N(Dis_l(x); Dis_l(x̃), I) (the constant dropped): ½ Σ (Dis_l(x) − Dis_l(x̃))²;
//! - L_GAN = log Dis(x) + log(1 − Dis(x̃)) + log(1 − Dis(x_p)).
//!
//! The encoder minimizes β·L_prior + L_llike, the decoder γ·L_llike − L_GAN (non-saturating form),
//! the discriminator maximizes L_GAN. Three optimizers, one per part.

use super::{Adam, Trainer};
use crate::config::{AdamConfig, GanLoss, VaeGanConfig};
use crate::data::Batch;
use crate::losses::{discriminator_loss, generator_loss, kl_standard_normal, softplus};
use crate::metrics::Metrics;
use crate::models::layers::Weights;
use crate::models::{Model, Network, Vae};
use crate::rng::Rng;
use crate::{Error, Result};

pub struct VaeGanTrainer {
    enc: Adam,
    dec: Adam,
    dis: Adam,
    beta: f64,
    gamma: f64,
}

impl VaeGanTrainer {
    pub fn new(net: &Network, cfg: &VaeGanConfig, opt: AdamConfig) -> Result<Self> {
        Ok(Self {
            enc: Adam::new(net.vars_with_prefix(&["encoder."]), opt)?,
            dec: Adam::new(net.vars_with_prefix(&["decoder."]), opt)?,
            dis: Adam::new(net.vars_with_prefix(&["discriminator."]), opt)?,
            beta: cfg.vae.beta,
            gamma: cfg.gamma,
        })
    }
}

impl Trainer for VaeGanTrainer {
    fn step(&mut self, net: &Network, batch: &Batch, rng: &mut Rng) -> Result<Metrics> {
        let Model::VaeGan(model) = net.model() else {
            return Err(Error::Argument("not a VAE-GAN".into()));
        };
        let (vae, dis) = (&model.vae, &model.discriminator);
        let x = &batch.x;
        let b = x.dim(0)?;
        let y = net.labels(batch.labels.as_deref(), b)?;
        let y = y.as_ref();

        let (mu, logvar) = vae.encode(x, y)?;
        let logvar = logvar.expect("VAE-GAN encoders are variational");
        let eps = rng.normal_tensor(mu.dims(), 1.0, x.device())?;
        let z = Vae::reparameterize(&mu, &logvar, &eps)?;
        // The decoder reads a leaf copy of z, so the decoder's loss stops there instead of
        // running back through the encoder (whose gradient it does not need): the encoder
        // gets its reconstruction gradient from that leaf, one pass further down.
        let z_leaf = candle::Var::from_tensor(&z.detach())?;
        let x_tilde = vae.decode(z_leaf.as_tensor(), y)?;
        let z_p = rng.normal_tensor(mu.dims(), 1.0, x.device())?;
        let x_p = vae.decode(&z_p, y)?;

        let (l_real, f_real) = dis.forward(x, y, Weights::Trained)?;
        // Frozen: the encoder's and decoder's losses need no discriminator weight gradients.
        let (l_tilde, f_tilde) = dis.forward(&x_tilde, y, Weights::Frozen)?;
        let (l_p, _) = dis.forward(&x_p, y, Weights::Frozen)?;

        let kl = kl_standard_normal(&mu, &logvar)?.mean_all()?;
        let llike = ((f_real.detach() - &f_tilde)?.sqr()?.sum(1)? * 0.5)?.mean_all()?;
        // Generator side of L_GAN, non-saturating: −log Dis(x̃) − log Dis(x_p).
        let gan_g = (generator_loss(&l_tilde, GanLoss::Standard)?
            + generator_loss(&l_p, GanLoss::Standard)?)?;
        let enc_loss = ((&kl * self.beta)? + &llike)?;
        let dec_loss = ((&llike * self.gamma)? + &gan_g)?;

        // Discriminator on detached fakes (so its backward pass stops at the decoder).
        let (l_tilde_d, _) = dis.forward(&x_tilde.detach(), y, Weights::Trained)?;
        let (l_p_d, _) = dis.forward(&x_p.detach(), y, Weights::Trained)?;
        // Real against x̃, plus the fake half for x_p.
        let dis_loss = (discriminator_loss(&l_real, &l_tilde_d, GanLoss::Standard)?
            + softplus(&l_p_d)?.mean_all()?)?;

        let mut m = Metrics::default();
        m.push(
            "loss",
            (enc_loss.to_scalar::<f32>()? + dec_loss.to_scalar::<f32>()?) / 2.0,
        );
        m.push("kl", kl.to_scalar()?);
        m.push("feature_recon", llike.to_scalar()?);
        m.push("g_loss", gan_g.to_scalar()?);
        m.push("d_loss", dis_loss.to_scalar()?);
        m.push(
            "d_real",
            candle_nn::ops::sigmoid(&l_real)?.mean_all()?.to_scalar()?,
        );
        if m.first_non_finite().is_some() {
            return Ok(m);
        }
        let g_recon = llike.backward()?;
        let dz = g_recon.get(z_leaf.as_tensor()).ok_or_else(|| {
            Error::Argument("VAE-GAN: the decoder lost its input's gradient".into())
        })?;
        // ∂/∂θ_enc of β·KL + (z · ∂llike/∂z) is the encoder's gradient of enc_loss.
        let g_enc = ((&kl * self.beta)? + (&z * dz.detach())?.sum_all()?)?.backward()?;
        let g_dec = dec_loss.backward()?;
        let g_dis = dis_loss.backward()?;
        self.enc.step(&g_enc)?;
        self.dec.step(&g_dec)?;
        self.dis.step(&g_dis)?;
        Ok(m)
    }

    fn optimizers(&self) -> Vec<(&'static str, &Adam)> {
        vec![
            ("encoder", &self.enc),
            ("decoder", &self.dec),
            ("discriminator", &self.dis),
        ]
    }

    fn optimizers_mut(&mut self) -> Vec<(&'static str, &mut Adam)> {
        vec![
            ("encoder", &mut self.enc),
            ("decoder", &mut self.dec),
            ("discriminator", &mut self.dis),
        ]
    }
}

#[cfg(test)]
mod tests {
    use candle::{Device, Tensor};

    use super::*;
    use crate::config::{Arch, ModelKind};
    use crate::data::DataInfo;
    use crate::spec::ModelSpec;

    /// The step's split (the decoder reads a leaf copy of z; the encoder gets `∂llike/∂z`
    /// through `z · dz`) gives the encoder the gradient of `enc_loss` through the whole graph.
    #[test]
    fn the_encoders_gradient_through_the_leaf_is_enc_losss() {
        let mut spec = ModelSpec::new(ModelKind::VaeGan);
        spec.arch = Some(Arch::Mlp);
        spec.latent_dim = Some(3);
        spec.hidden = Some(vec![8]);
        let info = DataInfo {
            name: "test".into(),
            sample_shape: vec![1, 2, 3],
            value_range: [0.0, 1.0],
            normalization: "none".into(),
            dynamic_binarization: false,
            class_names: vec![],
            clusters: None,
        };
        let mut rng = Rng::new(4);
        let net = Network::new(spec.build(&info).unwrap(), &Device::Cpu, &mut rng).unwrap();
        let Model::VaeGan(model) = net.model() else {
            unreachable!()
        };
        let (vae, dis) = (&model.vae, &model.discriminator);
        let x = Tensor::from_vec(rng.normal_vec(4 * 6), (4, 1, 2, 3), &Device::Cpu)
            .unwrap()
            .abs()
            .unwrap();
        let (mu, logvar) = vae.encode(&x, None).unwrap();
        let logvar = logvar.unwrap();
        let eps = rng.normal_tensor(mu.dims(), 1.0, &Device::Cpu).unwrap();
        let z = Vae::reparameterize(&mu, &logvar, &eps).unwrap();
        let (_, f_real) = dis.forward(&x, None, Weights::Frozen).unwrap();
        let kl = kl_standard_normal(&mu, &logvar)
            .unwrap()
            .mean_all()
            .unwrap();
        let llike_of = |z: &Tensor| {
            let (_, f) = dis
                .forward(&vae.decode(z, None).unwrap(), None, Weights::Frozen)
                .unwrap();
            ((f_real.detach() - f)
                .unwrap()
                .sqr()
                .unwrap()
                .sum(1)
                .unwrap()
                * 0.5)
                .unwrap()
                .mean_all()
                .unwrap()
        };
        let beta = 0.7;
        let whole = ((&kl * beta).unwrap() + llike_of(&z))
            .unwrap()
            .backward()
            .unwrap();

        let leaf = candle::Var::from_tensor(&z.detach()).unwrap();
        let dz = llike_of(leaf.as_tensor()).backward().unwrap();
        let dz = dz.get(leaf.as_tensor()).unwrap().detach();
        let surrogate = ((&kl * beta).unwrap() + (&z * dz).unwrap().sum_all().unwrap()).unwrap();
        let split = surrogate.backward().unwrap();

        let encoder = net.vars_with_prefix(&["encoder."]);
        assert!(!encoder.is_empty());
        for (name, var) in encoder {
            let a = whole.get(var.as_tensor()).unwrap().flatten_all().unwrap();
            let b = split.get(var.as_tensor()).unwrap().flatten_all().unwrap();
            let (a, b) = (a.to_vec1::<f32>().unwrap(), b.to_vec1::<f32>().unwrap());
            for (u, v) in a.iter().zip(&b) {
                assert!(
                    (u - v).abs() <= 1e-5 * (1.0 + u.abs()),
                    "{name}: {u} vs {v}"
                );
            }
            assert!(a.iter().any(|u| *u != 0.0), "{name}: no gradient");
        }
    }
}
