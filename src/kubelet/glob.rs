//! Go's `path/filepath.Match`, for one DNS label.
//!
//! The kubelet matches each label of a credential key against the image's label with Go's
//! `filepath.Match` (`*`, `?`, `[...]` with `^` negation, ranges and `\` escapes). The `glob`
//! and `globset` crates speak other dialects (`[!...]`, `**`, no error on `[]`), and the verdict
//! must be the kubelet's to the letter, so this small matcher is written here. Like Go's, it
//! interprets the pattern as it goes: nothing is compiled or allocated, which matters because
//! every registry key of every pull secret is matched on the request path.
//!
//! Labels never hold `/`, so the separator rule of `filepath.Match` (a `*` stops at `/`) never
//! applies. A malformed pattern matches nothing: the kubelet ignores `Match`'s error and
//! treats it as a miss.

/// Whether `pattern` has no glob characters, so that it matches only itself.
pub fn is_literal(pattern: &str) -> bool {
    !pattern
        .bytes()
        .any(|b| matches!(b, b'*' | b'?' | b'[' | b'\\'))
}

/// Whether Go's `filepath.Match` would accept `pattern` without `ErrBadPattern`.
pub fn is_valid(pattern: &str) -> bool {
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '\\' => match rest.chars().next() {
                Some(e) => rest = &rest[e.len_utf8()..],
                None => return false,
            },
            '[' => match class(rest, None) {
                Some((_, after)) => rest = after,
                None => return false,
            },
            _ => {}
        }
    }
    true
}

/// Whether `name` matches the whole of `pattern`; a malformed pattern matches nothing.
pub fn matches(pattern: &str, name: &str) -> bool {
    if is_literal(pattern) {
        return pattern == name;
    }
    is_valid(pattern) && matches_from(pattern, name)
}

/// Matches with one backtrack point, the last `*`: every other element matches exactly one
/// character, so retrying the last `*` one character further is enough. The work is at most
/// the product of the lengths, whatever the pattern (the naive recursion is exponential in the
/// number of `*`, and a pattern comes from a pull secret anyone may write).
fn matches_from(pattern: &str, name: &str) -> bool {
    let (mut p, mut n) = (0, 0);
    // Where to resume after the last `*`: the pattern after it, and the name it next tries.
    let mut star: Option<(usize, usize)> = None;
    loop {
        match pattern[p..].chars().next() {
            Some('*') => {
                p += 1;
                star = Some((p, n));
                continue;
            }
            Some(_) => {
                if let Some(c) = name[n..].chars().next()
                    && let Some(rest) = one(&pattern[p..], c)
                {
                    p = pattern.len() - rest.len();
                    n += c.len_utf8();
                    continue;
                }
            }
            None if n == name.len() => return true,
            None => {}
        }
        match star {
            Some((after_star, tried)) => match name[tried..].chars().next() {
                Some(c) => {
                    let next = tried + c.len_utf8();
                    star = Some((after_star, next));
                    (p, n) = (after_star, next);
                }
                None => return false,
            },
            None => return false,
        }
    }
}

/// Matches the pattern's first element (not `*`) against `c`: the pattern after it, if so.
fn one(pattern: &str, c: char) -> Option<&str> {
    let mut chars = pattern.chars();
    let (ok, rest) = match chars.next()? {
        '?' => (true, chars.as_str()),
        '\\' => {
            let e = chars.next()?;
            (e == c, chars.as_str())
        }
        '[' => class(chars.as_str(), Some(c))?,
        literal => (literal == c, chars.as_str()),
    };
    ok.then_some(rest)
}

/// Reads a character class after its `[`: whether `c` is in it (when given) and the pattern
/// after its `]`; `None` when malformed, as Go's `getEsc` decides: `-` and `]` must be escaped,
/// a class needs one range, and it must close before the pattern ends.
fn class(pattern: &str, c: Option<char>) -> Option<(bool, &str)> {
    let (negated, mut rest) = match pattern.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let mut found = false;
    let mut ranges = 0;
    loop {
        if ranges > 0
            && let Some(after) = rest.strip_prefix(']')
        {
            return Some((found != negated, after));
        }
        let (lo, after) = class_char(rest)?;
        let (hi, after) = match after.strip_prefix('-') {
            Some(after) => class_char(after)?,
            None => (lo, after),
        };
        rest = after;
        found |= c.is_some_and(|c| lo <= c && c <= hi);
        ranges += 1;
    }
}

fn class_char(pattern: &str) -> Option<(char, &str)> {
    let mut chars = pattern.chars();
    let c = match chars.next()? {
        '-' | ']' => return None,
        '\\' => chars.next()?,
        c => c,
    };
    let rest = chars.as_str();
    // Go refuses a class whose last range ends the pattern without `]`.
    if rest.is_empty() {
        return None;
    }
    Some((c, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    // Adapted from the table in Go's path/filepath match_test.go (no separators here).
    #[rstest]
    #[case("abc", "abc", true)]
    #[case("*", "abc", true)]
    #[case("*c", "abc", true)]
    #[case("a*", "a", true)]
    #[case("a*", "abc", true)]
    #[case("a*b*c*d*e*", "axbxcxdxe", true)]
    #[case("a*b?c*x", "abxbbxdbxebxczzx", true)]
    #[case("a*b?c*x", "abxbbxdbxebxczzy", false)]
    #[case("ab[c]", "abc", true)]
    #[case("ab[b-d]", "abc", true)]
    #[case("ab[e-g]", "abc", false)]
    #[case("ab[^c]", "abc", false)]
    #[case("ab[^b-d]", "abc", false)]
    #[case("ab[^e-g]", "abc", true)]
    #[case("a\\*b", "a*b", true)]
    #[case("a\\*b", "ab", false)]
    #[case("a?b", "a☺b", true)]
    #[case("a[^a]b", "a☺b", true)]
    #[case("a???b", "a☺b", false)]
    #[case("[a-ζ]*", "α", true)]
    #[case("*[a-ζ]", "A", false)]
    #[case("[\\-]", "-", true)]
    #[case("[x\\-]", "x", true)]
    #[case("[x\\-]", "-", true)]
    #[case("[x\\-]", "z", false)]
    #[case("[\\-x]", "a", false)]
    #[case("*x", "xxx", true)]
    #[case("", "", true)]
    #[case("", "a", false)]
    #[case("?", "", false)]
    fn go_filepath_match_cases(#[case] pattern: &str, #[case] name: &str, #[case] matched: bool) {
        assert_eq!(matches(pattern, name), matched);
    }

    #[rstest]
    fn malformed_patterns_match_nothing(
        #[values(
            "[]a]", "[-]", "[x-]", "[\\-x", "\\", "[a-b-c]", "[", "[^", "[^bc", "a["
        )]
        pattern: &str,
    ) {
        assert!(!is_valid(pattern));
        assert!(!matches(pattern, "a"));
        assert!(!matches(pattern, pattern));
    }

    #[test]
    fn many_stars_take_no_time() {
        let pattern = format!("{}x", "*".repeat(200));
        let name = "a".repeat(300);
        assert!(!matches(&pattern, &name));
        assert!(matches(&pattern, &format!("{name}x")));
    }

    /// The naive recursion, as an oracle for the one-backtrack matcher.
    fn recursive(pattern: &str, name: &str) -> bool {
        let Some(p) = pattern.chars().next() else {
            return name.is_empty();
        };
        if p == '*' {
            let rest = &pattern[1..];
            return name
                .char_indices()
                .map(|(i, _)| i)
                .chain([name.len()])
                .any(|skip| recursive(rest, &name[skip..]));
        }
        let Some(c) = name.chars().next() else {
            return false;
        };
        one(pattern, c).is_some_and(|rest| recursive(rest, &name[c.len_utf8()..]))
    }

    proptest::proptest! {
        #[test]
        fn one_backtrack_agrees_with_recursion(pattern in "[ab*?\\[\\]^\\\\-]{0,8}", name in "[ab-]{0,8}") {
            if is_valid(&pattern) {
                proptest::prop_assert_eq!(matches_from(&pattern, &name), recursive(&pattern, &name));
            }
        }
    }

    #[test]
    fn literal_detection() {
        assert!(is_literal("registry"));
        assert!(!is_literal("*"));
        assert!(!is_literal("reg?stry"));
    }
}
