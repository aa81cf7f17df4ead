//! Native CPU benchmarks (`cargo bench`): one MLP-VAE epoch on MNIST (784-400-20, batch 128,
//! Adam), and per-iteration medians of benches/README.md's A–E on this machine's CPU, so they
//! sit beside the browser numbers. Prints a markdown table; each row is the median of 7 runs
//! (3 for the epoch) after a warm-up.

mod common;

use std::time::Instant;

use candle::{Device, Tensor};

use latentlab::data::{Dataset, Split};
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::train::Session;

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// Median, min, max milliseconds per call of `f` over `runs` timed runs of `n` calls.
fn time(runs: usize, n: usize, mut f: impl FnMut()) -> (f64, f64, f64) {
    for _ in 0..n.max(3) {
        f();
    }
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..n {
                    f();
                }
                t.elapsed().as_secs_f64() * 1e3 / n as f64
            })
            .collect(),
    )
}

fn spec(json: &str) -> TrainSpec {
    serde_json::from_str(json).unwrap()
}

/// A session on one fixed batch of uniform noise, as benches/README.md's protocol asks.
fn session(spec: &TrainSpec, batch: usize) -> (Session, Dataset) {
    let data = common::noise_images(batch).unwrap();
    (common::session(spec, &data).unwrap(), data)
}

fn row(name: &str, (med, lo, hi): (f64, f64, f64)) {
    println!("| {name} | {med:.2} | {lo:.2}–{hi:.2} |");
}

fn main() {
    latentlab::prepare_native_process();
    println!("| benchmark | median ms | min–max ms |\n|---|---|---|");

    let mnist = Dataset::load("mnist", Split::Train, std::path::Path::new("data"))
        .expect("MNIST (run pkg-scripts/fetch-data)");
    let a = spec(
        r#"{"model": {"kind": "vae", "arch": "mlp", "hidden": [400], "latent_dim": 20}, "batch_size": 128}"#,
    );
    let epoch: Vec<f64> = (0..3)
        .map(|_| {
            let cfg = a.model.build(&mnist.info).unwrap();
            let mut s =
                Session::new(cfg, a.train_config(), mnist.info.clone(), &Device::Cpu).unwrap();
            let steps = mnist.len() / 128;
            let t = Instant::now();
            s.train_steps(&mnist, steps).unwrap();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    row(
        "MLP-VAE epoch on MNIST (60000 images, 468 steps of 128)",
        median(epoch),
    );

    let (mut sa, da) = session(&a, 128);
    row(
        "A. MLP VAE train step, batch 128",
        time(7, 40, || drop(sa.train_steps(&da, 1).unwrap())),
    );
    let b = spec(
        r#"{"model": {"kind": "vae", "arch": "conv", "hidden": [32, 64], "latent_dim": 16}, "batch_size": 64}"#,
    );
    let (mut sb, db) = session(&b, 64);
    row(
        "B. conv VAE train step, batch 64",
        time(7, 4, || drop(sb.train_steps(&db, 1).unwrap())),
    );
    let c = spec(
        r#"{"model": {"kind": "gan", "arch": "conv", "hidden": [64, 128], "latent_dim": 100}, "batch_size": 64, "lr": 2e-4, "beta1": 0.5}"#,
    );
    let (mut sc, dc) = session(&c, 64);
    row(
        "C. DCGAN train step, batch 64",
        time(7, 2, || drop(sc.train_steps(&dc, 1).unwrap())),
    );
    let net_b = sb.network();
    let mut seed = 0;
    row(
        "D. sample 64 from B's decoder",
        time(7, 20, || {
            seed += 1;
            let (x, _) = net_b.sample(64, &mut Rng::new(seed), 1.0, None).unwrap();
            drop(x.flatten_all().unwrap().to_vec1::<f32>().unwrap());
        }),
    );
    let net_a = sa.network();
    let (z0, z1) = (Rng::new(1).normal_vec(20), Rng::new(2).normal_vec(20));
    let mut frame = 0;
    row(
        "E. one interpolation frame (20→400→784)",
        time(7, 600, || {
            let t = (frame % 60) as f32 / 59.0;
            frame += 1;
            let z = Tensor::from_vec(latentlab::latent::lerp(&z0, &z1, t), (1, 20), &Device::Cpu)
                .unwrap();
            drop(
                net_a
                    .decode(&z, None)
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap(),
            );
        }),
    );
}
