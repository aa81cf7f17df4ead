//! The bad-input corpus, natively: crafted lies in checkpoints are refused with their reason,
//! seeded truncations and bit flips never panic (and what still loads still samples or
//! errors), and absurd arguments to every library entry point are errors, after which the
//! model keeps working. `tests/wasm.rs` runs the same corpus in the wasm build.

mod common;
#[path = "hostile/mod.rs"]
mod hostile;

use candle::{Device, Tensor};
use latentlab::checkpoint;
use latentlab::data::{idx, Dataset, Toy};
use latentlab::latent::InterpolationMode;
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::{ModelConfig, Network};

const VAE: &[u8] = include_bytes!("fixtures/tiny-vae-mlp.safetensors");
const CGAN: &[u8] = include_bytes!("fixtures/tiny-cgan-conv.safetensors");

fn load(bytes: &[u8]) -> latentlab::Result<Network> {
    checkpoint::from_bytes(bytes, &Device::Cpu).map(|c| c.network)
}

fn assert_err<T>(r: latentlab::Result<T>, what: &str, needle: &str) {
    match r {
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty() && msg.contains(needle), "{what}: {msg}");
        }
        Ok(_) => panic!("{what}: expected an error"),
    }
}

#[test]
fn crafted_lies_are_refused_with_their_reason() {
    for case in hostile::crafted(VAE) {
        assert_err(load(&case.bytes), case.name, case.needle);
    }
    load(VAE).unwrap();
}

#[test]
fn truncated_and_bit_flipped_checkpoints_never_panic() {
    let (mut refused, mut loaded) = (0, 0);
    for (valid, seed) in [(VAE, 1), (CGAN, 2)] {
        for (what, bytes) in hostile::mutated(valid, seed, 1500) {
            match load(&bytes) {
                Err(e) => {
                    assert!(!e.to_string().is_empty(), "{what}");
                    refused += 1;
                }
                Ok(net) => {
                    // Whatever loads samples or says why not.
                    let class = net.config().num_classes().map(|_| 0);
                    let _ = net.sample(2, &mut Rng::new(0), 1.0, class);
                    loaded += 1;
                }
            }
        }
    }
    // Both outcomes occur: the corpus reaches past the parser.
    assert!(
        refused > 100 && loaded > 100,
        "{refused} refused, {loaded} loaded"
    );
}

#[test]
fn absurd_arguments_are_errors_and_the_model_keeps_working() {
    let net = load(VAE).unwrap();
    let cgan = load(CGAN).unwrap();
    let mut rng = Rng::new(0);
    let l = cgan.config().latent_dim().unwrap();
    let z = |n: usize| Tensor::zeros((n, l), candle::DType::F32, &Device::Cpu).unwrap();
    let lerp = InterpolationMode::Lerp;
    assert_err(net.sample(0, &mut rng, 1.0, None), "n = 0", "n must be");
    for t in [f32::NAN, -1.0, f32::INFINITY] {
        assert_err(
            net.sample(1, &mut rng, t, None),
            "temperature",
            "temperature",
        );
    }
    assert_err(
        net.decode(
            &Tensor::zeros((2, 3), candle::DType::F32, &Device::Cpu).unwrap(),
            None,
        ),
        "3-D codes",
        "latent codes",
    );
    assert_err(
        net.interpolate(&[0.0], &[0.0, 1.0], 5, lerp, None),
        "short endpoint",
        "endpoints",
    );
    assert_err(
        net.interpolate(&[0.0, 0.0], &[f32::NAN, 1.0], 5, lerp, None),
        "NaN endpoint",
        "",
    );
    assert_err(
        net.interpolate(&[0.0, 0.0], &[1.0, 1.0], 0, lerp, None),
        "0 steps",
        "",
    );
    // A class asked of a model without classes is refused, not ignored.
    assert_err(
        net.sample(2, &mut rng, 1.0, Some(3)),
        "class of a VAE",
        "class 3 asked of a vae without classes",
    );
    assert_err(
        net.interpolate(&[0.0, 0.0], &[1.0, 1.0], 5, lerp, Some(3)),
        "class of a VAE path",
        "without classes",
    );
    assert_err(net.latent_grid(0, 3.0, None), "side 0", "side");
    assert_err(net.latent_grid(8, f32::NAN, None), "NaN extent", "extent");
    assert_err(net.latent_grid(8, -1.0, None), "negative extent", "extent");
    assert_err(net.batch_from_slice(&[]), "empty images", "multiple of");
    assert_err(
        net.batch_from_slice(&[0.5; 785]),
        "785 values",
        "multiple of",
    );
    assert_err(
        net.discriminate(&net.batch_from_slice(&[0.5; 784]).unwrap(), None),
        "VAE discriminate",
        "discriminator",
    );
    // A conditional model: missing labels, too few, out of range.
    assert_err(cgan.decode(&z(2), None), "no labels", "label");
    assert_err(
        cgan.decode(&z(2), Some(&[0])),
        "one label for two",
        "labels for a batch",
    );
    assert_err(
        cgan.decode(&z(1), Some(&[10])),
        "label 10",
        "class 10 asked of a model with 10 classes, numbered from 0",
    );
    assert_err(
        cgan.sample(1, &mut rng, 1.0, Some(99)),
        "class 99",
        "numbered from 0",
    );
    // Images, data and specs.
    let rgba = latentlab::image::images_to_rgba;
    assert_err(rgba(&[], &[1, 28, 28]), "no pixels", "");
    assert_err(rgba(&[0.5; 4], &[2, 1, 2]), "2 channels", "images must be");
    assert_err(
        rgba(&[0.5; 4], &[1, usize::MAX, 2]),
        "overflowing shape",
        "cannot hold",
    );
    assert_err(rgba(&[0.5; 4], &[1, 0, 2]), "empty shape", "");
    assert_err(idx::parse(&[], "images"), "empty IDX", "");
    assert_err(
        idx::parse(
            &[0, 0, 8, 3, 255, 255, 255, 255, 0, 0, 0, 28, 0, 0, 0, 28],
            "images",
        ),
        "IDX declaring 2^32 images",
        "",
    );
    // A file of another image size under a known dataset's name, before any model sees it.
    let labels = idx::write(&[2], &[1, 2]);
    assert_err(
        Dataset::from_idx(
            "mnist",
            &idx::write(&[2, 28, 27], &[0; 2 * 28 * 27]),
            &labels,
        ),
        "MNIST of 28×27",
        "mnist images: 28×27 pixels where mnist's are 28×28",
    );
    let other = Dataset::from_idx(
        "letters",
        &idx::write(&[2, 28, 27], &[0; 2 * 28 * 27]),
        &labels,
    );
    assert_eq!(
        other.unwrap().info.sample_shape,
        [1, 28, 27],
        "a set of its own keeps its size"
    );
    assert_err(
        Dataset::from_points("p", vec![0.0; 3]),
        "odd point count",
        "",
    );
    assert_err(
        Dataset::from_points("p", vec![f32::NAN; 4]),
        "NaN points",
        "",
    );
    assert_err(
        Dataset::from_points("p", vec![0.0; 4]).unwrap().first(3),
        "3 of 2 points",
        "3 samples asked of p, which has 2: ask for 1 to 2",
    );
    assert_err(
        Dataset::from_points("p", vec![0.0; 4]).unwrap().first(0),
        "none of 2 points",
        "0 samples asked of p",
    );
    assert_err("ring9".parse::<Toy>(), "unknown toy", "");
    for spec in [
        "",
        "{",
        "{\"model\":{\"kind\":\"vae\"},\"batch_size\":-1}",
        "{\"model\":{\"kind\":\"unicorn\"}}",
    ] {
        let r: Result<TrainSpec, _> = serde_json::from_str(spec);
        assert!(r.is_err(), "{spec}");
    }
    // A misspelt key is named, not dropped for the default.
    for (spec, key) in [
        (
            "{\"model\":{\"kind\":\"vae\",\"latentDim\":2}}",
            "latentDim",
        ),
        (
            "{\"model\":{\"kind\":\"vae\"},\"batchSize\":64}",
            "batchSize",
        ),
    ] {
        let err = serde_json::from_str::<TrainSpec>(spec)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("unknown field `{key}`")), "{err}");
    }
    let r: Result<ModelConfig, _> =
        serde_json::from_str("{\"kind\":\"vae\",\"sample_shape\":[1e999]}");
    assert!(r.is_err());
    // Still working.
    let (x, _) = net.sample(3, &mut rng, 1.0, None).unwrap();
    assert_eq!(x.dims(), &[3, 1, 28, 28]);
}

/// A dataset whose public fields were filled inconsistently by hand (fewer labels than
/// samples) gives an error for a batch that reaches past its labels, not a panic.
#[test]
fn a_dataset_with_missing_labels_is_an_error_not_a_panic() {
    let mut data = Dataset::toy_for_run(Toy::Ring8, Some(10), 1).unwrap();
    data.labels = Some(vec![0; 5]); // 10 points, 5 labels
    let mut rng = Rng::new(0);
    let batch = data.batch(&[1, 4], false, &mut rng, &Device::Cpu).unwrap();
    assert_eq!(batch.labels.map(|l| l.len()), Some(2));
    assert_err(
        data.batch(&[1, 7], false, &mut rng, &Device::Cpu),
        "label 7 of 5",
        "sample 7 has no label (5 labels)",
    );
    assert_eq!(data.first(8).unwrap().labels.map(|l| l.len()), Some(5));
}
