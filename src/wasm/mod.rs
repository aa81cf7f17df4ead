//! The JavaScript boundary: thin `#[wasm_bindgen]` shells over the library. Every fallible
//! call returns `Result<_, JsError>` (a JS exception with the library's message), so bad input
//! never panics and the module stays usable after an error.

mod args;
mod catalog;
mod model;
mod threads;
mod trainer;

use serde::Serialize;
use wasm_bindgen::prelude::*;

pub use catalog::{catalog, idx_images, latent_grid_points};
pub use model::LatentModel;
#[cfg(feature = "threads")]
pub use threads::init_thread_pool;
pub use threads::thread_count;
pub use trainer::LatentTrainer;

use crate::checkpoint::{Metadata, TrainInfo};
use crate::data::{DataInfo, Dataset, Toy};
use crate::Network;
use args::{size, text, whole};

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// What this build can do: `{simd, relaxed_simd, threads, thread_count, version}`
/// (`relaxed_simd`: its products use relaxed-simd's fused multiply-add; `threads`: built with
/// atomics and shared memory; `thread_count`: rayon's pool size, see `threadCount`).
#[wasm_bindgen]
pub fn capabilities() -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct Caps {
        simd: bool,
        relaxed_simd: bool,
        threads: bool,
        thread_count: usize,
        version: &'static str,
    }
    Ok(serde_wasm_bindgen::to_value(&Caps {
        simd: cfg!(target_feature = "simd128"),
        relaxed_simd: crate::kernels::simd128::FUSED,
        threads: cfg!(target_feature = "atomics"),
        thread_count: threads::thread_count(),
        version: env!("CARGO_PKG_VERSION"),
    })?)
}

/// Sets the memory limit (bytes) past which a model, batch or request is refused with an
/// error before anything is allocated; the default is 1 GiB.
#[wasm_bindgen(js_name = setMemoryLimit)]
pub fn set_memory_limit(bytes: f64) -> Result<(), JsError> {
    if !(bytes.is_finite() && bytes >= 1.0) {
        return Err(JsError::new(&format!(
            "the memory limit must be a positive number of bytes, got {bytes}"
        )));
    }
    Ok(crate::budget::set_limit(bytes as u64)?)
}

/// Data-space images (`n × C×H×W` values in `[0, 1]`) → RGBA bytes for `ImageData`.
#[wasm_bindgen(js_name = imagesToRgba)]
pub fn images_to_rgba(
    values: &[f32],
    channels: f64,
    height: f64,
    width: f64,
) -> Result<Vec<u8>, JsError> {
    let shape = [
        size(channels, "channels", 1)?,
        size(height, "height", 1)?,
        size(width, "width", 1)?,
    ];
    Ok(crate::image::images_to_rgba(values, &shape)?)
}

/// `count` points of a 2-D toy mixture (`ring8`, `grid25`, `spiral`) for a run seeded `seed`,
/// flattened `[x0, y0, …]`: the first points of the set `LatentTrainer.setToy` (and the CLI)
/// train on for the same seed.
#[wasm_bindgen(js_name = toyPoints)]
pub fn toy_points(
    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    count: f64,
    seed: f64,
) -> Result<Vec<f32>, JsError> {
    let toy: Toy = text(&name, "the toy set's name")?.parse()?;
    let count = size(count, "count", 1)?;
    let seed = whole(seed, "seed", 0, args::MAX_SAFE_INTEGER)?;
    Ok(Dataset::toy_for_run(toy, Some(count), seed)?.x)
}

/// The model description both wasm classes return from `info()`, as a JSON string: the
/// checkpoint metadata, the network's `ModelCard`, its summary and parameter count.
fn describe(net: &Network, data: &DataInfo, train: Option<&TrainInfo>) -> Result<String, JsError> {
    let meta = Metadata {
        format: crate::checkpoint::FORMAT_VERSION.to_string(),
        model: net.config().clone(),
        data: data.clone(),
        train: train.cloned(),
        tensors: net
            .named_tensors()
            .into_iter()
            .map(|(n, t)| (n, "f32".to_string(), t.dims().to_vec()))
            .collect(),
        without_discriminator: net.is_without_discriminator(),
    };
    let mut v = serde_json::to_value(&meta)?;
    // The capabilities (kind, has_encoder, is_image, view_bounds, …) at the top level.
    if let serde_json::Value::Object(card) = serde_json::to_value(net.capabilities(data))? {
        for (key, value) in card {
            v[key.as_str()] = value;
        }
    }
    v["summary"] = net.config().summary().into();
    v["parameters"] = meta.parameter_count().into();
    Ok(serde_json::to_string(&v)?)
}

/// `n` data-space samples from `seed`, flattened.
fn sample_values(
    net: &Network,
    n: f64,
    seed: f64,
    temperature: f32,
    class: Option<f64>,
) -> Result<Vec<f32>, JsError> {
    let n = size(n, "n", 0)?;
    let mut rng = crate::rng::Rng::new(whole(seed, "seed", 0, u32::MAX.into())?);
    let (x, _) = net.sample(n, &mut rng, temperature, args::class(class)?)?;
    Ok(x.flatten_all()?.to_vec1()?)
}

/// `Date.now()` as an RFC 3339 timestamp for checkpoints written in the browser.
fn now_rfc3339() -> String {
    crate::checkpoint::rfc3339((js_sys::Date::now() / 1000.0) as u64)
}
