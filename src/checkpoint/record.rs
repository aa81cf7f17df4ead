//! The training record a checkpoint stores as `latentlab.train`: written by the trainer, read
//! by anything that resumes or describes a run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::data::BatcherState;
use crate::metrics::{History, Metrics};
use crate::rng::Rng;
use crate::{Error, Result};

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
    /// The metrics over all the run's steps (empty in files from before it was kept, and
    /// from the steps before a resume of such a file).
    #[serde(default)]
    pub history: History,
    /// `cpu`, `cuda:0`, `wasm` …
    pub device: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// Seconds spent training in this session (and earlier ones it resumed from).
    pub wall_s: f64,
    /// `latentlab <version>`.
    pub library: String,
}

impl TrainInfo {
    /// An error for a record no run writes: a step count beyond [`TrainConfig::MAX_STEPS`], a
    /// wall time or epoch count that is negative or not finite, a data position past the data,
    /// a loss history past the run's steps, or an RNG state the generator never reaches.
    pub fn validate(&self) -> Result<()> {
        let counts = std::iter::once(("step count".to_string(), self.steps)).chain(
            self.optimizer_steps
                .iter()
                .map(|(g, &n)| (format!("{g} optimizer's step count"), n)),
        );
        for (what, n) in counts {
            if n > TrainConfig::MAX_STEPS {
                return Err(Error::Checkpoint(format!(
                    "the training record's {what} is {n}, beyond the {} steps a run can take",
                    TrainConfig::MAX_STEPS
                )));
            }
        }
        for (what, v) in [("wall time", self.wall_s), ("epoch count", self.epochs)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::Checkpoint(format!(
                    "the training record's {what} is {v}, not a finite number ≥ 0"
                )));
            }
        }
        if let Some(b) = self.batcher.as_ref().filter(|b| b.pos > b.len) {
            return Err(Error::Checkpoint(format!(
                "the training record's data position {} is past its {} samples",
                b.pos, b.len
            )));
        }
        self.history.validate(self.steps).map_err(|e| {
            Error::Checkpoint(format!("the training record's loss history is wrong: {e}"))
        })?;
        if !self.rng.is_reachable() {
            return Err(Error::Checkpoint(
                "the training record's RNG state is one the generator never reaches (all zero, \
                 or a non-finite spare value)"
                    .into(),
            ));
        }
        Ok(())
    }
}
