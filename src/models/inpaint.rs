//! Inpainting (missing data): the unknown values of an input filled in by a model with an
//! encoder.
//!
//! We iterate encode → decode on the missing values while keeping the known ones: with `m`
//! the mask (1 known, 0 missing) and `x⁰` the input (its missing values hold the caller's fill),
//! `xᵗ⁺¹ = m ⊙ x⁰ + (1 − m) ⊙ decode(μ(xᵗ))`. This is the imputation chain of Rezende, Mohamed
//! & Wierstra 2014 (§5.3), with the posterior mean and the decoder's mean in place of samples,
//! so a result is the same every time. We chose it over optimizing `z` to fit the known values
//! because it needs only the forward passes the page already runs (no gradient graph through
//! the decoder, no step size or prior weight to tune per model), each iteration costs one
//! reconstruction, and it uses the encoder for the inference it was trained to amortize. Its
//! limits: the encoder never saw masked inputs, so a large hole starts from a poor code (the
//! first iterations repair that); with the means in place of samples the chain settles on one
//! confident guess, which after about ten iterations stops improving and on the VAE-GAN
//! slowly drifts (numbers in README, "Inpainting"); and a model without an encoder (a GAN)
//! cannot use it.

use candle::Tensor;

use super::Network;
use crate::{Error, Result};

/// Iterations when the caller does not say.
pub const DEFAULT_INPAINT_ITERATIONS: usize = 10;
/// The most iterations one call may ask for.
pub const MAX_INPAINT_ITERATIONS: usize = 1000;

impl Network {
    /// The inputs with their missing values filled in (see the module docs); known values are
    /// returned exactly. `known` holds one value per input value: 1 known, 0 missing.
    /// `iterations` (1 … [`MAX_INPAINT_ITERATIONS`]) defaults to [`DEFAULT_INPAINT_ITERATIONS`].
    ///
    /// # Shapes
    /// - `x`: `[B, *sample_shape]`, `known`: `B × sample_len` values → `[B, *sample_shape]`
    pub fn inpaint(
        &self,
        x: &Tensor,
        known: &[u8],
        labels: Option<&[u32]>,
        iterations: Option<usize>,
    ) -> Result<Tensor> {
        if self.model().vae().is_none() {
            return Err(Error::Argument(format!(
                "a {} has no encoder: inpainting iterates encode → decode",
                self.config().kind()
            )));
        }
        let iterations = iterations.unwrap_or(DEFAULT_INPAINT_ITERATIONS);
        if !(1..=MAX_INPAINT_ITERATIONS).contains(&iterations) {
            return Err(Error::Argument(format!(
                "inpainting takes 1 to {MAX_INPAINT_ITERATIONS} iterations, got {iterations}"
            )));
        }
        if known.len() != x.elem_count() {
            return Err(Error::Argument(format!(
                "the mask must have one value per input value ({}), got {}",
                x.elem_count(),
                known.len()
            )));
        }
        if let Some(v) = known.iter().find(|&&v| v > 1) {
            return Err(Error::Argument(format!(
                "mask values must be 1 (known) or 0 (missing), got {v}"
            )));
        }
        if !super::all_finite(x)? {
            return Err(Error::Argument(
                "inputs must be finite numbers (got NaN or ±inf): put the fill value in the missing places".into(),
            ));
        }
        let mask: Vec<f32> = known.iter().map(|&k| k as f32).collect();
        let m = Tensor::from_vec(mask, x.shape(), self.device())?;
        let kept = x.mul(&m)?;
        let free = m.affine(-1.0, 1.0)?;
        let mut cur = x.clone();
        for _ in 0..iterations {
            cur = (&kept + self.reconstruct(&cur, labels)?.mul(&free)?)?;
        }
        Ok(cur)
    }
}
