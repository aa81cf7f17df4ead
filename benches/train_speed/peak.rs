//! The machine's own peak: a tight fused multiply-add loop at the widest vectors this CPU has
//! (AVX-512F, else AVX2 + FMA, detected at run time; a compiler-vectorized mul + add loop
//! elsewhere), on every thread at once. Each loop keeps 16 (AVX-512) or 12 (AVX2) independent
//! accumulators in registers, enough to cover the FMA latency on two ports.

use std::time::Instant;

/// A measured peak.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Peak {
    /// The instruction set the loop ran on.
    pub isa: &'static str,
    pub threads: usize,
    /// Best of the timed runs, all threads together (2 FLOPs per multiply-add).
    pub gflops: f64,
}

/// One thread's loop: runs `iters` iterations, returns a value that depends on all of them.
type Kernel = fn(u64) -> f32;

/// The loop for the widest vectors detected, with its FLOPs per iteration.
fn widest() -> (&'static str, Kernel, f64) {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F (checked just above).
            return (
                "avx512f",
                |n| unsafe { x86::fma_avx512(n) },
                16.0 * 16.0 * 2.0,
            );
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            return (
                "avx2+fma",
                |n| unsafe { x86::fma_avx2(n) },
                12.0 * 8.0 * 2.0,
            );
        }
    }
    ("baseline mul+add", mul_add_baseline, 64.0 * 2.0)
}

/// Same loop shape without explicit SIMD, for CPUs without AVX2 (the compiler vectorizes it
/// at the target's baseline width).
fn mul_add_baseline(iters: u64) -> f32 {
    let mut acc = [0f32; 64];
    for _ in 0..iters {
        for a in acc.iter_mut() {
            *a = *a * 0.999_999 + 1e-6;
        }
    }
    acc.iter().sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// `acc = acc · m + c` on each named accumulator, `iters` times, then their lane sum.
    macro_rules! fma_loop {
        ($name:ident, $feat:literal, $vec:ty, $lanes:literal, $set1:ident, $fmadd:ident,
         $add:ident, $first:ident $(, $acc:ident)*) => {
            #[target_feature(enable = $feat)]
            pub unsafe fn $name(iters: u64) -> f32 {
                let m = $set1(0.999_999);
                let c = $set1(1e-6);
                let mut $first = $set1(0.0);
                $(let mut $acc = $set1(0.0);)*
                for _ in 0..iters {
                    $first = $fmadd($first, m, c);
                    $($acc = $fmadd($acc, m, c);)*
                }
                $($first = $add($first, $acc);)*
                let lanes: [f32; $lanes] = std::mem::transmute($first);
                lanes.iter().sum()
            }
        };
    }

    fma_loop! {
        fma_avx512, "avx512f", __m512, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps,
        a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15
    }
    fma_loop! {
        fma_avx2, "avx2,fma", __m256, 8, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps,
        a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11
    }
}

/// Runs the widest loop on `threads` threads at once for about `seconds`, three times, and
/// keeps the best rate.
pub fn measure(threads: usize, seconds: f64) -> Peak {
    let (isa, kernel, flops_per_iter) = widest();
    let threads = threads.max(1);
    // Calibrate on one thread: iterations that take about `seconds`.
    let probe = 1u64 << 20;
    let t = Instant::now();
    std::hint::black_box(kernel(std::hint::black_box(probe)));
    let per_iter = t.elapsed().as_secs_f64().max(1e-9) / probe as f64;
    let iters = ((seconds / per_iter) as u64).max(probe);
    let best = (0..3)
        .map(|_| {
            let t = Instant::now();
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|| std::hint::black_box(kernel(std::hint::black_box(iters))));
                }
            });
            threads as f64 * iters as f64 * flops_per_iter / t.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max);
    Peak {
        isa,
        threads,
        gflops: best / 1e9,
    }
}
