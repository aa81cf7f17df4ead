//! The library's one error type. Every failure a user can cause (a bad file, a wrong shape, a
//! diverging run) is a variant that says what went wrong; nothing in the library panics on input
//! (files, CLI arguments, wasm calls, configs). Rust callers that fill the public fields of a
//! struct by hand (a `Dataset`'s samples and labels) keep them consistent.

/// Everything that can go wrong in Latent Lab.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tensor operation failed (shape mismatch inside a model, device error, ...).
    #[error(transparent)]
    Candle(#[from] candle::Error),

    /// A configuration value is out of range or inconsistent.
    #[error("invalid config: {0}")]
    Config(String),

    /// A checkpoint file could not be read or does not fit the model it claims to be.
    #[error("checkpoint: {0}")]
    Checkpoint(String),

    /// A dataset file is missing, truncated or malformed.
    #[error("data: {0}")]
    Data(String),

    /// Training produced a non-finite loss.
    #[error("training diverged at step {step}: {metric} = {value}")]
    Diverged {
        step: u64,
        metric: String,
        value: f32,
    },

    /// An argument passed by a caller is malformed (wrong length, unknown mode, ...).
    #[error("invalid argument: {0}")]
    Argument(String),

    /// A request would need more memory than the limit allows ([`crate::budget`]).
    #[error(
        "{what} needs {bytes} bytes ({:.1} MiB), over the memory limit of {limit} bytes \
         ({:.1} MiB); raise it with --memory-limit-mib (CLI), setMemoryLimit (wasm) or \
         budget::set_limit (Rust)",
        mib(*bytes),
        mib(*limit)
    )]
    Budget {
        what: String,
        bytes: u64,
        limit: u64,
    },

    /// File-system error, with the path it concerns.
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },

    /// JSON (de)serialization of a config or metadata entry.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

/// Result alias used throughout the library.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl AsRef<std::path::Path>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            error,
        }
    }
}
