//! Words every feature shares: a near miss (`near_miss`), what the kubelet makes of a pull
//! secret (`pull_secret`), times and the ends of dated credentials (`when`), and the `kubectl` commands the messages and the page suggest
//! (`kubectl`). Each feature words its own findings beside its check; these are the phrases
//! that must read the same wherever they appear. No credential reaches them: they are given
//! registry keys as [`ShownKey`](crate::kubelet::dockerconfig::ShownKey)s, field names,
//! Secret names and registries, never values.

pub(crate) mod kubectl;
pub(crate) mod near_miss;
pub(crate) mod pull_secret;
pub(crate) mod when;

/// `a, b, c`.
pub(crate) fn list(names: &[impl AsRef<str>]) -> String {
    names
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `a, b and c`, with `conjunction` (`and`, `or`) before the last.
pub(crate) fn joined(names: &[impl AsRef<str>], conjunction: &str) -> String {
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.as_ref().to_owned(),
        Some((last, rest)) => format!("{} {conjunction} {}", list(rest), last.as_ref()),
    }
}
