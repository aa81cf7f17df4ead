//! Latent arithmetic on a [`Network`]: attribute vectors between two sets of inputs, codes
//! moved along them, and one code decoded as every class of a conditional model.

use candle::Tensor;

use super::Network;
use crate::latent;
use crate::{Error, Result};

impl Network {
    /// The mean posterior mean of the inputs `a` minus that of the inputs `b`
    /// ([`latent::attribute_vector`]); labels for a conditional model.
    ///
    /// # Shapes
    /// - `a`: `[A, *sample_shape]`, `b`: `[B, *sample_shape]` → `L` values
    pub fn attribute_vector(
        &self,
        a: &Tensor,
        labels_a: Option<&[u32]>,
        b: &Tensor,
        labels_b: Option<&[u32]>,
    ) -> Result<Vec<f32>> {
        let codes = |x: &Tensor, labels| -> Result<Vec<f32>> {
            Ok(self.encode(x, labels)?.0.flatten_all()?.to_vec1()?)
        };
        let l = self.latent_dim_or_err()?;
        latent::attribute_vector(&codes(a, labels_a)?, &codes(b, labels_b)?, l)
    }

    /// The inputs encoded to their posterior mean, moved by `alpha · v` and decoded (with
    /// their own labels on a conditional model). `alpha = 0` is [`Network::reconstruct`].
    ///
    /// # Shapes
    /// - `x`: `[B, *sample_shape]`, `v`: `[L]` → `[B, *sample_shape]`
    pub fn shift_decode(
        &self,
        x: &Tensor,
        labels: Option<&[u32]>,
        v: &[f32],
        alpha: f32,
    ) -> Result<Tensor> {
        let l = self.latent_dim_or_err()?;
        if v.len() != l {
            return Err(Error::Argument(format!(
                "the attribute vector must have {l} values, got {}",
                v.len()
            )));
        }
        let (mu, _) = self.encode(x, labels)?;
        let z = latent::shift(&mu.flatten_all()?.to_vec1()?, v, alpha)?;
        self.decode(&self.codes_from_slice(&z)?, labels)
    }

    /// Each code decoded as every class of a conditional model: row `i·K + k` of the result
    /// is code `i` decoded as class `k` (what the code holds besides the class, e.g. a digit's
    /// slant and stroke, carried across the classes).
    ///
    /// # Shapes
    /// - `z`: `[N, L]` → `[N·K, *sample_shape]`
    pub fn decode_across_classes(&self, z: &Tensor) -> Result<Tensor> {
        let k = self.config().num_classes().ok_or_else(|| {
            Error::Argument(format!(
                "this {} is not conditioned on classes",
                self.config().kind()
            ))
        })?;
        let n = z.dim(0)?;
        crate::budget::check_decode(
            "codes across classes",
            n.saturating_mul(k),
            self.sample_len(),
            z.dim(1)?,
        )?;
        // [N, L] → [N, K, L] → [N·K, L]: each code repeated K times in a row.
        let zz = z
            .unsqueeze(1)?
            .repeat((1, k, 1))?
            .reshape((n * k, z.dim(1)?))?;
        let labels: Vec<u32> = (0..n * k).map(|i| (i % k) as u32).collect();
        self.decode(&zz, Some(&labels))
    }
}
