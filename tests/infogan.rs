//! InfoGAN (Chen et al. 2016): categorical latent codes learned without labels. On the
//! unlabelled ring of 8 Gaussians, 8 codes come to pick modes (the discriminator's guess of
//! the code gets far better than chance, and each code's samples gather on a mode of its
//! own); the code head is saved in checkpoints and read back; the option is refused where it
//! does not apply.

use candle::{Device, Tensor};
use latentlab::checkpoint::{self, SaveOptions};
use latentlab::config::ModelKind;
use latentlab::data::{Dataset, Toy};
use latentlab::models::Network;
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::ModelSpec;

fn infogan_spec(codes: usize) -> TrainSpec {
    let mut model = ModelSpec::new(ModelKind::Gan);
    model.hidden = Some(vec![128, 128]);
    model.info_codes = Some(codes);
    let mut spec = TrainSpec::new(model);
    spec.batch_size = Some(100);
    spec.lr = Some(1e-3);
    spec
}

/// For each code, the share of its `n` samples nearest to its most frequent ring mode, and
/// that mode.
fn code_modes(net: &Network, n: usize) -> Vec<(f64, usize)> {
    let modes = Toy::Ring8.modes();
    let mut rng = Rng::new(3);
    (0..8u32)
        .map(|code| {
            let (x, _) = net.sample(n, &mut rng, 1.0, Some(code)).unwrap();
            let points = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let mut counts = [0usize; 8];
            for p in points.chunks_exact(2) {
                let d = |m: &[f32; 2]| (p[0] - m[0]).powi(2) + (p[1] - m[1]).powi(2);
                let nearest = (0..8)
                    .min_by(|&a, &b| d(&modes[a]).total_cmp(&d(&modes[b])))
                    .unwrap();
                counts[nearest] += 1;
            }
            let (mode, &top) = counts.iter().enumerate().max_by_key(|(_, &c)| c).unwrap();
            (top as f64 / n as f64, mode)
        })
        .collect()
}

#[test]
fn an_infogan_on_the_unlabelled_ring_learns_codes_that_pick_modes() {
    let data = Dataset::toy(Toy::Ring8, 4000, &mut Rng::new(0)).unwrap();
    assert!(data.info.class_names.is_empty(), "the ring has no labels");
    let mut s = infogan_spec(8).start(&data.info, &Device::Cpu).unwrap();
    let names: Vec<String> = s
        .network()
        .named_tensors()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(names.contains(&"discriminator.info_head.weight".to_string()));
    assert!(!names.iter().any(|n| n.contains("class_embedding")));
    assert!(s.network().config().summary().contains("8 InfoGAN codes"));

    // At first the guess is chance: the cross-entropy of a uniform guess over 8 is ln 8.
    let first = s.train_steps(&data, 1).unwrap();
    let chance = 8f32.ln();
    assert!(
        (first.get("info_loss").unwrap() - chance).abs() < 0.3,
        "{}",
        first.line()
    );
    s.train_steps(&data, 1500).unwrap();
    let last = s.train_steps(&data, 100).unwrap();
    assert!(last.first_non_finite().is_none(), "{}", last.line());
    assert!(
        last.get("info_loss").unwrap() < 0.25 * chance,
        "{}",
        last.line()
    );

    // Each code draws mostly one mode, and different codes different modes (by chance a
    // code's most frequent mode would hold about a fifth of its samples).
    let per_code = code_modes(s.network(), 200);
    let purity = per_code.iter().map(|(p, _)| p).sum::<f64>() / 8.0;
    let mut distinct: Vec<usize> = per_code.iter().map(|&(_, m)| m).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(purity > 0.6, "{per_code:?}");
    assert!(distinct.len() >= 5, "{per_code:?}");

    // The code head is a checkpointed parameter like any other.
    let info = s.train_info("cpu", String::new(), 0.0);
    let bytes = s.to_bytes(&info, SaveOptions::default()).unwrap();
    let loaded = checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap();
    assert_eq!(code_modes(&loaded.network, 200), per_code);
    let card = loaded.network.capabilities(&loaded.data);
    assert!(card.info_codes && card.num_classes == Some(8));
    // The discriminator judges points without a label (the page's heat map).
    let points = Tensor::from_vec(vec![1f32, 0.0, 0.0, 0.0], (2, 2), &Device::Cpu).unwrap();
    let p = loaded.network.discriminate(&points, None).unwrap();
    assert_eq!(p.dims(), [2]);
}

#[test]
fn infogan_codes_are_refused_where_they_do_not_apply() {
    let data = Dataset::toy(Toy::Ring8, 200, &mut Rng::new(0)).unwrap();
    let refusal = |spec: TrainSpec| {
        spec.start(&data.info, &Device::Cpu)
            .err()
            .expect("refused")
            .to_string()
    };
    let mut vae = infogan_spec(8);
    vae.model.kind = ModelKind::Vae;
    assert!(refusal(vae).contains("for unconditional GANs"));
    let mut packed = infogan_spec(8);
    packed.model.pack = Some(2);
    assert!(refusal(packed).contains("takes no packing"));
    assert!(refusal(infogan_spec(0)).contains("must be > 0"));

    let mnist = latentlab::data::DataInfo {
        class_names: (0..10).map(|k| k.to_string()).collect(),
        ..data.info.clone()
    };
    let mut conditional = infogan_spec(8);
    conditional.model.conditional = true;
    let e = conditional
        .start(&mnist, &Device::Cpu)
        .err()
        .expect("refused");
    assert!(e.to_string().contains("for unconditional GANs"), "{e}");
}
