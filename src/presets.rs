//! The model menu of a front end: named presets (a kind plus the options that make a named
//! variant, such as β-VAE or the conditional VAE) and the Train view's starting recipe for a
//! preset on a dataset. The page asks the wasm for these instead of keeping its own lists.

use serde::Serialize;

use crate::config::{Arch, ModelKind};
use crate::data::{catalog, Toy};
use crate::spec::ModelSpec;
use crate::{Error, Result};

/// One entry of the model menu.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preset {
    pub id: &'static str,
    pub label: &'static str,
    /// The model choices the preset fixes; the form fills in the rest.
    pub spec: ModelSpec,
    /// Has no form for 2-D points.
    pub images_only: bool,
    /// The optional form fields that apply: `beta`, `pack`.
    pub fields: Vec<&'static str>,
    /// A sentence for the form's hint, and one more for 2-D data.
    pub note: Option<&'static str>,
    pub points_note: Option<&'static str>,
}

/// The presets, in menu order.
pub fn presets() -> Vec<Preset> {
    let preset = |id, label, spec: ModelSpec| Preset {
        id,
        label,
        spec,
        images_only: false,
        fields: Vec::new(),
        note: None,
        points_note: None,
    };
    let mut cvae = ModelSpec::new(ModelKind::Vae);
    cvae.conditional = true;
    vec![
        Preset {
            note: Some(
                "An autoencoder has no prior: its “samples” decode N(0, I) codes it was never \
                 trained to use.",
            ),
            ..preset(
                "autoencoder",
                "Autoencoder",
                ModelSpec::new(ModelKind::Autoencoder),
            )
        },
        preset("vae", "VAE", ModelSpec::new(ModelKind::Vae)),
        Preset {
            fields: vec!["beta"],
            ..preset("beta-vae", "β-VAE", ModelSpec::new(ModelKind::Vae))
        },
        Preset {
            images_only: true,
            ..preset("cvae", "Conditional VAE", cvae)
        },
        Preset {
            fields: vec!["pack"],
            points_note: Some(
                "Pack > 1 is PacGAN: the discriminator judges packs of samples, which fights \
                 mode collapse.",
            ),
            ..preset("gan", "GAN", ModelSpec::new(ModelKind::Gan))
        },
        Preset {
            images_only: true,
            ..preset("vaegan", "VAE-GAN", ModelSpec::new(ModelKind::VaeGan))
        },
    ]
}

/// The model each trainer widget (`www/widgets/`) trains, by element name; the widget adds its
/// own options (PacGAN packing, latent size, β) to it.
pub fn widget_trainers() -> Vec<(&'static str, ModelSpec)> {
    let mlp = |kind| ModelSpec {
        arch: Some(Arch::Mlp),
        ..ModelSpec::new(kind)
    };
    vec![
        ("latent-lab-gan-trainer", mlp(ModelKind::Gan)),
        ("latent-lab-vae-trainer", mlp(ModelKind::Vae)),
    ]
}

/// The preset a menu falls back to on `dataset` when the chosen one does not apply there.
pub fn fallback_preset(dataset: &str) -> &'static str {
    if dataset.parse::<Toy>().is_ok() {
        "gan"
    } else {
        "vae"
    }
}

/// Where the Train view starts for a preset, a dataset and a backbone. Smaller than the
/// native defaults ([`crate::spec::TrainSpec`]): a browser trains one thread at a time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ViewRecipe {
    pub lr: f64,
    pub batch_size: usize,
    pub preview_every: usize,
    pub pack: usize,
}

/// The Train view's recipe: DCGAN's lr 2e-4 for adversarial image models, else 1e-3 (2-D
/// GANs too: PacGAN's 1e-4 learns too slowly to watch); batch 16 for convolutional models
/// (a DCGAN step takes 0.5–2 s in wasm), 100 for 2-D points, else 64; PacGAN packing 2 for
/// 2-D GANs.
pub fn view_recipe(preset: &str, dataset: &str, arch: Arch) -> Result<ViewRecipe> {
    let p = presets()
        .into_iter()
        .find(|p| p.id == preset)
        .ok_or_else(|| {
            Error::Argument(format!(
                "unknown preset {preset:?} (known: {})",
                presets()
                    .iter()
                    .map(|p| p.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let entry = catalog()
        .into_iter()
        .find(|d| d.name == dataset)
        .ok_or_else(|| Error::Data(format!("unknown dataset {dataset:?}")))?;
    let points = entry.kind == "points";
    let adversarial = matches!(p.spec.kind, ModelKind::Gan | ModelKind::VaeGan);
    let conv = arch == Arch::Conv;
    Ok(ViewRecipe {
        lr: if adversarial && !points { 2e-4 } else { 1e-3 },
        batch_size: if conv {
            16
        } else if points {
            100
        } else {
            64
        },
        preview_every: if conv {
            5
        } else if points {
            100
        } else {
            50
        },
        pack: if points && p.spec.kind == ModelKind::Gan {
            2
        } else {
            1
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipes_follow_the_data_and_the_backbone() {
        let r = view_recipe("gan", "ring8", Arch::Mlp).unwrap();
        assert_eq!((r.lr, r.batch_size, r.pack), (1e-3, 100, 2));
        let r = view_recipe("vaegan", "mnist", Arch::Conv).unwrap();
        assert_eq!((r.lr, r.batch_size, r.preview_every), (2e-4, 16, 5));
        assert!(view_recipe("nope", "mnist", Arch::Mlp).is_err());
        assert_eq!(fallback_preset("spiral"), "gan");
    }
}
