//! Natural captions from the Bandai Namco action ("content") and style labels, so the text
//! side of the model sees sentences like the ones users type, not label ids. Each clip gets
//! several phrasings that combine a subject, an action phrase and a style adverbial.

/// Verb phrases per action label (third person, present tense).
fn action_phrases(action: &str) -> Vec<&'static str> {
    match action {
        "walk" => vec!["walks forward", "walks straight ahead", "takes a few steps forward"],
        "run" => vec!["runs forward", "jogs ahead", "runs straight ahead"],
        "dash" => vec!["sprints forward", "dashes ahead at full speed", "runs very fast"],
        "walk-back" => vec!["walks backward", "steps backwards", "walks back"],
        "walk-left" => vec!["walks to the left", "sidesteps to the left", "moves sideways to the left"],
        "walk-right" => vec!["walks to the right", "sidesteps to the right", "moves sideways to the right"],
        "walk-turn-left" => vec!["walks and turns left", "walks forward and then turns to the left", "walks in a left turn"],
        "walk-turn-right" => vec!["walks and turns right", "walks forward and then turns to the right", "walks in a right turn"],
        "bow" => vec!["bows", "bows politely", "takes a bow"],
        "bye" => vec!["waves goodbye", "waves a hand to say goodbye", "says goodbye with a wave"],
        "byebye" => vec!["waves goodbye with both arms", "waves both hands to say bye bye", "waves farewell with big gestures"],
        "guide" => vec!["gestures to show the way", "points the way with an arm", "guides someone with a hand gesture"],
        "respond" => vec!["responds with a gesture", "answers someone with a nod and a gesture", "reacts to someone"],
        "call" => vec!["calls someone over", "beckons someone to come closer", "waves someone over"],
        "punch" => vec!["throws punches", "punches forward", "punches the air"],
        "kick" => vec!["kicks", "kicks forward with one leg", "does a kick"],
        "slash" => vec!["slashes with a sword", "swings an imaginary blade", "makes a slashing attack"],
        "dance-long" | "dance-short" | "dance" => vec!["dances", "dances to music", "does a dance"],
        "wave-both-hands" => vec!["waves both hands", "waves with both hands", "waves both arms in the air"],
        "wave-left-hand" => vec!["waves their left hand", "waves with the left hand", "raises the left hand and waves"],
        "wave-right-hand" => vec!["waves their right hand", "waves with the right hand", "raises the right hand and waves"],
        "raise-up-both-hands" => vec!["raises both hands", "lifts both arms up", "puts both hands up in the air"],
        "raise-up-left-hand" => vec!["raises the left hand", "lifts the left arm up", "puts the left hand up"],
        "raise-up-right-hand" => vec!["raises the right hand", "lifts the right arm up", "puts the right hand up"],
        _ => vec![],
    }
}

/// (subjects, adverbials) per style label. Adverbials may be empty for the neutral style.
fn style_phrases(style: &str) -> (Vec<&'static str>, Vec<&'static str>) {
    match style {
        "normal" => (vec!["a person", "someone", "a man", "a woman"], vec!["", "normally", "in a relaxed way"]),
        "happy" => (vec!["a happy person", "a cheerful man"], vec!["happily", "in a cheerful way"]),
        "sad" => (vec!["a sad person", "an unhappy woman"], vec!["sadly", "in a gloomy, sad way"]),
        "angry" => (vec!["an angry person", "a furious man"], vec!["angrily", "in an angry way"]),
        "proud" => (vec!["a proud person", "a confident man"], vec!["proudly", "with pride"]),
        "not-confident" => (vec!["a shy person", "an insecure person"], vec!["timidly", "without confidence"]),
        "masculinity" | "masculine" => (vec!["a man", "a macho man"], vec!["in a masculine way", "with a manly swagger"]),
        "feminine" => (vec!["a woman", "a graceful woman"], vec!["in a feminine way", "gracefully"]),
        "childish" => (vec!["a child", "a childish person"], vec!["playfully", "like a little child"]),
        "old" | "elderly" => (vec!["an old man", "an elderly person", "an old woman"], vec!["slowly like an old person", "in an elderly way"]),
        "tired" | "exhausted" => (vec!["a tired person", "an exhausted man"], vec!["wearily", "in a tired way"]),
        "active" => (vec!["an energetic person", "a lively man"], vec!["energetically", "actively"]),
        "youthful" => (vec!["a young person", "a youthful woman"], vec!["youthfully", "with youthful energy"]),
        "musical" => (vec!["a performer", "a musical actor"], vec!["rhythmically", "like in a musical"]),
        "giant" => (vec!["a giant", "a huge, heavy person"], vec!["heavily", "with big, heavy movements"]),
        "chimpira" => (vec!["a thug", "a street punk"], vec!["like a thug", "with a cocky swagger"]),
        _ => (vec![], vec![]),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Several natural captions for an (action, style) label pair, deterministic and distinct.
/// Unknown labels still give readable text ("someone does dance-long" → "someone does dance long").
pub fn captions_for(action: &str, style: &str) -> Vec<String> {
    let mut actions: Vec<String> = action_phrases(action).into_iter().map(String::from).collect();
    if actions.is_empty() {
        actions.push(format!("does {}", action.replace(['-', '_'], " ")));
    }
    let (subjects, adverbs) = style_phrases(style);
    let (subjects, adverbs): (Vec<String>, Vec<String>) = if subjects.is_empty() {
        (vec!["a person".into(), "someone".into()], vec![format!("in a {} way", style.replace(['-', '_'], " "))])
    } else {
        (subjects.into_iter().map(String::from).collect(), adverbs.into_iter().map(String::from).collect())
    };
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for (i, act) in actions.iter().enumerate() {
        let subj = &subjects[i % subjects.len()];
        let adv = &adverbs[i % adverbs.len()];
        // "an elderly person slowly waves their left hand" / "someone walks forward in a tired way"
        push(capitalise(&format!("{subj} {act} {adv}.")));
        let neutral = ["a person", "someone"][i % 2];
        if !adv.is_empty() {
            push(format!("{neutral} {act} {adv}"));
        }
        push(format!("{} {act}", subjects[(i + 1) % subjects.len()]));
    }
    out
}

/// More verb phrases per action for training only (caption augmentation): other verbs, word
/// orders and levels of detail, so that prompts phrased unlike [`captions_for`] land near what
/// the model learned. Written without the held-out prompts of `docs/paraphrases.tsv` in mind;
/// a test checks that they add no word sequence of those prompts that the captions lacked.
fn more_action_phrases(action: &str) -> Vec<&'static str> {
    match action {
        "walk" => vec!["walks", "goes for a walk", "walks ahead at a normal pace", "is walking forward", "moves forward on foot", "paces forward", "walks in a straight line", "steps forward one foot after the other"],
        "run" => vec!["runs", "is running forward", "goes for a run", "runs in a straight line", "trots forward quickly", "breaks into a run"],
        "dash" => vec!["sprints", "races forward", "is sprinting", "runs at top speed", "bolts forward", "makes a quick dash"],
        "walk-back" => vec!["moves backward", "is walking backwards", "retreats a few steps", "steps back slowly", "walks in reverse"],
        "walk-left" => vec!["steps sideways to the left", "shuffles to the left", "side steps left", "moves over to the left side"],
        "walk-right" => vec!["steps sideways to the right", "shuffles to the right", "side steps right", "moves over to the right side"],
        "walk-turn-left" => vec!["turns left while walking", "walks and makes a left turn", "walks around a corner to the left", "is walking and turning left", "changes direction to the left while walking"],
        "walk-turn-right" => vec!["turns right while walking", "walks and makes a right turn", "walks around a corner to the right", "is walking and turning right", "changes direction to the right while walking"],
        "bow" => vec!["bows down", "bows deeply", "leans forward in a bow", "gives a polite bow", "is bowing"],
        "bye" => vec!["waves bye", "waves farewell", "waves to say bye", "is waving goodbye", "raises a hand to wave goodbye"],
        "byebye" => vec!["waves goodbye with both hands", "waves both arms to say goodbye", "gives a big two-handed goodbye wave", "is waving goodbye with both arms"],
        "guide" => vec!["shows the way with a hand", "directs someone with an arm", "points in a direction to guide someone", "gestures toward where to go", "is guiding someone"],
        "respond" => vec!["replies with a gesture", "gestures in response", "reacts with a hand gesture", "answers with a small gesture", "is responding to someone"],
        "call" => vec!["calls someone to come", "motions someone to come closer", "waves someone in", "signals someone to approach", "is calling someone over"],
        "punch" => vec!["punches", "throws a punch", "is punching", "hits forward with the fists", "boxes the air"],
        "kick" => vec!["kicks with a leg", "kicks the air", "is kicking", "does a forward kick", "kicks out with the foot"],
        "slash" => vec!["slashes", "swings a sword", "is slashing with a sword", "cuts with a sword", "attacks with a sword swing"],
        "dance-long" | "dance-short" | "dance" => vec!["is dancing", "dances happily", "moves to the music", "does some dance moves", "dances around"],
        "wave-both-hands" => vec!["waves with both arms", "is waving both hands", "waves both hands in the air", "waves hello with both hands", "raises both hands and waves"],
        "wave-left-hand" => vec!["waves the left hand", "is waving with the left hand", "waves hello with the left hand", "lifts the left hand and waves it", "waves with the left arm"],
        "wave-right-hand" => vec!["waves the right hand", "is waving with the right hand", "waves hello with the right hand", "lifts the right hand and waves it", "waves with the right arm"],
        "raise-up-both-hands" => vec!["raises both arms", "holds both hands up", "lifts both hands above the head", "is raising both hands", "puts both arms up"],
        "raise-up-left-hand" => vec!["raises the left arm", "holds the left hand up", "lifts the left hand above the head", "is raising the left hand", "puts the left arm up"],
        "raise-up-right-hand" => vec!["raises the right arm", "holds the right hand up", "lifts the right hand above the head", "is raising the right hand", "puts the right arm up"],
        _ => vec![],
    }
}

/// Subjects any style may take in an augmented caption.
const ANY_SUBJECTS: [&str; 10] =
    ["a person", "someone", "somebody", "a man", "a woman", "a guy", "a lady", "the person", "a character", "the man"];

/// Training-only caption augmentation for an (action, style) pair: [`captions_for`]'s
/// phrasings plus [`more_action_phrases`] with more subjects and with or without the style's
/// adverbial, deterministic and distinct. The evaluator and the dataset keep [`captions_for`]
/// (so evaluation figures stay comparable); only the denoiser's training draws from these.
pub fn training_paraphrases(action: &str, style: &str) -> Vec<String> {
    let base = captions_for(action, style);
    let more = more_action_phrases(action);
    if more.is_empty() {
        return base;
    }
    let (style_subjects, adverbs) = style_phrases(style);
    let neutral = matches!(style, "normal" | "");
    let mut out = base.clone();
    let mut push = |s: String| {
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for (i, act) in more.iter().enumerate() {
        // The style's own subject carries the style; a neutral subject then needs the adverbial.
        if let Some(subj) = style_subjects.get(i % style_subjects.len().max(1)) {
            push(format!("{subj} {act}"));
        }
        let any = ANY_SUBJECTS[i % ANY_SUBJECTS.len()];
        let adv = adverbs.iter().filter(|a| !a.is_empty()).nth(i % adverbs.len().max(1)).copied();
        match adv {
            Some(adv) => push(format!("{any} {act} {adv}")),
            None if neutral || style_subjects.is_empty() => push(format!("{any} {act}")),
            None => {}
        }
        if i % 2 == 0 {
            if let Some(adv) = adverbs.iter().rev().find(|a| !a.is_empty()) {
                push(capitalise(&format!("{} {act} {adv}.", ANY_SUBJECTS[(i + 3) % ANY_SUBJECTS.len()])));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_mention_action_and_style_in_several_phrasings() {
        let c = captions_for("wave-left-hand", "elderly");
        assert!(c.len() >= 5, "{c:?}");
        assert!(c.iter().all(|s| s.to_lowercase().contains("left")), "{c:?}");
        assert!(c.iter().any(|s| s.contains("old") || s.contains("elderly")), "{c:?}");
        let unique: std::collections::HashSet<_> = c.iter().collect();
        assert_eq!(unique.len(), c.len());
        assert!(captions_for("walk", "tired").iter().any(|s| s.contains("tired way")));
    }

    #[test]
    fn unknown_labels_still_read_as_text() {
        let c = captions_for("moonwalk-back", "robotic");
        assert!(c.iter().any(|s| s.contains("does moonwalk back") && s.contains("robotic")), "{c:?}");
    }

    #[test]
    fn training_paraphrases_extend_the_captions_and_keep_the_style() {
        for (action, style) in [("walk", "old"), ("wave-left-hand", "happy"), ("kick", "normal"), ("bow", "giant")] {
            let base = captions_for(action, style);
            let more = training_paraphrases(action, style);
            assert!(more.len() >= base.len() + 8, "{action}/{style}: {more:?}");
            assert_eq!(&more[..base.len()], &base[..]);
            let unique: std::collections::HashSet<_> = more.iter().collect();
            assert_eq!(unique.len(), more.len(), "{more:?}");
            if style != "normal" {
                let (subjects, adverbs) = style_phrases(style);
                let styled = |c: &String| subjects.iter().chain(&adverbs).any(|w| !w.is_empty() && c.to_lowercase().contains(&w.to_lowercase()));
                assert!(more.iter().all(styled), "{action}/{style}: a caption lost the style: {more:?}");
            }
        }
        assert!(training_paraphrases("wave-left-hand", "normal").iter().all(|c| c.contains("left")));
        assert_eq!(training_paraphrases("moonwalk-back", "robotic"), captions_for("moonwalk-back", "robotic"));
    }

    /// The augmentation must not leak the held-out prompts of `docs/paraphrases*.tsv`:
    /// no three-word sequence of a held-out prompt may appear in an augmented caption unless
    /// the original captions already had it.
    #[test]
    fn training_paraphrases_add_nothing_of_the_held_out_prompts() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/");
        let tsv = ["paraphrases.tsv", "paraphrases-2.tsv"].map(|f| std::fs::read_to_string(format!("{dir}{f}")).expect("held-out prompts in docs/")).join("\n");
        let words = |s: &str| s.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(String::from).collect::<Vec<_>>();
        let trigrams = |s: &str| words(s).windows(3).map(|w| w.join(" ")).collect::<std::collections::HashSet<_>>();
        let styles = ["normal", "happy", "sad", "angry", "proud", "not-confident", "masculinity", "feminine", "childish", "old", "tired", "active", "youthful", "musical", "giant", "chimpira"];
        let mut leaks = Vec::new();
        for line in tsv.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let (action, prompt) = line.split_once('\t').expect("label<TAB>prompt");
            let held_out = trigrams(prompt);
            for style in styles {
                let before: std::collections::HashSet<String> = captions_for(action, style).iter().flat_map(|c| trigrams(c)).collect();
                for c in training_paraphrases(action, style) {
                    let leaked: Vec<_> = trigrams(&c).into_iter().filter(|t| held_out.contains(t) && !before.contains(t)).collect();
                    if !leaked.is_empty() {
                        leaks.push(format!("{c:?} shares {leaked:?} with the held-out prompt {prompt:?}"));
                    }
                }
            }
        }
        assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    }
}
