//! The pod-spec check: does every image that needs a pull secret reference one that serves it?
//!
//! Pure: the settings, a pod spec and (with `clusterLookups`) what the lookups read in, and
//! findings out, as data, which the caller words with [`words`](super::words) or fixes with
//! [`fix`](super::fix).

use crate::cluster::{LookupError, Resource};
use crate::kubelet::dockerconfig::{CredentialEnd, DecodeError, Format, ShownKey};
use crate::kubelet::keyring::{PulledSecret, State};
use crate::kubelet::lookups::{Lookups, Source};
use crate::kubelet::pull_secret::Ignored;
use crate::kubelet::reference::{ImageRef, ReferenceError};
use crate::kubelet::registry::NearMiss;
use crate::request::{ContainerRole, Spec, WorkloadKind};
use crate::settings::{
    MissingPullSecrets, Registry, Settings, TemplatesWithoutPullSecrets, UnlistedRegistries,
};
use crate::verdict::Subject;
use crate::when::UnixTime;

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
    pub(crate) secret_problems: Vec<PullSecretProblem<'r>>,
    pub(crate) problems: Vec<PodProblem<'r>>,
    /// What is worth saying without rejecting, in the same order.
    pub(crate) secret_warnings: Vec<PullSecretProblem<'r>>,
    pub(crate) warnings: Vec<PodWarning<'r>>,
    /// An UPDATE left images alone: they were there before, with the same pull secrets.
    pub(crate) left_images_alone: bool,
    /// The time dated credentials were judged at.
    pub(crate) now: UnixTime,
}

impl PodReview<'_> {
    /// Whether the review found anything that rejects the object (or that the fix fixes).
    pub(crate) fn finds_anything(&self) -> bool {
        !self.problems.is_empty() || !self.secret_problems.is_empty()
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
pub(crate) enum PodProblem<'r> {
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
    /// The Pods reference secrets that serve the registry, but every credential the kubelet
    /// would send for the image, in the order it tries them, has expired.
    Expired {
        at: At<'r>,
        domain: &'r str,
        registry: &'r Registry,
        keys: Vec<ExpiredKey<'r>>,
    },
}

/// A registry key of a referenced Secret whose credential has expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExpiredKey<'r> {
    pub(crate) secret: &'r str,
    pub(crate) key: &'r ShownKey,
    pub(crate) end: CredentialEnd,
}

/// A referenced Secret that may serve a registry, and, per key of it that looks meant for the
/// image (by index), why it misses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate<'r> {
    pub(crate) secret: &'r PulledSecret,
    pub(crate) hints: Vec<(usize, NearMiss)>,
}

impl PodProblem<'_> {
    pub(crate) fn at(&self) -> &At<'_> {
        match self {
            PodProblem::InvalidImage { at, .. }
            | PodProblem::Unlisted { at, .. }
            | PodProblem::MissingSecret { at, .. }
            | PodProblem::NotServed { at, .. }
            | PodProblem::Expired { at, .. } => at,
        }
    }
}

/// A container worth a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PodWarning<'r> {
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
pub(crate) enum PullSecretProblem<'r> {
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
/// controllers can keep managing (and users deleting) objects admitted before the policy. The
/// credentials the lookups read are judged as of `now`.
pub(crate) fn review_pod_spec<'r>(
    settings: &'r Settings,
    subject: &'r Subject<'r, WorkloadKind>,
    spec: &'r Spec<'r>,
    old: Option<&'r Spec<'r>>,
    lookups: Option<&'r Lookups>,
    now: UnixTime,
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
        now,
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
                review.problems.push(PodProblem::InvalidImage { at, error });
                continue;
            }
        };
        let domain = reference.domain();
        match settings.registry_for(&reference) {
            None => {
                let near_miss = settings.near_miss(&reference);
                match (settings.unlisted_registries(), near_miss) {
                    (UnlistedRegistries::Reject, near_miss) => {
                        review.problems.push(PodProblem::Unlisted {
                            at,
                            domain,
                            near_miss,
                        });
                    }
                    (UnlistedRegistries::Allow, Some((registry, near_miss))) => {
                        review.warnings.push(PodWarning::AlmostListed {
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
                    lookups.and_then(|lookups| {
                        served_by_content(lookups, at, &reference, registry, now)
                    })
                } else if forgive_templates {
                    review
                        .warnings
                        .push(PodWarning::LeftToServiceAccount { at, registry });
                    None
                } else if lookups.is_some_and(unknown_list) {
                    None
                } else {
                    Some(PodProblem::MissingSecret {
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
    let missing = |problem: PullSecretProblem<'r>, review: &mut PodReview<'r>| {
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
                missing(PullSecretProblem::ServiceAccountMissing { name }, review);
            }
            error => review.secret_problems.push(PullSecretProblem::Unreadable {
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
                missing(PullSecretProblem::SecretMissing { name }, review);
            }
            State::Unavailable(error) => {
                // One finding per kind of failure, naming every Secret it hit.
                match review.secret_problems.iter_mut().find(|p| {
                    matches!(p, PullSecretProblem::Unreadable { resource: Resource::Secret, error: e, .. } if e == error)
                }) {
                    Some(PullSecretProblem::Unreadable { names, .. }) => names.push(name),
                    _ => review.secret_problems.push(PullSecretProblem::Unreadable {
                        resource: Resource::Secret,
                        names: vec![name],
                        error: *error,
                    }),
                }
            }
            State::Poison { format, errors } => {
                review.secret_problems.push(PullSecretProblem::Poison {
                    name,
                    format: *format,
                    errors,
                })
            }
            State::Ignored(why) => review
                .secret_warnings
                .push(PullSecretProblem::Ignored { name, why }),
            State::Usable { .. } => {}
        }
    }
}

/// With the lookups' content: does a secret the Pods reference, and that may serve
/// `registry`, hold a key the kubelet would send for `image`, whose credential has not expired
/// at `now`? (The kubelet tries each matching key until one works.)
fn served_by_content<'r>(
    lookups: &'r Lookups,
    at: At<'r>,
    image: &ImageRef<'r>,
    registry: &'r Registry,
    now: UnixTime,
) -> Option<PodProblem<'r>> {
    let secrets = &lookups.keyring.secrets;
    let candidates: Vec<usize> = (0..secrets.len())
        .filter(|&i| registry.accepts(&secrets[i].name))
        .collect();
    let matches = lookups.keyring.lookup(image);
    // The credentials the kubelet offers, in order; each one that has not expired may work.
    let mut expired = Vec::new();
    for m in &matches {
        if !(m.held.has_credentials && candidates.contains(&m.secret)) {
            continue;
        }
        match m.held.end(now).filter(|end| end.is_expired()) {
            Some(end) => expired.push(ExpiredKey {
                secret: &secrets[m.secret].name,
                key: &m.held.shown,
                end,
            }),
            None => return None,
        }
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
    if !expired.is_empty() {
        return Some(PodProblem::Expired {
            at,
            domain: image.domain(),
            registry,
            keys: expired,
        });
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
    Some(PodProblem::NotServed {
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
