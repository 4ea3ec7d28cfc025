//! Pull-secret content (`.dockerconfigjson`, `.dockercfg`), decoded exactly as the kubelet
//! decodes it (`pkg/credentialprovider/config.go`, Go's `encoding/json`).
//!
//! The result keeps no credential: only the registry keys and, per key, facts about the
//! credentials (present or not, consistent or not). Whatever the policy reports is built from
//! this, so a message cannot leak what was never kept.
//!
//! Go's decoder is emulated with serde visitors rather than `#[derive(Deserialize)]` because it
//! differs from serde's in ways that decide the verdict: field names match case-insensitively,
//! `null` leaves a field as it was, a value of the wrong type is an error only for declared
//! fields, and an object key repeated overwrites the earlier one.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Which of the two pull-secret layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `kubernetes.io/dockerconfigjson`: `{"auths": {"<key>": {entry}}}`.
    DockerConfigJson,
    /// `kubernetes.io/dockercfg`: the legacy `{"<key>": {entry}}`.
    DockerCfg,
}

impl Format {
    /// The data key the kubelet reads for this format.
    pub fn data_key(self) -> &'static str {
        match self {
            Format::DockerConfigJson => ".dockerconfigjson",
            Format::DockerCfg => ".dockercfg",
        }
    }

    /// The Secret type the kubelet requires for this format.
    pub fn secret_type(self) -> &'static str {
        match self {
            Format::DockerConfigJson => "kubernetes.io/dockerconfigjson",
            Format::DockerCfg => "kubernetes.io/dockercfg",
        }
    }
}

/// A JSON value's type, for messages about values of the wrong type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
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
pub enum DecodeError {
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
    pub fn key(&self) -> Option<&str> {
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
/// `https://` that the kubelet reads as the scheme is kept.
pub fn show_key(key: &str) -> String {
    match user_info_end(key) {
        Some(at) => {
            let scheme = ["https://", "http://"]
                .into_iter()
                .find(|scheme| key.starts_with(scheme))
                .unwrap_or("");
            format!("{:?}", format!("{scheme}…{}", &key[at..]))
        }
        None => format!("{key:?}"),
    }
}

/// Whether a registry key may hold a user name or password, so that no part of what precedes
/// its `@` may be shown, not even a character.
pub fn key_may_hold_credentials(key: &str) -> bool {
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
pub struct Entry<'c> {
    /// The key as written, borrowed from the content where it has no escapes.
    pub key: Cow<'c, str>,
    /// The kubelet ends up with a non-empty user name or password.
    pub has_credentials: bool,
    /// `auth` and `username`/`password` are both given and say different things (the kubelet
    /// uses `auth`).
    pub auth_disagrees: bool,
    /// Fields the kubelet ignores that were present (`identitytoken`, `registrytoken`).
    pub ignored_fields: Vec<&'static str>,
    /// Tells most different keys apart without comparing them: keys are looked up among the
    /// earlier ones to find repeats, and often share a long prefix (`registry-1.example.com`).
    fingerprint: u32,
}

/// What the kubelet makes of a pull secret's content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded<'c> {
    /// The registry keys, each once (a repeated key overwrites the earlier one), in the order
    /// they first appear.
    pub entries: Vec<Entry<'c>>,
    /// Errors that make the kubelet refuse the secret. Empty when it decodes.
    pub errors: Vec<DecodeError>,
    /// `.dockerconfigjson`: an `auths` object was present (`null` counts as absent).
    pub has_auths: bool,
    /// `.dockerconfigjson` without `auths` whose top level holds objects: the legacy layout.
    pub legacy_layout: bool,
    /// `.dockercfg` with a top-level `auths` key: the `.dockerconfigjson` layout.
    pub wrapped_in_auths: bool,
    /// Top-level Docker client fields the kubelet ignores (`credsStore`, `credHelpers`).
    pub ignored_top_level: Vec<&'static str>,
}

/// Decodes pull-secret content of `format`.
pub fn decode(format: Format, content: &[u8]) -> Decoded<'_> {
    let decoded = decode_utf8(format, content);
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
        && let Some(repaired) = go_repair(content)
    {
        return decode_utf8(format, repaired.as_bytes()).into_owned();
    }
    decoded
}

/// `content` as Go's decoder reads its strings, when that differs from what serde_json reads.
fn go_repair(content: &[u8]) -> Option<String> {
    let text = match std::str::from_utf8(content) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(go_replace_invalid_utf8(content)),
    };
    match go_replace_lone_surrogates(&text) {
        Some(repaired) => Some(repaired),
        None => matches!(text, Cow::Owned(_)).then(|| text.into_owned()),
    }
}

/// `text` with each `\\u` escape of a UTF-16 surrogate that is not half of a pair replaced by
/// `\\ufffd`, as Go's `unquote` does; `None` when there is none. Backslashes occur only in
/// strings in JSON, so no string tracking is needed.
fn go_replace_lone_surrogates(text: &str) -> Option<String> {
    let surrogate = |hex: Option<&str>| {
        hex.and_then(|h| u16::from_str_radix(h, 16).ok())
            .filter(|u| (0xd800..0xe000).contains(u))
    };
    let escape_at = |i: usize| {
        text.get(i..i + 2)
            .filter(|e| *e == "\\u")
            .and_then(|_| surrogate(text.get(i + 2..i + 6)))
    };
    let (mut out, mut copied, mut i) = (String::new(), 0, 0);
    let bytes = text.as_bytes();
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        match escape_at(i) {
            // A high surrogate followed by a low one: a pair, kept.
            Some(0xd800..0xdc00) if matches!(escape_at(i + 6), Some(0xdc00..)) => i += 12,
            Some(_) => {
                out.push_str(&text[copied..i]);
                out.push_str("\\ufffd");
                i += 6;
                copied = i;
            }
            // Any other escape: skip the backslash and the character it escapes.
            None => i += 2,
        }
    }
    (copied > 0).then(|| {
        out.push_str(&text[copied..]);
        out
    })
}

fn decode_utf8(format: Format, content: &[u8]) -> Decoded<'_> {
    let mut decoded = Decoded::default();
    let mut de = serde_json::Deserializer::from_slice(content);
    let top = TopLevel {
        format,
        out: &mut decoded,
    };
    let result = top.deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = result {
        // serde_json's messages may quote the content: only the position is kept.
        decoded.errors.push(DecodeError::Syntax {
            line: e.line(),
            column: e.column(),
        });
    }
    decoded
}

/// `content` with each byte that is not part of valid UTF-8 replaced by U+FFFD, one per byte as
/// Go's `utf8.DecodeRune` reads them (Rust's `from_utf8_lossy` may take several bytes as one).
fn go_replace_invalid_utf8(content: &[u8]) -> String {
    let mut out = String::with_capacity(content.len() + 8);
    for chunk in content.utf8_chunks() {
        out.push_str(chunk.valid());
        chunk
            .invalid()
            .iter()
            .for_each(|_| out.push(char::REPLACEMENT_CHARACTER));
    }
    out
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

/// Go's `encoding/json` field-name matching: case-insensitive, with the two non-ASCII letters
/// that fold to ASCII ones (`ſ` to `s`, the Kelvin sign to `k`).
fn folds_to(name: &str, field: &str) -> bool {
    if name.is_ascii() {
        return name.eq_ignore_ascii_case(field);
    }
    let mut chars = name.chars().map(|c| match c {
        'ſ' => 's',
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    });
    field.chars().all(|f| chars.next() == Some(f)) && chars.next().is_none()
}

/// The visitor methods of a value that was expected to be an object but is something else:
/// they skip it and report its kind.
macro_rules! other_kinds {
    () => {
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(self.other(JsonKind::String))
        }
        other_kinds!(except_strings);
    };
    (except_strings) => {
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(self.other(JsonKind::Null))
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(self.other(JsonKind::Null))
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(self.other(JsonKind::Bool))
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(self.other(JsonKind::Number))
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(self.other(JsonKind::Number))
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(self.other(JsonKind::Number))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(self.other(JsonKind::Array))
        }
    };
}

/// A seed that hands whatever value comes to its own visitor, which tells the kinds apart.
macro_rules! any_value_seed {
    ($seed:ty, $value:ty) => {
        impl<'de> DeserializeSeed<'de> for $seed {
            type Value = $value;

            fn deserialize<D: Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<$value, D::Error> {
                deserializer.deserialize_any(self)
            }
        }
    };
}

struct TopLevel<'o, 'c> {
    format: Format,
    out: &'o mut Decoded<'c>,
}

impl TopLevel<'_, '_> {
    fn other(self, kind: JsonKind) {
        // Go leaves the config empty for `null`: no credentials, but no error either.
        if kind != JsonKind::Null {
            self.out.errors.push(DecodeError::NotAnObject(kind));
        }
    }
}

any_value_seed!(TopLevel<'_, 'de>, ());

impl<'de> Visitor<'de> for TopLevel<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    other_kinds!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.out;
        let mut objects_at_top = false;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match self.format {
                Format::DockerCfg => {
                    if folds_to(&key, "auths") {
                        out.wrapped_in_auths = true;
                    }
                    map.next_value_seed(EntrySeed {
                        key,
                        out: &mut *out,
                    })?;
                }
                Format::DockerConfigJson if folds_to(&key, "auths") => {
                    let kind = map.next_value_seed(Entries { out: &mut *out })?;
                    match kind {
                        JsonKind::Object => out.has_auths = true,
                        // Go sets a map to nil on `null`, even after an earlier `auths`.
                        JsonKind::Null => {
                            out.has_auths = false;
                            out.entries.clear();
                        }
                        found => out.errors.push(DecodeError::WrongTopLevelType {
                            field: "auths",
                            found,
                        }),
                    }
                }
                Format::DockerConfigJson if folds_to(&key, "httpheaders") => {
                    if let Err(error) = map.next_value_seed(Headers)? {
                        out.errors.push(error);
                    }
                }
                Format::DockerConfigJson => {
                    let kind = map.next_value_seed(KindOf)?;
                    for (field, name) in
                        [("credsstore", "credsStore"), ("credhelpers", "credHelpers")]
                    {
                        if folds_to(&key, field) && !out.ignored_top_level.contains(&name) {
                            out.ignored_top_level.push(name);
                        }
                    }
                    if kind == JsonKind::Object && !folds_to(&key, "credhelpers") {
                        objects_at_top = true;
                    }
                }
            }
        }
        out.legacy_layout =
            self.format == Format::DockerConfigJson && !out.has_auths && objects_at_top;
        Ok(())
    }
}

/// The `auths` map (or a `.dockercfg` document's top level): registry key to entry.
struct Entries<'o, 'c> {
    out: &'o mut Decoded<'c>,
}

impl Entries<'_, '_> {
    fn other(self, kind: JsonKind) -> JsonKind {
        kind
    }
}

any_value_seed!(Entries<'_, 'de>, JsonKind);

impl<'de> Visitor<'de> for Entries<'_, 'de> {
    type Value = JsonKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of registry keys")
    }

    other_kinds!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonKind, A::Error> {
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            map.next_value_seed(EntrySeed {
                key,
                out: &mut *self.out,
            })?;
        }
        Ok(JsonKind::Object)
    }
}

/// One registry key's entry: `{"username", "password", "email", "auth", ...}`.
struct EntrySeed<'o, 'c> {
    key: Cow<'c, str>,
    out: &'o mut Decoded<'c>,
}

impl EntrySeed<'_, '_> {
    fn other(self, kind: JsonKind) {
        match kind {
            // Go hands `null` to the entry's UnmarshalJSON, which leaves it empty.
            JsonKind::Null => self.record(Fields::default()),
            found => self.out.errors.push(DecodeError::EntryNotAnObject {
                key: self.key.into_owned(),
                found,
            }),
        }
    }

    fn record(self, fields: Fields<'_>) {
        let Fields {
            username,
            password,
            auth,
            ignored_fields,
            type_errors,
        } = fields;
        let had_errors = !type_errors.is_empty();
        for (field, found) in type_errors {
            self.out.errors.push(DecodeError::FieldNotString {
                key: self.key.to_string(),
                field,
                found,
            });
        }
        let username = username.as_deref().unwrap_or_default().as_bytes();
        let password = password.as_deref().unwrap_or_default().as_bytes();
        let auth = auth.as_deref().unwrap_or_default();
        let (has_credentials, auth_disagrees) = if auth.is_empty() {
            (!username.is_empty() || !password.is_empty(), false)
        } else {
            match inspect_auth(auth, username, password) {
                Ok(facts) => (facts.has_credentials, facts.disagrees),
                Err(error) => {
                    let key = self.key.to_string();
                    self.out.errors.push(match error {
                        AuthError::NotBase64 => DecodeError::AuthNotBase64 { key },
                        AuthError::NoColon => DecodeError::AuthWithoutColon { key },
                    });
                    (false, false)
                }
            }
        };
        if had_errors {
            return;
        }
        let entry = Entry {
            fingerprint: fingerprint(self.key.as_bytes()),
            key: self.key,
            has_credentials,
            auth_disagrees,
            ignored_fields,
        };
        // A repeated key overwrites the earlier one, as in a Go map.
        let out = &mut *self.out;
        let same = |e: &Entry<'_>| e.fingerprint == entry.fingerprint && e.key == entry.key;
        match out.entries.iter().position(same) {
            Some(i) => out.entries[i] = entry,
            None => out.entries.push(entry),
        }
    }
}

any_value_seed!(EntrySeed<'_, 'de>, ());

impl<'de> Visitor<'de> for EntrySeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a registry entry")
    }

    other_kinds!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut fields = Fields::default();
        // Read and type-checked like the others, then dropped: the kubelet never uses it.
        let mut email = None;
        while let Some(name) = map.next_key::<FieldName>()? {
            let (field, slot) = match name {
                FieldName::Username => ("username", &mut fields.username),
                FieldName::Password => ("password", &mut fields.password),
                FieldName::Auth => ("auth", &mut fields.auth),
                FieldName::Email => ("email", &mut email),
                FieldName::Ignored(ignored) => {
                    map.next_value::<IgnoredAny>()?;
                    if let Some(ignored) = ignored
                        && !fields.ignored_fields.contains(&ignored)
                    {
                        fields.ignored_fields.push(ignored);
                    }
                    continue;
                }
            };
            match map.next_value::<StringOrKind<'de>>()? {
                StringOrKind::String(value) => *slot = Some(value),
                StringOrKind::Kind(JsonKind::Null) => {}
                StringOrKind::Kind(found) => fields.type_errors.push((field, found)),
            }
        }
        self.record(fields);
        Ok(())
    }
}

/// A registry key, borrowed from the content unless it holds escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a registry key")
            }

            // Read as bytes and checked once here: serde_json's string path would check UTF-8
            // on every call, and Go's decoder does not refuse invalid UTF-8 either.
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Key<'de>, E> {
                Ok(Key(match std::str::from_utf8(v) {
                    Ok(key) => Cow::Borrowed(key),
                    Err(_) => Cow::Owned(go_replace_invalid_utf8(v)),
                }))
            }

            fn visit_bytes<E>(self, v: &[u8]) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(go_replace_invalid_utf8(v))))
            }
        }
        deserializer.deserialize_bytes(V)
    }
}

/// An entry's field names, told apart without allocating.
enum FieldName {
    Username,
    Password,
    Auth,
    Email,
    /// A field the kubelet does not read; named when it is one worth mentioning.
    Ignored(Option<&'static str>),
}

impl FieldName {
    /// Names a field by asking `is` whether it is each one the kubelet knows.
    fn classify(is: impl Fn(&str) -> bool) -> FieldName {
        if is("username") {
            FieldName::Username
        } else if is("password") {
            FieldName::Password
        } else if is("auth") {
            FieldName::Auth
        } else if is("email") {
            FieldName::Email
        } else if is("identitytoken") {
            FieldName::Ignored(Some("identitytoken"))
        } else if is("registrytoken") {
            FieldName::Ignored(Some("registrytoken"))
        } else {
            FieldName::Ignored(None)
        }
    }
}

impl<'de> serde::Deserialize<'de> for FieldName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FieldName;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_bytes<E: serde::de::Error>(self, name: &[u8]) -> Result<FieldName, E> {
                if name.is_ascii() {
                    Ok(FieldName::classify(|field| {
                        name.eq_ignore_ascii_case(field.as_bytes())
                    }))
                } else {
                    self.visit_str(&String::from_utf8_lossy(name))
                }
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<FieldName, E> {
                Ok(FieldName::classify(|field| folds_to(name, field)))
            }
        }
        deserializer.deserialize_bytes(V)
    }
}

/// An entry's fields while it is read. The credentials live only here, borrowed from the
/// secret's content, and only as long as it takes to compare them.
#[derive(Default)]
struct Fields<'de> {
    username: Option<Cow<'de, str>>,
    password: Option<Cow<'de, str>>,
    auth: Option<Cow<'de, str>>,
    ignored_fields: Vec<&'static str>,
    type_errors: Vec<(&'static str, JsonKind)>,
}

enum StringOrKind<'de> {
    String(Cow<'de, str>),
    Kind(JsonKind),
}

impl<'de> serde::Deserialize<'de> for StringOrKind<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl V {
            fn other<'de>(self, kind: JsonKind) -> StringOrKind<'de> {
                StringOrKind::Kind(kind)
            }
        }
        impl<'de> Visitor<'de> for V {
            type Value = StringOrKind<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            other_kinds!(except_strings);

            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<StringOrKind<'de>, E> {
                Ok(StringOrKind::String(Cow::Borrowed(v)))
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<StringOrKind<'de>, E> {
                Ok(StringOrKind::String(Cow::Owned(v.to_owned())))
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<StringOrKind<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(StringOrKind::Kind(JsonKind::Object))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Any value: its kind, content skipped.
struct KindOf;

impl KindOf {
    fn other(self, kind: JsonKind) -> JsonKind {
        kind
    }
}

any_value_seed!(KindOf, JsonKind);

impl<'de> Visitor<'de> for KindOf {
    type Value = JsonKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    other_kinds!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonKind, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(JsonKind::Object)
    }
}

/// `HttpHeaders`, a `map[string]string` to Go: an object of strings, or `null`.
struct Headers;

impl Headers {
    fn other(self, kind: JsonKind) -> Result<(), DecodeError> {
        match kind {
            JsonKind::Null => Ok(()),
            found => Err(DecodeError::WrongTopLevelType {
                field: "HttpHeaders",
                found,
            }),
        }
    }
}

any_value_seed!(Headers, Result<(), DecodeError>);

impl<'de> Visitor<'de> for Headers {
    type Value = Result<(), DecodeError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HTTP headers")
    }

    other_kinds!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut headers = Ok(());
        while map.next_key::<IgnoredAny>()?.is_some() {
            if let StringOrKind::Kind(found) = map.next_value::<StringOrKind>()?
                && found != JsonKind::Null
                && headers.is_ok()
            {
                headers = Err(DecodeError::HeaderNotString(found));
            }
        }
        Ok(headers)
    }
}

enum AuthError {
    NotBase64,
    NoColon,
}

/// Go's `base64.StdEncoding` / `RawStdEncoding`: non-canonical trailing bits are accepted.
const PADDED: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);
const UNPADDED: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes base64 as Go's `StdEncoding` does, which skips `\r` and `\n` anywhere.
pub fn go_std_base64(value: &[u8]) -> Option<Vec<u8>> {
    decode_with(&PADDED, value)
}

fn decode_with(engine: &GeneralPurpose, value: &[u8]) -> Option<Vec<u8>> {
    // Newlines are rare: look for them only when the plain decode fails.
    engine.decode(value).ok().or_else(|| {
        let stripped: Vec<u8> = value
            .iter()
            .copied()
            .filter(|b| !matches!(b, b'\r' | b'\n'))
            .collect();
        (stripped.len() != value.len())
            .then(|| engine.decode(stripped).ok())
            .flatten()
    })
}

/// A cheap hash of a registry key: FNV-1a's step, four bytes at a time. Keys of one length that
/// differ in one word always hash apart, since each step is a bijection of the hash so far.
fn fingerprint(key: &[u8]) -> u32 {
    const PRIME: u32 = 0x0100_0193;
    let (words, rest) = key.as_chunks::<4>();
    let start = 0x811c_9dc5 ^ key.len() as u32;
    let h = words.iter().fold(start, |h, w| {
        (h ^ u32::from_le_bytes(*w)).wrapping_mul(PRIME)
    });
    rest.iter()
        .fold(h, |h, &b| (h ^ u32::from(b)).wrapping_mul(PRIME))
}

/// What the kubelet makes of an entry's `auth`, given the entry's `username` and `password`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AuthFacts {
    /// The decoded user name or password is not empty.
    has_credentials: bool,
    /// `username` or `password` is given and differs from what `auth` holds.
    disagrees: bool,
}

/// The kubelet's `decodeDockerConfigFieldAuth`: padded base64 when the (trimmed) value ends in
/// `=`, unpadded otherwise; the result must hold the `:` between user name and password.
///
/// The decoded bytes are compared as they come out of the decoder and never stored, not even on
/// the stack: nothing is left to leak, and nothing is copied (one `auth` per registry key, on
/// every request for a pull secret).
fn inspect_auth(auth: &str, username: &[u8], password: &[u8]) -> Result<AuthFacts, AuthError> {
    let padded = auth.trim_end().ends_with('=');
    let mut check = AuthCheck::new(username, password);
    if decode_short(auth.as_bytes(), padded, |b| check.push(b)).is_none() {
        // Anything unusual goes to the crate, which decides; start the comparison again.
        let engine = if padded { &PADDED } else { &UNPADDED };
        let decoded = decode_with(engine, auth.as_bytes()).ok_or(AuthError::NotBase64)?;
        check = AuthCheck::new(username, password);
        decoded.iter().for_each(|&b| check.push(b));
    }
    check.finish()
}

/// Compares a decoded `auth`, byte by byte, with `username:password`. The kubelet splits `auth`
/// at its first `:` and compares the halves as byte strings; that is the same as comparing the
/// whole with `username:password` when `username` holds no `:` (else they always differ).
struct AuthCheck<'a> {
    username: &'a [u8],
    password: &'a [u8],
    len: usize,
    has_colon: bool,
    /// Still equal to `username:password` so far; only looked at when either is given (most
    /// secrets carry `auth` alone, and then there is nothing to compare).
    matches: bool,
}

impl<'a> AuthCheck<'a> {
    fn new(username: &'a [u8], password: &'a [u8]) -> AuthCheck<'a> {
        let given = !username.is_empty() || !password.is_empty();
        AuthCheck {
            username,
            password,
            len: 0,
            has_colon: false,
            matches: given && !username.contains(&b':'),
        }
    }

    fn push(&mut self, b: u8) {
        self.has_colon |= b == b':';
        if self.matches {
            let (i, user_len) = (self.len, self.username.len());
            let expected = match i.cmp(&user_len) {
                std::cmp::Ordering::Less => Some(self.username[i]),
                std::cmp::Ordering::Equal => Some(b':'),
                std::cmp::Ordering::Greater => self.password.get(i - user_len - 1).copied(),
            };
            self.matches = expected == Some(b);
        }
        self.len += 1;
    }

    fn finish(self) -> Result<AuthFacts, AuthError> {
        if !self.has_colon {
            return Err(AuthError::NoColon);
        }
        let given = !self.username.is_empty() || !self.password.is_empty();
        let whole = self.username.len() + 1 + self.password.len();
        Ok(AuthFacts {
            // `user:pass` with a `:` is longer than one byte exactly when either half is not empty.
            has_credentials: self.len > 1,
            disagrees: given && !(self.matches && self.len == whole),
        })
    }
}

/// The value of each base64 character (standard alphabet), or [`INVALID`].
const INVALID: u8 = 0xff;
const BASE64_VALUE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Decodes a plain base64 value, the usual `auth`, handing each byte to `emit`: the base64
/// crate's per-call setup and output buffer cost more than the decoding of such a short value.
/// `None` hands anything else (bad characters, newlines, wrong padding) to the crate, which
/// then decides; bytes already emitted are then to be forgotten. A property test checks that
/// the two agree.
fn decode_short(input: &[u8], padded: bool, mut emit: impl FnMut(u8)) -> Option<()> {
    let body = if padded {
        if !input.len().is_multiple_of(4) {
            return None;
        }
        let pad = input.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 {
            return None;
        }
        &input[..input.len() - pad]
    } else {
        input
    };
    if body.len() % 4 == 1 {
        return None;
    }
    let (groups, last) = body.as_chunks::<4>();
    for group in groups {
        let [a, b, c, d] = group.map(|ch| BASE64_VALUE[usize::from(ch)]);
        // Values are below 64; INVALID has the top bits set.
        if (a | b | c | d) & 0xc0 != 0 {
            return None;
        }
        let bits = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        emit((bits >> 16) as u8);
        emit((bits >> 8) as u8);
        emit(bits as u8);
    }
    // A short last group carries 12 or 18 bits: shift them to the top of 24.
    if !last.is_empty() {
        let mut bits = 0u32;
        for &ch in last {
            let v = BASE64_VALUE[usize::from(ch)];
            if v == INVALID {
                return None;
            }
            bits = bits << 6 | u32::from(v);
        }
        bits <<= 6 * (4 - last.len() as u32);
        bits.to_be_bytes()[1..last.len()]
            .iter()
            .for_each(|&b| emit(b));
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Decoded borrows from its content: the tests keep theirs for good.
    fn json(content: &str) -> Decoded<'static> {
        decode(
            Format::DockerConfigJson,
            content.to_owned().leak().as_bytes(),
        )
    }

    fn cfg(content: &str) -> Decoded<'static> {
        decode(Format::DockerCfg, content.to_owned().leak().as_bytes())
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn entry(d: &Decoded<'static>, key: &str) -> Entry<'static> {
        d.entries.iter().find(|e| e.key == key).cloned().unwrap()
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

    #[test]
    fn auth_decoding_like_the_kubelet() {
        // (auth, decodes) — cases after config_test.go's TestDecodeDockerConfigFieldAuth.
        let padded = b64("foo:bar");
        let unpadded = padded.trim_end_matches('=').to_owned();
        let cases = [
            (b64("foo:bar"), true),
            (b64("foo:bar") + "\n", true),
            (unpadded.clone(), true),
            (b64("foo:"), true),
            (b64(":bar"), true),
            (b64("foobar"), false),          // no colon
            ("Zm9vOmJhcg=".into(), false),   // wrong padding
            ("Zm9v OmJhcg==".into(), false), // space
            ("Zm9vOmJhcg--".into(), false),  // URL-safe alphabet
            ("Zm9vOmJhc\ng==".into(), true), // Go skips newlines
            (b64("a:b:c"), true),            // split at the first colon
        ];
        for (auth, ok) in cases {
            let d = json(&format!(r#"{{"auths":{{"r.io":{{"auth":{auth:?}}}}}}}"#));
            assert_eq!(d.errors.is_empty(), ok, "{auth:?}: {:?}", d.errors);
        }
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

    #[test]
    fn go_json_quirks() {
        // Field names match case-insensitively, `ſ` folding to `s`.
        let d = json(r#"{"AUTHS":{"r.io":{"UserName":"u","PaSſword":"p"}}}"#);
        assert!(d.has_auths && entry(&d, "r.io").has_credentials);
        // null leaves a field as it was; the last of repeated fields wins.
        let d = json(r#"{"auths":{"r.io":{"username":"u","username":null}}}"#);
        assert!(entry(&d, "r.io").has_credentials);
        let d = json(r#"{"auths":{"r.io":{"username":"u","username":""}}}"#);
        assert!(!entry(&d, "r.io").has_credentials);
        // A repeated registry key overwrites the earlier entry.
        let d = json(r#"{"auths":{"r.io":{"username":"u"},"r.io":{}}}"#);
        assert_eq!(d.entries.len(), 1);
        assert!(!entry(&d, "r.io").has_credentials);
        // Undeclared fields may hold anything; declared ones must be strings.
        let d = json(
            r#"{"auths":{"r.io":{"username":"u","identitytoken":5,"x":[1]}},"credsStore":"desktop"}"#,
        );
        assert!(d.errors.is_empty());
        assert_eq!(d.ignored_top_level, ["credsStore"]);
        let d = json(r#"{"auths":{"r.io":{"username":"u","password":7}}}"#);
        assert_eq!(
            d.errors,
            [DecodeError::FieldNotString {
                key: "r.io".into(),
                field: "password",
                found: JsonKind::Number
            }]
        );
    }

    #[test]
    fn wrong_shapes() {
        assert_eq!(
            json("[]").errors,
            [DecodeError::NotAnObject(JsonKind::Array)]
        );
        assert!(matches!(json("{").errors[..], [DecodeError::Syntax { .. }]));
        assert_eq!(
            json(r#"{"auths":[]}"#).errors,
            [DecodeError::WrongTopLevelType {
                field: "auths",
                found: JsonKind::Array
            }]
        );
        assert_eq!(
            json(r#"{"auths":{"r.io":"dXNlcjpwYXNz"}}"#).errors,
            [DecodeError::EntryNotAnObject {
                key: "r.io".into(),
                found: JsonKind::String
            }]
        );
        assert_eq!(
            json(r#"{"auths":{},"HttpHeaders":{"User-Agent":1}}"#)
                .errors
                .len(),
            1
        );
        let d = json(r#"{"auths":null}"#);
        assert!(d.errors.is_empty() && !d.has_auths);
        // HttpHeaders is a map[string]string: an object as a value is a type error too.
        assert_eq!(
            json(r#"{"auths":{},"HttpHeaders":{"a":"b","c":{},"d":null}}"#).errors,
            [DecodeError::HeaderNotString(JsonKind::Object)]
        );
        assert_eq!(
            json(r#"{"auths":{},"HttpHeaders":"x"}"#).errors,
            [DecodeError::WrongTopLevelType {
                field: "HttpHeaders",
                found: JsonKind::String
            }]
        );
        // A later `"auths": null` sets the map to nil, credentials and all.
        let d = json(r#"{"auths":{"r.io":{"auth":"dTpw"}},"auths":null}"#);
        assert!(d.errors.is_empty() && !d.has_auths && d.entries.is_empty());
        // A later `auths` object adds to the earlier one, as Go decodes into the same map.
        let d = json(r#"{"auths":{"r.io":{"auth":"dTpw"}},"Auths":{"q.io":{"auth":"dTpw"}}}"#);
        assert_eq!(d.entries.len(), 2);
        // `null` as the whole content leaves the config empty: useless, not undecodable.
        for format in [Format::DockerConfigJson, Format::DockerCfg] {
            let d = decode(format, b"null");
            assert!(d.errors.is_empty() && d.entries.is_empty() && !d.has_auths);
        }
    }

    #[test]
    fn invalid_utf8_in_strings_is_replaced_as_go_does() {
        let bytes = |content: &[u8]| decode(Format::DockerConfigJson, content).into_owned();
        let d = bytes(b"{\"auths\":{\"r.io\":{\"auth\":\"dTpw\",\"email\":\"\xff\xfe\"}}}");
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert!(entry(&d, "r.io").has_credentials && !entry(&d, "r.io").auth_disagrees);
        let d = bytes(b"{\"auths\":{\"r.io\":{\"auth\":\"dTpw\",\"password\":\"p\xe4\"}}}");
        assert!(d.errors.is_empty() && entry(&d, "r.io").auth_disagrees);
        // Go reads the key as "r\u{fffd}.io": a host with a non-ASCII byte, which it keeps.
        let d = bytes(b"{\"auths\":{\"r\xe4.io\":{\"auth\":\"dTpw\"}}}");
        assert_eq!(d.entries[0].key, "r\u{fffd}.io");
        let d = bytes(b"{\"auths\":{\"r\xf0\x9f\x98.io\":{\"auth\":\"dTpw\"}}}");
        assert_eq!(d.entries[0].key, "r\u{fffd}\u{fffd}\u{fffd}.io");
        // Outside strings it is still not JSON.
        let d = bytes(b"{\"auths\":{}\xff}");
        assert!(matches!(d.errors[..], [DecodeError::Syntax { .. }]));
        // Lone surrogate escapes become U+FFFD; pairs stay; escaped backslashes are text.
        let d = bytes(br#"{"auths":{"r.io":{"auth":"dTpw","username":"\ud800"}}}"#);
        assert!(d.errors.is_empty() && entry(&d, "r.io").auth_disagrees);
        let d = bytes(br#"{"auths":{"r.io":{"auth":"dTpw","email":"\udc00\ud83d\ude00\\ud800"}}}"#);
        assert!(d.errors.is_empty() && !entry(&d, "r.io").auth_disagrees);
        assert_eq!(
            go_replace_lone_surrogates(r#""\ud800\u0041\ud83d\ude00\ud83d\\ud800\udfff\ud800""#)
                .as_deref(),
            Some(r#""\ufffd\u0041\ud83d\ude00\ufffd\\ud800\ufffd\ufffd""#)
        );
        assert_eq!(
            go_replace_lone_surrogates(r#""\ud83d\ude00 \\ud800""#),
            None
        );
        // One replacement per byte, as Go's utf8.DecodeRune reads them.
        assert_eq!(
            go_replace_invalid_utf8(b"a\xf0\x9f\x98b\xed\xa0\x80"),
            "a\u{fffd}\u{fffd}\u{fffd}b\u{fffd}\u{fffd}\u{fffd}"
        );
    }

    #[test]
    fn layouts_in_the_wrong_place() {
        let d = json(r#"{"registry.io":{"auth":"dTpw"}}"#);
        assert!(!d.has_auths && d.legacy_layout && d.entries.is_empty());
        let d = cfg(r#"{"auths":{"registry.io":{"auth":"dTpw"}}}"#);
        assert!(d.wrapped_in_auths);
        assert!(!entry(&d, "auths").has_credentials);
    }

    fn short(input: &[u8], padded: bool) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        decode_short(input, padded, |b| out.push(b)).map(|()| out)
    }

    #[test]
    fn auth_facts() {
        let facts = |auth: &str, user: &str, pass: &str| {
            inspect_auth(auth, user.as_bytes(), pass.as_bytes())
                .map(|f| (f.has_credentials, f.disagrees))
                .map_err(|e| matches!(e, AuthError::NoColon))
        };
        // dTpw is u:p, dTo= is u:, Ojo= is ::, dXA= is up (no colon).
        assert_eq!(facts("dTpw", "", ""), Ok((true, false)));
        assert_eq!(facts("dTpw", "u", "p"), Ok((true, false)));
        assert_eq!(facts("dTpw", "u", ""), Ok((true, true)));
        assert_eq!(facts("dTpw", "", "p"), Ok((true, true)));
        assert_eq!(facts("dTpw", "u", "px"), Ok((true, true)));
        assert_eq!(facts("dTpw", "ux", "p"), Ok((true, true)));
        assert_eq!(facts("dTo=", "u", ""), Ok((true, false)));
        assert_eq!(facts("Og==", "", ""), Ok((false, false)));
        assert_eq!(facts("Og", "x", ""), Ok((false, true)));
        // The first `:` splits: user `:`, password `:` can never be what `auth` says.
        assert_eq!(facts("Ojo=", ":", ""), Ok((true, true)));
        assert_eq!(facts("Ojo=", "", ":"), Ok((true, false)));
        assert_eq!(facts("dXA=", "u", "p"), Err(true));
        assert_eq!(facts("d*pw", "", ""), Err(false));
        // Newlines are skipped by the fallback, which starts the comparison again.
        assert_eq!(facts("dT\npw", "u", "p"), Ok((true, false)));
    }

    proptest::proptest! {
        #[test]
        fn short_decoding_agrees_with_the_crate(input in "[A-Za-z0-9+/=\n*]{0,80}", padded: bool) {
            let engine = if padded { &PADDED } else { &UNPADDED };
            if let Some(decoded) = short(input.as_bytes(), padded) {
                proptest::prop_assert_eq!(Some(decoded), engine.decode(&input).ok());
            }
        }

        #[test]
        fn short_decoding_round_trips(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let padded = base64::engine::general_purpose::STANDARD.encode(&bytes);
            proptest::prop_assert_eq!(short(padded.as_bytes(), true), Some(bytes.clone()));
            let unpadded = padded.trim_end_matches('=');
            proptest::prop_assert_eq!(short(unpadded.as_bytes(), false), Some(bytes));
        }

        #[test]
        fn auth_facts_agree_with_splitting(user in "[a-z:]{0,4}", pass in "[a-z:]{0,4}",
                                           given_user in "[a-z:]{0,4}", given_pass in "[a-z:]{0,4}") {
            let decoded = format!("{user}:{pass}");
            let auth = base64::engine::general_purpose::STANDARD.encode(&decoded);
            let (u, p) = decoded.split_once(':').unwrap();
            let given = !given_user.is_empty() || !given_pass.is_empty();
            let expected = AuthFacts {
                has_credentials: !u.is_empty() || !p.is_empty(),
                disagrees: given && (u != given_user || p != given_pass),
            };
            let facts = inspect_auth(&auth, given_user.as_bytes(), given_pass.as_bytes());
            proptest::prop_assert_eq!(facts.ok(), Some(expected));
        }
    }

    #[test]
    fn keys_are_shown_without_user_info() {
        assert_eq!(show_key("registry.io"), r#""registry.io""#);
        assert_eq!(
            show_key("https://user:hunter2@registry.io/v1/"),
            r#""https://…@registry.io/v1/""#
        );
        assert_eq!(show_key("user:hunter2@registry.io"), r#""…@registry.io""#);
        assert_eq!(show_key("user:pa/ss@registry.io"), r#""…@registry.io""#);
        assert_eq!(
            show_key("robot:hunter2hunter2://x@registry.io"),
            r#""…@registry.io""#
        );
        assert_eq!(
            show_key("http://robot:a://b@registry.io"),
            r#""http://…@registry.io""#
        );
        assert_eq!(
            show_key("robot:S3crtPw%40registry.io"),
            r#""…%40registry.io""#
        );
        assert_eq!(show_key("a@b%40registry.io"), r#""…%40registry.io""#);
        assert_eq!(show_key("a%40b@registry.io"), r#""…@registry.io""#);
        assert!(!key_may_hold_credentials("registry.io:5000/team"));
        assert_eq!(
            show_key("https://u:p#x@registry.io"),
            r#""https://…@registry.io""#
        );
    }
}
