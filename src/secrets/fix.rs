//! How a pull secret is written right: which registries it must serve. One rule for every
//! message that suggests rewriting a Secret (the Secret check's, and the pod check's about
//! the Secrets a Pod references); [`kubectl`](crate::words::kubectl) writes the command.

use crate::kubelet::dockerconfig::{DatedKind, DecodeError, key_may_hold_credentials};
use crate::kubelet::registry::{KeyError, RegistryKey};
use crate::settings::{Registry, Settings};

/// The fix of a Secret: write it with `kubectl create secret docker-registry` for `servers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretFix {
    pub(crate) servers: Vec<String>,
    /// The Secret exists with another type, which cannot change: delete it first.
    pub(crate) delete_first: bool,
    /// Credentials that have expired, each to be written again with a fresh token.
    pub(crate) refresh: Vec<Refresh>,
}

/// A credential of a Secret that has expired: written again, with a fresh token of its kind,
/// for `server`; `entry` is the settings entry it serves, whose `pullSecrets` may leave the
/// registry to the nodes' own credentials instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refresh {
    pub(crate) server: String,
    pub(crate) kind: DatedKind,
    pub(crate) entry: String,
}

impl SecretFix {
    pub(crate) fn serving(servers: Vec<String>) -> SecretFix {
        SecretFix {
            servers,
            delete_first: false,
            refresh: Vec::new(),
        }
    }

    /// For Secret `name`: the registries the settings declare it for, else, when it cannot be
    /// decoded (`errors`), the broken keys it holds.
    pub(crate) fn declared(settings: &Settings, name: &str, errors: &[DecodeError]) -> SecretFix {
        let mut servers: Vec<String> = settings
            .registries_served_by(name)
            .map(server_for)
            .collect();
        if servers.is_empty() {
            servers = servers_of_broken_keys(errors);
        }
        SecretFix::serving(servers)
    }
}

/// The broken keys of undecodable content, as the kubelet parses them: servers for its fix.
/// Keys with user info are left out: what Go parses as their host or path may hide a password.
pub(crate) fn servers_of_broken_keys(errors: &[DecodeError]) -> Vec<String> {
    errors
        .iter()
        .filter_map(DecodeError::key)
        .filter(|key| !key_may_hold_credentials(key))
        .filter_map(|key| RegistryKey::parse(key).ok())
        .map(|k| k.to_string())
        .collect()
}

/// The server a fix names for a settings entry. A glob entry gets a placeholder: a key that
/// is the glob would hand the credentials to every registry it matches.
pub(crate) fn server_for(registry: &Registry) -> String {
    let entry = registry.entry();
    if entry.has_glob() {
        return format!("<the registry matching {entry}>");
    }
    // The kubelet drops a key's leading `/v1` or `/v2` segment (an API version to Docker), so
    // a path that starts with one is written behind a `/v2` that is dropped in its place.
    match entry.path().split('/').next() {
        Some("v1" | "v2") => format!("{}/v2/{}", entry.host_port(), entry.path()),
        _ => entry.to_string(),
    }
}

/// The server a fresh credential is written for: the registry's, or for a glob entry (an ECR
/// registry is usually `*.dkr.ecr.*.amazonaws.com`) the expired key's own, which did serve it,
/// unless the key holds user info (what Go parses as its host may hide a password).
pub(crate) fn refresh_server(
    registry: &Registry,
    raw_key: &str,
    key: &Result<RegistryKey<'_>, KeyError>,
) -> String {
    match key {
        Ok(key) if registry.entry().has_glob() && !key_may_hold_credentials(raw_key) => {
            key.to_string()
        }
        _ => server_for(registry),
    }
}
