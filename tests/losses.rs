//! Losses against PyTorch (values from `tests/reference/losses.py`, torch 2.9.1, float64) and
//! the KL term against its closed form and a Monte-Carlo estimate.

use candle::{Device, Tensor};
use latentlab::config::GanLoss;
use latentlab::losses::*;
use latentlab::rng::Rng;

fn t(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape, &Device::Cpu).unwrap()
}

fn close(got: &Tensor, want: &[f64], tol: f64) {
    let got = got.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!(
            (*g as f64 - w).abs() <= tol * w.abs().max(1.0),
            "got {got:?}, want {want:?}"
        );
    }
}

const X: [f32; 12] = [
    -3.0, -0.5, 0.0, 0.7, 2.5, 12.0, 1.0, -2.0, 0.3, -0.1, 4.0, -15.0,
];
const Y: [f32; 12] = [0.0, 1.0, 0.5, 1.0, 0.0, 1.0, 1.0, 0.0, 0.2, 0.9, 1.0, 0.0];

#[test]
fn bce_with_logits_matches_pytorch_including_large_logits() {
    // F.binary_cross_entropy_with_logits(x, y, reduction="none").sum(1)
    close(
        &bce_with_logits(&t(&X, &[2, 6]), &t(&Y, &[2, 6])).unwrap(),
        &[4.697893443685279, 1.9870918369233772],
        1e-6,
    );
}

#[test]
fn gaussian_nll_matches_pytorch() {
    // F.gaussian_nll_loss(mean, y, var=1, full=True, reduction="none").sum(1)
    let mean = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1.0, -1.0, 0.0, 2.0, -2.0, 0.5];
    close(
        &gaussian_nll(&t(&mean, &[2, 6]), &t(&Y, &[2, 6])).unwrap(),
        &[6.243631199228036, 11.263631199228035],
        1e-6,
    );
}

#[test]
fn gan_losses_match_pytorch_bce_and_hinge() {
    let real = t(&[2.0, -1.0, 0.3, 5.0], &[4]);
    let fake = t(&[-2.0, 0.5, 1.5, -7.0], &[4]);
    // BCE(real, 1) + BCE(fake, 0); non-saturating BCE(fake, 1)
    close(
        &discriminator_loss(&real, &fake, GanLoss::Standard).unwrap(),
        &[1.2011475077946117],
        1e-6,
    );
    close(
        &generator_loss(&fake, GanLoss::Standard).unwrap(),
        &[2.4508324349149015],
        1e-6,
    );
    // Hinge: mean relu(1 − real) + mean relu(1 + fake); −mean fake.
    close(
        &discriminator_loss(&real, &fake, GanLoss::Hinge).unwrap(),
        &[1.675],
        1e-6,
    );
    close(
        &generator_loss(&fake, GanLoss::Hinge).unwrap(),
        &[1.75],
        1e-6,
    );
}

#[test]
fn cross_entropy_matches_pytorch() {
    let logits = t(&[2.0, -1.0, 0.5, 0.1, 0.2, 3.0], &[2, 3]);
    let targets = Tensor::new(&[0u32, 1], &Device::Cpu).unwrap();
    close(
        &cross_entropy(&logits, &targets).unwrap(),
        &[1.5754563805893111],
        1e-6,
    );
}

const MU: [f32; 6] = [0.5, -1.0, 0.0, 2.0, 0.1, -0.3];
const LOGVAR: [f32; 6] = [0.0, -1.0, 0.7, -2.0, 0.3, 1.5];

#[test]
fn kl_matches_pytorch_and_the_closed_form() {
    let kl = kl_standard_normal(&t(&MU, &[2, 3]), &t(&LOGVAR, &[2, 3])).unwrap();
    // torch.distributions.kl_divergence(Normal(mu, exp(logvar/2)), Normal(0, 1)).sum(1)
    close(&kl, &[0.9658160743209594, 3.63344158057534], 1e-6);
    // ½ Σ (σ² + μ² − 1 − ln σ²), by hand in f64.
    let by_hand: Vec<f64> = MU
        .chunks(3)
        .zip(LOGVAR.chunks(3))
        .map(|(m, lv)| {
            m.iter()
                .zip(lv)
                .map(|(&m, &lv)| 0.5 * ((lv as f64).exp() + (m as f64).powi(2) - 1.0 - lv as f64))
                .sum()
        })
        .collect();
    close(&kl, &by_hand, 1e-6);
}

#[test]
fn kl_agrees_with_a_monte_carlo_estimate() {
    // E_q[log q(z) − log p(z)] with 200k draws from q.
    let n = 200_000;
    let (mu, logvar) = ([0.5f32, -1.0, 0.0], [0.0f32, -1.0, 0.7]);
    let mut rng = Rng::new(1);
    let eps = rng.normal_tensor(&[n, 3], 1.0, &Device::Cpu).unwrap();
    let mu_t = t(&mu, &[1, 3]).broadcast_as((n, 3)).unwrap();
    let lv_t = t(&logvar, &[1, 3]).broadcast_as((n, 3)).unwrap();
    let z = (&mu_t + (&lv_t * 0.5).unwrap().exp().unwrap().mul(&eps).unwrap()).unwrap();
    let log_q = log_posterior(&eps, &lv_t).unwrap();
    let log_p = log_standard_normal(&z).unwrap();
    let mc = (log_q - log_p)
        .unwrap()
        .mean_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap() as f64;
    assert!(
        (mc - 0.9658160743209594).abs() < 0.01,
        "Monte-Carlo KL {mc}"
    );
}

#[test]
fn softplus_and_log_sum_exp_are_stable() {
    let x = t(&[-100.0, 0.0, 100.0], &[3]);
    close(
        &softplus(&x).unwrap(),
        &[(-100f64).exp(), 2f64.ln(), 100.0],
        1e-6,
    );
    // Columns {1000, −1e30} and {1000, 0}: one dominant term, the other's weight e^-1000.
    let v = t(&[1000.0, 1000.0, -1e30, 0.0], &[2, 2]);
    close(&log_sum_exp(&v, 0).unwrap(), &[1000.0, 1000.0], 1e-6);
    // Two equal large maxima: 1000 + ln 2, not inf or NaN.
    let v = t(&[1000.0, 1000.0], &[2]);
    close(&log_sum_exp(&v, 0).unwrap(), &[1000.0 + 2f64.ln()], 1e-6);
}
