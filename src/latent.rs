//! Seeded randomness and latent-space walks.
//!
//! Candle's CPU RNG cannot be seeded, so every random number in Latent Lab (weight init,
//! noise, shuffling, binarization) comes from [`Rng`]: xoshiro256++ (Blackman & Vigna) seeded
//! through SplitMix64. Its state is plain data, stored in checkpoints so a resumed run goes on
//! drawing where it stopped, and the same seed gives the same numbers natively and in wasm.

use candle::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Seeded, serializable random number generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rng {
    s: [u64; 4],
    /// Second value of the last Box–Muller pair, not yet handed out.
    spare: Option<f32>,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            // SplitMix64.
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
            spare: None,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    /// Uniform integer in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        // Lemire's multiply-shift; the bias for n ≪ 2^64 is negligible.
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f32 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = ((self.next_u64() >> 11) as f64 + 1.0) * (1.0 / (1u64 << 53) as f64); // (0, 1]
        let u2 = (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (2.0 * std::f64::consts::PI * u2).sin_cos();
        self.spare = Some((r * s) as f32);
        (r * c) as f32
    }

    pub fn normal_vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.normal()).collect()
    }

    pub fn uniform_vec(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| lo + (hi - lo) * self.uniform()).collect()
    }

    /// A uniformly random permutation of `0..n` (Fisher–Yates).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            p.swap(i, self.below(i + 1));
        }
        p
    }

    /// Standard-normal tensor scaled by `temperature`.
    pub fn normal_tensor(
        &mut self,
        shape: &[usize],
        temperature: f32,
        dev: &Device,
    ) -> Result<Tensor> {
        let n = shape.iter().product();
        let v: Vec<f32> = self
            .normal_vec(n)
            .into_iter()
            .map(|z| z * temperature)
            .collect();
        Ok(Tensor::from_vec(v, shape, dev)?)
    }
}

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
    fn same_seed_same_numbers_and_moments_are_standard() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let va = a.normal_vec(20_000);
        assert_eq!(va, b.normal_vec(20_000));
        let mean = va.iter().sum::<f32>() / va.len() as f32;
        let var = va.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / va.len() as f32;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.04, "var {var}");
        assert_ne!(Rng::new(8).normal_vec(4), Rng::new(7).normal_vec(4));
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut p = Rng::new(1).permutation(1000);
        p.sort_unstable();
        assert_eq!(p, (0..1000).collect::<Vec<_>>());
    }

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
