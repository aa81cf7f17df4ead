//! conv2d and conv_transpose2d (square kernels, NCHW) by im2col / col2im over a GEMM, with the
//! bias and the activation fused, as Candle custom ops with backward. Images of a batch run
//! in parallel (one GEMM per image, each on one thread); a single image splits its GEMM.

use candle::{CpuStorage, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::gemm::{matmul, Threads, View};
use super::im2col::{col2im, im2col, Geometry};
use super::{pre_activation_grad, slice, tensor, with_values, Act};

/// Which of a layer's inputs need gradients, decided when the op is built.
#[derive(Debug, Clone, Copy)]
struct Needs {
    x: bool,
    w: bool,
    b: bool,
}

impl Needs {
    fn of(x: &Tensor, w: &Tensor, b: &Tensor) -> Self {
        Self {
            x: x.track_op(),
            w: w.track_op(),
            b: b.track_op(),
        }
    }
}

/// Images handled together by one thread when the batch is split across the pool.
fn min_len(batch: usize) -> usize {
    batch.div_ceil(super::threads()).max(1)
}

/// Per-image GEMMs may use the pool only when the batch alone cannot.
fn image_threads(batch: usize) -> Threads {
    if batch >= super::threads() {
        Threads::One
    } else {
        Threads::Pool
    }
}

/// `y = act(conv2d(x, w) + b)` for `x` `[B, C, H, W]`, `w` `[O, C, k, k]`, `b` `[O]`.
pub struct Conv2d {
    stride: usize,
    pad: usize,
    act: Act,
    needs: Needs,
}

/// # Shapes
/// - `x`: `[B, C, H, W]`, `w`: `[O, C, k, k]`, `b`: `[O]` → `[B, O, Ho, Wo]`
pub fn conv2d(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    pad: usize,
    act: Act,
) -> candle::Result<Tensor> {
    let op = Conv2d {
        stride,
        pad,
        act,
        needs: Needs::of(x, w, b),
    };
    x.contiguous()?
        .apply_op3(&w.contiguous()?, &b.contiguous()?, op)
}

/// `[B, C, H, W]` and `[O, C, k, k]` → (batch, geometry, O).
fn conv_dims(
    x: &[usize],
    w: &[usize],
    stride: usize,
    pad: usize,
) -> candle::Result<(usize, Geometry, usize)> {
    match (x, w) {
        ([b, c, h, wd], [o, c2, k, k2]) if c == c2 && k == k2 => {
            Ok((*b, Geometry::conv(*c, *h, *wd, *k, stride, pad)?, *o))
        }
        _ => candle::bail!(
            "conv2d: input {x:?} and kernel {w:?} do not match ([B, C, H, W], [O, C, k, k])"
        ),
    }
}

/// `[B, Ci, Hi, Wi]` and `[Ci, Co, k, k]` → (batch, geometry of the equivalent convolution
/// from the `[Co, Ho, Wo]` output back to `Hi × Wi`, Ci).
fn conv_t_dims(
    x: &[usize],
    w: &[usize],
    stride: usize,
    pad: usize,
) -> candle::Result<(usize, Geometry, usize)> {
    match (x, w) {
        ([b, ci, hi, wi], [ci2, co, k, k2]) if ci == ci2 && k == k2 && *hi > 0 && *wi > 0 => {
            let out = |i: usize| ((i - 1) * stride + k).checked_sub(2 * pad);
            let (Some(ho), Some(wo)) = (out(*hi), out(*wi)) else {
                candle::bail!("conv_transpose2d: padding {pad} too large for a {hi}×{wi} input");
            };
            let g = Geometry::conv(*co, ho, wo, *k, stride, pad)?;
            if (g.ho, g.wo) != (*hi, *wi) {
                candle::bail!("conv_transpose2d: {hi}×{wi} is not the image of {ho}×{wo}");
            }
            Ok((*b, g, *ci))
        }
        _ => candle::bail!("conv_transpose2d: input {x:?} and kernel {w:?} do not match ([B, Ci, H, W], [Ci, Co, k, k])"),
    }
}

/// Writes `bias[o]` into each of the `o` rows of `y` (`len` values per row).
fn fill_bias(y: &mut [f32], bias: &[f32], len: usize) {
    for (row, &b) in y.chunks_exact_mut(len).zip(bias) {
        row.fill(b);
    }
}

/// `Σ` over images and positions of `dz` `[B, O, len]` → `[O]`.
fn bias_grad(dz: &[f32], o: usize, len: usize) -> Vec<f32> {
    let mut db = vec![0f32; o];
    for img in dz.chunks_exact(o * len) {
        for (d, row) in db.iter_mut().zip(img.chunks_exact(len)) {
            *d += row.iter().sum::<f32>();
        }
    }
    db
}

/// Sums per-thread partial weight gradients.
fn add_into(mut a: Vec<f32>, b: Vec<f32>) -> Vec<f32> {
    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
    a
}

impl CustomOp3 for Conv2d {
    fn name(&self) -> &'static str {
        "latentlab-conv2d"
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
        let (batch, g, o) = conv_dims(lx.dims(), lw.dims(), self.stride, self.pad)?;
        let (x, w, bias) = (
            slice(sx, lx, "x")?,
            slice(sw, lw, "w")?,
            slice(sb, lb, "b")?,
        );
        if bias.len() != o {
            candle::bail!("conv2d: bias has {} values for {o} channels", bias.len());
        }
        let (ck2, len, xlen) = (g.col_rows(), g.col_cols(), g.c * g.h * g.w);
        let mut y = vec![0f32; batch * o * len];
        let threads = image_threads(batch);
        y.par_chunks_mut(o * len)
            .zip(x.par_chunks(xlen))
            .with_min_len(min_len(batch))
            .try_for_each_init(
                || vec![0f32; ck2 * len],
                |cols, (yb, xb)| {
                    im2col(&g, xb, cols);
                    fill_bias(yb, bias, len);
                    matmul(
                        (o, len, ck2),
                        View::rows(w, ck2),
                        View::rows(cols, len),
                        yb,
                        true,
                        threads,
                    )?;
                    self.act.apply(yb);
                    Ok::<(), candle::Error>(())
                },
            )?;
        Ok((CpuStorage::F32(y), Shape::from((batch, o, g.ho, g.wo))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> candle::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (batch, g, o) = conv_dims(x.dims(), w.dims(), self.stride, self.pad)?;
        let (ck2, len, xlen) = (g.col_rows(), g.col_cols(), g.c * g.h * g.w);
        let dz = pre_activation_grad(self.act, grad, res)?;
        let db = self.needs.b.then(|| bias_grad(&dz, o, len));
        let (dx, dw) = with_values(x, |xv| {
            with_values(w, |wv| {
                let threads = image_threads(batch);
                let mut dx = vec![0f32; if self.needs.x { batch * xlen } else { 0 }];
                let dx_chunks: Vec<&mut [f32]> = if self.needs.x {
                    dx.chunks_mut(xlen).collect()
                } else {
                    (0..batch).map(|_| &mut [][..]).collect()
                };
                let need_w = self.needs.w;
                let dw = dx_chunks
                    .into_par_iter()
                    .zip(xv.par_chunks(xlen))
                    .zip(dz.par_chunks(o * len))
                    .with_min_len(min_len(batch))
                    .try_fold(
                        || {
                            (
                                vec![0f32; if need_w { o * ck2 } else { 0 }],
                                vec![0f32; ck2 * len],
                            )
                        },
                        |(mut dw, mut cols), ((dxb, xb), dzb)| {
                            if need_w {
                                im2col(&g, xb, &mut cols);
                                // dW += dz_b [O, len] · cols_bᵀ [len, ck2]
                                matmul(
                                    (o, ck2, len),
                                    View::rows(dzb, len),
                                    View::transposed(&cols, len),
                                    &mut dw,
                                    true,
                                    threads,
                                )?;
                            }
                            if !dxb.is_empty() {
                                // dcols = Wᵀ [ck2, O] · dz_b [O, len]; dx_b = col2im(dcols)
                                matmul(
                                    (ck2, len, o),
                                    View::transposed(wv, ck2),
                                    View::rows(dzb, len),
                                    &mut cols,
                                    false,
                                    threads,
                                )?;
                                col2im(&g, &cols, dxb);
                            }
                            Ok::<_, candle::Error>((dw, cols))
                        },
                    )
                    .map(|r| r.map(|(dw, _)| dw))
                    .try_reduce(Vec::new, |a, b| {
                        Ok(if a.is_empty() { b } else { add_into(a, b) })
                    })?;
                Ok((dx, dw))
            })
        })?;
        Ok((
            self.needs.x.then(|| tensor(dx, x.dims())).transpose()?,
            self.needs.w.then(|| tensor(dw, w.dims())).transpose()?,
            db.map(|db| tensor(db, &[o])).transpose()?,
        ))
    }
}

/// `y = act(conv_transpose2d(x, w) + b)` for `x` `[B, Ci, Hi, Wi]`, `w` `[Ci, Co, k, k]`
/// (PyTorch's layout), `b` `[Co]`; output padding 0.
pub struct ConvTranspose2d {
    stride: usize,
    pad: usize,
    act: Act,
    needs: Needs,
}

/// # Shapes
/// - `x`: `[B, Ci, Hi, Wi]`, `w`: `[Ci, Co, k, k]`, `b`: `[Co]` → `[B, Co, (Hi−1)·s − 2p + k, …]`
pub fn conv_transpose2d(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    pad: usize,
    act: Act,
) -> candle::Result<Tensor> {
    let op = ConvTranspose2d {
        stride,
        pad,
        act,
        needs: Needs::of(x, w, b),
    };
    x.contiguous()?
        .apply_op3(&w.contiguous()?, &b.contiguous()?, op)
}

impl CustomOp3 for ConvTranspose2d {
    fn name(&self) -> &'static str {
        "latentlab-conv-transpose2d"
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
        // g: the convolution from the output [Co, Ho, Wo] back to the input grid [Hi, Wi].
        let (batch, g, ci) = conv_t_dims(lx.dims(), lw.dims(), self.stride, self.pad)?;
        let (x, w, bias) = (
            slice(sx, lx, "x")?,
            slice(sw, lw, "w")?,
            slice(sb, lb, "b")?,
        );
        let (cok2, len, ylen) = (g.col_rows(), g.col_cols(), g.c * g.h * g.w);
        if bias.len() != g.c {
            candle::bail!(
                "conv_transpose2d: bias has {} values for {} channels",
                bias.len(),
                g.c
            );
        }
        let mut y = vec![0f32; batch * ylen];
        let threads = image_threads(batch);
        y.par_chunks_mut(ylen)
            .zip(x.par_chunks(ci * len))
            .with_min_len(min_len(batch))
            .try_for_each_init(
                || vec![0f32; cok2 * len],
                |cols, (yb, xb)| {
                    // cols [Co·k², HiWi] = Wᵀ [Co·k², Ci] · x_b [Ci, HiWi]; y_b = col2im(cols)
                    matmul(
                        (cok2, len, ci),
                        View::transposed(w, cok2),
                        View::rows(xb, len),
                        cols,
                        false,
                        threads,
                    )?;
                    fill_bias(yb, bias, g.h * g.w);
                    col2im(&g, cols, yb);
                    self.act.apply(yb);
                    Ok::<(), candle::Error>(())
                },
            )?;
        Ok((CpuStorage::F32(y), Shape::from((batch, g.c, g.h, g.w))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> candle::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (batch, g, ci) = conv_t_dims(x.dims(), w.dims(), self.stride, self.pad)?;
        let (cok2, len, ylen) = (g.col_rows(), g.col_cols(), g.c * g.h * g.w);
        let dz = pre_activation_grad(self.act, grad, res)?;
        let db = self.needs.b.then(|| bias_grad(&dz, g.c, g.h * g.w));
        let (dx, dw) = with_values(x, |xv| {
            with_values(w, |wv| {
                let threads = image_threads(batch);
                let mut dx = vec![0f32; if self.needs.x { batch * ci * len } else { 0 }];
                let dx_chunks: Vec<&mut [f32]> = if self.needs.x {
                    dx.chunks_mut(ci * len).collect()
                } else {
                    (0..batch).map(|_| &mut [][..]).collect()
                };
                let need_w = self.needs.w;
                let dw = dx_chunks
                    .into_par_iter()
                    .zip(xv.par_chunks(ci * len))
                    .zip(dz.par_chunks(ylen))
                    .with_min_len(min_len(batch))
                    .try_fold(
                        || {
                            (
                                vec![0f32; if need_w { ci * cok2 } else { 0 }],
                                vec![0f32; cok2 * len],
                            )
                        },
                        |(mut dw, mut cols), ((dxb, xb), dzb)| {
                            im2col(&g, dzb, &mut cols);
                            if need_w {
                                // dW [Ci, Co·k²] += x_b [Ci, HiWi] · colsᵀ [HiWi, Co·k²]
                                matmul(
                                    (ci, cok2, len),
                                    View::rows(xb, len),
                                    View::transposed(&cols, len),
                                    &mut dw,
                                    true,
                                    threads,
                                )?;
                            }
                            if !dxb.is_empty() {
                                // dx_b [Ci, HiWi] = W [Ci, Co·k²] · cols
                                matmul(
                                    (ci, len, cok2),
                                    View::rows(wv, cok2),
                                    View::rows(&cols, len),
                                    dxb,
                                    false,
                                    threads,
                                )?;
                            }
                            Ok::<_, candle::Error>((dw, cols))
                        },
                    )
                    .map(|r| r.map(|(dw, _)| dw))
                    .try_reduce(Vec::new, |a, b| {
                        Ok(if a.is_empty() { b } else { add_into(a, b) })
                    })?;
                Ok((dx, dw))
            })
        })?;
        Ok((
            self.needs.x.then(|| tensor(dx, x.dims())).transpose()?,
            self.needs.w.then(|| tensor(dw, w.dims())).transpose()?,
            db.map(|db| tensor(db, &[g.c])).transpose()?,
        ))
    }
}
