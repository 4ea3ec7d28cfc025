//! The pod-spec check's findings in words: one rejection that lists every offending container
//! and ends with what to change, and a warning per finding that does not block.

use std::fmt::Write as _;

use super::{hints, list};
use crate::pod_check::{At, PodReview, Problem, Warning};
use crate::settings::{Registry, Settings};
use crate::verdict::Verdict;

pub(crate) fn verdict(settings: &Settings, review: &PodReview<'_>) -> Verdict {
    let warnings: Vec<String> = review.warnings.iter().map(|w| warning(review, w)).collect();
    if review.problems.is_empty() {
        return Verdict::Accept { warnings };
    }
    Verdict::Reject {
        message: message(settings, review),
        warnings,
    }
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
            "{} {:?}: {} needs one of the pull secrets {} for {}, and the pod template lists no \
             imagePullSecrets: its Pods must get one from ServiceAccount {:?}",
            at.role.noun(),
            at.container,
            at.image,
            list(registry.pull_secrets()),
            registry.entry(),
            review.spec.service_account()
        ),
    }
}

fn message(settings: &Settings, review: &PodReview<'_>) -> String {
    let count = review.problems.len();
    let (containers, images) = if count == 1 {
        ("container", "its image")
    } else {
        ("containers", "their images")
    };
    let mut message = format!(
        "{}: {count} {containers} cannot pull {images}: ",
        review.subject
    );
    let mut fixes: Vec<String> = Vec::new();
    for (i, problem) in review.problems.iter().enumerate() {
        if i > 0 {
            message.push_str("; ");
        }
        message.push_str(&pulls(problem.at()));
        for fix in describe(settings, review, problem, &mut message) {
            if !fixes.contains(&fix) {
                fixes.push(fix);
            }
        }
    }
    let _ = write!(message, ". To fix: {}.", fixes.join("; "));
    message
}

/// `container "app" pulls "private.registry.com/app:1"`.
fn pulls(at: &At<'_>) -> String {
    format!("{} {:?} pulls {:?}", at.role.noun(), at.container, at.image)
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
            missing_secret_fixes(review, registry)
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

fn missing_secret(
    settings: &Settings,
    review: &PodReview<'_>,
    domain: &str,
    registry: &Registry,
    message: &mut String,
) {
    let wanted = registry.pull_secrets();
    let _ = write!(
        message,
        " from registry {domain}, which needs {} {}",
        if wanted.len() == 1 {
            "the pull secret"
        } else {
            "one of the pull secrets"
        },
        list(wanted)
    );
    let entry = registry.entry().to_string();
    if domain != entry {
        let _ = write!(message, " (registry entry {entry})");
    }
    let service_account = review.spec.service_account();
    if review.pull_secrets.is_empty() {
        if review.subject.kind.is_template() {
            let _ = write!(
                message,
                ", but the pod template lists no imagePullSecrets (its Pods would get those of \
                 ServiceAccount {service_account:?}, which this policy cannot see)"
            );
        } else {
            let _ = write!(
                message,
                ", but imagePullSecrets is empty (ServiceAccount {service_account:?} provided \
                 none)"
            );
        }
        return;
    }
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
        ", but imagePullSecrets lists {} ({})",
        list(&review.pull_secrets),
        notes.join(", ")
    );
}

fn missing_secret_fixes(review: &PodReview<'_>, registry: &Registry) -> Vec<String> {
    let (subject, kind) = (review.subject, review.subject.kind);
    if !kind.is_template() && !subject.is_create() {
        return vec![
            "the imagePullSecrets of an existing Pod cannot change: use an image that its pull \
             secrets serve, or recreate the Pod with the secret"
                .into(),
        ];
    }
    let wanted = registry.pull_secrets();
    let secret = if wanted.len() == 1 {
        wanted[0].clone()
    } else {
        format!("one of {}", list(wanted))
    };
    let mut fixes = vec![format!(
        "add {secret} to {}.imagePullSecrets; the Secret must exist in {}",
        kind.pod_spec_path(),
        subject.namespace_phrase()
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
