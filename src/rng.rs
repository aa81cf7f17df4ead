//! Seeded randomness.
//!
//! Candle's CPU RNG cannot be seeded, so every random number in Latent Lab (weight init,
//! noise, shuffling, binarization, toy data) comes from [`Rng`]: xoshiro256++ (Blackman &
//! Vigna) seeded through SplitMix64. Its state is plain data, stored in checkpoints so a
//! resumed run goes on drawing where it stopped, and the same seed gives the same numbers
//! natively and in wasm.

use candle::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::Result;

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

    /// Whether this is a state the generator can be in: xoshiro never reaches the all-zero
    /// state (it would stay there), and a spare normal is finite. A restored state is checked.
    pub fn is_reachable(&self) -> bool {
        self.s != [0; 4] && self.spare.is_none_or(f32::is_finite)
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
}
