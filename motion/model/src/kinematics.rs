//! Differentiable forward kinematics of the feature rotations, so training losses can act on the
//! skeleton that decoding builds (rotations → joints) rather than on the separate joint-position
//! channels, which decoding ignores.
//!
//! Same conventions as `motion::features`: the pelvis rotation is relative to the heading frame,
//! the pelvis sits at (0, height, 0), and the output uses the [`motion::features::JOINT_POS`]
//! layout — joints 1..22, x/z relative to the pelvis in the heading frame, absolute y, metres.

use burn::prelude::*;
use motion::skeleton::{NUM_JOINTS, PARENTS, Skeleton};

/// Unit vectors along the last axis (length floored so a zero vector stays finite).
fn normalize(x: Tensor<3>) -> Tensor<3> {
    let len = (x.clone().powf_scalar(2.0).sum_dim(2) + 1e-8).sqrt();
    x / len
}

fn cross(a: Tensor<3>, b: Tensor<3>) -> Tensor<3> {
    let [n, j, _] = a.dims();
    let c = |t: &Tensor<3>, k: usize| t.clone().slice([0..n, 0..j, k..k + 1]);
    let (ax, ay, az) = (c(&a, 0), c(&a, 1), c(&a, 2));
    let (bx, by, bz) = (c(&b, 0), c(&b, 1), c(&b, 2));
    Tensor::cat(vec![ay.clone() * bz.clone() - az.clone() * by.clone(), az * bx.clone() - ax.clone() * bz, ax * by - ay * bx], 2)
}

/// Rotation matrices `[rows, joints, 3, 3]` from 6D rotations `[rows, joints, 6]` by
/// Gram–Schmidt: the two 3-vectors are the first two columns, as in
/// `motion::rotation::quat_from_6d`.
pub fn matrices_from_6d(six: Tensor<3>) -> Tensor<4> {
    let [n, j, _] = six.dims();
    let a = six.clone().slice([0..n, 0..j, 0..3]);
    let b = six.slice([0..n, 0..j, 3..6]);
    let c0 = normalize(a);
    let along = (c0.clone() * b.clone()).sum_dim(2);
    let c1 = normalize(b - c0.clone() * along);
    let c2 = cross(c0.clone(), c1.clone());
    // m[.., i, k] = column k, row i.
    Tensor::stack(vec![c0, c1, c2], 3)
}

/// Joint positions `[b, n, 63]` (JOINT_POS layout, metres) of de-normalised features: 6D local
/// rotations `[b, n, 132]` and pelvis height `[b, n, 1]`, on `skeleton`.
pub fn joint_positions(rot_6d: Tensor<3>, root_height: Tensor<3>, skeleton: &Skeleton) -> Tensor<3> {
    let [b, n, _] = rot_6d.dims();
    let rows = b * n;
    let device = rot_6d.device();
    let local = matrices_from_6d(rot_6d.reshape([rows, NUM_JOINTS, 6]));
    let local_of = |j: usize| local.clone().slice([0..rows, j..j + 1, 0..3, 0..3]).reshape([rows, 3, 3]);
    let has_child: [bool; NUM_JOINTS] = std::array::from_fn(|j| PARENTS.iter().any(|p| *p == Some(j)));

    let zeros = Tensor::<2>::zeros([rows, 1], &device);
    let mut pos: Vec<Tensor<2>> = Vec::with_capacity(NUM_JOINTS);
    let mut global: Vec<Option<Tensor<3>>> = Vec::with_capacity(NUM_JOINTS);
    pos.push(Tensor::cat(vec![zeros.clone(), root_height.reshape([rows, 1]), zeros], 1));
    global.push(Some(local_of(0)));
    for j in 1..NUM_JOINTS {
        let parent = PARENTS[j].unwrap_or(0);
        let g_parent = global[parent].clone().expect("parents precede children and have a global rotation");
        let o = skeleton.offsets_m[j];
        let offset = Tensor::<3>::from_data(TensorData::new(vec![o.x, o.y, o.z], [1, 1, 3]), &device);
        // (G o)_i = Σ_k G[i, k] o[k]
        let rotated = (g_parent.clone() * offset).sum_dim(2).reshape([rows, 3]);
        pos.push(pos[parent].clone() + rotated);
        global.push(has_child[j].then(|| g_parent.matmul(local_of(j))));
    }
    Tensor::cat(pos.split_off(1), 1).reshape([b, n, (NUM_JOINTS - 1) * 3])
}

#[cfg(test)]
mod tests {
    use super::*;
    use motion::features::{JOINT_POS, ROOT_HEIGHT, ROT_6D, FEATURE_DIM, canonicalize, decode, encode};
    use motion::rotation::{Quat, quat_to_6d};
    use nalgebra::Vector3;

    fn columns(frames: &[[f32; FEATURE_DIM]], r: std::ops::Range<usize>, device: &Device) -> Tensor<3> {
        crate::train::tests::column(frames, r, 0, device)
    }

    /// A clip with bent, twisting limbs (every joint rotating about a different axis), decoded
    /// and re-encoded by the motion core: its joint-position channels come from the nalgebra
    /// forward kinematics, an independent implementation.
    fn twisting_clip() -> Vec<[f32; FEATURE_DIM]> {
        let frames: Vec<[f32; FEATURE_DIM]> = (0..12)
            .map(|t| {
                let mut f = [0.0f32; FEATURE_DIM];
                f[ROOT_HEIGHT.start] = 0.85 + 0.01 * t as f32;
                for j in 0..22 {
                    let axis = Vector3::new(1.0 + j as f32, (j % 3) as f32 - 1.0, 0.5 * (t as f32 + 1.0));
                    let q = Quat::from_axis_angle(&nalgebra::Unit::new_normalize(axis), 0.3 + 0.05 * (j + t) as f32);
                    f[ROT_6D.start + j * 6..ROT_6D.start + j * 6 + 6].copy_from_slice(&quat_to_6d(&q));
                }
                f
            })
            .collect();
        encode(&canonicalize(&decode(&frames)))
    }

    #[test]
    fn matches_the_motion_cores_forward_kinematics() {
        let device = Device::flex();
        let feats = twisting_clip();
        let got: Vec<f32> = joint_positions(columns(&feats, ROT_6D, &device), columns(&feats, ROOT_HEIGHT, &device), &Skeleton::canonical())
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let mut spread = 0.0f32;
        for (t, f) in feats.iter().enumerate() {
            for (k, want) in f[JOINT_POS].iter().enumerate() {
                let g = got[t * JOINT_POS.len() + k];
                assert!((g - want).abs() < 1e-4, "frame {t} column {k}: {g} vs {want}");
                spread += (want - feats[0][JOINT_POS.start + k]).abs();
            }
        }
        assert!(spread > 1.0, "the fixture's joints really move");
    }

    #[test]
    fn unnormalised_6d_gives_the_same_rotation_as_the_motion_core() {
        let device = Device::flex();
        let raw = [2.0f32, 0.5, -0.3, 0.7, 3.0, 0.2];
        let m: Vec<f32> = matrices_from_6d(Tensor::from_data(TensorData::new(raw.to_vec(), [1, 1, 6]), &device))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let q = motion::rotation::quat_from_6d(&raw);
        let want = q.to_rotation_matrix();
        for i in 0..3 {
            for k in 0..3 {
                assert!((m[i * 3 + k] - want[(i, k)]).abs() < 1e-5, "({i},{k}): {} vs {}", m[i * 3 + k], want[(i, k)]);
            }
        }
    }
}
