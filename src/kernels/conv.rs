//! conv2d and conv_transpose2d (square kernels, NCHW) by im2col / col2im over a GEMM (the
//! patch matrix in row form, see `kernels::patches`), with the bias and the activation fused,
//! as Candle custom ops with backward.
//!
//! Images are processed in groups: a group's patch matrices are stacked, so one GEMM covers
//! several images (enough columns to amortize gemm's packing of the weights) while its
//! buffers stay cache-sized. Groups run in parallel across the pool; a single group splits its
//! GEMM instead.

use std::cell::RefCell;

use candle::{CpuStorage, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::gemm::{matmul, transpose, Threads, View};
use super::patches::{im2row, row2im, Geometry};
use super::reduce::sum_of;
use super::{apply_layer, pre_activation_grad, slice, tensor, with_values, Act, Needs};

/// How a batch is cut into groups of images that share one GEMM.
#[derive(Debug, Clone, Copy)]
struct Groups {
    /// Images per group (the last group may have fewer).
    size: usize,
    /// Whether a group's GEMM may split across the pool (when there is one group).
    threads: Threads,
}

impl Groups {
    /// Enough images for ≥ 256 GEMM columns, within a 2 MiB column buffer, and at least one
    /// group per thread when the batch allows it.
    fn new(batch: usize, rows: usize, len: usize) -> Self {
        let by_cols = 256usize.div_ceil(len.max(1));
        let by_cache = (1usize << 19) / (rows * len).max(1);
        let per_thread = batch.div_ceil(super::threads());
        let size = by_cols.min(by_cache).min(per_thread).max(1);
        let threads = if batch <= size {
            Threads::Pool
        } else {
            Threads::One
        };
        Self { size, threads }
    }
}

thread_local! {
    /// This thread's two buffers (see [`with_scratch`]), kept from call to call.
    static SCRATCH: RefCell<[Vec<f32>; 2]> = const { RefCell::new([Vec::new(), Vec::new()]) };
}

/// Runs `f` on a column matrix (`rows` values per patch row, for a group of `size` images of
/// `len` positions) and a `[channels, size·len]` staging matrix. They are this thread's buffers,
/// kept between calls because every use overwrites them before reading: no allocation and no
/// zeroing per call. When a caller further up this thread's stack holds them (rayon may run
/// another group here while one waits), `f` gets fresh ones.
fn with_scratch<R>(
    (size, rows, channels, len): (usize, usize, usize, usize),
    f: impl FnOnce(&mut [f32], &mut [f32]) -> R,
) -> R {
    let (cols_len, stage_len) = (rows * size * len, channels * size * len);
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffers) => {
            let [cols, stage] = &mut *buffers;
            for (buffer, want) in [(&mut *cols, cols_len), (&mut *stage, stage_len)] {
                if buffer.len() < want {
                    buffer.resize(want, 0.0);
                }
            }
            f(&mut cols[..cols_len], &mut stage[..stage_len])
        }
        Err(_) => f(&mut vec![0f32; cols_len], &mut vec![0f32; stage_len]),
    })
}

/// `wide[c, j·len + i] = images[j][c, i]`: `n` images of `[channels, len]` side by side.
fn gather(images: &[f32], channels: usize, len: usize, wide: &mut [f32]) {
    let n = images.len() / (channels * len);
    for (j, img) in images.chunks_exact(channels * len).enumerate() {
        for (c, row) in img.chunks_exact(len).enumerate() {
            let at = c * n * len + j * len;
            wide[at..at + len].copy_from_slice(row);
        }
    }
}

/// `images[j][c, i] = tall[j·len + i, c]`: the inverse of stacking `n` images of
/// `[channels, len]` as `[n·len, channels]` (a product's output with the channels last).
/// Writes each image row by row: `images` is cold memory, `tall` was just written by the
/// product, so the strided accesses are the reads (scattered stores missed the cache: in
/// `perf` of the VAE-GAN's step, 5.1 % before, 4.2 % after).
fn scatter_tall(tall: &[f32], channels: usize, len: usize, images: &mut [f32]) {
    for (img, rows) in images
        .chunks_exact_mut(channels * len)
        .zip(tall.chunks_exact(channels * len))
    {
        for (c, out) in img.chunks_exact_mut(len).enumerate() {
            for (o, row) in out.iter_mut().zip(rows.chunks_exact(channels)) {
                *o = row[c];
            }
        }
    }
}

/// Writes `bias[o]` into each of the `o` rows of every image of `y` (`len` values per row).
fn fill_bias(y: &mut [f32], bias: &[f32], len: usize) {
    for img in y.chunks_exact_mut(bias.len() * len) {
        for (row, &b) in img.chunks_exact_mut(len).zip(bias) {
            row.fill(b);
        }
    }
}

/// `Σ` over images and positions of `dz` `[B, O, len]` → `[O]`.
fn bias_grad(dz: &[f32], o: usize, len: usize) -> Vec<f32> {
    let mut db = vec![0f32; o];
    for img in dz.chunks_exact(o * len) {
        for (d, row) in db.iter_mut().zip(img.chunks_exact(len)) {
            *d += sum_of(row, |v| v);
        }
    }
    db
}

/// Runs `step` over every group of a backward pass in parallel and returns the sum of the
/// weight gradients (`dw_len` values) the groups accumulate.
///
/// The groups are cut into one run of consecutive groups per thread, each run summing into its
/// own gradient, and the runs' gradients are added in order: the sum is
/// the same bits on every call for a given thread count. (rayon's `fold` splits where work
/// stealing happens to split, so its sums changed from run to run.)
fn sum_over_groups<I>(
    groups: I,
    dw_len: usize,
    step: impl Fn(&mut [f32], I::Item) -> candle::Result<()> + Sync + Send,
) -> candle::Result<Vec<f32>>
where
    I: IndexedParallelIterator,
{
    let run = groups.len().div_ceil(super::threads()).max(1);
    let runs: Vec<candle::Result<Vec<f32>>> = groups
        .fold_chunks(
            run,
            || Ok(vec![0f32; dw_len]),
            |acc, group| {
                let mut dw = acc?;
                step(&mut dw, group)?;
                Ok(dw)
            },
        )
        .collect();
    let mut sum = vec![0f32; dw_len];
    for dw in runs {
        sum.iter_mut().zip(&dw?).for_each(|(a, b)| *a += b);
    }
    Ok(sum)
}

/// A mutable chunk per group of `dx`, or empty chunks when no input gradient is wanted.
fn grad_chunks(dx: &mut [f32], chunk: usize, groups: usize) -> Vec<&mut [f32]> {
    if dx.is_empty() {
        (0..groups).map(|_| &mut [][..]).collect()
    } else {
        dx.chunks_mut(chunk).collect()
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
    apply_layer(x, w, b, op)
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
        _ => candle::bail!(
            "conv_transpose2d: input {x:?} and kernel {w:?} do not match ([B, Ci, H, W], [Ci, Co, k, k])"
        ),
    }
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
        let (ck2, len, xlen) = (g.patch_len(), g.positions(), g.c * g.h * g.w);
        let groups = Groups::new(batch, ck2, len);
        let wt = transpose(w, o, ck2);
        let mut y = vec![0f32; batch * o * len];
        y.par_chunks_mut(groups.size * o * len)
            .zip(x.par_chunks(groups.size * xlen))
            .try_for_each(|(ys, xs)| {
                with_scratch((groups.size, ck2, o, len), |cols, tall| {
                    let n = xs.len() / xlen;
                    let rows = &mut cols[..n * len * ck2];
                    im2row(&g, xs, rows);
                    // tall [n·len, O] = rows [n·len, ck2] · Wᵀ [ck2, O]
                    let tall = &mut tall[..o * n * len];
                    matmul(
                        (n * len, o, ck2),
                        View::rows(rows, ck2),
                        View::rows(&wt, o),
                        tall,
                        false,
                        groups.threads,
                    )?;
                    scatter_tall(tall, o, len, ys);
                    for img in ys.chunks_exact_mut(o * len) {
                        for (row, &b) in img.chunks_exact_mut(len).zip(bias) {
                            row.iter_mut().for_each(|v| *v += b);
                        }
                    }
                    self.act.apply(ys);
                    Ok::<(), candle::Error>(())
                })
            })?;
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
        let (ck2, len, xlen) = (g.patch_len(), g.positions(), g.c * g.h * g.w);
        let dz = pre_activation_grad(self.act, grad, res)?;
        let db = self.needs.b.then(|| bias_grad(&dz, o, len));
        let groups = Groups::new(batch, ck2, len);
        let n_groups = batch.div_ceil(groups.size);
        let Needs {
            x: need_x,
            w: need_w,
            ..
        } = self.needs;
        let mut dx = vec![0f32; if need_x { batch * xlen } else { 0 }];
        let dw = with_values(x, |xv| {
            with_values(w, |wv| {
                let items = grad_chunks(&mut dx, groups.size * xlen, n_groups)
                    .into_par_iter()
                    .zip(xv.par_chunks(groups.size * xlen))
                    .zip(dz.par_chunks(groups.size * o * len));
                sum_over_groups(
                    items,
                    if need_w { o * ck2 } else { 0 },
                    |dw, ((dxs, xs), dzs)| {
                        with_scratch((groups.size, ck2, o, len), |cols, wide| {
                            let n = xs.len() / xlen;
                            let wide_n = &mut wide[..o * n * len];
                            gather(dzs, o, len, wide_n); // dz [O, n·len]
                            let cols_n = &mut cols[..ck2 * n * len];
                            if need_w {
                                im2row(&g, xs, cols_n);
                                // dW += dz [O, n·len] · rows [n·len, ck2]
                                let dzv = View::rows(wide_n, n * len);
                                matmul(
                                    (o, ck2, n * len),
                                    dzv,
                                    View::rows(cols_n, ck2),
                                    dw,
                                    true,
                                    groups.threads,
                                )?;
                            }
                            if !dxs.is_empty() {
                                // drows [n·len, ck2] = dzᵀ [n·len, O] · W [O, ck2]; dx = row2im
                                let dzt = View::transposed(wide_n, n * len);
                                let wv = View::rows(wv, ck2);
                                matmul((n * len, ck2, o), dzt, wv, cols_n, false, groups.threads)?;
                                row2im(&g, cols_n, dxs);
                            }
                            Ok(())
                        })
                    },
                )
            })
        })?;
        Ok((
            need_x.then(|| tensor(dx, x.dims())).transpose()?,
            need_w.then(|| tensor(dw, w.dims())).transpose()?,
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
    apply_layer(x, w, b, op)
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
        let (cok2, len, ylen) = (g.patch_len(), g.positions(), g.c * g.h * g.w);
        if bias.len() != g.c {
            candle::bail!(
                "conv_transpose2d: bias has {} values for {} channels",
                bias.len(),
                g.c
            );
        }
        let groups = Groups::new(batch, cok2, len);
        let mut y = vec![0f32; batch * ylen];
        y.par_chunks_mut(groups.size * ylen)
            .zip(x.par_chunks(groups.size * ci * len))
            .try_for_each(|(ys, xs)| {
                with_scratch((groups.size, cok2, ci, len), |cols, wide| {
                    let n = xs.len() / (ci * len);
                    let wide = &mut wide[..ci * n * len];
                    gather(xs, ci, len, wide); // x [Ci, n·len]
                                               // rows [n·len, Co·k²] = xᵀ [n·len, Ci] · W [Ci, Co·k²]
                    let rows = &mut cols[..n * len * cok2];
                    matmul(
                        (n * len, cok2, ci),
                        View::transposed(wide, n * len),
                        View::rows(w, cok2),
                        rows,
                        false,
                        groups.threads,
                    )?;
                    fill_bias(ys, bias, g.h * g.w);
                    row2im(&g, rows, ys);
                    self.act.apply(ys);
                    Ok::<(), candle::Error>(())
                })
            })?;
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
        let (cok2, len, ylen) = (g.patch_len(), g.positions(), g.c * g.h * g.w);
        let dz = pre_activation_grad(self.act, grad, res)?;
        let db = self.needs.b.then(|| bias_grad(&dz, g.c, g.h * g.w));
        let groups = Groups::new(batch, cok2, len);
        let n_groups = batch.div_ceil(groups.size);
        let Needs {
            x: need_x,
            w: need_w,
            ..
        } = self.needs;
        let mut dx = vec![0f32; if need_x { batch * ci * len } else { 0 }];
        let wt = if need_x {
            with_values(w, |wv| Ok(transpose(wv, ci, cok2)))?
        } else {
            Vec::new()
        };
        let dw = with_values(x, |xv| {
            let items = grad_chunks(&mut dx, groups.size * ci * len, n_groups)
                .into_par_iter()
                .zip(xv.par_chunks(groups.size * ci * len))
                .zip(dz.par_chunks(groups.size * ylen));
            sum_over_groups(
                items,
                if need_w { ci * cok2 } else { 0 },
                |dw, ((dxs, xs), dzs)| {
                    with_scratch((groups.size, cok2, ci, len), |cols, wide| {
                        let n = xs.len() / (ci * len);
                        let cols_n = &mut cols[..cok2 * n * len];
                        im2row(&g, dzs, cols_n); // drows [n·len, Co·k²]
                        let wide_n = &mut wide[..ci * n * len];
                        if need_w {
                            gather(xs, ci, len, wide_n);
                            // dW [Ci, Co·k²] += x [Ci, n·len] · drows
                            let xv = View::rows(wide_n, n * len);
                            matmul(
                                (ci, cok2, n * len),
                                xv,
                                View::rows(cols_n, cok2),
                                dw,
                                true,
                                groups.threads,
                            )?;
                        }
                        if !dxs.is_empty() {
                            // dx as [n·len, Ci] = drows [n·len, Co·k²] · Wᵀ [Co·k², Ci]
                            matmul(
                                (n * len, ci, cok2),
                                View::rows(cols_n, cok2),
                                View::rows(&wt, ci),
                                wide_n,
                                false,
                                groups.threads,
                            )?;
                            scatter_tall(wide_n, ci, len, dxs);
                        }
                        Ok(())
                    })
                },
            )
        })?;
        Ok((
            need_x.then(|| tensor(dx, x.dims())).transpose()?,
            need_w.then(|| tensor(dw, w.dims())).transpose()?,
            db.map(|db| tensor(db, &[g.c])).transpose()?,
        ))
    }
}
