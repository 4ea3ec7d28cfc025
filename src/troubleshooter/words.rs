//! The troubleshooter page's words: the chain's findings, and the commands that fix a workload
//! that already fails to pull, written as the troubleshooting guides give them (credentials are
//! placeholders, always).

use crate::cluster::LookupError;
use crate::cluster::pull_secrets::{Lookups, Source};
use crate::kubelet::docker_hub;
use crate::kubelet::keyring::{Ignored, Match, State};
use crate::kubelet::reference::ImageRef;
use crate::pods::check::{PodReview, SecretProblem};
use crate::pods::words as pod;
use crate::request::WorkloadKind;
use crate::secrets::words as secret;
use crate::settings::Settings;
use crate::troubleshooter::{ContainerVerdict, Explanation, FixCommand, KeyMiss, SecretState};
use crate::words::near_miss as hints;

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
            SecretProblem::SecretMissing { name }
            | SecretProblem::Poison { name, .. }
            | SecretProblem::Ignored { name, .. } => vec![name],
            SecretProblem::Unreadable { names, .. } => names.clone(),
            SecretProblem::ServiceAccountMissing { .. } => Vec::new(),
        };
        let text = pod::secret_problem(review, problem, warns);
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
        } if keys.is_empty() => Some(secret::problem(&crate::secrets::check::Problem::Useless {
            format: *format,
            why: why.clone(),
        })),
        _ => None,
    }
}

/// The keys of the Pods' pull secrets that do not send credentials for `image`, and why.
pub(crate) fn misses(
    lookups: &Lookups,
    matches: &[Match<'_>],
    image: &ImageRef<'_>,
) -> Vec<KeyMiss> {
    let mut misses = Vec::new();
    for (i, pulled) in lookups.keyring.secrets.iter().enumerate() {
        let State::Usable { keys, .. } = &pulled.state else {
            continue;
        };
        for held in keys {
            let matched = matches
                .iter()
                .any(|m| m.secret == i && std::ptr::eq(m.held, held));
            let why = match &held.key {
                Err(error) => format!("the kubelet drops it because {error}"),
                Ok(_) if matched && held.has_credentials => continue,
                Ok(_) if matched => "it matches, but holds no credentials the kubelet uses".into(),
                Ok(key) => match key.near_miss_of_image(image) {
                    Some(near_miss) => hints::near_miss(&near_miss),
                    None => "it is for another registry".into(),
                },
            };
            misses.push(KeyMiss {
                secret: pulled.name.clone(),
                key: held.shown.to_string(),
                why,
            });
        }
    }
    misses
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

/// The registries of the images that get no credentials, official Docker Hub images aside
/// (they are public): the images a fix is about.
fn lacking(explanation: &Explanation) -> Vec<&str> {
    let mut domains: Vec<&str> = Vec::new();
    for c in &explanation.containers {
        let official = c.registry.as_deref() == Some(docker_hub::DOMAIN)
            && c.repository
                .as_deref()
                .is_some_and(|r| r.starts_with(docker_hub::OFFICIAL_PREFIX));
        if c.verdict == ContainerVerdict::SendsCredentials || c.invalid.is_some() || official {
            continue;
        }
        if let Some(domain) = c.registry.as_deref()
            && !domains.contains(&domain)
        {
            domains.push(domain);
        }
    }
    domains
}

/// What remains when every check passes.
pub(crate) fn remaining(explanation: &Explanation) -> Option<String> {
    let containers = &explanation.containers;
    if containers
        .iter()
        .any(|c| c.verdict == ContainerVerdict::Fails)
        || !lacking(explanation).is_empty()
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
        server(host)
    ))
}

/// `--docker-server` for a registry host: Docker Hub's key is the one the kubelet falls back to.
fn server(domain: &str) -> String {
    if domain == docker_hub::DOMAIN {
        docker_hub::INDEX_KEY.into()
    } else {
        domain.to_owned()
    }
}

/// The commands that fix a workload, and which pull secret they make serve each registry that
/// lacks one.
pub(crate) struct Fixes {
    pub(crate) commands: Vec<FixCommand>,
    /// `(registry host, Secret)`.
    pub(crate) serving: Vec<(String, String)>,
}

/// The commands that fix the workload, in the order to run them.
pub(crate) fn fixes(
    kind: WorkloadKind,
    settings: Option<&Settings>,
    lookups: &Lookups,
    explanation: &Explanation,
) -> Fixes {
    let mut serving: Vec<(String, String)> = Vec::new();
    let ns = &explanation.namespace;
    let mut fixes: Vec<FixCommand> = Vec::new();
    let push = |fixes: &mut Vec<FixCommand>, what: String, command: String| {
        if !fixes.iter().any(|f| f.command == command) {
            fixes.push(FixCommand { what, command });
        }
    };
    let lacking = lacking(explanation);
    let first_lacking = lacking
        .first()
        .map_or("<registry>".to_owned(), |d| server(d));

    for held in &explanation.secrets {
        let name = &held.name;
        match held.state {
            SecretState::Missing => push(
                &mut fixes,
                format!("create the missing Secret {name:?} in namespace {ns:?}"),
                create_secret(name, &first_lacking, ns, false),
            ),
            SecretState::Poison => push(
                &mut fixes,
                format!("replace Secret {name:?}, which the kubelet cannot decode"),
                create_secret(name, &first_lacking, ns, true),
            ),
            SecretState::Ignored => {
                let other_type = lookups.keyring.secrets.iter().any(|s| {
                    s.name == *name && matches!(s.state, State::Ignored(Ignored::OtherType { .. }))
                });
                if other_type {
                    push(
                        &mut fixes,
                        format!("delete Secret {name:?}: its type cannot change"),
                        format!("kubectl delete secret {name} -n {ns}"),
                    );
                    push(
                        &mut fixes,
                        format!("write Secret {name:?} again as a pull secret"),
                        create_secret(name, &first_lacking, ns, false),
                    );
                } else {
                    push(
                        &mut fixes,
                        format!("replace Secret {name:?}, which the kubelet ignores"),
                        create_secret(name, &first_lacking, ns, true),
                    );
                }
            }
            SecretState::Usable | SecretState::Unreadable => {}
        }
    }
    if let Source::ServiceAccount {
        name,
        read: Err(LookupError::NotFound),
    } = &lookups.source
    {
        push(
            &mut fixes,
            format!("create ServiceAccount {name:?}"),
            format!("kubectl create serviceaccount {name} -n {ns}"),
        );
    }

    let mut added: Vec<String> = Vec::new();
    for domain in &lacking {
        let image_containers: Vec<_> = explanation
            .containers
            .iter()
            .filter(|c| c.registry.as_deref() == Some(domain))
            .collect();
        // A usable secret whose key looks meant for the registry: rewrite it for the right
        // host, unless it serves other images as it is.
        let near = image_containers.iter().flat_map(|c| &c.misses).find(|m| {
            m.why != "it is for another registry"
                && explanation
                    .secrets
                    .iter()
                    .any(|s| s.name == m.secret && s.state == SecretState::Usable)
                && !explanation
                    .containers
                    .iter()
                    .any(|c| c.sends.as_ref().is_some_and(|k| k.secret == m.secret))
        });
        if let Some(miss) = near {
            push(
                &mut fixes,
                format!(
                    "rewrite Secret {:?} for {domain} (its key {}: {})",
                    miss.secret, miss.key, miss.why
                ),
                create_secret(&miss.secret, &server(domain), ns, true),
            );
            serving.push((domain.to_string(), miss.secret.clone()));
            continue;
        }
        if let Some(broken) = explanation
            .secrets
            .iter()
            .find(|s| s.state != SecretState::Usable)
        {
            // The secrets' own fixes above give it the registry.
            serving.push((domain.to_string(), broken.name.clone()));
            continue;
        }
        let name = suggested_name(settings, domain, &explanation.pull_secrets.names);
        push(
            &mut fixes,
            format!("create a pull secret for {domain} in namespace {ns:?}"),
            create_secret(&name, &server(domain), ns, false),
        );
        serving.push((domain.to_string(), name.clone()));
        added.push(name);
    }
    if !added.is_empty() {
        let (what, command) = reference(kind, lookups, explanation, &added);
        push(&mut fixes, what, command);
    }
    if !fixes.is_empty()
        && let Some((what, command)) = restart(kind, &explanation.name, ns)
    {
        push(&mut fixes, what, command);
    }
    Fixes {
        commands: fixes,
        serving,
    }
}

/// The name to give a new pull secret: what the settings declare for the registry, else
/// `regcred`, if the Pods do not use that name already.
fn suggested_name(settings: Option<&Settings>, domain: &str, used: &[String]) -> String {
    let declared = settings.and_then(|s| {
        let reference = format!("{domain}/x");
        let image = ImageRef::parse(&reference).ok()?;
        s.registry_for(&image)?.declared_secrets().first().cloned()
    });
    let base = declared.unwrap_or_else(|| "regcred".to_owned());
    if !used.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|n| !used.contains(n))
        .unwrap_or(base)
}

/// `kubectl create secret docker-registry`, or its replace form for an existing Secret.
fn create_secret(name: &str, server: &str, ns: &str, replace: bool) -> String {
    let command = format!(
        "kubectl create secret docker-registry {name} --docker-server={server} \
         --docker-username=<user> --docker-password=<password> -n {ns}"
    );
    if replace {
        format!("{command} --dry-run=client -o yaml | kubectl apply -f -")
    } else {
        command
    }
}

/// The command that makes the Pods reference the new secrets: the ServiceAccount's list when
/// they get its, else the pod template's (a Pod's cannot change).
fn reference(
    kind: WorkloadKind,
    lookups: &Lookups,
    explanation: &Explanation,
    added: &[String],
) -> (String, String) {
    let (name, ns) = (&explanation.name, &explanation.namespace);
    let names = added.join(", ");
    let items: Vec<String> = added
        .iter()
        .map(|n| format!(r#"{{"name":"{n}"}}"#))
        .collect();
    let has_list = !explanation.pull_secrets.names.is_empty();
    let ops = |path: &str| -> String {
        if has_list {
            let ops: Vec<String> = items
                .iter()
                .map(|item| format!(r#"{{"op":"add","path":"{path}/-","value":{item}}}"#))
                .collect();
            format!("[{}]", ops.join(","))
        } else {
            format!(
                r#"[{{"op":"add","path":"{path}","value":[{}]}}]"#,
                items.join(",")
            )
        }
    };
    if let Source::ServiceAccount { name: account, .. } = &lookups.source {
        return (
            format!(
                "add {names} to the imagePullSecrets of ServiceAccount {account:?}, which the Pods get theirs from"
            ),
            format!(
                "kubectl patch serviceaccount {account} -n {ns} --type=json -p='{}'",
                ops("/imagePullSecrets")
            ),
        );
    }
    if kind == WorkloadKind::Pod {
        return (
            format!(
                "a Pod's imagePullSecrets cannot change: save its manifest, add {names} to its \
                 spec.imagePullSecrets and remove its status and metadata.resourceVersion, uid \
                 and creationTimestamp, then recreate it (next command)"
            ),
            format!("kubectl get pod {name} -n {ns} -o yaml > pod.yaml"),
        );
    }
    let path = format!(
        "/{}/imagePullSecrets",
        kind.pod_spec_path().replace('.', "/")
    );
    (
        format!(
            "add {names} to the imagePullSecrets of {}",
            explanation.object
        ),
        format!(
            "kubectl patch {} {name} -n {ns} --type=json -p='{}'",
            kind_resource(kind),
            ops(&path)
        ),
    )
}

fn kind_resource(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Pod => "pod",
        WorkloadKind::ReplicationController => "replicationcontroller",
        WorkloadKind::Deployment => "deployment",
        WorkloadKind::ReplicaSet => "replicaset",
        WorkloadKind::StatefulSet => "statefulset",
        WorkloadKind::DaemonSet => "daemonset",
        WorkloadKind::Job => "job",
        WorkloadKind::CronJob => "cronjob",
    }
}

/// How the Pods that already back off get the fix.
fn restart(kind: WorkloadKind, name: &str, ns: &str) -> Option<(String, String)> {
    let resource = kind_resource(kind);
    Some(match kind {
        WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => (
            format!("restart the {}'s Pods so that they pull again", resource),
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
        WorkloadKind::CronJob => return None,
        WorkloadKind::ReplicaSet | WorkloadKind::ReplicationController => (
            format!("delete the {resource}'s Pods, so that it recreates them with the fix"),
            format!("kubectl delete pods -n {ns} --selector=<the {resource}'s selector>"),
        ),
    })
}

/// The settings entry for an image: its registry, or `docker.io/<org>` for a Docker Hub image
/// (the whole of Docker Hub is not one registry to guard); none for an official image.
pub(crate) fn registry_entry(domain: &str, repository: &str) -> Option<String> {
    if domain != docker_hub::DOMAIN {
        return Some(domain.to_owned());
    }
    let org = repository.split_once('/').map(|(org, _)| org)?;
    (format!("{org}/") != docker_hub::OFFICIAL_PREFIX)
        .then(|| format!("{}/{org}", docker_hub::DOMAIN))
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
      resources: [\"pods\", \"pods/ephemeralcontainers\", \"replicationcontrollers\", \"secrets\"]
      operations: [\"CREATE\", \"UPDATE\"]
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
  settings:
{settings}",
        version = env!("CARGO_PKG_VERSION")
    )
}

/// Where the policy module is published (metadata.yml's `io.kubewarden.policy.ociUrl`).
const OCI_URL: &str = "ghcr.io/image-pull-secrets/policies/image-pull-secrets";
