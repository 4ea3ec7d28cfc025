//! The host and path of a URL, as Go's `url.Parse` returns them (`u.Host`, `u.Path`), for the
//! `https://` URLs the kubelet builds from registry keys. Go's parser is emulated by hand
//! because Rust's `url` crate follows the WHATWG standard, which lower-cases hosts, resolves
//! `..`, and accepts and refuses other strings than Go does. Only what the kubelet reads is
//! emulated; the question this file answers is "does this match Go?".

use std::borrow::Cow;
use std::fmt;

use super::host_port::HostPortShape;

/// Why the kubelet drops a registry key (Go's `url.Parse` failed on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyError {
    ControlCharacter,
    InvalidPort,
    InvalidHostCharacter(char),
    MissingBracket,
    InvalidEscape,
    InvalidUserinfo,
    /// The key the kubelet keeps (host and decoded path) no longer parses when its matcher
    /// reads it again: the kubelet keeps the key but never uses it.
    DecodedPath,
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
            KeyError::DecodedPath => f.write_str(
                "its path, once %-decoded, holds an invalid %-escape or a control character",
            ),
        }
    }
}

/// `u.Host`, the shape of that host, and `u.Path` of `https://` + `after_scheme`.
pub(super) fn host_and_path(
    after_scheme: &str,
) -> Result<(&str, HostPortShape, Cow<'_, str>), KeyError> {
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
            if !userinfo.bytes().all(userinfo_byte) {
                return Err(KeyError::InvalidUserinfo);
            }
            // Go unescapes the user name and password: a bad %-escape drops the key.
            percent_decode(userinfo)?;
            &after_scheme[at + 1..slash]
        }
        None => &after_scheme[..slash],
    };
    // Go also takes a host's %-escapes of non-ASCII bytes and `%25`; such a key is dropped
    // here, and kept by the kubelet with a host no image reference can have (non-ASCII, or
    // a `%` its matcher cannot read again): its credentials are never sent either way.
    if let Some(b) = bad_host {
        return Err(KeyError::InvalidHostCharacter(char::from(b)));
    }
    let port_part = if host.starts_with('[') {
        let end = shape.first_close().ok_or(KeyError::MissingBracket)?;
        &host[end + 1..]
    } else {
        shape.last_colon().map_or("", |colon| &host[colon..])
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

/// Go's `validUserinfo`: ASCII only, unlike a host.
fn userinfo_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b)
}

/// Byte classes for [`host_and_path`]: `PLAIN` bytes need no attention while scanning a key
/// (`@`, `:`, `[`, `]` and `*` do, as they shape the authority); `HOST` bytes are allowed in a
/// host by Go's `url.Parse` (non-ASCII bytes are too).
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

/// Go's `unescape` of `%XX` sequences; the result is read as Go reads bytes that are not UTF-8.
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

#[cfg(test)]
mod tests {
    use super::super::host_port::split_ranges;
    use super::*;

    /// Go's `url.Parse` for the parts the kubelet uses, as Go goes about it: the oracle for the
    /// one-pass version.
    fn oracle(s: &str) -> Result<(&str, Cow<'_, str>), KeyError> {
        let (rest, fragment) = s.split_once('#').unwrap_or((s, ""));
        if rest.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(KeyError::ControlCharacter);
        }
        percent_decode(fragment)?;
        let rest = rest.split_once('?').map_or(rest, |(r, _)| r);
        let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        let host = match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                if !userinfo.bytes().all(userinfo_byte) {
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
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        #[test]
        fn one_pass_scan_agrees_with_go(key in "[a1:@/?#%*+\\[\\] \x01.\u{e9}]{0,12}") {
            let scanned = host_and_path(&key).map(|(host, shape, path)| {
                (host, shape.split(host), shape.literal_host(&shape.split(host).0), path)
            });
            let expected = oracle(&key).map(|(host, path)| {
                let (h, p) = split_ranges(host);
                let literal = crate::kubelet::glob::is_literal(&host[h.clone()]);
                (host, (h, p), literal, path)
            });
            proptest::prop_assert_eq!(scanned, expected);
        }
    }
}
