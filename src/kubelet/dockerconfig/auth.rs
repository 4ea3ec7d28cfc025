//! Base64 as Go's `encoding/base64` decodes it, and an entry's `auth` as the kubelet's
//! `decodeDockerConfigFieldAuth` reads it, compared with the entry's `username` and `password`
//! without keeping any of them.

use base64::Engine as _;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::expiry::Sniff;

pub(super) enum AuthError {
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
pub(crate) fn go_std_base64(value: &[u8]) -> Option<Vec<u8>> {
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

/// What the kubelet makes of an entry's `auth`, given the entry's `username` and `password`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct AuthFacts {
    /// The decoded user name or password is not empty.
    pub(super) has_credentials: bool,
    /// `username` or `password` is given and differs from what `auth` holds.
    pub(super) disagrees: bool,
    /// The password `auth` holds starts like a dated credential: worth [`with_auth_password`].
    pub(super) may_be_dated: bool,
}

/// The kubelet's `decodeDockerConfigFieldAuth`: padded base64 when the (trimmed) value ends in
/// `=`, unpadded otherwise; the result must hold the `:` between user name and password.
///
/// The decoded bytes are compared as they come out of the decoder and never stored, not even on
/// the stack: nothing is left to leak, and nothing is copied (one `auth` per registry key, on
/// every request for a pull secret).
pub(super) fn inspect_auth(
    auth: &str,
    username: &[u8],
    password: &[u8],
) -> Result<AuthFacts, AuthError> {
    let padded = is_padded(auth);
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

/// Hands `f` the password `auth` holds (after the first `:`), decoded as [`inspect_auth`]
/// decodes it, and drops it. Only for the rare `auth` whose password may be dated: the others
/// are never decoded into memory.
pub(super) fn with_auth_password<R>(auth: &str, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    let engine = if is_padded(auth) { &PADDED } else { &UNPADDED };
    let decoded = decode_with(engine, auth.as_bytes())?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    Some(f(&decoded[colon + 1..]))
}

/// The kubelet's choice of decoder: padded base64 when the trimmed `auth` ends in `=`.
fn is_padded(auth: &str) -> bool {
    auth.trim_end().ends_with('=')
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
    /// The password's first bytes, as far as they tell whether it may be dated.
    sniff: Sniff,
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
            sniff: Sniff::new(),
        }
    }

    fn push(&mut self, b: u8) {
        if self.has_colon {
            self.sniff.push(b);
        } else {
            self.has_colon = b == b':';
        }
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
            may_be_dated: self.sniff.matched(),
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

    #[test]
    fn dated_passwords_are_sniffed_after_the_first_colon() {
        let may_be_dated = |decoded: &str| {
            let auth = base64::engine::general_purpose::STANDARD.encode(decoded);
            inspect_auth(&auth, b"", b"").ok().map(|f| f.may_be_dated)
        };
        assert_eq!(may_be_dated("AWS:eyJwYXlsb2Fk"), Some(true));
        assert_eq!(may_be_dated("x-access-token:ghs_x"), Some(true));
        assert_eq!(may_be_dated("oauth2accesstoken:ya29.x"), Some(true));
        assert_eq!(may_be_dated("AWS:ya29"), Some(false));
        assert_eq!(may_be_dated("ghs_x:password"), Some(false));
        assert_eq!(may_be_dated("u:p:ghs_x"), Some(false));
        assert_eq!(may_be_dated("AWS:"), Some(false));
        let password = with_auth_password("QVdTOmV5Sjpw", |p| p.to_vec());
        assert_eq!(password.as_deref(), Some(&b"eyJ:p"[..]));
        assert_eq!(with_auth_password("d*pw", |_| ()), None);
        assert_eq!(with_auth_password("dXA=", |_| ()), None);
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
                may_be_dated: false,
            };
            let facts = inspect_auth(&auth, given_user.as_bytes(), given_pass.as_bytes());
            proptest::prop_assert_eq!(facts.ok(), Some(expected));
        }
    }
}
