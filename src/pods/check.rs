//! The pod-spec check: does every image that needs a pull secret reference one that serves it?
//!
//! Pure: the settings, a pod spec and (with `clusterLookups`) what the lookups read in, and
//! findings out, as data; `render::pod` words them.

use crate::cluster::pull_secrets::{Lookups, Source};
use crate::cluster::{LookupError, Resource};
use crate::kubelet::dockerconfig::{DecodeError, Format};
use crate::kubelet::keyring::{Ignored, PulledSecret, State};
use crate::kubelet::reference::{ImageRef, ReferenceError};
use crate::kubelet::registry::NearMiss;
use crate::request::{ContainerRole, Spec, WorkloadKind};
use crate::settings::{
    MissingPullSecrets, Registry, Settings, TemplatesWithoutPullSecrets, UnlistedRegistries,
};
use crate::verdict::{Subject, Verdict};

/// What the check found in one pod spec.
pub(crate) struct PodReview<'r> {
    pub(crate) subject: &'r Subject<'r, WorkloadKind>,
    pub(crate) spec: &'r Spec<'r>,
    /// The pull secrets the Pods use, as the kubelet reads the names.
    pub(crate) pull_secrets: Vec<&'r str>,
    /// What the cluster lookups read, when they ran.
    pub(crate) lookups: Option<&'r Lookups>,
    /// What rejects the object: about the pull secrets first, then about each container in
    /// the order the kubelet starts them.
    pub(crate) secret_problems: Vec<SecretProblem<'r>>,
    pub(crate) problems: Vec<Problem<'r>>,
    /// What is worth saying without rejecting, in the same order.
    pub(crate) secret_warnings: Vec<SecretProblem<'r>>,
    pub(crate) warnings: Vec<Warning<'r>>,
    /// An UPDATE left images alone: they were there before, with the same pull secrets.
    pub(crate) left_images_alone: bool,
}

impl PodReview<'_> {
    pub(crate) fn verdict(&self, settings: &Settings) -> Verdict {
        crate::pods::words::verdict(settings, self)
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
    /// The registry needs a pull secret and the Pods reference none of its secrets.
    MissingSecret {
        at: At<'r>,
        domain: &'r str,
        registry: &'r Registry,
    },
    /// The Pods reference secrets that may serve the registry, but the kubelet would find no
    /// credentials for the image in any of them.
    NotServed {
        at: At<'r>,
        domain: &'r str,
        registry: &'r Registry,
        candidates: Vec<Candidate<'r>>,
    },
}

/// A referenced Secret that may serve a registry, and, per key of it that looks meant for the
/// image (by index), why it misses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate<'r> {
    pub(crate) secret: &'r PulledSecret,
    pub(crate) hints: Vec<(usize, NearMiss)>,
}

impl Problem<'_> {
    pub(crate) fn at(&self) -> &At<'_> {
        match self {
            Problem::InvalidImage { at, .. }
            | Problem::Unlisted { at, .. }
            | Problem::MissingSecret { at, .. }
            | Problem::NotServed { at, .. } => at,
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

/// What the cluster lookups found wrong with the pull secrets themselves: a rejection, or
/// under `missingPullSecrets` a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretProblem<'r> {
    /// A referenced Secret that does not exist in the Pods' namespace.
    SecretMissing { name: &'r str },
    /// The ServiceAccount a template's Pods run as does not exist: they cannot be created.
    ServiceAccountMissing { name: &'r str },
    /// The policy may not read the objects (`names`) of this kind.
    Unreadable {
        resource: Resource,
        names: Vec<&'r str>,
        error: LookupError,
    },
    /// A referenced Secret the kubelet cannot decode.
    Poison {
        name: &'r str,
        format: Format,
        errors: &'r [DecodeError],
    },
    /// A referenced Secret the kubelet ignores.
    Ignored { name: &'r str, why: &'r Ignored },
}

/// Whether reviewing `spec` against `old` judges anything: a CREATE always does; an UPDATE when
/// an image is new or the pull secrets or the ServiceAccount changed. The cluster lookups run
/// only then.
pub(crate) fn judges_anything(spec: &Spec<'_>, old: Option<&Spec<'_>>) -> bool {
    let pull_secrets: Vec<&str> = spec.pull_secret_names().collect();
    let Some(old) = unchanged_secrets(spec, old, &pull_secrets) else {
        return true;
    };
    spec.all_containers()
        .filter_map(|(_, c)| c.image.as_deref().filter(|i| !i.is_empty()))
        .any(|image| !has_image(old, image))
}

/// The old spec, when the pull secrets and the ServiceAccount stayed the same.
fn unchanged_secrets<'o>(
    spec: &Spec<'_>,
    old: Option<&'o Spec<'o>>,
    pull_secrets: &[&str],
) -> Option<&'o Spec<'o>> {
    old.filter(|old| {
        same_names(old.pull_secret_names(), pull_secrets)
            && old.service_account() == spec.service_account()
    })
}

fn has_image(spec: &Spec<'_>, image: &str) -> bool {
    spec.all_containers()
        .any(|(_, c)| c.image.as_deref() == Some(image))
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
    lookups: Option<&'r Lookups>,
) -> PodReview<'r> {
    let own: Vec<&str> = spec.pull_secret_names().collect();
    let unchanged = unchanged_secrets(spec, old, &own);
    let pull_secrets = match lookups {
        Some(lookups) => lookups
            .keyring
            .secrets
            .iter()
            .map(|s| s.name.as_str())
            .collect(),
        None => own,
    };
    let forgive_templates = lookups.is_none()
        && subject.kind.is_template()
        && pull_secrets.is_empty()
        && settings.templates_without_pull_secrets() == TemplatesWithoutPullSecrets::Warn;

    let mut review = PodReview {
        subject,
        spec,
        pull_secrets,
        lookups,
        secret_problems: Vec::new(),
        problems: Vec::new(),
        secret_warnings: Vec::new(),
        warnings: Vec::new(),
        left_images_alone: false,
    };
    // What a referenced Secret or ServiceAccount that does not exist gets.
    let missing_blocks = match settings.missing_pull_secrets() {
        MissingPullSecrets::Auto => !subject.kind.is_template(),
        MissingPullSecrets::Warn => false,
        MissingPullSecrets::Reject => true,
    };
    if let Some(lookups) = lookups {
        review_pull_secrets(lookups, missing_blocks, &mut review);
    }
    for (role, container) in spec.all_containers() {
        // An empty image is the API server's to refuse (templates may leave it to tooling).
        let Some(image) = container.image.as_deref().filter(|i| !i.is_empty()) else {
            continue;
        };
        if unchanged.is_some_and(|old| has_image(old, image)) {
            review.left_images_alone = true;
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
                review.problems.push(Problem::InvalidImage { at, error });
                continue;
            }
        };
        let domain = reference.domain();
        match settings.registry_for(&reference) {
            None => {
                let near_miss = settings.near_miss(&reference);
                match (settings.unlisted_registries(), near_miss) {
                    (UnlistedRegistries::Reject, near_miss) => {
                        review.problems.push(Problem::Unlisted {
                            at,
                            domain,
                            near_miss,
                        });
                    }
                    (UnlistedRegistries::Allow, Some((registry, near_miss))) => {
                        review.warnings.push(Warning::AlmostListed {
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
            Some(registry) => {
                let accepted = review.pull_secrets.iter().any(|s| registry.accepts(s));
                let problem = if accepted {
                    lookups.and_then(|lookups| served_by_content(lookups, at, &reference, registry))
                } else if forgive_templates {
                    review
                        .warnings
                        .push(Warning::LeftToServiceAccount { at, registry });
                    None
                } else if lookups.is_some_and(unknown_list) {
                    None
                } else {
                    Some(Problem::MissingSecret {
                        at,
                        domain,
                        registry,
                    })
                };
                review.problems.extend(problem);
            }
        }
    }
    review
}

/// Whether the lookups could not tell which secrets the Pods use: a template's ServiceAccount
/// that could not be read (its own finding says so).
fn unknown_list(lookups: &Lookups) -> bool {
    matches!(lookups.source, Source::ServiceAccount { read: Err(_), .. })
}

/// The findings about the pull secrets themselves.
fn review_pull_secrets<'r>(lookups: &'r Lookups, missing_blocks: bool, review: &mut PodReview<'r>) {
    let missing = |problem: SecretProblem<'r>, review: &mut PodReview<'r>| {
        if missing_blocks {
            review.secret_problems.push(problem);
        } else {
            review.secret_warnings.push(problem);
        }
    };
    if let Source::ServiceAccount {
        name,
        read: Err(error),
    } = &lookups.source
    {
        match error {
            LookupError::NotFound => {
                missing(SecretProblem::ServiceAccountMissing { name }, review);
            }
            error => review.secret_problems.push(SecretProblem::Unreadable {
                resource: Resource::ServiceAccount,
                names: vec![name],
                error: *error,
            }),
        }
    }
    for secret in &lookups.keyring.secrets {
        let name = secret.name.as_str();
        match &secret.state {
            State::Unavailable(LookupError::NotFound) => {
                missing(SecretProblem::SecretMissing { name }, review);
            }
            State::Unavailable(error) => {
                // One finding per kind of failure, naming every Secret it hit.
                match review.secret_problems.iter_mut().find(|p| {
                    matches!(p, SecretProblem::Unreadable { resource: Resource::Secret, error: e, .. } if e == error)
                }) {
                    Some(SecretProblem::Unreadable { names, .. }) => names.push(name),
                    _ => review.secret_problems.push(SecretProblem::Unreadable {
                        resource: Resource::Secret,
                        names: vec![name],
                        error: *error,
                    }),
                }
            }
            State::Poison { format, errors } => {
                review.secret_problems.push(SecretProblem::Poison {
                    name,
                    format: *format,
                    errors,
                })
            }
            State::Ignored(why) => review
                .secret_warnings
                .push(SecretProblem::Ignored { name, why }),
            State::Usable { .. } => {}
        }
    }
}

/// With the lookups' content: does a secret the Pods reference, and that may serve
/// `registry`, hold a key the kubelet would send for `image`?
fn served_by_content<'r>(
    lookups: &'r Lookups,
    at: At<'r>,
    image: &ImageRef<'r>,
    registry: &'r Registry,
) -> Option<Problem<'r>> {
    let secrets = &lookups.keyring.secrets;
    let candidates: Vec<usize> = (0..secrets.len())
        .filter(|&i| registry.accepts(&secrets[i].name))
        .collect();
    let served = lookups
        .keyring
        .lookup(image)
        .iter()
        .any(|m| m.held.has_credentials && candidates.contains(&m.secret));
    if served {
        return None;
    }
    // A secret that could not be read (it does not exist, yet or at all), or that breaks every
    // pull, has its own finding, which says what to do.
    let poisoned = secrets
        .iter()
        .any(|s| matches!(s.state, State::Poison { .. }));
    let undecided = poisoned
        || candidates
            .iter()
            .any(|&i| matches!(secrets[i].state, State::Unavailable(_)));
    if undecided {
        return None;
    }
    let candidates = candidates
        .into_iter()
        .map(|i| {
            let secret = &secrets[i];
            let hints = match &secret.state {
                State::Usable { keys, .. } => keys
                    .iter()
                    .enumerate()
                    .filter_map(|(k, held)| {
                        let key = held.key.as_ref().ok()?;
                        Some((k, key.near_miss_of_image(image)?))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Candidate { secret, hints }
        })
        .collect();
    Some(Problem::NotServed {
        at,
        domain: image.domain(),
        registry,
        candidates,
    })
}

/// Whether two lists of pull secrets hold the same names, whatever their order and repeats.
/// Compared name by name: the lists are a few names long, and a sort would cost the module a
/// sort routine for them.
fn same_names<'x>(old: impl Iterator<Item = &'x str>, new: &[&str]) -> bool {
    let old: Vec<&str> = old.collect();
    old.iter().all(|name| new.contains(name)) && new.iter().all(|name| old.contains(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Object;
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
        review_pod_spec(settings, &subject, &spec, old.as_ref(), None).verdict(settings)
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
            review_pod_spec(&s, &subject, spec, None, None)
                .verdict(&s)
                .is_allowed()
        );
    }

    /// The cluster lookups, answered from a table of objects in namespace `team-a`.
    mod lookups {
        use super::*;
        use crate::cluster::pull_secrets::Lookups;
        use crate::cluster::{Cluster, LookupError, Objects, Resource};
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
            review_pod_spec(settings, &subject, &spec, None, Some(&lookups)).verdict(settings)
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
                m.contains(
                    r#"delete Secret "opaque" (`kubectl delete secret opaque --namespace team-a`"#
                ),
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
}
