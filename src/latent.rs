//! Latent-space walks: interpolation paths and the 2-D grid of the latent map.

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

/// A `side × side` grid of 2-D latent points covering `[-extent, extent]²`, row-major with the
/// first coordinate along columns and the second decreasing down the rows (as a plot reads).
pub fn grid_2d(side: usize, extent: f32) -> Vec<f32> {
    let at = |i: usize| {
        if side == 1 {
            0.0
        } else {
            -extent + 2.0 * extent * i as f32 / (side - 1) as f32
        }
    };
    let mut out = Vec::with_capacity(side * side * 2);
    for r in 0..side {
        for c in 0..side {
            out.push(at(c));
            out.push(at(side - 1 - r));
        }
    }
    out
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
}
