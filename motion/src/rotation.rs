//! Rotation conversions on nalgebra: quaternion ↔ matrix ↔ continuous 6D (the first two
//! columns of the matrix, Zhou et al. 2019), Euler angles in any BVH channel order, best-fit
//! rotations between vector sets, and the heading (yaw about +Y) of a rotation.

use nalgebra::{Matrix3, Rotation3, Unit, UnitQuaternion, Vector3};

pub type Quat = UnitQuaternion<f32>;

/// The 6D representation: the first two columns of the rotation matrix, `[c0.x, c0.y, c0.z, c1.x, c1.y, c1.z]`.
pub fn quat_to_6d(q: &Quat) -> [f32; 6] {
    let m = q.to_rotation_matrix();
    let m = m.matrix();
    [m[(0, 0)], m[(1, 0)], m[(2, 0)], m[(0, 1)], m[(1, 1)], m[(2, 1)]]
}

/// Inverse of [`quat_to_6d`] for any input (Gram–Schmidt), so network outputs always decode
/// to a valid rotation. Degenerate inputs fall back to the identity.
pub fn quat_from_6d(d: &[f32]) -> Quat {
    let a = Vector3::new(d[0], d[1], d[2]);
    let b = Vector3::new(d[3], d[4], d[5]);
    let Some(c0) = a.try_normalize(1e-8) else { return Quat::identity() };
    let Some(c1) = (b - c0 * c0.dot(&b)).try_normalize(1e-8) else {
        return Quat::rotation_between(&Vector3::x(), &c0).unwrap_or_else(Quat::identity);
    };
    let c2 = c0.cross(&c1);
    Quat::from_rotation_matrix(&Rotation3::from_matrix_unchecked(Matrix3::from_columns(&[c0, c1, c2])))
}

/// Rotation about one axis (0 = X, 1 = Y, 2 = Z) by `degrees`.
pub fn axis_rotation(axis: usize, degrees: f64) -> Quat {
    let a = match axis {
        0 => Vector3::x_axis(),
        1 => Vector3::y_axis(),
        _ => Vector3::z_axis(),
    };
    Quat::from_axis_angle(&a, degrees.to_radians() as f32)
}

/// Rotation from BVH channels in file order: R = R(c1) · R(c2) · R(c3).
pub fn from_euler_channels(channels: &[(usize, f64)]) -> Quat {
    channels.iter().fold(Quat::identity(), |acc, &(axis, deg)| acc * axis_rotation(axis, deg))
}

/// Euler angles (degrees) for the order `axes` (e.g. [2, 0, 1] for Z X Y) such that
/// `from_euler_channels` rebuilds `q`. Works for any Tait–Bryan order.
pub fn to_euler_channels(q: &Quat, axes: [usize; 3]) -> [f64; 3] {
    // Work in f64 from the quaternion itself: near gimbal lock the f32 matrix loses the angles.
    let m = q.cast::<f64>().to_rotation_matrix();
    let m = m.matrix();
    let (i, j, k) = (axes[0], axes[1], axes[2]);
    // Parity of the permutation decides the signs (standard Tait–Bryan extraction for
    // R = Ri(a) Rj(b) Rk(c)).
    let even = (i + 1) % 3 == j;
    let s = if even { 1.0 } else { -1.0 };
    let sb = (s * m[(i, k)]).clamp(-1.0, 1.0);
    let b = sb.asin();
    let (a, c);
    // Within ~0.06° of the lock the f32 input cannot separate a from c (|cos b| < 1e-3).
    if sb.abs() < 1.0 - 5e-7 {
        a = (-s * m[(j, k)]).atan2(m[(k, k)]);
        c = (-s * m[(i, j)]).atan2(m[(i, i)]);
    } else {
        // Gimbal lock: only a ± c is defined; put it all in a.
        a = (s * m[(k, j)]).atan2(m[(j, j)]);
        c = 0.0;
    }
    [a.to_degrees(), b.to_degrees(), c.to_degrees()]
}

/// Wraps an angle to (−π, π] (radians).
pub fn wrap_angle(a: f32) -> f32 {
    let two_pi = std::f32::consts::TAU;
    let mut a = a % two_pi;
    if a <= -std::f32::consts::PI {
        a += two_pi;
    } else if a > std::f32::consts::PI {
        a -= two_pi;
    }
    a
}

/// Yaw of a rotation: the angle about +Y that turns +Z toward where `q` points +Z, projected
/// on the ground plane (radians; 0 when the projection vanishes).
pub fn heading_yaw(q: &Quat) -> f32 {
    let f = q * Vector3::z();
    if f.x.abs() + f.z.abs() < 1e-6 { 0.0 } else { f.x.atan2(f.z) }
}

pub fn yaw_rotation(yaw: f32) -> Quat {
    Quat::from_axis_angle(&Vector3::y_axis(), yaw)
}

/// The rotation R minimising Σ wᵢ |R·restᵢ − targetᵢ|² (weighted Kabsch via SVD).
/// Returns `None` if the pairs do not determine a rotation.
pub fn best_fit_rotation(pairs: &[(Vector3<f32>, Vector3<f32>, f32)]) -> Option<Quat> {
    let mut h = Matrix3::<f64>::zeros();
    for (rest, target, w) in pairs {
        h += (rest.cast::<f64>() * target.cast::<f64>().transpose()) * (*w as f64);
    }
    let svd = h.svd(true, true);
    let (u, vt) = (svd.u?, svd.v_t?);
    let mut d = Matrix3::identity();
    if (vt.transpose() * u.transpose()).determinant() < 0.0 {
        d[(2, 2)] = -1.0;
    }
    let r = vt.transpose() * d * u.transpose();
    let q = UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix_unchecked(r)).cast::<f32>();
    let q = UnitQuaternion::new_normalize(q.into_inner());
    q.coords.iter().all(|v| v.is_finite()).then_some(q)
}

/// The rotation taking the frame (a, b) onto (a', b'): `a` lands exactly on `a'`, and `b` as
/// close to `b'` as the angle allows. `None` when a vector vanishes or a ∥ b.
pub fn align_two_vectors(a: &Vector3<f32>, b: &Vector3<f32>, a2: &Vector3<f32>, b2: &Vector3<f32>) -> Option<Quat> {
    let frame = |x: &Vector3<f32>, y: &Vector3<f32>| -> Option<Matrix3<f32>> {
        let e0 = x.try_normalize(1e-9)?;
        let e1 = (y - e0 * e0.dot(y)).try_normalize(1e-6)?;
        Some(Matrix3::from_columns(&[e0, e1, e0.cross(&e1)]))
    };
    let (f, g) = (frame(a, b)?, frame(a2, b2)?);
    let q = UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix_unchecked(g * f.transpose()));
    Some(UnitQuaternion::new_normalize(q.into_inner()))
}

/// Shortest-arc rotation taking direction `from` to direction `to` (identity if degenerate).
pub fn swing(from: &Vector3<f32>, to: &Vector3<f32>) -> Quat {
    match (Unit::try_new(*from, 1e-9), Unit::try_new(*to, 1e-9)) {
        (Some(a), Some(b)) => Quat::rotation_between_axis(&a, &b).unwrap_or_else(|| {
            // Opposite directions: turn half a turn about any perpendicular axis.
            let perp = if a.x.abs() < 0.9 { a.cross(&Vector3::x()) } else { a.cross(&Vector3::y()) };
            Quat::from_axis_angle(&Unit::new_normalize(perp), std::f32::consts::PI)
        }),
        _ => Quat::identity(),
    }
}

/// Spherical interpolation from `a` (w = 0) to `b` (w = 1) along the short way, returning an
/// exactly unit quaternion. nalgebra's slerp loses unit length for nearly equal inputs in f32
/// (acos near 1), which would scale bones; close rotations use normalised lerp instead.
pub fn slerp(a: &Quat, b: &Quat, w: f32) -> Quat {
    if w <= 0.0 {
        return *a;
    }
    if w >= 1.0 {
        return *b;
    }
    let b = same_hemisphere(a, *b);
    let q = if a.coords.dot(&b.coords) > 0.9995 {
        a.into_inner() * (1.0 - w) + b.into_inner() * w
    } else {
        a.try_slerp(&b, w, 1e-6).map_or_else(|| a.into_inner(), |q| q.into_inner())
    };
    UnitQuaternion::new_normalize(q)
}

/// Makes `q` lie in the same hemisphere as `prev` (q and −q are the same rotation), so
/// interpolation between keys takes the short way.
pub fn same_hemisphere(prev: &Quat, q: Quat) -> Quat {
    if prev.coords.dot(&q.coords) < 0.0 { Quat::new_unchecked(-q.into_inner()) } else { q }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::FRAC_PI_2;

    fn close(a: &Quat, b: &Quat) -> bool {
        a.angle_to(b) < 1e-4
    }

    #[test]
    fn six_d_round_trips_and_matches_hand_computed_columns() {
        // 90° about Z maps X to Y and Y to -X: columns (0,1,0) and (-1,0,0).
        let q = Quat::from_axis_angle(&Vector3::z_axis(), FRAC_PI_2);
        let d = quat_to_6d(&q);
        let want = [0.0, 1.0, 0.0, -1.0, 0.0, 0.0];
        for (a, b) in d.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{d:?}");
        }
        for i in 0..50 {
            let t = i as f32 * 0.37;
            let q = Quat::from_euler_angles(t, -0.5 * t, 1.3 * t);
            assert!(close(&quat_from_6d(&quat_to_6d(&q)), &q));
        }
        // Non-orthonormal input still gives a rotation with the first column's direction.
        let r = quat_from_6d(&[2.0, 0.0, 0.0, 1.0, 3.0, 0.0]);
        assert!(((r * Vector3::x()) - Vector3::x()).norm() < 1e-6);
        assert!(((r * Vector3::y()) - Vector3::y()).norm() < 1e-6);
        assert!(close(&quat_from_6d(&[0.0; 6]), &Quat::identity()));
    }

    #[test]
    fn euler_channels_round_trip_in_every_order() {
        let orders = [[2, 0, 1], [0, 1, 2], [2, 1, 0], [1, 0, 2], [0, 2, 1], [1, 2, 0]];
        for axes in orders {
            for i in 0..40 {
                let t = i as f32 * 0.41 - 8.0;
                let q = Quat::from_euler_angles(0.3 * t, 0.17 * t, -0.23 * t);
                let e = to_euler_channels(&q, axes);
                let back = from_euler_channels(&[(axes[0], e[0]), (axes[1], e[1]), (axes[2], e[2])]);
                assert!(close(&back, &q), "order {axes:?} angles {e:?} i {i}");
            }
            // At gimbal lock the rotation is still rebuilt exactly.
            let q = from_euler_channels(&[(axes[0], 30.0), (axes[1], 90.0), (axes[2], 10.0)]);
            let e = to_euler_channels(&q, axes);
            let back = from_euler_channels(&[(axes[0], e[0]), (axes[1], e[1]), (axes[2], e[2])]);
            assert!(back.angle_to(&q) < 2e-3, "gimbal, order {axes:?}: {e:?}");
        }
        // Hand-computed: ZXY with only X = 90 maps +Y to +Z.
        let q = from_euler_channels(&[(2, 0.0), (0, 90.0), (1, 0.0)]);
        assert!((q * Vector3::y() - Vector3::z()).norm() < 1e-6);
    }

    #[test]
    fn best_fit_recovers_a_known_rotation() {
        let r = Quat::from_euler_angles(0.4, -1.1, 2.0);
        let rest = [Vector3::new(0.1, -0.08, 0.0), Vector3::new(-0.1, -0.08, 0.0), Vector3::new(0.0, 0.13, -0.02)];
        let pairs: Vec<_> = rest.iter().map(|v| (*v, r * v, 1.0)).collect();
        assert!(close(&best_fit_rotation(&pairs).unwrap(), &r));
    }

    #[test]
    fn heading_and_two_vector_alignment() {
        let q = yaw_rotation(0.7) * Quat::from_axis_angle(&Vector3::x_axis(), 0.3);
        assert!((heading_yaw(&q) - 0.7).abs() < 1e-5);
        let r = Quat::from_euler_angles(1.0, 0.2, -0.4);
        let (a, b) = (Vector3::new(0.0, -1.0, 0.0), Vector3::new(1.0, 0.2, 0.0));
        assert!(close(&align_two_vectors(&a, &b, &(r * a), &(r * b)).unwrap(), &r));
        assert!(align_two_vectors(&a, &a, &a, &a).is_none());
        let (a, b) = (Quat::from_euler_angles(0.1, 0.2, 0.3), Quat::from_euler_angles(0.1001, 0.2, 0.3));
        for w in [0.0, 0.3, 1.0] {
            let q = slerp(&a, &b, w);
            assert!((q.into_inner().norm() - 1.0).abs() < 1e-6);
        }
        assert!(slerp(&a, &b, 0.0).angle_to(&a) < 1e-7);
        let far = Quat::from_euler_angles(1.5, -0.2, 0.9);
        assert!((slerp(&a, &far, 0.5).angle_to(&a) - 0.5 * a.angle_to(&far)).abs() < 1e-4);
        let s = swing(&Vector3::x(), &-Vector3::x());
        assert!((s * Vector3::x() + Vector3::x()).norm() < 1e-5);
    }
}
