//! The pod-spec check's findings in words: one rejection that names every problem, the pull
//! secrets' first and then each offending container's, and ends with what to change; and a
//! warning per finding that does not block.

use std::fmt::Write as _;

use super::check::{At, Candidate, PodProblem, PodReview, PodWarning, PullSecretProblem};
use crate::cluster::LookupError;
use crate::kubelet::keyring::State;
use crate::kubelet::lookups::Source;
use crate::kubelet::pull_secret::Ignored;
use crate::secrets::fix::{Refresh, SecretFix};
use crate::secrets::words as secret;
use crate::settings::{PullSecrets, Registry, Settings};
use crate::verdict::{SecretKind, Subject, Verdict};
use crate::words::{joined, kubectl, list, near_miss as hints, pull_secret, when};

pub(crate) fn verdict(settings: &Settings, review: &PodReview<'_>) -> Verdict {
    let warnings = warnings(review);
    if review.problems.is_empty() && review.secret_problems.is_empty() {
        return Verdict::Accept { warnings };
    }
    Verdict::Reject {
        message: message(settings, review),
        warnings,
    }
}

/// The review's warnings, whatever the verdict.
pub(crate) fn warnings(review: &PodReview<'_>) -> Vec<String> {
    let subject = review.subject;
    review
        .secret_warnings
        .iter()
        .map(|p| format!("{subject}: {}", secret_problem(review, p, true)))
        .chain(review.warnings.iter().map(|w| warning(review, w)))
        .collect()
}

fn warning(review: &PodReview<'_>, warning: &PodWarning<'_>) -> String {
    match warning {
        PodWarning::AlmostListed {
            at,
            domain,
            registry,
            near_miss,
        } => format!(
            "{} {:?}: registry {domain} is not in the policy settings, so its images are \
             treated as public; did you mean {}? ({})",
            at.role.noun(),
            at.container,
            registry.entry(),
            hints::near_miss(near_miss)
        ),
        PodWarning::LeftToServiceAccount { at, registry } => format!(
            "{} {:?}: {} {} for {}, and the pod template lists no imagePullSecrets: its Pods \
             must get one from ServiceAccount {:?}",
            at.role.noun(),
            at.container,
            at.image,
            needs(registry),
            registry.entry(),
            review.spec.service_account()
        ),
    }
}

fn message(settings: &Settings, review: &PodReview<'_>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut fixes: Vec<String> = Vec::new();
    let mut add_fixes = |more: Vec<String>| {
        for fix in more {
            if !fixes.contains(&fix) {
                fixes.push(fix);
            }
        }
    };
    for problem in &review.secret_problems {
        parts.push(secret_problem(review, problem, false));
        add_fixes(secret_problem_fixes(settings, review, problem));
    }
    let count = review.problems.len();
    if count > 0 {
        let (containers, images) = if count == 1 {
            ("container", "its image")
        } else {
            ("containers", "their images")
        };
        let mut text = format!("{count} {containers} cannot pull {images}: ");
        // Containers that share a finding are told once, in the order the kubelet starts
        // the first of them: ten containers of one registry make one sentence, not ten.
        let mut told = vec![false; count];
        for i in 0..count {
            if told[i] {
                continue;
            }
            let problem = &review.problems[i];
            let mut group: Vec<&At<'_>> = Vec::new();
            for (other, told) in review.problems.iter().zip(told.iter_mut()).skip(i) {
                if !*told && same_finding(problem, other) {
                    *told = true;
                    group.push(other.at());
                }
            }
            if i > 0 {
                text.push_str("; ");
            }
            match group.as_slice() {
                [] => text.push_str(&pulls(problem.at())),
                [at] => text.push_str(&pulls(at)),
                many => {
                    text.push_str(&containers_of(many));
                    text.push_str(" pull");
                }
            }
            add_fixes(describe(settings, review, problem, &mut text));
        }
        parts.push(text);
    }
    format!(
        "{}: {}. To fix: {}.",
        review.subject,
        parts.join("; "),
        fixes.join("; ")
    )
}

/// One container's problem, as the rejection words it.
pub(crate) fn problem(
    settings: &Settings,
    review: &PodReview<'_>,
    problem: &PodProblem<'_>,
) -> String {
    let mut text = pulls(problem.at());
    describe(settings, review, problem, &mut text);
    text
}

/// Whether two containers' problems read the same once their images are left out: the same
/// registry, found wanting for the same reason. An invalid reference is its image's own.
fn same_finding(a: &PodProblem<'_>, b: &PodProblem<'_>) -> bool {
    match (a, b) {
        (
            PodProblem::Unlisted {
                domain, near_miss, ..
            },
            PodProblem::Unlisted {
                domain: d,
                near_miss: n,
                ..
            },
        ) => domain == d && near_miss == n,
        (
            PodProblem::MissingSecret {
                domain, registry, ..
            },
            PodProblem::MissingSecret {
                domain: d,
                registry: r,
                ..
            },
        ) => domain == d && std::ptr::eq(*registry, *r),
        (
            PodProblem::NotServed {
                domain,
                registry,
                candidates,
                ..
            },
            PodProblem::NotServed {
                domain: d,
                registry: r,
                candidates: c,
                ..
            },
        ) => domain == d && std::ptr::eq(*registry, *r) && candidates == c,
        _ => false,
    }
}

/// `containers "web", "api", "worker" and 7 more`, or `container "web", init container
/// "migrate"` when their roles differ: every container named, or counted past three.
fn containers_of(group: &[&At<'_>]) -> String {
    const SHOWN: usize = 3;
    let one_role = group.iter().all(|at| at.role == group[0].role);
    let names: Vec<String> = group
        .iter()
        .take(SHOWN)
        .map(|at| {
            if one_role {
                format!("{:?}", at.container)
            } else {
                format!("{} {:?}", at.role.noun(), at.container)
            }
        })
        .collect();
    let mut text = if one_role {
        format!("{}s ", group[0].role.noun())
    } else {
        String::new()
    };
    let more = group.len().saturating_sub(SHOWN);
    if more > 0 {
        text.push_str(&format!("{} and {more} more", names.join(", ")));
    } else {
        text.push_str(&joined(&names, "and"));
    }
    text
}

/// `container "app" pulls "private.registry.com/app:1"`.
fn pulls(at: &At<'_>) -> String {
    format!("{} {:?} pulls {:?}", at.role.noun(), at.container, at.image)
}

/// `needs the pull secret regcred`, `needs one of the pull secrets a, b`.
fn needs(registry: &Registry) -> String {
    match registry.pull_secrets() {
        PullSecrets::OneOf(names) if names.len() == 1 => {
            format!("needs the pull secret {}", names[0])
        }
        PullSecrets::OneOf(names) => format!("needs one of the pull secrets {}", list(names)),
        PullSecrets::AnyReferenced | PullSecrets::None => {
            "needs a pull secret that serves it".into()
        }
    }
}

/// Writes what is wrong with the image after [`pulls`], and returns the fixes.
fn describe(
    settings: &Settings,
    review: &PodReview<'_>,
    problem: &PodProblem<'_>,
    message: &mut String,
) -> Vec<String> {
    match problem {
        PodProblem::InvalidImage { error, .. } => {
            let _ = write!(
                message,
                ", which is not a valid image reference ({error}): the kubelet would fail it \
                 with InvalidImageName"
            );
            vec!["correct the image reference".into()]
        }
        PodProblem::Unlisted {
            domain, near_miss, ..
        } => {
            let _ = write!(
                message,
                " from registry {domain}, which the policy settings do not list \
                 (unlistedRegistries: reject)"
            );
            if let Some((registry, near_miss)) = near_miss {
                let _ = write!(
                    message,
                    "; did you mean {}? ({})",
                    registry.entry(),
                    hints::near_miss(near_miss)
                );
            }
            vec![unlisted_fix(settings, domain)]
        }
        PodProblem::MissingSecret {
            domain, registry, ..
        } => {
            missing_secret(settings, review, domain, registry, message);
            missing_secret_fixes(review, domain, registry)
        }
        PodProblem::NotServed {
            domain, candidates, ..
        } => {
            not_served(domain, candidates, message);
            not_served_fixes(review, domain, candidates)
        }
        PodProblem::Expired {
            domain,
            registry,
            keys,
            ..
        } => {
            let held = when::held_ends(keys.iter().map(|k| (k.secret, k.key, k.end)));
            let _ = write!(
                message,
                " from registry {domain}, but every credential its pull secrets hold for it has \
                 expired, and the registry refuses them: {held}"
            );
            let mut fixes = Vec::new();
            for k in keys {
                let refresh = Refresh {
                    server: (*domain).to_owned(),
                    kind: k.end.kind,
                    entry: registry.entry().to_string(),
                };
                let fix = secret::refresh(
                    &format!("Secret {:?}", k.secret),
                    k.secret,
                    review.subject.namespace,
                    &refresh,
                );
                if !fixes.contains(&fix) {
                    fixes.push(fix);
                }
            }
            fixes
        }
    }
}

fn unlisted_fix(settings: &Settings, domain: &str) -> String {
    let listed = settings.listed_registries();
    if listed.is_empty() {
        format!("ask the cluster administrators to list {domain} in the policy settings")
    } else {
        format!(
            "pull from a listed registry ({}), or ask the cluster administrators to list \
             {domain} in the policy settings",
            list(&listed)
        )
    }
}

/// Where the Pods' pull secrets come from, when their ServiceAccount's.
fn from_service_account<'l>(review: &'l PodReview<'_>) -> Option<&'l str> {
    match review.lookups.map(|l| &l.source) {
        Some(Source::ServiceAccount { name, .. }) => Some(name),
        _ => None,
    }
}

fn missing_secret(
    settings: &Settings,
    review: &PodReview<'_>,
    domain: &str,
    registry: &Registry,
    message: &mut String,
) {
    let _ = write!(
        message,
        " from registry {domain}, which {}",
        needs(registry)
    );
    let entry = registry.entry().to_string();
    if domain != entry {
        let _ = write!(message, " (registry entry {entry})");
    }
    let service_account = review.spec.service_account();
    let listed_by = match from_service_account(review) {
        Some(account) if review.pull_secrets.is_empty() => {
            let _ = write!(
                message,
                ", but the pod template lists no imagePullSecrets and ServiceAccount \
                 {account:?} has none"
            );
            return;
        }
        Some(account) => {
            format!("the pull secrets its Pods get from ServiceAccount {account:?} are")
        }
        None if review.pull_secrets.is_empty() => {
            if review.subject.kind.is_template() {
                let _ = write!(
                    message,
                    ", but the pod template lists no imagePullSecrets (its Pods would get \
                     those of ServiceAccount {service_account:?}, which this policy cannot see)"
                );
            } else {
                let _ = write!(
                    message,
                    ", but imagePullSecrets is empty (ServiceAccount {service_account:?} \
                     provided none)"
                );
            }
            return;
        }
        None => "imagePullSecrets lists".to_owned(),
    };
    let notes: Vec<String> = review
        .pull_secrets
        .iter()
        .map(|secret| {
            let serves: Vec<String> = settings
                .registries_served_by(secret)
                .map(|r| r.entry().to_string())
                .collect();
            if serves.is_empty() {
                format!("{secret} is not declared for any registry")
            } else {
                format!("{secret} serves {}, not {entry}", serves.join(" and "))
            }
        })
        .collect();
    let _ = write!(
        message,
        ", but {listed_by} {} ({})",
        list(&review.pull_secrets),
        notes.join(", ")
    );
}

fn missing_secret_fixes(review: &PodReview<'_>, domain: &str, registry: &Registry) -> Vec<String> {
    let (subject, kind) = (review.subject, review.subject.kind);
    if !kind.is_template() && !subject.is_create() {
        return vec![
            "the imagePullSecrets of an existing Pod cannot change: use an image that its pull \
             secrets serve, or recreate the Pod with the secret"
                .into(),
        ];
    }
    let secret = match registry.declared_secrets() {
        [one] => one.clone(),
        [] => format!("a pull secret for {domain}"),
        many => format!("one of {}", list(many)),
    };
    let path = kind.pod_spec_path();
    let namespace = subject.namespace_phrase();
    if let Some(account) = from_service_account(review) {
        return vec![format!(
            "add {secret} to the imagePullSecrets of ServiceAccount {account:?}, or to \
             {path}.imagePullSecrets (then the Pods get only the secrets listed there, none of \
             the ServiceAccount's); the Secret must exist in {namespace}"
        )];
    }
    let mut fixes = vec![format!(
        "add {secret} to {path}.imagePullSecrets; the Secret must exist in {namespace}"
    )];
    if kind.is_template() && review.pull_secrets.is_empty() {
        fixes.push(format!(
            "if ServiceAccount {:?} carries the secret, set templatesWithoutPullSecrets: warn in \
             the policy settings",
            review.spec.service_account()
        ));
    }
    fixes
}

fn not_served(domain: &str, candidates: &[Candidate<'_>], message: &mut String) {
    let names: Vec<&str> = candidates.iter().map(|c| c.secret.name.as_str()).collect();
    let _ = write!(
        message,
        " from registry {domain}, but no key of {} {} serves it:",
        if names.len() == 1 {
            "its pull secret"
        } else {
            "its pull secrets"
        },
        list(&names)
    );
    let mut first = true;
    for candidate in candidates {
        let holds = match &candidate.secret.state {
            State::Usable { keys, useless } if keys.is_empty() => match useless {
                Some((format, why)) => pull_secret::useless(*format, why),
                None => "holds no registry keys".into(),
            },
            State::Usable { keys, .. } => {
                let keys: Vec<String> = keys
                    .iter()
                    .enumerate()
                    .map(|(k, held)| {
                        let mut key = held.shown.to_string();
                        if let Some((_, hint)) = candidate.hints.iter().find(|(h, _)| *h == k) {
                            let _ = write!(key, " ({})", hints::near_miss(hint));
                        }
                        if held.key.is_err() {
                            key.push_str(" (which the kubelet drops)");
                        } else if !held.has_credentials {
                            key.push_str(" (with no credentials)");
                        }
                        key
                    })
                    .collect();
                format!("holds {}", keys.join(", "))
            }
            State::Ignored(why) => pull_secret::ignored(why),
            State::Unavailable(_) | State::Poison { .. } => continue,
        };
        let separator = if first { "" } else { ";" };
        first = false;
        let _ = write!(message, "{separator} {} {holds}", candidate.secret.name);
    }
}

fn not_served_fixes(
    review: &PodReview<'_>,
    domain: &str,
    candidates: &[Candidate<'_>],
) -> Vec<String> {
    let Some(candidate) = candidates.first() else {
        return Vec::new();
    };
    let name = candidate.secret.name.as_str();
    // A Secret with keys for other registries (not near misses of this one, which were meant
    // for it) keeps them: `kubectl create secret docker-registry` writes one key, and
    // rewriting the Secret for this registry would break the images it serves today.
    if let State::Usable { keys, .. } = &candidate.secret.state {
        let serving: Vec<String> = keys
            .iter()
            .enumerate()
            .filter(|(k, held)| {
                held.key.is_ok()
                    && held.has_credentials
                    && !candidate.hints.iter().any(|(h, _)| h == k)
            })
            .map(|(_, held)| held.shown.to_string())
            .collect();
        if !serving.is_empty() {
            return vec![format!(
                "add a key for {domain} to the .dockerconfigjson of Secret {name:?}, beside {} \
                 (rewriting it with `kubectl create secret docker-registry` would keep {domain} \
                 alone and break what it serves now)",
                serving.join(" and ")
            )];
        }
    }
    let fix = SecretFix {
        servers: vec![domain.to_owned()],
        delete_first: matches!(
            candidate.secret.state,
            State::Ignored(Ignored::OtherType { .. })
        ),
        refresh: Vec::new(),
    };
    vec![secret::fix_named(
        &secret_subject(review, name, false),
        name,
        &fix,
    )]
}

/// A Secret in the pod spec's namespace, as messages name it.
fn secret_subject<'s>(
    review: &PodReview<'s>,
    name: &'s str,
    create: bool,
) -> Subject<'s, SecretKind> {
    Subject {
        kind: SecretKind,
        name: Some(name.into()),
        namespace: review.subject.namespace,
        create,
    }
}

/// `"a", "b"`, or `"a", "b", "c" and 197 more`: a Pod may reference hundreds of secrets.
fn quoted_names(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let quoted: Vec<String> = names.iter().take(SHOWN).map(|n| format!("{n:?}")).collect();
    match names.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!("{} and {more} more", quoted.join(", ")),
        _ => quoted.join(", "),
    }
}

/// A finding about the pull secrets themselves; `warns` when it is a warning.
pub(crate) fn secret_problem(
    review: &PodReview<'_>,
    problem: &PullSecretProblem<'_>,
    warns: bool,
) -> String {
    let namespace = review.subject.namespace_phrase();
    match problem {
        PullSecretProblem::SecretMissing { name } => format!(
            "Secret {name:?} does not exist in {namespace} (Secrets are namespace-scoped: the \
             kubelet reads a Pod's pull secrets from the Pod's own namespace){}",
            if warns {
                "; the Pods get no credentials from it until it does"
            } else {
                ""
            }
        ),
        PullSecretProblem::ServiceAccountMissing { name } => format!(
            "its Pods run as ServiceAccount {name:?}, which does not exist in {namespace}: \
             their controller cannot create them{}",
            if warns { " until it does" } else { "" }
        ),
        PullSecretProblem::Unreadable {
            resource,
            names,
            error,
        } => {
            let names = quoted_names(names);
            match error {
                LookupError::NotGranted => format!(
                    "the policy may not read {} ({names}): it was not granted them",
                    resource.plural(),
                ),
                LookupError::Forbidden => format!(
                    "the policy server may not get {} in {namespace} ({names})",
                    resource.plural(),
                ),
                LookupError::NotFound | LookupError::Failed => format!(
                    "the policy could not read {} {names} in {namespace}",
                    resource.kind(),
                ),
            }
        }
        PullSecretProblem::Poison {
            name,
            format,
            errors,
        } => format!(
            "{} {}",
            secret_subject(review, name, false),
            pull_secret::undecodable(*format, errors)
        ),
        PullSecretProblem::Ignored { name, why } => format!(
            "{} {}, so Pods that name it in imagePullSecrets get no credentials from it",
            secret_subject(review, name, false),
            pull_secret::ignored(why)
        ),
    }
}

fn secret_problem_fixes(
    settings: &Settings,
    review: &PodReview<'_>,
    problem: &PullSecretProblem<'_>,
) -> Vec<String> {
    match problem {
        PullSecretProblem::SecretMissing { name } => {
            let fix = SecretFix::declared(settings, name, &[]);
            vec![secret::fix_named(
                &secret_subject(review, name, true),
                name,
                &fix,
            )]
        }
        PullSecretProblem::ServiceAccountMissing { name } => vec![format!(
            "create ServiceAccount {name:?} (`{}`) with the pull secrets in its \
             imagePullSecrets, or set {}.serviceAccountName to one that exists",
            kubectl::create_service_account(name, review.subject.namespace),
            review.subject.kind.pod_spec_path()
        )],
        PullSecretProblem::Unreadable {
            resource, error, ..
        } => vec![match error {
            LookupError::NotGranted => format!(
                "add {{apiVersion: {}, kind: {}}} to spec.contextAwareResources of the policy's \
                 ClusterAdmissionPolicy (a namespaced AdmissionPolicy cannot read cluster \
                 objects), or set clusterLookups: false",
                resource.api_version(),
                resource.kind()
            ),
            LookupError::Forbidden => format!(
                "let the policy server's ServiceAccount get {} (policyServer.permissions of the \
                 kubewarden-defaults chart, or a Role and RoleBinding of your own)",
                resource.plural()
            ),
            LookupError::NotFound | LookupError::Failed => {
                "try again; the policy server's log has the Kubernetes API's answer".to_owned()
            }
        }],
        PullSecretProblem::Poison { name, errors, .. } => {
            let fix = SecretFix::declared(settings, name, errors);
            vec![secret::fix_named(
                &secret_subject(review, name, false),
                name,
                &fix,
            )]
        }
        PullSecretProblem::Ignored { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    //! The pod check and its words, through the verdict a pod spec gets.
    use super::*;
    use crate::pods::check::review_pod_spec;
    use crate::request::{Object, Spec, WorkloadKind};
    use crate::when::UnixTime;
    use rstest::rstest;

    const SETTINGS: &str = r#"{"registries":[
        {"registry":"private.registry.com","pullSecrets":["regcred","regcred-ro"]},
        {"registry":"gcr.io","pullSecrets":["gcr-creds"]},
        {"registry":"registry.local:5000","pullSecrets":["local"]},
        {"registry":"*.dkr.ecr.*.amazonaws.com","pullSecrets":[]},
        {"registry":"quay.io/my-org","pullSecrets":["quay-my-org"]}]}"#;

    fn settings(extra: &str) -> Settings {
        let json = SETTINGS.replacen('{', &format!("{{{extra}"), 1);
        Settings::from_json(json.as_bytes()).unwrap()
    }

    fn pod_spec(images: &[&str], secrets: &[&str]) -> String {
        let containers: Vec<String> = images
            .iter()
            .enumerate()
            .map(|(i, image)| format!(r#"{{"name":"c{i}","image":"{image}"}}"#))
            .collect();
        let secrets: Vec<String> = secrets
            .iter()
            .map(|s| format!(r#"{{"name":"{s}"}}"#))
            .collect();
        format!(
            r#"{{"containers":[{}],"imagePullSecrets":[{}]}}"#,
            containers.join(","),
            secrets.join(",")
        )
    }

    fn check(
        settings: &Settings,
        kind: WorkloadKind,
        spec_json: &str,
        old_json: Option<&str>,
    ) -> Verdict {
        let spec: Spec = serde_json::from_str(spec_json).unwrap();
        let old: Option<Spec> = old_json.map(|j| serde_json::from_str(j).unwrap());
        let subject = Subject::for_test(kind, old.is_none());
        verdict(
            settings,
            &review_pod_spec(
                settings,
                &subject,
                &spec,
                old.as_ref(),
                None,
                UnixTime::TEST_NOW,
            ),
        )
    }

    fn pod(images: &[&str], secrets: &[&str]) -> Verdict {
        check(
            &settings(""),
            WorkloadKind::Pod,
            &pod_spec(images, secrets),
            None,
        )
    }

    #[rstest]
    #[case::docker_hub(&["nginx", "docker.io/library/busybox:1.36"], &[])]
    #[case::served(&["private.registry.com/team/app:1"], &["regcred"])]
    #[case::served_by_the_second(&["private.registry.com/team/app:1"], &["other", "regcred-ro"])]
    #[case::port(&["registry.local:5000/team/app"], &["local"])]
    #[case::node_credentials(&["123.dkr.ecr.eu-west-1.amazonaws.com/app"], &[])]
    #[case::outside_a_path_entry(&["quay.io/other-org/app"], &[])]
    #[case::inside_a_path_entry(&["quay.io/my-org/app"], &["quay-my-org"])]
    fn public_and_served_images_pass(#[case] images: &[&str], #[case] secrets: &[&str]) {
        assert!(pod(images, secrets).is_allowed());
    }

    #[test]
    fn missing_secret_is_explained() {
        let v = pod(
            &["nginx", "private.registry.com/team/app:1.0"],
            &["gcr-creds"],
        );
        let m = v.expect_rejected();
        for fragment in [
            r#"container "c1" pulls "private.registry.com/team/app:1.0""#,
            "needs one of the pull secrets regcred, regcred-ro",
            "imagePullSecrets lists gcr-creds",
            "gcr-creds serves gcr.io, not private.registry.com",
            "add one of regcred, regcred-ro to spec.imagePullSecrets",
        ] {
            assert!(m.contains(fragment), "{fragment}: {m}");
        }
        assert!(!m.contains("\"c0\""), "{m}");
    }

    #[test]
    fn every_offending_container_in_order() {
        let spec = r#"{"containers":[{"name":"app","image":"gcr.io/p/app"}],
            "initContainers":[{"name":"init","image":"Docker/Foo"}],
            "ephemeralContainers":[{"name":"dbg","image":"registry.local:5000/dbg"}]}"#;
        let v = check(&settings(""), WorkloadKind::Pod, spec, None);
        let m = v.expect_rejected();
        let init = m.find(r#"init container "init""#).unwrap();
        let app = m.find(r#"container "app""#).unwrap();
        let dbg = m.find(r#"ephemeral container "dbg""#).unwrap();
        assert!(init < app && app < dbg, "{m}");
        assert!(
            m.starts_with("Pod \"test\" in namespace \"team-a\": 3 containers"),
            "{m}"
        );
        assert!(m.contains("not a valid image reference"), "{m}");
        assert!(m.contains("imagePullSecrets is empty"), "{m}");
    }

    /// Ten containers with one problem read as one sentence that names the first three and
    /// counts the rest; a container with another problem keeps its place in start order.
    #[test]
    fn containers_that_share_a_finding_are_told_once() {
        let names = ["web", "api", "worker", "a", "b", "c", "d", "e", "f", "g"];
        let containers: Vec<String> = names
            .iter()
            .map(|n| format!(r#"{{"name":"{n}","image":"gcr.io/p/{n}:1"}}"#))
            .collect();
        let spec = format!(
            r#"{{"imagePullSecrets":[{{"name":"regcred"}}],
            "initContainers":[{{"name":"init","image":"Docker/Foo"}}],
            "containers":[{}]}}"#,
            containers.join(",")
        );
        let v = check(&settings(""), WorkloadKind::Deployment, &spec, None);
        let m = v.expect_rejected();
        assert!(
            m.contains("11 containers cannot pull their images: "),
            "{m}"
        );
        assert!(
            m.contains(
                r#"; containers "web", "api", "worker" and 7 more pull from registry gcr.io, which needs the pull secret gcr-creds, but imagePullSecrets lists regcred"#
            ),
            "{m}"
        );
        assert_eq!(m.matches("gcr.io, which needs").count(), 1, "{m}");
        assert!(
            m.find(r#"init container "init""#) < m.find(r#""web""#),
            "{m}"
        );
    }

    #[rstest]
    #[case::two_of_one_role(&[("container", "a"), ("container", "b")], r#"containers "a" and "b""#)]
    #[case::three(&[("container", "a"), ("container", "b"), ("container", "c")], r#"containers "a", "b" and "c""#)]
    #[case::roles_differ(&[("init container", "i"), ("container", "a")], r#"init container "i" and container "a""#)]
    fn groups_of_containers_in_words(#[case] group: &[(&str, &str)], #[case] expected: &str) {
        use crate::request::ContainerRole;
        let ats: Vec<At<'_>> = group
            .iter()
            .map(|(role, name)| At {
                role: if *role == "container" {
                    ContainerRole::App
                } else {
                    ContainerRole::Init
                },
                container: name,
                image: "x",
            })
            .collect();
        let refs: Vec<&At<'_>> = ats.iter().collect();
        assert_eq!(containers_of(&refs), expected);
    }

    #[test]
    fn port_and_path_must_match() {
        // A missing :5000 is another registry (public by default), with a hint.
        let v = pod(&["registry.local/team/app"], &[]);
        assert!(v.is_allowed());
        assert!(
            v.warnings()[0].contains(
                "did you mean registry.local:5000? (the port differs: the image has no port, \
                 the listed registry port 5000)"
            ),
            "{v:?}"
        );
        assert!(pod(&["quay.io/my-organisation/app"], &[]).is_allowed());
    }

    #[rstest]
    #[case::typo(
        "my-private.registry.com/app",
        "did you mean private.registry.com? (the host looks like a typo)"
    )]
    #[case::case(
        "Private.Registry.com/app",
        "did you mean private.registry.com? (the host differs in case, and the kubelet compares \
         hosts case-sensitively)"
    )]
    #[case::port(
        "private.registry.com:5000/app",
        "(the port differs: the image has port 5000, the listed registry no port)"
    )]
    #[case::unlisted("ghcr.io/x/y", "which the policy settings do not list")]
    fn near_misses_under_reject(#[case] image: &str, #[case] fragment: &str) {
        let s = settings(r#""unlistedRegistries":"reject","#);
        let v = check(&s, WorkloadKind::Pod, &pod_spec(&[image], &[]), None);
        let m = v.expect_rejected();
        assert!(m.contains(fragment), "{m}");
        assert_eq!(m.contains("did you mean"), image != "ghcr.io/x/y", "{m}");
    }

    #[test]
    fn templates_without_pull_secrets() {
        let template_spec = r#"{"serviceAccountName":"builder","containers":[{"name":"app","image":"gcr.io/p/a"}]}"#;
        let v = check(&settings(""), WorkloadKind::Deployment, template_spec, None);
        let m = v.expect_rejected();
        assert!(m.contains(r#"ServiceAccount "builder""#), "{m}");
        assert!(m.contains("templatesWithoutPullSecrets: warn"), "{m}");
        assert!(m.contains("spec.template.spec.imagePullSecrets"), "{m}");

        let s = settings(r#""templatesWithoutPullSecrets":"warn","#);
        let v = check(&s, WorkloadKind::CronJob, template_spec, None);
        assert!(v.is_allowed());
        assert!(v.warnings()[0].contains(r#"ServiceAccount "builder""#));
        // Warn mode only forgives templates that list nothing: a wrong secret is still wrong.
        let wrong = r#"{"imagePullSecrets":[{"name":"regcred"}],"containers":[{"name":"app","image":"gcr.io/p/a"}]}"#;
        let v = check(&s, WorkloadKind::CronJob, wrong, None);
        assert!(
            v.expect_rejected()
                .contains("spec.jobTemplate.spec.template.spec.imagePullSecrets")
        );
        // A Pod is never forgiven: its list is final.
        assert!(!check(&s, WorkloadKind::Pod, template_spec, None).is_allowed());
    }

    #[test]
    fn updates_judge_only_what_changed() {
        let s = settings("");
        let old = pod_spec(&["gcr.io/p/a:1"], &[]);
        // Unchanged image, unchanged secrets: accepted even though it would fail on CREATE.
        assert!(check(&s, WorkloadKind::Deployment, &old, Some(&old)).is_allowed());
        // A new image is judged.
        let new = pod_spec(&["gcr.io/p/a:2"], &[]);
        assert!(!check(&s, WorkloadKind::Deployment, &new, Some(&old)).is_allowed());
        // Changed secrets re-judge everything.
        let new = pod_spec(&["gcr.io/p/a:1"], &["regcred"]);
        assert!(!check(&s, WorkloadKind::Deployment, &new, Some(&old)).is_allowed());
        let new = pod_spec(&["gcr.io/p/a:1"], &["gcr-creds"]);
        assert!(check(&s, WorkloadKind::Deployment, &new, Some(&old)).is_allowed());
        // An existing Pod cannot change its secrets: the fix says so.
        let v = check(
            &s,
            WorkloadKind::Pod,
            &pod_spec(&["gcr.io/p/a:2"], &[]),
            Some(&old),
        );
        assert!(v.expect_rejected().contains("cannot change"));
    }

    #[test]
    fn undeclared_secret_is_named() {
        let v = pod(&["gcr.io/p/a"], &["old-creds"]);
        assert!(
            v.expect_rejected()
                .contains("old-creds is not declared for any registry")
        );
    }

    #[test]
    fn whole_object_round_trip() {
        let json = format!(
            r#"{{"spec":{{"jobTemplate":{{"spec":{{"template":{{"spec":{}}}}}}}}}}}"#,
            pod_spec(&["gcr.io/p/a"], &["gcr-creds"])
        );
        let obj: Object = serde_json::from_str(&json).unwrap();
        let spec = WorkloadKind::CronJob.pod_spec(&obj).unwrap();
        let subject = Subject::for_test(WorkloadKind::CronJob, true);
        let s = settings("");
        let review = review_pod_spec(&s, &subject, spec, None, None, UnixTime::TEST_NOW);
        assert!(verdict(&s, &review).is_allowed());
    }

    /// The cluster lookups, answered from a table of objects in namespace `team-a`.
    mod lookups {
        use super::*;
        use crate::cluster::{Cluster, LookupError, Objects, Resource};
        use crate::kubelet::lookups::Lookups;
        use base64::Engine as _;

        const SETTINGS: &str = r#"{"clusterLookups":true,"registries":[
            {"registry":"private.registry.com","pullSecrets":["regcred","regcred-ro"]},
            {"registry":"registry.local:5000","pullSecrets":["*"]},
            {"registry":"docker.io/mycompany","pullSecrets":["hub"]}]}"#;

        fn settings(extra: &str) -> Settings {
            Settings::from_json(SETTINGS.replacen('{', &format!("{{{extra}"), 1).as_bytes())
                .unwrap()
        }

        fn pull_secret(auths: &str) -> Vec<u8> {
            let content =
                base64::engine::general_purpose::STANDARD.encode(format!(r#"{{"auths":{auths}}}"#));
            format!(
                r#"{{"type":"kubernetes.io/dockerconfigjson","data":{{".dockerconfigjson":"{content}"}}}}"#
            )
            .into_bytes()
        }

        /// `regcred` serves private.registry.com, `hub-key` is kubectl's default, `local`
        /// serves registry.local:5000, `opaque` is of the wrong type, `poison` undecodable;
        /// ServiceAccount `builder` lists `regcred`, `default` lists nothing.
        fn cluster() -> Objects {
            let mut objects = Objects::new();
            let mut secret = |name: &str, json: Vec<u8>| {
                objects.insert(Resource::Secret, "team-a", name, json);
            };
            secret(
                "regcred",
                pull_secret(r#"{"private.registry.com":{"auth":"dTpw"}}"#),
            );
            secret(
                "regcred-ro",
                pull_secret(r#"{"https://index.docker.io/v1/":{"auth":"dTpw"}}"#),
            );
            secret(
                "hub",
                pull_secret(r#"{"https://index.docker.io/v1/":{"auth":"dTpw"}}"#),
            );
            secret(
                "local",
                pull_secret(r#"{"registry.local:5000":{"auth":"dTpw"}}"#),
            );
            secret(
                "local-no-port",
                pull_secret(r#"{"registry.local":{"auth":"dTpw"}}"#),
            );
            secret(
                "opaque",
                br#"{"type":"Opaque","data":{".dockerconfigjson":"e30="}}"#.to_vec(),
            );
            secret(
                "poison",
                pull_secret(r#"{"private.registry.com":{"auth":"!!"}}"#),
            );
            objects.insert(
                Resource::ServiceAccount,
                "team-a",
                "builder",
                br#"{"imagePullSecrets":[{"name":"regcred"}]}"#.to_vec(),
            );
            objects.insert(
                Resource::ServiceAccount,
                "team-a",
                "default",
                b"{}".to_vec(),
            );
            objects
        }

        fn check_in(
            cluster: &dyn Cluster,
            settings: &Settings,
            kind: WorkloadKind,
            spec_json: &str,
        ) -> Verdict {
            let spec: Spec = serde_json::from_str(spec_json).unwrap();
            let subject = Subject::for_test(kind, true);
            let lookups = Lookups::fetch(cluster, kind, &spec, "team-a");
            verdict(
                settings,
                &review_pod_spec(
                    settings,
                    &subject,
                    &spec,
                    None,
                    Some(&lookups),
                    UnixTime::TEST_NOW,
                ),
            )
        }

        fn check(kind: WorkloadKind, images: &[&str], secrets: &[&str]) -> Verdict {
            check_in(&cluster(), &settings(""), kind, &pod_spec(images, secrets))
        }

        #[rstest]
        #[case::found_and_aligned(&["private.registry.com/app"], &["regcred"])]
        #[case::served_by_the_second(&["private.registry.com/app"], &["regcred-ro", "regcred"])]
        #[case::any_referenced_secret(&["registry.local:5000/app"], &["local"])]
        #[case::docker_hub_fallback(&["mycompany/app"], &["hub"])]
        #[case::public_image_beside_a_served_one(&["nginx", "private.registry.com/app"], &["regcred"])]
        fn served(#[case] images: &[&str], #[case] secrets: &[&str]) {
            let v = check(WorkloadKind::Pod, images, secrets);
            assert_eq!(v, Verdict::accept());
        }

        #[test]
        fn found_and_misaligned() {
            let v = check(
                WorkloadKind::Pod,
                &["private.registry.com/app"],
                &["regcred-ro"],
            );
            let m = v.expect_rejected();
            assert!(m.contains(r#"no key of its pull secret regcred-ro serves it: regcred-ro holds "https://index.docker.io/v1/" (the Docker Hub key that `kubectl create secret docker-registry` writes when --docker-server is left out)"#), "{m}");
            assert!(m.contains(r#"replace Secret "regcred-ro" with `kubectl create secret docker-registry regcred-ro --docker-server=private.registry.com"#), "{m}");
        }

        /// The fix for a Secret that serves another registry keeps what it serves: a rewrite
        /// with `kubectl create secret docker-registry` would keep one key.
        #[test]
        fn a_secret_that_serves_another_registry_gets_a_key_added() {
            let v = check(
                WorkloadKind::Pod,
                &["private.registry.com/app", "registry.local:5000/side"],
                &["regcred"],
            );
            let m = v.expect_rejected();
            assert!(m.contains(r#"To fix: add a key for registry.local:5000 to the .dockerconfigjson of Secret "regcred", beside "private.registry.com""#), "{m}");
            assert!(!m.contains("--docker-server=registry.local:5000"), "{m}");
        }

        #[test]
        fn a_missing_port_is_a_near_miss() {
            let v = check(
                WorkloadKind::Pod,
                &["registry.local:5000/app"],
                &["local-no-port"],
            );
            let m = v.expect_rejected();
            assert!(m.contains(r#"local-no-port holds "registry.local" (the port differs: the key has no port, the images port 5000)"#), "{m}");
        }

        #[rstest]
        #[case::auto_pod("auto", WorkloadKind::Pod, false)]
        #[case::auto_template("auto", WorkloadKind::Deployment, true)]
        #[case::warn_pod("warn", WorkloadKind::Pod, true)]
        #[case::warn_template("warn", WorkloadKind::CronJob, true)]
        #[case::reject_pod("reject", WorkloadKind::Pod, false)]
        #[case::reject_template("reject", WorkloadKind::StatefulSet, false)]
        fn a_missing_secret(
            #[case] policy: &str,
            #[case] kind: WorkloadKind,
            #[case] accepted: bool,
        ) {
            let s = settings(&format!(r#""missingPullSecrets":"{policy}","#));
            let spec = pod_spec(&["registry.local:5000/app"], &["local-new"]);
            let v = check_in(&cluster(), &s, kind, &spec);
            assert_eq!(v.is_allowed(), accepted, "{v:?}");
            let text = v
                .message()
                .map_or_else(|| v.warnings().join("\n"), str::to_owned);
            assert!(text.contains(r#"Secret "local-new" does not exist in namespace "team-a" (Secrets are namespace-scoped"#), "{text}");
        }

        #[test]
        fn a_missing_declared_secret_is_not_also_reported_as_misaligned() {
            let v = check(
                WorkloadKind::Deployment,
                &["registry.local:5000/app"],
                &["local-new"],
            );
            assert!(v.is_allowed(), "{v:?}");
            assert_eq!(v.warnings().len(), 1, "{v:?}");
        }

        #[test]
        fn a_secret_of_the_wrong_type() {
            let v = check(WorkloadKind::Pod, &["registry.local:5000/app"], &["opaque"]);
            let m = v.expect_rejected();
            assert!(
                m.contains(
                    "opaque holds .dockerconfigjson but is of type Opaque: the kubelet ignores it"
                ),
                "{m}"
            );
            assert!(
                m.contains(r#"delete Secret "opaque" (`kubectl delete secret opaque -n team-a`"#),
                "{m}"
            );
            assert!(v.warnings()[0].contains(r#"Secret "opaque" in namespace "team-a" holds .dockerconfigjson but is of type Opaque"#), "{v:?}");
        }

        #[test]
        fn a_poison_secret_fails_every_pull() {
            let v = check(WorkloadKind::Deployment, &["nginx"], &["poison"]);
            let m = v.expect_rejected();
            assert!(m.contains(r#"Secret "poison" in namespace "team-a" cannot be decoded by the kubelet: in its .dockerconfigjson, `auth` of "private.registry.com" is not base64"#), "{m}");
            assert!(m.contains("public images included"), "{m}");
        }

        #[test]
        fn a_template_gets_its_service_accounts_secrets() {
            let spec = r#"{"serviceAccountName":"builder","containers":[{"name":"app","image":"private.registry.com/app"}]}"#;
            assert_eq!(
                check_in(&cluster(), &settings(""), WorkloadKind::Deployment, spec),
                Verdict::accept()
            );
            // ... and one that lists its own gets only those.
            let spec = r#"{"serviceAccountName":"builder","imagePullSecrets":[{"name":"hub"}],"containers":[{"name":"app","image":"private.registry.com/app"}]}"#;
            let v = check_in(&cluster(), &settings(""), WorkloadKind::Deployment, spec);
            assert!(v.expect_rejected().contains("needs one of the pull secrets regcred, regcred-ro, but imagePullSecrets lists hub"), "{v:?}");
        }

        #[test]
        fn a_service_account_without_secrets() {
            let spec = r#"{"containers":[{"name":"app","image":"private.registry.com/app"}]}"#;
            let v = check_in(&cluster(), &settings(""), WorkloadKind::Job, spec);
            let m = v.expect_rejected();
            assert!(m.contains(r#"the pod template lists no imagePullSecrets and ServiceAccount "default" has none"#), "{m}");
            assert!(m.contains(r#"add one of regcred, regcred-ro to the imagePullSecrets of ServiceAccount "default""#), "{m}");
        }

        #[rstest]
        #[case::auto("auto", true)]
        #[case::reject("reject", false)]
        fn a_missing_service_account(#[case] policy: &str, #[case] accepted: bool) {
            let s = settings(&format!(r#""missingPullSecrets":"{policy}","#));
            let spec = r#"{"serviceAccountName":"nobody","containers":[{"name":"app","image":"private.registry.com/app"}]}"#;
            let v = check_in(&cluster(), &s, WorkloadKind::DaemonSet, spec);
            assert_eq!(v.is_allowed(), accepted, "{v:?}");
            let text = v
                .message()
                .map_or_else(|| v.warnings().join("\n"), str::to_owned);
            assert!(text.contains(r#"its Pods run as ServiceAccount "nobody", which does not exist in namespace "team-a""#), "{text}");
        }

        #[test]
        fn any_referenced_secret_needs_one() {
            let v = check(WorkloadKind::Pod, &["registry.local:5000/app"], &[]);
            let m = v.expect_rejected();
            assert!(
                m.contains(
                    "which needs a pull secret that serves it, but imagePullSecrets is empty"
                ),
                "{m}"
            );
            assert!(
                m.contains("add a pull secret for registry.local:5000 to spec.imagePullSecrets"),
                "{m}"
            );
        }

        /// Dated credentials for registry.local:5000 (any referenced Secret serves it), judged
        /// at 2026-12-04T08:00:00Z: `label` names a Secret holding one key for it.
        fn dated_cluster() -> Objects {
            use crate::kubelet::dockerconfig::fake;
            const NOW: i64 = 1_796_371_200;
            let mut objects = cluster();
            let mut add = |name: &str, user: &str, password: &str| {
                let content = base64::engine::general_purpose::STANDARD.encode(
                    fake::dockerconfigjson("registry.local:5000", user, password),
                );
                objects.insert(
                    Resource::Secret,
                    "team-a",
                    name,
                    format!(r#"{{"type":"kubernetes.io/dockerconfigjson","data":{{".dockerconfigjson":"{content}"}}}}"#).into_bytes(),
                );
            };
            let jwt = |exp: i64| fake::jwt(&format!(r#"{{"exp":{exp}}}"#), 3);
            const ACR: &str = "00000000-0000-0000-0000-000000000000";
            add(
                "ecr-expired",
                "AWS",
                &fake::ecr_password(NOW - 2 * 86_400, 1),
            );
            add("ecr-expired-2", "AWS", &fake::ecr_password(NOW - 3600, 2));
            add("ecr-soon", "AWS", &fake::ecr_password(NOW + 3 * 3600, 3));
            add("jwt-expired", ACR, &jwt(NOW - 5 * 3600));
            add("jwt-valid", ACR, &jwt(NOW + 30 * 86_400));
            add(
                "ghs",
                "x-access-token",
                "ghs_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5",
            );
            add(
                "ya29",
                "oauth2accesstoken",
                "ya29.a0AfB_byC-1x2y3z4w5v6u7t8s9r0q.AaBbCcDdEeFfGgHh",
            );
            add("lookalike", "robot", "eyJustAPassword");
            objects
        }

        /// The kubelet tries every matching credential in the keyring's order until one works:
        /// a pull fails only when all of them have expired.
        #[rstest]
        #[case::only_expired_ecr(&["ecr-expired"], Some(&[
            r#"container "c0" pulls "registry.local:5000/app" from registry registry.local:5000, but every credential its pull secrets hold for it has expired, and the registry refuses them: Secret "ecr-expired" holds for "registry.local:5000" an Amazon ECR authorization token that expired 2 days ago, at 2026-12-02T08:00:00Z"#,
            r#"To fix: ECR tokens last 12 hours, so let the nodes pull from ECR with their own credentials (the kubelet's ecr-credential-provider, and pullSecrets: [] for registry.local:5000 in the policy settings), or run a refresher that rewrites Secret "ecr-expired" every few hours; to write a fresh token now: `kubectl create secret docker-registry ecr-expired --docker-server=registry.local:5000 --docker-username=AWS --docker-password="$(aws ecr get-login-password --region <region>)" -n team-a --dry-run=client -o yaml | kubectl apply -f -`"#,
        ][..]))]
        #[case::only_expired_jwt(&["jwt-expired"], Some(&[
            r#"Secret "jwt-expired" holds for "registry.local:5000" a JSON Web Token that expired 5 hours ago, at 2026-12-04T03:00:00Z"#,
            "--docker-password=<a fresh token>",
        ][..]))]
        #[case::two_expired(&["ecr-expired", "ecr-expired-2"], Some(&[
            r#"Secret "ecr-expired" holds for "registry.local:5000" an Amazon ECR authorization token that expired 2 days ago"#,
            r#"Secret "ecr-expired-2" holds for "registry.local:5000" an Amazon ECR authorization token that expired 1 hour ago"#,
            "kubectl create secret docker-registry ecr-expired-2 ",
        ][..]))]
        #[case::expired_then_valid(&["ecr-expired", "jwt-valid"], None)]
        #[case::valid_then_expired(&["jwt-valid", "ecr-expired"], None)]
        #[case::expired_then_plain(&["ecr-expired", "local"], None)]
        #[case::expiring_soon(&["ecr-soon"], None)]
        #[case::github_installation(&["ghs"], None)]
        #[case::google_access(&["ya29"], None)]
        #[case::lookalike(&["lookalike"], None)]
        fn expired_credentials(#[case] secrets: &[&str], #[case] rejected: Option<&[&str]>) {
            let spec = pod_spec(&["registry.local:5000/app"], secrets);
            let v = check_in(&dated_cluster(), &settings(""), WorkloadKind::Pod, &spec);
            match rejected {
                None => assert_eq!(v, Verdict::accept()),
                Some(fragments) => {
                    let m = v.expect_rejected();
                    for fragment in fragments {
                        assert!(m.contains(fragment), "{m}\nlacks {fragment}");
                    }
                }
            }
        }

        /// A cluster the policy may not read.
        struct Refusing(LookupError);

        impl Cluster for Refusing {
            fn get(&self, _: Resource, _: &str, _: &str) -> Result<Vec<u8>, LookupError> {
                Err(self.0)
            }
        }

        #[rstest]
        #[case::not_granted(
            LookupError::NotGranted,
            "add {apiVersion: v1, kind: Secret} to spec.contextAwareResources"
        )]
        #[case::forbidden(
            LookupError::Forbidden,
            "let the policy server's ServiceAccount get secrets"
        )]
        #[case::failed(LookupError::Failed, "try again")]
        fn access_refused(#[case] error: LookupError, #[case] fix: &str) {
            let spec = pod_spec(&["nginx"], &["regcred", "hub"]);
            let v = check_in(&Refusing(error), &settings(""), WorkloadKind::Pod, &spec);
            let m = v.expect_rejected();
            assert!(m.contains(fix), "{m}");
            assert!(m.contains(r#""regcred", "hub""#), "{m}");
        }
    }

    #[test]
    fn long_lists_of_names_are_cut() {
        assert_eq!(quoted_names(&["a", "b"]), r#""a", "b""#);
        let many: Vec<String> = (0..200).map(|i| format!("s{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            quoted_names(&many),
            r#""s0", "s1", "s2", "s3", "s4" and 195 more"#
        );
        assert_eq!(quoted_names(&many[..5]).matches('"').count(), 10);
    }
}
