//! Credentials that say when they stop working, read from the password the kubelet sends.
//!
//! An outdated credential shows only as `ImagePullBackOff`, hours after the Secret was written
//! (issue 17); many short-lived credentials carry their end, or betray a fixed lifetime by
//! their prefix. Only a kind and times come out of here, never a byte of the token, so that
//! what the policy reports about a credential cannot leak it. Nothing in a token is verified
//! or trusted beyond its times: a forged date only changes a warning.
//!
//! Most passwords are not dated: their first bytes tell, before any base64 or JSON work, so
//! ordinary secrets cost no more to decode.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::when::UnixTime;

/// A credential whose end can be told from the Secret alone. Each kind carries only the times
/// it can have: an ECR token always has its expiry and nothing else, the prefixed tokens have
/// no date at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dated {
    /// `aws ecr get-login-password` (user `AWS`): an envelope with the expiry in clear, 12
    /// hours after it was made.
    EcrToken { expires_at: UnixTime },
    /// A JSON Web Token with an `exp`: an Azure Container Registry refresh token (user
    /// `00000000-0000-0000-0000-000000000000`, about 3 hours), an OIDC or robot token.
    /// `iat` and `nbf` are kept when they are plausible dates, to tell a token used before it
    /// is valid, or how long it was meant to last.
    Jwt {
        expires_at: UnixTime,
        issued_at: Option<UnixTime>,
        not_before: Option<UnixTime>,
    },
    /// `ghs_…`: a GitHub App installation token, which lasts one hour.
    GitHubInstallationToken,
    /// `ya29.…` (user `oauth2accesstoken`): a Google OAuth access token, which lasts one hour.
    GoogleAccessToken,
}

/// [`Dated`] without its times, for wording that depends on the kind only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DatedKind {
    EcrToken,
    Jwt,
    GitHubInstallationToken,
    GoogleAccessToken,
}

/// When a [`Dated`] credential stops working, as far as the Secret tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    At(UnixTime),
    /// The token lives one hour from its issue, which it does not record: a Secret that holds
    /// one stops working within the hour after it was written, and nothing renews it.
    WithinAnHour,
}

/// How close to its end a credential may be before it is worth a warning: a pull secret
/// written today should still work tomorrow, when a node restarts or a Pod is rescheduled.
const SOON: i64 = 24 * 3600;

/// A dated credential seen from a given time: the one model of a credential's end that the
/// Secret check, the pod check and the troubleshooter share, and that
/// [`words::when`](crate::words::when) words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CredentialEnd {
    pub(crate) kind: DatedKind,
    pub(crate) standing: Standing,
    /// The time it is seen from.
    pub(crate) now: UnixTime,
}

/// Where a credential's end lies from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// It stopped working at this time, at or before now: the registry refuses it.
    Expired(UnixTime),
    /// It stops working at this time, within a day.
    ExpiresSoon(UnixTime),
    /// It lasts an hour from an issue it does not record.
    WithinAnHour,
    /// It works until this time, more than a day away.
    Valid(UnixTime),
}

impl CredentialEnd {
    /// The registry refuses it now.
    pub(crate) fn is_expired(self) -> bool {
        matches!(self.standing, Standing::Expired(_))
    }

    /// It still works, but not for long: worth a warning.
    pub(crate) fn ends_soon(self) -> bool {
        matches!(
            self.standing,
            Standing::ExpiresSoon(_) | Standing::WithinAnHour
        )
    }
}

impl Dated {
    pub(crate) fn kind(self) -> DatedKind {
        match self {
            Dated::EcrToken { .. } => DatedKind::EcrToken,
            Dated::Jwt { .. } => DatedKind::Jwt,
            Dated::GitHubInstallationToken => DatedKind::GitHubInstallationToken,
            Dated::GoogleAccessToken => DatedKind::GoogleAccessToken,
        }
    }

    pub(crate) fn expiry(self) -> Expiry {
        match self {
            Dated::EcrToken { expires_at } | Dated::Jwt { expires_at, .. } => {
                Expiry::At(expires_at)
            }
            Dated::GitHubInstallationToken | Dated::GoogleAccessToken => Expiry::WithinAnHour,
        }
    }

    /// The credential seen from `now`. A time equal to `now` has passed: a credential that
    /// expires this second no longer works.
    pub(crate) fn seen_at(self, now: UnixTime) -> CredentialEnd {
        let standing = match self.expiry() {
            Expiry::At(at) if at <= now => Standing::Expired(at),
            Expiry::At(at) if at.since(now) <= SOON => Standing::ExpiresSoon(at),
            Expiry::At(at) => Standing::Valid(at),
            Expiry::WithinAnHour => Standing::WithinAnHour,
        };
        CredentialEnd {
            kind: self.kind(),
            standing,
            now,
        }
    }

    #[cfg(test)]
    pub(crate) fn issued_at(self) -> Option<UnixTime> {
        match self {
            Dated::Jwt { issued_at, .. } => issued_at,
            _ => None,
        }
    }

    #[cfg(test)]
    pub(crate) fn not_before(self) -> Option<UnixTime> {
        match self {
            Dated::Jwt { not_before, .. } => not_before,
            _ => None,
        }
    }
}

/// Base64 of `{"`: how both an ECR token (standard alphabet) and a JWT (URL alphabet) start.
const JSON_OBJECT: &[u8] = b"eyJ";
const GITHUB_INSTALLATION: &[u8] = b"ghs_";
const GOOGLE_ACCESS: &[u8] = b"ya29.";
/// What a password must start with to be worth a closer look.
const PREFIXES: [&[u8]; 3] = [JSON_OBJECT, GITHUB_INSTALLATION, GOOGLE_ACCESS];
const LONGEST_PREFIX: usize = 5;

/// Dates outside 2000 to 2100 belong to no live credential: a zero, milliseconds read as
/// seconds, a placeholder `9999999999`. Such a value makes the credential undated rather than
/// "expired 30 years ago".
const EARLIEST: i64 = 946_684_800;
const LATEST: i64 = 4_102_444_800;

/// What `password` tells of its own end, if anything.
pub(super) fn read(password: &[u8]) -> Option<Dated> {
    if password.starts_with(JSON_OBJECT) {
        // A JWT's segments are joined by dots, which base64 never holds.
        if password.contains(&b'.') {
            read_jwt(password)
        } else {
            read_ecr(password)
        }
    } else if let Some(body) = password.strip_prefix(GITHUB_INSTALLATION) {
        // `ghs_` and 36 base62 characters today; longer ones pass, should the format grow.
        let shaped = (30..=251).contains(&body.len())
            && body.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
        shaped.then_some(Dated::GitHubInstallationToken)
    } else if let Some(body) = password.strip_prefix(GOOGLE_ACCESS) {
        // Google documents up to 2048 bytes, of the URL-safe base64 alphabet and dots.
        let shaped = (20..=4096).contains(&body.len())
            && body
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        shaped.then_some(Dated::GoogleAccessToken)
    } else {
        None
    }
}

/// The fields that date an ECR envelope or a JWT's claims (RFC 7519 §4.1.4-6), in one struct
/// so that the module carries one deserializer for both (the policy module must stay small).
/// An ECR envelope's `payload` and `datakey` (encrypted, never read) must be present, so that
/// other base64 JSON with an `expiration` is not taken for an ECR token.
#[derive(Deserialize)]
struct Dates {
    expiration: Option<Numeric>,
    payload: Option<IgnoredAny>,
    datakey: Option<IgnoredAny>,
    exp: Option<Numeric>,
    iat: Option<Numeric>,
    nbf: Option<Numeric>,
}

fn read_ecr(password: &[u8]) -> Option<Dated> {
    let envelope: Dates = json_object(&STANDARD.decode(password).ok()?)?;
    envelope.payload?;
    envelope.datakey?;
    Some(Dated::EcrToken {
        expires_at: envelope.expiration?.date()?,
    })
}

/// A JWS in compact form: three unpadded base64url segments, the first two JSON objects.
fn read_jwt(password: &[u8]) -> Option<Dated> {
    let mut segments = password.split(|&b| b == b'.');
    let (header, claims, signature) = (segments.next()?, segments.next()?, segments.next()?);
    if segments.next().is_some() {
        return None;
    }
    json_object::<IgnoredAny>(&URL_SAFE_NO_PAD.decode(header).ok()?)?;
    // Only its alphabet is checked; it may be empty (`"alg": "none"`).
    URL_SAFE_NO_PAD.decode(signature).ok()?;
    let claims: Dates = json_object(&URL_SAFE_NO_PAD.decode(claims).ok()?)?;
    // A bad `iat` or `nbf` only loses that time; a bad `exp`, the whole date.
    let date = |claim: Option<Numeric>| claim.and_then(Numeric::date);
    Some(Dated::Jwt {
        expires_at: date(claims.exp)?,
        issued_at: date(claims.iat),
        not_before: date(claims.nbf),
    })
}

/// `json` as `T` when it is a JSON object: serde's derived structs would also take an array.
fn json_object<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Option<T> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace())?;
    (*first == b'{')
        .then(|| serde_json::from_slice(json).ok())
        .flatten()
}

/// A NumericDate (RFC 7519 §2: seconds since the epoch, which may have a fraction) as whole
/// seconds, or `None` for a value of another type, which is read and set aside.
struct Numeric(Option<i64>);

impl Numeric {
    fn date(self) -> Option<UnixTime> {
        let secs = self.0?;
        (EARLIEST..LATEST)
            .contains(&secs)
            .then(|| UnixTime::from_secs(secs))
            .flatten()
    }
}

impl<'de> Deserialize<'de> for Numeric {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Numeric, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Numeric;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any value")
            }

            fn visit_i64<E>(self, v: i64) -> Result<Numeric, E> {
                Ok(Numeric(Some(v)))
            }

            fn visit_u64<E>(self, v: u64) -> Result<Numeric, E> {
                Ok(Numeric(i64::try_from(v).ok()))
            }

            // `as` saturates, and infinities and NaN are no JSON: the range check decides.
            fn visit_f64<E>(self, v: f64) -> Result<Numeric, E> {
                Ok(Numeric(Some(v.floor() as i64)))
            }

            fn visit_str<E>(self, _: &str) -> Result<Numeric, E> {
                Ok(Numeric(None))
            }

            fn visit_bool<E>(self, _: bool) -> Result<Numeric, E> {
                Ok(Numeric(None))
            }

            fn visit_unit<E>(self) -> Result<Numeric, E> {
                Ok(Numeric(None))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Numeric, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Numeric(None))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Numeric, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Numeric(None))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Whether a password starts as one [`read`] may date, learnt a byte at a time. A password in
/// `auth` is decoded on the fly and never held (see `auth::inspect_auth`): this keeps which
/// prefixes still match and how far, not the bytes, and stops looking after the longest.
#[derive(Clone, Copy)]
pub(super) struct Sniff {
    seen: u8,
    /// Bit `i`: the bytes seen so far match `PREFIXES[i]`.
    alive: u8,
}

impl Sniff {
    pub(super) const fn new() -> Sniff {
        Sniff {
            seen: 0,
            alive: (1 << PREFIXES.len()) - 1,
        }
    }

    #[inline]
    pub(super) fn push(&mut self, b: u8) {
        let i = usize::from(self.seen);
        if i >= LONGEST_PREFIX || self.alive == 0 {
            return;
        }
        for (bit, prefix) in PREFIXES.iter().enumerate() {
            if prefix.get(i).is_some_and(|&p| p != b) {
                self.alive &= !(1 << bit);
            }
        }
        self.seen += 1;
    }

    /// A whole prefix was seen: the password is worth decoding again for [`read`].
    pub(super) fn matched(self) -> bool {
        PREFIXES.iter().enumerate().any(|(bit, prefix)| {
            self.alive & (1 << bit) != 0 && usize::from(self.seen) >= prefix.len()
        })
    }
}

/// Test credentials shaped as the real ones: the unit tests here build them, and
/// `e2e-tests/test_data/credentials.py` builds the same for the end-to-end suites.
#[cfg(test)]
pub(crate) mod fake {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    /// Bytes that look random (xorshift64*), the same for the same seed.
    pub(crate) fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
        let mut state = seed ^ 0x9e37_79b9_7f4a_7c15 | 1;
        (0..len)
            .map(|_| {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
            })
            .collect()
    }

    /// The password `aws ecr get-login-password` prints, with `expiration` as given (JSON
    /// text, so that tests can write a string or a fraction) around the encrypted blobs.
    pub(crate) fn ecr_password_with(payload: &[u8], datakey: &[u8], expiration: &str) -> String {
        STANDARD.encode(format!(
            r#"{{"payload":"{}","datakey":"{}","version":"2","type":"DATA_KEY","expiration":{expiration}}}"#,
            STANDARD.encode(payload),
            STANDARD.encode(datakey)
        ))
    }

    /// An ECR password expiring at `expiration` (Unix seconds), its blobs sized as real ones.
    pub(crate) fn ecr_password(expiration: i64, seed: u64) -> String {
        let payload = random_bytes(seed, 1100);
        let datakey = random_bytes(seed.wrapping_add(1), 180);
        ecr_password_with(&payload, &datakey, &expiration.to_string())
    }

    /// A compact JWS with these segments' contents.
    pub(crate) fn jwt_with(header: &str, claims: &str, signature: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    pub(crate) const RS256: &str = r#"{"alg":"RS256","typ":"JWT"}"#;

    /// An RS256 JWT with these claims (JSON text) and a random 2048-bit signature.
    pub(crate) fn jwt(claims: &str, seed: u64) -> String {
        jwt_with(RS256, claims, &random_bytes(seed, 256))
    }

    /// A `.dockerconfigjson` with one registry key whose `auth` is `user:password`.
    pub(crate) fn dockerconfigjson(key: &str, user: &str, password: &str) -> String {
        let auth = STANDARD.encode(format!("{user}:{password}"));
        format!(r#"{{"auths":{{{key:?}:{{"auth":"{auth}"}}}}}}"#)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{cfg, entry, json};
    use super::fake::*;
    use super::*;
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    use rstest::rstest;

    /// 2026-12-04T08:00:00Z: the time every case is seen from.
    const NOW: i64 = 1_796_371_200;
    const HOUR: i64 = 3600;
    const ACR_USER: &str = "00000000-0000-0000-0000-000000000000";

    fn at(secs: i64) -> UnixTime {
        UnixTime::from_secs(secs).unwrap()
    }

    fn ecr_at(expires: i64) -> Option<Dated> {
        Some(Dated::EcrToken {
            expires_at: at(expires),
        })
    }

    fn jwt_at(expires: i64, issued: Option<i64>, not_before: Option<i64>) -> Option<Dated> {
        Some(Dated::Jwt {
            expires_at: at(expires),
            issued_at: issued.map(at),
            not_before: not_before.map(at),
        })
    }

    fn blob(seed: u64) -> Vec<u8> {
        random_bytes(seed, 64)
    }

    fn ecr_expiring(expiration: &str) -> String {
        ecr_password_with(&blob(1), &blob(2), expiration)
    }

    fn claims_jwt(claims: &str) -> String {
        jwt(claims, 7)
    }

    fn ghs(body_len: usize) -> String {
        let body: String = random_bytes(3, body_len)
            .iter()
            .map(|b| {
                char::from(
                    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        [usize::from(b % 62)],
                )
            })
            .collect();
        format!("ghs_{body}")
    }

    #[rstest]
    #[case::ecr_valid(ecr_password(NOW + 12 * HOUR, 1), ecr_at(NOW + 12 * HOUR))]
    #[case::ecr_expired(ecr_password(NOW - 50 * HOUR, 2), ecr_at(NOW - 50 * HOUR))]
    #[case::ecr_fraction(ecr_expiring("1796414400.75"), ecr_at(1_796_414_400))]
    #[case::ecr_expiration_as_string(ecr_expiring(r#""1796414400""#), None)]
    #[case::ecr_expiration_null(ecr_expiring("null"), None)]
    #[case::ecr_expiration_in_milliseconds(ecr_expiring("1796414400000"), None)]
    #[case::ecr_expiration_zero(ecr_expiring("0"), None)]
    #[case::ecr_expiration_huge(ecr_expiring("1e300"), None)]
    #[case::ecr_without_expiration(STANDARD.encode(r#"{"payload":"cA==","datakey":"ZA=="}"#), None)]
    #[case::ecr_without_payload(STANDARD.encode(r#"{"datakey":"ZA==","expiration":1796414400}"#), None)]
    #[case::ecr_not_json(STANDARD.encode(r#"{"payload" is not JSON"#), None)]
    #[case::ecr_malformed_base64(ecr_password(NOW, 3).replacen('A', "*", 1), None)]
    #[case::ecr_unpadded(
        STANDARD_NO_PAD.encode(r#"{"payload":"p","datakey":"d","expiration":1796414400}"#),
        None
    )]
    #[case::ecr_url_alphabet(
        base64::engine::general_purpose::URL_SAFE
            .encode(format!(r#"{{"payload":"???","datakey":"d","expiration":{NOW}}}"#)),
        None
    )]
    #[case::jwt_valid(
        claims_jwt(&format!(r#"{{"sub":"robot","exp":{}}}"#, NOW + 3 * HOUR)),
        jwt_at(NOW + 3 * HOUR, None, None)
    )]
    #[case::jwt_expired(
        claims_jwt(&format!(r#"{{"exp":{},"iat":{}}}"#, NOW - HOUR, NOW - 4 * HOUR)),
        jwt_at(NOW - HOUR, Some(NOW - 4 * HOUR), None)
    )]
    #[case::jwt_iat_and_nbf(
        claims_jwt(&format!(r#"{{"iat":{NOW},"nbf":{},"exp":{}}}"#, NOW + 60, NOW + 3 * HOUR)),
        jwt_at(NOW + 3 * HOUR, Some(NOW), Some(NOW + 60))
    )]
    #[case::jwt_bad_iat_is_dropped(
        claims_jwt(&format!(r#"{{"iat":"yesterday","nbf":0,"exp":{NOW}}}"#)),
        jwt_at(NOW, None, None)
    )]
    #[case::jwt_without_exp(claims_jwt(&format!(r#"{{"iat":{NOW}}}"#)), None)]
    #[case::jwt_exp_as_string(claims_jwt(&format!(r#"{{"exp":"{NOW}"}}"#)), None)]
    #[case::jwt_exp_as_object(claims_jwt(r#"{"exp":{"at":1796371200}}"#), None)]
    #[case::jwt_exp_negative(claims_jwt(r#"{"exp":-1}"#), None)]
    #[case::jwt_claims_an_array(claims_jwt(&format!("[{NOW},{NOW},{NOW}]")), None)]
    #[case::jwt_claims_a_string(claims_jwt(r#""exp""#), None)]
    #[case::jwt_claims_not_json(claims_jwt("{exp: 1796371200}"), None)]
    #[case::jwt_header_not_json(jwt_with(r#"{"alg":RS256}"#, &format!(r#"{{"exp":{NOW}}}"#), &blob(5)), None)]
    #[case::jwt_unsigned(jwt_with(r#"{"alg":"none"}"#, &format!(r#"{{"exp":{NOW}}}"#), b""), jwt_at(NOW, None, None))]
    #[case::jwt_padded_segment(
        {
            let token = claims_jwt(&format!(r#"{{"exp":{NOW},"x":"abc"}}"#));
            let (head, rest) = token.split_once('.').unwrap();
            let (claims, sig) = rest.split_once('.').unwrap();
            assert!(!claims.len().is_multiple_of(4));
            let pad = "=".repeat(4 - claims.len() % 4);
            format!("{head}.{claims}{pad}.{sig}")
        },
        None
    )]
    #[case::jwt_standard_alphabet(
        jwt_with(RS256, &format!(r#"{{"exp":{NOW},"s":"~~~~~~"}}"#), &blob(6)).replace('_', "/").replace('-', "+"),
        None
    )]
    #[case::jwt_one_dot(claims_jwt(&format!(r#"{{"exp":{NOW}}}"#)).rsplit_once('.').unwrap().0.to_owned(), None)]
    #[case::jwt_three_dots(claims_jwt(&format!(r#"{{"exp":{NOW}}}"#)) + ".eyJ", None)]
    #[case::jwe_four_dots(claims_jwt(&format!(r#"{{"exp":{NOW}}}"#)) + ".abc.def", None)]
    #[case::jwt_empty_claims(format!("{}..{}", URL_SAFE_NO_PAD.encode(RS256), URL_SAFE_NO_PAD.encode(blob(8))), None)]
    #[case::github_installation(ghs(36), Some(Dated::GitHubInstallationToken))]
    #[case::github_installation_longer(ghs(120), Some(Dated::GitHubInstallationToken))]
    #[case::github_installation_too_short(ghs(8), None)]
    #[case::github_installation_odd_characters(ghs(36) + "!", None)]
    #[case::github_classic_pat(ghs(36).replace("ghs_", "ghp_"), None)]
    #[case::github_fine_grained_pat(ghs(82).replace("ghs_", "github_pat_"), None)]
    #[case::github_oauth(ghs(36).replace("ghs_", "gho_"), None)]
    #[case::github_uppercase_prefix(ghs(36).replace("ghs_", "GHS_"), None)]
    #[case::google_access(
        "ya29.a0AfB_byC-1x2y3z4w5v6u7t8s9r0q.AaBbCcDdEeFfGgHh_IiJjKkLl-MmNn0123".into(),
        Some(Dated::GoogleAccessToken)
    )]
    #[case::google_too_short("ya29.abc".into(), None)]
    #[case::google_odd_characters("ya29.a0AfB_byC-1x2y3z4w5v6u7t8s9r0q/AaBb".into(), None)]
    #[case::google_no_dot("ya29a0AfB_byC-1x2y3z4w5v6u7t8s9r0qAaBb".into(), None)]
    #[case::google_refresh_token("1//0gAbCdEfGhIjKlMnOpQrStUvWxYz-0123456789".into(), None)]
    #[case::plain("hunter2hunter2".into(), None)]
    #[case::starts_like_json("eyJustAPassword".into(), None)]
    #[case::empty("".into(), None)]
    fn dates(#[case] password: String, #[case] dated: Option<Dated>) {
        assert_eq!(read(password.as_bytes()), dated);
        let sniffed = {
            let mut sniff = Sniff::new();
            password.bytes().for_each(|b| sniff.push(b));
            sniff.matched()
        };
        assert!(sniffed || dated.is_none(), "{password}");
    }

    #[test]
    fn kinds_and_times() {
        let jwt = jwt_at(NOW + HOUR, Some(NOW), Some(NOW)).unwrap();
        assert_eq!(jwt.kind(), DatedKind::Jwt);
        assert_eq!(jwt.expiry(), Expiry::At(at(NOW + HOUR)));
        assert_eq!(jwt.issued_at(), Some(at(NOW)));
        assert_eq!(jwt.not_before(), Some(at(NOW)));
        let ecr = ecr_at(NOW - HOUR).unwrap();
        assert_eq!(ecr.kind(), DatedKind::EcrToken);
        assert_eq!(ecr.issued_at(), None);
        assert_eq!(ecr.expiry(), Expiry::At(at(NOW - HOUR)));
        for token in [Dated::GitHubInstallationToken, Dated::GoogleAccessToken] {
            assert_eq!(token.expiry(), Expiry::WithinAnHour);
            assert_eq!(token.issued_at(), None);
        }
    }

    /// Seen from now: expired at or before it, soon within a day, and the hour-long kinds
    /// always short-lived.
    #[rstest]
    #[case::expired_long_ago(ecr_at(NOW - 50 * HOUR), Standing::Expired(at(NOW - 50 * HOUR)))]
    #[case::expires_this_second(ecr_at(NOW), Standing::Expired(at(NOW)))]
    #[case::expires_next_second(ecr_at(NOW + 1), Standing::ExpiresSoon(at(NOW + 1)))]
    #[case::fresh_ecr(ecr_at(NOW + 12 * HOUR), Standing::ExpiresSoon(at(NOW + 12 * HOUR)))]
    #[case::a_day(jwt_at(NOW + 24 * HOUR, None, None), Standing::ExpiresSoon(at(NOW + 24 * HOUR)))]
    #[case::more_than_a_day(jwt_at(NOW + 24 * HOUR + 1, None, None), Standing::Valid(at(NOW + 24 * HOUR + 1)))]
    #[case::expired_jwt(jwt_at(NOW - HOUR, Some(NOW - 4 * HOUR), None), Standing::Expired(at(NOW - HOUR)))]
    #[case::github(Some(Dated::GitHubInstallationToken), Standing::WithinAnHour)]
    #[case::google(Some(Dated::GoogleAccessToken), Standing::WithinAnHour)]
    fn seen_from_now(#[case] dated: Option<Dated>, #[case] standing: Standing) {
        let dated = dated.unwrap();
        let end = dated.seen_at(at(NOW));
        assert_eq!(end.standing, standing);
        assert_eq!(end.kind, dated.kind());
        assert_eq!(end.now, at(NOW));
        assert_eq!(end.is_expired(), matches!(standing, Standing::Expired(_)));
        assert_eq!(
            end.ends_soon(),
            matches!(standing, Standing::ExpiresSoon(_) | Standing::WithinAnHour)
        );
    }

    fn b64(s: &str) -> String {
        STANDARD.encode(s)
    }

    /// The entry as the kubelet reads it: `auth` wins over `username` and `password`.
    #[rstest]
    #[case::auth_only_ecr(
        format!(r#"{{"auth":"{}"}}"#, b64(&format!("AWS:{}", ecr_password(NOW + HOUR, 9)))),
        ecr_at(NOW + HOUR)
    )]
    #[case::username_and_password_ecr(
        format!(r#"{{"username":"AWS","password":"{}"}}"#, ecr_password(NOW - HOUR, 10)),
        ecr_at(NOW - HOUR)
    )]
    #[case::auth_with_newlines(
        format!(r#"{{"auth":"{}"}}"#, {
            let auth = b64(&format!("AWS:{}", ecr_password(NOW + HOUR, 11)));
            format!("{}\\r\\n{}", &auth[..76], &auth[76..])
        }),
        ecr_at(NOW + HOUR)
    )]
    #[case::auth_unpadded(
        format!(r#"{{"auth":"{}"}}"#, STANDARD_NO_PAD.encode(format!("{ACR_USER}:{}", claims_jwt(&format!(r#"{{"exp":{NOW}}}"#))))),
        jwt_at(NOW, None, None)
    )]
    #[case::auth_only_acr_refresh_token(
        format!(r#"{{"auth":"{}"}}"#, b64(&format!("{ACR_USER}:{}", claims_jwt(&format!(r#"{{"exp":{},"iat":{NOW}}}"#, NOW + 3 * HOUR))))),
        jwt_at(NOW + 3 * HOUR, Some(NOW), None)
    )]
    #[case::auth_wins_over_a_dated_password(
        format!(r#"{{"auth":"{}","username":"AWS","password":"{}"}}"#, b64("AWS:plain-password"), ecr_password(NOW, 12)),
        None
    )]
    #[case::auth_wins_with_a_dated_password(
        format!(r#"{{"auth":"{}","username":"AWS","password":"plain"}}"#, b64(&format!("AWS:{}", ecr_password(NOW, 13)))),
        ecr_at(NOW)
    )]
    #[case::empty_auth_leaves_the_password(
        format!(r#"{{"auth":"","username":"x-access-token","password":"{}"}}"#, ghs(36)),
        Some(Dated::GitHubInstallationToken)
    )]
    #[case::dated_user_name_is_not_the_password(
        format!(r#"{{"auth":"{}"}}"#, b64(&format!("{}:plain", ghs(36)))),
        None
    )]
    #[case::first_colon_splits(
        format!(r#"{{"auth":"{}"}}"#, b64("oauth2accesstoken:ya29.a0AfB_byC-1x2y3z4w5v6u7t8s9r0q:x")),
        None
    )]
    #[case::google(
        format!(r#"{{"auth":"{}"}}"#, b64("oauth2accesstoken:ya29.a0AfB_byC-1x2y3z4w5v6u7t8s9r0q")),
        Some(Dated::GoogleAccessToken)
    )]
    #[case::plain(format!(r#"{{"auth":"{}"}}"#, b64("robot:hunter2")), None)]
    #[case::no_credentials(r#"{"identitytoken":"eyJhbGciOi"}"#.into(), None)]
    fn entries(#[case] entry_json: String, #[case] dated: Option<Dated>) {
        let d = json(&format!(r#"{{"auths":{{"r.io":{entry_json}}}}}"#));
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(entry(&d, "r.io").dated, dated);
        let c = cfg(&format!(r#"{{"r.io":{entry_json}}}"#));
        assert_eq!(entry(&c, "r.io").dated, dated);
    }

    #[test]
    fn broken_auth_is_not_dated() {
        let auth = b64(&format!("AWS:{}", ecr_password(NOW, 14)));
        let d = json(&format!(r#"{{"auths":{{"r.io":{{"auth":"{auth}!"}}}}}}"#));
        assert_eq!(d.errors.len(), 1);
        assert_eq!(entry(&d, "r.io").dated, None);
    }

    #[test]
    fn generators_make_what_the_real_tools_print() {
        let password = ecr_password(1_757_147_299, 15);
        // As `aws ecr get-login-password` prints it: `{"payload":"` in base64, padded.
        assert!(password.starts_with("eyJwYXlsb2FkIjoi"), "{password}");
        let decoded = String::from_utf8(STANDARD.decode(&password).unwrap()).unwrap();
        assert!(decoded.ends_with(r#","version":"2","type":"DATA_KEY","expiration":1757147299}"#));
        let token = jwt(r#"{"exp":1}"#, 16);
        assert!(token.starts_with("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjF9."));
        assert_eq!(token.split('.').nth(2).unwrap().len(), 342);
        let d = json(&dockerconfigjson("r.io", "AWS", &password));
        assert_eq!(entry(&d, "r.io").dated, ecr_at(1_757_147_299));
    }

    /// Any 8 bytes of a secret appearing in an output would be a leak.
    fn assert_holds_none_of(output: &str, secrets: &[&[u8]]) {
        for secret in secrets {
            for piece in secret.windows(8) {
                assert!(
                    !output.as_bytes().windows(8).any(|w| w == piece),
                    "{output:?} holds {:?}",
                    String::from_utf8_lossy(piece)
                );
            }
        }
    }

    fn shown(d: &Option<Dated>) -> String {
        let mut out = format!("{d:?}");
        if let Some(d) = d {
            for now in [NOW - 200_000, NOW, NOW + 200_000] {
                let end = d.seen_at(at(now));
                out += &format!("{end:?} {}", crate::words::when::credential_end(&end));
            }
        }
        out
    }

    proptest::proptest! {
        /// Whatever an entry's credentials hold, the facts about their date show none of it.
        #[test]
        fn dated_facts_hold_no_credential(
            payload in proptest::collection::vec(proptest::num::u8::ANY, 8..400),
            datakey in proptest::collection::vec(proptest::num::u8::ANY, 8..200),
            subject in "[A-Za-z0-9+/=_.:-]{8,40}",
            signature in proptest::collection::vec(proptest::num::u8::ANY, 8..300),
            offset in -100_000i64..100_000,
        ) {
            let ecr = ecr_password_with(&payload, &datakey, &(NOW + offset).to_string());
            let claims = format!(r#"{{"sub":"{subject}","exp":{},"iat":{NOW}}}"#, NOW + offset);
            let token = jwt_with(RS256, &claims, &signature);
            for (user, password) in [("AWS", &ecr), (ACR_USER, &token)] {
                let auth = b64(&format!("{user}:{password}"));
                let encoded_payload = STANDARD.encode(&payload);
                let secrets: [&[u8]; 7] = [
                    password.as_bytes(), auth.as_bytes(), &payload, &datakey,
                    subject.as_bytes(), &signature, encoded_payload.as_bytes(),
                ];
                let dated = read(password.as_bytes());
                proptest::prop_assert!(dated.is_some());
                let mut outputs = shown(&dated);
                for content in [
                    format!(r#"{{"auths":{{"r.io":{{"auth":"{auth}"}}}}}}"#),
                    format!(r#"{{"auths":{{"r.io":{{"username":"{user}","password":"{password}"}}}}}}"#),
                ] {
                    let d = json(&content);
                    outputs += &format!("{d:?}");
                    outputs += &shown(&entry(&d, "r.io").dated);
                    proptest::prop_assert_eq!(entry(&d, "r.io").dated, dated);
                }
                assert_holds_none_of(&outputs, &secrets);
            }
        }

        /// Sniffing byte by byte agrees with looking at the whole password.
        #[test]
        fn sniffing_agrees_with_prefixes(
            start in proptest::sample::select(vec!["", "e", "ey", "eyJ", "g", "ghs", "ghs_", "ghp_", "ya29", "ya29.", "ya29_", "eyj"]),
            rest in proptest::collection::vec(proptest::num::u8::ANY, 0..8),
        ) {
            let password = [start.as_bytes(), &rest].concat();
            let mut sniff = Sniff::new();
            password.iter().for_each(|&b| sniff.push(b));
            let expected = PREFIXES.iter().any(|p| password.starts_with(p));
            proptest::prop_assert_eq!(sniff.matched(), expected);
        }
    }
}
