//! GPU tests: built only with `--features cuda` and `#[ignore]`d, so CI (no GPU) skips them.
//! On a GPU machine: `cargo test --release --features cuda --test cuda -- --ignored`.
#![cfg(feature = "cuda")]

mod common;

use candle::{Device, Tensor};
use latentlab::checkpoint::{self, SaveOptions};
use latentlab::config::{Arch, ModelKind, TrainConfig};
use latentlab::data::Split;
use latentlab::models::iwae::{doubly_reparameterized, iwae_bound, log_weights};
use latentlab::models::Network;
use latentlab::rng::Rng;
use latentlab::train::Session;
use latentlab::ModelSpec;

fn cuda() -> Device {
    Device::new_cuda(0).expect("a CUDA device (these tests are for GPU machines)")
}

#[test]
#[ignore = "needs a GPU"]
fn every_kind_trains_on_the_gpu_and_its_checkpoint_loads_on_the_cpu() {
    let data = common::mnist(Split::Train, 1024);
    for (kind, arch) in [
        (ModelKind::Vae, Arch::Mlp),
        (ModelKind::Vae, Arch::Conv),
        (ModelKind::Gan, Arch::Conv),
        (ModelKind::VaeGan, Arch::Conv),
        (ModelKind::Classifier, Arch::Conv),
    ] {
        let spec = ModelSpec {
            arch: Some(arch),
            ..ModelSpec::new(kind)
        };
        let train = TrainConfig {
            batch_size: 64,
            ..TrainConfig::default()
        };
        let mut s = Session::new(
            spec.build(&data.info).unwrap(),
            train,
            data.info.clone(),
            &cuda(),
        )
        .unwrap();
        let m = s.train_steps(&data, 20).unwrap();
        assert!(m.first_non_finite().is_none(), "{kind}: {}", m.line());
        let info = s.train_info("cuda:0", "t".into(), 0.0);
        let bytes = s.to_bytes(&info, SaveOptions::default()).unwrap();
        let ck = checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap();
        if kind != ModelKind::Classifier {
            let gpu = s
                .network()
                .sample(4, &mut Rng::new(1), 1.0, None)
                .unwrap()
                .0;
            let cpu = ck.network.sample(4, &mut Rng::new(1), 1.0, None).unwrap().0;
            let diff = (gpu.to_device(&Device::Cpu).unwrap() - cpu)
                .unwrap()
                .abs()
                .unwrap();
            let worst = diff.max_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(
                worst < 1e-3,
                "{kind}: GPU and CPU samples differ by {worst}"
            );
        }
    }
}

/// On the GPU the layers' matmuls are candle's, whose gradient with respect to a code keeps a
/// graph through the decoder's weights: DReG's encoder pass must not add to their gradients
/// (`tests/dreg.rs` checks the same on the CPU, where the kernels' gradients carry no graph).
#[test]
#[ignore = "needs a GPU"]
fn dreg_leaves_the_decoder_gradient_to_plain_backpropagation_on_the_gpu() {
    let dev = cuda();
    let net = Network::new(common::tiny_vae(4, None), &dev, &mut Rng::new(0)).unwrap();
    let vae = net.model().vae().unwrap();
    let data = common::mnist(Split::Train, 8);
    let x: Vec<f32> = data.x.iter().map(|&p| f32::from(p > 0.5)).collect();
    let x = Tensor::from_vec(x, (8, 1, 28, 28), &dev).unwrap();
    for kl_weight in [1.0, 0.3] {
        let log_w = log_weights(vae, &x, None, 5, kl_weight, &mut Rng::new(5)).unwrap();
        let plain = iwae_bound(&log_w)
            .unwrap()
            .mean_all()
            .unwrap()
            .neg()
            .unwrap();
        let plain = plain.backward().unwrap();
        let (_, dreg) =
            doubly_reparameterized(vae, &x, None, 5, kl_weight, &mut Rng::new(5)).unwrap();
        for (name, v) in net.vars_with_prefix(&["decoder."]) {
            let grad = |g: &candle::backprop::GradStore| -> Vec<f32> {
                let g = g.get(v.as_tensor()).unwrap().flatten_all().unwrap();
                g.to_device(&Device::Cpu).unwrap().to_vec1().unwrap()
            };
            let (p, d) = (grad(&plain), grad(&dreg));
            let scale = p.iter().fold(0f32, |m, g| m.max(g.abs()));
            for (p, d) in p.iter().zip(&d) {
                assert!(
                    (p - d).abs() <= 1e-4 * scale,
                    "β {kl_weight}, {name}: {p} vs {d}"
                );
            }
        }
    }
}
