//! Reading an assistant message the way servers really send it: native `tool_calls`, tool
//! calls written as text in `content` (`<tool_call>` blocks, code fences, bare JSON), empty
//! `content` with the text in `reasoning_content`, and slightly broken JSON.

use serde_json::Value;

/// A tool call; `arguments` is `Err(message)` when they were not valid JSON.
#[derive(Debug, Clone)]
pub struct ToolCall {
    /// The server's id for native calls; `None` when parsed out of text.
    pub id: Option<String>,
    pub name: String,
    pub arguments: Result<Value, String>,
}

/// One assistant reply, reduced to what the agent needs.
#[derive(Debug, Clone, Default)]
pub struct AssistantTurn {
    /// Visible text (content, or reasoning_content when content was empty), `<think>` removed.
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    /// True when the calls came as native `tool_calls` (reply with role `tool` messages).
    pub native: bool,
    /// The raw assistant message, to echo back into the history.
    pub raw_message: Value,
}

/// Extracts the first choice's message from a chat-completions response.
pub fn parse_response(resp: &Value) -> Result<AssistantTurn, String> {
    let msg = resp
        .pointer("/choices/0/message")
        .ok_or_else(|| format!("no choices[0].message in the response: {}", short(&resp.to_string())))?;
    let content = msg.get("content").and_then(Value::as_str).unwrap_or("");
    let reasoning = msg.get("reasoning_content").or_else(|| msg.get("reasoning")).and_then(Value::as_str).unwrap_or("");
    let mut text = strip_think(content);
    if text.trim().is_empty() {
        text = strip_think(reasoning);
    }
    let mut turn = AssistantTurn { text: text.trim().to_string(), raw_message: msg.clone(), ..Default::default() };
    if let Some(calls) = msg.get("tool_calls").and_then(Value::as_array)
        && !calls.is_empty()
    {
        turn.native = true;
        for c in calls {
            let f = c.get("function").unwrap_or(c);
            let name = f.get("name").and_then(Value::as_str).unwrap_or("").to_string();
            let arguments = match f.get("arguments") {
                Some(Value::String(s)) => parse_json_lenient(s),
                Some(v @ Value::Object(_)) => Ok(v.clone()),
                None | Some(Value::Null) => Ok(Value::Object(Default::default())),
                Some(other) => Err(format!("arguments must be a JSON object, got {}", short(&other.to_string()))),
            };
            turn.tool_calls.push(ToolCall { id: c.get("id").and_then(Value::as_str).map(str::to_string), name, arguments });
        }
        return Ok(turn);
    }
    turn.tool_calls = calls_from_text(&turn.text);
    Ok(turn)
}

fn short(s: &str) -> String {
    let t: String = s.chars().take(200).collect();
    if t.len() < s.len() { format!("{t}…") } else { t }
}

/// Removes `<think>…</think>` sections (reasoning models put them in content).
pub fn strip_think(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("<think>") {
        out.push_str(&rest[..i]);
        match rest[i..].find("</think>") {
            Some(j) => rest = &rest[i + j + "</think>".len()..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Tool calls written as text: `<tool_call>{…}</tool_call>` blocks, or JSON (bare or fenced)
/// shaped like `{"name": …, "arguments": …}` (also `parameters`/`args`, `function`, `tool`), or
/// a list of those.
pub fn calls_from_text(text: &str) -> Vec<ToolCall> {
    let mut chunks: Vec<String> = Vec::new();
    for tag in ["<tool_call>", "<function_call>", "<|tool_call|>"] {
        let close = tag.replace('<', "</").replace("</|", "<|/");
        let mut rest = text;
        while let Some(i) = rest.find(tag) {
            let after = &rest[i + tag.len()..];
            let end = after.find(&close).or_else(|| after.find("</tool_call>")).unwrap_or(after.len());
            chunks.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    if chunks.is_empty() {
        chunks = json_candidates(text);
    }
    let mut calls = Vec::new();
    for c in chunks {
        match parse_json_lenient(&c) {
            Ok(Value::Array(items)) => items.iter().filter_map(as_call).for_each(|tc| calls.push(tc)),
            Ok(v) => {
                if let Some(tc) = as_call(&v) {
                    calls.push(tc);
                }
            }
            Err(e) => {
                // Inside explicit tool-call tags broken JSON is still a call: report it for repair.
                if text.contains("<tool_call>") || text.contains("<function_call>") {
                    let name = c.split("\"name\"").nth(1).and_then(|r| r.split('"').nth(1)).unwrap_or("").to_string();
                    calls.push(ToolCall { id: None, name, arguments: Err(e) });
                }
            }
        }
    }
    calls
}

fn as_call(v: &Value) -> Option<ToolCall> {
    let o = v.as_object()?;
    let f = o.get("function").filter(|f| f.is_object()).and_then(Value::as_object).unwrap_or(o);
    let name = f.get("name").or_else(|| f.get("tool")).or_else(|| o.get("function").filter(|x| x.is_string()))?.as_str()?.to_string();
    let args = f.get("arguments").or_else(|| f.get("parameters")).or_else(|| f.get("args")).or_else(|| f.get("input"));
    let arguments = match args {
        Some(Value::String(s)) => parse_json_lenient(s),
        Some(v @ Value::Object(_)) => Ok(v.clone()),
        None => Ok(Value::Object(Default::default())),
        Some(other) => Err(format!("arguments must be a JSON object, got {}", short(&other.to_string()))),
    };
    Some(ToolCall { id: None, name, arguments })
}

/// JSON texts in `text`: fenced code blocks first, else every balanced top-level `{…}`/`[…]`.
pub fn json_candidates(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("```") {
        let after = &rest[i + 3..];
        let body_start = after.find('\n').map(|n| n + 1).unwrap_or(0);
        let Some(end) = after[body_start..].find("```") else { break };
        out.push(after[body_start..body_start + end].to_string());
        rest = &after[body_start + end + 3..];
    }
    if !out.is_empty() {
        return out;
    }
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' || b[i] == b'[' {
            if let Some(end) = balanced_end(text, i) {
                out.push(text[i..end].to_string());
                i = end;
                continue;
            }
            // Unbalanced (truncated) JSON: keep the rest so the error can be reported.
            out.push(text[i..].to_string());
            break;
        }
        i += 1;
    }
    out
}

fn balanced_end(text: &str, start: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut in_str = false;
    let mut esc = false;
    for (k, ch) in text[start..].char_indices() {
        if in_str {
            match (esc, ch) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => in_str = true,
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(start + k + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Parses JSON, forgiving what small models often get wrong: code fences, text around the
/// object, trailing commas. Errors keep serde's line/column.
pub fn parse_json_lenient(s: &str) -> Result<Value, String> {
    let t = s.trim();
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        return Ok(v);
    }
    let inner = json_candidates(t).into_iter().next().unwrap_or_else(|| t.to_string());
    let fixed = remove_trailing_commas(inner.trim());
    serde_json::from_str::<Value>(&fixed).map_err(|e| format!("invalid JSON: {e}"))
}

fn remove_trailing_commas(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_str = false;
    let mut esc = false;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_str {
            out.push(c);
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_str = true;
        }
        if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some('}') | Some(']')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn native_tool_calls() {
        let r = crate::mock::tool_calls(&[("add_character", json!({"id": "a"}))]);
        let t = parse_response(&r).expect("ok");
        assert!(t.native);
        assert_eq!(t.tool_calls[0].name, "add_character");
        assert_eq!(t.tool_calls[0].arguments.as_ref().expect("json")["id"], "a");
    }

    #[test]
    fn tool_call_blocks_in_content() {
        let text = "Sure!\n<tool_call>\n{\"name\": \"add_character\", \"arguments\": {\"id\": \"a\",}}\n</tool_call>\n<tool_call>{\"name\": \"finish\", \"arguments\": {}}</tool_call>";
        let t = parse_response(&crate::mock::content(text)).expect("ok");
        assert!(!t.native);
        let names: Vec<&str> = t.tool_calls.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["add_character", "finish"]);
        assert_eq!(t.tool_calls[0].arguments.as_ref().expect("trailing comma forgiven")["id"], "a");
    }

    #[test]
    fn bare_and_fenced_json_calls() {
        let t = parse_response(&crate::mock::content("```json\n[{\"name\":\"finish\",\"parameters\":{\"summary\":\"ok\"}}]\n```")).expect("ok");
        assert_eq!(t.tool_calls.len(), 1);
        assert_eq!(t.tool_calls[0].arguments.as_ref().expect("json")["summary"], "ok");
        let t = parse_response(&crate::mock::content("I'll call {\"function\": {\"name\": \"finish\", \"arguments\": \"{}\"}} now")).expect("ok");
        assert_eq!(t.tool_calls[0].name, "finish");
    }

    #[test]
    fn reasoning_content_when_content_empty() {
        let t = parse_response(&crate::mock::reasoning("<tool_call>{\"name\":\"finish\",\"arguments\":{}}</tool_call>")).expect("ok");
        assert_eq!(t.tool_calls[0].name, "finish");
        let t = parse_response(&crate::mock::content("<think>hmm {\"name\":\"x\"}</think>Plain answer.")).expect("ok");
        assert_eq!(t.text, "Plain answer.");
        assert!(t.tool_calls.is_empty());
    }

    #[test]
    fn broken_json_is_reported_not_dropped() {
        let t = parse_response(&crate::mock::content("<tool_call>{\"name\": \"set_camera\", \"arguments\": {\"mode\": </tool_call>")).expect("ok");
        assert_eq!(t.tool_calls.len(), 1);
        assert_eq!(t.tool_calls[0].name, "set_camera");
        assert!(t.tool_calls[0].arguments.as_ref().expect_err("broken").contains("invalid JSON"));
        let r = parse_response(&crate::mock::tool_calls(&[]));
        assert!(r.expect("ok").tool_calls.is_empty());
        let bad = json!({"choices": [{"message": {"role": "assistant", "tool_calls": [{"id": "1", "function": {"name": "finish", "arguments": "{oops"}}]}}]});
        assert!(parse_response(&bad).expect("ok").tool_calls[0].arguments.is_err());
        assert!(parse_response(&json!({"error": "x"})).is_err());
    }
}
