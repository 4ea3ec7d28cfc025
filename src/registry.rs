//! Registry locations (`host[:port][/path]`, hosts may hold globs) and how they match images.
//!
//! Two sources produce them and share one matcher, so that the policy's idea of "this registry"
//! never drifts from the kubelet's:
//! - the `registries` of the settings ([`RegistryPattern::from_setting`], strict: a typo is an
//!   error, not a silent miss), matched with [`RegistryPattern::covers`];
//! - the registry keys of a pull secret ([`RegistryPattern::from_config_key`], lenient exactly
//!   where the kubelet is), matched with [`RegistryPattern::kubelet_matches`].
//!
//! The kubelet's rules (`pkg/credentialprovider/keyring.go`, `URLsMatch`): the ports must be
//! equal as strings, the hosts must have as many dot-separated labels, each label matches as a
//! Go `filepath.Match` glob (case-sensitive), and the key's path must be a string prefix of the
//! image's path. Settings differ in one point only: a path prefix covers whole path segments.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::ops::Range;

use crate::glob;
use crate::reference::ImageRef;

/// Docker Hub's canonical domain, as image references normalise to it.
pub const DOCKER_HUB: &str = "docker.io";
/// The key under which the kubelet looks for Docker Hub credentials when no key matched.
pub const DOCKER_HUB_INDEX: &str = "index.docker.io";

/// A registry location that images are matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryPattern<'a> {
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

impl<'a> RegistryPattern<'a> {
    fn new(host_port: Cow<'a, str>, path: Cow<'a, str>) -> RegistryPattern<'a> {
        let (host, port) = split_host_port_ranges(&host_port);
        let literal = glob::is_literal(&host_port[host.clone()]);
        RegistryPattern {
            host_port,
            path,
            host,
            port,
            literal,
        }
    }

    /// A key's `host[:port]` and path, split with what the key scan gathered about the host,
    /// so that the host is not read again.
    fn from_scan(host_port: &'a str, shape: &HostPortShape, path: Cow<'a, str>) -> Self {
        let (host, port) = shape.split(host_port);
        RegistryPattern {
            literal: shape.literal_host(&host),
            host_port: Cow::Borrowed(host_port),
            path,
            host,
            port,
        }
    }

    /// The host's dot-separated labels, each a Go glob.
    fn labels(&self) -> std::str::Split<'_, char> {
        self.host().split('.')
    }

    /// Parses a registry entry of the settings: `host`, `host:port`, an IPv4 address,
    /// `[IPv6]:port`, each optionally followed by `/path/prefix`; a label may hold `*` globs.
    /// Docker Hub's other spellings (`index.docker.io`, `registry-1.docker.io`) become
    /// `docker.io`, since that is the domain every Docker Hub image normalises to.
    pub fn from_setting(value: &str) -> Result<RegistryPattern<'static>, String> {
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
        let (host, port) = split_setting_host_port(host_port)?;
        validate_setting_host(host)?;
        if let Some(port) = port {
            match port.parse::<u16>() {
                Ok(p) if p > 0 && !port.starts_with('0') => {}
                _ => return Err(format!("port `{port}` must be a number from 1 to 65535")),
            }
        }
        if !path.is_empty() {
            validate_setting_path(path)?;
        }
        let host_port = match (host, port) {
            ("docker.io" | "index.docker.io" | "registry-1.docker.io", None) => DOCKER_HUB.into(),
            _ => host_port.to_owned(),
        };
        let path = if path.is_empty() {
            String::new()
        } else {
            format!("/{path}")
        };
        Ok(RegistryPattern::new(host_port.into(), path.into()))
    }

    /// Parses a registry key of a `.dockerconfigjson`/`.dockercfg` the way the kubelet's
    /// `BasicDockerKeyring.Add` does: `https://` is assumed when no scheme is given, a leading
    /// `/v1` or `/v2` path segment is dropped, the host keeps its case and port. An error means
    /// the kubelet drops the key.
    pub fn from_config_key(key: &'a str) -> Result<RegistryPattern<'a>, KeyError> {
        // The kubelet parses `https://` + key; what follows the scheme is the key itself.
        let after_scheme = key
            .strip_prefix("https://")
            .or_else(|| key.strip_prefix("http://"))
            .unwrap_or(key);
        let (host_port, shape, path) = go_url_host_path(after_scheme)?;
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
            Cow::Owned(path) => Cow::Owned(path[skip..].to_owned()),
        };
        // A malformed glob does not drop the key: it just never matches.
        Ok(RegistryPattern::from_scan(host_port, &shape, path))
    }

    /// `host[:port]`.
    pub fn host_port(&self) -> &str {
        &self.host_port
    }

    /// The host without its port.
    pub fn host(&self) -> &str {
        &self.host_port[self.host.clone()]
    }

    /// The port, or `""` (Go's `net.SplitHostPort`, with the kubelet's fallback).
    pub fn port(&self) -> &str {
        &self.host_port[self.port.clone()]
    }

    /// The path prefix without its leading `/`, or `""`.
    pub fn path(&self) -> &str {
        self.path.strip_prefix('/').unwrap_or(&self.path)
    }

    /// Whether any label is a glob.
    pub fn has_glob(&self) -> bool {
        !self.literal
    }

    /// Whether this is the key under which the kubelet keeps Docker Hub's fallback credentials.
    pub fn is_docker_hub_index(&self) -> bool {
        self.host_port == DOCKER_HUB_INDEX && self.path.is_empty()
    }

    /// `literal_ipv6`: settings compare IPv6 addresses as strings; the kubelet globs them too,
    /// so that its `[::1]` key (no port) is a character class that never matches.
    fn host_matches(&self, image: &ImageRef<'_>, literal_ipv6: bool) -> bool {
        let (host, port) = split_host_port(image.domain());
        if port != self.port() {
            return false;
        }
        if (literal_ipv6 && self.host_port.starts_with('[')) || self.literal {
            return self.host() == host;
        }
        let mut labels = host.split('.');
        self.labels().all(|pattern| {
            labels
                .next()
                .is_some_and(|label| glob::matches(pattern, label))
        }) && labels.next().is_none()
    }

    /// The kubelet's `URLsMatch`: would the kubelet offer this key's credentials for `image`?
    pub fn kubelet_matches(&self, image: &ImageRef<'_>) -> bool {
        self.host_matches(image, false)
            && image_path_with_slash_starts_with(image.path(), &self.path)
    }

    /// Whether this settings entry covers `image`: as the kubelet, but a path prefix covers
    /// whole segments (`quay.io/my-org` covers `quay.io/my-org/app`, not `quay.io/my-orgs/app`).
    pub fn covers(&self, image: &ImageRef<'_>) -> bool {
        if !self.host_matches(image, true) {
            return false;
        }
        let prefix = self.path();
        let path = image.path();
        prefix.is_empty()
            || (path.starts_with(prefix)
                && (path.len() == prefix.len() || path[prefix.len()..].starts_with('/')))
    }

    /// Orders patterns from most to least specific: longer path prefixes first, then hosts
    /// without globs, then more literal labels, then more literal characters. Used to pick the
    /// settings entry that governs an image when several cover it.
    pub fn specificity_cmp(&self, other: &RegistryPattern<'_>) -> Ordering {
        let key = |p: &RegistryPattern<'_>| {
            (
                p.path().split('/').filter(|s| !s.is_empty()).count(),
                !p.has_glob(),
                p.labels().filter(|l| glob::is_literal(l)).count(),
                p.host_port.chars().filter(|c| !"*?[]".contains(*c)).count(),
            )
        };
        key(other).cmp(&key(self))
    }
}

impl RegistryPattern<'_> {
    /// Whether the kubelet would offer this secret key's credentials for at least one image
    /// that the settings entry `registry` covers: a secret for one registry of a glob entry
    /// (`myreg.azurecr.io` for `*.azurecr.io`), or for one repository of a path entry, does
    /// its job for those images.
    pub fn serves_some_of(&self, registry: &RegistryPattern<'_>) -> bool {
        // Docker Hub's fallback key serves every image of a default-registry host.
        if self.is_docker_hub_index()
            && if registry.literal {
                is_default_registry_match(registry.host_port())
            } else {
                registry.port().is_empty() && labels_overlap(registry.host(), DOCKER_HUB)
            }
        {
            return true;
        }
        if self.port() != registry.port() {
            return false;
        }
        let (key, entry) = (self.path(), registry.path());
        // The kubelet wants the key's path as a string prefix of the image's; the entry covers
        // its path and what lies below it.
        let paths_overlap = key.is_empty()
            || entry.is_empty()
            || entry.starts_with(key)
            || key
                .strip_prefix(entry)
                .is_some_and(|rest| rest.starts_with('/'));
        paths_overlap
            && if self.literal && registry.literal {
                self.host() == registry.host()
            } else {
                labels_overlap(self.host(), registry.host())
            }
    }

    /// Whether the kubelet would offer this secret key's credentials for every image that the
    /// settings entry `registry` covers below its path.
    pub fn serves_all_of(&self, registry: &RegistryPattern<'_>) -> bool {
        if self.is_docker_hub_index()
            && !registry.has_glob()
            && is_default_registry_match(registry.host_port())
        {
            return true;
        }
        // The key's path must be a prefix of every image path below the entry's: of the
        // entry's path, or of the entry's path and `/` (a key `quay.io/my-org/`).
        let (key, entry) = (&*self.path, &*registry.path);
        let paths_match = key.is_empty()
            || (!entry.is_empty()
                && (entry.starts_with(key)
                    || key.strip_prefix(entry).is_some_and(|rest| rest == "/")));
        if self.port() != registry.port() || !paths_match {
            return false;
        }
        let (key, host) = (self.host(), registry.host());
        // An IPv6 key without a port keeps its brackets, which the kubelet reads as a glob
        // character class that never matches an image's host.
        if key.starts_with('[') {
            return false;
        }
        if key == host {
            return true;
        }
        // A literal key serves one host; it cannot serve a glob entry's many.
        if self.literal || self.labels().count() != registry.labels().count() {
            return false;
        }
        self.labels().zip(registry.labels()).all(|(key, label)| {
            if glob::is_literal(label) {
                glob::matches(key, label)
            } else {
                key == label || key == "*"
            }
        })
    }

    /// Why this secret key, which does not serve `registry`, looks meant for it: the traps
    /// that produce `unauthorized` pulls. `None` when the key is simply for another registry.
    pub fn near_miss_of(&self, registry: &RegistryPattern<'_>) -> Option<String> {
        let (key_host, registry_host) = (self.host(), registry.host());
        let port = |p: &str| {
            if p.is_empty() {
                "no port".to_owned()
            } else {
                format!("port {p}")
            }
        };
        if self.is_docker_hub_index() {
            return Some(
                "the Docker Hub key that `kubectl create secret docker-registry` writes when \
                 --docker-server is left out"
                    .into(),
            );
        }
        if key_host == "registry-1.docker.io" && registry.host_port() == DOCKER_HUB {
            return Some(
                "the kubelet never uses registry-1.docker.io for Docker Hub images: the key \
                 must be docker.io or https://index.docker.io/v1/"
                    .into(),
            );
        }
        if key_host == registry_host {
            if self.port() != registry.port() {
                return Some(format!(
                    "the port differs: the key has {}, the images {}",
                    port(self.port()),
                    port(registry.port())
                ));
            }
            return Some(format!(
                "its path {} does not cover {registry}",
                if self.path.is_empty() {
                    "/"
                } else {
                    &self.path
                }
            ));
        }
        if key_host.eq_ignore_ascii_case(registry_host) {
            return Some(
                "the host differs in case, and the kubelet compares hosts case-sensitively".into(),
            );
        }
        if self.has_glob() && self.labels().count() != registry.labels().count() {
            let suffix = key_host.trim_start_matches(['*', '.']);
            if registry_host.ends_with(suffix) {
                return Some(format!(
                    "`*` stands for exactly one DNS label, so {} does not match {registry_host}",
                    self.host()
                ));
            }
        }
        if registry.has_glob() && self.labels().count() != registry.labels().count() {
            let suffix = registry_host.trim_start_matches(['*', '.']);
            if key_host.ends_with(suffix) {
                return Some(format!(
                    "`*` stands for exactly one DNS label, so {registry_host} does not match \
                     {key_host}"
                ));
            }
        }
        if looks_like_typo(registry_host, key_host) {
            return Some(format!("the host looks like a typo of {registry_host}"));
        }
        None
    }
}

impl fmt::Display for RegistryPattern<'_> {
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

/// Would the kubelet find credentials for `image` among `keys`? Every matching key counts;
/// when none matches, a Docker Hub image falls back to the `index.docker.io` key.
pub fn kubelet_serves<'k, 'p: 'k>(
    keys: impl IntoIterator<Item = &'k RegistryPattern<'p>> + Clone,
    image: &ImageRef<'_>,
) -> bool {
    keys.clone().into_iter().any(|k| k.kubelet_matches(image))
        || (is_default_registry_match(image.domain())
            && keys.into_iter().any(|k| k.is_docker_hub_index()))
}

/// The kubelet's `isDefaultRegistryMatch`, applied to a normalised image's domain: images
/// whose first component has neither `.` nor `:` count as Docker Hub's (`localhost` too).
pub fn is_default_registry_match(domain: &str) -> bool {
    domain == DOCKER_HUB || domain == DOCKER_HUB_INDEX || !domain.contains(['.', ':'])
}

/// A host that adds a prefix to another (`my-private.registry.com`, `us.gcr.io`), or a small
/// edit distance relative to the length (`privat.registry.com`). Short hosts need an exact
/// prefix: `ghcr.io` is one edit from `gcr.io` and a different registry.
pub fn looks_like_typo(configured: &str, host: &str) -> bool {
    let (a, b) = (configured.to_ascii_lowercase(), host.to_ascii_lowercase());
    let adds_prefix = |long: &str, short: &str| {
        long.strip_suffix(short)
            .is_some_and(|prefix| prefix.ends_with(['-', '.']))
    };
    adds_prefix(&a, &b)
        || adds_prefix(&b, &a)
        || strsim::levenshtein(&a, &b) <= a.len().min(b.len()) / 7
}

/// Why the kubelet drops a registry key (Go's `url.Parse` failed on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    ControlCharacter,
    InvalidPort,
    InvalidHostCharacter(char),
    MissingBracket,
    InvalidEscape,
    InvalidUserinfo,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::ControlCharacter => f.write_str("it holds a control character"),
            KeyError::InvalidPort => f.write_str("its port is not a number"),
            KeyError::InvalidHostCharacter(c) => write!(f, "its host holds the character {c:?}"),
            KeyError::MissingBracket => f.write_str("an IPv6 address lacks its closing `]`"),
            KeyError::InvalidEscape => f.write_str("it holds an invalid %-escape"),
            KeyError::InvalidUserinfo => f.write_str("it holds an invalid user name before `@`"),
        }
    }
}

/// Go's `net.SplitHostPort`, with the kubelet's fallback of the whole string and no port when
/// it fails (`SplitURL`).
pub fn split_host_port(host_port: &str) -> (&str, &str) {
    let (host, port) = split_host_port_ranges(host_port);
    (&host_port[host], &host_port[port])
}

/// [`split_host_port`] as byte ranges, so that a pattern can keep them.
fn split_host_port_ranges(hp: &str) -> (Range<usize>, Range<usize>) {
    let mut shape = HostPortShape::default();
    hp.bytes().enumerate().for_each(|(i, b)| shape.see(i, b));
    shape.split(hp)
}

/// What Go's `net.SplitHostPort` looks for in a `host[:port]`, gathered in one pass (that may
/// be doing other work, such as the scan of a registry key) instead of Go's several searches:
/// every registry key of a pull secret and every image domain is split.
#[derive(Debug, Default, Clone, Copy)]
struct HostPortShape {
    colons: usize,
    last_colon: usize,
    opens: usize,
    closes: usize,
    first_close: Option<usize>,
    /// A `*` was seen.
    star: bool,
}

impl HostPortShape {
    /// Takes in byte `b`, at index `i` of the `host[:port]`.
    fn see(&mut self, i: usize, b: u8) {
        match b {
            b':' => (self.colons, self.last_colon) = (self.colons + 1, i),
            b'[' => self.opens += 1,
            b']' => {
                self.closes += 1;
                self.first_close.get_or_insert(i);
            }
            b'*' => self.star = true,
            _ => {}
        }
    }

    /// Host and port ranges of `hp`, the string seen; on Go's errors the kubelet's fallback of
    /// the whole string and no port.
    fn split(&self, hp: &str) -> (Range<usize>, Range<usize>) {
        let whole = (0..hp.len(), hp.len()..hp.len());
        if self.colons == 0 {
            return whole;
        }
        let host = if hp.starts_with('[') {
            // `[host]:port`, and no other bracket anywhere.
            match self.first_close {
                Some(end) if end + 1 == self.last_colon && self.opens == 1 && self.closes == 1 => {
                    1..end
                }
                _ => return whole,
            }
        } else {
            // `host:port`: one colon, no bracket.
            if self.colons > 1 || self.opens > 0 || self.closes > 0 {
                return whole;
            }
            0..self.last_colon
        };
        (host, self.last_colon + 1..hp.len())
    }

    /// Whether the `host` that [`split`](Self::split) cut holds no glob character, for a
    /// registry key's host, where neither `?` nor `\\` can be.
    fn literal_host(&self, host: &Range<usize>) -> bool {
        // A `[` is in the host unless it is the one opening `[IPv6]:port`.
        !self.star && (self.opens == 0 || host.start == 1)
    }
}

fn image_path_with_slash_starts_with(image_path: &str, prefix: &str) -> bool {
    match prefix.strip_prefix('/') {
        None => prefix.is_empty(),
        Some(rest) => image_path.starts_with(rest),
    }
}

/// The host and path of a URL, as Go's `url.Parse` returns them (`u.Host`, `u.Path`), for the
/// `http(s)://` URLs the kubelet builds from registry keys, with the shape of the host. Go's
/// parser is emulated by hand because Rust's `url` crate follows the WHATWG standard, which
/// lower-cases hosts, resolves `..`, and accepts and refuses other strings than Go does.
fn go_url_host_path(after_scheme: &str) -> Result<(&str, HostPortShape, Cow<'_, str>), KeyError> {
    // One pass finds what Go's parser looks for: control characters (refused anywhere), the
    // start of the query or fragment, the `/` that ends the authority, and in the authority the
    // last `@`, then after it the first byte not allowed in a host and the shape of the host.
    // Every pull-secret key goes through here on every request for a pull secret.
    let bytes = after_scheme.as_bytes();
    let (mut end, mut slash, mut hash, mut percent) = (bytes.len(), None, None, false);
    let (mut at, mut bad_host, mut shape) = (None, None, HostPortShape::default());
    for (i, &b) in bytes.iter().enumerate() {
        let class = URL_CLASS[usize::from(b)];
        if class & PLAIN != 0 {
            continue;
        }
        match b {
            // Go looks for control characters before the fragment only.
            0..=0x1f | 0x7f if hash.is_none() => return Err(KeyError::ControlCharacter),
            b'#' if hash.is_none() => {
                hash = Some(i);
                end = end.min(i);
            }
            b'?' => end = end.min(i),
            b'/' if slash.is_none() && i < end => slash = Some(i),
            b'%' => percent = true,
            _ => {}
        }
        if slash.is_none() && i < end {
            if b == b'@' {
                (at, bad_host, shape) = (Some(i), None, HostPortShape::default());
            } else if class & HOST == 0 {
                bad_host.get_or_insert(b);
            } else {
                shape.see(i - at.map_or(0, |at| at + 1), b);
            }
        }
    }
    if percent && let Some(hash) = hash {
        percent_decode(&after_scheme[hash + 1..])?;
    }
    let slash = slash.unwrap_or(end);
    let path = &after_scheme[slash..end];
    let host = match at {
        Some(at) => {
            let userinfo = &after_scheme[..at];
            // Go's `validUserinfo`: ASCII only, unlike a host.
            let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b);
            if !userinfo.bytes().all(allowed) {
                return Err(KeyError::InvalidUserinfo);
            }
            // Go unescapes the user name and password: a bad %-escape drops the key.
            percent_decode(userinfo)?;
            &after_scheme[at + 1..slash]
        }
        None => &after_scheme[..slash],
    };
    // Go allows %-escapes in a host only for IPv6 zones; a registry never has one.
    if let Some(b) = bad_host {
        return Err(KeyError::InvalidHostCharacter(char::from(b)));
    }
    let port_part = if host.starts_with('[') {
        let end = shape.first_close.ok_or(KeyError::MissingBracket)?;
        &host[end + 1..]
    } else if shape.colons > 0 {
        &host[shape.last_colon..]
    } else {
        ""
    };
    if let Some(digits) = port_part.strip_prefix(':') {
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(KeyError::InvalidPort);
        }
    } else if !port_part.is_empty() {
        return Err(KeyError::InvalidPort);
    }
    let path = if percent {
        percent_decode(path)?
    } else {
        Cow::Borrowed(path)
    };
    Ok((host, shape, path))
}

/// Byte classes for [`go_url_host_path`]: `PLAIN` bytes need no attention while scanning a
/// key (`@`, `:`, `[`, `]` and `*` do, as they shape the authority); `HOST` bytes are allowed in a host by
/// Go's `url.Parse` (non-ASCII bytes are too).
const PLAIN: u8 = 1;
const HOST: u8 = 2;
const URL_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut class = 0;
        if c >= 0x80 || c.is_ascii_alphanumeric() || c == b'.' || c == b'-' {
            class = PLAIN | HOST;
        } else {
            let mut i = 0;
            let host_extra = b"_~!$&'()*+,;=:[]<>\"";
            while i < host_extra.len() {
                if host_extra[i] == c {
                    let shapes_host = matches!(c, b':' | b'[' | b']' | b'*');
                    class = HOST | if shapes_host { 0 } else { PLAIN };
                }
                i += 1;
            }
        }
        table[b] = class;
        b += 1;
    }
    table
};

fn percent_decode(s: &str) -> Result<Cow<'_, str>, KeyError> {
    if !s.contains('%') {
        return Ok(Cow::Borrowed(s));
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            // Two hex digits, as Go's `ishex` wants (`from_str_radix` would take a sign too).
            let digit = |j: usize| {
                bytes
                    .get(j)
                    .and_then(|&b| char::from(b).to_digit(16))
                    .ok_or(KeyError::InvalidEscape)
            };
            out.push((digit(i + 1)? * 16 + digit(i + 2)?) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(Cow::Owned(String::from_utf8_lossy(&out).into_owned()))
}

fn split_setting_host_port(host_port: &str) -> Result<(&str, Option<&str>), String> {
    if host_port.is_empty() {
        return Err("has no host before the `/`".into());
    }
    if let Some(rest) = host_port.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or("an IPv6 address must be closed with `]`")?;
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err(format!("unexpected `{after}` after the IPv6 address")),
        };
        return Ok((&host_port[..end + 2], port));
    }
    Ok(match host_port.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (host_port, None),
    })
}

fn validate_setting_host(host: &str) -> Result<(), String> {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        if inner.is_empty()
            || !inner.contains(':')
            || !inner.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
        {
            return Err(format!("`{host}` is not a valid IPv6 address"));
        }
        return Ok(());
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
                " (`_` is not allowed in a host name; image references refuse it)".to_owned()
            } else {
                String::new()
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

fn validate_setting_path(path: &str) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn image(s: &str) -> ImageRef<'_> {
        ImageRef::parse(s).unwrap()
    }

    fn key(s: &str) -> RegistryPattern<'_> {
        RegistryPattern::from_config_key(s).unwrap()
    }

    fn setting(s: &str) -> RegistryPattern<'static> {
        RegistryPattern::from_setting(s).unwrap()
    }

    #[test]
    fn config_keys_normalise_like_the_kubelet() {
        let cases = [
            ("https://index.docker.io/v1/", "index.docker.io", ""),
            ("index.docker.io", "index.docker.io", ""),
            ("https://quay.io/v2/org", "quay.io", "/org"),
            ("quay.io/v1", "quay.io", "/v1"),
            ("quay.io/v1/", "quay.io", ""),
            ("registry:5000", "registry:5000", ""),
            ("http://registry:5000/team", "registry:5000", "/team"),
            ("Registry.Example.com", "Registry.Example.com", ""),
            ("*.example.com", "*.example.com", ""),
            ("user@registry.io", "registry.io", ""),
            ("registry.io?x=y", "registry.io", ""),
            ("registry.io/a%41", "registry.io", "/aA"),
            ("[::1]:5000", "[::1]:5000", ""),
        ];
        for (input, host_port, path) in cases {
            let k = key(input);
            assert_eq!((k.host_port(), &*k.path), (host_port, path), "{input}");
        }
    }

    #[test]
    fn config_keys_the_kubelet_drops() {
        for input in [
            "registry:abc",
            "reg istry.io",
            "reg{}.io",
            "[::1",
            "registry.io/%zz",
            "registry.io/%+1",
            "u:p%zz@registry.io",
            "robot:p\u{e4}ss@registry.io",
            "registry\n.io",
        ] {
            assert!(RegistryPattern::from_config_key(input).is_err(), "{input}");
        }
    }

    #[test]
    fn kubelet_matching() {
        // (key, image, match) — adapted from keyring_test.go's cases.
        let cases = [
            ("quay.io", "quay.io/foo/bar", true),
            ("quay.io/foo", "quay.io/foo/bar", true),
            ("quay.io/foo", "quay.io/foobar/baz", true), // plain string prefix
            ("quay.io/foo", "quay.io/bar/baz", false),
            ("*.docker.io", "registry-1.docker.io/foo", true),
            ("*.docker.io", "docker.io/foo", false),
            ("*.example.com", "example.com/app", false),
            ("*.example.com", "a.example.com/app", true),
            ("*.*.example.com", "a.b.example.com/app", true),
            ("*.example.com", "a.b.example.com/app", false),
            ("*-good.example.com", "my-good.example.com/app", true),
            ("registry:5000", "registry:5000/app", true),
            ("registry:5000", "registry/app", false),
            ("registry", "registry:5000/app", false),
            ("registry.io:443", "registry.io/app", false),
            ("Registry.example.com", "registry.example.com/app", false),
            ("registry.example.com", "Registry.example.com/app", false),
            ("docker.io", "nginx", true),
            ("registry-1.docker.io", "nginx", false),
            ("index.docker.io", "nginx", false), // only through the fallback
            ("[::1]:5000", "[::1]:5000/app", true),
            ("[::1]", "[::1]/app", false), // a glob class to the kubelet
            ("gcr.io", "gcr.io/project/image", true),
            ("https://gcr.io/v2/project", "gcr.io/project/image", true),
            ("https://gcr.io/v2/other", "gcr.io/project/image", false),
        ];
        for (k, i, want) in cases {
            assert_eq!(key(k).kubelet_matches(&image(i)), want, "{k} vs {i}");
        }
    }

    #[test]
    fn keyring_test_go_cases() {
        // After keyring_test.go: TestURLsMatch, TestDockerKeyringForGlob and TestKeyringMiss
        // (lookups there append "/foo/bar"; paths with a ":port" inside are not image names).
        let cases = [
            ("*.kubernetes.io", "prefix.kubernetes.io/foo/bar", true),
            ("prefix.*.io", "prefix.kubernetes.io/foo/bar", true),
            ("prefix.kubernetes.*", "prefix.kubernetes.io/foo/bar", true),
            (
                "*-good.kubernetes.io",
                "prefix-good.kubernetes.io/foo/bar",
                true,
            ),
            (
                "*.kubernetes.io/blah",
                "prefix.kubernetes.io/blah/foo/bar",
                true,
            ),
            ("prefix.*.io/foo", "prefix.kubernetes.io/foo/bar", true),
            (
                "*.kubernetes.io:1111/blah",
                "prefix.kubernetes.io:1111/blah/x",
                true,
            ),
            (
                "prefix.*.io:1111/foo",
                "prefix.kubernetes.io:1111/foo/bar",
                true,
            ),
            ("*.kubernetes.io", "kubernetes.io/foo/bar", false),
            ("*.*.kubernetes.io", "prefix.kubernetes.io/foo/bar", false),
            ("*.*.kubernetes.io", "kubernetes.io/foo/bar", false),
            ("kubernetes.io", "kubernetes.com/foo/bar", false),
            ("k*.io", "quay.io/foo/bar", false),
            (
                "*.kubernetes.io:1234/blah",
                "prefix.kubernetes.io:1111/blah/x",
                false,
            ),
            (
                "prefix.*.io/foo",
                "prefix.kubernetes.io:1111/foo/bar",
                false,
            ),
            (
                "https://hello.kubernetes.io",
                "hello.kubernetes.io/foo/bar",
                true,
            ),
            (
                "https://*.docker.io/path",
                "prefix.docker.io/path/foo/bar",
                true,
            ),
            (
                "https://prefix.*.io/path",
                "prefix.docker.io/path/subpath/foo/bar",
                true,
            ),
            (
                "https://*.docker.io:8888",
                "prefix.docker.io:8888/foo/bar",
                true,
            ),
            (
                "https://*.docker.io/v1/",
                "prefix.docker.io/path/foo/bar",
                true,
            ),
            (
                "https://*.docker.io/v2/",
                "prefix.docker.io/path/foo/bar",
                true,
            ),
            (
                "prefix.docker.io:1111",
                "prefix.docker.io:1111/path/foo/bar",
                true,
            ),
            (
                "https://hello.kubernetes.io",
                "world.mesos.org/foo/bar",
                false,
            ),
            ("https://*.docker.com", "prefix.docker.io/foo/bar", false),
            ("https://suffix.*.io", "prefix.docker.io/foo/bar", false),
            (
                "https://prefix.docker.c*",
                "prefix.docker.io/foo/bar",
                false,
            ),
            ("suffix.*.io", "prefix.docker.io/foo/bar", false),
        ];
        for (k, i, want) in cases {
            assert_eq!(kubelet_serves([&key(k)], &image(i)), want, "{k} vs {i}");
        }
        // TestKeyringMissWithDockerHubCredentials and the Docker Hub hits.
        let hub = key("https://index.docker.io");
        assert!(!kubelet_serves([&hub], &image("world.mesos.org/foo/bar")));
        for hit in [
            "google/docker-registry",
            "jenkins",
            "index.docker.io/google/docker-registry",
        ] {
            assert!(kubelet_serves([&hub], &image(hit)), "{hit}");
        }
        // TestIsDefaultRegistryMatch, on normalised domains.
        for (domain, want) in [
            ("docker.io", true),
            ("index.docker.io", true),
            ("registry.tld", false),
            ("registry:5000", false),
            ("myhostdocker.io", false),
        ] {
            assert_eq!(is_default_registry_match(domain), want, "{domain}");
        }
    }

    #[test]
    fn docker_hub_fallback() {
        let keys = [key("https://index.docker.io/v1/")];
        assert!(kubelet_serves(&keys, &image("nginx")));
        assert!(kubelet_serves(&keys, &image("myorg/app")));
        assert!(kubelet_serves(&keys, &image("docker.io/myorg/app")));
        assert!(kubelet_serves(&keys, &image("localhost/app")));
        assert!(!kubelet_serves(&keys, &image("private.registry.com/app")));
        assert!(!kubelet_serves(&keys, &image("registry:5000/app")));
        let keys = [key("index.docker.io/v1")];
        assert!(!kubelet_serves(&keys, &image("nginx")));
    }

    #[test]
    fn settings_cover_whole_segments() {
        let p = setting("quay.io/my-org");
        assert!(p.covers(&image("quay.io/my-org/app")));
        assert!(p.covers(&image("quay.io/my-org")));
        assert!(!p.covers(&image("quay.io/my-organisation/app")));
        assert!(!p.covers(&image("quay.io/other/app")));
        let p = setting("private.registry.com");
        assert!(p.covers(&image("private.registry.com/a/b:1")));
        assert!(!p.covers(&image("my-private.registry.com/a")));
        assert!(!p.covers(&image("private.registry.com:5000/a")));
        let p = setting("*.dkr.ecr.*.amazonaws.com");
        assert!(p.covers(&image("123.dkr.ecr.eu-west-1.amazonaws.com/app")));
        assert!(!p.covers(&image("dkr.ecr.eu-west-1.amazonaws.com/app")));
        let p = setting("[fd00::1]:5000");
        assert!(p.covers(&image("[fd00::1]:5000/app")));
        assert!(!p.covers(&image("[fd00::2]:5000/app")));
    }

    #[test]
    fn settings_spell_docker_hub_three_ways() {
        for spelling in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
            let p = setting(spelling);
            assert_eq!(p.host_port(), "docker.io");
            assert!(p.covers(&image("nginx")));
            assert!(p.covers(&image("index.docker.io/myorg/app")));
        }
        let p = setting("docker.io/myorg");
        assert!(p.covers(&image("myorg/app")));
        assert!(!p.covers(&image("nginx")));
        assert!(setting("docker.io/library").covers(&image("nginx")));
    }

    #[test]
    fn settings_errors() {
        let cases = [
            ("", "empty"),
            (" quay.io", "white space"),
            ("https://quay.io/", "drop the `https://`"),
            ("my_registry.io", "`_` is not allowed"),
            ("registry.io:http", "port"),
            ("registry.io:0", "port"),
            ("registry.io:70000", "port"),
            ("registry..io", "empty label"),
            ("-registry.io", "starts or ends"),
            ("quay.io/My-Org", "lowercase"),
            ("quay.io/org:tag", "tag"),
            ("quay.io/", "must not end with `/`: write `quay.io`"),
            ("quay.io//org", "not a valid repository path"),
            ("/org", "no host"),
            ("[::1", "closed"),
            ("[xyz::1]:5000", "IPv6"),
        ];
        for (input, fragment) in cases {
            let err = RegistryPattern::from_setting(input).unwrap_err();
            assert!(err.contains(fragment), "{input:?}: {err}");
        }
    }

    #[test]
    fn specificity() {
        let mut v = [
            setting("*.example.com"),
            setting("quay.io"),
            setting("quay.io/org/team"),
            setting("quay.io/org"),
            setting("a.example.com"),
        ];
        v.sort_by(RegistryPattern::specificity_cmp);
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

    #[test]
    fn secret_keys_serving_settings_entries() {
        // (key, settings entry, serves some of the entry's images, serves them all)
        let cases = [
            ("private.registry.com", "private.registry.com", true, true),
            (
                "https://private.registry.com/v2/",
                "private.registry.com",
                true,
                true,
            ),
            (
                "private.registry.com/team",
                "private.registry.com",
                true,
                false,
            ),
            ("quay.io", "quay.io/my-org", true, true),
            ("quay.io/my-org", "quay.io/my-org", true, true),
            ("quay.io/my-org/", "quay.io/my-org", true, true),
            ("quay.io/my-org/app", "quay.io/my-org", true, false),
            ("https://quay.io/v1/my-org", "quay.io/my-org", true, true),
            ("quay.io/other-org", "quay.io/my-org", false, false),
            ("quay.io/my-orgs", "quay.io/my-org", false, false),
            ("quay.io/my", "quay.io/my-org", true, true), // a string prefix, as the kubelet
            ("https://index.docker.io/v1/", "docker.io", true, true),
            (
                "https://index.docker.io/v1/",
                "docker.io/mycompany",
                true,
                true,
            ),
            ("docker.io", "docker.io/mycompany", true, true),
            ("registry-1.docker.io", "docker.io", false, false),
            (
                "https://index.docker.io/v1/",
                "private.registry.com",
                false,
                false,
            ),
            ("registry.local:5000", "registry.local:5000", true, true),
            ("registry.local", "registry.local:5000", false, false),
            ("Private.registry.com", "private.registry.com", false, false),
            ("*.example.com", "a.example.com", true, true),
            ("*.example.com", "example.com", false, false),
            ("example.com", "*.example.com", false, false),
            ("myreg.azurecr.io", "*.azurecr.io", true, false),
            ("myreg.azurecr.io:443", "*.azurecr.io", false, false),
            (
                "*.dkr.ecr.*.amazonaws.com",
                "*.dkr.ecr.*.amazonaws.com",
                true,
                true,
            ),
            (
                "1.dkr.ecr.eu-west-1.amazonaws.com",
                "*.dkr.ecr.*.amazonaws.com",
                true,
                false,
            ),
            (
                "1.dkr.ecr.eu-west-1.amazonaws.com",
                "*.ecr.*.amazonaws.com",
                false,
                false,
            ),
            ("*.gcr.io", "*.pkg.dev", false, false),
            ("https://index.docker.io/v1/", "localhost", true, true),
            ("[::2]", "[::1]", false, false),
            ("[::1]", "[::1]", false, false),
        ];
        for (k, entry, some, all) in cases {
            let (k_pattern, entry_pattern) = (key(k), setting(entry));
            assert_eq!(
                k_pattern.serves_some_of(&entry_pattern),
                some,
                "{k} some of {entry}"
            );
            assert_eq!(
                k_pattern.serves_all_of(&entry_pattern),
                all,
                "{k} all of {entry}"
            );
        }
    }

    #[test]
    fn trap_explanations() {
        let cases = [
            (
                "example.com",
                "*.example.com",
                "so *.example.com does not match example.com",
            ),
            (
                "https://index.docker.io/v1/",
                "private.registry.com",
                "--docker-server is left out",
            ),
            (
                "registry-1.docker.io",
                "docker.io",
                "never uses registry-1.docker.io",
            ),
            (
                "registry.local",
                "registry.local:5000",
                "the key has no port, the images port 5000",
            ),
            (
                "Private.Registry.com",
                "private.registry.com",
                "differs in case",
            ),
            (
                "*.example.com",
                "example.com",
                "`*` stands for exactly one DNS label",
            ),
            (
                "quay.io/other-org",
                "quay.io/my-org",
                "its path /other-org does not cover quay.io/my-org",
            ),
            (
                "my-private.registry.com",
                "private.registry.com",
                "looks like a typo",
            ),
        ];
        for (k, entry, fragment) in cases {
            let why = key(k).near_miss_of(&setting(entry)).unwrap_or_default();
            assert!(why.contains(fragment), "{k} for {entry}: {why}");
        }
        assert_eq!(
            key("gcr.io").near_miss_of(&setting("private.registry.com")),
            None
        );
    }

    #[test]
    fn split_host_port_like_go() {
        assert_eq!(split_host_port("registry:5000"), ("registry", "5000"));
        assert_eq!(split_host_port("registry"), ("registry", ""));
        assert_eq!(split_host_port("[::1]:5000"), ("::1", "5000"));
        assert_eq!(split_host_port("[::1]"), ("[::1]", ""));
        assert_eq!(split_host_port("a:b:c"), ("a:b:c", ""));
    }

    /// Go's `net.SplitHostPort` as Go writes it, search by search: the oracle for the one-pass
    /// version.
    fn split_host_port_oracle(hp: &str) -> (&str, &str) {
        let split = || {
            let colon = hp.rfind(':')?;
            let (host, j, k) = if hp.starts_with('[') {
                let end = hp.find(']')?;
                if end + 1 != colon {
                    return None;
                }
                (&hp[1..end], 1, end + 1)
            } else {
                if hp[..colon].contains(':') {
                    return None;
                }
                (&hp[..colon], 0, 0)
            };
            if hp[j..].contains('[') || hp[k..].contains(']') {
                return None;
            }
            Some((host, &hp[colon + 1..]))
        };
        split().unwrap_or((hp, ""))
    }

    /// Go's `url.Parse` for the parts the kubelet uses, as Go goes about it: the oracle for the
    /// one-pass version.
    fn url_host_path_oracle(s: &str) -> Result<(&str, Cow<'_, str>), KeyError> {
        let (rest, fragment) = s.split_once('#').unwrap_or((s, ""));
        if rest.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(KeyError::ControlCharacter);
        }
        percent_decode(fragment)?;
        let rest = rest.split_once('?').map_or(rest, |(r, _)| r);
        let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        let host = match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                let allowed =
                    |b: u8| b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b);
                if !userinfo.bytes().all(allowed) {
                    return Err(KeyError::InvalidUserinfo);
                }
                percent_decode(userinfo)?;
                host
            }
            None => authority,
        };
        let host_byte = |b: u8| {
            b.is_ascii_alphanumeric() || !b.is_ascii() || b"-._~!$&'()*+,;=:[]<>\"".contains(&b)
        };
        if let Some(b) = host.bytes().find(|&b| !host_byte(b)) {
            return Err(KeyError::InvalidHostCharacter(char::from(b)));
        }
        let port_part = if host.starts_with('[') {
            &host[host.find(']').ok_or(KeyError::MissingBracket)? + 1..]
        } else {
            host.rfind(':').map_or("", |colon| &host[colon..])
        };
        match port_part.strip_prefix(':') {
            Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => {}
            None if port_part.is_empty() => {}
            _ => return Err(KeyError::InvalidPort),
        }
        Ok((host, percent_decode(path)?))
    }

    proptest::proptest! {
        // Cheap cases, and the interesting ones are rare among random strings.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        #[test]
        fn one_pass_host_port_split_agrees_with_go(hp in "[a1:\\[\\]]{0,8}") {
            let (host, port) = split_host_port(&hp);
            proptest::prop_assert_eq!((host, port), split_host_port_oracle(&hp));
        }

        #[test]
        fn one_pass_url_scan_agrees_with_go(key in "[a1:@/?#%*+\\[\\] \x01.\u{e9}]{0,12}") {
            let expected = url_host_path_oracle(&key)
                .map(|(host, path)| RegistryPattern::new(Cow::Borrowed(host), path));
            let scanned = go_url_host_path(&key)
                .map(|(host_port, shape, path)| RegistryPattern::from_scan(host_port, &shape, path));
            proptest::prop_assert_eq!(scanned, expected);
        }
    }
}
