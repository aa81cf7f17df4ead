//! The model menu of a front end: named presets (a kind plus the options that make a named
//! variant, such as β-VAE or the conditional VAE) and the Train view's starting recipe for a
//! preset on a dataset. The page asks the wasm for these instead of keeping its own lists.

use serde::Serialize;

use crate::config::{Arch, ModelKind};
use crate::data::{catalog, Toy};
use crate::spec::{ModelSpec, TrainSpec};
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
                 mode collapse. Two hidden layers of 256 train about four times faster here \
                 than the paper's networks (clear the field for them: G 4×400, D 3×200).",
            ),
            ..preset("gan", "GAN", ModelSpec::new(ModelKind::Gan))
        },
        Preset {
            images_only: true,
            ..preset("vaegan", "VAE-GAN", ModelSpec::new(ModelKind::VaeGan))
        },
    ]
}

/// Hidden widths of both networks of the 2-D GANs a tab trains (see [`view_recipe`]).
const POINTS_GAN_HIDDEN: [usize; 2] = [256, 256];

/// The model each trainer widget (`www/widgets/`) trains, by element name; the widget adds its
/// own options (PacGAN packing, latent size, β) to it. The 2-D GAN has the Train view's two
/// hidden layers of 256 in each network ([`view_recipe`]): the paper's G 4×400 / D 3×200 at
/// the widget's lr 1e-3 jumped between 0 and 7 modes with under 20 % high quality.
pub fn widget_trainers() -> Vec<(&'static str, ModelSpec)> {
    let mlp = |kind| ModelSpec {
        arch: Some(Arch::Mlp),
        ..ModelSpec::new(kind)
    };
    vec![
        (
            "latent-lab-gan-trainer",
            ModelSpec {
                hidden: Some(POINTS_GAN_HIDDEN.to_vec()),
                ..mlp(ModelKind::Gan)
            },
        ),
        ("latent-lab-vae-trainer", mlp(ModelKind::Vae)),
    ]
}

/// The preset a menu proposes for `dataset` when it is chosen, and falls back to there when
/// the chosen one does not apply: a GAN (PacGAN-packed, see [`view_recipe`]) for the 2-D
/// mixtures, whose modes are what the paper metric counts (a VAE with a Gaussian decoder
/// blurs them into one cloud), a VAE for images.
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
    /// Hidden widths of both networks (the spec's `hidden`); `None`: the library's default.
    pub hidden: Option<Vec<usize>>,
    /// BatchNorm after the generator's hidden layers (the spec's `batch_norm`).
    pub batch_norm: bool,
    /// BatchNorm after the discriminator's hidden layers (`d_batch_norm`).
    pub d_batch_norm: bool,
    /// A sentence for the form's hint on where the recipe comes from, if it departs from the
    /// kind's defaults.
    pub note: Option<&'static str>,
}

/// The Train view's recipe, chosen for what a tab shows in its first minutes (natively measured
/// with the same flags and the steps the page makes in that time):
/// - 2-D points: a GAN with PacGAN packing 2, lr 1e-3 (PacGAN's 1e-4 learns too slowly to
///   watch), batch 100, two hidden layers of 256 in each network instead of PacGAN's G 4×400 /
///   D 3×200 (a quarter of the arithmetic a step; on ring-8, 23 of 24 seeds cover ≥ 7 modes at
///   step 1500 with `--hidden 256,256 --pack 2 --lr 1e-3 --batch-size 100`). The paper's
///   networks stay the CLI's default.
/// - The DCGAN: Radford et al.'s layout (BatchNorm in both networks, batch 64) at 32-64
///   channels and lr 1e-3: 1000 steps took the page 174 s (a 2-core Xeon; 78 s on a 2-core
///   EPYC on 2026-12-05), after which its samples score a
///   LeNet Fréchet distance of 170 and 190 (seeds 1, 2; 61 and 57 % labelled with confidence
///   ≥ 0.9), where 64-128 channels at lr 2e-4 make 400 steps in that time and 396 (42 %).
///   At batch 16 without BatchNorm it collapsed within 90 s while the discriminator won. The
///   CLI's `--arch conv --hidden 32,64 --batch-norm --d-batch-norm --batch-size 64 --lr 1e-3`
///   trains the same.
/// - The convolutional VAE-GAN: 16-32 channels, lr 2e-3, batch 64 (Adam β₁ 0.5 as DCGAN).
///   Natively at 2000 steps (`--arch conv --hidden 16,32 --batch-size 64 --seed 1`, Fréchet on
///   2000 samples, floor 16.4): lr 2e-4 (the previous recipe) 362, 1e-3 184, 2e-3 130 (seed 2:
///   159), 4e-3 119; 32-64 channels at 1e-3 186 for 2.3× the time; BatchNorm in all three
///   networks 600, γ 0.1 296 and γ 10 515 at 2e-4.
/// - Other adversarial image models lr 2e-4, the rest 1e-3; batch 16 for other convolutional
///   models, else 64. Batch 16 was chosen when a conv step took 0.2–1 s in wasm (since our
///   kernels the page's convolutional VAE makes one in 8 ms on 2 threads, the DCGAN in 55 ms);
///   it still trains further in equal time: natively, 3000 steps at batch 16 (11 s) score
///   −ELBO 106.9 and Fréchet 261, 1150 at batch 64 (13 s) 108.6 and 321 (`--model vae --arch
///   conv --seed 1`; `eval --k 1 --test-size 1000 --samples 2000`).
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
    let default = ViewRecipe {
        lr: if adversarial && !points { 2e-4 } else { 1e-3 },
        batch_size: match (conv, points) {
            (true, _) => 16,
            (false, true) => 100,
            (false, false) => 64,
        },
        preview_every: match (conv, points) {
            (true, _) => 5,
            (false, true) => 100,
            (false, false) => 50,
        },
        pack: 1,
        hidden: None,
        batch_norm: false,
        d_batch_norm: false,
        note: None,
    };
    Ok(match (p.spec.kind, points, arch) {
        (ModelKind::Gan, true, _) => ViewRecipe {
            lr: 1e-3,
            pack: 2,
            hidden: Some(POINTS_GAN_HIDDEN.to_vec()),
            ..default
        },
        (ModelKind::Gan, false, Arch::Conv) => ViewRecipe {
            lr: 1e-3,
            batch_size: 64,
            hidden: Some(vec![32, 64]),
            batch_norm: true,
            d_batch_norm: true,
            note: Some(
                "This recipe is Radford et al.'s DCGAN layout: BatchNorm in both networks, batch \
                 64; at 32-64 channels and lr 1e-3, for samples worth a look within minutes.",
            ),
            ..default
        },
        (ModelKind::VaeGan, false, Arch::Conv) => ViewRecipe {
            lr: 2e-3,
            batch_size: 64,
            hidden: Some(vec![16, 32]),
            note: Some(
                "This recipe trains the VAE-GAN at 16-32 channels and lr 2e-3, batch 64: ten \
                 times DCGAN's rate of 2e-4 made far better MNIST samples in the same steps.",
            ),
            ..default
        },
        _ => default,
    })
}

/// What a browser tab's trainer accepts, each `[min, max]` inclusive: it trains on one
/// thread in a memory budget of its own (`budget::BROWSER_LIMIT`), so widths, depth and batch
/// are capped where one step of the largest still fits and finishes in seconds. The wasm
/// trainer refuses a spec outside them ([`ViewLimits::check`]) and the page's form fields take
/// their limits from here (the catalog's `limits`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ViewLimits {
    pub latent_dim: [usize; 2],
    /// Each hidden width (MLP units or conv channels).
    pub hidden_width: [usize; 2],
    /// How many hidden widths an MLP lists (a conv backbone takes exactly two).
    pub hidden_layers: [usize; 2],
    pub pack: [usize; 2],
    /// InfoGAN codes (a spec's `info_codes`; the form does not offer them yet).
    pub info_codes: [usize; 2],
    pub batch_size: [usize; 2],
    pub beta: [f64; 2],
    /// The learning rate must be above the first and at most the second.
    pub lr: [f64; 2],
    /// The run seed is a u32 in the browser.
    pub seed: [u64; 2],
}

/// The browser's limits (see [`ViewLimits`]).
pub const VIEW_LIMITS: ViewLimits = ViewLimits {
    latent_dim: [1, 512],
    hidden_width: [1, 4096],
    hidden_layers: [1, 4],
    pack: [1, 8],
    info_codes: [1, 512],
    batch_size: [1, 1024],
    beta: [0.0, 1000.0],
    lr: [0.0, 1.0],
    seed: [0, u32::MAX as u64],
};

impl ViewLimits {
    /// An error for a learning rate outside the limits (a spec's, or one set during a run).
    pub fn check_lr(&self, lr: f64) -> Result<()> {
        let [lo, hi] = self.lr;
        if !(lr > lo && lr <= hi) {
            return Err(Error::Config(format!(
                "learning rate must be a number above {lo} and at most {hi}, got {lr}"
            )));
        }
        Ok(())
    }

    /// An error naming the first choice of `spec` outside the limits and the limit itself.
    pub fn check(&self, spec: &TrainSpec) -> Result<()> {
        let whole = |what: &str, v: usize, [lo, hi]: [usize; 2]| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "{what} must be a whole number from {lo} to {hi}, got {v}"
                )))
            }
        };
        let m = &spec.model;
        if let Some(l) = m.latent_dim {
            whole("latent dim", l, self.latent_dim)?;
        }
        if let Some(h) = &m.hidden {
            whole("the number of hidden widths", h.len(), self.hidden_layers)?;
            for &w in h {
                whole("each hidden width", w, self.hidden_width)?;
            }
        }
        if let Some(p) = m.pack {
            whole("pack", p, self.pack)?;
        }
        if let Some(k) = m.info_codes {
            whole("InfoGAN codes", k, self.info_codes)?;
        }
        if let Some(b) = spec.batch_size {
            whole("batch size", b, self.batch_size)?;
        }
        if let Some(b) = m.beta {
            let [lo, hi] = self.beta;
            if !(b >= lo && b <= hi) {
                return Err(Error::Config(format!(
                    "β must be a number from {lo} to {hi}, got {b}"
                )));
            }
        }
        if let Some(lr) = spec.lr {
            self.check_lr(lr)?;
        }
        let [lo, hi] = self.seed;
        if !(lo..=hi).contains(&spec.seed) {
            return Err(Error::Config(format!(
                "seed must be a whole number from {lo} to {hi}, got {}",
                spec.seed
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipes_follow_the_data_and_the_backbone() {
        let r = view_recipe("gan", "ring8", Arch::Mlp).unwrap();
        assert_eq!((r.lr, r.batch_size, r.pack), (1e-3, 100, 2));
        assert_eq!(r.hidden, Some(vec![256, 256]));
        assert!(!r.batch_norm && !r.d_batch_norm);
        let r = view_recipe("vaegan", "mnist", Arch::Conv).unwrap();
        assert_eq!((r.lr, r.batch_size, r.preview_every), (2e-3, 64, 5));
        assert_eq!(r.hidden, Some(vec![16, 32]));
        assert!(r.note.unwrap().contains("lr 2e-3"));
        let r = view_recipe("vaegan", "mnist", Arch::Mlp).unwrap();
        assert_eq!(
            (r.lr, r.batch_size, r.hidden, r.note),
            (2e-4, 64, None, None)
        );
        let r = view_recipe("vae", "mnist", Arch::Conv).unwrap();
        assert_eq!((r.lr, r.batch_size, r.note), (1e-3, 16, None));
        let r = view_recipe("vae", "ring8", Arch::Mlp).unwrap();
        assert_eq!(
            (r.lr, r.batch_size, r.preview_every, r.pack),
            (1e-3, 100, 100, 1)
        );
        let r = view_recipe("gan", "mnist", Arch::Conv).unwrap();
        assert_eq!(
            (r.lr, r.batch_size, r.batch_norm, r.d_batch_norm),
            (1e-3, 64, true, true)
        );
        assert_eq!(r.hidden, Some(vec![32, 64]));
        assert_eq!(view_recipe("gan", "mnist", Arch::Mlp).unwrap().hidden, None);
        assert!(!view_recipe("gan", "mnist", Arch::Mlp).unwrap().batch_norm);
        assert!(view_recipe("nope", "mnist", Arch::Mlp).is_err());
        assert_eq!(fallback_preset("spiral"), "gan");
        let (_, gan_widget) = widget_trainers()
            .into_iter()
            .find(|(name, _)| *name == "latent-lab-gan-trainer")
            .unwrap();
        assert_eq!(gan_widget.hidden, Some(vec![256, 256]));
    }

    #[test]
    fn view_limits_name_the_limit_that_is_broken() {
        let mut spec = TrainSpec::new(ModelSpec::new(ModelKind::Vae));
        assert!(VIEW_LIMITS.check(&spec).is_ok());
        spec.model.hidden = Some(vec![4096; 4]);
        spec.batch_size = Some(1024);
        assert!(
            VIEW_LIMITS.check(&spec).is_ok(),
            "the largest allowed config"
        );
        let refused = |edit: &dyn Fn(&mut TrainSpec)| {
            let mut s = spec.clone();
            edit(&mut s);
            VIEW_LIMITS.check(&s).unwrap_err().to_string()
        };
        let e = refused(&|s| s.model.hidden = Some(vec![99_999_999]));
        assert!(e.contains("from 1 to 4096, got 99999999"), "{e}");
        let e = refused(&|s| s.model.hidden = Some(vec![8; 5]));
        assert!(e.contains("from 1 to 4, got 5"), "{e}");
        let e = refused(&|s| s.batch_size = Some(0));
        assert!(
            e.contains("batch size must be a whole number from 1 to 1024, got 0"),
            "{e}"
        );
        let e = refused(&|s| s.model.latent_dim = Some(100_000));
        assert!(e.contains("from 1 to 512"), "{e}");
        let e = refused(&|s| s.model.pack = Some(100));
        assert!(e.contains("from 1 to 8"), "{e}");
        let e = refused(&|s| s.model.info_codes = Some(100_000));
        assert!(
            e.contains("InfoGAN codes must be a whole number from 1 to 512"),
            "{e}"
        );
        let e = refused(&|s| s.model.beta = Some(-1.0));
        assert!(
            e.contains("β must be a number from 0 to 1000, got -1"),
            "{e}"
        );
        let e = refused(&|s| s.model.beta = Some(f64::NAN));
        assert!(e.contains("β must be"), "{e}");
        let e = refused(&|s| s.lr = Some(0.0));
        assert!(e.contains("above 0 and at most 1"), "{e}");
        let e = refused(&|s| s.seed = 1 << 32);
        assert!(e.contains("from 0 to 4294967295, got 4294967296"), "{e}");
    }
}
