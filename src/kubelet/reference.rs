//! Container image references, parsed and normalised the way the kubelet and the container
//! runtimes do it: the rules of Go's `github.com/distribution/reference` (`ParseNormalizedNamed`,
//! v0.6), with digests checked as `github.com/opencontainers/go-digest` (v1.0.0) checks them.
//!
//! ```text
//! reference  := name [":" tag] ["@" digest]
//! name       := [domain "/"] path
//! domain     := host [":" port]                  host := domain-name | "[" ipv6 "]"
//! domain-name:= component ("." component)*       component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//! port       := [0-9]+                           ipv6 := [a-fA-F0-9:]+
//! path       := path-component ("/" path-component)*
//! path-component := [a-z0-9]+ (separator [a-z0-9]+)*      separator := "." | "_" | "__" | "-"+
//! tag        := [\w][\w.-]{0,127}
//! digest     := algorithm ":" [a-fA-F0-9]{32,}
//! algorithm  := [A-Za-z][A-Za-z0-9]* ([-_+.] [A-Za-z][A-Za-z0-9]*)*
//! ```
//!
//! Normalisation, in upstream's order:
//! 1. a string of exactly 64 lower-case hex characters is refused (it looks like an image id);
//! 2. the first `/`-separated component is the registry when it is `localhost`, contains `.` or
//!    `:`, or has an upper-case letter (`index.docker.io` becomes `docker.io`); otherwise, and
//!    always when there is no `/`, the registry is `docker.io` and the whole string is the path;
//! 3. on `docker.io`, a single-component path gets `library/` in front;
//! 4. the remainder up to its first `:` must be lower case;
//! 5. the whole normalised string must match the grammar above, the path must be at most 255
//!    characters, and the digest must pass go-digest's validation.
//!
//! The parser is hand-written and works on bytes: the grammar is small and regular, a regex
//! engine (the `regex` crate) would add a few hundred kilobytes to the wasm module and cost a
//! compilation per instance, and this runs on every admission request. Parsing borrows from the
//! input and allocates only to prepend `library/`. Non-ASCII input never matches the grammar.

use std::borrow::Cow;
use std::fmt;

use crate::kubelet::docker_hub::{
    DOMAIN as DOCKER_HUB, INDEX as LEGACY_DOCKER_HUB, OFFICIAL_PREFIX,
};

/// `RepositoryNameTotalLengthMax`. Since distribution/reference v0.6.0 (PR #9, 2024) only the
/// path counts; before, `domain/path` did. We mirror the current rule.
const MAX_PATH_LEN: usize = 255;
/// A tag is one character plus at most 127 more.
const MAX_TAG_LEN: usize = 128;
/// The reference grammar wants at least 128 bits of hex in a digest.
const MIN_DIGEST_HEX_LEN: usize = 32;

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// Registry `host[:port]` as written; `docker.io` for Docker Hub.
    domain: &'a str,
    /// Repository path without domain, tag or digest; `library/nginx` for `nginx`.
    path: Cow<'a, str>,
    tag: Option<&'a str>,
    /// `algorithm:hex`, e.g. `sha256:...`.
    digest: Option<&'a str>,
}

/// Why an image reference was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReferenceError {
    /// The reference is the empty string.
    Empty,
    /// The reference is exactly 64 lower-case hex characters: an image id, not a name.
    HexIdentifier,
    /// The repository path has upper-case letters.
    NameContainsUppercase,
    /// The registry part is not a valid `host[:port]`.
    InvalidDomain,
    /// The repository path does not match the grammar (empty, bad separators, bad characters).
    InvalidName,
    /// The tag does not match `[\w][\w.-]{0,127}`.
    InvalidTag,
    /// The digest does not match `algorithm:hex` with at least 32 hex characters.
    InvalidDigest,
    /// The repository path is longer than 255 characters.
    NameTooLong,
    /// A known digest algorithm with the wrong number of hex characters (go-digest).
    DigestInvalidLength,
    /// A digest go-digest refuses: upper-case hex for a known algorithm, or an upper-case
    /// algorithm name.
    DigestInvalidFormat,
    /// A well-formed digest whose algorithm is not sha256, sha384 or sha512.
    DigestUnsupported,
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "empty reference",
            Self::HexIdentifier => "cannot specify 64-byte hexadecimal strings",
            Self::NameContainsUppercase => "repository name must be lowercase",
            Self::InvalidDomain => "invalid reference format: invalid registry host",
            Self::InvalidName => "invalid reference format: invalid repository name",
            Self::InvalidTag => "invalid reference format: invalid tag",
            Self::InvalidDigest => "invalid reference format: invalid digest",
            Self::NameTooLong => "repository name must not be longer than 255 characters",
            Self::DigestInvalidLength => "invalid checksum digest length",
            Self::DigestInvalidFormat => "invalid checksum digest format",
            Self::DigestUnsupported => "unsupported digest algorithm",
        })
    }
}

impl std::error::Error for ReferenceError {}

impl<'a> ImageRef<'a> {
    /// Parses and normalises `image` as `ParseNormalizedNamed` does.
    ///
    /// One deliberate difference in the result (not in what is accepted): when the first
    /// component holds a `.` but is not a valid host while being a valid path component
    /// (`foo_bar.com/app`: `_` is not allowed in a host), upstream's regexp falls back to reading
    /// the whole name as a path, with an empty domain. The kubelet's credential lookup and the
    /// runtime's pull still take `foo_bar.com` as the registry, so that is what `domain()`
    /// returns; the path length is checked on `foo_bar.com/app`, as upstream does.
    pub(crate) fn parse(image: &'a str) -> Result<ImageRef<'a>, ReferenceError> {
        use ReferenceError as E;

        if image.is_empty() {
            return Err(E::Empty);
        }
        if is_identifier(image.as_bytes()) {
            return Err(E::HexIdentifier);
        }

        let (domain, remainder) = split_domain(image);
        let add_prefix = domain == DOCKER_HUB && !remainder.contains('/');

        // Upstream lower-cases the remainder up to its first ':' (so possibly into a digest).
        let remote = remainder.split_once(':').map_or(remainder, |(r, _)| r);
        if remote.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(E::NameContainsUppercase);
        }

        // A name holds neither ':' nor '@', a tag neither '@' nor ':' (the regexp has a single
        // reading), a digest one ':'.
        let name_end = remainder.find([':', '@']).unwrap_or(remainder.len());
        let name = &remainder[..name_end];
        let (tag, digest) = match remainder.as_bytes().get(name_end) {
            None => (None, None),
            Some(b':') => match remainder[name_end + 1..].split_once('@') {
                Some((tag, digest)) => (Some(tag), Some(digest)),
                None => (Some(&remainder[name_end + 1..]), None),
            },
            Some(_) => (None, Some(&remainder[name_end + 1..])),
        };

        // Upstream matches one regexp over "domain/remainder". When the domain part is not a
        // valid host, the regexp's optional domain group is skipped and the domain part is read
        // as the first path component; if that fails too but would pass lower-cased, upstream
        // reports upper case instead of a bad format.
        let mut domain_is_path = false;
        let mut uppercase_domain = false;
        if !is_domain(domain.as_bytes()) {
            if is_path_component(domain.as_bytes(), false) {
                domain_is_path = true;
            } else if is_path_component(domain.as_bytes(), true) {
                uppercase_domain = true;
            } else {
                return Err(E::InvalidDomain);
            }
        }
        if !is_path(name.as_bytes()) {
            return Err(E::InvalidName);
        }
        if tag.is_some_and(|t| !is_tag(t.as_bytes())) {
            return Err(E::InvalidTag);
        }
        if digest.is_some_and(|d| !is_digest_syntax(d.as_bytes())) {
            return Err(E::InvalidDigest);
        }
        if uppercase_domain {
            return Err(E::NameContainsUppercase);
        }

        let path_len = name.len()
            + if add_prefix { OFFICIAL_PREFIX.len() } else { 0 }
            + if domain_is_path { domain.len() + 1 } else { 0 };
        if path_len > MAX_PATH_LEN {
            return Err(E::NameTooLong);
        }

        if let Some(digest) = digest {
            validate_digest(digest)?;
        }

        let path = if add_prefix {
            let mut owned = String::with_capacity(OFFICIAL_PREFIX.len() + name.len());
            owned.push_str(OFFICIAL_PREFIX);
            owned.push_str(name);
            Cow::Owned(owned)
        } else {
            Cow::Borrowed(name)
        };
        Ok(ImageRef {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// Registry `host[:port]` as written; `docker.io` for Docker Hub.
    pub(crate) fn domain(&self) -> &'a str {
        self.domain
    }

    /// Repository path without domain, tag or digest (`library/nginx` for `nginx`).
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The tag as written, if any (the kubelet would default to `latest`, this does not).
    pub(crate) fn tag(&self) -> Option<&str> {
        self.tag
    }

    /// The digest (`algorithm:hex`), if any.
    pub(crate) fn digest(&self) -> Option<&str> {
        self.digest
    }
}

/// `domain/path`: the repository name the kubelet looks credentials up with.
impl fmt::Display for ImageRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.domain)?;
        f.write_str("/")?;
        f.write_str(&self.path)
    }
}

/// Upstream `splitDockerDomain`: the domain (canonicalised) and the rest of the reference.
fn split_domain(image: &str) -> (&str, &str) {
    let Some((first, rest)) = image.split_once('/') else {
        return (DOCKER_HUB, image);
    };
    if first == LEGACY_DOCKER_HUB {
        (DOCKER_HUB, rest)
    } else if first == "localhost"
        || first.contains(['.', ':'])
        || first.bytes().any(|b| b.is_ascii_uppercase())
    {
        (first, rest)
    } else {
        (DOCKER_HUB, image)
    }
}

/// Exactly 64 lower-case hex characters (upstream's `anchoredIdentifierRegexp`).
fn is_identifier(s: &[u8]) -> bool {
    s.len() == 64 && s.iter().all(|&b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `host [":" port]` with `host := domain-name | "[" [a-fA-F0-9:]+ "]"`.
fn is_domain(d: &[u8]) -> bool {
    let port = if let Some(inner) = d.strip_prefix(b"[") {
        let Some(close) = inner.iter().position(|&b| b == b']') else {
            return false;
        };
        let addr = &inner[..close];
        if addr.is_empty() || !addr.iter().all(|&b| b == b':' || b.is_ascii_hexdigit()) {
            return false;
        }
        &inner[close + 1..]
    } else {
        let end = d.iter().position(|&b| b == b':').unwrap_or(d.len());
        if !d[..end].split(|&b| b == b'.').all(is_domain_component) {
            return false;
        }
        &d[end..]
    };
    match port {
        [] => true,
        [b':', digits @ ..] => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// `[a-zA-Z0-9]` or `[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
fn is_domain_component(c: &[u8]) -> bool {
    match (c.first(), c.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && c.iter().all(|&b| b == b'-' || b.is_ascii_alphanumeric())
        }
        _ => false,
    }
}

/// Path components joined by single `/`.
fn is_path(p: &[u8]) -> bool {
    p.split(|&b| b == b'/').all(|c| is_path_component(c, false))
}

/// `[a-z0-9]+ (separator [a-z0-9]+)*` with `separator := "." | "_" | "__" | "-"+`; with
/// `fold_case`, upper-case letters count as lower case (upstream's retry on the lower-cased
/// reference).
fn is_path_component(c: &[u8], fold_case: bool) -> bool {
    let alnum = |b: u8| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || (fold_case && b.is_ascii_uppercase())
    };
    match (c.first(), c.last()) {
        (Some(&first), Some(&last)) if alnum(first) && alnum(last) => {}
        _ => return false,
    }
    let mut i = 0;
    while i < c.len() {
        if alnum(c[i]) {
            i += 1;
            continue;
        }
        // A separator run; the first and last bytes are alphanumeric, so it is interior.
        let start = i;
        while i < c.len() && !alnum(c[i]) {
            i += 1;
        }
        let ok = match &c[start..i] {
            b"." | b"_" | b"__" => true,
            sep => sep.iter().all(|&b| b == b'-'),
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `[\w][\w.-]{0,127}`, `\w` being ASCII `[0-9A-Za-z_]`.
fn is_tag(t: &[u8]) -> bool {
    let word = |b: u8| b == b'_' || b.is_ascii_alphanumeric();
    match t.split_first() {
        Some((&first, rest)) => {
            t.len() <= MAX_TAG_LEN
                && word(first)
                && rest.iter().all(|&b| word(b) || b == b'.' || b == b'-')
        }
        None => false,
    }
}

/// The reference grammar's digest: `[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*` then
/// `:` and at least 32 hex characters of either case.
fn is_digest_syntax(d: &[u8]) -> bool {
    let Some(colon) = d.iter().position(|&b| b == b':') else {
        return false;
    };
    let (algorithm, hex) = (&d[..colon], &d[colon + 1..]);
    let components_ok = algorithm
        .split(|&b| matches!(b, b'-' | b'_' | b'+' | b'.'))
        .all(|c| match c.split_first() {
            Some((first, rest)) => {
                first.is_ascii_alphabetic() && rest.iter().all(u8::is_ascii_alphanumeric)
            }
            None => false,
        });
    components_ok && hex.len() >= MIN_DIGEST_HEX_LEN && hex.iter().all(u8::is_ascii_hexdigit)
}

/// go-digest v1.0.0 `Digest.Validate`, on a digest that already passed [`is_digest_syntax`].
/// The kubelet links sha256, sha384 and sha512 (lower-case hex of 64, 96 and 128 characters);
/// any other algorithm is unsupported if go-digest's own grammar (lower-case algorithm) accepts
/// it, badly formatted otherwise.
fn validate_digest(digest: &str) -> Result<(), ReferenceError> {
    let (algorithm, hex) = digest.split_once(':').unwrap_or((digest, ""));
    let expected_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ if algorithm.bytes().any(|b| b.is_ascii_uppercase()) => {
            return Err(ReferenceError::DigestInvalidFormat);
        }
        _ => return Err(ReferenceError::DigestUnsupported),
    };
    if hex.len() != expected_len {
        return Err(ReferenceError::DigestInvalidLength);
    }
    if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ReferenceError::DigestInvalidFormat);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ReferenceError as E;
    use super::*;
    use crate::kubelet::registry::split_host_port;
    use rstest::rstest;

    const HEX64: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    const HEX_ID: &str = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";
    const DBCC: &str = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";

    /// (input, domain, path, tag, digest)
    type Valid = (String, &'static str, String, Option<String>, Option<String>);

    fn ok(input: &str, domain: &'static str, path: &str) -> Valid {
        (input.to_owned(), domain, path.to_owned(), None, None)
    }

    fn ok_tag(input: &str, domain: &'static str, path: &str, tag: &str) -> Valid {
        let mut v = ok(input, domain, path);
        v.3 = Some(tag.to_owned());
        v
    }

    fn ok_digest(
        input: &str,
        domain: &'static str,
        path: &str,
        tag: Option<&str>,
        digest: &str,
    ) -> Valid {
        let mut v = ok(input, domain, path);
        v.3 = tag.map(str::to_owned);
        v.4 = Some(digest.to_owned());
        v
    }

    fn valid_cases() -> Vec<Valid> {
        let sha256 = format!("sha256:{HEX64}");
        let sha512 = format!("sha512:{HEX64}{HEX64}");
        let dbcc = format!("sha256:{DBCC}");
        let busybox = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
        let long_path = format!("{}a", "a/".repeat(127));
        vec![
            // The examples of the README and of the notes on normalisation.
            ok("nginx", "docker.io", "library/nginx"),
            ok_tag("myorg/app:1.2", "docker.io", "myorg/app", "1.2"),
            ok("index.docker.io/myorg/app", "docker.io", "myorg/app"),
            ok_tag(
                "private.registry.com/my-org/my-app:latest",
                "private.registry.com",
                "my-org/my-app",
                "latest",
            ),
            ok("registry:5000/team/app", "registry:5000", "team/app"),
            ok("localhost/app", "localhost", "app"),
            ok("localhost:5000/app", "localhost:5000", "app"),
            ok("[::1]:5000/app", "[::1]:5000", "app"),
            ok_digest(
                &format!("app@{sha256}"),
                "docker.io",
                "library/app",
                None,
                &sha256,
            ),
            ok("Private.Registry.com/app", "Private.Registry.com", "app"),
            ok("example.com", "docker.io", "library/example.com"),
            ok("docker.io/nginx", "docker.io", "library/nginx"),
            ok("docker.io/library/nginx", "docker.io", "library/nginx"),
            // normalize_test.go TestValidateReferenceName (valid).
            ok("docker/docker", "docker.io", "docker/docker"),
            ok("library/debian", "docker.io", "library/debian"),
            ok("debian", "docker.io", "library/debian"),
            ok("docker.io/docker/docker", "docker.io", "docker/docker"),
            ok("docker.io/library/debian", "docker.io", "library/debian"),
            ok("docker.io/debian", "docker.io", "library/debian"),
            ok(
                "index.docker.io/docker/docker",
                "docker.io",
                "docker/docker",
            ),
            ok(
                "index.docker.io/library/debian",
                "docker.io",
                "library/debian",
            ),
            ok("index.docker.io/debian", "docker.io", "library/debian"),
            ok(
                "127.0.0.1:5000/docker/docker",
                "127.0.0.1:5000",
                "docker/docker",
            ),
            ok(
                "127.0.0.1:5000/library/debian",
                "127.0.0.1:5000",
                "library/debian",
            ),
            ok("127.0.0.1:5000/debian", "127.0.0.1:5000", "debian"),
            ok("192.168.0.1", "docker.io", "library/192.168.0.1"),
            ok_tag("192.168.0.1:80", "docker.io", "library/192.168.0.1", "80"),
            ok("192.168.0.1:8/debian", "192.168.0.1:8", "debian"),
            ok("192.168.0.2:25000/debian", "192.168.0.2:25000", "debian"),
            ok(
                "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
                "docker.io",
                "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            ),
            ok("[fc00::1]:5000/docker", "[fc00::1]:5000", "docker"),
            ok(
                "[fc00::1]:5000/docker/docker",
                "[fc00::1]:5000",
                "docker/docker",
            ),
            ok(
                "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
                "[fc00:1:2:3:4:5:6:7]:5000",
                "library/debian",
            ),
            ok(
                &format!("docker.io/{HEX_ID}"),
                "docker.io",
                &format!("library/{HEX_ID}"),
            ),
            ok("Docker/docker", "Docker", "docker"),
            ok("DOCKER/docker", "DOCKER", "docker"),
            // normalize_test.go TestValidateRemoteName (valid).
            ok("docker-rules/docker", "docker.io", "docker-rules/docker"),
            ok(
                "docker---rules/docker",
                "docker.io",
                "docker---rules/docker",
            ),
            ok("doc/docker", "docker.io", "doc/docker"),
            ok("d/docker", "docker.io", "d/docker"),
            ok("jess/t", "docker.io", "jess/t"),
            ok("dock__er/docker", "docker.io", "dock__er/docker"),
            // normalize_test.go TestParseRepositoryInfo (familiar, full and ambiguous names).
            ok("fooo/bar", "docker.io", "fooo/bar"),
            ok("docker.io/fooo/bar", "docker.io", "fooo/bar"),
            ok("index.docker.io/fooo/bar", "docker.io", "fooo/bar"),
            ok("ubuntu", "docker.io", "library/ubuntu"),
            ok("docker.io/library/ubuntu", "docker.io", "library/ubuntu"),
            ok("library/ubuntu", "docker.io", "library/ubuntu"),
            ok("nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu"),
            ok(
                "docker.io/nonlibrary/ubuntu",
                "docker.io",
                "nonlibrary/ubuntu",
            ),
            ok("other/library", "docker.io", "other/library"),
            ok("docker.io/other/library", "docker.io", "other/library"),
            ok(
                "127.0.0.1:8000/private/moonbase",
                "127.0.0.1:8000",
                "private/moonbase",
            ),
            ok(
                "127.0.0.1:8000/privatebase",
                "127.0.0.1:8000",
                "privatebase",
            ),
            ok(
                "example.com/private/moonbase",
                "example.com",
                "private/moonbase",
            ),
            ok("example.com/privatebase", "example.com", "privatebase"),
            ok(
                "example.com:8000/private/moonbase",
                "example.com:8000",
                "private/moonbase",
            ),
            ok(
                "example.com:8000/privatebasee",
                "example.com:8000",
                "privatebasee",
            ),
            ok(
                "ubuntu-12.04-base",
                "docker.io",
                "library/ubuntu-12.04-base",
            ),
            ok(
                "docker.io/library/ubuntu-12.04-base",
                "docker.io",
                "library/ubuntu-12.04-base",
            ),
            ok(
                "index.docker.io/library/ubuntu-12.04-base",
                "docker.io",
                "library/ubuntu-12.04-base",
            ),
            ok("foo", "docker.io", "library/foo"),
            ok("docker.io/library/foo", "docker.io", "library/foo"),
            ok("docker.io/foo", "docker.io", "library/foo"),
            ok("library/foo/bar", "docker.io", "library/foo/bar"),
            ok("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
            ok("store/foo/bar", "docker.io", "store/foo/bar"),
            ok("docker.io/store/foo/bar", "docker.io", "store/foo/bar"),
            ok("Foo/bar", "Foo", "bar"),
            ok("FOO/bar", "FOO", "bar"),
            // normalize_test.go TestParseReferenceWithTagAndDigest.
            ok_digest(
                &format!("busybox:latest@{busybox}"),
                "docker.io",
                "library/busybox",
                Some("latest"),
                busybox,
            ),
            // normalize_test.go TestParseAnyReference (the named ones).
            ok("redis", "docker.io", "library/redis"),
            ok_tag("redis:latest", "docker.io", "library/redis", "latest"),
            ok_tag(
                "docker.io/library/redis:latest",
                "docker.io",
                "library/redis",
                "latest",
            ),
            ok_digest(
                &format!("redis@{dbcc}"),
                "docker.io",
                "library/redis",
                None,
                &dbcc,
            ),
            ok_digest(
                &format!("docker.io/library/redis@{dbcc}"),
                "docker.io",
                "library/redis",
                None,
                &dbcc,
            ),
            ok("dmcgowan/myapp", "docker.io", "dmcgowan/myapp"),
            ok_tag(
                "dmcgowan/myapp:latest",
                "docker.io",
                "dmcgowan/myapp",
                "latest",
            ),
            ok_tag(
                "docker.io/mcgowan/myapp:latest",
                "docker.io",
                "mcgowan/myapp",
                "latest",
            ),
            ok_digest(
                &format!("dmcgowan/myapp@{dbcc}"),
                "docker.io",
                "dmcgowan/myapp",
                None,
                &dbcc,
            ),
            ok_digest(
                &format!("docker.io/dmcgowan/myapp@{dbcc}"),
                "docker.io",
                "dmcgowan/myapp",
                None,
                &dbcc,
            ),
            // 63 hex characters: not an identifier.
            ok(
                &DBCC[..63],
                "docker.io",
                &format!("library/{}", &DBCC[..63]),
            ),
            ok("dbcc1", "docker.io", "library/dbcc1"),
            // A bare digest is a name "sha256" with a 64-character tag for ParseNormalizedNamed.
            ok_tag(&dbcc, "docker.io", "library/sha256", DBCC),
            // normalize_test.go TestNormalizedSplitHostname.
            ok("test.com/foo", "test.com", "foo"),
            ok("test_com/foo", "docker.io", "test_com/foo"),
            ok("docker/migrator", "docker.io", "docker/migrator"),
            ok("test.com:8080/foo", "test.com:8080", "foo"),
            ok("test-com:8080/foo", "test-com:8080", "foo"),
            ok("xn--n3h.com/foo", "xn--n3h.com", "foo"),
            ok("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
            // reference_test.go TestReferenceParse, through ParseNormalizedNamed.
            ok("test_com", "docker.io", "library/test_com"),
            ok_tag("test.com:tag", "docker.io", "library/test.com", "tag"),
            ok_tag("test.com:5000", "docker.io", "library/test.com", "5000"),
            ok_tag("test.com/repo:tag", "test.com", "repo", "tag"),
            ok("test:5000/repo", "test:5000", "repo"),
            ok_tag("test:5000/repo:tag", "test:5000", "repo", "tag"),
            ok_digest(
                &format!("test:5000/repo@{sha256}"),
                "test:5000",
                "repo",
                None,
                &sha256,
            ),
            ok_digest(
                &format!("test:5000/repo:tag@{sha256}"),
                "test:5000",
                "repo",
                Some("tag"),
                &sha256,
            ),
            ok_tag(
                "lowercase:Uppercase",
                "docker.io",
                "library/lowercase",
                "Uppercase",
            ),
            // Path of exactly 255 characters: fine when only the path counts (v0.6.0+).
            ok_tag(
                &format!("{long_path}:tag-puts-this-over-max"),
                "docker.io",
                &long_path,
                "tag-puts-this-over-max",
            ),
            ok(
                "sub-dom1.foo.com/bar/baz/quux",
                "sub-dom1.foo.com",
                "bar/baz/quux",
            ),
            ok_tag(
                "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
                "sub-dom1.foo.com",
                "bar/baz/quux",
                "some-long-tag",
            ),
            ok_tag(
                "b.gcr.io/test.example.com/my-app:test.example.com",
                "b.gcr.io",
                "test.example.com/my-app",
                "test.example.com",
            ),
            ok_tag(
                "xn--n3h.com/myimage:xn--n3h.com",
                "xn--n3h.com",
                "myimage",
                "xn--n3h.com",
            ),
            ok_digest(
                &format!("xn--7o8h.com/myimage:xn--7o8h.com@{sha512}"),
                "xn--7o8h.com",
                "myimage",
                Some("xn--7o8h.com"),
                &sha512,
            ),
            ok_tag(
                "foo_bar.com:8080",
                "docker.io",
                "library/foo_bar.com",
                "8080",
            ),
            ok_tag(
                "foo/foo_bar.com:8080",
                "docker.io",
                "foo/foo_bar.com",
                "8080",
            ),
            ok("192.168.1.1", "docker.io", "library/192.168.1.1"),
            ok_tag("192.168.1.1:tag", "docker.io", "library/192.168.1.1", "tag"),
            ok_tag(
                "192.168.1.1:5000",
                "docker.io",
                "library/192.168.1.1",
                "5000",
            ),
            ok("192.168.1.1/repo", "192.168.1.1", "repo"),
            ok("192.168.1.1:5000/repo", "192.168.1.1:5000", "repo"),
            ok_tag(
                "192.168.1.1:5000/repo:5050",
                "192.168.1.1:5000",
                "repo",
                "5050",
            ),
            ok("[2001:db8::1]/repo", "[2001:db8::1]", "repo"),
            ok_tag(
                "[2001:db8:1:2:3:4:5:6]/repo:tag",
                "[2001:db8:1:2:3:4:5:6]",
                "repo",
                "tag",
            ),
            ok("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo"),
            ok_tag(
                "[2001:db8::1]:5000/repo:tag",
                "[2001:db8::1]:5000",
                "repo",
                "tag",
            ),
            ok_digest(
                &format!("[2001:db8::1]:5000/repo@{sha256}"),
                "[2001:db8::1]:5000",
                "repo",
                None,
                &sha256,
            ),
            ok_digest(
                &format!("[2001:db8::1]:5000/repo:tag@{sha256}"),
                "[2001:db8::1]:5000",
                "repo",
                Some("tag"),
                &sha256,
            ),
            ok("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo"),
            ok("[::1]:5000/repo", "[::1]:5000", "repo"),
            // reference_test.go TestSerialization.
            ok("example.com:8000/named", "example.com:8000", "named"),
            ok_tag(
                "example.com:8000/named:tagged",
                "example.com:8000",
                "named",
                "tagged",
            ),
            ok_digest(
                "other.com/named@sha256:1234567890098765432112345667890098765432112345667890098765432112",
                "other.com",
                "named",
                None,
                "sha256:1234567890098765432112345667890098765432112345667890098765432112",
            ),
            // regexp_test.go TestDomainRegexp (valid hosts), as "<host>/x".
            ok("test.com:10304/x", "test.com:10304", "x"),
            ok("a.b/x", "a.b", "x"),
            ok("ab.cd.com/x", "ab.cd.com", "x"),
            ok("a-b.com/x", "a-b.com", "x"),
            ok("ab.c-om/x", "ab.c-om", "x"),
            ok("0101.com/x", "0101.com", "x"),
            ok("001a.com/x", "001a.com", "x"),
            ok("b.gbc.io:443/x", "b.gbc.io:443", "x"),
            ok("Asdf.com/x", "Asdf.com", "x"),
            ok("Asdf.com/foo/bar", "Asdf.com", "foo/bar"),
            ok("192.168.1.1:75050/x", "192.168.1.1:75050", "x"),
            ok("192.168.1.1:750050/x", "192.168.1.1:750050", "x"),
            ok("[fd00:1:2::3]:75050/x", "[fd00:1:2::3]:75050", "x"),
            ok("[fd00123123123]:75050/x", "[fd00123123123]:75050", "x"),
            ok(
                "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050/x",
                "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050",
                "x",
            ),
            // A single-letter first component without '.' or ':' is a namespace, not a host.
            ok("a/x", "docker.io", "a/x"),
            // regexp_test.go TestFullNameRegexp / TestReferenceRegexp (valid).
            ok(
                "aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb",
                "docker.io",
                "aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb",
            ),
            ok("aa-a/a", "docker.io", "aa-a/a"),
            ok("foo_bar", "docker.io", "library/foo_bar"),
            ok("foo.com/foo_bar", "foo.com", "foo_bar"),
            ok("do__cker/docker", "docker.io", "do__cker/docker"),
            ok(
                "example.com/some_separator__underscore/myimage",
                "example.com",
                "some_separator__underscore/myimage",
            ),
            ok(
                "example.com/xn--7o8h.com/myimage",
                "example.com",
                "xn--7o8h.com/myimage",
            ),
            ok(
                "registry.io/foo/project--id.module--name.ver---sion--name",
                "registry.io",
                "foo/project--id.module--name.ver---sion--name",
            ),
            ok_tag(
                "registry.com:8080/myapp:tag",
                "registry.com:8080",
                "myapp",
                "tag",
            ),
            ok_digest(
                &format!("localhost:8080@{sha256}"),
                "docker.io",
                "library/localhost",
                Some("8080"),
                &sha256,
            ),
            ok_digest(
                &format!("localhost:8080/name@{sha256}"),
                "localhost:8080",
                "name",
                None,
                &sha256,
            ),
            ok_digest(
                &format!("localhost@{sha256}"),
                "docker.io",
                "library/localhost",
                None,
                &sha256,
            ),
            // Upstream reads a first component that is a valid path component but not a valid
            // host as part of the path (empty domain); it stays the registry here, as the
            // kubelet and runtimes use it.
            ok("foo_bar.com/x", "foo_bar.com", "x"),
            ok_tag("do__cker.io/a/b:1", "do__cker.io", "a/b", "1"),
            // Other digests and tags.
            ok_digest(
                &format!("nginx@sha384:{}", &format!("{HEX64}{HEX64}")[..96]),
                "docker.io",
                "library/nginx",
                None,
                &format!("sha384:{}", &format!("{HEX64}{HEX64}")[..96]),
            ),
            ok_tag("nginx:_x", "docker.io", "library/nginx", "_x"),
            ok_tag("nginx:A.b-C", "docker.io", "library/nginx", "A.b-C"),
            ok_tag(
                &format!("nginx:{}", "t".repeat(128)),
                "docker.io",
                "library/nginx",
                &"t".repeat(128),
            ),
            ok("localhost", "docker.io", "library/localhost"),
            ok("LOCALHOST/app", "LOCALHOST", "app"),
            ok("a.b.c.d.e/f/g/h", "a.b.c.d.e", "f/g/h"),
        ]
    }

    fn error_cases() -> Vec<(String, E)> {
        let e = |s: &str, err: E| (s.to_owned(), err);
        vec![
            // The examples of the README and of the notes on normalisation.
            e("docker/Docker", E::NameContainsUppercase),
            e("my_registry:5000/app", E::InvalidDomain),
            e(HEX_ID, E::HexIdentifier),
            e("nginx:", E::InvalidTag),
            e("nginx@sha256:short", E::InvalidDigest),
            e("", E::Empty),
            // normalize_test.go TestValidateReferenceName (invalid).
            e("https://github.com/docker/docker", E::InvalidDomain),
            e("-docker", E::InvalidName),
            e("-docker/docker", E::InvalidName),
            e("-docker.io/docker/docker", E::InvalidDomain),
            e("docker///docker", E::InvalidName),
            e("docker.io/docker/Docker", E::NameContainsUppercase),
            e("docker.io/docker///docker", E::InvalidName),
            e("[fc00::1]", E::InvalidName),
            e("[fc00::1]:5000", E::InvalidName),
            e("fc00::1:5000/debian", E::InvalidDomain),
            e("[fe80::1%eth0]:5000/debian", E::InvalidDomain),
            e("[2001:db8:3:4::192.0.2.33]:5000/debian", E::InvalidDomain),
            // normalize_test.go TestValidateRemoteName (invalid).
            e("docker-/docker", E::InvalidName),
            e("-docker-/docker", E::InvalidName),
            e("____/____", E::InvalidName),
            e("_docker/_docker", E::InvalidName),
            e("dock..er/docker", E::InvalidDomain),
            e("dock_.er/docker", E::InvalidDomain),
            e("dock-.er/docker", E::InvalidDomain),
            e("docker/", E::InvalidName),
            e(
                "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
                E::NameTooLong,
            ),
            // normalize_test.go TestInvalidReferenceComponents.
            e("-foo", E::InvalidName),
            // reference_test.go TestReferenceParse (invalid).
            e(":justtag", E::InvalidName),
            e(&format!("@sha256:{HEX64}"), E::InvalidName),
            e(
                "repo@sha256:ffffffffffffffffffffffffffffffffff",
                E::DigestInvalidLength,
            ),
            e(
                &format!("validname@invaliddigest:{HEX64}"),
                E::DigestUnsupported,
            ),
            e("Uppercase:tag", E::NameContainsUppercase),
            e(
                "test:5000/Uppercase/lowercase:tag",
                E::NameContainsUppercase,
            ),
            e(&format!("{}a:tag", "a/".repeat(128)), E::NameTooLong),
            e("aa/asdf$$^/aa", E::InvalidName),
            e("[2001:db8::1]", E::InvalidName),
            e("[2001:db8::1]:5000", E::InvalidName),
            e("[2001:db8::1]:tag", E::InvalidName),
            e("[fe80::1%eth0]:5000/repo", E::InvalidDomain),
            e("[fe80::1%@invalidzone]:5000/repo", E::InvalidDomain),
            // regexp_test.go TestDomainRegexp (invalid hosts), as "<host>/x".
            e("test.com:http/x", E::InvalidDomain),
            e("-ab.com/x", E::InvalidDomain),
            e("ab-.com/x", E::InvalidDomain),
            e("ab.-com/x", E::InvalidDomain),
            e("ab.com-/x", E::InvalidDomain),
            e("[fd00:1:2::3]75050/x", E::InvalidDomain),
            e("[fd00:1:2::3]::75050/x", E::InvalidDomain),
            e("[fd00:1:2::3%eth0]:75050/x", E::InvalidDomain),
            e("fd00:1:2::3:75050/x", E::InvalidDomain),
            // regexp_test.go TestFullNameRegexp / TestReferenceRegexp (invalid).
            e("a/a/a/a/", E::InvalidName),
            e("a//a/a", E::InvalidName),
            e("foo.com/", E::InvalidName),
            e("foo.com:http/bar", E::InvalidDomain),
            e("a^a", E::InvalidName),
            e("asdf$$^/aa", E::InvalidName),
            e("a-/a/a/a", E::InvalidName),
            e("foo.com/a-/a/a", E::InvalidName),
            e("foo/bar-", E::InvalidName),
            e("foo-/bar", E::InvalidName),
            e("foo/-bar", E::InvalidName),
            e("_foo/bar", E::InvalidName),
            e("foo_bar.com:8080/app", E::InvalidDomain),
            e("docker_/docker_", E::InvalidName),
            e("example.com/__underscore/myimage", E::InvalidName),
            e("example.com/..dots/myimage", E::InvalidName),
            e("example.com/.dots/myimage", E::InvalidName),
            e("example.com/nodouble..dots/myimage", E::InvalidName),
            e("docker./docker", E::InvalidDomain),
            e(".docker/docker", E::InvalidDomain),
            e("do..cker/docker", E::InvalidDomain),
            e("do__cker:8080/docker", E::InvalidDomain),
            e("Foo/FarB", E::NameContainsUppercase),
            e(
                "registry.com:8080/myapp@sha256:badbadbadbad",
                E::InvalidDigest,
            ),
            e("registry.com:8080/myapp:invalid~tag", E::InvalidTag),
            e("bad_hostname.com:8080/myapp:tag", E::InvalidDomain),
            e(
                &format!("localhost:http/name@sha256:{HEX64}"),
                E::InvalidDomain,
            ),
            e("registry.com:8080/myapp@bad", E::InvalidDigest),
            e("registry.com:8080/myapp@2bad", E::InvalidDigest),
            // A first component that passes only lower-cased: upstream's retry says upper case.
            e("Foo_Bar/x", E::NameContainsUppercase),
            e("Foo_bar.com/x", E::NameContainsUppercase),
            // Digests: the reference grammar, then go-digest.
            e("nginx@", E::InvalidDigest),
            e("nginx@sha256", E::InvalidDigest),
            e("nginx@sha256:", E::InvalidDigest),
            e(&format!("nginx@:{HEX64}"), E::InvalidDigest),
            e(&format!("nginx@1sha:{HEX64}"), E::InvalidDigest),
            e(&format!("nginx@sha256-:{HEX64}"), E::InvalidDigest),
            e(&format!("nginx@sha256:{HEX64}g"), E::InvalidDigest),
            e(&format!("nginx@sha256:{}", &HEX64[..31]), E::InvalidDigest),
            e(
                &format!("nginx@sha256:{}", &HEX64[..32]),
                E::DigestInvalidLength,
            ),
            e(&format!("nginx@sha256:{HEX64}0"), E::DigestInvalidLength),
            e(&format!("nginx@sha512:{HEX64}"), E::DigestInvalidLength),
            e(
                &format!("nginx@sha256:{}", HEX64.to_uppercase()),
                E::DigestInvalidFormat,
            ),
            e(&format!("nginx:1@SHA256:{HEX64}"), E::DigestInvalidFormat),
            // Without a tag, the upper-case algorithm falls in upstream's lower-case check.
            e(&format!("nginx@SHA256:{HEX64}"), E::NameContainsUppercase),
            e(&format!("nginx@blake3:{HEX64}"), E::DigestUnsupported),
            e(&format!("nginx@sha256+b64:{HEX64}"), E::DigestUnsupported),
            e(
                &format!("nginx@sha256:{HEX64}@sha256:{HEX64}"),
                E::InvalidDigest,
            ),
            // Tags.
            e(&format!("nginx:{}", "t".repeat(129)), E::InvalidTag),
            e("nginx:.tag", E::InvalidTag),
            e("nginx:-tag", E::InvalidTag),
            e("nginx:a:b", E::InvalidTag),
            e(&format!("nginx:@sha256:{HEX64}"), E::InvalidTag),
            // Length: the "library/" prefix counts; the domain does not.
            e(&"a".repeat(248), E::NameTooLong),
            e(&format!("docker.io/{}", "a".repeat(248)), E::NameTooLong),
            e(&format!("example.com/{}", "a".repeat(256)), E::NameTooLong),
            e(&format!("foo_bar.com/{}", "a".repeat(250)), E::NameTooLong),
            // Odd input.
            e("/", E::InvalidName),
            e(":", E::InvalidName),
            e("@", E::InvalidName),
            e("a@", E::InvalidDigest),
            e("[", E::InvalidName),
            e("[::1", E::InvalidName),
            e("[::1/app", E::InvalidDomain),
            e("[]/app", E::InvalidName),
            e("[::1]:/app", E::InvalidDomain),
            e("nginx ", E::InvalidName),
            e("nginx\n", E::InvalidName),
            e("ngînx", E::InvalidName),
            e("régistry.com/app", E::InvalidDomain),
            e("example.com/🐳", E::InvalidName),
        ]
    }

    #[test]
    fn reference_valid_cases() {
        // Over a hundred upstream cases: every failing one is named, not only the first.
        let failures: Vec<String> = valid_cases()
            .into_iter()
            .filter_map(|(input, domain, path, tag, digest)| {
                let expected = (
                    domain.to_owned(),
                    path.clone(),
                    tag,
                    digest,
                    format!("{domain}/{path}"),
                );
                match ImageRef::parse(&input) {
                    Ok(r) => {
                        let got = (
                            r.domain().to_owned(),
                            r.path().to_owned(),
                            r.tag().map(str::to_owned),
                            r.digest().map(str::to_owned),
                            r.to_string(),
                        );
                        (got != expected)
                            .then(|| format!("{input:?}: expected {expected:?}, got {got:?}"))
                    }
                    Err(e) => Some(format!("{input:?} should parse, got {e:?}")),
                }
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn reference_error_cases() {
        let failures: Vec<String> = error_cases()
            .into_iter()
            .filter_map(|(input, expected)| {
                let got = ImageRef::parse(&input);
                (got != Err(expected.clone()))
                    .then(|| format!("{input:?}: expected {expected:?}, got {got:?}"))
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[rstest]
    #[case::docker_hub("nginx", "docker.io", "")]
    #[case::port("registry:5000/team/app", "registry", "5000")]
    #[case::localhost("localhost/app", "localhost", "")]
    #[case::localhost_port("localhost:5000/app", "localhost", "5000")]
    #[case::ipv6_port("[::1]:5000/app", "::1", "5000")]
    #[case::ipv6("[::1]/app", "[::1]", "")]
    #[case::case_kept("Private.Registry.com/app", "Private.Registry.com", "")]
    #[case::ipv4_port("192.168.1.1:5000/repo", "192.168.1.1", "5000")]
    fn domains_split_like_the_kubelet(#[case] input: &str, #[case] host: &str, #[case] port: &str) {
        let r = ImageRef::parse(input).unwrap();
        assert_eq!(split_host_port(r.domain()), (host, port));
    }

    #[test]
    fn reference_borrows_unless_library_prefix() {
        let r = ImageRef::parse("example.com/team/app:1").unwrap();
        assert!(matches!(r.path, Cow::Borrowed(_)));
        let r = ImageRef::parse("docker.io/team/app").unwrap();
        assert!(matches!(r.path, Cow::Borrowed(_)));
        let r = ImageRef::parse("nginx").unwrap();
        assert!(matches!(r.path, Cow::Owned(_)));
    }

    #[test]
    fn reference_error_display_is_short() {
        let all = [
            E::Empty,
            E::HexIdentifier,
            E::NameContainsUppercase,
            E::InvalidDomain,
            E::InvalidName,
            E::InvalidTag,
            E::InvalidDigest,
            E::NameTooLong,
            E::DigestInvalidLength,
            E::DigestInvalidFormat,
            E::DigestUnsupported,
        ];
        for err in all {
            let text = err.to_string();
            assert!(!text.is_empty() && text.len() < 80, "{text}");
        }
        assert_eq!(
            E::NameContainsUppercase.to_string(),
            "repository name must be lowercase"
        );
    }

    /// A valid result prints as `domain/path`, and that parses back to the same repository.
    fn check_invariants(input: &str) {
        if let Ok(r) = ImageRef::parse(input) {
            let name = r.to_string();
            let again = ImageRef::parse(&name)
                .unwrap_or_else(|e| panic!("{name:?} (from {input:?}) should parse: {e:?}"));
            assert_eq!(
                (again.domain(), again.path()),
                (r.domain(), r.path()),
                "{input:?}"
            );
            assert!(r.path().len() <= MAX_PATH_LEN);
        }
    }

    #[test]
    fn reference_never_panics() {
        let fixed = [
            "",
            "/",
            "//",
            ":",
            "::",
            "@",
            "@@",
            "a@",
            "a:",
            "a/",
            "/a",
            "[",
            "]",
            "[]",
            "[::1",
            "[::1]",
            "[::1]:",
            "[::1]:/",
            "[::1]:5000",
            "::1/a",
            "a:b:c/d",
            "a@b/c",
            "a:@",
            "é",
            "🐳",
            "é/a",
            "a/é",
            "a.é/b",
            "a:é",
            "a@é:00",
            "\u{212A}/a",
            "\0",
            "a\0b",
            "localhost",
            "localhost/",
            "index.docker.io",
            "index.docker.io/",
            "docker.io/",
        ];
        for input in fixed {
            check_invariants(input);
        }
        for len in [255, 256, 1000, 100_000] {
            check_invariants(&"a".repeat(len));
            check_invariants(&"a/".repeat(len));
            check_invariants(&"/".repeat(len));
            check_invariants(&":".repeat(len));
            check_invariants(&"[".repeat(len));
            check_invariants(&format!("a@sha256:{}", "f".repeat(len)));
            check_invariants(&format!("a:{}", "t".repeat(len)));
            check_invariants(&format!("{}.com/a", "b".repeat(len)));
            check_invariants(&"é".repeat(len));
        }
        // Random strings over an alphabet of the grammar's interesting characters.
        let alphabet: Vec<char> = "aZ09._-/:@[]%+~ é🐳library.docker.io".chars().collect();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut s = String::new();
        for _ in 0..100_000 {
            s.clear();
            let len = next() % 24;
            for _ in 0..len {
                s.push(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            check_invariants(&s);
        }
    }

    /// References shaped like real ones, so that most parse: an optional registry, path
    /// components with separators, an optional tag and digest.
    fn reference_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let domain = prop_oneof![
            Just(String::new()),
            Just("docker.io/".to_owned()),
            Just("index.docker.io/".to_owned()),
            Just("localhost:5000/".to_owned()),
            Just("Registry.Example.com/".to_owned()),
            Just("[::1]:5000/".to_owned()),
            "[a-z0-9]{1,6}(\\.[a-z0-9]{1,6}){1,2}(:[0-9]{1,5})?/",
        ];
        let component = "[a-z0-9]{1,5}([._-]{1,2}[a-z0-9]{1,5})?";
        let path = proptest::collection::vec(component, 1..4).prop_map(|c| c.join("/"));
        let tag = prop_oneof![
            Just(String::new()),
            "[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}".prop_map(|t| format!(":{t}"))
        ];
        let digest = prop_oneof![
            Just(String::new()),
            "[0-9a-f]{64}".prop_map(|h| format!("@sha256:{h}")),
        ];
        (domain, path, tag, digest).prop_map(|(d, p, t, g)| format!("{d}{p}{t}{g}"))
    }

    proptest::proptest! {
        /// Normalising a normalised reference changes nothing: the repository the kubelet
        /// looks credentials up with is a fixed point.
        #[test]
        fn normalising_a_normalised_reference_is_the_identity(input in reference_strategy()) {
            // Mostly valid: proptest fails the test if too many cases are thrown away.
            let parsed = ImageRef::parse(&input);
            proptest::prop_assume!(parsed.is_ok());
            let once = parsed.unwrap().to_string();
            let again = ImageRef::parse(&once).map(|r| r.to_string());
            proptest::prop_assert_eq!(again, Ok(once));
        }
    }
}
