//! Training-mode batch normalization with the activation fused, as one op:
//! `y = act(γ · (x − μ) / √(σ² + ε) + β)` with μ, σ² (biased) each channel's batch statistics,
//! and the backward pass in closed form (Ioffe & Szegedy 2015, §3):
//! `∂x = γ / (N·√(σ² + ε)) · (N·g − Σg − x̂·Σ(g·x̂))`, `∂γ = Σ g·x̂`, `∂β = Σ g`, where `g` is
//! the gradient before the activation and sums run over a channel's N values. The batch
//! statistics come back beside the output (for the running averages). Eval mode is an affine
//! map and stays in Candle's ops.

use std::sync::{Arc, Mutex};

use candle::{CpuStorage, CustomOp3, Layout, Shape, Tensor};

use super::reduce::{dot, sum_of};
use super::wide::wide;
use super::{apply_layer, pre_activation_grad, slice, tensor, with_values, Act, Needs};

/// One channel's batch mean and biased variance.
#[derive(Debug, Clone, Default)]
pub struct BatchStats {
    pub mean: Vec<f32>,
    pub var: Vec<f32>,
}

struct BatchNormOp {
    eps: f32,
    act: Act,
    needs: Needs,
    /// Written by the forward pass, read by the caller and by the backward pass.
    stats: Arc<Mutex<BatchStats>>,
}

/// # Shapes
/// - `x`: `[B, C]` or `[B, C, H, W]`, `scale`, `shift`: `[C]` → the shape of `x`, and the
///   batch statistics `[C]` each
pub fn batch_norm(
    x: &Tensor,
    scale: &Tensor,
    shift: &Tensor,
    eps: f64,
    act: Act,
) -> candle::Result<(Tensor, BatchStats)> {
    let stats = Arc::new(Mutex::new(BatchStats::default()));
    let op = BatchNormOp {
        eps: eps as f32,
        act,
        needs: Needs::of(x, scale, shift),
        stats: stats.clone(),
    };
    let y = apply_layer(x, scale, shift, op)?;
    let stats = stats.lock().expect("batch-norm stats poisoned").clone();
    Ok((y, stats))
}

/// `(B, C, S)`: batch, channels, values per channel per sample (H·W, or 1).
fn dims(x: &[usize], c: usize) -> candle::Result<(usize, usize, usize)> {
    match x {
        [b, c2, rest @ ..] if *c2 == c && *b > 0 => Ok((*b, c, rest.iter().product())),
        _ => candle::bail!("batch_norm: input {x:?} does not have {c} channels in dimension 1"),
    }
}

/// Per-channel sums of `f(value, channel)` over a `[B, C, S]` buffer.
fn channel_sums(
    v: &[f32],
    (_, c, s): (usize, usize, usize),
    f: impl Fn(f32, usize) -> f32,
) -> Vec<f32> {
    let mut sums = vec![0f32; c];
    for sample in v.chunks_exact(c * s) {
        if s == 1 {
            for (j, (acc, &x)) in sums.iter_mut().zip(sample).enumerate() {
                *acc += f(x, j);
            }
        } else {
            for (j, (acc, row)) in sums.iter_mut().zip(sample.chunks_exact(s)).enumerate() {
                *acc += sum_of(row, |x| f(x, j));
            }
        }
    }
    sums
}

/// `out[b, c, s] = f(v[b, c, s], c)`.
fn per_channel_map(
    v: &[f32],
    (_, c, s): (usize, usize, usize),
    f: impl Fn(f32, usize) -> f32,
) -> Vec<f32> {
    let mut out = vec![0f32; v.len()];
    wide!({
        for (o, x) in out.chunks_exact_mut(c * s).zip(v.chunks_exact(c * s)) {
            for (j, (o, x)) in o.chunks_exact_mut(s).zip(x.chunks_exact(s)).enumerate() {
                for (o, &x) in o.iter_mut().zip(x) {
                    *o = f(x, j);
                }
            }
        }
    });
    out
}

impl BatchNormOp {
    /// `1 / √(σ² + ε)` per channel.
    fn inv_std(&self, stats: &BatchStats) -> Vec<f32> {
        stats
            .var
            .iter()
            .map(|v| 1.0 / (v + self.eps).sqrt())
            .collect()
    }
}

impl CustomOp3 for BatchNormOp {
    fn name(&self) -> &'static str {
        "latentlab-batch-norm"
    }

    fn cpu_fwd(
        &self,
        sx: &CpuStorage,
        lx: &Layout,
        sg: &CpuStorage,
        lg: &Layout,
        sb: &CpuStorage,
        lb: &Layout,
    ) -> candle::Result<(CpuStorage, Shape)> {
        let (x, gamma, beta) = (
            slice(sx, lx, "x")?,
            slice(sg, lg, "scale")?,
            slice(sb, lb, "shift")?,
        );
        let d = dims(lx.dims(), gamma.len())?;
        if beta.len() != d.1 {
            candle::bail!(
                "batch_norm: shift has {} values for {} channels",
                beta.len(),
                d.1
            );
        }
        let n = (d.0 * d.2) as f32;
        let mean: Vec<f32> = channel_sums(x, d, |v, _| v).iter().map(|s| s / n).collect();
        let var: Vec<f32> = channel_sums(x, d, |v, j| (v - mean[j]).powi(2))
            .iter()
            .map(|s| s / n)
            .collect();
        let stats = BatchStats { mean, var };
        let inv = self.inv_std(&stats);
        let mut y = per_channel_map(
            x,
            d,
            #[inline(always)]
            |v, j| (v - stats.mean[j]) * inv[j] * gamma[j] + beta[j],
        );
        self.act.apply(&mut y);
        *self.stats.lock().expect("batch-norm stats poisoned") = stats;
        Ok((CpuStorage::F32(y), lx.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        scale: &Tensor,
        _shift: &Tensor,
        y: &Tensor,
        grad: &Tensor,
    ) -> candle::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let g = pre_activation_grad(self.act, grad, y)?;
        let stats = self
            .stats
            .lock()
            .expect("batch-norm stats poisoned")
            .clone();
        let inv = self.inv_std(&stats);
        let c = stats.mean.len();
        let d = dims(x.dims(), c)?;
        let (dx, dgamma, dbeta) = with_values(x, |x| {
            with_values(scale, |gamma| {
                let xhat = per_channel_map(
                    x,
                    d,
                    #[inline(always)]
                    |v, j| (v - stats.mean[j]) * inv[j],
                );
                let dbeta = channel_sums(&g, d, |v, _| v);
                // Σ g·x̂ per channel, over the paired buffers.
                let mut dgamma = vec![0f32; c];
                for (gs, hs) in g.chunks_exact(c * d.2).zip(xhat.chunks_exact(c * d.2)) {
                    for (j, (gr, hr)) in gs.chunks_exact(d.2).zip(hs.chunks_exact(d.2)).enumerate()
                    {
                        dgamma[j] += dot(gr, hr);
                    }
                }
                let n = (d.0 * d.2) as f32;
                let mut dx = vec![0f32; x.len()];
                wide!({
                    for ((o, gs), hs) in dx
                        .chunks_exact_mut(c * d.2)
                        .zip(g.chunks_exact(c * d.2))
                        .zip(xhat.chunks_exact(c * d.2))
                    {
                        for (j, ((o, gr), hr)) in o
                            .chunks_exact_mut(d.2)
                            .zip(gs.chunks_exact(d.2))
                            .zip(hs.chunks_exact(d.2))
                            .enumerate()
                        {
                            let k = gamma[j] * inv[j] / n;
                            for ((o, &g), &h) in o.iter_mut().zip(gr).zip(hr) {
                                *o = k * (n * g - dbeta[j] - h * dgamma[j]);
                            }
                        }
                    }
                });
                Ok((dx, dgamma, dbeta))
            })
        })?;
        let needs = self.needs;
        Ok((
            needs.x.then(|| tensor(dx, x.dims())).transpose()?,
            needs.w.then(|| tensor(dgamma, &[c])).transpose()?,
            needs.b.then(|| tensor(dbeta, &[c])).transpose()?,
        ))
    }
}
