//! Arguments as JavaScript passes them, checked. wasm-bindgen turns a number into an integer
//! parameter by wrapping and truncating (-1 → 4294967295, 2.5 → 2, NaN → 0), and reads a
//! non-string for a `&str` parameter out of bounds (a `RuntimeError`, which the page takes for
//! a dead module): the shells take such arguments as `f64` and `JsValue` and check them here.

use wasm_bindgen::prelude::*;

use crate::data::Dataset;

/// The largest whole number a JavaScript number holds exactly: 2^53 - 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// `value` as a whole number in `min..=max`, or an error naming `what`.
pub fn whole(value: f64, what: &str, min: u64, max: u64) -> Result<u64, JsError> {
    if value.fract() == 0.0 && value >= min as f64 && value <= max as f64 {
        Ok(value as u64)
    } else {
        Err(JsError::new(&format!(
            "{what} must be a whole number from {min} to {max}, got {value}"
        )))
    }
}

/// `value` as a count or size from `min` to `u32::MAX`, or an error naming `what`.
pub fn size(value: f64, what: &str, min: u64) -> Result<usize, JsError> {
    whole(value, what, min, u32::MAX.into()).map(|v| v as usize)
}

/// A class label (`undefined` or `null`: none).
pub fn class(value: Option<f64>) -> Result<Option<u32>, JsError> {
    value
        .map(|c| whole(c, "class", 0, u32::MAX.into()).map(|c| c as u32))
        .transpose()
}

/// The bytes of a file, or an error for none: wasm-bindgen passes an `ArrayBuffer` or a
/// `DataView` given for a `Uint8Array` as 0 bytes, which the loader would call truncated.
pub fn file(bytes: &[u8], what: &str) -> Result<(), JsError> {
    if bytes.is_empty() {
        return Err(JsError::new(&format!(
            "{what} has 0 bytes (a program passing it should pass a Uint8Array, new \
             Uint8Array(await response.arrayBuffer()): an ArrayBuffer or a DataView arrives as \
             0 bytes)"
        )));
    }
    Ok(())
}

/// An IDX image file and its labels (uncompressed) as the dataset `name`.
pub fn idx_dataset(
    name: &JsValue,
    images_idx: &[u8],
    labels_idx: &[u8],
) -> Result<Dataset, JsError> {
    let name = text(name, "the dataset's name")?;
    file(images_idx, "the IDX images")?;
    file(labels_idx, "the IDX labels")?;
    Ok(Dataset::from_idx(&name, images_idx, labels_idx)?)
}

/// `value` as a string, or an error naming `what` and what it was instead.
pub fn text(value: &JsValue, what: &str) -> Result<String, JsError> {
    value.as_string().ok_or_else(|| {
        let given = value.js_typeof().as_string().unwrap_or_default();
        JsError::new(&format!("{what} must be a string, got {given}"))
    })
}
