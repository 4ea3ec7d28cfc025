//! The pod-spec check's findings in words: one rejection that names every problem, the pull
//! secrets' first and then each offending container's, and ends with what to change; and a
//! warning per finding that does not block.

use std::fmt::Write as _;

use crate::cluster::LookupError;
use crate::cluster::pull_secrets::Source;
use crate::kubelet::keyring::{Ignored, State};
use crate::pods::check::{At, Candidate, PodReview, Problem, SecretProblem, Warning};
use crate::secrets::check::Fix;
use crate::secrets::words as secret;
use crate::settings::{PullSecrets, Registry, Settings};
use crate::verdict::{SecretKind, Subject, Verdict};
use crate::words::{list, near_miss as hints};

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

fn warning(review: &PodReview<'_>, warning: &Warning<'_>) -> String {
    match warning {
        Warning::AlmostListed {
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
        Warning::LeftToServiceAccount { at, registry } => format!(
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
        for (i, problem) in review.problems.iter().enumerate() {
            if i > 0 {
                text.push_str("; ");
            }
            text.push_str(&pulls(problem.at()));
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
    problem: &Problem<'_>,
) -> String {
    let mut text = pulls(problem.at());
    describe(settings, review, problem, &mut text);
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
    problem: &Problem<'_>,
    message: &mut String,
) -> Vec<String> {
    match problem {
        Problem::InvalidImage { error, .. } => {
            let _ = write!(
                message,
                ", which is not a valid image reference ({error}): the kubelet would fail it \
                 with InvalidImageName"
            );
            vec!["correct the image reference".into()]
        }
        Problem::Unlisted {
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
        Problem::MissingSecret {
            domain, registry, ..
        } => {
            missing_secret(settings, review, domain, registry, message);
            missing_secret_fixes(review, domain, registry)
        }
        Problem::NotServed {
            domain, candidates, ..
        } => {
            not_served(domain, candidates, message);
            not_served_fixes(review, domain, candidates)
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
                Some((format, why)) => secret::problem(&crate::secrets::check::Problem::Useless {
                    format: *format,
                    why: why.clone(),
                }),
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
            State::Ignored(why) => ignored(why),
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
    let fix = Fix {
        servers: vec![domain.to_owned()],
        delete_first: matches!(
            candidate.secret.state,
            State::Ignored(Ignored::OtherType { .. })
        ),
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

/// Why the kubelet ignores a Secret, after its name.
fn ignored(why: &Ignored) -> String {
    match why {
        Ignored::OtherType { secret_type, holds } => match holds.first() {
            Some(format) => secret::ignored_for_its_type(secret_type, *format),
            None => format!("is of type {secret_type}, which the kubelet ignores for image pulls"),
        },
        Ignored::MissingKey {
            format,
            secret_type,
        } => secret::problem(&crate::secrets::check::Problem::MissingKey {
            format: *format,
            secret_type,
        }),
        Ignored::Empty { format } => {
            secret::problem(&crate::secrets::check::Problem::Empty { format: *format })
        }
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
    problem: &SecretProblem<'_>,
    warns: bool,
) -> String {
    let namespace = review.subject.namespace_phrase();
    match problem {
        SecretProblem::SecretMissing { name } => format!(
            "Secret {name:?} does not exist in {namespace} (Secrets are namespace-scoped: the \
             kubelet reads a Pod's pull secrets from the Pod's own namespace){}",
            if warns {
                "; the Pods get no credentials from it until it does"
            } else {
                ""
            }
        ),
        SecretProblem::ServiceAccountMissing { name } => format!(
            "its Pods run as ServiceAccount {name:?}, which does not exist in {namespace}: \
             their controller cannot create them{}",
            if warns { " until it does" } else { "" }
        ),
        SecretProblem::Unreadable {
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
        SecretProblem::Poison {
            name,
            format,
            errors,
        } => format!(
            "{} {}",
            secret_subject(review, name, false),
            secret::problem(&crate::secrets::check::Problem::Undecodable {
                format: *format,
                errors: errors.to_vec(),
            })
        ),
        SecretProblem::Ignored { name, why } => format!(
            "{} {}, so Pods that name it in imagePullSecrets get no credentials from it",
            secret_subject(review, name, false),
            ignored(why)
        ),
    }
}

fn secret_problem_fixes(
    settings: &Settings,
    review: &PodReview<'_>,
    problem: &SecretProblem<'_>,
) -> Vec<String> {
    let declared_servers = |name: &str| -> Vec<String> {
        settings
            .registries_served_by(name)
            .map(crate::secrets::check::server_for)
            .collect()
    };
    match problem {
        SecretProblem::SecretMissing { name } => {
            let fix = Fix {
                servers: declared_servers(name),
                delete_first: false,
            };
            vec![secret::fix_named(
                &secret_subject(review, name, true),
                name,
                &fix,
            )]
        }
        SecretProblem::ServiceAccountMissing { name } => vec![format!(
            "create ServiceAccount {name:?} (`kubectl create serviceaccount {name}{}`) with the \
             pull secrets in its imagePullSecrets, or set {}.serviceAccountName to one that \
             exists",
            secret::namespace_flag(review.subject),
            review.subject.kind.pod_spec_path()
        )],
        SecretProblem::Unreadable {
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
        SecretProblem::Poison { name, errors, .. } => {
            let mut servers = declared_servers(name);
            if servers.is_empty() {
                servers = crate::secrets::check::servers_of_broken_keys(errors);
            }
            let fix = Fix {
                servers,
                delete_first: false,
            };
            vec![secret::fix_named(
                &secret_subject(review, name, false),
                name,
                &fix,
            )]
        }
        SecretProblem::Ignored { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
