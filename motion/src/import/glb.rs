//! Reads joint positions back from a glTF binary: every skin whose joints carry the canonical
//! joint names (optionally prefixed `character:`), sampled at the animation's key times and
//! composed through the node hierarchy. Used to check exports round-trip and to convert GLB
//! files this project (or another tool keeping the names) wrote.

use crate::error::{MotionError, Result};
use crate::motion::JointPositions;
use crate::rotation::{slerp, Quat};
use crate::skeleton::{JOINT_NAMES, NUM_JOINTS};
use nalgebra::{Matrix4, Quaternion, Translation3, UnitQuaternion, Vector3};
use std::path::Path;

/// One character read from a GLB.
pub struct GlbCharacter {
    /// Name prefix of its joints ("" for a single unprefixed character).
    pub name: String,
    pub fps: f32,
    pub frames: Vec<JointPositions>,
}

#[derive(Clone)]
enum Track {
    Translation(Vec<f32>, Vec<Vector3<f32>>),
    Rotation(Vec<f32>, Vec<Quat>),
}

fn locate(times: &[f32], t: f32) -> (usize, usize, f32) {
    if times.len() < 2 || t <= times[0] {
        return (0, 0, 0.0);
    }
    let last = times.len() - 1;
    if t >= times[last] {
        return (last, last, 0.0);
    }
    let i = times.partition_point(|&x| x <= t).saturating_sub(1).min(last - 1);
    let w = (t - times[i]) / (times[i + 1] - times[i]).max(1e-12);
    (i, i + 1, w)
}

/// Reads every canonical-named character from GLB bytes.
pub fn read_glb_characters(bytes: &[u8], path: &Path) -> Result<Vec<GlbCharacter>> {
    let gltf = gltf::Gltf::from_slice(bytes).map_err(|e| MotionError::input(path, format!("not a valid glTF binary: {e}")))?;
    let blob = gltf.blob.as_deref();
    let doc = &gltf.document;
    let mut parent = vec![None; doc.nodes().len()];
    for n in doc.nodes() {
        for c in n.children() {
            parent[c.index()] = Some(n.index());
        }
    }
    let mut tracks: Vec<Vec<Track>> = vec![Vec::new(); doc.nodes().len()];
    if let Some(anim) = doc.animations().next() {
        for ch in anim.channels() {
            let reader = ch.reader(|b| if b.index() == 0 { blob } else { None });
            let Some(inputs) = reader.read_inputs() else { continue };
            let times: Vec<f32> = inputs.collect();
            let node = ch.target().node().index();
            match reader.read_outputs() {
                Some(gltf::animation::util::ReadOutputs::Translations(t)) => {
                    tracks[node].push(Track::Translation(times, t.map(|v| Vector3::from(v)).collect()))
                }
                Some(gltf::animation::util::ReadOutputs::Rotations(r)) => tracks[node].push(Track::Rotation(
                    times,
                    r.into_f32().map(|q| UnitQuaternion::new_normalize(Quaternion::new(q[3], q[0], q[1], q[2]))).collect(),
                )),
                _ => {}
            }
        }
    }
    let nodes: Vec<gltf::Node> = doc.nodes().collect();
    let local_at = |n: usize, t: f32| -> Matrix4<f32> {
        let (tr, rot, sc) = nodes[n].transform().decomposed();
        let mut tr = Vector3::from(tr);
        let mut rot = UnitQuaternion::new_normalize(Quaternion::new(rot[3], rot[0], rot[1], rot[2]));
        for tk in &tracks[n] {
            match tk {
                Track::Translation(times, v) if !v.is_empty() => {
                    let (a, b, w) = locate(times, t);
                    tr = v[a.min(v.len() - 1)].lerp(&v[b.min(v.len() - 1)], w);
                }
                Track::Rotation(times, q) if !q.is_empty() => {
                    let (a, b, w) = locate(times, t);
                    let (qa, qb) = (q[a.min(q.len() - 1)], q[b.min(q.len() - 1)]);
                    rot = slerp(&qa, &qb, w);
                }
                _ => {}
            }
        }
        Translation3::from(tr).to_homogeneous() * rot.to_homogeneous() * Matrix4::new_nonuniform_scaling(&Vector3::from(sc))
    };
    let global_at = |n: usize, t: f32| -> Matrix4<f32> {
        let mut m = local_at(n, t);
        let mut cur = parent[n];
        while let Some(p) = cur {
            m = local_at(p, t) * m;
            cur = parent[p];
        }
        m
    };
    let mut out = Vec::new();
    for skin in doc.skins() {
        let joints: Vec<gltf::Node> = skin.joints().collect();
        let mut prefix = None;
        let mut index = [usize::MAX; NUM_JOINTS];
        for n in &joints {
            let full = n.name().unwrap_or("");
            let (pre, bare) = full.rsplit_once(':').unwrap_or(("", full));
            if let Some(k) = JOINT_NAMES.iter().position(|c| *c == bare) {
                index[k] = n.index();
                prefix.get_or_insert_with(|| pre.to_string());
            }
        }
        if index.contains(&usize::MAX) {
            continue;
        }
        // Key times: those of the pelvis's first track (every frame in our exports).
        let times: Vec<f32> = match tracks[index[0]].first().or_else(|| tracks[index[1]].first()) {
            Some(Track::Translation(t, _)) | Some(Track::Rotation(t, _)) => t.clone(),
            None => vec![0.0],
        };
        let fps = if times.len() > 1 { (times.len() - 1) as f32 / (times[times.len() - 1] - times[0]).max(1e-6) } else { 20.0 };
        let frames = times
            .iter()
            .map(|&t| std::array::from_fn(|k| {
                let m = global_at(index[k], t);
                Vector3::new(m[(0, 3)], m[(1, 3)], m[(2, 3)])
            }))
            .collect();
        out.push(GlbCharacter { name: prefix.unwrap_or_default(), fps, frames });
    }
    if out.is_empty() {
        return Err(MotionError::input(path, format!("no skin with the canonical joint names ({}, …) was found", JOINT_NAMES[..3].join(", "))));
    }
    Ok(out)
}
