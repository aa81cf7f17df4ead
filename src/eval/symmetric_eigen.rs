//! Dense f64 linear algebra for the Fréchet distance's 128 × 128 covariances: the eigen
//! decomposition of a symmetric matrix (Householder reduction to tridiagonal form, then the
//! implicit QL method: EISPACK's `tred2` and `tql2`, as JAMA writes them) and a matrix product.
//! Row-major `n × n` slices throughout.

use crate::{Error, Result};

/// QL iterations allowed per eigenvalue; it converges in two or three.
const MAX_QL_ITERATIONS: usize = 64;

/// Eigenvalues, in no particular order, and their eigenvectors (the columns of the returned
/// `n × n` matrix) of the symmetric `a`; an error for a non-finite entry.
pub fn symmetric_eigen(a: &[f64], n: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    if a.len() != n * n {
        return Err(Error::Argument(format!(
            "a {n} × {n} matrix needs {} values, got {}",
            n * n,
            a.len()
        )));
    }
    if let Some(bad) = a.iter().find(|v| !v.is_finite()) {
        return Err(Error::Argument(format!(
            "the eigen decomposition needs finite values, got {bad}"
        )));
    }
    if n == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut v = a.to_vec();
    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n];
    tridiagonalize(&mut v, &mut d, &mut e, n);
    diagonalize(&mut v, &mut d, &mut e, n)?;
    Ok((d, v))
}

/// Householder reduction of the symmetric matrix in `v` to tridiagonal form: on return `d`
/// holds the diagonal, `e[1..]` the subdiagonal, and `v` the orthogonal transformation.
fn tridiagonalize(v: &mut [f64], d: &mut [f64], e: &mut [f64], n: usize) {
    let at = |r: usize, c: usize| r * n + c;
    d.copy_from_slice(&v[at(n - 1, 0)..at(n - 1, 0) + n]);
    for i in (1..n).rev() {
        let scale: f64 = d[..i].iter().map(|x| x.abs()).sum();
        let mut h = 0.0;
        if scale == 0.0 {
            e[i] = d[i - 1];
            for j in 0..i {
                d[j] = v[at(i - 1, j)];
                v[at(i, j)] = 0.0;
                v[at(j, i)] = 0.0;
            }
        } else {
            for dk in &mut d[..i] {
                *dk /= scale;
                h += *dk * *dk;
            }
            let f = d[i - 1];
            let g = if f > 0.0 { -h.sqrt() } else { h.sqrt() };
            e[i] = scale * g;
            h -= f * g;
            d[i - 1] = f - g;
            e[..i].fill(0.0);
            for j in 0..i {
                let f = d[j];
                v[at(j, i)] = f;
                let mut g = e[j] + v[at(j, j)] * f;
                for k in j + 1..i {
                    g += v[at(k, j)] * d[k];
                    e[k] += v[at(k, j)] * f;
                }
                e[j] = g;
            }
            let mut f = 0.0;
            for j in 0..i {
                e[j] /= h;
                f += e[j] * d[j];
            }
            let hh = f / (h + h);
            for j in 0..i {
                e[j] -= hh * d[j];
            }
            for j in 0..i {
                let (f, g) = (d[j], e[j]);
                for k in j..i {
                    v[at(k, j)] -= f * e[k] + g * d[k];
                }
                d[j] = v[at(i - 1, j)];
                v[at(i, j)] = 0.0;
            }
        }
        d[i] = h;
    }
    // Accumulate the transformations.
    for i in 0..n - 1 {
        v[at(n - 1, i)] = v[at(i, i)];
        v[at(i, i)] = 1.0;
        let h = d[i + 1];
        if h != 0.0 {
            for k in 0..=i {
                d[k] = v[at(k, i + 1)] / h;
            }
            for j in 0..=i {
                let g: f64 = (0..=i).map(|k| v[at(k, i + 1)] * v[at(k, j)]).sum();
                for k in 0..=i {
                    v[at(k, j)] -= g * d[k];
                }
            }
        }
        for k in 0..=i {
            v[at(k, i + 1)] = 0.0;
        }
    }
    for j in 0..n {
        d[j] = v[at(n - 1, j)];
        v[at(n - 1, j)] = 0.0;
    }
    v[at(n - 1, n - 1)] = 1.0;
    e[0] = 0.0;
}

/// The implicit QL method on the tridiagonal matrix (`d`, `e`) from [`tridiagonalize`]:
/// `d` becomes the eigenvalues, and `v`'s columns the eigenvectors.
fn diagonalize(v: &mut [f64], d: &mut [f64], e: &mut [f64], n: usize) -> Result<()> {
    let at = |r: usize, c: usize| r * n + c;
    e.copy_within(1.., 0);
    e[n - 1] = 0.0;
    let mut f = 0.0;
    let mut tst1: f64 = 0.0;
    for l in 0..n {
        // Find a small subdiagonal element; e[n − 1] = 0 ends the search.
        tst1 = tst1.max(d[l].abs() + e[l].abs());
        let m = (l..n)
            .find(|&m| e[m].abs() <= f64::EPSILON * tst1)
            .unwrap_or(n - 1);
        if m > l {
            let mut iterations = 0;
            loop {
                iterations += 1;
                if iterations > MAX_QL_ITERATIONS {
                    return Err(Error::Data(format!(
                        "the eigen decomposition did not converge in {MAX_QL_ITERATIONS} QL \
                         iterations"
                    )));
                }
                // The implicit shift.
                let g = d[l];
                let mut p = (d[l + 1] - g) / (2.0 * e[l]);
                let r = if p < 0.0 { -p.hypot(1.0) } else { p.hypot(1.0) };
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                let dl1 = d[l + 1];
                let h = g - d[l];
                for di in &mut d[l + 2..] {
                    *di -= h;
                }
                f += h;
                // The QL transformation.
                p = d[m];
                let (mut c, mut c2, mut c3) = (1.0, 1.0, 1.0);
                let el1 = e[l + 1];
                let (mut s, mut s2) = (0.0, 0.0);
                for i in (l..m).rev() {
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    let g = c * e[i];
                    let h = c * p;
                    let r = p.hypot(e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    for k in 0..n {
                        let h = v[at(k, i + 1)];
                        v[at(k, i + 1)] = s * v[at(k, i)] + c * h;
                        v[at(k, i)] = c * v[at(k, i)] - s * h;
                    }
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1;
                e[l] = s * p;
                d[l] = c * p;
                if e[l].abs() <= f64::EPSILON * tst1 {
                    break;
                }
            }
        }
        d[l] += f;
        e[l] = 0.0;
    }
    Ok(())
}

/// The product of two row-major `n × n` matrices.
pub fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for (c_row, a_row) in c.chunks_exact_mut(n).zip(a.chunks_exact(n)) {
        for (&aik, b_row) in a_row.iter().zip(b.chunks_exact(n)) {
            for (cij, &bkj) in c_row.iter_mut().zip(b_row) {
                *cij += aik * bkj;
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// ‖V diag(w) Vᵀ − A‖ and ‖VᵀV − I‖, the largest entry of each.
    fn residuals(a: &[f64], n: usize) -> (f64, f64) {
        let (w, v) = symmetric_eigen(a, n).unwrap();
        let mut worst = (0.0f64, 0.0f64);
        for i in 0..n {
            for j in 0..n {
                let r: f64 = (0..n).map(|k| v[i * n + k] * w[k] * v[j * n + k]).sum();
                let o: f64 = (0..n).map(|k| v[k * n + i] * v[k * n + j]).sum();
                worst.0 = worst.0.max((r - a[i * n + j]).abs());
                worst.1 = worst.1.max((o - if i == j { 1.0 } else { 0.0 }).abs());
            }
        }
        worst
    }

    #[test]
    fn eigen_reconstructs_a_symmetric_matrix() {
        let a = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let (rec, orth) = residuals(&a, 3);
        assert!(rec < 1e-12 && orth < 1e-12, "{rec} {orth}");
    }

    #[test]
    fn eigen_of_a_covariance_of_the_frechet_size() {
        // A rank-deficient covariance (64 rows of 128 features): 64 zero eigenvalues, as
        // features that are dead ReLUs for every sample give.
        let (n, rows) = (128, 64);
        let mut rng = Rng::new(7);
        let x: Vec<f64> = (0..rows * n).map(|_| rng.normal() as f64).collect();
        let mut a = vec![0.0; n * n];
        for r in x.chunks_exact(n) {
            for i in 0..n {
                for j in 0..n {
                    a[i * n + j] += r[i] * r[j] / rows as f64;
                }
            }
        }
        let (rec, orth) = residuals(&a, n);
        assert!(rec < 1e-10 && orth < 1e-10, "{rec} {orth}");
        let (w, _) = symmetric_eigen(&a, n).unwrap();
        let trace: f64 = (0..n).map(|i| a[i * n + i]).sum();
        assert!((w.iter().sum::<f64>() - trace).abs() < 1e-9 * trace);
        assert_eq!(w.iter().filter(|&&l| l.abs() < 1e-9).count(), n - rows);
        // The identity: every eigenvalue 1, and the transformation stays the identity.
        let eye: Vec<f64> = (0..n * n)
            .map(|k| if k % (n + 1) == 0 { 1.0 } else { 0.0 })
            .collect();
        let (w, _) = symmetric_eigen(&eye, n).unwrap();
        assert!(w.iter().all(|&l| (l - 1.0).abs() < 1e-15));
        let (rec, orth) = residuals(&eye, n);
        assert!(rec < 1e-15 && orth < 1e-15, "{rec} {orth}");
    }

    #[test]
    fn eigen_refuses_non_finite_values_and_wrong_sizes() {
        let e = symmetric_eigen(&[1.0, f64::NAN, f64::NAN, 1.0], 2).unwrap_err();
        assert!(e.to_string().contains("finite values, got NaN"), "{e}");
        assert!(symmetric_eigen(&[1.0; 3], 2).is_err());
        assert_eq!(symmetric_eigen(&[5.0], 1).unwrap(), (vec![5.0], vec![1.0]));
    }

    #[test]
    fn matmul_multiplies() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [5.0, 6.0, 7.0, 8.0];
        assert_eq!(matmul(&a, &b, 2), vec![19.0, 22.0, 43.0, 50.0]);
    }
}
