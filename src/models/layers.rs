//! Building blocks shared by every model: fully connected and (transposed) convolutional
//! layers with the activation fused ([`Dense`], [`Conv`]), what may follow them in a hidden
//! layer ([`After`]: BatchNorm, maxout), a feature [`Encoder`] (data → flat features), a
//! [`Decoder`] (vector → data-shaped output), and seeded weight initialization. On the CPU
//! the layers run our kernels ([`crate::kernels`]); on other devices Candle's.

use std::sync::OnceLock;

use candle::{DType, Tensor, D};
use candle_nn::{Init, VarBuilder, VarMap};

use super::norm::{self, BatchNorm, Phase};
use super::spectral::{self, SpectralNorm};
use crate::config::{Activation, Arch, Backbone, WeightInit, BATCH_NORM_MOMENTUM};
use crate::kernels::linear::TransposedLinear;
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
pub(super) fn activate_with_candle(x: Tensor, act: Act) -> Result<Tensor> {
    Ok(match act {
        Act::Identity => x,
        Act::Relu => x.relu()?,
        Act::Tanh => x.tanh()?,
        Act::LeakyRelu => candle_nn::ops::leaky_relu(&x, 0.2)?,
    })
}

/// The logistic sigmoid: our kernel on the CPU, Candle's elsewhere.
pub fn sigmoid(x: &Tensor) -> Result<Tensor> {
    Ok(if kernels::applies(x) {
        kernels::activation::sigmoid(x)?
    } else {
        candle_nn::ops::sigmoid(x)?
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
    pub(super) fn read(self, t: &Tensor) -> Tensor {
        match self {
            Weights::Trained => t.clone(),
            Weights::Frozen => t.detach(),
        }
    }
}

/// A fully connected layer, `act(x·Wᵀ + b)`; parameters `weight` `[out, in]` and `bias` `[out]`
/// (and `weight_u` when spectrally normalized).
pub struct Dense {
    weight: Tensor,
    bias: Tensor,
    spectral: Option<SpectralNorm>,
    /// `Wᵀ`, made on the first batch-1 forward of a frozen network ([`Self::forward_frozen_row`]).
    transposed: OnceLock<TransposedLinear>,
}

impl Dense {
    pub fn new(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            weight: vb.get_with_hints((out_dim, in_dim), "weight", ALLOCATE)?,
            bias: vb.get_with_hints(out_dim, "bias", ALLOCATE)?,
            spectral: None,
            transposed: OnceLock::new(),
        })
    }

    /// A layer whose bias is a constant 0 (not a parameter): one followed by BatchNorm, whose
    /// shift takes the bias's role.
    pub fn without_bias(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            bias: Tensor::zeros(out_dim, DType::F32, vb.device())?,
            weight: vb.get_with_hints((out_dim, in_dim), "weight", ALLOCATE)?,
            spectral: None,
            transposed: OnceLock::new(),
        })
    }

    /// The same layer with its weight spectrally normalized when `normalized` (its `weight_u`
    /// under `vb`, the builder the layer was made with).
    pub fn spectral(mut self, normalized: bool, phase: &Phase, vb: &VarBuilder) -> Result<Self> {
        if normalized {
            self.spectral = Some(SpectralNorm::new(self.weight.dim(0)?, phase, vb)?);
        }
        Ok(self)
    }

    /// A hidden layer of `width` units followed by `after` (a bias only when not normalized,
    /// `width × pieces` outputs under maxout).
    fn hidden(in_dim: usize, width: usize, after: &After, vb: VarBuilder) -> Result<Self> {
        let out = width * after.maxout.unwrap_or(1);
        if after.norm.is_some() {
            Self::without_bias(in_dim, out, vb)
        } else {
            Self::new(in_dim, out, vb)
        }
    }

    /// # Shapes
    /// - `x`: `[B, in]` → `[B, out]`
    pub fn forward(&self, x: &Tensor, act: Act, weights: Weights) -> Result<Tensor> {
        let (w, b) = (
            read_weight(&self.weight, &self.spectral, weights)?,
            weights.read(&self.bias),
        );
        if kernels::applies(x) {
            return Ok(kernels::linear::linear(x, &w, &b, act)?);
        }
        activate_with_candle(x.matmul(&w.t()?)?.broadcast_add(&b)?, act)
    }

    /// [`Self::forward`] for one row on the CPU, no gradient, in a network whose weights never
    /// change again ([`Phase::frozen`]): it reads `Wᵀ`, transposed on the first call and kept.
    ///
    /// # Shapes
    /// - `x`: `[1, in]` → `[1, out]`
    fn forward_frozen_row(&self, x: &Tensor, act: Act) -> Result<Tensor> {
        let t = match self.transposed.get() {
            Some(t) => t,
            None => {
                let t = TransposedLinear::new(&self.weight, &self.bias)?;
                self.transposed.get_or_init(|| t)
            }
        };
        Ok(t.forward_row(x, act)?)
    }
}

/// A layer's weight as its forward pass reads it: detached when frozen, divided by its
/// spectral norm when it has one.
fn read_weight(
    weight: &Tensor,
    spectral: &Option<SpectralNorm>,
    weights: Weights,
) -> Result<Tensor> {
    let w = weights.read(weight);
    match spectral {
        Some(sn) => sn.apply(&w, weights),
        None => Ok(w),
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
/// activation; parameters `weight` and `bias` `[out]` (and `weight_u` when spectrally
/// normalized).
pub struct Conv {
    weight: Tensor,
    bias: Tensor,
    direction: Direction,
    spectral: Option<SpectralNorm>,
}

impl Conv {
    /// H → H/2; `bias = false` for a layer followed by BatchNorm.
    pub fn down(in_ch: usize, out_ch: usize, bias: bool, vb: VarBuilder) -> Result<Self> {
        Self::new(
            (out_ch, in_ch, KERNEL, KERNEL),
            out_ch,
            Direction::Down,
            bias,
            vb,
        )
    }

    /// H → 2H; `bias = false` for a layer followed by BatchNorm.
    pub fn up(in_ch: usize, out_ch: usize, bias: bool, vb: VarBuilder) -> Result<Self> {
        Self::new(
            (in_ch, out_ch, KERNEL, KERNEL),
            out_ch,
            Direction::Up,
            bias,
            vb,
        )
    }

    fn new(
        shape: (usize, usize, usize, usize),
        out_ch: usize,
        direction: Direction,
        bias: bool,
        vb: VarBuilder,
    ) -> Result<Self> {
        Ok(Self {
            bias: if bias {
                vb.get_with_hints(out_ch, "bias", ALLOCATE)?
            } else {
                Tensor::zeros(out_ch, DType::F32, vb.device())?
            },
            weight: vb.get_with_hints(shape, "weight", ALLOCATE)?,
            direction,
            spectral: None,
        })
    }

    /// The same convolution (`Down` only: a discriminator's) with its weight, read as
    /// `[out, in·k·k]`, spectrally normalized when `normalized`.
    fn spectral(mut self, normalized: bool, phase: &Phase, vb: &VarBuilder) -> Result<Self> {
        if normalized {
            debug_assert_eq!(self.direction, Direction::Down);
            self.spectral = Some(SpectralNorm::new(self.weight.dim(0)?, phase, vb)?);
        }
        Ok(self)
    }

    /// # Shapes
    /// - `x`: `[B, in, H, W]` → `[B, out, H/2, W/2]` (down) or `[B, out, 2H, 2W]` (up)
    pub fn forward(&self, x: &Tensor, act: Act, weights: Weights) -> Result<Tensor> {
        let (w, b) = (
            read_weight(&self.weight, &self.spectral, weights)?,
            weights.read(&self.bias),
        );
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

/// What follows a hidden layer's linear part: its activation alone (fused into the layer's
/// kernel), or BatchNorm and then the activation, or a maxout over each unit's pieces.
pub struct After {
    norm: Option<Box<BatchNorm>>,
    act: Act,
    maxout: Option<usize>,
}

impl After {
    /// For a hidden layer of `channels` units of `backbone`, normalized when `normalized`.
    fn new(
        backbone: &Backbone,
        channels: usize,
        normalized: bool,
        phase: &Phase,
        vb: VarBuilder,
    ) -> Result<Self> {
        let pieces = backbone.maxout.unwrap_or(1);
        let norm = normalized
            .then(|| {
                BatchNorm::new(
                    channels * pieces,
                    BATCH_NORM_MOMENTUM,
                    backbone.batch_norm_eps(),
                    phase,
                    vb.pp("norm"),
                )
                .map(Box::new)
            })
            .transpose()?;
        Ok(Self {
            norm,
            act: backbone.activation.into(),
            maxout: backbone.maxout,
        })
    }

    /// The activation the linear layer's kernel applies itself: all of it when nothing else
    /// follows, else none.
    fn fused(&self) -> Act {
        if self.norm.is_none() && self.maxout.is_none() {
            self.act
        } else {
            Act::Identity
        }
    }

    /// The rest, on the output of a layer that applied [`Self::fused`].
    ///
    /// # Shapes
    /// - `y`: `[B, C·pieces]` or `[B, C, H, W]` → `[B, C]` or `[B, C, H, W]`
    fn apply(&self, y: Tensor, weights: Weights) -> Result<Tensor> {
        let Some(k) = self.maxout else {
            return match &self.norm {
                Some(n) => n.forward(&y, self.act, weights),
                None => Ok(y),
            };
        };
        let y = match &self.norm {
            Some(n) => n.forward(&y, Act::Identity, weights)?,
            None => y,
        };
        if kernels::applies(&y) {
            return Ok(kernels::maxout::maxout(&y, k)?);
        }
        let (b, n) = y.dims2()?;
        Ok(y.reshape((b, n / k, k))?.max(2)?)
    }
}

enum EncoderLayers {
    Mlp(Vec<(Dense, After)>),
    Conv([(Conv, After); 2]),
}

/// Data → flat features, ending in the activation (heads are added by each model).
pub struct Encoder {
    layers: EncoderLayers,
    out_dim: usize,
}

impl Encoder {
    /// An encoder for samples of `input_shape` (`[D]` or `[C, H, W]`); BatchNorm (when the
    /// backbone asks for it) on every layer but the first.
    pub fn new(
        input_shape: &[usize],
        backbone: &Backbone,
        phase: &Phase,
        vb: VarBuilder,
    ) -> Result<Self> {
        let after = |i: usize, channels: usize, vb: &VarBuilder| {
            After::new(
                backbone,
                channels,
                backbone.batch_norm && i > 0,
                phase,
                vb.clone(),
            )
        };
        let (layers, out_dim) = match backbone.arch {
            Arch::Mlp => {
                let mut dim: usize = input_shape.iter().product();
                let mut layers = Vec::with_capacity(backbone.hidden.len());
                for (i, &h) in backbone.hidden.iter().enumerate() {
                    let vb = vb.pp(format!("fc{i}"));
                    let after = after(i, h, &vb)?;
                    let dense = Dense::hidden(dim, h, &after, vb.clone())?.spectral(
                        backbone.spectral_norm,
                        phase,
                        &vb,
                    )?;
                    layers.push((dense, after));
                    dim = h;
                }
                (EncoderLayers::Mlp(layers), dim)
            }
            Arch::Conv => {
                let (c, h, w) = (input_shape[0], input_shape[1], input_shape[2]);
                let (c1, c2) = (backbone.hidden[0], backbone.hidden[1]);
                let (vb0, vb1) = (vb.pp("conv0"), vb.pp("conv1"));
                let (after0, after1) = (after(0, c1, &vb0)?, after(1, c2, &vb1)?);
                let sn = backbone.spectral_norm;
                let conv0 = Conv::down(c, c1, after0.norm.is_none(), vb0.clone())?
                    .spectral(sn, phase, &vb0)?;
                let conv1 = Conv::down(c1, c2, after1.norm.is_none(), vb1.clone())?
                    .spectral(sn, phase, &vb1)?;
                (
                    EncoderLayers::Conv([(conv0, after0), (conv1, after1)]),
                    c2 * (h / 4) * (w / 4),
                )
            }
        };
        Ok(Self { layers, out_dim })
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
                for (l, after) in layers {
                    h = after.apply(l.forward(&h, after.fused(), weights)?, weights)?;
                }
                Ok(h)
            }
            EncoderLayers::Conv(layers) => {
                let mut h = x.clone(); // [B, C, H, W] → [B, c1, H/2, W/2] → [B, c2, H/4, W/4]
                for (conv, after) in layers {
                    h = after.apply(conv.forward(&h, after.fused(), weights)?, weights)?;
                }
                Ok(h.flatten_from(1)?)
            }
        }
    }
}

enum DecoderLayers {
    /// Hidden layers, then the output layer.
    Mlp(Vec<(Dense, After)>, Dense),
    Conv {
        fc: (Dense, After),
        deconv0: (Conv, After),
        deconv1: Conv,
        c2: usize,
    },
}

/// Vector → data-shaped output, ending in an output activation chosen by the caller (none for
/// logits or a mean, tanh for a DCGAN generator). Mirrors [`Encoder`]: the backbone's widths
/// are read in reverse; BatchNorm (when asked for) on every hidden layer.
pub struct Decoder {
    layers: DecoderLayers,
    output_shape: Vec<usize>,
    phase: Phase,
}

impl Decoder {
    pub fn new(
        in_dim: usize,
        output_shape: &[usize],
        backbone: &Backbone,
        phase: &Phase,
        vb: VarBuilder,
    ) -> Result<Self> {
        // A decoder's hidden layers are plain activations: maxout belongs to discriminators.
        let plain = Backbone {
            maxout: None,
            ..backbone.clone()
        };
        let after = |channels: usize, vb: &VarBuilder| {
            After::new(&plain, channels, backbone.batch_norm, phase, vb.clone())
        };
        let layers = match backbone.arch {
            Arch::Mlp => {
                let out: usize = output_shape.iter().product();
                let mut dims = vec![in_dim];
                dims.extend(backbone.hidden.iter().rev());
                let mut hidden = Vec::with_capacity(backbone.hidden.len());
                for (i, w) in dims.windows(2).enumerate() {
                    let vb = vb.pp(format!("fc{i}"));
                    let after = after(w[1], &vb)?;
                    hidden.push((Dense::hidden(w[0], w[1], &after, vb)?, after));
                }
                let last = dims[dims.len() - 1];
                let output = Dense::new(last, out, vb.pp(format!("fc{}", hidden.len())))?;
                DecoderLayers::Mlp(hidden, output)
            }
            Arch::Conv => {
                let (c, h, w) = (output_shape[0], output_shape[1], output_shape[2]);
                let (c1, c2) = (backbone.hidden[0], backbone.hidden[1]);
                let (vfc, vd0) = (vb.pp("fc"), vb.pp("deconv0"));
                // The projection is normalized per channel of its [c2, H/4, W/4] reshape.
                let (after_fc, after0) = (after(c2, &vfc)?, after(c1, &vd0)?);
                let flat = c2 * (h / 4) * (w / 4);
                let fc = if after_fc.norm.is_some() {
                    Dense::without_bias(in_dim, flat, vfc)?
                } else {
                    Dense::new(in_dim, flat, vfc)?
                };
                DecoderLayers::Conv {
                    fc: (fc, after_fc),
                    deconv0: (Conv::up(c2, c1, after0.norm.is_none(), vd0)?, after0),
                    deconv1: Conv::up(c1, c, true, vb.pp("deconv1"))?,
                    c2,
                }
            }
        };
        Ok(Self {
            layers,
            output_shape: output_shape.to_vec(),
            phase: phase.clone(),
        })
    }

    /// # Shapes
    /// - `z`: `[B, in_dim]` → `[B, *output_shape]`
    pub fn forward(&self, z: &Tensor, output: Act) -> Result<Tensor> {
        let b = z.dim(0)?;
        let w = Weights::Trained;
        match &self.layers {
            DecoderLayers::Mlp(hidden, out) => {
                // One code of a frozen network, not differentiated (an interpolation frame):
                // the transposed weights skip the ReLUs' zeros.
                let frozen_row =
                    b == 1 && self.phase.frozen() && !z.track_op() && kernels::applies(z);
                let dense = |l: &Dense, h: &Tensor, act: Act| {
                    if frozen_row {
                        l.forward_frozen_row(h, act)
                    } else {
                        l.forward(h, act, w)
                    }
                };
                let mut h = z.clone();
                for (l, after) in hidden {
                    h = after.apply(dense(l, &h, after.fused())?, w)?;
                }
                let mut shape = vec![b];
                shape.extend(&self.output_shape);
                Ok(dense(out, &h, output)?.reshape(shape)?)
            }
            DecoderLayers::Conv {
                fc: (fc, after_fc),
                deconv0: (deconv0, after0),
                deconv1,
                c2,
            } => {
                let (hh, ww) = (self.output_shape[1] / 4, self.output_shape[2] / 4);
                let h = fc
                    .forward(z, after_fc.fused(), w)?
                    .reshape((b, *c2, hh, ww))?;
                let h = after_fc.apply(h, w)?; // [B, c2, H/4, W/4]
                let h = after0.apply(deconv0.forward(&h, after0.fused(), w)?, w)?; // [B, c1, H/2, W/2]
                deconv1.forward(&h, output, w) // [B, C, H, W]
            }
        }
    }
}

/// Re-draws every variable in `varmap` from `rng`, in name order (so the result depends on
/// the seed alone): biases 0, BatchNorm's scale and running variance 1, its shift and
/// running mean 0, spectral normalization's `weight_u` a random unit vector; weights per `init`, with PyTorch's fan-in
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
        let values = if name.ends_with(norm::SCALE) || name.ends_with(norm::RUNNING_VAR) {
            vec![1f32; n]
        } else if name.ends_with(spectral::U) {
            // A random unit vector, as PyTorch starts its power iteration.
            let u = rng.normal_vec(n);
            let norm = u
                .iter()
                .map(|x| x * x)
                .sum::<f32>()
                .sqrt()
                .max(f32::MIN_POSITIVE);
            u.into_iter().map(|x| x / norm).collect()
        } else if name.ends_with("bias") || dims.len() < 2 {
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
