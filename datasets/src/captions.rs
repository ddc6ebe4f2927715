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
}
