//! Patch matrices for square-kernel 2-D convolutions over one image (NCHW, no dilation), in
//! row form ("im2row"): one row per output position holding its `c × k × k` input patch, so
//! each (channel, kernel row) of a patch is a contiguous run of `k` input values — a short
//! copy rather than a strided gather. The GEMMs read and write it in this form (never
//! transposed: gemm packs a transposed operand element by element).

/// A convolution's geometry over one image: input `[c, h, w]` → output `[ho, wo]` positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub k: usize,
    pub stride: usize,
    pub pad: usize,
    pub ho: usize,
    pub wo: usize,
}

impl Geometry {
    /// The geometry of a convolution over `[c, h, w]`.
    pub fn conv(
        c: usize,
        h: usize,
        w: usize,
        k: usize,
        stride: usize,
        pad: usize,
    ) -> candle::Result<Self> {
        if k == 0 || stride == 0 || h + 2 * pad < k || w + 2 * pad < k {
            candle::bail!("convolution: kernel {k} (stride {stride}, padding {pad}) does not fit a {h}×{w} input");
        }
        Ok(Self {
            c,
            h,
            w,
            k,
            stride,
            pad,
            ho: (h + 2 * pad - k) / stride + 1,
            wo: (w + 2 * pad - k) / stride + 1,
        })
    }

    /// Values per patch (row length): `c·k·k`.
    pub fn patch_len(&self) -> usize {
        self.c * self.k * self.k
    }

    /// Output positions (rows): `ho·wo`.
    pub fn positions(&self) -> usize {
        self.ho * self.wo
    }

    /// Visits every (output position, channel, kernel row) run of a patch: calls
    /// `f(row_offset, run)` for the `k` values `rows[row_offset..row_offset + k]`, where
    /// `run` is `Some((x_offset, first, count))` when patch values `first..first + count` read
    /// `x[x_offset..x_offset + count]`, `None` when the whole run lies in the padding.
    #[inline(always)]
    fn for_each_run(&self, mut f: impl FnMut(usize, Option<(usize, usize, usize)>)) {
        let (k, s, p) = (self.k, self.stride, self.pad);
        let plane = self.h * self.w;
        for oy in 0..self.ho {
            for ox in 0..self.wo {
                let row = (oy * self.wo + ox) * self.patch_len();
                // Input columns ix = ox·s − p + kx, kx ∈ 0..k, clipped to the image.
                let ix0 = (ox * s) as isize - p as isize;
                let first = (-ix0).max(0) as usize;
                let end = ((self.w as isize - ix0).max(0) as usize).min(k);
                for c in 0..self.c {
                    for ky in 0..k {
                        let at = row + (c * k + ky) * k;
                        let iy = (oy * s + ky) as isize - p as isize;
                        if iy < 0 || iy >= self.h as isize || first >= end {
                            f(at, None);
                        } else {
                            let x0 =
                                c * plane + iy as usize * self.w + (ix0 + first as isize) as usize;
                            f(at, Some((x0, first, end - first)));
                        }
                    }
                }
            }
        }
    }
}

/// `rows[ho·wo, c·k·k]` of `x[c, h, w]`: `rows[(oy, ox), (c, ky, kx)] = x[c, oy·s + ky − p,
/// ox·s + kx − p]`, zero outside the image.
pub fn im2row(g: &Geometry, x: &[f32], rows: &mut [f32]) {
    match g.k {
        4 => im2row_k::<4>(g, x, rows),
        _ => im2row_any(g, x, rows),
    }
}

/// [`im2row`] for a kernel width known at compile time: whole runs are fixed-size moves.
fn im2row_k<const K: usize>(g: &Geometry, x: &[f32], rows: &mut [f32]) {
    g.for_each_run(|at, run| {
        let dst: &mut [f32; K] = match (&mut rows[at..at + K]).try_into() {
            Ok(d) => d,
            Err(_) => return,
        };
        match run {
            None => *dst = [0.0; K],
            Some((x0, _, count)) if count == K => {
                if let Ok(src) = <&[f32; K]>::try_from(&x[x0..x0 + K]) {
                    *dst = *src;
                }
            }
            Some((x0, first, count)) => {
                *dst = [0.0; K];
                dst[first..first + count].copy_from_slice(&x[x0..x0 + count]);
            }
        }
    });
}

fn im2row_any(g: &Geometry, x: &[f32], rows: &mut [f32]) {
    let k = g.k;
    g.for_each_run(|at, run| {
        let dst = &mut rows[at..at + k];
        dst.fill(0.0);
        if let Some((x0, first, count)) = run {
            dst[first..first + count].copy_from_slice(&x[x0..x0 + count]);
        }
    });
}

/// `x[c, h, w] += row2im(rows)`: the adjoint of [`im2row`] (overlapping patches add up).
pub fn row2im(g: &Geometry, rows: &[f32], x: &mut [f32]) {
    match g.k {
        4 => row2im_k::<4>(g, rows, x),
        _ => row2im_k::<0>(g, rows, x),
    }
}

/// [`row2im`]; whole runs of a compile-time width `K` (0: any width) add as fixed-size arrays.
fn row2im_k<const K: usize>(g: &Geometry, rows: &[f32], x: &mut [f32]) {
    g.for_each_run(|at, run| {
        let Some((x0, first, count)) = run else {
            return;
        };
        if K > 0 && count == K {
            if let (Ok(dst), Ok(src)) = (
                <&mut [f32; K]>::try_from(&mut x[x0..x0 + K]),
                <&[f32; K]>::try_from(&rows[at..at + K]),
            ) {
                for i in 0..K {
                    dst[i] += src[i];
                }
                return;
            }
        }
        let src = &rows[at + first..at + first + count];
        x[x0..x0 + count]
            .iter_mut()
            .zip(src)
            .for_each(|(o, v)| *o += v);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// im2row by the definition, one element at a time.
    fn naive(g: &Geometry, x: &[f32]) -> Vec<f32> {
        let mut rows = vec![0f32; g.positions() * g.patch_len()];
        for c in 0..g.c {
            for ky in 0..g.k {
                for kx in 0..g.k {
                    for oy in 0..g.ho {
                        for ox in 0..g.wo {
                            let iy = (oy * g.stride + ky) as isize - g.pad as isize;
                            let ix = (ox * g.stride + kx) as isize - g.pad as isize;
                            if iy >= 0 && ix >= 0 && (iy as usize) < g.h && (ix as usize) < g.w {
                                rows[(oy * g.wo + ox) * g.patch_len()
                                    + (c * g.k + ky) * g.k
                                    + kx] = x[(c * g.h + iy as usize) * g.w + ix as usize];
                            }
                        }
                    }
                }
            }
        }
        rows
    }

    #[test]
    fn im2row_matches_the_definition_and_row2im_is_its_adjoint() {
        let mut rng = crate::rng::Rng::new(5);
        for &(c, h, w, k, s, p) in &[
            (1, 28, 28, 4, 2, 1),
            (3, 7, 5, 3, 1, 1),
            (2, 9, 9, 4, 2, 1),
            (2, 6, 7, 5, 3, 2),
            (1, 4, 4, 4, 1, 0),
            (2, 3, 3, 4, 2, 3),
        ] {
            let g = Geometry::conv(c, h, w, k, s, p).unwrap();
            let x = rng.normal_vec(c * h * w);
            let mut rows = vec![7f32; g.positions() * g.patch_len()];
            im2row(&g, &x, &mut rows);
            assert_eq!(rows, naive(&g, &x), "{g:?}");
            // ⟨im2row(x), y⟩ = ⟨x, row2im(y)⟩
            let y = rng.normal_vec(rows.len());
            let mut back = vec![0f32; x.len()];
            row2im(&g, &y, &mut back);
            let lhs: f64 = rows
                .iter()
                .zip(&y)
                .map(|(a, b)| (*a as f64) * (*b as f64))
                .sum();
            let rhs: f64 = x
                .iter()
                .zip(&back)
                .map(|(a, b)| (*a as f64) * (*b as f64))
                .sum();
            assert!(
                (lhs - rhs).abs() < 1e-3 * (1.0 + lhs.abs()),
                "{lhs} vs {rhs}"
            );
        }
    }
}
