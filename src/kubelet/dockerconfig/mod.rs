//! Pull-secret content (`.dockerconfigjson`, `.dockercfg`), decoded exactly as the kubelet
//! decodes it (`pkg/credentialprovider/config.go`, Go's `encoding/json`).
//!
//! The result keeps no credential: only the registry keys and, per key, facts about the
//! credentials (present or not, consistent or not). Whatever the policy reports is built from
//! this, so a message cannot leak what was never kept.
//!
//! This file holds what the decoding yields; `go_json` emulates Go's `encoding/json` (where it
//! differs from serde's, the verdict depends on it), `auth` decodes base64 and checks an
//! entry's `auth` against its `username` and `password`, and `expiry` tells, from the password
//! the kubelet ends up with, when that password stops working.

mod auth;
mod expiry;
mod go_json;

use std::borrow::Cow;
use std::fmt;

pub(crate) use auth::go_std_base64;
#[cfg(test)]
pub(crate) use expiry::fake;
pub(crate) use expiry::{CredentialEnd, Dated, DatedKind, Standing};

/// Which of the two pull-secret layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `kubernetes.io/dockerconfigjson`: `{"auths": {"<key>": {entry}}}`.
    DockerConfigJson,
    /// `kubernetes.io/dockercfg`: the legacy `{"<key>": {entry}}`.
    DockerCfg,
}

impl Format {
    /// The data key the kubelet reads for this format.
    pub(crate) fn data_key(self) -> &'static str {
        match self {
            Format::DockerConfigJson => ".dockerconfigjson",
            Format::DockerCfg => ".dockercfg",
        }
    }

    /// The Secret type the kubelet requires for this format.
    pub(crate) fn secret_type(self) -> &'static str {
        match self {
            Format::DockerConfigJson => "kubernetes.io/dockerconfigjson",
            Format::DockerCfg => "kubernetes.io/dockercfg",
        }
    }
}

/// A JSON value's type, for messages about values of the wrong type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonKind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl fmt::Display for JsonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonKind::Null => "null",
            JsonKind::Bool => "a boolean",
            JsonKind::Number => "a number",
            JsonKind::String => "a string",
            JsonKind::Array => "an array",
            JsonKind::Object => "an object",
        })
    }
}

/// A reason the kubelet fails to decode the secret (and with it every pull of the Pod).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// Not JSON at all (the API server checks this, so only unvalidated input gets here).
    Syntax { line: usize, column: usize },
    /// The document is not a JSON object.
    NotAnObject(JsonKind),
    /// `auths` (or `HttpHeaders`) holds a value of the wrong type.
    WrongTopLevelType {
        field: &'static str,
        found: JsonKind,
    },
    /// A value in `HttpHeaders` (a `map[string]string` to Go) is not a string.
    HeaderNotString(JsonKind),
    /// A registry key's entry is not an object.
    EntryNotAnObject { key: String, found: JsonKind },
    /// `username`, `password`, `email` or `auth` is not a string.
    FieldNotString {
        key: String,
        field: &'static str,
        found: JsonKind,
    },
    /// `auth` is not base64 (padded if it ends in `=`, unpadded otherwise).
    AuthNotBase64 { key: String },
    /// `auth` decodes to something without the `:` between user name and password.
    AuthWithoutColon { key: String },
}

impl DecodeError {
    /// The registry key the error is about, if any.
    pub(crate) fn key(&self) -> Option<&str> {
        match self {
            DecodeError::EntryNotAnObject { key, .. }
            | DecodeError::FieldNotString { key, .. }
            | DecodeError::AuthNotBase64 { key }
            | DecodeError::AuthWithoutColon { key } => Some(key),
            _ => None,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Syntax { line, column } => {
                write!(f, "it is not valid JSON (line {line}, column {column})")
            }
            DecodeError::NotAnObject(found) => {
                write!(f, "it must be a JSON object, not {found}")
            }
            DecodeError::WrongTopLevelType { field, found } => {
                write!(f, "`{field}` must be an object, not {found}")
            }
            DecodeError::HeaderNotString(found) => {
                write!(
                    f,
                    "the values of `HttpHeaders` must be strings, not {found}"
                )
            }
            DecodeError::EntryNotAnObject { key, found } => {
                write!(
                    f,
                    "the entry for {} must be an object, not {found}",
                    show_key(key)
                )
            }
            DecodeError::FieldNotString { key, field, found } => write!(
                f,
                "`{field}` of {} must be a string, not {found}",
                show_key(key)
            ),
            DecodeError::AuthNotBase64 { key } => write!(
                f,
                "`auth` of {} is not base64 (standard alphabet; it must end in `=` when padded)",
                show_key(key)
            ),
            DecodeError::AuthWithoutColon { key } => write!(
                f,
                "`auth` of {} does not decode to username:password (no `:`)",
                show_key(key)
            ),
        }
    }
}

/// A registry key as messages show it: quoted, with any `user:password@` cut out, since a key
/// is the one part of a secret a message may print. Everything before the last `@` (or `%40`,
/// an escaped one that a hand-written key may hold) goes: a password may itself hold `/`, `?`,
/// `#` or `://`, and no registry host or path holds `@`. Only the leading `http://` or
/// `https://` that the kubelet reads as the scheme is kept. Findings hold keys only in this
/// form, which only [`show_key`] makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShownKey(String);

impl fmt::Display for ShownKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `key` as a [`ShownKey`].
pub(crate) fn show_key(key: &str) -> ShownKey {
    ShownKey(match user_info_end(key) {
        Some(at) => {
            let scheme = ["https://", "http://"]
                .into_iter()
                .find(|scheme| key.starts_with(scheme))
                .unwrap_or("");
            format!("{:?}", format!("{scheme}…{}", &key[at..]))
        }
        None => format!("{key:?}"),
    })
}

/// Whether a registry key may hold a user name or password, so that no part of what precedes
/// its `@` may be shown, not even a character.
pub(crate) fn key_may_hold_credentials(key: &str) -> bool {
    user_info_end(key).is_some()
}

/// Where the last `@` or `%40` of a key starts.
fn user_info_end(key: &str) -> Option<usize> {
    let escaped = key
        .as_bytes()
        .windows(3)
        .rposition(|w| w[0] == b'%' && w[1] == b'4' && w[2] == b'0');
    key.rfind('@').max(escaped)
}

/// What the kubelet learns from one registry key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry<'c> {
    /// The key as written, borrowed from the content where it has no escapes.
    pub(crate) key: Cow<'c, str>,
    /// The kubelet ends up with a non-empty user name or password.
    pub(crate) has_credentials: bool,
    /// `auth` and `username`/`password` are both given and say different things (the kubelet
    /// uses `auth`).
    pub(crate) auth_disagrees: bool,
    /// Fields the kubelet ignores that were present (`identitytoken`, `registrytoken`).
    pub(crate) ignored_fields: Vec<&'static str>,
    /// When the credentials the kubelet sends stop working, where they tell: the facts only,
    /// never the token.
    pub(crate) dated: Option<Dated>,
    /// Tells most different keys apart without comparing them: keys are looked up among the
    /// earlier ones to find repeats, and often share a long prefix (`registry-1.example.com`).
    pub(super) fingerprint: u32,
}

/// What the kubelet makes of a pull secret's content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Decoded<'c> {
    /// The registry keys, each once (a repeated key overwrites the earlier one), in the order
    /// they first appear.
    pub(crate) entries: Vec<Entry<'c>>,
    /// Errors that make the kubelet refuse the secret. Empty when it decodes.
    pub(crate) errors: Vec<DecodeError>,
    /// `.dockerconfigjson`: an `auths` object was present (`null` counts as absent).
    pub(crate) has_auths: bool,
    /// `.dockerconfigjson` without `auths` whose top level holds objects: the legacy layout.
    pub(crate) legacy_layout: bool,
    /// `.dockercfg` with a top-level `auths` key: the `.dockerconfigjson` layout.
    pub(crate) wrapped_in_auths: bool,
    /// Top-level Docker client fields the kubelet ignores (`credsStore`, `credHelpers`).
    pub(crate) ignored_top_level: Vec<&'static str>,
}

/// Decodes pull-secret content of `format`.
pub(crate) fn decode(format: Format, content: &[u8]) -> Decoded<'_> {
    let decoded = go_json::decode_utf8(format, content);
    // Go's decoder reads each byte of invalid UTF-8 in a string, and each `\\u` escape of a
    // lone UTF-16 surrogate, as U+FFFD and goes on, where serde_json stops: such content is read
    // again, repaired (the error path only; outside strings the replacement is still a syntax
    // error, as in Go).
    let syntax_error = |d: &Decoded| {
        d.errors
            .iter()
            .any(|e| matches!(e, DecodeError::Syntax { .. }))
    };
    if syntax_error(&decoded)
        && let Some(repaired) = go_json::repair(content)
    {
        return go_json::decode_utf8(format, repaired.as_bytes()).into_owned();
    }
    decoded
}

impl Decoded<'_> {
    /// The same, with the registry keys copied out of the content.
    fn into_owned(self) -> Decoded<'static> {
        let entries = self
            .entries
            .into_iter()
            .map(|e| Entry {
                key: Cow::Owned(e.key.into_owned()),
                has_credentials: e.has_credentials,
                auth_disagrees: e.auth_disagrees,
                ignored_fields: e.ignored_fields,
                dated: e.dated,
                fingerprint: e.fingerprint,
            })
            .collect();
        Decoded {
            entries,
            errors: self.errors,
            has_auths: self.has_auths,
            legacy_layout: self.legacy_layout,
            wrapped_in_auths: self.wrapped_in_auths,
            ignored_top_level: self.ignored_top_level,
        }
    }
}

/// What the tests of this module tree share: decoded content that lives as long as they do.
#[cfg(test)]
pub(super) mod test_support {
    use super::*;

    // Decoded borrows from its content: the tests keep theirs for good.
    pub(crate) fn json(content: &str) -> Decoded<'static> {
        decode(
            Format::DockerConfigJson,
            content.to_owned().leak().as_bytes(),
        )
    }

    pub(crate) fn cfg(content: &str) -> Decoded<'static> {
        decode(Format::DockerCfg, content.to_owned().leak().as_bytes())
    }

    pub(crate) fn entry(d: &Decoded<'static>, key: &str) -> Entry<'static> {
        d.entries.iter().find(|e| e.key == key).cloned().unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{cfg, entry, json};
    use super::*;
    use base64::Engine as _;
    use rstest::rstest;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn well_formed() {
        let d = json(&format!(
            r#"{{"auths":{{"private.registry.com":{{"auth":"{}"}},
                "https://index.docker.io/v1/":{{"username":"u","password":"p","email":"e"}}}}}}"#,
            b64("user:pass")
        ));
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert!(d.has_auths);
        assert_eq!(d.entries.len(), 2);
        assert!(
            d.entries
                .iter()
                .all(|e| e.has_credentials && !e.auth_disagrees)
        );
        let c = cfg(r#"{"registry.io":{"username":"u","password":"p"}}"#);
        assert!(c.errors.is_empty() && !c.wrapped_in_auths);
        assert!(entry(&c, "registry.io").has_credentials);
    }

    // After config_test.go's TestDecodeDockerConfigFieldAuth.
    #[rstest]
    #[case::padded(b64("foo:bar"), true)]
    #[case::trailing_newline(b64("foo:bar") + "\n", true)]
    #[case::unpadded(b64("foo:bar").trim_end_matches('=').to_owned(), true)]
    #[case::empty_password(b64("foo:"), true)]
    #[case::empty_user(b64(":bar"), true)]
    #[case::no_colon(b64("foobar"), false)]
    #[case::wrong_padding("Zm9vOmJhcg=".into(), false)]
    #[case::space("Zm9v OmJhcg==".into(), false)]
    #[case::url_safe_alphabet("Zm9vOmJhcg--".into(), false)]
    #[case::newline_inside("Zm9vOmJhc\ng==".into(), true)]
    #[case::split_at_the_first_colon(b64("a:b:c"), true)]
    fn auth_decoding_like_the_kubelet(#[case] auth: String, #[case] decodes: bool) {
        let d = json(&format!(r#"{{"auths":{{"r.io":{{"auth":{auth:?}}}}}}}"#));
        assert_eq!(d.errors.is_empty(), decodes, "{:?}", d.errors);
    }

    #[test]
    fn auth_errors() {
        let d = json(&format!(
            r#"{{"auths":{{"r.io":{{"auth":"{}"}}}}}}"#,
            b64("nocolon")
        ));
        assert_eq!(
            d.errors,
            [DecodeError::AuthWithoutColon { key: "r.io".into() }]
        );
        let d = json(r#"{"auths":{"r.io":{"auth":"***"}}}"#);
        assert_eq!(
            d.errors,
            [DecodeError::AuthNotBase64 { key: "r.io".into() }]
        );
    }

    #[test]
    fn credentials_presence_and_disagreement() {
        let d = json(&format!(
            r#"{{"auths":{{
                "a.io":{{"identitytoken":"tok"}},
                "b.io":{{"auth":"{}"}},
                "c.io":{{"auth":"{}","username":"x","password":"y"}},
                "d.io":{{"auth":"{}","username":"u","password":"p"}},
                "e.io":null,
                "f.io":{{"username":"u"}}}}}}"#,
            b64(":"),
            b64("u:p"),
            b64("u:p")
        ));
        assert!(d.errors.is_empty());
        let a = entry(&d, "a.io");
        assert!(!a.has_credentials);
        assert_eq!(a.ignored_fields, ["identitytoken"]);
        assert!(!entry(&d, "b.io").has_credentials); // auth of ":" is empty credentials
        assert!(entry(&d, "c.io").auth_disagrees);
        assert!(!entry(&d, "d.io").auth_disagrees);
        assert!(!entry(&d, "e.io").has_credentials);
        assert!(entry(&d, "f.io").has_credentials);
    }

    #[rstest]
    #[case::host("registry.io", r#""registry.io""#)]
    #[case::scheme_and_user_info(
        "https://user:hunter2@registry.io/v1/",
        r#""https://…@registry.io/v1/""#
    )]
    #[case::user_info("user:hunter2@registry.io", r#""…@registry.io""#)]
    #[case::slash_in_password("user:pa/ss@registry.io", r#""…@registry.io""#)]
    #[case::scheme_in_password("robot:hunter2hunter2://x@registry.io", r#""…@registry.io""#)]
    #[case::scheme_in_password_after_a_scheme(
        "http://robot:a://b@registry.io",
        r#""http://…@registry.io""#
    )]
    #[case::escaped_at("robot:S3crtPw%40registry.io", r#""…%40registry.io""#)]
    #[case::escaped_at_last("a@b%40registry.io", r#""…%40registry.io""#)]
    #[case::at_last("a%40b@registry.io", r#""…@registry.io""#)]
    #[case::hash_in_password("https://u:p#x@registry.io", r#""https://…@registry.io""#)]
    fn keys_are_shown_without_user_info(#[case] key: &str, #[case] shown: &str) {
        assert_eq!(show_key(key).to_string(), shown);
        assert_eq!(key_may_hold_credentials(key), key != "registry.io");
    }
}
