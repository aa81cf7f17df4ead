//! Evaluation protocols: the IWAE bound is exact where log p(x) is known and tightens with k,
//! the mode counter reproduces PacGAN's definitions, the Fréchet distance is 0 on identical sets
//! and grows with a shift.

mod common;

use std::rc::Rc;

use candle::{Device, Tensor};
use latentlab::config::{ModelKind, TrainConfig};
use latentlab::data::{Dataset, Split, Toy};
use latentlab::eval::{
    active_units, evaluate, frechet_distance, likelihood_bounds, mode_coverage,
    reconstruction_error, BaselineKey, EvalData, EvalOptions, FeatureClassifier, FrechetBaseline,
    Gaussian, Protocol,
};
use latentlab::models::Network;
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::train::Session;
use latentlab::{checkpoint, ModelSpec};

#[test]
fn iwae_bound_is_above_the_elbo_and_tightens_with_k() {
    let data = common::mnist(Split::Train, 2000);
    let train = TrainConfig {
        batch_size: 100,
        ..TrainConfig::default()
    };
    let mut s = Session::new(
        common::tiny_vae(4, None),
        train,
        data.info.clone(),
        &Device::Cpu,
    )
    .unwrap();
    s.train_steps(&data, 150).unwrap();
    let test = common::mnist(Split::Test, 200);
    let nll = |k: usize| {
        likelihood_bounds(s.network(), &test, k, 100, false, &mut Rng::new(0), |_| {}).unwrap()
    };
    let (r1, r10, r100) = (nll(1), nll(10), nll(100));
    // The ELBO is the mean of the bound's own log-weights: at k = 1 the two are one number,
    // and at any k the bound is at or below −ELBO (Jensen, draw by draw).
    assert!((r1.nll - r1.neg_elbo).abs() < 1e-9 * r1.neg_elbo, "{r1:?}");
    for r in [&r10, &r100] {
        assert!(r.nll <= r.neg_elbo, "{r:?}");
    }
    assert!(
        r10.nll < r1.neg_elbo,
        "IWAE-10 {} vs −ELBO {}",
        r10.nll,
        r1.neg_elbo
    );
    assert!(
        r100.nll <= r10.nll + 0.1,
        "IWAE-100 {} vs IWAE-10 {}",
        r100.nll,
        r10.nll
    );
    // A trained VAE uses at least one of its 4 units.
    assert!(r100.active_units >= 1, "{r100:?}");
}

/// A VAE whose encoder always answers the prior (μ = 0, log σ² = 0) and whose decoder ignores z
/// (last layer's weights 0, its biases b) has log p(x) in closed form: every importance weight
/// p(x|z) p(z) / q(z|x) is exactly p(x) = Π_j Bernoulli(x_j; σ(b_j)), so the IWAE bound and
/// the ELBO equal it at every k. Checks the bound's −ln k and its running log-sum-exp over
/// chunks: batch 50 draws 200 samples a chunk, so k = 250 takes two.
#[test]
fn iwae_bound_and_elbo_are_exact_when_the_posterior_is_the_prior_and_x_ignores_z() {
    let net = Network::new(common::tiny_vae(4, None), &Device::Cpu, &mut Rng::new(0)).unwrap();
    let bias = Rng::new(1).uniform_vec(784, -3.0, 3.0);
    for (name, var) in net.vars_with_prefix(&[""]) {
        let t = var.as_tensor();
        let value = match name.as_str() {
            "decoder.fc1.bias" => Tensor::from_slice(&bias, 784, &Device::Cpu).unwrap(),
            n if n.starts_with("encoder.mu.")
                || n.starts_with("encoder.logvar.")
                || n == "decoder.fc1.weight" =>
            {
                t.zeros_like().unwrap()
            }
            _ => continue,
        };
        var.set(&value).unwrap();
    }
    let test = common::mnist(Split::Test, 100);
    // −log p(x) = Σ_j softplus(b_j) − x_j b_j, averaged over the images, in f64.
    let want = test
        .x
        .chunks(784)
        .map(|x| {
            x.iter()
                .zip(&bias)
                .map(|(&x, &b)| {
                    let (x, b) = (x as f64, b as f64);
                    b.max(0.0) + (-b.abs()).exp().ln_1p() - x * b
                })
                .sum::<f64>()
        })
        .sum::<f64>()
        / 100.0;
    assert!(want > 100.0, "a test that means something: {want}");
    for k in [1, 7, 250] {
        let r = likelihood_bounds(&net, &test, k, 50, false, &mut Rng::new(0), |_| {}).unwrap();
        assert!(
            (r.nll - want).abs() < 1e-4 * want,
            "k = {k}: {r:?} vs {want}"
        );
        assert!(
            (r.neg_elbo - want).abs() < 1e-4 * want,
            "k = {k}: {r:?} vs {want}"
        );
        assert_eq!(r.active_units, 0, "μ is 0 for every image");
    }
}

#[test]
fn a_bound_of_many_chunks_holds_no_chain_of_them() {
    // Batch 20 000 leaves one importance sample a chunk (10 000 / batch, at least 1): k = 3000
    // chunks. A graph chain through them was dropped by recursing 3000 deep, past the 256 KiB
    // of this thread (and the stack of a wasm module at k ≈ 1000).
    let bound = |k: usize| {
        let net = Network::new(common::tiny_vae(4, None), &Device::Cpu, &mut Rng::new(0))?;
        let test = common::mnist(Split::Test, 1);
        likelihood_bounds(&net, &test, k, 20_000, false, &mut Rng::new(0), |_| {})
    };
    let small_stack = std::thread::Builder::new().stack_size(256 << 10);
    let r = small_stack.spawn(move || bound(3000)).unwrap().join();
    let r = r.expect("no stack overflow").unwrap();
    assert!(r.nll.is_finite() && r.nll <= r.neg_elbo, "{r:?}");
    let e = bound(latentlab::eval::MAX_K + 1).unwrap_err().to_string();
    assert!(e.contains("at most 100000"), "{e}");
}

#[test]
fn a_zero_batch_is_refused_rather_than_looping() {
    let net = Network::new(common::tiny_vae(4, None), &Device::Cpu, &mut Rng::new(0)).unwrap();
    let lenet = checkpoint::load_file(
        common::repo().join("results/lenet-mnist.safetensors"),
        &Device::Cpu,
    )
    .unwrap()
    .network;
    let x = Tensor::zeros((3, 1, 28, 28), candle::DType::F32, &Device::Cpu).unwrap();
    let e = latentlab::eval::features(&lenet, &x, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("≥ 1"), "{e}");
    let opts = EvalOptions {
        batch_size: 0,
        ..EvalOptions::default()
    };
    let e = evaluate(
        &net,
        &common::mnist_info(false),
        &opts,
        &mut InMemory { lenet: true },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("batch_size"), "{e}");
}

#[test]
fn active_units_counts_varying_dimensions() {
    // Dim 0 varies (var 1), dim 1 barely (var 1e-4).
    let mus: Vec<f32> = (0..1000)
        .flat_map(|i| [if i % 2 == 0 { 1.0 } else { -1.0 }, 0.01 * (i % 2) as f32])
        .collect();
    assert_eq!(active_units(&mus, 2, 0.01), 1);
}

#[test]
fn mode_counter_follows_pacgan() {
    let mut rng = Rng::new(0);
    let true_ring = Toy::Ring8.sample(2500, &mut rng);
    let r = mode_coverage(&true_ring, Toy::Ring8).unwrap();
    assert_eq!(r.modes_covered, 8);
    // In 2-D, P(‖x − μ‖ ≤ 3σ) = 1 − e^{−9/2} = 98.89%: the true distribution itself scores that.
    assert!((r.high_quality_pct - 98.89).abs() < 0.6, "{r:?}");
    assert!(r.reverse_kl < 0.01, "{r:?}");

    // Every sample on one mode: 1/8 covered, reverse KL = ln 8.
    let one: Vec<f32> = (0..2500)
        .flat_map(|_| [1.0 + 0.01 * rng.normal(), 0.01 * rng.normal()])
        .collect();
    let r = mode_coverage(&one, Toy::Ring8).unwrap();
    assert_eq!(r.modes_covered, 1);
    assert!((r.reverse_kl - 8f64.ln()).abs() < 1e-9);

    // Points between modes are not high quality.
    let far: Vec<f32> = (0..100).flat_map(|_| [0.0, 0.0]).collect();
    let r = mode_coverage(&far, Toy::Ring8).unwrap();
    assert_eq!((r.modes_covered, r.high_quality_pct), (0, 0.0));

    let grid = Toy::Grid25.sample(2500, &mut rng);
    assert_eq!(mode_coverage(&grid, Toy::Grid25).unwrap().modes_covered, 25);
}

#[test]
fn frechet_distance_is_zero_on_a_set_with_itself_and_grows_with_a_shift() {
    let mut rng = Rng::new(3);
    let dim = 16;
    let a: Vec<f32> = (0..2000 * dim).map(|_| rng.normal()).collect();
    let ga = Gaussian::fit(&a, dim).unwrap();
    assert!(frechet_distance(&ga, &ga).unwrap() < 1e-6);
    let mut last = 0.0;
    for shift in [0.1f32, 0.5, 1.0] {
        let b: Vec<f32> = a.iter().map(|v| v + shift).collect();
        let d = frechet_distance(&ga, &Gaussian::fit(&b, dim).unwrap()).unwrap();
        // A pure shift adds ‖δ‖² = dim·shift².
        assert!(
            (d - (dim as f64) * (shift as f64).powi(2)).abs() < 1e-3,
            "shift {shift}: {d}"
        );
        assert!(d > last);
        last = d;
    }
}

/// Test data from memory; with `lenet`, the LeNet classifier shipped in `results/`, else no
/// classifier, so the Fréchet distance is skipped.
struct InMemory {
    lenet: bool,
}

impl EvalData for InMemory {
    fn images(
        &mut self,
        _name: &str,
        split: Split,
        size: Option<usize>,
    ) -> latentlab::Result<Dataset> {
        Ok(common::mnist(split, size.unwrap_or(100)))
    }
    fn classifier(&mut self, _name: &str) -> latentlab::Result<FeatureClassifier> {
        if !self.lenet {
            return Ok(FeatureClassifier::Missing {
                why: "no classifier at nowhere.safetensors".into(),
            });
        }
        let path = common::repo().join("results/lenet-mnist.safetensors");
        Ok(FeatureClassifier::Found {
            network: Rc::new(checkpoint::load_file(&path, &Device::Cpu)?.network),
            source: path.display().to_string(),
        })
    }
}

/// A front end like [`InMemory`] with the classifier that keeps the last Fréchet baseline, as
/// the page does, and counts its reads of the training split (which only the baseline needs).
struct KeepsBaseline {
    train_reads: usize,
    kept: Option<(BaselineKey, Rc<FrechetBaseline>)>,
}

impl EvalData for KeepsBaseline {
    fn images(
        &mut self,
        name: &str,
        split: Split,
        size: Option<usize>,
    ) -> latentlab::Result<Dataset> {
        self.train_reads += usize::from(split == Split::Train);
        InMemory { lenet: true }.images(name, split, size)
    }
    fn classifier(&mut self, name: &str) -> latentlab::Result<FeatureClassifier> {
        InMemory { lenet: true }.classifier(name)
    }
    fn kept_baseline(&self, key: BaselineKey) -> Option<Rc<FrechetBaseline>> {
        self.kept
            .as_ref()
            .filter(|(kept, _)| *kept == key)
            .map(|(_, b)| Rc::clone(b))
    }
    fn keep_baseline(&mut self, key: BaselineKey, baseline: Rc<FrechetBaseline>) {
        self.kept = Some((key, baseline));
    }
}

#[test]
fn a_kept_frechet_baseline_gives_the_report_measuring_it_would() {
    let info = common::mnist(Split::Train, 100).info;
    let gan = TrainSpec::new(ModelSpec::new(ModelKind::Gan))
        .start(&info, &Device::Cpu)
        .unwrap();
    let mut opts = EvalOptions {
        test_size: Some(300),
        samples: Some(300),
        ..EvalOptions::default()
    };
    let mut front = KeepsBaseline {
        train_reads: 0,
        kept: None,
    };
    let report = |front: &mut dyn EvalData, opts: &EvalOptions| {
        let r = evaluate(gan.network(), &info, opts, front).unwrap();
        serde_json::to_value(&r).unwrap()["frechet"].clone()
    };
    let measured = report(&mut InMemory { lenet: true }, &opts);
    assert!(
        measured["floor_train_vs_test"].as_f64().unwrap() > 0.0,
        "{measured}"
    );
    assert_eq!(report(&mut front, &opts), measured);
    assert_eq!(report(&mut front, &opts), measured);
    assert_eq!(
        front.train_reads, 1,
        "the second evaluation measured the baseline again"
    );
    // Another size is another baseline.
    opts.test_size = Some(200);
    let other = report(&mut front, &opts);
    assert_eq!(front.train_reads, 2);
    assert_ne!(
        other["floor_train_vs_test"],
        measured["floor_train_vs_test"]
    );
    assert_eq!(other, report(&mut InMemory { lenet: true }, &opts));
    // So is another batch size (the classifier's sums may round otherwise).
    opts.batch_size = 50;
    report(&mut front, &opts);
    assert_eq!(front.train_reads, 3);
}

#[test]
fn evaluate_runs_each_kind_on_its_protocol() {
    let ring = Dataset::toy_for_run(Toy::Ring8, Some(500), 0).unwrap();
    let gan = TrainSpec::new(ModelSpec::new(ModelKind::Gan))
        .start(&ring.info, &Device::Cpu)
        .unwrap();
    let r = evaluate(
        gan.network(),
        &ring.info,
        &EvalOptions::default(),
        &mut InMemory { lenet: false },
    )
    .unwrap();
    assert_eq!(r.modes.as_ref().unwrap().modes, 8);
    assert!(r.likelihood.is_none() && r.frechet.is_none());

    let data = common::mnist(Split::Train, 100);
    let vae = Session::new(
        common::tiny_vae(2, None),
        TrainConfig::default(),
        data.info.clone(),
        &Device::Cpu,
    )
    .unwrap();
    let opts = EvalOptions {
        k: 2,
        test_size: Some(50),
        ..EvalOptions::default()
    };
    let r = evaluate(
        vae.network(),
        &data.info,
        &opts,
        &mut InMemory { lenet: false },
    )
    .unwrap();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["likelihood"]["samples"], 50);
    assert!(v["frechet"]["skipped"]
        .as_str()
        .unwrap()
        .contains("nowhere.safetensors"));
    assert!(v.get("modes").is_none());

    let mut other = data.info.clone();
    other.name = "points".into();
    assert!(evaluate(vae.network(), &other, &opts, &mut InMemory { lenet: false }).is_err());
}

#[test]
fn each_kind_has_its_protocol() {
    let mnist = common::mnist(Split::Train, 100).info;
    let ring = Dataset::toy_for_run(Toy::Ring8, Some(500), 0).unwrap().info;
    let protocol = |kind: ModelKind, info: &latentlab::data::DataInfo| {
        let s = TrainSpec::new(ModelSpec::new(kind))
            .start(info, &Device::Cpu)
            .unwrap();
        let p = Protocol::of(s.network(), &info.name).unwrap();
        (p.likelihood, p.reconstruction, p.frechet, p.accuracy)
    };
    // (likelihood, reconstruction, Fréchet distance, accuracy) on images.
    for (kind, measures) in [
        (ModelKind::Vae, (true, true, true, false)),
        (ModelKind::Gan, (false, false, true, false)),
        (ModelKind::VaeGan, (true, true, true, false)),
        (ModelKind::Classifier, (false, false, false, true)),
        (ModelKind::Autoencoder, (false, true, false, false)),
    ] {
        assert_eq!(protocol(kind, &mnist), measures, "{kind}");
    }
    let s = TrainSpec::new(ModelSpec::new(ModelKind::Autoencoder))
        .start(&mnist, &Device::Cpu)
        .unwrap();
    let p = Protocol::of(s.network(), "mnist").unwrap();
    assert!(p.reads_test_split() && p.uses_classifier() && !p.generates());
    assert!(p.modes.is_none());
    // 2-D points: modes alone, from samples.
    let p = Protocol::of(
        TrainSpec::new(ModelSpec::new(ModelKind::Gan))
            .start(&ring, &Device::Cpu)
            .unwrap()
            .network(),
        "ring8",
    )
    .unwrap();
    assert_eq!(p.modes, Some(Toy::Ring8));
    assert!(p.generates() && !p.reads_test_split());
    let e = Protocol::of(s.network(), "points").unwrap_err().to_string();
    assert!(e.contains("no evaluation protocol"), "{e}");
}

#[test]
fn toys_parse_from_their_names() {
    assert_eq!("grid25".parse::<Toy>().unwrap(), Toy::Grid25);
    let e = "ring9".parse::<Toy>().unwrap_err().to_string();
    assert!(e.contains("ring8, grid25, spiral"), "{e}");
}

#[test]
fn a_conditional_model_reports_how_often_samples_are_the_class_asked_for() {
    let opts = EvalOptions {
        k: 0,
        test_size: Some(500),
        samples: Some(500),
        ..EvalOptions::default()
    };
    let agreement = |name: &str| {
        let path = common::repo().join(format!("www/weights/{name}.safetensors"));
        let ck = checkpoint::load_file(&path, &Device::Cpu).unwrap();
        let r = evaluate(&ck.network, &ck.data, &opts, &mut InMemory { lenet: true }).unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert!(v["frechet"]["generated_vs_test"].as_f64().unwrap() > 0.0);
        v["frechet"].get("class_agreement").and_then(|a| a.as_f64())
    };
    // The shipped CVAE draws each class equally often and mostly gets it right; a label
    // misaligned by even one class would score near 0.
    let cvae = agreement("cvae-mnist").expect("a conditional model reports its agreement");
    assert!(cvae > 0.7, "cvae-mnist: {cvae}"); // 0.792 on 500 samples at temperature 1
    assert_eq!(agreement("vae-mnist-2d"), None);
}

#[test]
fn an_autoencoder_is_scored_on_its_held_out_reconstructions() {
    let data = common::mnist(Split::Train, 2000);
    let test = common::mnist(Split::Test, 200);
    let ae = |steps: usize| {
        let mut s = Session::new(
            common::tiny_autoencoder(8),
            TrainConfig {
                batch_size: 100,
                ..TrainConfig::default()
            },
            data.info.clone(),
            &Device::Cpu,
        )
        .unwrap();
        s.train_steps(&data, steps).unwrap();
        s
    };
    let lenet = checkpoint::load_file(
        common::repo().join("results/lenet-mnist.safetensors"),
        &Device::Cpu,
    )
    .unwrap()
    .network;
    let score = |s: &Session| {
        reconstruction_error(
            s.network(),
            &test,
            64,
            false,
            Some(&lenet),
            &mut Rng::new(0),
        )
        .unwrap()
    };

    // A decoder of zeros puts logit 0 on every pixel: −log p(x|z) = 784 · ln 2 whatever the
    // image, and each pixel is 0.5 away from sigmoid(0) by |x − 0.5|.
    let blank = ae(0);
    for (_, v) in blank.network().vars_with_prefix(&["decoder."]) {
        v.set(&v.as_tensor().zeros_like().unwrap()).unwrap();
    }
    let r = score(&blank);
    let expected_mse = {
        let idx: Vec<usize> = (0..test.len()).collect();
        let x = test
            .batch(&idx, false, &mut Rng::new(0), &Device::Cpu)
            .unwrap()
            .x;
        let x = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        x.iter().map(|&p| (p as f64 - 0.5).powi(2)).sum::<f64>() / x.len() as f64
    };
    assert_eq!(r.samples, 200);
    assert!(
        (r.nll - 784.0 * std::f64::consts::LN_2).abs() < 1e-3,
        "{r:?}"
    );
    assert!(
        (r.mse - expected_mse).abs() < 1e-6,
        "{r:?} vs {expected_mse}"
    );
    // One grey image for every input: at most the most frequent digit's share is labelled
    // right.
    assert!(r.label_agreement.unwrap() <= 0.2, "{r:?}");

    // 300 steps later the held-out loss has fallen by far and the classifier names the digit
    // of most reconstructions (150.5 nats, 0.043, 56 % at this seed).
    let trained = score(&ae(300));
    assert!(trained.nll < 0.5 * r.nll, "{trained:?}");
    assert!(trained.mse < 0.75 * r.mse, "{trained:?}");
    assert!(trained.label_agreement.unwrap() > 0.4, "{trained:?}");

    // `evaluate` runs it for an autoencoder, and labels without a classifier are left out.
    let opts = EvalOptions {
        test_size: Some(50),
        ..EvalOptions::default()
    };
    let s = ae(0);
    let v = serde_json::to_value(
        evaluate(
            s.network(),
            &data.info,
            &opts,
            &mut InMemory { lenet: false },
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(v["reconstruction"]["samples"], 50);
    assert!(v["reconstruction"].get("label_agreement").is_none());
    assert!(v.get("likelihood").is_none() && v.get("frechet").is_none());
}
