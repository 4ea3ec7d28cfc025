//! The pull-secret check: would the kubelet decode this Secret, find credentials in it, and use
//! them for the registries the settings declare it for?
//!
//! Pure, like the pod-spec check: findings out, as data, which the caller words with
//! [`words`](super::words). Findings hold registry keys only as [`ShownKey`]s; the
//! credentials never leave `dockerconfig`.

use super::fix::{Refresh, SecretFix, refresh_server, server_for, servers_of_broken_keys};
use crate::kubelet::dockerconfig::{self, CredentialEnd, DecodeError, Format, ShownKey, show_key};
use crate::kubelet::pull_secret::{self, Ignored, Read, Unusable, Useless};
use crate::kubelet::registry::NearMiss;
use crate::request::Object;
use crate::settings::{Registry, Settings};
use crate::verdict::{SecretKind, Subject};
use crate::when::UnixTime;

/// What the check found in one Secret.
pub(crate) struct SecretReview<'r> {
    pub(crate) subject: &'r Subject<'r, SecretKind>,
    pub(crate) name: Option<&'r str>,
    /// What rejects the Secret.
    pub(crate) problems: Vec<SecretProblem<'r>>,
    pub(crate) warnings: Vec<SecretWarning<'r>>,
    /// How to write it right, when it is rejected.
    pub(crate) fix: SecretFix,
}

/// What makes a pull secret useless or harmful.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretProblem<'r> {
    /// A pull-secret type the kubelet ignores nonetheless (another type is
    /// [`SecretProblem::DeclaredOtherType`] or a warning: see [`other_type`]).
    Ignored(Ignored),
    /// Poison: the kubelet fails every pull of every Pod that references it.
    Undecodable {
        format: Format,
        errors: Vec<DecodeError>,
    },
    Useless {
        format: Format,
        why: Useless,
    },
    Unusable(Unusable),
    /// Declared for `registry`, but none of its keys serves that registry's images.
    Misaligned {
        registry: &'r Registry,
        held: Vec<(ShownKey, Option<NearMiss>)>,
    },
    /// Declared for registries and holding a pull-secret key, but of a type the kubelet
    /// does not read pull secrets from.
    DeclaredOtherType {
        declared: Vec<&'r Registry>,
        secret_type: &'r str,
        format: Format,
    },
    /// Declared for `registry`, and every key with credentials that serves it holds a
    /// credential that has expired (one finding per such key): the registry refuses them.
    Expired {
        registry: &'r Registry,
        key: ShownKey,
        end: CredentialEnd,
    },
}

/// What works, but not the way its author may think.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretWarning<'r> {
    /// `auth` and `username`/`password` say different things; the kubelet uses `auth`.
    AuthDisagrees { key: ShownKey },
    /// An `http://` key: the scheme is ignored for matching and not a way to pull over HTTP.
    HttpKey { key: ShownKey },
    /// Declared for a literal registry entry, but its usable keys serve only part of it.
    PartialService {
        registry: &'r Registry,
        keys: Vec<ShownKey>,
    },
    /// A key the kubelet cannot use, beside keys it can.
    Unusable(Unusable),
    /// Declared for registries, but of another type and holding no pull-secret key: maybe an
    /// unrelated Secret that shares the name.
    DeclaredOtherTypeWithoutKey {
        declared: Vec<&'r Registry>,
        secret_type: &'r str,
    },
    /// Not declared, of another type, holding a pull-secret key the kubelet will ignore.
    IgnoredForItsType {
        secret_type: &'r str,
        format: Format,
    },
    /// A key whose credential ends soon, or has expired where that fails no registry the
    /// Secret is declared for (it is not declared for one, or another key serves it).
    Dated { key: ShownKey, end: CredentialEnd },
}

/// Checks a Secret on CREATE or UPDATE. `name` is its `metadata.name`, which the settings
/// refer to; `old` is the Secret before an UPDATE; dated credentials are judged as of `now`.
/// `None` when there is nothing to judge.
pub(crate) fn check_secret<'r>(
    settings: &'r Settings,
    subject: &'r Subject<'r, SecretKind>,
    name: Option<&'r str>,
    secret: &'r Object<'r>,
    old: Option<&Object<'_>>,
    now: UnixTime,
) -> Option<SecretReview<'r>> {
    if !settings.validate_secrets() {
        return None;
    }
    // An update that leaves the type and content alone is not judged again, so that an
    // existing Secret can still be labelled, annotated or finalised.
    if old.is_some_and(|old| old.same_pull_content(secret)) {
        return None;
    }
    Some(review_secret(settings, subject, name, secret, now))
}

fn review_secret<'r>(
    settings: &'r Settings,
    subject: &'r Subject<'r, SecretKind>,
    name: Option<&'r str>,
    secret: &'r Object<'r>,
    now: UnixTime,
) -> SecretReview<'r> {
    let declared: Vec<&Registry> = name
        .into_iter()
        .flat_map(|name| settings.registries_served_by(name))
        .collect();
    let mut review = SecretReview {
        subject,
        name,
        problems: Vec::new(),
        warnings: Vec::new(),
        fix: SecretFix::serving(declared.iter().map(|r| server_for(r)).collect()),
    };
    let (format, content) = match pull_secret::read(secret) {
        Read::Ignored(Ignored::OtherType { holds, .. }) => {
            let secret_type = secret.secret_type.as_deref().unwrap_or("Opaque");
            other_type(&mut review, declared, secret_type, holds);
            return review;
        }
        Read::Ignored(why) => {
            review.problems.push(SecretProblem::Ignored(why));
            return review;
        }
        Read::Content { format, bytes } => (format, bytes),
    };

    let decoded = dockerconfig::decode(format, &content);
    if !decoded.errors.is_empty() {
        // Servers for the fix: the registries the secret is declared for, else the broken keys
        // as the kubelet parses them (no user info: a key with some may hide a password in
        // what Go parses as host or path).
        if declared.is_empty() {
            review.fix.servers = servers_of_broken_keys(&decoded.errors);
        }
        review.problems.push(SecretProblem::Undecodable {
            format,
            errors: decoded.errors,
        });
        return review;
    }
    if let Some(why) = pull_secret::useless(format, &decoded) {
        review.problems.push(SecretProblem::Useless { format, why });
        return review;
    }

    let keys = pull_secret::keys(&decoded);
    for entry in &decoded.entries {
        if entry.auth_disagrees {
            review.warnings.push(SecretWarning::AuthDisagrees {
                key: show_key(&entry.key),
            });
        }
        if entry.key.starts_with("http://") {
            review.warnings.push(SecretWarning::HttpKey {
                key: show_key(&entry.key),
            });
        }
    }
    // Per key, why the kubelet cannot use it, if it cannot. Such keys sink the secret when
    // nothing else in it works, or when they are all it has for a registry it is declared for;
    // otherwise they are only worth a warning (a ~/.docker/config.json often has a few).
    let mut unusable = pull_secret::unusable(&decoded, &keys);
    if unusable.iter().all(Option::is_some) {
        review.problems.extend(
            unusable
                .iter_mut()
                .filter_map(Option::take)
                .map(SecretProblem::Unusable),
        );
    }
    let mut misaligned_for: Vec<&Registry> = Vec::new();
    // When key `i`'s credential stops working, where it tells; the keys whose expiry fails a
    // registry the Secret is declared for.
    let end_of = |i: usize| decoded.entries[i].dated.map(|d| d.seen_at(now));
    let mut expired_for_declared: Vec<usize> = Vec::new();
    for registry in declared {
        let mut serving: Vec<usize> = (0..keys.len())
            .filter(|&i| {
                keys[i]
                    .as_ref()
                    .is_ok_and(|k| k.serves_some_of(registry.entry()))
            })
            .collect();
        // The kubelet falls back to the Docker Hub key only when no key matches the image:
        // a key for docker.io, even one without credentials, shadows it.
        let fallback = |&i: &usize| keys[i].as_ref().is_ok_and(|k| k.is_docker_hub_index());
        if serving.iter().any(|i| !fallback(i)) {
            serving.retain(|i| !fallback(i));
        }
        let usable: Vec<usize> = serving
            .iter()
            .copied()
            .filter(|&i| keys[i].is_ok() && decoded.entries[i].has_credentials)
            .collect();
        // The kubelet tries every key that serves an image until one works: the registry is
        // failed only when all of them have expired.
        let expired = |&i: &usize| end_of(i).is_some_and(CredentialEnd::is_expired);
        if !usable.is_empty() && usable.iter().all(expired) {
            for &i in &usable {
                let Some(end) = end_of(i) else { continue };
                review.problems.push(SecretProblem::Expired {
                    registry,
                    key: show_key(&decoded.entries[i].key),
                    end,
                });
                let refresh = Refresh {
                    server: refresh_server(registry, &decoded.entries[i].key, &keys[i]),
                    kind: end.kind,
                    entry: registry.entry().to_string(),
                };
                if !review.fix.refresh.contains(&refresh) {
                    review.fix.refresh.push(refresh);
                }
                expired_for_declared.push(i);
            }
            continue;
        }
        if !usable.is_empty() {
            let entry = registry.entry();
            let serves_all = usable
                .iter()
                .any(|&i| keys[i].as_ref().is_ok_and(|k| k.serves_all_of(entry)));
            // Serving part of a glob entry is what a secret for one of its registries does.
            if !entry.has_glob() && !serves_all {
                review.warnings.push(SecretWarning::PartialService {
                    registry,
                    keys: usable
                        .iter()
                        .map(|&i| show_key(&decoded.entries[i].key))
                        .collect(),
                });
            }
            continue;
        }
        if serving.is_empty() {
            review.problems.push(SecretProblem::Misaligned {
                registry,
                held: decoded
                    .entries
                    .iter()
                    .zip(&keys)
                    .map(|(e, key)| {
                        let why = key
                            .as_ref()
                            .ok()
                            .and_then(|k| k.near_miss_of(registry.entry()));
                        (show_key(&e.key), why)
                    })
                    .collect(),
            });
        }
        for &i in &serving {
            review
                .problems
                .extend(unusable[i].take().map(SecretProblem::Unusable));
        }
        misaligned_for.push(registry);
    }
    review
        .warnings
        .extend(unusable.into_iter().flatten().map(SecretWarning::Unusable));
    for (i, entry) in decoded.entries.iter().enumerate() {
        if let Some(end) = end_of(i)
            && (end.is_expired() || end.ends_soon())
            && entry.has_credentials
            && keys[i].is_ok()
            && !expired_for_declared.contains(&i)
        {
            review.warnings.push(SecretWarning::Dated {
                key: show_key(&entry.key),
                end,
            });
        }
    }
    if !misaligned_for.is_empty() {
        review.fix.servers = misaligned_for.into_iter().map(server_for).collect();
    }
    review
}

/// A Secret of another type. The kubelet reads pull secrets only from the two pull-secret
/// types, so one declared in the settings and holding a pull-secret key (what `kubectl create
/// secret generic --from-file=.dockerconfigjson=...` writes) fails every pull it is meant for;
/// other cases only get a warning, since the settings' names hold in every namespace and an
/// unrelated Secret elsewhere may share one.
fn other_type<'r>(
    review: &mut SecretReview<'r>,
    declared: Vec<&'r Registry>,
    secret_type: &'r str,
    held: Vec<Format>,
) {
    match (declared.is_empty(), held.first()) {
        (false, Some(&format)) => {
            // The type of a Secret cannot change: an existing one must go first.
            review.fix.delete_first = !review.subject.is_create();
            review.problems.push(SecretProblem::DeclaredOtherType {
                declared,
                secret_type,
                format,
            });
        }
        (false, None) => review
            .warnings
            .push(SecretWarning::DeclaredOtherTypeWithoutKey {
                declared,
                secret_type,
            }),
        (true, _) => review.warnings.extend(held.into_iter().map(|format| {
            SecretWarning::IgnoredForItsType {
                secret_type,
                format,
            }
        })),
    }
}
