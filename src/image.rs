//! Pixels: samples → RGBA bytes (for the browser's `ImageData` and PNG files), image grids,
//! 2-D scatter plots and labelled loss-curve panels drawn without a plotting library.

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

/// Named series (each `(step, y)` points) as panels stacked top to bottom, `panel_height`
/// pixels each, over the steps `[first, last]`: each panel scaled to its series' min–max range and
/// headed by its name and that range, so a flat series shows its few digits of change rather
/// than a full-height wiggle; colours follow [`PALETTE`], and the step range is written under
/// the last panel. Non-finite values are left out.
pub fn metric_panels(
    series: &[(&str, Vec<(f32, f32)>)],
    [x0, x1]: [f32; 2],
    width: usize,
    panel_height: usize,
) -> Rgba {
    const GREY: [u8; 4] = [120, 120, 120, 255];
    const HEADER: i64 = 12;
    let m = 8i64;
    let n = series.len().max(1) as i64;
    let ph = panel_height as i64;
    let mut out = Rgba::new(width, (n * ph + HEADER) as usize, [255, 255, 255, 255]);
    let xspan = if x1 > x0 { x1 - x0 } else { 1.0 };
    let w = width as i64 - 2 * m;
    for (i, (name, s)) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let top = i as i64 * ph;
        let (plot_top, plot_bottom) = (top + HEADER + 2, top + ph - 4);
        let h = plot_bottom - plot_top;
        out.line((m, plot_bottom), (m + w, plot_bottom), GREY);
        out.line((m, plot_top), (m, plot_bottom), GREY);
        let finite: Vec<(f32, f32)> = s.iter().copied().filter(|p| p.1.is_finite()).collect();
        let (lo, hi) = finite.iter().fold((f32::MAX, f32::MIN), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
        let range = match finite.len() {
            0 => "no finite values".to_string(),
            _ => format!("{}  ..  {}", short(lo), short(hi)),
        };
        out.text(m, top + 3, name, colour);
        out.text(
            m + 6 * (name.chars().count() as i64 + 2),
            top + 3,
            &range,
            GREY,
        );
        let span = if hi > lo { hi - lo } else { 1.0 };
        let px = |p: (f32, f32)| {
            (
                m + ((p.0 - x0) / xspan * w as f32) as i64,
                plot_bottom - ((p.1 - lo) / span * h as f32) as i64,
            )
        };
        for pair in finite.windows(2) {
            out.line(px(pair[0]), px(pair[1]), colour);
        }
    }
    let bottom = n * ph + 2;
    out.text(m, bottom, &format!("step {}", x0.round()), GREY);
    let end = format!("step {}", x1.round());
    out.text(m + w - 6 * end.chars().count() as i64, bottom, &end, GREY);
    out
}

/// `v` in at most about 8 characters: 4 significant digits, or an exponent outside 1e-3..1e6.
fn short(v: f32) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if (1e-3..1e6).contains(&a) {
        let digits = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
        format!("{v:.digits$}")
    } else {
        format!("{v:.2e}")
    }
}

/// A 5 × 7 pixel font for plot labels: lower-case letters, digits and a few signs (an upper-case
/// letter is drawn in lower case; another character as a space).
const GLYPHS: [(char, [u8; 7]); 45] = [
    (
        '0',
        [
            0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110,
        ],
    ),
    (
        '1',
        [
            0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110,
        ],
    ),
    (
        '2',
        [
            0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111,
        ],
    ),
    (
        '3',
        [
            0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110,
        ],
    ),
    (
        '4',
        [
            0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010,
        ],
    ),
    (
        '5',
        [
            0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110,
        ],
    ),
    (
        '6',
        [
            0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110,
        ],
    ),
    (
        '7',
        [
            0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000,
        ],
    ),
    (
        '8',
        [
            0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110,
        ],
    ),
    (
        '9',
        [
            0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100,
        ],
    ),
    (
        'a',
        [
            0b00000, 0b00000, 0b01110, 0b00001, 0b01111, 0b10001, 0b01111,
        ],
    ),
    (
        'b',
        [
            0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b11110,
        ],
    ),
    (
        'c',
        [
            0b00000, 0b00000, 0b01110, 0b10000, 0b10000, 0b10001, 0b01110,
        ],
    ),
    (
        'd',
        [
            0b00001, 0b00001, 0b01101, 0b10011, 0b10001, 0b10001, 0b01111,
        ],
    ),
    (
        'e',
        [
            0b00000, 0b00000, 0b01110, 0b10001, 0b11111, 0b10000, 0b01110,
        ],
    ),
    (
        'f',
        [
            0b00110, 0b01001, 0b01000, 0b11100, 0b01000, 0b01000, 0b01000,
        ],
    ),
    (
        'g',
        [
            0b00000, 0b01111, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110,
        ],
    ),
    (
        'h',
        [
            0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001,
        ],
    ),
    (
        'i',
        [
            0b00100, 0b00000, 0b01100, 0b00100, 0b00100, 0b00100, 0b01110,
        ],
    ),
    (
        'j',
        [
            0b00010, 0b00000, 0b00110, 0b00010, 0b00010, 0b10010, 0b01100,
        ],
    ),
    (
        'k',
        [
            0b10000, 0b10000, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010,
        ],
    ),
    (
        'l',
        [
            0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110,
        ],
    ),
    (
        'm',
        [
            0b00000, 0b00000, 0b11010, 0b10101, 0b10101, 0b10001, 0b10001,
        ],
    ),
    (
        'n',
        [
            0b00000, 0b00000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001,
        ],
    ),
    (
        'o',
        [
            0b00000, 0b00000, 0b01110, 0b10001, 0b10001, 0b10001, 0b01110,
        ],
    ),
    (
        'p',
        [
            0b00000, 0b00000, 0b11110, 0b10001, 0b11110, 0b10000, 0b10000,
        ],
    ),
    (
        'q',
        [
            0b00000, 0b00000, 0b01101, 0b10011, 0b01111, 0b00001, 0b00001,
        ],
    ),
    (
        'r',
        [
            0b00000, 0b00000, 0b10110, 0b11001, 0b10000, 0b10000, 0b10000,
        ],
    ),
    (
        's',
        [
            0b00000, 0b00000, 0b01110, 0b10000, 0b01110, 0b00001, 0b11110,
        ],
    ),
    (
        't',
        [
            0b01000, 0b01000, 0b11100, 0b01000, 0b01000, 0b01001, 0b00110,
        ],
    ),
    (
        'u',
        [
            0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b10011, 0b01101,
        ],
    ),
    (
        'v',
        [
            0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100,
        ],
    ),
    (
        'w',
        [
            0b00000, 0b00000, 0b10001, 0b10001, 0b10101, 0b10101, 0b01010,
        ],
    ),
    (
        'x',
        [
            0b00000, 0b00000, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001,
        ],
    ),
    (
        'y',
        [
            0b00000, 0b00000, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110,
        ],
    ),
    (
        'z',
        [
            0b00000, 0b00000, 0b11111, 0b00010, 0b00100, 0b01000, 0b11111,
        ],
    ),
    (
        '.',
        [
            0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100,
        ],
    ),
    (
        '-',
        [
            0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000,
        ],
    ),
    (
        '+',
        [
            0b00000, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0b00000,
        ],
    ),
    (
        '_',
        [
            0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b11111,
        ],
    ),
    (
        '=',
        [
            0b00000, 0b00000, 0b11111, 0b00000, 0b11111, 0b00000, 0b00000,
        ],
    ),
    (
        ':',
        [
            0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000,
        ],
    ),
    (
        '(',
        [
            0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010,
        ],
    ),
    (
        ')',
        [
            0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000,
        ],
    ),
    (
        ' ',
        [
            0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000,
        ],
    ),
];

impl Rgba {
    /// `text` in [`GLYPHS`] from its top-left corner, 6 pixels a character.
    fn text(&mut self, x: i64, y: i64, text: &str, c: [u8; 4]) {
        for (i, ch) in text.chars().enumerate() {
            let ch = ch.to_ascii_lowercase();
            let Some((_, rows)) = GLYPHS.iter().find(|(g, _)| *g == ch) else {
                continue;
            };
            for (dy, row) in rows.iter().enumerate() {
                for dx in 0..5 {
                    if row & (0b10000 >> dx) != 0 {
                        self.put(x + 6 * i as i64 + dx, y + dy as i64, c);
                    }
                }
            }
        }
    }
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

    #[test]
    fn panel_labels_give_four_digits_or_an_exponent() {
        let got: Vec<String> = [2.0234, 0.001_650_1, 8.51e-9, -140.6, 1_234_567.0, 0.0]
            .map(short)
            .to_vec();
        assert_eq!(
            got,
            ["2.023", "0.001650", "8.51e-9", "-140.6", "1.23e6", "0"]
        );
    }

    #[test]
    fn each_metric_gets_a_labelled_panel_in_its_colour() {
        let flat: Vec<(f32, f32)> = (1..=100)
            .map(|s| (s as f32, 2.0 + 1e-4 * (s % 3) as f32))
            .collect();
        let rising: Vec<(f32, f32)> = (1..=100).map(|s| (s as f32, s as f32)).collect();
        let img = metric_panels(&[("loss", flat), ("kl", rising)], [1.0, 100.0], 320, 60);
        assert_eq!((img.width, img.height), (320, 2 * 60 + 12));
        let rows_with = |c: [u8; 4], rows: std::ops::Range<usize>| {
            rows.filter(|y| {
                (0..img.width).any(|x| {
                    let i = 4 * (y * img.width + x);
                    img.pixels[i..i + 4] == c
                })
            })
            .count()
        };
        // Each name in its colour in its header, each line in its own panel only.
        assert!(rows_with(PALETTE[0], 0..12) >= 5, "the first header");
        assert!(rows_with(PALETTE[1], 60..72) >= 5, "the second header");
        assert!(
            rows_with(PALETTE[0], 14..60) > 20,
            "the first line spans its panel"
        );
        assert_eq!(rows_with(PALETTE[0], 60..132), 0);
        assert!(rows_with(PALETTE[1], 74..120) > 20, "the second line");
    }
}
