//! Adam / AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019) with its moments exposed, so a
//! checkpoint can carry them and `--resume` continues exactly. Candle's own `AdamW` keeps them
//! private and defaults to weight decay 0.01; here every hyperparameter is explicit.

use std::collections::HashMap;

use candle::backprop::GradStore;
use candle::{Tensor, Var};

use crate::config::AdamConfig;
use crate::{Error, Result};

struct Param {
    name: String,
    var: Var,
    m: Tensor,
    v: Tensor,
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
            .map(|(name, var)| {
                let m = var.as_tensor().zeros_like()?;
                let v = m.clone();
                Ok(Param { name, var, m, v })
            })
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
        let c = &self.cfg;
        let t = self.steps as i32;
        let bc1 = 1.0 - c.beta1.powi(t);
        let bc2 = 1.0 - c.beta2.powi(t);
        for p in &mut self.params {
            let Some(g) = grads.get(p.var.as_tensor()) else {
                continue;
            };
            // Detached: a gradient still references the step's graph, and moments built from
            // it would otherwise keep every past step's graph alive.
            p.m = ((&p.m * c.beta1)? + (g * (1.0 - c.beta1))?)?.detach();
            p.v = ((&p.v * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?.detach();
            let denom = ((&p.v / bc2)?.sqrt()? + c.eps)?;
            let update = ((&p.m / bc1)? / denom)?;
            let theta = p.var.as_tensor();
            let next = if c.weight_decay > 0.0 {
                ((theta * (1.0 - c.lr * c.weight_decay))? - (update * c.lr)?)?
            } else {
                (theta - (update * c.lr)?)?
            };
            p.var.set(&next)?;
        }
        Ok(())
    }

    /// The moments as tensors named `optim.<group>.m.<var>` and `optim.<group>.v.<var>`.
    pub fn state_tensors(&self, group: &str) -> Vec<(String, Tensor)> {
        self.params
            .iter()
            .flat_map(|p| {
                [
                    (format!("optim.{group}.m.{}", p.name), p.m.clone()),
                    (format!("optim.{group}.v.{}", p.name), p.v.clone()),
                ]
            })
            .collect()
    }

    /// Restores moments written by [`Adam::state_tensors`] and the step count.
    pub fn load_state(
        &mut self,
        group: &str,
        tensors: &HashMap<String, Tensor>,
        steps: u64,
    ) -> Result<()> {
        for p in &mut self.params {
            for (which, slot) in [("m", &mut p.m), ("v", &mut p.v)] {
                let key = format!("optim.{group}.{which}.{}", p.name);
                let t = tensors
                    .get(&key)
                    .ok_or_else(|| Error::Checkpoint(format!("missing optimizer state `{key}`")))?;
                if t.dims() != slot.dims() {
                    return Err(Error::Checkpoint(format!(
                        "optimizer state `{key}` has shape {:?}, expected {:?}",
                        t.dims(),
                        slot.dims()
                    )));
                }
                *slot = t.to_dtype(candle::DType::F32)?.to_device(slot.device())?;
            }
        }
        self.steps = steps;
        Ok(())
    }
}
