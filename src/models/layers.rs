//! Building blocks shared by every model: a feature [`Encoder`] (data → flat features), a
//! [`Decoder`] (vector → data-shaped output), and seeded weight initialization.

use candle::{Module, Tensor, D};
use candle_nn::{
    Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig, Linear, VarBuilder, VarMap,
};

use crate::config::{Activation, Arch, Backbone, WeightInit};
use crate::latent::Rng;
use crate::Result;

/// All convolutions are 4×4, stride 2, padding 1 (DCGAN): H → H/2 and back.
const KERNEL: usize = 4;

fn down_config() -> Conv2dConfig {
    Conv2dConfig {
        padding: 1,
        stride: 2,
        ..Default::default()
    }
}

fn up_config() -> ConvTranspose2dConfig {
    ConvTranspose2dConfig {
        padding: 1,
        stride: 2,
        ..Default::default()
    }
}

/// Applies a hidden-layer nonlinearity.
pub fn activate(x: &Tensor, act: Activation) -> Result<Tensor> {
    Ok(match act {
        Activation::Relu => x.relu()?,
        Activation::Tanh => x.tanh()?,
        Activation::LeakyRelu => candle_nn::ops::leaky_relu(x, 0.2)?,
    })
}

/// Concatenates a one-hot label block to a `[B, F]` feature matrix, when there is one.
///
/// # Shapes
/// - `h`: `[B, F]`, `labels`: `[B, K]` → `[B, F + K]`
pub fn with_labels(h: &Tensor, labels: Option<&Tensor>) -> Result<Tensor> {
    Ok(match labels {
        Some(y) => Tensor::cat(&[h, y], D::Minus1)?,
        None => h.clone(),
    })
}

enum EncoderLayers {
    Mlp(Vec<Linear>),
    Conv(Conv2d, Conv2d),
}

/// Data → flat features, ending in the activation (heads are added by each model).
pub struct Encoder {
    layers: EncoderLayers,
    act: Activation,
    out_dim: usize,
}

impl Encoder {
    /// An encoder for samples of `input_shape` (`[D]` or `[C, H, W]`).
    pub fn new(input_shape: &[usize], backbone: &Backbone, vb: VarBuilder) -> Result<Self> {
        let (layers, out_dim) = match backbone.arch {
            Arch::Mlp => {
                let mut dim: usize = input_shape.iter().product();
                let mut layers = Vec::with_capacity(backbone.hidden.len());
                for (i, &h) in backbone.hidden.iter().enumerate() {
                    layers.push(candle_nn::linear(dim, h, vb.pp(format!("fc{i}")))?);
                    dim = h;
                }
                (EncoderLayers::Mlp(layers), dim)
            }
            Arch::Conv => {
                let (c, h, w) = (input_shape[0], input_shape[1], input_shape[2]);
                let (c1, c2) = (backbone.hidden[0], backbone.hidden[1]);
                let conv0 = candle_nn::conv2d(c, c1, KERNEL, down_config(), vb.pp("conv0"))?;
                let conv1 = candle_nn::conv2d(c1, c2, KERNEL, down_config(), vb.pp("conv1"))?;
                (EncoderLayers::Conv(conv0, conv1), c2 * (h / 4) * (w / 4))
            }
        };
        Ok(Self {
            layers,
            act: backbone.activation,
            out_dim,
        })
    }

    /// Width of the feature vector.
    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// # Shapes
    /// - `x`: `[B, *input_shape]` → `[B, out_dim]`
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match &self.layers {
            EncoderLayers::Mlp(layers) => {
                let mut h = x.flatten_from(1)?; // [B, D]
                for l in layers {
                    h = activate(&l.forward(&h)?, self.act)?;
                }
                Ok(h)
            }
            EncoderLayers::Conv(conv0, conv1) => {
                let h = activate(&conv0.forward(x)?, self.act)?; // [B, c1, H/2, W/2]
                let h = activate(&conv1.forward(&h)?, self.act)?; // [B, c2, H/4, W/4]
                Ok(h.flatten_from(1)?)
            }
        }
    }
}

enum DecoderLayers {
    Mlp(Vec<Linear>),
    Conv {
        fc: Linear,
        deconv0: ConvTranspose2d,
        deconv1: ConvTranspose2d,
        c2: usize,
    },
}

/// Vector → data-shaped output, without the output nonlinearity (logits, mean or pre-tanh).
/// Mirrors [`Encoder`]: the backbone's widths are read in reverse.
pub struct Decoder {
    layers: DecoderLayers,
    act: Activation,
    output_shape: Vec<usize>,
}

impl Decoder {
    pub fn new(
        in_dim: usize,
        output_shape: &[usize],
        backbone: &Backbone,
        vb: VarBuilder,
    ) -> Result<Self> {
        let layers = match backbone.arch {
            Arch::Mlp => {
                let out: usize = output_shape.iter().product();
                let mut dims = vec![in_dim];
                dims.extend(backbone.hidden.iter().rev());
                dims.push(out);
                let layers = dims
                    .windows(2)
                    .enumerate()
                    .map(|(i, w)| candle_nn::linear(w[0], w[1], vb.pp(format!("fc{i}"))))
                    .collect::<candle::Result<Vec<_>>>()?;
                DecoderLayers::Mlp(layers)
            }
            Arch::Conv => {
                let (c, h, w) = (output_shape[0], output_shape[1], output_shape[2]);
                let (c1, c2) = (backbone.hidden[0], backbone.hidden[1]);
                DecoderLayers::Conv {
                    fc: candle_nn::linear(in_dim, c2 * (h / 4) * (w / 4), vb.pp("fc"))?,
                    deconv0: candle_nn::conv_transpose2d(
                        c2,
                        c1,
                        KERNEL,
                        up_config(),
                        vb.pp("deconv0"),
                    )?,
                    deconv1: candle_nn::conv_transpose2d(
                        c1,
                        c,
                        KERNEL,
                        up_config(),
                        vb.pp("deconv1"),
                    )?,
                    c2,
                }
            }
        };
        Ok(Self {
            layers,
            act: backbone.activation,
            output_shape: output_shape.to_vec(),
        })
    }

    /// # Shapes
    /// - `z`: `[B, in_dim]` → `[B, *output_shape]`
    pub fn forward(&self, z: &Tensor) -> Result<Tensor> {
        let b = z.dim(0)?;
        let mut out_shape = vec![b];
        out_shape.extend(&self.output_shape);
        match &self.layers {
            DecoderLayers::Mlp(layers) => {
                let mut h = z.clone();
                for (i, l) in layers.iter().enumerate() {
                    h = l.forward(&h)?;
                    if i + 1 < layers.len() {
                        h = activate(&h, self.act)?;
                    }
                }
                Ok(h.reshape(out_shape)?)
            }
            DecoderLayers::Conv {
                fc,
                deconv0,
                deconv1,
                c2,
            } => {
                let (hh, ww) = (self.output_shape[1] / 4, self.output_shape[2] / 4);
                let h = activate(&fc.forward(z)?, self.act)?.reshape((b, *c2, hh, ww))?; // [B, c2, H/4, W/4]
                let h = activate(&deconv0.forward(&h)?, self.act)?; // [B, c1, H/2, W/2]
                Ok(deconv1.forward(&h)?) // [B, C, H, W]
            }
        }
    }
}

/// Re-draws every variable in `varmap` from `rng`, in name order (so the result depends on
/// the seed alone): biases 0; weights per `init`, with PyTorch's fan-in
/// (`shape[1] · kernel area`, which for a transposed convolution's `[in, out, k, k]` weight
/// is `out · k²`, as PyTorch computes it).
pub fn init_weights(varmap: &VarMap, init: WeightInit, rng: &mut Rng) -> Result<()> {
    let data = varmap.data().lock().expect("varmap lock poisoned");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let dims = var.dims().to_vec();
        let n: usize = dims.iter().product();
        let values = if name.ends_with("bias") || dims.len() < 2 {
            vec![0f32; n]
        } else {
            match init {
                WeightInit::Uniform => {
                    let fan_in: usize = dims[1..].iter().product();
                    let bound = 1.0 / (fan_in as f32).sqrt();
                    rng.uniform_vec(n, -bound, bound)
                }
                WeightInit::Dcgan => rng.normal_vec(n).into_iter().map(|x| 0.02 * x).collect(),
            }
        };
        var.set(&Tensor::from_vec(values, dims, var.device())?)?;
    }
    Ok(())
}
