//! GPU tests: built only with `--features cuda` and `#[ignore]`d, so CI (no GPU) skips them.
//! On a GPU machine: `cargo test --release --features cuda --test cuda -- --ignored`.
#![cfg(feature = "cuda")]

mod common;

use candle::Device;
use latentlab::checkpoint::{self, SaveOptions};
use latentlab::config::{Arch, ModelKind, TrainConfig};
use latentlab::data::Split;
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
