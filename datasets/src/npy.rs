//! `.npy` arrays of floats (f32 or f64, little- or big-endian, C order) read with `npyz`.

use crate::error::{DatasetError, Result};
use npyz::WriterBuilder;
use std::path::Path;

/// Larger `.npy` files are refused: no motion clip comes near it.
pub const MAX_NPY_BYTES: u64 = 2 << 30;

/// A float array with its shape, converted to f32.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatArray {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Reads an `.npy` file of f32 or f64 values in C order.
pub fn read_floats(path: &Path) -> Result<FloatArray> {
    let meta = std::fs::metadata(path).map_err(|e| DatasetError::io(path, e))?;
    if meta.len() > MAX_NPY_BYTES {
        return Err(DatasetError::invalid(path, format!("file is {} bytes, more than the {MAX_NPY_BYTES} accepted", meta.len())));
    }
    let bytes = std::fs::read(path).map_err(|e| DatasetError::io(path, e))?;
    let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| DatasetError::invalid(path, format!("not a valid .npy file: {e}")))?;
    if npy.order() != npyz::Order::C {
        return Err(DatasetError::invalid(path, "Fortran-order arrays are not supported; save with C order"));
    }
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let dtype = npy.dtype();
    let descr = match &dtype {
        npyz::DType::Plain(t) => t.to_string(),
        other => return Err(DatasetError::invalid(path, format!("expected a plain float array, found dtype {other:?}"))),
    };
    let data: Vec<f32> = match descr.as_str() {
        "<f4" | ">f4" => npy.into_vec::<f32>().map_err(|e| DatasetError::invalid(path, format!("cannot read f32 data: {e}")))?,
        "<f8" | ">f8" => npy
            .into_vec::<f64>()
            .map_err(|e| DatasetError::invalid(path, format!("cannot read f64 data: {e}")))?
            .into_iter()
            .map(|v| v as f32)
            .collect(),
        other => return Err(DatasetError::invalid(path, format!("expected float32 or float64 values, found dtype '{other}'"))),
    };
    if Some(data.len()) != count {
        return Err(DatasetError::invalid(path, format!("header shape {shape:?} does not match the {} values stored", data.len())));
    }
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        return Err(DatasetError::invalid(path, format!("value {i} is not finite ({})", data[i])));
    }
    Ok(FloatArray { shape, data })
}

/// Serialises a C-order little-endian f32 `.npy` array.
pub fn f32_npy_bytes(shape: &[usize], data: &[f32]) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut w = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&shape.iter().map(|&d| d as u64).collect::<Vec<_>>())
        .writer(&mut bytes)
        .begin_nd()?;
    w.extend(data.iter().copied())?;
    w.finish()?;
    Ok(bytes)
}
