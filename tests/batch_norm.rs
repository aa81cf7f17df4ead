//! BatchNorm as a layer option: batch statistics while training, running ones otherwise; the
//! running statistics move with training, are saved in checkpoints and come back from them,
//! and no optimizer sees them. Maxout discriminators train too.

mod common;

use candle::Device;
use latentlab::checkpoint::{self, SaveOptions};
use latentlab::config::{Arch, GanUpdate, ModelKind};
use latentlab::data::{Dataset, Split};
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::ModelSpec;

fn running(net: &latentlab::models::Network) -> Vec<(String, Vec<f32>)> {
    net.named_tensors()
        .into_iter()
        .filter(|(n, _)| n.contains("running_"))
        .map(|(n, t)| (n, t.to_vec1::<f32>().unwrap()))
        .collect()
}

#[test]
fn a_pacgan_with_batch_norm_and_maxout_trains_and_round_trips_its_statistics() {
    let data = Dataset::open("ring8", Split::Train, Some(2000), "data".as_ref(), 1).unwrap();
    let mut model = ModelSpec::new(ModelKind::Gan);
    model.pack = Some(2);
    model.hidden = Some(vec![32, 32]);
    model.batch_norm = Some(true);
    model.d_maxout = Some(3);
    let mut spec = TrainSpec::new(model);
    spec.batch_size = Some(64);
    spec.gan_update = Some(GanUpdate::Simultaneous);
    let mut s = spec.start(&data.info, &Device::Cpu).unwrap();
    let before = running(s.network());
    // Two hidden generator layers, each with a mean and a variance; none in D.
    assert_eq!(before.len(), 4, "{before:?}");
    assert!(before.iter().all(|(n, _)| n.starts_with("generator.")));
    let m = s.train_steps(&data, 20).unwrap();
    assert!(m.first_non_finite().is_none(), "{}", m.line());
    let after = running(s.network());
    for ((n, a), (_, b)) in before.iter().zip(&after) {
        assert_ne!(a, b, "{n} did not move");
    }
    // Optimizers see the scale and shift, not the running statistics.
    let trained = s.network().vars_with_prefix(&[""]);
    assert!(trained.iter().any(|(n, _)| n.ends_with("norm.scale")));
    assert!(trained.iter().all(|(n, _)| !n.contains("running_")));

    // Eval mode reads the running statistics: the same noise gives the same samples after a
    // round trip through a checkpoint, and differs from a batch-statistics pass.
    let net = s.network();
    let z = Rng::new(5)
        .normal_tensor(&[16, 2], 1.0, &Device::Cpu)
        .unwrap();
    let latentlab::models::Model::Gan(gan) = net.model() else {
        unreachable!()
    };
    let eval = gan.generator.forward(&z, None).unwrap();
    net.set_training(true);
    let train = gan.generator.forward(&z, None).unwrap();
    net.set_training(false);
    assert!(common::max_abs_diff(&eval, &train) > 1e-4);
    // (That pass moved the running statistics again.)
    let eval = gan.generator.forward(&z, None).unwrap();
    let info = s.train_info("cpu", String::new(), 0.0);
    let bytes = s.to_bytes(&info, SaveOptions::default()).unwrap();
    let loaded = checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap();
    assert_eq!(running(&loaded.network), running(net));
    let latentlab::models::Model::Gan(gan2) = loaded.network.model() else {
        unreachable!()
    };
    let again = gan2.generator.forward(&z, None).unwrap();
    assert_eq!(common::max_abs_diff(&eval, &again), 0.0);
}

#[test]
fn a_dcgan_normalized_in_both_networks_trains_on_mnist() {
    let data = common::mnist(Split::Train, 256);
    let mut model = ModelSpec::new(ModelKind::Gan);
    model.arch = Some(Arch::Conv);
    model.hidden = Some(vec![8, 16]);
    model.batch_norm = Some(true);
    model.d_batch_norm = Some(true);
    let mut spec = TrainSpec::new(model);
    spec.batch_size = Some(32);
    let mut s = spec.start(&data.info, &Device::Cpu).unwrap();
    let names: Vec<String> = running(s.network()).into_iter().map(|(n, _)| n).collect();
    // G: the projection and the first transposed convolution; D: its second convolution only.
    assert_eq!(
        names,
        [
            "discriminator.conv1.norm.running_mean",
            "discriminator.conv1.norm.running_var",
            "generator.deconv0.norm.running_mean",
            "generator.deconv0.norm.running_var",
            "generator.fc.norm.running_mean",
            "generator.fc.norm.running_var",
        ]
    );
    let m = s.train_steps(&data, 5).unwrap();
    assert!(m.first_non_finite().is_none(), "{}", m.line());
    // Neither network has won: D(G(z)) is not pinned at 0 or 1.
    let d_fake = m.get("d_fake").unwrap();
    assert!(d_fake > 0.01 && d_fake < 0.99, "{}", m.line());
}

#[test]
fn maxout_is_refused_outside_discriminators() {
    let data = Dataset::open("ring8", Split::Train, Some(200), "data".as_ref(), 1).unwrap();
    let mut vae = ModelSpec::new(ModelKind::Vae);
    vae.hidden = Some(vec![16]);
    let mut cfg = vae.build(&data.info).unwrap();
    if let latentlab::ModelConfig::Vae(c) = &mut cfg {
        c.backbone.maxout = Some(3);
    }
    let err = cfg.validate().unwrap_err().to_string();
    assert!(
        err.contains("maxout units are for discriminators only"),
        "{err}"
    );
    let mut gan = ModelSpec::new(ModelKind::Gan);
    gan.d_maxout = Some(3);
    assert!(gan.build(&data.info).is_ok());
}

/// The generator's output in training mode, computed by hand from its parameters: one hidden
/// layer `h = z W₀ᵀ` (no bias), normalized by the batch's mean and biased variance plus `eps`,
/// scaled, shifted, ReLU, then `W₁ h + b₁`.
///
/// # Shapes
/// - `z`: `[N, 2]` → `[N, 2]`
fn one_layer_generator_by_hand(
    net: &latentlab::models::Network,
    z: &candle::Tensor,
    eps: f64,
) -> candle::Tensor {
    let p: std::collections::HashMap<String, candle::Tensor> =
        net.named_tensors().into_iter().collect();
    let h = z.matmul(&p["generator.fc0.weight"].t().unwrap()).unwrap();
    let mean = h.mean_keepdim(0).unwrap();
    let centred = h.broadcast_sub(&mean).unwrap();
    let var = centred.sqr().unwrap().mean_keepdim(0).unwrap();
    let normed = centred
        .broadcast_div(&(var + eps).unwrap().sqrt().unwrap())
        .unwrap()
        .broadcast_mul(&p["generator.fc0.norm.scale"])
        .unwrap()
        .broadcast_add(&p["generator.fc0.norm.shift"])
        .unwrap()
        .relu()
        .unwrap();
    normed
        .matmul(&p["generator.fc1.weight"].t().unwrap())
        .unwrap()
        .broadcast_add(&p["generator.fc1.bias"])
        .unwrap()
}

#[test]
fn batch_norm_eps_is_a_model_option_kept_in_its_checkpoint() {
    let data = Dataset::open("ring8", Split::Train, Some(200), "data".as_ref(), 1).unwrap();
    let mut model = ModelSpec::new(ModelKind::Gan);
    model.hidden = Some(vec![8]);
    model.batch_norm = Some(true);
    model.batch_norm_eps = Some(1e-4);
    let cfg = model.build(&data.info).unwrap();
    let latentlab::ModelConfig::Gan(g) = &cfg else {
        unreachable!()
    };
    assert_eq!(g.generator.batch_norm_eps, Some(1e-4));
    assert_eq!(g.discriminator.batch_norm_eps, None, "D has no BatchNorm");
    assert_eq!(ModelSpec::of(&cfg).batch_norm_eps, Some(1e-4));

    let s = TrainSpec::new(model)
        .start(&data.info, &Device::Cpu)
        .unwrap();
    let net = s.network();
    // Codes this small give the hidden units (weights U(±1/√2)) batch variances of about
    // 3e-5, below ε, where ε shows.
    let z = (Rng::new(3)
        .normal_tensor(&[16, 2], 1.0, &Device::Cpu)
        .unwrap()
        * 0.01)
        .unwrap();
    let latentlab::models::Model::Gan(gan) = net.model() else {
        unreachable!()
    };
    net.set_training(true);
    let out = gan.generator.forward(&z, None).unwrap();
    let with = |eps| common::max_abs_diff(&out, &one_layer_generator_by_hand(net, &z, eps));
    assert!(with(1e-4) < 1e-5, "{}", with(1e-4));
    assert!(with(1e-5) > 1e-3, "{}", with(1e-5));

    let info = s.train_info("cpu", String::new(), 0.0);
    let bytes = s.to_bytes(&info, SaveOptions::default()).unwrap();
    let loaded = checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap();
    assert_eq!(loaded.network.config(), &cfg);
}

#[test]
fn batch_norm_eps_needs_batch_norm_and_a_sane_value() {
    let data = Dataset::open("ring8", Split::Train, Some(200), "data".as_ref(), 1).unwrap();
    let mut model = ModelSpec::new(ModelKind::Gan);
    model.batch_norm_eps = Some(1e-4);
    let err = model.build(&data.info).unwrap_err().to_string();
    assert!(
        err.contains("needs BatchNorm in one of this model's networks"),
        "{err}"
    );
    model.batch_norm = Some(true);
    // (1e-50 and 1e39 would be 0 and ∞ in f32.)
    for bad in [0.0, -1e-4, 1e-50, 1e39, f64::NAN] {
        model.batch_norm_eps = Some(bad);
        let err = model.build(&data.info).unwrap_err().to_string();
        assert!(
            err.contains("ε must be between 1e-12 and 1"),
            "{bad}: {err}"
        );
    }
    // A config file may not give its two networks different ε.
    model.d_batch_norm = Some(true);
    model.hidden = Some(vec![8, 8]);
    model.batch_norm_eps = Some(1e-4);
    let mut cfg = model.build(&data.info).unwrap();
    if let latentlab::ModelConfig::Gan(g) = &mut cfg {
        assert_eq!(g.discriminator.batch_norm_eps, Some(1e-4));
        g.discriminator.batch_norm_eps = Some(1e-3);
    }
    let err = cfg.validate().unwrap_err().to_string();
    assert!(err.contains("one BatchNorm ε per model"), "{err}");
}

#[test]
fn batch_norm_eps_round_trips_through_the_spec_and_the_resume_check() {
    let data = Dataset::open("ring8", Split::Train, Some(200), "data".as_ref(), 1).unwrap();
    // Only the discriminator normalized: ε is its alone, and the spec of the config builds it.
    let mut model = ModelSpec::new(ModelKind::Gan);
    model.hidden = Some(vec![8, 8]);
    model.d_batch_norm = Some(true);
    model.batch_norm_eps = Some(1e-4);
    let cfg = model.build(&data.info).unwrap();
    let latentlab::ModelConfig::Gan(g) = &cfg else {
        unreachable!()
    };
    assert_eq!(
        (g.generator.batch_norm_eps, g.discriminator.batch_norm_eps),
        (None, Some(1e-4))
    );
    assert_eq!(ModelSpec::of(&cfg).build(&data.info).unwrap(), cfg);

    // The default given explicitly is stored as absent, and a resumed run may repeat it.
    model.batch_norm_eps = Some(1e-5);
    let default = model.build(&data.info).unwrap();
    let latentlab::ModelConfig::Gan(g) = &default else {
        unreachable!()
    };
    assert_eq!(g.discriminator.batch_norm_eps, None);
    let s = TrainSpec::new(model.clone())
        .start(&data.info, &Device::Cpu)
        .unwrap();
    let run = TrainSpec::of(&default, s.train_config());
    let mut given = TrainSpec::new(model);
    given.seed = run.seed;
    assert!(given.disagreements(&run).is_empty());
    // Another ε is named with the run's own.
    given.model.batch_norm_eps = Some(1e-3);
    let d = given.disagreements(&run);
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].flag, d[0].given.as_str(), d[0].other.as_str()),
        ("--batch-norm-eps", "0.001", "0.00001")
    );
}
