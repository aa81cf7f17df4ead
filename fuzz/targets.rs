//! The fuzzed entry points, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`) and the
//! native replay of the committed corpus (`tests/fuzz_corpus.rs`): each takes arbitrary bytes
//! and may return an error, never panic. Requests are held to a 256 MiB memory limit.
#![allow(dead_code)] // each fuzz target calls one of these

use candle::Device;
use latentlab::checkpoint;
use latentlab::data::{idx, Dataset};
use latentlab::latent::InterpolationMode;
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::{ModelConfig, Network};

/// The model the argument target calls (a conditional conv GAN, 6-D latent, 10 classes).
const CGAN: &[u8] = include_bytes!("../tests/fixtures/tiny-cgan-conv.safetensors");

fn small_limit() {
    latentlab::budget::set_limit(256 << 20).expect("a positive limit");
}

/// Checkpoint bytes → network; what loads is sampled from.
pub fn checkpoint(data: &[u8]) {
    small_limit();
    let _ = checkpoint::read_metadata(data);
    if let Ok(c) = checkpoint::from_bytes(data, &Device::Cpu) {
        let class = c.network.config().num_classes().map(|_| 0);
        let _ = c.network.sample(2, &mut Rng::new(0), 1.0, class);
    }
}

/// IDX bytes: one array; then, after a first byte saying where to cut, an image file and a
/// label file.
pub fn idx(data: &[u8]) {
    small_limit();
    let _ = idx::parse(data, "fuzz");
    if let Some((&cut, rest)) = data.split_first() {
        let (images, labels) = rest.split_at((cut as usize).min(rest.len()));
        let _ = Dataset::from_idx("fuzz", images, labels);
    }
}

/// JSON text as a model config (validated, checked, built when it fits) and as the spec a
/// trainer starts from (what the page's `LatentTrainer` takes).
pub fn model_config(data: &[u8]) {
    small_limit();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cfg) = serde_json::from_str::<ModelConfig>(text) {
        if cfg.validate().is_ok() && latentlab::budget::check_model(&cfg).is_ok() {
            let _ = Network::new(cfg, &Device::Cpu, &mut Rng::new(0));
        }
    }
    if let Ok(spec) = serde_json::from_str::<TrainSpec>(text) {
        let points = Dataset::toy(latentlab::data::Toy::Ring8, 64, &mut Rng::new(0));
        if let Ok(points) = points {
            if let Ok(mut s) = spec.start(&points.info, &Device::Cpu) {
                let _ = s.train_steps(&points, 1);
            }
        }
    }
}

/// Reads little-endian fields off the front of the fuzz input.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        let n = self.0.len().min(4);
        b[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        u32::from_le_bytes(b)
    }
    /// Mostly small (< 64); with the top bit set, the raw 31-bit value (for the budgets).
    fn count(&mut self) -> usize {
        let v = self.u32();
        if v >> 31 == 1 {
            (v & 0x7fff_ffff) as usize
        } else {
            v as usize % 64
        }
    }
    fn f32(&mut self) -> f32 {
        f32::from_bits(self.u32())
    }
    fn floats(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.f32()).collect()
    }
}

/// The arguments the wasm shells pass on (counts, temperatures, classes, endpoints, modes,
/// grids, pixel arrays and shapes), drawn from the bytes, against a real model.
pub fn api_args(data: &[u8]) {
    small_limit();
    let net = checkpoint::from_bytes(CGAN, &Device::Cpu)
        .expect("the fixture loads")
        .network;
    let mut f = Fields(data);
    let (n, class, t) = (f.count(), f.u32() % 12, f.f32());
    let _ = net.sample(n, &mut Rng::new(0), t, Some(class));
    let l = f.u32() as usize % 16;
    let (a, b) = (f.floats(l), f.floats(6));
    let mode = match f.u32() % 3 {
        0 => "lerp",
        1 => "slerp",
        _ => "zigzag",
    };
    if let Ok(mode) = mode.parse::<InterpolationMode>() {
        let _ = net.interpolate(&a, &b, f.count(), mode, Some(class));
    }
    let _ = net.latent_grid(f.count(), f.f32(), Some(class));
    let shape = [f.u32() as usize % 5, f.u32() as usize, f.u32() as usize];
    let len = f.u32() as usize % 8192;
    let pixels = f.floats(len);
    let _ = latentlab::image::images_to_rgba(&pixels, &shape);
    if let Ok(x) = net.batch_from_slice(&pixels) {
        let labels: Vec<u32> = (0..x.dim(0).unwrap_or(0)).map(|_| f.u32()).collect();
        let _ = net.discriminate(&x, Some(&labels));
    }
    let _ = Dataset::from_points("fuzz", pixels);
}
