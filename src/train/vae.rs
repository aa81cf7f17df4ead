//! Autoencoder and VAE training: the negative ELBO (or the IWAE bound) per sample, averaged.

use super::{Adam, Trainer};
use crate::config::{AdamConfig, TrainConfig, VaeConfig};
use crate::data::Batch;
use crate::losses::{kl_standard_normal, reconstruction_nll};
use crate::metrics::Metrics;
use crate::models::iwae::{doubly_reparameterized, iwae_bound, log_weights};
use crate::models::{Network, Vae};
use crate::rng::Rng;
use crate::{Error, Result};

pub struct VaeTrainer {
    opt: Adam,
    beta: f64,
    iwae_k: usize,
    dreg: bool,
    kl_warmup: u64,
}

impl VaeTrainer {
    pub fn new(
        net: &Network,
        cfg: &VaeConfig,
        train: &TrainConfig,
        opt: AdamConfig,
    ) -> Result<Self> {
        Ok(Self {
            opt: Adam::new(net.vars_with_prefix(&["encoder.", "decoder."]), opt)?,
            beta: cfg.beta,
            iwae_k: train.iwae_k,
            dreg: train.dreg,
            kl_warmup: train.kl_warmup,
        })
    }

    /// The KL term's weight in the coming step: β, or during a warm-up of N steps β·t/N at
    /// the t-th step (counted by the optimizer, so a resumed run goes on where it stopped).
    fn kl_weight(&self) -> f64 {
        if self.kl_warmup == 0 {
            return self.beta;
        }
        let t = self.opt.steps() + 1;
        self.beta * (t.min(self.kl_warmup) as f64 / self.kl_warmup as f64)
    }
}

impl Trainer for VaeTrainer {
    fn step(&mut self, net: &Network, batch: &Batch, rng: &mut Rng) -> Result<Metrics> {
        let vae = net
            .model()
            .vae()
            .ok_or_else(|| Error::Argument("not a VAE".into()))?;
        let y = net.labels(batch.labels.as_deref(), batch.x.dim(0)?)?;
        let x = &batch.x;
        let mut m = Metrics::default();
        // The loss, and its gradients where the step's estimator is not plain backpropagation.
        let (loss, grads) = match (vae.is_variational(), self.iwae_k) {
            (false, _) => {
                let (z, _) = vae.encode(x, y.as_ref())?;
                let recon =
                    reconstruction_nll(&vae.decode_raw(&z, y.as_ref())?, x, vae.likelihood())?
                        .mean_all()?;
                m.push("loss", recon.to_scalar()?);
                (recon, None)
            }
            (true, 1) => {
                let (mu, logvar) = vae.encode(x, y.as_ref())?;
                let logvar = logvar.expect("variational encoders have a logvar head");
                let eps = rng.normal_tensor(mu.dims(), 1.0, x.device())?;
                let z = Vae::reparameterize(&mu, &logvar, &eps)?;
                let recon =
                    reconstruction_nll(&vae.decode_raw(&z, y.as_ref())?, x, vae.likelihood())?
                        .mean_all()?;
                let kl = kl_standard_normal(&mu, &logvar)?.mean_all()?;
                let weight = self.kl_weight();
                let loss = (&recon + (&kl * weight)?)?;
                let (r, k) = (recon.to_scalar::<f32>()?, kl.to_scalar::<f32>()?);
                m.push("loss", loss.to_scalar()?);
                m.push("recon", r);
                m.push("kl", k);
                m.push("elbo", -(r + k));
                if self.kl_warmup > 0 {
                    m.push("kl_weight", weight as f32);
                }
                (loss, None)
            }
            (true, k) => {
                // The KL term's weight multiplies each sample's log p(z) − log q(z|x).
                let weight = self.kl_weight();
                let (bound, grads) = if self.dreg {
                    let (bound, grads) =
                        doubly_reparameterized(vae, x, y.as_ref(), k, weight, rng)?;
                    (bound, Some(grads))
                } else {
                    let log_w = log_weights(vae, x, y.as_ref(), k, weight, rng)?;
                    (iwae_bound(&log_w)?.mean_all()?, None)
                };
                let loss = bound.neg()?;
                m.push("loss", loss.to_scalar()?);
                // Weighted otherwise, it bounds no likelihood.
                if weight == 1.0 {
                    m.push("iwae_bound", bound.to_scalar()?);
                }
                if self.kl_warmup > 0 {
                    m.push("kl_weight", weight as f32);
                }
                (loss, grads)
            }
        };
        if m.first_non_finite().is_none() {
            let grads = match grads {
                Some(grads) => grads,
                None => loss.backward()?,
            };
            self.opt.step(&grads)?;
        }
        Ok(m)
    }

    fn optimizers(&self) -> Vec<(&'static str, &Adam)> {
        vec![("model", &self.opt)]
    }

    fn optimizers_mut(&mut self) -> Vec<(&'static str, &mut Adam)> {
        vec![("model", &mut self.opt)]
    }
}
