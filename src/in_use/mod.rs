//! Pull secrets still in use: a Secret deleted, or updated so that it no longer serves a
//! registry, or a ServiceAccount that stops giving its Pods a pull secret, while Pods and pod
//! templates in the namespace still pull with it (cluster lookups, `pullSecretsInUse`).
//!
//! `listing` says what the policy lists and reads into; `check` finds the users, as data,
//! with the kubelet's keyring deciding which images need the Secret; `words` words them.

pub(crate) mod check;
pub(crate) mod listing;
pub(crate) mod words;
