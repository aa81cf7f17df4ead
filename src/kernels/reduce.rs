//! Sums over slices in 8 lanes, so that the loops vectorize: a single running sum has to add
//! in order, one value at a time (a dependency chain of one add's latency per element).

const W: usize = 8;

/// `Σ f(x[i])`.
pub fn sum_of(x: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0f32; W];
    let (body, rest) = x.split_at(x.len() - x.len() % W);
    for chunk in body.chunks_exact(W) {
        for l in 0..W {
            acc[l] += f(chunk[l]);
        }
    }
    acc.iter().sum::<f32>() + rest.iter().map(|&v| f(v)).sum::<f32>()
}

/// `Σ x[i]·y[i]` over the shorter of the two.
pub fn dot(x: &[f32], y: &[f32]) -> f32 {
    let n = x.len().min(y.len());
    let mut acc = [0f32; W];
    let (xc, xr) = x[..n].split_at(n - n % W);
    let (yc, yr) = y[..n].split_at(xc.len());
    for (a, b) in xc.chunks_exact(W).zip(yc.chunks_exact(W)) {
        for l in 0..W {
            acc[l] += a[l] * b[l];
        }
    }
    acc.iter().sum::<f32>() + xr.iter().zip(yr).map(|(a, b)| a * b).sum::<f32>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_sums_match_the_sums_in_f64() {
        // Lengths around the lane width, values of mixed sign and size.
        for n in [0, 1, 7, 8, 9, 63, 1000] {
            let x: Vec<f32> = (0..n).map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.3).collect();
            let y: Vec<f32> = (0..n).map(|i| ((i * 13 % 7) as f32 - 3.0) * 1.7).collect();
            let want_sq: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
            let want_dot: f64 = x
                .iter()
                .zip(&y)
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            assert!((f64::from(sum_of(&x, |v| v * v)) - want_sq).abs() <= 1e-4 * want_sq.max(1.0));
            assert!((f64::from(dot(&x, &y)) - want_dot).abs() <= 1e-4 * want_dot.abs().max(1.0));
        }
    }
}
