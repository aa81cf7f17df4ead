//! `latentlab sample` and `latentlab interpolate`: decoded latents drawn into PNGs.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use latentlab::budget;
use latentlab::checkpoint;
use latentlab::image::{self, Rgba};
use latentlab::latent::InterpolationMode;
use latentlab::rng::Rng;
use latentlab::Network;

use crate::args::device;
use crate::out_paths;

#[derive(clap::Args)]
pub struct SampleArgs {
    file: PathBuf,
    #[arg(long, default_value_t = 64)]
    n: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Class to draw, for a conditional model, counted from 0 (default: cycle through the
    /// classes; a self-conditioned GAN draws its clusters by their share).
    #[arg(long)]
    class: Option<u32>,
    /// The random codes' spread: z ~ N(0, T²·I), or for a model with a fitted code prior
    /// (`export --fit-prior`) each mixture component's standard deviation times T.
    #[arg(long, default_value_t = 1.0)]
    temperature: f32,
    /// cpu, or cuda (cuda:N) in a build with the cuda feature.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// The PNG to write.
    #[arg(long)]
    out: PathBuf,
    /// Also print the samples as JSON (`{"shape": [...], "values": [...]}`).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct InterpolateArgs {
    file: PathBuf,
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// lerp or slerp.
    #[arg(long, default_value = "slerp")]
    mode: InterpolationMode,
    /// Rows of independent endpoint pairs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    rows: u16,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Class to decode the path as, for a conditional model, counted from 0 (default 0).
    #[arg(long)]
    class: Option<u32>,
    /// The endpoints' spread, as `sample --temperature`.
    #[arg(long, default_value_t = 1.0)]
    temperature: f32,
    /// cpu, or cuda (cuda:N) in a build with the cuda feature.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// The PNG to write.
    #[arg(long)]
    out: PathBuf,
}

/// A PNG of data-space samples: a grid for images, a scatter plot for 2-D points.
fn samples_png(net: &Network, values: &[f32], cols: usize) -> Result<Rgba> {
    let shape = net.config().sample_shape();
    if shape.len() == 3 {
        Ok(image::image_grid(values, shape, cols)?)
    } else if shape == [2] {
        let extent = values.iter().fold(1.0f32, |m, v| m.max(v.abs())) * 1.1;
        Ok(image::scatter(&[(values, image::PALETTE[0])], extent, 512))
    } else {
        bail!("cannot draw samples of shape {shape:?}")
    }
}

pub fn sample(a: SampleArgs) -> Result<()> {
    out_paths::check_picture_out(&a.file, &a.out)?;
    let dev = device(&a.device)?;
    let ckpt = checkpoint::load_file(&a.file, &dev)?;
    let net = &ckpt.network;
    let (x, _) = net.sample(a.n, &mut Rng::new(a.seed), a.temperature, a.class)?;
    let values = x.flatten_all()?.to_vec1::<f32>()?;
    // A conditional model cycles through its classes: one class per column (a self-conditioned
    // GAN draws its clusters by share instead, in no order).
    let cols = match (net.config().num_classes(), a.class) {
        (Some(k), None) if net.config().cluster_prior().is_none() => k,
        _ => (a.n as f64).sqrt().ceil() as usize,
    };
    samples_png(net, &values, cols)?.save_png(&a.out)?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({"shape": x.dims(), "values": values})
        );
    } else {
        eprintln!("wrote {}", a.out.display());
    }
    Ok(())
}

pub fn interpolate(a: InterpolateArgs) -> Result<()> {
    out_paths::check_picture_out(&a.file, &a.out)?;
    let ckpt = checkpoint::load_file(&a.file, &device(&a.device)?)?;
    let net = &ckpt.network;
    let latent = net
        .config()
        .latent_dim()
        .context("this model has no latent space to interpolate in")?;
    // Every row's frames are kept for the one PNG: the whole grid must fit, not only a row.
    let frames = usize::from(a.rows).saturating_mul(a.steps);
    let sample_len = net.config().sample_shape().iter().product();
    budget::check_decode("interpolation frames", frames, sample_len, latent)?;
    let mut rng = Rng::new(a.seed);
    let mut values = Vec::new();
    for _ in 0..a.rows {
        // Both ends of the class the path is decoded as.
        let labels = net.fixed_labels(2, a.class)?;
        let z = net.random_codes(2, &mut rng, a.temperature, labels.as_deref())?;
        let z = z.to_vec2::<f32>()?;
        let (z0, z1) = (&z[0], &z[1]);
        let frames = net.interpolate(z0, z1, a.steps, a.mode, a.class)?;
        values.extend(frames.flatten_all()?.to_vec1::<f32>()?);
    }
    samples_png(net, &values, a.steps)?.save_png(&a.out)?;
    eprintln!("wrote {}", a.out.display());
    Ok(())
}
