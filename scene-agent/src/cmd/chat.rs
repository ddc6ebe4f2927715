//! `scene-agent chat`: an interactive session that creates and edits one scene. The scene
//! (`scene.json`) and the conversation (`session.json`) live in the session folder, so a later
//! `chat` continues where this one stopped.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use scene_llm::{Agent, ChatLine, plan_offline};
use scene_script::Scene;
use motion::write_atomic;
use scene_script::fsutil::join_inside;

use crate::llm_args::{LlmArgs, OFFLINE_NOTE};
use crate::session::Session;

#[derive(Args)]
pub struct ChatArgs {
    /// Session folder: holds scene.json and session.json; every file chat writes stays inside.
    #[arg(long, default_value = "scene-session", value_name = "DIR")]
    pub session: PathBuf,
    /// Send these messages one after another instead of reading stdin (repeatable).
    #[arg(short, long, value_name = "TEXT")]
    pub message: Vec<String>,
    #[command(flatten)]
    pub llm: LlmArgs,
}

const HELP: &str = "Type an instruction (\"two people walk toward each other and wave, 8 seconds\", \"make the second one run instead\").\n\
Commands: /show (scene JSON), /summary, /undo, /save NAME.json (copy inside the session folder), /new (start over), /help, /quit";

pub fn run(a: ChatArgs) -> Result<()> {
    let mut session = Session::open(&a.session)?;
    let cfg = a.llm.config()?;
    let mut agent: Option<Agent> = cfg.map(|c| {
        let server = c.base_url.clone();
        let mut ag = a.llm.agent(c);
        if session.file.server.as_deref() == Some(server.as_str())
            && let Some(caps) = session.file.caps
        {
            ag.caps = caps;
            a.llm.apply_overrides(&mut ag);
        }
        session.file.server = Some(server);
        ag
    });
    let interactive = a.message.is_empty();
    if agent.is_none() {
        eprintln!("{OFFLINE_NOTE}");
    }
    match &session.scene {
        Some(s) => eprintln!("session {}: continuing a scene with {} character(s), {} s", a.session.display(), s.characters.len(), s.duration),
        None => eprintln!("session {}: new scene", a.session.display()),
    }
    if interactive {
        eprintln!("{HELP}");
    }
    let mut inputs: Box<dyn Iterator<Item = String>> = if interactive {
        Box::new(std::io::stdin().lock().lines().map_while(Result::ok))
    } else {
        Box::new(a.message.clone().into_iter())
    };
    let mut failures = 0u32;
    loop {
        if interactive {
            print!("> ");
            std::io::stdout().flush().ok();
        }
        let Some(line) = inputs.next() else { break };
        let line = line.trim().to_string();
        if line.is_empty() {
            continue;
        }
        if let Some(cmd) = line.strip_prefix('/') {
            let (name, arg) = cmd.split_once(' ').map(|(n, r)| (n, r.trim())).unwrap_or((cmd, ""));
            match name {
                "quit" | "exit" | "q" => break,
                "help" => println!("{HELP}"),
                "show" => match &session.scene {
                    Some(s) => println!("{}", s.to_json_pretty()),
                    None => println!("(no scene yet)"),
                },
                "summary" => match session.scene.clone().map(Scene::new) {
                    Some(Ok(s)) => crate::cmd::validate::print_summary(&s),
                    Some(Err(e)) => println!("{e}"),
                    None => println!("(no scene yet)"),
                },
                "save" => match (&session.scene, join_inside(&session.dir, arg)) {
                    (None, _) => println!("(no scene yet)"),
                    (_, Err(e)) => {
                        failures += 1;
                        eprintln!("refused: {e}");
                    }
                    (Some(s), Ok(p)) => match write_atomic(&p, s.to_json_pretty().as_bytes()) {
                        Ok(()) => println!("saved {}", p.display()),
                        Err(e) => {
                            failures += 1;
                            eprintln!("{e}");
                        }
                    },
                },
                "undo" => {
                    if session.undo() {
                        session.file.history.push(ChatLine { role: "user".into(), content: "/undo (went back to the previous scene)".into() });
                        session.save()?;
                        println!("went back to the previous scene; saved {}", session.scene_path()?.display());
                    } else {
                        println!("nothing to undo");
                    }
                }
                "new" => {
                    session.scene = None;
                    session.file.history.clear();
                    session.file.undo.clear();
                    if let Ok(p) = session.scene_path() {
                        let _ = std::fs::remove_file(p);
                    }
                    session.save()?;
                    println!("started a new scene");
                }
                other => println!("unknown command /{other}; {HELP}"),
            }
            continue;
        }
        match turn(&mut session, agent.as_mut(), &line) {
            Ok(reply) => {
                session.file.history.push(ChatLine { role: "user".into(), content: line.clone() });
                session.file.history.push(ChatLine { role: "assistant".into(), content: reply });
                if let Some(ag) = &agent {
                    session.file.caps = Some(ag.caps);
                }
                session.save()?;
                if let Some(s) = session.scene.clone().and_then(|s| Scene::new(s).ok()) {
                    crate::cmd::validate::print_summary(&s);
                }
                println!("saved {}", session.scene_path()?.display());
            }
            Err(e) => {
                failures += 1;
                eprintln!("{e:#}");
                eprintln!("(the scene was not changed)");
            }
        }
    }
    // Scripted use (-m) reports failure through the exit status.
    if !interactive && failures > 0 {
        anyhow::bail!("{failures} message(s) failed");
    }
    Ok(())
}

/// One instruction: returns the reply line; the session's scene is replaced only on success.
fn turn(session: &mut Session, agent: Option<&mut Agent>, line: &str) -> Result<String> {
    let (scene, reply) = match agent {
        None => {
            let plan = plan_offline(line, session.scene.as_ref())?;
            let mut reply = format!("understood: {}", plan.understood.join("; "));
            if !plan.not_understood.is_empty() {
                let nu = format!("not understood: {}", plan.not_understood.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "));
                eprintln!("{nu}");
                reply.push_str(&format!("; {nu}"));
            }
            (Scene::new(plan.script).map_err(|e| anyhow::anyhow!("refused: {e}"))?, reply)
        }
        Some(ag) => {
            ag.log.clear();
            let out = ag.run(&session.file.history, session.scene.as_ref(), line);
            for l in &ag.log {
                eprintln!("  {l}");
            }
            let out = out?;
            let reply = match (out.summary.is_empty(), out.changed) {
                (true, true) => "updated the scene".to_string(),
                (true, false) => "(no change)".to_string(),
                (false, _) => out.summary,
            };
            if !out.changed {
                println!("{reply}");
                println!("(the scene was not changed)");
                return Ok(reply);
            }
            (out.scene, reply)
        }
    };
    println!("{reply}");
    session.set_scene(scene.script);
    Ok(reply)
}
