//! im2col / col2im for square-kernel 2-D convolutions over one image (NCHW, no dilation).

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

    /// Rows of the column matrix: `c·k·k`.
    pub fn col_rows(&self) -> usize {
        self.c * self.k * self.k
    }

    /// Columns of the column matrix: `ho·wo`.
    pub fn col_cols(&self) -> usize {
        self.ho * self.wo
    }

    /// The output positions `o` along one axis whose input `o·stride + kk − pad` lies in
    /// `0..len`, as a range.
    fn valid(&self, kk: usize, len: usize, out: usize) -> std::ops::Range<usize> {
        let (s, p) = (self.stride, self.pad);
        // o·s + kk ≥ p  ⇔  o ≥ ⌈(p − kk) / s⌉
        let lo = if kk >= p { 0 } else { (p - kk).div_ceil(s) };
        // o·s + kk − p ≤ len − 1  ⇔  o ≤ ⌊(len − 1 + p − kk) / s⌋
        let hi = if len + p > kk {
            (len - 1 + p - kk) / s + 1
        } else {
            0
        };
        lo.min(out)..hi.min(out).max(lo.min(out))
    }

    /// Visits every (column-matrix row, output row) pair that reads input: calls
    /// `f(cols_offset, x_offset, oxs)` where the row's valid outputs `oxs` read
    /// `x[x_offset + ox·stride]` into `cols[cols_offset + ox]`.
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, std::ops::Range<usize>)) {
        let (k, s, p) = (self.k, self.stride, self.pad);
        for c in 0..self.c {
            for ky in 0..k {
                let oys = self.valid(ky, self.h, self.ho);
                for kx in 0..k {
                    let row = (c * k + ky) * k + kx;
                    let oxs = self.valid(kx, self.w, self.wo);
                    if oxs.is_empty() {
                        continue;
                    }
                    for oy in oys.clone() {
                        let iy = oy * s + ky - p;
                        // ox·s + kx − p for the first valid ox, relative to the row start.
                        let x0 = c * self.h * self.w + iy * self.w + oxs.start * s + kx - p;
                        f(row * self.col_cols() + oy * self.wo, x0, oxs.clone());
                    }
                }
            }
        }
    }
}

/// `cols[c·k·k, ho·wo]` of `x[c, h, w]`: `cols[(c, ky, kx), (oy, ox)] = x[c, oy·s + ky − p,
/// ox·s + kx − p]`, zero outside the image.
pub fn im2col(g: &Geometry, x: &[f32], cols: &mut [f32]) {
    let cols = &mut cols[..g.col_rows() * g.col_cols()];
    cols.fill(0.0);
    let s = g.stride;
    g.for_each_run(|dst, src, oxs| {
        let out = &mut cols[dst + oxs.start..dst + oxs.end];
        if s == 1 {
            out.copy_from_slice(&x[src..src + out.len()]);
        } else {
            for (i, o) in out.iter_mut().enumerate() {
                *o = x[src + i * s];
            }
        }
    });
}

/// `x[c, h, w] += col2im(cols)`: the adjoint of [`im2col`] (overlapping windows add up).
pub fn col2im(g: &Geometry, cols: &[f32], x: &mut [f32]) {
    let s = g.stride;
    g.for_each_run(|dst, src, oxs| {
        let from = &cols[dst + oxs.start..dst + oxs.end];
        for (i, v) in from.iter().enumerate() {
            x[src + i * s] += v;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// im2col by the definition, one element at a time.
    fn naive(g: &Geometry, x: &[f32]) -> Vec<f32> {
        let mut cols = vec![0f32; g.col_rows() * g.col_cols()];
        for c in 0..g.c {
            for ky in 0..g.k {
                for kx in 0..g.k {
                    for oy in 0..g.ho {
                        for ox in 0..g.wo {
                            let iy = (oy * g.stride + ky) as isize - g.pad as isize;
                            let ix = (ox * g.stride + kx) as isize - g.pad as isize;
                            if iy >= 0 && ix >= 0 && (iy as usize) < g.h && (ix as usize) < g.w {
                                cols[((c * g.k + ky) * g.k + kx) * g.col_cols() + oy * g.wo + ox] =
                                    x[(c * g.h + iy as usize) * g.w + ix as usize];
                            }
                        }
                    }
                }
            }
        }
        cols
    }

    #[test]
    fn im2col_matches_the_definition_and_col2im_is_its_adjoint() {
        let mut rng = crate::latent::Rng::new(5);
        for &(c, h, w, k, s, p) in &[
            (1, 28, 28, 4, 2, 1),
            (3, 7, 5, 3, 1, 1),
            (2, 9, 9, 4, 2, 1),
            (2, 6, 7, 5, 3, 2),
            (1, 4, 4, 4, 1, 0),
        ] {
            let g = Geometry::conv(c, h, w, k, s, p).unwrap();
            let x = rng.normal_vec(c * h * w);
            let mut cols = vec![7f32; g.col_rows() * g.col_cols()];
            im2col(&g, &x, &mut cols);
            assert_eq!(cols, naive(&g, &x), "{g:?}");
            // ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩
            let y = rng.normal_vec(cols.len());
            let mut back = vec![0f32; x.len()];
            col2im(&g, &y, &mut back);
            let lhs: f64 = cols
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
