//! LLM connection flags shared by `plan` and `chat`. No `Debug` on purpose: it would print the key.

use std::time::Duration;

use clap::{Args, ValueEnum};
use scene_llm::{Agent, ChatClient, ConfigFlags, LlmConfig, ResponseFormat};

/// How to ask for the scene as JSON when tools are off.
#[derive(Clone, Copy, ValueEnum)]
pub enum JsonFormat {
    /// OpenAI `response_format: json_schema`.
    JsonSchema,
    /// llama-cpp-python `response_format: json_object` with a `schema`.
    JsonObject,
    /// No `response_format`; instructions only.
    Plain,
}

#[derive(Args, Clone)]
pub struct LlmArgs {
    /// Base URL of an OpenAI-compatible server, e.g. http://localhost:11434/v1 (Ollama),
    /// http://localhost:8080/v1 (llama.cpp), https://api.openai.com/v1.
    /// Default: $SCENE_AGENT_BASE_URL, then $OPENAI_BASE_URL.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Model name. Default: $SCENE_AGENT_MODEL, then $OPENAI_MODEL, then gpt-4o-mini.
    #[arg(long)]
    pub model: Option<String>,
    /// API key (never printed). Prefer $SCENE_AGENT_API_KEY or $OPENAI_API_KEY: other users
    /// can see command lines.
    #[arg(long, value_name = "KEY", hide_default_value = true)]
    pub api_key: Option<String>,
    /// Ignore any configured server and use the offline grammar planner.
    #[arg(long)]
    pub offline: bool,
    /// Seconds to wait for one LLM response.
    #[arg(long, default_value_t = 120.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Extra attempts after a timeout, connection failure, HTTP 429 or 5xx.
    #[arg(long, default_value_t = 2)]
    pub retries: u32,
    /// How often invalid model output is sent back for repair before giving up.
    #[arg(long, default_value_t = 3)]
    pub max_repairs: u32,
    /// Do not offer tools; ask for the whole scene as JSON (small local models often do better).
    #[arg(long)]
    pub no_tools: bool,
    /// Structured-output form for JSON mode (default: json-schema, falling back automatically).
    #[arg(long, value_enum, value_name = "FORM")]
    pub json_format: Option<JsonFormat>,
}

impl LlmArgs {
    /// The server to use, or `None` for the offline planner.
    pub fn config(&self) -> anyhow::Result<Option<LlmConfig>> {
        if self.offline {
            return Ok(None);
        }
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 3600.0) {
            anyhow::bail!("--timeout must be between 0 and 3600 seconds");
        }
        let flags = ConfigFlags { base_url: self.base_url.clone(), model: self.model.clone(), api_key: self.api_key.clone() };
        Ok(LlmConfig::resolve(&flags, |k| std::env::var(k).ok()).map(|mut c| {
            c.timeout = Duration::from_secs_f64(self.timeout);
            c.max_retries = self.retries.min(10);
            c
        }))
    }

    pub fn agent(&self, cfg: LlmConfig) -> Agent {
        let mut a = Agent::new(ChatClient::new(cfg));
        a.max_repairs = self.max_repairs.min(20);
        self.apply_overrides(&mut a);
        a
    }

    /// Flags win over capabilities remembered in a chat session.
    pub fn apply_overrides(&self, a: &mut Agent) {
        if self.no_tools {
            a.caps.tools = false;
        }
        if let Some(f) = self.json_format {
            a.caps.response_format = match f {
                JsonFormat::JsonSchema => ResponseFormat::JsonSchema,
                JsonFormat::JsonObject => ResponseFormat::JsonObjectSchema,
                JsonFormat::Plain => ResponseFormat::Plain,
            };
        }
    }
}

pub const OFFLINE_NOTE: &str = "No LLM configured (set --base-url or OPENAI_BASE_URL / OPENAI_API_KEY); using the offline planner.";
