//! A registry key of a pull secret, as the kubelet's `BasicDockerKeyring.Add` reads it, and
//! what it serves: images (the kubelet's `URLsMatch`) and settings entries (the policy's
//! question "does this secret do the job it is declared for?").

use std::borrow::Cow;
use std::fmt;

use super::entry::RegistryEntry;
use super::host_port::HostPortShape;
use super::near_miss::{self, Found, NearMiss};
use super::{KeyError, Location, go_url, is_default_registry_match, labels_match, labels_overlap};
use crate::kubelet::docker_hub;
use crate::kubelet::glob;
use crate::kubelet::reference::ImageRef;

/// A registry key of a `.dockerconfigjson` / `.dockercfg`, borrowed from the secret's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistryKey<'a>(Location<'a>);

impl<'a> RegistryKey<'a> {
    /// Parses a key the way the kubelet does: `https://` is assumed when no scheme is given, a
    /// leading `/v1` or `/v2` path segment is dropped, the host keeps its case and port. An
    /// error means the kubelet drops the key.
    pub(crate) fn parse(key: &'a str) -> Result<RegistryKey<'a>, KeyError> {
        // The kubelet parses `https://` + key; what follows the scheme is the key itself.
        let after_scheme = key
            .strip_prefix("https://")
            .or_else(|| key.strip_prefix("http://"))
            .unwrap_or(key);
        let (host_port, shape, path) = go_url::host_and_path(after_scheme)?;
        let skip = match path
            .strip_prefix("/v1")
            .or_else(|| path.strip_prefix("/v2"))
        {
            Some(rest) if rest.starts_with('/') => 3,
            _ => 0,
        };
        let path = match path {
            _ if path[skip..] == *"/" => Cow::Borrowed(""),
            Cow::Borrowed(path) => Cow::Borrowed(&path[skip..]),
            Cow::Owned(path) => reread_decoded(host_port, &path[skip..])?,
        };
        // A malformed glob does not drop the key: it just never matches.
        Ok(RegistryKey::from_scan(host_port, &shape, path))
    }

    /// The key the kubelet keeps (`host + path`, as [`RegistryKey`]'s `Display` writes it),
    /// read again as its matcher reads it (`https://` + key, with no `/v1` trimming).
    #[cfg(any(test, fuzzing))]
    pub(crate) fn reread(kept: &'a str) -> Result<RegistryKey<'a>, KeyError> {
        let (host_port, shape, path) = go_url::host_and_path(kept)?;
        Ok(RegistryKey::from_scan(host_port, &shape, path))
    }

    /// A key's `host[:port]` and path, split with what the scan gathered about the host, so
    /// that the host is not read again.
    fn from_scan(host_port: &'a str, shape: &HostPortShape, path: Cow<'a, str>) -> Self {
        let (host, port) = shape.split(host_port);
        RegistryKey(Location {
            literal: shape.literal_host(&host),
            host_port: Cow::Borrowed(host_port),
            path,
            host,
            port,
        })
    }

    /// The same key, with its text copied out of the secret's content.
    pub(crate) fn into_owned(self) -> RegistryKey<'static> {
        let Location {
            host_port,
            path,
            host,
            port,
            literal,
        } = self.0;
        RegistryKey(Location {
            host_port: Cow::Owned(host_port.into_owned()),
            path: Cow::Owned(path.into_owned()),
            host,
            port,
            literal,
        })
    }

    /// Whether the path the matcher sees, written out, reads as itself: it holds no `%`, `?`,
    /// `#` or control character, which only escapes decoded twice can leave in it.
    #[cfg(any(test, fuzzing))]
    pub(crate) fn path_reads_as_itself(&self) -> bool {
        !reads_differently_again(&self.0.path)
    }

    /// Whether this is the key under which the kubelet keeps Docker Hub's fallback credentials.
    pub(crate) fn is_docker_hub_index(&self) -> bool {
        self.0.host_port() == docker_hub::INDEX && self.0.path.is_empty()
    }

    /// The kubelet's `URLsMatch`: would the kubelet offer this key's credentials for `image`?
    /// (Not counting the Docker Hub fallback, which applies only when no key matches.)
    pub(crate) fn kubelet_matches(&self, image: &ImageRef<'_>) -> bool {
        self.0.host_matches(image)
            && match self.0.path.strip_prefix('/') {
                None => self.0.path.is_empty(),
                Some(prefix) => image.path().starts_with(prefix),
            }
    }

    /// Whether the kubelet would offer this key's credentials for at least one image that the
    /// settings entry covers: a secret for one registry of a glob entry (`myreg.azurecr.io`
    /// for `*.azurecr.io`), or for one repository of a path entry, does its job for those
    /// images.
    pub(crate) fn serves_some_of(&self, entry: &RegistryEntry) -> bool {
        let (key, entry) = (&self.0, entry.location());
        // Docker Hub's fallback key serves every image of a default-registry host.
        if self.is_docker_hub_index()
            && if entry.literal {
                is_default_registry_match(entry.host_port())
            } else {
                entry.port().is_empty() && labels_overlap(entry.host(), docker_hub::DOMAIN)
            }
        {
            return true;
        }
        if key.port() != entry.port() {
            return false;
        }
        let (key_path, entry_path) = (key.path(), entry.path());
        // The kubelet wants the key's path as a string prefix of the image's; the entry covers
        // its path and what lies below it.
        let paths_overlap = key_path.is_empty()
            || entry_path.is_empty()
            || entry_path.starts_with(key_path)
            || key_path
                .strip_prefix(entry_path)
                .is_some_and(|rest| rest.starts_with('/'));
        paths_overlap
            && match (key.literal, entry.literal) {
                (true, true) => key.host() == entry.host(),
                // A literal entry names one host: the key must match it as it would an image's.
                (false, true) => labels_match(key.host(), entry.host()),
                _ => labels_overlap(key.host(), entry.host()),
            }
    }

    /// Whether the kubelet would offer this key's credentials for every image that the
    /// settings entry covers below its path.
    pub(crate) fn serves_all_of(&self, entry: &RegistryEntry) -> bool {
        let (key, entry) = (&self.0, entry.location());
        if self.is_docker_hub_index()
            && entry.literal
            && is_default_registry_match(entry.host_port())
        {
            return true;
        }
        // The key's path must be a prefix of every image path below the entry's: of the
        // entry's path, or of the entry's path and `/` (a key `quay.io/my-org/`).
        let (key_path, entry_path) = (&*key.path, &*entry.path);
        let paths_match = key_path.is_empty()
            || (!entry_path.is_empty()
                && (entry_path.starts_with(key_path)
                    || key_path
                        .strip_prefix(entry_path)
                        .is_some_and(|rest| rest == "/")));
        if key.port() != entry.port() || !paths_match {
            return false;
        }
        let (key_host, host) = (key.host(), entry.host());
        // An IPv6 key without a port keeps its brackets, which the kubelet reads as a glob
        // character class that never matches an image's host.
        if key_host.starts_with('[') {
            return false;
        }
        if key_host == host {
            return true;
        }
        // A literal key serves one host; it cannot serve a glob entry's many.
        if key.literal || key.labels().count() != entry.labels().count() {
            return false;
        }
        key.labels().zip(entry.labels()).all(|(key, label)| {
            if entry.literal || glob::is_literal(label) {
                glob::matches(key, label)
            } else {
                key == label || key == "*"
            }
        })
    }

    /// Why this key, which the kubelet does not match with `image`, looks meant for it.
    pub(crate) fn near_miss_of_image(&self, image: &ImageRef<'_>) -> Option<NearMiss> {
        near_miss::between(&self.0, Found::Key, &Location::of_image(image))
    }

    /// Why this key, which does not serve the entry, looks meant for it; `None` when it is
    /// simply for another registry.
    pub(crate) fn near_miss_of(&self, entry: &RegistryEntry) -> Option<NearMiss> {
        near_miss::between(&self.0, Found::Key, entry.location())
    }
}

/// The path the kubelet's matcher sees for a key whose path had %-escapes. The kubelet keeps
/// the key as the string `host + decoded path` and parses it again (`https://` + it) for every
/// image it matches: a decoded `?` or `#` now ends the path, a decoded `%` starts an escape
/// again, and a decoded control character makes every match fail.
fn reread_decoded<'a>(host_port: &str, decoded: &str) -> Result<Cow<'a, str>, KeyError> {
    if !reads_differently_again(decoded) {
        return Ok(Cow::Owned(decoded.to_owned()));
    }
    let kept = format!("{host_port}{decoded}");
    let (_, _, path) = go_url::host_and_path(&kept).map_err(|_| KeyError::DecodedPath)?;
    Ok(Cow::Owned(path.into_owned()))
}

/// Whether a decoded path, parsed again as a URL's, would not read as itself.
fn reads_differently_again(path: &str) -> bool {
    path.contains(['?', '#', '%']) || path.bytes().any(|b| b.is_ascii_control())
}

impl fmt::Display for RegistryKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::super::entry::entry;
    use super::super::near_miss::Why;
    use super::*;
    use rstest::rstest;

    fn image(s: &str) -> ImageRef<'_> {
        ImageRef::parse(s).unwrap()
    }

    fn key(s: &str) -> RegistryKey<'_> {
        RegistryKey::parse(s).unwrap()
    }

    /// The kubelet's lookup, without the keyring around it: any key matches, or the Docker Hub
    /// fallback serves a default-registry image.
    fn kubelet_serves(keys: &[RegistryKey<'_>], image: &ImageRef<'_>) -> bool {
        keys.iter().any(|k| k.kubelet_matches(image))
            || (is_default_registry_match(image.domain())
                && keys.iter().any(RegistryKey::is_docker_hub_index))
    }

    #[rstest]
    #[case::dockerhub_v1("https://index.docker.io/v1/", "index.docker.io", "")]
    #[case::dockerhub_bare("index.docker.io", "index.docker.io", "")]
    #[case::v2_path("https://quay.io/v2/org", "quay.io", "/org")]
    #[case::v1_without_slash("quay.io/v1", "quay.io", "/v1")]
    #[case::v1_with_slash("quay.io/v1/", "quay.io", "")]
    #[case::port("registry:5000", "registry:5000", "")]
    #[case::http("http://registry:5000/team", "registry:5000", "/team")]
    #[case::case_kept("Registry.Example.com", "Registry.Example.com", "")]
    #[case::glob("*.example.com", "*.example.com", "")]
    #[case::user_info("user@registry.io", "registry.io", "")]
    #[case::query("registry.io?x=y", "registry.io", "")]
    #[case::escape("registry.io/a%41", "registry.io", "/aA")]
    #[case::ipv6("[::1]:5000", "[::1]:5000", "")]
    // The kubelet matches with `registry.io/team?x`, read again: `?x` is a query.
    #[case::escaped_query("registry.io/team%3Fx", "registry.io", "/team")]
    #[case::escaped_fragment("registry.io/team%23x", "registry.io", "/team")]
    #[case::escaped_percent("registry.io/a%2541", "registry.io", "/aA")]
    #[case::escaped_space("registry.io/a%20b", "registry.io", "/a b")]
    // The matcher's `%11` is a valid escape: Go refuses raw control characters only.
    #[case::escaped_control_escape("registry.io/a%2511", "registry.io", "/a\u{11}")]
    fn normalised_like_the_kubelet(
        #[case] input: &str,
        #[case] host_port: &str,
        #[case] path: &str,
    ) {
        let k = key(input);
        assert_eq!((k.0.host_port(), &*k.0.path), (host_port, path));
    }

    #[rstest]
    #[case::port_not_a_number("registry:abc")]
    #[case::space("reg istry.io")]
    #[case::brace("reg{}.io")]
    #[case::unclosed_ipv6("[::1")]
    #[case::bad_escape("registry.io/%zz")]
    #[case::signed_escape("registry.io/%+1")]
    #[case::bad_escape_in_user_info("u:p%zz@registry.io")]
    #[case::non_ascii_user_info("robot:p\u{e4}ss@registry.io")]
    #[case::control_character("registry\n.io")]
    #[case::escaped_control_character("registry.io/a%00")]
    #[case::escaped_bad_escape("registry.io/a%25zz")]
    fn dropped_by_the_kubelet(#[case] input: &str) {
        assert!(RegistryKey::parse(input).is_err());
    }

    // Adapted from keyring_test.go's cases.
    #[rstest]
    #[case::host("quay.io", "quay.io/foo/bar", true)]
    #[case::path("quay.io/foo", "quay.io/foo/bar", true)]
    #[case::path_is_a_string_prefix("quay.io/foo", "quay.io/foobar/baz", true)]
    #[case::other_path("quay.io/foo", "quay.io/bar/baz", false)]
    #[case::glob_label("*.docker.io", "registry-1.docker.io/foo", true)]
    #[case::glob_needs_a_label("*.docker.io", "docker.io/foo", false)]
    #[case::glob_needs_a_label_too("*.example.com", "example.com/app", false)]
    #[case::one_glob_label("*.example.com", "a.example.com/app", true)]
    #[case::two_glob_labels("*.*.example.com", "a.b.example.com/app", true)]
    #[case::glob_is_one_label("*.example.com", "a.b.example.com/app", false)]
    #[case::glob_in_a_label("*-good.example.com", "my-good.example.com/app", true)]
    #[case::port("registry:5000", "registry:5000/app", true)]
    #[case::port_required("registry:5000", "registry/app", false)]
    #[case::no_port_is_not_5000("registry", "registry:5000/app", false)]
    #[case::no_port_is_not_443("registry.io:443", "registry.io/app", false)]
    #[case::key_case("Registry.example.com", "registry.example.com/app", false)]
    #[case::image_case("registry.example.com", "Registry.example.com/app", false)]
    #[case::docker_io("docker.io", "nginx", true)]
    #[case::registry_1("registry-1.docker.io", "nginx", false)]
    #[case::index_only_through_the_fallback("index.docker.io", "nginx", false)]
    #[case::ipv6("[::1]:5000", "[::1]:5000/app", true)]
    #[case::ipv6_without_port_is_a_glob_class("[::1]", "[::1]/app", false)]
    #[case::gcr("gcr.io", "gcr.io/project/image", true)]
    #[case::v2_path("https://gcr.io/v2/project", "gcr.io/project/image", true)]
    #[case::v2_other_path("https://gcr.io/v2/other", "gcr.io/project/image", false)]
    fn kubelet_matching(#[case] k: &str, #[case] img: &str, #[case] matches: bool) {
        assert_eq!(key(k).kubelet_matches(&image(img)), matches);
    }

    // keyring_test.go: TestURLsMatch, TestDockerKeyringForGlob and TestKeyringMiss (lookups
    // there append "/foo/bar"; paths with a ":port" inside are not image names).
    #[rstest]
    #[case("*.kubernetes.io", "prefix.kubernetes.io/foo/bar", true)]
    #[case("prefix.*.io", "prefix.kubernetes.io/foo/bar", true)]
    #[case("prefix.kubernetes.*", "prefix.kubernetes.io/foo/bar", true)]
    #[case("*-good.kubernetes.io", "prefix-good.kubernetes.io/foo/bar", true)]
    #[case("*.kubernetes.io/blah", "prefix.kubernetes.io/blah/foo/bar", true)]
    #[case("prefix.*.io/foo", "prefix.kubernetes.io/foo/bar", true)]
    #[case("*.kubernetes.io:1111/blah", "prefix.kubernetes.io:1111/blah/x", true)]
    #[case("prefix.*.io:1111/foo", "prefix.kubernetes.io:1111/foo/bar", true)]
    #[case("*.kubernetes.io", "kubernetes.io/foo/bar", false)]
    #[case("*.*.kubernetes.io", "prefix.kubernetes.io/foo/bar", false)]
    #[case("*.*.kubernetes.io", "kubernetes.io/foo/bar", false)]
    #[case("kubernetes.io", "kubernetes.com/foo/bar", false)]
    #[case("k*.io", "quay.io/foo/bar", false)]
    #[case("*.kubernetes.io:1234/blah", "prefix.kubernetes.io:1111/blah/x", false)]
    #[case("prefix.*.io/foo", "prefix.kubernetes.io:1111/foo/bar", false)]
    #[case("https://hello.kubernetes.io", "hello.kubernetes.io/foo/bar", true)]
    #[case("https://*.docker.io/path", "prefix.docker.io/path/foo/bar", true)]
    #[case(
        "https://prefix.*.io/path",
        "prefix.docker.io/path/subpath/foo/bar",
        true
    )]
    #[case("https://*.docker.io:8888", "prefix.docker.io:8888/foo/bar", true)]
    #[case("https://*.docker.io/v1/", "prefix.docker.io/path/foo/bar", true)]
    #[case("https://*.docker.io/v2/", "prefix.docker.io/path/foo/bar", true)]
    #[case("prefix.docker.io:1111", "prefix.docker.io:1111/path/foo/bar", true)]
    #[case("https://hello.kubernetes.io", "world.mesos.org/foo/bar", false)]
    #[case("https://*.docker.com", "prefix.docker.io/foo/bar", false)]
    #[case("https://suffix.*.io", "prefix.docker.io/foo/bar", false)]
    #[case("https://prefix.docker.c*", "prefix.docker.io/foo/bar", false)]
    #[case("suffix.*.io", "prefix.docker.io/foo/bar", false)]
    fn keyring_test_go(#[case] k: &str, #[case] img: &str, #[case] served: bool) {
        assert_eq!(kubelet_serves(&[key(k)], &image(img)), served);
    }

    // TestKeyringMissWithDockerHubCredentials and the Docker Hub hits, and the fallback's
    // reach (`localhost` counts as a default-registry host).
    #[rstest]
    #[case::other_registry("https://index.docker.io", "world.mesos.org/foo/bar", false)]
    #[case::org_image("https://index.docker.io", "google/docker-registry", true)]
    #[case::official_image("https://index.docker.io", "jenkins", true)]
    #[case::legacy_name(
        "https://index.docker.io",
        "index.docker.io/google/docker-registry",
        true
    )]
    #[case::kubectl_key("https://index.docker.io/v1/", "nginx", true)]
    #[case::kubectl_key_org("https://index.docker.io/v1/", "myorg/app", true)]
    #[case::kubectl_key_explicit("https://index.docker.io/v1/", "docker.io/myorg/app", true)]
    #[case::localhost("https://index.docker.io/v1/", "localhost/app", true)]
    #[case::private("https://index.docker.io/v1/", "private.registry.com/app", false)]
    #[case::port("https://index.docker.io/v1/", "registry:5000/app", false)]
    #[case::v1_without_slash_is_a_path("index.docker.io/v1", "nginx", false)]
    fn docker_hub_fallback(#[case] k: &str, #[case] img: &str, #[case] served: bool) {
        assert_eq!(kubelet_serves(&[key(k)], &image(img)), served);
    }

    // TestIsDefaultRegistryMatch, on normalised domains.
    #[rstest]
    #[case("docker.io", true)]
    #[case("index.docker.io", true)]
    #[case("registry.tld", false)]
    #[case("registry:5000", false)]
    #[case("myhostdocker.io", false)]
    fn default_registry(#[case] domain: &str, #[case] default: bool) {
        assert_eq!(is_default_registry_match(domain), default);
    }

    // (key, settings entry, serves some of the entry's images, serves them all)
    #[rstest]
    #[case("private.registry.com", "private.registry.com", true, true)]
    #[case("https://private.registry.com/v2/", "private.registry.com", true, true)]
    #[case("private.registry.com/team", "private.registry.com", true, false)]
    #[case("quay.io", "quay.io/my-org", true, true)]
    #[case("quay.io/my-org", "quay.io/my-org", true, true)]
    #[case("quay.io/my-org/", "quay.io/my-org", true, true)]
    #[case("quay.io/my-org/app", "quay.io/my-org", true, false)]
    #[case("https://quay.io/v1/my-org", "quay.io/my-org", true, true)]
    #[case("quay.io/other-org", "quay.io/my-org", false, false)]
    #[case("quay.io/my-orgs", "quay.io/my-org", false, false)]
    #[case::string_prefix_as_the_kubelet("quay.io/my", "quay.io/my-org", true, true)]
    #[case("https://index.docker.io/v1/", "docker.io", true, true)]
    #[case("https://index.docker.io/v1/", "docker.io/mycompany", true, true)]
    #[case("docker.io", "docker.io/mycompany", true, true)]
    #[case("registry-1.docker.io", "docker.io", false, false)]
    #[case("https://index.docker.io/v1/", "private.registry.com", false, false)]
    #[case("registry.local:5000", "registry.local:5000", true, true)]
    #[case("registry.local", "registry.local:5000", false, false)]
    #[case("Private.registry.com", "private.registry.com", false, false)]
    #[case("*.example.com", "a.example.com", true, true)]
    #[case("*.example.com", "example.com", false, false)]
    #[case("example.com", "*.example.com", false, false)]
    #[case("myreg.azurecr.io", "*.azurecr.io", true, false)]
    #[case("myreg.azurecr.io:443", "*.azurecr.io", false, false)]
    #[case("*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr.*.amazonaws.com", true, true)]
    #[case(
        "1.dkr.ecr.eu-west-1.amazonaws.com",
        "*.dkr.ecr.*.amazonaws.com",
        true,
        false
    )]
    #[case(
        "1.dkr.ecr.eu-west-1.amazonaws.com",
        "*.ecr.*.amazonaws.com",
        false,
        false
    )]
    #[case("*.gcr.io", "*.pkg.dev", false, false)]
    #[case("https://index.docker.io/v1/", "localhost", true, true)]
    #[case("[::2]", "[::1]", false, false)]
    #[case("[::1]", "[::1]", false, false)]
    // The kubelet globs the key against the image's `[::1]`: `*` matches it, `?` does not.
    #[case::glob_key_for_an_ipv6_entry("*", "[::1]", true, true)]
    #[case::one_char_glob_for_an_ipv6_entry("?", "[::1]", false, false)]
    #[case("[::1]:5000", "[::1]:5000", true, true)]
    #[case("*:5000", "[::1]:5000", true, true)]
    fn serving_settings_entries(
        #[case] k: &str,
        #[case] setting: &str,
        #[case] some: bool,
        #[case] all: bool,
    ) {
        let (k, e) = (key(k), entry(setting));
        assert_eq!((k.serves_some_of(&e), k.serves_all_of(&e)), (some, all));
    }

    #[rstest]
    #[case::reverse_glob("example.com", "*.example.com", Why::OneLabelPerStar { glob: "*.example.com".into(), host: "example.com".into() })]
    #[case::glob("*.example.com", "example.com", Why::OneLabelPerStar { glob: "*.example.com".into(), host: "example.com".into() })]
    #[case::kubectl_default(
        "https://index.docker.io/v1/",
        "private.registry.com",
        Why::DockerHubKey
    )]
    #[case::registry_1("registry-1.docker.io", "docker.io", Why::Registry1)]
    #[case::port("registry.local", "registry.local:5000", Why::Port { found: "".into(), wanted: "5000".into() })]
    #[case::case("Private.Registry.com", "private.registry.com", Why::Case { port_too: false })]
    #[case::path("quay.io/other-org", "quay.io/my-org", Why::Path { found: "/other-org".into(), wanted: "quay.io/my-org".into() })]
    #[case::typo("my-private.registry.com", "private.registry.com", Why::Typo)]
    fn traps(#[case] k: &str, #[case] setting: &str, #[case] why: Why) {
        let near_miss = key(k).near_miss_of(&entry(setting)).unwrap();
        assert_eq!((near_miss.found, near_miss.why), (Found::Key, why));
    }

    #[test]
    fn another_registry_is_no_trap() {
        assert_eq!(
            key("gcr.io").near_miss_of(&entry("private.registry.com")),
            None
        );
    }
}
