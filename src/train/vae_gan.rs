//! VAE-GAN training, Larsen et al. (2016), Algorithm 1. With x̃ = Dec(Enc(x)) and
//! x_p = Dec(z_p), z_p ~ N(0, I), and Dis_l the discriminator's feature layer:
//! - L_prior = KL(q(z|x) ‖ p(z));
//! - L_llike = −log N(Dis_l(x); Dis_l(x̃), I) (the constant dropped): ½ Σ (Dis_l(x) − Dis_l(x̃))²;
//! - L_GAN = log Dis(x) + log(1 − Dis(x̃)) + log(1 − Dis(x_p)).
//!
//! The encoder minimizes β·L_prior + L_llike, the decoder γ·L_llike − L_GAN (non-saturating form),
//! the discriminator maximizes L_GAN. Three optimizers, one per part.

use super::{Adam, Trainer};
use crate::config::{AdamConfig, VaeGanConfig};
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
        let x_tilde = vae.decode(&Vae::reparameterize(&mu, &logvar, &eps)?, y)?;
        let z_p = rng.normal_tensor(mu.dims(), 1.0, x.device())?;
        let x_p = vae.decode(&z_p, y)?;

        let (l_real, f_real) = dis.forward(x, y, Weights::Trained)?;
        // Frozen: the encoder's and decoder's losses need no discriminator weight gradients.
        let (l_tilde, f_tilde) = dis.forward(&x_tilde, y, Weights::Frozen)?;
        let (l_p, _) = dis.forward(&x_p, y, Weights::Frozen)?;

        let kl = kl_standard_normal(&mu, &logvar)?.mean_all()?;
        let llike = ((f_real.detach() - &f_tilde)?.sqr()?.sum(1)? * 0.5)?.mean_all()?;
        // Generator side of L_GAN, non-saturating: −log Dis(x̃) − log Dis(x_p).
        let gan_g = (generator_loss(&l_tilde)? + generator_loss(&l_p)?)?;
        let enc_loss = ((&kl * self.beta)? + &llike)?;
        let dec_loss = ((&llike * self.gamma)? + &gan_g)?;

        // Discriminator on detached fakes (so its backward pass stops at the decoder).
        let (l_tilde_d, _) = dis.forward(&x_tilde.detach(), y, Weights::Trained)?;
        let (l_p_d, _) = dis.forward(&x_p.detach(), y, Weights::Trained)?;
        // Real against x̃, plus the fake half for x_p.
        let dis_loss =
            (discriminator_loss(&l_real, &l_tilde_d)? + softplus(&l_p_d)?.mean_all()?)?;

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
        let g_enc = enc_loss.backward()?;
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
