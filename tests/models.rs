//! Every model kind builds from its default spec and produces the documented shapes.

mod common;

use candle::{Device, Tensor};
use latentlab::config::{Arch, ModelKind};
use latentlab::data::{DataInfo, Dataset, Toy};
use latentlab::models::layers::Weights;
use latentlab::models::Model;
use latentlab::rng::Rng;
use latentlab::{ModelSpec, Network};

fn net(spec: ModelSpec, info: &DataInfo) -> Network {
    let cfg = spec.build(info).unwrap();
    Network::new(cfg, &Device::Cpu, &mut Rng::new(0)).unwrap()
}

#[test]
fn generative_models_sample_decode_and_encode_with_the_right_shapes() {
    let info = common::mnist_info(true);
    for kind in [
        ModelKind::Autoencoder,
        ModelKind::Vae,
        ModelKind::Gan,
        ModelKind::VaeGan,
    ] {
        for arch in [Arch::Mlp, Arch::Conv] {
            for conditional in [false, true] {
                let spec = ModelSpec {
                    arch: Some(arch),
                    latent_dim: Some(5),
                    hidden: Some(if arch == Arch::Conv {
                        vec![4, 8]
                    } else {
                        vec![32]
                    }),
                    conditional,
                    ..ModelSpec::new(kind)
                };
                let what = format!("{kind} {arch:?} conditional={conditional}");
                let n = net(spec, &info);
                let (x, z) = n.sample(6, &mut Rng::new(1), 1.0, None).unwrap();
                assert_eq!(x.dims(), &[6, 1, 28, 28], "{what}");
                assert_eq!(z.dims(), &[6, 5], "{what}");
                let v = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                assert!(
                    v.iter().all(|p| (0.0..=1.0).contains(p)),
                    "{what}: samples leave [0, 1]"
                );
                let labels: Vec<u32> = (0..6).collect();
                let labels = conditional.then_some(labels.as_slice());
                if kind != ModelKind::Gan {
                    let (mu, logvar) = n.encode(&x, labels).unwrap();
                    assert_eq!(mu.dims(), &[6, 5], "{what}");
                    assert_eq!(logvar.is_some(), kind != ModelKind::Autoencoder, "{what}");
                } else {
                    assert!(n.encode(&x, labels).is_err(), "a GAN has no encoder");
                }
                if matches!(kind, ModelKind::Gan | ModelKind::VaeGan) {
                    let p = n.discriminate(&x, labels).unwrap();
                    assert_eq!(p.dims(), &[6], "{what}");
                }
                let frames = n
                    .interpolate(
                        &[0.0; 5],
                        &[1.0; 5],
                        7,
                        latentlab::latent::InterpolationMode::Slerp,
                        conditional.then_some(3),
                    )
                    .unwrap();
                assert_eq!(frames.dims(), &[7, 1, 28, 28], "{what}");
            }
        }
    }
}

#[test]
fn the_discriminator_takes_its_own_widths_when_given() {
    use latentlab::config::ModelConfig;
    let info = common::mnist_info(true);
    for kind in [ModelKind::Gan, ModelKind::VaeGan] {
        let spec = ModelSpec {
            arch: Some(Arch::Conv),
            hidden: Some(vec![8, 16]),
            d_hidden: Some(vec![4, 6]),
            ..ModelSpec::new(kind)
        };
        let (generative, discriminator) = match spec.build(&info).unwrap() {
            ModelConfig::Gan(c) => (c.generator.hidden, c.discriminator.hidden),
            ModelConfig::VaeGan(c) => (c.vae.backbone.hidden, c.discriminator.hidden),
            other => panic!("{kind}: built {other:?}"),
        };
        assert_eq!(
            (generative, discriminator),
            (vec![8, 16], vec![4, 6]),
            "{kind}"
        );
        // Without d_hidden the discriminator keeps the shared widths.
        let shared = ModelSpec {
            d_hidden: None,
            ..spec.clone()
        };
        let d = match shared.build(&info).unwrap() {
            ModelConfig::Gan(c) => c.discriminator.hidden,
            ModelConfig::VaeGan(c) => c.discriminator.hidden,
            other => panic!("{kind}: built {other:?}"),
        };
        assert_eq!(d, vec![8, 16], "{kind}");
        let (x, _) = net(spec, &info)
            .sample(3, &mut Rng::new(1), 1.0, None)
            .unwrap();
        let p = net(shared, &info).discriminate(&x, None).unwrap();
        assert_eq!(p.dims(), &[3], "{kind}");
    }
}

#[test]
fn pacgan_packs_samples_and_judges_each_pack_once() {
    let mut rng = Rng::new(0);
    let data = Dataset::toy(Toy::Ring8, 100, &mut rng).unwrap();
    let spec = ModelSpec {
        pack: Some(4),
        ..ModelSpec::new(ModelKind::Gan)
    };
    let n = net(spec, &data.info);
    let Model::Gan(gan) = n.model() else {
        panic!("not a GAN")
    };
    let x = Tensor::zeros((8, 2), candle::DType::F32, &Device::Cpu).unwrap();
    let (logits, features) = gan
        .discriminator
        .forward(&x, None, Weights::Trained)
        .unwrap();
    assert_eq!(logits.dims(), &[2]);
    assert_eq!(features.dims(), &[2, 200]);
    assert!(gan
        .discriminator
        .forward(&x.narrow(0, 0, 6).unwrap(), None, Weights::Trained)
        .is_err());
    // `discriminate` judges single points by packing each with copies of itself.
    assert_eq!(
        n.discriminate(&x.narrow(0, 0, 3).unwrap(), None)
            .unwrap()
            .dims(),
        &[3]
    );
}

#[test]
fn classifier_gives_logits_and_features() {
    let n = net(
        ModelSpec::new(ModelKind::Classifier),
        &common::mnist_info(true),
    );
    let Model::Classifier(c) = n.model() else {
        panic!("not a classifier")
    };
    let x = Tensor::zeros((3, 1, 28, 28), candle::DType::F32, &Device::Cpu).unwrap();
    assert_eq!(c.forward(&x).unwrap().dims(), &[3, 10]);
    assert_eq!(c.features(&x).unwrap().dims(), &[3, 128]);
    assert!(
        n.sample(1, &mut Rng::new(0), 1.0, None).is_err(),
        "a classifier cannot sample"
    );
}

#[test]
fn bad_requests_are_errors_not_panics() {
    let n = net(
        ModelSpec {
            conditional: true,
            arch: Some(Arch::Mlp),
            ..ModelSpec::new(ModelKind::Vae)
        },
        &common::mnist_info(true),
    );
    let z = Tensor::zeros((2, 20), candle::DType::F32, &Device::Cpu).unwrap();
    assert!(n
        .decode(&z, None)
        .unwrap_err()
        .to_string()
        .contains("label"));
    assert!(n
        .decode(&z, Some(&[1, 10]))
        .unwrap_err()
        .to_string()
        .contains("with 10 classes, numbered from 0"));
    let z3 = Tensor::zeros((2, 3), candle::DType::F32, &Device::Cpu).unwrap();
    assert!(n
        .decode(&z3, Some(&[1, 2]))
        .unwrap_err()
        .to_string()
        .contains("[B, 20]"));
    assert!(n.batch_from_slice(&[0.0; 100]).is_err());
    assert!(n.sample(4, &mut Rng::new(0), f32::NAN, None).is_err());
    // Conv backbones need sides divisible by 4; VAE-GANs need images.
    let odd = DataInfo {
        sample_shape: vec![1, 30, 30],
        ..common::mnist_info(false)
    };
    assert!(ModelSpec::new(ModelKind::Vae)
        .build(&odd)
        .unwrap_err()
        .to_string()
        .contains("divisible by 4"));
    let points = Dataset::toy(Toy::Spiral, 10, &mut Rng::new(0))
        .unwrap()
        .info;
    assert!(ModelSpec::new(ModelKind::VaeGan).build(&points).is_err());
}

/// A small MLP VAE with `latent` dimensions.
fn mlp_vae(latent: usize, info: &DataInfo) -> Network {
    let spec = ModelSpec {
        arch: Some(Arch::Mlp),
        latent_dim: Some(latent),
        hidden: Some(vec![16]),
        ..ModelSpec::new(ModelKind::Vae)
    };
    net(spec, info)
}

#[test]
fn the_model_card_says_what_each_network_can_do() {
    let images = common::mnist_info(true);
    let vae = mlp_vae(2, &images);
    let card = vae.capabilities(&images);
    assert!(card.has_encoder && !card.has_discriminator && card.is_image && !card.is_points);
    assert_eq!(
        (card.latent_dim, card.sample_shape),
        (Some(2), vec![1, 28, 28])
    );
    assert_eq!(card.view_bounds, None);
    assert!(!card.frechet_only, "a VAE has its likelihood");
    // An image GAN is measured by the classifier Fréchet distance alone.
    let image_gan = net(ModelSpec::new(ModelKind::Gan), &images);
    assert!(image_gan.capabilities(&images).frechet_only);

    let ring = Dataset::toy(Toy::Ring8, 100, &mut Rng::new(0))
        .unwrap()
        .info;
    let gan = net(ModelSpec::new(ModelKind::Gan), &ring);
    let card = gan.capabilities(&ring);
    assert!(!card.has_encoder && card.has_discriminator && card.is_points && !card.is_image);
    assert!(card.num_classes.is_none() && !card.info_codes);
    assert_eq!(card.view_bounds, Some([-1.6, 1.6, -1.6, 1.6]));
    assert!(!card.frechet_only, "a 2-D GAN has its mode count");
    assert!(gan
        .reconstruct(
            &Tensor::zeros((1, 2), candle::DType::F32, &Device::Cpu).unwrap(),
            None
        )
        .is_err());
}

#[test]
fn reconstruct_and_the_latent_grid_decode_what_they_say() {
    let info = common::mnist_info(false);
    let vae = mlp_vae(2, &info);
    let x = Tensor::rand(0f32, 1f32, (3, 1, 28, 28), &Device::Cpu).unwrap();
    let (mu, _) = vae.encode(&x, None).unwrap();
    let direct = vae.decode(&mu, None).unwrap().flatten_all().unwrap();
    let recon = vae.reconstruct(&x, None).unwrap();
    assert_eq!(recon.dims(), &[3, 1, 28, 28]);
    assert_eq!(
        recon.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        direct.to_vec1::<f32>().unwrap()
    );

    let grid = vae.latent_grid(3, 2.0, None).unwrap();
    assert_eq!(grid.dims(), &[9, 1, 28, 28]);
    let z = Tensor::from_vec(
        latentlab::latent::grid_2d(3, 2.0).unwrap(),
        (9, 2),
        &Device::Cpu,
    )
    .unwrap();
    assert_eq!(
        grid.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        vae.decode(&z, None)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
    );
    let wide = mlp_vae(5, &info);
    assert!(wide.latent_grid(3, 2.0, None).is_err());
}

/// `Network::freeze` lets batch-1 decoding read each MLP layer's weight transposed, skipping
/// the ReLUs' zeros; it must decode what the network decoded before (to rounding), leave
/// batches and differentiated codes on the usual path, and refuse to be trained.
#[test]
fn a_frozen_network_decodes_one_code_as_before_and_cannot_be_trained() {
    let info = common::mnist_info(true);
    let spec = ModelSpec {
        arch: Some(Arch::Mlp),
        latent_dim: Some(20),
        hidden: Some(vec![400, 64]),
        conditional: true,
        ..ModelSpec::new(ModelKind::Vae)
    };
    let vae = net(spec, &info);
    let mut rng = Rng::new(3);
    let z = Tensor::from_vec(rng.normal_vec(20), (1, 20), &Device::Cpu).unwrap();
    let batch = Tensor::from_vec(rng.normal_vec(40), (2, 20), &Device::Cpu).unwrap();
    let values = |t: Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let one = values(vae.decode(&z, Some(&[7])).unwrap());
    let two = values(vae.decode(&batch, Some(&[1, 2])).unwrap());

    vae.freeze();
    assert!(vae.is_frozen());
    for _ in 0..2 {
        // The second call reads the transposed weights the first one made.
        let frozen = values(vae.decode(&z, Some(&[7])).unwrap());
        assert_eq!(frozen.len(), 784);
        for (a, b) in frozen.iter().zip(&one) {
            assert!((a - b).abs() <= 1e-5, "frozen {a} vs {b}");
        }
    }
    assert_eq!(values(vae.decode(&batch, Some(&[1, 2])).unwrap()), two);
    // A code that needs a gradient keeps the differentiable path.
    let var = candle::Var::from_tensor(&z).unwrap();
    let y = vae.decode(var.as_tensor(), Some(&[7])).unwrap();
    let grads = y.sum_all().unwrap().backward().unwrap();
    assert_eq!(grads.get(var.as_tensor()).unwrap().dims(), &[1, 20]);

    let train = latentlab::TrainConfig::default();
    let err = latentlab::train::trainer_for(&vae, &train).err().unwrap();
    assert!(err.to_string().contains("frozen"), "{err}");
}

/// A conditional discriminator weighs the image by its label: how much a label changes the
/// logit depends on the image. (Labels that only add a bias per class would change every
/// image's logit by the same amount, and a generator could then ignore its label.)
#[test]
fn a_conditional_discriminator_judges_the_image_with_its_label() {
    for (kind, arch, pack) in [
        (ModelKind::Gan, Arch::Mlp, 1),
        (ModelKind::Gan, Arch::Conv, 1),
        (ModelKind::Gan, Arch::Mlp, 2),
        (ModelKind::VaeGan, Arch::Conv, 1),
    ] {
        let spec = ModelSpec {
            arch: Some(arch),
            hidden: Some(if arch == Arch::Conv {
                vec![4, 8]
            } else {
                vec![32]
            }),
            conditional: true,
            pack: (pack > 1).then_some(pack),
            ..ModelSpec::new(kind)
        };
        let n = net(spec, &common::mnist_info(true));
        // Two unlike images, fixed (two draws of uniform noise look alike to a fresh
        // discriminator: the test then failed now and then): a ramp and a blank page.
        let ramp = (0..784).map(|i| (i % 28) as f32 / 27.0);
        let pixels: Vec<f32> = ramp.chain(std::iter::repeat_n(0.0, 784)).collect();
        let x = Tensor::from_vec(pixels, (2, 1, 28, 28), &Device::Cpu).unwrap();
        let logit = |labels: [u32; 2]| {
            let p: Vec<f32> = n
                .discriminate(&x, Some(&labels))
                .unwrap()
                .to_vec1()
                .unwrap();
            p.iter().map(|p| (p / (1.0 - p)).ln()).collect::<Vec<f32>>()
        };
        let (as3, as5) = (logit([3, 3]), logit([5, 5]));
        let (d0, d1) = (as3[0] - as5[0], as3[1] - as5[1]);
        // Equal up to rounding (~1e-6 here) under a per-class bias.
        assert!(
            (d0 - d1).abs() > 1e-2 * d0.abs().max(d1.abs()) && d0.abs() > 1e-5,
            "{kind} {arch:?} pack {pack}: label 3 vs 5 moves both images' logits by {d0} and {d1}"
        );
    }
}
