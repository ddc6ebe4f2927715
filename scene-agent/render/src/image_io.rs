//! PNG encode/decode for RGB8 frames, with bounded sizes for anything read from outside.

use crate::draw::Canvas;
use crate::RenderError;

/// Largest accepted image side in pixels (pose canvases, server replies, init images).
pub const MAX_SIDE_PX: u32 = 4096;

/// Fast PNG: pose frames are mostly black, where fdeflate's fast mode with the Up filter is both
/// quick and small.
pub fn encode_png(canvas: &Canvas) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(16 * 1024);
    let mut enc = png::Encoder::new(&mut out, canvas.width, canvas.height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    enc.set_filter(png::Filter::Up);
    let err = |e: png::EncodingError| RenderError::Image(format!("PNG encoding failed: {e}"));
    let mut w = enc.write_header().map_err(err)?;
    w.write_image_data(&canvas.rgb).map_err(err)?;
    w.finish().map_err(err)?;
    Ok(out)
}

/// Decode any PNG into RGB8 (alpha dropped), refusing images larger than [`MAX_SIDE_PX`].
pub fn decode_png(bytes: &[u8], what: &str) -> Result<Canvas, RenderError> {
    let bad = |m: String| RenderError::Image(format!("{what}: {m}"));
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(bad(format!("not a PNG (first bytes {:02x?})", &bytes[..bytes.len().min(8)])));
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Png);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PX);
    limits.max_image_height = Some(MAX_SIDE_PX);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| bad(format!("cannot decode PNG: {e}")))?;
    let rgb = img.to_rgb8();
    Ok(Canvas { width: rgb.width(), height: rgb.height(), rgb: rgb.into_raw() })
}

/// Nearest-free box downscale by an integer factor (for thumbnails and the contact sheet).
pub fn downscale(src: &Canvas, factor: u32) -> Canvas {
    let f = factor.max(1);
    let (w, h) = ((src.width / f).max(1), (src.height / f).max(1));
    let mut out = Canvas::new(w, h);
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0u32; 3];
            let mut n = 0u32;
            for sy in y * f..((y + 1) * f).min(src.height) {
                for sx in x * f..((x + 1) * f).min(src.width) {
                    for (a, v) in acc.iter_mut().zip(src.pixel(sx, sy)) {
                        *a += v as u32;
                    }
                    n += 1;
                }
            }
            let i = (y as usize * w as usize + x as usize) * 3;
            for (o, a) in out.rgb[i..i + 3].iter_mut().zip(acc) {
                *o = (a / n.max(1)) as u8;
            }
        }
    }
    out
}

/// Paste `src` into `dst` at (x, y), clipped.
pub fn blit(dst: &mut Canvas, src: &Canvas, x0: u32, y0: u32) {
    for y in 0..src.height {
        let dy = y0 + y;
        if dy >= dst.height {
            break;
        }
        let w = src.width.min(dst.width.saturating_sub(x0)) as usize;
        let s = y as usize * src.width as usize * 3;
        let d = (dy as usize * dst.width as usize + x0 as usize) * 3;
        dst.rgb[d..d + w * 3].copy_from_slice(&src.rgb[s..s + w * 3]);
    }
}

/// A grid of evenly sampled frames, each downscaled so the sheet stays ≤ ~2048 px wide.
pub fn contact_sheet(frames: &[Canvas], columns: u32) -> Option<Canvas> {
    let first = frames.first()?;
    let cols = columns.clamp(1, frames.len() as u32);
    let rows = (frames.len() as u32).div_ceil(cols);
    let factor = (first.width * cols).div_ceil(2048).max(1);
    let (tw, th) = ((first.width / factor).max(1), (first.height / factor).max(1));
    let mut sheet = Canvas::new(tw * cols, th * rows);
    for (i, f) in frames.iter().enumerate() {
        let t = downscale(f, factor);
        blit(&mut sheet, &t, (i as u32 % cols) * tw, (i as u32 / cols) * th);
    }
    Some(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip_and_rejects_garbage() {
        let mut c = Canvas::new(7, 5);
        c.rgb[3 * 8] = 200;
        let bytes = encode_png(&c).expect("encode");
        assert_eq!(decode_png(&bytes, "t").expect("decode"), c);
        assert!(decode_png(b"<html>oops</html>", "t").is_err());
        assert!(decode_png(&bytes[..bytes.len() / 2], "t").is_err());
    }
}
