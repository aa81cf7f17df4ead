//! Every checkpoint shipped in `www/weights/` still loads into today's code, is listed in the
//! manifest the page reads, and generates sane samples (the failure Burn's issue #1190 shows
//! when this test is missing).

mod common;

use candle::{DType, Device};
use latentlab::checkpoint;
use latentlab::config::ModelKind;
use latentlab::data::{Dataset, Split, IMAGE_DATASETS};
use latentlab::eval::features;
use latentlab::latent::Rng;

#[test]
fn every_shipped_checkpoint_loads_samples_and_is_in_the_manifest() {
    let dir = common::repo().join("www/weights");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let listed: Vec<String> = manifest["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["file"].as_str().unwrap().to_string())
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".safetensors"))
        .collect();
    files.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(files, sorted, "manifest.json and www/weights/ disagree");
    assert!(!files.is_empty());

    for m in manifest["models"].as_array().unwrap() {
        let file = m["file"].as_str().unwrap();
        let path = dir.join(file);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            m["bytes"].as_u64(),
            Some(bytes.len() as u64),
            "{file}: manifest size is stale"
        );
        let ck =
            checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            ck.train.is_some(),
            "{file}: shipped weights record how they were trained"
        );
        assert!(
            ck.optimizer.is_empty(),
            "{file}: shipped weights carry no optimizer state"
        );
        let (x, _) = ck.network.sample(8, &mut Rng::new(0), 1.0, None).unwrap();
        let v = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(
            v.iter().all(|p| p.is_finite()),
            "{file}: non-finite samples"
        );
        if ck.network.config().sample_shape().len() == 3 {
            assert!(
                v.iter().all(|p| (0.0..=1.0).contains(p)),
                "{file}: pixels outside [0, 1]"
            );
            let mean = v.iter().sum::<f32>() / v.len() as f32;
            assert!(
                mean > 0.02 && mean < 0.6,
                "{file}: implausible mean intensity {mean}"
            );
        }
    }
}

/// The page's feature classifiers (`www/weights/classifiers/`, one per image dataset) are
/// `latentlab eval`'s own (`results/lenet-<dataset>.safetensors`) in f16: on the first 2000
/// test images they name the class the f32 file names for all but a handful (none, when this
/// test was written).
#[test]
fn every_image_dataset_has_a_shipped_feature_classifier_that_matches_evals() {
    let dir = common::repo().join("www/weights/classifiers");
    for name in IMAGE_DATASETS {
        let load = |path: std::path::PathBuf| {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            checkpoint::from_bytes_of_kind(&bytes, ModelKind::Classifier, &Device::Cpu)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        let shipped = load(dir.join(format!("lenet-{name}.safetensors")));
        let reference = load(common::repo().join(format!("results/lenet-{name}.safetensors")));
        assert_eq!(shipped.data.name, *name);
        assert!(shipped.optimizer.is_empty(), "{name}: no optimizer state");
        assert_eq!(shipped.stored_dtype, DType::F16, "{name}: shipped in f16");
        let test = Dataset::load(name, Split::Test, &common::repo().join("data"))
            .unwrap_or_else(|e| panic!("{e} (pkg-scripts/test runs fetch-data first)"))
            .first(2000)
            .unwrap();
        let idx: Vec<usize> = (0..test.len()).collect();
        let batch = test
            .batch(&idx, false, &mut Rng::new(0), &Device::Cpu)
            .unwrap();
        let preds =
            |ck: &checkpoint::Checkpoint| features(&ck.network, &batch.x, 500).unwrap().preds;
        let (ours, theirs) = (preds(&shipped), preds(&reference));
        let differ = ours.iter().zip(&theirs).filter(|(a, b)| a != b).count();
        assert!(
            differ <= 4,
            "{name}: {differ} of 2000 labels differ from the f32 classifier's"
        );
    }
}
