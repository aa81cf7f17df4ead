//! Every checkpoint shipped in `www/weights/` still loads into today's code, is listed in the
//! manifest the page reads, and generates sane samples (the failure Burn's issue #1190 shows
//! when this test is missing).

mod common;

use candle::Device;
use latentlab::checkpoint;
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
