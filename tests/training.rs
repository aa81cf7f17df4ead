//! Training on real MNIST: every kind steps, the VAE learns, runs are reproducible by seed,
//! a resumed run continues exactly (divergence: `tests/divergence.rs`).

mod common;

use candle::{Device, Tensor};
use latentlab::checkpoint::{self, SaveOptions};
use latentlab::config::{AdamConfig, Arch, ModelKind, TrainConfig};
use latentlab::data::{Dataset, Split, Toy};
use latentlab::metrics::Metrics;
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::train::Session;
use latentlab::ModelSpec;

fn train_config(batch_size: usize, seed: u64) -> TrainConfig {
    TrainConfig {
        batch_size,
        seed,
        ..TrainConfig::default()
    }
}

fn session(cfg: latentlab::ModelConfig, train: TrainConfig, data: &Dataset) -> Session {
    Session::new(cfg, train, data.info.clone(), &Device::Cpu).unwrap()
}

fn losses(s: &mut Session, data: &Dataset, steps: usize) -> Vec<f32> {
    (0..steps)
        .map(|_| s.train_steps(data, 1).unwrap().get("loss").unwrap())
        .collect()
}

fn mean(v: &[f32]) -> f32 {
    v.iter().sum::<f32>() / v.len() as f32
}

#[test]
fn vae_on_mnist_lowers_its_loss() {
    let data = common::mnist(Split::Train, 4096);
    let mut s = session(common::tiny_vae(8, None), train_config(64, 0), &data);
    let l = losses(&mut s, &data, 300);
    let (first, last) = (mean(&l[..20]), mean(&l[280..]));
    // A fresh VAE starts near 784·ln 2 ≈ 543 nats; 300 steps take it well below 200.
    assert!(first > 400.0, "first {first}");
    assert!(last < 200.0, "first {first}, last {last}");
    assert_eq!(s.steps(), 300);
    assert!((s.epochs() - 300.0 * 64.0 / 4096.0).abs() < 1e-9);
}

#[test]
fn every_kind_trains_a_few_steps_with_finite_metrics() {
    let data = common::mnist(Split::Train, 512);
    let mnist_kinds = [
        (ModelKind::Autoencoder, Arch::Mlp, false),
        (ModelKind::Vae, Arch::Conv, true),
        (ModelKind::Gan, Arch::Mlp, false),
        (ModelKind::Gan, Arch::Conv, true),
        (ModelKind::VaeGan, Arch::Conv, false),
        (ModelKind::Classifier, Arch::Conv, false),
    ];
    for (kind, arch, conditional) in mnist_kinds {
        let spec = ModelSpec {
            arch: Some(arch),
            hidden: Some(if arch == Arch::Conv {
                vec![8, 16]
            } else {
                vec![64]
            }),
            latent_dim: Some(8),
            conditional,
            ..ModelSpec::new(kind)
        };
        let mut s = session(spec.build(&data.info).unwrap(), train_config(32, 1), &data);
        let m = s.train_steps(&data, 5).unwrap();
        assert!(m.first_non_finite().is_none(), "{kind}: {}", m.line());
        let expected: &[&str] = match kind {
            ModelKind::Autoencoder => &["loss"],
            ModelKind::Vae => &["loss", "recon", "kl", "elbo"],
            ModelKind::Gan => &["d_loss", "g_loss", "d_real", "d_fake"],
            ModelKind::VaeGan => &["loss", "kl", "feature_recon", "g_loss", "d_loss", "d_real"],
            ModelKind::Classifier => &["loss", "accuracy"],
        };
        let names: Vec<&str> = m.0.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, expected, "{kind}");
    }
}

#[test]
fn mlp_gan_on_mnist_stays_finite_for_200_steps() {
    let data = common::mnist(Split::Train, 2048);
    let spec = ModelSpec {
        arch: Some(Arch::Mlp),
        hidden: Some(vec![128]),
        ..ModelSpec::new(ModelKind::Gan)
    };
    let train = TrainConfig {
        optimizer: AdamConfig::dcgan(),
        ..train_config(64, 3)
    };
    let mut s = session(spec.build(&data.info).unwrap(), train, &data);
    let m = s.train_steps(&data, 200).unwrap();
    assert!(m.first_non_finite().is_none(), "{}", m.line());
    // Neither network has won: D(x) and D(G(z)) are not pinned at 0 or 1.
    eprintln!("{}", m.line());
    for name in ["d_real", "d_fake"] {
        let d = m.get(name).unwrap();
        assert!(d > 0.01 && d < 0.99, "{}", m.line());
    }
}

#[test]
fn iwae_training_reports_the_bound() {
    let data = common::mnist(Split::Train, 256);
    let train = TrainConfig {
        iwae_k: 5,
        dynamic_binarization: true,
        ..train_config(32, 0)
    };
    let mut s = session(common::tiny_vae(4, None), train, &data);
    let m = s.train_steps(&data, 3).unwrap();
    assert!((m.get("loss").unwrap() + m.get("iwae_bound").unwrap()).abs() < 1e-3);
}

#[test]
fn kl_warm_up_raises_the_kl_weight_linearly_to_beta_and_resumes_where_it_stopped() {
    let data = common::mnist(Split::Train, 256);
    let train = TrainConfig {
        kl_warmup: 4,
        ..train_config(32, 0)
    };
    let mut s = session(common::tiny_vae(4, None), train, &data);
    let step = |s: &mut Session, t: u64| {
        let m = s.train_steps(&data, 1).unwrap();
        let w = m.get("kl_weight").unwrap();
        assert_eq!(w, t.min(4) as f32 / 4.0, "step {t}");
        let (loss, recon, kl) = (
            m.get("loss").unwrap(),
            m.get("recon").unwrap(),
            m.get("kl").unwrap(),
        );
        assert!(
            (loss - (recon + w * kl)).abs() <= 1e-4 * loss.abs(),
            "step {t}: {}",
            m.line()
        );
    };
    for t in 1..=2 {
        step(&mut s, t);
    }
    // The weight comes from the optimizer's step count, which a checkpoint keeps.
    let info = s.train_info("cpu", "t".into(), 0.0);
    let bytes = s.to_bytes(&info, SaveOptions::default()).unwrap();
    let mut s =
        Session::from_checkpoint(checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap()).unwrap();
    for t in 3..=6 {
        step(&mut s, t);
    }
}

#[test]
fn kl_warm_up_is_refused_where_no_kl_term_is_trained() {
    let data = common::mnist(Split::Train, 64);
    let gan = ModelSpec::new(ModelKind::Gan).build(&data.info).unwrap();
    let warm = TrainConfig {
        kl_warmup: 10,
        ..train_config(32, 0)
    };
    let err = warm.validate(&gan).unwrap_err().to_string();
    assert!(err.contains("KL warm-up") && err.contains("gan"), "{err}");
    assert!(warm.validate(&common::tiny_vae(4, None)).is_ok());
}

#[test]
fn the_kl_weight_scales_each_importance_weights_prior_and_posterior_terms() {
    use latentlab::models::iwae::log_weights;
    let data = common::mnist(Split::Train, 8);
    let net = session(common::tiny_vae(4, None), train_config(8, 0), &data);
    let vae = net.network().model().vae().unwrap();
    let x = data
        .batch(
            &(0..8).collect::<Vec<_>>(),
            false,
            &mut Rng::new(0),
            &Device::Cpu,
        )
        .unwrap()
        .x;
    // The same draws at each weight: log p(x|z) + w·(log p(z) − log q(z|x)) is linear in w.
    let lw = |w: f64| -> Vec<Vec<f32>> {
        log_weights(vae, &x, None, 3, w, &mut Rng::new(7))
            .unwrap()
            .to_vec2()
            .unwrap()
    };
    let (at0, at1, at_half, at2) = (lw(0.0), lw(1.0), lw(0.5), lw(2.0));
    for i in 0..3 {
        for j in 0..8 {
            let (a, b) = (at0[i][j], at1[i][j]);
            assert!(
                a < 0.0,
                "w = 0 leaves log p(x|z), below 0 for pixels in [0, 1]: {a}"
            );
            assert!((at_half[i][j] - (a + b) / 2.0).abs() < 1e-3, "{i},{j}");
            assert!((at2[i][j] - (2.0 * b - a)).abs() < 1e-3, "{i},{j}");
            assert!((a - b).abs() > 1e-3, "the prior/posterior term is not 0");
        }
    }
}

#[test]
fn iwae_training_warms_up_and_reports_the_bound_only_at_weight_one() {
    let data = common::mnist(Split::Train, 256);
    let train = TrainConfig {
        iwae_k: 5,
        kl_warmup: 2,
        ..train_config(32, 0)
    };
    let mut s = session(common::tiny_vae(4, None), train.clone(), &data);
    let m = s.train_steps(&data, 1).unwrap();
    assert_eq!(m.get("kl_weight"), Some(0.5));
    assert!(m.get("iwae_bound").is_none(), "{}", m.line());
    let m = s.train_steps(&data, 1).unwrap();
    assert_eq!(m.get("kl_weight"), Some(1.0));
    assert!((m.get("loss").unwrap() + m.get("iwae_bound").unwrap()).abs() < 1e-3);
    // β weighs the same terms: a β-VAE on the IWAE bound trains another objective.
    let loss_at = |beta: f64| {
        let mut cfg = common::tiny_vae(4, None);
        if let latentlab::ModelConfig::Vae(v) = &mut cfg {
            v.beta = beta;
        }
        let train = TrainConfig {
            kl_warmup: 0,
            ..train.clone()
        };
        let m = session(cfg, train, &data).train_steps(&data, 1).unwrap();
        m.get("loss").unwrap()
    };
    let (one, four) = (loss_at(1.0), loss_at(4.0));
    assert!((four - one).abs() > 0.1, "β = 4: {four}, β = 1: {one}");
}

#[test]
fn choices_a_kind_does_not_use_are_refused_when_a_run_starts() {
    let mnist = common::mnist_info(true);
    let ring = Dataset::toy(Toy::Ring8, 200, &mut Rng::new(0))
        .unwrap()
        .info;
    let spec = |model: ModelSpec| TrainSpec::new(model);
    let vae = || ModelSpec::new(ModelKind::Vae);
    let gan = || ModelSpec::new(ModelKind::Gan);
    let cases = [
        (
            spec(ModelSpec {
                gamma: Some(5.0),
                pack: Some(2),
                ..vae()
            }),
            &mnist,
            "a vae does not use --gamma 5.0, --pack 2: leave them out",
        ),
        (
            spec(ModelSpec {
                beta: Some(4.0),
                ..ModelSpec::new(ModelKind::Autoencoder)
            }),
            &mnist,
            "an autoencoder does not use --beta 4.0",
        ),
        (
            spec(ModelSpec {
                likelihood: Some(latentlab::config::Likelihood::Bernoulli),
                ..gan()
            }),
            &ring,
            "--likelihood bernoulli",
        ),
        (
            spec(ModelSpec {
                d_batch_norm: Some(true),
                ..vae()
            }),
            &ring,
            "--d-batch-norm on",
        ),
        (
            spec(ModelSpec {
                latent_dim: Some(7),
                conditional: true,
                ..ModelSpec::new(ModelKind::Classifier)
            }),
            &mnist,
            "--latent-dim 7, --conditional on",
        ),
        (
            TrainSpec {
                d_steps: Some(5),
                ..spec(vae())
            },
            &ring,
            "--d-steps 5",
        ),
        (
            TrainSpec {
                iwae_k: Some(5),
                ..spec(gan())
            },
            &ring,
            "--iwae-k 5",
        ),
        (
            TrainSpec {
                binarize: true,
                ..spec(vae())
            },
            &ring,
            "--binarize draws binary pixels from images; ring8 is 2-D points",
        ),
        (
            spec(ModelSpec {
                d_batch_norm: Some(true),
                hidden: Some(vec![16]),
                ..gan()
            }),
            &ring,
            "this discriminator has one",
        ),
    ];
    for (spec, data, needle) in cases {
        let err = spec.start(data, &Device::Cpu).err().unwrap().to_string();
        assert!(err.contains(needle), "{needle}: {err}");
    }
    // Each kind's own choices pass, defaults included when they are given explicitly.
    let own = TrainSpec {
        d_steps: Some(2),
        ..spec(ModelSpec {
            pack: Some(2),
            d_hidden: Some(vec![16]),
            hidden: Some(vec![16]),
            ..gan()
        })
    };
    own.start(&ring, &Device::Cpu).unwrap();
    let own = TrainSpec {
        iwae_k: Some(1),
        kl_warmup: Some(10),
        ..spec(ModelSpec {
            beta: Some(1.0),
            hidden: Some(vec![16]),
            ..vae()
        })
    };
    own.start(&ring, &Device::Cpu).unwrap();
}

/// What the page's Train form builds (`www/views/train-form.js` buildSpec) from each preset's
/// recipe starts on each dataset the preset offers.
#[test]
fn every_train_view_recipe_starts() {
    use latentlab::presets::{presets, view_recipe};
    let ring = Dataset::toy(Toy::Ring8, 200, &mut Rng::new(0))
        .unwrap()
        .info;
    let mnist = common::mnist_info(true);
    for p in presets() {
        for (name, data, arch) in [
            ("ring8", &ring, Arch::Mlp),
            ("mnist", &mnist, Arch::Mlp),
            ("mnist", &mnist, Arch::Conv),
        ] {
            if p.images_only && name == "ring8" {
                continue;
            }
            let r = view_recipe(p.id, name, arch).unwrap();
            let mut model = ModelSpec {
                arch: Some(arch),
                hidden: r.hidden.clone(),
                ..p.spec.clone()
            };
            model.batch_norm = r.batch_norm.then_some(true);
            model.d_batch_norm = r.d_batch_norm.then_some(true);
            if p.fields.contains(&"beta") {
                model.beta = Some(4.0);
            }
            if p.fields.contains(&"pack") && r.pack > 1 {
                model.pack = Some(r.pack);
            }
            let spec = TrainSpec {
                lr: Some(r.lr),
                batch_size: Some(r.batch_size),
                binarize: name == "mnist",
                ..TrainSpec::new(model)
            };
            if let Err(e) = spec.start(data, &Device::Cpu) {
                panic!("{} on {name} ({arch:?}): {e}", p.id);
            }
        }
    }
}

#[test]
fn gan_on_the_ring_trains_with_pacgan_packing() {
    let data = Dataset::toy(Toy::Ring8, 2000, &mut Rng::new(0)).unwrap();
    let spec = ModelSpec {
        pack: Some(2),
        hidden: Some(vec![64, 64]),
        ..ModelSpec::new(ModelKind::Gan)
    };
    let mut s = session(spec.build(&data.info).unwrap(), train_config(100, 0), &data);
    assert!(s
        .train_steps(&data, 20)
        .unwrap()
        .first_non_finite()
        .is_none());
    // A batch that does not divide into packs is refused before training starts.
    let cfg = spec.build(&data.info).unwrap();
    let e = Session::new(cfg, train_config(99, 0), data.info.clone(), &Device::Cpu)
        .err()
        .unwrap();
    assert!(e.to_string().contains("multiple of pack 2"));
}

#[test]
fn fixed_packs_count_an_epoch_in_packs_and_resume_exactly() {
    // 300 points make 300 packs of 2; a batch of 20 rows is 10 packs, so 30 steps an epoch,
    // and 45 steps cross its boundary.
    let data = Dataset::toy(Toy::Ring8, 300, &mut Rng::new(0)).unwrap();
    let cfg = || {
        ModelSpec {
            pack: Some(2),
            hidden: Some(vec![16]),
            ..ModelSpec::new(ModelKind::Gan)
        }
        .build(&data.info)
        .unwrap()
    };
    let train = |fixed_packs| TrainConfig {
        fixed_packs,
        ..train_config(20, 5)
    };
    let mut straight = session(cfg(), train(true), &data);
    straight.train_steps(&data, 45).unwrap();
    assert!(
        (straight.epochs() - 1.5).abs() < 1e-9,
        "{}",
        straight.epochs()
    );
    let mut repacked = session(cfg(), train(false), &data);
    repacked.train_steps(&data, 45).unwrap();
    assert!((repacked.epochs() - 3.0).abs() < 1e-9);
    assert_ne!(repacked.last_metrics(), straight.last_metrics());

    let mut first = session(cfg(), train(true), &data);
    first.train_steps(&data, 25).unwrap();
    let info = first.train_info("cpu", "t".into(), 0.0);
    let bytes = first.to_bytes(&info, SaveOptions::default()).unwrap();
    let mut resumed =
        Session::from_checkpoint(checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap()).unwrap();
    assert!(resumed.train_config().fixed_packs);
    resumed.train_steps(&data, 20).unwrap();
    assert_eq!(resumed.last_metrics(), straight.last_metrics());

    // The batch is counted in samples, the shortfall in packs.
    let few = Dataset::toy(Toy::Ring8, 8, &mut Rng::new(0)).unwrap();
    let e = session(cfg(), train(true), &few)
        .train_steps(&few, 1)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("a batch of 20 samples takes 10 fixed packs; 8 points make only 8 packs"),
        "{e}"
    );

    // Unpacked, there are no packs to fix: refused rather than ignored.
    let single = ModelSpec {
        pack: Some(1),
        ..ModelSpec::new(ModelKind::Gan)
    };
    let e = Session::new(
        single.build(&data.info).unwrap(),
        train(true),
        data.info.clone(),
        &Device::Cpu,
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("GAN with pack ≥ 2"), "{e}");
}

fn run(seed: u64, steps: usize) -> Vec<Metrics> {
    let data = common::mnist(Split::Train, 1024);
    let train = TrainConfig {
        dynamic_binarization: true,
        ..train_config(32, seed)
    };
    let mut s = session(common::tiny_vae(4, Some(10)), train, &data);
    (0..steps)
        .map(|_| s.train_steps(&data, 1).unwrap())
        .collect()
}

#[test]
fn the_same_seed_gives_identical_losses() {
    let a = run(7, 15);
    assert_eq!(a, run(7, 15));
    assert_ne!(a, run(8, 15));
}

#[test]
fn a_resumed_run_continues_exactly_where_it_stopped() {
    // 40 batches of 32 over 1000 samples crosses an epoch boundary (31 batches per epoch).
    let data = common::mnist(Split::Train, 1000);
    let cfg = || common::tiny_vae(4, None);
    let train = TrainConfig {
        dynamic_binarization: true,
        ..train_config(32, 11)
    };
    let mut straight = session(cfg(), train.clone(), &data);
    straight.train_steps(&data, 40).unwrap();

    let mut first = session(cfg(), train, &data);
    first.train_steps(&data, 25).unwrap();
    let info = first.train_info("cpu", "t".into(), 0.0);
    let bytes = first.to_bytes(&info, SaveOptions::default()).unwrap();
    let mut resumed =
        Session::from_checkpoint(checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap()).unwrap();
    assert_eq!(resumed.steps(), 25);
    resumed.train_steps(&data, 15).unwrap();
    assert_eq!(resumed.steps(), 40);
    assert_eq!(resumed.last_metrics(), straight.last_metrics());
    let w = |s: &Session| {
        s.network()
            .named_tensors()
            .into_iter()
            .map(|(_, t)| t.flatten_all().unwrap().to_vec1::<f32>().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(w(&resumed), w(&straight), "weights differ after resume");
}

#[test]
fn optimizer_moments_no_run_writes_are_refused_by_name_on_resume() {
    let data = common::mnist(Split::Train, 64);
    let mut s = session(common::tiny_vae(4, None), train_config(32, 3), &data);
    s.train_steps(&data, 2).unwrap();
    let info = s.train_info("cpu", "t".into(), 0.0);
    let bytes = s.to_bytes(&info, SaveOptions::default()).unwrap();
    // A NaN first moment, or a negative second moment (a mean of squares), would make the
    // first resumed step NaN and blame the learning rate.
    for (moment, value, needle) in [
        (".m.", f32::NAN, "not finite"),
        (".v.", -1.0, "≥ 0"),
        (".v.", f32::INFINITY, "≥ 0"),
    ] {
        let mut ckpt = checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap();
        let key = ckpt
            .optimizer
            .keys()
            .find(|k| k.contains(moment))
            .unwrap()
            .clone();
        let t = &ckpt.optimizer[&key];
        let bad = Tensor::full(value, t.dims(), &Device::Cpu).unwrap();
        ckpt.optimizer.insert(key.clone(), bad);
        let e = Session::from_checkpoint(ckpt).err().unwrap().to_string();
        assert!(e.contains(&key) && e.contains(needle), "{key}: {e}");
    }
    Session::from_checkpoint(checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap()).unwrap();
}

/// A tiny MLP VAE's run on `data`, one step in (batch 32, seed 0).
fn stepped_once(data: &Dataset) -> Session {
    let mut s = session(common::tiny_vae(4, None), train_config(32, 0), data);
    s.train_steps(data, 1).unwrap();
    s
}

#[test]
fn a_refused_learning_rate_leaves_the_run_as_it_was() {
    let data = common::mnist(Split::Train, 64);
    let mut s = stepped_once(&data);
    // 1e-46 and 1e39 are 0 and ∞ in f32, where the updates are made.
    for lr in [f64::NAN, -1.0, 0.0, f64::INFINITY, 1e-46, 1e39] {
        let e = s.set_lr(lr).unwrap_err().to_string();
        assert!(
            e.contains("lr must be finite and > 0 as an f32"),
            "{lr}: {e}"
        );
    }
    let info = s.train_info("cpu", String::new(), 0.0);
    assert_eq!(
        info.config.optimizer.lr,
        TrainConfig::default().optimizer.lr
    );
    s.train_steps(&data, 1).unwrap();
    let bytes = s.to_bytes(&info, SaveOptions::default()).unwrap();
    Session::from_checkpoint(checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap()).unwrap();
}

/// A step count a record may hold (up to 2⁴⁰) past i32: Adam's bias corrections stay 1 − β^t
/// (≈ 1) rather than wrapping to t = 0, where they are 0 and the update lr · 0/0.
#[test]
fn adam_past_two_to_the_31_steps_updates_finitely() {
    let data = common::mnist(Split::Train, 64);
    let s = stepped_once(&data);
    let mut info = s.train_info("cpu", String::new(), 0.0);
    for n in info.optimizer_steps.values_mut() {
        *n = u32::MAX as u64;
    }
    let bytes = s.to_bytes(&info, SaveOptions::default()).unwrap();
    let mut resumed =
        Session::from_checkpoint(checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap()).unwrap();
    resumed.train_steps(&data, 2).unwrap();
    for (name, t) in resumed.network().named_tensors() {
        assert!(latentlab::models::all_finite(&t).unwrap(), "{name}");
    }
}

/// Resuming draws the saved epoch's order again: a record claiming 4·10⁹ samples is refused
/// within the memory budget, not allocated (loading the file to sample from it needs none).
#[test]
fn a_saved_epoch_too_large_to_shuffle_again_is_refused_on_resume() {
    let data = common::mnist(Split::Train, 64);
    let s = stepped_once(&data);
    let mut info = s.train_info("cpu", String::new(), 0.0);
    info.batcher.as_mut().unwrap().len = 4_000_000_000;
    let bytes = s.to_bytes(&info, SaveOptions::default()).unwrap();
    let ckpt = checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap();
    let e = Session::from_checkpoint(ckpt).err().unwrap().to_string();
    assert!(
        e.contains("shuffled order") && e.contains("memory limit"),
        "{e}"
    );
}

#[test]
fn dynamic_binarization_draws_binary_pixels() {
    let data = common::mnist(Split::Test, 10);
    let b = data
        .batch(&[0, 1, 2], true, &mut Rng::new(0), &Device::Cpu)
        .unwrap();
    let v = b.x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert!(v.iter().all(|&p| p == 0.0 || p == 1.0));
    let ones = v.iter().filter(|&&p| p == 1.0).count() as f32;
    let expected: f32 = data.x[..3 * 784].iter().sum();
    assert!(
        (ones - expected).abs() < 0.1 * expected,
        "{ones} vs {expected}"
    );
    assert_eq!(b.labels, Some(data.labels.unwrap()[..3].to_vec()));
}

#[test]
fn burda_schedule_lowers_the_rate_by_stage_and_resumes_exactly() {
    use latentlab::config::LrSchedule;
    let f = |e: f64| LrSchedule::Burda.factor(e);
    // Stage i lasts 3^i passes at 10^(−i/7): [0, 1), [1, 4), [4, 13), …, [1093, 3280), then 7.
    for (epochs, stage) in [
        (0.0, 0),
        (0.99, 0),
        (1.0, 1),
        (3.9, 1),
        (4.0, 2),
        (1093.0, 7),
        (5000.0, 7),
    ] {
        let want = 10f64.powf(-f64::from(stage) / 7.0);
        assert!(
            (f(epochs) - want).abs() < 1e-12,
            "{epochs} passes: {} vs {want}",
            f(epochs)
        );
    }
    assert_eq!(LrSchedule::Constant.factor(100.0), 1.0);
    // A rate f32 holds whose last stage it does not (5e-46 is 0 in f32) is refused at the start,
    // not when the run reaches that stage.
    let tiny = |schedule| TrainConfig {
        lr_schedule: schedule,
        optimizer: AdamConfig {
            lr: 5e-45,
            ..AdamConfig::default()
        },
        ..TrainConfig::default()
    };
    let model = common::tiny_vae(4, None);
    let e = tiny(LrSchedule::Burda).validate(&model).unwrap_err();
    assert!(
        e.to_string()
            .contains("lr 5e-45 falls to 5e-46 in the schedule's last stage"),
        "{e}"
    );
    tiny(LrSchedule::Constant).validate(&model).unwrap();

    // 64 samples, batch 32: 2 steps a pass, so 10 steps cross two stage boundaries.
    let data = common::mnist(Split::Train, 64);
    let train = |schedule| TrainConfig {
        lr_schedule: schedule,
        ..train_config(32, 4)
    };
    let weights = |s: &Session| {
        s.network()
            .named_tensors()
            .into_iter()
            .map(|(_, t)| t.flatten_all().unwrap().to_vec1::<f32>().unwrap())
            .collect::<Vec<_>>()
    };
    let mut straight = session(common::tiny_vae(4, None), train(LrSchedule::Burda), &data);
    straight.train_steps(&data, 10).unwrap();
    let mut constant = session(
        common::tiny_vae(4, None),
        train(LrSchedule::Constant),
        &data,
    );
    constant.train_steps(&data, 10).unwrap();
    assert_ne!(
        weights(&straight),
        weights(&constant),
        "the schedule changed nothing"
    );

    let mut first = session(common::tiny_vae(4, None), train(LrSchedule::Burda), &data);
    first.train_steps(&data, 5).unwrap();
    let info = first.train_info("cpu", "t".into(), 0.0);
    let bytes = first.to_bytes(&info, SaveOptions::default()).unwrap();
    let mut resumed =
        Session::from_checkpoint(checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap()).unwrap();
    resumed.train_steps(&data, 5).unwrap();
    assert_eq!(
        weights(&resumed),
        weights(&straight),
        "weights differ after resume"
    );
}

#[test]
fn a_discriminator_learning_rate_moves_only_the_discriminator_and_survives_resume() {
    let data = Dataset::toy(Toy::Ring8, 1000, &mut Rng::new(0)).unwrap();
    let spec = ModelSpec {
        hidden: Some(vec![32, 32]),
        ..ModelSpec::new(ModelKind::Gan)
    };
    let train = |d_lr| TrainConfig {
        d_lr,
        ..train_config(100, 5)
    };
    // Largest change of each network's weights over 5 steps.
    let moved = |d_lr| {
        let mut s = session(spec.build(&data.info).unwrap(), train(d_lr), &data);
        // Copies: the network's tensors are its variables, updated in place.
        let before: Vec<_> = (s.network().named_tensors().into_iter())
            .map(|(name, t)| (name, t.copy().unwrap()))
            .collect();
        s.train_steps(&data, 5).unwrap();
        let mut change = (0f32, 0f32);
        for ((name, a), (_, b)) in before.iter().zip(s.network().named_tensors()) {
            let d = common::max_abs_diff(a, &b);
            let side = if name.starts_with("discriminator.") {
                &mut change.1
            } else {
                &mut change.0
            };
            *side = side.max(d);
        }
        (change, s)
    };
    // Adam moves a weight by about lr a step: 1e-3 for the generator, 1e-9 for the
    // discriminator.
    let ((g, d), s) = moved(Some(1e-9));
    assert!(
        g > 1e-3 && d < 1e-6,
        "generator moved {g}, discriminator {d}"
    );
    let ((g_same, d_same), _) = moved(Some(1e-3));
    let ((g_default, d_default), _) = moved(None);
    assert_eq!(
        (g_same, d_same),
        (g_default, d_default),
        "d_lr = lr changed the run"
    );
    assert!(d_default > 1e-3);

    let info = s.train_info("cpu", "t".into(), 0.0);
    let bytes = s.to_bytes(&info, SaveOptions::default()).unwrap();
    let resumed =
        Session::from_checkpoint(checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap()).unwrap();
    assert_eq!(resumed.train_config().d_lr, Some(1e-9));

    let e = Session::new(
        common::tiny_vae(4, None),
        train(Some(1e-4)),
        common::mnist_info(false),
        &Device::Cpu,
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("no discriminator"), "{e}");
}
