//! Go's `path/filepath.Match`, for one DNS label.
//!
//! The kubelet matches each label of a credential key against the image's label with Go's
//! `filepath.Match` (`*`, `?`, `[...]` with `^` negation, ranges and `\` escapes). The `glob`
//! and `globset` crates speak other dialects (`[!...]`, `**`, no error on `[]`), and the verdict
//! must be the kubelet's to the letter, so this small matcher is written here.
//!
//! Labels never hold `/`, so the separator rule of `filepath.Match` (a `*` stops at `/`) never
//! applies. A malformed pattern matches nothing: the kubelet ignores `Match`'s error and
//! treats it as a miss.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    AnyChar,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A compiled glob. `None` from [`Glob::new`] means the pattern is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    tokens: Vec<Token>,
}

impl Glob {
    /// Compiles `pattern`; `None` when Go's `filepath.Match` would return `ErrBadPattern`.
    pub fn new(pattern: &str) -> Option<Glob> {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            let token = match c {
                '*' => Token::Star,
                '?' => Token::AnyChar,
                '\\' => Token::Literal(chars.next()?),
                '[' => {
                    let negated = chars.next_if_eq(&'^').is_some();
                    let mut ranges = Vec::new();
                    loop {
                        if !ranges.is_empty() && chars.next_if_eq(&']').is_some() {
                            break;
                        }
                        let lo = class_char(&mut chars)?;
                        let hi = if chars.next_if_eq(&'-').is_some() {
                            class_char(&mut chars)?
                        } else {
                            lo
                        };
                        ranges.push((lo, hi));
                    }
                    Token::Class { negated, ranges }
                }
                c => Token::Literal(c),
            };
            tokens.push(token);
        }
        Some(Glob { tokens })
    }

    /// Whether the pattern has no glob characters at all.
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Literal(_)))
    }

    /// Whether `name` matches the whole pattern.
    pub fn matches(&self, name: &str) -> bool {
        matches_from(&self.tokens, name)
    }
}

/// One character of a class, as Go's `getEsc` reads it: `-` and `]` must be escaped, and the
/// class must not run off the end of the pattern.
fn class_char(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    let c = match chars.next()? {
        '-' | ']' => return None,
        '\\' => chars.next()?,
        c => c,
    };
    // Go refuses a class whose last range ends the pattern without `]`.
    chars.peek()?;
    Some(c)
}

fn matches_from(tokens: &[Token], name: &str) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return name.is_empty();
    };
    match first {
        Token::Star => name
            .char_indices()
            .map(|(i, _)| i)
            .chain([name.len()])
            .any(|skip| matches_from(rest, &name[skip..])),
        token => {
            let mut chars = name.chars();
            match chars.next() {
                Some(c) if token_matches(token, c) => matches_from(rest, chars.as_str()),
                _ => false,
            }
        }
    }
}

fn token_matches(token: &Token, c: char) -> bool {
    match token {
        Token::Literal(l) => *l == c,
        Token::AnyChar => true,
        Token::Class { negated, ranges } => {
            ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
        }
        Token::Star => unreachable!("stars are handled by matches_from"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, name: &str) -> bool {
        Glob::new(pattern).is_some_and(|g| g.matches(name))
    }

    #[test]
    fn go_filepath_match_cases() {
        // Adapted from the table in Go's path/filepath match_test.go (no separators here).
        let cases: &[(&str, &str, bool)] = &[
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*b*c*d*e*", "axbxcxdxe", true),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a☺b", true),
            ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false),
            ("[a-ζ]*", "α", true),
            ("*[a-ζ]", "A", false),
            ("[\\-]", "-", true),
            ("[x\\-]", "x", true),
            ("[x\\-]", "-", true),
            ("[x\\-]", "z", false),
            ("[\\-x]", "a", false),
            ("*x", "xxx", true),
            ("", "", true),
            ("", "a", false),
            ("?", "", false),
        ];
        for &(pattern, name, want) in cases {
            assert_eq!(m(pattern, name), want, "{pattern:?} vs {name:?}");
        }
    }

    #[test]
    fn malformed_patterns_match_nothing() {
        for pattern in [
            "[]a]", "[-]", "[x-]", "[\\-x", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[",
        ] {
            assert!(
                Glob::new(pattern).is_none(),
                "{pattern:?} should be malformed"
            );
        }
    }

    #[test]
    fn literal_detection() {
        assert!(Glob::new("registry").unwrap().is_literal());
        assert!(!Glob::new("*").unwrap().is_literal());
        assert!(!Glob::new("reg?stry").unwrap().is_literal());
    }
}
