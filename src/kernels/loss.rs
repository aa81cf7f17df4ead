//! The Bernoulli negative log-likelihood of a decoder's logits, summed per sample, as one op:
//! forward `Σⱼ softplus(lⱼ) − lⱼ·yⱼ` (stable: `max(l, 0) + ln(1 + e^−|l|) − l·y`), backward
//! `∂/∂l = σ(l) − y`. Targets are data and get no gradient.

use candle::{CpuStorage, CustomOp2, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::fastmath::{sigmoid, softplus};
use super::wide::wide;
use super::{slice, tensor, with_values, PARALLEL_ELEMENTS};

struct BceWithLogits;

/// # Shapes
/// - `logits`, `targets`: `[B, …]` → `[B]`
pub fn bce_with_logits(logits: &Tensor, targets: &Tensor) -> candle::Result<Tensor> {
    let b = logits.dim(0)?;
    let flat = |t: &Tensor| -> candle::Result<Tensor> { t.contiguous()?.reshape((b, ())) };
    flat(logits)?.apply_op2(&flat(targets)?, BceWithLogits)
}

impl CustomOp2 for BceWithLogits {
    fn name(&self) -> &'static str {
        "latentlab-bce-with-logits"
    }

    fn cpu_fwd(
        &self,
        sl: &CpuStorage,
        ll: &Layout,
        sy: &CpuStorage,
        ly: &Layout,
    ) -> candle::Result<(CpuStorage, Shape)> {
        let (l, y) = (slice(sl, ll, "logits")?, slice(sy, ly, "targets")?);
        if ll.dims() != ly.dims() || ll.dims().len() != 2 {
            candle::bail!(
                "bce_with_logits: logits {:?} and targets {:?} differ",
                ll.dims(),
                ly.dims()
            );
        }
        let d = ll.dims()[1];
        let row = |(l, y): (&[f32], &[f32])| -> f32 { row_nll(l, y) };
        let d = d.max(1);
        let out: Vec<f32> = if l.len() < PARALLEL_ELEMENTS {
            l.chunks(d).zip(y.chunks(d)).map(row).collect()
        } else {
            l.par_chunks(d).zip(y.par_chunks(d)).map(row).collect()
        };
        Ok((CpuStorage::F32(out), Shape::from(ll.dims()[0])))
    }

    fn bwd(
        &self,
        logits: &Tensor,
        targets: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle::Result<(Option<Tensor>, Option<Tensor>)> {
        let d = logits.dim(1)?;
        let dl = with_values(logits, |l| {
            with_values(targets, |y| with_values(grad, |g| Ok(bce_grad(l, y, g, d))))
        })?;
        Ok((Some(tensor(dl, logits.dims())?), None))
    }
}

/// One pixel's `softplus(l) − l·y`.
#[inline(always)]
fn term(l: f32, y: f32) -> f32 {
    softplus(l) - l * y
}

/// `Σⱼ softplus(lⱼ) − lⱼ·yⱼ` over one sample, in 8 lanes so that the loop vectorizes (a
/// single running sum would have to add in order, one value at a time).
fn row_nll(l: &[f32], y: &[f32]) -> f32 {
    const W: usize = 8;
    wide!({
        let mut acc = [0f32; W];
        let (lc, lr) = l.split_at(l.len() - l.len() % W);
        let (yc, yr) = y.split_at(lc.len());
        for (l, y) in lc.chunks_exact(W).zip(yc.chunks_exact(W)) {
            for i in 0..W {
                acc[i] += term(l[i], y[i]);
            }
        }
        acc.iter().sum::<f32>() + lr.iter().zip(yr).map(|(&l, &y)| term(l, y)).sum::<f32>()
    })
}

/// `∂/∂l = g · (σ(l) − y)` per sample `g`.
fn bce_grad(l: &[f32], y: &[f32], g: &[f32], d: usize) -> Vec<f32> {
    let d = d.max(1);
    let mut dl = vec![0f32; l.len()];
    let row = |dl: &mut [f32], l: &[f32], y: &[f32], g: f32| {
        wide!({
            for ((o, &l), &y) in dl.iter_mut().zip(l).zip(y) {
                *o = g * (sigmoid(l) - y);
            }
        })
    };
    if l.len() < PARALLEL_ELEMENTS {
        for (((dl, l), y), &g) in dl.chunks_mut(d).zip(l.chunks(d)).zip(y.chunks(d)).zip(g) {
            row(dl, l, y, g);
        }
    } else {
        dl.par_chunks_mut(d)
            .zip(l.par_chunks(d).zip(y.par_chunks(d)))
            .zip(g.par_iter())
            .for_each(|((dl, (l, y)), &g)| row(dl, l, y, g));
    }
    dl
}
