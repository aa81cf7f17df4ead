//! Maxout (Goodfellow et al. 2013) as one op: each unit is the largest of its `k` consecutive
//! inputs; the gradient goes to that input alone (the first one on ties).

use candle::{CpuStorage, CustomOp1, Layout, Shape, Tensor};

use super::{slice, tensor, with_values};

struct Maxout {
    pieces: usize,
}

/// # Shapes
/// - `x`: `[B, U·k]` → `[B, U]`
pub fn maxout(x: &Tensor, pieces: usize) -> candle::Result<Tensor> {
    x.contiguous()?.apply_op1(Maxout { pieces })
}

/// The index within `group` of its largest value (the first on ties), and that value. The
/// winning piece is data: selects, not branches (a branch mispredicted on every other piece
/// cost more than the compares; maxout took a third of a PacGAN step).
#[inline(always)]
fn argmax(group: &[f32]) -> (usize, f32) {
    let (mut best, mut top) = (0, group[0]);
    for (i, &v) in group.iter().enumerate().skip(1) {
        let take = v > top;
        best = if take { i } else { best };
        top = if take { v } else { top };
    }
    (best, top)
}

impl CustomOp1 for Maxout {
    fn name(&self) -> &'static str {
        "latentlab-maxout"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle::Result<(CpuStorage, Shape)> {
        let x = slice(s, l, "x")?;
        let k = self.pieces;
        match l.dims() {
            [b, n] if k > 0 && n % k == 0 => {
                let y: Vec<f32> = x.chunks_exact(k).map(|g| argmax(g).1).collect();
                Ok((CpuStorage::F32(y), Shape::from((*b, n / k))))
            }
            dims => candle::bail!("maxout: input {dims:?} is not [B, units × {k}]"),
        }
    }

    fn bwd(&self, x: &Tensor, _y: &Tensor, grad: &Tensor) -> candle::Result<Option<Tensor>> {
        let k = self.pieces;
        let dx = with_values(x, |x| {
            with_values(grad, |g| {
                let mut dx = vec![0f32; x.len()];
                for ((d, group), &g) in dx.chunks_exact_mut(k).zip(x.chunks_exact(k)).zip(g) {
                    d[argmax(group).0] = g;
                }
                Ok(dx)
            })
        })?;
        Ok(Some(tensor(dx, x.dims())?))
    }
}
