//! Replay of a host-capabilities session recorded by kwctl
//! (`--record-host-capabilities-interactions`), the way kwctl's
//! `--replay-host-capabilities-interactions` answers from it: strictly in order, each call
//! taking the next exchange whether or not it matches, and a call matching only when its
//! request equals the recorded one exactly.
//!
//! The file is a YAML list of `type: Exchange` entries whose `request` is itself a YAML
//! document: policy-evaluator's `CallbackRequestType`, tagged with the variant name
//! (`!KubernetesGetResource`). The Kubernetes lookups are read here; other capabilities
//! (OCI, sigstore, DNS, crypto, `can_i`) are refused when the file is loaded.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A recorded request. Variant and field names, field order and types are those of
/// policy-evaluator's `CallbackRequestType`: the derived `Debug` output is what kwctl prints in
/// its "unexpected request" error, and the derived equality is its match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallbackRequest {
    KubernetesListResourceNamespace {
        api_version: String,
        kind: String,
        namespace: String,
        label_selector: Option<String>,
        field_selector: Option<String>,
        // Absent from sessions recorded before field masks existed.
        #[serde(default)]
        field_masks: Option<BTreeSet<String>>,
    },
    KubernetesListResourceAll {
        api_version: String,
        kind: String,
        label_selector: Option<String>,
        field_selector: Option<String>,
        #[serde(default)]
        field_masks: Option<BTreeSet<String>>,
    },
    KubernetesGetResource {
        api_version: String,
        kind: String,
        name: String,
        namespace: Option<String>,
        disable_cache: bool,
        #[serde(default)]
        field_masks: Option<BTreeSet<String>>,
    },
}

/// What the host answered, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum RecordedResponse {
    Success { payload: String },
    Error { message: String },
}

/// One entry of the file, as written (`request` still a YAML string).
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
struct RawExchange {
    request: String,
    response: RecordedResponse,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub request: CallbackRequest,
    pub response: RecordedResponse,
}

/// A loaded session: the exchanges, shared so that rewinding costs nothing.
#[derive(Debug, Clone)]
pub struct Session {
    exchanges: Arc<[Exchange]>,
}

impl Session {
    /// Reads a session file; every recorded request is parsed now, so that a file the runner
    /// cannot replay fails before the policy runs.
    pub fn load(path: &Path) -> Result<Session, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "Cannot open host capabilities interactions file {}: {e}",
                path.display()
            )
        })?;
        Session::parse(&text)
            .map_err(|e| format!("cannot deserialize contents of {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Session, String> {
        let raw: Vec<RawExchange> = serde_norway::from_str(text).map_err(|e| e.to_string())?;
        let exchanges = raw
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                let request = serde_norway::from_str(&raw.request)
                    .map_err(|e| format!("exchange {}: its request: {e}", i + 1))?;
                Ok(Exchange {
                    request,
                    response: raw.response,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Session {
            exchanges: exchanges.into(),
        })
    }

    pub fn len(&self) -> usize {
        self.exchanges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exchanges.is_empty()
    }

    /// A replayer positioned at the first exchange.
    pub fn replayer(&self) -> Replayer {
        Replayer {
            session: self.clone(),
            next: 0,
        }
    }
}

/// The position in a session.
#[derive(Debug, Clone)]
pub struct Replayer {
    session: Session,
    next: usize,
}

impl Replayer {
    /// The recorded answer to `request`: its payload, or the error text policy-evaluator hands
    /// on (before it prefixes `Callback evaluation failure: `).
    pub fn answer(&mut self, request: &CallbackRequest) -> Result<Vec<u8>, String> {
        let Some(exchange) = self.session.exchanges.get(self.next) else {
            return Err("the list of recorded responses is empty".into());
        };
        // Consumed even when it does not match, as kwctl pops it first.
        self.next += 1;
        if exchange.request != *request {
            return Err(format!(
                "Replay error: unexpected request. Was expecting {:?}, got {:?} instead",
                exchange.request, request
            ));
        }
        match &exchange.response {
            RecordedResponse::Success { payload } => Ok(payload.clone().into_bytes()),
            RecordedResponse::Error { message } => Err(message.clone()),
        }
    }

    /// Back to the first exchange (the bench replays the session on every call).
    pub fn rewind(&mut self) {
        self.next = 0;
    }

    /// Exchanges not replayed yet.
    pub fn remaining(&self) -> usize {
        self.session.len() - self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The session kwctl 1.35.0 recorded.
    pub(crate) const SAMPLE: &str = include_str!("../testdata/kwctl-session-sample.yml");

    fn get(name: &str, namespace: Option<&str>) -> CallbackRequest {
        CallbackRequest::KubernetesGetResource {
            api_version: "v1".into(),
            kind: "Secret".into(),
            name: name.into(),
            namespace: namespace.map(str::to_owned),
            disable_cache: false,
            field_masks: None,
        }
    }

    #[test]
    fn reads_the_kwctl_sample() {
        let session = Session::parse(SAMPLE).unwrap();
        assert_eq!(session.len(), 2);
        assert_eq!(session.exchanges[0].request, get("regcred", Some("team-a")));
        assert!(matches!(
            &session.exchanges[0].response,
            RecordedResponse::Success { payload } if payload.starts_with(r#"{"apiVersion":"v1","kind":"Secret""#)
        ));
        assert_eq!(
            session.exchanges[1].response,
            RecordedResponse::Error {
                message: r#"Cannot find v1/Secret named 'missing-cred' inside of namespace 'Some("team-a")'"#
                    .into()
            }
        );
    }

    #[test]
    fn replays_in_order_then_runs_dry() {
        let mut replayer = Session::parse(SAMPLE).unwrap().replayer();
        let secret = replayer.answer(&get("regcred", Some("team-a"))).unwrap();
        assert!(
            String::from_utf8(secret)
                .unwrap()
                .contains(r#""name":"regcred""#)
        );
        assert_eq!(
            replayer.answer(&get("missing-cred", Some("team-a"))),
            Err(r#"Cannot find v1/Secret named 'missing-cred' inside of namespace 'Some("team-a")'"#.into())
        );
        assert_eq!(replayer.remaining(), 0);
        assert_eq!(
            replayer.answer(&get("regcred", Some("team-a"))),
            Err("the list of recorded responses is empty".into())
        );
        replayer.rewind();
        assert_eq!(replayer.remaining(), 2);
        assert!(replayer.answer(&get("regcred", Some("team-a"))).is_ok());
    }

    #[test]
    fn out_of_order_call_fails_and_consumes_the_exchange() {
        let mut replayer = Session::parse(SAMPLE).unwrap().replayer();
        let e = replayer
            .answer(&get("missing-cred", Some("team-a")))
            .unwrap_err();
        assert_eq!(
            e,
            "Replay error: unexpected request. Was expecting KubernetesGetResource { \
             api_version: \"v1\", kind: \"Secret\", name: \"regcred\", namespace: \
             Some(\"team-a\"), disable_cache: false, field_masks: None }, got \
             KubernetesGetResource { api_version: \"v1\", kind: \"Secret\", name: \
             \"missing-cred\", namespace: Some(\"team-a\"), disable_cache: false, \
             field_masks: None } instead"
        );
        // The next call meets the second exchange, as in kwctl.
        assert!(
            replayer
                .answer(&get("missing-cred", Some("team-a")))
                .unwrap_err()
                .starts_with("Cannot find")
        );
    }

    #[test]
    fn exact_match_only() {
        let mut other_namespace = Session::parse(SAMPLE).unwrap().replayer();
        assert!(
            other_namespace
                .answer(&get("regcred", Some("team-b")))
                .unwrap_err()
                .starts_with("Replay error: unexpected request.")
        );
        let mut cache_off = Session::parse(SAMPLE).unwrap().replayer();
        let uncached = CallbackRequest::KubernetesGetResource {
            api_version: "v1".into(),
            kind: "Secret".into(),
            name: "regcred".into(),
            namespace: Some("team-a".into()),
            disable_cache: true,
            field_masks: None,
        };
        assert!(cache_off.answer(&uncached).is_err());
    }

    #[test]
    fn older_sessions_without_field_masks_and_other_lookups() {
        let text = r#"
- type: Exchange
  request: |
    !KubernetesGetResource
    api_version: v1
    kind: Namespace
    name: test-policy
    namespace: null
    disable_cache: false
  response:
    type: Error
    message: Cannot find v1/Namespace named 'test-policy' inside of namespace 'None'
- type: Exchange
  request: |
    !KubernetesListResourceAll
    api_version: networking.k8s.io/v1
    kind: Ingress
    label_selector: null
    field_selector: null
  response:
    type: Success
    payload: '{"items":[]}'
- type: Exchange
  request: |
    !KubernetesListResourceNamespace
    api_version: v1
    kind: Secret
    namespace: team-a
    label_selector: app=web
    field_selector: null
    field_masks:
    - metadata.name
  response:
    type: Success
    payload: '{"items":[]}'
"#;
        let session = Session::parse(text).unwrap();
        assert_eq!(session.len(), 3);
        assert!(matches!(
            &session.exchanges[0].request,
            CallbackRequest::KubernetesGetResource {
                namespace: None,
                field_masks: None,
                ..
            }
        ));
        assert!(matches!(
            &session.exchanges[2].request,
            CallbackRequest::KubernetesListResourceNamespace { field_masks: Some(m), .. }
                if m.contains("metadata.name")
        ));
    }

    #[test]
    fn unreplayable_files_are_refused_on_load() {
        let oci = "- type: Exchange\n  request: |\n    !OciManifestDigest\n    image: busybox\n  \
                   response:\n    type: Success\n    payload: '{}'\n";
        let e = Session::parse(oci).unwrap_err();
        assert!(
            e.starts_with("exchange 1: its request: unknown variant"),
            "{e}"
        );
        assert!(Session::parse("- type: Other\n  request: x\n").is_err());
        assert!(Session::parse("not: a list").is_err());
        assert!(Session::parse("[]").unwrap().is_empty());
        let missing = Session::load(Path::new("/nonexistent/session.yml")).unwrap_err();
        assert!(missing.starts_with("Cannot open host capabilities interactions file"));
    }
}
