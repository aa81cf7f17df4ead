//! Pixels: samples → RGBA bytes (for the browser's `ImageData` and PNG files), image grids,
//! 2-D scatter plots and loss-curve plots drawn without a plotting library.

use crate::{Error, Result};

/// An RGBA8 image.
#[derive(Debug, Clone, PartialEq)]
pub struct Rgba {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Rgba {
    pub fn new(width: usize, height: usize, background: [u8; 4]) -> Self {
        Self {
            width,
            height,
            pixels: background.repeat(width * height),
        }
    }

    fn put(&mut self, x: i64, y: i64, c: [u8; 4]) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = 4 * (y as usize * self.width + x as usize);
            self.pixels[i..i + 4].copy_from_slice(&c);
        }
    }

    /// A line by Bresenham's algorithm.
    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), c: [u8; 4]) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            self.put(x, y, c);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Writes a PNG file, whole or not at all (written beside it, then renamed over it, as
    /// checkpoints are).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn save_png(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        let mut bytes = Vec::new();
        let mut enc = png::Encoder::new(&mut bytes, self.width as u32, self.height as u32);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()
            .and_then(|mut w| {
                w.write_image_data(&self.pixels)?;
                w.finish()
            })
            .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
        crate::checkpoint::save_file(path, &bytes)
    }
}

/// Data-space images (`n × C×H×W` values in `[0, 1]`, C = 1 or 3) → RGBA bytes, image after
/// image (`n × H × W × 4`). Values are clamped to `[0, 1]`.
pub fn images_to_rgba(values: &[f32], shape: &[usize]) -> Result<Vec<u8>> {
    let [c, h, w] = match shape {
        [c, h, w] if *c == 1 || *c == 3 => [*c, *h, *w],
        _ => {
            return Err(Error::Argument(format!(
                "images must be [1|3, H, W], got {shape:?}"
            )))
        }
    };
    let d = h
        .checked_mul(w)
        .and_then(|hw| hw.checked_mul(c))
        .filter(|&d| d > 0 && d <= values.len())
        .ok_or_else(|| {
            Error::Argument(format!(
                "{} values cannot hold one {shape:?} image",
                values.len()
            ))
        })?;
    if !values.len().is_multiple_of(d) {
        return Err(Error::Argument(format!(
            "{} values are not a whole number of {shape:?} images",
            values.len()
        )));
    }
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let mut out = Vec::with_capacity(values.len() / c * 4);
    for img in values.chunks_exact(d) {
        for p in 0..h * w {
            let (r, g, b) = if c == 1 {
                (img[p], img[p], img[p])
            } else {
                (img[p], img[h * w + p], img[2 * h * w + p])
            };
            out.extend([byte(r), byte(g), byte(b), 255]);
        }
    }
    Ok(out)
}

/// Tiles images into a grid of `cols` columns with a 2-pixel gutter.
pub fn image_grid(values: &[f32], shape: &[usize], cols: usize) -> Result<Rgba> {
    let rgba = images_to_rgba(values, shape)?;
    let (h, w) = (shape[1], shape[2]);
    let n = rgba.len() / (h * w * 4);
    let cols = cols.clamp(1, n);
    let rows = n.div_ceil(cols);
    let pad = 2;
    let mut out = Rgba::new(
        cols * (w + pad) + pad,
        rows * (h + pad) + pad,
        [40, 40, 40, 255],
    );
    for (i, img) in rgba.chunks_exact(h * w * 4).enumerate() {
        let (x0, y0) = (pad + (i % cols) * (w + pad), pad + (i / cols) * (h + pad));
        for y in 0..h {
            let src = &img[y * w * 4..(y + 1) * w * 4];
            let dst = 4 * ((y0 + y) * out.width + x0);
            out.pixels[dst..dst + w * 4].copy_from_slice(src);
        }
    }
    Ok(out)
}

/// Scatter plot of 2-D point sets on `[-extent, extent]²`, one colour per set.
pub fn scatter(sets: &[(&[f32], [u8; 4])], extent: f32, size: usize) -> Rgba {
    let mut out = Rgba::new(size, size, [255, 255, 255, 255]);
    let mid = (size / 2) as i64;
    out.line((0, mid), (size as i64 - 1, mid), [220, 220, 220, 255]);
    out.line((mid, 0), (mid, size as i64 - 1), [220, 220, 220, 255]);
    let to_px = |v: f32| ((v / extent + 1.0) * 0.5 * size.saturating_sub(1) as f32).round() as i64;
    for (points, colour) in sets {
        for p in points.chunks_exact(2) {
            let (x, y) = (to_px(p[0]), size as i64 - 1 - to_px(p[1]));
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                out.put(x + dx, y + dy, *colour);
            }
        }
    }
    out
}

/// Distinct colours for plot series.
pub const PALETTE: [[u8; 4]; 6] = [
    [31, 119, 180, 255],
    [214, 39, 40, 255],
    [44, 160, 44, 255],
    [255, 127, 14, 255],
    [148, 103, 189, 255],
    [23, 190, 207, 255],
];

/// Line plot of several series (each `(x, y)` points), each scaled to its own min–max range
/// so series of different magnitudes share one panel; colours follow [`PALETTE`].
pub fn line_plot(series: &[Vec<(f32, f32)>], width: usize, height: usize) -> Rgba {
    let mut out = Rgba::new(width, height, [255, 255, 255, 255]);
    let m = 8i64;
    let (w, h) = (width as i64 - 2 * m, height as i64 - 2 * m);
    out.line((m, m + h), (m + w, m + h), [0, 0, 0, 255]);
    out.line((m, m), (m, m + h), [0, 0, 0, 255]);
    let xmax = series
        .iter()
        .flat_map(|s| s.iter().map(|p| p.0))
        .fold(f32::MIN, f32::max)
        .max(1.0);
    for (i, s) in series.iter().enumerate() {
        let finite: Vec<(f32, f32)> = s.iter().copied().filter(|p| p.1.is_finite()).collect();
        let (lo, hi) = finite.iter().fold((f32::MAX, f32::MIN), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
        let span = if hi > lo { hi - lo } else { 1.0 };
        let px = |p: (f32, f32)| {
            (
                m + (p.0 / xmax * w as f32) as i64,
                m + h - ((p.1 - lo) / span * h as f32) as i64,
            )
        };
        for pair in finite.windows(2) {
            out.line(px(pair[0]), px(pair[1]), PALETTE[i % PALETTE.len()]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgba_of_gray_and_grid_layout() {
        let px = images_to_rgba(&[0.0, 1.0, 0.5, 2.0], &[1, 2, 2]).unwrap();
        assert_eq!(&px[..8], &[0, 0, 0, 255, 255, 255, 255, 255]);
        assert_eq!(px[8], 128);
        assert_eq!(px[12], 255); // clamped
        let g = image_grid(&[1.0; 3 * 4], &[1, 2, 2], 2).unwrap();
        assert_eq!((g.width, g.height), (2 * 4 + 2, 2 * 4 + 2));
        assert!(images_to_rgba(&[0.0; 5], &[1, 2, 2]).is_err());
    }
}
