//! A fully connected layer `y = act(x·Wᵀ + b)` as one Candle custom op with backward: the bias
//! is written into the output before the GEMM accumulates onto it, the activation is applied
//! in place, and batch 1 becomes a matrix–vector product. For inference with frozen weights,
//! [`TransposedLinear`] keeps `Wᵀ` so that batch 1 skips the inputs that are zero.

use candle::{CpuStorage, CustomOp3, Layout, Shape, Tensor};

use super::gemm::{add_scaled_rows, matmul, transpose, Threads, View};
use super::{apply_layer, pre_activation_grad, slice, tensor, with_values, Act, Needs};

pub struct Linear {
    act: Act,
    needs: Needs,
}

/// # Shapes
/// - `x`: `[B, I]`, `w`: `[O, I]`, `b`: `[O]` → `[B, O]`
pub fn linear(x: &Tensor, w: &Tensor, b: &Tensor, act: Act) -> candle::Result<Tensor> {
    let op = Linear {
        act,
        needs: Needs::of(x, w, b),
    };
    apply_layer(x, w, b, op)
}

/// A layer `act(x·Wᵀ + b)` for one input row at a time, inference only (no gradient), with
/// `Wᵀ` (`[I, O]`) stored once: the output is the bias plus `x[p]` times row `p` of `Wᵀ` for
/// each nonzero `x[p]`, so the zeros of a ReLU before it (about half the inputs) cost nothing
/// and every row read is contiguous. Batch-1 decoding is bound by reading the weights (a
/// matrix–vector product does one multiply-add per weight loaded), so this halves its work.
pub struct TransposedLinear {
    /// `[I, O]`, row-major.
    wt: Vec<f32>,
    bias: Vec<f32>,
}

impl TransposedLinear {
    /// # Shapes
    /// - `w`: `[O, I]`, `b`: `[O]`
    pub fn new(w: &Tensor, b: &Tensor) -> candle::Result<Self> {
        let (o, i) = w.dims2()?;
        if b.dims() != [o] {
            candle::bail!("linear: bias {:?} does not fit weight [{o}, {i}]", b.dims());
        }
        Ok(Self {
            wt: with_values(w, |w| Ok(transpose(w, o, i)))?,
            bias: b.to_vec1()?,
        })
    }

    /// # Shapes
    /// - `x`: `[1, I]` → `[1, O]`
    pub fn forward_row(&self, x: &Tensor, act: Act) -> candle::Result<Tensor> {
        let o = self.bias.len();
        let i = self.wt.len() / o.max(1);
        if x.dims() != [1, i] {
            candle::bail!("linear: input {:?} is not one row of {i}", x.dims());
        }
        let mut y = self.bias.clone();
        with_values(x, |x| add_scaled_rows(&self.wt, x, &mut y))?;
        act.apply(&mut y);
        tensor(y, &[1, o])
    }
}

fn dims(x: &[usize], w: &[usize]) -> candle::Result<(usize, usize, usize)> {
    match (x, w) {
        ([b, i], [o, i2]) if i == i2 => Ok((*b, *i, *o)),
        _ => candle::bail!("linear: input {x:?} and weight {w:?} do not match ([B, I], [O, I])"),
    }
}

impl CustomOp3 for Linear {
    fn name(&self) -> &'static str {
        "latentlab-linear"
    }

    fn cpu_fwd(
        &self,
        sx: &CpuStorage,
        lx: &Layout,
        sw: &CpuStorage,
        lw: &Layout,
        sb: &CpuStorage,
        lb: &Layout,
    ) -> candle::Result<(CpuStorage, Shape)> {
        let (batch, i, o) = dims(lx.dims(), lw.dims())?;
        let (x, w, bias) = (
            slice(sx, lx, "x")?,
            slice(sw, lw, "w")?,
            slice(sb, lb, "b")?,
        );
        if bias.len() != o {
            candle::bail!("linear: bias has {} values for {o} outputs", bias.len());
        }
        let mut y = bias.repeat(batch);
        matmul(
            (batch, o, i),
            View::rows(x, i),
            View::transposed(w, i),
            &mut y,
            true,
            Threads::Pool,
        )?;
        self.act.apply(&mut y);
        Ok((CpuStorage::F32(y), Shape::from((batch, o))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> candle::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (batch, i, o) = dims(x.dims(), w.dims())?;
        let dz = pre_activation_grad(self.act, grad, res)?;
        let dx = if self.needs.x {
            let mut dx = vec![0f32; batch * i];
            // dx [B, I] = dz [B, O] · W [O, I]
            with_values(w, |w| {
                matmul(
                    (batch, i, o),
                    View::rows(&dz, o),
                    View::rows(w, i),
                    &mut dx,
                    false,
                    Threads::Pool,
                )
            })?;
            Some(tensor(dx, &[batch, i])?)
        } else {
            None
        };
        let dw = if self.needs.w {
            let mut dw = vec![0f32; o * i];
            // dW [O, I] = dzᵀ [O, B] · x [B, I]
            with_values(x, |x| {
                matmul(
                    (o, i, batch),
                    View::transposed(&dz, o),
                    View::rows(x, i),
                    &mut dw,
                    false,
                    Threads::Pool,
                )
            })?;
            Some(tensor(dw, &[o, i])?)
        } else {
            None
        };
        let db = if self.needs.b {
            let mut db = vec![0f32; o];
            for row in dz.chunks_exact(o) {
                db.iter_mut().zip(row).for_each(|(d, g)| *d += g);
            }
            Some(tensor(db, &[o])?)
        } else {
            None
        };
        Ok((dx, dw, db))
    }
}
