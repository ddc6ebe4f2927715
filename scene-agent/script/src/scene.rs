//! A validated scene with solved placement and camera sampling — what building and rendering use.

use std::f64::consts::PI;

use crate::schedule::{Interpolation, Schedule};
use crate::script::{CameraMode, CircleFacing, Relation, SceneScript};
use crate::{ScriptError, limits};

/// Where a character stands at the start: `position` is `[x, 0, z]` in metres (Y up) and `yaw`
/// the heading in radians about +Y (0 faces +Z).
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub id: String,
    pub position: [f32; 3],
    pub yaw: f32,
}

/// A camera at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraPose {
    pub eye: [f32; 3],
    pub target: [f32; 3],
    /// Vertical field of view in degrees.
    pub vfov_deg: f32,
}

#[derive(Debug, Clone)]
struct CameraCurves {
    distance: Schedule,
    height: Schedule,
    azimuth: Schedule,
    fov: Schedule,
    interp: Interpolation,
}

/// A validated scene script plus its solved placement.
#[derive(Debug, Clone)]
pub struct Scene {
    pub script: SceneScript,
    pub placements: Vec<Placement>,
    curves: CameraCurves,
}

/// Unit vector a character with heading `yaw` looks along.
pub fn forward(yaw: f64) -> [f64; 2] {
    [yaw.sin(), yaw.cos()]
}

/// Unit vector to a character's right (forward × up, with Y up).
pub fn right(yaw: f64) -> [f64; 2] {
    [-yaw.cos(), yaw.sin()]
}

/// Heading that looks from `from` to `to` (both `[x, z]`).
pub fn yaw_towards(from: [f64; 2], to: [f64; 2]) -> f64 {
    (to[0] - from[0]).atan2(to[1] - from[1])
}

#[derive(Clone, Copy)]
struct Slot {
    pos: Option<[f64; 2]>,
    yaw: Option<f64>,
    /// Set by the script or an earlier relation; a second relation may not move it.
    fixed: bool,
}

fn add(a: [f64; 2], d: [f64; 2], s: f64) -> [f64; 2] {
    [a[0] + d[0] * s, a[1] + d[1] * s]
}

/// Turns placement relations into coordinates. Relations apply in order; each positions its
/// subject relative to characters already placed (an unplaced reference is put at the origin).
pub fn solve_placement(script: &SceneScript) -> Result<Vec<Placement>, ScriptError> {
    let n = script.characters.len();
    let mut slots: Vec<Slot> = script
        .characters
        .iter()
        .map(|c| Slot { pos: c.position, yaw: c.yaw_deg.map(f64::to_radians), fixed: c.position.is_some() })
        .collect();
    let idx = |id: &str| script.character_index(id).ok_or_else(|| ScriptError::Solve(format!("unknown character {id:?}")));
    let conflict = |i: usize, what: usize| {
        ScriptError::Solve(format!(
            "relations[{what}] would move {:?}, which already has a position (absolute or from an earlier relation); remove one of them",
            script.characters[i].id
        ))
    };
    // An unplaced reference goes to the origin facing +Z; it then counts as placed.
    let anchor = |slots: &mut Vec<Slot>, i: usize| -> ([f64; 2], f64) {
        let s = &mut slots[i];
        let p = *s.pos.get_or_insert([0.0, 0.0]);
        let y = *s.yaw.get_or_insert(0.0);
        s.fixed = true;
        (p, y)
    };
    for (k, rel) in script.relations.iter().enumerate() {
        match rel {
            Relation::FaceEachOther { a, b, distance } => {
                let (ia, ib) = (idx(a)?, idx(b)?);
                match (slots[ia].fixed, slots[ib].fixed) {
                    (false, false) => {
                        // Symmetric about the origin on the X axis, so the default camera sees both in profile-ish.
                        slots[ia].pos = Some([-distance / 2.0, 0.0]);
                        slots[ib].pos = Some([distance / 2.0, 0.0]);
                    }
                    (true, false) => {
                        let (pa, ya) = anchor(&mut slots, ia);
                        slots[ib].pos = Some(add(pa, forward(ya), *distance));
                    }
                    (false, true) => {
                        let (pb, yb) = anchor(&mut slots, ib);
                        slots[ia].pos = Some(add(pb, forward(yb), *distance));
                    }
                    (true, true) => {} // both stand where they are; only turn them
                }
                let (pa, pb) = (slots[ia].pos.unwrap_or_default(), slots[ib].pos.unwrap_or_default());
                slots[ia].yaw = Some(yaw_towards(pa, pb));
                slots[ib].yaw = Some(yaw_towards(pb, pa));
                slots[ia].fixed = true;
                slots[ib].fixed = true;
            }
            Relation::SideBySide { a, b, distance } => {
                let (ia, ib) = (idx(a)?, idx(b)?);
                if slots[ib].fixed {
                    return Err(conflict(ib, k));
                }
                let (pa, ya) = anchor(&mut slots, ia);
                slots[ib] = Slot { pos: Some(add(pa, right(ya), *distance)), yaw: Some(ya), fixed: true };
            }
            Relation::Behind { subject, reference, distance } | Relation::InFrontOf { subject, reference, distance } => {
                let (is, ir) = (idx(subject)?, idx(reference)?);
                if slots[is].fixed {
                    return Err(conflict(is, k));
                }
                let (pr, yr) = anchor(&mut slots, ir);
                let (sign, yaw) = if matches!(rel, Relation::Behind { .. }) { (-1.0, yr) } else { (1.0, yr + PI) };
                slots[is] = Slot { pos: Some(add(pr, forward(yr), sign * distance)), yaw: Some(yaw), fixed: true };
            }
            Relation::Facing { subject, target } => {
                let (is, it) = (idx(subject)?, idx(target)?);
                let (pt, _) = anchor(&mut slots, it);
                let (ps, _) = anchor(&mut slots, is);
                slots[is].yaw = Some(yaw_towards(ps, pt));
            }
            Relation::Circle { members, radius, center, facing } => {
                let c = center.unwrap_or([0.0, 0.0]);
                let m = members.len().max(1) as f64;
                for (j, id) in members.iter().enumerate() {
                    let i = idx(id)?;
                    if slots[i].fixed {
                        return Err(conflict(i, k));
                    }
                    // Member 0 at the front (+Z side), going counter-clockwise seen from above.
                    let ang = 2.0 * PI * j as f64 / m;
                    let pos = [c[0] + radius * ang.sin(), c[1] + radius * ang.cos()];
                    let inward = yaw_towards(pos, c);
                    let yaw = if *facing == CircleFacing::Center { inward } else { inward + PI };
                    slots[i] = Slot { pos: Some(pos), yaw: Some(yaw), fixed: true };
                }
            }
        }
    }
    // Whoever is still unplaced stands in a row along +X behind the rest, 1.5 m apart.
    let placed: Vec<usize> = (0..n).filter(|&i| slots[i].pos.is_some()).collect();
    let mut next_x = placed.iter().filter_map(|&i| slots[i].pos).map(|p| p[0]).fold(f64::NEG_INFINITY, f64::max);
    if !next_x.is_finite() {
        let unplaced = n - placed.len();
        next_x = -0.75 * (unplaced as f64 - 1.0) - 1.5;
    }
    for s in slots.iter_mut().filter(|s| s.pos.is_none()) {
        next_x += 1.5;
        s.pos = Some([next_x, 0.0]);
    }
    let mut out = Vec::with_capacity(n);
    for (c, s) in script.characters.iter().zip(&slots) {
        let p = s.pos.unwrap_or([0.0, 0.0]);
        if p[0].abs() > limits::MAX_COORD_M || p[1].abs() > limits::MAX_COORD_M {
            return Err(ScriptError::Solve(format!("{:?} ends up at ({:.1}, {:.1}), outside ±{} m", c.id, p[0], p[1], limits::MAX_COORD_M)));
        }
        let yaw = s.yaw.unwrap_or(0.0);
        // Keep yaw in (-pi, pi] so numbers stay readable.
        let yaw = (yaw + PI).rem_euclid(2.0 * PI) - PI;
        out.push(Placement { id: c.id.clone(), position: [p[0] as f32, 0.0, p[1] as f32], yaw: yaw as f32 });
    }
    // Two characters on the same spot would interpenetrate; that is a planning error.
    for i in 0..out.len() {
        for j in i + 1..out.len() {
            let (a, b) = (out[i].position, out[j].position);
            if (a[0] - b[0]).hypot(a[2] - b[2]) < 0.3 {
                return Err(ScriptError::Solve(format!("{:?} and {:?} stand on the same spot; give one of them a relation or a position", out[i].id, out[j].id)));
            }
        }
    }
    Ok(out)
}

impl Scene {
    /// Validates, then solves placement and parses the camera schedules.
    pub fn new(script: SceneScript) -> Result<Self, ScriptError> {
        script.validate()?;
        let placements = solve_placement(&script)?;
        let c = &script.camera;
        let sched = |p: &Option<crate::Param>, default: f64| -> Result<Schedule, ScriptError> {
            match p {
                None => Ok(Schedule::constant(default)),
                Some(p) => p.to_schedule().map_err(|e| ScriptError::Solve(e.to_string())),
            }
        };
        let spread = placements.iter().map(|p| p.position[0].abs().max(p.position[2].abs())).fold(0.0f32, f32::max) as f64;
        let curves = CameraCurves {
            distance: sched(&c.distance, (4.0 + spread * 1.5).min(limits::MAX_COORD_M))?,
            height: sched(&c.height, 1.6)?,
            azimuth: sched(&c.azimuth_deg, 0.0)?,
            fov: sched(&c.fov_deg, 45.0)?,
            interp: c.interpolation,
        };
        Ok(Scene { script, placements, curves })
    }

    pub fn from_json(text: &str) -> Result<Self, ScriptError> {
        let mut s = SceneScript::from_json(text)?;
        s.normalize_labels();
        Scene::new(s)
    }

    pub fn duration(&self) -> f64 {
        self.script.duration
    }

    pub fn fps(&self) -> u32 {
        self.script.fps
    }

    pub fn frame_count(&self) -> u32 {
        self.script.frame_count()
    }

    pub fn placement(&self, id: &str) -> Option<&Placement> {
        self.placements.iter().find(|p| p.id == id)
    }

    /// Camera at `t` seconds, using the characters' start positions (for `follow`).
    pub fn camera_at(&self, t: f32) -> CameraPose {
        self.camera_at_with(t, |_| None)
    }

    /// Camera at `t` seconds; `root(id)` may give a character's current root position (for
    /// `follow` once motion exists), otherwise its start position is used.
    pub fn camera_at_with(&self, t: f32, root: impl Fn(&str) -> Option<[f32; 3]>) -> CameraPose {
        let c = &self.script.camera;
        let t = f64::from(t).clamp(0.0, self.script.duration.max(0.0));
        let frame = t * f64::from(self.script.fps);
        let ip = self.curves.interp;
        let dist = self.curves.distance.sample(frame, ip);
        let height = self.curves.height.sample(frame, ip);
        let mut az = self.curves.azimuth.sample(frame, ip);
        let fov = self.curves.fov.sample(frame, ip);
        let centroid = {
            let n = self.placements.len().max(1) as f32;
            let (sx, sz) = self.placements.iter().fold((0.0, 0.0), |(x, z), p| (x + p.position[0], z + p.position[2]));
            [f64::from(sx / n), 1.0, f64::from(sz / n)]
        };
        let mut target = c.target.unwrap_or(centroid);
        if c.mode == CameraMode::Follow
            && let Some(id) = &c.character
        {
            let p = root(id).or_else(|| self.placement(id).map(|p| p.position)).unwrap_or([0.0; 3]);
            target = [f64::from(p[0]), 1.0, f64::from(p[2])];
        }
        if c.mode == CameraMode::Orbit {
            az += c.orbit_speed_deg_per_s.unwrap_or(limits::DEFAULT_ORBIT_SPEED) * t;
        }
        let eye = match (c.mode, c.eye) {
            (CameraMode::Static, Some(e)) => e,
            _ => {
                let a = az.to_radians();
                [target[0] + dist * a.sin(), height, target[2] + dist * a.cos()]
            }
        };
        let f = |v: [f64; 3]| [v[0] as f32, v[1] as f32, v[2] as f32];
        CameraPose { eye: f(eye), target: f(target), vfov_deg: fov as f32 }
    }
}
