//! Go's `encoding/json`, as the kubelet's decoding of a pull secret meets it, emulated with
//! serde visitors rather than `#[derive(Deserialize)]` because it differs from serde's in ways
//! that decide the verdict: field names match case-insensitively, `null` leaves a field as it
//! was, a value of the wrong type is an error only for declared fields, an object key repeated
//! overwrites the earlier one, and bytes that are not UTF-8 are read as U+FFFD.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::auth::{AuthError, inspect_auth, with_auth_password};
use super::expiry;
use super::{DecodeError, Decoded, Entry, Format, JsonKind};

/// `content` as Go's decoder reads its strings, when that differs from what serde_json reads.
pub(super) fn repair(content: &[u8]) -> Option<String> {
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

pub(super) fn decode_utf8(format: Format, content: &[u8]) -> Decoded<'_> {
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
pub(super) fn go_replace_invalid_utf8(content: &[u8]) -> String {
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
        // `auth` wins: the password the kubelet sends, and any date it holds, is then in it.
        let (has_credentials, auth_disagrees, dated) = if auth.is_empty() {
            let has_credentials = !username.is_empty() || !password.is_empty();
            (has_credentials, false, expiry::read(password))
        } else {
            match inspect_auth(auth, username, password) {
                Ok(facts) => {
                    let dated = if facts.may_be_dated {
                        with_auth_password(auth, expiry::read).flatten()
                    } else {
                        None
                    };
                    (facts.has_credentials, facts.disagrees, dated)
                }
                Err(error) => {
                    let key = self.key.to_string();
                    self.out.errors.push(match error {
                        AuthError::NotBase64 => DecodeError::AuthNotBase64 { key },
                        AuthError::NoColon => DecodeError::AuthWithoutColon { key },
                    });
                    (false, false, None)
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
            dated,
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

#[cfg(test)]
mod tests {
    use super::super::decode;
    use super::super::test_support::{cfg, entry, json};
    use super::*;

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
}
