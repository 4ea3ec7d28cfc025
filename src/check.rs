//! The pod-spec check: does every image that needs a pull secret reference one that serves it?
//!
//! Pure: a pod spec and the settings in, a [`Verdict`] out. No waPC, no host calls, so it runs
//! natively in tests exactly as in the module.

use std::fmt::Write as _;

use crate::reference::{ImageRef, ReferenceError};
use crate::registry::{looks_like_typo, split_host_port};
use crate::settings::{Registry, Settings, TemplatesWithoutPullSecrets, UnlistedRegistries};
use crate::verdict::{Subject, Verdict};
use crate::workload::{Container, ContainerRole, Spec, WorkloadKind};

/// Checks the images of `spec`. On UPDATE (`old` is the previous pod spec) only what the
/// update changes is judged: images that were not there before, or every image when the pull
/// secrets or the ServiceAccount changed. An update that touches neither is accepted, so that
/// controllers can keep managing (and users deleting) objects admitted before the policy.
pub fn check_pod_spec(
    settings: &Settings,
    kind: WorkloadKind,
    subject: &Subject<'_>,
    spec: &Spec<'_>,
    old: Option<&Spec<'_>>,
) -> Verdict {
    let pull_secrets: Vec<&str> = spec.pull_secret_names().collect();
    // The old spec counts only when the secrets and the ServiceAccount stayed the same.
    let unchanged = old.filter(|old| {
        same_names(old.pull_secret_names(), &pull_secrets)
            && old.service_account() == spec.service_account()
    });
    let unchanged_image = |image: &str| {
        unchanged.is_some_and(|old| {
            old.all_containers()
                .any(|(_, c)| c.image.as_deref() == Some(image))
        })
    };

    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for (role, container) in spec.all_containers() {
        // An empty image is the API server's to refuse (templates may leave it to tooling).
        let Some(image) = container.image.as_deref().filter(|i| !i.is_empty()) else {
            continue;
        };
        if unchanged_image(image) {
            continue;
        }
        let at = At {
            role,
            container,
            image,
        };
        let reference = match ImageRef::parse(image) {
            Ok(reference) => reference,
            Err(error) => {
                problems.push(Problem::InvalidImage { at, error });
                continue;
            }
        };
        match settings.registry_for(&reference) {
            None => {
                let near_miss = near_miss(settings, &reference);
                match settings.unlisted_registries() {
                    UnlistedRegistries::Reject => problems.push(Problem::Unlisted {
                        at,
                        domain: reference.domain().to_owned(),
                        near_miss,
                    }),
                    UnlistedRegistries::Allow => {
                        if let Some(near_miss) = near_miss {
                            warnings.push(format!(
                                "{} {:?}: registry {} is not in the policy settings, so its \
                                 images are treated as public; did you mean {}? ({})",
                                role.noun(),
                                container.name,
                                reference.domain(),
                                near_miss.registry.pattern(),
                                near_miss.why
                            ));
                        }
                    }
                }
            }
            Some(registry) if !registry.needs_pull_secret() => {}
            Some(registry) if pull_secrets.iter().any(|s| registry.is_served_by(s)) => {}
            Some(registry)
                if pull_secrets.is_empty()
                    && kind.is_template()
                    && settings.templates_without_pull_secrets()
                        == TemplatesWithoutPullSecrets::Warn =>
            {
                warnings.push(format!(
                    "{} {:?}: {} needs one of the pull secrets {} for {}, and the pod template \
                     lists no imagePullSecrets: its Pods must get one from ServiceAccount {:?}",
                    role.noun(),
                    container.name,
                    image,
                    list(registry.pull_secrets()),
                    registry.pattern(),
                    spec.service_account()
                ));
            }
            Some(registry) => problems.push(Problem::MissingSecret {
                at,
                domain: reference.domain().to_owned(),
                registry,
            }),
        }
    }

    if problems.is_empty() {
        return Verdict::Accept { warnings };
    }
    let message = render(settings, kind, subject, spec, &pull_secrets, &problems);
    Verdict::Reject { message, warnings }
}

/// Where a problem is: which container, pulling which image (as written).
struct At<'s, 'a> {
    role: ContainerRole,
    container: &'s Container<'a>,
    image: &'s str,
}

enum Problem<'s, 'a> {
    /// The runtimes cannot parse the reference: the kubelet fails it with InvalidImageName.
    InvalidImage {
        at: At<'s, 'a>,
        error: ReferenceError,
    },
    /// `unlistedRegistries: reject` and no registry entry covers the image.
    Unlisted {
        at: At<'s, 'a>,
        domain: String,
        near_miss: Option<NearMiss<'s>>,
    },
    /// The registry needs a pull secret and none of the Pod's serves it.
    MissingSecret {
        at: At<'s, 'a>,
        domain: String,
        registry: &'s Registry,
    },
}

/// A configured registry that an unlisted image's host almost names.
struct NearMiss<'s> {
    registry: &'s Registry,
    why: &'static str,
}

fn near_miss<'s>(settings: &'s Settings, image: &ImageRef<'_>) -> Option<NearMiss<'s>> {
    let (host, port) = split_host_port(image.domain());
    settings
        .registries()
        .iter()
        .filter(|r| !r.pattern().has_glob())
        .find_map(|registry| {
            let (r_host, r_port) = (registry.pattern().host(), registry.pattern().port());
            let why = if r_host == host {
                // Same host and port but not covered: a path prefix that does not apply.
                if r_port == port {
                    return None;
                }
                "the port differs"
            } else if r_host.eq_ignore_ascii_case(host) {
                if r_port == port {
                    "the host differs only in case, and registry hosts are case-sensitive"
                } else {
                    "the host differs in case and port"
                }
            } else if looks_like_typo(r_host, host) {
                "the host looks like a typo"
            } else {
                return None;
            };
            Some(NearMiss { registry, why })
        })
}

fn same_names<'x>(old: impl Iterator<Item = &'x str>, new: &[&str]) -> bool {
    let mut old: Vec<&str> = old.collect();
    let mut new = new.to_vec();
    old.sort_unstable();
    old.dedup();
    new.sort_unstable();
    new.dedup();
    old == new
}

fn list(names: &[impl AsRef<str>]) -> String {
    names
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}

fn render(
    settings: &Settings,
    kind: WorkloadKind,
    subject: &Subject<'_>,
    spec: &Spec<'_>,
    pull_secrets: &[&str],
    problems: &[Problem<'_, '_>],
) -> String {
    let mut message = String::new();
    let count = problems.len();
    let _ = write!(
        message,
        "{subject}: {count} {} cannot pull {}: ",
        if count == 1 {
            "container"
        } else {
            "containers"
        },
        if count == 1 {
            "its image"
        } else {
            "their images"
        },
    );
    let mut fixes: Vec<String> = Vec::new();
    let mut add_fix = |fix: String| {
        if !fixes.contains(&fix) {
            fixes.push(fix);
        }
    };
    for (i, problem) in problems.iter().enumerate() {
        if i > 0 {
            message.push_str("; ");
        }
        let (Problem::InvalidImage { at, .. }
        | Problem::Unlisted { at, .. }
        | Problem::MissingSecret { at, .. }) = problem;
        let _ = write!(
            message,
            "{} {:?} pulls {:?}",
            at.role.noun(),
            at.container.name,
            at.image
        );
        match problem {
            Problem::InvalidImage { error, .. } => {
                let _ = write!(
                    message,
                    ", which is not a valid image reference ({error}): the kubelet would fail it \
                     with InvalidImageName"
                );
                add_fix("correct the image reference".into());
            }
            Problem::Unlisted {
                domain, near_miss, ..
            } => {
                let _ = write!(
                    message,
                    " from registry {domain}, which the policy settings do not list \
                     (unlistedRegistries: reject)"
                );
                if let Some(near_miss) = near_miss {
                    let _ = write!(
                        message,
                        "; did you mean {}? ({})",
                        near_miss.registry.pattern(),
                        near_miss.why
                    );
                }
                let listed = settings.listed_registries();
                add_fix(if listed.is_empty() {
                    format!(
                        "ask the cluster administrators to list {domain} in the policy settings"
                    )
                } else {
                    format!(
                        "pull from a listed registry ({}), or ask the cluster administrators to \
                         list {domain} in the policy settings",
                        list(&listed)
                    )
                });
            }
            Problem::MissingSecret {
                domain, registry, ..
            } => {
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
                if domain != &registry.pattern().to_string() {
                    let _ = write!(message, " (registry entry {})", registry.pattern());
                }
                if pull_secrets.is_empty() {
                    if kind.is_template() {
                        let _ = write!(
                            message,
                            ", but the pod template lists no imagePullSecrets (its Pods would \
                             get those of ServiceAccount {:?}, which this policy cannot see)",
                            spec.service_account()
                        );
                    } else {
                        let _ = write!(
                            message,
                            ", but imagePullSecrets is empty (ServiceAccount {:?} provided none)",
                            spec.service_account()
                        );
                    }
                } else {
                    let _ = write!(
                        message,
                        ", but imagePullSecrets lists {}",
                        list(pull_secrets)
                    );
                    let notes: Vec<String> = pull_secrets
                        .iter()
                        .map(|secret| {
                            let serves: Vec<String> = settings
                                .registries_served_by(secret)
                                .map(|r| r.pattern().to_string())
                                .collect();
                            if serves.is_empty() {
                                format!("{secret} is not declared for any registry")
                            } else {
                                format!(
                                    "{secret} serves {}, not {}",
                                    serves.join(" and "),
                                    registry.pattern()
                                )
                            }
                        })
                        .collect();
                    let _ = write!(message, " ({})", notes.join(", "));
                }
                if kind.is_template() || subject.is_create() {
                    add_fix(format!(
                        "add {} to {}.imagePullSecrets; the Secret must exist in {}",
                        if wanted.len() == 1 {
                            wanted[0].clone()
                        } else {
                            format!("one of {}", list(wanted))
                        },
                        kind.pod_spec_path(),
                        subject.namespace_phrase()
                    ));
                    if kind.is_template() && pull_secrets.is_empty() {
                        add_fix(format!(
                            "if ServiceAccount {:?} carries the secret, set \
                             templatesWithoutPullSecrets: warn in the policy settings",
                            spec.service_account()
                        ));
                    }
                } else {
                    add_fix(
                        "the imagePullSecrets of an existing Pod cannot change: use an image \
                         that its pull secrets serve, or recreate the Pod with the secret"
                            .into(),
                    );
                }
            }
        }
    }
    message.push_str(". To fix: ");
    message.push_str(&fixes.join("; "));
    message.push('.');
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Object;

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
        let subject = Subject::for_test(kind.name(), old.is_none());
        check_pod_spec(settings, kind, &subject, &spec, old.as_ref())
    }

    fn pod(images: &[&str], secrets: &[&str]) -> Verdict {
        check(
            &settings(""),
            WorkloadKind::Pod,
            &pod_spec(images, secrets),
            None,
        )
    }

    #[test]
    fn public_and_served_images_pass() {
        let cases: &[(&[&str], &[&str])] = &[
            (&["nginx", "docker.io/library/busybox:1.36"], &[]),
            (&["private.registry.com/team/app:1"], &["regcred"]),
            (
                &["private.registry.com/team/app:1"],
                &["other", "regcred-ro"],
            ),
            (&["registry.local:5000/team/app"], &["local"]),
            (&["123.dkr.ecr.eu-west-1.amazonaws.com/app"], &[]),
            (&["quay.io/other-org/app"], &[]),
            (&["quay.io/my-org/app"], &["quay-my-org"]),
        ];
        for (images, secrets) in cases {
            assert!(pod(images, secrets).is_allowed(), "{images:?} {secrets:?}");
        }
    }

    #[test]
    fn missing_secret_is_explained() {
        let v = pod(
            &["nginx", "private.registry.com/team/app:1.0"],
            &["gcr-creds"],
        );
        let m = v.expect_rejected();
        assert!(
            m.contains(r#"container "c1" pulls "private.registry.com/team/app:1.0""#),
            "{m}"
        );
        assert!(
            m.contains("needs one of the pull secrets regcred, regcred-ro"),
            "{m}"
        );
        assert!(m.contains("imagePullSecrets lists gcr-creds"), "{m}");
        assert!(
            m.contains("gcr-creds serves gcr.io, not private.registry.com"),
            "{m}"
        );
        assert!(
            m.contains("add one of regcred, regcred-ro to spec.imagePullSecrets"),
            "{m}"
        );
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

    #[test]
    fn port_and_path_must_match() {
        // A missing :5000 is another registry (public by default), with a hint.
        let v = pod(&["registry.local/team/app"], &[]);
        let Verdict::Accept { warnings } = &v else {
            panic!("{v:?}")
        };
        assert!(warnings[0].contains("did you mean registry.local:5000? (the port differs)"));
        assert!(pod(&["quay.io/my-organisation/app"], &[]).is_allowed());
    }

    #[test]
    fn near_misses_under_reject() {
        let s = settings(r#""unlistedRegistries":"reject","#);
        let cases = [
            (
                "my-private.registry.com/app",
                "did you mean private.registry.com? (the host looks like a typo)",
            ),
            ("Private.Registry.com/app", "differs only in case"),
            ("private.registry.com:5000/app", "the port differs"),
            ("ghcr.io/x/y", "which the policy settings do not list"),
        ];
        for (image, fragment) in cases {
            let v = check(&s, WorkloadKind::Pod, &pod_spec(&[image], &[]), None);
            let m = v.expect_rejected();
            assert!(m.contains(fragment), "{image}: {m}");
        }
        let v = check(
            &s,
            WorkloadKind::Pod,
            &pod_spec(&["ghcr.io/x/y"], &[]),
            None,
        );
        assert!(!v.expect_rejected().contains("did you mean"));
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
        let Verdict::Accept { warnings } = &v else {
            panic!("{v:?}")
        };
        assert!(warnings[0].contains(r#"ServiceAccount "builder""#));
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
        let subject = Subject::for_test("CronJob", true);
        let kind = WorkloadKind::CronJob;
        assert!(check_pod_spec(&settings(""), kind, &subject, spec, None).is_allowed());
    }
}
