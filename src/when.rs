//! Points in time, as data: seconds since the epoch, shown as RFC 3339.
//!
//! Nothing here reads a clock: the policy must give the same verdict for the same request, and
//! tests must be able to fix the time, so `now` is always the caller's (the waPC shell reads the
//! WASI clock, the page passes `Date.now()`). How far a time is from now, in words, is
//! [`words::when`](crate::words::when)'s.

use std::fmt;

/// A point in time: seconds since 1970-01-01T00:00:00Z, within the years 0000 to 9999, so that
/// every value has an RFC 3339 form (which has four-digit years). The policy is given the
/// current time as one of these, and reads the times credentials carry into them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

impl UnixTime {
    /// 0000-01-01T00:00:00Z.
    const MIN: i64 = -62_167_219_200;
    /// 9999-12-31T23:59:59Z.
    const MAX: i64 = 253_402_300_799;

    /// 1970-01-01T00:00:00Z: what a front end whose clock cannot be read may pass. Every dated
    /// credential then lies decades ahead, so that nothing is judged expired.
    pub const EPOCH: UnixTime = UnixTime(0);

    /// `secs` seconds after 1970-01-01T00:00:00Z (before it when negative); `None` outside
    /// the years 0000 to 9999.
    pub const fn from_secs(secs: i64) -> Option<UnixTime> {
        if Self::MIN <= secs && secs <= Self::MAX {
            Some(UnixTime(secs))
        } else {
            None
        }
    }

    /// The time `millis` milliseconds after the epoch, as JavaScript's `Date.now()` gives it,
    /// to the second below; [`EPOCH`](UnixTime::EPOCH) for a value that is not a time.
    pub fn from_millis(millis: f64) -> UnixTime {
        // `as` saturates, and NaN becomes 0: the range check decides.
        UnixTime::from_secs((millis / 1000.0).floor() as i64).unwrap_or(UnixTime::EPOCH)
    }

    /// 2026-12-04T08:00:00Z: the time the unit tests judge dated credentials at.
    #[cfg(test)]
    pub(crate) const TEST_NOW: UnixTime = UnixTime(1_796_371_200);

    /// Seconds since the epoch.
    pub const fn secs(self) -> i64 {
        self.0
    }

    /// Seconds from `earlier` to `self` (negative when `self` is earlier). Both lie within the
    /// years 0000 to 9999: the difference cannot overflow.
    pub(crate) const fn since(self, earlier: UnixTime) -> i64 {
        self.0 - earlier.0
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

    #[rstest]
    #[case::date_now(1_796_371_200_999.0, Some(1_796_371_200))]
    #[case::whole(1_796_371_200_000.0, Some(1_796_371_200))]
    #[case::before_the_epoch(-1.0, Some(-1))]
    #[case::nan(f64::NAN, None)]
    #[case::infinite(f64::INFINITY, None)]
    #[case::too_late(1e20, None)]
    fn from_javascript(#[case] millis: f64, #[case] secs: Option<i64>) {
        let expected = secs.map_or(UnixTime::EPOCH, at);
        assert_eq!(UnixTime::from_millis(millis), expected);
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
