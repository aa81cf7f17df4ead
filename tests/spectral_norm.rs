//! Spectral normalization as a discriminator option: one power-iteration step a training
//! pass, values and weight gradients as PyTorch's `spectral_norm` gives them (numbers from
//! `tests/reference/spectral_norm.py`), convergence to the largest singular value, its vectors
//! saved in checkpoints and left out of the optimizers; a spectrally normalized DCGAN trains
//! on the hinge loss.

mod common;

use candle::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use latentlab::checkpoint::{self, SaveOptions};
use latentlab::config::{Arch, GanLoss, ModelKind};
use latentlab::data::Split;
use latentlab::kernels::Act;
use latentlab::models::layers::{Dense, Weights};
use latentlab::models::Phase;
use latentlab::spec::TrainSpec;
use latentlab::ModelSpec;

const W: [f32; 12] = [
    0.5, -1.0, 2.0, 1.5, 0.3, -0.7, -0.2, 0.8, 1.1, 0.9, -0.4, 0.6,
];
const B: [f32; 4] = [0.1, -0.2, 0.3, 0.0];
/// `torch.linalg.matrix_norm(W, ord=2)`.
const SIGMA: f32 = 2.577_525_7;

/// A 3 → 4 spectrally normalized layer with weight `W`, bias `b` and power-iteration vector
/// `u`, and the variables behind it.
fn layer(b: &[f32], u: &[f32]) -> (Dense, VarMap, Phase) {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu).pp("fc");
    let phase = Phase::default();
    let dense = Dense::new(3, 4, vb.clone())
        .unwrap()
        .spectral(true, &phase, &vb)
        .unwrap();
    for (name, values, shape) in [
        ("fc.weight", &W[..], &[4, 3][..]),
        ("fc.bias", b, &[4]),
        ("fc.weight_u", u, &[4]),
    ] {
        var(&varmap, name)
            .set(&Tensor::from_slice(values, shape, &Device::Cpu).unwrap())
            .unwrap();
    }
    (dense, varmap, phase)
}

fn var(varmap: &VarMap, name: &str) -> candle::Var {
    varmap.data().lock().unwrap()[name].clone()
}

fn assert_close(got: &Tensor, want: &[f64], tol: f64) {
    let got = got.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((*g as f64 - w).abs() <= tol, "got {got:?}, want {want:?}");
    }
}

#[test]
fn a_training_pass_matches_pytorchs_spectral_norm_in_values_vector_and_gradient() {
    let (dense, varmap, phase) = layer(&B, &[0.5; 4]);
    phase.set_training(true);
    let x = Tensor::from_slice(&[1.0f32, 2.0, -1.0, 0.5, -0.3, 0.8], (2, 3), &Device::Cpu).unwrap();
    let c = Tensor::from_slice(
        &[1.0f32, -2.0, 0.5, 3.0, 0.2, 0.4, -1.0, 1.5],
        (2, 4),
        &Device::Cpu,
    )
    .unwrap();
    let y = dense.forward(&x, Act::Identity, Weights::Trained).unwrap();
    assert_close(
        &y,
        &[
            -1.4164560623933928,
            1.0131648499147143,
            0.429981948205148,
            -0.2166365803419133,
            1.031537295470227,
            -0.15667268393161737,
            0.5339675067692664,
            0.45493681871801794,
        ],
        1e-5,
    );
    assert_close(
        var(&varmap, "fc.weight_u").as_tensor(),
        &[
            0.8189667574254291,
            0.19912132925637888,
            0.26977728479896496,
            0.4656869797124989,
        ],
        1e-6,
    );
    let grads = (y * c).unwrap().sum_all().unwrap().backward().unwrap();
    let w = var(&varmap, "fc.weight");
    assert_close(
        grads.get(w.as_tensor()).unwrap(),
        &[
            1.3940390769808964,
            0.7386123094789916,
            0.6554267675019048,
            -0.5568281864301874,
            -1.8098702556618875,
            1.2530420692317004,
            0.30221506831062644,
            0.5296756568544605,
            -0.2274605885438341,
            2.146455125243407,
            2.3467015114975642,
            -0.20024638625415736,
        ],
        1e-5,
    );
}

#[test]
fn power_iteration_reaches_the_largest_singular_value_and_only_training_moves_it() {
    let (dense, varmap, phase) = layer(&[0.0; 4], &[0.5; 4]);
    let eye = Tensor::eye(3, DType::F32, &Device::Cpu).unwrap();
    // I·(W/σ)ᵀ = (W/σ)ᵀ.
    let normalized = || {
        dense
            .forward(&eye, Act::Identity, Weights::Trained)
            .unwrap()
            .t()
            .unwrap()
    };
    let u = || {
        var(&varmap, "fc.weight_u")
            .as_tensor()
            .to_vec1::<f32>()
            .unwrap()
    };
    // Outside training, and in a frozen (generator-step) pass, u stays as it is.
    let before = u();
    normalized();
    phase.set_training(true);
    dense.forward(&eye, Act::Identity, Weights::Frozen).unwrap();
    assert_eq!(u(), before);
    for _ in 0..30 {
        normalized();
    }
    assert_ne!(u(), before);
    let want = (Tensor::from_slice(&W, (4, 3), &Device::Cpu).unwrap() / SIGMA as f64).unwrap();
    assert!(common::max_abs_diff(&normalized(), &want) < 1e-5);
}

#[test]
fn a_spectrally_normalized_dcgan_trains_on_the_hinge_loss_and_keeps_its_vectors() {
    let data = common::mnist(Split::Train, 256);
    let mut model = ModelSpec::new(ModelKind::Gan);
    model.arch = Some(Arch::Conv);
    model.hidden = Some(vec![8, 16]);
    model.batch_norm = Some(true);
    model.d_spectral_norm = Some(true);
    let mut spec = TrainSpec::new(model);
    spec.batch_size = Some(32);
    spec.gan_loss = Some(GanLoss::Hinge);
    let mut s = spec.start(&data.info, &Device::Cpu).unwrap();
    let vectors = |net: &latentlab::models::Network| -> Vec<(String, Vec<f32>)> {
        net.named_tensors()
            .into_iter()
            .filter(|(n, _)| n.ends_with("weight_u"))
            .map(|(n, t)| (n, t.to_vec1::<f32>().unwrap()))
            .collect()
    };
    let before = vectors(s.network());
    let names: Vec<&str> = before.iter().map(|(n, _)| n.as_str()).collect();
    // Every discriminator layer, no generator layer.
    assert_eq!(
        names,
        [
            "discriminator.conv0.weight_u",
            "discriminator.conv1.weight_u",
            "discriminator.head.weight_u",
        ]
    );
    for (n, u) in &before {
        let norm = u.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{n}: |u| = {norm}");
    }
    let trained = s.network().vars_with_prefix(&[""]);
    assert!(trained.iter().all(|(n, _)| !n.ends_with("weight_u")));

    // The first step tells the losses apart. At initialization D's logits r (real) and f
    // (generated) lie within (−1, 1), where the hinge gives D mean relu(1 − r) + mean
    // relu(1 + f) = 2 − mean r + mean f and G −mean f; each mean logit is about the logit of
    // the reported mean D(·). (This run: d_real 0.383, d_fake 0.491: hinge 2.44 and 0.03, the
    // cross-entropy's softplus(−r) + softplus(f) and softplus(−f) would be 1.64 and 0.71.)
    let first = s.train_steps(&data, 1).unwrap();
    let logit = |name: &str| {
        let p = first.get(name).unwrap();
        (p / (1.0 - p)).ln()
    };
    let (r, f) = (logit("d_real"), logit("d_fake"));
    let d_hinge = 2.0 - r + f;
    assert!(
        (first.get("d_loss").unwrap() - d_hinge).abs() < 0.1,
        "{}",
        first.line()
    );
    assert!(
        (first.get("g_loss").unwrap() + f).abs() < 0.1,
        "{}",
        first.line()
    );
    let m = s.train_steps(&data, 9).unwrap();
    assert!(m.first_non_finite().is_none(), "{}", m.line());
    let d_fake = m.get("d_fake").unwrap();
    assert!(d_fake > 0.01 && d_fake < 0.99, "{}", m.line());
    let after = vectors(s.network());
    for ((n, a), (_, b)) in before.iter().zip(&after) {
        // The head's weight has one row: its u is ±1 for good (σ is the row's norm).
        if a.len() > 1 {
            assert_ne!(a, b, "{n} did not move");
        }
    }
    let info = s.train_info("cpu", String::new(), 0.0);
    let bytes = s.to_bytes(&info, SaveOptions::default()).unwrap();
    let loaded = checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap();
    assert_eq!(vectors(&loaded.network), after);
}

#[test]
fn spectral_norm_and_the_hinge_loss_are_refused_where_they_do_not_apply() {
    let data = common::mnist(Split::Train, 64);
    let mut gan = ModelSpec::new(ModelKind::Gan);
    gan.d_spectral_norm = Some(true);
    let mut cfg = gan.build(&data.info).unwrap();
    assert!(cfg.validate().is_ok());
    if let latentlab::ModelConfig::Gan(c) = &mut cfg {
        c.generator.spectral_norm = true;
    }
    let err = cfg.validate().unwrap_err().to_string();
    assert!(
        err.contains("spectral normalization is for discriminators only"),
        "{err}"
    );

    let mut spec = TrainSpec::new(ModelSpec::new(ModelKind::VaeGan));
    spec.gan_loss = Some(GanLoss::Hinge);
    let err = spec
        .start(&data.info, &Device::Cpu)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("a vaegan does not use --gan-loss hinge"),
        "{err}"
    );
}
