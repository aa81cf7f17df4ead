//! Datasets: MNIST and Fashion-MNIST from IDX files, 2-D toy mixtures, user points; seeded
//! batching with optional dynamic binarization. Images are held as f32 in `[0, 1]`.

pub mod augment;
pub mod catalog;
pub mod clusters;
pub mod idx;
pub mod packs;
pub mod toy;

use candle::{Device, Tensor};
use serde::{Deserialize, Serialize};

pub use catalog::{catalog, DatasetEntry, IMAGE_DATASETS, IMAGE_SHAPE};
pub use clusters::Clusters;
pub use packs::FixedPacks;
pub use toy::Toy;

use crate::config::ModelConfig;
use crate::rng::Rng;
use crate::{Error, Result};

/// What a model was trained on; stored in checkpoints as `latentlab.data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    /// `mnist`, `fashion-mnist`, `ring8`, `grid25`, `spiral` or `points`.
    pub name: String,
    pub sample_shape: Vec<usize>,
    /// Range of the values a model sees and produces in data space.
    pub value_range: [f32; 2],
    /// How raw data became those values, e.g. `pixel / 255`.
    pub normalization: String,
    /// Whether training drew binary pixels afresh per batch.
    #[serde(default)]
    pub dynamic_binarization: bool,
    /// Class names by label; empty without labels.
    #[serde(default)]
    pub class_names: Vec<String>,
    /// Set when the labels are k-means clusters ([`Dataset::clustered`]), not the data's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clusters: Option<Clusters>,
}

impl DataInfo {
    /// The data's value range is an interval, its sample shape `model`'s, and its class count
    /// `model`'s (if it has classes).
    pub fn check_fits(&self, model: &ModelConfig) -> Result<()> {
        let [lo, hi] = self.value_range;
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
            return Err(Error::Config(format!(
                "the data {} has the value range [{lo}, {hi}]: it needs finite ends, low ≤ high",
                self.name
            )));
        }
        if model.sample_shape() != self.sample_shape.as_slice() {
            return Err(Error::Config(format!(
                "the model takes samples of shape {:?}, the data {} has {:?}",
                model.sample_shape(),
                self.name,
                self.sample_shape
            )));
        }
        if let Some(k) = model.data_classes() {
            if self.class_names.len() != k {
                return Err(Error::Config(format!(
                    "the model has {k} classes, the data {} has {} ({})",
                    self.name,
                    self.class_names.len(),
                    if self.class_names.is_empty() {
                        "no labels"
                    } else {
                        "labels"
                    }
                )));
            }
        }
        Ok(())
    }
}

/// Which part of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Split::Train => "training",
            Split::Test => "test",
        })
    }
}

/// A dataset in memory.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub info: DataInfo,
    /// `len × sample_len` values, sample after sample.
    pub x: Vec<f32>,
    pub labels: Option<Vec<u32>>,
}

/// One batch, ready for a model.
#[derive(Debug, Clone)]
pub struct Batch {
    /// `[B, *sample_shape]`, data space.
    pub x: Tensor,
    pub labels: Option<Vec<u32>>,
}

impl Dataset {
    /// Images (IDX bytes, pixels 0–255) with labels, scaled to `[0, 1]`. A known dataset's
    /// images must have its size ([`IMAGE_SHAPE`]), and their values must fit the memory budget.
    pub fn from_idx(name: &str, images: &[u8], labels: &[u8]) -> Result<Self> {
        let (pixels, labels, [h, w]) = idx::parse_pair(images, labels, name)?;
        crate::budget::check_rows(&format!("{name} images"), labels.len(), h.saturating_mul(w))?;
        let [_, known_h, known_w] = IMAGE_SHAPE;
        if IMAGE_DATASETS.contains(&name) && [h, w] != [known_h, known_w] {
            return Err(Error::Data(format!(
                "{name} images: {h}×{w} pixels where {name}'s are {known_h}×{known_w}: the file is \
                 not {name}'s"
            )));
        }
        let mut names = catalog::class_names(name);
        let max_label = labels.iter().copied().max().unwrap_or(0) as usize;
        if names.is_empty() {
            names = (0..=max_label).map(|i| i.to_string()).collect();
        } else if max_label >= names.len() {
            return Err(Error::Data(format!(
                "{name}: label {max_label} out of range for {} classes",
                names.len()
            )));
        }
        Ok(Self {
            info: DataInfo {
                name: name.to_string(),
                sample_shape: vec![1, h, w],
                value_range: [0.0, 1.0],
                normalization: "pixel / 255".into(),
                dynamic_binarization: false,
                class_names: names,
                clusters: None,
            },
            x: pixels.iter().map(|&p| p as f32 / 255.0).collect(),
            labels: Some(labels.into_iter().map(u32::from).collect()),
        })
    }

    /// 2-D points, flattened `[x0, y0, x1, y1, …]`.
    pub fn from_points(name: &str, points: Vec<f32>) -> Result<Self> {
        if points.len() < 2
            || !points.len().is_multiple_of(2)
            || points.iter().any(|v| !v.is_finite())
        {
            return Err(Error::Data(format!(
                "{name}: points must be a nonempty, even-length list of finite numbers (got {} values)",
                points.len()
            )));
        }
        let (lo, hi) = points
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        Ok(Self {
            info: DataInfo {
                name: name.to_string(),
                sample_shape: vec![2],
                value_range: [lo, hi],
                normalization: "none".into(),
                dynamic_binarization: false,
                class_names: Vec::new(),
                clusters: None,
            },
            x: points,
            labels: None,
        })
    }

    /// `n` points of a toy mixture.
    pub fn toy(toy: Toy, n: usize, rng: &mut Rng) -> Result<Self> {
        crate::budget::check_rows("toy points", n, 2)?;
        Self::from_points(toy.name(), toy.sample(n, rng))
    }

    /// The toy set a run seeded `seed` trains on, in every front end: `size` points
    /// ([`Toy::TRAIN_POINTS`] by default) drawn from [`Toy::data_seed`].
    pub fn toy_for_run(toy: Toy, size: Option<usize>, seed: u64) -> Result<Self> {
        let mut rng = Rng::new(Toy::data_seed(seed));
        Self::toy(toy, size.unwrap_or(Toy::TRAIN_POINTS), &mut rng)
    }

    /// A dataset by name as the CLI gives it: a toy drawn for a run seeded `seed`
    /// ([`Self::toy_for_run`]; the split does not matter), or `split` of an image dataset
    /// under `data_dir`; `size` keeps the first samples (an error if the split has fewer).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open(
        name: &str,
        split: Split,
        size: Option<usize>,
        data_dir: &std::path::Path,
        seed: u64,
    ) -> Result<Self> {
        if let Ok(toy) = name.parse::<Toy>() {
            return Self::toy_for_run(toy, size, seed);
        }
        if !IMAGE_DATASETS.contains(&name) {
            let toys: Vec<_> = Toy::ALL.into_iter().map(Toy::name).collect();
            return Err(Error::Data(format!(
                "unknown dataset {name:?} (known: {}, and the 2-D sets {})",
                IMAGE_DATASETS.join(", "),
                toys.join(", ")
            )));
        }
        let ds = Self::load(name, split, data_dir)?;
        let Some(n) = size else { return Ok(ds) };
        if n > ds.len() {
            return Err(Error::Data(format!(
                "{n} samples asked of the {name} {split} split, which has {}",
                ds.len()
            )));
        }
        ds.first(n)
    }

    /// Reads `mnist` or `fashion-mnist` from `data_dir/<name>/` (files laid there by
    /// `pkg-scripts/fetch-data`; plain or `.gz`).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load(name: &str, split: Split, data_dir: &std::path::Path) -> Result<Self> {
        if !IMAGE_DATASETS.contains(&name) {
            return Err(Error::Data(format!(
                "unknown image dataset {name:?} (known: {})",
                IMAGE_DATASETS.join(", ")
            )));
        }
        let prefix = match split {
            Split::Train => "train",
            Split::Test => "t10k",
        };
        let images = read_maybe_gz(
            &data_dir
                .join(name)
                .join(format!("{prefix}-images-idx3-ubyte")),
        )?;
        let labels = read_maybe_gz(
            &data_dir
                .join(name)
                .join(format!("{prefix}-labels-idx1-ubyte")),
        )?;
        Self::from_idx(name, &images, &labels)
    }

    pub fn len(&self) -> usize {
        self.x.len().checked_div(self.sample_len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    pub fn sample_len(&self) -> usize {
        self.info.sample_shape.iter().product()
    }

    /// A copy of the first `n` samples (of them alone); an error if it has fewer, or for none.
    pub fn first(&self, n: usize) -> Result<Self> {
        if n == 0 || n > self.len() {
            let (name, len) = (&self.info.name, self.len());
            return Err(Error::Data(format!(
                "{n} samples asked of {name}, which has {len}: ask for 1 to {len}"
            )));
        }
        Ok(Self {
            info: self.info.clone(),
            x: self.x[..n * self.sample_len()].to_vec(),
            labels: self
                .labels
                .as_ref()
                .map(|l| l.iter().take(n).copied().collect()),
        })
    }

    /// Gathers samples `indices` into a batch; with `binarize`, each pixel becomes 1 with
    /// probability equal to its intensity (dynamic binarization, drawn from `rng`).
    pub fn batch(
        &self,
        indices: &[usize],
        binarize: bool,
        rng: &mut Rng,
        device: &Device,
    ) -> Result<Batch> {
        let d = self.sample_len();
        let mut x = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            let s = self.x.get(i * d..(i + 1) * d).ok_or_else(|| {
                Error::Argument(format!(
                    "sample {i} out of range for {} samples",
                    self.len()
                ))
            })?;
            if binarize {
                x.extend(s.iter().map(|&p| if rng.uniform() < p { 1.0 } else { 0.0 }));
            } else {
                x.extend_from_slice(s);
            }
        }
        let mut shape = vec![indices.len()];
        shape.extend(&self.info.sample_shape);
        Ok(Batch {
            x: Tensor::from_vec(x, shape, device)?,
            labels: match &self.labels {
                Some(l) => Some(
                    indices
                        .iter()
                        .map(|&i| {
                            l.get(i).copied().ok_or_else(|| {
                                Error::Argument(format!(
                                    "sample {i} has no label ({} labels)",
                                    l.len()
                                ))
                            })
                        })
                        .collect::<Result<_>>()?,
                ),
                None => None,
            },
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn read_maybe_gz(path: &std::path::Path) -> Result<Vec<u8>> {
    use std::io::Read;
    if path.exists() {
        return std::fs::read(path).map_err(|e| Error::io(path, e));
    }
    let gz = path.with_extension("gz");
    let gz = if gz.exists() {
        gz
    } else {
        std::path::PathBuf::from(format!("{}.gz", path.display()))
    };
    let file = std::fs::File::open(&gz).map_err(|_| {
        Error::Data(format!(
            "{} not found (nor .gz): run pkg-scripts/fetch-data, or pass --data-dir",
            path.display()
        ))
    })?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .map_err(|e| Error::Data(format!("{}: bad gzip stream: {e}", gz.display())))?;
    Ok(out)
}

/// Epoch-wise shuffled mini-batch indices; the shuffles come from the run's [`Rng`].
/// A final partial batch is dropped, so every batch has the same size.
#[derive(Debug, Clone)]
pub struct Batcher {
    order: Vec<usize>,
    batch_size: usize,
    state: BatcherState,
}

/// Where a [`Batcher`] stands, as plain data for checkpoints: the RNG state the current
/// epoch's permutation was drawn from (so it can be drawn again) and the position in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatcherState {
    pub len: usize,
    /// `None` before the first shuffle.
    pub shuffled_from: Option<Rng>,
    pub pos: usize,
}

impl Batcher {
    pub fn new(len: usize, batch_size: usize) -> Result<Self> {
        if batch_size == 0 || len < batch_size {
            return Err(Error::Argument(format!(
                "batch size {batch_size} needs at least that many samples; the dataset has {len}"
            )));
        }
        Ok(Self {
            order: Vec::new(),
            batch_size,
            state: BatcherState {
                len,
                shuffled_from: None,
                pos: len, // shuffle on first use
            },
        })
    }

    /// A batcher at a saved position (its permutation is drawn again from the saved RNG).
    pub fn restore(state: BatcherState, batch_size: usize) -> Result<Self> {
        // The saved epoch's order is drawn again: one index a sample, within the memory budget.
        crate::budget::check_rows("the saved epoch's shuffled order", state.len, 2)?;
        let mut b = Self::new(state.len, batch_size)?;
        if let Some(rng) = &state.shuffled_from {
            b.order = rng.clone().permutation(state.len);
        }
        b.state = state;
        Ok(b)
    }

    pub fn state(&self) -> &BatcherState {
        &self.state
    }

    /// Samples the batcher draws from.
    pub fn len(&self) -> usize {
        self.state.len
    }

    pub fn is_empty(&self) -> bool {
        self.state.len == 0
    }

    pub fn next_indices(&mut self, rng: &mut Rng) -> &[usize] {
        let st = &mut self.state;
        if st.pos + self.batch_size > st.len || self.order.is_empty() {
            st.shuffled_from = Some(rng.clone());
            self.order = rng.permutation(st.len);
            st.pos = 0;
        }
        let s = &self.order[st.pos..st.pos + self.batch_size];
        st.pos += self.batch_size;
        s
    }
}
