//! Pinhole camera: look-at pose plus vertical field of view, projected onto a fixed pixel canvas.
//! A scene camera (position / target / fov, optionally keyframed) maps onto [`CameraPath`].

use crate::skeleton::{cross, dot, normalize, sub};
use crate::RenderError;
use serde::{Deserialize, Serialize};

/// Points closer than this in front of the camera (metres) count as behind it.
pub const NEAR_M: f64 = 0.01;

/// A camera pose in world space (metres, Y up).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    pub position: [f64; 3],
    pub target: [f64; 3],
    #[serde(default = "default_up")]
    pub up: [f64; 3],
    /// Vertical field of view in degrees.
    #[serde(default = "default_fov")]
    pub fov_y_deg: f64,
}

fn default_up() -> [f64; 3] {
    [0.0, 1.0, 0.0]
}
fn default_fov() -> f64 {
    45.0
}

impl Camera {
    pub fn validate(&self) -> Result<(), RenderError> {
        let finite = self.position.iter().chain(&self.target).chain(&self.up).all(|v| v.is_finite());
        if !finite {
            return Err(RenderError::Camera("camera position/target/up must be finite".into()));
        }
        if !(self.fov_y_deg > 1.0 && self.fov_y_deg < 179.0) {
            return Err(RenderError::Camera(format!("fov_y_deg {} outside (1, 179)", self.fov_y_deg)));
        }
        let fwd = normalize(sub(self.target, self.position))
            .ok_or_else(|| RenderError::Camera("camera target equals its position".into()))?;
        normalize(cross(fwd, self.up))
            .ok_or_else(|| RenderError::Camera("camera up is parallel to the view direction".into()))?;
        Ok(())
    }

    /// Frame every point (e.g. all joints of all characters over all frames) from the front
    /// (+Z side, looking along -Z, as the characters face +Z) so it fits the canvas with a margin.
    /// Computed once for a whole sequence, so framing stays fixed across frames.
    pub fn frame_points<'a>(
        points: impl IntoIterator<Item = &'a [f32; 3]>,
        width_px: u32,
        height_px: u32,
        fov_y_deg: f64,
    ) -> Result<Camera, RenderError> {
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for p in points {
            for a in 0..3 {
                let v = p[a] as f64;
                if v.is_finite() {
                    lo[a] = lo[a].min(v);
                    hi[a] = hi[a].max(v);
                }
            }
        }
        if !(lo[0].is_finite() && hi[0].is_finite()) {
            return Err(RenderError::Camera("no finite joint positions to frame".into()));
        }
        let center = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0, (lo[2] + hi[2]) / 2.0];
        // Head and face points stick out above the top joint a little; pad in metres.
        let half_w = (hi[0] - lo[0]) / 2.0 + 0.15;
        let half_h = (hi[1] - lo[1]) / 2.0 + 0.15;
        let half_d = (hi[2] - lo[2]) / 2.0;
        let tan_y = (fov_y_deg.to_radians() / 2.0).tan();
        let tan_x = tan_y * width_px as f64 / height_px.max(1) as f64;
        const MARGIN: f64 = 1.1;
        let dist = (half_h / tan_y).max(half_w / tan_x) * MARGIN + half_d;
        let cam = Camera {
            position: [center[0], center[1], center[2] + dist.max(0.5)],
            target: center,
            up: default_up(),
            fov_y_deg,
        };
        cam.validate()?;
        Ok(cam)
    }

    fn lerp(&self, other: &Camera, t: f64) -> Camera {
        let l = |a: [f64; 3], b: [f64; 3]| {
            [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
        };
        Camera {
            position: l(self.position, other.position),
            target: l(self.target, other.target),
            up: l(self.up, other.up),
            fov_y_deg: self.fov_y_deg + (other.fov_y_deg - self.fov_y_deg) * t,
        }
    }
}

/// One camera key: the camera at a frame index.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraKey {
    pub frame: usize,
    #[serde(flatten)]
    pub camera: Camera,
}

/// A fixed camera, or keys interpolated linearly (held before the first and after the last key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CameraPath {
    Fixed(Camera),
    Keyed(Vec<CameraKey>),
}

impl CameraPath {
    pub fn validate(&self) -> Result<(), RenderError> {
        match self {
            CameraPath::Fixed(c) => c.validate(),
            CameraPath::Keyed(keys) => {
                if keys.is_empty() {
                    return Err(RenderError::Camera("camera key list is empty".into()));
                }
                if keys.windows(2).any(|w| w[0].frame >= w[1].frame) {
                    return Err(RenderError::Camera("camera keys must have increasing frames".into()));
                }
                keys.iter().try_for_each(|k| k.camera.validate())
            }
        }
    }

    pub fn at(&self, frame: usize) -> Camera {
        match self {
            CameraPath::Fixed(c) => *c,
            CameraPath::Keyed(keys) => {
                let Some(first) = keys.first() else {
                    return Camera { position: [0.0, 1.0, 4.0], target: [0.0, 1.0, 0.0], up: default_up(), fov_y_deg: 45.0 };
                };
                if frame <= first.frame {
                    return first.camera;
                }
                for w in keys.windows(2) {
                    if frame <= w[1].frame {
                        let t = (frame - w[0].frame) as f64 / (w[1].frame - w[0].frame) as f64;
                        return w[0].camera.lerp(&w[1].camera, t);
                    }
                }
                keys[keys.len() - 1].camera
            }
        }
    }
}

/// A camera bound to a canvas: projects world points to pixel coordinates.
#[derive(Debug, Clone, Copy)]
pub struct Projector {
    position: [f64; 3],
    right: [f64; 3],
    up: [f64; 3],
    forward: [f64; 3],
    focal_px: f64,
    width_px: u32,
    height_px: u32,
}

impl Projector {
    pub fn new(camera: &Camera, width_px: u32, height_px: u32) -> Result<Self, RenderError> {
        camera.validate()?;
        let forward = normalize(sub(camera.target, camera.position))
            .ok_or_else(|| RenderError::Camera("degenerate view direction".into()))?;
        let right = normalize(cross(forward, camera.up))
            .ok_or_else(|| RenderError::Camera("degenerate up vector".into()))?;
        let up = cross(right, forward);
        let focal_px = (height_px as f64 / 2.0) / (camera.fov_y_deg.to_radians() / 2.0).tan();
        Ok(Self { position: camera.position, right, up, forward, focal_px, width_px, height_px })
    }

    /// Pixel coordinates (x right, y down; pixel centres at integer + 0.5 are not assumed — the
    /// canvas spans [0, W) × [0, H)). `None` behind the camera or off the canvas.
    pub fn project(&self, p: [f64; 3]) -> Option<[f64; 2]> {
        let d = sub(p, self.position);
        let z = dot(d, self.forward);
        // NaN and points at or behind the near plane are both rejected here.
        if z.is_nan() || z <= NEAR_M {
            return None;
        }
        let x = self.width_px as f64 / 2.0 + self.focal_px * dot(d, self.right) / z;
        let y = self.height_px as f64 / 2.0 - self.focal_px * dot(d, self.up) / z;
        let on_canvas = x >= 0.0 && y >= 0.0 && x < self.width_px as f64 && y < self.height_px as f64;
        on_canvas.then_some([x, y])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn front_cam() -> Camera {
        Camera { position: [0.0, 1.0, 5.0], target: [0.0, 1.0, 0.0], up: [0.0, 1.0, 0.0], fov_y_deg: 60.0 }
    }

    #[test]
    fn projects_center_left_and_behind() {
        let p = Projector::new(&front_cam(), 512, 256).expect("camera");
        let c = p.project([0.0, 1.0, 0.0]).expect("visible");
        assert!((c[0] - 256.0).abs() < 1e-9 && (c[1] - 128.0).abs() < 1e-9);
        // Camera looks along -Z, so world +X is on the image's right, +Y is up (smaller y).
        let r = p.project([0.5, 1.5, 0.0]).expect("visible");
        assert!(r[0] > 256.0 && r[1] < 128.0);
        assert!(p.project([0.0, 1.0, 6.0]).is_none(), "behind the camera");
        assert!(p.project([100.0, 1.0, 0.0]).is_none(), "off the canvas");
    }

    #[test]
    fn keyed_path_interpolates_and_holds() {
        let a = front_cam();
        let mut b = a;
        b.position[0] = 2.0;
        let path = CameraPath::Keyed(vec![CameraKey { frame: 10, camera: a }, CameraKey { frame: 20, camera: b }]);
        path.validate().expect("valid");
        assert_eq!(path.at(0).position[0], 0.0);
        assert!((path.at(15).position[0] - 1.0).abs() < 1e-12);
        assert_eq!(path.at(99).position[0], 2.0);
    }

    #[test]
    fn rejects_bad_cameras() {
        let mut c = front_cam();
        c.target = c.position;
        assert!(c.validate().is_err());
        let mut c = front_cam();
        c.fov_y_deg = 0.0;
        assert!(c.validate().is_err());
    }

    #[test]
    fn framing_fits_all_points() {
        let pts = [[-1.0f32, 0.0, 0.0], [1.0, 2.0, 0.5]];
        let cam = Camera::frame_points(&pts, 512, 512, 45.0).expect("frame");
        let p = Projector::new(&cam, 512, 512).expect("proj");
        for q in pts {
            assert!(p.project([q[0] as f64, q[1] as f64, q[2] as f64]).is_some());
        }
    }
}
