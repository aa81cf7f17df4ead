//! k-means clusters of a dataset's samples, the labels of a self-conditioned GAN (Liu et al.
//! 2020, "Diverse image generation via self-conditioned GANs"): seeded k-means++ seeding
//! (Arthur & Vassilvitskii 2007), Lloyd's iterations to a fixed point (at most
//! `MAX_ITERATIONS`), the best of a few
//! restarts. Distances come from one matrix product per iteration.

use candle::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::Dataset;
use crate::rng::Rng;
use crate::{Error, Result};

/// k-means restarts; the one with the least within-cluster sum of squares is kept.
const RESTARTS: usize = 4;
/// Lloyd's iterations per restart at most (MNIST settles within ~60).
const MAX_ITERATIONS: usize = 100;

/// How a dataset's labels were replaced by clusters; stored with the data's info so a
/// resumed run clusters its data again the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clusters {
    pub k: usize,
    /// Seed of the k-means++ draws.
    pub seed: u64,
    /// Training samples per cluster.
    pub sizes: Vec<usize>,
}

impl Clusters {
    /// The seed a run seeded `seed` clusters its data with.
    pub fn seed_for_run(seed: u64) -> u64 {
        seed ^ 0xC1A5_7E25
    }

    /// Each cluster's share of the training samples: the label prior a self-conditioned
    /// GAN samples by.
    pub fn shares(&self) -> Vec<f32> {
        let n: usize = self.sizes.iter().sum();
        self.sizes
            .iter()
            .map(|&s| (s as f64 / n.max(1) as f64) as f32)
            .collect()
    }
}

/// A k-means partition.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeans {
    /// Cluster of each sample, in `0..k`.
    pub labels: Vec<u32>,
    /// Samples per cluster.
    pub sizes: Vec<usize>,
    /// Sum of squared distances of the samples to their cluster's mean.
    pub inertia: f64,
}

/// Clusters the `n = x.len() / dim` rows of `x` into `k` groups; the result depends on `seed`
/// and the data alone.
pub fn kmeans(x: &[f32], dim: usize, k: usize, seed: u64) -> Result<KMeans> {
    let n = x.len().checked_div(dim).unwrap_or(0);
    if n * dim != x.len() {
        return Err(Error::Argument(format!(
            "k-means needs whole rows: {} values of width {dim}",
            x.len()
        )));
    }
    if k == 0 || n < k {
        return Err(Error::Argument(format!(
            "k-means: {k} clusters asked of {n} samples (k must be between 1 and the sample count)"
        )));
    }
    // The distances of every sample to every centroid: the product, its copy, the result.
    crate::budget::check_rows("k-means distances", n, k.saturating_mul(3))?;
    let xt = Tensor::from_slice(x, (n, dim), &Device::Cpu)?;
    let norms: Vec<f32> = x
        .chunks_exact(dim)
        .map(|r| r.iter().map(|v| v * v).sum())
        .collect();
    let mut rng = Rng::new(seed);
    let mut best: Option<KMeans> = None;
    for _ in 0..RESTARTS {
        let run = lloyd(x, &xt, &norms, seed_plus_plus(&xt, &norms, k, &mut rng)?)?;
        if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
            best = Some(run);
        }
    }
    Ok(best.expect("RESTARTS > 0"))
}

/// Squared distances of every row to every centroid.
///
/// # Shapes
/// - `xt`: `[N, D]`, `norms`: `N` squared row norms, `centroids`: `[K, D]` → `N × K` values
fn sq_distances(xt: &Tensor, norms: &[f32], centroids: &Tensor) -> Result<Vec<f32>> {
    let c_norms: Vec<f32> = centroids.sqr()?.sum(1)?.to_vec1()?;
    let dots: Vec<f32> = xt.matmul(&centroids.t()?)?.flatten_all()?.to_vec1()?;
    // Row by row: an index's `/ k` and `% k` per value cost more than the arithmetic.
    let mut out = Vec::with_capacity(dots.len());
    for (row, &xn) in dots.chunks_exact(c_norms.len()).zip(norms) {
        out.extend(
            row.iter()
                .zip(&c_norms)
                .map(|(d, cn)| (xn - 2.0 * d + cn).max(0.0)),
        );
    }
    Ok(out)
}

/// k-means++ seeding: each next centroid a sample drawn with probability proportional to its
/// squared distance from the nearest centroid so far.
///
/// # Shapes
/// → `[K, D]`
fn seed_plus_plus(xt: &Tensor, norms: &[f32], k: usize, rng: &mut Rng) -> Result<Tensor> {
    let n = norms.len();
    let mut chosen = vec![rng.below(n)];
    let mut nearest = vec![f32::INFINITY; n];
    while chosen.len() < k {
        let last = xt.narrow(0, chosen[chosen.len() - 1], 1)?;
        for (m, d) in nearest.iter_mut().zip(sq_distances(xt, norms, &last)?) {
            *m = m.min(d);
        }
        let total: f64 = nearest.iter().map(|&d| d as f64).sum();
        let next = if total > 0.0 {
            let mut target = rng.uniform() as f64 * total;
            nearest
                .iter()
                .position(|&d| {
                    target -= d as f64;
                    target < 0.0
                })
                .unwrap_or(n - 1)
        } else {
            rng.below(n) // every sample sits on a centroid
        };
        chosen.push(next);
    }
    let idx = Tensor::from_vec(
        chosen.iter().map(|&i| i as u32).collect::<Vec<_>>(),
        k,
        &Device::Cpu,
    )?;
    Ok(xt.index_select(&idx, 0)?)
}

/// Lloyd's iterations from `centroids` until no sample changes cluster. A cluster left empty
/// takes the sample farthest from its own centroid.
fn lloyd(x: &[f32], xt: &Tensor, norms: &[f32], mut centroids: Tensor) -> Result<KMeans> {
    let (k, dim) = centroids.dims2()?;
    let mut labels: Vec<u32> = Vec::new();
    for _ in 0..MAX_ITERATIONS {
        let d = sq_distances(xt, norms, &centroids)?;
        let (next, dist): (Vec<u32>, Vec<f32>) = d
            .chunks_exact(k)
            .map(|row| {
                let (j, v) = row
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f32::INFINITY),
                        |b, (j, &v)| if v < b.1 { (j, v) } else { b },
                    );
                (j as u32, v)
            })
            .unzip();
        let mut sums = vec![0f64; k * dim];
        let mut sizes = vec![0usize; k];
        for (row, &c) in x.chunks_exact(dim).zip(&next) {
            let c = c as usize;
            sizes[c] += 1;
            for (s, &v) in sums[c * dim..(c + 1) * dim].iter_mut().zip(row) {
                *s += v as f64;
            }
        }
        let settled = next == labels;
        labels = next;
        if settled && sizes.iter().all(|&s| s > 0) {
            return Ok(KMeans {
                inertia: dist.iter().map(|&v| v as f64).sum(),
                labels,
                sizes,
            });
        }
        let mut flat = vec![0f32; k * dim];
        for c in 0..k {
            let row = &mut flat[c * dim..(c + 1) * dim];
            if sizes[c] == 0 {
                let far = dist
                    .iter()
                    .enumerate()
                    .fold((0, -1.0), |b, (i, &v)| if v > b.1 { (i, v) } else { b })
                    .0;
                row.copy_from_slice(&x[far * dim..(far + 1) * dim]);
            } else {
                for (r, s) in row.iter_mut().zip(&sums[c * dim..(c + 1) * dim]) {
                    *r = (s / sizes[c] as f64) as f32;
                }
            }
        }
        centroids = Tensor::from_vec(flat, (k, dim), &Device::Cpu)?;
    }
    let d = sq_distances(xt, norms, &centroids)?;
    let mut sizes = vec![0usize; k];
    let mut inertia = 0f64;
    for (i, row) in d.chunks_exact(k).enumerate() {
        let c = labels[i] as usize;
        sizes[c] += 1;
        inertia += row[c] as f64;
    }
    Ok(KMeans {
        labels,
        sizes,
        inertia,
    })
}

/// `n` labels with each label `j` about `n · shares[j]` times (within a few, for any `n`), in
/// an order that mixes them: label `i` is where `frac(i · φ)` falls among the cumulative
/// shares (φ the golden ratio's fraction, a low-discrepancy sequence). No randomness is drawn.
pub fn stratified_labels(n: usize, shares: &[f32]) -> Vec<u32> {
    const PHI: f64 = 0.618_033_988_749_894_9;
    let total: f64 = shares.iter().map(|&s| s as f64).sum();
    (0..n)
        .map(|i| {
            let mut u = (0.5 + i as f64 * PHI).fract() * total;
            shares
                .iter()
                .position(|&s| {
                    u -= s as f64;
                    u < 0.0
                })
                .unwrap_or(shares.len() - 1) as u32
        })
        .collect()
}

impl Dataset {
    /// The same samples labelled by their k-means cluster (`k` clusters, seeded `seed`) in
    /// place of their classes; the classes are named `cluster 1`, `cluster 2`, … and the
    /// info records the clustering.
    pub fn clustered(mut self, k: usize, seed: u64) -> Result<Self> {
        if self.info.clusters.is_some() {
            return Err(Error::Data(format!(
                "{} is already clustered",
                self.info.name
            )));
        }
        let km = kmeans(&self.x, self.sample_len(), k, seed)?;
        self.labels = Some(km.labels);
        self.info.class_names = (1..=k).map(|c| format!("cluster {c}")).collect();
        self.info.clusters = Some(Clusters {
            k,
            seed,
            sizes: km.sizes,
        });
        Ok(self)
    }

    /// This data labelled as a run that trained on `info` saw it: clustered again the same
    /// way when that run's data was clustered, else as it is. An error when the clusters come
    /// out different (other data than the run's).
    pub fn labelled_like(self, info: &super::DataInfo) -> Result<Self> {
        let Some(want) = &info.clusters else {
            return Ok(self);
        };
        let data = self.clustered(want.k, want.seed)?;
        let got = data.info.clusters.as_ref().expect("set by clustered");
        // Float rounding on another CPU may move a sample or two across a boundary.
        let moved: usize = got
            .sizes
            .iter()
            .zip(&want.sizes)
            .fold(0usize, |sum, (a, b)| sum.saturating_add(a.abs_diff(*b)));
        if got.sizes.len() != want.sizes.len() || moved.saturating_mul(1000) > data.len() {
            return Err(Error::Data(format!(
                "the {} training data cluster into sizes {:?}, the run's into {:?}: not the data \
                 this run trained on",
                data.info.name, got.sizes, want.sizes
            )));
        }
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three tight 2-D blobs far apart, 40 points each, interleaved.
    fn blobs() -> (Vec<f32>, Vec<u32>) {
        let centers = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)];
        let mut rng = Rng::new(7);
        let mut x = Vec::new();
        let mut truth = Vec::new();
        for i in 0..120 {
            let (cx, cy) = centers[i % 3];
            x.push(cx + 0.3 * rng.normal());
            x.push(cy + 0.3 * rng.normal());
            truth.push((i % 3) as u32);
        }
        (x, truth)
    }

    #[test]
    fn finds_separated_blobs_exactly() {
        let (x, truth) = blobs();
        let km = kmeans(&x, 2, 3, 1).unwrap();
        assert_eq!(km.sizes, vec![40, 40, 40]);
        // The same partition up to renaming: one cluster per blob.
        for blob in 0..3 {
            let members: Vec<u32> = (0..120)
                .filter(|&i| truth[i] == blob)
                .map(|i| km.labels[i])
                .collect();
            assert!(
                members.iter().all(|&c| c == members[0]),
                "blob {blob} split"
            );
        }
        // Within-cluster sum of squares of N(0, 0.3²) in 2-D: about 120 · 2 · 0.09.
        assert!(km.inertia > 10.0 && km.inertia < 35.0, "{}", km.inertia);
    }

    #[test]
    fn is_a_function_of_seed_and_data() {
        let (x, _) = blobs();
        assert_eq!(kmeans(&x, 2, 5, 3).unwrap(), kmeans(&x, 2, 5, 3).unwrap());
    }

    #[test]
    fn stratified_labels_follow_the_shares_in_every_prefix() {
        let shares = [0.5, 0.1, 0.25, 0.15];
        let labels = stratified_labels(1000, &shares);
        for n in [20, 100, 1000] {
            for (j, &s) in shares.iter().enumerate() {
                let count = labels[..n].iter().filter(|&&l| l == j as u32).count();
                assert!(
                    (count as f32 - s * n as f32).abs() <= 3.0,
                    "label {j}: {count} of {n}"
                );
            }
        }
        // Mixed, not sorted: the first ten already hold three labels.
        let mut first: Vec<u32> = labels[..10].to_vec();
        first.dedup();
        assert!(first.len() > 3, "{:?}", &labels[..10]);
    }

    #[test]
    fn refuses_more_clusters_than_samples() {
        let e = kmeans(&[0.0, 1.0], 1, 3, 0).unwrap_err().to_string();
        assert!(e.contains("3 clusters asked of 2 samples"), "{e}");
    }

    #[test]
    fn relabels_a_dataset_and_redoes_it_for_a_resumed_run() {
        let (x, _) = blobs();
        let data = Dataset::from_points("points", x).unwrap();
        let c = data.clone().clustered(3, 9).unwrap();
        assert_eq!(c.x, data.x);
        assert_eq!(c.info.class_names[2], "cluster 3");
        let info = c.info.clusters.clone().unwrap();
        assert_eq!((info.k, info.sizes.iter().sum::<usize>()), (3, 120));
        assert_eq!(info.shares(), vec![1.0 / 3.0; 3]);
        let again = data.clone().labelled_like(&c.info).unwrap();
        assert_eq!(again.labels, c.labels);
        // Other data does not pass for the run's.
        let other = Dataset::from_points("points", blobs().0[..160].to_vec()).unwrap();
        let e = other.labelled_like(&c.info).unwrap_err().to_string();
        assert!(e.contains("not the data"), "{e}");
        assert!(c.clustered(3, 9).is_err());
    }
}
