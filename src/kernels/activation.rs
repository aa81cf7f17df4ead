//! Activations fused into our layers. Each derivative is computed from the layer's *output*
//! (which the backward pass receives), so no pre-activation buffer is kept.

use rayon::prelude::*;

use super::wide::wide;
use super::{ELEMENTWISE_CHUNK as CHUNK, PARALLEL_ELEMENTS};
use crate::config::Activation;

/// An activation applied in place after a layer's affine map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Identity,
    Relu,
    /// Slope 0.2 for negative inputs (DCGAN's discriminator).
    LeakyRelu,
    Tanh,
}

impl From<Activation> for Act {
    fn from(a: Activation) -> Self {
        match a {
            Activation::Relu => Act::Relu,
            Activation::Tanh => Act::Tanh,
            Activation::LeakyRelu => Act::LeakyRelu,
        }
    }
}

const LEAK: f32 = 0.2;

impl Act {
    fn apply_chunk(self, y: &mut [f32]) {
        wide!(match self {
            Act::Identity => {}
            Act::Relu => y.iter_mut().for_each(|v| *v = v.max(0.0)),
            Act::LeakyRelu => y
                .iter_mut()
                .for_each(|v| *v = if *v < 0.0 { *v * LEAK } else { *v }),
            Act::Tanh => y.iter_mut().for_each(|v| *v = super::fastmath::tanh(*v)),
        })
    }

    /// `y ← act(y)`.
    pub fn apply(self, y: &mut [f32]) {
        if self == Act::Identity {
            return;
        }
        if y.len() < PARALLEL_ELEMENTS {
            self.apply_chunk(y)
        } else {
            y.par_chunks_mut(CHUNK).for_each(|c| self.apply_chunk(c))
        }
    }

    /// `act′(x)` from `y = act(x)` (`y` and `x` share their sign for the ReLUs).
    #[inline(always)]
    fn derivative(self, y: f32) -> f32 {
        match self {
            Act::Identity => 1.0,
            Act::Relu => {
                if y > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Act::LeakyRelu => {
                if y > 0.0 {
                    1.0
                } else {
                    LEAK
                }
            }
            Act::Tanh => 1.0 - y * y,
        }
    }

    /// `grad ⊙ act′(x)` as a fresh buffer, with `y = act(x)` the layer's output.
    pub fn backward(self, grad: &[f32], y: &[f32]) -> Vec<f32> {
        if self == Act::Identity {
            return grad.to_vec();
        }
        let fill = |out: &mut [f32], grad: &[f32], y: &[f32]| {
            wide!({
                for ((o, &g), &y) in out.iter_mut().zip(grad).zip(y) {
                    *o = g * self.derivative(y);
                }
            })
        };
        let mut out = vec![0f32; grad.len()];
        if grad.len() < PARALLEL_ELEMENTS {
            fill(&mut out, grad, y);
        } else {
            out.par_chunks_mut(CHUNK)
                .zip(grad.par_chunks(CHUNK).zip(y.par_chunks(CHUNK)))
                .for_each(|(o, (g, y))| fill(o, g, y));
        }
        out
    }
}

/// The logistic sigmoid as an op: [`fastmath::sigmoid`](super::fastmath::sigmoid) forward,
/// `g·y·(1 − y)` backward from the output `y`.
struct Sigmoid;

/// # Shapes
/// - `x`: any → the same
pub fn sigmoid(x: &candle::Tensor) -> candle::Result<candle::Tensor> {
    x.contiguous()?.apply_op1(Sigmoid)
}

impl candle::CustomOp1 for Sigmoid {
    fn name(&self) -> &'static str {
        "latentlab-sigmoid"
    }

    fn cpu_fwd(
        &self,
        s: &candle::CpuStorage,
        l: &candle::Layout,
    ) -> candle::Result<(candle::CpuStorage, candle::Shape)> {
        let x = super::slice(s, l, "x")?;
        let fill = |y: &mut [f32], x: &[f32]| {
            wide!({
                y.iter_mut()
                    .zip(x)
                    .for_each(|(o, &v)| *o = super::fastmath::sigmoid(v))
            })
        };
        let mut y = vec![0f32; x.len()];
        if x.len() < PARALLEL_ELEMENTS {
            fill(&mut y, x);
        } else {
            y.par_chunks_mut(CHUNK)
                .zip(x.par_chunks(CHUNK))
                .for_each(|(y, x)| fill(y, x));
        }
        Ok((candle::CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &candle::Tensor,
        y: &candle::Tensor,
        grad: &candle::Tensor,
    ) -> candle::Result<Option<candle::Tensor>> {
        Ok(Some((grad * (y * (1.0 - y)?)?)?))
    }
}
