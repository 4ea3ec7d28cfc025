//! The troubleshooter page's words: the chain's findings, and the commands of the plan's
//! fixes, written as the troubleshooting guides give them (credentials are placeholders,
//! always).

use super::chain::MissWhy;
use super::explanation::{ContainerChain, ContainerVerdict, FixCommand};
use super::plan::{Fix, Referrer};
use crate::cluster::LookupError;
use crate::kubelet::dockerconfig::{CredentialEnd, DatedKind};
use crate::kubelet::keyring::State;
use crate::kubelet::lookups::Source;
use crate::pods::check::{PodReview, PullSecretProblem};
use crate::request::WorkloadKind;
use crate::words::{kubectl, near_miss, pull_secret, when};

/// Where the Pods' pull secrets come from.
pub(crate) fn source(source: &Source) -> String {
    match source {
        Source::Own => "the pod spec's imagePullSecrets".into(),
        Source::ServiceAccount { name, read: Ok(()) } => format!(
            "ServiceAccount {name:?}: the pod spec lists no imagePullSecrets, so its Pods get the \
             ServiceAccount's"
        ),
        Source::ServiceAccount { name, .. } => format!(
            "ServiceAccount {name:?} (the pod spec lists no imagePullSecrets), which was not given"
        ),
    }
}

/// A ServiceAccount that could not be read.
pub(crate) fn service_account_unreadable(
    name: &str,
    namespace: &str,
    error: LookupError,
) -> String {
    match error {
        LookupError::NotFound => format!(
            "its Pods run as ServiceAccount {name:?}, which does not exist in namespace \
             {namespace:?} (or was not pasted): their controller cannot create them, and its pull \
             secrets are unknown"
        ),
        _ => format!("ServiceAccount {name:?} could not be read ({error})"),
    }
}

/// Per pull secret, what the policy finds wrong with it.
pub(crate) fn secret_findings(review: &PodReview<'_>) -> Vec<(String, String)> {
    let problems = review.secret_problems.iter().map(|p| (p, false));
    let warnings = review.secret_warnings.iter().map(|p| (p, true));
    let mut findings = Vec::new();
    for (problem, warns) in problems.chain(warnings) {
        let names: Vec<&str> = match problem {
            PullSecretProblem::SecretMissing { name }
            | PullSecretProblem::Poison { name, .. }
            | PullSecretProblem::Ignored { name, .. } => vec![name],
            PullSecretProblem::Unreadable { names, .. } => names.clone(),
            PullSecretProblem::ServiceAccountMissing { .. } => Vec::new(),
        };
        let text = crate::pods::words::secret_problem(review, problem, warns);
        findings.extend(names.into_iter().map(|n| (n.to_owned(), text.clone())));
    }
    findings
}

/// Why a usable secret gives the kubelet no keys, if it does.
pub(crate) fn useless(state: &State) -> Option<String> {
    match state {
        State::Usable {
            keys,
            useless: Some((format, why)),
        } if keys.is_empty() => Some(pull_secret::useless(*format, why)),
        _ => None,
    }
}

/// Why a key misses an image.
pub(crate) fn miss(why: &MissWhy) -> String {
    match why {
        MissWhy::Dropped(error) => format!("the kubelet drops it because {error}"),
        MissWhy::NoCredentials => "it matches, but holds no credentials the kubelet uses".into(),
        MissWhy::Expired(end) => format!(
            "it matches, but its credential is {}: the registry refuses it",
            when::credential_end(end)
        ),
        MissWhy::NearMiss(near) => near_miss::near_miss(near),
        MissWhy::OtherRegistry => "it is for another registry".into(),
    }
}

/// Every credential the kubelet would send for an image has expired: `(Secret, key, end)`.
pub(crate) fn all_expired(expired: &[(&str, &str, CredentialEnd)]) -> String {
    let held = when::held_ends(expired.iter().copied());
    format!(
        "every credential the kubelet would send for the image has expired, and the registry \
         refuses them: {held}. The pull fails with `unauthorized: authentication required` until a \
         fresh one is written (see the fixes)"
    )
}

pub(crate) fn sends(secret: &str, key: &impl std::fmt::Display) -> String {
    format!("the kubelet sends the credentials of the registry key {key} of Secret {secret:?}")
}

pub(crate) fn no_credentials(domain: &str, matched: bool) -> String {
    if matched {
        format!(
            "the keys that match {domain} hold no credentials: the image is pulled without any, \
             which works only if it is public"
        )
    } else {
        format!(
            "no pull secret the Pods use holds a key the kubelet would send for {domain}: the \
             image is pulled without credentials, which works only if it is public"
        )
    }
}

/// What remains when every check passes.
pub(crate) fn remaining(containers: &[ContainerChain], lacking: bool) -> Option<String> {
    if lacking
        || containers
            .iter()
            .any(|c| c.verdict == ContainerVerdict::Fails)
    {
        return None;
    }
    let hosts: Vec<&str> = containers
        .iter()
        .filter(|c| c.verdict == ContainerVerdict::SendsCredentials)
        .filter_map(|c| c.registry.as_deref())
        .fold(Vec::new(), |mut hosts, h| {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
            hosts
        });
    let Some(host) = hosts.first() else {
        return Some(
            "no check fails, and no image is pulled with credentials: if one is private, its \
             registry needs a pull secret (see the fixes), or the nodes' own credentials"
                .into(),
        );
    };
    Some(format!(
        "every check passes: the kubelet sends credentials for {}. If the pull still fails with \
         `unauthorized: authentication required`, the registry refuses those credentials: they \
         may be wrong or expired, or the account may have no pull permission on the repository \
         (a robot account without read access). Test them from a node with `docker login {}` \
         (or `crictl pull --creds <user>:<password> <image>`).",
        hosts.join(", "),
        kubectl::server_flag(host)
    ))
}

/// The command of one step of the plan, for workload `object` (`Kind/name`) in `ns`.
pub(crate) fn fix_command(fix: &Fix, kind: WorkloadKind, name: &str, ns: &str) -> FixCommand {
    let (what, command) = match fix {
        Fix::CreateMissingSecret { name, server } => (
            format!("create the missing Secret {name:?} in namespace {ns:?}"),
            kubectl::create_pull_secret(name, server, Some(ns), false),
        ),
        Fix::ReplacePoison { name, server } => (
            format!("replace Secret {name:?}, which the kubelet cannot decode"),
            kubectl::create_pull_secret(name, server, Some(ns), true),
        ),
        Fix::DeleteOtherType { name } => (
            format!("delete Secret {name:?}: its type cannot change"),
            kubectl::delete_secret(name, Some(ns)),
        ),
        Fix::WriteAgain { name, server } => (
            format!("write Secret {name:?} again as a pull secret"),
            kubectl::create_pull_secret(name, server, Some(ns), false),
        ),
        Fix::ReplaceIgnored { name, server } => (
            format!("replace Secret {name:?}, which the kubelet ignores"),
            kubectl::create_pull_secret(name, server, Some(ns), true),
        ),
        Fix::CreateServiceAccount { name } => (
            format!("create ServiceAccount {name:?}"),
            kubectl::create_service_account(name, Some(ns)),
        ),
        Fix::Refresh { name, server, kind } => (
            match kind {
                DatedKind::EcrToken => format!(
                    "write a fresh ECR token into Secret {name:?} (it expired: ECR tokens last 12 \
                     hours; the nodes' ecr-credential-provider, or a refresher that rewrites the \
                     Secret, keeps pulls working)"
                ),
                _ => format!(
                    "write a fresh token into Secret {name:?} (it expired; renew it before it \
                     expires again)"
                ),
            },
            kubectl::refresh_pull_secret(name, server, Some(ns), *kind),
        ),
        Fix::Rewrite {
            miss: missed,
            registry,
        } => (
            format!(
                "rewrite Secret {:?} for {registry} (its key {}: {})",
                missed.secret,
                missed.key,
                miss(&missed.why)
            ),
            kubectl::create_pull_secret(&missed.secret, registry, Some(ns), true),
        ),
        Fix::CreatePullSecret { name, registry } => (
            format!("create a pull secret for {registry} in namespace {ns:?}"),
            kubectl::create_pull_secret(name, registry, Some(ns), false),
        ),
        Fix::Reference {
            names,
            to,
            has_list,
        } => reference(names, to, *has_list, name, ns),
        Fix::Restart => restart(kind, name, ns),
    };
    FixCommand { what, command }
}

/// The command that makes the Pods reference the new secrets: the ServiceAccount's list when
/// they get its, else the pod template's (a Pod's cannot change).
fn reference(
    added: &[String],
    to: &Referrer,
    has_list: bool,
    name: &str,
    ns: &str,
) -> (String, String) {
    let names = added.join(", ");
    match to {
        Referrer::ServiceAccount(account) => (
            format!(
                "add {names} to the imagePullSecrets of ServiceAccount {account:?}, which the \
                 Pods get theirs from"
            ),
            kubectl::add_pull_secrets(
                "serviceaccount",
                account,
                ns,
                "/imagePullSecrets",
                added,
                has_list,
            ),
        ),
        Referrer::Pod => (
            format!(
                "a Pod's imagePullSecrets cannot change: save its manifest, add {names} to its \
                 spec.imagePullSecrets and remove its status and metadata.resourceVersion, uid \
                 and creationTimestamp, then recreate it (next command)"
            ),
            format!("kubectl get pod {name} -n {ns} -o yaml > pod.yaml"),
        ),
        Referrer::Template(kind) => (
            format!(
                "add {names} to the imagePullSecrets of {}/{name}",
                kind.name()
            ),
            kubectl::add_pull_secrets(
                kubectl::resource(*kind),
                name,
                ns,
                &format!(
                    "/{}/imagePullSecrets",
                    kind.pod_spec_path().replace('.', "/")
                ),
                added,
                has_list,
            ),
        ),
    }
}

/// How the Pods that already back off get the fix.
fn restart(kind: WorkloadKind, name: &str, ns: &str) -> (String, String) {
    let resource = kubectl::resource(kind);
    match kind {
        WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => (
            format!("restart the {resource}'s Pods so that they pull again"),
            format!("kubectl rollout restart {resource}/{name} -n {ns}"),
        ),
        WorkloadKind::Pod => (
            "recreate the Pod with the fixed manifest".into(),
            format!("kubectl delete pod {name} -n {ns} && kubectl apply -f pod.yaml"),
        ),
        WorkloadKind::Job => (
            "a Job's pod template cannot change: recreate the Job with the fix".into(),
            format!(
                "kubectl get job {name} -n {ns} -o yaml > job.yaml && kubectl delete job {name} -n {ns}   # then edit and apply job.yaml"
            ),
        ),
        // The plan restarts no CronJob, whose next Jobs get the fix: this runs one now.
        WorkloadKind::CronJob => (
            "run a Job of the CronJob now rather than wait for its schedule".into(),
            format!("kubectl create job --from=cronjob/{name} {name}-fixed -n {ns}"),
        ),
        WorkloadKind::ReplicaSet | WorkloadKind::ReplicationController => (
            format!("delete the {resource}'s Pods, so that it recreates them with the fix"),
            format!("kubectl delete pods -n {ns} --selector=<the {resource}'s selector>"),
        ),
    }
}

/// The policy settings that would have caught the mistakes, with cluster lookups: the policy
/// then checks what the Secrets hold, not only their names.
pub(crate) fn settings_yaml(registries: &[(String, Vec<String>)]) -> String {
    let mut yaml =
        String::from("clusterLookups: true\nmissingPullSecrets: auto\nunlistedRegistries: allow\n");
    if registries.is_empty() {
        yaml.push_str("registries: []\n");
    } else {
        yaml.push_str("registries:\n");
        for (registry, secrets) in registries {
            let secrets: Vec<String> = secrets.iter().map(|s| yaml_string(s)).collect();
            yaml.push_str(&format!(
                "  - registry: {}\n    pullSecrets: [{}]\n",
                yaml_string(registry),
                secrets.join(", ")
            ));
        }
    }
    yaml
}

/// A scalar YAML reads as the string itself: JSON's quoting is YAML's too.
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The `ClusterAdmissionPolicy` of the settings, with what cluster lookups must be granted.
pub(crate) fn policy_yaml(settings: &str) -> String {
    let settings: String = settings.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata:
  name: image-pull-secrets
spec:
  module: registry://{OCI_URL}:v{version}
  mode: protect
  mutating: false
  rules:
    - apiGroups: [\"\"]
      apiVersions: [\"v1\"]
      resources: [\"pods\", \"pods/ephemeralcontainers\", \"replicationcontrollers\"]
      operations: [\"CREATE\", \"UPDATE\"]
    - apiGroups: [\"\"]
      apiVersions: [\"v1\"]
      resources: [\"secrets\"]
      operations: [\"CREATE\", \"UPDATE\", \"DELETE\"]
    - apiGroups: [\"\"]
      apiVersions: [\"v1\"]
      resources: [\"serviceaccounts\"]
      operations: [\"UPDATE\", \"DELETE\"]
    - apiGroups: [\"apps\"]
      apiVersions: [\"v1\"]
      resources: [\"deployments\", \"replicasets\", \"statefulsets\", \"daemonsets\"]
      operations: [\"CREATE\", \"UPDATE\"]
    - apiGroups: [\"batch\"]
      apiVersions: [\"v1\"]
      resources: [\"jobs\", \"cronjobs\"]
      operations: [\"CREATE\", \"UPDATE\"]
  contextAwareResources:
    - apiVersion: v1
      kind: Secret
    - apiVersion: v1
      kind: ServiceAccount
    - apiVersion: v1
      kind: Pod
    - apiVersion: v1
      kind: ReplicationController
    - apiVersion: apps/v1
      kind: Deployment
    - apiVersion: apps/v1
      kind: ReplicaSet
    - apiVersion: apps/v1
      kind: StatefulSet
    - apiVersion: apps/v1
      kind: DaemonSet
    - apiVersion: batch/v1
      kind: Job
    - apiVersion: batch/v1
      kind: CronJob
  settings:
{settings}",
        version = env!("CARGO_PKG_VERSION")
    )
}

/// Where the policy module is published (metadata.yml's `io.kubewarden.policy.ociUrl`).
const OCI_URL: &str = "ghcr.io/image-pull-secrets/policies/image-pull-secrets";
