//! Patch matrices for square-kernel 2-D convolutions (NCHW, no dilation), in row form
//! ("im2row"): one row per output position holding its `c × k × k` input patch, so each
//! (channel, kernel row) of a patch is a contiguous run of `k` input values — a short copy
//! rather than a strided gather. The GEMMs read and write it in this form (never transposed:
//! gemm packs a transposed operand element by element). Each image is first copied into a
//! zero-padded one (or, for [`row2im`], accumulated there), so that every run is whole: no
//! clipping at the borders, and for `k = 4` each run is one fixed-size move (the DCGAN's
//! k4 s2 p1 layers: row2im a third faster, im2row without its short border copies).

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

    /// The zero-padded input's height and width: `h + 2p`, `w + 2p`.
    fn padded(&self) -> (usize, usize) {
        (self.h + 2 * self.pad, self.w + 2 * self.pad)
    }

    /// Visits every (output position, channel, kernel row) run of a patch: calls
    /// `f(row_offset, src_offset)` for the `k` values `rows[row_offset..row_offset + k]`, which
    /// are `padded[src_offset..src_offset + k]` of the zero-padded input `[c, h + 2p, w + 2p]`.
    /// Over the padded input every run is whole: no clipping, no branch per run.
    #[inline(always)]
    fn for_each_run(&self, mut f: impl FnMut(usize, usize)) {
        let (k, s) = (self.k, self.stride);
        let (hp, wp) = self.padded();
        for oy in 0..self.ho {
            for ox in 0..self.wo {
                let row = (oy * self.wo + ox) * self.patch_len();
                let corner = oy * s * wp + ox * s;
                for c in 0..self.c {
                    let src = c * hp * wp + corner;
                    for ky in 0..k {
                        f(row + (c * k + ky) * k, src + ky * wp);
                    }
                }
            }
        }
    }
}

/// A zero-padded copy of one image at a time, `[c, h + 2p, w + 2p]` (nothing when `p = 0`).
struct Padded<'g> {
    g: &'g Geometry,
    buf: Vec<f32>,
}

impl<'g> Padded<'g> {
    fn new(g: &'g Geometry) -> Self {
        let (hp, wp) = g.padded();
        let len = if g.pad > 0 { g.c * hp * wp } else { 0 };
        Self {
            g,
            buf: vec![0.0; len],
        }
    }

    /// The image `x[c, h, w]` padded: `x` itself when there is no padding. The border stays
    /// zero from one image to the next; only the interior is written.
    fn load<'a>(&'a mut self, x: &'a [f32]) -> &'a [f32] {
        if self.buf.is_empty() {
            return x;
        }
        let (g, (hp, wp)) = (self.g, self.g.padded());
        for (src, dst) in x.chunks_exact(g.w).zip(self.interior_rows(hp, wp)) {
            self.buf[dst..dst + g.w].copy_from_slice(src);
        }
        &self.buf
    }

    /// `y[c, h, w] += f(padded)`, where `f` accumulates into a zeroed padded image (or
    /// straight into `y` when there is no padding).
    fn accumulate(&mut self, y: &mut [f32], f: impl FnOnce(&mut [f32])) {
        if self.buf.is_empty() {
            return f(y);
        }
        self.buf.fill(0.0);
        f(&mut self.buf);
        let (g, (hp, wp)) = (self.g, self.g.padded());
        for (dst, src) in y.chunks_exact_mut(g.w).zip(self.interior_rows(hp, wp)) {
            let src = &self.buf[src..src + g.w];
            dst.iter_mut().zip(src).for_each(|(o, v)| *o += v);
        }
    }

    /// Where each of the `c·h` image rows starts in the padded image.
    fn interior_rows(&self, hp: usize, wp: usize) -> impl Iterator<Item = usize> + 'g {
        let (g, p) = (self.g, self.g.pad);
        (0..g.c).flat_map(move |c| (0..g.h).map(move |y| c * hp * wp + (y + p) * wp + p))
    }
}

/// The patch matrices of the images `xs[n, c, h, w]`, stacked: `rows[n·ho·wo, c·k·k]`, with
/// `rows[(j, oy, ox), (c, ky, kx)] = x_j[c, oy·s + ky − p, ox·s + kx − p]`, zero outside the
/// image.
pub fn im2row(g: &Geometry, xs: &[f32], rows: &mut [f32]) {
    let (xlen, size) = (g.c * g.h * g.w, g.positions() * g.patch_len());
    let mut padded = Padded::new(g);
    for (x, r) in xs.chunks_exact(xlen).zip(rows.chunks_exact_mut(size)) {
        let x = padded.load(x);
        match g.k {
            4 => g.for_each_run(|at, src| copy_run::<4>(&x[src..src + 4], &mut r[at..at + 4])),
            k => g.for_each_run(|at, src| r[at..at + k].copy_from_slice(&x[src..src + k])),
        }
    }
}

/// `ys[j] += row2im(rows of image j)` for each image of `ys[n, c, h, w]`: the adjoint of
/// [`im2row`] (overlapping patches add up).
pub fn row2im(g: &Geometry, rows: &[f32], ys: &mut [f32]) {
    let (ylen, size) = (g.c * g.h * g.w, g.positions() * g.patch_len());
    let mut padded = Padded::new(g);
    for (y, r) in ys.chunks_exact_mut(ylen).zip(rows.chunks_exact(size)) {
        padded.accumulate(y, |y| match g.k {
            4 => g.for_each_run(|at, dst| add_run::<4>(&r[at..at + 4], &mut y[dst..dst + 4])),
            k => g.for_each_run(|at, dst| {
                y[dst..dst + k]
                    .iter_mut()
                    .zip(&r[at..at + k])
                    .for_each(|(o, v)| *o += v)
            }),
        });
    }
}

/// `dst = src` for runs of a width known at compile time (one fixed-size move).
#[inline(always)]
fn copy_run<const K: usize>(src: &[f32], dst: &mut [f32]) {
    if let (Ok(s), Ok(d)) = (<&[f32; K]>::try_from(src), <&mut [f32; K]>::try_from(dst)) {
        *d = *s;
    }
}

/// `dst += src` for runs of a width known at compile time.
#[inline(always)]
fn add_run<const K: usize>(src: &[f32], dst: &mut [f32]) {
    if let (Ok(s), Ok(d)) = (<&[f32; K]>::try_from(src), <&mut [f32; K]>::try_from(dst)) {
        for i in 0..K {
            d[i] += s[i];
        }
    }
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
            // Three images: the padded copy's border must stay zero from one to the next.
            let g = Geometry::conv(c, h, w, k, s, p).unwrap();
            let x = rng.normal_vec(3 * c * h * w);
            let mut rows = vec![7f32; 3 * g.positions() * g.patch_len()];
            im2row(&g, &x, &mut rows);
            let want: Vec<f32> = x.chunks(c * h * w).flat_map(|x| naive(&g, x)).collect();
            assert_eq!(rows, want, "{g:?}");
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
