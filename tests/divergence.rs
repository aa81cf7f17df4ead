//! Divergence, for every model kind: a non-finite metric stops the step with the step number
//! and the metric named, and leaves every variable, optimizer moment and optimizer step count
//! exactly as it was before the step, including the GAN's discriminator, which updates before
//! the generator's loss is known.

mod common;

use candle::{Device, Tensor};
use latentlab::config::{Arch, ModelKind};
use latentlab::data::Batch;
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::train::Session;
use latentlab::{Error, ModelSpec};

const BATCH: usize = 8;

/// Everything a step may change: variables and moments by name, and optimizer step counts.
#[derive(Debug, PartialEq)]
struct State {
    tensors: Vec<(String, Vec<f32>)>,
    optimizer_steps: Vec<(String, u64)>,
}

fn state(s: &Session) -> State {
    // Copied out to host vectors: the CPU optimizer updates variables in place.
    let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let mut tensors: Vec<_> = s
        .network()
        .named_tensors()
        .iter()
        .map(|(n, t)| (n.clone(), flat(t)))
        .collect();
    tensors.extend(
        s.optimizer_tensors()
            .unwrap()
            .iter()
            .map(|(n, t)| (n.clone(), flat(t))),
    );
    let info = s.train_info("cpu", String::new(), 0.0);
    let mut optimizer_steps: Vec<_> = info.optimizer_steps.into_iter().collect();
    optimizer_steps.sort();
    State {
        tensors,
        optimizer_steps,
    }
}

/// A small run of `model` on 28×28 images with labels, stepped twice on random pixels.
fn started(model: ModelSpec, tweak: impl FnOnce(&mut TrainSpec)) -> (Session, Rng) {
    let mut spec = TrainSpec::new(model);
    spec.batch_size = Some(BATCH);
    tweak(&mut spec);
    let mut s = spec.start(&common::mnist_info(true), &Device::Cpu).unwrap();
    let mut rng = Rng::new(1);
    for _ in 0..2 {
        s.step(&batch(&mut rng, None)).unwrap();
    }
    (s, rng)
}

/// Random pixels and labels; `nan_at` puts a NaN at one pixel.
fn batch(rng: &mut Rng, nan_at: Option<usize>) -> Batch {
    let mut x: Vec<f32> = (0..BATCH * 784).map(|_| rng.uniform()).collect();
    if let Some(i) = nan_at {
        x[i] = f32::NAN;
    }
    Batch {
        x: Tensor::from_vec(x, (BATCH, 1, 28, 28), &Device::Cpu).unwrap(),
        labels: Some((0..BATCH as u32).map(|i| i % 10).collect()),
    }
}

fn spec(kind: ModelKind, arch: Arch, conditional: bool) -> ModelSpec {
    let mut m = ModelSpec::new(kind);
    m.arch = Some(arch);
    m.hidden = Some(match arch {
        Arch::Mlp => vec![16],
        Arch::Conv => vec![4, 8],
    });
    m.latent_dim = (kind != ModelKind::Classifier).then_some(3);
    m.conditional = conditional;
    m
}

/// Steps `s` on `b`, expects divergence at step 3 on `metric`, and no change of state.
fn assert_diverges_untouched(s: &mut Session, b: &Batch, metric: &str, what: &str) {
    let before = state(s);
    match s.step(b) {
        Err(e @ Error::Diverged { .. }) => {
            let Error::Diverged {
                step, metric: m, ..
            } = &e
            else {
                unreachable!()
            };
            assert_eq!((*step, m.as_str()), (3, metric), "{what}: {e}");
            let msg = e.to_string();
            assert!(msg.contains('3') && msg.contains(metric), "{what}: {msg}");
        }
        other => panic!(
            "{what}: expected divergence, got {:?}",
            other.map(|m| m.line())
        ),
    }
    assert_eq!(s.steps(), 2, "{what}");
    let after = state(s);
    assert_eq!(after.optimizer_steps, before.optimizer_steps, "{what}");
    for ((n, a), (_, b)) in before.tensors.iter().zip(&after.tensors) {
        // Bitwise: NaN never equals itself, and no value may move at all.
        let same = a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "{what}: `{n}` changed in the diverged step");
    }
}

#[test]
fn a_nan_in_the_batch_stops_every_kind_with_nothing_updated() {
    let cases = [
        (spec(ModelKind::Autoencoder, Arch::Mlp, false), "loss", 1),
        (spec(ModelKind::Vae, Arch::Mlp, false), "loss", 1),
        (spec(ModelKind::Vae, Arch::Conv, true), "loss", 1),
        (spec(ModelKind::Vae, Arch::Mlp, false), "loss", 3), // IWAE, k = 3
        (spec(ModelKind::Gan, Arch::Mlp, false), "d_loss", 1),
        (spec(ModelKind::Gan, Arch::Conv, true), "d_loss", 1),
        (spec(ModelKind::VaeGan, Arch::Mlp, false), "loss", 1),
    ];
    // (Not the classifier: its ReLU and max-pool turn a NaN pixel into a finite activation;
    // the NaN-weight test below covers it.)
    for (model, metric, k) in cases {
        let what = format!("{model:?} k={k}");
        let kind = model.kind;
        let (mut s, mut rng) = started(model, |t| {
            t.iwae_k = (kind == ModelKind::Vae).then_some(k);
            t.d_steps = (kind == ModelKind::Gan).then_some(2);
        });
        let b = batch(&mut rng, Some(300));
        assert_diverges_untouched(&mut s, &b, metric, &what);
        // The run carries on from the kept state.
        s.step(&batch(&mut rng, None)).unwrap();
        assert_eq!(s.steps(), 3, "{what}");
    }
}

#[test]
fn a_gan_whose_discriminator_update_explodes_is_put_back() {
    // With a learning rate of 1e30 the discriminator's first update is finite (its loss was
    // computed before it), and the generator's loss through the exploded discriminator is
    // not: the discriminator must be restored.
    let (mut s, mut rng) = started(spec(ModelKind::Gan, Arch::Mlp, false), |_| {});
    s.set_lr(1e30).unwrap();
    let b = batch(&mut rng, None);
    assert_diverges_untouched(&mut s, &b, "g_loss", "GAN, lr 1e30");
}

#[test]
fn nan_weights_stop_every_kind_with_nothing_updated() {
    let cases = [
        spec(ModelKind::Autoencoder, Arch::Mlp, false),
        spec(ModelKind::Vae, Arch::Conv, false),
        spec(ModelKind::Gan, Arch::Mlp, true),
        spec(ModelKind::VaeGan, Arch::Conv, false),
        spec(ModelKind::Classifier, Arch::Conv, false),
    ];
    for model in cases {
        let what = format!("{model:?}");
        let (mut s, mut rng) = started(model, |_| {});
        // The first element of every variable becomes NaN.
        for (_, var) in s.network().vars_with_prefix(&[""]) {
            let t = var.as_tensor();
            let mut v = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            v[0] = f32::NAN;
            var.set(&Tensor::from_vec(v, t.dims(), t.device()).unwrap())
                .unwrap();
        }
        let b = batch(&mut rng, None);
        let first_metric = match s.network().config().kind() {
            ModelKind::Gan => "d_loss",
            _ => "loss",
        };
        assert_diverges_untouched(&mut s, &b, first_metric, &what);
    }
}

#[test]
fn batch_norm_statistics_and_simultaneous_updates_are_undone_too() {
    use latentlab::config::GanUpdate;
    let normalized = |kind, arch| {
        let mut m = spec(kind, arch, false);
        if arch == Arch::Mlp {
            // Two layers: BatchNorm skips the discriminator's first, which reads the data.
            m.hidden = Some(vec![16, 16]);
        }
        m.batch_norm = Some(true);
        m.d_batch_norm = (kind == ModelKind::Gan).then_some(true);
        m
    };
    let cases = [
        (
            normalized(ModelKind::Gan, Arch::Mlp),
            GanUpdate::Simultaneous,
        ),
        (
            normalized(ModelKind::Gan, Arch::Conv),
            GanUpdate::Alternating,
        ),
        (
            normalized(ModelKind::Vae, Arch::Conv),
            GanUpdate::Alternating,
        ),
    ];
    for (model, update) in cases {
        let what = format!("{model:?} {update:?}");
        let metric = match model.kind {
            ModelKind::Gan => "d_loss",
            _ => "loss",
        };
        let gan = model.kind == ModelKind::Gan;
        let (mut s, mut rng) = started(model, |t| t.gan_update = gan.then_some(update));
        let b = batch(&mut rng, Some(300));
        assert_diverges_untouched(&mut s, &b, metric, &what);
        s.step(&batch(&mut rng, None)).unwrap();
    }
}
