//! The doubly reparameterized gradient of the IWAE bound (Tucker et al. 2019): zero for the
//! encoder where its posterior is exact, the plain estimator's expectation elsewhere (tempered
//! weights included), with less variance, the decoder's gradient unchanged; training with it,
//! switching a resumed run to it, and the configurations it is refused in.

mod common;

use candle::backprop::GradStore;
use candle::{Device, Tensor, Var};
use latentlab::config::{ModelConfig, TrainConfig};
use latentlab::data::{Dataset, Split};
use latentlab::models::iwae::{doubly_reparameterized, iwae_bound, log_weights};
use latentlab::models::{Network, Vae};
use latentlab::rng::Rng;
use latentlab::train::Session;

const K: usize = 5;

/// The first `n` MNIST training images as binary pixels `[n, 1, 28, 28]`.
fn binary_images(n: usize) -> Tensor {
    let data = common::mnist(Split::Train, n);
    let x: Vec<f32> = data.x.iter().map(|&p| f32::from(p > 0.5)).collect();
    Tensor::from_vec(x, (n, 1, 28, 28), &Device::Cpu).unwrap()
}

/// The loss's gradients by plain backpropagation through the IWAE bound.
fn plain(vae: &Vae, x: &Tensor, kl_weight: f64, rng: &mut Rng) -> GradStore {
    let log_w = log_weights(vae, x, None, K, kl_weight, rng).unwrap();
    iwae_bound(&log_w)
        .unwrap()
        .mean_all()
        .unwrap()
        .neg()
        .unwrap()
        .backward()
        .unwrap()
}

fn dreg(vae: &Vae, x: &Tensor, kl_weight: f64, rng: &mut Rng) -> GradStore {
    doubly_reparameterized(vae, x, None, K, kl_weight, rng)
        .unwrap()
        .1
}

fn flat(grads: &GradStore, var: &Var) -> Vec<f64> {
    let g = grads
        .get(var.as_tensor())
        .expect("every weight gets a gradient");
    let v: Vec<f32> = g.flatten_all().unwrap().to_vec1().unwrap();
    v.into_iter().map(f64::from).collect()
}

fn var(net: &Network, name: &str) -> Var {
    let vars = net.vars_with_prefix(&[name]);
    vars.into_iter().find(|(n, _)| n == name).unwrap().1
}

/// With q(z|x) = p(z) and a decoder that ignores z, q is the exact posterior: every weight
/// log wᵢ is log p(x), and DReG's encoder gradient is 0 draw by draw where the plain
/// estimator's is only 0 on average.
#[test]
fn the_encoder_gradient_is_zero_where_the_posterior_is_exact() {
    let net = Network::new(common::tiny_vae(4, None), &Device::Cpu, &mut Rng::new(0)).unwrap();
    for (name, var) in net.vars_with_prefix(&[""]) {
        if name.starts_with("encoder.mu.")
            || name.starts_with("encoder.logvar.")
            || name == "decoder.fc1.weight"
        {
            var.set(&var.as_tensor().zeros_like().unwrap()).unwrap();
        }
    }
    let vae = net.model().vae().unwrap();
    let x = binary_images(8);
    let (plain, dreg) = (
        plain(vae, &x, 1.0, &mut Rng::new(3)),
        dreg(vae, &x, 1.0, &mut Rng::new(3)),
    );
    let largest = |g: &[f64]| g.iter().fold(0f64, |m, v| m.max(v.abs()));
    for name in ["encoder.logvar.bias", "encoder.mu.bias"] {
        let v = var(&net, name);
        assert!(
            largest(&flat(&dreg, &v)) < 1e-5,
            "{name}: {:?}",
            flat(&dreg, &v)
        );
        assert!(
            largest(&flat(&plain, &v)) > 1e-2,
            "{name}: {:?}",
            flat(&plain, &v)
        );
    }
}

/// A fresh run of the tiny VAE on `data` with `train`.
fn tiny_vae_run(train: TrainConfig, data: &Dataset) -> Session {
    Session::new(
        common::tiny_vae(4, None),
        train,
        data.info.clone(),
        &Device::Cpu,
    )
    .unwrap()
}

/// A tiny VAE trained 60 steps, so that q is not the posterior.
fn trained_vae() -> Session {
    let data = common::mnist(Split::Train, 512);
    let train = TrainConfig {
        batch_size: 64,
        ..TrainConfig::default()
    };
    let mut s = tiny_vae_run(train, &data);
    s.train_steps(&data, 60).unwrap();
    s
}

/// On the same draws, every decoder weight gets plain backpropagation's gradient (up to the
/// rounding of log q computed from z instead of from ε), tempered or not.
#[test]
fn the_decoder_gradient_is_plain_backpropagation() {
    let s = trained_vae();
    let net = s.network();
    let vae = net.model().vae().unwrap();
    let x = binary_images(8);
    for kl_weight in [1.0, 0.3] {
        let plain = plain(vae, &x, kl_weight, &mut Rng::new(5));
        let dreg = dreg(vae, &x, kl_weight, &mut Rng::new(5));
        let decoder = net.vars_with_prefix(&["decoder."]);
        assert!(decoder.len() >= 4, "{decoder:?}");
        for (name, v) in decoder {
            let (p, d) = (flat(&plain, &v), flat(&dreg, &v));
            let scale = p.iter().fold(0f64, |m, g| m.max(g.abs()));
            assert!(scale > 1e-3, "{name}: a gradient to compare");
            for (p, d) in p.iter().zip(&d) {
                assert!(
                    (p - d).abs() <= 1e-4 * scale,
                    "β {kl_weight}, {name}: {p} vs {d}"
                );
            }
        }
    }
}

/// Mean and standard error of each coordinate over draws.
fn mean_and_se(draws: &[Vec<f64>]) -> Vec<(f64, f64)> {
    let n = draws.len() as f64;
    (0..draws[0].len())
        .map(|j| {
            let mean = draws.iter().map(|d| d[j]).sum::<f64>() / n;
            let var = draws.iter().map(|d| (d[j] - mean).powi(2)).sum::<f64>() / (n - 1.0);
            (mean, (var / n).sqrt())
        })
        .collect()
}

/// On a trained model (q is not the posterior) DReG's encoder gradient has the plain
/// estimator's expectation, at β = 1 and with the weights tempered by a warm-up's β = 0.4,
/// and at β = 1 a smaller spread (0.63–0.83 of the plain standard error here). The
/// comparison has power: the path gradient alone (factor w̃ᵢ, "sticking the landing") misses
/// by 9 standard errors at β = 1, and w̃ᵢ² without the tempering's correction by 14 at 0.4.
#[test]
fn the_encoder_gradient_keeps_its_expectation_and_loses_variance() {
    let s = trained_vae();
    let net = s.network();
    let vae = net.model().vae().unwrap();
    let x = binary_images(2);
    let weights = [var(net, "encoder.mu.bias"), var(net, "encoder.logvar.bias")];
    let draws = 4000;
    for kl_weight in [1.0, 0.4] {
        let sample = |estimator: fn(&Vae, &Tensor, f64, &mut Rng) -> GradStore, seed| {
            let mut rng = Rng::new(seed);
            (0..draws)
                .map(|_| {
                    let g = estimator(vae, &x, kl_weight, &mut rng);
                    weights.iter().flat_map(|v| flat(&g, v)).collect()
                })
                .collect::<Vec<Vec<f64>>>()
        };
        let (p, d) = (
            mean_and_se(&sample(plain, 1)),
            mean_and_se(&sample(dreg, 2)),
        );
        let mut narrower = 0;
        for (j, ((pm, pse), (dm, dse))) in p.iter().zip(&d).enumerate() {
            let z = (pm - dm) / (pse * pse + dse * dse).sqrt();
            assert!(
                z.abs() < 4.0,
                "β {kl_weight}, coordinate {j}: {pm} ± {pse} vs {dm} ± {dse}"
            );
            narrower += usize::from(dse < pse);
        }
        // Tempered, the two estimators' spreads are alike (0.82–1.01 here).
        if kl_weight == 1.0 {
            assert_eq!(narrower, p.len(), "DReG narrower on {narrower} coordinates");
        }
    }
}

/// A run with `dreg` trains on the bound it reports, through a KL warm-up and after it.
#[test]
fn a_dreg_run_trains_on_the_iwae_bound() {
    let data = common::mnist(Split::Train, 1024);
    let train = TrainConfig {
        batch_size: 32,
        iwae_k: 5,
        dreg: true,
        kl_warmup: 10,
        dynamic_binarization: true,
        ..TrainConfig::default()
    };
    let mut s = tiny_vae_run(train, &data);
    let first = s.train_steps(&data, 1).unwrap();
    assert_eq!(first.get("kl_weight"), Some(0.1), "{}", first.line());
    s.train_steps(&data, 150).unwrap();
    let last = s.train_steps(&data, 1).unwrap();
    let (loss, bound) = (last.get("loss").unwrap(), last.get("iwae_bound").unwrap());
    assert!((loss + bound).abs() < 1e-3, "{}", last.line());
    assert!(
        loss < first.get("loss").unwrap() - 100.0,
        "{} then {}",
        first.line(),
        last.line()
    );
}

/// `dreg` is a gradient of the IWAE bound of a VAE whose weights are each their own code's.
#[test]
fn dreg_is_refused_where_it_is_no_iwae_gradient() {
    let with = |model: ModelConfig, iwae_k| {
        let train = TrainConfig {
            iwae_k,
            dreg: true,
            ..TrainConfig::default()
        };
        train.validate(&model).map_err(|e| e.to_string())
    };
    assert!(with(common::tiny_vae(4, None), 2).is_ok());
    let elbo = with(common::tiny_vae(4, None), 1).unwrap_err();
    assert!(elbo.contains("iwae_k ≥ 2"), "{elbo}");
    let autoencoder = with(common::tiny_autoencoder(4), 5).unwrap_err();
    assert!(autoencoder.contains("needs a VAE"), "{autoencoder}");
    let mut normalized = common::tiny_vae(4, None);
    if let ModelConfig::Vae(v) = &mut normalized {
        v.backbone.batch_norm = true;
    }
    let batch_norm = with(normalized, 5).unwrap_err();
    assert!(batch_norm.contains("BatchNorm"), "{batch_norm}");
}

/// `latentlab info FILE --json`'s training config of the run `path` holds.
fn run_config(path: &str) -> serde_json::Value {
    let info: serde_json::Value =
        serde_json::from_str(&common::ok(&["info", path, "--json"])).unwrap();
    info["train"]["config"].clone()
}

/// `latentlab train --resume RUN --dreg` goes on with DReG where the run was plain (the
/// estimator is no part of the model, the bound or the optimizer's state), the run keeps it
/// when resumed again without the flag, and a run it is no gradient of refuses it.
#[test]
fn a_plain_run_resumed_with_dreg_goes_on_with_dreg() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (plain, elbo) = (path("plain.safetensors"), path("elbo.safetensors"));
    let run = |iwae_k: &str, out: &str| {
        let flags = format!(
            "train --model vae --dataset mnist --train-size 256 --arch mlp --hidden 16 \
             --latent-dim 4 --binarize --iwae-k {iwae_k} --batch-size 32 --steps 4 --seed 1"
        );
        let mut args: Vec<&str> = flags.split_whitespace().collect();
        args.extend(["--out", out]);
        common::ok(&args);
    };
    run("3", &plain);
    run("1", &elbo);
    assert_eq!(run_config(&plain).get("dreg"), None, "a plain run");

    let (switched, plainly) = (path("switched.safetensors"), path("plainly.safetensors"));
    common::ok(&[
        "train", "--resume", &plain, "--dreg", "--steps", "4", "--out", &switched,
    ]);
    common::ok(&[
        "train", "--resume", &plain, "--steps", "4", "--out", &plainly,
    ]);
    assert_eq!(run_config(&switched)["dreg"], true);
    let encoder = |p: &str| {
        let ck = latentlab::checkpoint::load_file(std::path::Path::new(p), &Device::Cpu).unwrap();
        var(&ck.network, "encoder.mu.weight").as_tensor().clone()
    };
    assert!(
        common::max_abs_diff(&encoder(&switched), &encoder(&plainly)) > 0.0,
        "the encoder trained as without --dreg"
    );

    // Resumed again without the flag the run keeps DReG: the flag's absence changes nothing.
    common::ok(&[
        "train", "--resume", &switched, "--steps", "1", "--out", &switched,
    ]);
    assert_eq!(run_config(&switched)["dreg"], true);

    let saved = std::fs::read(&elbo).unwrap();
    let out = common::latentlab(&[
        "train", "--resume", &elbo, "--dreg", "--steps", "1", "--out", &elbo,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("iwae_k ≥ 2"), "{err}");
    assert_eq!(
        std::fs::read(&elbo).unwrap(),
        saved,
        "the checkpoint changed"
    );
}
