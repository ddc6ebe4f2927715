//! The offline grammar planner.

use scene_llm::{OfflineError, plan_offline};
use scene_script::{CameraMode, Param, Relation, Scene};

fn actions(s: &scene_script::SceneScript, i: usize) -> Vec<String> {
    s.characters[i].motions.iter().map(|m| m.action.clone().unwrap_or_default()).collect()
}

#[test]
fn the_issue_example() {
    let p = plan_offline("two people walk toward each other and wave, the camera slowly orbits, 8 seconds", None).expect("plan");
    let s = &p.script;
    assert_eq!(s.characters.len(), 2);
    assert_eq!(s.duration, 8.0);
    for i in 0..2 {
        assert_eq!(actions(s, i), ["walk", "wave-right-hand"]);
        let m = &s.characters[i].motions;
        assert_eq!((m[0].start, m[0].duration, m[1].start, m[1].duration), (0.0, 4.0, 4.0, 4.0));
    }
    assert!(matches!(&s.relations[..], [Relation::FaceEachOther { .. }]));
    assert_eq!(s.camera.mode, CameraMode::Orbit);
    assert!(s.camera.orbit_speed_deg_per_s.is_some_and(|v| v > 0.0 && v <= 10.0), "slow orbit");
    assert!(p.not_understood.is_empty(), "{:?}", p.not_understood);
    let scene = Scene::new(s.clone()).expect("valid scene");
    let (a, b) = (&scene.placements[0], &scene.placements[1]);
    assert!((a.position[0] - b.position[0]).abs() > 2.0);
}

#[test]
fn styles_synonyms_and_ordinals() {
    let p = plan_offline("an old man and a happy kid. the first one jogs then waves with his left hand; the second dances happily, 6 s", None).expect("plan");
    let s = &p.script;
    assert_eq!(s.characters.len(), 2);
    assert_eq!(actions(s, 0), ["run", "wave-left-hand"]);
    assert_eq!(s.characters[0].motions[0].style.as_deref(), Some("elderly"));
    assert_eq!(actions(s, 1), ["dance"]);
    assert_eq!(s.characters[1].motions[0].style.as_deref(), Some("happy"));
    assert_eq!(s.duration, 6.0);
}

#[test]
fn bare_first_is_sequencing_not_a_reference() {
    let p = plan_offline("two people first walk, then wave, 6 seconds", None).expect("plan");
    assert_eq!(actions(&p.script, 0), ["walk", "wave-right-hand"]);
    assert_eq!(actions(&p.script, 1), ["walk", "wave-right-hand"]);
}

#[test]
fn relations_and_camera_moves() {
    let p = plan_offline("three dancers dance in a circle 3 m apart, camera dollies in, 5 seconds", None).expect("plan");
    match &p.script.relations[..] {
        [Relation::Circle { members, radius, .. }] => {
            assert_eq!(members.len(), 3);
            assert_eq!(*radius, 3.0);
        }
        r => panic!("{r:?}"),
    }
    assert_eq!(p.script.camera.mode, CameraMode::Dolly);
    assert!(matches!(&p.script.camera.distance, Some(Param::Schedule(s)) if s == "0:(7), 100:(3.5)"), "{:?}", p.script.camera.distance);

    let p = plan_offline("two people stand side by side and bow, the camera follows the second one", None).expect("plan");
    assert!(matches!(&p.script.relations[..], [Relation::SideBySide { .. }]));
    assert_eq!(p.script.camera.character.as_deref(), Some("p2"));

    let p = plan_offline("two people wave. the second one stands behind the first, static camera", None).expect("plan");
    assert!(matches!(&p.script.relations[..], [Relation::Behind { subject, reference, .. }] if subject == "p2" && reference == "p1"), "{:?}", p.script.relations);
    assert_eq!(p.script.camera.mode, CameraMode::Static);
}

#[test]
fn edits_an_existing_scene() {
    let first = plan_offline("two people walk toward each other and wave, the camera slowly orbits, 8 seconds", None).expect("plan").script;
    let p = plan_offline("make the second one run instead", Some(&first)).expect("edit");
    let s = &p.script;
    assert_eq!(actions(s, 0), ["walk", "wave-right-hand"], "first unchanged");
    assert_eq!(actions(s, 1), ["run", "wave-right-hand"], "walk replaced by run, wave kept");
    assert_eq!(s.characters[1].motions[0].start, 0.0);
    assert_eq!(s.relations, first.relations);
    assert_eq!(s.camera, first.camera);
    assert!(p.not_understood.is_empty(), "{:?}", p.not_understood);

    let p = plan_offline("make it 4 seconds and the first one sad", Some(&first)).expect("edit");
    assert_eq!(p.script.duration, 4.0);
    assert_eq!(p.script.characters[0].motions[1].start, 2.0, "timeline scaled");
    assert!(p.script.characters[0].motions.iter().all(|m| m.style.as_deref() == Some("sad")));
    assert!(p.script.characters[1].motions.iter().all(|m| m.style.is_none()));

    let dolly = plan_offline("two people bow, camera dollies in, 5 seconds", None).expect("plan").script;
    let longer = plan_offline("make it 10 seconds", Some(&dolly)).expect("edit").script;
    assert_eq!(longer.camera.distance, Some(Param::Schedule("0:(7), 200:(3.5)".into())), "camera keys follow the new length");
    Scene::new(longer).expect("still valid");

    let e = plan_offline("make the third one dance", Some(&first)).expect_err("only two").to_string();
    assert!(e.contains("\"the third\" but the scene has 2 character(s)"), "{e}");

    let p = plan_offline("remove the second one", Some(&first)).expect("edit");
    assert_eq!(p.script.characters.len(), 1);
    assert!(p.script.relations.is_empty());
}

#[test]
fn reports_what_it_could_not_parse() {
    let p = plan_offline("a man juggles flaming torches and waves, 5 seconds", None).expect("plan");
    assert!(p.not_understood.iter().any(|f| f.contains("juggles flaming torches")), "{:?}", p.not_understood);
    let e = plan_offline("purple monkey dishwasher", None).expect_err("nothing");
    assert!(matches!(&e, OfflineError::NothingUnderstood(w) if w == &["purple monkey dishwasher"]), "{e}");
    assert!(e.to_string().contains("not understood: purple monkey dishwasher"));
}

#[test]
fn absurd_requests_become_validation_errors() {
    let p = plan_offline("two people walk, 8000 seconds", None).expect("plan");
    let e = Scene::new(p.script).expect_err("too long").to_string();
    assert!(e.contains("duration: is 8000 s"), "{e}");
    let e = plan_offline("ninety hundred people wave", None).err().map(|e| e.to_string()).unwrap_or_default();
    let e2 = plan_offline("100 people wave", None).map(|p| Scene::new(p.script).map(|_| ()).expect_err("too many").to_string()).unwrap_or_else(|e| e.to_string());
    assert!(e2.contains("the limit is 8"), "{e} / {e2}");
    let p = plan_offline("a man waves, render at 100000x100000, save the frames to ../../etc", None).expect("plan");
    let e = Scene::new(p.script).expect_err("refused").to_string();
    assert!(e.contains("render.width: is 100000 px") && e.contains("render.output_dir"), "{e}");
}
