//! A Secret as the kubelet reads it when a Pod names it in `imagePullSecrets`
//! (`pkg/credentialprovider/secrets`): which content it takes, and what each registry key in
//! it is worth. Shared by the check of Secrets written to the cluster and by the check of the
//! Secrets a Pod really references (cluster lookups).

use std::borrow::Cow;

use crate::kubelet::dockerconfig::{
    self, Decoded, Format, ShownKey, key_may_hold_credentials, show_key,
};
use crate::kubelet::registry::{KeyError, RegistryKey};
use crate::request::{Object, PullSecretData};

/// Why the kubelet ignores a Secret it is given as a pull secret. The one model of it: the
/// keyring, the Secret check, the troubleshooter and their words all speak of this enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ignored {
    /// Not of a pull-secret type, whatever it holds; `holds` the pull-secret keys it holds
    /// nonetheless (what `kubectl create secret generic --from-file=.dockerconfigjson` writes).
    OtherType {
        secret_type: String,
        holds: Vec<Format>,
    },
    /// A pull-secret type without its data key (the API server refuses it).
    MissingKey { format: Format, secret_type: String },
    /// `data` that is not base64 (only unvalidated input gets here).
    NotBase64 { format: Format },
    /// An empty data key.
    Empty { format: Format },
}

/// What the kubelet takes from a Secret.
pub(crate) enum Read<'s> {
    Ignored(Ignored),
    /// The content the kubelet decodes.
    Content {
        format: Format,
        bytes: Cow<'s, [u8]>,
    },
}

/// Reads `secret` as the kubelet would: the type decides the data key, and `stringData` (as
/// the API server merges it) wins over `data`.
pub(crate) fn read<'s>(secret: &'s Object<'_>) -> Read<'s> {
    let secret_type = secret.secret_type.as_deref().unwrap_or("Opaque");
    let format = match secret_type {
        "kubernetes.io/dockerconfigjson" => Format::DockerConfigJson,
        "kubernetes.io/dockercfg" => Format::DockerCfg,
        _ => {
            return Read::Ignored(Ignored::OtherType {
                secret_type: secret_type.to_owned(),
                holds: held_formats(secret),
            });
        }
    };
    let bytes = if let Some(plain) = pick(&secret.string_data, format) {
        Cow::Borrowed(plain)
    } else {
        match pick(&secret.data, format) {
            None => {
                return Read::Ignored(Ignored::MissingKey {
                    format,
                    secret_type: secret_type.to_owned(),
                });
            }
            Some(encoded) => match dockerconfig::go_std_base64(encoded) {
                Some(bytes) => Cow::Owned(bytes),
                None => return Read::Ignored(Ignored::NotBase64 { format }),
            },
        }
    };
    if bytes.is_empty() {
        return Read::Ignored(Ignored::Empty { format });
    }
    Read::Content { format, bytes }
}

/// The raw value of `format`'s key in `data` or `stringData`.
fn pick<'s>(data: &'s Option<PullSecretData<'_>>, format: Format) -> Option<&'s [u8]> {
    data.as_ref().and_then(|d| match format {
        Format::DockerConfigJson => d.docker_config_json.as_ref().map(|b| &*b.0),
        Format::DockerCfg => d.docker_cfg.as_ref().map(|b| &*b.0),
    })
}

/// The pull-secret keys `secret` holds, whatever its type, without decoding them.
fn held_formats(secret: &Object<'_>) -> Vec<Format> {
    [Format::DockerConfigJson, Format::DockerCfg]
        .into_iter()
        .filter(|&f| pick(&secret.string_data, f).is_some() || pick(&secret.data, f).is_some())
        .collect()
}

/// Decoded content that, as a whole, gives the kubelet no registry keys to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Useless {
    /// `.dockerconfigjson` without `auths`: `legacy` when its registry keys sit at the top
    /// level; `ignored` lists the Docker client fields it holds instead.
    NoAuths {
        legacy: bool,
        ignored: Vec<&'static str>,
    },
    /// A `.dockercfg` holding the `.dockerconfigjson` layout.
    WrappedInAuths,
    /// No registry keys at all.
    NoKeys,
}

/// Why the content as a whole is useless to the kubelet, if it is.
pub(crate) fn useless(format: Format, decoded: &Decoded<'_>) -> Option<Useless> {
    match format {
        Format::DockerConfigJson if !decoded.has_auths => Some(Useless::NoAuths {
            legacy: decoded.legacy_layout,
            ignored: decoded.ignored_top_level.clone(),
        }),
        Format::DockerCfg if decoded.wrapped_in_auths => Some(Useless::WrappedInAuths),
        _ if decoded.entries.is_empty() => Some(Useless::NoKeys),
        _ => None,
    }
}

/// The registry keys of decoded content, parsed as the kubelet parses them, in order.
pub(crate) fn keys<'d>(decoded: &'d Decoded<'_>) -> Vec<Result<RegistryKey<'d>, KeyError>> {
    decoded
        .entries
        .iter()
        .map(|e| RegistryKey::parse(&e.key))
        .collect()
}

/// Why the kubelet cannot use a registry key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// The kubelet drops the key: Go's `url.Parse` refuses it. `hidden` when the reason would
    /// quote a character that may be part of a password.
    Dropped {
        key: ShownKey,
        error: KeyError,
        hidden: bool,
    },
    /// The key's entry holds no user name or password the kubelet reads.
    NoCredentials {
        key: ShownKey,
        ignored: Vec<&'static str>,
    },
}

/// Per registry key, why the kubelet cannot use it, or `None` when it can.
pub(crate) fn unusable(
    decoded: &Decoded<'_>,
    keys: &[Result<RegistryKey<'_>, KeyError>],
) -> Vec<Option<Unusable>> {
    decoded
        .entries
        .iter()
        .zip(keys)
        .map(|(entry, key)| match key {
            Err(error) => Some(Unusable::Dropped {
                key: show_key(&entry.key),
                hidden: matches!(error, KeyError::InvalidHostCharacter(_))
                    && key_may_hold_credentials(&entry.key),
                error: error.clone(),
            }),
            Ok(_) if !entry.has_credentials => Some(Unusable::NoCredentials {
                key: show_key(&entry.key),
                ignored: entry.ignored_fields.clone(),
            }),
            Ok(_) => None,
        })
        .collect()
}
