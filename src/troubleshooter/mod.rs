//! The troubleshooter's view of a workload that already fails to pull: for each container, the
//! chain the kubelet follows from the image as written to the credentials it sends, or why it
//! sends none, with the policy's own checks and words. Pure, like the checks: the Secrets and
//! the ServiceAccount come in through a [`Cluster`] (on the page, the objects its user pasted),
//! and the rules are the policy's, not copies.

mod chain;
mod explanation;
mod plan;
mod words;

use serde::Deserialize;

pub use explanation::{
    ContainerChain, ContainerVerdict, Explanation, FixCommand, KeyHeld, KeyMiss, KeyRef,
    PolicyVerdict, Prevention, PullSecretsUsed, SecretHeld, SecretState,
};

use crate::cluster::{Cluster, LookupError};
use crate::kubelet::dockerconfig::CredentialEnd;
use crate::kubelet::keyring::State;
use crate::kubelet::lookups::{Lookups, Source};
use crate::kubelet::reference::ImageRef;
use crate::pods::check::{At, PodProblem, review_pod_spec};
use crate::request::{Object, WorkloadKind};
use crate::settings::Settings;
use crate::verdict::{Kind, Subject};
use crate::when::UnixTime;
use crate::words::when;

/// The kind of an object, as written in it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    #[serde(borrow, default)]
    api_version: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<std::borrow::Cow<'a, str>>,
}

/// The workload kind of an object (its JSON), if it is one the policy checks.
pub fn workload_kind(object: &[u8]) -> Option<&'static str> {
    kind_of(object).map(Kind::name)
}

fn kind_of(object: &[u8]) -> Option<WorkloadKind> {
    let head: Head<'_> = serde_json::from_slice(object).ok()?;
    let api_version = head.api_version.as_deref().unwrap_or("v1");
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    WorkloadKind::from_group_kind(group, head.kind.as_deref()?)
}

/// Explains `object` (a Pod or a workload, as JSON), its pull secrets read from `cluster`, and
/// with `settings` the policy's verdict on it. Credentials that say when they stop working are
/// judged as of `now` (the page passes `Date.now()`).
pub fn explain(
    object: &[u8],
    settings: Option<&Settings>,
    cluster: &dyn Cluster,
    now: UnixTime,
) -> Result<Explanation, String> {
    let kind = kind_of(object).ok_or_else(|| format!("not a {}", WorkloadKind::in_prose(true)))?;
    let parsed: Object<'_> = serde_json::from_slice(object).map_err(|e| {
        format!(
            "the {} cannot be read: {}",
            kind.name(),
            e.to_string().split(" at line").next().unwrap_or_default()
        )
    })?;
    let spec = kind
        .pod_spec(&parsed)
        .ok_or_else(|| format!("the {} has no pod template", kind.name()))?;
    let metadata = parsed.metadata.as_ref();
    let name = metadata
        .and_then(|m| m.name.as_deref())
        .unwrap_or("<unnamed>")
        .to_owned();
    let namespace = metadata
        .and_then(|m| m.namespace.as_deref())
        .unwrap_or("default")
        .to_owned();
    let subject = Subject {
        kind,
        name: Some(name.as_str().into()),
        namespace: Some(namespace.as_str()),
        create: true,
    };
    let lookups = Lookups::fetch(cluster, kind, spec, &namespace);
    // The chain is the kubelet's, so it is always read from the objects given; the policy's
    // verdict is what the settings make of the pod spec.
    let all_settings = Settings::none();
    let settings_used = settings.unwrap_or(&all_settings);
    let review = crate::pods::check::review_pod_spec(
        settings_used,
        &subject,
        spec,
        None,
        Some(&lookups),
        now,
    );
    let policy_review = settings.map(|s| {
        let lookups = s.cluster_lookups().then_some(&lookups);
        review_pod_spec(s, &subject, spec, None, lookups, now)
    });
    let secrets = held(&lookups, &review, now);
    let poisoned = secrets.iter().find(|s| s.state == SecretState::Poison);
    let missing = secrets
        .iter()
        .find(|s| matches!(s.state, SecretState::Missing | SecretState::Unreadable));
    let account_missing = match &lookups.source {
        Source::ServiceAccount {
            name,
            read: Err(error),
        } => Some(words::service_account_unreadable(name, &namespace, *error)),
        _ => None,
    };

    let mut containers = Vec::new();
    // Per container, the same misses as data: the plan reads these, never the words.
    let mut misses: Vec<Vec<chain::Miss>> = Vec::new();
    for (role, container) in spec.all_containers() {
        let Some(image) = container.image.as_deref().filter(|i| !i.is_empty()) else {
            continue;
        };
        let policy_problem = policy_review.as_ref().and_then(|r| {
            r.problems
                .iter()
                .find(|p| p.at().container == &*container.name && p.at().role == role)
                .map(|p| crate::pods::words::problem(settings_used, r, p))
        });
        let mut chain = ContainerChain {
            role: role.noun().to_owned(),
            name: container.name.to_string(),
            image: image.to_owned(),
            registry: None,
            repository: None,
            invalid: None,
            sends: None,
            fixed_by: None,
            misses: Vec::new(),
            verdict: ContainerVerdict::NoCredentials,
            finding: String::new(),
        };
        let reference = match ImageRef::parse(image) {
            Ok(reference) => reference,
            Err(error) => {
                chain.invalid = Some(error.to_string());
                chain.verdict = ContainerVerdict::Fails;
                chain.finding = crate::pods::words::problem(
                    settings_used,
                    &review,
                    &PodProblem::InvalidImage {
                        at: At {
                            role,
                            container: &container.name,
                            image,
                        },
                        error,
                    },
                );
                containers.push(chain);
                misses.push(Vec::new());
                continue;
            }
        };
        chain.registry = Some(reference.domain().to_owned());
        chain.repository = Some(reference.path().to_owned());
        let matches = lookups.keyring.lookup(&reference);
        let sent = matches.iter().find(|m| m.held.works_at(now));
        chain.sends = sent.map(|m| KeyRef {
            secret: lookups.keyring.secrets[m.secret].name.clone(),
            key: m.held.shown.to_string(),
            expires: m.held.end(now).map(|end| when::ends(&end)),
        });
        let missed = chain::misses(&lookups, &matches, &reference, now);
        chain.misses = missed
            .iter()
            .map(|m| KeyMiss {
                secret: m.secret.clone(),
                key: m.key.clone(),
                why: words::miss(&m.why),
            })
            .collect();
        let expired: Vec<(&str, &str, CredentialEnd)> = missed
            .iter()
            .filter_map(|m| Some((m.secret.as_str(), m.key.as_str(), m.why.expired()?)))
            .collect();
        (chain.verdict, chain.finding) = if let Some(poisoned) = poisoned {
            (
                ContainerVerdict::Fails,
                poisoned.finding.clone().unwrap_or_default(),
            )
        } else if let Some(problem) = policy_problem {
            (ContainerVerdict::Fails, problem)
        } else if let Some(m) = sent {
            (
                ContainerVerdict::SendsCredentials,
                words::sends(&lookups.keyring.secrets[m.secret].name, &m.held.shown),
            )
        } else if !expired.is_empty() {
            (ContainerVerdict::Fails, words::all_expired(&expired))
        } else if let Some(missing) = missing {
            (
                ContainerVerdict::Fails,
                missing.finding.clone().unwrap_or_default(),
            )
        } else if let Some(account) = &account_missing {
            (ContainerVerdict::Fails, account.clone())
        } else {
            (
                ContainerVerdict::NoCredentials,
                words::no_credentials(reference.domain(), !matches.is_empty()),
            )
        };
        misses.push(missed);
        containers.push(chain);
    }

    let policy = policy_review.as_ref().map(|r| {
        let verdict = crate::pods::words::verdict(settings_used, r);
        PolicyVerdict {
            allowed: verdict.is_allowed(),
            message: verdict.message().map(str::to_owned),
            warnings: verdict.warnings().to_vec(),
        }
    });
    let plan = plan::plan(
        kind,
        settings,
        &lookups,
        &secrets
            .iter()
            .map(|s| plan::Secret {
                name: &s.name,
                state: s.state,
            })
            .collect::<Vec<_>>(),
        &containers
            .iter()
            .zip(&misses)
            .map(|(c, misses)| plan::Container {
                registry: c.registry.as_deref(),
                repository: c.repository.as_deref(),
                invalid: c.invalid.is_some(),
                verdict: c.verdict,
                sends: c.sends.as_ref().map(|k| k.secret.as_str()),
                misses,
            })
            .collect::<Vec<_>>(),
    );
    for container in &mut containers {
        container.fixed_by = plan
            .serving
            .iter()
            .find(|(domain, _)| container.registry.as_ref() == Some(domain))
            .map(|(_, secret)| secret.clone());
    }
    let remaining = words::remaining(&containers, plan.lacking);
    Ok(Explanation {
        object: format!("{}/{name}", kind.name()),
        kind,
        pull_secrets: PullSecretsUsed {
            names: lookups
                .keyring
                .secrets
                .iter()
                .map(|s| s.name.clone())
                .collect(),
            service_account: match &lookups.source {
                Source::ServiceAccount { name, .. } => Some(name.clone()),
                Source::Own => None,
            },
            source: words::source(&lookups.source),
        },
        secrets,
        containers,
        policy,
        fixes: plan
            .fixes
            .iter()
            .map(|fix| words::fix_command(fix, kind, &name, &namespace))
            .collect(),
        remaining,
        name,
        namespace,
    })
}

/// [`Prevention`] for `explanations`: the policy that would have caught their mistakes.
pub fn prevention(explanations: &[Explanation]) -> Prevention {
    let settings = words::settings_yaml(&plan::prevention(explanations));
    Prevention {
        policy: words::policy_yaml(&settings),
        settings,
    }
}

/// The pull secrets in use, as the page shows them.
fn held(
    lookups: &Lookups,
    review: &crate::pods::check::PodReview<'_>,
    now: UnixTime,
) -> Vec<SecretHeld> {
    let findings = words::secret_findings(review);
    lookups
        .keyring
        .secrets
        .iter()
        .map(|secret| {
            let state = match &secret.state {
                State::Unavailable(LookupError::NotFound) => SecretState::Missing,
                State::Unavailable(_) => SecretState::Unreadable,
                State::Ignored(_) => SecretState::Ignored,
                State::Poison { .. } => SecretState::Poison,
                State::Usable { .. } => SecretState::Usable,
            };
            let keys = match &secret.state {
                State::Usable { keys, .. } => keys
                    .iter()
                    .map(|held| {
                        let end = held.end(now);
                        KeyHeld {
                            key: held.shown.to_string(),
                            reads_as: held.key.as_ref().ok().map(ToString::to_string),
                            credentials: held.has_credentials,
                            dropped: held.key.as_ref().err().map(ToString::to_string),
                            expires: end.map(|end| when::ends(&end)),
                            expired: end.is_some_and(CredentialEnd::is_expired),
                        }
                    })
                    .collect(),
                _ => Vec::new(),
            };
            SecretHeld {
                finding: findings
                    .iter()
                    .find(|(name, _)| *name == secret.name)
                    .map(|(_, f)| f.clone())
                    .or_else(|| words::useless(&secret.state)),
                name: secret.name.clone(),
                state,
                keys,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Objects, Resource};
    use base64::Engine as _;
    use serde_json::json;

    fn explain(
        object: &[u8],
        settings: Option<&Settings>,
        cluster: &dyn Cluster,
    ) -> Result<Explanation, String> {
        super::explain(object, settings, cluster, UnixTime::TEST_NOW)
    }

    fn pull_secret(name: &str, auths: serde_json::Value) -> (String, Vec<u8>) {
        let content =
            base64::engine::general_purpose::STANDARD.encode(json!({ "auths": auths }).to_string());
        let secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": "team-a"},
            "type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": content}});
        (name.to_owned(), secret.to_string().into_bytes())
    }

    fn cluster(secrets: &[(String, Vec<u8>)]) -> Objects {
        let mut objects = Objects::new();
        for (name, json) in secrets {
            objects.insert(Resource::Secret, "team-a", name, json.clone());
        }
        objects
    }

    fn pod(image: &str, secrets: &[&str]) -> Vec<u8> {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "team-a"},
            "spec": {"containers": [{"name": "app", "image": image}],
                     "imagePullSecrets": secrets.iter().map(|s| json!({"name": s})).collect::<Vec<_>>()}})
        .to_string()
        .into_bytes()
    }

    const AUTH: &str = "dTpw";

    #[test]
    fn a_pod_with_no_secret() {
        let e = explain(
            &pod("private.registry.com/team/app:1", &[]),
            None,
            &Objects::new(),
        )
        .unwrap();
        let c = &e.containers[0];
        assert_eq!(c.verdict, ContainerVerdict::NoCredentials);
        assert_eq!(c.registry.as_deref(), Some("private.registry.com"));
        assert_eq!(c.repository.as_deref(), Some("team/app"));
        assert!(c.finding.contains("no pull secret the Pods use holds a key the kubelet would send for private.registry.com"), "{c:?}");
        let commands: Vec<&str> = e.fixes.iter().map(|f| f.command.as_str()).collect();
        assert_eq!(
            commands[0],
            "kubectl create secret docker-registry regcred --docker-server=private.registry.com --docker-username=<user> --docker-password=<password> -n team-a"
        );
        assert!(
            commands[1].starts_with("kubectl get pod web -n team-a -o yaml"),
            "{commands:?}"
        );
        assert_eq!(
            commands[2],
            "kubectl delete pod web -n team-a && kubectl apply -f pod.yaml"
        );
    }

    #[test]
    fn a_secret_for_the_wrong_host() {
        let secrets = [pull_secret(
            "regcred",
            json!({"my-private.registry.com": {"auth": AUTH}}),
        )];
        let e = explain(
            &pod("private.registry.com/app", &["regcred"]),
            None,
            &cluster(&secrets),
        )
        .unwrap();
        let c = &e.containers[0];
        assert_eq!(c.verdict, ContainerVerdict::NoCredentials);
        assert_eq!(c.misses[0].why, "the host looks like a typo");
        assert!(
            e.fixes[0].command.contains(
                "kubectl create secret docker-registry regcred --docker-server=private.registry.com"
            ),
            "{:?}",
            e.fixes
        );
        assert!(
            e.fixes[0]
                .command
                .ends_with("--dry-run=client -o yaml | kubectl apply -f -")
        );
    }

    #[test]
    fn a_missing_port() {
        let secrets = [pull_secret(
            "local",
            json!({"registry.local": {"auth": AUTH}}),
        )];
        let e = explain(
            &pod("registry.local:5000/app", &["local"]),
            None,
            &cluster(&secrets),
        )
        .unwrap();
        let c = &e.containers[0];
        assert_eq!(
            c.misses[0].why,
            "the port differs: the key has no port, the images port 5000"
        );
        assert!(
            e.fixes[0]
                .command
                .contains("--docker-server=registry.local:5000")
        );
    }

    #[test]
    fn the_docker_hub_default_key() {
        let secrets = [pull_secret(
            "regcred",
            json!({"https://index.docker.io/v1/": {"auth": AUTH}}),
        )];
        let e = explain(
            &pod("private.registry.com/app", &["regcred"]),
            None,
            &cluster(&secrets),
        )
        .unwrap();
        let miss = &e.containers[0].misses[0];
        assert_eq!(miss.key, "\"https://index.docker.io/v1/\"");
        assert!(miss.why.contains("--docker-server is left out"));
        assert_eq!(
            e.secrets[0].keys[0].reads_as.as_deref(),
            Some("index.docker.io")
        );
        // ... which does serve Docker Hub images.
        let e = explain(&pod("myorg/app", &["regcred"]), None, &cluster(&secrets)).unwrap();
        assert_eq!(e.containers[0].verdict, ContainerVerdict::SendsCredentials);
        assert!(
            e.remaining
                .as_deref()
                .unwrap()
                .contains("docker login https://index.docker.io/v1/"),
            "{e:?}"
        );
        assert!(e.fixes.is_empty());
    }

    #[test]
    fn a_poison_secret() {
        let secrets = [pull_secret(
            "regcred",
            json!({"private.registry.com": {"auth": "not base64!"}}),
        )];
        let e = explain(&pod("nginx", &["regcred"]), None, &cluster(&secrets)).unwrap();
        assert_eq!(e.secrets[0].state, SecretState::Poison);
        let c = &e.containers[0];
        assert_eq!(c.verdict, ContainerVerdict::Fails);
        assert!(
            c.finding.contains("cannot be decoded by the kubelet")
                && c.finding.contains("public images included"),
            "{c:?}"
        );
        assert!(
            e.fixes[0]
                .command
                .ends_with("--dry-run=client -o yaml | kubectl apply -f -")
        );
    }

    #[test]
    fn a_deployment_relying_on_its_service_account() {
        let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "team-a"},
            "spec": {"template": {"spec": {"serviceAccountName": "builder",
                "containers": [{"name": "app", "image": "private.registry.com/api:2"}]}}}});
        let mut objects = cluster(&[pull_secret(
            "regcred",
            json!({"private.registry.com": {"auth": AUTH}}),
        )]);
        objects.insert(
            Resource::ServiceAccount,
            "team-a",
            "builder",
            json!({"imagePullSecrets": [{"name": "regcred"}]})
                .to_string()
                .into_bytes(),
        );
        let e = explain(deployment.to_string().as_bytes(), None, &objects).unwrap();
        assert_eq!(e.pull_secrets.names, ["regcred"]);
        assert!(
            e.pull_secrets
                .source
                .starts_with("ServiceAccount \"builder\"")
        );
        assert_eq!(e.pull_secrets.service_account.as_deref(), Some("builder"));
        assert_eq!(e.containers[0].verdict, ContainerVerdict::SendsCredentials);
        // Without the ServiceAccount, the Pods cannot even be created.
        let e = explain(deployment.to_string().as_bytes(), None, &Objects::new()).unwrap();
        assert_eq!(e.containers[0].verdict, ContainerVerdict::Fails);
        assert!(
            e.fixes
                .iter()
                .any(|f| f.command == "kubectl create serviceaccount builder -n team-a"),
            "{:?}",
            e.fixes
        );
    }

    #[test]
    fn a_missing_secret_and_the_policys_verdict() {
        let settings = Settings::from_json(
            br#"{"registries":[{"registry":"private.registry.com","pullSecrets":["regcred"]}]}"#,
        )
        .unwrap();
        let e = explain(
            &pod("private.registry.com/app", &["other"]),
            Some(&settings),
            &Objects::new(),
        )
        .unwrap();
        assert_eq!(e.secrets[0].state, SecretState::Missing);
        let c = &e.containers[0];
        assert_eq!(c.verdict, ContainerVerdict::Fails);
        assert!(
            c.finding
                .contains("needs the pull secret regcred, but imagePullSecrets lists other"),
            "{c:?}"
        );
        let policy = e.policy.unwrap();
        assert!(
            !policy.allowed
                && policy
                    .message
                    .unwrap()
                    .starts_with("Pod \"web\" in namespace \"team-a\"")
        );
    }

    #[test]
    fn no_credential_reaches_the_explanation() {
        let secrets = [pull_secret(
            "regcred",
            json!({"robot:S3cretPw@private.registry.co": {"auth": "cm9ib3Q6UzNjcmV0UHc=", "password": "S3cretPw"}}),
        )];
        let e = explain(
            &pod("private.registry.com/app", &["regcred"]),
            None,
            &cluster(&secrets),
        )
        .unwrap();
        let text = serde_json::to_string(&e).unwrap();
        assert!(
            !text.contains("S3cretPw") && !text.contains("robot") && !text.contains("cm9ib3Q"),
            "{text}"
        );
    }

    #[test]
    fn prevention_is_a_policy_that_would_have_caught_it() {
        let secrets = [pull_secret(
            "regcred",
            json!({"https://index.docker.io/v1/": {"auth": AUTH}}),
        )];
        let objects = cluster(&secrets);
        let explanations = [
            explain(
                &pod("private.registry.com/app", &["regcred"]),
                None,
                &objects,
            )
            .unwrap(),
            explain(&pod("myorg/tool:1", &["regcred"]), None, &objects).unwrap(),
            explain(&pod("nginx", &[]), None, &objects).unwrap(),
        ];
        let p = prevention(&explanations);
        let settings: serde_json::Value = serde_norway::from_str(&p.settings).unwrap();
        assert_eq!(settings["clusterLookups"], true);
        assert_eq!(
            settings["registries"],
            json!([{"registry": "private.registry.com", "pullSecrets": ["regcred"]},
                   {"registry": "docker.io/myorg", "pullSecrets": ["regcred"]}])
        );
        Settings::from_json(serde_json::to_string(&settings).unwrap().as_bytes()).unwrap();
        // The policy is the project's, with its rules and what it must be granted.
        let policy: serde_json::Value = serde_norway::from_str(&p.policy).unwrap();
        let metadata: serde_json::Value =
            serde_norway::from_str(include_str!("../../metadata.yml")).unwrap();
        assert_eq!(policy["kind"], "ClusterAdmissionPolicy");
        assert_eq!(policy["spec"]["rules"], metadata["rules"]);
        assert_eq!(
            policy["spec"]["contextAwareResources"],
            metadata["contextAwareResources"]
        );
        assert_eq!(policy["spec"]["settings"], settings);
        let oci = metadata["annotations"]["io.kubewarden.policy.ociUrl"]
            .as_str()
            .unwrap();
        assert_eq!(
            policy["spec"]["module"],
            format!("registry://{oci}:v{}", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn not_a_workload() {
        assert!(
            explain(
                br#"{"apiVersion":"v1","kind":"ConfigMap"}"#,
                None,
                &Objects::new()
            )
            .is_err()
        );
        assert_eq!(
            workload_kind(br#"{"apiVersion":"batch/v1","kind":"CronJob"}"#),
            Some("CronJob")
        );
        assert_eq!(
            workload_kind(br#"{"apiVersion":"example.com/v1","kind":"Deployment"}"#),
            None
        );
    }

    /// Dated credentials on the page, judged at 2026-12-04T08:00:00Z.
    mod expiry {
        use super::*;
        use crate::kubelet::dockerconfig::fake;
        use rstest::rstest;

        const NOW: i64 = 1_796_371_200;
        const ECR_HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

        fn dated(name: &str, user: &str, password: &str) -> (String, Vec<u8>) {
            pull_secret(
                name,
                json!({ECR_HOST: {"auth": base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{password}"))}}),
            )
        }

        fn jwt(exp: i64) -> String {
            fake::jwt(&format!(r#"{{"exp":{exp}}}"#), 4)
        }

        #[rstest]
        #[case::ecr_expired("AWS", fake::ecr_password(NOW - 2 * 86_400, 1), ContainerVerdict::Fails, Some("expired 2 days ago, at 2026-12-02T08:00:00Z"))]
        #[case::jwt_expired("robot", jwt(NOW - 3600), ContainerVerdict::Fails, Some("expired 1 hour ago, at 2026-12-04T07:00:00Z"))]
        #[case::ecr_valid("AWS", fake::ecr_password(NOW + 6 * 3600, 2), ContainerVerdict::SendsCredentials, Some("expires in 6 hours, at 2026-12-04T14:00:00Z"))]
        #[case::jwt_valid("robot", jwt(NOW + 30 * 86_400), ContainerVerdict::SendsCredentials, Some("expires in 30 days, at 2027-01-03T08:00:00Z"))]
        #[case::github("x-access-token", "ghs_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5".into(), ContainerVerdict::SendsCredentials, Some("expires within an hour of its issue"))]
        #[case::lookalike("robot", "eyJustAPassword".into(), ContainerVerdict::SendsCredentials, None)]
        fn a_dated_credential(
            #[case] user: &str,
            #[case] password: String,
            #[case] verdict: ContainerVerdict,
            #[case] expires: Option<&str>,
        ) {
            let secrets = [dated("ecr-creds", user, &password)];
            let e = explain(
                &pod(&format!("{ECR_HOST}/team/app:1"), &["ecr-creds"]),
                None,
                &cluster(&secrets),
            )
            .unwrap();
            let c = &e.containers[0];
            assert_eq!(c.verdict, verdict, "{c:?}");
            let key = &e.secrets[0].keys[0];
            assert_eq!(key.expires.as_deref(), expires);
            assert_eq!(key.expired, verdict == ContainerVerdict::Fails);
            let text = serde_json::to_string(&e).unwrap();
            assert!(!text.contains(&password[..10]), "{text}");
            if verdict == ContainerVerdict::SendsCredentials {
                assert_eq!(c.sends.as_ref().unwrap().expires.as_deref(), expires);
                return;
            }
            assert!(c.sends.is_none());
            assert!(
                c.finding
                    .contains("every credential the kubelet would send for the image has expired"),
                "{c:?}"
            );
            assert!(c.finding.contains(expires.unwrap()), "{c:?}");
            assert!(
                c.misses[0]
                    .why
                    .contains("it matches, but its credential is"),
                "{c:?}"
            );
            let fresh = e
                .fixes
                .iter()
                .find(|f| f.what.starts_with("write a fresh"))
                .unwrap_or_else(|| panic!("{:?}", e.fixes));
            if user == "AWS" {
                assert_eq!(
                    fresh.command,
                    format!(
                        "kubectl create secret docker-registry ecr-creds --docker-server={ECR_HOST} --docker-username=AWS --docker-password=\"$(aws ecr get-login-password --region eu-west-1)\" -n team-a --dry-run=client -o yaml | kubectl apply -f -"
                    )
                );
            } else {
                assert!(
                    fresh.command.contains("--docker-password=<a fresh token>"),
                    "{fresh:?}"
                );
            }
            assert_eq!(c.fixed_by.as_deref(), Some("ecr-creds"));
        }

        #[test]
        fn an_expired_credential_then_a_valid_one() {
            let secrets = [
                dated("old", "AWS", &fake::ecr_password(NOW - 3600, 5)),
                dated("new", "AWS", &fake::ecr_password(NOW + 3600, 6)),
            ];
            let e = explain(
                &pod(&format!("{ECR_HOST}/app"), &["old", "new"]),
                None,
                &cluster(&secrets),
            )
            .unwrap();
            let c = &e.containers[0];
            assert_eq!(c.verdict, ContainerVerdict::SendsCredentials);
            assert_eq!(c.sends.as_ref().unwrap().secret, "new");
            assert!(c.misses[0].why.contains("expired 1 hour ago"), "{c:?}");
            assert!(e.fixes.is_empty(), "{:?}", e.fixes);
        }

        #[test]
        fn the_policy_says_so_too() {
            let settings = Settings::from_json(
                br#"{"clusterLookups":true,"registries":[{"registry":"*.dkr.ecr.*.amazonaws.com","pullSecrets":["ecr-creds"]}]}"#,
            )
            .unwrap();
            let secrets = [dated("ecr-creds", "AWS", &fake::ecr_password(NOW - 600, 7))];
            let e = explain(
                &pod(&format!("{ECR_HOST}/app"), &["ecr-creds"]),
                Some(&settings),
                &cluster(&secrets),
            )
            .unwrap();
            let policy = e.policy.unwrap();
            assert!(!policy.allowed);
            assert!(
                policy
                    .message
                    .unwrap()
                    .contains("expired 10 minutes ago, at 2026-12-04T07:50:00Z")
            );
            assert_eq!(e.containers[0].verdict, ContainerVerdict::Fails);
        }
    }
}
