//! The one checkpoint format: a `.safetensors` file whose tensors are the model's variables
//! (named by part: `encoder.`, `decoder.`, `generator.`, `discriminator.`, and `optim.` for
//! optimizer moments) and whose `__metadata__` makes it self-describing:
//!
//! | key | value |
//! |---|---|
//! | `latentlab.format` | format version, [`FORMAT_VERSION`] |
//! | `latentlab.model` | JSON of [`ModelConfig`] |
//! | `latentlab.data` | JSON of [`DataInfo`] |
//! | `latentlab.train` | JSON of [`TrainInfo`] (absent for untrained exports) |
//!
//! Loading needs nothing but the bytes; tensors may be f32, f16 or bf16.

use std::collections::HashMap;

use candle::{DType, Device, Tensor};
use safetensors::SafeTensors;

use crate::config::{ModelConfig, ModelKind};
use crate::data::DataInfo;
use crate::models::{all_finite, Network};
use crate::{Error, Result};

mod record;

pub use record::TrainInfo;

/// The format version this library writes and reads.
pub const FORMAT_VERSION: &str = "1";

const KEY_FORMAT: &str = "latentlab.format";
const KEY_MODEL: &str = "latentlab.model";
const KEY_DATA: &str = "latentlab.data";
const KEY_TRAIN: &str = "latentlab.train";
/// Present (value `discriminator`) when a GAN or VAE-GAN was saved without its discriminator.
const KEY_WITHOUT: &str = "latentlab.without";

/// A loaded checkpoint.
pub struct Checkpoint {
    pub network: Network,
    pub data: DataInfo,
    pub train: Option<TrainInfo>,
    /// Optimizer moments (`optim.*`), empty when the file has none.
    pub optimizer: HashMap<String, Tensor>,
    /// Storage type of the model's tensors in the file.
    pub stored_dtype: DType,
}

/// What is in a file, read without building the model.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Metadata {
    pub format: String,
    pub model: ModelConfig,
    pub data: DataInfo,
    pub train: Option<TrainInfo>,
    /// `(name, dtype, shape)` of every tensor, sorted by name.
    pub tensors: Vec<(String, String, Vec<usize>)>,
    /// The file leaves the discriminator out (`latentlab export --without-discriminator`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub without_discriminator: bool,
}

impl Metadata {
    /// Number of stored model values, as [`crate::Network::parameter_count`] (optimizer state
    /// excluded).
    pub fn parameter_count(&self) -> usize {
        self.tensors
            .iter()
            .filter(|(n, _, _)| !n.starts_with("optim."))
            .map(|(_, _, s)| s.iter().product::<usize>())
            .sum()
    }
}

/// How to write a checkpoint.
#[derive(Debug, Clone, Copy)]
pub struct SaveOptions {
    /// F32, F16 or BF16 for the model's tensors (optimizer moments stay f32).
    pub dtype: DType,
    pub include_optimizer: bool,
}

impl Default for SaveOptions {
    fn default() -> Self {
        Self {
            dtype: DType::F32,
            include_optimizer: true,
        }
    }
}

/// Serializes a network with its metadata, its training record and its optimizer state
/// (tensors named `optim.…`, as [`crate::train::Session::to_bytes`] passes them), in `dtype`
/// (f32, f16 or bf16). Refuses what loading would refuse: non-finite weights (or, in f16,
/// weights past its range), an invalid training record, misnamed optimizer tensors.
pub fn to_bytes(
    net: &Network,
    data: &DataInfo,
    train: Option<&TrainInfo>,
    optimizer: &[(String, Tensor)],
    dtype: DType,
) -> Result<Vec<u8>> {
    if !matches!(dtype, DType::F32 | DType::F16 | DType::BF16) {
        return Err(Error::Argument(format!(
            "checkpoints store f32, f16 or bf16, not {dtype:?}"
        )));
    }
    let mut tensors: Vec<(String, Tensor)> = net
        .named_tensors()
        .into_iter()
        .map(|(n, t)| {
            let t = t.to_dtype(dtype)?.to_device(&Device::Cpu)?;
            // f16 ends at 65504: a larger weight (a BatchNorm variance, say) would become ±inf
            // and the file would not load.
            if !all_finite(&t)? {
                return Err(Error::Argument(if dtype == DType::F16 {
                    format!("tensor `{n}` has values beyond f16's range: save in f32 or bf16")
                } else {
                    format!("tensor `{n}` holds values that are not finite (NaN or ±inf)")
                }));
            }
            Ok((n, t))
        })
        .collect::<Result<_>>()?;
    // What loading would refuse: a name outside `optim.` reads as an unknown model tensor.
    for (n, t) in optimizer {
        if !n.starts_with("optim.") || !matches!(t.dtype(), DType::F32 | DType::F16 | DType::BF16) {
            return Err(Error::Argument(format!(
                "optimizer tensor `{n}` ({:?}) must be named `optim.…` and be f32, f16 or bf16",
                t.dtype()
            )));
        }
        tensors.push((n.clone(), t.to_device(&Device::Cpu)?));
    }
    let mut meta = HashMap::new();
    meta.insert(KEY_FORMAT.to_string(), FORMAT_VERSION.to_string());
    meta.insert(KEY_MODEL.to_string(), serde_json::to_string(net.config())?);
    meta.insert(KEY_DATA.to_string(), serde_json::to_string(data)?);
    if let Some(t) = train {
        // What the loader would refuse is not written (a NaN wall time, say, as JSON's null).
        t.validate()?;
        meta.insert(KEY_TRAIN.to_string(), serde_json::to_string(t)?);
    }
    if net.is_without_discriminator() {
        meta.insert(KEY_WITHOUT.to_string(), "discriminator".to_string());
    }
    safetensors::serialize(tensors, Some(meta))
        .map_err(|e| Error::Checkpoint(format!("cannot serialize: {e}")))
}

fn parse_header(bytes: &[u8]) -> Result<HashMap<String, String>> {
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| {
        Error::Checkpoint(format!(
            "not a safetensors file, or truncated ({} bytes): {e}",
            bytes.len()
        ))
    })?;
    let meta = header.metadata().clone().unwrap_or_default();
    match meta.get(KEY_FORMAT).map(String::as_str) {
        None => Err(Error::Checkpoint(
            "a safetensors file, but not a Latent Lab checkpoint (no `latentlab.format` metadata)"
                .into(),
        )),
        Some(FORMAT_VERSION) => Ok(meta),
        Some(v) => Err(Error::Checkpoint(format!(
            "format version {v:?} is not supported (this build reads version {FORMAT_VERSION}); \
             a newer Latent Lab wrote it?"
        ))),
    }
}

fn json_entry<T: serde::de::DeserializeOwned>(
    meta: &HashMap<String, String>,
    key: &str,
) -> Result<Option<T>> {
    meta.get(key)
        .map(|s| {
            serde_json::from_str(s)
                .map_err(|e| Error::Checkpoint(format!("metadata `{key}` is malformed: {e}")))
        })
        .transpose()
}

/// Reads the metadata and the tensor list, checking the format version and the config.
pub fn read_metadata(bytes: &[u8]) -> Result<Metadata> {
    let meta = parse_header(bytes)?;
    let model: ModelConfig = json_entry(&meta, KEY_MODEL)?
        .ok_or_else(|| Error::Checkpoint("metadata `latentlab.model` is missing".into()))?;
    model
        .validate()
        .map_err(|e| Error::Checkpoint(format!("the stored model config is invalid: {e}")))?;
    let data: DataInfo = json_entry(&meta, KEY_DATA)?
        .ok_or_else(|| Error::Checkpoint("metadata `latentlab.data` is missing".into()))?;
    data.check_fits(&model)
        .map_err(|e| Error::Checkpoint(format!("the metadata contradicts itself: {e}")))?;
    crate::budget::check_model(&model)?;
    let train: Option<TrainInfo> = json_entry(&meta, KEY_TRAIN)?;
    if let Some(t) = &train {
        t.validate()?;
    }
    let without_discriminator = match meta.get(KEY_WITHOUT).map(String::as_str) {
        None => false,
        Some("discriminator") => true,
        Some(other) => {
            return Err(Error::Checkpoint(format!(
                "metadata `{KEY_WITHOUT}` is {other:?}; only \"discriminator\" can be left out"
            )))
        }
    };
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| Error::Checkpoint(format!("corrupt or truncated tensor data: {e}")))?;
    let mut tensors: Vec<(String, String, Vec<usize>)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| {
            (
                n,
                format!("{:?}", v.dtype()).to_lowercase(),
                v.shape().to_vec(),
            )
        })
        .collect();
    tensors.sort();
    Ok(Metadata {
        format: FORMAT_VERSION.to_string(),
        model,
        data,
        train,
        tensors,
        without_discriminator,
    })
}

/// Loads a checkpoint of any kind onto `device`.
pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<Checkpoint> {
    let meta = read_metadata(bytes)?;
    let tensors = candle::safetensors::load_buffer(bytes, device)
        .map_err(|e| Error::Checkpoint(format!("cannot read tensors: {e}")))?;
    let mut stored_dtype = DType::F32;
    for (name, t) in &tensors {
        if !matches!(t.dtype(), DType::F32 | DType::F16 | DType::BF16) {
            return Err(Error::Checkpoint(format!(
                "tensor `{name}` is {:?}; checkpoints hold f32, f16 or bf16",
                t.dtype()
            )));
        }
        if !name.starts_with("optim.") {
            stored_dtype = t.dtype();
        }
    }
    let optimizer = tensors
        .iter()
        .filter(|(n, _)| n.starts_with("optim."))
        .map(|(n, t)| (n.clone(), t.clone()))
        .collect();
    let network = Network::from_tensors(meta.model, &tensors, device, !meta.without_discriminator)?;
    Ok(Checkpoint {
        network,
        data: meta.data,
        train: meta.train,
        optimizer,
        stored_dtype,
    })
}

/// Like [`from_bytes`], but a checkpoint of another kind than `kind` is an error.
pub fn from_bytes_of_kind(bytes: &[u8], kind: ModelKind, device: &Device) -> Result<Checkpoint> {
    let found = read_metadata(bytes)?.model.kind();
    if found != kind {
        return Err(Error::Checkpoint(format!(
            "expected a {kind} checkpoint, this one holds a {found}"
        )));
    }
    from_bytes(bytes, device)
}

/// Reads a checkpoint file.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_file(path: impl AsRef<std::path::Path>, device: &Device) -> Result<Checkpoint> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    from_bytes(&bytes, device).map_err(|e| match e {
        Error::Checkpoint(m) => Error::Checkpoint(format!("{}: {m}", path.display())),
        e => e,
    })
}

/// Writes `bytes` (from [`to_bytes`] or [`crate::train::Session::to_bytes`]) to `path`
/// atomically: a temporary file in the same folder, flushed, then renamed over the target, so
/// a crash never leaves a half-written checkpoint. A symbolic link is written through (the file
/// it names is replaced; the link stays). Temporary files of this path left by processes that no
/// longer run (killed mid-write) are removed.
#[cfg(not(target_arch = "wasm32"))]
pub fn save_file(path: impl AsRef<std::path::Path>, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let path = &written_path(path.as_ref());
    let TempFile { dir, name, tmp } = TempFile::for_target(path)?;
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })?;
    remove_torn_writes(&dir, &name);
    Ok(())
}

/// An error now, before any work, where [`save_file`] would fail later: `path` is a folder,
/// or its folder is missing or not writable (a long training run checks its `--out` first).
#[cfg(not(target_arch = "wasm32"))]
pub fn check_writable(path: impl AsRef<std::path::Path>) -> Result<()> {
    let path = &written_path(path.as_ref());
    if path.is_dir() {
        return Err(Error::Argument(format!(
            "{} is a folder: give a file path to write to",
            path.display()
        )));
    }
    let TempFile { dir, tmp, .. } = TempFile::for_target(path)?;
    if !dir.is_dir() {
        return Err(Error::Argument(format!(
            "cannot write {}: the folder {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    std::fs::File::create(&tmp).map_err(|e| Error::io(path, e))?;
    let _ = std::fs::remove_file(&tmp);
    Ok(())
}

/// The file a write to `path` replaces: the one a symbolic link names (so that the link, a
/// `latest.safetensors` say, stays a link to the run it names), else `path`.
#[cfg(not(target_arch = "wasm32"))]
fn written_path(path: &std::path::Path) -> std::path::PathBuf {
    let through_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    through_link
        .then(|| path.canonicalize().ok())
        .flatten()
        .unwrap_or_else(|| path.to_path_buf())
}

/// The temporary file [`save_file`] writes before renaming it over `path`:
/// `DIR/.NAME.tmpPID`.
#[cfg(not(target_arch = "wasm32"))]
struct TempFile {
    dir: std::path::PathBuf,
    name: String,
    tmp: std::path::PathBuf,
}

#[cfg(not(target_arch = "wasm32"))]
impl TempFile {
    fn for_target(path: &std::path::Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| Error::Argument(format!("{} is not a file path", path.display())))?
            .to_string_lossy()
            .into_owned();
        let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
        Ok(Self { dir, name, tmp })
    }
}

/// Removes `.NAME.tmpPID` files in `dir` whose process is gone (Linux: no `/proc/PID`). Best
/// effort: a file that cannot be listed or removed is left.
#[cfg(not(target_arch = "wasm32"))]
fn remove_torn_writes(dir: &std::path::Path, name: &str) {
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{name}.tmp");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        let gone = pid.parse::<u32>().is_ok() && !std::path::Path::new("/proc").join(pid).exists();
        if gone {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Seconds since the Unix epoch as RFC 3339 UTC (`2026-11-22T18:47:00Z`).
pub fn rfc3339(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    // Civil-from-days, Howard Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_373_220), "2026-11-22T18:47:00Z");
    }
}
