//! Adam / AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019) with its moments exposed, so a
//! checkpoint can carry them and `--resume` continues exactly. Candle's own `AdamW` keeps them
//! private and defaults to weight decay 0.01; here every hyperparameter is explicit. On the CPU
//! each step is one fused pass per parameter that updates it in place
//! ([`crate::kernels::adam`]); on other devices it is made of tensor ops.

use std::collections::HashMap;

use candle::backprop::GradStore;
use candle::{Tensor, Var};

use crate::config::AdamConfig;
use crate::kernels::{self, adam::AdamStep};
use crate::{Error, Result};

/// A parameter's first and second moments.
#[derive(Clone)]
enum Moments {
    /// Host memory, updated in place with the parameter (CPU f32 parameters).
    Host { m: Vec<f32>, v: Vec<f32> },
    /// Device tensors, replaced each step.
    Device { m: Tensor, v: Tensor },
}

struct Param {
    name: String,
    var: Var,
    moments: Moments,
}

impl Param {
    fn new(name: String, var: Var) -> Result<Self> {
        let t = var.as_tensor();
        let moments = if kernels::applies(t) {
            let n = t.elem_count();
            Moments::Host {
                m: vec![0.0; n],
                v: vec![0.0; n],
            }
        } else {
            let m = t.zeros_like()?;
            Moments::Device { m: m.clone(), v: m }
        };
        Ok(Self { name, var, moments })
    }

    /// The moments as tensors (on the parameter's device).
    fn moment_tensors(&self) -> Result<(Tensor, Tensor)> {
        Ok(match &self.moments {
            Moments::Host { m, v } => {
                let t = self.var.as_tensor();
                let as_tensor = |x: &Vec<f32>| Tensor::from_slice(x, t.dims(), t.device());
                (as_tensor(m)?, as_tensor(v)?)
            }
            Moments::Device { m, v } => (m.clone(), v.clone()),
        })
    }
}

/// An optimizer's variables, moments and step count at one moment: [`Adam::restore`] undoes
/// the updates taken since [`Adam::snapshot`].
pub struct AdamSnapshot {
    /// Deep copies: updates write the variables' storage in place.
    values: Vec<Tensor>,
    moments: Vec<Moments>,
    steps: u64,
}

/// Adam over a named set of variables.
pub struct Adam {
    cfg: AdamConfig,
    params: Vec<Param>,
    /// Updates taken so far (the bias correction's `t`).
    steps: u64,
}

impl Adam {
    pub fn new(vars: Vec<(String, Var)>, cfg: AdamConfig) -> Result<Self> {
        cfg.validate()?;
        let params = vars
            .into_iter()
            .map(|(name, var)| Param::new(name, var))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            cfg,
            params,
            steps: 0,
        })
    }

    pub fn config(&self) -> &AdamConfig {
        &self.cfg
    }

    pub fn set_lr(&mut self, lr: f64) -> Result<()> {
        let cfg = AdamConfig { lr, ..self.cfg };
        cfg.validate()?;
        self.cfg = cfg;
        Ok(())
    }

    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// One update from `grads`. Variables without a gradient (not reached by the loss) keep
    /// their value and moments.
    ///
    /// m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
    /// θ ← θ − lr·(m̂ / (√v̂ + ε) + λθ), with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.steps += 1;
        let c = self.cfg;
        // β^t is 0 in f64 long before t leaves i32 (a step count may reach 2⁴⁰).
        let t = self.steps.min(i32::MAX as u64) as i32;
        let (bc1, bc2) = (1.0 - c.beta1.powi(t), 1.0 - c.beta2.powi(t));
        let fused = AdamStep {
            lr: c.lr as f32,
            beta1: c.beta1 as f32,
            beta2: c.beta2 as f32,
            eps: c.eps as f32,
            weight_decay: c.weight_decay as f32,
            bias_correction1: bc1 as f32,
            bias_correction2: bc2 as f32,
        };
        for p in &mut self.params {
            let Some(g) = grads.get(p.var.as_tensor()) else {
                continue;
            };
            match &mut p.moments {
                Moments::Host { m, v } => fused.update(p.var.as_tensor(), g, m, v)?,
                Moments::Device { m, v } => {
                    // Detached: a gradient still references the step's graph, and moments
                    // built from it would otherwise keep every past step's graph alive.
                    *m = ((&*m * c.beta1)? + (g * (1.0 - c.beta1))?)?.detach();
                    *v = ((&*v * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?.detach();
                    let denom = ((&*v / bc2)?.sqrt()? + c.eps)?;
                    let update = ((&*m / bc1)? / denom)?;
                    let theta = p.var.as_tensor();
                    let next = ((theta * (1.0 - c.lr * c.weight_decay))? - (update * c.lr)?)?;
                    p.var.set(&next)?;
                }
            }
        }
        Ok(())
    }

    /// A copy of every variable, moment and the step count (three times the parameters' bytes).
    pub fn snapshot(&self) -> Result<AdamSnapshot> {
        Ok(AdamSnapshot {
            values: self
                .params
                .iter()
                .map(|p| p.var.as_tensor().copy())
                .collect::<candle::Result<_>>()?,
            moments: self.params.iter().map(|p| p.moments.clone()).collect(),
            steps: self.steps,
        })
    }

    /// Puts back the variables, moments and step count of `snap` (taken from this optimizer).
    pub fn restore(&mut self, snap: &AdamSnapshot) -> Result<()> {
        if snap.values.len() != self.params.len() {
            return Err(Error::Argument(
                "the snapshot is of another optimizer".into(),
            ));
        }
        for ((p, value), moments) in self.params.iter_mut().zip(&snap.values).zip(&snap.moments) {
            p.var.set(value)?;
            p.moments = moments.clone();
        }
        self.steps = snap.steps;
        Ok(())
    }

    /// The moments as tensors named `optim.<group>.m.<var>` and `optim.<group>.v.<var>`.
    pub fn state_tensors(&self, group: &str) -> Result<Vec<(String, Tensor)>> {
        let mut out = Vec::with_capacity(2 * self.params.len());
        for p in &self.params {
            let (m, v) = p.moment_tensors()?;
            out.push((format!("optim.{group}.m.{}", p.name), m));
            out.push((format!("optim.{group}.v.{}", p.name), v));
        }
        Ok(out)
    }

    /// Restores moments written by [`Adam::state_tensors`] and the step count.
    pub fn load_state(
        &mut self,
        group: &str,
        tensors: &HashMap<String, Tensor>,
        steps: u64,
    ) -> Result<()> {
        for p in &mut self.params {
            let dims = p.var.as_tensor().dims().to_vec();
            // The tensor on the parameter's device, and its values.
            let read = |which: &str| -> Result<(Tensor, Vec<f32>)> {
                let key = format!("optim.{group}.{which}.{}", p.name);
                let t = tensors
                    .get(&key)
                    .ok_or_else(|| Error::Checkpoint(format!("missing optimizer state `{key}`")))?;
                if t.dims() != dims.as_slice() {
                    return Err(Error::Checkpoint(format!(
                        "optimizer state `{key}` has shape {:?}, expected {dims:?}",
                        t.dims()
                    )));
                }
                let t = t.to_dtype(candle::DType::F32)?;
                // Adam's moments are finite, and its second moment (a mean of squares) ≥ 0: a
                // file that says otherwise would make the first step NaN.
                let values = t.flatten_all()?.to_vec1::<f32>()?;
                if !values
                    .iter()
                    .all(|x| x.is_finite() && (which == "m" || *x >= 0.0))
                {
                    return Err(Error::Checkpoint(format!(
                        "optimizer state `{key}` holds values that are not {}",
                        if which == "m" {
                            "finite (NaN or ±inf)"
                        } else {
                            "finite and ≥ 0 (a mean of squared gradients)"
                        }
                    )));
                }
                Ok((t.to_device(p.var.as_tensor().device())?, values))
            };
            let ((m, m_values), (v, v_values)) = (read("m")?, read("v")?);
            p.moments = match p.moments {
                Moments::Host { .. } => Moments::Host {
                    m: m_values,
                    v: v_values,
                },
                Moments::Device { .. } => Moments::Device { m, v },
            };
        }
        self.steps = steps;
        Ok(())
    }
}

/// Candle's optimizer interface, for code written against `candle_nn`: variables are named by
/// their position (`0`, `1`, …) in the checkpoint state.
impl candle_nn::Optimizer for Adam {
    type Config = AdamConfig;

    fn new(vars: Vec<Var>, config: AdamConfig) -> candle::Result<Self> {
        let named = vars
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect();
        Adam::new(named, config).map_err(candle::Error::wrap)
    }

    fn step(&mut self, grads: &GradStore) -> candle::Result<()> {
        Adam::step(self, grads).map_err(candle::Error::wrap)
    }

    fn learning_rate(&self) -> f64 {
        self.cfg.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        // The trait cannot report an error: an invalid rate leaves the old one in place.
        let _ = self.set_lr(lr);
    }
}
