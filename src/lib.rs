//! # Latent Lab
//!
//! Generative models — autoencoder, VAE and β-VAE, GAN (DCGAN, PacGAN), VAE-GAN, and their
//! class-conditional forms — written once on [Candle](https://github.com/huggingface/candle).
//! The same code trains natively (CPU, or CUDA with the `cuda` feature) and runs in the
//! browser as WebAssembly; both read and write one self-describing `.safetensors` checkpoint
//! ([`checkpoint`]).
//!
//! Load a checkpoint and sample from it (`candle` is the `candle-core` crate):
//!
//! ```
//! use latentlab::{checkpoint, rng::Rng};
//! let ckpt = checkpoint::load_file("www/weights/vae-mnist-2d.safetensors", &candle::Device::Cpu)?;
//! let (images, z) = ckpt.network.sample(16, &mut Rng::new(0), 1.0, None)?;
//! assert_eq!((images.dims(), z.dims()), (&[16, 1, 28, 28][..], &[16, 2][..]));
//! # Ok::<(), latentlab::Error>(())
//! ```
//!
//! Train one and save it: a [`spec::TrainSpec`] (the model and the recipe) starts a
//! [`train::Session`] on a data set; `latentlab train` runs the same loop with logging,
//! periodic checkpoints and exact resume (and calls [`prepare_native_process`] first).
//!
//! ```
//! use latentlab::checkpoint::{self, SaveOptions};
//! use latentlab::data::{Dataset, Toy};
//! use latentlab::spec::{ModelSpec, TrainSpec};
//! use latentlab::ModelKind;
//! let device = candle::Device::Cpu;
//! let spec = TrainSpec::new(ModelSpec::new(ModelKind::Vae));
//! let data = Dataset::toy_for_run(Toy::Ring8, Some(1000), spec.seed)?;
//! let mut run = spec.start(&data.info, &device)?;
//! let means = run.train_steps(&data, 20)?; // the steps' mean metrics: loss, recon, kl, elbo, …
//! assert!(means.get("loss").is_some_and(f32::is_finite));
//! let info = run.train_info("cpu", checkpoint::rfc3339(0), 0.0);
//! let bytes = run.to_bytes(&info, SaveOptions::default())?; // checkpoint::save_file(path, &bytes)
//! assert_eq!(checkpoint::from_bytes(&bytes, &device)?.train.map(|t| t.steps), Some(20));
//! # Ok::<(), latentlab::Error>(())
//! ```

pub mod budget;
pub mod checkpoint;
pub mod config;
pub mod data;
mod error;
pub mod eval;
pub mod image;
pub mod kernels;
pub mod latent;
pub mod losses;
pub mod metrics;
pub mod models;
pub mod presets;
pub mod rng;
pub mod spec;
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use config::{ModelConfig, ModelKind, TrainConfig};
pub use error::{Error, Result};
pub use models::Network;
pub use spec::ModelSpec;

/// Process-wide settings for native training; programs that train (our CLI and benchmarks)
/// call this first thing, before any other thread starts.
///
/// - Training allocates and frees the same large tensors every step. glibc serves blocks above
///   its mmap threshold with fresh mappings, so each step pays for page faults and zeroing in
///   the kernel (three quarters of the CPU time of a native training run, measured). Raising
///   the threshold and the trim limit keeps those blocks in the heap for reuse.
/// - Our kernels ([`kernels`]) run on rayon's pool. Candle's own elementwise ops have a second
///   pool whose threads spin while waiting; with both pools on the same cores the spinning
///   took a third of a training step (measured with perf). Candle's pool gets one thread
///   (`CANDLE_NUM_THREADS=1`) unless the variable is already set.
#[cfg(not(target_arch = "wasm32"))]
pub fn prepare_native_process() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
}
