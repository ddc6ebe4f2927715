//! Contact sheets: stick figures of several clips at evenly spaced moments, one row per clip,
//! drawn from the front (slightly turned), each clip turned to face the viewer. Left limbs red, right limbs blue, spine white.

use crate::motion::Motion;
use crate::skeleton::{NUM_JOINTS, PARENTS};
use image::{Rgb, RgbImage};

pub const CELL_W: u32 = 140;
pub const CELL_H: u32 = 180;

fn colour(j: usize) -> Rgb<u8> {
    let name = crate::skeleton::JOINT_NAMES[j];
    if name.starts_with("left") {
        Rgb([235, 80, 70])
    } else if name.starts_with("right") {
        Rgb([70, 140, 235])
    } else {
        Rgb([235, 235, 235])
    }
}

fn line(img: &mut RgbImage, a: (f32, f32), b: (f32, f32), c: Rgb<u8>) {
    let steps = ((b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil() as usize).max(1);
    for s in 0..=steps {
        let t = s as f32 / steps as f32;
        let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let (px, py) = (x as i64 + dx, y as i64 + dy);
            if px >= 0 && py >= 0 && (px as u32) < img.width() && (py as u32) < img.height() {
                img.put_pixel(px as u32, py as u32, c);
            }
        }
    }
}

/// Draws `columns` moments of each motion; each figure is centred on its own pelvis (x, z)
/// with the floor at a fixed height, so height and foot contact are comparable across cells.
pub fn contact_sheet(motions: &[&Motion], columns: usize) -> RgbImage {
    let columns = columns.max(1);
    let mut img = RgbImage::from_pixel(CELL_W * columns as u32, CELL_H * motions.len().max(1) as u32, Rgb([24, 26, 30]));
    let scale = CELL_H as f32 / 2.1; // pixels per metre: 2.1 m of height per cell
    let (cy, sy) = (0.35f32.cos(), 0.35f32.sin()); // view yawed 20° for depth
    for (row, m) in motions.iter().enumerate() {
        // Turn each clip to face the viewer at its first frame.
        let pos = crate::features::canonicalize(m).joint_positions();
        if pos.is_empty() {
            continue;
        }
        for col in 0..columns {
            let f = if columns == 1 { 0 } else { col * (pos.len() - 1) / (columns - 1) };
            let p = &pos[f];
            let (ox, oy) = (col as f32 * CELL_W as f32, row as f32 * CELL_H as f32);
            let floor_y = oy + CELL_H as f32 - 12.0;
            line(&mut img, (ox + 8.0, floor_y), (ox + CELL_W as f32 - 8.0, floor_y), Rgb([80, 80, 90]));
            let project = |v: &nalgebra::Vector3<f32>| {
                let (x, z) = (v.x - p[0].x, v.z - p[0].z);
                // Viewer on +Z looking back at the figure (yawed): the figure's left (+X) is on
                // the viewer's right, as in a photo of someone facing the camera.
                let sx = x * cy - z * sy;
                (ox + CELL_W as f32 / 2.0 + sx * scale, floor_y - v.y * scale)
            };
            for j in 1..NUM_JOINTS {
                let parent = PARENTS[j].unwrap_or(0);
                line(&mut img, project(&p[parent]), project(&p[j]), colour(j));
            }
        }
    }
    img
}

/// Writes a contact sheet PNG atomically.
pub fn write_contact_sheet(motions: &[&Motion], columns: usize, path: &std::path::Path) -> crate::Result<()> {
    let img = contact_sheet(motions, columns);
    let mut bytes = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .map_err(|e| crate::MotionError::Invalid(format!("cannot encode PNG: {e}")))?;
    crate::write_atomic(path, &bytes)
}
