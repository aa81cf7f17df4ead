//! What the native benchmarks share: one fixed batch of data and a session built on it
//! through the public API only (TrainSpec → Session), so they time whatever the library does.

use candle::Device;

use latentlab::data::Dataset;
use latentlab::rng::Rng;
use latentlab::spec::TrainSpec;
use latentlab::train::Session;

/// `n` MNIST-shaped images of uniform noise (benches/README.md's fixed input batch), labelled 0.
pub fn noise_images(n: usize) -> latentlab::Result<Dataset> {
    let mut rng = Rng::new(0);
    let pixels: Vec<u8> = (0..n * 784)
        .map(|_| (rng.uniform() * 255.0) as u8)
        .collect();
    let idx = |dims: &[usize], data: &[u8]| latentlab::data::idx::write(dims, data);
    Dataset::from_idx(
        "noise",
        &idx(&[n, 28, 28], &pixels),
        &idx(&[n], &vec![0; n]),
    )
}

/// A fresh CPU session for `spec`, shaped for `data`'s samples, built as the CLI builds one.
pub fn session(spec: &TrainSpec, data: &Dataset) -> latentlab::Result<Session> {
    let cfg = spec.model.build(&data.info)?;
    Session::new(cfg, spec.train_config(), data.info.clone(), &Device::Cpu)
}
