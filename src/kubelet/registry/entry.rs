//! A registry entry of the settings: parsed strictly, and matched against images as the
//! kubelet would match a key for it, except that a path prefix covers whole segments.

use std::fmt;

use super::near_miss::{self, Found, NearMiss};
use super::{Location, split_host_port};
use crate::kubelet::docker_hub;
use crate::kubelet::glob;
use crate::kubelet::reference::ImageRef;

/// A `registries[].registry` of the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistryEntry(Location<'static>);

impl RegistryEntry {
    /// Parses a registry entry of the settings: `host`, `host:port`, an IPv4 address,
    /// `[IPv6]:port`, each optionally followed by `/path/prefix`; a label may hold `*` globs.
    /// Docker Hub's other spellings (`index.docker.io`, `registry-1.docker.io`) become
    /// `docker.io`, since that is the domain every Docker Hub image normalises to.
    pub(crate) fn from_setting(value: &str) -> Result<RegistryEntry, String> {
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        if value.trim() != value {
            return Err("must not have leading or trailing white space".into());
        }
        if let Some((scheme, rest)) = value.split_once("://") {
            return Err(format!(
                "must be a registry host, not a URL: drop the `{scheme}://` and write `{}`",
                rest.trim_end_matches('/')
            ));
        }
        let (host_port, path) = match value.find('/') {
            Some(slash) if slash + 1 == value.len() => {
                return Err(format!(
                    "must not end with `/`: write `{}`",
                    value.trim_end_matches('/')
                ));
            }
            Some(slash) => (&value[..slash], &value[slash + 1..]),
            None => (value, ""),
        };
        if host_port.is_empty() {
            return Err("has no host before the `/`".into());
        }
        let (host, port) = split_host_port(host_port);
        validate_host(host_port, host, port)?;
        // A `:` with nothing after it is a port left out, not no port.
        if !port.is_empty() || (host.len() < host_port.len() && host_port.ends_with(':')) {
            match port.parse::<u16>() {
                Ok(p) if p > 0 && !port.starts_with('0') => {}
                _ => return Err(format!("port `{port}` must be a number from 1 to 65535")),
            }
        }
        if !path.is_empty() {
            validate_path(path)?;
        }
        let host_port = match (host, port) {
            (docker_hub::DOMAIN | docker_hub::INDEX | docker_hub::REGISTRY_1, "") => {
                docker_hub::DOMAIN.to_owned()
            }
            _ => host_port.to_owned(),
        };
        let path = if path.is_empty() {
            String::new()
        } else {
            format!("/{path}")
        };
        Ok(RegistryEntry(Location::new(host_port.into(), path.into())))
    }

    pub(super) fn location(&self) -> &Location<'static> {
        &self.0
    }

    /// `host[:port]`.
    pub(crate) fn host_port(&self) -> &str {
        self.0.host_port()
    }

    /// The path prefix without its leading `/`, or `""`.
    pub(crate) fn path(&self) -> &str {
        self.0.path()
    }

    /// Whether any label is a glob.
    pub(crate) fn has_glob(&self) -> bool {
        !self.0.literal
    }

    /// Whether this entry covers `image`: as the kubelet would match a key written like it,
    /// but a path prefix covers whole segments (`quay.io/my-org` covers `quay.io/my-org/app`,
    /// not `quay.io/my-orgs/app`).
    pub(crate) fn covers(&self, image: &ImageRef<'_>) -> bool {
        if !self.0.host_matches(image) {
            return false;
        }
        let prefix = self.path();
        let path = image.path();
        prefix.is_empty()
            || (path.starts_with(prefix)
                && (path.len() == prefix.len() || path[prefix.len()..].starts_with('/')))
    }

    /// Why an image on `host`, which this entry does not cover, looks meant for it: `None`
    /// when its registry is simply another one. Globs are not compared: any host is "almost" a
    /// glob.
    pub(crate) fn near_miss_of_image(&self, host: &ImageHost<'_>) -> Option<NearMiss> {
        if self.has_glob() {
            return None;
        }
        near_miss::between(&host.0, Found::Image, &self.0)
    }

    /// How specific the entry is, to pick the entry that governs an image when several cover
    /// it: longer path prefixes first, then hosts without globs, then more literal labels,
    /// then more literal characters; greater is more specific. Settings are read with every
    /// request, so their sort computes it once per entry rather than once per comparison.
    pub(crate) fn specificity(&self) -> Specificity {
        Specificity(
            self.path().split('/').filter(|s| !s.is_empty()).count(),
            !self.has_glob(),
            self.0.labels().filter(|l| glob::is_literal(l)).count(),
            self.host_port()
                .bytes()
                .filter(|b| !matches!(b, b'*' | b'?' | b'[' | b']'))
                .count(),
        )
    }
}

/// The specificity of a [`RegistryEntry`]: path segments, a host without globs, literal
/// labels, literal characters, compared in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Specificity(usize, bool, usize, usize);

/// An image's registry host, split once to be compared with every entry.
pub(crate) struct ImageHost<'i>(Location<'i>);

impl<'i> ImageHost<'i> {
    pub(crate) fn of(image: &'i ImageRef<'_>) -> ImageHost<'i> {
        ImageHost(Location::of_image_host(image))
    }
}

impl fmt::Display for RegistryEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Checks the host that [`split_host_port`] cut from `host_port`: a DNS name whose labels may
/// hold `*`, an IPv4 address, or an IPv6 address in brackets.
fn validate_host(host_port: &str, host: &str, port: &str) -> Result<(), String> {
    if host_port.starts_with('[') {
        if !host_port.contains(']') {
            return Err("an IPv6 address must be closed with `]`".into());
        }
        // With a port, Go's splitter drops the brackets; without one it keeps them.
        let address = if port.is_empty() {
            host.strip_prefix('[').and_then(|h| h.strip_suffix(']'))
        } else {
            Some(host)
        };
        return match address {
            // The reference grammar allows hex digits and colons only (no embedded IPv4);
            // the standard parser says whether they make an address (`[:]` does not).
            Some(a)
                if a.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
                    && a.parse::<std::net::Ipv6Addr>().is_ok() =>
            {
                Ok(())
            }
            _ => Err(format!(
                "`{}` is not a valid IPv6 address",
                &host_port[..host_port.find(']').map_or(host_port.len(), |i| i + 1)]
            )),
        };
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Err(format!("host `{host}` has an empty label"));
        }
        if let Some(c) = label
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '*'))
        {
            let why = if c == '_' {
                " (`_` is not allowed in a host name; image references refuse it)"
            } else {
                ""
            };
            return Err(format!("host `{host}` holds the character {c:?}{why}"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "host `{host}` has a label that starts or ends with `-`"
            ));
        }
    }
    Ok(())
}

fn validate_path(path: &str) -> Result<(), String> {
    // The path grammar is the image reference's: reuse its parser on a stand-in host.
    let candidate = format!("example.com/{path}");
    match ImageRef::parse(&candidate) {
        Ok(image) if image.tag().is_none() && image.digest().is_none() => Ok(()),
        Ok(_) => Err(format!(
            "path prefix `{path}` must not hold a tag or digest"
        )),
        Err(e) => Err(format!(
            "path prefix `{path}` is not a valid repository path ({e})"
        )),
    }
}

/// The entries the tests of this module tree build.
#[cfg(test)]
pub(crate) fn entry(value: &str) -> RegistryEntry {
    RegistryEntry::from_setting(value).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn image(s: &str) -> ImageRef<'_> {
        ImageRef::parse(s).unwrap()
    }

    #[rstest]
    #[case::path_prefix("quay.io/my-org", "quay.io/my-org/app", true)]
    #[case::path_prefix_itself("quay.io/my-org", "quay.io/my-org", true)]
    #[case::path_prefix_is_whole_segments("quay.io/my-org", "quay.io/my-organisation/app", false)]
    #[case::other_path("quay.io/my-org", "quay.io/other/app", false)]
    #[case::host("private.registry.com", "private.registry.com/a/b:1", true)]
    #[case::longer_host("private.registry.com", "my-private.registry.com/a", false)]
    #[case::other_port("private.registry.com", "private.registry.com:5000/a", false)]
    #[case::glob(
        "*.dkr.ecr.*.amazonaws.com",
        "123.dkr.ecr.eu-west-1.amazonaws.com/app",
        true
    )]
    #[case::glob_needs_a_label(
        "*.dkr.ecr.*.amazonaws.com",
        "dkr.ecr.eu-west-1.amazonaws.com/app",
        false
    )]
    #[case::ipv6("[fd00::1]:5000", "[fd00::1]:5000/app", true)]
    #[case::other_ipv6("[fd00::1]:5000", "[fd00::2]:5000/app", false)]
    #[case::ipv6_without_port("[fd00::1]", "[fd00::1]/app", true)]
    #[case::other_ipv6_without_port("[fd00::1]", "[fd00::2]/app", false)]
    #[case::hub_short_name("docker.io", "nginx", true)]
    #[case::hub_legacy_name("docker.io", "index.docker.io/myorg/app", true)]
    #[case::hub_org("docker.io/myorg", "myorg/app", true)]
    #[case::hub_org_not_official("docker.io/myorg", "nginx", false)]
    #[case::hub_official("docker.io/library", "nginx", true)]
    fn covers_whole_segments(#[case] setting: &str, #[case] img: &str, #[case] covered: bool) {
        assert_eq!(entry(setting).covers(&image(img)), covered);
    }

    #[rstest]
    fn docker_hub_is_spelled_three_ways(
        #[values("docker.io", "index.docker.io", "registry-1.docker.io")] spelling: &str,
    ) {
        assert_eq!(entry(spelling).host_port(), "docker.io");
    }

    #[rstest]
    #[case::empty("", "empty")]
    #[case::white_space(" quay.io", "white space")]
    #[case::scheme("https://quay.io/", "drop the `https://`")]
    #[case::underscore("my_registry.io", "`_` is not allowed")]
    #[case::port_not_a_number("registry.io:http", "port")]
    #[case::port_zero("registry.io:0", "port")]
    #[case::port_too_big("registry.io:70000", "port")]
    #[case::port_left_out("registry.io:", "port ``")]
    #[case::empty_label("registry..io", "empty label")]
    #[case::dash("-registry.io", "starts or ends")]
    #[case::upper_case_path("quay.io/My-Org", "lowercase")]
    #[case::tag("quay.io/org:tag", "tag")]
    #[case::trailing_slash("quay.io/", "must not end with `/`: write `quay.io`")]
    #[case::empty_segment("quay.io//org", "not a valid repository path")]
    #[case::no_host("/org", "no host")]
    #[case::unclosed_ipv6("[::1", "closed")]
    #[case::bad_ipv6("[xyz::1]:5000", "`[xyz::1]` is not a valid IPv6 address")]
    #[case::not_an_address("[:]", "`[:]` is not a valid IPv6 address")]
    #[case::too_many_groups("[1:2:3:4:5:6:7:8:9]:5000", "not a valid IPv6 address")]
    #[case::two_colons("a:b:c", "holds the character ':'")]
    fn refused(#[case] input: &str, #[case] fragment: &str) {
        let err = RegistryEntry::from_setting(input).unwrap_err();
        assert!(err.contains(fragment), "{input:?}: {err}");
    }

    /// Brackets in an entry hold an address, not a glob: the entry is literal, so that it is
    /// ranked, and compared for near misses, as a host.
    #[rstest]
    #[case("[fd00::1]")]
    #[case("[fd00::1]:5000")]
    fn ipv6_entries_are_literal(#[case] setting: &str) {
        assert!(!entry(setting).has_glob());
    }

    #[test]
    fn most_specific_first() {
        let mut v = [
            entry("*.example.com"),
            entry("quay.io"),
            entry("quay.io/org/team"),
            entry("quay.io/org"),
            entry("a.example.com"),
        ];
        v.sort_by_key(|e| std::cmp::Reverse(e.specificity()));
        let order: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            order,
            [
                "quay.io/org/team",
                "quay.io/org",
                "a.example.com",
                "quay.io",
                "*.example.com"
            ]
        );
    }
}
