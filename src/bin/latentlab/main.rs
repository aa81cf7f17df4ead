//! `latentlab`: train, sample, interpolate, evaluate, inspect and export Latent Lab
//! checkpoints. A thin shell over the library, one file per command; native only (the browser
//! uses `src/wasm/`).

#[cfg(not(target_arch = "wasm32"))]
mod args;
#[cfg(not(target_arch = "wasm32"))]
mod chunks;
#[cfg(not(target_arch = "wasm32"))]
mod eval;
#[cfg(not(target_arch = "wasm32"))]
mod export;
#[cfg(not(target_arch = "wasm32"))]
mod info;
#[cfg(not(target_arch = "wasm32"))]
mod interrupt;
#[cfg(not(target_arch = "wasm32"))]
mod out_paths;
#[cfg(not(target_arch = "wasm32"))]
mod progress;
#[cfg(not(target_arch = "wasm32"))]
mod sample;
#[cfg(not(target_arch = "wasm32"))]
mod train;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use clap::Parser;
    // A reader that goes away (`latentlab info F | head`) ends the process as it ends other
    // command-line tools, by SIGPIPE, instead of Rust's panic on the failed print.
    #[cfg(unix)]
    // SAFETY: sets one signal's disposition back to the default, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    latentlab::prepare_native_process();
    let cli = args::Cli::parse();
    if let Some(mib) = cli.memory_limit_mib {
        if let Err(e) = latentlab::budget::set_limit(mib.saturating_mul(1 << 20)) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
    let result = match cli.command {
        args::Command::Train(a) => train::run(*a),
        args::Command::Sample(a) => sample::sample(a),
        args::Command::Interpolate(a) => sample::interpolate(a),
        args::Command::Info(a) => info::run(a),
        args::Command::Export(a) => export::run(a),
        args::Command::Eval(a) => eval::run(a),
    };
    if let Err(e) = result {
        // Not eprintln!, which panics when stderr is gone (a `| tee` ended by the same Ctrl-C).
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "error: {e:#}");
        std::process::exit(1);
    }
}

/// The CLI needs a file system and a terminal; a wasm32 build of the package compiles it empty.
#[cfg(target_arch = "wasm32")]
fn main() {}
