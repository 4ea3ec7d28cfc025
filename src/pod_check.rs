//! The pod-spec check: does every image that needs a pull secret reference one that serves it?
//!
//! Pure: the settings and a pod spec in, findings out, as data; `render::pod` words them.

use crate::reference::{ImageRef, ReferenceError};
use crate::registry::NearMiss;
use crate::settings::{Registry, Settings, TemplatesWithoutPullSecrets, UnlistedRegistries};
use crate::verdict::{Subject, Verdict};
use crate::workload::{ContainerRole, Spec, WorkloadKind};

/// What the check found in one pod spec.
pub(crate) struct PodReview<'r> {
    pub(crate) subject: &'r Subject<'r, WorkloadKind>,
    pub(crate) spec: &'r Spec<'r>,
    /// The names in `imagePullSecrets`, as the kubelet reads them.
    pub(crate) pull_secrets: Vec<&'r str>,
    /// What rejects the object, in the order the kubelet starts the containers.
    pub(crate) problems: Vec<Problem<'r>>,
    /// What is worth saying without rejecting, in the same order.
    pub(crate) warnings: Vec<Warning<'r>>,
}

impl PodReview<'_> {
    pub(crate) fn verdict(&self, settings: &Settings) -> Verdict {
        crate::render::pod::verdict(settings, self)
    }
}

/// Where a finding is: which container, pulling which image (as written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At<'r> {
    pub(crate) role: ContainerRole,
    pub(crate) container: &'r str,
    pub(crate) image: &'r str,
}

/// A container whose image the Pods would fail to pull, or that the settings refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem<'r> {
    /// The runtimes cannot parse the reference: the kubelet fails it with InvalidImageName.
    InvalidImage { at: At<'r>, error: ReferenceError },
    /// `unlistedRegistries: reject` and no registry entry covers the image.
    Unlisted {
        at: At<'r>,
        domain: &'r str,
        near_miss: Option<(&'r Registry, NearMiss)>,
    },
    /// The registry needs a pull secret and the pod spec references none of its secrets.
    MissingSecret {
        at: At<'r>,
        domain: &'r str,
        registry: &'r Registry,
    },
}

impl Problem<'_> {
    pub(crate) fn at(&self) -> &At<'_> {
        match self {
            Problem::InvalidImage { at, .. }
            | Problem::Unlisted { at, .. }
            | Problem::MissingSecret { at, .. } => at,
        }
    }
}

/// A container worth a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Warning<'r> {
    /// Under `unlistedRegistries: allow`, an image whose host almost names a listed registry.
    AlmostListed {
        at: At<'r>,
        domain: &'r str,
        registry: &'r Registry,
        near_miss: NearMiss,
    },
    /// Under `templatesWithoutPullSecrets: warn`, a template that lists no pull secrets for an
    /// image that needs one: its Pods must get it from their ServiceAccount.
    LeftToServiceAccount { at: At<'r>, registry: &'r Registry },
}

/// Checks the images of `spec`. On UPDATE (`old` is the previous pod spec) only what the
/// update changes is judged: images that were not there before, or every image when the pull
/// secrets or the ServiceAccount changed. An update that touches neither is accepted, so that
/// controllers can keep managing (and users deleting) objects admitted before the policy.
pub(crate) fn review_pod_spec<'r>(
    settings: &'r Settings,
    subject: &'r Subject<'r, WorkloadKind>,
    spec: &'r Spec<'r>,
    old: Option<&'r Spec<'r>>,
) -> PodReview<'r> {
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
    let forgive_templates = subject.kind.is_template()
        && pull_secrets.is_empty()
        && settings.templates_without_pull_secrets() == TemplatesWithoutPullSecrets::Warn;

    let (mut problems, mut warnings) = (Vec::new(), Vec::new());
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
            container: &container.name,
            image,
        };
        let reference = match ImageRef::parse(image) {
            Ok(reference) => reference,
            Err(error) => {
                problems.push(Problem::InvalidImage { at, error });
                continue;
            }
        };
        let domain = reference.domain();
        match settings.registry_for(&reference) {
            None => {
                let near_miss = settings.near_miss(&reference);
                match (settings.unlisted_registries(), near_miss) {
                    (UnlistedRegistries::Reject, near_miss) => problems.push(Problem::Unlisted {
                        at,
                        domain,
                        near_miss,
                    }),
                    (UnlistedRegistries::Allow, Some((registry, near_miss))) => {
                        warnings.push(Warning::AlmostListed {
                            at,
                            domain,
                            registry,
                            near_miss,
                        });
                    }
                    (UnlistedRegistries::Allow, None) => {}
                }
            }
            Some(registry) if !registry.needs_pull_secret() => {}
            Some(registry) if pull_secrets.iter().any(|s| registry.is_served_by(s)) => {}
            Some(registry) if forgive_templates => {
                warnings.push(Warning::LeftToServiceAccount { at, registry });
            }
            Some(registry) => problems.push(Problem::MissingSecret {
                at,
                domain,
                registry,
            }),
        }
    }
    PodReview {
        subject,
        spec,
        pull_secrets,
        problems,
        warnings,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Object;
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
        review_pod_spec(settings, &subject, &spec, old.as_ref()).verdict(settings)
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
        assert!(
            review_pod_spec(&s, &subject, spec, None)
                .verdict(&s)
                .is_allowed()
        );
    }
}
