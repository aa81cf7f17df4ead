//! Building blocks shared by every model: fully connected and (transposed) convolutional
//! layers with the activation fused ([`Dense`], [`Conv`]), a feature [`Encoder`] (data → flat
//! features), a [`Decoder`] (vector → data-shaped output), and seeded weight initialization.
//! On the CPU the layers run our kernels ([`crate::kernels`]); on other devices Candle's.

use candle::{Tensor, D};
use candle_nn::{Init, VarBuilder, VarMap};

use crate::config::{Activation, Arch, Backbone, WeightInit};
use crate::kernels::{self, Act};
use crate::rng::Rng;
use crate::Result;

/// All convolutions are 4×4, stride 2, padding 1 (DCGAN): H → H/2 and back.
const KERNEL: usize = 4;
const STRIDE: usize = 2;
const PADDING: usize = 1;

/// Values are drawn by [`init_weights`]; the builder's own init only allocates.
const ALLOCATE: Init = Init::Const(0.0);

/// Applies an activation with Candle's ops (devices our kernels do not cover).
fn activate_with_candle(x: Tensor, act: Act) -> Result<Tensor> {
    Ok(match act {
        Act::Identity => x,
        Act::Relu => x.relu()?,
        Act::Tanh => x.tanh()?,
        Act::LeakyRelu => candle_nn::ops::leaky_relu(&x, 0.2)?,
    })
}

/// Applies a hidden-layer nonlinearity.
pub fn activate(x: &Tensor, act: Activation) -> Result<Tensor> {
    activate_with_candle(x.clone(), act.into())
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

/// Whether a forward pass computes gradients for the layer's own weights. A generator step
/// reads the discriminator `Frozen`: its gradient reaches the generator through the
/// discriminator's input, without the discriminator's weight gradients being computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
    Trained,
    Frozen,
}

impl Weights {
    fn read(self, t: &Tensor) -> Tensor {
        match self {
            Weights::Trained => t.clone(),
            Weights::Frozen => t.detach(),
        }
    }
}

/// A fully connected layer, `act(x·Wᵀ + b)`; parameters `weight` `[out, in]` and `bias` `[out]`.
pub struct Dense {
    weight: Tensor,
    bias: Tensor,
}

impl Dense {
    pub fn new(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            weight: vb.get_with_hints((out_dim, in_dim), "weight", ALLOCATE)?,
            bias: vb.get_with_hints(out_dim, "bias", ALLOCATE)?,
        })
    }

    /// # Shapes
    /// - `x`: `[B, in]` → `[B, out]`
    pub fn forward(&self, x: &Tensor, act: Act, weights: Weights) -> Result<Tensor> {
        let (w, b) = (weights.read(&self.weight), weights.read(&self.bias));
        if kernels::applies(x) {
            return Ok(kernels::linear::linear(x, &w, &b, act)?);
        }
        activate_with_candle(x.matmul(&w.t()?)?.broadcast_add(&b)?, act)
    }
}

/// Which way a [`Conv`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// H → H/2; weight `[out, in, k, k]`.
    Down,
    /// H → 2H (transposed); weight `[in, out, k, k]` as PyTorch stores it.
    Up,
}

/// A 4×4, stride-2, padding-1 convolution or transposed convolution with bias and fused
/// activation; parameters `weight` and `bias` `[out]`.
pub struct Conv {
    weight: Tensor,
    bias: Tensor,
    direction: Direction,
}

impl Conv {
    /// H → H/2.
    pub fn down(in_ch: usize, out_ch: usize, vb: VarBuilder) -> Result<Self> {
        Self::new((out_ch, in_ch, KERNEL, KERNEL), out_ch, Direction::Down, vb)
    }

    /// H → 2H.
    pub fn up(in_ch: usize, out_ch: usize, vb: VarBuilder) -> Result<Self> {
        Self::new((in_ch, out_ch, KERNEL, KERNEL), out_ch, Direction::Up, vb)
    }

    fn new(
        shape: (usize, usize, usize, usize),
        out_ch: usize,
        direction: Direction,
        vb: VarBuilder,
    ) -> Result<Self> {
        Ok(Self {
            weight: vb.get_with_hints(shape, "weight", ALLOCATE)?,
            bias: vb.get_with_hints(out_ch, "bias", ALLOCATE)?,
            direction,
        })
    }

    /// # Shapes
    /// - `x`: `[B, in, H, W]` → `[B, out, H/2, W/2]` (down) or `[B, out, 2H, 2W]` (up)
    pub fn forward(&self, x: &Tensor, act: Act, weights: Weights) -> Result<Tensor> {
        let (w, b) = (weights.read(&self.weight), weights.read(&self.bias));
        if kernels::applies(x) {
            return Ok(match self.direction {
                Direction::Down => kernels::conv::conv2d(x, &w, &b, STRIDE, PADDING, act)?,
                Direction::Up => kernels::conv::conv_transpose2d(x, &w, &b, STRIDE, PADDING, act)?,
            });
        }
        let y = match self.direction {
            Direction::Down => x.conv2d(&w, PADDING, STRIDE, 1, 1)?,
            Direction::Up => x.conv_transpose2d(&w, PADDING, 0, STRIDE, 1)?,
        };
        activate_with_candle(y.broadcast_add(&b.reshape((1, (), 1, 1))?)?, act)
    }
}

enum EncoderLayers {
    Mlp(Vec<Dense>),
    Conv(Conv, Conv),
}

/// Data → flat features, ending in the activation (heads are added by each model).
pub struct Encoder {
    layers: EncoderLayers,
    act: Act,
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
                    layers.push(Dense::new(dim, h, vb.pp(format!("fc{i}")))?);
                    dim = h;
                }
                (EncoderLayers::Mlp(layers), dim)
            }
            Arch::Conv => {
                let (c, h, w) = (input_shape[0], input_shape[1], input_shape[2]);
                let (c1, c2) = (backbone.hidden[0], backbone.hidden[1]);
                let conv0 = Conv::down(c, c1, vb.pp("conv0"))?;
                let conv1 = Conv::down(c1, c2, vb.pp("conv1"))?;
                (EncoderLayers::Conv(conv0, conv1), c2 * (h / 4) * (w / 4))
            }
        };
        Ok(Self {
            layers,
            act: backbone.activation.into(),
            out_dim,
        })
    }

    /// Width of the feature vector.
    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// # Shapes
    /// - `x`: `[B, *input_shape]` → `[B, out_dim]`
    pub fn forward(&self, x: &Tensor, weights: Weights) -> Result<Tensor> {
        match &self.layers {
            EncoderLayers::Mlp(layers) => {
                let mut h = x.flatten_from(1)?; // [B, D]
                for l in layers {
                    h = l.forward(&h, self.act, weights)?;
                }
                Ok(h)
            }
            EncoderLayers::Conv(conv0, conv1) => {
                let h = conv0.forward(x, self.act, weights)?; // [B, c1, H/2, W/2]
                let h = conv1.forward(&h, self.act, weights)?; // [B, c2, H/4, W/4]
                Ok(h.flatten_from(1)?)
            }
        }
    }
}

enum DecoderLayers {
    Mlp(Vec<Dense>),
    Conv {
        fc: Dense,
        deconv0: Conv,
        deconv1: Conv,
        c2: usize,
    },
}

/// Vector → data-shaped output, ending in an output activation chosen by the caller (none for
/// logits or a mean, tanh for a DCGAN generator). Mirrors [`Encoder`]: the backbone's widths
/// are read in reverse.
pub struct Decoder {
    layers: DecoderLayers,
    act: Act,
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
                    .map(|(i, w)| Dense::new(w[0], w[1], vb.pp(format!("fc{i}"))))
                    .collect::<Result<Vec<_>>>()?;
                DecoderLayers::Mlp(layers)
            }
            Arch::Conv => {
                let (c, h, w) = (output_shape[0], output_shape[1], output_shape[2]);
                let (c1, c2) = (backbone.hidden[0], backbone.hidden[1]);
                DecoderLayers::Conv {
                    fc: Dense::new(in_dim, c2 * (h / 4) * (w / 4), vb.pp("fc"))?,
                    deconv0: Conv::up(c2, c1, vb.pp("deconv0"))?,
                    deconv1: Conv::up(c1, c, vb.pp("deconv1"))?,
                    c2,
                }
            }
        };
        Ok(Self {
            layers,
            act: backbone.activation.into(),
            output_shape: output_shape.to_vec(),
        })
    }

    /// # Shapes
    /// - `z`: `[B, in_dim]` → `[B, *output_shape]`
    pub fn forward(&self, z: &Tensor, output: Act) -> Result<Tensor> {
        let b = z.dim(0)?;
        match &self.layers {
            DecoderLayers::Mlp(layers) => {
                let mut h = z.clone();
                for (i, l) in layers.iter().enumerate() {
                    let act = if i + 1 == layers.len() {
                        output
                    } else {
                        self.act
                    };
                    h = l.forward(&h, act, Weights::Trained)?;
                }
                let mut shape = vec![b];
                shape.extend(&self.output_shape);
                Ok(h.reshape(shape)?)
            }
            DecoderLayers::Conv {
                fc,
                deconv0,
                deconv1,
                c2,
            } => {
                let (hh, ww) = (self.output_shape[1] / 4, self.output_shape[2] / 4);
                let h = fc
                    .forward(z, self.act, Weights::Trained)?
                    .reshape((b, *c2, hh, ww))?; // [B, c2, H/4, W/4]
                let h = deconv0.forward(&h, self.act, Weights::Trained)?; // [B, c1, H/2, W/2]
                deconv1.forward(&h, output, Weights::Trained) // [B, C, H, W]
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
