//! Thin blocking HTTP layer over `ureq` that turns every failure into a [`DiffusionError`] that
//! names the URL and what went wrong. Credentials travel only in the Authorization header and are
//! never part of any error or log text.

use super::DiffusionError;
use std::time::Duration;

/// Largest response body read (base64 PNGs in A1111 JSON replies can be tens of MB).
const MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;
/// Error bodies are quoted back to the user, shortened to this.
const MAX_ERROR_SNIPPET: usize = 600;

pub struct Http {
    agent: ureq::Agent,
    base: String,
    timeout: Duration,
    authorization: Option<String>,
}

pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

pub(crate) fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let s = s.trim();
    if s.chars().count() > MAX_ERROR_SNIPPET {
        format!("{}…", s.chars().take(MAX_ERROR_SNIPPET).collect::<String>())
    } else {
        s.to_string()
    }
}

impl Http {
    /// `base_url` like `http://127.0.0.1:7860`; `authorization` is a full header value
    /// (`Basic …` / `Bearer …`) or `None`.
    pub fn new(base_url: &str, timeout: Duration, authorization: Option<String>) -> Result<Self, DiffusionError> {
        let base = base_url.trim_end_matches('/').to_string();
        let authority = base.split_once("://").map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
        // URLs end up in error messages, so they must not carry credentials.
        if authority.contains('@') {
            return Err(DiffusionError::Config(
                "the server URL contains credentials; pass them with --auth-env instead".into(),
            ));
        }
        if !(base.starts_with("http://") || base.starts_with("https://")) || authority.is_empty() {
            return Err(DiffusionError::Config(format!("server URL {base_url:?} must start with http:// or https://")));
        }
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .build();
        Ok(Self { agent: config.into(), base, timeout, authorization })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn map_err(&self, url: &str, e: ureq::Error) -> DiffusionError {
        match e {
            ureq::Error::Timeout(_) => DiffusionError::Timeout { url: url.to_string(), after_s: self.timeout.as_secs_f64() },
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut || io.kind() == std::io::ErrorKind::WouldBlock => {
                DiffusionError::Timeout { url: url.to_string(), after_s: self.timeout.as_secs_f64() }
            }
            ureq::Error::BodyExceedsLimit(n) => {
                DiffusionError::Malformed { url: url.to_string(), what: format!("response body larger than {n} bytes") }
            }
            other => DiffusionError::Connect { url: url.to_string(), reason: other.to_string() },
        }
    }

    fn finish(&self, url: &str, resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Reply, DiffusionError> {
        let mut resp = resp.map_err(|e| self.map_err(url, e))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(|e| self.map_err(url, e))?;
        Ok(Reply { status, body })
    }

    /// Non-2xx replies become [`DiffusionError::Status`] with the start of the body.
    pub fn ok(&self, path: &str, reply: Reply) -> Result<Vec<u8>, DiffusionError> {
        if (200..300).contains(&reply.status) {
            Ok(reply.body)
        } else {
            Err(DiffusionError::Status { url: self.url(path), status: reply.status, body: snippet(&reply.body) })
        }
    }

    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value, DiffusionError> {
        let url = self.url(path);
        let bytes = serde_json::to_vec(body).map_err(|e| DiffusionError::Config(e.to_string()))?;
        let mut req = self.agent.post(&url).header("Content-Type", "application/json");
        if let Some(a) = &self.authorization {
            req = req.header("Authorization", a);
        }
        let reply = self.finish(&url, req.send(&bytes[..]))?;
        let body = self.ok(path, reply)?;
        parse_json(&url, &body)
    }

    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Vec<u8>, DiffusionError> {
        let url = self.url(path);
        let mut req = self.agent.get(&url);
        for (k, v) in query {
            req = req.query(*k, *v);
        }
        if let Some(a) = &self.authorization {
            req = req.header("Authorization", a);
        }
        let reply = self.finish(&url, req.call())?;
        self.ok(path, reply)
    }

    pub fn get_json(&self, path: &str) -> Result<serde_json::Value, DiffusionError> {
        let body = self.get(path, &[])?;
        parse_json(&self.url(path), &body)
    }

    /// `multipart/form-data` with text fields and one file field.
    pub fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file_field: &str,
        file_name: &str,
        file_type: &str,
        file: &[u8],
    ) -> Result<serde_json::Value, DiffusionError> {
        let url = self.url(path);
        let boundary = format!("----scene-agent-{:016x}", fastrand_u64());
        let mut body = Vec::with_capacity(file.len() + 512);
        for (k, v) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{file_name}\"\r\nContent-Type: {file_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut req = self.agent.post(&url).header("Content-Type", format!("multipart/form-data; boundary={boundary}"));
        if let Some(a) = &self.authorization {
            req = req.header("Authorization", a);
        }
        let reply = self.finish(&url, req.send(&body[..]))?;
        let body = self.ok(path, reply)?;
        parse_json(&url, &body)
    }
}

pub(crate) fn parse_json(url: &str, body: &[u8]) -> Result<serde_json::Value, DiffusionError> {
    serde_json::from_slice(body).map_err(|e| DiffusionError::Malformed {
        url: url.to_string(),
        what: format!("reply is not JSON ({e}): {}", snippet(body)),
    })
}

/// Boundary / client id randomness without a `rand` dependency: time and address entropy.
pub(crate) fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish()
}

/// Authorization header value from a secret: `Bearer …` / `Basic …` pass through, `user:password`
/// becomes HTTP Basic (A1111's `--api-auth`), anything else a bearer token.
pub fn authorization_from_secret(secret: &str) -> String {
    use base64::Engine;
    let s = secret.trim();
    if s.starts_with("Bearer ") || s.starts_with("Basic ") {
        s.to_string()
    } else if s.contains(':') {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s))
    } else {
        format!("Bearer {s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_credentials_are_refused_without_echoing_them() {
        let err = Http::new("http://bob:hunter2@127.0.0.1:7860", Duration::from_secs(1), None).err().expect("refused");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(Http::new("ftp://x", Duration::from_secs(1), None).is_err());
        assert!(Http::new("http://", Duration::from_secs(1), None).is_err());
        assert!(Http::new("http://127.0.0.1:7860/", Duration::from_secs(1), None).is_ok());
    }

    #[test]
    fn auth_header_forms() {
        assert_eq!(authorization_from_secret("user:pw"), "Basic dXNlcjpwdw==");
        assert_eq!(authorization_from_secret("tok"), "Bearer tok");
        assert_eq!(authorization_from_secret("Bearer tok"), "Bearer tok");
    }
}
