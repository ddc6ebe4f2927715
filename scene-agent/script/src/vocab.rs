//! The motion vocabulary the model was trained on (Bandai Namco mocap labels), in one place.
//!
//! Each entry has the canonical label and the phrases that mean it. The offline planner matches
//! these phrases; the validator accepts only canonical labels and suggests one for a synonym.

/// One canonical label and the phrases that resolve to it.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub label: &'static str,
    /// Lowercase phrases (space-separated words). Filler words ("his", "the", "with", ...)
    /// between the words are skipped when matching, so "waves with his left hand" matches
    /// the phrase "waves left hand".
    pub phrases: &'static [&'static str],
}

/// Actions of the motion model.
pub const ACTIONS: &[Entry] = &[
    Entry { label: "walk", phrases: &["walk", "walks", "walking", "walked", "stroll", "strolls", "strolling", "step", "steps", "approach", "approaches", "approaching", "go", "goes", "come", "comes", "move", "moves"] },
    Entry { label: "run", phrases: &["run", "runs", "running", "ran", "jog", "jogs", "jogging"] },
    Entry { label: "dash", phrases: &["dash", "dashes", "dashing", "sprint", "sprints", "sprinting", "rush", "rushes", "charge", "charges"] },
    Entry { label: "walk-back", phrases: &["walk back", "walks back", "walk backward", "walks backward", "walk backwards", "walks backwards", "walking backwards", "back away", "backs away", "backing away", "step back", "steps back", "retreat", "retreats"] },
    Entry { label: "walk-left", phrases: &["walk left", "walks left", "walk to left", "walks to left", "sidestep left", "sidesteps left", "step left", "steps left", "strafe left", "strafes left"] },
    Entry { label: "walk-right", phrases: &["walk right", "walks right", "walk to right", "walks to right", "sidestep right", "sidesteps right", "step right", "steps right", "strafe right", "strafes right"] },
    Entry { label: "walk-turn-left", phrases: &["turn left", "turns left", "turning left", "walk turn left", "walks turn left", "walks and turns left"] },
    Entry { label: "walk-turn-right", phrases: &["turn right", "turns right", "turning right", "walk turn right", "walks and turns right"] },
    Entry { label: "bow", phrases: &["bow", "bows", "bowing", "bowed"] },
    Entry { label: "bye", phrases: &["bye", "say bye", "says bye", "goodbye", "say goodbye", "says goodbye", "saying goodbye", "farewell"] },
    Entry { label: "byebye", phrases: &["byebye", "bye-bye", "bye bye", "say bye bye", "says bye bye"] },
    Entry { label: "guide", phrases: &["guide", "guides", "guiding", "show way", "shows way", "point way", "points way", "lead", "leads"] },
    Entry { label: "respond", phrases: &["respond", "responds", "responding", "answer", "answers", "reply", "replies", "nod", "nods"] },
    Entry { label: "call", phrases: &["call", "calls", "calling", "call out", "calls out", "beckon", "beckons", "shout", "shouts", "yell", "yells"] },
    Entry { label: "punch", phrases: &["punch", "punches", "punching", "box", "boxes", "boxing", "hit", "hits", "jab", "jabs"] },
    Entry { label: "kick", phrases: &["kick", "kicks", "kicking"] },
    Entry { label: "slash", phrases: &["slash", "slashes", "slashing", "swing sword", "swings sword", "swings a sword", "strike", "strikes", "cut", "cuts"] },
    Entry { label: "dance", phrases: &["dance", "dances", "dancing", "danced"] },
    Entry { label: "wave-both-hands", phrases: &["wave both hands", "waves both hands", "waving both hands", "wave two hands", "waves two hands"] },
    Entry { label: "wave-left-hand", phrases: &["wave left hand", "waves left hand", "waving left hand", "wave left", "waves left"] },
    Entry { label: "wave-right-hand", phrases: &["wave right hand", "waves right hand", "waving right hand", "wave right", "waves right", "wave", "waves", "waving", "waved", "wave hand", "waves hand", "say hello", "says hello", "greet", "greets"] },
    Entry { label: "raise-up-both-hands", phrases: &["raise both hands", "raises both hands", "raising both hands", "raise up both hands", "raises up both hands", "hands up", "put hands up", "puts hands up", "cheer", "cheers", "cheering", "raise hands", "raises hands", "raise arms", "raises arms"] },
    Entry { label: "raise-up-left-hand", phrases: &["raise left hand", "raises left hand", "raising left hand", "raise up left hand", "raises up left hand", "raise left arm", "raises left arm"] },
    Entry { label: "raise-up-right-hand", phrases: &["raise right hand", "raises right hand", "raising right hand", "raise up right hand", "raises up right hand", "raise right arm", "raises right arm", "raise hand", "raises hand", "raise a hand", "raises a hand"] },
];

/// Styles of the motion model.
pub const STYLES: &[Entry] = &[
    Entry { label: "normal", phrases: &["normal", "normally", "neutral", "neutrally", "casual", "casually"] },
    Entry { label: "happy", phrases: &["happy", "happily", "cheerful", "cheerfully", "joyful", "joyfully", "glad", "gladly", "merrily"] },
    Entry { label: "sad", phrases: &["sad", "sadly", "unhappy", "unhappily", "gloomy", "gloomily", "depressed", "sorrowful"] },
    Entry { label: "angry", phrases: &["angry", "angrily", "furious", "furiously", "mad", "annoyed"] },
    Entry { label: "proud", phrases: &["proud", "proudly", "confident", "confidently", "boastful"] },
    Entry { label: "not-confident", phrases: &["not-confident", "not confident", "unconfident", "shy", "shyly", "nervous", "nervously", "timid", "timidly", "insecure", "hesitant", "hesitantly"] },
    Entry { label: "masculine", phrases: &["masculine", "manly"] },
    Entry { label: "feminine", phrases: &["feminine", "girly", "ladylike"] },
    Entry { label: "childish", phrases: &["childish", "childishly", "childlike", "like child", "like a child", "like kid", "like a kid"] },
    Entry { label: "elderly", phrases: &["elderly", "old", "old man", "old woman", "old lady", "old person", "aged", "senior", "like old man", "like an old man"] },
    Entry { label: "tired", phrases: &["tired", "tiredly", "exhausted", "weary", "wearily", "worn out", "sleepy"] },
    Entry { label: "active", phrases: &["active", "actively", "energetic", "energetically", "lively", "vigorous", "vigorously"] },
    Entry { label: "youthful", phrases: &["youthful", "youthfully", "young", "youngster"] },
    Entry { label: "musical", phrases: &["musical", "musically", "rhythmic", "rhythmically", "like a musical"] },
    Entry { label: "giant", phrases: &["giant", "like a giant", "huge", "heavy", "heavily", "lumbering"] },
    Entry { label: "chimpira", phrases: &["chimpira", "thug", "thuggish", "punk", "delinquent", "swagger", "swaggering", "gangster"] },
];

/// Words skipped between the words of a phrase ("waves with his left hand").
pub const FILLERS: &[&str] = &["his", "her", "their", "its", "the", "with", "my", "one", "own", "an", "to"];

/// Canonical action labels, in table order.
pub fn action_labels() -> impl Iterator<Item = &'static str> {
    ACTIONS.iter().map(|e| e.label)
}

/// Canonical style labels, in table order.
pub fn style_labels() -> impl Iterator<Item = &'static str> {
    STYLES.iter().map(|e| e.label)
}

pub fn is_action(label: &str) -> bool {
    ACTIONS.iter().any(|e| e.label == label)
}

pub fn is_style(label: &str) -> bool {
    STYLES.iter().any(|e| e.label == label)
}

fn resolve(table: &'static [Entry], text: &str) -> Option<&'static str> {
    let norm = normalize(text);
    if let Some(e) = table.iter().find(|e| e.label == norm) {
        return Some(e.label);
    }
    let words: Vec<&str> = norm.split_whitespace().collect();
    let (label, len) = longest_match(table, &words, 0)?;
    // Only a whole-text match counts as a synonym; partial matches are the planner's business.
    (len == words.len()).then_some(label)
}

/// Canonical action for a label or synonym ("jog" -> "run", "waves with his left hand" -> "wave-left-hand").
pub fn resolve_action(text: &str) -> Option<&'static str> {
    resolve(ACTIONS, text)
}

/// Canonical style for a label or synonym ("old man" -> "elderly", "exhausted" -> "tired").
pub fn resolve_style(text: &str) -> Option<&'static str> {
    resolve(STYLES, text)
}

/// Lowercase, punctuation to spaces (hyphens kept), single spaces.
pub fn normalize(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '-' || c == '.' { c.to_ascii_lowercase() } else { ' ' })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Longest phrase of `table` matching `words` at `start`; returns the label and how many words
/// (fillers included) it consumed.
pub fn longest_match<S: AsRef<str>>(table: &'static [Entry], words: &[S], start: usize) -> Option<(&'static str, usize)> {
    let mut best: Option<(&'static str, usize, usize)> = None; // label, consumed, phrase words
    for entry in table {
        for phrase in entry.phrases {
            let pw: Vec<&str> = phrase.split(' ').collect();
            if let Some(consumed) = match_phrase(&pw, words, start) {
                let better = match best {
                    None => true,
                    Some((_, _, n)) => pw.len() > n,
                };
                if better {
                    best = Some((entry.label, consumed, pw.len()));
                }
            }
        }
    }
    best.map(|(l, c, _)| (l, c))
}

fn match_phrase<S: AsRef<str>>(phrase: &[&str], words: &[S], start: usize) -> Option<usize> {
    let mut i = start;
    for (k, pw) in phrase.iter().enumerate() {
        if k > 0 {
            while i < words.len() && words[i].as_ref() != *pw && FILLERS.contains(&words[i].as_ref()) {
                i += 1;
            }
        }
        if i >= words.len() || words[i].as_ref() != *pw {
            return None;
        }
        i += 1;
    }
    Some(i - start)
}

/// The closest canonical label by edit distance, for "did you mean" hints.
pub fn suggest(table: &'static [Entry], text: &str) -> Option<&'static str> {
    if let Some(l) = resolve(table, text) {
        return Some(l);
    }
    let t = normalize(text);
    table
        .iter()
        .map(|e| (e.label, edit_distance(&t, e.label)))
        .filter(|(l, d)| *d <= l.len().max(3) / 3 + 1)
        .min_by_key(|(_, d)| *d)
        .map(|(l, _)| l)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms_resolve_to_canonical_labels() {
        assert_eq!(resolve_action("jog"), Some("run"));
        assert_eq!(resolve_action("waves with his left hand"), Some("wave-left-hand"));
        assert_eq!(resolve_action("Wave-Both-Hands"), Some("wave-both-hands"));
        assert_eq!(resolve_action("waves"), Some("wave-right-hand"));
        assert_eq!(resolve_style("old man"), Some("elderly"));
        assert_eq!(resolve_style("exhausted"), Some("tired"));
        assert_eq!(resolve_style("happily"), Some("happy"));
        assert_eq!(resolve_action("juggle"), None);
        assert_eq!(resolve_style("purple"), None);
    }

    #[test]
    fn every_label_is_unique_and_resolves_to_itself() {
        for table in [ACTIONS, STYLES] {
            for (i, e) in table.iter().enumerate() {
                assert!(table.iter().skip(i + 1).all(|o| o.label != e.label), "{} twice", e.label);
                assert_eq!(resolve(table, e.label), Some(e.label));
            }
        }
        assert_eq!(ACTIONS.len(), 24);
        assert_eq!(STYLES.len(), 16);
    }

    #[test]
    fn suggestions_fix_typos() {
        assert_eq!(suggest(ACTIONS, "wlak"), Some("walk"));
        assert_eq!(suggest(STYLES, "hapy"), Some("happy"));
        assert_eq!(suggest(STYLES, "zzzzzzzz"), None);
    }
}
