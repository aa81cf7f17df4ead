//! Memory budgets: the estimates bound the real parameter counts; absurd configs, batches,
//! sample counts and declared shapes are refused before anything is allocated, naming the
//! bytes and the limit; long requests run in chunks with the same result.

mod common;
#[path = "hostile/mod.rs"]
mod hostile;

use candle::{Device, Tensor};
use latentlab::budget::{self, estimate};
use latentlab::checkpoint;
use latentlab::config::ModelKind;
use latentlab::data::{Dataset, Toy};
use latentlab::presets::presets;
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::{Error, ModelSpec, Network};

fn assert_budget_error<T>(r: latentlab::Result<T>, what: &str) {
    match r {
        Err(e @ Error::Budget { .. }) => {
            let msg = e.to_string();
            let limit = budget::limit().to_string();
            assert!(
                msg.contains(&limit) && msg.contains("memory limit"),
                "{what}: {msg}"
            );
        }
        Err(e) => panic!("{what}: expected a budget error, got {e}"),
        Ok(_) => panic!("{what}: expected a budget error, got a result"),
    }
}

#[test]
fn estimates_bound_every_preset_within_a_factor_of_two() {
    let images = common::mnist_info(true);
    let points = Dataset::toy(Toy::Ring8, 8, &mut Rng::new(0)).unwrap().info;
    let mut specs: Vec<_> = presets()
        .into_iter()
        .map(|p| (p.spec, p.images_only))
        .collect();
    specs.push((ModelSpec::new(ModelKind::Classifier), true));
    let mut checked = 0;
    for (spec, images_only) in specs {
        for data in [&images, &points] {
            if images_only && data.sample_shape.len() != 3 {
                continue;
            }
            let Ok(cfg) = spec.build(data) else { continue };
            let real = Network::new(cfg.clone(), &Device::Cpu, &mut Rng::new(0))
                .unwrap()
                .parameter_count() as f64;
            let est = estimate(&cfg).parameters;
            assert!(
                est >= real && est <= 2.0 * real,
                "{}: {est} vs {real}",
                cfg.summary()
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "{checked}");
}

#[test]
fn absurd_configs_and_batches_are_refused_before_allocating() {
    let data = common::mnist_info(false);
    let mut wide = ModelSpec::new(ModelKind::Vae);
    wide.arch = Some(latentlab::config::Arch::Mlp);
    wide.hidden = Some(vec![1 << 40]);
    assert_budget_error(
        Network::new(wide.build(&data).unwrap(), &Device::Cpu, &mut Rng::new(0)),
        "width 2^40",
    );
    let mut huge_batch = TrainSpec::new(ModelSpec::new(ModelKind::Gan));
    huge_batch.batch_size = Some(1 << 40);
    assert_budget_error(huge_batch.start(&data, &Device::Cpu), "batch 2^40");
    let mut deep_iwae = TrainSpec::new(ModelSpec::new(ModelKind::Vae));
    deep_iwae.iwae_k = Some(1 << 30);
    assert_budget_error(deep_iwae.start(&data, &Device::Cpu), "IWAE k 2^30");
}

#[test]
fn absurd_requests_are_refused_and_the_model_keeps_working() {
    let net = checkpoint::from_bytes(&common::shipped("vae-mnist-2d"), &Device::Cpu)
        .unwrap()
        .network;
    let mut rng = Rng::new(0);
    assert_budget_error(net.sample(usize::MAX / 2, &mut rng, 1.0, None), "sample");
    // Refused for codes and samples together, before the (affordable) codes are drawn.
    match net.sample(100_000_000, &mut rng, 1.0, None) {
        Err(e) => assert!(
            e.to_string()
                .starts_with("samples (100000000 × 784 values)"),
            "{e}"
        ),
        Ok(_) => panic!("10⁸ samples fit"),
    }
    assert_budget_error(net.latent_grid(1 << 31, 3.0, None), "latent grid");
    let (a, b) = ([0.0, 0.0], [1.0, 1.0]);
    let lerp = latentlab::latent::InterpolationMode::Lerp;
    assert_budget_error(net.interpolate(&a, &b, 1 << 40, lerp, None), "interpolate");
    assert_budget_error(
        Dataset::toy(Toy::Spiral, usize::MAX / 4, &mut rng),
        "toy points",
    );
    // Fitting a code prior or clusters: every sample against every component (10 GB here).
    let codes = vec![0.5; 300_000];
    let fit = latentlab::models::code_prior::fit_mixture(&codes, 1, 4096, 0);
    assert_budget_error(fit, "mixture of 4096 on 300 000 codes");
    let kmeans = latentlab::data::clusters::kmeans(&codes, 1, 4096, 0);
    assert_budget_error(kmeans, "k-means of 4096 on 300 000 codes");
    let (x, _) = net.sample(2, &mut rng, 1.0, None).unwrap();
    assert_eq!(x.dims(), &[2, 1, 28, 28]);
}

#[test]
fn long_decodes_run_in_chunks_with_the_same_result() {
    let net = checkpoint::from_bytes(&common::shipped("vae-mnist-2d"), &Device::Cpu)
        .unwrap()
        .network;
    let rows = budget::chunk_rows(net.config());
    let n = 2 * rows + 3;
    let z = Tensor::from_vec(Rng::new(3).normal_vec(n * 2), (n, 2), &Device::Cpu).unwrap();
    let all = net.decode(&z, None).unwrap();
    assert_eq!(all.dim(0).unwrap(), n);
    // No autograd graph behind the result: one would keep every chunk's activations alive.
    assert!(!all.track_op(), "the decoded samples carry a graph");
    let (x, _) = net.sample(3, &mut Rng::new(0), 1.0, None).unwrap();
    assert!(!x.track_op(), "sampled images carry a graph");
    for start in [0, rows - 1, rows, n - 1] {
        let one = net.decode(&z.narrow(0, start, 1).unwrap(), None).unwrap();
        let diff = common::max_abs_diff(&all.narrow(0, start, 1).unwrap(), &one);
        assert!(diff < 1e-5, "row {start} of {n} (chunks of {rows}): {diff}");
    }
}

#[test]
fn a_checkpoint_declaring_a_huge_sample_shape_is_refused_at_load() {
    let bytes = common::shipped("vae-mnist-2d");
    let huge =
        |v: &mut serde_json::Value| v["sample_shape"] = serde_json::json!([1, 100000, 100000]);
    let lying = hostile::rewrite_metadata(&bytes, "latentlab.model", huge);
    let lying = hostile::rewrite_metadata(&lying, "latentlab.data", huge);
    assert_budget_error(checkpoint::from_bytes(&lying, &Device::Cpu), "100000²");
    assert_budget_error(checkpoint::read_metadata(&lying), "100000² metadata");
}
