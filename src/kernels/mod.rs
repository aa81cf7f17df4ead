//! Our CPU kernels, as Candle custom ops: models stay Candle tensors with autograd, while the
//! hot loops are ours. One code path serves native (gemm's AVX-512 / AVX2 micro-kernels, rayon
//! threads) and wasm32 (gemm's simd128 micro-kernels; threads when the build has them).
//!
//! - [`linear`]: `act(x·Wᵀ + b)` in one op, with a matrix–vector path for batch 1;
//! - [`conv`]: conv2d and conv_transpose2d by im2col / col2im over a GEMM, bias and activation
//!   fused, forward and both gradients;
//! - [`adam`]: the fused, in-place Adam update;
//! - [`loss`]: the Bernoulli negative log-likelihood (BCE with logits) summed per sample;
//! - [`norm`]: training-mode batch normalization with the activation fused;
//! - [`maxout`]: the largest of each unit's pieces;
//! - [`fastmath`]: `exp`, softplus, sigmoid and `tanh` that vectorize;
//! - `wide`: the elementwise loops compiled for AVX-512 or AVX2 when the CPU has them;
//! - `simd128` (wasm32 only): our packed GEMM and matrix–vector product on simd128, fused
//!   multiply-adds in the relaxed-simd builds.
//!
//! Each op computes only the gradients its inputs need (an input that does not track
//! gradients, such as a data batch or a detached weight, gets none). The layers in
//! [`crate::models::layers`] call these on the CPU and Candle's own kernels on other devices;
//! `tests/kernels.rs` checks every op against Candle's reference, values and gradients.

pub mod activation;
pub mod adam;
pub mod conv;
pub mod fastmath;
pub mod gemm;
pub mod linear;
pub mod loss;
pub mod maxout;
pub mod norm;
mod patches;
mod reduce;
#[cfg(target_arch = "wasm32")]
pub mod simd128;
mod wide;

use candle::{CpuStorage, CustomOp3, DType, Layout, Tensor};

pub use activation::Act;

/// Which of a layer's inputs (x, weight, bias) need gradients, decided when its op is built.
#[derive(Debug, Clone, Copy)]
struct Needs {
    x: bool,
    w: bool,
    b: bool,
}

impl Needs {
    fn of(x: &Tensor, w: &Tensor, b: &Tensor) -> Self {
        Self {
            x: x.track_op(),
            w: w.track_op(),
            b: b.track_op(),
        }
    }
}

/// Applies a layer's op to contiguous copies (no-ops when already contiguous) of its inputs.
fn apply_layer<C: CustomOp3 + Send + Sync + 'static>(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    op: C,
) -> candle::Result<Tensor> {
    x.contiguous()?
        .apply_op3(&w.contiguous()?, &b.contiguous()?, op)
}

/// Whether our kernels handle `t`: an f32 tensor on the CPU.
pub fn applies(t: &Tensor) -> bool {
    t.device().is_cpu() && t.dtype() == DType::F32
}

/// The values of a contiguous f32 CPU storage under `layout`.
fn slice<'a>(storage: &'a CpuStorage, layout: &Layout, what: &str) -> candle::Result<&'a [f32]> {
    let all = storage.as_slice::<f32>()?;
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&all[start..end]),
        None => candle::bail!("latentlab kernel: {what} must be contiguous"),
    }
}

/// Runs `f` on a CPU f32 tensor's values: borrowed from its storage when contiguous, from a
/// contiguous copy otherwise.
fn with_values<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> candle::Result<R>) -> candle::Result<R> {
    let t = t.contiguous()?;
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        candle::Storage::Cpu(cpu) => f(slice(cpu, layout, "tensor")?),
        _ => candle::bail!("latentlab kernel: expected a CPU tensor"),
    }
}

/// `grad ⊙ act′(x)` as a fresh buffer, from the layer's output `y = act(x)`.
fn pre_activation_grad(act: Act, grad: &Tensor, y: &Tensor) -> candle::Result<Vec<f32>> {
    with_values(grad, |g| with_values(y, |y| Ok(act.backward(g, y))))
}

/// A CPU tensor from values.
fn tensor(values: Vec<f32>, dims: &[usize]) -> candle::Result<Tensor> {
    Tensor::from_vec(values, dims, &candle::Device::Cpu)
}

/// Elementwise passes split across the pool only above this many elements, in chunks of
/// [`ELEMENTWISE_CHUNK`]: waking the pool costs more than a smaller pass takes.
const PARALLEL_ELEMENTS: usize = 1 << 15;
const ELEMENTWISE_CHUNK: usize = 1 << 14;

/// Runs `f` on one of the pool's threads (natively; elsewhere where it is called), so that
/// the parallel passes inside it share work with the other threads directly: called from
/// outside the pool, each pass would wake the pool and put the caller to sleep until done.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    #[cfg(not(target_arch = "wasm32"))]
    if rayon::current_thread_index().is_none() {
        return rayon::scope(|_| f());
    }
    f()
}

/// Threads our kernels may use (rayon's pool: the machine's cores natively, the browser's
/// worker pool in a threaded wasm build, 1 otherwise).
pub fn threads() -> usize {
    rayon::current_num_threads()
}
