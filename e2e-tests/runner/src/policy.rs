//! A policy module loaded the way kwctl loads a waPC policy (see [`crate::engine`]): wasmtime's
//! default configuration, WASI preview 1 with no arguments, environment or directories, and
//! `wapc_init` run once; then the two guest calls, with policy-evaluator's wording for their
//! failures.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;
use serde::Serialize;
use serde_json::Value;

use crate::engine::{EngineOptions, Guest, GuestCallFailure, LoadError, Prepared, Uninitialised};
use crate::host::{ContextAccess, Host};
use crate::replay::Replayer;

/// How to set up a module's host side.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub access: ContextAccess,
    pub session: Option<Replayer>,
    pub engine: EngineOptions,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            access: ContextAccess::none(),
            session: None,
            engine: EngineOptions::default(),
        }
    }
}

impl LoadOptions {
    /// The switches the environment can turn on: `POLICY_RUNNER_PERFMAP` (set),
    /// `POLICY_RUNNER_MEMORY=1` and `POLICY_RUNNER_EPOCH_INTERRUPTION=1`.
    pub fn from_env() -> Self {
        LoadOptions {
            engine: EngineOptions {
                measure_memory: std::env::var("POLICY_RUNNER_MEMORY").is_ok_and(|v| v == "1"),
                perf_map: std::env::var_os("POLICY_RUNNER_PERFMAP").is_some(),
                epoch_interruption: std::env::var("POLICY_RUNNER_EPOCH_INTERRUPTION")
                    .is_ok_and(|v| v == "1"),
            },
            ..LoadOptions::default()
        }
    }
}

/// A policy module, loaded and initialised (`wapc_init` has run), ready for guest calls; and
/// the compiled module it came from, for fresh instances.
pub struct Policy {
    prepared: Prepared,
    guest: Guest,
    host: Arc<Host>,
    path: PathBuf,
    size: u64,
}

/// What `validate_settings` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsVerdict {
    Valid,
    /// The settings are not valid; the text is the message kwctl reports.
    Invalid(String),
}

impl Policy {
    /// Reads and compiles the module, then instantiates it (this runs `wapc_init`).
    pub fn load(path: &Path, options: LoadOptions) -> Result<Policy, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Policy::from_bytes(&bytes, path, options)
    }

    /// Loads a module already in memory; `path` only names it.
    pub fn from_bytes(bytes: &[u8], path: &Path, options: LoadOptions) -> Result<Policy, String> {
        let host = Arc::new(Host::new(options.access, options.session));
        let callback_host = host.clone();
        let load_error = |e| match e {
            LoadError::Engine(e) => format!("cannot set up the wasmtime engine: {e}"),
            LoadError::Module(e) => format!(
                "cannot load {} as a WebAssembly module: {e}",
                path.display()
            ),
            LoadError::Init(e) => {
                format!("cannot initialise {} as a waPC guest: {e}", path.display())
            }
        };
        let prepared = Prepared::compile(
            bytes,
            options.engine,
            Box::new(move |binding, namespace, operation, payload| {
                callback_host.call(binding, namespace, operation, payload)
            }),
        )
        .map_err(load_error)?;
        let guest = prepared.instantiate().map_err(load_error)?;
        Ok(Policy {
            prepared,
            guest,
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

    /// The most guest linear memory in use so far, when measured.
    pub fn peak_memory(&self) -> Option<usize> {
        self.guest.peak_memory()
    }

    /// The host side: session switching and rewinding.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// A new instance of the module, not initialised yet, as the policy server makes one for
    /// every request (its host side is this policy's: the same session, the same grants).
    pub fn fresh_instance(&self) -> Result<Uninitialised, String> {
        self.prepared
            .new_instance()
            .map_err(|e| format!("cannot instantiate {} afresh: {e:?}", self.path.display()))
    }

    /// One raw waPC guest call. The error is worded as wapc's, as kwctl would see it.
    pub fn call(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, GuestCallFailure> {
        self.guest.call(operation, payload)
    }

    /// Calls the guest's `validate_settings` with the settings object; the verdict carries
    /// policy-evaluator's wording when the call or its reply fails.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::ResourceType;
    use crate::replay::Session;
    use crate::test_guest::{SETTINGS_ERROR, echo_guest_wasm};
    use serde_json::json;

    const SAMPLE: &str = include_str!("../testdata/kwctl-session-sample.yml");

    fn echo_guest(options: LoadOptions) -> Policy {
        Policy::from_bytes(&echo_guest_wasm(), Path::new("echo.wat"), options).unwrap()
    }

    fn lookup(name: &str) -> Vec<u8> {
        format!(
            r#"{{"api_version":"v1","kind":"Secret","name":"{name}","namespace":"team-a","disable_cache":false,"field_masks":null}}"#
        )
        .into_bytes()
    }

    fn guest_error(result: Result<Vec<u8>, GuestCallFailure>) -> String {
        match result {
            Err(GuestCallFailure(text)) => text,
            other => panic!("expected a guest error, got {other:?}"),
        }
    }

    #[test]
    fn settings_guest_error_wording() {
        let policy = echo_guest(LoadOptions::default());
        let verdict = policy.validate_settings(&json!({}));
        assert_eq!(
            verdict,
            SettingsVerdict::Invalid(format!(
                "Error invoking settings validation callback: GuestCallFailure({SETTINGS_ERROR:?})"
            ))
        );
        assert_eq!(
            verdict,
            SettingsVerdict::Invalid(
                r#"Error invoking settings validation callback: GuestCallFailure("settings are bad: \"x\"")"#
                    .into()
            )
        );
    }

    #[test]
    fn lookups_through_a_real_guest_follow_the_session() {
        let policy = echo_guest(LoadOptions {
            access: ContextAccess::Granted([ResourceType::new("v1", "Secret")].into()),
            session: Some(Session::parse(SAMPLE).unwrap().replayer()),
            ..LoadOptions::default()
        });
        let secret = policy.call("validate", &lookup("regcred")).unwrap();
        let secret: Value = serde_json::from_slice(&secret).unwrap();
        assert_eq!(secret["metadata"]["name"], "regcred");
        assert_eq!(
            guest_error(policy.call("get_resource", &lookup("missing-cred"))),
            r#"Callback evaluation failure: Cannot find v1/Secret named 'missing-cred' inside of namespace 'Some("team-a")'"#
        );
        assert_eq!(
            guest_error(policy.call("get_resource", &lookup("regcred"))),
            "Callback evaluation failure: the list of recorded responses is empty"
        );
        assert_eq!(policy.host().unreplayed(), 0);
        policy.host().rewind();
        assert!(
            guest_error(policy.call("get_resource", &lookup("missing-cred")))
                .starts_with("Callback evaluation failure: Replay error: unexpected request.")
        );
    }

    #[test]
    fn without_a_grant_the_guest_is_refused() {
        let policy = echo_guest(LoadOptions {
            session: Some(Session::parse(SAMPLE).unwrap().replayer()),
            ..LoadOptions::default()
        });
        assert_eq!(
            guest_error(policy.call("get_resource", &lookup("regcred"))),
            "Policy has not been granted access to Kubernetes v1/Secret resources. The violation has been reported."
        );
    }

    #[test]
    fn guest_memory_is_measured() {
        let policy = echo_guest(LoadOptions {
            engine: EngineOptions {
                measure_memory: true,
                ..EngineOptions::default()
            },
            ..LoadOptions::default()
        });
        let page = 64 * 1024;
        assert_eq!(policy.peak_memory(), Some(page));
        policy.call("grow", b"").unwrap();
        assert_eq!(policy.peak_memory(), Some(4 * page));
        assert_eq!(echo_guest(LoadOptions::default()).peak_memory(), None);
    }

    #[test]
    fn garbage_is_not_a_module() {
        let e = Policy::from_bytes(
            b"\0asm garbage",
            Path::new("bad.wasm"),
            LoadOptions::default(),
        )
        .err()
        .unwrap();
        assert!(
            e.starts_with("cannot load bad.wasm as a WebAssembly module"),
            "{e}"
        );
        assert!(Policy::load(Path::new("/nonexistent.wasm"), LoadOptions::default()).is_err());
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
    fn payload_shape() {
        let p = validate_payload(&json!({"uid": "u"}), &json!({"k": true}));
        assert_eq!(
            p,
            br#"{"request":{"uid":"u"},"settings":{"k":true}}"#.to_vec()
        );
    }
}
