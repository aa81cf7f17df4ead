//! The IDX format of MNIST and Fashion-MNIST (LeCun et al.): a big-endian header — two zero
//! bytes, a type code (0x08 = unsigned byte), the number of dimensions — then one u32 size per
//! dimension, then the data. Every field is checked; a bad file is an error saying which.

use crate::{Error, Result};

/// A parsed IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Parses an (uncompressed) IDX file of unsigned bytes. `what` names it in errors.
pub fn parse(bytes: &[u8], what: &str) -> Result<IdxArray> {
    if bytes.len() < 4 {
        return Err(Error::Data(format!(
            "{what}: {} bytes is too short for an IDX header",
            bytes.len()
        )));
    }
    if bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 {
        return Err(Error::Data(format!(
            "{what}: bad IDX magic {:02x}{:02x}{:02x}{:02x} (expected 000008NN: unsigned bytes)",
            bytes[0], bytes[1], bytes[2], bytes[3]
        )));
    }
    let ndim = bytes[3] as usize;
    if ndim == 0 {
        return Err(Error::Data(format!(
            "{what}: IDX header declares 0 dimensions"
        )));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(Error::Data(format!(
            "{what}: truncated IDX header ({} bytes, need {header})",
            bytes.len()
        )));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let n = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::Data(format!("{what}: IDX dimensions {dims:?} overflow")))?;
    let body = &bytes[header..];
    if body.len() != n {
        return Err(Error::Data(format!(
            "{what}: IDX dimensions {dims:?} need {n} bytes of data, the file has {}{}",
            body.len(),
            if body.len() < n { " (truncated?)" } else { "" }
        )));
    }
    Ok(IdxArray {
        dims,
        data: body.to_vec(),
    })
}

/// Parses an image file (`[N, H, W]`) and its label file (`[N]`), checking they agree.
/// Returns `(images, labels, [H, W])`.
pub fn parse_pair(
    images: &[u8],
    labels: &[u8],
    what: &str,
) -> Result<(Vec<u8>, Vec<u8>, [usize; 2])> {
    let im = parse(images, &format!("{what} images"))?;
    let lb = parse(labels, &format!("{what} labels"))?;
    if im.dims.len() != 3 {
        return Err(Error::Data(format!(
            "{what} images: expected 3 dimensions [N, H, W], got {:?}",
            im.dims
        )));
    }
    if lb.dims.len() != 1 {
        return Err(Error::Data(format!(
            "{what} labels: expected 1 dimension [N], got {:?}",
            lb.dims
        )));
    }
    if im.dims[0] != lb.dims[0] {
        return Err(Error::Data(format!(
            "{what}: {} images but {} labels",
            im.dims[0], lb.dims[0]
        )));
    }
    if im.dims[1] == 0 || im.dims[2] == 0 {
        return Err(Error::Data(format!(
            "{what} images: {}×{} pixels, none to learn from",
            im.dims[1], im.dims[2]
        )));
    }
    Ok((im.data, lb.data, [im.dims[1], im.dims[2]]))
}

/// Serializes bytes as an IDX array (used to make test files and browser subsets).
pub fn write(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for &d in dims {
        out.extend((d as u32).to_be_bytes());
    }
    out.extend(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_malformation_is_named() {
        let img = write(&[2, 2, 3], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        let lab = write(&[2], &[3, 7]);
        let (x, y, hw) = parse_pair(&img, &lab, "t").unwrap();
        assert_eq!((x.len(), y, hw), (12, vec![3, 7], [2, 3]));

        fn err<T>(r: Result<T>) -> String {
            r.map(|_| ()).unwrap_err().to_string()
        }
        assert!(err(parse(&img[..img.len() - 1], "t")).contains("truncated"));
        assert!(err(parse(&img[..10], "t")).contains("truncated IDX header"));
        let mut bad = img.clone();
        bad[2] = 0x0D;
        assert!(err(parse(&bad, "t")).contains("magic"));
        let lab3 = write(&[3], &[1, 2, 3]);
        assert!(err(parse_pair(&img, &lab3, "t")).contains("2 images but 3 labels"));
        assert!(err(parse_pair(&lab, &lab, "t")).contains("expected 3 dimensions"));
        // Zero-sized images have no bytes to be missing: refused by name.
        let empty = write(&[2, 0, 28], &[]);
        assert!(err(parse_pair(&empty, &lab, "t")).contains("0×28 pixels"));
    }
}
