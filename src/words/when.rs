//! Times in words, the one place that writes them: how far a point in time is from now ("2
//! days ago", "in 3 hours"), and when a dated credential stops working ("an Amazon ECR
//! authorization token that expired 2 days ago, at 2026-12-04T08:00:00Z"). The times are
//! [`UnixTime`]s, and `now` is always the caller's.

use std::fmt;

use crate::kubelet::dockerconfig::{CredentialEnd, DatedKind, Standing};
use crate::when::UnixTime;

/// The kind of a dated credential, with its article: "an Amazon ECR authorization token".
pub(crate) fn kind(kind: DatedKind) -> &'static str {
    match kind {
        DatedKind::EcrToken => "an Amazon ECR authorization token",
        DatedKind::Jwt => "a JSON Web Token",
        DatedKind::GitHubInstallationToken => "a GitHub App installation token",
        DatedKind::GoogleAccessToken => "a Google OAuth access token",
    }
}

/// When the credential stops working, seen from its `now`: "expired 2 days ago, at
/// 2026-12-04T08:00:00Z", "expires in 3 hours, at ...", "within an hour of its issue".
pub(crate) fn ends(end: &CredentialEnd) -> String {
    match end.standing {
        Standing::Expired(at) | Standing::ExpiresSoon(at) | Standing::Valid(at) => {
            format!("{}, at {at}", relative(at, end.now).as_expiry())
        }
        Standing::WithinAnHour => "expires within an hour of its issue".into(),
    }
}

/// The credential and its end, as they follow "holds" or "has": "an Amazon ECR authorization
/// token that expired 2 days ago, at 2026-12-04T08:00:00Z".
pub(crate) fn credential_end(end: &CredentialEnd) -> String {
    match end.standing {
        Standing::WithinAnHour => format!(
            "{}, which stops working within an hour of its issue and is not renewed in the Secret",
            kind(end.kind)
        ),
        _ => format!("{} that {}", kind(end.kind), ends(end)),
    }
}

/// Keys and the ends of their credentials, as `(Secret, key, end)`: "Secret \"regcred\" holds
/// for private.registry.com an Amazon ECR authorization token that expired ...", joined with
/// "; ".
pub(crate) fn held_ends<S: AsRef<str>, K: fmt::Display>(
    keys: impl IntoIterator<Item = (S, K, CredentialEnd)>,
) -> String {
    keys.into_iter()
        .map(|(secret, key, end)| {
            format!(
                "Secret {:?} holds for {key} {}",
                secret.as_ref(),
                credential_end(&end)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Where `then` lies relative to `now`; `now` itself counts as past, as a credential that
/// expires this second no longer works.
pub(crate) fn relative(then: UnixTime, now: UnixTime) -> Relative {
    let delta = then.since(now);
    let span = Span::of(delta.unsigned_abs());
    if delta > 0 {
        Relative::Future(span)
    } else {
        Relative::Past(span)
    }
}

/// A length of time as a message words it: rounded to the nearest whole unit, in the largest
/// unit that still reads naturally (90 minutes is "2 hours", 36 hours stays "36 hours").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Span {
    /// Under a minute: the seconds are noise next to clock skew and the time a pull takes.
    UnderAMinute,
    Minutes(u64),
    Hours(u64),
    Days(u64),
    Years(u64),
}

impl Span {
    fn of(secs: u64) -> Span {
        const MINUTE: u64 = 60;
        const HOUR: u64 = 3600;
        const DAY: u64 = 86_400;
        // A Julian year: a year's length to within a day over any span a message mentions.
        const YEAR: u64 = 31_557_600;
        let rounded = |unit: u64| (secs + unit / 2) / unit;
        if secs < MINUTE {
            Span::UnderAMinute
        } else if rounded(MINUTE) < 60 {
            Span::Minutes(rounded(MINUTE))
        } else if rounded(HOUR) < 48 {
            Span::Hours(rounded(HOUR))
        } else if rounded(DAY) < 730 {
            Span::Days(rounded(DAY))
        } else {
            Span::Years(rounded(YEAR))
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match *self {
            Span::UnderAMinute => return f.write_str("less than a minute"),
            Span::Minutes(n) => (n, "minute"),
            Span::Hours(n) => (n, "hour"),
            Span::Days(n) => (n, "day"),
            Span::Years(n) => (n, "year"),
        };
        let plural = if n == 1 { "" } else { "s" };
        write!(f, "{n} {unit}{plural}")
    }
}

/// A point in time seen from now: "in 3 hours", "2 days ago".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relative {
    /// At or before now.
    Past(Span),
    Future(Span),
}

impl Relative {
    /// The same, worded as an expiry: "expired 2 days ago", "expires in 3 hours".
    pub(crate) fn as_expiry(self) -> ExpiryPhrase {
        ExpiryPhrase(self)
    }
}

impl fmt::Display for Relative {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Relative::Past(span) => write!(f, "{span} ago"),
            Relative::Future(span) => write!(f, "in {span}"),
        }
    }
}

/// [`Relative::as_expiry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExpiryPhrase(Relative);

impl fmt::Display for ExpiryPhrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Relative::Past(_) => write!(f, "expired {}", self.0),
            Relative::Future(_) => write!(f, "expires {}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn at(secs: i64) -> UnixTime {
        UnixTime::from_secs(secs).unwrap()
    }

    /// 2026-12-04T08:00:00Z.
    const NOW: i64 = 1_796_371_200;

    #[rstest]
    #[case::now(0, "expired less than a minute ago")]
    #[case::second_ago(-1, "expired less than a minute ago")]
    #[case::second_ahead(1, "expires in less than a minute")]
    #[case::minute(60, "expires in 1 minute")]
    #[case::minute_and_a_half(90, "expires in 2 minutes")]
    #[case::minutes(45 * 60 + 10, "expires in 45 minutes")]
    #[case::almost_an_hour(59 * 60 + 40, "expires in 1 hour")]
    #[case::hour(3600, "expires in 1 hour")]
    #[case::hour_and_a_half(5400, "expires in 2 hours")]
    #[case::three_hours(3 * 3600 - 5, "expires in 3 hours")]
    #[case::ecr_fresh(12 * 3600 - 2, "expires in 12 hours")]
    #[case::a_day_and_a_half(36 * 3600, "expires in 36 hours")]
    #[case::two_days(48 * 3600, "expires in 2 days")]
    #[case::hours_ago(-5 * 3600, "expired 5 hours ago")]
    #[case::two_days_ago(-2 * 86_400 - 100, "expired 2 days ago")]
    #[case::a_year(365 * 86_400, "expires in 365 days")]
    #[case::two_years(2 * 31_557_600, "expires in 2 years")]
    #[case::ten_years_ago(-10 * 31_557_600, "expired 10 years ago")]
    fn expiry_phrases(#[case] offset: i64, #[case] phrase: &str) {
        let then = at(NOW + offset);
        assert_eq!(relative(then, at(NOW)).as_expiry().to_string(), phrase);
    }

    #[test]
    fn relative_phrases() {
        assert_eq!(relative(at(NOW + 7200), at(NOW)).to_string(), "in 2 hours");
        assert_eq!(
            relative(at(NOW - 86_400), at(NOW)).to_string(),
            "24 hours ago"
        );
        assert_eq!(relative(at(NOW - 60), at(NOW)).to_string(), "1 minute ago");
    }

    fn end(kind: DatedKind, standing: Standing) -> CredentialEnd {
        CredentialEnd {
            kind,
            standing,
            now: at(NOW),
        }
    }

    #[rstest]
    #[case::ecr_expired(
        end(DatedKind::EcrToken, Standing::Expired(at(NOW - 2 * 86_400))),
        "an Amazon ECR authorization token that expired 2 days ago, at 2026-12-02T08:00:00Z"
    )]
    #[case::jwt_soon(
        end(DatedKind::Jwt, Standing::ExpiresSoon(at(NOW + 3 * 3600))),
        "a JSON Web Token that expires in 3 hours, at 2026-12-04T11:00:00Z"
    )]
    #[case::jwt_later(
        end(DatedKind::Jwt, Standing::Valid(at(NOW + 30 * 86_400))),
        "a JSON Web Token that expires in 30 days, at 2027-01-03T08:00:00Z"
    )]
    #[case::github(
        end(DatedKind::GitHubInstallationToken, Standing::WithinAnHour),
        "a GitHub App installation token, which stops working within an hour of its issue and is not renewed in the Secret"
    )]
    #[case::google(
        end(DatedKind::GoogleAccessToken, Standing::WithinAnHour),
        "a Google OAuth access token, which stops working within an hour of its issue and is not renewed in the Secret"
    )]
    fn credential_ends(#[case] end: CredentialEnd, #[case] phrase: &str) {
        assert_eq!(credential_end(&end), phrase);
    }
}
