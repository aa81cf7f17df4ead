//! Our elementwise loops compiled for the widest vectors the CPU has. The crate is built for
//! the baseline of its target (on x86-64: SSE2, four lanes), so a loop that vectorizes gets
//! four lanes unless it runs inside a function compiled with more features. [`wide!`] runs its
//! body as a closure inside such a function ([`dispatch`]), chosen at run time: AVX-512 (sixteen
//! lanes), else AVX2 (eight), else the baseline. The closure must inline into it, and so must
//! its hot callees
//! (`#[inline(always)]`): a closure LLVM keeps out of line is compiled for the baseline (the
//! loss and activation loops were, until [`wide!`] marked every closure it makes).
//!
//! The results are bit for bit those of the baseline: Rust never fuses a multiply and an add
//! on its own, and a loop's own order of operations (our eight-lane sums) does not depend on
//! how many lanes a register holds.

/// Evaluates `$body` (an expression, a block as a rule) compiled for AVX-512 or AVX2 when this
/// CPU has them: the body of an `#[inline(always)]` closure handed to [`dispatch`].
macro_rules! wide {
    ($body:expr) => {
        $crate::kernels::wide::dispatch(
            #[inline(always)]
            || $body,
        )
    };
}
pub(crate) use wide;

/// Runs `f`, compiled for AVX-512 or AVX2 when this CPU has them (x86-64; elsewhere, `f()`).
/// Use [`wide!`], which marks its closure `#[inline(always)]`.
#[inline(always)]
pub fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F.
            return unsafe { x86::avx512(f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { x86::avx2(f) };
        }
    }
    f()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    #[target_feature(enable = "avx512f")]
    pub unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    #[target_feature(enable = "avx2")]
    pub unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
}

#[cfg(test)]
mod tests {
    use crate::kernels::fastmath::{exp, sigmoid, softplus, tanh};

    /// The same loop, compiled for the baseline and run through [`wide`], gives the same bits.
    #[test]
    fn wide_loops_give_the_baseline_bits() {
        let x: Vec<f32> = (0..4099).map(|i| (i as f32 - 2049.0) * 0.0371).collect();
        // Inlined where it is called, so `wide!` compiles its own copy for the wider vectors.
        #[inline(always)]
        fn f(x: &[f32]) -> Vec<f32> {
            x.iter()
                .map(|&v| exp(v * 0.25) + softplus(v) * sigmoid(v) - tanh(v) / (v * v).sqrt())
                .collect()
        }
        let plain = f(&x);
        let widened = wide!(f(&x));
        let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&plain), bits(&widened));
    }
}
