//! A chat session on disk: `session.json` (history and what the server supports) and
//! `scene.json` (the current scene), both written atomically inside the session folder.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use scene_llm::{Capabilities, ChatLine};
use scene_script::SceneScript;
use motion::write_atomic;
use scene_script::fsutil::join_inside;
use serde::{Deserialize, Serialize};

pub const SESSION_FORMAT: &str = "scene-agent-session/1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionFile {
    pub format: String,
    pub history: Vec<ChatLine>,
    /// Learnt server features, valid for `server` only.
    #[serde(default)]
    pub caps: Option<Capabilities>,
    /// Base URL the capabilities belong to (no key).
    #[serde(default)]
    pub server: Option<String>,
    /// Earlier scenes, newest last, for `/undo`.
    #[serde(default)]
    pub undo: Vec<SceneScript>,
}

/// How many earlier scenes `/undo` can go back.
pub const UNDO_DEPTH: usize = 20;

pub struct Session {
    pub dir: PathBuf,
    pub file: SessionFile,
    pub scene: Option<SceneScript>,
}

impl Session {
    pub fn open(dir: &Path) -> Result<Session> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the session folder {}", dir.display()))?;
        let sp = join_inside(dir, "session.json")?;
        let file = if sp.exists() {
            let text = std::fs::read_to_string(&sp).with_context(|| format!("cannot read {}", sp.display()))?;
            let f: SessionFile = serde_json::from_str(&text).with_context(|| format!("{} is not a scene-agent session file", sp.display()))?;
            anyhow::ensure!(f.format == SESSION_FORMAT, "{} has format {:?}; this program reads {SESSION_FORMAT:?}", sp.display(), f.format);
            f
        } else {
            SessionFile { format: SESSION_FORMAT.into(), history: vec![], caps: None, server: None, undo: vec![] }
        };
        let scp = join_inside(dir, "scene.json")?;
        let scene = if scp.exists() {
            let text = std::fs::read_to_string(&scp).with_context(|| format!("cannot read {}", scp.display()))?;
            let s = SceneScript::from_json(&text).with_context(|| format!("{} (fix it or delete it to start over)", scp.display()))?;
            Some(s)
        } else {
            None
        };
        Ok(Session { dir: dir.to_path_buf(), file, scene })
    }

    /// Replaces the scene, remembering the old one for `/undo`.
    pub fn set_scene(&mut self, scene: SceneScript) {
        if let Some(old) = self.scene.replace(scene) {
            self.file.undo.push(old);
            let extra = self.file.undo.len().saturating_sub(UNDO_DEPTH);
            self.file.undo.drain(..extra);
        }
    }

    /// Goes back to the previous scene; false when there is none.
    pub fn undo(&mut self) -> bool {
        match self.file.undo.pop() {
            Some(prev) => {
                self.scene = Some(prev);
                true
            }
            None => false,
        }
    }

    pub fn scene_path(&self) -> Result<PathBuf> {
        Ok(join_inside(&self.dir, "scene.json")?)
    }

    /// Saves the scene first, then the session, each atomically.
    pub fn save(&self) -> Result<()> {
        if let Some(s) = &self.scene {
            write_atomic(&self.scene_path()?, s.to_json_pretty().as_bytes())?;
        }
        let text = serde_json::to_string_pretty(&self.file)?;
        write_atomic(&join_inside(&self.dir, "session.json")?, text.as_bytes())?;
        Ok(())
    }
}
