//! Go's `net.SplitHostPort`, with the kubelet's fallback (`SplitURL`): when Go refuses the
//! string, the whole of it is the host and there is no port. The one splitter of `host[:port]`
//! in the crate: image domains, registry keys and settings entries all go through it, so that
//! they are cut by the same rule (brackets included).

use std::ops::Range;

/// `(host, port)`; `port` is `""` when there is none.
pub(crate) fn split_host_port(host_port: &str) -> (&str, &str) {
    let (host, port) = split_ranges(host_port);
    (&host_port[host], &host_port[port])
}

/// [`split_host_port`] as byte ranges, so that a location can keep them.
pub(super) fn split_ranges(hp: &str) -> (Range<usize>, Range<usize>) {
    let mut shape = HostPortShape::default();
    hp.bytes().enumerate().for_each(|(i, b)| shape.see(i, b));
    shape.split(hp)
}

/// What Go's `net.SplitHostPort` looks for in a `host[:port]`, gathered in one pass (that may
/// be doing other work, such as the scan of a registry key) instead of Go's several searches:
/// every registry key of a pull secret and every image domain is split.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct HostPortShape {
    colons: usize,
    last_colon: usize,
    opens: usize,
    closes: usize,
    first_close: Option<usize>,
    /// A `*` was seen.
    star: bool,
}

impl HostPortShape {
    /// Takes in byte `b`, at index `i` of the `host[:port]`.
    pub(super) fn see(&mut self, i: usize, b: u8) {
        match b {
            b':' => (self.colons, self.last_colon) = (self.colons + 1, i),
            b'[' => self.opens += 1,
            b']' => {
                self.closes += 1;
                self.first_close.get_or_insert(i);
            }
            b'*' => self.star = true,
            _ => {}
        }
    }

    /// Host and port ranges of `hp`, the string seen; on Go's errors the kubelet's fallback of
    /// the whole string and no port.
    pub(super) fn split(&self, hp: &str) -> (Range<usize>, Range<usize>) {
        let whole = (0..hp.len(), hp.len()..hp.len());
        if self.colons == 0 {
            return whole;
        }
        let host = if hp.starts_with('[') {
            // `[host]:port`, and no other bracket anywhere.
            match self.first_close {
                Some(end) if end + 1 == self.last_colon && self.opens == 1 && self.closes == 1 => {
                    1..end
                }
                _ => return whole,
            }
        } else {
            // `host:port`: one colon, no bracket.
            if self.colons > 1 || self.opens > 0 || self.closes > 0 {
                return whole;
            }
            0..self.last_colon
        };
        (host, self.last_colon + 1..hp.len())
    }

    /// Where the first `]` is, if any: the end of an IPv6 address.
    pub(super) fn first_close(&self) -> Option<usize> {
        self.first_close
    }

    /// Where the last `:` is, if there is one.
    pub(super) fn last_colon(&self) -> Option<usize> {
        (self.colons > 0).then_some(self.last_colon)
    }

    /// Whether the `host` that [`split`](Self::split) cut holds no glob character, for a
    /// registry key's host, where neither `?` nor `\\` can be.
    pub(super) fn literal_host(&self, host: &Range<usize>) -> bool {
        // A `[` is in the host unless it is the one opening `[IPv6]:port`.
        !self.star && (self.opens == 0 || host.start == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::host_and_port("registry:5000", "registry", "5000")]
    #[case::host_only("registry", "registry", "")]
    #[case::ipv6_and_port("[::1]:5000", "::1", "5000")]
    #[case::ipv6_without_port("[::1]", "[::1]", "")]
    #[case::too_many_colons("a:b:c", "a:b:c", "")]
    #[case::empty_port("registry:", "registry", "")]
    fn splits_like_go(#[case] input: &str, #[case] host: &str, #[case] port: &str) {
        assert_eq!(split_host_port(input), (host, port));
    }

    /// Go's `net.SplitHostPort` as Go writes it, search by search: the oracle for the one-pass
    /// version.
    fn oracle(hp: &str) -> (&str, &str) {
        let split = || {
            let colon = hp.rfind(':')?;
            let (host, j, k) = if hp.starts_with('[') {
                let end = hp.find(']')?;
                if end + 1 != colon {
                    return None;
                }
                (&hp[1..end], 1, end + 1)
            } else {
                if hp[..colon].contains(':') {
                    return None;
                }
                (&hp[..colon], 0, 0)
            };
            if hp[j..].contains('[') || hp[k..].contains(']') {
                return None;
            }
            Some((host, &hp[colon + 1..]))
        };
        split().unwrap_or((hp, ""))
    }

    proptest::proptest! {
        // Cheap cases, and the interesting ones are rare among random strings.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        #[test]
        fn one_pass_split_agrees_with_go(hp in "[a1:\\[\\]]{0,8}") {
            proptest::prop_assert_eq!(split_host_port(&hp), oracle(&hp));
        }
    }
}
