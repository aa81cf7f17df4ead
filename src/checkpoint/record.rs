//! The training record a checkpoint stores as `latentlab.train`: written by the trainer, read
//! by anything that resumes or describes a run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::data::BatcherState;
use crate::metrics::Metrics;
use crate::rng::Rng;

/// How a checkpoint's weights were trained; stored as `latentlab.train`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainInfo {
    pub config: TrainConfig,
    pub steps: u64,
    pub epochs: f64,
    /// Updates taken by each optimizer (their bias-correction step).
    pub optimizer_steps: BTreeMap<String, u64>,
    /// RNG state after the last step: a resumed run continues the same stream.
    pub rng: Rng,
    /// Position in the shuffled training data (`None` if no epoch was started).
    #[serde(default)]
    pub batcher: Option<BatcherState>,
    pub final_metrics: Metrics,
    /// `cpu`, `cuda:0`, `wasm` …
    pub device: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// Seconds spent training in this session (and earlier ones it resumed from).
    pub wall_s: f64,
    /// `latentlab <version>`.
    pub library: String,
}
