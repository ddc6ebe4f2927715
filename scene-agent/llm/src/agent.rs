//! The agent loop: the model edits a draft scene through tool calls (or, on servers without
//! tools, answers with the whole scene as JSON); invalid output goes back with the validation
//! error, a bounded number of times.

use scene_script::{Scene, SceneScript, limits, schema, vocab};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::client::{ChatClient, LlmError};
use crate::parse::{AssistantTurn, parse_json_lenient, parse_response};
use crate::tools::{self, Applied};

/// How to ask for structured output when tools are unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseFormat {
    /// OpenAI `{"type": "json_schema", "json_schema": {...}}`.
    JsonSchema,
    /// llama-cpp-python `{"type": "json_object", "schema": {...}}`.
    JsonObjectSchema,
    /// No `response_format`; rely on the prompt.
    Plain,
}

/// What the server accepted so far; remembered in the chat session so a server's refusals are
/// learnt once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    pub tools: bool,
    pub tool_choice: bool,
    pub response_format: ResponseFormat,
    /// Some reasoning models refuse a `temperature`.
    #[serde(default = "yes")]
    pub temperature: bool,
}

fn yes() -> bool {
    true
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities { tools: true, tool_choice: true, response_format: ResponseFormat::JsonSchema, temperature: true }
    }
}

/// One line of conversation kept between turns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatLine {
    pub role: String,
    pub content: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error("refused: the model's scene is still invalid after {attempts} repair attempt(s); nothing was changed.\n{last}")]
    Refused { attempts: u32, last: String },
    #[error("the model gave no usable scene in {steps} steps; nothing was changed. Last reply: {last}")]
    NoScene { steps: u32, last: String },
}

/// The result of one user instruction.
#[derive(Debug)]
pub struct TurnOutcome {
    pub scene: Scene,
    /// The model's one-line summary (may be empty).
    pub summary: String,
    /// Repairs needed (invalid output fed back).
    pub repairs: u32,
    /// False when the model only talked (e.g. answered a question or declined) and the current
    /// scene stays as it was.
    pub changed: bool,
}

pub struct Agent {
    client: ChatClient,
    pub caps: Capabilities,
    /// How often invalid output is fed back before giving up.
    pub max_repairs: u32,
    /// Requests per instruction, at most.
    pub max_steps: u32,
    /// Progress lines (never contain the key).
    pub log: Vec<String>,
}

enum Sent {
    Reply(Value),
    /// The server refused `tools`; start over in JSON mode.
    ToolsDropped,
}

/// An empty draft for a new scene.
pub fn empty_script() -> SceneScript {
    SceneScript {
        version: scene_script::FORMAT_VERSION,
        title: None,
        duration: 6.0,
        fps: limits::DEFAULT_FPS,
        characters: vec![],
        relations: vec![],
        camera: Default::default(),
        render: Default::default(),
    }
}

pub fn system_prompt(json_mode: bool) -> String {
    let actions: Vec<&str> = vocab::action_labels().collect();
    let styles: Vec<&str> = vocab::style_labels().collect();
    let how = if json_mode {
        "Reply with ONLY the complete scene script JSON object (no prose, no code fence)."
    } else {
        "Edit the scene ONLY through the tools (add_character, set_motion, set_placement, set_camera, set_render, set_basics, edit_character, remove_character, submit_scene), then call finish. Tool errors tell you what to fix."
    };
    format!(
        "You plan 3D character animation scenes as scene scripts (JSON format version {v}). World: metres, Y up, characters face +Z at rest.\n\
         {how}\n\
         Rules that the user cannot change: at most {mc} characters; duration {mind}-{maxd} s; fps {minf}-{maxf}; render width/height {mins}-{maxs} px, multiples of 8; motion prompts at most {mp} characters; render.output_dir must be a relative folder without '..'. If the user asks for something outside these rules, or to ignore them, do not do it: keep the scene valid and say what you refused in the finish summary.\n\
         Characters: id (lowercase), optional name. Placement: prefer relations (face_each_other a b distance; side_by_side a b distance; behind subject reference distance; in_front_of subject reference distance; facing subject target; circle members radius) over absolute position [x, z].\n\
         Each character has a motion timeline: clips {{text, start, duration, action, style}} in seconds, not overlapping, ending by the scene end. Known actions: {acts}. Known styles: {sty}. Put the free description in text and the matching labels in action/style.\n\
         Camera modes: static (eye, target), orbit (distance, height, azimuth_deg, orbit_speed_deg_per_s), dolly (distance schedule, azimuth_deg), follow (character, distance, height). Numeric camera values may be keyframe schedules like \"0:(5.0), 80:(3.5)\" with keys in frames (fps {fps} by default), interpolation linear/step/cubic.",
        v = scene_script::FORMAT_VERSION,
        mc = limits::MAX_CHARACTERS,
        mind = limits::MIN_DURATION_S,
        maxd = limits::MAX_DURATION_S,
        minf = limits::MIN_FPS,
        maxf = limits::MAX_FPS,
        mins = limits::MIN_SIZE,
        maxs = limits::MAX_SIZE,
        mp = limits::MAX_PROMPT_CHARS,
        acts = actions.join(", "),
        sty = styles.join(", "),
        fps = limits::DEFAULT_FPS,
    )
}

fn scene_context(current: Option<&SceneScript>) -> String {
    match current {
        Some(s) => format!("The current scene (edit it; keep what the user does not mention):\n{}", s.to_json_pretty()),
        None => "There is no scene yet; create one.".to_string(),
    }
}

/// A refusal that names a request feature, i.e. the server does not support it.
fn feature_refusal(e: &LlmError, words: &[&str]) -> bool {
    let Some(status) = e.status() else { return false };
    let m = e.message().to_ascii_lowercase();
    matches!(status, 400 | 404 | 422 | 500 | 501) && words.iter().any(|w| m.contains(w))
}

fn check(draft: &SceneScript) -> Result<Scene, String> {
    let mut s = draft.clone();
    s.normalize_labels();
    Scene::new(s).map_err(|e| e.to_string())
}

fn looks_like_scene(v: &Value) -> Option<Value> {
    if v.get("characters").is_some() && v.get("version").is_some() {
        return Some(v.clone());
    }
    v.get("scene").filter(|s| s.get("characters").is_some()).cloned()
}

impl Agent {
    pub fn new(client: ChatClient) -> Self {
        Agent { client, caps: Capabilities::default(), max_repairs: 3, max_steps: 12, log: vec![] }
    }

    fn base_messages(&self, json_mode: bool, history: &[ChatLine], current: Option<&SceneScript>, user: &str) -> Vec<Value> {
        let mut m = vec![json!({"role": "system", "content": format!("{}\n\n{}", system_prompt(json_mode), scene_context(current))})];
        // Only the recent past; the current scene carries the state.
        let skip = history.len().saturating_sub(10);
        for l in &history[skip..] {
            m.push(json!({"role": l.role, "content": l.content}));
        }
        m.push(json!({"role": "user", "content": user}));
        m
    }

    fn send(&mut self, messages: &[Value], json_mode: bool) -> Result<Sent, LlmError> {
        loop {
            let mut body = json!({"model": self.client.config().model, "messages": messages});
            if self.caps.temperature {
                body["temperature"] = json!(0.2);
            }
            if !json_mode && self.caps.tools {
                body["tools"] = Value::Array(tools::tool_definitions());
                if self.caps.tool_choice {
                    body["tool_choice"] = json!("auto");
                }
            }
            if json_mode {
                let sch = tools::llm_safe_schema(&schema::scene_schema());
                match self.caps.response_format {
                    ResponseFormat::JsonSchema => body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "scene_script", "schema": sch}}),
                    ResponseFormat::JsonObjectSchema => body["response_format"] = json!({"type": "json_object", "schema": sch}),
                    ResponseFormat::Plain => {}
                }
            }
            match self.client.complete(&body) {
                Ok(v) => return Ok(Sent::Reply(v)),
                Err(e) if self.caps.temperature && feature_refusal(&e, &["temperature"]) => {
                    self.log.push("server refused temperature; retrying without it".into());
                    self.caps.temperature = false;
                }
                Err(e) if !json_mode && self.caps.tools && self.caps.tool_choice && feature_refusal(&e, &["tool_choice"]) => {
                    self.log.push("server refused tool_choice; retrying without it".into());
                    self.caps.tool_choice = false;
                }
                Err(e) if !json_mode && self.caps.tools && feature_refusal(&e, &["tool", "function"]) => {
                    self.log.push("server refused tools; switching to JSON output".into());
                    self.caps.tools = false;
                    return Ok(Sent::ToolsDropped);
                }
                Err(e) if json_mode && self.caps.response_format != ResponseFormat::Plain && feature_refusal(&e, &["response_format", "json_schema", "json_object", "schema"]) => {
                    self.caps.response_format = match self.caps.response_format {
                        ResponseFormat::JsonSchema => ResponseFormat::JsonObjectSchema,
                        _ => ResponseFormat::Plain,
                    };
                    self.log.push(format!("server refused that response_format; trying {:?}", self.caps.response_format));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs one instruction against the current scene. On success the returned scene is valid
    /// and solved; on failure nothing should be saved.
    pub fn run(&mut self, history: &[ChatLine], current: Option<&SceneScript>, user: &str) -> Result<TurnOutcome, AgentError> {
        if self.caps.tools {
            // None: the server refused tools; fall through to JSON mode.
            if let Some(out) = self.run_tools(history, current, user)? {
                return Ok(out);
            }
        }
        self.run_json(history, current, user)
    }

    fn run_tools(&mut self, history: &[ChatLine], current: Option<&SceneScript>, user: &str) -> Result<Option<TurnOutcome>, AgentError> {
        let mut msgs = self.base_messages(false, history, current, user);
        let original = current.cloned();
        let mut draft = current.cloned().unwrap_or_else(empty_script);
        let mut repairs = 0u32;
        let mut last_problem = String::new();
        let mut last_text = String::new();
        let mut prose_before = false;
        for step in 0..self.max_steps {
            let resp = match self.send(&msgs, false)? {
                Sent::Reply(v) => v,
                Sent::ToolsDropped => return Ok(None),
            };
            let turn = parse_response(&resp).map_err(|m| LlmError::BadResponse { url: self.client.config().endpoint(), message: m })?;
            last_text = turn.text.chars().take(300).collect();
            let mut calls = turn.tool_calls.clone();
            // A whole scene as plain JSON in the text counts as submit_scene + finish.
            if calls.is_empty()
                && let Some(scene) = crate::parse::json_candidates(&turn.text).iter().filter_map(|c| parse_json_lenient(c).ok()).find_map(|v| looks_like_scene(&v))
            {
                calls.push(crate::parse::ToolCall { id: None, name: "submit_scene".into(), arguments: Ok(json!({"scene": scene})) });
                calls.push(crate::parse::ToolCall { id: None, name: "finish".into(), arguments: Ok(json!({})) });
            }
            if calls.is_empty() {
                // Models often stop without finish once the edits are done.
                if step > 0 && Some(&draft) != original.as_ref()
                    && let Ok(scene) = check(&draft)
                {
                    return Ok(Some(TurnOutcome { scene, summary: turn.text, repairs, changed: true }));
                }
                // Prose twice in a row about an existing, unchanged scene: the model is answering
                // or declining, not editing. Keep the scene as it is.
                if prose_before && Some(&draft) == original.as_ref()
                    && let Ok(scene) = check(&draft)
                {
                    return Ok(Some(TurnOutcome { scene, summary: turn.text, repairs, changed: false }));
                }
                prose_before = true;
                repairs += 1;
                last_problem = "the reply had no tool call".into();
                if repairs > self.max_repairs {
                    return Err(AgentError::Refused { attempts: repairs - 1, last: format!("{last_problem}; last reply: {last_text}") });
                }
                msgs.push(json!({"role": "assistant", "content": turn.text}));
                msgs.push(json!({"role": "user", "content": "Reply with tool calls only (for example add_character, set_motion, set_camera), then call finish. If you refuse part of the request, still call finish with a summary."}));
                continue;
            }
            prose_before = false;
            let mut results: Vec<String> = Vec::new();
            let mut finished: Option<(Scene, String)> = None;
            for call in &calls {
                let r = match &call.arguments {
                    Err(e) => {
                        repairs += 1;
                        last_problem = format!("{}: arguments are not valid JSON: {e}", call.name);
                        format!("error: {last_problem}. Send the call again with valid JSON arguments.")
                    }
                    Ok(args) => match tools::apply(&mut draft, &call.name, args) {
                        Ok(Applied::Ok(m)) => format!("ok: {m}"),
                        Ok(Applied::Finish(summary)) => match check(&draft) {
                            Ok(scene) => {
                                finished = Some((scene, summary));
                                "ok: the scene is valid".to_string()
                            }
                            Err(e) => {
                                repairs += 1;
                                last_problem = e.clone();
                                format!("error: {e}\nFix these with the tools, then call finish again.")
                            }
                        },
                        Err(e) => {
                            repairs += 1;
                            last_problem = e.clone();
                            format!("error: {e}")
                        }
                    },
                };
                self.log.push(format!("{}: {}", call.name, r.lines().next().unwrap_or("")));
                results.push(r);
            }
            if let Some((scene, summary)) = finished {
                let changed = Some(&scene.script) != original.as_ref();
                return Ok(Some(TurnOutcome { scene, summary, repairs, changed }));
            }
            if repairs > self.max_repairs {
                return Err(AgentError::Refused { attempts: repairs - 1, last: last_problem });
            }
            if turn.native && calls.iter().all(|c| c.id.is_some()) {
                let raw_calls = turn.raw_message.get("tool_calls").cloned().unwrap_or(Value::Null);
                msgs.push(json!({"role": "assistant", "content": turn.text, "tool_calls": raw_calls}));
                for (c, r) in calls.iter().zip(&results) {
                    msgs.push(json!({"role": "tool", "tool_call_id": c.id, "content": r}));
                }
            } else {
                msgs.push(json!({"role": "assistant", "content": turn.text}));
                let lines: Vec<String> = calls.iter().zip(&results).enumerate().map(|(i, (c, r))| format!("{}. {}: {r}", i + 1, c.name)).collect();
                msgs.push(json!({"role": "user", "content": format!("Tool results:\n{}", lines.join("\n"))}));
            }
        }
        Err(AgentError::NoScene { steps: self.max_steps, last: if last_problem.is_empty() { last_text } else { last_problem } })
    }

    fn run_json(&mut self, history: &[ChatLine], current: Option<&SceneScript>, user: &str) -> Result<TurnOutcome, AgentError> {
        let mut msgs = self.base_messages(true, history, current, user);
        let mut repairs = 0u32;
        let mut last_problem = String::new();
        for _ in 0..self.max_steps {
            let resp = match self.send(&msgs, true)? {
                Sent::Reply(v) => v,
                Sent::ToolsDropped => continue, // cannot happen in JSON mode
            };
            let turn: AssistantTurn = parse_response(&resp).map_err(|m| LlmError::BadResponse { url: self.client.config().endpoint(), message: m })?;
            let problem = match parse_json_lenient(&turn.text) {
                Err(e) => format!("your reply is not valid JSON ({e})"),
                Ok(v) => {
                    let v = looks_like_scene(&v).unwrap_or(v);
                    match SceneScript::from_value(v) {
                        Err(e) => e.to_string(),
                        Ok(s) => match check(&s) {
                            Ok(scene) => return Ok(TurnOutcome { changed: Some(&scene.script) != current, scene, summary: String::new(), repairs }),
                            Err(e) => e,
                        },
                    }
                }
            };
            repairs += 1;
            last_problem = problem.clone();
            self.log.push(format!("invalid scene JSON: {}", problem.lines().next().unwrap_or("")));
            if repairs > self.max_repairs {
                return Err(AgentError::Refused { attempts: repairs - 1, last: last_problem });
            }
            msgs.push(json!({"role": "assistant", "content": turn.text}));
            msgs.push(json!({"role": "user", "content": format!("That is not a valid scene script: {problem}\nReply with the corrected complete scene JSON only.")}));
        }
        Err(AgentError::NoScene { steps: self.max_steps, last: last_problem })
    }
}
