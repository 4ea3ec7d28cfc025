//! The AdmissionResponse line `kwctl run` prints, built from the guest's `ValidationResponse`
//! as policy-evaluator builds it: `allowed = accepted`, a `status` only for a message or a
//! code, and for a mutation the RFC 6902 patch from the request's object to the mutated one.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kubewarden_policy_sdk::response::ValidationResponse;
use serde::Serialize;
use serde_json::Value;

use crate::input::request_uid;
use crate::policy::Policy;

/// `status` of an AdmissionResponse. Fields in kwctl's order; absent ones are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdmissionStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
}

/// The AdmissionResponse that kwctl prints, with its key order: `uid`, `allowed`, `patchType`
/// and `patch` (only for a mutation), `status` (only when there is one), `auditAnnotations`,
/// `warnings`. The annotations are sorted here; kwctl's come in hash order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AdmissionStatus>,
    pub audit_annotations: Option<BTreeMap<String, String>>,
    pub warnings: Option<Vec<String>>,
}

/// policy-evaluator's answer to a mutation of a request without an object (a DELETE).
pub const MUTATION_WITHOUT_OBJECT: &str = "Incoming object is null, which happens only with \
     DELETE operations, but the policy is attempting a mutation. This is not allowed";

impl AdmissionResponse {
    /// kwctl's mapping of the guest's reply. `object` is the request's `object` (`None` when
    /// absent or null).
    pub fn from_validation(
        uid: &str,
        object: Option<&Value>,
        response: ValidationResponse,
    ) -> Self {
        let patch = match (&response.mutated_object, object) {
            (None, _) => None,
            (Some(_), None) => {
                return AdmissionResponse {
                    uid: uid.to_owned(),
                    allowed: false,
                    patch_type: None,
                    patch: None,
                    status: Some(AdmissionStatus {
                        message: Some(MUTATION_WITHOUT_OBJECT.to_owned()),
                        code: None,
                    }),
                    audit_annotations: None,
                    warnings: None,
                };
            }
            (Some(mutated), Some(object)) => json_patch_base64(object, mutated),
        };
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
            patch_type: patch.as_ref().map(|_| "JSONPatch".to_owned()),
            patch,
            status,
            audit_annotations: response.audit_annotations.map(|a| a.into_iter().collect()),
            warnings: response.warnings,
        }
    }

    /// What kwctl answers when the guest call itself fails (or its reply is unusable):
    /// a rejection with code 500 and `internal server error: <detail>`.
    pub fn internal_server_error(uid: &str, detail: &str) -> Self {
        AdmissionResponse {
            uid: uid.to_owned(),
            allowed: false,
            patch_type: None,
            patch: None,
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

/// The `patch` kwctl sends: `json_patch::diff` serialised compactly, base64 with padding; no
/// patch at all when the mutated object equals the original.
pub fn json_patch_base64(object: &Value, mutated: &Value) -> Option<String> {
    let patch = json_patch::diff(object, mutated);
    if patch.0.is_empty() {
        return None;
    }
    let text = serde_json::to_string(&patch).expect("a JSON patch always serialises");
    Some(STANDARD.encode(text))
}

/// The request's `object`, as policy-evaluator reads it (null is no object).
pub fn request_object(request: &Value) -> Option<&Value> {
    request.get("object").filter(|o| !o.is_null())
}

/// The whole response to one request: the guest's answer, or the guest's failure as kwctl
/// reports it.
pub fn admission_response(
    request: &Value,
    result: Result<ValidationResponse, String>,
) -> AdmissionResponse {
    let uid = request_uid(request);
    match result {
        Ok(response) => AdmissionResponse::from_validation(&uid, request_object(request), response),
        Err(detail) => AdmissionResponse::internal_server_error(&uid, &detail),
    }
}

/// The full outcome of one `kwctl run`-style evaluation, given loaded, valid settings.
pub fn evaluate(policy: &Policy, request: &Value, settings: &Value) -> AdmissionResponse {
    admission_response(request, policy.validate(request, settings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn response(v: Value) -> ValidationResponse {
        serde_json::from_value(v).unwrap()
    }

    fn line(reply: Value) -> String {
        AdmissionResponse::from_validation("u1", Some(&json!({})), response(reply)).to_json_line()
    }

    #[rstest]
    #[case::accepted(
        json!({"accepted": true}),
        r#"{"uid":"u1","allowed":true,"auditAnnotations":null,"warnings":null}"#
    )]
    #[case::rejected_with_message_only(
        json!({"accepted": false, "message": "say \"no\" <b>"}),
        r#"{"uid":"u1","allowed":false,"status":{"message":"say \"no\" <b>"},"auditAnnotations":null,"warnings":null}"#
    )]
    #[case::rejected_with_code_and_warnings(
        json!({"accepted": false, "message": "m", "code": 403, "mutated_object": null,
               "audit_annotations": null, "warnings": ["w1", "w2"]}),
        r#"{"uid":"u1","allowed":false,"status":{"message":"m","code":403},"auditAnnotations":null,"warnings":["w1","w2"]}"#
    )]
    #[case::code_without_message(
        json!({"accepted": false, "code": 418}),
        r#"{"uid":"u1","allowed":false,"status":{"code":418},"auditAnnotations":null,"warnings":null}"#
    )]
    #[case::accepted_with_warnings_and_annotations(
        json!({"accepted": true, "warnings": ["w"], "audit_annotations": {"b": "2", "a": "1"}}),
        r#"{"uid":"u1","allowed":true,"auditAnnotations":{"a":"1","b":"2"},"warnings":["w"]}"#
    )]
    fn response_lines(#[case] reply: Value, #[case] expected: &str) {
        assert_eq!(line(reply), expected);
    }

    #[test]
    fn internal_server_error_line() {
        let detail = crate::engine::GuestCallFailure("boom".into()).to_string();
        let r = AdmissionResponse::internal_server_error("u1", &detail);
        assert_eq!(
            r.to_json_line(),
            r#"{"uid":"u1","allowed":false,"status":{"message":"internal server error: Guest call failure: boom","code":500},"auditAnnotations":null,"warnings":null}"#
        );
    }

    fn pod(pull_secrets: Option<Value>) -> Value {
        let mut pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "namespace": "team-a"},
            "spec": {"containers": [{"name": "app", "image": "private.registry.com/app:1"}]}
        });
        if let Some(secrets) = pull_secrets {
            pod["spec"]["imagePullSecrets"] = secrets;
        }
        pod
    }

    fn decoded_patch(line: &AdmissionResponse) -> String {
        String::from_utf8(STANDARD.decode(line.patch.as_ref().unwrap()).unwrap()).unwrap()
    }

    #[rstest]
    #[case::list_added(
        None,
        r#"[{"op":"add","path":"/spec/imagePullSecrets","value":[{"name":"my-secret"}]}]"#
    )]
    #[case::appended_to_a_list_of_one(
        Some(json!([{"name": "regcred"}])),
        r#"[{"op":"add","path":"/spec/imagePullSecrets/1","value":{"name":"my-secret"}}]"#
    )]
    fn mutation_patch_is_kwctls(#[case] before: Option<Value>, #[case] expected_patch: &str) {
        let object = pod(before.clone());
        let mut secrets = before.unwrap_or_else(|| json!([]));
        secrets
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "my-secret"}));
        let mutated = pod(Some(secrets));
        let request = json!({"uid": "m1", "object": object});
        let r = admission_response(
            &request,
            Ok(response(
                json!({"accepted": true, "mutated_object": mutated}),
            )),
        );
        assert_eq!(decoded_patch(&r), expected_patch);
        assert_eq!(
            r.to_json_line(),
            format!(
                r#"{{"uid":"m1","allowed":true,"patchType":"JSONPatch","patch":"{}","auditAnnotations":null,"warnings":null}}"#,
                STANDARD.encode(expected_patch)
            )
        );
    }

    #[test]
    fn mutation_equal_to_the_object_has_no_patch() {
        let request = json!({"uid": "m2", "object": pod(None)});
        let r = admission_response(
            &request,
            Ok(response(
                json!({"accepted": true, "mutated_object": pod(None)}),
            )),
        );
        assert_eq!(
            r.to_json_line(),
            r#"{"uid":"m2","allowed":true,"auditAnnotations":null,"warnings":null}"#
        );
    }

    #[test]
    fn mutation_of_a_delete_is_refused() {
        for request in [json!({"uid": "d"}), json!({"uid": "d", "object": null})] {
            let r = admission_response(
                &request,
                Ok(response(
                    json!({"accepted": true, "mutated_object": {"a": 1}}),
                )),
            );
            assert_eq!(
                r.to_json_line(),
                format!(
                    r#"{{"uid":"d","allowed":false,"status":{{"message":"{MUTATION_WITHOUT_OBJECT}"}},"auditAnnotations":null,"warnings":null}}"#
                )
            );
        }
    }

    #[test]
    fn guest_failures_are_internal_server_errors() {
        let r = admission_response(&json!({"uid": "e"}), Err("Guest call failure: x".into()));
        assert_eq!(r.status.unwrap().code, Some(500));
    }
}
