//! The fused, in-place Adam / AdamW update: one pass over a parameter, its gradient and its two
//! moments, writing the parameter's own storage (no new tensors per step).

use std::cell::RefCell;

use candle::{CpuStorage, InplaceOp2, Layout, Tensor};
use rayon::prelude::*;

use super::wide::wide;
use super::{slice, ELEMENTWISE_CHUNK as CHUNK, PARALLEL_ELEMENTS};

/// `x`, or 0 when `x` is subnormal; branch-free, so the loop around it vectorizes.
#[inline(always)]
fn flush_subnormal(x: f32) -> f32 {
    if x.abs() < f32::MIN_POSITIVE {
        0.0
    } else {
        x
    }
}

/// One step's coefficients: the hyperparameters and the bias corrections `1 − βᵗ`.
#[derive(Debug, Clone, Copy)]
pub struct AdamStep {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub bias_correction1: f32,
    pub bias_correction2: f32,
}

impl AdamStep {
    /// m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
    /// θ ← θ(1 − lr·λ) − lr·m̂ / (√v̂ + ε), with m̂ = m / (1−β₁ᵗ), v̂ = v / (1−β₂ᵗ), computed
    /// as PyTorch does: `θ − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)`, one square root and
    /// one division an element.
    ///
    /// Unlike PyTorch, a moment that falls below the smallest normal float (`|m| < 2⁻¹²⁶`) is
    /// stored as 0: a weight whose gradient is 0 step after step (a dead ReLU unit's, a border
    /// pixel's) has `m` shrink by β₁ each step, into the subnormal range after about 800 steps,
    /// and arithmetic on subnormals takes a slow path on x86 (in the MLP VAE bench, N1, this
    /// loop grew from 9 % to 38 % of the step after about 800 steps, and the step ran at 60 %
    /// of its speed). The update it drops is below `lr · 2⁻¹²⁶ / ε`.
    fn chunk(&self, theta: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        let decay = 1.0 - self.lr * self.weight_decay;
        let step_size = self.lr / self.bias_correction1;
        let inv_sqrt_bc2 = 1.0 / self.bias_correction2.sqrt();
        let (b1, b2) = (self.beta1, self.beta2);
        let (c1, c2) = (1.0 - b1, 1.0 - b2);
        let eps = self.eps;
        wide!({
            for (((t, &g), m), v) in theta.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                *m = flush_subnormal(b1 * *m + c1 * g);
                *v = flush_subnormal(b2 * *v + c2 * g * g);
                *t = *t * decay - step_size * *m / (v.sqrt() * inv_sqrt_bc2 + eps);
            }
        })
    }

    /// Updates `theta`, `m`, `v` (equal lengths) from `g`.
    pub fn apply(&self, theta: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        if theta.len() < PARALLEL_ELEMENTS {
            self.chunk(theta, g, m, v);
        } else {
            theta
                .par_chunks_mut(CHUNK)
                .zip(g.par_chunks(CHUNK))
                .zip(m.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK)))
                .for_each(|((t, g), (m, v))| self.chunk(t, g, m, v));
        }
    }

    /// Updates a CPU f32 parameter tensor in place from its gradient, with moments `m`, `v`
    /// held by the caller.
    pub fn update(
        &self,
        param: &Tensor,
        grad: &Tensor,
        m: &mut [f32],
        v: &mut [f32],
    ) -> candle::Result<()> {
        if m.len() != param.elem_count() || v.len() != m.len() || grad.dims() != param.dims() {
            candle::bail!(
                "adam: parameter {:?}, gradient {:?} and moments ({}) differ",
                param.dims(),
                grad.dims(),
                m.len()
            );
        }
        let op = InPlace {
            step: *self,
            moments: RefCell::new((m, v)),
        };
        param.inplace_op2(&grad.contiguous()?, &op)
    }
}

struct InPlace<'a> {
    step: AdamStep,
    moments: RefCell<(&'a mut [f32], &'a mut [f32])>,
}

impl InplaceOp2 for InPlace<'_> {
    fn name(&self) -> &'static str {
        "latentlab-adam"
    }

    fn cpu_fwd(
        &self,
        theta: &mut CpuStorage,
        lt: &Layout,
        g: &CpuStorage,
        lg: &Layout,
    ) -> candle::Result<()> {
        let g = slice(g, lg, "gradient")?;
        let Some((start, end)) = lt.contiguous_offsets() else {
            candle::bail!("adam: the parameter must be contiguous");
        };
        let CpuStorage::F32(theta) = theta else {
            candle::bail!("adam: the parameter must be f32");
        };
        let mut moments = self.moments.borrow_mut();
        let (m, v) = &mut *moments;
        self.step.apply(&mut theta[start..end], g, m, v);
        Ok(())
    }
}
