//! Blocking client for OpenAI-compatible `/chat/completions` servers (OpenAI, Ollama,
//! llama.cpp, vLLM, LM Studio), with bounded retries and a key that never reaches logs.

use std::time::Duration;

use serde_json::Value;

/// An API key. `Debug` and `Display` print `***`, so it cannot leak through error messages or
/// logs by accident; only [`ApiKey::expose`] gives the text (for the Authorization header).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Where and how to reach the model.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// Base URL, usually ending in `/v1`; `/chat/completions` is appended.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<ApiKey>,
    /// Per request, connect to last byte.
    pub timeout: Duration,
    /// Extra attempts after a timeout, connection failure, HTTP 429 or 5xx.
    pub max_retries: u32,
}

/// Values given on the command line; `None` falls back to the environment.
#[derive(Debug, Clone, Default)]
pub struct ConfigFlags {
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key: Option<String>,
}

pub const DEFAULT_OPENAI_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";

impl LlmConfig {
    /// Flags win over `SCENE_AGENT_BASE_URL`/`_MODEL`/`_API_KEY`, which win over
    /// `OPENAI_BASE_URL`/`OPENAI_MODEL`/`OPENAI_API_KEY`. Returns `None` when neither a base URL
    /// nor a key is configured: no LLM, use the offline planner.
    pub fn resolve(flags: &ConfigFlags, env: impl Fn(&str) -> Option<String>) -> Option<LlmConfig> {
        let pick = |flag: &Option<String>, names: &[&str]| -> Option<String> {
            flag.clone().or_else(|| names.iter().find_map(|n| env(n))).filter(|s| !s.trim().is_empty())
        };
        let base = pick(&flags.base_url, &["SCENE_AGENT_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_BASE"]);
        let key = pick(&flags.api_key, &["SCENE_AGENT_API_KEY", "OPENAI_API_KEY"]);
        let model = pick(&flags.model, &["SCENE_AGENT_MODEL", "OPENAI_MODEL"]);
        if base.is_none() && key.is_none() {
            return None;
        }
        Some(LlmConfig {
            base_url: base.unwrap_or_else(|| DEFAULT_OPENAI_URL.to_string()),
            // Local servers mostly ignore the model name; OpenAI needs a real one.
            model: model.unwrap_or_else(|| DEFAULT_OPENAI_MODEL.to_string()),
            api_key: key.map(ApiKey),
            timeout: Duration::from_secs(120),
            max_retries: 2,
        })
    }

    pub fn endpoint(&self) -> String {
        let b = self.base_url.trim_end_matches('/');
        if b.ends_with("/chat/completions") { b.to_string() } else { format!("{b}/chat/completions") }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the LLM server at {url} did not answer within {secs:.1} s ({attempts} attempts)")]
    Timeout { url: String, secs: f64, attempts: u32 },
    #[error("cannot reach the LLM server at {url} ({attempts} attempts): {message}")]
    Connect { url: String, message: String, attempts: u32 },
    #[error("the LLM server at {url} answered HTTP {status} ({attempts} attempts): {message}")]
    Http { url: String, status: u16, message: String, attempts: u32 },
    #[error("the LLM server at {url} sent a response that is not chat-completions JSON: {message}")]
    BadResponse { url: String, message: String },
}

impl LlmError {
    /// HTTP status for server-side refusals, used to decide on feature fallbacks.
    pub fn status(&self) -> Option<u16> {
        match self {
            LlmError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
    pub fn message(&self) -> &str {
        match self {
            LlmError::Http { message, .. } | LlmError::Connect { message, .. } | LlmError::BadResponse { message, .. } => message,
            LlmError::Timeout { .. } => "",
        }
    }
}

pub struct ChatClient {
    cfg: LlmConfig,
    agent: ureq::Agent,
}

/// Error bodies are shown to the user; keep them short and strip the key if a server echoes it.
fn tidy(cfg: &LlmConfig, body: &str) -> String {
    let msg = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.get("error"))
                .or_else(|| v.get("detail"))
                .or_else(|| v.get("message"))
                .map(|m| m.as_str().map(str::to_string).unwrap_or_else(|| m.to_string()))
        })
        .unwrap_or_else(|| body.to_string());
    let mut msg: String = msg.chars().take(400).collect();
    if let Some(k) = &cfg.api_key
        && !k.expose().is_empty()
    {
        msg = msg.replace(k.expose(), "***");
    }
    msg
}

impl ChatClient {
    pub fn new(cfg: LlmConfig) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(cfg.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        ChatClient { cfg, agent }
    }

    pub fn config(&self) -> &LlmConfig {
        &self.cfg
    }

    /// POSTs one chat-completions request. Retries timeouts, connection failures, 429 and 5xx
    /// up to `max_retries` times (short backoff); other statuses fail at once.
    pub fn complete(&self, body: &Value) -> Result<Value, LlmError> {
        let url = self.cfg.endpoint();
        let payload = body.to_string();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt > self.cfg.max_retries;
            let mut req = self.agent.post(&url).header("Content-Type", "application/json");
            if let Some(k) = &self.cfg.api_key {
                req = req.header("Authorization", format!("Bearer {}", k.expose()));
            }
            let err = match req.send(payload.as_str()) {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let text = match resp.body_mut().read_to_string() {
                        Ok(t) => t,
                        Err(e) => {
                            if last {
                                return Err(LlmError::BadResponse { url, message: e.to_string() });
                            }
                            backoff(attempt);
                            continue;
                        }
                    };
                    if (200..300).contains(&status) {
                        return serde_json::from_str(&text).map_err(|e| LlmError::BadResponse { url: url.clone(), message: format!("{e}; body starts {:?}", tidy(&self.cfg, &text.chars().take(120).collect::<String>())) });
                    }
                    let e = LlmError::Http { url: url.clone(), status, message: tidy(&self.cfg, &text), attempts: attempt };
                    if status == 429 || status >= 500 { e } else { return Err(e) }
                }
                Err(ureq::Error::Timeout(_)) => LlmError::Timeout { url: url.clone(), secs: self.cfg.timeout.as_secs_f64(), attempts: attempt },
                Err(e) => LlmError::Connect { url: url.clone(), message: tidy(&self.cfg, &e.to_string()), attempts: attempt },
            };
            if last {
                return Err(err);
            }
            backoff(attempt);
        }
    }
}

fn backoff(attempt: u32) {
    std::thread::sleep(Duration::from_millis(150 * u64::from(attempt.min(5))));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn flags_win_over_env_and_no_config_means_offline() {
        assert!(LlmConfig::resolve(&ConfigFlags::default(), env_of(&[])).is_none());
        let env = env_of(&[("OPENAI_BASE_URL", "http://env/v1"), ("OPENAI_MODEL", "m-env"), ("SCENE_AGENT_MODEL", "m-agent"), ("OPENAI_API_KEY", "sk-env")]);
        let c = LlmConfig::resolve(&ConfigFlags::default(), &env).expect("configured");
        assert_eq!((c.base_url.as_str(), c.model.as_str()), ("http://env/v1", "m-agent"));
        let flags = ConfigFlags { base_url: Some("http://flag/v1/".into()), model: Some("m-flag".into()), api_key: Some("sk-flag".into()) };
        let c = LlmConfig::resolve(&flags, &env).expect("configured");
        assert_eq!(c.endpoint(), "http://flag/v1/chat/completions");
        assert_eq!(c.model, "m-flag");
        assert_eq!(c.api_key.as_ref().map(ApiKey::expose), Some("sk-flag"));
        let only_key = LlmConfig::resolve(&ConfigFlags::default(), env_of(&[("OPENAI_API_KEY", "sk-x")])).expect("key only");
        assert_eq!(only_key.base_url, DEFAULT_OPENAI_URL);
    }

    #[test]
    fn key_never_formats() {
        let c = LlmConfig { base_url: "http://x".into(), model: "m".into(), api_key: Some(ApiKey::new("sk-very-secret")), timeout: Duration::from_secs(1), max_retries: 0 };
        let shown = format!("{c:?} {}", c.api_key.as_ref().map(|k| k.to_string()).unwrap_or_default());
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert_eq!(tidy(&c, r#"{"error":{"message":"bad key sk-very-secret"}}"#), "bad key ***");
    }
}
