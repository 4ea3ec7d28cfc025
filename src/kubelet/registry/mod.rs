//! Registry locations (`host[:port][/path]`, hosts may hold globs) and how they match images.
//!
//! Two sources produce them, each with its own type, and they share one matcher so that the
//! policy's idea of "this registry" never drifts from the kubelet's:
//! - [`RegistryEntry`]: a `registries[].registry` of the settings, parsed strictly (a typo is an
//!   error, not a silent miss), matched with [`RegistryEntry::covers`];
//! - [`RegistryKey`]: a registry key of a pull secret, parsed leniently exactly where the
//!   kubelet is, matched with [`RegistryKey::kubelet_matches`]; it is the key that serves (or
//!   fails to serve) an entry, never the other way round.
//!
//! The kubelet's rules (`pkg/credentialprovider/keyring.go`, `URLsMatch`): the ports must be
//! equal as strings, the hosts must have as many dot-separated labels, each label matches as a
//! Go `filepath.Match` glob (case-sensitive), and the key's path must be a string prefix of the
//! image's path. Settings differ in one point only: a path prefix covers whole path segments.
//!
//! The files split what is the policy's rule from what emulates Go: `entry` and `key` are the
//! rules, `go_url` and `host_port` are Go's parsers, `near_miss` is the one heuristic that says
//! why a location that does not match looks meant to.

mod entry;
mod go_url;
mod host_port;
mod key;
mod near_miss;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

pub(crate) use entry::{ImageHost, RegistryEntry, Specificity};
pub(crate) use go_url::KeyError;
pub(crate) use host_port::split_host_port;
pub(crate) use key::RegistryKey;
pub(crate) use near_miss::{Found, NearMiss, Why};

use crate::kubelet::docker_hub;
use crate::kubelet::glob;
use crate::kubelet::reference::ImageRef;

/// A registry location as the matcher sees it: what entries and keys have in common.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Location<'a> {
    /// `host[:port]` exactly as the matcher sees it (Go's `url.Host`). Borrowed from the
    /// secret for registry keys, which are parsed on every request.
    host_port: Cow<'a, str>,
    /// `""`, or a path starting with `/` (Go's `url.Path` after the kubelet's `/v1/` trimming).
    path: Cow<'a, str>,
    /// Where the host and the port sit in `host_port`, split once with Go's rules.
    host: Range<usize>,
    port: Range<usize>,
    /// The host holds no glob character: it matches only itself.
    literal: bool,
}

impl<'a> Location<'a> {
    fn new(host_port: Cow<'a, str>, path: Cow<'a, str>) -> Location<'a> {
        let (host, port) = host_port::split_ranges(&host_port);
        // Entries and images hold an IPv6 address in brackets, never a glob's character class
        // (keys, whose brackets the kubelet globs, are built from their scan instead).
        let literal = host_port.starts_with('[') || glob::is_literal(&host_port[host.clone()]);
        Location {
            host_port,
            path,
            host,
            port,
            literal,
        }
    }

    /// An image's registry, as a location without a path: what stands where a registry was
    /// meant, for comparing it with one.
    fn of_image_host<'i>(image: &'i ImageRef<'_>) -> Location<'i> {
        Location::new(Cow::Borrowed(image.domain()), Cow::Borrowed(""))
    }

    /// An image's repository as a location: what a key was meant to serve.
    fn of_image(image: &ImageRef<'_>) -> Location<'static> {
        Location::new(
            Cow::Owned(image.domain().to_owned()),
            Cow::Owned(format!("/{}", image.path())),
        )
    }

    fn host_port(&self) -> &str {
        &self.host_port
    }

    fn host(&self) -> &str {
        &self.host_port[self.host.clone()]
    }

    /// The port, or `""`.
    fn port(&self) -> &str {
        &self.host_port[self.port.clone()]
    }

    /// The path without its leading `/`, or `""`.
    fn path(&self) -> &str {
        self.path.strip_prefix('/').unwrap_or(&self.path)
    }

    /// The host's dot-separated labels, each a Go glob.
    fn labels(&self) -> std::str::Split<'_, char> {
        self.host().split('.')
    }

    /// Whether the host matches the image's: as strings when this host is literal, else label
    /// by label as Go globs (a key's `[::1]` without a port is then a character class that
    /// never matches, as in the kubelet).
    fn host_matches(&self, image: &ImageRef<'_>) -> bool {
        let (host, port) = split_host_port(image.domain());
        port == self.port()
            && if self.literal {
                self.host() == host
            } else {
                labels_match(self.host(), host)
            }
    }
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.host_port, self.path)
    }
}

/// Whether two hosts, each a glob label by label, can match one same host: as many labels,
/// and each pair matches when either side is literal. Two glob labels are taken to overlap,
/// unless one holds a character class: an IPv6 host kept in brackets (no port) is one, and
/// the kubelet never matches it.
fn labels_overlap(a: &str, b: &str) -> bool {
    a.split('.').count() == b.split('.').count()
        && a.split('.').zip(b.split('.')).all(|(x, y)| {
            match (glob::is_literal(x), glob::is_literal(y)) {
                (true, _) => glob::matches(y, x),
                (false, true) => glob::matches(x, y),
                (false, false) => !x.contains('[') && !y.contains('['),
            }
        })
}

/// The kubelet's host rule: as many labels, and each label of `pattern` matches the host's as
/// a Go glob.
fn labels_match(pattern: &str, host: &str) -> bool {
    let mut labels = host.split('.');
    pattern.split('.').all(|pattern| {
        labels
            .next()
            .is_some_and(|label| glob::matches(pattern, label))
    }) && labels.next().is_none()
}

/// The kubelet's `isDefaultRegistryMatch`, applied to a normalised image's domain: images
/// whose first component has neither `.` nor `:` count as Docker Hub's (`localhost` too).
pub(crate) fn is_default_registry_match(domain: &str) -> bool {
    domain == docker_hub::DOMAIN || domain == docker_hub::INDEX || !domain.contains(['.', ':'])
}
