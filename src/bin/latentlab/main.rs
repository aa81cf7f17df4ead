//! `latentlab`: train, sample, interpolate, evaluate, inspect and export Latent Lab
//! checkpoints. A thin shell over the library; native only (the browser uses `src/wasm/`).

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    keep_large_allocations();
    cli::main()
}

/// Training allocates and frees the same large tensors every step. glibc serves blocks above
/// its mmap threshold with fresh mappings, so each step pays for page faults and zeroing in the
/// kernel (three quarters of the CPU time, measured). Raising the threshold and the trim limit
/// keeps those blocks in the heap for reuse.
#[cfg(not(target_arch = "wasm32"))]
fn keep_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

/// The CLI needs a file system and a terminal; a wasm32 build of the package compiles it empty.
#[cfg(target_arch = "wasm32")]
fn main() {}
