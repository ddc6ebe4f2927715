//! OpenPose body drawing as the ControlNet annotator (sd-webui-controlnet / comfyui_controlnet_aux
//! `draw_bodypose`) does it, with the integer rasterisation rules of OpenCV's `ellipse2Poly`,
//! `fillConvexPoly` (8-connected, no sub-pixel shift) and filled `circle`, re-implemented here so
//! frames match the annotator pixel for pixel without linking OpenCV.
//!
//! Spec: per person, 17 limbs as filled ellipses (centre = truncated midpoint, half-axes =
//! (trunc(length / 2), 4), rotation = trunc(degrees(atan2(dy, dx))), 1° polygon steps) in
//! colour × 0.6 (truncated), then 18 joints as radius-4 filled circles in full colour at the
//! truncated keypoint position; the 18-colour table below, RGB, on black.

use std::sync::OnceLock;

/// The annotator's 18-colour table (RGB). Limb `i` and joint `i` use colour `i`.
pub const COLORS: [[u8; 3]; 18] = [
    [255, 0, 0],
    [255, 85, 0],
    [255, 170, 0],
    [255, 255, 0],
    [170, 255, 0],
    [85, 255, 0],
    [0, 255, 0],
    [0, 255, 85],
    [0, 255, 170],
    [0, 255, 255],
    [0, 170, 255],
    [0, 85, 255],
    [0, 0, 255],
    [85, 0, 255],
    [170, 0, 255],
    [255, 0, 255],
    [255, 0, 170],
    [255, 0, 85],
];

/// The 17 drawn limbs as COCO-18 index pairs (0-based), in drawing order.
pub const LIMBS: [(usize, usize); 17] = [
    (1, 2),
    (1, 5),
    (2, 3),
    (3, 4),
    (5, 6),
    (6, 7),
    (1, 8),
    (8, 9),
    (9, 10),
    (1, 11),
    (11, 12),
    (12, 13),
    (1, 0),
    (0, 14),
    (14, 16),
    (0, 15),
    (15, 17),
];

pub const STICK_WIDTH_PX: i32 = 4;
pub const JOINT_RADIUS_PX: i32 = 4;

/// 18 keypoints in pixel coordinates; `None` where the point is missing.
pub type Pose18 = [Option<[f64; 2]>; 18];

/// An RGB8 image, row-major, 3 bytes per pixel.
#[derive(Debug, Clone, PartialEq)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl Canvas {
    pub fn new(width: u32, height: u32) -> Self {
        Self { width, height, rgb: vec![0; width as usize * height as usize * 3] }
    }

    pub fn clear(&mut self) {
        self.rgb.fill(0);
    }

    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Fill pixels x0..=x1 of row y; the caller has clipped to the canvas.
    #[inline]
    fn hline(&mut self, y: i32, x0: i32, x1: i32, c: [u8; 3]) {
        let row = y as usize * self.width as usize * 3;
        let span = &mut self.rgb[row + x0 as usize * 3..row + (x1 as usize + 1) * 3];
        for px in span.chunks_exact_mut(3) {
            px.copy_from_slice(&c);
        }
    }

    /// Row span clipped to the canvas; nothing when fully outside.
    #[inline]
    fn hline_clipped(&mut self, y: i32, x0: i32, x1: i32, c: [u8; 3]) {
        let (w, h) = (self.width as i32, self.height as i32);
        if y < 0 || y >= h || x1 < 0 || x0 >= w || x0 > x1 {
            return;
        }
        self.hline(y, x0.max(0), x1.min(w - 1), c);
    }

    #[inline]
    fn put(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if x >= 0 && y >= 0 && x < self.width as i64 && y < self.height as i64 {
            let i = (y as usize * self.width as usize + x as usize) * 3;
            self.rgb[i..i + 3].copy_from_slice(&c);
        }
    }
}

/// sin of whole degrees 0..=450, rounded to 7 decimals and stored as f32, as OpenCV's table is.
fn sin_table() -> &'static [f32; 451] {
    static TABLE: OnceLock<[f32; 451]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0f32; 451];
        for (deg, v) in t.iter_mut().enumerate() {
            let s = (deg as f64).to_radians().sin();
            *v = ((s * 1e7).round() / 1e7) as f32;
        }
        t
    })
}

/// Closed polygon approximating a full ellipse with 1° steps, rounded half-to-even to integer
/// pixels with consecutive duplicates dropped (OpenCV `ellipse2Poly(center, axes, angle, 0, 360, 1)`).
pub fn ellipse_poly(center: (i32, i32), axes: (i32, i32), angle_deg: i32, out: &mut Vec<(i32, i32)>) {
    out.clear();
    let t = sin_table();
    let angle = angle_deg.rem_euclid(360) as usize;
    let (cos_a, sin_a) = (t[450 - angle] as f64, t[angle] as f64);
    let (cx, cy) = (center.0 as f64, center.1 as f64);
    let mut prev: Option<(i32, i32)> = None;
    for deg in 0..=360usize {
        let x = axes.0 as f64 * t[450 - deg] as f64;
        let y = axes.1 as f64 * t[deg] as f64;
        let px = (cx + x * cos_a - y * sin_a).round_ties_even() as i32;
        let py = (cy + x * sin_a + y * cos_a).round_ties_even() as i32;
        if prev != Some((px, py)) {
            out.push((px, py));
            prev = Some((px, py));
        }
    }
    if out.len() == 1 {
        out.clear();
        out.extend([center, center]);
    }
}

/// Cohen–Sutherland clip of an integer segment to the canvas; false when nothing is left.
fn clip_line(w: i64, h: i64, p1: &mut (i64, i64), p2: &mut (i64, i64)) -> bool {
    let (right, bottom) = (w - 1, h - 1);
    if w <= 0 || h <= 0 {
        return false;
    }
    let code = |p: (i64, i64)| {
        (p.0 < 0) as i32 + (p.0 > right) as i32 * 2 + (p.1 < 0) as i32 * 4 + (p.1 > bottom) as i32 * 8
    };
    let (mut c1, mut c2) = (code(*p1), code(*p2));
    if (c1 & c2) == 0 && (c1 | c2) != 0 {
        if c1 & 12 != 0 {
            let a = if c1 < 8 { 0 } else { bottom };
            p1.0 += (a - p1.1) * (p2.0 - p1.0) / (p2.1 - p1.1);
            p1.1 = a;
            c1 = (p1.0 < 0) as i32 + (p1.0 > right) as i32 * 2;
        }
        if c2 & 12 != 0 {
            let a = if c2 < 8 { 0 } else { bottom };
            p2.0 += (a - p2.1) * (p2.0 - p1.0) / (p2.1 - p1.1);
            p2.1 = a;
            c2 = (p2.0 < 0) as i32 + (p2.0 > right) as i32 * 2;
        }
        if (c1 & c2) == 0 && (c1 | c2) != 0 {
            if c1 != 0 {
                let a = if c1 == 1 { 0 } else { right };
                p1.1 += (a - p1.0) * (p2.1 - p1.1) / (p2.0 - p1.0);
                p1.0 = a;
                c1 = 0;
            }
            if c2 != 0 {
                let a = if c2 == 1 { 0 } else { right };
                p2.1 += (a - p2.0) * (p2.1 - p1.1) / (p2.0 - p1.0);
                p2.0 = a;
                c2 = 0;
            }
        }
    }
    (c1 | c2) == 0
}

/// 8-connected Bresenham segment, walked left to right, clipped to the canvas.
fn line8(canvas: &mut Canvas, a: (i64, i64), b: (i64, i64), c: [u8; 3]) {
    let (w, h) = (canvas.width as i64, canvas.height as i64);
    let (mut p1, mut p2) = (a, b);
    let outside = |p: (i64, i64)| p.0 < 0 || p.1 < 0 || p.0 >= w || p.1 >= h;
    if (outside(p1) || outside(p2)) && !clip_line(w, h, &mut p1, &mut p2) {
        return;
    }
    if p2.0 < p1.0 {
        std::mem::swap(&mut p1, &mut p2);
    }
    let dx = p2.0 - p1.0;
    let dy_signed = p2.1 - p1.1;
    let ystep = if dy_signed < 0 { -1 } else { 1 };
    let dy = dy_signed.abs();
    // Major axis steps every pixel; the minor one when the error goes negative.
    let (major, minor, len_major, len_minor) =
        if dy > dx { ((0, ystep), (1, 0), dy, dx) } else { ((1, 0), (0, ystep), dx, dy) };
    let mut err = len_major - 2 * len_minor;
    let (mut x, mut y) = p1;
    for _ in 0..=len_major {
        canvas.put(x, y, c);
        let step_minor = err < 0;
        err += -2 * len_minor + if step_minor { 2 * len_major } else { 0 };
        x += major.0 + if step_minor { minor.0 } else { 0 };
        y += major.1 + if step_minor { minor.1 } else { 0 };
    }
}

/// Fill a convex polygon with integer vertices: outline with 8-connected lines, then scanlines
/// between two edges tracked in 16.16 fixed point, rounding the span ends half up.
pub fn fill_convex_poly(canvas: &mut Canvas, v: &[(i32, i32)], c: [u8; 3]) {
    const SHIFT: i64 = 16;
    const HALF: i64 = 1 << (SHIFT - 1);
    let n = v.len();
    if n == 0 {
        return;
    }
    let (w, h) = (canvas.width as i64, canvas.height as i64);
    let mut imin = 0usize;
    let (mut xmin, mut xmax, mut ymin, mut ymax) = (v[0].0, v[0].0, v[0].1, v[0].1);
    let mut p0 = v[n - 1];
    for (i, &p) in v.iter().enumerate() {
        if p.1 < ymin {
            ymin = p.1;
            imin = i;
        }
        ymax = ymax.max(p.1);
        xmax = xmax.max(p.0);
        xmin = xmin.min(p.0);
        line8(canvas, (p0.0 as i64, p0.1 as i64), (p.0 as i64, p.1 as i64), c);
        p0 = p;
    }
    let (xmin, xmax, ymin) = (xmin as i64, xmax as i64, ymin as i64);
    if n < 3 || xmax < 0 || (ymax as i64) < 0 || xmin >= w || ymin >= h {
        return;
    }
    let ymax = (ymax as i64).min(h - 1);

    #[derive(Clone, Copy)]
    struct Edge {
        idx: usize,
        di: usize,
        x: i64,
        dx: i64,
        ye: i64,
    }
    let mut edge = [
        Edge { idx: imin, di: 1, x: -(1 << SHIFT), dx: 0, ye: ymin },
        Edge { idx: imin, di: n - 1, x: -(1 << SHIFT), dx: 0, ye: ymin },
    ];
    // Shared budget of polygon edges to walk; running out ends the fill.
    let mut edges_left = n as i64;
    let mut y = ymin;
    loop {
        for e in edge.iter_mut() {
            if y >= e.ye {
                let mut idx0 = e.idx;
                let mut idx = (idx0 + e.di) % n;
                loop {
                    let more = edges_left > 0;
                    edges_left -= 1;
                    if !more {
                        break;
                    }
                    let ty = v[idx].1 as i64;
                    if ty > y {
                        let xs = (v[idx0].0 as i64) << SHIFT;
                        let xe = (v[idx].0 as i64) << SHIFT;
                        e.ye = ty;
                        e.dx = ((xe - xs) * 2 + (ty - y)) / (2 * (ty - y));
                        e.x = xs;
                        e.idx = idx;
                        break;
                    }
                    idx0 = idx;
                    idx = (idx + e.di) % n;
                }
            }
        }
        if edges_left < 0 {
            break;
        }
        if y >= 0 {
            let (l, r) = if edge[0].x > edge[1].x { (1, 0) } else { (0, 1) };
            let x1 = (edge[l].x + HALF) >> SHIFT;
            let x2 = (edge[r].x + HALF) >> SHIFT;
            if x2 >= 0 && x1 < w {
                canvas.hline(y as i32, x1.max(0) as i32, x2.min(w - 1) as i32, c);
            }
        }
        edge[0].x += edge[0].dx;
        edge[1].x += edge[1].dx;
        y += 1;
        if y > ymax {
            break;
        }
    }
}

/// Filled circle by the integer midpoint walk (OpenCV `circle(..., thickness=-1)`, 8-connected).
pub fn fill_circle(canvas: &mut Canvas, center: (i32, i32), radius: i32, c: [u8; 3]) {
    let (mut err, mut dx, mut dy, mut plus, mut minus) = (0i32, radius, 0i32, 1i32, (radius << 1) - 1);
    while dx >= dy {
        canvas.hline_clipped(center.1 - dy, center.0 - dx, center.0 + dx, c);
        canvas.hline_clipped(center.1 + dy, center.0 - dx, center.0 + dx, c);
        canvas.hline_clipped(center.1 - dx, center.0 - dy, center.0 + dy, c);
        canvas.hline_clipped(center.1 + dx, center.0 - dy, center.0 + dy, c);
        dy += 1;
        err += plus;
        plus += 2;
        if err > 0 {
            err -= minus;
            dx -= 1;
            minus -= 2;
        }
    }
}

/// Reusable drawing state (the ellipse polygon buffer), so drawing allocates nothing per frame.
#[derive(Default)]
pub struct PoseDrawer {
    poly: Vec<(i32, i32)>,
}

impl PoseDrawer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Draw one person: limbs first, then joints (the annotator draws people one after another).
    pub fn draw_person(&mut self, canvas: &mut Canvas, pose: &Pose18) {
        // Keypoints far outside any canvas (e.g. from hand-edited JSON) are skipped: the integer
        // rasteriser needs coordinates well inside i32 range.
        let sane = |p: &[f64; 2]| p.iter().all(|v| v.is_finite() && v.abs() < 1.0e5);
        let pose: Pose18 = pose.map(|k| k.filter(sane));
        for (i, &(a, b)) in LIMBS.iter().enumerate() {
            let (Some(p), Some(q)) = (pose[a], pose[b]) else { continue };
            let (mx, my) = ((p[0] + q[0]) / 2.0, (p[1] + q[1]) / 2.0);
            let (dx, dy) = (p[0] - q[0], p[1] - q[1]);
            // `powf(0.5)` rather than `sqrt` mirrors the annotator's `** 0.5` bit for bit.
            let length = (dy * dy + dx * dx).powf(0.5);
            let angle = dy.atan2(dx).to_degrees() as i32;
            ellipse_poly((mx as i32, my as i32), ((length / 2.0) as i32, STICK_WIDTH_PX), angle, &mut self.poly);
            let col = COLORS[i].map(|v| (v as f64 * 0.6) as u8);
            fill_convex_poly(canvas, &self.poly, col);
        }
        for (i, k) in pose.iter().enumerate() {
            if let Some(p) = k {
                fill_circle(canvas, (p[0] as i32, p[1] as i32), JOINT_RADIUS_PX, COLORS[i]);
            }
        }
    }

    pub fn draw_people(&mut self, canvas: &mut Canvas, people: &[Pose18]) {
        for p in people {
            self.draw_person(canvas, p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_radius_4_shape() {
        let mut c = Canvas::new(20, 20);
        fill_circle(&mut c, (10, 10), 4, [255, 0, 0]);
        let row_width = |y: u32| (0..20).filter(|&x| c.pixel(x, y)[0] == 255).count();
        // Midpoint walk for r = 4: half-widths 4,3,3,2,0 from the centre row outwards.
        assert_eq!([row_width(10), row_width(11), row_width(12), row_width(13), row_width(14)], [9, 7, 7, 5, 1]);
        assert_eq!(row_width(15), 0);
    }

    #[test]
    fn clipped_circle_and_poly_do_not_panic() {
        let mut c = Canvas::new(8, 8);
        let mut wild: Pose18 = [None; 18];
        wild[1] = Some([-9.0e4, 3.0]);
        wild[2] = Some([9.0e4, 5.0]);
        wild[3] = Some([f64::MAX, 1.0]);
        PoseDrawer::new().draw_person(&mut c, &wild);
        c.clear();
        fill_circle(&mut c, (0, 0), 4, [1, 2, 3]);
        let mut poly = Vec::new();
        ellipse_poly((1, 7), (30, 4), 33, &mut poly);
        fill_convex_poly(&mut c, &poly, [9, 9, 9]);
        assert_eq!(c.pixel(0, 0), [1, 2, 3]);
    }

    #[test]
    fn horizontal_limb_fills_stick_width() {
        let mut c = Canvas::new(64, 32);
        let mut pose: Pose18 = [None; 18];
        pose[1] = Some([10.0, 16.0]);
        pose[2] = Some([50.0, 16.0]);
        PoseDrawer::new().draw_person(&mut c, &pose);
        // Limb 0 (neck→right shoulder) colour ×0.6 in the middle, ±4 px thick.
        assert_eq!(c.pixel(30, 16), [153, 0, 0]);
        assert_eq!(c.pixel(30, 12), [153, 0, 0]);
        assert_eq!(c.pixel(30, 11), [0, 0, 0]);
        // Joint circles in full colour on top.
        assert_eq!(c.pixel(10, 16), COLORS[1]);
        assert_eq!(c.pixel(50, 16), COLORS[2]);
    }
}
