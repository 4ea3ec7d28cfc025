//! Reading what `kwctl run` reads: the admission request, the settings, the policy location.
//! Errors are the `Error: ...` text kwctl prints (exit status 1).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::policy::{Policy, SettingsVerdict};

/// Where the settings come from (none means `{}`, as with kwctl).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsSource {
    None,
    Json(String),
    File(PathBuf),
}

/// Reads the settings (none means `{}`).
pub fn load_settings(source: &SettingsSource) -> Result<Value, String> {
    match source {
        SettingsSource::None => Ok(Value::Object(Default::default())),
        SettingsSource::Json(text) => {
            parse_settings_text(text).map_err(|e| format!("invalid --settings-json: {e}"))
        }
        SettingsSource::File(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read settings file {}: {e}", path.display()))?;
            parse_settings_text(&text)
                .map_err(|e| format!("invalid settings file {}: {e}", path.display()))
        }
    }
}

/// Reads a request file (AdmissionRequest or AdmissionReview); `-` is standard input, as with
/// kwctl. The wording of a read failure is kwctl's.
pub fn load_request(path: &Path) -> Result<Value, String> {
    let text = if path == Path::new("-") {
        let mut buffer = String::new();
        std::io::stdin()
            .read_to_string(&mut buffer)
            .map_err(|e| format!("Error reading request from stdin: {e}"))?;
        buffer
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| format!("Error opening request file {}; {e}", path.display()))?
    };
    parse_request_text(&text).map_err(|e| format!("invalid request file {}: {e}", path.display()))
}

/// Validates the settings; a refusal carries kwctl's wording, which prints the policy's
/// message with Rust's `{:?}` (quoted, with `"` and `\` escaped).
pub fn check_settings(policy: &Policy, settings: &Value) -> Result<(), String> {
    match policy.validate_settings(settings) {
        SettingsVerdict::Valid => Ok(()),
        SettingsVerdict::Invalid(message) => Err(settings_refusal(&message)),
    }
}

/// `Provided settings are not valid: <message>`, as kwctl 1.35 prints it (observed: the
/// message as the policy wrote it, unquoted; older kwctl sources quote it with `{:?}`).
pub fn settings_refusal(message: &str) -> String {
    format!("Provided settings are not valid: {message}")
}

/// The request's `uid`, or an empty string when it has none.
pub fn request_uid(request: &Value) -> String {
    request
        .get("uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A request file holds either a bare AdmissionRequest or a whole AdmissionReview; this returns
/// the AdmissionRequest.
pub fn admission_request(document: Value) -> Value {
    let is_review = document.get("kind").and_then(Value::as_str) == Some("AdmissionReview")
        || document.get("request").is_some_and(Value::is_object);
    match document {
        Value::Object(mut map) if is_review => map.remove("request").unwrap_or(Value::Null),
        other => other,
    }
}

/// Parses a request document (JSON, or YAML as a convenience kwctl does not offer).
pub fn parse_request_text(text: &str) -> Result<Value, String> {
    let document = parse_json_or_yaml(text)?;
    let request = admission_request(document);
    if !request.is_object() {
        return Err("the request must be an AdmissionRequest or an AdmissionReview object".into());
    }
    Ok(request)
}

/// Parses settings given as JSON or YAML. Empty input or `null` means no settings, `{}`.
pub fn parse_settings_text(text: &str) -> Result<Value, String> {
    let value = if text.trim().is_empty() {
        Value::Null
    } else {
        parse_json_or_yaml(text)?
    };
    match value {
        Value::Null => Ok(Value::Object(Default::default())),
        Value::Object(_) => Ok(value),
        _ => Err("the settings must be a JSON/YAML object".into()),
    }
}

fn parse_json_or_yaml(text: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Ok(v),
        Err(json_err) => serde_norway::from_str::<Value>(text)
            .map_err(|yaml_err| format!("neither JSON ({json_err}) nor YAML ({yaml_err})")),
    }
}

/// A policy location as this runner takes it: a path, or `file://PATH`. kwctl also pulls
/// `registry://` and `https://` policies; the runner has no network, so it says so.
pub fn policy_path(uri: &str) -> Result<PathBuf, String> {
    if let Some(path) = uri.strip_prefix("file://") {
        return Ok(PathBuf::from(path));
    }
    if let Some((scheme, _)) = uri.split_once("://") {
        return Err(format!(
            "scheme {scheme}:// is not supported by this runner (only a local path or \
             file://PATH; pull the policy with kwctl and pass the .wasm file)"
        ));
    }
    Ok(PathBuf::from(uri))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn review_or_bare_request() {
        let bare = json!({"uid": "a", "operation": "CREATE"});
        assert_eq!(admission_request(bare.clone()), bare);
        let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                            "request": {"uid": "b"}});
        assert_eq!(admission_request(review), json!({"uid": "b"}));
        let review_without_kind = json!({"request": {"uid": "c"}});
        assert_eq!(admission_request(review_without_kind), json!({"uid": "c"}));
        assert_eq!(request_uid(&json!({"uid": "c"})), "c");
        assert_eq!(request_uid(&json!({})), "");
    }

    #[test]
    fn settings_parsing() {
        assert_eq!(parse_settings_text("").unwrap(), json!({}));
        assert_eq!(parse_settings_text("null").unwrap(), json!({}));
        assert_eq!(parse_settings_text(r#"{"a":1}"#).unwrap(), json!({"a": 1}));
        assert_eq!(
            parse_settings_text("a: 1\nb:\n  - x\n").unwrap(),
            json!({"a": 1, "b": ["x"]})
        );
        assert!(parse_settings_text("[1]").is_err());
        assert!(parse_settings_text("{not: [valid").is_err());
    }

    #[test]
    fn request_parsing() {
        assert_eq!(
            parse_request_text(r#"{"uid":"x"}"#).unwrap(),
            json!({"uid": "x"})
        );
        assert!(parse_request_text("[]").is_err());
    }

    #[test]
    fn unreadable_request_has_kwctl_wording() {
        let e = load_request(Path::new("/nonexistent/req.json")).unwrap_err();
        assert!(
            e.starts_with("Error opening request file /nonexistent/req.json; "),
            "{e}"
        );
    }

    #[test]
    fn settings_refusal_is_worded_like_kwctl() {
        assert_eq!(
            settings_refusal(r#"validateSecrets: invalid type: string "no""#),
            r#"Provided settings are not valid: validateSecrets: invalid type: string "no""#
        );
    }

    #[test]
    fn policy_locations() {
        assert_eq!(policy_path("a/b.wasm").unwrap(), PathBuf::from("a/b.wasm"));
        assert_eq!(
            policy_path("file:///tmp/p.wasm").unwrap(),
            PathBuf::from("/tmp/p.wasm")
        );
        assert!(policy_path("registry://ghcr.io/x:v1").is_err());
        assert!(policy_path("https://example.com/p.wasm").is_err());
    }
}
