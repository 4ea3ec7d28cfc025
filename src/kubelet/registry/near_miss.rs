//! Why a registry location that does not match looks meant to: the traps that end in
//! `unauthorized` pulls. One heuristic for both questions the policy asks, "is this image's
//! host almost a listed registry?" and "is this secret key almost the registry it is for?".
//! The reasons are data; `render` words them.

use super::Location;
use crate::kubelet::docker_hub;

/// A near miss: what was found instead of the wanted location, and why it looks meant for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NearMiss {
    pub(crate) found: Found,
    pub(crate) why: Why,
}

/// What stands where the wanted location should have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// A pull secret's registry key.
    Key,
    /// An image's registry host.
    Image,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Why {
    /// The key `kubectl create secret docker-registry` writes when `--docker-server` is left
    /// out: it serves Docker Hub only.
    DockerHubKey,
    /// `registry-1.docker.io` for Docker Hub, which the kubelet never takes for it.
    Registry1,
    /// Same host, another port (`""` is no port).
    Port { found: String, wanted: String },
    /// Same host and port, but a path that does not cover the wanted location.
    Path { found: String, wanted: String },
    /// The hosts differ only in case (and, with `port_too`, in port).
    Case { port_too: bool },
    /// A glob with another number of labels than the host it was meant to match.
    OneLabelPerStar { glob: String, host: String },
    /// A prefix added or a small edit.
    Typo,
}

/// Why `found` looks meant for `wanted`, or `None` when it is simply another registry.
pub(super) fn between(found: &Location, found_kind: Found, wanted: &Location) -> Option<NearMiss> {
    let why = reason(found, found_kind, wanted)?;
    Some(NearMiss {
        found: found_kind,
        why,
    })
}

fn reason(found: &Location, found_kind: Found, wanted: &Location) -> Option<Why> {
    let (found_host, wanted_host) = (found.host(), wanted.host());
    if found_kind == Found::Key && found.host_port() == docker_hub::INDEX && found.path.is_empty() {
        return Some(Why::DockerHubKey);
    }
    if found_host == docker_hub::REGISTRY_1 && wanted.host_port() == docker_hub::DOMAIN {
        return Some(Why::Registry1);
    }
    if found_host == wanted_host {
        if found.port() != wanted.port() {
            return Some(Why::Port {
                found: found.port().to_owned(),
                wanted: wanted.port().to_owned(),
            });
        }
        // An image's host carries no path: same host and port is another repository of a
        // path entry, which every public image on that host would be.
        return (!found.path.is_empty()).then(|| Why::Path {
            found: found.path.to_string(),
            wanted: wanted.to_string(),
        });
    }
    if found_host.eq_ignore_ascii_case(wanted_host) {
        return Some(Why::Case {
            port_too: found.port() != wanted.port(),
        });
    }
    let labels = |l: &Location| l.labels().count();
    for (glob, host) in [(found, wanted), (wanted, found)] {
        if !glob.literal && labels(glob) != labels(host) {
            let suffix = glob.host().trim_start_matches(['*', '.']);
            if host.host().ends_with(suffix) {
                return Some(Why::OneLabelPerStar {
                    glob: glob.host().to_owned(),
                    host: host.host().to_owned(),
                });
            }
        }
    }
    looks_like_typo(wanted_host, found_host).then_some(Why::Typo)
}

/// A host that adds a prefix to another (`my-private.registry.com`, `us.gcr.io`), or a small
/// edit distance relative to the length (`privat.registry.com`). Short hosts need an exact
/// prefix: `ghcr.io` is one edit from `gcr.io` and a different registry.
fn looks_like_typo(configured: &str, host: &str) -> bool {
    // Every unlisted image's host is compared with every entry: lower-case copies only when
    // there is an upper-case letter to fold.
    let (a, b) = (lower(configured), lower(host));
    let adds_prefix = |long: &str, short: &str| {
        long.strip_suffix(short)
            .is_some_and(|prefix| prefix.ends_with(['-', '.']))
    };
    // The edit distance is at least the difference in length: most hosts of an accepted Pod
    // are told apart by their lengths alone, without the quadratic distance.
    let limit = a.len().min(b.len()) / 7;
    adds_prefix(&a, &b)
        || adds_prefix(&b, &a)
        || (a.len().abs_diff(b.len()) <= limit && strsim::levenshtein(&a, &b) <= limit)
}

fn lower(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        s.to_ascii_lowercase().into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::adds_a_prefix("private.registry.com", "my-private.registry.com", true)]
    #[case::adds_a_label("gcr.io", "us.gcr.io", true)]
    #[case::one_edit_of_a_long_host("private.registry.com", "privat.registry.com", true)]
    #[case::one_edit_of_a_short_host("gcr.io", "ghcr.io", false)]
    #[case::another_registry("private.registry.com", "quay.io", false)]
    fn typos(#[case] configured: &str, #[case] host: &str, #[case] typo: bool) {
        assert_eq!(looks_like_typo(configured, host), typo);
    }
}
