//! Hostile variants of a valid checkpoint, shared by the native bad-input test
//! (`tests/bad_inputs.rs`) and the wasm one (`tests/wasm.rs`): crafted lies that must be
//! refused with a named reason, and seeded truncations and bit flips that must never panic.
#![allow(dead_code)] // each test binary uses a different subset

use latentlab::rng::Rng;
use serde_json::{json, Value};

/// The JSON header and the tensor data of a `.safetensors` file.
fn split(bytes: &[u8]) -> (Value, &[u8]) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    (
        serde_json::from_slice(&bytes[8..8 + n]).unwrap(),
        &bytes[8 + n..],
    )
}

fn join(header: &Value, data: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(header).unwrap();
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend(json);
    out.extend(data);
    out
}

/// `bytes` with its JSON header rewritten by `f`; the tensor data is kept as it is.
pub fn rewrite_header(bytes: &[u8], f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let (mut header, data) = split(bytes);
    f(&mut header);
    join(&header, data)
}

/// `bytes` with the JSON metadata entry `key` (`latentlab.model`, `latentlab.data`, …)
/// rewritten by `f`.
pub fn rewrite_metadata(bytes: &[u8], key: &str, f: impl FnOnce(&mut Value)) -> Vec<u8> {
    rewrite_header(bytes, |h| {
        let entry = &mut h["__metadata__"][key];
        let mut v: Value = serde_json::from_str(entry.as_str().unwrap()).unwrap();
        f(&mut v);
        *entry = Value::String(v.to_string());
    })
}

/// The first tensor by name, and its data's byte offset in the file.
fn first_tensor(bytes: &[u8]) -> (String, String, usize) {
    let (header, data) = split(bytes);
    let start = bytes.len() - data.len();
    let (name, t) = header
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "__metadata__")
        .min_by_key(|(k, _)| k.to_string())
        .unwrap();
    let offset = t["data_offsets"][0].as_u64().unwrap() as usize;
    (
        name.clone(),
        t["dtype"].as_str().unwrap().to_string(),
        start + offset,
    )
}

/// `bytes` (with f32 tensors) with the first value of the first tensor replaced by `value`.
fn with_first_value(bytes: &[u8], value: f32) -> Vec<u8> {
    let (name, dtype, at) = first_tensor(bytes);
    assert_eq!(dtype, "F32", "{name}");
    let mut out = bytes.to_vec();
    out[at..at + 4].copy_from_slice(&value.to_le_bytes());
    out
}

/// A crafted bad file, and a piece of the error it must give.
pub struct Crafted {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub needle: &'static str,
}

/// Lies a valid (unconditional MLP VAE, f32) checkpoint can be made to tell; each must fail to load.
pub fn crafted(valid: &[u8]) -> Vec<Crafted> {
    let (first, _, _) = first_tensor(valid);
    let model = |f: fn(&mut Value)| rewrite_metadata(valid, "latentlab.model", f);
    let tensor = |f: &dyn Fn(&mut Value)| rewrite_header(valid, |h| f(&mut h[first.as_str()]));
    let huge_shape = |v: &mut Value| v["sample_shape"] = json!([1, 100000, 100000]);
    let mut header_len_max = valid.to_vec();
    header_len_max[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    let mut header_len_past_end = valid.to_vec();
    header_len_past_end[..8].copy_from_slice(&(valid.len() as u64).to_le_bytes());
    let case = |name, bytes, needle| Crafted {
        name,
        bytes,
        needle,
    };
    vec![
        case("empty file", Vec::new(), "0 bytes"),
        case(
            "not safetensors",
            b"definitely not safetensors".to_vec(),
            "header too large",
        ),
        case("header length 2^64-1", header_len_max, "header too large"),
        case(
            "header length past the end",
            header_len_past_end,
            "invalid header length",
        ),
        case(
            "a tensor declared 100000×100000",
            tensor(&|t| t["shape"] = json!([100000, 100000])),
            // 4·10¹⁰ bytes: past the file's end natively, past wasm32's usize.
            if cfg!(target_pointer_width = "64") {
                "invalid shape, data type, or offset"
            } else {
                "overflow computing buffer size"
            },
        ),
        case(
            "a tensor's data past the end",
            tensor(&|t| t["data_offsets"] = json!([0, u32::MAX])),
            "invalid shape, data type, or offset",
        ),
        case(
            "i32 tensor",
            tensor(&|t| t["dtype"] = json!("I32")),
            "f32, f16 or bf16",
        ),
        case(
            "u32 tensor",
            tensor(&|t| t["dtype"] = json!("U32")),
            "f32, f16 or bf16",
        ),
        case(
            "sample shape 100000×100000",
            rewrite_metadata(
                &rewrite_metadata(valid, "latentlab.model", huge_shape),
                "latentlab.data",
                huge_shape,
            ),
            "memory limit",
        ),
        case(
            "hidden width 2^31",
            model(|v| v["backbone"]["hidden"] = json!([1u64 << 31])),
            "memory limit",
        ),
        case(
            "config says a 20-D latent, tensors 2",
            model(|v| v["latent_dim"] = json!(20)),
            "shape",
        ),
        case(
            "config says hidden 33, tensors 32",
            model(|v| v["backbone"]["hidden"] = json!([33])),
            "shape",
        ),
        case(
            "model and data shapes disagree",
            model(|v| v["sample_shape"] = json!([1, 28, 32])),
            "contradicts",
        ),
        case(
            "config says 10 classes, tensors none",
            model(|v| v["num_classes"] = json!(10)),
            "shape",
        ),
        case(
            "config says autoencoder, tensors a VAE",
            model(|v| v["kind"] = json!("autoencoder")),
            "unexpected tensor",
        ),
        case(
            "negative latent size",
            model(|v| v["latent_dim"] = json!(-1)),
            "malformed",
        ),
        case(
            "fractional latent size",
            model(|v| v["latent_dim"] = json!(2.5)),
            "malformed",
        ),
        case("negative beta", model(|v| v["beta"] = json!(-1.0)), "beta"),
        case(
            "model metadata not JSON",
            rewrite_header(valid, |h| h["__metadata__"]["latentlab.model"] = json!("{")),
            "malformed",
        ),
        case(
            "model metadata missing",
            rewrite_header(valid, |h| {
                h["__metadata__"]
                    .as_object_mut()
                    .unwrap()
                    .remove("latentlab.model");
            }),
            "missing",
        ),
        case(
            "a NaN weight",
            with_first_value(valid, f32::NAN),
            "not finite",
        ),
        case(
            "an infinite weight",
            with_first_value(valid, f32::INFINITY),
            "not finite",
        ),
        case(
            "value range [5, -5]",
            rewrite_metadata(valid, "latentlab.data", |v| {
                v["value_range"] = json!([5.0, -5.0])
            }),
            "value range",
        ),
        case(
            "2^64-1 training steps",
            rewrite_metadata(valid, "latentlab.train", |v| v["steps"] = json!(u64::MAX)),
            "beyond",
        ),
        case(
            "a data position past the data",
            rewrite_metadata(valid, "latentlab.train", |v| {
                v["batcher"]["pos"] = json!(4_294_967_290u64)
            }),
            "past its 60000 samples",
        ),
        case(
            "a negative wall time",
            rewrite_metadata(valid, "latentlab.train", |v| v["wall_s"] = json!(-1.0)),
            "wall time is -1",
        ),
        case(
            "a loss history past the run's steps",
            rewrite_metadata(valid, "latentlab.train", |v| {
                let step = v["steps"].as_u64().unwrap() + 1;
                v["history"] = json!({"width": 1, "points": [
                    {"step": step, "steps": 1, "means": [["loss", 1.0, 1]]}
                ]})
            }),
            "loss history is wrong",
        ),
        case(
            "an all-zero RNG state",
            rewrite_metadata(valid, "latentlab.train", |v| {
                v["rng"]["s"] = json!([0, 0, 0, 0])
            }),
            "never reaches",
        ),
    ]
}

/// Seeded damage: truncations at the header's edges and at random lengths, single bit flips
/// (mostly in the header, where they change meaning) and random byte bursts. Some of these
/// still load (a flipped mantissa bit is a valid weight); none may panic.
pub fn mutated(valid: &[u8], seed: u64, flips: usize) -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng::new(seed);
    let header_end = 8 + u64::from_le_bytes(valid[..8].try_into().unwrap()) as usize;
    let mut out = Vec::new();
    let mut cuts = vec![0, 1, 7, 8, 9, header_end - 1, header_end, header_end + 1];
    cuts.push(valid.len() - 1);
    cuts.extend((0..30).map(|_| rng.below(valid.len())));
    for n in cuts {
        out.push((format!("truncated to {n} bytes"), valid[..n].to_vec()));
    }
    for i in 0..flips {
        // Four in five in the header.
        let at = if i % 5 == 4 {
            rng.below(valid.len())
        } else {
            rng.below(header_end)
        };
        let bit = rng.below(8);
        let mut b = valid.to_vec();
        b[at] ^= 1 << bit;
        out.push((format!("bit {bit} of byte {at} flipped"), b));
    }
    for _ in 0..flips / 10 {
        let at = rng.below(valid.len());
        let len = (1 + rng.below(16)).min(valid.len() - at);
        let mut b = valid.to_vec();
        for x in &mut b[at..at + len] {
            *x = rng.below(256) as u8;
        }
        out.push((format!("{len} random bytes at {at}"), b));
    }
    out
}
