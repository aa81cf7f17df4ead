//! Mode coverage on 2-D Gaussian mixtures, as PacGAN (Lin et al. 2018, §5.1, after VEEGAN)
//! measures it: a sample is *high quality* when it lies within 3σ of its nearest mode; a mode
//! is *covered* when it gets at least one high-quality sample; the *reverse KL* compares the
//! distribution of high-quality samples over modes with the true (uniform) one.

use serde::Serialize;

use crate::data::Toy;
use crate::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct ModeReport {
    pub modes_covered: usize,
    pub modes: usize,
    /// Percentage of samples within 3σ of a mode.
    pub high_quality_pct: f64,
    /// KL(generated mode distribution ‖ uniform), in nats.
    pub reverse_kl: f64,
    pub samples: usize,
    /// High-quality samples per mode.
    pub counts: Vec<usize>,
}

/// Scores flattened 2-D `points` against `toy`'s modes.
pub fn mode_coverage(points: &[f32], toy: Toy) -> Result<ModeReport> {
    let modes = toy.modes();
    if modes.is_empty() {
        return Err(Error::Argument(format!(
            "{} has no discrete modes to cover, and no other measure here: the 2-D \
             protocol (PacGAN's) scores ring8 and grid25; look at `latentlab sample` of it",
            toy.name()
        )));
    }
    if points.is_empty() || !points.len().is_multiple_of(2) {
        return Err(Error::Argument(
            "points must be a nonempty list of (x, y) pairs".into(),
        ));
    }
    let limit = 3.0 * toy.sigma();
    let mut counts = vec![0usize; modes.len()];
    for p in points.chunks_exact(2) {
        let (best, d2) = modes
            .iter()
            .enumerate()
            .map(|(i, m)| (i, (p[0] - m[0]).powi(2) + (p[1] - m[1]).powi(2)))
            .fold((0, f32::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
        if d2.sqrt() <= limit {
            counts[best] += 1;
        }
    }
    let hq: usize = counts.iter().sum();
    let n = points.len() / 2;
    let reverse_kl = if hq == 0 {
        f64::INFINITY
    } else {
        let uniform = 1.0 / modes.len() as f64;
        counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| {
                let q = c as f64 / hq as f64;
                q * (q / uniform).ln()
            })
            .sum()
    };
    Ok(ModeReport {
        modes_covered: counts.iter().filter(|&&c| c > 0).count(),
        modes: modes.len(),
        high_quality_pct: 100.0 * hq as f64 / n as f64,
        reverse_kl,
        samples: n,
        counts,
    })
}
