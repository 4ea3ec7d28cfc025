//! One admission request, start to finish: read it, pick the check its kind needs, and answer.
//!
//! Every outcome is a [`Verdict`]; nothing here returns an error to the host, because a guest
//! error reaches the API server as an unexplained HTTP 500.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use crate::cluster::{Cluster, Uncached};
use crate::in_use;
use crate::json;
use crate::kubelet::lookups::Lookups;
use crate::pods::check::{PodReview, judges_anything, review_pod_spec};
use crate::pods::{self, fix};

use crate::request::{AdmissionRequest, KindOnly, Spec, ValidationPayload, WorkloadKind};
use crate::secrets::{self, check::check_secret};
use crate::settings::Settings;
use crate::verdict::{ChangedObject, SecretKind, Subject, Verdict};
use crate::when::UnixTime;

/// Reviews the `{"request": ..., "settings": ...}` payload that Kubewarden sends to `validate`,
/// judging dated credentials as of `now`.
pub(crate) fn review(payload: &[u8], cluster: &dyn Cluster, now: UnixTime) -> Verdict {
    let parsed: ValidationPayload<'_> = match serde_json::from_slice(payload) {
        Ok(parsed) => parsed,
        Err(_) => return unreadable(payload),
    };
    let settings = match cached_settings(parsed.settings.map_or("{}", |raw| raw.get())) {
        Ok(settings) => settings,
        Err(e) => return Verdict::reject(format!("the policy settings are not valid: {e}")),
    };
    review_request(&settings, &parsed.request, payload, cluster, now)
}

thread_local! {
    /// The last settings seen, raw and validated. A policy server sends the same settings with
    /// every request to a module instance, so validating them once per instance is enough.
    static SETTINGS: RefCell<Option<(Box<str>, Rc<Settings>)>> = const { RefCell::new(None) };
}

fn cached_settings(raw: &str) -> Result<Rc<Settings>, String> {
    SETTINGS.with(|cache| {
        if let Some((key, settings)) = &*cache.borrow()
            && same_bytes(key.as_bytes(), raw.as_bytes())
        {
            return Ok(Rc::clone(settings));
        }
        let settings = Rc::new(Settings::from_json(raw.as_bytes())?);
        *cache.borrow_mut() = Some((raw.into(), Rc::clone(&settings)));
        Ok(settings)
    })
}

/// `a == b`, eight bytes at a time: the settings (often a few hundred bytes) are compared on
/// every request, and `memcmp` in a wasm32 guest goes byte by byte.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let (a_words, a_rest) = a.as_chunks::<8>();
    let (b_words, b_rest) = b.as_chunks::<8>();
    a.len() == b.len()
        && a_rest == b_rest
        && a_words
            .iter()
            .zip(b_words)
            .all(|(x, y)| u64::from_ne_bytes(*x) == u64::from_ne_bytes(*y))
}

/// The kinds the policy checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checked {
    Workload(WorkloadKind),
    Secret,
}

impl Checked {
    fn from_group_kind(group: &str, kind: &str) -> Option<Checked> {
        match (group, kind) {
            ("", "Secret") => Some(Checked::Secret),
            _ => WorkloadKind::from_group_kind(group, kind).map(Checked::Workload),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Checked::Workload(kind) => kind.name(),
            Checked::Secret => "Secret",
        }
    }
}

/// Reviews a parsed request against validated settings.
fn review_request(
    settings: &Settings,
    request: &AdmissionRequest<'_>,
    payload: &[u8],
    cluster: &dyn Cluster,
    now: UnixTime,
) -> Verdict {
    // A Secret's DELETE or UPDATE, or a ServiceAccount's, that Pods still pull with.
    let in_use = in_use::check::check_in_use(settings, request, payload, cluster)
        .map(|found| in_use::words::verdict(settings.pull_secrets_in_use(), &found));
    let Some(checked) = Checked::from_group_kind(&request.kind.group, &request.kind.kind) else {
        return in_use.unwrap_or_else(Verdict::accept);
    };
    let create = match request.operation.as_deref() {
        Some("CREATE") => true,
        Some("UPDATE") => false,
        // DELETE and CONNECT pull nothing.
        _ => return in_use.unwrap_or_else(Verdict::accept),
    };
    let Some(object) = &request.object else {
        return Verdict::reject(format!(
            "the {} admission request has no object to check",
            checked.name()
        ));
    };
    let old_object = if create {
        None
    } else {
        request.old_object.as_ref()
    };
    let metadata = object.metadata.as_ref();
    let name = metadata
        .and_then(|m| m.name.as_deref())
        .or(request.name.as_deref())
        .filter(|n| !n.is_empty());
    let namespace = request
        .namespace
        .as_deref()
        .or(metadata.and_then(|m| m.namespace.as_deref()))
        .filter(|n| !n.is_empty());
    let name_shown = name.map(Cow::Borrowed).or_else(|| {
        metadata
            .and_then(|m| m.generate_name.as_deref())
            .map(|g| Cow::Owned(format!("{g}*")))
    });
    let kind = match checked {
        Checked::Secret => {
            let subject = Subject {
                kind: SecretKind,
                name: name_shown,
                namespace,
                create,
            };
            let verdict = check_secret(settings, &subject, name, object, old_object, now)
                .map_or_else(Verdict::accept, |review| secrets::words::verdict(&review));
            return in_use::words::together(verdict, in_use);
        }
        Checked::Workload(kind) => kind,
    };
    // A workload without a pod template has nothing to pull; the API server refuses it anyway.
    let Some(spec) = kind.pod_spec(object) else {
        return Verdict::accept();
    };
    let old = old_object.and_then(|o| kind.pod_spec(o));
    let subject = Subject {
        kind,
        name: name_shown,
        namespace,
        create,
    };
    // Only what will be judged is looked up: an update that changes no image and no pull
    // secret makes no host call.
    let namespace = namespace.filter(|_| settings.cluster_lookups() && judges_anything(spec, old));
    let cached = namespace.map(|namespace| Lookups::fetch(cluster, kind, spec, namespace));
    let review = review_pod_spec(settings, &subject, spec, old, cached.as_ref(), now);
    let call = Call {
        payload,
        cluster,
        now,
    };
    match namespace {
        // The host keeps its answers a few seconds: a Secret or ServiceAccount fixed a moment
        // ago may still read as it was. A cached read may accept, but never reject nor plan a
        // fix: those read again, past the cache, and judge what they read then. Only that path
        // pays.
        Some(namespace) if review.finds_anything() => {
            judge_uncached(settings, &subject, spec, old, namespace, call)
        }
        _ => conclude(settings, &subject, spec, review, cached.as_ref(), call),
    }
}

/// What the request brings besides its pod spec: its bytes (the fix rewrites its object), the
/// cluster its lookups read, and the time.
#[derive(Clone, Copy)]
struct Call<'c> {
    payload: &'c [u8],
    cluster: &'c dyn Cluster,
    now: UnixTime,
}

/// [`review_request`]'s rejecting path with lookups: the same review on the objects read again
/// past the host's cache. Out of line, so that the accepting path's code stays as it was.
#[cold]
#[inline(never)]
fn judge_uncached(
    settings: &Settings,
    subject: &Subject<'_, WorkloadKind>,
    spec: &Spec<'_>,
    old: Option<&Spec<'_>>,
    namespace: &str,
    call: Call<'_>,
) -> Verdict {
    let fresh = Lookups::fetch(&Uncached(call.cluster), subject.kind, spec, namespace);
    let review = review_pod_spec(settings, subject, spec, old, Some(&fresh), call.now);
    conclude(settings, subject, spec, review, Some(&fresh), call)
}

/// The verdict on a pod spec's review: the fix when it is on and fixes it, the review's words
/// otherwise.
fn conclude<'r>(
    settings: &'r Settings,
    subject: &'r Subject<'r, WorkloadKind>,
    spec: &'r Spec<'r>,
    review: PodReview<'r>,
    lookups: Option<&'r Lookups>,
    call: Call<'_>,
) -> Verdict {
    let Call {
        payload,
        cluster,
        now,
    } = call;
    if settings.add_missing_pull_secrets() && !review.problems.is_empty() {
        // The fix changes the pull secrets, and an update that changes them is judged in full
        // (images it left alone too): the fix is planned on that judgement, so that the fixed
        // object passes it.
        let full = review
            .left_images_alone
            .then(|| review_pod_spec(settings, subject, spec, None, lookups, now));
        let judged = full.as_ref().unwrap_or(&review);
        if let Some(plan) = fix::plan(judged, &Uncached(cluster))
            && let Some(object) = changed_object(payload, subject.kind, &plan)
        {
            let mut warnings = pods::words::warnings(judged);
            warnings.extend(pods::fix_words::warnings(&plan));
            return Verdict::Mutate { object, warnings };
        }
    }
    pods::words::verdict(settings, &review)
}

/// The object of the request, changed by `plan`: only a fixable request reads its text so.
fn changed_object(
    payload: &[u8],
    kind: WorkloadKind,
    plan: &fix::Plan<'_>,
) -> Option<ChangedObject> {
    #[derive(serde::Deserialize)]
    struct Payload<'a> {
        #[serde(borrow)]
        request: Request<'a>,
    }
    #[derive(serde::Deserialize)]
    struct Request<'a> {
        #[serde(borrow)]
        object: &'a serde_json::value::RawValue,
    }
    let payload: Payload<'_> = serde_json::from_slice(payload).ok()?;
    ChangedObject::new(fix::apply(plan, kind, payload.request.object.get())?)
}

/// Answers a payload that does not deserialize: accepted when it is of a kind the policy does
/// not check (a custom resource may have any shape), rejected with the reason otherwise.
fn unreadable(payload: &[u8]) -> Verdict {
    if let Ok(only) = serde_json::from_slice::<KindOnly<'_>>(payload) {
        let kind = &only.request.kind;
        if Checked::from_group_kind(&kind.group, &kind.kind).is_none() {
            return Verdict::accept();
        }
    }
    // Read again, this time tracking where it failed: the error path only.
    let de = &mut serde_json::Deserializer::from_slice(payload);
    let error = match serde_path_to_error::deserialize::<_, ValidationPayload<'_>>(de) {
        Ok(_) => "unexpected content".to_owned(),
        Err(e) => json::error::located(e, true),
    };
    Verdict::reject(format!("cannot read the admission request: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(payload: &[u8], cluster: &dyn Cluster) -> Verdict {
        super::review(payload, cluster, UnixTime::TEST_NOW)
    }

    fn review_json(json: &str) -> Verdict {
        review(json.as_bytes(), &crate::cluster::NoCluster)
    }

    const SETTINGS: &str = r#"{"registries":[{"registry":"gcr.io","pullSecrets":["gcr-creds"]}]}"#;

    fn request(kind: &str, group: &str, operation: &str, object: &str) -> String {
        format!(
            r#"{{"request":{{"uid":"1","kind":{{"group":"{group}","version":"v1","kind":"{kind}"}},
            "operation":"{operation}","namespace":"ns","object":{object}}},"settings":{SETTINGS}}}"#
        )
    }

    #[test]
    fn unknown_kinds_pass_untouched_even_when_odd() {
        let odd = request(
            "Widget",
            "example.com",
            "CREATE",
            r#"{"spec":{"containers":"x"}}"#,
        );
        assert!(review_json(&odd).is_allowed());
        let deployment_crd = request(
            "Deployment",
            "example.com",
            "CREATE",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"gcr.io/a"}]}}}}"#,
        );
        assert!(review_json(&deployment_crd).is_allowed());
    }

    #[test]
    fn malformed_workloads_are_rejected_with_the_place() {
        let bad = request(
            "Pod",
            "",
            "CREATE",
            r#"{"spec":{"containers":"my-password"}}"#,
        );
        let Verdict::Reject { message, .. } = review_json(&bad) else {
            panic!()
        };
        assert!(
            message.contains("request.object.spec.containers"),
            "{message}"
        );
        assert!(!message.contains("my-password"), "{message}");
        assert!(review_json("not json").warnings().is_empty());
        assert!(!review_json("not json").is_allowed());
        assert!(!review_json("{}").is_allowed());
    }

    #[test]
    fn operations() {
        let pod =
            r#"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"gcr.io/a"}]}}"#;
        assert!(!review_json(&request("Pod", "", "CREATE", pod)).is_allowed());
        assert!(review_json(&request("Pod", "", "DELETE", "null")).is_allowed());
        assert!(review_json(&request("Pod", "", "CONNECT", "null")).is_allowed());
        assert!(!review_json(&request("Pod", "", "CREATE", "null")).is_allowed());
    }

    #[test]
    fn invalid_settings_in_a_request_are_reported() {
        let json = r#"{"request":{"kind":{"kind":"Pod"},"operation":"CREATE","object":{}},
            "settings":{"registries":[{"registry":"https://x"}]}}"#;
        let Verdict::Reject { message, .. } = review_json(json) else {
            panic!()
        };
        assert!(
            message.starts_with("the policy settings are not valid"),
            "{message}"
        );
    }

    #[test]
    fn subject_names() {
        let pod = r#"{"metadata":{"generateName":"web-"},"spec":{"containers":[{"name":"a","image":"gcr.io/a"}]}}"#;
        let Verdict::Reject { message, .. } = review_json(&request("Pod", "", "CREATE", pod))
        else {
            panic!()
        };
        assert!(
            message.starts_with(r#"Pod "web-*" in namespace "ns""#),
            "{message}"
        );
    }

    #[test]
    fn byte_comparison() {
        let text = b"{\"registries\":[{\"registry\":\"gcr.io\",\"pullSecrets\":[\"a\"]}]}";
        for len in 0..text.len() {
            for flip in 0..len {
                let mut other = text[..len].to_vec();
                assert!(same_bytes(&text[..len], &other));
                other[flip] ^= 1;
                assert!(!same_bytes(&text[..len], &other));
            }
            assert!(!same_bytes(&text[..len], &text[..len + 1]));
        }
    }

    /// A host whose cache still holds the objects as they were before a fix: ServiceAccount
    /// `default` with no pull secrets; read past the cache, it lists `regcred`.
    struct Stale {
        fixed: crate::cluster::Objects,
        reads: std::cell::RefCell<Vec<bool>>,
    }

    impl Cluster for Stale {
        fn get(
            &self,
            resource: crate::cluster::Resource,
            namespace: &str,
            name: &str,
        ) -> Result<Vec<u8>, crate::cluster::LookupError> {
            self.reads.borrow_mut().push(false);
            match resource {
                crate::cluster::Resource::ServiceAccount => Ok(b"{}".to_vec()),
                _ => self.fixed.get(resource, namespace, name),
            }
        }

        fn get_uncached(
            &self,
            resource: crate::cluster::Resource,
            namespace: &str,
            name: &str,
        ) -> Result<Vec<u8>, crate::cluster::LookupError> {
            self.reads.borrow_mut().push(true);
            self.fixed.get(resource, namespace, name)
        }
    }

    fn stale() -> Stale {
        use crate::cluster::{Objects, Resource};
        let mut fixed = Objects::new();
        fixed.insert(
            Resource::ServiceAccount,
            "ns",
            "default",
            br#"{"imagePullSecrets":[{"name":"gcr-creds"}]}"#.to_vec(),
        );
        // {"auths":{"gcr.io":{"auth":"dTpw"}}}
        fixed.insert(
            Resource::Secret,
            "ns",
            "gcr-creds",
            br#"{"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"eyJhdXRocyI6eyJnY3IuaW8iOnsiYXV0aCI6ImRUcHcifX19"}}"#.to_vec(),
        );
        Stale {
            fixed,
            reads: Default::default(),
        }
    }

    fn deployment(settings: &str) -> String {
        format!(
            r#"{{"request":{{"uid":"1","kind":{{"group":"apps","version":"v1","kind":"Deployment"}},
            "operation":"CREATE","namespace":"ns","object":{{"metadata":{{"name":"web"}},"spec":
            {{"template":{{"spec":{{"containers":[{{"name":"a","image":"gcr.io/a"}}]}}}}}}}}}},
            "settings":{settings}}}"#
        )
    }

    /// Rejected on a cached read, accepted on a fresh one: the fresh one decides.
    #[test]
    fn a_rejection_reads_past_the_cache() {
        let cluster = stale();
        let settings = r#"{"clusterLookups":true,"registries":[{"registry":"gcr.io","pullSecrets":["gcr-creds"]}]}"#;
        let verdict = review(deployment(settings).as_bytes(), &cluster);
        assert_eq!(verdict, Verdict::accept());
        // The ServiceAccount from the cache, then it and its Secret past it.
        assert_eq!(*cluster.reads.borrow(), [false, true, true]);
    }

    /// An acceptance on a cached read makes no other read.
    #[test]
    fn an_acceptance_keeps_the_cached_read() {
        let mut cluster = stale();
        cluster.fixed.insert(
            crate::cluster::Resource::ServiceAccount,
            "ns",
            "builder",
            br#"{"imagePullSecrets":[{"name":"gcr-creds"}]}"#.to_vec(),
        );
        let settings = r#"{"clusterLookups":true,"registries":[{"registry":"gcr.io","pullSecrets":["gcr-creds"]}]}"#;
        let own = deployment(settings).replace(
            r#""containers""#,
            r#""imagePullSecrets":[{"name":"gcr-creds"}],"containers""#,
        );
        assert_eq!(review(own.as_bytes(), &cluster), Verdict::accept());
        assert_eq!(*cluster.reads.borrow(), [false]);
    }
}
