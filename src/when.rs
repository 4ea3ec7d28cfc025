//! Points in time as messages about credentials show them: an RFC 3339 date, and how far it is
//! from now in words ("expired 2 days ago", "expires in 3 hours").
//!
//! Nothing here reads a clock: the policy must give the same verdict for the same request, and
//! tests must be able to fix the time, so `now` is always the caller's. This module knows
//! nothing of pull secrets; it is to move into the wording layer.

use std::fmt;

/// Seconds since 1970-01-01T00:00:00Z, within the years 0000 to 9999, so that every value has
/// an RFC 3339 form (which has four-digit years).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct UnixTime(i64);

impl UnixTime {
    /// 0000-01-01T00:00:00Z.
    const MIN: i64 = -62_167_219_200;
    /// 9999-12-31T23:59:59Z.
    const MAX: i64 = 253_402_300_799;

    /// `None` outside the years 0000 to 9999.
    pub(crate) const fn from_secs(secs: i64) -> Option<UnixTime> {
        if Self::MIN <= secs && secs <= Self::MAX {
            Some(UnixTime(secs))
        } else {
            None
        }
    }

    #[allow(dead_code)] // used by the expiry checks (issue 17)
    pub(crate) const fn secs(self) -> i64 {
        self.0
    }

    /// Where `self` lies relative to `now`; `now` itself counts as past, as a credential that
    /// expires this second no longer works.
    #[allow(dead_code)] // used by the expiry checks (issue 17)
    pub(crate) fn relative_to(self, now: UnixTime) -> Relative {
        // Both are within the years 0000 to 9999: the difference cannot overflow.
        let delta = self.0 - now.0;
        let span = Span::of(delta.unsigned_abs());
        if delta > 0 {
            Relative::Future(span)
        } else {
            Relative::Past(span)
        }
    }
}

/// RFC 3339 in UTC, to the second: `2026-12-04T08:00:00Z`.
impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, secs) = (self.0.div_euclid(86_400), self.0.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, <https://howardhinnant.github.io/date_algorithms.html>). Written out
/// rather than taken from a date crate: it is the only calendar arithmetic the policy needs,
/// and the crates that do it add tens of KiB to a module that must stay small.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Counted from 0000-03-01, so that the leap day ends each 400-year era's years.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_based_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * march_based_month + 2) / 5 + 1;
    let month = if march_based_month < 10 {
        march_based_month + 3
    } else {
        march_based_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
    #[allow(dead_code)] // used by the expiry checks (issue 17)
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
    #[allow(dead_code)] // used by the expiry checks (issue 17)
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

    #[rstest]
    #[case::epoch(0, "1970-01-01T00:00:00Z")]
    #[case::before_the_epoch(-1, "1969-12-31T23:59:59Z")]
    #[case::example(1_796_371_200, "2026-12-04T08:00:00Z")]
    #[case::leap_day(951_782_400, "2000-02-29T00:00:00Z")]
    #[case::after_a_leap_day(951_868_800, "2000-03-01T00:00:00Z")]
    #[case::end_of_a_leap_year(1_609_459_199, "2020-12-31T23:59:59Z")]
    #[case::not_a_leap_year_2100(4_107_542_400, "2100-03-01T00:00:00Z")]
    #[case::ecr_example(1_757_147_299, "2025-09-06T08:28:19Z")]
    #[case::first(UnixTime::MIN, "0000-01-01T00:00:00Z")]
    #[case::last(UnixTime::MAX, "9999-12-31T23:59:59Z")]
    fn rfc_3339(#[case] secs: i64, #[case] shown: &str) {
        assert_eq!(at(secs).to_string(), shown);
    }

    #[test]
    fn out_of_range() {
        assert_eq!(UnixTime::from_secs(UnixTime::MIN - 1), None);
        assert_eq!(UnixTime::from_secs(UnixTime::MAX + 1), None);
        assert_eq!(UnixTime::from_secs(i64::MAX), None);
        assert_eq!(UnixTime::from_secs(i64::MIN), None);
    }

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
        assert_eq!(then.relative_to(at(NOW)).as_expiry().to_string(), phrase);
    }

    #[test]
    fn relative_phrases() {
        assert_eq!(
            at(NOW + 7200).relative_to(at(NOW)).to_string(),
            "in 2 hours"
        );
        assert_eq!(
            at(NOW - 86_400).relative_to(at(NOW)).to_string(),
            "24 hours ago"
        );
        assert_eq!(
            at(NOW - 60).relative_to(at(NOW)).to_string(),
            "1 minute ago"
        );
    }

    proptest::proptest! {
        /// The formatted date reads back as the same seconds (days from civil, the inverse,
        /// computed independently).
        #[test]
        fn formatting_round_trips(secs in UnixTime::MIN..=UnixTime::MAX) {
            let shown = at(secs).to_string();
            let num = |r: std::ops::Range<usize>| shown[r].parse::<i64>().unwrap();
            let (y, m, d) = (num(0..4), num(5..7), num(8..10));
            let (hh, mm, ss) = (num(11..13), num(14..16), num(17..19));
            let y_adj = if m <= 2 { y - 1 } else { y };
            let era = y_adj.div_euclid(400);
            let yoe = y_adj - era * 400;
            let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            let days = era * 146_097 + doe - 719_468;
            proptest::prop_assert_eq!(days * 86_400 + hh * 3600 + mm * 60 + ss, secs);
            proptest::prop_assert!((1..=12).contains(&m) && (1..=31).contains(&d));
        }
    }
}
