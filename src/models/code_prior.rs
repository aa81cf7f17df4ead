//! A density over latent codes fitted after training: a mixture of diagonal Gaussians fitted
//! by EM to the encoder's codes of the training set (Ghosh et al. 2020, "From variational to
//! deterministic autoencoders": ex-post density estimation). A VAE's codes of real data
//! do not fill the N(0, I) it was trained against; codes drawn from N(0, I) then land where the
//! decoder has seen little, and decode to broken shapes. Codes drawn from the fitted mixture
//! land where the training codes are. The model's likelihood (ELBO, IWAE bound) stays the
//! one it was trained with, against N(0, I): the mixture only chooses random codes.
//!
//! Parameters (`prior.*`, no optimizer sees them): `log_weights [K]` (normalized by softmax
//! when sampling, so any finite values are a valid mixture), `means [K, L]`, `log_vars [K, L]`.

use std::collections::HashMap;

use candle::{Device, Tensor, Var};
use candle_nn::VarBuilder;
use rayon::prelude::*;

use super::Network;
use crate::config::CodePriorConfig;
use crate::data::{clusters, Dataset};
use crate::rng::Rng;
use crate::{Error, Result};

/// EM iterations after the k-means start: a fixed number, so a fit costs the same each time.
const EM_ITERATIONS: usize = 30;
/// Smallest variance a component keeps in any direction, so a component on a few identical
/// codes stays a density.
const MIN_VARIANCE: f64 = 1e-4;
/// Images encoded at once.
const ENCODE_BATCH: usize = 500;

/// The fitted mixture as it lives in the model: one, or for a class-conditional model one
/// per class (the rows of class `y` are `y·K .. (y+1)·K`).
pub struct CodePrior {
    log_weights: Var,
    means: Var,
    log_vars: Var,
    /// Components per mixture.
    components: usize,
    /// One mixture per class.
    classes: Option<usize>,
}

/// A fitted mixture's values (f64), `K` components of width `L`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixture {
    pub weights: Vec<f64>,
    pub means: Vec<f64>,
    pub vars: Vec<f64>,
    pub dim: usize,
}

impl CodePrior {
    /// Parameters `log_weights [R]`, `means [R, L]`, `log_vars [R, L]` under `vb`, with
    /// `R = K` or, per class, `K · C`.
    pub fn new(cfg: &CodePriorConfig, latent_dim: usize, vb: VarBuilder) -> Result<Self> {
        let (k, l) = (cfg.components * cfg.classes.unwrap_or(1), latent_dim);
        let var = |name: &str, dims: &[usize]| -> Result<Var> {
            let t = vb.get_with_hints(dims, name, candle_nn::Init::Const(0.0))?;
            Ok(Var::from_tensor(&t)?)
        };
        Ok(Self {
            log_weights: var("log_weights", &[k])?,
            means: var("means", &[k, l])?,
            log_vars: var("log_vars", &[k, l])?,
            components: cfg.components,
            classes: cfg.classes,
        })
    }

    /// Whether it holds one mixture per class (and so needs each code's class to draw it).
    pub fn is_per_class(&self) -> bool {
        self.classes.is_some()
    }

    /// `n` codes: a component drawn by its weight (among its class's, per class), then its
    /// mean plus `temperature` times its standard deviation times N(0, 1) noise. Per code,
    /// one uniform draw then `L` normal ones, from `rng`. `labels` (`n` classes) only, and
    /// always, for a prior per class.
    ///
    /// # Shapes
    /// → `[n, L]`
    pub fn sample(
        &self,
        n: usize,
        rng: &mut Rng,
        temperature: f32,
        labels: Option<&[u32]>,
    ) -> Result<Tensor> {
        let k = self.components;
        let block = |i: usize| -> Result<usize> {
            match (self.classes, labels) {
                (None, None) => Ok(0),
                (Some(c), Some(y)) if y.len() == n => match y[i] as usize {
                    class if class < c => Ok(class),
                    class => Err(Error::Argument(format!(
                        "class {class} is not below the code prior's {c} classes"
                    ))),
                },
                (Some(_), _) => Err(Error::Argument(format!(
                    "a code prior per class needs the class of each of the {n} codes, got {}",
                    labels.map_or("none".into(), |y| format!("{} classes", y.len()))
                ))),
                (None, Some(_)) => Err(Error::Argument(
                    "classes given to a code prior of one mixture".into(),
                )),
            }
        };
        let lw: Vec<f32> = self.log_weights.as_tensor().to_vec1()?;
        let means: Vec<f32> = self.means.as_tensor().flatten_all()?.to_vec1()?;
        let log_vars: Vec<f32> = self.log_vars.as_tensor().flatten_all()?.to_vec1()?;
        let l = means.len() / lw.len();
        // Each mixture's weights, from its log-weights (any finite values).
        let w: Vec<f64> = lw
            .chunks_exact(k)
            .flat_map(|m| {
                let top = m.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let w: Vec<f64> = m.iter().map(|v| ((v - top) as f64).exp()).collect();
                let total: f64 = w.iter().sum();
                w.into_iter().map(move |v| v / total)
            })
            .collect();
        let mut z = Vec::with_capacity(n * l);
        for i in 0..n {
            let b = block(i)?;
            let u = rng.uniform() as f64;
            let mut acc = 0.0;
            let c = b * k
                + w[b * k..(b + 1) * k]
                    .iter()
                    .position(|wc| {
                        acc += wc;
                        u < acc
                    })
                    .unwrap_or(k - 1);
            let eps = rng.normal_vec(l);
            let row = c * l..(c + 1) * l;
            z.extend(
                means[row.clone()]
                    .iter()
                    .zip(&log_vars[row])
                    .zip(eps)
                    .map(|((m, lv), e)| m + temperature * (0.5 * lv).exp() * e),
            );
        }
        Ok(Tensor::from_vec(
            z,
            (n, l),
            self.means.as_tensor().device(),
        )?)
    }
}

impl Mixture {
    /// Mixtures of one width stacked, one after the other (a prior per class).
    fn concat(parts: &[Mixture]) -> Mixture {
        Mixture {
            weights: parts.iter().flat_map(|m| m.weights.clone()).collect(),
            means: parts.iter().flat_map(|m| m.means.clone()).collect(),
            vars: parts.iter().flat_map(|m| m.vars.clone()).collect(),
            dim: parts[0].dim,
        }
    }

    /// The tensors a model with this mixture holds (`prior.*`), on `device`.
    fn tensors(&self, device: &Device) -> Result<Vec<(String, Tensor)>> {
        let k = self.weights.len();
        let f32s = |v: &[f64], f: fn(f64) -> f64| v.iter().map(|&x| f(x) as f32).collect();
        Ok(vec![
            (
                "prior.log_weights".into(),
                Tensor::from_vec(f32s(&self.weights, f64::ln), k, device)?,
            ),
            (
                "prior.means".into(),
                Tensor::from_vec(f32s(&self.means, |x| x), (k, self.dim), device)?,
            ),
            (
                "prior.log_vars".into(),
                Tensor::from_vec(f32s(&self.vars, f64::ln), (k, self.dim), device)?,
            ),
        ])
    }

    /// What [`Self::log_joint`] needs of each component, computed once rather than per code.
    fn log_density_terms(&self) -> LogDensityTerms {
        let d = self.dim;
        let half_log_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        LogDensityTerms {
            inv_vars: self.vars.iter().map(|v| 1.0 / v).collect(),
            consts: (0..self.weights.len())
                .map(|c| {
                    let log_det: f64 = self.vars[c * d..(c + 1) * d].iter().map(|v| v.ln()).sum();
                    self.weights[c].ln() - 0.5 * log_det - d as f64 * half_log_2pi
                })
                .collect(),
        }
    }

    /// Fills `lp[c]` with log(w_c · N(z; μ_c, σ²_c)) and returns log Σ_c of their
    /// exponentials (log p(z)); `terms` are this mixture's [`Self::log_density_terms`].
    fn log_joint(&self, terms: &LogDensityTerms, z: &[f32], lp: &mut [f64]) -> f64 {
        let d = self.dim;
        for (c, out) in lp.iter_mut().enumerate() {
            let (m, iv) = (
                &self.means[c * d..(c + 1) * d],
                &terms.inv_vars[c * d..(c + 1) * d],
            );
            // Four independent running sums, which the compiler can keep in vector registers.
            let mut q = [0.0f64; 4];
            let (zc, mc, ic) = (z.chunks_exact(4), m.chunks_exact(4), iv.chunks_exact(4));
            let (zr, mr, ir) = (zc.remainder(), mc.remainder(), ic.remainder());
            for ((z4, m4), i4) in zc.zip(mc).zip(ic) {
                for j in 0..4 {
                    let e = z4[j] as f64 - m4[j];
                    q[j] += e * e * i4[j];
                }
            }
            for ((&x, &mu), &iv) in zr.iter().zip(mr).zip(ir) {
                let e = x as f64 - mu;
                q[0] += e * e * iv;
            }
            *out = terms.consts[c] - 0.5 * ((q[0] + q[1]) + (q[2] + q[3]));
        }
        let top = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        top + lp.iter().map(|v| (v - top).exp()).sum::<f64>().ln()
    }
}

/// Per component of a [`Mixture`]: 1/σ² (`K × L`) and log w_c − ½ Σ_i log σ²_ci − (L/2) log 2π.
struct LogDensityTerms {
    inv_vars: Vec<f64>,
    consts: Vec<f64>,
}

/// Fits a mixture of `k` diagonal Gaussians to `codes` (`n × dim` values): k-means (seeded
/// by `seed`) for the start, then `EM_ITERATIONS` of EM. The result depends on the codes and
/// the seed alone.
pub fn fit_mixture(codes: &[f32], dim: usize, k: usize, seed: u64) -> Result<Mixture> {
    let n = codes.len().checked_div(dim).unwrap_or(0);
    // Each sample's responsibility for each component, in f64.
    crate::budget::check_rows("mixture responsibilities", n, k.saturating_mul(2))?;
    let start = clusters::kmeans(codes, dim, k, seed)?;
    // Responsibilities: the k-means partition to start.
    let mut resp = vec![0.0; n * k];
    for (r, &c) in start.labels.iter().enumerate() {
        resp[r * k + c as usize] = 1.0;
    }
    let mut mix = Mixture {
        weights: vec![0.0; k],
        means: vec![0.0; k * dim],
        vars: vec![0.0; k * dim],
        dim,
    };
    for iteration in 0..=EM_ITERATIONS {
        if iteration > 0 {
            // E step: each code's responsibilities on their own (in parallel, the same bits).
            let terms = mix.log_density_terms();
            resp.par_chunks_mut(k)
                .zip(codes.par_chunks_exact(dim))
                .for_each_init(
                    || vec![0.0; k],
                    |lp, (row, z)| {
                        let total = mix.log_joint(&terms, z, lp);
                        for (r, l) in row.iter_mut().zip(lp.iter()) {
                            *r = (l - total).exp();
                        }
                    },
                );
        }
        maximize(codes, &resp, &mut mix);
    }
    Ok(mix)
}

/// The M step: weights, means and variances from the responsibilities `resp` (`n × k`).
fn maximize(codes: &[f32], resp: &[f64], mix: &mut Mixture) {
    let (d, k) = (mix.dim, mix.weights.len());
    let n = codes.len() / d;
    let mut mass = vec![0.0; k];
    let mut sum = vec![0.0; k * d];
    let mut sq = vec![0.0; k * d];
    for (z, row) in codes.chunks_exact(d).zip(resp.chunks_exact(k)) {
        for (c, &r) in row.iter().enumerate().filter(|(_, &r)| r > 1e-12) {
            mass[c] += r;
            for (i, &x) in z.iter().enumerate() {
                let x = x as f64;
                sum[c * d + i] += r * x;
                sq[c * d + i] += r * x * x;
            }
        }
    }
    for c in 0..k {
        // A component no code claims keeps a tiny weight and its place.
        let m = mass[c].max(1e-9);
        mix.weights[c] = m / n as f64;
        for i in 0..d {
            if mass[c] > 1e-9 {
                let mean = sum[c * d + i] / m;
                mix.means[c * d + i] = mean;
                mix.vars[c * d + i] = (sq[c * d + i] / m - mean * mean).max(MIN_VARIANCE);
            } else {
                mix.vars[c * d + i] = mix.vars[c * d + i].max(MIN_VARIANCE);
            }
        }
    }
    let total: f64 = mix.weights.iter().sum();
    mix.weights.iter_mut().for_each(|w| *w /= total);
}

impl Network {
    /// This model with a code prior of `components` Gaussians fitted to its codes of
    /// `data`'s samples: `μ(x) + σ(x)·ε` for a VAE (the aggregate posterior), `μ(x)` for an
    /// autoencoder; binarized first when the model was trained on binarized data, with
    /// their labels for a conditional model. `seed` draws the noise (binarization, ε) and
    /// starts the fit. Replaces a prior fitted before.
    pub fn with_fitted_code_prior(
        &self,
        data: &Dataset,
        binarize: bool,
        components: usize,
        seed: u64,
    ) -> Result<Network> {
        let l = self.latent_dim_or_err()?;
        if self.model().vae().is_none() {
            return Err(Error::Argument(format!(
                "a code prior is fitted to an encoder's codes: a {} has none",
                self.config().kind()
            )));
        }
        let n = data.len();
        if !(1..=CodePriorConfig::MAX_COMPONENTS).contains(&components) || n < components {
            return Err(Error::Argument(format!(
                "a code prior takes 1 to {} components, at most one per training sample ({n}); \
                 got {components}",
                CodePriorConfig::MAX_COMPONENTS
            )));
        }
        // A class-conditional model's codes are fitted class by class.
        let classes = self.config().num_classes();
        let labels = match (classes, &data.labels) {
            (None, _) => None,
            (Some(_), Some(y)) => Some(y),
            (Some(_), None) => {
                return Err(Error::Argument(
                    "a class-conditional model's code prior is fitted class by class: the \
                     training data has no labels"
                        .into(),
                ))
            }
        };
        let mut rng = Rng::new(seed);
        let mut codes = Vec::with_capacity(n * l);
        for start in (0..n).step_by(ENCODE_BATCH) {
            let idx: Vec<usize> = (start..n.min(start + ENCODE_BATCH)).collect();
            let b = data.batch(&idx, binarize, &mut rng, self.device())?;
            let (mu, logvar) = self.encode(&b.x, b.labels.as_deref())?;
            let z = match logvar {
                Some(lv) => {
                    let eps = rng.normal_tensor(mu.dims(), 1.0, self.device())?;
                    super::Vae::reparameterize(&mu, &lv, &eps)?
                }
                None => mu,
            };
            codes.extend(z.flatten_all()?.to_vec1::<f32>()?);
        }
        let mixture = match (classes, labels) {
            (Some(c), Some(y)) => {
                let mut parts = Vec::with_capacity(c);
                for class in 0..c {
                    let own: Vec<f32> = codes
                        .chunks_exact(l)
                        .zip(y.iter())
                        .filter(|(_, &label)| label as usize == class)
                        .flat_map(|(z, _)| z.iter().copied())
                        .collect();
                    if own.len() < components * l {
                        return Err(Error::Argument(format!(
                            "class {class} has {} training samples, fewer than the {components} \
                             components its mixture would need",
                            own.len() / l
                        )));
                    }
                    parts.push(fit_mixture(
                        &own,
                        l,
                        components,
                        seed.wrapping_add(class as u64),
                    )?);
                }
                Mixture::concat(&parts)
            }
            _ => fit_mixture(&codes, l, components, seed)?,
        };
        let prior = CodePriorConfig {
            components,
            classes,
            codes: n,
            seed,
        };
        self.with_prior_tensors(Some(prior), mixture.tensors(self.device())?)
    }

    /// A copy of this model without its code prior: random codes come from N(0, I) again, as
    /// it was trained (the tutorial's widgets show that). The copy is not frozen.
    pub fn without_code_prior(&self) -> Result<Network> {
        self.with_prior_tensors(None, Vec::new())
    }

    /// A copy of this model whose code prior is `prior`, held in
    /// `tensors` (`prior.*`; none for `None`).
    fn with_prior_tensors(
        &self,
        prior: Option<CodePriorConfig>,
        tensors: Vec<(String, Tensor)>,
    ) -> Result<Network> {
        let config = self.config().clone().with_code_prior(prior);
        let mut all: HashMap<String, Tensor> = self
            .named_tensors()
            .into_iter()
            .filter(|(name, _)| !name.starts_with("prior."))
            .collect();
        all.extend(tensors);
        Network::from_tensors(
            config,
            &all,
            self.device(),
            !self.is_without_discriminator(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean log-density of `codes` (`n × dim`) under `mix`, in nats.
    fn mean_log_density(mix: &Mixture, codes: &[f32]) -> f64 {
        let n = codes.len() / mix.dim;
        let mut lp = vec![0.0; mix.weights.len()];
        let terms = mix.log_density_terms();
        codes
            .chunks_exact(mix.dim)
            .map(|z| mix.log_joint(&terms, z, &mut lp))
            .sum::<f64>()
            / n as f64
    }

    /// Codes from a known two-component mixture in 2-D.
    fn two_blobs(n: usize, rng: &mut Rng) -> Vec<f32> {
        let mut z = Vec::with_capacity(2 * n);
        for i in 0..n {
            let e = rng.normal_vec(2);
            // 30 % at (−3, 0) with σ (0.5, 1); 70 % at (2, 1) with σ (1, 0.2).
            if i % 10 < 3 {
                z.extend([-3.0 + 0.5 * e[0], e[1]]);
            } else {
                z.extend([2.0 + e[0], 1.0 + 0.2 * e[1]]);
            }
        }
        z
    }

    /// `log_joint` (four running sums and a remainder, per-component terms computed once)
    /// against the density written out term by term, for widths on both sides of four.
    #[test]
    fn log_joint_is_the_mixture_density_at_every_width() {
        let mut rng = Rng::new(7);
        for dim in [1, 2, 4, 5, 7, 32] {
            let k = 3;
            let mix = Mixture {
                weights: vec![0.2, 0.3, 0.5],
                means: rng.normal_vec(k * dim).iter().map(|&v| v as f64).collect(),
                vars: rng
                    .uniform_vec(k * dim, 0.1, 2.0)
                    .iter()
                    .map(|&v| v as f64)
                    .collect(),
                dim,
            };
            let z = rng.normal_vec(dim);
            let mut lp = vec![0.0; k];
            let got = mix.log_joint(&mix.log_density_terms(), &z, &mut lp);
            let density: f64 = (0..k)
                .map(|c| {
                    let (means, vars) = (
                        &mix.means[c * dim..(c + 1) * dim],
                        &mix.vars[c * dim..(c + 1) * dim],
                    );
                    let mut p = mix.weights[c];
                    for ((&x, &m), &v) in z.iter().zip(means).zip(vars) {
                        let e = x as f64 - m;
                        p *= (-0.5 * e * e / v).exp() / (2.0 * std::f64::consts::PI * v).sqrt();
                    }
                    p
                })
                .sum();
            assert!(
                (got - density.ln()).abs() < 1e-9 * density.ln().abs().max(1.0),
                "dim {dim}: {got} vs {}",
                density.ln()
            );
        }
    }

    #[test]
    fn em_recovers_a_known_mixture() {
        let codes = two_blobs(20_000, &mut Rng::new(1));
        let mix = fit_mixture(&codes, 2, 2, 3).unwrap();
        // The component at x < 0 first.
        let a = if mix.means[0] < 0.0 { 0 } else { 1 };
        let b = 1 - a;
        let close = |got: f64, want: f64, tol: f64| {
            assert!((got - want).abs() < tol, "{got} vs {want} ({mix:?})")
        };
        close(mix.weights[a], 0.3, 0.01);
        close(mix.weights[b], 0.7, 0.01);
        close(mix.means[2 * a], -3.0, 0.03);
        close(mix.means[2 * b + 1], 1.0, 0.03);
        close(mix.vars[2 * a], 0.25, 0.02);
        close(mix.vars[2 * a + 1], 1.0, 0.05);
        close(mix.vars[2 * b], 1.0, 0.05);
        close(mix.vars[2 * b + 1], 0.04, 0.005);
    }

    #[test]
    fn one_component_is_the_codes_own_gaussian_and_two_fit_two_blobs_better() {
        let codes = two_blobs(4000, &mut Rng::new(2));
        let one = fit_mixture(&codes, 2, 1, 1).unwrap();
        let two = fit_mixture(&codes, 2, 2, 1).unwrap();
        // One component is the codes' own mean and variance.
        let n = 4000.0;
        let mean_x: f64 = codes.iter().step_by(2).map(|&v| v as f64).sum::<f64>() / n;
        assert!((one.means[0] - mean_x).abs() < 1e-9);
        assert!(mean_log_density(&two, &codes) > mean_log_density(&one, &codes) + 0.5);
    }

    #[test]
    fn sampling_draws_components_by_weight_and_scales_by_temperature() {
        let dev = Device::Cpu;
        let varmap = candle_nn::VarMap::new();
        let cfg = CodePriorConfig {
            components: 2,
            classes: None,
            codes: 2,
            seed: 0,
        };
        let prior = CodePrior::new(
            &cfg,
            1,
            VarBuilder::from_varmap(&varmap, candle::DType::F32, &dev),
        )
        .unwrap();
        // Weights 1 : 3 (log-weights need not be normalized), means −10 and 10, σ 0.5 and 2.
        let set = |v: &Var, values: &[f32], dims: &[usize]| {
            v.set(&Tensor::from_slice(values, dims, &dev).unwrap())
                .unwrap()
        };
        set(&prior.log_weights, &[5.0, 5.0 + 3f32.ln()], &[2]);
        set(&prior.means, &[-10.0, 10.0], &[2, 1]);
        set(&prior.log_vars, &[0.25f32.ln(), 4f32.ln()], &[2, 1]);
        let z: Vec<f32> = prior
            .sample(20_000, &mut Rng::new(5), 0.5, None)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let high: Vec<f32> = z.iter().copied().filter(|&v| v > 0.0).collect();
        let share = high.len() as f64 / z.len() as f64;
        assert!((share - 0.75).abs() < 0.015, "{share}");
        let mean = high.iter().sum::<f32>() / high.len() as f32;
        let sd = (high.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / high.len() as f32).sqrt();
        assert!((mean - 10.0).abs() < 0.03, "{mean}");
        // σ 2 at temperature 0.5.
        assert!((sd - 1.0).abs() < 0.03, "{sd}");
    }
}
