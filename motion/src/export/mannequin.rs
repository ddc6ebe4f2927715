//! A simple body for the skeleton: one capsule per bone (and spheres for head and hands), each
//! vertex bound fully to one joint, modelled in the rest pose so any glTF viewer shows a figure.

use crate::skeleton::{joint, Skeleton, NUM_JOINTS, PARENTS};
use nalgebra::Vector3;

pub struct MannequinMesh {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    /// The joint (skin index) each vertex follows.
    pub joints: Vec<u8>,
    pub indices: Vec<u16>,
}

/// Capsule radius of the bone ending at joint `j`, metres.
fn radius(j: usize) -> f32 {
    match j {
        joint::L_HIP | joint::R_HIP => 0.075,
        3 | 6 | 9 => 0.105, // spine
        joint::L_KNEE | joint::R_KNEE => 0.065,
        joint::L_ANKLE | joint::R_ANKLE => 0.05,
        joint::L_FOOT | joint::R_FOOT => 0.04,
        joint::NECK => 0.05,
        13 | 14 => 0.055, // collars
        joint::HEAD => 0.05,
        joint::L_SHOULDER | joint::R_SHOULDER => 0.05,
        joint::L_ELBOW | joint::R_ELBOW => 0.045,
        _ => 0.038, // forearms
    }
}

const SIDES: usize = 12;
const CAP_RINGS: usize = 4;

impl MannequinMesh {
    pub fn build(skeleton: &Skeleton) -> Self {
        let rest = skeleton.rest_positions_m();
        let mut m = MannequinMesh { positions: vec![], normals: vec![], joints: vec![], indices: vec![] };
        for j in 1..NUM_JOINTS {
            let p = PARENTS[j].unwrap_or(0);
            m.capsule(rest[p], rest[j], radius(j), p as u8);
        }
        // Head and hands: spheres bound to their end joints.
        let up = Vector3::new(0.0, 0.09, 0.02);
        m.capsule(rest[joint::HEAD] + up * 0.5, rest[joint::HEAD] + up, 0.1, joint::HEAD as u8);
        for (w, e) in [(joint::L_WRIST, joint::L_ELBOW), (joint::R_WRIST, joint::R_ELBOW)] {
            let dir = (rest[w] - rest[e]).try_normalize(1e-9).unwrap_or(Vector3::x());
            m.capsule(rest[w] + dir * 0.03, rest[w] + dir * 0.08, 0.04, w as u8);
        }
        m
    }

    /// A capsule around segment a→b: a tube with hemispherical caps (lat-long rings).
    fn capsule(&mut self, a: Vector3<f32>, b: Vector3<f32>, r: f32, joint: u8) {
        let axis = (b - a).try_normalize(1e-9).unwrap_or(Vector3::y());
        let helper = if axis.y.abs() < 0.9 { Vector3::y() } else { Vector3::x() };
        let u = axis.cross(&helper).normalize();
        let v = axis.cross(&u);
        let base = self.positions.len() as u16;
        // Rings from the bottom pole (−axis at a) to the top pole (+axis at b).
        let mut rings: Vec<(Vector3<f32>, f32, f32)> = Vec::new(); // (centre, sin, cos) of latitude
        for i in 0..=CAP_RINGS {
            let lat = -std::f32::consts::FRAC_PI_2 + std::f32::consts::FRAC_PI_2 * i as f32 / CAP_RINGS as f32;
            rings.push((a, lat.cos(), lat.sin()));
        }
        for i in 0..=CAP_RINGS {
            let lat = std::f32::consts::FRAC_PI_2 * i as f32 / CAP_RINGS as f32;
            rings.push((b, lat.cos(), lat.sin()));
        }
        for (centre, ring_r, h) in &rings {
            for s in 0..SIDES {
                let t = std::f32::consts::TAU * s as f32 / SIDES as f32;
                let n = (u * t.cos() + v * t.sin()) * *ring_r + axis * *h;
                let n = n.try_normalize(1e-9).unwrap_or(axis);
                let p = centre + n * r;
                self.positions.push([p.x, p.y, p.z]);
                self.normals.push([n.x, n.y, n.z]);
                self.joints.push(joint);
            }
        }
        for ring in 0..rings.len() - 1 {
            for s in 0..SIDES {
                let i0 = base + (ring * SIDES + s) as u16;
                let i1 = base + (ring * SIDES + (s + 1) % SIDES) as u16;
                let j0 = i0 + SIDES as u16;
                let j1 = i1 + SIDES as u16;
                // Skip the degenerate triangles at the poles (a ring of radius zero).
                // Counter-clockwise seen from outside; skip triangles collapsed at a pole.
                if rings[ring].1 > 1e-6 {
                    self.indices.extend_from_slice(&[i0, i1, j1]);
                }
                if rings[ring + 1].1 > 1e-6 {
                    self.indices.extend_from_slice(&[i0, j1, j0]);
                }
            }
        }
    }
}
