//! Keyframe schedules in the Deforum form `0:(5.0), 80:(3.5)`: frame numbers at the scene fps,
//! each with a constant value; values in between come from linear, step or cubic interpolation.

use serde::{Deserialize, Serialize};

use crate::limits;

/// How values between keyframes are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interpolation {
    #[default]
    Linear,
    /// Hold each keyframe's value until the next keyframe.
    Step,
    /// Catmull-Rom spline through the keyframes (smooth, passes through every key).
    Cubic,
}

/// A camera parameter: a plain number, or a schedule string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Param {
    Value(f64),
    Schedule(String),
}

impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::Value(v)
    }
}

/// What was wrong with a schedule string; `at` is the byte offset into the string.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("schedule is empty; write keyframes like `0:(5.0), 80:(3.5)`")]
    Empty,
    #[error("schedule is longer than {max} characters")]
    TooLong { max: usize },
    #[error("schedule has more than {max} keyframes")]
    TooManyKeys { max: usize },
    #[error("at character {at}: expected {expected}, found {found:?}")]
    Syntax { at: usize, expected: &'static str, found: String },
    #[error("at character {at}: frame {frame} is not after the previous keyframe {prev}; keyframes must increase")]
    NotIncreasing { at: usize, frame: u32, prev: u32 },
    #[error("at character {at}: value {value:?} is not a finite number (expressions are not supported)")]
    BadValue { at: usize, value: String },
}

/// A parsed schedule: keyframes sorted by frame, at least one.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    keys: Vec<(u32, f64)>,
}

impl Schedule {
    pub fn constant(v: f64) -> Self {
        Schedule { keys: vec![(0, v)] }
    }

    pub fn keys(&self) -> &[(u32, f64)] {
        &self.keys
    }

    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        if text.len() > limits::MAX_SCHEDULE_CHARS {
            return Err(ScheduleError::TooLong { max: limits::MAX_SCHEDULE_CHARS });
        }
        let b = text.as_bytes();
        let mut i = 0;
        let mut keys: Vec<(u32, f64)> = Vec::new();
        let skip_ws = |i: &mut usize| {
            while *i < b.len() && b[*i].is_ascii_whitespace() {
                *i += 1;
            }
        };
        let found = |i: usize| -> String { text.get(i..).unwrap_or("").chars().take(12).collect() };
        skip_ws(&mut i);
        if i == b.len() {
            return Err(ScheduleError::Empty);
        }
        loop {
            skip_ws(&mut i);
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if start == i {
                return Err(ScheduleError::Syntax { at: start, expected: "a frame number", found: found(start) });
            }
            let frame: u32 = text[start..i]
                .parse()
                .map_err(|_| ScheduleError::Syntax { at: start, expected: "a frame number below 4294967296", found: text[start..i].to_string() })?;
            skip_ws(&mut i);
            if i >= b.len() || b[i] != b':' {
                return Err(ScheduleError::Syntax { at: i, expected: "`:` after the frame number", found: found(i) });
            }
            i += 1;
            skip_ws(&mut i);
            if i >= b.len() || b[i] != b'(' {
                return Err(ScheduleError::Syntax { at: i, expected: "`(` before the value", found: found(i) });
            }
            i += 1;
            let vstart = i;
            while i < b.len() && b[i] != b')' {
                i += 1;
            }
            if i >= b.len() {
                return Err(ScheduleError::Syntax { at: vstart, expected: "`)` after the value", found: found(vstart) });
            }
            let raw = text[vstart..i].trim();
            let value: f64 = raw
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| ScheduleError::BadValue { at: vstart, value: raw.to_string() })?;
            i += 1;
            if let Some(&(prev, _)) = keys.last()
                && frame <= prev
            {
                return Err(ScheduleError::NotIncreasing { at: start, frame, prev });
            }
            keys.push((frame, value));
            if keys.len() > limits::MAX_KEYFRAMES {
                return Err(ScheduleError::TooManyKeys { max: limits::MAX_KEYFRAMES });
            }
            skip_ws(&mut i);
            if i == b.len() {
                break;
            }
            if b[i] != b',' {
                return Err(ScheduleError::Syntax { at: i, expected: "`,` between keyframes", found: found(i) });
            }
            i += 1;
            skip_ws(&mut i);
            // A trailing comma is harmless.
            if i == b.len() {
                break;
            }
        }
        Ok(Schedule { keys })
    }

    /// The value at a (fractional) frame. Before the first key the first value holds, after the
    /// last key the last value holds.
    pub fn sample(&self, frame: f64, interp: Interpolation) -> f64 {
        let k = &self.keys;
        let Some(&(f0, v0)) = k.first() else { return 0.0 };
        if frame <= f64::from(f0) || k.len() == 1 {
            return v0;
        }
        let Some(&(fl, vl)) = k.last() else { return v0 };
        if frame >= f64::from(fl) {
            return vl;
        }
        // Segment j: keys[j] .. keys[j+1] containing frame.
        let j = k.iter().rposition(|&(f, _)| f64::from(f) <= frame).unwrap_or(0).min(k.len() - 2);
        let (fa, va) = (f64::from(k[j].0), k[j].1);
        let (fb, vb) = (f64::from(k[j + 1].0), k[j + 1].1);
        let u = (frame - fa) / (fb - fa);
        match interp {
            Interpolation::Step => va,
            Interpolation::Linear => va + (vb - va) * u,
            Interpolation::Cubic => {
                // Catmull-Rom with non-uniform spacing handled through per-segment tangents.
                let (fp, vp) = if j > 0 { (f64::from(k[j - 1].0), k[j - 1].1) } else { (fa, va) };
                let (fn_, vn) = if j + 2 < k.len() { (f64::from(k[j + 2].0), k[j + 2].1) } else { (fb, vb) };
                let m0 = if fb > fp { (vb - vp) / (fb - fp) } else { 0.0 } * (fb - fa);
                let m1 = if fn_ > fa { (vn - va) / (fn_ - fa) } else { 0.0 } * (fb - fa);
                let (u2, u3) = (u * u, u * u * u);
                (2.0 * u3 - 3.0 * u2 + 1.0) * va + (u3 - 2.0 * u2 + u) * m0 + (-2.0 * u3 + 3.0 * u2) * vb + (u3 - u2) * m1
            }
        }
    }

    /// Smallest and largest value the curve can take (cubic may overshoot keys, so it is sampled).
    pub fn range(&self, interp: Interpolation) -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for &(_, v) in &self.keys {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if interp == Interpolation::Cubic && self.keys.len() > 2 {
            for w in self.keys.windows(2) {
                for s in 1..16 {
                    let f = f64::from(w[0].0) + (f64::from(w[1].0) - f64::from(w[0].0)) * f64::from(s) / 16.0;
                    let v = self.sample(f, interp);
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
        (lo, hi)
    }

    /// The same curve stretched in time: every key frame multiplied by `factor` (rounded;
    /// keys that collide are merged, the later one wins). Used when a scene's length changes.
    pub fn scaled(&self, factor: f64) -> Schedule {
        let mut keys: Vec<(u32, f64)> = Vec::with_capacity(self.keys.len());
        for &(f, v) in &self.keys {
            let nf = (f64::from(f) * factor).round().clamp(0.0, f64::from(u32::MAX)) as u32;
            match keys.last_mut() {
                Some(last) if last.0 >= nf => last.1 = v,
                _ => keys.push((nf, v)),
            }
        }
        Schedule { keys }
    }

    /// Back to the Deforum text form.
    pub fn to_text(&self) -> String {
        self.keys.iter().map(|(f, v)| format!("{f}:({v})")).collect::<Vec<_>>().join(", ")
    }
}

impl Param {
    /// Stretches a schedule in time (see [`Schedule::scaled`]); plain values and unparsable
    /// schedules are returned unchanged (the validator reports the latter).
    pub fn scaled(&self, factor: f64) -> Param {
        match self {
            Param::Schedule(s) => Schedule::parse(s).map(|sc| Param::Schedule(sc.scaled(factor).to_text())).unwrap_or_else(|_| self.clone()),
            v => v.clone(),
        }
    }

    pub fn to_schedule(&self) -> Result<Schedule, ScheduleError> {
        match self {
            Param::Value(v) if v.is_finite() => Ok(Schedule::constant(*v)),
            Param::Value(v) => Err(ScheduleError::BadValue { at: 0, value: v.to_string() }),
            Param::Schedule(s) => Schedule::parse(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_deforum_form() {
        let s = Schedule::parse("0:(5.0), 80:(3.5)").expect("valid");
        assert_eq!(s.keys(), &[(0, 5.0), (80, 3.5)]);
        let s = Schedule::parse(" 0 : ( -1e1 ) ,10:(2),").expect("valid");
        assert_eq!(s.keys(), &[(0, -10.0), (10, 2.0)]);
    }

    #[test]
    fn reports_precise_errors() {
        assert_eq!(Schedule::parse(""), Err(ScheduleError::Empty));
        assert!(matches!(Schedule::parse("0:(5.0) 80:(3)"), Err(ScheduleError::Syntax { at: 8, .. })));
        assert!(matches!(Schedule::parse("0:(sin(t))"), Err(ScheduleError::BadValue { .. }) | Err(ScheduleError::Syntax { .. })));
        assert!(matches!(Schedule::parse("0:(1), 0:(2)"), Err(ScheduleError::NotIncreasing { frame: 0, prev: 0, .. })));
        assert!(matches!(Schedule::parse("0:(nan)"), Err(ScheduleError::BadValue { .. })));
        assert!(matches!(Schedule::parse("x:(1)"), Err(ScheduleError::Syntax { at: 0, .. })));
        let msg = Schedule::parse("0:(1), 5(2)").expect_err("bad").to_string();
        assert!(msg.contains("`:`"), "{msg}");
    }

    #[test]
    fn interpolates_linear_step_cubic() {
        let s = Schedule::parse("0:(5.0), 80:(3.5)").expect("valid");
        assert!((s.sample(40.0, Interpolation::Linear) - 4.25).abs() < 1e-9);
        assert_eq!(s.sample(40.0, Interpolation::Step), 5.0);
        assert_eq!(s.sample(-3.0, Interpolation::Linear), 5.0);
        assert_eq!(s.sample(500.0, Interpolation::Linear), 3.5);
        let c = Schedule::parse("0:(0), 10:(10), 20:(0)").expect("valid");
        for f in [0.0, 10.0, 20.0] {
            assert!((c.sample(f, Interpolation::Cubic) - c.sample(f, Interpolation::Linear)).abs() < 1e-9);
        }
        // Smooth: the peak is near 10 and the curve rises before it.
        assert!(c.sample(5.0, Interpolation::Cubic) > 5.0);
        assert!(c.sample(9.0, Interpolation::Cubic) < 10.5);
        // Two keys: cubic eases but stays between the values.
        let v = s.sample(20.0, Interpolation::Cubic);
        assert!(v < 5.0 && v > 3.5, "{v}");
    }

    #[test]
    fn scaling_stretches_keys() {
        let s = Schedule::parse("0:(5), 80:(3.5), 81:(1)").expect("valid");
        assert_eq!(s.scaled(2.0).keys(), &[(0, 5.0), (160, 3.5), (162, 1.0)]);
        assert_eq!(s.scaled(0.01).keys(), &[(0, 5.0), (1, 1.0)], "80 and 81 collapse onto frame 1; the later value wins");
        assert_eq!(Param::Value(2.0).scaled(3.0), Param::Value(2.0));
        assert_eq!(Param::Schedule("0:(1), 10:(2)".into()).scaled(0.5), Param::Schedule("0:(1), 5:(2)".into()));
    }

    #[test]
    fn round_trips_text() {
        let s = Schedule::parse("0:(5), 80:(3.5)").expect("valid");
        assert_eq!(Schedule::parse(&s.to_text()).expect("valid"), s);
    }
}
