//! The BVH motion-capture format: a joint hierarchy followed by one line of channel values per
//! frame. Any hierarchy, End Sites, per-joint channel counts and orders, CRLF line ends and
//! irregular whitespace are accepted. Values are kept exactly as written (units as in the file,
//! rotations in degrees); interpreting them is the `motion` crate's job.

use crate::error::{read_to_string_bounded, DatasetError, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Files above this size are refused before reading (the largest real clips are a few MB).
pub const MAX_FILE_BYTES: u64 = 1 << 30;
/// More joints than this is not a skeleton but a malformed or hostile file.
pub const MAX_JOINTS: usize = 4096;

/// One BVH channel. Rotations are in degrees, positions in the file's unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    Xposition,
    Yposition,
    Zposition,
    Xrotation,
    Yrotation,
    Zrotation,
}

impl Channel {
    fn parse(token: &str) -> Option<Self> {
        // Case-insensitive: some exporters write "XPOSITION" or "xrotation".
        Some(match token.to_ascii_lowercase().as_str() {
            "xposition" => Self::Xposition,
            "yposition" => Self::Yposition,
            "zposition" => Self::Zposition,
            "xrotation" => Self::Xrotation,
            "yrotation" => Self::Yrotation,
            "zrotation" => Self::Zrotation,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::Xposition => "Xposition",
            Self::Yposition => "Yposition",
            Self::Zposition => "Zposition",
            Self::Xrotation => "Xrotation",
            Self::Yrotation => "Yrotation",
            Self::Zrotation => "Zrotation",
        }
    }
    /// 0, 1, 2 for X, Y, Z.
    pub fn axis(self) -> usize {
        match self {
            Self::Xposition | Self::Xrotation => 0,
            Self::Yposition | Self::Yrotation => 1,
            Self::Zposition | Self::Zrotation => 2,
        }
    }
    pub fn is_rotation(self) -> bool {
        matches!(self, Self::Xrotation | Self::Yrotation | Self::Zrotation)
    }
}

/// One joint of the hierarchy, in file order (parents always come before their children).
#[derive(Clone, Debug, PartialEq)]
pub struct BvhJoint {
    pub name: String,
    pub parent: Option<usize>,
    /// OFFSET from the parent, in the file's unit.
    pub offset: [f64; 3],
    pub channels: Vec<Channel>,
    /// Index of this joint's first channel within a frame's values.
    pub first_channel: usize,
    /// OFFSET of the End Site below this joint, if it has one.
    pub end_site: Option<[f64; 3]>,
}

/// A parsed BVH file.
#[derive(Clone, Debug, PartialEq)]
pub struct Bvh {
    pub joints: Vec<BvhJoint>,
    /// Seconds per frame ("Frame Time").
    pub frame_time_s: f64,
    /// Channel values, frame-major: `num_frames × num_channels`.
    pub values: Vec<f64>,
    pub num_channels: usize,
}

/// A joint's local pose in one frame, as written in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct JointSample {
    /// Position channel values by axis (None where the joint has no such channel).
    pub position: [Option<f64>; 3],
    /// Rotation channels in file order: (axis 0/1/2, degrees). The rotation they describe is
    /// the product of the axis rotations in that order (intrinsic), as in every BVH exporter.
    pub rotations: Vec<(usize, f64)>,
}

impl Bvh {
    pub fn num_frames(&self) -> usize {
        if self.num_channels == 0 { 0 } else { self.values.len() / self.num_channels }
    }

    pub fn frame(&self, frame: usize) -> &[f64] {
        &self.values[frame * self.num_channels..(frame + 1) * self.num_channels]
    }

    pub fn joint_index(&self, name: &str) -> Option<usize> {
        self.joints.iter().position(|j| j.name == name)
    }

    /// The channel values of `joint` in `frame`.
    pub fn sample(&self, frame: usize, joint: usize) -> JointSample {
        let j = &self.joints[joint];
        let values = &self.frame(frame)[j.first_channel..j.first_channel + j.channels.len()];
        let mut position = [None; 3];
        let mut rotations = Vec::with_capacity(3);
        for (c, v) in j.channels.iter().zip(values) {
            if c.is_rotation() {
                rotations.push((c.axis(), *v));
            } else {
                position[c.axis()] = Some(*v);
            }
        }
        JointSample { position, rotations }
    }

    /// Reads and parses a BVH file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = read_to_string_bounded(path, MAX_FILE_BYTES)?;
        Self::parse(&text, path)
    }

    /// Parses BVH text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        Parser::new(text, path).parse()
    }

    /// Serialises to BVH text (CRLF-free, tab-indented, values with up to 6 decimals).
    pub fn to_text(&self) -> String {
        let mut out = String::from("HIERARCHY\n");
        let children = |p: usize| self.joints.iter().enumerate().filter(move |(_, j)| j.parent == Some(p)).map(|(i, _)| i);
        fn fmt3(v: [f64; 3]) -> String {
            format!("{} {} {}", num(v[0]), num(v[1]), num(v[2]))
        }
        fn num(v: f64) -> String {
            let s = format!("{v:.6}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" { "0".into() } else { s.into() }
        }
        fn write_joint(bvh: &Bvh, i: usize, depth: usize, out: &mut String, children: &dyn Fn(usize) -> Vec<usize>) {
            let j = &bvh.joints[i];
            let pad = "\t".repeat(depth);
            let kind = if j.parent.is_none() { "ROOT" } else { "JOINT" };
            let _ = writeln!(out, "{pad}{kind} {}\n{pad}{{", j.name);
            let _ = writeln!(out, "{pad}\tOFFSET {}", fmt3(j.offset));
            let names: Vec<_> = j.channels.iter().map(|c| c.name()).collect();
            let _ = writeln!(out, "{pad}\tCHANNELS {} {}", names.len(), names.join(" "));
            for c in children(i) {
                write_joint(bvh, c, depth + 1, out, children);
            }
            if let Some(end) = j.end_site {
                let _ = writeln!(out, "{pad}\tEnd Site\n{pad}\t{{\n{pad}\t\tOFFSET {}\n{pad}\t}}", fmt3(end));
            }
            let _ = writeln!(out, "{pad}}}");
        }
        let kids = |p: usize| children(p).collect::<Vec<_>>();
        for (i, j) in self.joints.iter().enumerate() {
            if j.parent.is_none() {
                write_joint(self, i, 0, &mut out, &kids);
            }
        }
        let _ = writeln!(out, "MOTION\nFrames: {}\nFrame Time: {:.7}", self.num_frames(), self.frame_time_s);
        for f in 0..self.num_frames() {
            let line: Vec<String> = self.frame(f).iter().map(|v| num(*v)).collect();
            out.push_str(&line.join(" "));
            out.push('\n');
        }
        out
    }
}

/// Whitespace tokenizer that remembers line numbers; braces are tokens of their own.
struct Parser<'a> {
    tokens: Vec<(usize, &'a str)>,
    pos: usize,
    path: PathBuf,
    text: &'a str,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, path: &Path) -> Self {
        Self { tokens: Vec::new(), pos: 0, path: path.to_path_buf(), text }
    }

    fn err<T>(&self, line: usize, message: impl Into<String>) -> Result<T> {
        Err(DatasetError::Syntax { path: self.path.clone(), line, message: message.into() })
    }

    fn line(&self) -> usize {
        self.tokens.get(self.pos).or(self.tokens.last()).map_or(1, |t| t.0)
    }

    fn next(&mut self, expected: &str) -> Result<(usize, &'a str)> {
        match self.tokens.get(self.pos) {
            Some(t) => {
                self.pos += 1;
                Ok(*t)
            }
            None => self.err(self.line(), format!("unexpected end of file, expected {expected}")),
        }
    }

    fn expect(&mut self, word: &str) -> Result<usize> {
        let (line, tok) = self.next(&format!("'{word}'"))?;
        if tok.eq_ignore_ascii_case(word) { Ok(line) } else { self.err(line, format!("expected '{word}', found '{tok}'")) }
    }

    fn number(&mut self, what: &str) -> Result<f64> {
        let (line, tok) = self.next(what)?;
        match tok.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => self.err(line, format!("expected {what} (a finite number), found '{tok}'")),
        }
    }

    fn offset(&mut self) -> Result<[f64; 3]> {
        self.expect("OFFSET")?;
        Ok([self.number("OFFSET x")?, self.number("OFFSET y")?, self.number("OFFSET z")?])
    }

    fn parse(mut self) -> Result<Bvh> {
        // The hierarchy is tokenised up to MOTION; frame lines are read line by line after it so
        // a wrong value count can be reported on its own line.
        let mut motion_line = None;
        for (i, raw) in self.text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim_end_matches('\r');
            if line.trim().eq_ignore_ascii_case("MOTION") {
                motion_line = Some(line_no);
                break;
            }
            let mut start = None;
            for (ci, ch) in line.char_indices() {
                let brace = ch == '{' || ch == '}';
                if ch.is_whitespace() || brace {
                    if let Some(s) = start.take() {
                        self.tokens.push((line_no, &line[s..ci]));
                    }
                    if brace {
                        self.tokens.push((line_no, &line[ci..ci + 1]));
                    }
                } else if start.is_none() {
                    start = Some(ci);
                }
            }
            if let Some(s) = start {
                self.tokens.push((line_no, &line[s..]));
            }
        }
        let Some(motion_line) = motion_line else {
            return self.err(self.text.lines().count().max(1), "no MOTION section found");
        };
        self.expect("HIERARCHY")?;
        let mut joints: Vec<BvhJoint> = Vec::new();
        let mut num_channels = 0usize;
        while self.pos < self.tokens.len() {
            let (line, tok) = self.tokens[self.pos];
            if !tok.eq_ignore_ascii_case("ROOT") {
                return self.err(line, format!("expected 'ROOT', found '{tok}'"));
            }
            self.parse_joint(None, &mut joints, &mut num_channels)?;
        }
        if joints.is_empty() {
            return self.err(motion_line, "the HIERARCHY has no ROOT joint");
        }

        // MOTION section.
        let mut lines = self.text.lines().enumerate().skip(motion_line).map(|(i, l)| (i + 1, l.trim()));
        let mut next_nonempty = |what: &str| -> Result<(usize, &'a str)> {
            for (n, l) in lines.by_ref() {
                if !l.is_empty() {
                    return Ok((n, l));
                }
            }
            Err(DatasetError::Syntax { path: self.path.clone(), line: motion_line, message: format!("unexpected end of file, expected {what}") })
        };
        let (fl, frames_line) = next_nonempty("'Frames: N'")?;
        let frames = frames_line
            .strip_prefix("Frames:")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .ok_or_else(|| DatasetError::Syntax { path: self.path.clone(), line: fl, message: format!("expected 'Frames: N', found '{frames_line}'") })?;
        let (tl, time_line) = next_nonempty("'Frame Time: seconds'")?;
        let frame_time_s = time_line
            .strip_prefix("Frame Time:")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|t| t.is_finite() && *t > 0.0)
            .ok_or_else(|| DatasetError::Syntax { path: self.path.clone(), line: tl, message: format!("expected 'Frame Time: <positive seconds>', found '{time_line}'") })?;
        // Refuse a frame count the file cannot possibly hold (each value takes at least 2 bytes).
        if num_channels > 0 && frames.saturating_mul(num_channels) > self.text.len() / 2 + 1 {
            return self.err(fl, format!("Frames: {frames} is more than the file can hold"));
        }
        let mut values = Vec::with_capacity(frames * num_channels);
        for f in 0..frames {
            let (n, l) = next_nonempty(&format!("frame {} of {frames}", f + 1))?;
            let before = values.len();
            for tok in l.split_whitespace() {
                match tok.parse::<f64>() {
                    Ok(v) if v.is_finite() => values.push(v),
                    _ => {
                        return Err(DatasetError::Syntax { path: self.path.clone(), line: n, message: format!("frame {}: expected a number, found '{tok}'", f + 1) })
                    }
                }
            }
            let got = values.len() - before;
            if got != num_channels {
                return Err(DatasetError::Syntax { path: self.path.clone(), line: n, message: format!("frame {}: expected {num_channels} values (one per channel), found {got}", f + 1) });
            }
        }
        if let Ok((n, l)) = next_nonempty("") {
            return Err(DatasetError::Syntax { path: self.path.clone(), line: n, message: format!("extra data after the {frames} frames announced: '{}'", l.chars().take(40).collect::<String>()) });
        }
        Ok(Bvh { joints, frame_time_s, values, num_channels })
    }

    fn parse_joint(&mut self, parent: Option<usize>, joints: &mut Vec<BvhJoint>, num_channels: &mut usize) -> Result<()> {
        let (line, _kind) = self.next("'ROOT' or 'JOINT'")?;
        let (_, name) = self.next("a joint name")?;
        if name == "{" {
            return self.err(line, "expected a joint name before '{'");
        }
        if joints.len() >= MAX_JOINTS {
            return self.err(line, format!("more than {MAX_JOINTS} joints"));
        }
        if joints.iter().any(|j| j.name == name) {
            return self.err(line, format!("joint name '{name}' appears twice"));
        }
        self.expect("{")?;
        let offset = self.offset()?;
        let cl = self.expect("CHANNELS")?;
        let count = self.number("the channel count")?;
        if !(0.0..=6.0).contains(&count) || count.fract() != 0.0 {
            return self.err(cl, format!("channel count must be 0..=6, found {count}"));
        }
        let mut channels = Vec::with_capacity(count as usize);
        for _ in 0..count as usize {
            let (l, t) = self.next("a channel name")?;
            let c = Channel::parse(t).map_or_else(|| self.err(l, format!("unknown channel '{t}' (expected X/Y/Z position or rotation)")), Ok)?;
            if channels.contains(&c) {
                return self.err(l, format!("channel '{t}' listed twice"));
            }
            channels.push(c);
        }
        let index = joints.len();
        joints.push(BvhJoint { name: name.to_string(), parent, offset, channels, first_channel: *num_channels, end_site: None });
        *num_channels += count as usize;
        loop {
            let (l, tok) = match self.tokens.get(self.pos) {
                Some(t) => *t,
                None => return self.err(self.line(), format!("unexpected end of hierarchy inside joint '{name}', expected '}}'")),
            };
            if tok == "}" {
                self.pos += 1;
                return Ok(());
            } else if tok.eq_ignore_ascii_case("JOINT") {
                self.parse_joint(Some(index), joints, num_channels)?;
            } else if tok.eq_ignore_ascii_case("End") {
                self.pos += 1;
                self.expect("Site")?;
                self.expect("{")?;
                let end = self.offset()?;
                self.expect("}")?;
                joints[index].end_site = Some(end);
            } else {
                return self.err(l, format!("expected 'JOINT', 'End Site' or '}}' in joint '{name}', found '{tok}'"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "HIERARCHY\r\nROOT Hips\r\n{\r\n  OFFSET 0 0 0\r\n  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\r\n  JOINT Leg\r\n  {\r\n\tOFFSET 1 -2 0.5\r\n\tCHANNELS 3 Zrotation Xrotation Yrotation\r\n\tEnd Site\r\n\t{\r\n\t\tOFFSET 0 -3 0\r\n\t}\r\n  }\r\n  JOINT Spine{ OFFSET 0 1 0 CHANNELS 1 Xrotation }\r\n}\r\nMOTION\r\nFrames: 2\r\nFrame Time: 0.05\r\n1 2 3 4 5 6 7 8 9 10\r\n  0 0 0   0 0 0 0 0 0 -1e-3\r\n";

    fn parse(s: &str) -> Result<Bvh> {
        Bvh::parse(s, Path::new("t.bvh"))
    }

    #[test]
    fn parses_hierarchy_channels_end_sites_and_crlf() {
        let b = parse(SMALL).unwrap();
        assert_eq!(b.joints.len(), 3);
        assert_eq!(b.joints[1].name, "Leg");
        assert_eq!(b.joints[1].parent, Some(0));
        assert_eq!(b.joints[1].offset, [1.0, -2.0, 0.5]);
        assert_eq!(b.joints[1].end_site, Some([0.0, -3.0, 0.0]));
        assert_eq!(b.joints[2].channels, vec![Channel::Xrotation]);
        assert_eq!(b.joints[2].first_channel, 9);
        assert_eq!(b.num_channels, 10);
        assert_eq!(b.num_frames(), 2);
        assert_eq!(b.frame_time_s, 0.05);
        let s = b.sample(0, 1);
        assert_eq!(s.position, [None, None, None]);
        assert_eq!(s.rotations, vec![(2, 7.0), (0, 8.0), (1, 9.0)]);
        assert_eq!(b.sample(0, 0).position, [Some(1.0), Some(2.0), Some(3.0)]);
        assert_eq!(b.frame(1)[9], -1e-3);
    }

    #[test]
    fn writes_text_that_reads_back_identically() {
        let b = parse(SMALL).unwrap();
        let again = parse(&b.to_text()).unwrap();
        assert_eq!(b, again);
    }

    fn syntax_line(r: Result<Bvh>) -> (usize, String) {
        match r {
            Err(DatasetError::Syntax { line, message, .. }) => (line, message),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_input_names_the_line() {
        let (l, m) = syntax_line(parse(&SMALL.replace("OFFSET 1 -2 0.5", "OFFSET 1 -2 x")));
        assert_eq!(l, 8);
        assert!(m.contains("OFFSET z"), "{m}");
        let (l, m) = syntax_line(parse(&SMALL.replace("7 8 9 10", "7 8 9")));
        assert_eq!(l, 20);
        assert!(m.contains("expected 10 values"), "{m}");
        let (_, m) = syntax_line(parse(&SMALL.replace("Frames: 2", "Frames: 3")));
        assert!(m.contains("frame 3 of 3"), "{m}");
        let (l, m) = syntax_line(parse(&SMALL.replace("CHANNELS 1 Xrotation", "CHANNELS 1 Wrotation")));
        assert_eq!(l, 15);
        assert!(m.contains("Wrotation"), "{m}");
        let (_, m) = syntax_line(parse(&SMALL.replace("Frame Time: 0.05", "Frame Time: -1")));
        assert!(m.contains("Frame Time"), "{m}");
        let (_, m) = syntax_line(parse("HIERARCHY\nROOT A\n{\nOFFSET 0 0 0\n"));
        assert!(m.contains("MOTION"), "{m}");
        let (_, m) = syntax_line(parse(&SMALL.replace("Frames: 2", "Frames: 99999999999")));
        assert!(m.contains("more than the file can hold"), "{m}");
        let (_, m) = syntax_line(parse(&SMALL.replace("JOINT Spine", "JOINT Leg")));
        assert!(m.contains("twice"), "{m}");
    }

    #[test]
    fn never_panics_on_truncations() {
        for cut in 0..SMALL.len() {
            if SMALL.is_char_boundary(cut) {
                let _ = parse(&SMALL[..cut]);
            }
        }
    }
}
