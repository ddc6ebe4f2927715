//! Single-threaded pose-frame throughput, shared by `cargo bench` and `scene-agent poses --bench`.

use crate::image_io::encode_png;
use crate::openpose_json::OpenPoseFrame;
use crate::sequence::{Character, PoseFrames, PoseSequence};
use crate::skeleton::Joints22;
use crate::RenderError;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct BenchReport {
    pub width: u32,
    pub height: u32,
    pub frames: usize,
    /// Project + clear + draw.
    pub draw_fps: f64,
    /// Project + clear + draw + PNG encode + JSON serialise (no disk).
    pub full_fps: f64,
    pub mean_png_bytes: f64,
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pose frames {}x{}, {} frames, 1 thread: draw {:.0} frames/s; draw+PNG+JSON {:.0} frames/s (mean PNG {:.1} KiB)",
            self.width,
            self.height,
            self.frames,
            self.draw_fps,
            self.full_fps,
            self.mean_png_bytes / 1024.0
        )
    }
}

/// Render `count` frames (cycling through `clip`) at `width`×`height` on the calling thread.
pub fn bench_pose_frames(clip: &[Joints22], width: u32, height: u32, count: usize) -> Result<BenchReport, RenderError> {
    let seq = PoseSequence {
        characters: vec![Character { name: "bench".into(), frames: clip.to_vec() }],
        camera: None,
        width,
        height,
        fps: 20.0,
        auto_fov_y_deg: 40.0,
    };
    let mut pf = PoseFrames::new(&seq)?;
    let n = clip.len().max(1);
    let count = count.max(1);
    let t = Instant::now();
    let mut sink = 0usize;
    for i in 0..count {
        let people = pf.draw(i % n)?;
        sink += people.len() + pf.canvas.rgb[i % pf.canvas.rgb.len()] as usize;
    }
    let draw_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut bytes = 0usize;
    for i in 0..count {
        let people = pf.draw(i % n)?;
        let json = serde_json::to_vec(&OpenPoseFrame::from_poses(people, width, height))
            .map_err(|e| RenderError::Json(e.to_string()))?;
        let png = encode_png(&pf.canvas)?;
        bytes += png.len();
        sink += json.len();
    }
    let full_s = t.elapsed().as_secs_f64();
    std::hint::black_box(sink);
    Ok(BenchReport {
        width,
        height,
        frames: count,
        draw_fps: count as f64 / draw_s,
        full_fps: count as f64 / full_s,
        mean_png_bytes: bytes as f64 / count as f64,
    })
}
