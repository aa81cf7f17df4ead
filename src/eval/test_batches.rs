//! The test split in batches, as the encoder-based protocols read it.

use candle::Tensor;

use crate::data::{Batch, Dataset};
use crate::models::Network;
use crate::rng::Rng;
use crate::{Error, Result};

/// Calls `f` on `data`, `batch` samples at a time and in order, each batch on `net`'s device
/// with its one-hot labels when `net` is conditional. With `binarize`, each image is binarized
/// once with `rng` (dynamically binarized MNIST's protocol). `f` gets the number of samples
/// done with this batch. An error for `batch` 0.
pub fn for_each_batch(
    net: &Network,
    data: &Dataset,
    batch: usize,
    binarize: bool,
    rng: &mut Rng,
    mut f: impl FnMut(&Batch, Option<&Tensor>, &mut Rng, usize) -> Result<()>,
) -> Result<()> {
    if batch == 0 {
        return Err(Error::Argument("batch must be ≥ 1".into()));
    }
    let n = data.len();
    let mut done = 0;
    while done < n {
        let idx: Vec<usize> = (done..(done + batch).min(n)).collect();
        let b = data.batch(&idx, binarize, rng, net.device())?;
        let y = net.labels(b.labels.as_deref(), idx.len())?;
        done += idx.len();
        f(&b, y.as_ref(), rng, done)?;
    }
    Ok(())
}
