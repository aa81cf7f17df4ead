//! Latent-space walks and arithmetic: interpolation paths, the 2-D grid of the latent map, and
//! attribute vectors (the mean code of one set minus that of another) added with a weight.

use serde::{Deserialize, Serialize};

/// The seeded generator (defined in [`crate::rng`]), also importable from here.
pub use crate::rng::Rng;
use crate::{Error, Result};

/// How to move between two latent points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InterpolationMode {
    /// Straight line.
    Lerp,
    /// Great circle (Shoemake 1985; White 2016 for latent spaces): keeps the norm typical of
    /// a Gaussian sample instead of passing through the low-density centre.
    Slerp,
}

impl std::str::FromStr for InterpolationMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "lerp" => Ok(Self::Lerp),
            "slerp" => Ok(Self::Slerp),
            _ => Err(Error::Argument(format!(
                "interpolation mode must be \"lerp\" or \"slerp\", got {s:?}"
            ))),
        }
    }
}

/// `(1 − t)·a + t·b`.
pub fn lerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + t * (y - x)).collect()
}

/// Spherical interpolation; falls back to [`lerp`] when `a` and `b` are (anti)parallel or zero.
pub fn slerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (*x as f64) * (*y as f64))
        .sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        return lerp(a, b, t);
    }
    let cos = (dot / (na * nb)).clamp(-1.0, 1.0);
    let omega = cos.acos();
    let so = omega.sin();
    if so.abs() < 1e-6 {
        return lerp(a, b, t);
    }
    let t = t as f64;
    let wa = (((1.0 - t) * omega).sin() / so) as f32;
    let wb = ((t * omega).sin() / so) as f32;
    a.iter().zip(b).map(|(x, y)| wa * x + wb * y).collect()
}

/// `steps` points from `a` to `b` inclusive, concatenated (`steps × dim` values).
pub fn path(a: &[f32], b: &[f32], steps: usize, mode: InterpolationMode) -> Result<Vec<f32>> {
    if a.len() != b.len() || a.is_empty() {
        return Err(Error::Argument(format!(
            "endpoints must have the same nonzero length, got {} and {}",
            a.len(),
            b.len()
        )));
    }
    if steps < 2 {
        return Err(Error::Argument(
            "an interpolation needs at least 2 steps".into(),
        ));
    }
    let mut out = Vec::with_capacity(steps * a.len());
    for i in 0..steps {
        let t = i as f32 / (steps - 1) as f32;
        out.extend(match mode {
            InterpolationMode::Lerp => lerp(a, b, t),
            InterpolationMode::Slerp => slerp(a, b, t),
        });
    }
    Ok(out)
}

/// The largest temperature taken: codes a thousand prior deviations out are already far from
/// anything a model was trained on, and far larger ones overflow.
pub const MAX_TEMPERATURE: f32 = 1000.0;

/// An error unless `temperature`, the scale of the prior's codes, is from 0 to
/// [`MAX_TEMPERATURE`].
pub fn check_temperature(temperature: f32) -> Result<()> {
    if (0.0..=MAX_TEMPERATURE).contains(&temperature) {
        Ok(())
    } else {
        Err(Error::Argument(format!(
            "temperature must be a number from 0 to {MAX_TEMPERATURE}, got {temperature}"
        )))
    }
}

/// A `side × side` grid of 2-D latent points covering `[-extent, extent]²`, row-major with the
/// first coordinate along columns and the second decreasing down the rows (as a plot reads);
/// an error unless side ≥ 2 and the extent is positive.
pub fn grid_2d(side: usize, extent: f32) -> Result<Vec<f32>> {
    if side < 2 || !(extent.is_finite() && extent > 0.0) {
        return Err(Error::Argument(format!(
            "a latent grid needs side ≥ 2 and a positive extent, got {side} and {extent}"
        )));
    }
    let at = |i: usize| -extent + 2.0 * extent * i as f32 / (side - 1) as f32;
    let mut out = Vec::with_capacity(side * side * 2);
    for r in 0..side {
        for c in 0..side {
            out.push(at(c));
            out.push(at(side - 1 - r));
        }
    }
    Ok(out)
}

/// The mean of the rows of `a` minus the mean of the rows of `b` (rows of `dim` values): the
/// attribute vector of White 2016 ("Sampling generative networks", §2.4) and Larsen et al.
/// 2016 (§5), e.g. the mean code of the 0s minus that of the 1s.
pub fn attribute_vector(a: &[f32], b: &[f32], dim: usize) -> Result<Vec<f32>> {
    let mean = |rows: &[f32], name: &str| -> Result<Vec<f64>> {
        if dim == 0 || rows.is_empty() || !rows.len().is_multiple_of(dim) {
            return Err(Error::Argument(format!(
                "set {name} must hold one or more codes of {dim} values, got {} values",
                rows.len()
            )));
        }
        let mut m = vec![0f64; dim];
        for row in rows.chunks_exact(dim) {
            for (acc, v) in m.iter_mut().zip(row) {
                *acc += *v as f64;
            }
        }
        let n = (rows.len() / dim) as f64;
        Ok(m.into_iter().map(|s| s / n).collect())
    };
    let (ma, mb) = (mean(a, "A")?, mean(b, "B")?);
    Ok(ma.iter().zip(&mb).map(|(x, y)| (x - y) as f32).collect())
}

/// Every row of `codes` (rows of `v.len()` values) moved by `alpha · v`.
pub fn shift(codes: &[f32], v: &[f32], alpha: f32) -> Result<Vec<f32>> {
    if v.is_empty() || !codes.len().is_multiple_of(v.len()) {
        return Err(Error::Argument(format!(
            "codes must be rows of the vector's {} values, got {} values",
            v.len(),
            codes.len()
        )));
    }
    if !alpha.is_finite() || !v.iter().all(|x| x.is_finite()) {
        return Err(Error::Argument(format!(
            "the vector and its weight must be finite numbers (weight {alpha})"
        )));
    }
    Ok(codes
        .chunks_exact(v.len())
        .flat_map(|row| row.iter().zip(v).map(|(z, d)| z + alpha * d))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slerp_keeps_norm_between_orthogonal_unit_vectors() {
        let m = slerp(&[1.0, 0.0], &[0.0, 1.0], 0.5);
        let norm = (m[0] * m[0] + m[1] * m[1]).sqrt();
        assert!((norm - 1.0).abs() < 1e-6);
        let l = lerp(&[1.0, 0.0], &[0.0, 1.0], 0.5);
        assert!((l[0] - 0.5).abs() < 1e-7 && (l[1] - 0.5).abs() < 1e-7);
    }

    #[test]
    fn path_hits_both_endpoints() {
        let p = path(&[0.0, 2.0], &[4.0, -2.0], 5, InterpolationMode::Lerp).unwrap();
        assert_eq!(&p[..2], &[0.0, 2.0]);
        assert_eq!(&p[8..], &[4.0, -2.0]);
        assert!(path(&[0.0], &[1.0, 2.0], 3, InterpolationMode::Lerp).is_err());
    }

    #[test]
    fn attribute_vector_is_the_difference_of_the_means() {
        let a = [1.0, 2.0, 3.0, 4.0]; // rows (1, 2), (3, 4): mean (2, 3)
        let b = [0.0, 1.0]; // mean (0, 1)
        assert_eq!(attribute_vector(&a, &b, 2).unwrap(), vec![2.0, 2.0]);
        assert!(attribute_vector(&a, &[], 2).is_err());
        assert!(attribute_vector(&a, &[1.0, 2.0, 3.0], 2).is_err());
    }

    #[test]
    fn shift_moves_every_row_by_the_weighted_vector() {
        let z = shift(&[0.0, 0.0, 1.0, 1.0], &[2.0, -2.0], 0.5).unwrap();
        assert_eq!(z, vec![1.0, -1.0, 2.0, 0.0]);
        assert!(shift(&[0.0; 3], &[1.0, 1.0], 1.0).is_err());
        assert!(shift(&[0.0; 2], &[1.0, 1.0], f32::NAN).is_err());
    }
}
