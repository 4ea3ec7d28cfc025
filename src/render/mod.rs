//! Findings into words: every message and warning the policy gives is written here, from the
//! findings the checks return as data. No credential reaches this module: findings hold
//! registry keys (cut with [`show_key`](crate::dockerconfig::show_key)), field names, Secret
//! names and registries, never values.

pub(crate) mod hints;
pub(crate) mod mutation;
pub(crate) mod page;
pub(crate) mod pod;
pub(crate) mod secret;

/// `a, b, c`.
pub(crate) fn list(names: &[impl AsRef<str>]) -> String {
    names
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}
