//! What the page lists and how it reads its data, from the library: the model presets, the
//! datasets, the Train view's recipe, the latent grid and IDX image files.

use std::collections::BTreeMap;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::config::Arch;
use crate::data::{catalog as datasets, DatasetEntry};
use crate::presets::{self, Preset, ViewLimits, ViewRecipe};

use super::args::{idx_dataset, size};

/// JSON `{presets, datasets, fallback: {images, points}, suggested, recipes, limits, trainers}`:
/// the model menu (see `presets::Preset`), every known dataset (`data::DatasetEntry`), the
/// preset a menu falls back to for each kind of data, the preset proposed for each dataset
/// (`{dataset: preset}`), the Train view's starting recipe for every preset, dataset and
/// backbone (`{preset, dataset, arch, recipe: presets::ViewRecipe}`), what the browser's
/// trainer accepts (`presets::ViewLimits`), and the model each trainer widget trains
/// (`{element name: ModelSpec}`).
#[wasm_bindgen]
pub fn catalog() -> Result<String, JsError> {
    #[derive(Serialize)]
    struct Catalog {
        presets: Vec<Preset>,
        datasets: Vec<DatasetEntry>,
        fallback: Fallback,
        suggested: BTreeMap<&'static str, &'static str>,
        recipes: Vec<Recipe>,
        limits: ViewLimits,
        trainers: BTreeMap<&'static str, crate::spec::ModelSpec>,
    }
    #[derive(Serialize)]
    struct Recipe {
        preset: &'static str,
        dataset: &'static str,
        arch: Arch,
        recipe: ViewRecipe,
    }
    #[derive(Serialize)]
    struct Fallback {
        images: &'static str,
        points: &'static str,
    }
    let all = datasets();
    let first = |kind: &str| all.iter().find(|d| d.kind == kind).map_or("", |d| d.name);
    let fallback = Fallback {
        images: presets::fallback_preset(first("images")),
        points: presets::fallback_preset(first("points")),
    };
    let suggested = all
        .iter()
        .map(|d| (d.name, presets::fallback_preset(d.name)))
        .collect();
    let mut recipes = Vec::new();
    for p in presets::presets() {
        for d in &all {
            for arch in [Arch::Mlp, Arch::Conv] {
                recipes.push(Recipe {
                    preset: p.id,
                    dataset: d.name,
                    arch,
                    recipe: presets::view_recipe(p.id, d.name, arch)?,
                });
            }
        }
    }
    Ok(serde_json::to_string(&Catalog {
        presets: presets::presets(),
        datasets: all,
        fallback,
        suggested,
        recipes,
        limits: presets::VIEW_LIMITS,
        trainers: presets::widget_trainers().into_iter().collect(),
    })?)
}

/// The `side × side` latent points `LatentModel.latentGrid` decodes, flattened `[z1, z2, …]`
/// (side ≥ 2, extent > 0).
#[wasm_bindgen(js_name = latentGridPoints)]
pub fn latent_grid_points(side: f64, extent: f32) -> Result<Vec<f32>, JsError> {
    let side = size(side, "side", 0)?;
    crate::budget::check_rows("latent grid points", side, side.saturating_mul(2))?;
    Ok(crate::latent::grid_2d(side, extent)?)
}

/// An IDX image file and its IDX labels (uncompressed), read as `Dataset::from_idx` reads
/// them: `{n, c, h, w, values: Float32Array in [0, 1], labels: Uint32Array}`.
#[wasm_bindgen(js_name = idxImages)]
pub fn idx_images(
    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    images_idx: &[u8],
    labels_idx: &[u8],
) -> Result<JsValue, JsError> {
    let ds = idx_dataset(&name, images_idx, labels_idx)?;
    let shape = &ds.info.sample_shape;
    let out = js_sys::Object::new();
    let set = |key: &str, value: JsValue| {
        js_sys::Reflect::set(&out, &key.into(), &value)
            .map(|_| ())
            .map_err(|_| JsError::new("cannot build the image set object"))
    };
    set("n", ds.len().into())?;
    set("c", shape[0].into())?;
    set("h", shape[1].into())?;
    set("w", shape[2].into())?;
    set("values", js_sys::Float32Array::from(ds.x.as_slice()).into())?;
    let labels = ds.labels.unwrap_or_default();
    set(
        "labels",
        js_sys::Uint32Array::from(labels.as_slice()).into(),
    )?;
    Ok(out.into())
}
