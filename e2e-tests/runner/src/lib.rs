//! A native host for Kubewarden policy modules that behaves like `kwctl run`: wasmtime through
//! the waPC host (`wapc` + `wasmtime-provider`), WASI preview 1 with no arguments, environment
//! or directories, and a host callback that only serves `kubewarden`/`tracing`/`log`.
//!
//! The library holds everything but the command line: loading a module, the two guest calls,
//! and turning the guest's `ValidationResponse` into the AdmissionResponse line kwctl prints.

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use wapc::WapcHost;
use wasmtime_provider::WasmtimeEngineProviderBuilder;

/// A policy module, loaded and initialised (`wapc_init` has run), ready for guest calls.
pub struct Policy {
    host: WapcHost,
    path: PathBuf,
    size: u64,
}

/// What `validate_settings` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsVerdict {
    Valid,
    /// The settings are not valid; the text is what kwctl prints after
    /// `Provided settings are not valid: `.
    Invalid(String),
}

/// The guest's reply to `validate_settings`.
#[derive(Debug, Deserialize)]
struct SettingsValidationResponse {
    valid: bool,
    #[serde(default)]
    message: Option<String>,
}

/// The guest's reply to `validate` (Kubewarden's `ValidationResponse`, snake_case on the wire).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ValidationResponse {
    pub accepted: bool,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<u16>,
    #[serde(default)]
    pub mutated_object: Option<Value>,
    #[serde(default)]
    pub audit_annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

/// `status` of an AdmissionResponse. Fields in kwctl's order; absent ones are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdmissionStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
}

/// The AdmissionResponse that kwctl prints, with its key order:
/// `uid`, `allowed`, `status` (only when there is one), `auditAnnotations`, `warnings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AdmissionStatus>,
    pub audit_annotations: Option<BTreeMap<String, String>>,
    pub warnings: Option<Vec<String>>,
}

impl AdmissionResponse {
    /// kwctl's mapping: `allowed = accepted`; `status` only when the policy gave a message or
    /// a code.
    pub fn from_validation(uid: &str, response: ValidationResponse) -> Self {
        let status = if response.message.is_some() || response.code.is_some() {
            Some(AdmissionStatus {
                message: response.message,
                code: response.code,
            })
        } else {
            None
        };
        AdmissionResponse {
            uid: uid.to_owned(),
            allowed: response.accepted,
            status,
            audit_annotations: response.audit_annotations,
            warnings: response.warnings,
        }
    }

    /// What kwctl answers when the guest call itself fails (or its reply is unusable):
    /// a rejection with code 500 and `internal server error: <detail>`.
    pub fn internal_server_error(uid: &str, detail: &str) -> Self {
        AdmissionResponse {
            uid: uid.to_owned(),
            allowed: false,
            status: Some(AdmissionStatus {
                message: Some(format!("internal server error: {detail}")),
                code: Some(500),
            }),
            audit_annotations: None,
            warnings: None,
        }
    }

    /// One compact JSON line, as kwctl prints it (no trailing newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).expect("an AdmissionResponse always serialises")
    }
}

/// The host callback: logging is served (printed to stderr, like kwctl's own logs), every other
/// capability is refused.
fn host_callback(
    _id: u64,
    binding: &str,
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> Result<Vec<u8>, Box<dyn StdError + Send + Sync>> {
    if binding == "kubewarden" && namespace == "tracing" && operation == "log" {
        let mut stderr = std::io::stderr().lock();
        // A failing stderr must not turn into a policy failure.
        let _ = stderr.write_all(payload);
        let _ = stderr.write_all(b"\n");
        return Ok(Vec::new());
    }
    Err(capability_unavailable(binding, namespace, operation).into())
}

/// The error text a refused host call carries back to the guest.
pub fn capability_unavailable(binding: &str, namespace: &str, operation: &str) -> String {
    format!(
        "host capability {binding}/{namespace}/{operation} is not available in this runner \
         (only kubewarden/tracing/log is served; context-aware calls are not replayed)"
    )
}

impl Policy {
    /// Reads and compiles the module, then instantiates it (this runs `wapc_init`).
    pub fn load(path: &Path) -> Result<Policy, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut builder = WasmtimeEngineProviderBuilder::new();
        if std::env::var_os("POLICY_RUNNER_PERFMAP").is_some() {
            // `perf record` then names the guest's functions (from /tmp/perf-<pid>.map).
            let mut config = wasmtime::Config::default();
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
            let perf_engine = wasmtime::Engine::new(&config)
                .map_err(|e| format!("cannot set up the perf map engine: {e}"))?;
            builder = builder.engine(perf_engine);
        }
        let engine = builder
            .module_bytes(&bytes)
            // No argv, no environment, no preopened directories: what kwctl gives a policy.
            .wasi_params(wapc::WasiParams::default())
            .build()
            .map_err(|e| {
                format!(
                    "cannot load {} as a WebAssembly module: {e}",
                    path.display()
                )
            })?;
        let host = WapcHost::new(Box::new(engine), Some(Box::new(host_callback)))
            .map_err(|e| format!("cannot initialise {} as a waPC guest: {e}", path.display()))?;
        Ok(Policy {
            host,
            path: path.to_path_buf(),
            size: bytes.len() as u64,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Size of the module file, in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// One raw waPC guest call. The error is wapc's, as kwctl would see it.
    pub fn call(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, wapc::errors::Error> {
        self.host.call(operation, payload)
    }

    /// Calls the guest's `validate_settings` with the settings object, and reports the verdict
    /// with kwctl's wording.
    pub fn validate_settings(&self, settings: &Value) -> SettingsVerdict {
        let payload = serde_json::to_vec(settings).expect("a JSON value always serialises");
        match self.call("validate_settings", &payload) {
            Ok(reply) => settings_verdict_from_reply(&reply),
            Err(e) => SettingsVerdict::Invalid(format!(
                "Error invoking settings validation callback: {e:?}"
            )),
        }
    }

    /// Calls the guest's `validate` with `{"request": .., "settings": ..}`. The error is the
    /// detail kwctl puts after `internal server error: `.
    pub fn validate(
        &self,
        request: &Value,
        settings: &Value,
    ) -> Result<ValidationResponse, String> {
        self.validate_payload(&validate_payload(request, settings))
    }

    /// `validate` with a payload built beforehand (see [`validate_payload`]).
    pub fn validate_payload(&self, payload: &[u8]) -> Result<ValidationResponse, String> {
        let reply = self.call("validate", payload).map_err(|e| e.to_string())?;
        parse_validation_reply(&reply)
    }
}

/// The payload of a `validate` call.
pub fn validate_payload(request: &Value, settings: &Value) -> Vec<u8> {
    #[derive(Serialize)]
    struct Payload<'a> {
        request: &'a Value,
        settings: &'a Value,
    }
    serde_json::to_vec(&Payload { request, settings }).expect("a JSON value always serialises")
}

/// Reads the guest's `validate` reply.
pub fn parse_validation_reply(reply: &[u8]) -> Result<ValidationResponse, String> {
    serde_json::from_slice(reply)
        .map_err(|e| format!("cannot deserialize policy validation response: {e:?}"))
}

/// Reads the guest's `validate_settings` reply.
pub fn settings_verdict_from_reply(reply: &[u8]) -> SettingsVerdict {
    match serde_json::from_slice::<SettingsValidationResponse>(reply) {
        Ok(r) if r.valid => SettingsVerdict::Valid,
        Ok(r) => SettingsVerdict::Invalid(r.message.unwrap_or_default()),
        Err(e) => SettingsVerdict::Invalid(format!(
            "Error deserializing settings validation response: {e:?}"
        )),
    }
}

/// The full outcome of one `kwctl run`-style evaluation, given loaded, valid settings.
pub fn evaluate(policy: &Policy, request: &Value, settings: &Value) -> AdmissionResponse {
    let uid = request_uid(request);
    match policy.validate(request, settings) {
        Ok(response) => {
            if response.mutated_object.is_some() {
                eprintln!(
                    "policy-runner: warning: the policy returned a mutated_object; this runner \
                     does not compute the JSON patch kwctl would add (patchType/patch)"
                );
            }
            AdmissionResponse::from_validation(&uid, response)
        }
        Err(detail) => AdmissionResponse::internal_server_error(&uid, &detail),
    }
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

/// Parses a request document (JSON, or YAML as kwctl also accepts).
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

/// A policy location as kwctl takes it: a path, or `file://PATH`.
pub fn policy_path(uri: &str) -> Result<PathBuf, String> {
    if let Some(path) = uri.strip_prefix("file://") {
        return Ok(PathBuf::from(path));
    }
    if let Some((scheme, _)) = uri.split_once("://") {
        return Err(format!(
            "policy {uri:?}: scheme {scheme}:// is not supported by this runner (only a local \
             path or file://)"
        ));
    }
    Ok(PathBuf::from(uri))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(v: Value) -> ValidationResponse {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn accepted_has_no_status() {
        let r = AdmissionResponse::from_validation("u1", response(json!({"accepted": true})));
        assert_eq!(
            r.to_json_line(),
            r#"{"uid":"u1","allowed":true,"auditAnnotations":null,"warnings":null}"#
        );
    }

    #[test]
    fn rejected_with_message_only() {
        let r = AdmissionResponse::from_validation(
            "u1",
            response(json!({"accepted": false, "message": "say \"no\" <b>"})),
        );
        assert_eq!(
            r.to_json_line(),
            r#"{"uid":"u1","allowed":false,"status":{"message":"say \"no\" <b>"},"auditAnnotations":null,"warnings":null}"#
        );
    }

    #[test]
    fn rejected_with_code_and_warnings() {
        let r = AdmissionResponse::from_validation(
            "u1",
            response(json!({
                "accepted": false, "message": "m", "code": 403,
                "mutated_object": null, "audit_annotations": null, "warnings": ["w1", "w2"]
            })),
        );
        assert_eq!(
            r.to_json_line(),
            r#"{"uid":"u1","allowed":false,"status":{"message":"m","code":403},"auditAnnotations":null,"warnings":["w1","w2"]}"#
        );
    }

    #[test]
    fn code_without_message() {
        let r = AdmissionResponse::from_validation(
            "u",
            response(json!({"accepted": false, "code": 418})),
        );
        assert_eq!(
            r.to_json_line(),
            r#"{"uid":"u","allowed":false,"status":{"code":418},"auditAnnotations":null,"warnings":null}"#
        );
    }

    #[test]
    fn accepted_with_warnings_and_annotations() {
        let r = AdmissionResponse::from_validation(
            "u",
            response(json!({
                "accepted": true, "warnings": ["w"],
                "audit_annotations": {"b": "2", "a": "1"}
            })),
        );
        assert_eq!(
            r.to_json_line(),
            r#"{"uid":"u","allowed":true,"auditAnnotations":{"a":"1","b":"2"},"warnings":["w"]}"#
        );
    }

    #[test]
    fn internal_server_error_line() {
        let detail = wapc::errors::Error::GuestCallFailure("boom".into()).to_string();
        let r = AdmissionResponse::internal_server_error("u1", &detail);
        assert_eq!(
            r.to_json_line(),
            r#"{"uid":"u1","allowed":false,"status":{"message":"internal server error: Guest call failure: boom","code":500},"auditAnnotations":null,"warnings":null}"#
        );
    }

    #[test]
    fn settings_guest_error_wording() {
        let e = wapc::errors::Error::GuestCallFailure("bad \"x\"".into());
        assert_eq!(
            format!("Error invoking settings validation callback: {e:?}"),
            r#"Error invoking settings validation callback: GuestCallFailure("bad \"x\"")"#
        );
    }

    #[test]
    fn settings_replies() {
        assert_eq!(
            settings_verdict_from_reply(br#"{"valid":true}"#),
            SettingsVerdict::Valid
        );
        assert_eq!(
            settings_verdict_from_reply(br#"{"valid":false,"message":"nope"}"#),
            SettingsVerdict::Invalid("nope".into())
        );
        assert!(matches!(
            settings_verdict_from_reply(b"garbage"),
            SettingsVerdict::Invalid(m) if m.starts_with("Error deserializing")
        ));
    }

    #[test]
    fn unusable_validate_reply_is_an_error() {
        assert!(parse_validation_reply(br#"{"message":"no accepted field"}"#).is_err());
        assert!(parse_validation_reply(br#"{"accepted":true}"#).is_ok());
    }

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
    fn policy_locations() {
        assert_eq!(policy_path("a/b.wasm").unwrap(), PathBuf::from("a/b.wasm"));
        assert_eq!(
            policy_path("file:///tmp/p.wasm").unwrap(),
            PathBuf::from("/tmp/p.wasm")
        );
        assert!(policy_path("registry://ghcr.io/x:v1").is_err());
    }

    #[test]
    fn payload_shape() {
        let p = validate_payload(&json!({"uid": "u"}), &json!({"k": true}));
        assert_eq!(
            p,
            br#"{"request":{"uid":"u"},"settings":{"k":true}}"#.to_vec()
        );
    }
}
