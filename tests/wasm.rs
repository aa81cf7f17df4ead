//! The WebAssembly build under Node (wasm-bindgen-test): the same samples as the native build
//! for the same checkpoint and seed (through `tests/fixtures/golden.json`, which
//! `tests/golden.rs` pins natively), errors instead of panics, and a module that keeps working
//! after an error; rayon on the calling thread (no pool in this build); and our simd128
//! products against their definition. Run by `pkg-scripts/test`.
#![cfg(target_arch = "wasm32")]

#[path = "hostile/mod.rs"]
mod hostile;

use latentlab::wasm::{LatentModel, LatentTrainer};
use wasm_bindgen::{JsCast, JsError, JsValue};
use wasm_bindgen_test::*;

const GOLDEN: &str = include_str!("fixtures/golden.json");
const VAE: &[u8] = include_bytes!("fixtures/tiny-vae-mlp.safetensors");
const CGAN: &[u8] = include_bytes!("fixtures/tiny-cgan-conv.safetensors");
const VAE_PRIOR: &[u8] = include_bytes!("fixtures/tiny-vae-prior.safetensors");

/// (n, seed, temperature, class, values), the numbers as JavaScript passes them.
fn golden(name: &str) -> (f64, f64, f32, Option<f64>, Vec<f32>) {
    let v: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
    let c = &v[name];
    (
        c["n"].as_f64().unwrap(),
        c["seed"].as_f64().unwrap(),
        c["temperature"].as_f64().unwrap() as f32,
        c["class"].as_f64(),
        c["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect(),
    )
}

fn assert_close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len());
    let worst = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    // f32::max skips NaN: a non-finite value must fail on its own.
    assert!(
        got.iter().all(|g| g.is_finite()) && worst <= tol,
        "max difference {worst} > {tol}, or a value is not finite"
    );
}

#[wasm_bindgen_test]
fn samples_equal_the_native_build_within_1e_4() {
    for (name, bytes) in [
        ("tiny-vae-mlp", VAE),
        ("tiny-cgan-conv", CGAN),
        ("tiny-vae-prior", VAE_PRIOR),
    ] {
        let (n, seed, temperature, class, want) = golden(name);
        let model = LatentModel::load(bytes).unwrap();
        assert_close(
            &model.sample(n, seed, temperature, class).unwrap(),
            &want,
            1e-4,
        );
    }
}

#[wasm_bindgen_test]
fn dropping_the_code_prior_gives_standard_normal_codes() {
    let mut model = LatentModel::load(VAE_PRIOR).unwrap();
    let fitted = model.random_latents(64.0, 5.0, 1.0, None).unwrap();
    let info = |m: &LatentModel| -> serde_json::Value {
        serde_json::from_str(&m.info().unwrap()).unwrap()
    };
    assert!(info(&model)["model"]["code_prior"].is_object());
    model.drop_code_prior().unwrap();
    assert!(info(&model)["model"]["code_prior"].is_null());
    // The codes are then N(0, I)'s, drawn from the seed as for a model that never had a prior.
    let standard = model.random_latents(64.0, 5.0, 1.0, None).unwrap();
    let want = latentlab::rng::Rng::new(5).normal_vec(standard.len());
    assert_eq!(standard, want);
    assert_ne!(standard, fitted);
    // Dropping it again changes nothing.
    model.drop_code_prior().unwrap();
    assert_eq!(model.random_latents(64.0, 5.0, 1.0, None).unwrap(), want);
}

#[wasm_bindgen_test]
fn bad_input_is_an_error_and_the_module_keeps_working() {
    assert!(LatentModel::load(b"definitely not safetensors").is_err());
    assert!(LatentModel::load(&VAE[..VAE.len() / 2]).is_err());
    let model = LatentModel::load(VAE).unwrap();
    assert!(
        model.decode(&[0.0; 3], None).is_err(),
        "3 values for a 2-D latent"
    );
    assert!(model
        .interpolate(&[0.0; 2], &[1.0; 2], 5.0, "zigzag".into(), None)
        .is_err());
    assert!(model.encode(&[0.0; 10], None).is_err());
    assert!(
        model.discriminate(&[0.0; 784], None).is_err(),
        "a VAE has no discriminator"
    );
    let cgan = LatentModel::load(CGAN).unwrap();
    assert!(
        cgan.sample(2.0, 0.0, 1.0, Some(10.0)).is_err(),
        "class 10 of 10"
    );
    assert!(
        model.sample(2.0, 0.0, 1.0, Some(3.0)).is_err(),
        "a class of an unconditional VAE"
    );
    assert!(
        model.random_latents(2.0, 0.0, f32::NAN, None).is_err(),
        "NaN temperature"
    );
    let e = message(model.decode(&[0.0; 2], Some(vec![1])).err().unwrap());
    assert!(
        e.contains("labels given to a vae network that takes none"),
        "{e}"
    );
    assert!(model.reconstruct(&[0.5; 784], Some(vec![1])).is_err());
    assert!(
        latentlab::wasm::latent_grid_points(1.0, 2.0).is_err(),
        "a grid of one point"
    );
    // Still alive: the same calls with good arguments work.
    let (n, seed, temperature, class, want) = golden("tiny-vae-mlp");
    assert_close(
        &model.sample(n, seed, temperature, class).unwrap(),
        &want,
        1e-4,
    );
    assert_eq!(
        model
            .interpolate(&[0.0; 2], &[1.0; 2], 5.0, "slerp".into(), None)
            .unwrap()
            .len(),
        5 * 784
    );
}

#[wasm_bindgen_test]
fn inpainting_and_latent_arithmetic_refuse_bad_arguments_and_keep_working() {
    let model = LatentModel::load(VAE).unwrap();
    let x = [0.5f32; 2 * 784];
    let mut known = vec![1u8; 2 * 784];
    known[..784].fill(0);
    let bad = |r: Result<Vec<f32>, JsError>, what: &str, want: &str| {
        let msg = message(r.err().unwrap_or_else(|| panic!("{what}: no error")));
        assert!(msg.contains(want), "{what}: {msg}");
    };
    bad(
        model.inpaint(&x, &known[1..], None, None),
        "short mask",
        "one value per input value",
    );
    let mut three = known.clone();
    three[0] = 3;
    bad(
        model.inpaint(&x, &three, None, None),
        "mask value 3",
        "got 3",
    );
    bad(
        model.inpaint(&x, &known, None, Some(5000.0)),
        "5000 iterations",
        "1 to 1000",
    );
    bad(
        model.attribute_vector(&x, None, &[], None),
        "empty set B",
        "multiple of 784",
    );
    bad(
        model.shift_decode(&x, None, &[1.0; 3], 1.0),
        "3-value vector",
        "must have 2 values",
    );
    bad(
        model.shift_decode(&x, None, &[1.0; 2], f32::NAN),
        "NaN weight",
        "finite",
    );
    bad(
        model.decode_across_classes(&[0.0; 2]),
        "unconditional",
        "not conditioned",
    );
    // Still alive, and the known half comes back as given.
    let out = model.inpaint(&x, &known, None, None).unwrap();
    assert_eq!(&out[784..], &x[784..]);
    let v = model
        .attribute_vector(&x[..784], None, &x[784..], None)
        .unwrap();
    assert_eq!(v, vec![0.0; 2], "two equal sets: a zero vector");
    assert_eq!(
        model.shift_decode(&x, None, &v, 1.0).unwrap().len(),
        2 * 784
    );
    let cgan = LatentModel::load(CGAN).unwrap();
    let l = serde_json::from_str::<serde_json::Value>(&cgan.info().unwrap()).unwrap()["latent_dim"]
        .as_u64()
        .unwrap() as usize;
    let k = 10;
    let grid = cgan.decode_across_classes(&vec![0.1; 2 * l]).unwrap();
    assert_eq!(grid.len(), 2 * k * 784);
}

#[wasm_bindgen_test]
fn a_browser_trained_checkpoint_is_the_native_format() {
    // Past the browser's limits: refused, naming the limit.
    for (spec, limit) in [
        (
            r#"{"model": {"kind": "vae", "hidden": [99999999]}}"#,
            "from 1 to 4096",
        ),
        (
            r#"{"model": {"kind": "vae"}, "batch_size": 0}"#,
            "from 1 to 1024",
        ),
        (r#"{"model": {"kind": "gan", "pack": 100}}"#, "from 1 to 8"),
    ] {
        let e = message(LatentTrainer::new(JsValue::from(spec), 0.0).err().unwrap());
        assert!(e.contains(limit), "{spec}: {e}");
    }
    let mut t = LatentTrainer::new(
        r#"{"model": {"kind": "gan", "pack": 2, "hidden": [32, 32]}, "batch_size": 50}"#.into(),
        4.0,
    )
    .unwrap();
    assert!(t.train_steps(1.0).is_err(), "no data yet");
    assert!(t.set_toy("nonsense".into(), Some(100.0), 4.0).is_err());
    t.set_toy("ring8".into(), Some(500.0), 4.0).unwrap();
    let report: serde_json::Value = serde_json::from_str(&t.train_steps(10.0).unwrap()).unwrap();
    assert_eq!(report["step"], 10);
    assert!(report["metrics"]["d_loss"].as_f64().unwrap().is_finite());
    assert_eq!(t.discriminate(&[0.0, 0.0, 1.0, 0.0]).unwrap().len(), 2);
    // A VAE trainer reconstructs from one to all of its training samples, no more.
    let mut v =
        LatentTrainer::new(r#"{"model": {"kind": "vae", "hidden": [16]}}"#.into(), 1.0).unwrap();
    v.set_toy("ring8".into(), Some(300.0), 1.0).unwrap();
    assert_eq!(v.reconstruct(4.0).unwrap().len(), 8);
    let e = message(v.reconstruct(301.0).err().unwrap());
    assert!(
        e.contains("n (training samples) must be a whole number from 1 to 300"),
        "{e}"
    );
    // Its checkpoint with a code prior fitted to its training codes samples from the mixture
    // and does not resume.
    v.train_steps(5.0).unwrap();
    let fitted = v.checkpoint(false, 1.0, Some(3.0)).unwrap();
    let info: serde_json::Value =
        serde_json::from_str(&LatentModel::load(&fitted).unwrap().info().unwrap()).unwrap();
    assert_eq!(info["model"]["code_prior"]["components"], 3);
    let e = message(LatentTrainer::from_checkpoint(&fitted).err().unwrap());
    assert!(e.contains("code prior was fitted"), "{e}");
    assert!(
        v.checkpoint(false, 1.0, Some(301.0)).is_err(),
        "more components than samples"
    );
    // The CLI's eval protocol on the live weights scores the very points `sample` draws.
    let r: serde_json::Value =
        serde_json::from_str(&t.evaluate(r#"{"samples": 300, "seed": 5}"#.into()).unwrap())
            .unwrap();
    let points = t.sample(300.0, 5.0, 1.0, None).unwrap();
    let want = latentlab::eval::mode_coverage(&points, latentlab::data::Toy::Ring8).unwrap();
    assert_eq!(r["modes"]["samples"], 300);
    assert_eq!(r["modes"]["counts"], serde_json::json!(want.counts));
    let bytes = t.checkpoint(false, 1.0, None).unwrap();
    let ck = latentlab::checkpoint::from_bytes(&bytes, &candle::Device::Cpu).unwrap();
    assert_eq!(ck.train.as_ref().unwrap().steps, 10);
    assert_eq!(ck.train.as_ref().unwrap().device, "wasm");
    assert!(
        !ck.optimizer.is_empty(),
        "full checkpoints carry optimizer moments"
    );
    // And it resumes, in wasm, at step 10.
    let mut resumed = LatentTrainer::from_checkpoint(&bytes).unwrap();
    // Other data of the same shape is not this run's.
    let e = message(
        resumed
            .set_toy("grid25".into(), Some(500.0), 4.0)
            .err()
            .unwrap(),
    );
    assert!(
        e.contains("this run trains on ring8, the new data is grid25"),
        "{e}"
    );
    // Nor are the points of another seed: the run's are drawn for its own.
    let e = message(
        resumed
            .set_toy("ring8".into(), Some(500.0), 5.0)
            .unwrap_err(),
    );
    assert!(e.contains("this run's is 4, not 5"), "{e}");
    resumed.set_toy("ring8".into(), Some(500.0), 4.0).unwrap();
    let r: serde_json::Value = serde_json::from_str(&resumed.train_steps(2.0).unwrap()).unwrap();
    assert_eq!(r["step"], 12);
}

/// IDX bytes of `n` 28×28 images of random pixels, and their labels `i % 10`.
fn idx_images(n: usize, seed: u64) -> (Vec<u8>, Vec<u8>) {
    let mut rng = latentlab::rng::Rng::new(seed);
    let mut images = [0x0803_u32, n as u32, 28, 28]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect::<Vec<u8>>();
    images.extend((0..n * 784).map(|_| rng.below(256) as u8));
    let mut labels = [0x0801_u32, n as u32]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect::<Vec<u8>>();
    labels.extend((0..n).map(|i| (i % 10) as u8));
    (images, labels)
}

#[wasm_bindgen_test]
fn an_image_gan_gets_a_frechet_distance_once_given_the_pages_classifier() {
    use latentlab::eval::{features, frechet_distance, Gaussian};
    const LENET: &[u8] = include_bytes!("../www/weights/classifiers/lenet-mnist.safetensors");
    let (train, train_labels) = idx_images(200, 1);
    let (test, test_labels) = idx_images(100, 2);
    let gan = |name: &str| {
        let mut t = LatentTrainer::new(
            r#"{"model": {"kind": "gan", "arch": "mlp", "hidden": [32]}}"#.into(),
            3.0,
        )
        .unwrap();
        t.set_images(JsValue::from(name), &train, &train_labels)
            .unwrap();
        t.set_test_images(JsValue::from(name), &test, &test_labels)
            .unwrap();
        t.train_steps(2.0).unwrap();
        t
    };
    let options = r#"{"samples": 100, "test_size": 100, "seed": 0}"#;
    let report = |t: &LatentTrainer| -> serde_json::Value {
        serde_json::from_str(&t.evaluate(JsValue::from(options)).unwrap()).unwrap()
    };
    let mut t = gan("mnist");
    let before = report(&t);
    assert!(
        before["frechet"]["skipped"]
            .as_str()
            .unwrap()
            .contains("setFeatureClassifier"),
        "{before}"
    );
    let e = message(
        t.set_feature_classifier(b"junk", "junk.safetensors".into())
            .err()
            .unwrap(),
    );
    assert!(e.contains("the feature classifier junk.safetensors"), "{e}");
    let e = message(
        t.set_feature_classifier(VAE, "vae.safetensors".into())
            .err()
            .unwrap(),
    );
    assert!(e.contains("expected a classifier checkpoint"), "{e}");
    t.set_feature_classifier(LENET, "lenet-mnist.safetensors".into())
        .unwrap();
    let f = &report(&t)["frechet"];
    assert_eq!(f["classifier"], "lenet-mnist.safetensors");
    assert_eq!(f["samples"], 100);
    assert!(f["generated_vs_test"].as_f64().unwrap() > 1.0, "{f}");
    assert_eq!(f["class_histogram"]["counts"].as_array().unwrap().len(), 10);
    // The floor is the first 100 training images (setImages) against the 100 test images
    // (setTestImages), in the classifier's features.
    let network = |bytes: &[u8]| {
        latentlab::checkpoint::from_bytes(bytes, &candle::Device::Cpu)
            .unwrap()
            .network
    };
    let floor = |clf: &latentlab::models::Network, train: (&[u8], &[u8]), test: (&[u8], &[u8])| {
        let fit = |(images, labels): (&[u8], &[u8])| {
            let data = latentlab::data::Dataset::from_idx("mnist", images, labels)
                .unwrap()
                .first(100)
                .unwrap();
            let idx: Vec<usize> = (0..100).collect();
            let batch = data
                .batch(
                    &idx,
                    false,
                    &mut latentlab::rng::Rng::new(0),
                    &candle::Device::Cpu,
                )
                .unwrap();
            let values = features(clf, &batch.x, 100).unwrap().values;
            Gaussian::fit(&values, values.len() / 100).unwrap()
        };
        frechet_distance(&fit(train), &fit(test)).unwrap()
    };
    let mut want = floor(
        &network(LENET),
        (&train, &train_labels),
        (&test, &test_labels),
    );
    let got = f["floor_train_vs_test"].as_f64().unwrap();
    assert!(
        want > 1.0 && (got - want).abs() < 1e-6 * want,
        "{got} vs {want}"
    );
    assert_eq!(report(&t)["frechet"], *f);
    // The trainer keeps that baseline between evaluations, until the test images, the
    // training images or the classifier change: after each, the floor is the new inputs'.
    let mut floor_now = |t: &LatentTrainer, new: f64, what: &str| {
        let got = report(t)["frechet"]["floor_train_vs_test"]
            .as_f64()
            .unwrap();
        assert!(
            (got - new).abs() < 1e-6 * new && (new - want).abs() > 1e-6 * want,
            "after {what}: {got}, want {new} (before: {want})"
        );
        want = new;
    };
    let (test2, test2_labels) = idx_images(100, 4);
    t.set_test_images("mnist".into(), &test2, &test2_labels)
        .unwrap();
    floor_now(
        &t,
        floor(
            &network(LENET),
            (&train, &train_labels),
            (&test2, &test2_labels),
        ),
        "setTestImages",
    );
    let (train2, train2_labels) = idx_images(200, 5);
    t.set_images("mnist".into(), &train2, &train2_labels)
        .unwrap();
    floor_now(
        &t,
        floor(
            &network(LENET),
            (&train2, &train2_labels),
            (&test2, &test2_labels),
        ),
        "setImages",
    );
    // The f32 file the shipped f16 one was exported from.
    const LENET_F32: &[u8] = include_bytes!("../results/lenet-mnist.safetensors");
    t.set_feature_classifier(LENET_F32, "lenet-mnist f32".into())
        .unwrap();
    floor_now(
        &t,
        floor(
            &network(LENET_F32),
            (&train2, &train2_labels),
            (&test2, &test2_labels),
        ),
        "setFeatureClassifier",
    );
    // A classifier of other data is refused when it would be used.
    let mut other = gan("fashion-mnist");
    other
        .set_feature_classifier(LENET, "lenet-mnist.safetensors".into())
        .unwrap();
    let e = message(other.evaluate(JsValue::from(options)).err().unwrap());
    assert!(
        e.contains("classifies mnist, this model makes fashion-mnist"),
        "{e}"
    );
}

#[wasm_bindgen_test]
fn an_infogan_trains_in_wasm_and_loads_with_its_codes() {
    let mut t = LatentTrainer::new(
        r#"{"model": {"kind": "gan", "info_codes": 4, "hidden": [32, 32]}, "batch_size": 50}"#
            .into(),
        3.0,
    )
    .unwrap();
    // The ring has no labels: the codes are drawn, not read.
    t.set_toy("ring8".into(), Some(500.0), 3.0).unwrap();
    let report: serde_json::Value = serde_json::from_str(&t.train_steps(5.0).unwrap()).unwrap();
    assert!(report["metrics"]["info_loss"].as_f64().unwrap().is_finite());
    assert_eq!(t.discriminate(&[0.0, 0.0, 1.0, 0.0]).unwrap().len(), 2);
    let model = LatentModel::load(&t.checkpoint(false, 1.0, None).unwrap()).unwrap();
    let info: serde_json::Value = serde_json::from_str(&model.info().unwrap()).unwrap();
    assert_eq!(
        (info["num_classes"].as_u64(), info["info_codes"].as_bool()),
        (Some(4), Some(true))
    );
    // Each code draws its own points; the same code and seed, the same points.
    let (a, b) = (
        model.sample(8.0, 1.0, 1.0, Some(0.0)).unwrap(),
        model.sample(8.0, 1.0, 1.0, Some(3.0)).unwrap(),
    );
    assert_ne!(a, b);
    assert_eq!(a, model.sample(8.0, 1.0, 1.0, Some(0.0)).unwrap());
    assert!(
        model.sample(8.0, 1.0, 1.0, Some(4.0)).is_err(),
        "code 4 of 4"
    );
}

#[wasm_bindgen_test]
fn a_self_conditioned_gan_loads_and_samples_its_clusters_by_share() {
    use latentlab::data::{Dataset, Toy};
    use latentlab::spec::TrainSpec;
    let spec: TrainSpec = serde_json::from_str(
        r#"{"model": {"kind": "gan", "cluster_classes": 3, "hidden": [16, 16]}, "batch_size": 50}"#,
    )
    .unwrap();
    let raw = Dataset::toy_for_run(Toy::Ring8, Some(400), 0).unwrap();
    // The wasm trainer clusters its data as the CLI does, and trains; resumed, it clusters the
    // same points the run's way again.
    let mut t =
        LatentTrainer::new(JsValue::from(&serde_json::to_string(&spec).unwrap()), 3.0).unwrap();
    t.set_toy("ring8".into(), Some(400.0), 3.0).unwrap();
    t.train_steps(2.0).unwrap();
    let ck = t.checkpoint(false, 0.0, None).unwrap();
    let card: serde_json::Value =
        serde_json::from_str(&LatentModel::load(&ck).unwrap().info().unwrap()).unwrap();
    assert_eq!(card["data"]["clusters"]["k"].as_u64(), Some(3), "{card}");
    let mut resumed = LatentTrainer::from_checkpoint(&ck).unwrap();
    resumed.set_toy("ring8".into(), Some(400.0), 3.0).unwrap();
    let r: serde_json::Value = serde_json::from_str(&resumed.train_steps(1.0).unwrap()).unwrap();
    assert_eq!(r["step"], 3);
    // Trained by the library (as the CLI does), it loads and samples in wasm.
    let data = spec.prepare_data(raw).unwrap();
    let shares = data.info.clusters.as_ref().unwrap().shares();
    let s = spec.start(&data.info, &candle::Device::Cpu).unwrap();
    let info = s.train_info("cpu", String::new(), 0.0);
    let model = LatentModel::load(&s.to_bytes(&info, Default::default()).unwrap()).unwrap();
    let card: serde_json::Value = serde_json::from_str(&model.info().unwrap()).unwrap();
    assert_eq!(
        (card["num_classes"].as_u64(), card["clusters"].as_bool()),
        (Some(3), Some(true))
    );
    let labels = model.sample_labels(300.0, None).unwrap().unwrap();
    for (c, share) in shares.iter().enumerate() {
        let got = labels.iter().filter(|&&l| l == c as u32).count() as f32 / 300.0;
        assert!((got - share).abs() < 0.02, "cluster {c}: {got} vs {share}");
    }
    assert_eq!(
        model.sample_labels(4.0, Some(2.0)).unwrap(),
        Some(vec![2; 4])
    );
    assert_eq!(model.sample(8.0, 1.0, 1.0, None).unwrap().len(), 16);
}

/// The single-thread build has no pool: rayon (which the kernels use on every target) runs its
/// work on the calling thread, with the same results as a sequential loop.
#[wasm_bindgen_test]
fn rayon_falls_back_to_the_calling_thread() {
    use rayon::prelude::*;
    assert_eq!(latentlab::wasm::thread_count(), 1);
    let xs: Vec<u64> = (0..10_000).collect();
    let parallel: u64 = xs.par_iter().map(|x| x * x).sum();
    assert_eq!(parallel, xs.iter().map(|x| x * x).sum::<u64>());
    let (a, b) = rayon::join(|| xs.len(), || xs[xs.len() - 1]);
    assert_eq!((a, b), (10_000, 9_999));
}

/// Our simd128 GEMM and matrix–vector product (`kernels::simd128`, behind `kernels::gemm`)
/// against the definition: odd sizes around the 4×8 micro-tile and the 256-deep blocks, every
/// operand layout our layers use, overwrite and accumulate.
#[wasm_bindgen_test]
fn simd128_products_match_the_definition() {
    use latentlab::kernels::gemm::{matmul, Threads, View};
    let mut rng = latentlab::rng::Rng::new(11);
    let shapes = [
        (1, 1, 1),
        (1, 784, 400),
        (1, 9, 7),
        (3, 5, 2),
        (4, 8, 1),
        (5, 9, 257),
        (7, 17, 3),
        (33, 70, 300),
        (130, 12, 513),
        (64, 1030, 20),
    ];
    for (m, n, k) in shapes {
        let a = rng.normal_vec(m * k);
        let b = rng.normal_vec(k * n);
        for (va, vb) in [
            (View::rows(&a, k), View::rows(&b, n)),
            (View::transposed(&a, m), View::rows(&b, n)),
            (View::rows(&a, k), View::transposed(&b, k)),
            (View::transposed(&a, m), View::transposed(&b, k)),
        ] {
            let want: Vec<f32> = (0..m * n)
                .map(|ij| {
                    let (i, j) = (ij / n, ij % n);
                    (0..k)
                        .map(|p| va.data[i * va.rs + p * va.cs] * vb.data[p * vb.rs + j * vb.cs])
                        .sum()
                })
                .collect();
            let tol = 1e-5 * k as f32;
            let mut got = vec![f32::NAN; m * n];
            matmul((m, n, k), va, vb, &mut got, false, Threads::Pool).unwrap();
            assert_close(&got, &want, tol);
            let mut acc = vec![2.0f32; m * n];
            matmul((m, n, k), va, vb, &mut acc, true, Threads::One).unwrap();
            let plus_two: Vec<f32> = want.iter().map(|w| w + 2.0).collect();
            assert_close(&acc, &plus_two, tol);
        }
    }
}

/// The simd128 vector–matrix product of frozen batch-1 layers (`kernels::gemm::add_scaled_rows`)
/// against the definition: rows not a multiple of 4 wide, nonzero counts around its groups
/// of 8 (a ReLU's zeros, none, all), NaN inputs carried through.
#[wasm_bindgen_test]
fn simd128_scaled_rows_match_the_definition() {
    use latentlab::kernels::gemm::add_scaled_rows;
    let mut rng = latentlab::rng::Rng::new(12);
    for (k, n) in [(1, 1), (3, 5), (8, 4), (9, 7), (17, 33), (400, 784)] {
        let rows = rng.normal_vec(k * n);
        let dense = rng.normal_vec(k);
        let relu: Vec<f32> = dense.iter().map(|v| v.max(0.0)).collect();
        for x in [relu, vec![0.0; k], dense.clone()] {
            let y0 = rng.normal_vec(n);
            let want: Vec<f32> = (0..n)
                .map(|j| y0[j] + (0..k).map(|p| x[p] * rows[p * n + j]).sum::<f32>())
                .collect();
            let mut got = y0.clone();
            add_scaled_rows(&rows, &x, &mut got).unwrap();
            assert_close(&got, &want, 1e-5 * k as f32);
        }
        let mut got = vec![0.0; n];
        let mut nan = dense.clone();
        nan[k - 1] = f32::NAN;
        add_scaled_rows(&rows, &nan, &mut got).unwrap();
        assert!(got.iter().all(|v| v.is_nan()));
        assert!(add_scaled_rows(&rows[1..], &dense, &mut got).is_err());
    }
}

/// The message of a `JsError`, as the page sees it.
fn message(e: JsError) -> String {
    let e: js_sys::Error = JsValue::from(e).dyn_into().unwrap();
    e.message().into()
}

#[wasm_bindgen_test]
fn the_bad_input_corpus_is_refused_and_the_module_keeps_working() {
    for case in hostile::crafted(VAE) {
        let Err(e) = LatentModel::load(&case.bytes) else {
            panic!("{}: loaded", case.name)
        };
        let msg = message(e);
        assert!(msg.contains(case.needle), "{}: {msg}", case.name);
    }
    let mut loaded = 0;
    // Seeded damage: errors or models, never a trap (a trap fails the whole test run).
    for (_, bytes) in hostile::mutated(VAE, 7, 300) {
        if let Ok(m) = LatentModel::load(&bytes) {
            let _ = m.sample(2.0, 0.0, 1.0, None);
            loaded += 1;
        }
    }
    assert!(loaded > 0);
    let (n, seed, temperature, class, want) = golden("tiny-vae-mlp");
    let model = LatentModel::load(VAE).unwrap();
    assert_close(
        &model.sample(n, seed, temperature, class).unwrap(),
        &want,
        1e-4,
    );
}

#[wasm_bindgen_test]
fn absurd_sizes_are_refused_before_allocating() {
    use latentlab::wasm::{images_to_rgba, latent_grid_points, set_memory_limit, toy_points};
    let model = LatentModel::load(VAE).unwrap();
    let over = |r: Result<Vec<f32>, JsError>, what: &str| {
        let msg = message(r.err().unwrap_or_else(|| panic!("{what}: no error")));
        assert!(msg.contains("memory limit"), "{what}: {msg}");
    };
    over(
        model.sample(u32::MAX as f64, 0.0, 1.0, None),
        "sample 2^32-1",
    );
    over(
        model.random_latents(u32::MAX as f64, 0.0, 1.0, None),
        "randomLatents 2^32-1",
    );
    over(
        model.latent_grid((1u64 << 20) as f64, 3.0, None),
        "latentGrid 2^20",
    );
    over(
        latent_grid_points((1u64 << 20) as f64, 3.0),
        "latentGridPoints 2^20",
    );
    over(
        toy_points("ring8".into(), u32::MAX as f64, 0.0),
        "toyPoints 2^32-1",
    );
    over(
        model.interpolate(&[0.0; 2], &[1.0; 2], u32::MAX as f64, "lerp".into(), None),
        "interpolate",
    );
    assert!(images_to_rgba(&[0.5; 4], 1.0, (1u64 << 20) as f64, (1u64 << 20) as f64).is_err());
    assert!(model.decode(&[f32::NAN, 0.0], None).is_err(), "NaN code");
    for bad in [0.0, -1.0, f64::NAN] {
        assert!(set_memory_limit(bad).is_err(), "limit {bad}");
    }
    // A small limit refuses what the default allows, and raising it again restores it.
    set_memory_limit(1e5).unwrap();
    over(
        model.sample(64.0, 0.0, 1.0, None),
        "64 samples under 100 kB",
    );
    let (images, labels) = idx_images(200, 1);
    let msg = message(latentlab::wasm::idx_images("mnist".into(), &images, &labels).unwrap_err());
    assert!(
        msg.contains("memory limit"),
        "200 images under 100 kB: {msg}"
    );
    set_memory_limit((1u64 << 30) as f64).unwrap();
    assert_eq!(model.sample(64.0, 0.0, 1.0, None).unwrap().len(), 64 * 784);
}

#[wasm_bindgen_test]
fn numbers_and_text_from_javascript_are_checked_not_coerced() {
    // wasm-bindgen would wrap, truncate or zero these (-1 → 4294967295, 2.5 → 2, NaN → 0), and
    // read a non-string out of bounds (a RuntimeError).
    let model = LatentModel::load(VAE).unwrap();
    let cgan = LatentModel::load(CGAN).unwrap();
    for (bad, what) in [
        (-1.0, "-1"),
        (2.5, "2.5"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "inf"),
    ] {
        let e = message(model.sample(bad, 0.0, 1.0, None).unwrap_err());
        assert!(e.contains("n must be a whole number"), "n = {what}: {e}");
        let e = message(model.sample(2.0, bad, 1.0, None).unwrap_err());
        assert!(
            e.contains("seed must be a whole number"),
            "seed = {what}: {e}"
        );
        let e = message(cgan.sample(2.0, 0.0, 1.0, Some(bad)).unwrap_err());
        assert!(
            e.contains("class must be a whole number"),
            "class = {what}: {e}"
        );
    }
    let e = message(model.sample(2.0, 4294967296.0, 1.0, None).unwrap_err());
    assert!(e.contains("from 0 to 4294967295"), "{e}");
    let mut t =
        LatentTrainer::new(r#"{"model": {"kind": "vae", "hidden": [8]}}"#.into(), 2.0).unwrap();
    t.set_toy("ring8".into(), Some(200.0), 2.0).unwrap();
    for k in [-1.0, 0.0, f64::NAN, 1e12] {
        let e = message(t.train_steps(k).unwrap_err());
        assert!(
            e.contains("k must be a whole number from 1 to 1000000"),
            "k = {k}: {e}"
        );
    }
    assert_eq!(t.steps(), 0.0, "no step was taken");
    // Text that is no string: an object where JSON text belongs, a number for a name.
    let spec = js_sys::Object::new();
    let e = message(LatentTrainer::new(spec.into(), 0.0).err().unwrap());
    assert!(
        e.contains("JSON.stringify(spec)") && e.contains("got object"),
        "{e}"
    );
    let e = message(t.set_toy(JsValue::from(8), None, 2.0).unwrap_err());
    assert!(e.contains("must be a string, got number"), "{e}");
    // Pixels that are no numbers, and labels a model does not take.
    let nan = [f32::NAN; 784];
    for (r, call) in [
        (model.reconstruct(&nan, None).map(|_| ()), "reconstruct"),
        (model.encode(&nan, None).map(|_| ()), "encode"),
        (
            model.shift_decode(&nan, None, &[1.0, 0.0], 1.0).map(|_| ()),
            "shiftDecode",
        ),
    ] {
        let e = message(r.unwrap_err());
        assert!(e.contains("value 0 is NaN"), "{call}: {e}");
    }
    let e = message(
        model
            .random_latents(3.0, 1.0, 1.0, Some(vec![0, 0, 0]))
            .unwrap_err(),
    );
    assert!(e.contains("takes none"), "{e}");
    let e = message(
        cgan.random_latents(2.0, 1.0, 1.0, Some(vec![0, 99]))
            .unwrap_err(),
    );
    assert!(e.contains("class 99"), "{e}");
    // An ArrayBuffer passed for a Uint8Array arrives as no bytes.
    let e = message(LatentModel::load(&[]).err().unwrap());
    assert!(
        e.contains("new Uint8Array(await response.arrayBuffer())"),
        "{e}"
    );
    // Still working.
    t.train_steps(3.0).unwrap();
    assert_eq!(model.sample(2.0, 0.0, 1.0, None).unwrap().len(), 2 * 784);
}
