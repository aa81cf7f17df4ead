//! `latentlab`: train, sample, interpolate, evaluate, inspect and export Latent Lab
//! checkpoints. A thin shell over the library; native only (the browser uses `src/wasm/`).

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    latentlab::keep_large_allocations();
    cli::main()
}

/// The CLI needs a file system and a terminal; a wasm32 build of the package compiles it empty.
#[cfg(target_arch = "wasm32")]
fn main() {}
