//! Batch normalization (Ioffe & Szegedy 2015) and the [`Phase`] it reads: while training it
//! normalizes with the batch's statistics and updates running ones; otherwise it uses the
//! running ones. The running statistics are variables of the network (saved in checkpoints,
//! loaded in wasm) that no optimizer touches.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use candle::{Tensor, Var};
use candle_nn::VarBuilder;

use super::layers::{activate_with_candle, Weights};
use crate::kernels::{self, Act};
use crate::Result;

/// Names of the running statistics.
pub const RUNNING_MEAN: &str = "running_mean";
pub const RUNNING_VAR: &str = "running_var";

/// Whether variable `name` is state a forward pass updates rather than a parameter (a running
/// statistic, a spectral norm's power-iteration vector), which no optimizer may see
/// ([`crate::models::Network::vars_with_prefix`] leaves them out).
pub fn is_buffer(name: &str) -> bool {
    name.ends_with(RUNNING_MEAN)
        || name.ends_with(RUNNING_VAR)
        || name.ends_with(super::spectral::U)
}
/// The learned per-channel scale γ (initialized to 1; the shift β is `shift`, 0).
pub const SCALE: &str = "scale";

/// Whether a network is training, and whether its weights are frozen for good; one handle
/// per network, shared by its layers.
#[derive(Debug, Clone, Default)]
pub struct Phase(Arc<Flags>);

#[derive(Debug, Default)]
struct Flags {
    training: AtomicBool,
    frozen: AtomicBool,
}

impl Phase {
    pub fn set_training(&self, training: bool) {
        self.0.training.store(training, Ordering::Relaxed);
    }

    pub fn training(&self) -> bool {
        self.0.training.load(Ordering::Relaxed)
    }

    /// Marks the weights as never changing again (a model loaded for inference), so layers
    /// may keep forms of them derived once ([`crate::models::Network::freeze`]).
    pub fn freeze(&self) {
        self.0.frozen.store(true, Ordering::Relaxed);
    }

    pub fn frozen(&self) -> bool {
        self.0.frozen.load(Ordering::Relaxed)
    }
}

/// `γ · (x − μ) / √(σ² + ε) + β` per channel (dimension 1), with PyTorch's conventions: the
/// batch variance is the biased one, the running variance is updated with the unbiased one,
/// `running ← (1 − momentum) · running + momentum · batch`.
pub struct BatchNorm {
    scale: Tensor,
    shift: Tensor,
    running_mean: Var,
    running_var: Var,
    momentum: f64,
    eps: f64,
    phase: Phase,
}

impl BatchNorm {
    /// Parameters `scale`, `shift`, `running_mean`, `running_var`, each `[channels]`.
    pub fn new(
        channels: usize,
        momentum: f64,
        eps: f64,
        phase: &Phase,
        vb: VarBuilder,
    ) -> Result<Self> {
        let stat = |name: &str| -> Result<Var> {
            let t = vb.get_with_hints(channels, name, candle_nn::Init::Const(0.0))?;
            // The builder's variable shares storage with `t`; wrapping it keeps `set` in place.
            Ok(Var::from_tensor(&t)?)
        };
        Ok(Self {
            scale: vb.get_with_hints(channels, SCALE, candle_nn::Init::Const(1.0))?,
            shift: vb.get_with_hints(channels, "shift", candle_nn::Init::Const(0.0))?,
            running_mean: stat(RUNNING_MEAN)?,
            running_var: stat(RUNNING_VAR)?,
            momentum,
            eps,
            phase: phase.clone(),
        })
    }

    /// `act(BN(x))`: batch statistics (updating the running ones) while training, the running
    /// ones otherwise.
    ///
    /// # Shapes
    /// - `x`: `[B, C]` or `[B, C, H, W]` → the same
    pub fn forward(&self, x: &Tensor, act: Act, weights: Weights) -> Result<Tensor> {
        let (scale, shift) = (weights.read(&self.scale), weights.read(&self.shift));
        let training = self.phase.training();
        if training && kernels::applies(x) {
            let (y, stats) = kernels::norm::batch_norm(x, &scale, &shift, self.eps, act)?;
            let c = stats.mean.len();
            let mean = Tensor::from_vec(stats.mean, c, x.device())?;
            let var = Tensor::from_vec(stats.var, c, x.device())?;
            self.update_running(&mean, &var, x.elem_count() / c)?;
            return Ok(y);
        }
        let rank = x.rank();
        // Statistics over every dimension but the channel's.
        let reduce: Vec<usize> = (0..rank).filter(|&d| d != 1).collect();
        let mut shape = vec![1; rank];
        shape[1] = x.dim(1)?;
        let per_channel = |t: &Tensor| t.reshape(shape.as_slice());
        let (mean, var) = if training {
            let mean = x.mean_keepdim(reduce.as_slice())?;
            let var = x
                .broadcast_sub(&mean)?
                .sqr()?
                .mean_keepdim(reduce.as_slice())?;
            self.update_running(
                &mean.flatten_all()?,
                &var.flatten_all()?,
                x.elem_count() / shape[1],
            )?;
            (mean, var)
        } else {
            (
                per_channel(self.running_mean.as_tensor())?,
                per_channel(self.running_var.as_tensor())?,
            )
        };
        let y = x
            .broadcast_sub(&mean)?
            .broadcast_div(&(var + self.eps)?.sqrt()?)?
            .broadcast_mul(&per_channel(&scale)?)?
            .broadcast_add(&per_channel(&shift)?)?;
        activate_with_candle(y, act)
    }

    /// # Shapes
    /// - `mean`, `var` (biased): `[C]`, over `n` values per channel
    fn update_running(&self, mean: &Tensor, var: &Tensor, n: usize) -> Result<()> {
        let m = self.momentum;
        let unbiased = n as f64 / (n.max(2) - 1) as f64;
        let var = (var.detach() * unbiased)?;
        let blend = |running: &Var, batch: &Tensor| -> Result<()> {
            let next = ((running.as_tensor() * (1.0 - m))? + (batch * m)?)?;
            Ok(running.set(&next)?)
        };
        blend(&self.running_mean, &mean.detach())?;
        blend(&self.running_var, &var)
    }
}
