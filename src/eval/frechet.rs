//! Fréchet distance between Gaussians fitted to classifier features (the FID recipe of
//! Heusel et al. 2017 with a small MNIST classifier instead of Inception), and a class
//! histogram of generated samples.

use candle::Tensor;
use serde::Serialize;

use super::symmetric_eigen::{matmul, symmetric_eigen};
use crate::models::{Model, Network};
use crate::{Error, Result};

/// Mean and covariance of a feature set (f64).
#[derive(Debug, Clone)]
pub struct Gaussian {
    pub mean: Vec<f64>,
    /// Row-major `dim × dim`.
    pub cov: Vec<f64>,
    pub dim: usize,
}

impl Gaussian {
    /// Fits `rows` (`n × dim` values) with the unbiased covariance.
    pub fn fit(rows: &[f32], dim: usize) -> Result<Self> {
        if dim == 0 || !rows.len().is_multiple_of(dim) || rows.len() < 2 * dim {
            return Err(Error::Argument(format!(
                "need at least 2 rows of {dim} features, got {} values",
                rows.len()
            )));
        }
        let n = rows.len() / dim;
        let mut mean = vec![0.0; dim];
        for r in rows.chunks_exact(dim) {
            for (m, &v) in mean.iter_mut().zip(r) {
                *m += v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut cov = vec![0.0; dim * dim];
        let mut c = vec![0.0; dim];
        for r in rows.chunks_exact(dim) {
            for (ci, (&v, m)) in c.iter_mut().zip(r.iter().zip(&mean)) {
                *ci = v as f64 - m;
            }
            for i in 0..dim {
                let ci = c[i];
                for j in i..dim {
                    cov[i * dim + j] += ci * c[j];
                }
            }
        }
        for i in 0..dim {
            for j in i..dim {
                let v = cov[i * dim + j] / (n - 1) as f64;
                cov[i * dim + j] = v;
                cov[j * dim + i] = v;
            }
        }
        Ok(Self { mean, cov, dim })
    }

    /// An error unless it holds `dim ≥ 1` means and a `dim × dim` covariance.
    fn check_shape(&self) -> Result<()> {
        let d = self.dim;
        if d == 0 || self.mean.len() != d || self.cov.len() != d * d {
            return Err(Error::Argument(format!(
                "a Gaussian of dimension {d} needs {d} means and {} covariances, got {} and {}",
                d * d,
                self.mean.len(),
                self.cov.len()
            )));
        }
        Ok(())
    }
}

/// A Gaussian that others are measured against, with the square root of its covariance:
/// the costly half of a distance, computed once for the test split's features.
#[derive(Debug, Clone)]
pub struct Reference {
    gaussian: Gaussian,
    /// Σ^½ = V diag(√λ) Vᵀ, row-major (negative round-off eigenvalues clipped to 0).
    root: Vec<f64>,
}

impl Reference {
    pub fn new(gaussian: Gaussian) -> Result<Self> {
        gaussian.check_shape()?;
        let n = gaussian.dim;
        let (w, v) = symmetric_eigen(&gaussian.cov, n)?;
        let scaled: Vec<f64> = v
            .chunks_exact(n)
            .flat_map(|row| row.iter().zip(&w).map(|(x, l)| x * l.max(0.0).sqrt()))
            .collect();
        let mut root = vec![0.0; n * n];
        for (i, row) in scaled.chunks_exact(n).enumerate() {
            for (j, col) in v.chunks_exact(n).enumerate() {
                root[i * n + j] = row.iter().zip(col).map(|(a, b)| a * b).sum();
            }
        }
        Ok(Self { gaussian, root })
    }

    /// The Fréchet distance of `other` to this Gaussian, as [`frechet_distance`].
    pub fn distance(&self, other: &Gaussian) -> Result<f64> {
        let (a, n) = (&self.gaussian, self.gaussian.dim);
        other.check_shape()?;
        if other.dim != n {
            return Err(Error::Argument(format!(
                "feature sizes differ: {n} vs {}",
                other.dim
            )));
        }
        let mean_term: f64 = a
            .mean
            .iter()
            .zip(&other.mean)
            .map(|(x, y)| (x - y).powi(2))
            .sum();
        let m = matmul(&matmul(&self.root, &other.cov, n), &self.root, n);
        let sym: Vec<f64> = (0..n * n)
            .map(|idx| 0.5 * (m[idx] + m[(idx % n) * n + idx / n]))
            .collect();
        let (mw, _) = symmetric_eigen(&sym, n)?;
        let tr_sqrt: f64 = mw.iter().map(|x| x.max(0.0).sqrt()).sum();
        let tr = |c: &[f64]| (0..n).map(|i| c[i * n + i]).sum::<f64>();
        Ok((mean_term + tr(&a.cov) + tr(&other.cov) - 2.0 * tr_sqrt).max(0.0))
    }
}

/// ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½): symmetric in its two Gaussians.
pub fn frechet_distance(a: &Gaussian, b: &Gaussian) -> Result<f64> {
    Reference::new(a.clone())?.distance(b)
}

/// What a classifier makes of `N` images.
#[derive(Debug, Clone)]
pub struct Features {
    /// Penultimate features, `N × feature_dim` values.
    pub values: Vec<f32>,
    /// The predicted class of each image.
    pub preds: Vec<u32>,
    /// The predicted class's softmax probability for each image.
    pub confidence: Vec<f32>,
}

impl Features {
    /// Share of the images predicted with probability ≥ `threshold`.
    pub fn confident_share(&self, threshold: f32) -> f64 {
        let n = self.confidence.len().max(1) as f64;
        self.confidence.iter().filter(|&&p| p >= threshold).count() as f64 / n
    }

    /// Share of the images predicted as the class in `labels` at the same index.
    pub fn agreement(&self, labels: &[u32]) -> f64 {
        let hits = self
            .preds
            .iter()
            .zip(labels)
            .filter(|(p, l)| p == l)
            .count();
        hits as f64 / self.preds.len().max(1) as f64
    }

    /// Share of the images predicted as the most frequent class among the images of the same
    /// code: how well codes learned without labels (InfoGAN) separate the classes, as Chen
    /// et al. score them (1 when each code draws one class, whichever it is).
    pub fn code_purity(&self, codes: &[u32], num_classes: usize) -> f64 {
        let k = codes.iter().max().map_or(0, |&c| c as usize + 1);
        let mut counts = vec![vec![0usize; num_classes]; k];
        for (&p, &c) in self.preds.iter().zip(codes) {
            if (p as usize) < num_classes {
                counts[c as usize][p as usize] += 1;
            }
        }
        let hits: usize = counts.iter().filter_map(|row| row.iter().max()).sum();
        hits as f64 / self.preds.len().max(1) as f64
    }
}

/// The classifier's reading of data-space images, `batch` at a time.
///
/// # Shapes
/// - `images`: `[N, *sample_shape]` → `N × feature_dim` feature values, `N` predictions
pub fn features(classifier: &Network, images: &Tensor, batch: usize) -> Result<Features> {
    let Model::Classifier(c) = classifier.model() else {
        return Err(Error::Argument(format!(
            "features need a classifier checkpoint, got a {}",
            classifier.config().kind()
        )));
    };
    if batch == 0 {
        return Err(Error::Argument("the feature batch must be ≥ 1".into()));
    }
    let n = images.dim(0)?;
    let mut out = Features {
        values: Vec::new(),
        preds: Vec::new(),
        confidence: Vec::new(),
    };
    let mut i = 0;
    while i < n {
        let len = batch.min(n - i);
        let x = images.narrow(0, i, len)?;
        let f = c.features(&x)?;
        let probs = candle_nn::ops::softmax_last_dim(&c.logits(&f)?)?;
        out.preds.extend(probs.argmax(1)?.to_vec1::<u32>()?);
        out.confidence.extend(probs.max(1)?.to_vec1::<f32>()?);
        out.values.extend(f.flatten_all()?.to_vec1::<f32>()?);
        i += len;
    }
    Ok(out)
}

/// Share of predicted classes, and how many classes got at least one sample.
#[derive(Debug, Clone, Serialize)]
pub struct ClassHistogram {
    pub counts: Vec<usize>,
    pub classes_hit: usize,
    /// The rarest and the most frequent class's share of the samples, in % (10 each when
    /// balanced over 10 classes).
    pub min_share_pct: f64,
    pub max_share_pct: f64,
    /// KL(predicted class distribution ‖ uniform), nats.
    pub kl_to_uniform: f64,
}

pub fn class_histogram(preds: &[u32], num_classes: usize) -> ClassHistogram {
    let mut counts = vec![0usize; num_classes];
    for &p in preds {
        if (p as usize) < num_classes {
            counts[p as usize] += 1;
        }
    }
    let total = counts.iter().sum::<usize>().max(1) as f64;
    let kl = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let q = c as f64 / total;
            q * (q * num_classes as f64).ln()
        })
        .sum();
    let share = |c: Option<&usize>| c.map_or(0.0, |&c| 100.0 * c as f64 / total);
    ClassHistogram {
        classes_hit: counts.iter().filter(|&&c| c > 0).count(),
        min_share_pct: share(counts.iter().min()),
        max_share_pct: share(counts.iter().max()),
        counts,
        kl_to_uniform: kl,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confident_share_counts_probabilities_from_the_threshold() {
        let f = Features {
            values: vec![],
            preds: vec![0, 1, 2, 3],
            confidence: vec![0.95, 0.5, 0.9, 0.1],
        };
        assert_eq!(f.confident_share(0.9), 0.5);
        assert_eq!(f.confident_share(0.05), 1.0);
        assert_eq!(f.agreement(&[0, 1, 1, 0]), 0.5);
        assert_eq!(f.agreement(&[0, 1, 2, 3]), 1.0);
        // Codes 1, 1, 0, 0 hold classes {0, 1} and {2, 3}: one image of each code is its
        // majority (a tie counts once).
        assert_eq!(f.code_purity(&[1, 1, 0, 0], 4), 0.5);
        // A permutation of the classes is pure.
        assert_eq!(f.code_purity(&[3, 0, 2, 1], 4), 1.0);
        assert_eq!(f.code_purity(&[0, 0, 0, 0], 4), 0.25);
    }

    #[test]
    fn class_histogram_counts_shares_and_the_kl_to_uniform() {
        let h = class_histogram(&[0, 0, 1, 2, 0, 1, 0, 2], 4);
        assert_eq!(h.counts, vec![4, 2, 2, 0]);
        assert_eq!(h.classes_hit, 3);
        assert_eq!((h.min_share_pct, h.max_share_pct), (0.0, 50.0));
        // ½ ln 2 + 2 · ¼ ln 1: shares ½, ¼, ¼ against ¼ each.
        assert!((h.kl_to_uniform - 0.5 * 2f64.ln()).abs() < 1e-12);
        let balanced = class_histogram(&[3, 1, 0, 2], 4);
        assert_eq!(
            (balanced.min_share_pct, balanced.max_share_pct),
            (25.0, 25.0)
        );
        assert_eq!(balanced.kl_to_uniform, 0.0);
    }

    #[test]
    fn frechet_of_diagonal_gaussians_has_the_closed_form() {
        // For commuting covariances: Σ (μ₁−μ₂)² + Σ (√σ₁² − √σ₂²)².
        let a = Gaussian {
            mean: vec![0.0, 1.0],
            cov: vec![4.0, 0.0, 0.0, 1.0],
            dim: 2,
        };
        let b = Gaussian {
            mean: vec![1.0, 1.0],
            cov: vec![1.0, 0.0, 0.0, 9.0],
            dim: 2,
        };
        let want = 1.0 + (2.0f64 - 1.0).powi(2) + (1.0f64 - 3.0).powi(2);
        assert!((frechet_distance(&a, &b).unwrap() - want).abs() < 1e-9);
        assert!(frechet_distance(&a, &a).unwrap() < 1e-9);
    }

    #[test]
    fn frechet_of_covariances_sharing_their_axes_has_the_closed_form() {
        // R diag(d₁) Rᵀ against R diag(d₂) Rᵀ, R a rotation of the x–y plane by 30°:
        // ‖δ‖² + Σ (√d₁ − √d₂)², the eigen decomposition having to find R.
        let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
        let r = [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0];
        let rotated = |d: [f64; 3]| {
            let mut cov = vec![0.0; 9];
            for i in 0..3 {
                for j in 0..3 {
                    cov[i * 3 + j] = (0..3).map(|k| r[i * 3 + k] * d[k] * r[j * 3 + k]).sum();
                }
            }
            cov
        };
        let a = Gaussian {
            mean: vec![1.0, 0.0, 2.0],
            cov: rotated([4.0, 1.0, 0.25]),
            dim: 3,
        };
        let b = Gaussian {
            mean: vec![0.0, 0.0, 0.0],
            cov: rotated([1.0, 9.0, 1.0]),
            dim: 3,
        };
        let want = 5.0 + 1.0 + 4.0 + 0.25;
        let reference = Reference::new(a.clone()).unwrap();
        assert!((reference.distance(&b).unwrap() - want).abs() < 1e-9);
        assert!((frechet_distance(&b, &a).unwrap() - want).abs() < 1e-9);
        assert!(reference.distance(&a).unwrap() < 1e-9);
        // Malformed Gaussians are errors, not panics.
        let short = Gaussian {
            cov: vec![1.0; 4],
            ..a.clone()
        };
        let e = reference.distance(&short).unwrap_err().to_string();
        assert!(
            e.contains("needs 3 means and 9 covariances, got 3 and 4"),
            "{e}"
        );
        let empty = Gaussian {
            mean: vec![],
            cov: vec![],
            dim: 0,
        };
        assert!(Reference::new(empty).is_err());
    }
}
