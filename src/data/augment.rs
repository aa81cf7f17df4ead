//! Random translations of image batches: the one augmentation the classifier trains with (a
//! digit moved by a pixel or two is the same digit; the generative models never see it).

use candle::Tensor;

use crate::rng::Rng;
use crate::{Error, Result};

/// Each image moved by its own `(dy, dx)`, both drawn uniformly from `−max..=max`; pixels moved
/// in from outside are 0 (the background of MNIST and Fashion-MNIST).
///
/// # Shapes
/// - `x`: `[B, C, H, W]` → `[B, C, H, W]`
pub fn random_shift(x: &Tensor, max: usize, rng: &mut Rng) -> Result<Tensor> {
    let &[b, c, h, w] = x.dims() else {
        return Err(Error::Argument(format!(
            "random_shift: images are [B, C, H, W], got {:?}",
            x.dims()
        )));
    };
    let src = x.flatten_all()?.to_vec1::<f32>()?;
    let mut out = vec![0f32; src.len()];
    let span = 2 * max + 1;
    for (image, moved) in src
        .chunks_exact(c * h * w)
        .zip(out.chunks_exact_mut(c * h * w))
    {
        let dy = rng.below(span) as isize - max as isize;
        let dx = rng.below(span) as isize - max as isize;
        shift_image(image, moved, (h, w), (dy, dx));
    }
    Ok(Tensor::from_vec(out, (b, c, h, w), x.device())?)
}

/// `moved[y + dy][x + dx] = image[y][x]` per channel, for the `(y, x)` that land inside;
/// `moved` holds zeros where nothing lands.
fn shift_image(image: &[f32], moved: &mut [f32], (h, w): (usize, usize), (dy, dx): (isize, isize)) {
    let cols = w - dx.unsigned_abs().min(w);
    if cols == 0 {
        return; // moved out sideways entirely
    }
    let (from_x, to_x) = if dx >= 0 {
        (0, dx as usize)
    } else {
        (dx.unsigned_abs(), 0)
    };
    // The rows that land inside: y + dy in 0..h.
    let rows = (0..h).filter(|&y| (0..h as isize).contains(&(y as isize + dy)));
    for (plane, out) in image.chunks_exact(h * w).zip(moved.chunks_exact_mut(h * w)) {
        for y in rows.clone() {
            let to = (y as isize + dy) as usize;
            out[to * w + to_x..to * w + to_x + cols]
                .copy_from_slice(&plane[y * w + from_x..y * w + from_x + cols]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle::Device;

    /// One bright pixel per image lands exactly `(dy, dx)` away, or nowhere when moved out.
    #[test]
    fn a_pixel_moves_by_the_shift_and_the_border_fills_with_zeros() {
        let (h, w) = (5, 4);
        let mut image = vec![0f32; h * w];
        image[2 * w + 1] = 1.0; // (2, 1)
        image[4 * w + 3] = 0.5; // (4, 3), the corner
        for (dy, dx) in [(0, 0), (1, 2), (-2, -1), (2, -1), (-1, 3), (0, -4), (5, 0)] {
            let mut moved = vec![0f32; h * w];
            shift_image(&image, &mut moved, (h, w), (dy, dx));
            let mut expected = vec![0f32; h * w];
            for (y, x, v) in [(2isize, 1isize, 1.0f32), (4, 3, 0.5)] {
                let (ty, tx) = (y + dy, x + dx);
                if (0..h as isize).contains(&ty) && (0..w as isize).contains(&tx) {
                    expected[ty as usize * w + tx as usize] = v;
                }
            }
            assert_eq!(moved, expected, "shift ({dy}, {dx})");
        }
    }

    /// Shifts stay within ±max, every one of them occurs, channels move together, and max 0
    /// leaves the batch as it was.
    #[test]
    fn shifts_are_drawn_per_image_within_the_bound() -> Result<()> {
        let (b, h, w, max) = (400, 9, 9, 2);
        // Each image: a 1 at the centre of both channels.
        let mut x = vec![0f32; b * 2 * h * w];
        for plane in x.chunks_exact_mut(h * w) {
            plane[4 * w + 4] = 1.0;
        }
        let x = Tensor::from_vec(x, (b, 2, h, w), &Device::Cpu)?;
        let moved = random_shift(&x, max, &mut Rng::new(3))?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let mut seen = std::collections::HashSet::new();
        for image in moved.chunks_exact(2 * h * w) {
            let at = |plane: &[f32]| plane.iter().position(|&v| v == 1.0).unwrap();
            let (first, second) = (at(&image[..h * w]), at(&image[h * w..]));
            assert_eq!(first, second, "both channels move by one shift");
            let (dy, dx) = ((first / w) as isize - 4, (first % w) as isize - 4);
            assert!(dy.abs() <= 2 && dx.abs() <= 2, "({dy}, {dx})");
            seen.insert((dy, dx));
            assert_eq!(image.iter().sum::<f32>(), 2.0);
        }
        assert_eq!(seen.len(), 25, "all 5×5 shifts occur in 400 draws");
        let same = random_shift(&x, 0, &mut Rng::new(3))?;
        assert_eq!(
            same.flatten_all()?.to_vec1::<f32>()?,
            x.flatten_all()?.to_vec1::<f32>()?
        );
        assert!(random_shift(&x.flatten_from(1)?, max, &mut Rng::new(3)).is_err());
        Ok(())
    }
}
