//! The 22-joint input skeleton (HumanML3D / SMPL order) and its mapping to the 18 COCO/OpenPose
//! body keypoints that ControlNet's openpose model was trained on.

/// One frame of one character: joint positions in metres, Y up, character facing +Z, in the
/// canonical skeleton's joint order (HumanML3D / SMPL, 22 joints).
pub type Joints22 = [[f32; 3]; motion::NUM_JOINTS];

/// Joint indices: the motion core's canonical skeleton, so both sides can never disagree.
pub use motion::skeleton::joint as smpl;

/// COCO-18 (OpenPose "COCO" body model) keypoint order, as written to `pose_keypoints_2d`.
pub const COCO18_NAMES: [&str; 18] = [
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "RHip",
    "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
];

/// Which SMPL joint each COCO-18 body keypoint is taken from. `None` for the neck, which is the
/// midpoint of the shoulders as in OpenPose's COCO training data (SMPL's neck joint sits well
/// above the shoulder line), and for the face points, estimated by [`face_points`].
pub const COCO18_FROM_SMPL: [Option<usize>; 18] = [
    None,
    None,
    Some(smpl::R_SHOULDER),
    Some(smpl::R_ELBOW),
    Some(smpl::R_WRIST),
    Some(smpl::L_SHOULDER),
    Some(smpl::L_ELBOW),
    Some(smpl::L_WRIST),
    Some(smpl::R_HIP),
    Some(smpl::R_KNEE),
    Some(smpl::R_ANKLE),
    Some(smpl::L_HIP),
    Some(smpl::L_KNEE),
    Some(smpl::L_ANKLE),
    None,
    None,
    None,
    None,
];

/// Head-to-neck distance (metres) of the average HumanML3D body; face offsets below are for it
/// and are scaled by each character's own head-to-neck distance.
const NOMINAL_HEAD_NECK_M: f64 = 0.10;

/// Face point offsets from the SMPL head joint in the head frame (left, up, forward), metres,
/// for a body with [`NOMINAL_HEAD_NECK_M`]. Order: nose, right eye, left eye, right ear, left ear.
const FACE_OFFSETS_M: [[f64; 3]; 5] = [
    [0.0, 0.005, 0.105],
    [-0.032, 0.035, 0.080],
    [0.032, 0.035, 0.080],
    [-0.075, 0.020, -0.005],
    [0.075, 0.020, -0.005],
];

pub(crate) fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
pub(crate) fn add(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
pub(crate) fn scale(a: [f64; 3], s: f64) -> [f64; 3] {
    [a[0] * s, a[1] * s, a[2] * s]
}
pub(crate) fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
pub(crate) fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}
pub(crate) fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}
/// Unit vector, or `None` for a (near) zero vector.
pub(crate) fn normalize(a: [f64; 3]) -> Option<[f64; 3]> {
    let n = norm(a);
    (n > 1e-9 && n.is_finite()).then(|| scale(a, 1.0 / n))
}

fn j(joints: &Joints22, i: usize) -> [f64; 3] {
    let p = joints[i];
    [p[0] as f64, p[1] as f64, p[2] as f64]
}

/// Nose, right eye, left eye, right ear, left ear in world space, estimated from the head joint and
/// a head frame whose up axis is neck→head and whose left axis is the shoulder line (right→left
/// shoulder) made orthogonal to it. `None` when the frame is degenerate (coincident joints).
pub fn face_points(joints: &Joints22) -> Option<[[f64; 3]; 5]> {
    let head = j(joints, smpl::HEAD);
    let neck = j(joints, smpl::NECK);
    let neck_to_head = sub(head, neck);
    let up = normalize(neck_to_head)?;
    let shoulders = sub(j(joints, smpl::L_SHOULDER), j(joints, smpl::R_SHOULDER));
    let left = normalize(sub(shoulders, scale(up, dot(shoulders, up))))?;
    // Y up, facing +Z: left (+X) × up (+Y) = forward (+Z).
    let forward = cross(left, up);
    let size = (norm(neck_to_head) / NOMINAL_HEAD_NECK_M).clamp(0.3, 3.0);
    let mut out = [[0.0; 3]; 5];
    for (o, off) in out.iter_mut().zip(FACE_OFFSETS_M) {
        let local = add(add(scale(left, off[0]), scale(up, off[1])), scale(forward, off[2]));
        *o = add(head, scale(local, size));
    }
    Some(out)
}

/// The 18 COCO keypoints of one frame in world space (metres). Face points are `None` when the
/// head frame is degenerate; non-finite input joints give `None` for that keypoint.
pub fn coco18_world(joints: &Joints22) -> [Option<[f64; 3]>; 18] {
    let mut out = [None; 18];
    for (k, src) in COCO18_FROM_SMPL.iter().enumerate() {
        if let Some(i) = src {
            let p = j(joints, *i);
            if p.iter().all(|v| v.is_finite()) {
                out[k] = Some(p);
            }
        }
    }
    let (l, r) = (j(joints, smpl::L_SHOULDER), j(joints, smpl::R_SHOULDER));
    let neck = scale(add(l, r), 0.5);
    if neck.iter().all(|v| v.is_finite()) {
        out[1] = Some(neck);
    }
    if let Some(face) = face_points(joints).filter(|f| f.iter().flatten().all(|v| v.is_finite())) {
        // COCO indices: 0 nose, 14 right eye, 15 left eye, 16 right ear, 17 left ear.
        for (k, p) in [0usize, 14, 15, 16, 17].into_iter().zip(face) {
            out[k] = Some(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A T-posed body facing +Z: left side at +X.
    pub(crate) fn t_pose() -> Joints22 {
        let mut j = [[0.0f32; 3]; 22];
        j[smpl::PELVIS] = [0.0, 0.9, 0.0];
        j[smpl::L_HIP] = [0.1, 0.85, 0.0];
        j[smpl::R_HIP] = [-0.1, 0.85, 0.0];
        j[smpl::NECK] = [0.0, 1.5, 0.0];
        j[smpl::HEAD] = [0.0, 1.6, 0.0];
        j[smpl::L_SHOULDER] = [0.18, 1.42, 0.0];
        j[smpl::R_SHOULDER] = [-0.18, 1.42, 0.0];
        j
    }

    #[test]
    fn face_is_in_front_and_sided() {
        let f = face_points(&t_pose()).expect("frame");
        let nose = f[0];
        assert!(nose[2] > 0.08, "nose should be in front (+Z): {nose:?}");
        assert!(f[2][0] > 0.0 && f[1][0] < 0.0, "left eye at +X, right eye at -X");
        assert!(f[4][0] > f[2][0], "left ear further out than left eye");
    }

    #[test]
    fn degenerate_head_frame_gives_no_face() {
        let mut j = t_pose();
        j[smpl::HEAD] = j[smpl::NECK];
        let k = coco18_world(&j);
        assert!(k[0].is_none() && k[14].is_none());
        assert!(k[1].is_some());
    }
}
