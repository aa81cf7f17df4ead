//! Self-conditioned GANs (Liu et al. 2020): a GAN conditioned on k-means clusters of its
//! unlabelled training data. On the ring of 8 Gaussians the 8 clusters are the 8 modes, and
//! each cluster's samples land on its own mode; unconditional samples draw the clusters by
//! their shares; the shares travel in the checkpoint, and a resumed run clusters its data
//! again; the option is refused where it does not apply.

use candle::Device;
use latentlab::checkpoint::{self, SaveOptions};
use latentlab::config::ModelKind;
use latentlab::data::{Dataset, Toy};
use latentlab::models::Network;
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::train::Session;
use latentlab::ModelSpec;

fn spec(k: usize) -> TrainSpec {
    let mut model = ModelSpec::new(ModelKind::Gan);
    model.hidden = Some(vec![128, 128]);
    model.cluster_classes = Some(k);
    let mut spec = TrainSpec::new(model);
    spec.batch_size = Some(100);
    spec.lr = Some(1e-3);
    spec.seed = 4;
    spec
}

/// The ring mode nearest to each of `n` samples of `class` (all classes by their shares when
/// `None`).
fn nearest_modes(net: &Network, n: usize, class: Option<u32>) -> Vec<usize> {
    let modes = Toy::Ring8.modes();
    let (x, _) = net.sample(n, &mut Rng::new(3), 1.0, class).unwrap();
    let points = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    points
        .chunks_exact(2)
        .map(|p| {
            let d = |m: &[f32; 2]| (p[0] - m[0]).powi(2) + (p[1] - m[1]).powi(2);
            (0..8)
                .min_by(|&a, &b| d(&modes[a]).total_cmp(&d(&modes[b])))
                .unwrap()
        })
        .collect()
}

#[test]
fn a_gan_on_the_rings_clusters_draws_each_cluster_on_its_own_mode() {
    let raw = Dataset::toy(Toy::Ring8, 4000, &mut Rng::new(0)).unwrap();
    assert!(raw.info.class_names.is_empty(), "the ring has no labels");
    let spec = spec(8);
    let data = spec.prepare_data(raw.clone()).unwrap();
    // k-means finds the modes: 8 clusters of about 500 points (the mixture is uniform).
    let clusters = data.info.clusters.clone().unwrap();
    assert!(
        clusters.sizes.iter().all(|&s| (400..600).contains(&s)),
        "{clusters:?}"
    );
    let mut s = spec.start(&data.info, &Device::Cpu).unwrap();
    let cfg = s.network().config().clone();
    assert!(cfg.summary().contains("8 clusters"), "{}", cfg.summary());
    assert_eq!(cfg.cluster_prior().unwrap(), clusters.shares().as_slice());
    s.train_steps(&data, 1500).unwrap();

    // Each cluster's samples gather on one mode, a different one per cluster.
    let per_cluster: Vec<(usize, f64)> = (0..8u32)
        .map(|c| {
            let m = nearest_modes(s.network(), 200, Some(c));
            let mut counts = [0usize; 8];
            m.iter().for_each(|&i| counts[i] += 1);
            let (mode, &top) = counts.iter().enumerate().max_by_key(|(_, &c)| c).unwrap();
            (mode, top as f64 / 200.0)
        })
        .collect();
    let mut distinct: Vec<usize> = per_cluster.iter().map(|&(m, _)| m).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() >= 7, "{per_cluster:?}");
    assert!(per_cluster.iter().all(|&(_, p)| p > 0.8), "{per_cluster:?}");
    // Without a class, the clusters come in proportion: every mode gets its eighth.
    let all = nearest_modes(s.network(), 800, None);
    for mode in 0..8 {
        let share = all.iter().filter(|&&m| m == mode).count() as f64 / 800.0;
        assert!((0.08..0.17).contains(&share), "mode {mode}: {share}");
    }

    // The shares travel in the checkpoint; a resumed run clusters its data again the same way
    // and refuses the data unclustered.
    let info = s.train_info("cpu", String::new(), 0.0);
    let bytes = s.to_bytes(&info, SaveOptions::default()).unwrap();
    let ckpt = checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap();
    assert_eq!(ckpt.network.config(), &cfg);
    assert_eq!(ckpt.data.clusters.as_ref(), Some(&clusters));
    let card = ckpt.network.capabilities(&ckpt.data);
    assert!(card.clusters && !card.info_codes && card.num_classes == Some(8));
    let again = raw.clone().labelled_like(&ckpt.data).unwrap();
    assert_eq!(again.labels, data.labels);
    let mut resumed = Session::from_checkpoint(ckpt).unwrap();
    let e = resumed.train_steps(&raw, 1).unwrap_err().to_string();
    assert!(e.contains("by 8 k-means clusters"), "{e}");
    resumed.train_steps(&again, 1).unwrap();
}

#[test]
fn cluster_classes_are_refused_where_they_do_not_apply() {
    let raw = Dataset::toy(Toy::Ring8, 300, &mut Rng::new(0)).unwrap();
    let refusal = |spec: TrainSpec, data: &Dataset| {
        spec.start(&data.info, &Device::Cpu)
            .err()
            .expect("refused")
            .to_string()
    };
    // The data must be clustered first, into as many clusters.
    assert!(refusal(spec(8), &raw).contains("clustered into 8 first"));
    let five = spec(5).prepare_data(raw.clone()).unwrap();
    assert!(refusal(spec(8), &five).contains("clustered into 8 first"));
    // GANs only, without labels or codes besides.
    let mut vae = spec(5);
    vae.model.kind = ModelKind::Vae;
    assert!(refusal(vae, &five).contains("for GANs without"));
    let mut info = spec(5);
    info.model.info_codes = Some(5);
    assert!(refusal(info, &five).contains("for GANs without"));
    // More clusters than points, and clustering twice.
    let e = spec(400).prepare_data(raw).unwrap_err().to_string();
    assert!(e.contains("400 clusters asked of 300 samples"), "{e}");
    let e = five.clustered(5, 1).unwrap_err().to_string();
    assert!(e.contains("already clustered"), "{e}");
}
