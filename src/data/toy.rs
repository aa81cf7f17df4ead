//! 2-D toy mixtures, following the PacGAN protocol (Lin et al. 2018, after Srivastava et al.
//! 2017's VEEGAN): ring = 8 Gaussians on the unit circle with σ = 0.01; grid = 25 Gaussians at
//! {−4, −2, 0, 2, 4}² with σ = 0.05. Plus a two-arm spiral for play.

use serde::{Deserialize, Serialize};

use crate::rng::Rng;
use crate::{Error, Result};

/// A named toy distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Toy {
    Ring8,
    Grid25,
    Spiral,
}

impl std::str::FromStr for Toy {
    type Err = Error;
    fn from_str(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                Error::Data(format!(
                    "unknown toy dataset {name:?} (known: {})",
                    Self::ALL.map(Self::name).join(", ")
                ))
            })
    }
}

impl Toy {
    /// Every toy, in the order front ends list them.
    pub const ALL: [Toy; 3] = [Self::Ring8, Self::Grid25, Self::Spiral];

    /// Points a training set of this toy has unless a size is asked for.
    pub const TRAIN_POINTS: usize = 50_000;

    /// The seed of a toy data set drawn for a run seeded `seed`: its own stream, so drawing
    /// the data does not shift the model's initialization.
    pub fn data_seed(seed: u64) -> u64 {
        seed ^ 0xDA7A_5EED
    }

    /// A square view `[x0, x1, y0, y1]` that frames the whole mixture.
    pub fn view_bounds(self) -> [f32; 4] {
        match self {
            Self::Grid25 => [-6.0, 6.0, -6.0, 6.0],
            Self::Ring8 | Self::Spiral => [-1.6, 1.6, -1.6, 1.6],
        }
    }

    /// How a menu names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ring8 => "ring of 8",
            Self::Grid25 => "grid of 25",
            Self::Spiral => "spiral",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Ring8 => "ring8",
            Self::Grid25 => "grid25",
            Self::Spiral => "spiral",
        }
    }

    /// The mixture's mode centres (empty for the spiral, which has none).
    pub fn modes(self) -> Vec<[f32; 2]> {
        match self {
            Self::Ring8 => (0..8)
                .map(|i| {
                    let a = 2.0 * std::f32::consts::PI * i as f32 / 8.0;
                    [a.cos(), a.sin()]
                })
                .collect(),
            Self::Grid25 => {
                let at = [-4.0, -2.0, 0.0, 2.0, 4.0];
                at.iter()
                    .flat_map(|&x| at.iter().map(move |&y| [x, y]))
                    .collect()
            }
            Self::Spiral => Vec::new(),
        }
    }

    /// Standard deviation of each mode.
    pub fn sigma(self) -> f32 {
        match self {
            Self::Ring8 => 0.01,
            Self::Grid25 => 0.05,
            Self::Spiral => 0.05,
        }
    }

    /// `n` points, flattened `[x0, y0, x1, y1, …]`, each from a uniformly chosen mode.
    pub fn sample(self, n: usize, rng: &mut Rng) -> Vec<f32> {
        let mut out = Vec::with_capacity(2 * n);
        let modes = self.modes();
        let s = self.sigma();
        for _ in 0..n {
            let [cx, cy] = match self {
                Self::Spiral => {
                    // Two arms of r = θ / 4π, θ ∈ [π/2, 4π), scaled to about [-1, 1].
                    let t = rng.uniform();
                    let theta = std::f32::consts::PI * (0.5 + 3.5 * t);
                    let r = theta / (4.0 * std::f32::consts::PI);
                    let sign = if rng.below(2) == 0 { 1.0 } else { -1.0 };
                    [sign * r * theta.cos(), sign * r * theta.sin()]
                }
                _ => modes[rng.below(modes.len())],
            };
            out.push(cx + s * rng.normal());
            out.push(cy + s * rng.normal());
        }
        out
    }
}
