//! The checkpoint format: round trips in every dtype, and a clear error for every bad file.

mod common;

use std::collections::HashMap;

use candle::{DType, Device, Tensor};
use latentlab::checkpoint::{self, FORMAT_VERSION};
use latentlab::config::ModelKind;
use latentlab::data::DataInfo;
use latentlab::rng::Rng;
use latentlab::train::Session;
use latentlab::{Error, Network};

fn info() -> DataInfo {
    common::mnist_info(false)
}

fn tiny() -> Network {
    Network::new(common::tiny_vae(3, None), &Device::Cpu, &mut Rng::new(5)).unwrap()
}

fn samples(net: &Network) -> Vec<f32> {
    let (x, _) = net.sample(4, &mut Rng::new(9), 1.0, None).unwrap();
    x.flatten_all().unwrap().to_vec1().unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn err(bytes: &[u8]) -> String {
    match checkpoint::from_bytes(bytes, &Device::Cpu) {
        Ok(_) => panic!("loaded a bad checkpoint"),
        Err(e) => e.to_string(),
    }
}

/// A file with the given metadata and tensors, written with the safetensors crate directly.
fn craft(meta: HashMap<String, String>, tensors: Vec<(String, Tensor)>) -> Vec<u8> {
    safetensors::serialize(tensors, Some(meta)).unwrap()
}

fn valid_meta(net: &Network) -> HashMap<String, String> {
    HashMap::from([
        ("latentlab.format".to_string(), FORMAT_VERSION.to_string()),
        (
            "latentlab.model".to_string(),
            serde_json::to_string(net.config()).unwrap(),
        ),
        (
            "latentlab.data".to_string(),
            serde_json::to_string(&info()).unwrap(),
        ),
    ])
}

#[test]
fn round_trip_f32_is_exact_and_f16_bf16_are_close() {
    let net = tiny();
    let want = samples(&net);
    for (dtype, tol) in [(DType::F32, 0.0), (DType::F16, 2e-3), (DType::BF16, 2e-2)] {
        let bytes = checkpoint::to_bytes(&net, &info(), None, &[], dtype).unwrap();
        let ck = checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap();
        assert_eq!(ck.stored_dtype, dtype);
        assert_eq!(ck.network.config(), net.config());
        assert_eq!(ck.data, info());
        let d = max_diff(&samples(&ck.network), &want);
        assert!(d <= tol, "{dtype:?}: samples differ by {d}");
    }
    let f32_len = checkpoint::to_bytes(&net, &info(), None, &[], DType::F32)
        .unwrap()
        .len();
    let f16_len = checkpoint::to_bytes(&net, &info(), None, &[], DType::F16)
        .unwrap()
        .len();
    assert!(f16_len < f32_len * 6 / 10, "f16 {f16_len} vs f32 {f32_len}");
}

#[test]
fn metadata_describes_the_file() {
    let net = tiny();
    let bytes = checkpoint::to_bytes(&net, &info(), None, &[], DType::F16).unwrap();
    let meta = checkpoint::read_metadata(&bytes).unwrap();
    assert_eq!(meta.model.kind(), ModelKind::Vae);
    assert_eq!(meta.parameter_count(), net.parameter_count());
    assert!(meta
        .tensors
        .iter()
        .any(|(n, d, s)| n == "encoder.mu.weight" && d == "f16" && s == &[3, 64]));
}

#[test]
fn not_a_safetensors_file_or_truncated() {
    assert!(err(b"hello, I am a PNG").contains("not a safetensors file"));
    assert!(err(&[]).contains("not a safetensors file"));
    let bytes = checkpoint::to_bytes(&tiny(), &info(), None, &[], DType::F32).unwrap();
    for cut in [4, 100, bytes.len() / 2, bytes.len() - 1] {
        let e = err(&bytes[..cut]);
        assert!(e.contains("truncated"), "cut at {cut}: {e}");
    }
}

#[test]
fn foreign_or_future_files_are_refused_by_name() {
    let net = tiny();
    let tensors = net.named_tensors();
    let plain = craft(HashMap::new(), tensors.clone());
    assert!(err(&plain).contains("not a Latent Lab checkpoint"));

    let mut meta = valid_meta(&net);
    meta.insert("latentlab.format".into(), "2".into());
    assert!(err(&craft(meta, tensors.clone())).contains("format version \"2\" is not supported"));

    let mut meta = valid_meta(&net);
    meta.remove("latentlab.model");
    assert!(err(&craft(meta, tensors.clone())).contains("`latentlab.model` is missing"));

    let mut meta = valid_meta(&net);
    meta.insert(
        "latentlab.model".into(),
        "{\"kind\": \"vae\", \"oops\": ".into(),
    );
    assert!(err(&craft(meta, tensors.clone())).contains("malformed"));

    let mut meta = valid_meta(&net);
    meta.insert(
        "latentlab.model".into(),
        meta["latentlab.model"].replace("\"latent_dim\":3", "\"latent_dim\":0"),
    );
    assert!(err(&craft(meta, tensors)).contains("latent_dim must be > 0"));
}

#[test]
fn missing_wrong_shape_and_extra_tensors_are_named() {
    let net = tiny();
    let mut tensors = net.named_tensors();
    tensors.retain(|(n, _)| n != "decoder.fc1.bias");
    assert!(err(&craft(valid_meta(&net), tensors)).contains("missing tensor `decoder.fc1.bias`"));

    let mut tensors = net.named_tensors();
    for (n, t) in tensors.iter_mut() {
        if n == "encoder.mu.weight" {
            *t = Tensor::zeros((4, 64), DType::F32, &Device::Cpu).unwrap();
        }
    }
    let e = err(&craft(valid_meta(&net), tensors));
    assert!(
        e.contains("`encoder.mu.weight` has shape [4, 64], the model needs [3, 64]"),
        "{e}"
    );

    let mut tensors = net.named_tensors();
    tensors.push((
        "generator.fc0.weight".into(),
        Tensor::zeros(2, DType::F32, &Device::Cpu).unwrap(),
    ));
    assert!(
        err(&craft(valid_meta(&net), tensors)).contains("unexpected tensor `generator.fc0.weight`")
    );

    let mut tensors = net.named_tensors();
    tensors[0].1 = tensors[0].1.to_dtype(DType::U8).unwrap();
    assert!(err(&craft(valid_meta(&net), tensors)).contains("checkpoints hold f32, f16 or bf16"));
}

#[test]
fn asking_for_another_kind_is_an_error() {
    let bytes = checkpoint::to_bytes(&tiny(), &info(), None, &[], DType::F32).unwrap();
    let e = checkpoint::from_bytes_of_kind(&bytes, ModelKind::Gan, &Device::Cpu)
        .err()
        .unwrap();
    assert!(matches!(e, Error::Checkpoint(_)));
    assert_eq!(
        e.to_string(),
        "checkpoint: expected a gan checkpoint, this one holds a vae"
    );
    assert!(checkpoint::from_bytes_of_kind(&bytes, ModelKind::Vae, &Device::Cpu).is_ok());
}

#[test]
fn what_the_loader_would_refuse_is_not_written() {
    // A weight past f16's 65504 would be stored as inf, which the loader refuses: the save
    // refuses it instead, naming the tensor; bf16 (f32's range) and f32 keep it.
    let net = tiny();
    let (name, var) = net.vars_with_prefix(&["decoder."]).remove(0);
    let t = var.as_tensor();
    let mut v = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    v[0] = 1e6;
    var.set(&Tensor::from_vec(v, t.dims(), &Device::Cpu).unwrap())
        .unwrap();
    let e = checkpoint::to_bytes(&net, &info(), None, &[], DType::F16)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("`{name}`")) && e.contains("beyond f16's range"),
        "{e}"
    );
    for dtype in [DType::BF16, DType::F32] {
        let bytes = checkpoint::to_bytes(&net, &info(), None, &[], dtype).unwrap();
        checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap();
    }
    // A training record with a NaN wall time (JSON would write it as null) or a negative one.
    let data = common::mnist(latentlab::data::Split::Train, 32);
    let train = latentlab::config::TrainConfig {
        batch_size: 16,
        ..Default::default()
    };
    let mut s = Session::new(
        common::tiny_vae(3, None),
        train,
        data.info.clone(),
        &Device::Cpu,
    )
    .unwrap();
    s.train_steps(&data, 1).unwrap();
    for wall_s in [f64::NAN, f64::INFINITY, -1.0] {
        let info = s.train_info("cpu", String::new(), wall_s);
        let e = s
            .to_bytes(&info, Default::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("wall time"), "{wall_s}: {e}");
    }
    let info = s.train_info("cpu", String::new(), 1.0);
    Session::from_checkpoint(
        checkpoint::from_bytes(
            &s.to_bytes(&info, Default::default()).unwrap(),
            &Device::Cpu,
        )
        .unwrap(),
    )
    .unwrap();
}

#[test]
fn an_untrained_export_cannot_be_resumed() {
    let bytes = checkpoint::to_bytes(&tiny(), &info(), None, &[], DType::F32).unwrap();
    let e = Session::from_checkpoint(checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap())
        .err()
        .unwrap();
    assert!(e.to_string().contains("no `latentlab.train` record"));
}

#[test]
fn atomic_save_replaces_the_file_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let bytes = checkpoint::to_bytes(&tiny(), &info(), None, &[], DType::F32).unwrap();
    std::fs::write(&path, b"old").unwrap();
    checkpoint::save_file(&path, &bytes).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let e =
        checkpoint::save_file(dir.path().join("no/such/dir/m.safetensors"), &bytes).unwrap_err();
    assert!(e.to_string().contains("no/such/dir"));
    let e = checkpoint::load_file(dir.path().join("absent.safetensors"), &Device::Cpu)
        .err()
        .unwrap();
    assert!(e.to_string().contains("absent.safetensors"));
}

/// `latentlab export --without-discriminator`: a GAN file without its discriminator samples
/// exactly as the full one, is smaller, says what it lacks, and refuses to judge or train.
#[test]
fn a_gan_exported_without_its_discriminator_samples_the_same_and_refuses_to_judge_or_train() {
    let full_bytes = common::shipped("cdcgan-mnist");
    let full = checkpoint::from_bytes(&full_bytes, &Device::Cpu).unwrap();
    let mut lean = checkpoint::from_bytes(&full_bytes, &Device::Cpu).unwrap();
    lean.network.drop_discriminator().unwrap();
    let bytes = checkpoint::to_bytes(
        &lean.network,
        &lean.data,
        lean.train.as_ref(),
        &[],
        DType::F16,
    )
    .unwrap();
    assert!(
        bytes.len() * 100 < full_bytes.len() * 85,
        "{} vs {}",
        bytes.len(),
        full_bytes.len()
    );
    let meta = checkpoint::read_metadata(&bytes).unwrap();
    assert!(meta.without_discriminator);
    assert!(meta
        .tensors
        .iter()
        .all(|(n, _, _)| n.starts_with("generator.")));
    let loaded = checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap();
    let draw = |net: &latentlab::Network| {
        let (x, _) = net.sample(20, &mut Rng::new(4), 1.0, None).unwrap();
        x.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    };
    assert_eq!(draw(&loaded.network), draw(&full.network));
    assert!(!loaded.network.capabilities(&loaded.data).has_discriminator);
    assert!(full.network.capabilities(&full.data).has_discriminator);
    let x = Tensor::zeros((2, 1, 28, 28), DType::F32, &Device::Cpu).unwrap();
    let e = loaded.network.discriminate(&x, Some(&[1, 2])).unwrap_err();
    assert!(e.to_string().contains("without its discriminator"), "{e}");
    let e = Session::from_checkpoint(loaded).err().unwrap().to_string();
    assert!(e.contains("cannot be trained"), "{e}");

    // The mark and the tensors must agree, and the mark must be one we know.
    let retag = |from: &str, to: Option<&str>, bytes: &[u8]| {
        let st = safetensors::SafeTensors::deserialize(bytes).unwrap();
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes).unwrap();
        let mut meta = header.metadata().clone().unwrap();
        assert!(from.is_empty() || meta.remove(from).is_some());
        if let Some(v) = to {
            meta.insert("latentlab.without".into(), v.into());
        }
        let views: Vec<(String, safetensors::tensor::TensorView)> = st.tensors();
        safetensors::serialize(views, Some(meta)).unwrap()
    };
    let unmarked = retag("latentlab.without", None, &bytes);
    let e = checkpoint::from_bytes(&unmarked, &Device::Cpu)
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("missing tensor `discriminator."),
        "{e}"
    );
    let marked_full = retag("", Some("discriminator"), &full_bytes);
    let e = checkpoint::from_bytes(&marked_full, &Device::Cpu)
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("unexpected tensor `discriminator."),
        "{e}"
    );
    let odd = retag("", Some("encoder"), &bytes);
    let e = checkpoint::from_bytes(&odd, &Device::Cpu).err().unwrap();
    assert!(e.to_string().contains("only \"discriminator\""), "{e}");
    let mut vae =
        checkpoint::from_bytes(&common::shipped("vae-mnist-conv16"), &Device::Cpu).unwrap();
    assert!(vae.network.drop_discriminator().is_err());
}

/// Optimizer state the loader would take for unknown model tensors (a name outside `optim.`)
/// or refuse (an integer tensor) is refused when saving, not written into a file that then
/// fails to load; well-named state round-trips.
#[test]
fn misnamed_optimizer_tensors_are_refused_when_saving() {
    let net = tiny();
    let moment = Tensor::zeros(3, DType::F32, &Device::Cpu).unwrap();
    for (name, t) in [
        ("adam.m.w", moment.clone()),
        (
            "optim.t",
            Tensor::zeros(1, DType::U32, &Device::Cpu).unwrap(),
        ),
    ] {
        let e = checkpoint::to_bytes(&net, &info(), None, &[(name.into(), t)], DType::F32)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("optimizer tensor `{name}`")),
            "{name}: {e}"
        );
    }
    let ok = [("optim.model.m.w".to_string(), moment)];
    let bytes = checkpoint::to_bytes(&net, &info(), None, &ok, DType::F32).unwrap();
    let ck = checkpoint::from_bytes(&bytes, &Device::Cpu).unwrap();
    assert_eq!(ck.optimizer.len(), 1);
}
