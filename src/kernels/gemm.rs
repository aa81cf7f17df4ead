//! `C (+)= A·B` in f32: through the `gemm` crate natively (AVX-512 or AVX2+FMA), through our
//! own packed GEMM on wasm32 (`kernels::simd128`: simd128, with relaxed-simd's fused
//! multiply-add in the relaxed builds), with strided views so transposes cost nothing, and a
//! matrix–vector path for one row (gemm's generic path is slow there).

/// A strided matrix: element `(i, j)` is `data[i·rs + j·cs]`.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl<'a> View<'a> {
    /// Row-major with `cols` values per row.
    pub fn rows(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of a row-major matrix with `cols` values per row.
    pub fn transposed(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: 1,
            cs: cols,
        }
    }

    fn fits(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.rs + (cols - 1) * self.cs < self.data.len()
    }
}

/// How a product may use threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// The caller already runs in parallel (one product per image, say).
    One,
    /// Split across the pool when the product is large enough to pay for it.
    Pool,
}

/// Products below this many multiply-adds run on one thread.
const PARALLEL_MACS: usize = 1 << 25;
/// Rows of `c` a thread takes at least when a product is split.
const MIN_ROWS: usize = 16;

/// `c = a·b` (`accumulate = false`) or `c += a·b`, with `a` `m×k`, `b` `k×n` and `c` row-major
/// `m×n` (`n` values per row).
pub fn matmul(
    (m, n, k): (usize, usize, usize),
    a: View,
    b: View,
    c: &mut [f32],
    accumulate: bool,
    threads: Threads,
) -> candle::Result<()> {
    if !a.fits(m, k) || !b.fits(k, n) || c.len() < m * n {
        candle::bail!("latentlab gemm: operands do not fit {m}×{k}·{k}×{n}");
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        if !accumulate {
            c[..m * n].fill(0.0);
        }
        return Ok(());
    }
    if m == 1 && b.rs == 1 {
        // One row against a transposed weight: n dot products of contiguous rows.
        row_times_transposed(&a, &b, (n, k), &mut c[..n], accumulate, threads);
        return Ok(());
    }
    let pool = super::threads();
    if threads == Threads::Pool && pool > 1 && m * n * k >= PARALLEL_MACS && m >= 2 * MIN_ROWS {
        // One band of rows of `c` per thread, each a single-threaded product: one hand-off
        // per product (gemm's own splitting synchronizes many times within one).
        let parts = pool.min(m / MIN_ROWS);
        let rows = m.div_ceil(parts);
        use rayon::prelude::*;
        return c[..m * n]
            .par_chunks_mut(rows * n)
            .enumerate()
            .try_for_each(|(i, band)| {
                let r0 = i * rows;
                let a = View {
                    data: &a.data[r0 * a.rs..],
                    ..a
                };
                single_threaded((band.len() / n, n, k), a, b, band, accumulate)
            });
    }
    single_threaded((m, n, k), a, b, c, accumulate)
}

/// [`matmul`] on the calling thread (operands already checked).
fn single_threaded(
    (m, n, k): (usize, usize, usize),
    a: View,
    b: View,
    c: &mut [f32],
    accumulate: bool,
) -> candle::Result<()> {
    if !a.fits(m, k) || !b.fits(k, n) || c.len() < m * n {
        candle::bail!("latentlab gemm: operands do not fit {m}×{k}·{k}×{n}");
    }
    #[cfg(target_arch = "wasm32")]
    super::simd128::matmul((m, n, k), a, b, c, accumulate);
    #[cfg(not(target_arch = "wasm32"))]
    // SAFETY: `fits` checked that every element the product reads lies inside its slice, and
    // `c` holds m·n elements at row stride n; gemm reads `c` only when `accumulate`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
    Ok(())
}

/// `c[j] (+)= Σₚ a[0, p]·b[p, j]` where column `j` of `b` is contiguous (`b.rs == 1`): one
/// dot product per output, 8 partial sums wide so the compiler vectorizes it (on one wasm
/// thread, [`super::simd128::rows_dot`]: four outputs at a time).
fn row_times_transposed(
    a: &View,
    b: &View,
    (n, k): (usize, usize),
    c: &mut [f32],
    accumulate: bool,
    threads: Threads,
) {
    let x: Vec<f32> = (0..k).map(|p| a.data[p * a.cs]).collect();
    let parallel = threads == Threads::Pool && super::threads() > 1 && n * k >= PARALLEL_MACS;
    #[cfg(target_arch = "wasm32")]
    if !parallel {
        return super::simd128::rows_dot(b.data, b.cs, &x, c, accumulate);
    }
    let one = |j: usize, out: &mut f32| {
        let col = &b.data[j * b.cs..j * b.cs + k];
        let d = super::reduce::dot(&x, col);
        *out = if accumulate { *out + d } else { d };
    };
    if parallel {
        use rayon::prelude::*;
        c.par_iter_mut().enumerate().for_each(|(j, o)| one(j, o));
    } else {
        c.iter_mut().enumerate().for_each(|(j, o)| one(j, o));
    }
}

/// The transpose of a row-major `rows×cols` matrix, row-major (`rows` values per row), in
/// cache-sized tiles.
///
/// gemm packs an operand whose columns are strided element by element; a product that would
/// read a large matrix that way runs faster with a small operand transposed once instead.
pub fn transpose(a: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    const TILE: usize = 32;
    let mut t = vec![0f32; rows * cols];
    for r0 in (0..rows).step_by(TILE) {
        for c0 in (0..cols).step_by(TILE) {
            for r in r0..(r0 + TILE).min(rows) {
                for c in c0..(c0 + TILE).min(cols) {
                    t[c * rows + r] = a[r * cols + c];
                }
            }
        }
    }
    t
}

/// `y += Σₚ x[p]·rows[p·n..(p + 1)·n]` over the `p` where `x[p] ≠ 0` (`n = y.len()`): a
/// vector times a row-major matrix, skipping the rows a zero input would only read (a ReLU's
/// zeros). On wasm32, `kernels::simd128::add_scaled_rows`.
pub fn add_scaled_rows(rows: &[f32], x: &[f32], y: &mut [f32]) -> candle::Result<()> {
    let n = y.len();
    if rows.len() != x.len() * n {
        candle::bail!(
            "latentlab add_scaled_rows: {} values are not {} rows of {n}",
            rows.len(),
            x.len()
        );
    }
    if n == 0 {
        return Ok(());
    }
    #[cfg(target_arch = "wasm32")]
    super::simd128::add_scaled_rows(rows, x, y);
    #[cfg(not(target_arch = "wasm32"))]
    for (row, &xp) in rows.chunks_exact(n).zip(x) {
        if xp != 0.0 {
            y.iter_mut().zip(row).for_each(|(y, w)| *y += xp * w);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, n: usize, k: usize, a: &View, b: &View) -> Vec<f32> {
        let mut c = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k)
                    .map(|p| a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs])
                    .sum();
            }
        }
        c
    }

    #[test]
    fn transpose_swaps_rows_and_columns() {
        for &(rows, cols) in &[(1, 1), (3, 70), (33, 5), (64, 64)] {
            let a: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
            let t = transpose(&a, rows, cols);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(t[c * rows + r], a[r * cols + c]);
                }
            }
        }
    }

    #[test]
    fn strided_products_match_the_definition() {
        let mut rng = crate::rng::Rng::new(3);
        for &(m, n, k) in &[
            (1, 7, 5),
            (3, 1, 4),
            (5, 9, 13),
            (33, 17, 70),
            (1, 300, 200),
        ] {
            let a = rng.normal_vec(m * k);
            let b = rng.normal_vec(k * n);
            for (va, vb) in [
                (View::rows(&a, k), View::rows(&b, n)),
                (View::transposed(&a, m), View::transposed(&b, k)),
                (View::rows(&a, k), View::transposed(&b, k)),
            ] {
                let want = naive(m, n, k, &va, &vb);
                let mut got = vec![1f32; m * n];
                matmul((m, n, k), va, vb, &mut got, true, Threads::Pool).unwrap();
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - 1.0 - w).abs() < 1e-4 * (1.0 + w.abs()), "{g} vs {w}");
                }
                matmul((m, n, k), va, vb, &mut got, false, Threads::One).unwrap();
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() < 1e-4 * (1.0 + w.abs()), "{g} vs {w}");
                }
            }
        }
        let a = [1.0f32; 4];
        assert!(matmul(
            (2, 2, 3),
            View::rows(&a, 3),
            View::rows(&a, 2),
            &mut [0.0; 4],
            false,
            Threads::One
        )
        .is_err());
    }
}
