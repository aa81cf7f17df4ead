//! The wasm32 products: a packed GEMM on simd128 registers and vector–matrix products, all
//! with relaxed-simd's fused multiply-add when the build enables it
//! (`-C target-feature=+relaxed-simd`, the `relaxed` builds of `pkg-scripts/build-wasm`) and
//! a multiply then an add otherwise.
//!
//! The GEMM blocks as Goto and van de Geijn's ("Anatomy of high-performance matrix
//! multiplication", 2008): `b` is packed [`KC`]×[`NC`] at a time into panels [`NR`] columns
//! wide, `a` [`MC`]×[`KC`] at a time into panels [`MR`] rows tall, and a micro-kernel keeps an
//! `MR×NR` tile of `c` in registers over the whole depth of a block. Rows of `a` that are
//! contiguous are read in place (packing them cost more than it saved). V8 gives wasm 15 of
//! x86-64's 16 vector registers; a 4×8 tile (8 accumulators, two `b` vectors, one splat `a`
//! value and a temporary) stays in them, where 5×8 and 6×8 tiles spilled and ran 15–30 %
//! slower even with the fused multiply-add, and unrolling the depth loop was slower too
//! (Node 20, Sapphire Rapids). Against gemm 0.19's simd128 kernels on our layers' shapes,
//! this runs 15–90 % faster with mul + add, and relaxed-simd adds 5–40 %.

use core::arch::wasm32::*;

use super::gemm::View;

/// Rows of `c` a micro-tile holds.
const MR: usize = 4;
/// Columns of `c` a micro-tile holds: two `f32x4`.
const NR: usize = 8;
/// Depth of a packed block.
const KC: usize = 256;
/// Rows of `a` packed at once (a multiple of [`MR`]): `MC·KC` floats stay in L2.
const MC: usize = 128;
/// Columns of `b` packed at once (a multiple of [`NR`]).
const NC: usize = 1024;

/// `a·b + c` in each lane: fused (one rounding) where relaxed-simd lets the engine choose.
#[inline(always)]
fn madd(a: v128, b: v128, c: v128) -> v128 {
    #[cfg(target_feature = "relaxed-simd")]
    {
        f32x4_relaxed_madd(a, b, c)
    }
    #[cfg(not(target_feature = "relaxed-simd"))]
    {
        f32x4_add(f32x4_mul(a, b), c)
    }
}

/// Whether this build multiplies and adds in one instruction (relaxed-simd).
pub const FUSED: bool = cfg!(target_feature = "relaxed-simd");

/// `c = a·b` (`accumulate = false`) or `c += a·b` on the calling thread, with `a` `m×k`, `b`
/// `k×n` and `c` row-major `m×n`. The caller has checked that the operands fit.
pub fn matmul((m, n, k): (usize, usize, usize), a: View, b: View, c: &mut [f32], accumulate: bool) {
    let mut bp = Vec::new();
    let mut ap = Vec::new();
    // Rows of `a` that are contiguous are read in place; others are packed.
    let direct = a.cs == 1;
    for j0 in (0..n).step_by(NC) {
        let nc = NC.min(n - j0);
        for p0 in (0..k).step_by(KC) {
            let kc = KC.min(k - p0);
            pack::<NR>(&transposed(&b), (j0, nc), (p0, kc), &mut bp);
            let add = accumulate || p0 > 0;
            for i0 in (0..m).step_by(MC) {
                let mc = MC.min(m - i0);
                if !direct {
                    pack::<MR>(&a, (i0, mc), (p0, kc), &mut ap);
                }
                for (bpanel, j) in bp.chunks_exact(kc * NR).zip((j0..j0 + nc).step_by(NR)) {
                    for i in (i0..i0 + mc).step_by(MR) {
                        let rows = MR.min(i0 + mc - i);
                        let tile = if direct {
                            // Rows past the last are read again from the last (and not stored).
                            let row = |r: usize| &a.data[(i + r.min(rows - 1)) * a.rs + p0..];
                            micro_kernel(kc, std::array::from_fn(row), 1, bpanel)
                        } else {
                            let panel = &ap[(i - i0) * kc..][..kc * MR];
                            micro_kernel(kc, std::array::from_fn(|r| &panel[r..]), MR, bpanel)
                        };
                        let cols = NR.min(j0 + nc - j);
                        store(&tile, c, n, (i, j), (rows, cols), add);
                    }
                }
            }
        }
    }
}

/// Packs rows `i0..i0+count`, columns `p0..p0+kc` of `m` into panels of `W` rows, each `kc`
/// columns of `W` values (rows past `count` are zeros): `a` as it is (`W` = [`MR`]), `b` as
/// its transpose (`W` = [`NR`]).
fn pack<const W: usize>(
    m: &View,
    (i0, count): (usize, usize),
    (p0, kc): (usize, usize),
    out: &mut Vec<f32>,
) {
    out.clear();
    out.resize(count.div_ceil(W) * kc * W, 0.0);
    for (panel, i) in out
        .chunks_exact_mut(kc * W)
        .zip((i0..i0 + count).step_by(W))
    {
        let rows = W.min(i0 + count - i);
        if m.rs == 1 && rows == W {
            for (p, dst) in (p0..p0 + kc).zip(panel.chunks_exact_mut(W)) {
                dst.copy_from_slice(&m.data[p * m.cs + i..][..W]);
            }
        } else {
            for r in 0..rows {
                let row = (i + r) * m.rs;
                for (kk, p) in (p0..p0 + kc).enumerate() {
                    panel[kk * W + r] = m.data[row + p * m.cs];
                }
            }
        }
    }
}

/// The transpose of `v`, as a view of the same values.
fn transposed<'a>(v: &View<'a>) -> View<'a> {
    View {
        data: v.data,
        rs: v.cs,
        cs: v.rs,
    }
}

/// The `MR×NR` product over depth `kc` of `a`'s rows (row `r`'s value at depth `kk` is
/// `a[r][kk·step]`) and one packed `b` panel.
#[inline(always)]
fn micro_kernel(kc: usize, a: [&[f32]; MR], step: usize, b: &[f32]) -> [[v128; 2]; MR] {
    assert!(kc > 0 && b.len() >= kc * NR && a.iter().all(|r| r.len() > (kc - 1) * step));
    let a = a.map(<[f32]>::as_ptr);
    let b = b.as_ptr();
    let mut acc = [[f32x4_splat(0.0); 2]; MR];
    for kk in 0..kc {
        // SAFETY: kk < kc, and every row holds (kc − 1)·step + 1 values and the panel kc·NR
        // (asserted above); v128 loads have no alignment requirement.
        unsafe {
            let b0 = v128_load(b.add(kk * NR).cast());
            let b1 = v128_load(b.add(kk * NR + 4).cast());
            for (row, ar) in acc.iter_mut().zip(a) {
                let ai = v128_load32_splat(ar.add(kk * step).cast());
                row[0] = madd(ai, b0, row[0]);
                row[1] = madd(ai, b1, row[1]);
            }
        }
    }
    acc
}

/// Writes (or adds, when `add`) the top-left `rows×cols` of `tile` into `c` at `(i, j)`.
fn store(
    tile: &[[v128; 2]; MR],
    c: &mut [f32],
    ldc: usize,
    (i, j): (usize, usize),
    (rows, cols): (usize, usize),
    add: bool,
) {
    for (r, row) in tile.iter().enumerate().take(rows) {
        let out = &mut c[(i + r) * ldc + j..][..cols];
        if cols == NR {
            let p = out.as_mut_ptr();
            // SAFETY: `out` holds NR = 8 values; v128 loads and stores have no alignment
            // requirement.
            unsafe {
                let (mut v0, mut v1) = (row[0], row[1]);
                if add {
                    v0 = f32x4_add(v0, v128_load(p.cast()));
                    v1 = f32x4_add(v1, v128_load(p.add(4).cast()));
                }
                v128_store(p.cast(), v0);
                v128_store(p.add(4).cast(), v1);
            }
        } else {
            let mut vals = [0f32; NR];
            // SAFETY: `vals` holds NR = 8 values.
            unsafe {
                v128_store(vals.as_mut_ptr().cast(), row[0]);
                v128_store(vals.as_mut_ptr().add(4).cast(), row[1]);
            }
            for (o, v) in out.iter_mut().zip(vals) {
                *o = if add { *o + v } else { v };
            }
        }
    }
}

/// `y[r] (+)= Σₚ w[r·ld + p]·x[p]` for the `y.len()` rows of `w` (`x.len()` values each,
/// `ld` apart): four rows at a time, so each `x` vector loaded serves four products.
pub fn rows_dot(w: &[f32], ld: usize, x: &[f32], y: &mut [f32], accumulate: bool) {
    let k = x.len();
    let body = k - k % 4;
    let row = |r: usize| &w[r * ld..][..k];
    let mut r = 0;
    while r + 4 <= y.len() {
        let rows: [&[f32]; 4] = std::array::from_fn(|q| row(r + q));
        let mut acc = [f32x4_splat(0.0); 4];
        for p in (0..body).step_by(4) {
            // SAFETY: p + 4 ≤ body ≤ k, the length of `x` and of each row.
            unsafe {
                let xv = v128_load(x.as_ptr().add(p).cast());
                for (s, w) in acc.iter_mut().zip(&rows) {
                    *s = madd(v128_load(w.as_ptr().add(p).cast()), xv, *s);
                }
            }
        }
        for (q, (s, w)) in acc.iter().zip(&rows).enumerate() {
            let d = horizontal_sum(*s) + tail_dot(&w[body..], &x[body..]);
            y[r + q] = if accumulate { y[r + q] + d } else { d };
        }
        r += 4;
    }
    for (q, out) in y.iter_mut().enumerate().skip(r) {
        let d = super::reduce::dot(row(q), x);
        *out = if accumulate { *out + d } else { d };
    }
}

/// [`super::gemm::add_scaled_rows`]: the rows of the nonzero `x[p]` eight at a time, so each
/// `y` vector loaded and stored serves eight products (eight splats, the accumulator and a
/// loaded row vector stay in registers). The caller has checked that `rows` holds
/// `x.len()·y.len()` values.
pub fn add_scaled_rows(rows: &[f32], x: &[f32], y: &mut [f32]) {
    const GROUP: usize = 8;
    let n = y.len();
    let body = n - n % 4;
    let live: Vec<usize> = (0..x.len()).filter(|&p| x[p] != 0.0).collect();
    let row = |p: usize| &rows[p * n..][..n];
    let mut groups = live.chunks_exact(GROUP);
    for g in &mut groups {
        let w: [&[f32]; GROUP] = std::array::from_fn(|q| row(g[q]));
        let s: [v128; GROUP] = std::array::from_fn(|q| f32x4_splat(x[g[q]]));
        for c in (0..body).step_by(4) {
            // SAFETY: c + 4 ≤ body ≤ n, the length of `y` and of each row.
            unsafe {
                let mut acc = v128_load(y.as_ptr().add(c).cast());
                for (w, s) in w.iter().zip(&s) {
                    acc = madd(v128_load(w.as_ptr().add(c).cast()), *s, acc);
                }
                v128_store(y.as_mut_ptr().add(c).cast(), acc);
            }
        }
        for c in body..n {
            for (w, &p) in w.iter().zip(g) {
                y[c] += x[p] * w[c];
            }
        }
    }
    for &p in groups.remainder() {
        let (w, xp) = (row(p), x[p]);
        y.iter_mut().zip(w).for_each(|(y, w)| *y += xp * w);
    }
}

fn horizontal_sum(v: v128) -> f32 {
    (f32x4_extract_lane::<0>(v) + f32x4_extract_lane::<1>(v))
        + (f32x4_extract_lane::<2>(v) + f32x4_extract_lane::<3>(v))
}

fn tail_dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}
