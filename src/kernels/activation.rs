//! Activations fused into our layers. Each derivative is computed from the layer's *output*
//! (which the backward pass receives), so no pre-activation buffer is kept.

use rayon::prelude::*;

use crate::config::Activation;

/// Elements per parallel chunk of an elementwise pass (below that, one thread).
const CHUNK: usize = 1 << 14;

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
        match self {
            Act::Identity => {}
            Act::Relu => y.iter_mut().for_each(|v| *v = v.max(0.0)),
            Act::LeakyRelu => y.iter_mut().for_each(|v| {
                if *v < 0.0 {
                    *v *= LEAK
                }
            }),
            Act::Tanh => y.iter_mut().for_each(|v| *v = v.tanh()),
        }
    }

    /// `y ← act(y)`.
    pub fn apply(self, y: &mut [f32]) {
        if self == Act::Identity {
            return;
        }
        if y.len() < 2 * CHUNK {
            self.apply_chunk(y)
        } else {
            y.par_chunks_mut(CHUNK).for_each(|c| self.apply_chunk(c))
        }
    }

    fn grad_chunk(self, grad: &mut [f32], y: &[f32]) {
        match self {
            Act::Identity => {}
            Act::Relu => grad.iter_mut().zip(y).for_each(|(g, &y)| {
                if y <= 0.0 {
                    *g = 0.0
                }
            }),
            // y and x have the same sign.
            Act::LeakyRelu => grad.iter_mut().zip(y).for_each(|(g, &y)| {
                if y <= 0.0 {
                    *g *= LEAK
                }
            }),
            Act::Tanh => grad.iter_mut().zip(y).for_each(|(g, &y)| *g *= 1.0 - y * y),
        }
    }

    /// `grad ← grad ⊙ act′(x)`, with `y = act(x)` the layer's output.
    pub fn backward(self, grad: &mut [f32], y: &[f32]) {
        if self == Act::Identity {
            return;
        }
        if grad.len() < 2 * CHUNK {
            self.grad_chunk(grad, y)
        } else {
            grad.par_chunks_mut(CHUNK)
                .zip(y.par_chunks(CHUNK))
                .for_each(|(g, y)| self.grad_chunk(g, y))
        }
    }
}
