//! The findings of the in-use check, in words: who still pulls with the Secret, from which
//! registry, and what to do instead. Names, kinds and registries only: no credential.

use super::check::{Change, Finding, InUse, User};
use crate::cluster::LookupError;
use crate::settings::PullSecretsInUse;
use crate::verdict::Verdict;
use crate::words::{joined, kubectl};

/// How many templates a message names; the rest are counted.
const NAMED: usize = 5;

/// The verdict: a rejection with `reject` when users were found and every kind was listed;
/// otherwise an acceptance, with the users and what could not be listed as warnings.
pub(crate) fn verdict(setting: PullSecretsInUse, found: &InUse<'_>) -> Verdict {
    let mut texts: Vec<String> = found.findings.iter().map(|f| finding(found, f)).collect();
    if !found.unlisted.is_empty() {
        texts.push(unlisted(found));
        return Verdict::Accept { warnings: texts };
    }
    if texts.is_empty() {
        return Verdict::accept();
    }
    match setting {
        PullSecretsInUse::Reject => Verdict::reject(texts.join(" ")),
        PullSecretsInUse::Warn | PullSecretsInUse::Allow => Verdict::Accept { warnings: texts },
    }
}

/// `a`, `a and b`, `a, b and c`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `Deployment web, CronJob nightly and 3 Pods`: up to five templates by kind and name, a
/// count of the others, and the Pods counted.
pub(crate) fn users(finding: &Finding) -> String {
    let shown = |u: &User| match &u.through {
        Some(account) => format!(
            "{} {} (through ServiceAccount {account})",
            u.kind.name(),
            u.name
        ),
        None => format!("{} {}", u.kind.name(), u.name),
    };
    let mut parts: Vec<String> = finding.templates.iter().take(NAMED).map(shown).collect();
    if finding.templates.len() > NAMED {
        let others = finding.templates.len() - NAMED;
        parts.push(count(others, "other workload", "other workloads"));
    }
    if finding.pods > 0 {
        parts.push(count(finding.pods, "Pod", "Pods"));
    }
    joined(&parts, "and")
}

fn finding(found: &InUse<'_>, finding: &Finding) -> String {
    let ns = found.namespace;
    let secret = &finding.secret;
    let verb = match finding.pods + finding.templates.len() {
        1 => "pulls",
        _ => "pull",
    };
    let registries = joined(&finding.registries, "and");
    let who = format!(
        "{} in {ns} {verb} from {registries} with {secret}",
        users(finding)
    );
    // One registry: the command that writes its key; `kubectl` writes one key per Secret.
    let command = match finding.registries.as_slice() {
        [registry] => format!(
            " (`{}`)",
            kubectl::create_pull_secret(secret, registry, Some(ns), true)
        ),
        _ => String::new(),
    };
    let (what, fails, instead) = match found.change {
        Change::SecretDeleted { .. } => (
            format!("Secret {secret:?} in namespace {ns:?} is still in use"),
            "fail (ImagePullBackOff) once it is deleted",
            format!(
                "update the Secret in place{command}, keeping a key for {registries}, or move \
                 them to another Secret first"
            ),
        ),
        Change::SecretUpdated { .. } => (
            format!("Secret {secret:?} in namespace {ns:?} would no longer serve {registries}"),
            "would fail (ImagePullBackOff)",
            format!(
                "keep a key for {registries} in it{command}, or move them to another Secret first"
            ),
        ),
        Change::ServiceAccount { account, deleted } => (
            format!(
                "ServiceAccount {account:?} in namespace {ns:?} {} pull secret {secret}",
                if deleted {
                    "is deleted with its"
                } else {
                    "would no longer give its Pods"
                }
            ),
            "would fail (ImagePullBackOff) in their new Pods: they list no imagePullSecrets of \
             their own",
            format!(
                "keep {secret} in the ServiceAccount, or list it (or another Secret that serves \
                 {registries}) in their own imagePullSecrets first"
            ),
        ),
    };
    format!("{what}: {who}, and their image pulls {fails}. Instead: {instead}.")
}

/// What could not be listed, and the grant that is missing.
fn unlisted(found: &InUse<'_>) -> String {
    let what = match found.change {
        Change::SecretDeleted { secret } | Change::SecretUpdated { secret } => ("Secret", secret),
        Change::ServiceAccount { account, .. } => ("ServiceAccount", account),
    };
    let mut entries: Vec<String> = Vec::new();
    let mut plurals: [Vec<String>; 2] = Default::default();
    for (kind, error) in &found.unlisted {
        let granted = *error != LookupError::NotGranted;
        plurals[usize::from(granted)].push(kind.plural.to_owned());
        if !granted {
            entries.push(format!(
                "{{apiVersion: {}, kind: {}}}",
                kind.api_version, kind.kind
            ));
        }
    }
    let mut why: Vec<String> = Vec::new();
    if !entries.is_empty() {
        why.push(format!(
            "the policy may not list {}: add {} to spec.contextAwareResources of the policy's \
             ClusterAdmissionPolicy",
            joined(&plurals[0], "and"),
            entries.join(", ")
        ));
    }
    if !plurals[1].is_empty() {
        why.push(format!(
            "the policy server could not list {}: let its ServiceAccount list and watch them \
             (policyServer.permissions of the kubewarden-defaults chart, or a ClusterRole of \
             your own)",
            joined(&plurals[1], "and")
        ));
    }
    format!(
        "{} {:?} in namespace {:?} was not checked for Pods and workloads that still pull with \
         it: {}.",
        what.0,
        what.1,
        found.namespace,
        why.join("; ")
    )
}

/// The Secret check's verdict and this one's, for one UPDATE: any rejection rejects, and
/// every message and warning is kept.
pub(crate) fn together(verdict: Verdict, in_use: Option<Verdict>) -> Verdict {
    let Some(in_use) = in_use else {
        return verdict;
    };
    let mut warnings = verdict.warnings().to_vec();
    warnings.extend_from_slice(in_use.warnings());
    let messages: Vec<&str> = [verdict.message(), in_use.message()]
        .into_iter()
        .flatten()
        .collect();
    if messages.is_empty() {
        return Verdict::Accept { warnings };
    }
    Verdict::Reject {
        message: messages.join(" "),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::WorkloadKind;
    use rstest::rstest;

    fn finding(
        registries: &[&str],
        templates: &[(WorkloadKind, &str, Option<&str>)],
        pods: usize,
    ) -> Finding {
        Finding {
            secret: "regcred".into(),
            registries: registries.iter().map(|r| r.to_string()).collect(),
            templates: templates
                .iter()
                .map(|(kind, name, through)| User {
                    kind: *kind,
                    name: name.to_string(),
                    through: through.map(str::to_owned),
                })
                .collect(),
            pods,
        }
    }

    fn found(change: Change<'static>, findings: Vec<Finding>) -> InUse<'static> {
        InUse {
            change,
            namespace: "team-a",
            findings,
            unlisted: Vec::new(),
        }
    }

    const WEB: (WorkloadKind, &str, Option<&str>) = (WorkloadKind::Deployment, "web", None);
    const NIGHTLY: (WorkloadKind, &str, Option<&str>) = (WorkloadKind::CronJob, "nightly", None);

    #[rstest]
    #[case::delete(
        Change::SecretDeleted { secret: "regcred" },
        &["private.registry.com"],
        "Secret \"regcred\" in namespace \"team-a\" is still in use: Deployment web, CronJob nightly and 3 Pods in team-a pull from private.registry.com with regcred, and their image pulls fail (ImagePullBackOff) once it is deleted. Instead: update the Secret in place (`kubectl create secret docker-registry regcred --docker-server=private.registry.com --docker-username=<user> --docker-password=<password> -n team-a --dry-run=client -o yaml | kubectl apply -f -`), keeping a key for private.registry.com, or move them to another Secret first."
    )]
    #[case::delete_two_registries(
        Change::SecretDeleted { secret: "regcred" },
        &["private.registry.com", "quay.io"],
        "in team-a pull from private.registry.com and quay.io with regcred, and their image pulls fail (ImagePullBackOff) once it is deleted. Instead: update the Secret in place, keeping a key for private.registry.com and quay.io, or move them"
    )]
    #[case::update(
        Change::SecretUpdated { secret: "regcred" },
        &["private.registry.com"],
        "Secret \"regcred\" in namespace \"team-a\" would no longer serve private.registry.com: Deployment web, CronJob nightly and 3 Pods in team-a pull from private.registry.com with regcred, and their image pulls would fail (ImagePullBackOff). Instead: keep a key for private.registry.com in it (`kubectl create secret docker-registry regcred --docker-server=private.registry.com"
    )]
    #[case::docker_hub(
        Change::SecretDeleted { secret: "regcred" },
        &["docker.io"],
        "--docker-server=https://index.docker.io/v1/ "
    )]
    #[case::service_account(
        Change::ServiceAccount { account: "builder", deleted: false },
        &["private.registry.com"],
        "ServiceAccount \"builder\" in namespace \"team-a\" would no longer give its Pods pull secret regcred: Deployment web, CronJob nightly and 3 Pods in team-a pull from private.registry.com with regcred, and their image pulls would fail (ImagePullBackOff) in their new Pods: they list no imagePullSecrets of their own. Instead: keep regcred in the ServiceAccount, or list it"
    )]
    fn messages(
        #[case] change: Change<'static>,
        #[case] registries: &[&str],
        #[case] expected: &str,
    ) {
        let found = found(change, vec![finding(registries, &[WEB, NIGHTLY], 3)]);
        let Verdict::Reject { message, warnings } = verdict(PullSecretsInUse::Reject, &found)
        else {
            panic!()
        };
        assert!(message.contains(expected), "{message}");
        assert!(warnings.is_empty());
        let warned = verdict(PullSecretsInUse::Warn, &found);
        assert!(warned.is_allowed());
        assert_eq!(warned.warnings(), [message]);
    }

    #[rstest]
    #[case::one_pod(&[], 1, "1 Pod")]
    #[case::one_template(&[WEB], 0, "Deployment web")]
    #[case::through(&[(WorkloadKind::Job, "j", Some("builder"))], 2, "Job j (through ServiceAccount builder) and 2 Pods")]
    #[case::six(&[WEB, WEB, WEB, WEB, WEB, NIGHTLY], 0, "Deployment web, Deployment web, Deployment web, Deployment web, Deployment web and 1 other workload")]
    fn users_named_and_counted(
        #[case] templates: &[(WorkloadKind, &str, Option<&str>)],
        #[case] pods: usize,
        #[case] expected: &str,
    ) {
        assert_eq!(users(&finding(&["a.io"], templates, pods)), expected);
    }

    #[test]
    fn one_user_pulls() {
        let found = found(
            Change::SecretDeleted { secret: "regcred" },
            vec![finding(&["a.io"], &[WEB], 0)],
        );
        assert!(
            verdict(PullSecretsInUse::Warn, &found).warnings()[0]
                .contains("Deployment web in team-a pulls from a.io")
        );
    }

    #[test]
    fn nothing_found_says_nothing() {
        let found = found(Change::SecretDeleted { secret: "regcred" }, Vec::new());
        assert_eq!(verdict(PullSecretsInUse::Reject, &found), Verdict::accept());
    }

    /// What cannot be listed is accepted, with what to grant, and the users that were found.
    #[test]
    fn unlisted_kinds_accept_with_the_grant_that_is_missing() {
        use crate::in_use::listing::list_kind;
        let mut found = found(
            Change::SecretDeleted { secret: "regcred" },
            vec![finding(&["a.io"], &[WEB], 0)],
        );
        found.unlisted = vec![
            (list_kind(WorkloadKind::Pod), LookupError::NotGranted),
            (list_kind(WorkloadKind::CronJob), LookupError::NotGranted),
            (list_kind(WorkloadKind::Job), LookupError::Failed),
        ];
        let verdict = verdict(PullSecretsInUse::Reject, &found);
        assert!(verdict.is_allowed());
        assert_eq!(verdict.warnings().len(), 2);
        assert_eq!(
            verdict.warnings()[1],
            "Secret \"regcred\" in namespace \"team-a\" was not checked for Pods and workloads \
             that still pull with it: the policy may not list pods and cronjobs: add \
             {apiVersion: v1, kind: Pod}, {apiVersion: batch/v1, kind: CronJob} to \
             spec.contextAwareResources of the policy's ClusterAdmissionPolicy; the policy \
             server could not list jobs: let its ServiceAccount list and watch them \
             (policyServer.permissions of the kubewarden-defaults chart, or a ClusterRole of \
             your own)."
        );
    }

    #[rstest]
    #[case::both_reject(Verdict::reject("a"), Some(Verdict::reject("b")), Some("a b"), 0)]
    #[case::secret_rejects(Verdict::reject("a"), Some(Verdict::Accept { warnings: vec!["w".into()] }), Some("a"), 1)]
    #[case::in_use_rejects(Verdict::Accept { warnings: vec!["v".into()] }, Some(Verdict::reject("b")), Some("b"), 1)]
    #[case::neither(Verdict::Accept { warnings: vec!["v".into()] }, Some(Verdict::Accept { warnings: vec!["w".into()] }), None, 2)]
    #[case::not_checked(Verdict::reject("a"), None, Some("a"), 0)]
    fn verdicts_together(
        #[case] secret: Verdict,
        #[case] in_use: Option<Verdict>,
        #[case] message: Option<&str>,
        #[case] warnings: usize,
    ) {
        let verdict = together(secret, in_use);
        assert_eq!(verdict.message(), message);
        assert_eq!(verdict.warnings().len(), warnings);
    }
}

#[cfg(test)]
mod check_tests {
    //! The check and its words, through the lists of users they name.
    use super::*;
    use crate::cluster::Objects;
    use crate::cluster::{Cluster, ListKind, LookupError, Resource};
    use crate::in_use::check::*;
    use crate::request::ValidationPayload;
    use crate::request::WorkloadKind;
    use crate::settings::Settings;
    use base64::Engine as _;
    use rstest::rstest;

    const NS: &str = "team-a";

    /// A Secret of `type` whose `.dockerconfigjson` holds `auths` (a JSON object).
    fn secret(name: &str, secret_type: &str, auths: &str) -> String {
        let content =
            base64::engine::general_purpose::STANDARD.encode(format!(r#"{{"auths":{auths}}}"#));
        format!(
            r#"{{"metadata":{{"name":"{name}","namespace":"{NS}"}},"type":"{secret_type}",
               "data":{{".dockerconfigjson":"{content}"}}}}"#
        )
    }

    const PULL: &str = "kubernetes.io/dockerconfigjson";
    /// `regcred` serving private.registry.com (u:p), as stored.
    const AUTHS: &str = r#"{"private.registry.com":{"auth":"dTpw"}}"#;

    fn regcred() -> String {
        secret("regcred", PULL, AUTHS)
    }

    fn pod_spec(images: &[&str], secrets: Option<&[&str]>, account: Option<&str>) -> String {
        let containers: Vec<String> = images
            .iter()
            .map(|i| format!(r#"{{"image":"{i}"}}"#))
            .collect();
        let mut spec = format!(r#""containers":[{}]"#, containers.join(","));
        if let Some(secrets) = secrets {
            let refs: Vec<String> = secrets
                .iter()
                .map(|s| format!(r#"{{"name":"{s}"}}"#))
                .collect();
            spec.push_str(&format!(r#","imagePullSecrets":[{}]"#, refs.join(",")));
        }
        if let Some(account) = account {
            spec.push_str(&format!(r#","serviceAccountName":"{account}""#));
        }
        format!("{{{spec}}}")
    }

    /// A listed item of `kind` (as the host serves it: metadata and the masked spec).
    fn item(kind: WorkloadKind, name: &str, extra_metadata: &str, spec: &str) -> String {
        let spec = match kind {
            WorkloadKind::Pod => spec.to_owned(),
            WorkloadKind::CronJob => {
                format!(r#"{{"jobTemplate":{{"spec":{{"template":{{"spec":{spec}}}}}}}}}"#)
            }
            _ => format!(r#"{{"replicas":0,"template":{{"spec":{spec}}}}}"#),
        };
        format!(r#"{{"metadata":{{"name":"{name}"{extra_metadata}}},"spec":{spec}}}"#)
    }

    /// The namespace's objects: each case adds to these.
    fn cluster(
        listed: &[(WorkloadKind, &str, &str, String)],
        accounts: &[(&str, &str)],
    ) -> Objects {
        let mut objects = Objects::new();
        for (kind, ns, extra, json) in listed {
            let _ = extra;
            objects.insert_listed(kind.name(), ns, json.clone().into_bytes());
        }
        for (name, json) in accounts {
            objects.insert(Resource::ServiceAccount, NS, name, json.as_bytes().to_vec());
        }
        objects
    }

    fn request(kind: &str, operation: &str, name: Option<&str>, object: &str, old: &str) -> String {
        let name = name
            .map(|n| format!(r#""name":"{n}","#))
            .unwrap_or_default();
        format!(
            r#"{{"request":{{"uid":"1","kind":{{"group":"","version":"v1","kind":"{kind}"}},
               {name}"namespace":"{NS}","operation":"{operation}","object":{object},
               "oldObject":{old}}},"settings":{{}}}}"#
        )
    }

    /// The findings, one line each: `secret: registries: users`; and the kinds not listed.
    fn check(payload: &str, cluster: &dyn Cluster, settings: &str) -> Option<Vec<String>> {
        let settings = Settings::from_json(settings.as_bytes()).unwrap();
        let parsed: ValidationPayload<'_> = serde_json::from_str(payload).unwrap();
        let found = check_in_use(&settings, &parsed.request, payload.as_bytes(), cluster)?;
        let mut lines: Vec<String> = found
            .findings
            .iter()
            .map(|f| format!("{}: {}: {}", f.secret, f.registries.join(" "), users(f)))
            .collect();
        lines.extend(
            found
                .unlisted
                .iter()
                .map(|(k, e)| format!("unlisted {}: {e}", k.kind)),
        );
        Some(lines)
    }

    const LOOKUPS: &str = r#"{"clusterLookups":true}"#;

    fn delete_regcred(cluster: &dyn Cluster) -> Option<Vec<String>> {
        check(
            &request("Secret", "DELETE", Some("regcred"), "null", &regcred()),
            cluster,
            LOOKUPS,
        )
    }

    use crate::request::WorkloadKind::*;
    const PRIVATE: &str = "private.registry.com/team/app:1";

    #[rstest]
    #[case::a_deployment_and_pods(
        vec![
            (Deployment, NS, "", item(Deployment, "web", "", &pod_spec(&[PRIVATE, "nginx"], Some(&["regcred"]), None))),
            (Pod, NS, "", item(Pod, "web-1", "", &pod_spec(&[PRIVATE], Some(&["regcred"]), None))),
            (Pod, NS, "", item(Pod, "web-2", "", &pod_spec(&[PRIVATE], Some(&["other", "regcred"]), None))),
        ],
        &[],
        &["regcred: private.registry.com: Deployment web and 2 Pods"]
    )]
    #[case::unused(
        vec![(Deployment, NS, "", item(Deployment, "web", "", &pod_spec(&[PRIVATE], Some(&["other"]), None)))],
        &[],
        &[]
    )]
    #[case::only_public_images(
        vec![(Pod, NS, "", item(Pod, "p", "", &pod_spec(&["nginx", "gcr.io/p/a"], Some(&["regcred"]), None)))],
        &[],
        &[]
    )]
    #[case::through_the_service_account(
        vec![
            (Deployment, NS, "", item(Deployment, "web", "", &pod_spec(&[PRIVATE], None, Some("builder")))),
            (CronJob, NS, "", item(CronJob, "nightly", "", &pod_spec(&[PRIVATE], None, None))),
            (Job, NS, "", item(Job, "own", "", &pod_spec(&[PRIVATE], Some(&["x"]), Some("builder")))),
        ],
        &[("builder", r#"{"imagePullSecrets":[{"name":"regcred"}]}"#), ("default", "{}")],
        &["regcred: private.registry.com: Deployment web (through ServiceAccount builder)"]
    )]
    #[case::scaled_to_zero_and_owned(
        vec![
            (Deployment, NS, "", item(Deployment, "web", "", &pod_spec(&[PRIVATE], Some(&["regcred"]), None))),
            (ReplicaSet, NS, "", item(ReplicaSet, "web-5d8",
                r#","ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}]"#,
                &pod_spec(&[PRIVATE], Some(&["regcred"]), None))),
            (ReplicaSet, NS, "", item(ReplicaSet, "bare", "", &pod_spec(&[PRIVATE], Some(&["regcred"]), None))),
            (Job, NS, "", item(Job, "nightly-28", r#","ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"nightly"}]"#,
                &pod_spec(&[PRIVATE], Some(&["regcred"]), None))),
            (CronJob, NS, "", item(CronJob, "nightly", "", &pod_spec(&[PRIVATE], Some(&["regcred"]), None))),
        ],
        &[],
        &["regcred: private.registry.com: Deployment web, CronJob nightly and ReplicaSet bare"]
    )]
    #[case::another_namespace(
        vec![(Deployment, "team-b", "", item(Deployment, "web", "", &pod_spec(&[PRIVATE], Some(&["regcred"]), None)))],
        &[],
        &[]
    )]
    #[case::many(
        (0..7).map(|i| (StatefulSet, NS, "", item(StatefulSet, &format!("s{i}"), "", &pod_spec(&[PRIVATE], Some(&["regcred"]), None)))).collect(),
        &[],
        &["regcred: private.registry.com: StatefulSet s0, StatefulSet s1, StatefulSet s2, StatefulSet s3, StatefulSet s4 and 2 other workloads"]
    )]
    fn secret_delete(
        #[case] listed: Vec<(WorkloadKind, &str, &str, String)>,
        #[case] accounts: &[(&str, &str)],
        #[case] expected: &[&str],
    ) {
        let cluster = cluster(&listed, accounts);
        assert_eq!(delete_regcred(&cluster).unwrap(), expected);
    }

    fn used() -> Objects {
        cluster(
            &[
                (
                    Deployment,
                    NS,
                    "",
                    item(
                        Deployment,
                        "web",
                        "",
                        &pod_spec(&[PRIVATE, "mycompany/app"], Some(&["regcred"]), None),
                    ),
                ),
                (
                    Pod,
                    NS,
                    "",
                    item(
                        Pod,
                        "web-1",
                        "",
                        &pod_spec(&[PRIVATE], Some(&["regcred"]), None),
                    ),
                ),
            ],
            &[],
        )
    }

    /// Through the module's `validate`: the verdict the setting asks for, and other kinds'
    /// DELETEs untouched.
    #[rstest]
    #[case::warn("warn", true, 1)]
    #[case::reject("reject", false, 0)]
    #[case::allow("allow", true, 0)]
    fn through_validate(#[case] setting: &str, #[case] accepted: bool, #[case] warnings: usize) {
        let settings =
            format!(r#""settings":{{"clusterLookups":true,"pullSecretsInUse":"{setting}"}}"#);
        let payload = request("Secret", "DELETE", Some("regcred"), "null", &regcred())
            .replace(r#""settings":{}"#, &settings);
        let answer: serde_json::Value = serde_json::from_slice(&crate::kubewarden::validate(
            payload.as_bytes(),
            &used(),
            crate::when::UnixTime::TEST_NOW,
        ))
        .unwrap();
        assert_eq!(answer["accepted"], accepted, "{answer}");
        let warned = answer["warnings"].as_array().map_or(0, Vec::len);
        assert_eq!(warned, warnings, "{answer}");
        if !accepted {
            let message = answer["message"].as_str().unwrap();
            assert!(
                message.contains("is still in use: Deployment web and 1 Pod"),
                "{message}"
            );
        }
        let deployment = payload
            .replace(r#""kind":"Secret""#, r#""kind":"Deployment""#)
            .replace(r#""group":"""#, r#""group":"apps""#);
        let answer = crate::kubewarden::validate(
            deployment.as_bytes(),
            &used(),
            crate::when::UnixTime::TEST_NOW,
        );
        assert_eq!(
            std::str::from_utf8(&answer).unwrap(),
            r#"{"accepted":true,"message":null,"code":null,"mutated_object":null,"audit_annotations":null,"warnings":null}"#
        );
    }

    #[test]
    fn deletecollection_takes_the_name_from_the_old_object() {
        let payload = request("Secret", "DELETE", None, "null", &regcred());
        assert_eq!(
            check(&payload, &used(), LOOKUPS).unwrap(),
            ["regcred: private.registry.com: Deployment web and 1 Pod"]
        );
    }

    #[rstest]
    #[case::lookups_off("{}")]
    #[case::allowed(r#"{"clusterLookups":true,"pullSecretsInUse":"allow"}"#)]
    fn not_checked(#[case] settings: &str) {
        let payload = request("Secret", "DELETE", Some("regcred"), "null", &regcred());
        assert_eq!(check(&payload, &used(), settings), None);
    }

    #[rstest]
    #[case::opaque(secret("regcred", "Opaque", AUTHS))]
    #[case::no_credentials(secret("regcred", PULL, r#"{"private.registry.com":{"email":"x"}}"#))]
    #[case::poison(secret("regcred", PULL, r#"{"private.registry.com":{"auth":"!"}}"#))]
    fn secrets_that_serve_nothing_are_deleted_without_a_lookup(#[case] old: String) {
        // No list is answered: a lookup would show as `unlisted`.
        let payload = request("Secret", "DELETE", Some("regcred"), "null", &old);
        assert_eq!(check(&payload, &crate::cluster::NoCluster, LOOKUPS), None);
    }

    #[test]
    fn a_docker_hub_fallback_key_serves_docker_hub_images() {
        let old = secret(
            "regcred",
            PULL,
            r#"{"https://index.docker.io/v1/":{"auth":"dTpw"}}"#,
        );
        let payload = request("Secret", "DELETE", Some("regcred"), "null", &old);
        assert_eq!(
            check(&payload, &used(), LOOKUPS).unwrap(),
            ["regcred: docker.io: Deployment web"]
        );
    }

    #[rstest]
    #[case::drops_the_key(
        r#"{"quay.io":{"auth":"dTpw"}}"#,
        PULL,
        Some("regcred: private.registry.com: Deployment web and 1 Pod")
    )]
    #[case::renamed_to_another_host(
        r#"{"private.registry.org":{"auth":"dTpw"}}"#,
        PULL,
        Some("regcred: private.registry.com: Deployment web and 1 Pod")
    )]
    #[case::opaque_now(
        AUTHS,
        "Opaque",
        Some("regcred: private.registry.com: Deployment web and 1 Pod")
    )]
    #[case::poison_now(
        r#"{"private.registry.com":{"auth":"!!"}}"#,
        PULL,
        Some("regcred: private.registry.com: Deployment web and 1 Pod")
    )]
    #[case::rotated_password(r#"{"private.registry.com":{"auth":"dTpx"}}"#, PULL, None)]
    #[case::https_key(r#"{"https://private.registry.com":{"auth":"dTpw"}}"#, PULL, None)]
    #[case::key_added(
        r#"{"private.registry.com":{"auth":"dTpw"},"quay.io":{"auth":"dTpw"}}"#,
        PULL,
        None
    )]
    #[case::same(AUTHS, PULL, None)]
    fn secret_update(
        #[case] auths: &str,
        #[case] secret_type: &str,
        #[case] expected: Option<&str>,
    ) {
        let new = secret("regcred", secret_type, auths);
        let payload = request("Secret", "UPDATE", Some("regcred"), &new, &regcred());
        let found = check(&payload, &used(), LOOKUPS);
        match expected {
            Some(line) => assert_eq!(found.unwrap(), [line]),
            None => assert!(found.as_ref().is_none_or(|f| f.is_empty()), "{found:?}"),
        }
    }

    fn account(secrets: &[&str]) -> String {
        let refs: Vec<String> = secrets
            .iter()
            .map(|s| format!(r#"{{"name":"{s}"}}"#))
            .collect();
        format!(
            r#"{{"metadata":{{"name":"builder","namespace":"{NS}"}},"imagePullSecrets":[{}]}}"#,
            refs.join(",")
        )
    }

    fn relying() -> Objects {
        let mut objects = cluster(
            &[
                (
                    Deployment,
                    NS,
                    "",
                    item(
                        Deployment,
                        "web",
                        "",
                        &pod_spec(&[PRIVATE], None, Some("builder")),
                    ),
                ),
                (
                    CronJob,
                    NS,
                    "",
                    item(
                        CronJob,
                        "nightly",
                        "",
                        &pod_spec(&[PRIVATE], None, Some("builder")),
                    ),
                ),
                (
                    Deployment,
                    NS,
                    "",
                    item(
                        Deployment,
                        "own",
                        "",
                        &pod_spec(&[PRIVATE], Some(&["x"]), Some("builder")),
                    ),
                ),
                (
                    Deployment,
                    NS,
                    "",
                    item(Deployment, "default", "", &pod_spec(&[PRIVATE], None, None)),
                ),
                (
                    Pod,
                    NS,
                    "",
                    item(
                        Pod,
                        "web-1",
                        "",
                        &pod_spec(&[PRIVATE], Some(&["regcred"]), None),
                    ),
                ),
            ],
            &[],
        );
        objects.insert(Resource::Secret, NS, "regcred", regcred().into_bytes());
        objects.insert(
            Resource::Secret,
            NS,
            "public",
            secret("public", "Opaque", "{}").into_bytes(),
        );
        objects
    }

    #[rstest]
    #[case::drops_it("UPDATE", &["regcred", "other"], &["other"], &["regcred: private.registry.com: Deployment web (through ServiceAccount builder) and CronJob nightly (through ServiceAccount builder)"])]
    #[case::deleted("DELETE", &["regcred"], &[], &["regcred: private.registry.com: Deployment web (through ServiceAccount builder) and CronJob nightly (through ServiceAccount builder)"])]
    #[case::keeps_it("UPDATE", &["regcred"], &["other", "regcred"], &[])]
    #[case::drops_a_missing_one("UPDATE", &["regcred", "gone"], &["regcred"], &[])]
    #[case::drops_one_that_serves_nothing("UPDATE", &["public"], &[], &[])]
    fn service_account(
        #[case] operation: &str,
        #[case] old: &[&str],
        #[case] new: &[&str],
        #[case] expected: &[&str],
    ) {
        let object = if operation == "DELETE" {
            "null".to_owned()
        } else {
            account(new)
        };
        let payload = request(
            "ServiceAccount",
            operation,
            Some("builder"),
            &object,
            &account(old),
        );
        let found = check(&payload, &relying(), LOOKUPS);
        assert_eq!(found.unwrap_or_default(), expected);
    }

    /// A host that reads objects but may not list: every kind is reported, nothing is found.
    struct NoLists(Objects);

    impl Cluster for NoLists {
        fn get(&self, r: Resource, ns: &str, name: &str) -> Result<Vec<u8>, LookupError> {
            self.0.get(r, ns, name)
        }
    }

    #[test]
    fn kinds_that_cannot_be_listed_are_reported() {
        let found = delete_regcred(&NoLists(used())).unwrap();
        assert_eq!(found.len(), 8);
        assert_eq!(found[0], "unlisted Pod: not granted to the policy");
    }

    /// A rejection reads the ServiceAccounts again, past the cache; a warning does not.
    #[rstest]
    #[case::warn("warn", &[false])]
    #[case::reject("reject", &[false, true])]
    fn a_rejection_reads_past_the_cache(#[case] setting: &str, #[case] reads: &[bool]) {
        struct Counting {
            objects: Objects,
            reads: std::cell::RefCell<Vec<bool>>,
        }
        impl Cluster for Counting {
            fn get(&self, r: Resource, ns: &str, name: &str) -> Result<Vec<u8>, LookupError> {
                self.reads.borrow_mut().push(false);
                self.objects.get(r, ns, name)
            }
            fn get_uncached(&self, r: Resource, ns: &str, n: &str) -> Result<Vec<u8>, LookupError> {
                self.reads.borrow_mut().push(true);
                self.objects.get(r, ns, n)
            }
            fn list(&self, kind: &ListKind, ns: &str) -> Result<Vec<u8>, LookupError> {
                self.objects.list(kind, ns)
            }
        }
        let cluster = Counting {
            objects: cluster(
                &[(
                    Deployment,
                    NS,
                    "",
                    item(Deployment, "web", "", &pod_spec(&[PRIVATE], None, None)),
                )],
                &[("default", r#"{"imagePullSecrets":[{"name":"regcred"}]}"#)],
            ),
            reads: Default::default(),
        };
        let settings = format!(r#"{{"clusterLookups":true,"pullSecretsInUse":"{setting}"}}"#);
        let payload = request("Secret", "DELETE", Some("regcred"), "null", &regcred());
        assert_eq!(check(&payload, &cluster, &settings).unwrap().len(), 1);
        assert_eq!(*cluster.reads.borrow(), reads);
    }
}
