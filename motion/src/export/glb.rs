//! GLB export: per character a joint-node hierarchy, a skin, a skinned mannequin mesh and
//! animation channels (pelvis translation, every joint's rotation); optionally an animated
//! camera. All characters and the camera share one animation so players keep them in sync.
//! Written to pass the Khronos glTF validator with no errors or warnings.

use super::mannequin::MannequinMesh;
use crate::error::{write_atomic, MotionError, Result};
use crate::motion::Motion;
use crate::rotation::{same_hemisphere, Quat};
use crate::skeleton::{JOINT_NAMES, NUM_JOINTS, PARENTS};
use nalgebra::Vector3;
use serde_json::{json, Value};
use std::path::Path;

/// One animated character. Its placement in the world is already in the motion.
pub struct CharacterTrack<'a> {
    pub name: &'a str,
    pub motion: &'a Motion,
}

/// An animated camera: per frame a position (metres) and a rotation; like every glTF camera
/// it looks down its local −Z with +Y up.
pub struct CameraTrack {
    pub fps: f32,
    pub yfov_rad: f32,
    pub positions_m: Vec<Vector3<f32>>,
    pub rotations: Vec<Quat>,
}

const ARRAY_BUFFER: u32 = 34962;
const ELEMENT_ARRAY_BUFFER: u32 = 34963;
const FLOAT: u32 = 5126;
const UNSIGNED_BYTE: u32 = 5121;
const UNSIGNED_SHORT: u32 = 5123;

/// Accumulates the binary chunk, buffer views and accessors.
#[derive(Default)]
struct Builder {
    bin: Vec<u8>,
    views: Vec<Value>,
    accessors: Vec<Value>,
}

impl Builder {
    fn view(&mut self, bytes: &[u8], target: Option<u32>) -> usize {
        while self.bin.len() % 4 != 0 {
            self.bin.push(0);
        }
        let mut v = json!({"buffer": 0, "byteOffset": self.bin.len(), "byteLength": bytes.len()});
        if let Some(t) = target {
            v["target"] = json!(t);
        }
        self.bin.extend_from_slice(bytes);
        self.views.push(v);
        self.views.len() - 1
    }

    /// A float accessor of `kind` ("SCALAR", "VEC3", ...) with `width` components per element.
    fn floats(&mut self, data: &[f32], kind: &str, width: usize, target: Option<u32>, bounds: bool) -> usize {
        let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        let view = self.view(&bytes, target);
        let count = data.len() / width;
        let mut a = json!({"bufferView": view, "componentType": FLOAT, "count": count, "type": kind});
        if bounds {
            let mut min = vec![f32::INFINITY; width];
            let mut max = vec![f32::NEG_INFINITY; width];
            for e in data.chunks_exact(width) {
                for k in 0..width {
                    min[k] = min[k].min(e[k]);
                    max[k] = max[k].max(e[k]);
                }
            }
            a["min"] = json!(min);
            a["max"] = json!(max);
        }
        self.accessors.push(a);
        self.accessors.len() - 1
    }

    fn raw(&mut self, bytes: &[u8], component: u32, count: usize, kind: &str, target: u32) -> usize {
        let view = self.view(bytes, Some(target));
        self.accessors.push(json!({"bufferView": view, "componentType": component, "count": count, "type": kind}));
        self.accessors.len() - 1
    }
}

fn check_motion(m: &Motion, name: &str) -> Result<()> {
    if m.poses.is_empty() {
        return Err(MotionError::Invalid(format!("character '{name}' has no frames")));
    }
    if !(m.fps.is_finite() && m.fps > 0.0) {
        return Err(MotionError::Invalid(format!("character '{name}' has an invalid frame rate {}", m.fps)));
    }
    let finite = m.poses.iter().all(|p| p.root_m.iter().all(|v| v.is_finite()) && p.local.iter().all(|q| q.coords.iter().all(|v| v.is_finite())));
    if !finite {
        return Err(MotionError::Invalid(format!("character '{name}' has non-finite values")));
    }
    Ok(())
}

fn times(n: usize, fps: f32) -> Vec<f32> {
    (0..n).map(|i| i as f32 / fps).collect()
}

/// Serialises characters and an optional camera into GLB bytes.
pub fn glb_bytes(characters: &[CharacterTrack], camera: Option<&CameraTrack>) -> Result<Vec<u8>> {
    if characters.is_empty() {
        return Err(MotionError::Invalid("nothing to export: no characters".into()));
    }
    let mut b = Builder::default();
    let mut nodes: Vec<Value> = Vec::new();
    let mut scene_nodes: Vec<usize> = Vec::new();
    let (mut meshes, mut skins, mut samplers, mut channels) = (vec![], vec![], vec![], vec![]);
    let single = characters.len() == 1;
    for (ci, ch) in characters.iter().enumerate() {
        check_motion(ch.motion, ch.name)?;
        let m = ch.motion;
        let first = nodes.len();
        // Joint nodes in canonical order; rest translation = offset, rest rotation = identity.
        for j in 0..NUM_JOINTS {
            let t = if j == 0 { m.poses[0].root_m } else { m.skeleton.offsets_m[j] };
            let name = if single { JOINT_NAMES[j].to_string() } else { format!("{}:{}", ch.name, JOINT_NAMES[j]) };
            let kids: Vec<usize> = (0..NUM_JOINTS).filter(|&c| PARENTS[c] == Some(j)).map(|c| first + c).collect();
            let mut node = json!({"name": name, "translation": [t.x, t.y, t.z]});
            if !kids.is_empty() {
                node["children"] = json!(kids);
            }
            nodes.push(node);
        }
        scene_nodes.push(first);

        // Skin: rest rotations are identity, so each inverse bind matrix is a translation.
        let rest = m.skeleton.rest_positions_m();
        let ibm: Vec<f32> = rest
            .iter()
            .flat_map(|p| [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, -p.x, -p.y, -p.z, 1.0])
            .collect();
        let ibm_acc = b.floats(&ibm, "MAT4", 16, None, false);
        skins.push(json!({"name": format!("{}_skin", ch.name), "inverseBindMatrices": ibm_acc, "skeleton": first, "joints": (first..first + NUM_JOINTS).collect::<Vec<_>>()}));

        let body = MannequinMesh::build(&m.skeleton);
        let pos: Vec<f32> = body.positions.iter().flatten().copied().collect();
        let nrm: Vec<f32> = body.normals.iter().flatten().copied().collect();
        let joints: Vec<u8> = body.joints.iter().flat_map(|&j| [j, 0, 0, 0]).collect();
        let weights: Vec<f32> = body.joints.iter().flat_map(|_| [1.0, 0.0, 0.0, 0.0]).collect();
        let idx: Vec<u8> = body.indices.iter().flat_map(|i| i.to_le_bytes()).collect();
        let pos_acc = b.floats(&pos, "VEC3", 3, Some(ARRAY_BUFFER), true);
        let nrm_acc = b.floats(&nrm, "VEC3", 3, Some(ARRAY_BUFFER), false);
        let jnt_acc = b.raw(&joints, UNSIGNED_BYTE, body.joints.len(), "VEC4", ARRAY_BUFFER);
        let wgt_acc = b.floats(&weights, "VEC4", 4, Some(ARRAY_BUFFER), false);
        let idx_acc = b.raw(&idx, UNSIGNED_SHORT, body.indices.len(), "SCALAR", ELEMENT_ARRAY_BUFFER);
        meshes.push(json!({"name": format!("{}_body", ch.name), "primitives": [{
            "attributes": {"POSITION": pos_acc, "NORMAL": nrm_acc, "JOINTS_0": jnt_acc, "WEIGHTS_0": wgt_acc},
            "indices": idx_acc, "material": 0}]}));
        nodes.push(json!({"name": format!("{}_body", ch.name), "mesh": ci, "skin": ci}));
        scene_nodes.push(nodes.len() - 1);

        // Animation: one shared time input per character, linear interpolation.
        let input = b.floats(&times(m.poses.len(), m.fps), "SCALAR", 1, None, true);
        let root: Vec<f32> = m.poses.iter().flat_map(|p| [p.root_m.x, p.root_m.y, p.root_m.z]).collect();
        let out = b.floats(&root, "VEC3", 3, None, false);
        samplers.push(json!({"input": input, "output": out, "interpolation": "LINEAR"}));
        channels.push(json!({"sampler": samplers.len() - 1, "target": {"node": first, "path": "translation"}}));
        for j in 0..NUM_JOINTS {
            let mut prev = Quat::identity();
            let rot: Vec<f32> = m
                .poses
                .iter()
                .flat_map(|p| {
                    let q = same_hemisphere(&prev, Quat::new_normalize(p.local[j].into_inner()));
                    prev = q;
                    [q.i, q.j, q.k, q.w]
                })
                .collect();
            let out = b.floats(&rot, "VEC4", 4, None, false);
            samplers.push(json!({"input": input, "output": out, "interpolation": "LINEAR"}));
            channels.push(json!({"sampler": samplers.len() - 1, "target": {"node": first + j, "path": "rotation"}}));
        }
    }
    let mut cameras = vec![];
    if let Some(cam) = camera {
        let n = cam.positions_m.len();
        if n == 0 || cam.rotations.len() != n || !(cam.fps > 0.0) || !(cam.yfov_rad > 0.0 && cam.yfov_rad < std::f32::consts::PI) {
            return Err(MotionError::Invalid("camera track needs matching positions and rotations, fps > 0 and 0 < yfov < π".into()));
        }
        cameras.push(json!({"name": "camera", "type": "perspective", "perspective": {"yfov": cam.yfov_rad, "znear": 0.05, "zfar": 1000.0}}));
        let p0 = cam.positions_m[0];
        let q0 = cam.rotations[0];
        nodes.push(json!({"name": "camera", "camera": 0, "translation": [p0.x, p0.y, p0.z], "rotation": [q0.i, q0.j, q0.k, q0.w]}));
        let cam_node = nodes.len() - 1;
        scene_nodes.push(cam_node);
        let input = b.floats(&times(n, cam.fps), "SCALAR", 1, None, true);
        let pos: Vec<f32> = cam.positions_m.iter().flat_map(|p| [p.x, p.y, p.z]).collect();
        let out = b.floats(&pos, "VEC3", 3, None, false);
        samplers.push(json!({"input": input, "output": out, "interpolation": "LINEAR"}));
        channels.push(json!({"sampler": samplers.len() - 1, "target": {"node": cam_node, "path": "translation"}}));
        let mut prev = Quat::identity();
        let rot: Vec<f32> = cam
            .rotations
            .iter()
            .flat_map(|q| {
                let q = same_hemisphere(&prev, Quat::new_normalize(q.into_inner()));
                prev = q;
                [q.i, q.j, q.k, q.w]
            })
            .collect();
        let out = b.floats(&rot, "VEC4", 4, None, false);
        samplers.push(json!({"input": input, "output": out, "interpolation": "LINEAR"}));
        channels.push(json!({"sampler": samplers.len() - 1, "target": {"node": cam_node, "path": "rotation"}}));
    }
    while b.bin.len() % 4 != 0 {
        b.bin.push(0);
    }
    let mut doc = json!({
        "asset": {"version": "2.0", "generator": concat!("motion ", env!("CARGO_PKG_VERSION"))},
        "scene": 0,
        "scenes": [{"name": "scene", "nodes": scene_nodes}],
        "nodes": nodes,
        "meshes": meshes,
        "skins": skins,
        "materials": [{"name": "mannequin", "pbrMetallicRoughness": {"baseColorFactor": [0.8, 0.72, 0.62, 1.0], "metallicFactor": 0.0, "roughnessFactor": 0.7}}],
        "animations": [{"name": "motion", "samplers": samplers, "channels": channels}],
        "buffers": [{"byteLength": b.bin.len()}],
        "bufferViews": b.views,
        "accessors": b.accessors,
    });
    if !cameras.is_empty() {
        doc["cameras"] = json!(cameras);
    }
    let mut json_bytes = serde_json::to_vec(&doc).map_err(|e| MotionError::Invalid(format!("cannot serialise glTF JSON: {e}")))?;
    while json_bytes.len() % 4 != 0 {
        json_bytes.push(b' ');
    }
    let total = 12 + 8 + json_bytes.len() + 8 + b.bin.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(json_bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json_bytes);
    out.extend_from_slice(&(b.bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&b.bin);
    Ok(out)
}

/// Writes one character (and optionally a camera) to a `.glb` file atomically.
pub fn write_glb(path: &Path, characters: &[CharacterTrack], camera: Option<&CameraTrack>) -> Result<()> {
    write_atomic(path, &glb_bytes(characters, camera)?)
}
