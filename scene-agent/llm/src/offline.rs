//! Offline planner: turns a plain-English instruction into a scene script without any LLM,
//! using a small documented grammar (see docs/scene-script.md, "Offline grammar"). It reports
//! the words it did not understand instead of guessing.

use scene_script::vocab::{self, ACTIONS, STYLES};
use scene_script::{Backend, Camera, CameraMode, Character, Interpolation, MotionClip, Param, Relation, SceneScript, ScriptError};

use crate::agent::empty_script;

/// A plan and an account of how the instruction was read.
#[derive(Debug, Clone)]
pub struct OfflinePlan {
    pub script: SceneScript,
    /// What was understood, one line each (shown to the user).
    pub understood: Vec<String>,
    /// Word runs that were not understood, verbatim.
    pub not_understood: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("could not understand the instruction{}; see docs/scene-script.md for the offline grammar (e.g. \"two people walk toward each other and wave, the camera slowly orbits, 8 seconds\")", if .0.is_empty() { String::new() } else { format!(" (not understood: {})", .0.join(", ")) })]
    NothingUnderstood(Vec<String>),
    #[error("{0}")]
    Invalid(#[from] ScriptError),
    #[error("{0}")]
    Reference(String),
}

const NUMBER_WORDS: &[(&str, f64)] = &[
    ("zero", 0.0), ("one", 1.0), ("two", 2.0), ("three", 3.0), ("four", 4.0), ("five", 5.0), ("six", 6.0), ("seven", 7.0), ("eight", 8.0),
    ("nine", 9.0), ("ten", 10.0), ("eleven", 11.0), ("twelve", 12.0), ("fifteen", 15.0), ("twenty", 20.0), ("thirty", 30.0), ("sixty", 60.0),
    ("a", 1.0), ("an", 1.0), ("single", 1.0), ("pair", 2.0), ("couple", 2.0), ("dozen", 12.0), ("hundred", 100.0), ("thousand", 1000.0),
];

/// Nouns that introduce characters ("two dancers", "an old man").
const NOUNS: &[&str] = &[
    "person", "people", "persons", "character", "characters", "man", "men", "woman", "women", "dancer", "dancers", "friend", "friends",
    "kid", "kids", "child", "children", "guy", "guys", "girl", "girls", "boy", "boys", "figure", "figures", "actor", "actors",
    "fighter", "fighters", "player", "players", "robot", "robots", "someone", "somebody", "lady", "ladies", "gentleman", "soldier", "soldiers",
];

const ORDINALS: &[(&str, usize)] = &[("first", 0), ("second", 1), ("third", 2), ("fourth", 3), ("fifth", 4), ("sixth", 5), ("seventh", 6), ("eighth", 7), ("1st", 0), ("2nd", 1), ("3rd", 2), ("4th", 3)];

/// Words that carry no meaning on their own here.
const STOP: &[&str] = &[
    "a", "an", "the", "and", "then", "to", "of", "with", "in", "on", "at", "for", "is", "are", "be", "while", "it", "they", "he", "she",
    "them", "their", "his", "her", "its", "one", "ones", "who", "that", "this", "make", "makes", "let", "lets", "should", "instead",
    "please", "scene", "shot", "some", "after", "afterwards", "later", "also", "there", "where", "which", "just", "so", "do", "does",
    "each", "other", "both", "all", "everyone", "everybody", "together", "by", "from", "into", "about", "long", "lasting", "over",
    "stand", "stands", "standing", "other's", "first", "second", "slowly", "i", "want", "me", "now", "meanwhile", "next", "up",
];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Num(f64),
    Punct,
    /// Something path-like (`frames/out`, `../x`, `/tmp`), in its original case.
    Path(String),
}

fn tokenize(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    for orig in text.split_whitespace() {
        let trimmed = orig.trim_end_matches([',', ';', '!', '?']);
        let trimmed = if trimmed.ends_with('.') && !trimmed.ends_with("..") { &trimmed[..trimmed.len() - 1] } else { trimmed };
        if trimmed.contains('/') || trimmed.contains('\\') || trimmed.starts_with('.') || trimmed.starts_with('~') {
            out.push(Tok::Path(trimmed.to_string()));
            if trimmed.len() < orig.len() {
                out.push(Tok::Punct);
            }
            continue;
        }
        let raw = orig.to_lowercase();
        let raw = raw.as_str();
        let mut word = String::new();
        let flush = |w: &mut String, out: &mut Vec<Tok>| {
            if w.is_empty() {
                return;
            }
            let t = std::mem::take(w);
            let t = t.trim_matches(|c| c == '.' || c == '-' || c == '\'').to_string();
            if t.is_empty() {
                return;
            }
            // "8s", "10sec", "2.5m", "768x512" split into number + unit.
            let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
            if split > 0 && let Ok(n) = t[..split].parse::<f64>() {
                out.push(Tok::Num(n));
                if split < t.len() {
                    out.push(Tok::Word(t[split..].to_string()));
                }
                return;
            }
            out.push(Tok::Word(t));
        };
        for c in raw.chars() {
            let decimal_point = c == '.' && !word.is_empty() && word.chars().all(|d| d.is_ascii_digit() || d == '.');
            if c.is_alphanumeric() || matches!(c, '-' | '\'' | '/' | '_') || decimal_point {
                word.push(c);
            } else {
                flush(&mut word, &mut out);
                if matches!(c, ',' | ';' | '.' | '!' | '?' | ':') {
                    out.push(Tok::Punct);
                }
            }
        }
        flush(&mut word, &mut out);
    }
    out
}

fn word(t: &Tok) -> Option<&str> {
    match t {
        Tok::Word(w) => Some(w.as_str()),
        _ => None,
    }
}

/// Who a clause talks about.
#[derive(Debug, Clone, PartialEq)]
enum Subject {
    All,
    Indices(Vec<usize>),
}

struct Reader<'a> {
    words: Vec<String>,
    toks: &'a [Tok],
    used: Vec<bool>,
    /// References to characters that do not exist ("the third one" of two).
    bad_refs: Vec<String>,
}

impl Reader<'_> {
    fn w(&self, i: usize) -> Option<&str> {
        self.toks.get(i).and_then(word)
    }
    fn num(&self, i: usize) -> Option<f64> {
        match self.toks.get(i) {
            Some(Tok::Num(n)) => Some(*n),
            Some(Tok::Word(w)) => NUMBER_WORDS.iter().find(|(k, _)| k == w).map(|(_, v)| *v),
            _ => None,
        }
    }
    fn mark(&mut self, from: usize, len: usize) {
        for k in from..(from + len).min(self.used.len()) {
            self.used[k] = true;
        }
    }
    /// Whether the words `phrase` (space separated) start at `i`.
    fn at(&self, i: usize, phrase: &str) -> bool {
        phrase.split(' ').enumerate().all(|(k, p)| self.w(i + k) == Some(p))
    }
    fn find(&self, from: usize, to: usize, phrase: &str) -> Option<usize> {
        (from..to).find(|&i| self.at(i, phrase))
    }
}

fn action_text(label: &str) -> &'static str {
    match label {
        "walk" => "walks forward",
        "run" => "runs forward",
        "dash" => "dashes forward",
        "walk-back" => "walks backward",
        "walk-left" => "walks to the left",
        "walk-right" => "walks to the right",
        "walk-turn-left" => "walks and turns left",
        "walk-turn-right" => "walks and turns right",
        "bow" => "bows",
        "bye" => "waves goodbye",
        "byebye" => "waves bye-bye",
        "guide" => "guides the way with a hand",
        "respond" => "responds with a gesture",
        "call" => "calls someone over",
        "punch" => "punches",
        "kick" => "kicks",
        "slash" => "slashes with a sword",
        "dance" => "dances",
        "wave-both-hands" => "waves both hands",
        "wave-left-hand" => "waves the left hand",
        "wave-right-hand" => "waves the right hand",
        "raise-up-both-hands" => "raises both hands",
        "raise-up-left-hand" => "raises the left hand",
        "raise-up-right-hand" => "raises the right hand",
        _ => "moves",
    }
}

fn clip_text(action: &str, style: Option<&str>) -> String {
    match style {
        Some(s) if s != "normal" => format!("a person {} ({s})", action_text(action)),
        _ => format!("a person {}", action_text(action)),
    }
}

/// Action families: "run instead" replaces the walking clip, not the wave.
fn family(action: &str) -> u8 {
    match action {
        "walk" | "run" | "dash" | "walk-back" | "walk-left" | "walk-right" | "walk-turn-left" | "walk-turn-right" => 0,
        "wave-both-hands" | "wave-left-hand" | "wave-right-hand" | "bye" | "byebye" | "call" => 1,
        "raise-up-both-hands" | "raise-up-left-hand" | "raise-up-right-hand" => 2,
        "punch" | "kick" | "slash" => 3,
        _ => 4,
    }
}

#[derive(Default)]
struct ClauseResult {
    subject: Option<Subject>,
    actions: Vec<&'static str>,
    styles: Vec<&'static str>,
}

/// Plans a scene from `instruction`; with `current`, edits that scene instead of starting anew
/// unless the instruction introduces characters with a count ("two people ...").
pub fn plan_offline(instruction: &str, current: Option<&SceneScript>) -> Result<OfflinePlan, OfflineError> {
    let toks = tokenize(instruction);
    let mut r = Reader { words: vec![], toks: &toks, used: vec![false; toks.len()], bad_refs: vec![] };
    r.words = toks.iter().map(|t| word(t).unwrap_or("").to_string()).collect();
    let n = toks.len();
    let mut understood: Vec<String> = Vec::new();

    // --- Characters introduced with a count: "two people", "an old man and a woman".
    let mut new_chars: Vec<(String, Option<&'static str>)> = Vec::new(); // (noun, style from noun phrase)
    for i in 0..n {
        let Some(w) = r.w(i).map(str::to_string) else { continue };
        let w = w.as_str();
        if !NOUNS.contains(&w) || r.used[i] {
            continue;
        }
        // Optional style adjective right before the noun ("old man", "tired kid").
        let mut start = i;
        let mut style = None;
        if i > 0 && let Some(prev) = r.w(i - 1) && let Some(s) = vocab::resolve_style(prev) {
            style = Some(s);
            start = i - 1;
        }
        let count = if start > 0 { r.num(start - 1).map(|c| (c, start - 1)) } else { None };
        let (count, from) = match (count, w) {
            (Some((c, f)), _) => (c, f),
            (None, "someone" | "somebody") => (1.0, i),
            _ => continue, // "the other person": a reference, not a new character
        };
        if count.fract() != 0.0 || count < 1.0 {
            return Err(OfflineError::Reference(format!("{count} is not a number of characters")));
        }
        if count > 1000.0 {
            // Do not allocate absurd counts; the validator explains the limit.
            return Err(OfflineError::Invalid(ScriptError::Invalid(vec![scene_script::Issue { path: "characters".into(), message: format!("has {count} characters; the limit is {}", scene_script::limits::MAX_CHARACTERS) }])));
        }
        r.mark(from, i + 1 - from);
        for _ in 0..count as usize {
            new_chars.push((w.to_string(), style));
        }
    }

    let editing = current.is_some() && new_chars.is_empty();
    let mut script = match current {
        Some(c) if editing => c.clone(),
        _ => empty_script(),
    };
    let mut duration_set = false;

    // --- Global settings: duration, fps, resolution, seed, backend, output folder, style prompt.
    let mut i = 0;
    while i < n {
        if let Some(v) = r.num(i) && matches!(toks[i], Tok::Num(_)) {
            match r.w(i + 1) {
                Some("seconds" | "second" | "secs" | "sec" | "s") => {
                    script.duration = v;
                    duration_set = true;
                    r.mark(i, 2);
                    understood.push(format!("duration {v} s"));
                }
                Some("minutes" | "minute" | "min" | "mins") => {
                    script.duration = v * 60.0;
                    duration_set = true;
                    r.mark(i, 2);
                    understood.push(format!("duration {} s", v * 60.0));
                }
                Some("frames") => {
                    script.duration = v / f64::from(script.fps.max(1));
                    duration_set = true;
                    r.mark(i, 2);
                    understood.push(format!("duration {v} frames"));
                }
                Some("fps") => {
                    script.fps = v as u32;
                    r.mark(i, 2);
                    understood.push(format!("{v} fps"));
                }
                Some(x) if x.starts_with('x') => {
                    if let Ok(h) = x[1..].parse::<f64>() {
                        script.render.width = v.min(f64::from(u32::MAX)) as u32;
                        script.render.height = h.min(f64::from(u32::MAX)) as u32;
                        r.mark(i, 2);
                        understood.push(format!("render size {v}x{h}"));
                    }
                }
                _ => {}
            }
        }
        if r.at(i, "seed") && let Some(v) = r.num(i + 1) {
            script.render.seed = v.max(0.0).min(u64::MAX as f64) as u64;
            r.mark(i, 2);
            understood.push(format!("seed {v}"));
        }
        for (name, b) in [("comfyui", Backend::ComfyUI), ("a1111", Backend::A1111), ("automatic1111", Backend::A1111)] {
            if r.at(i, name) {
                script.render.backend = b;
                r.mark(i, 1);
                understood.push(format!("backend {name}"));
            }
        }
        // "save (the frames) to DIR", "output to DIR", "write to DIR"
        if matches!(r.w(i), Some("save" | "output" | "write" | "store" | "render")) {
            let mut j = i + 1;
            while j < n && matches!(r.w(j), Some("the" | "frames" | "it" | "images" | "them" | "everything" | "output")) {
                j += 1;
            }
            let path = match toks.get(j + 1) {
                Some(Tok::Path(p)) => Some(p.clone()),
                Some(Tok::Word(w)) if matches!(r.w(j), Some("to" | "into")) && !STOP.contains(&w.as_str()) => Some(w.clone()),
                _ => None,
            };
            if matches!(r.w(j), Some("to" | "into" | "in")) && let Some(path) = path {
                script.render.output_dir = path.clone();
                r.mark(i, j + 2 - i);
                understood.push(format!("output folder {path:?}"));
            }
        }
        // "style prompt: watercolor ..." / "rendered as a watercolor painting"
        if r.at(i, "style prompt") || r.at(i, "rendered as") || r.at(i, "render style") {
            let end = (i + 2..n).find(|&k| toks[k] == Tok::Punct && k > i + 2).unwrap_or(n);
            let text: Vec<&str> = (i + 2..end).filter_map(|k| r.w(k)).collect();
            if !text.is_empty() {
                script.render.style_prompt = text.join(" ");
                r.mark(i, end - i);
                understood.push(format!("style prompt {:?}", script.render.style_prompt));
            }
        }
        i += 1;
    }

    // New characters: appended to the scene (or the whole cast of a new scene).
    let base_index = script.characters.len();
    for (k, (noun, _)) in new_chars.iter().enumerate() {
        let idx = base_index + k + 1;
        let mut id = format!("p{idx}");
        while script.characters.iter().any(|c| c.id == id) {
            id.push('x');
        }
        let noun = match noun.as_str() {
            "people" | "persons" | "someone" | "somebody" => "person",
            "men" => "man",
            "women" => "woman",
            "children" => "child",
            "ladies" => "lady",
            n => n.strip_suffix('s').unwrap_or(n),
        };
        let mut name = noun.to_string();
        if let Some(f) = name.get_mut(0..1) {
            f.make_ascii_uppercase();
        }
        script.characters.push(Character { id, name: Some(format!("{name} {idx}")), position: None, yaw_deg: None, motions: vec![] });
    }
    if !new_chars.is_empty() {
        understood.push(format!("{} character(s)", new_chars.len()));
    }

    // --- Clauses (split at punctuation).
    let mut clauses: Vec<(usize, usize)> = Vec::new();
    let mut s = 0;
    for k in 0..=n {
        if toks.get(k).is_none_or(|t| *t == Tok::Punct) {
            if k > s {
                clauses.push((s, k));
            }
            s = k + 1;
        }
    }

    let mut per_char: Vec<Vec<(&'static str, Option<&'static str>)>> = vec![Vec::new(); script.characters.len()];
    let mut styles_only: Vec<(Subject, &'static str)> = Vec::new();
    let mut relations: Vec<Relation> = Vec::new();
    let mut camera: Option<Camera> = None;
    let mut prev_subject = Subject::All;
    let mut removals: Vec<usize> = Vec::new();
    let instead = r.words.iter().any(|w| w == "instead");
    let mut instead_of: Option<&'static str> = None;

    for &(a, b) in &clauses {
        if r.find(a, b, "camera").is_some() || (a..b).any(|k| matches!(r.w(k), Some("orbit" | "orbits" | "orbiting" | "dolly" | "dollies"))) {
            camera = Some(read_camera(&mut r, a, b, &script, &mut understood)?);
            continue;
        }
        // Relations.
        read_relations(&mut r, a, b, &script, &mut relations, &mut understood)?;
        // Removal: "remove the second one".
        if let Some(k) = (a..b).find(|&k| matches!(r.w(k), Some("remove" | "delete" | "drop"))) {
            r.mark(k, 1);
            if let Some(Subject::Indices(ix)) = (k + 1..b).find_map(|j| read_subject(&mut r, j, b, &script)) {
                removals.extend(ix);
                understood.push("remove character".into());
            }
            continue;
        }
        let mut cr = ClauseResult::default();
        // Subject: first reference in the clause.
        let mut k = a;
        while k < b && cr.subject.is_none() {
            cr.subject = read_subject(&mut r, k, b, &script);
            k += 1;
        }
        // "instead of walking" names the clip to replace.
        if let Some(p) = r.find(a, b, "instead of") {
            r.mark(p, 2);
            if let Some((label, len)) = vocab::longest_match(ACTIONS, &r.words, p + 2) {
                instead_of = Some(label);
                r.mark(p + 2, len);
            }
        }
        let mut k = a;
        while k < b {
            if r.used[k] {
                k += 1;
                continue;
            }
            if let Some((label, len)) = vocab::longest_match(STYLES, &r.words, k).filter(|(_, len)| k + len <= b) {
                cr.styles.push(label);
                r.mark(k, len);
                k += len;
                continue;
            }
            if let Some((label, len)) = vocab::longest_match(ACTIONS, &r.words, k).filter(|(_, len)| k + len <= b) {
                cr.actions.push(label);
                r.mark(k, len);
                k += len;
                continue;
            }
            k += 1;
        }
        let subject = cr.subject.clone().unwrap_or_else(|| if r.w(a) == Some("then") { prev_subject.clone() } else { Subject::All });
        if r.w(a) == Some("then") {
            r.mark(a, 1);
        }
        let targets: Vec<usize> = match &subject {
            Subject::All => (0..script.characters.len()).collect(),
            Subject::Indices(ix) => ix.clone(),
        };
        // Styles from a noun phrase ("an old man") belong to that character.
        let noun_style = |ci: usize| -> Option<&'static str> { ci.checked_sub(base_index).and_then(|k| new_chars.get(k)).and_then(|(_, s)| *s) };
        if cr.actions.is_empty() {
            for s in &cr.styles {
                styles_only.push((subject.clone(), s));
            }
        }
        for &ci in &targets {
            let style = cr.styles.first().copied().or_else(|| noun_style(ci));
            for act in &cr.actions {
                if let Some(v) = per_char.get_mut(ci) {
                    v.push((act, style));
                }
            }
        }
        if !cr.actions.is_empty() {
            understood.push(format!("{} for {}", cr.actions.join(" then "), describe(&subject, &script)));
        }
        prev_subject = subject;
    }
    // Characters introduced with a style ("an old man") but no clause style still get it.
    for (k, (_, s)) in new_chars.iter().enumerate() {
        if let Some(s) = s {
            styles_only.push((Subject::Indices(vec![base_index + k]), s));
        }
    }

    // --- Apply timelines.
    let old_duration = current.map(|c| c.duration).unwrap_or(script.duration);
    if editing && duration_set && old_duration > 0.0 && script.duration.is_finite() {
        let f = script.duration / old_duration;
        for c in &mut script.characters {
            for m in &mut c.motions {
                m.start *= f;
                m.duration *= f;
            }
        }
        // Camera keyframes count frames: stretch them with the scene.
        let cam = &mut script.camera;
        for p in [&mut cam.distance, &mut cam.height, &mut cam.azimuth_deg, &mut cam.fov_deg].into_iter().flatten() {
            *p = p.scaled(f);
        }
    }
    let dur = script.duration;
    for (ci, acts) in per_char.iter().enumerate() {
        if acts.is_empty() {
            continue;
        }
        let Some(c) = script.characters.get_mut(ci) else { continue };
        let replaceable = |m: &MotionClip, new: &str| match (instead_of, m.action.as_deref()) {
            (Some(old), Some(a)) => a == old,
            (None, Some(a)) => family(a) == family(new),
            _ => false,
        };
        if editing && instead && acts.len() == 1 && c.motions.iter().any(|m| replaceable(m, acts[0].0)) {
            let (new, style) = acts[0];
            for m in c.motions.iter_mut().filter(|m| replaceable(m, new)) {
                let style = style.or(m.style.as_deref().and_then(vocab::resolve_style));
                m.action = Some(new.to_string());
                m.style = style.map(str::to_string);
                m.text = clip_text(new, style);
            }
            continue;
        }
        let len = dur / acts.len() as f64;
        c.motions = acts
            .iter()
            .enumerate()
            .map(|(k, (a, s))| MotionClip { text: clip_text(a, *s), start: k as f64 * len, duration: len, action: Some(a.to_string()), style: s.map(str::to_string) })
            .collect();
    }
    for (subject, style) in styles_only {
        let targets: Vec<usize> = match subject {
            Subject::All => (0..script.characters.len()).collect(),
            Subject::Indices(ix) => ix,
        };
        for ci in targets {
            if let Some(c) = script.characters.get_mut(ci) {
                for m in &mut c.motions {
                    m.style = Some(style.to_string());
                    if let Some(a) = m.action.clone() {
                        m.text = clip_text(&a, Some(style));
                    }
                }
            }
        }
        understood.push(format!("style {style}"));
    }
    if !relations.is_empty() {
        // New relations replace the old ones for the characters they mention.
        script.relations = relations;
    }
    if let Some(c) = camera {
        script.camera = c;
    }
    removals.sort_unstable();
    removals.dedup();
    for &ix in removals.iter().rev() {
        if ix < script.characters.len() {
            let id = script.characters.remove(ix).id;
            script.relations.retain(|rel| !serde_json::to_string(rel).unwrap_or_default().contains(&format!("\"{id}\"")));
        }
    }
    if !r.bad_refs.is_empty() {
        return Err(OfflineError::Reference(format!("no such character: {}", r.bad_refs.join("; "))));
    }
    let not_understood = leftovers(&r);
    if understood.is_empty() {
        return Err(OfflineError::NothingUnderstood(not_understood));
    }
    if script.characters.is_empty() {
        return Err(OfflineError::Reference("no characters: say how many, e.g. \"two people ...\" or \"a man ...\"".into()));
    }
    script.normalize_labels();
    Ok(OfflinePlan { script, understood, not_understood })
}

fn describe(s: &Subject, script: &SceneScript) -> String {
    match s {
        Subject::All => "everyone".into(),
        Subject::Indices(ix) => ix.iter().filter_map(|&i| script.characters.get(i)).map(|c| c.id.clone()).collect::<Vec<_>>().join(", "),
    }
}

/// A character reference at `i`: "the first (one)", "the last", "the other", "both", "everyone",
/// "person 2", an id or a name.
fn read_subject(r: &mut Reader, i: usize, end: usize, script: &SceneScript) -> Option<Subject> {
    let n = script.characters.len();
    let w = r.w(i)?;
    if i >= end || r.used[i] {
        return None;
    }
    let fillers = |r: &mut Reader, j: usize| {
        // Swallow "one"/"person"/"character" after an ordinal.
        if let Some(x) = r.w(j) && (x == "one" || NOUNS.contains(&x)) {
            r.mark(j, 1);
        }
    };
    // "the first (one)" is a reference; a bare "first walk, then wave" is sequencing.
    let is_ref = |r: &Reader| i > 0 && r.w(i - 1) == Some("the") || r.w(i + 1).is_some_and(|x| x == "one" || NOUNS.contains(&x));
    if let Some(&(ord, k)) = ORDINALS.iter().find(|(o, _)| *o == w)
        && is_ref(r)
    {
        r.mark(i, 1);
        fillers(r, i + 1);
        if k >= n {
            r.bad_refs.push(format!("\"the {ord}\" but the scene has {n} character(s)"));
            return None;
        }
        return Some(Subject::Indices(vec![k]));
    }
    match w {
        "last" if is_ref(r) => {
            r.mark(i, 1);
            fillers(r, i + 1);
            if n == 0 {
                r.bad_refs.push("\"the last\" but the scene has no characters".into());
                return None;
            }
            return Some(Subject::Indices(vec![n - 1]));
        }
        "both" | "everyone" | "everybody" | "all" => {
            r.mark(i, 1);
            return Some(Subject::All);
        }
        _ => {}
    }
    if NOUNS.contains(&w) && let Some(v) = r.num(i + 1) && (1.0..=n as f64).contains(&v) {
        r.mark(i, 2);
        return Some(Subject::Indices(vec![v as usize - 1]));
    }
    let by_name = script.characters.iter().position(|c| c.id == w || c.name.as_deref().is_some_and(|nm| nm.to_lowercase() == w || nm.to_lowercase().split(' ').next() == Some(w) && !NOUNS.contains(&w)));
    if let Some(ix) = by_name {
        r.mark(i, 1);
        return Some(Subject::Indices(vec![ix]));
    }
    None
}

fn distance_in(r: &mut Reader, a: usize, b: usize) -> Option<f64> {
    for k in a..b {
        if let Some(v) = r.num(k) && matches!(r.toks[k], Tok::Num(_)) && matches!(r.w(k + 1), Some("m" | "metres" | "meters" | "metre" | "meter")) {
            r.mark(k, 2);
            if r.w(k + 2) == Some("apart") {
                r.mark(k + 2, 1);
            }
            return Some(v);
        }
    }
    None
}

fn read_relations(r: &mut Reader, a: usize, b: usize, script: &SceneScript, out: &mut Vec<Relation>, understood: &mut Vec<String>) -> Result<(), OfflineError> {
    let ids: Vec<String> = script.characters.iter().map(|c| c.id.clone()).collect();
    let walking = (a..b).any(|k| matches!(r.w(k), Some(w) if w.starts_with("walk") || w.starts_with("run") || w.starts_with("approach") || w.starts_with("dash") || w.starts_with("jog")));
    for phrase in ["toward each other", "towards each other", "face each other", "facing each other", "faces each other", "at each other", "to each other", "each other"] {
        if let Some(p) = r.find(a, b, phrase) {
            let len = phrase.split(' ').count();
            r.mark(p, len);
            if ids.len() < 2 {
                return Err(OfflineError::Reference(format!("\"{phrase}\" needs two characters; the scene has {}", ids.len())));
            }
            let d = distance_in(r, a, b).unwrap_or(if walking { 5.0 } else { 2.0 });
            out.push(Relation::FaceEachOther { a: ids[0].clone(), b: ids[1].clone(), distance: d });
            understood.push(format!("{} and {} face each other {d} m apart", ids[0], ids[1]));
            return Ok(());
        }
    }
    for phrase in ["side by side", "next to each other", "shoulder to shoulder", "in a row", "in a line"] {
        if let Some(p) = r.find(a, b, phrase) {
            r.mark(p, phrase.split(' ').count());
            let d = distance_in(r, a, b).unwrap_or(1.0);
            for w in ids.windows(2) {
                out.push(Relation::SideBySide { a: w[0].clone(), b: w[1].clone(), distance: d });
            }
            understood.push(format!("side by side, {d} m apart"));
            return Ok(());
        }
    }
    for phrase in ["in a circle", "in circle", "form a circle", "around a circle"] {
        if let Some(p) = r.find(a, b, phrase) {
            r.mark(p, phrase.split(' ').count());
            let radius = distance_in(r, a, b).unwrap_or(2.0);
            let facing = if r.find(a, b, "outward").is_some() { scene_script::CircleFacing::Outward } else { scene_script::CircleFacing::Center };
            out.push(Relation::Circle { members: ids.clone(), radius, center: None, facing });
            understood.push(format!("in a circle of radius {radius} m"));
            return Ok(());
        }
    }
    for (phrase, behind) in [("behind", true), ("in front of", false)] {
        if let Some(p) = r.find(a, b, phrase) {
            let len = phrase.split(' ').count();
            r.mark(p, len);
            // "<subject> ... behind <reference>"
            let subj = (a..p).find_map(|k| read_subject(r, k, p, script));
            let refr = (p + len..b).find_map(|k| read_subject(r, k, b, script));
            let (Some(Subject::Indices(s)), Some(Subject::Indices(t))) = (subj, refr) else {
                return Err(OfflineError::Reference(format!("\"{phrase}\" needs two characters, e.g. \"the second one stands {phrase} the first\"")));
            };
            let d = distance_in(r, a, b).unwrap_or(1.5);
            let (Some(subject), Some(reference)) = (s.first().and_then(|&i| ids.get(i)).cloned(), t.first().and_then(|&i| ids.get(i)).cloned()) else {
                return Err(OfflineError::Reference(format!("\"{phrase}\" refers to characters that do not exist")));
            };
            understood.push(format!("{subject} {phrase} {reference}"));
            out.push(if behind { Relation::Behind { subject, reference, distance: d } } else { Relation::InFrontOf { subject, reference, distance: d } });
            return Ok(());
        }
    }
    Ok(())
}

fn read_camera(r: &mut Reader, a: usize, b: usize, script: &SceneScript, understood: &mut Vec<String>) -> Result<Camera, OfflineError> {
    let mut cam = Camera::default();
    if let Some(p) = r.find(a, b, "camera") {
        r.mark(p, 1);
    }
    let fps = f64::from(script.fps);
    let last = (script.duration * fps).round().max(1.0);
    let speed = if (a..b).any(|k| matches!(r.w(k), Some("slowly" | "slow" | "gently" | "gentle"))) {
        8.0
    } else if (a..b).any(|k| matches!(r.w(k), Some("quickly" | "quick" | "fast" | "rapidly"))) {
        30.0
    } else {
        15.0
    };
    for k in a..b {
        if matches!(r.w(k), Some("slowly" | "slow" | "gently" | "gentle" | "quickly" | "quick" | "fast" | "rapidly" | "the" | "a" | "around" | "us" | "them" | "scene" | "characters")) {
            r.mark(k, 1);
        }
    }
    let has = |r: &Reader, ws: &[&str]| (a..b).find(|&k| r.w(k).is_some_and(|w| ws.contains(&w)));
    if let Some(k) = has(r, &["orbit", "orbits", "orbiting", "circles", "circling", "rotates", "rotating", "spins", "revolves", "pans"]) {
        r.mark(k, 1);
        cam.mode = CameraMode::Orbit;
        let full = r.find(a, b, "full circle").or_else(|| r.find(a, b, "360"));
        let sp = if let Some(p) = full {
            r.mark(p, 2);
            360.0 / script.duration.max(0.1)
        } else {
            speed
        };
        cam.orbit_speed_deg_per_s = Some(sp);
        cam.distance = Some(Param::Value(6.0));
        cam.height = Some(Param::Value(1.8));
        understood.push(format!("camera orbits at {sp:.1}°/s"));
    } else if let Some(k) = has(r, &["dolly", "dollies", "push", "pushes", "zoom", "zooms", "pull", "pulls", "closer", "away"]) {
        let outward = (a..b).any(|j| matches!(r.w(j), Some("out" | "back" | "away" | "pull" | "pulls")));
        for j in a..b {
            if matches!(r.w(j), Some("in" | "out" | "back" | "closer" | "away" | "moves" | "move")) {
                r.mark(j, 1);
            }
        }
        r.mark(k, 1);
        cam.mode = CameraMode::Dolly;
        let (from, to) = if outward { (3.5, 7.0) } else { (7.0, 3.5) };
        cam.distance = Some(Param::Schedule(format!("0:({from}), {}:({to})", last as u64)));
        cam.height = Some(Param::Value(1.6));
        cam.interpolation = Interpolation::Cubic;
        understood.push(format!("camera dollies {} ({from} m to {to} m)", if outward { "out" } else { "in" }));
    } else if let Some(k) = has(r, &["follows", "follow", "following", "tracks", "track", "tracking"]) {
        r.mark(k, 1);
        let subj = (k + 1..b).find_map(|j| read_subject(r, j, b, script));
        let idx = match subj {
            Some(Subject::Indices(ix)) => ix[0],
            _ => 0,
        };
        let id = script.characters.get(idx).map(|c| c.id.clone()).ok_or_else(|| OfflineError::Reference("the camera can only follow an existing character".into()))?;
        cam.mode = CameraMode::Follow;
        cam.distance = Some(Param::Value(4.0));
        cam.height = Some(Param::Value(1.7));
        cam.azimuth_deg = Some(Param::Value(30.0));
        understood.push(format!("camera follows {id}"));
        cam.character = Some(id);
    } else if let Some(k) = has(r, &["static", "still", "fixed", "locked", "stationary", "steady"]) {
        r.mark(k, 1);
        cam.mode = CameraMode::Static;
        understood.push("static camera".into());
    } else {
        understood.push("static camera".into());
    }
    if let Some(k) = has(r, &["above", "overhead", "high"]) {
        r.mark(k, 1);
        cam.height = Some(Param::Value(4.0));
    } else if let Some(k) = has(r, &["low"]) {
        r.mark(k, 1);
        cam.height = Some(Param::Value(0.6));
    }
    if let Some(k) = has(r, &["wide"]) {
        r.mark(k, 1);
        cam.fov_deg = Some(Param::Value(65.0));
    }
    if let Some(k) = has(r, &["close", "close-up", "closeup"]) {
        r.mark(k, 1);
        if cam.mode != CameraMode::Dolly {
            cam.distance = Some(Param::Value(2.5));
        }
    }
    for k in a..b {
        if matches!(r.w(k), Some("from" | "angle" | "shot" | "view" | "moves" | "up" | "on")) {
            r.mark(k, 1);
        }
    }
    if cam.mode == CameraMode::Static && cam.distance.is_some() {
        // Static with a distance: use orbit's geometry without turning.
        cam.mode = CameraMode::Orbit;
        cam.orbit_speed_deg_per_s = Some(0.0);
    }
    Ok(cam)
}

fn leftovers(r: &Reader) -> Vec<String> {
    let mut out = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    for (k, t) in r.toks.iter().enumerate() {
        let unknown = match t {
            Tok::Word(w) => !r.used[k] && !STOP.contains(&w.as_str()) && !NOUNS.contains(&w.as_str()),
            Tok::Num(_) | Tok::Path(_) => !r.used[k],
            Tok::Punct => false,
        };
        if unknown {
            run.push(match t {
                Tok::Word(w) | Tok::Path(w) => w.as_str(),
                _ => "<number>",
            });
        } else if !run.is_empty() {
            out.push(run.join(" "));
            run.clear();
        }
    }
    if !run.is_empty() {
        out.push(run.join(" "));
    }
    out
}
