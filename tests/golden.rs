//! Pins what the fixture checkpoints generate for fixed seeds. `tests/wasm.rs` compares the
//! WebAssembly build against the same file, so native and wasm agree through it.
//! Regenerate (after an intended change) with `LATENTLAB_BLESS=1 cargo test --test golden`.

mod common;

use candle::Device;
use latentlab::checkpoint;
use latentlab::latent::Rng;
use serde_json::{json, Value};

/// (fixture, n, seed, temperature, class)
const CASES: [(&str, usize, u64, f32, Option<u32>); 3] = [
    ("tiny-vae-mlp", 4, 3, 1.0, None),
    // The same VAE with a 4-component code prior (`latentlab export --fit-prior 4 --seed 2`).
    ("tiny-vae-prior", 4, 3, 0.7, None),
    ("tiny-cgan-conv", 3, 5, 0.8, Some(7)),
];

fn compute() -> Value {
    let mut out = serde_json::Map::new();
    for (name, n, seed, temperature, class) in CASES {
        let path = common::repo().join(format!("tests/fixtures/{name}.safetensors"));
        let ck = checkpoint::load_file(&path, &Device::Cpu).unwrap();
        let (x, _) = ck
            .network
            .sample(n, &mut Rng::new(seed), temperature, class)
            .unwrap();
        let values = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        out.insert(
            name.into(),
            json!({"n": n, "seed": seed, "temperature": temperature, "class": class, "values": values}),
        );
    }
    Value::Object(out)
}

#[test]
fn fixture_samples_match_the_pinned_values() {
    let path = common::repo().join("tests/fixtures/golden.json");
    let got = compute();
    if std::env::var_os("LATENTLAB_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string(&got).unwrap()).unwrap();
    }
    let want: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for (name, ..) in CASES {
        let (g, w) = (&got[name]["values"], &want[name]["values"]);
        let (g, w) = (g.as_array().unwrap(), w.as_array().unwrap());
        assert_eq!(g.len(), w.len(), "{name}");
        for (a, b) in g.iter().zip(w) {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() < 1e-6, "{name}: {a} vs pinned {b}");
        }
    }
}
