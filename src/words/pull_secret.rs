//! What the kubelet makes of a pull secret, in words: each phrase follows the Secret's name
//! ("Secret \"regcred\" has an empty .dockerconfigjson, ..."), in the Secret check's messages,
//! the pod check's and the troubleshooter page alike.

use crate::kubelet::dockerconfig::{DecodeError, Format};
use crate::kubelet::pull_secret::{Ignored, Unusable, Useless};

/// Why the kubelet ignores the Secret.
pub(crate) fn ignored(why: &Ignored) -> String {
    match why {
        Ignored::OtherType { secret_type, holds } => match holds.first() {
            Some(format) => ignored_for_its_type(secret_type, *format),
            None => format!("is of type {secret_type}, which the kubelet ignores for image pulls"),
        },
        Ignored::MissingKey {
            format,
            secret_type,
        } => format!(
            "has no {}: a Secret of type {secret_type} must hold it",
            format.data_key()
        ),
        Ignored::NotBase64 { format } => {
            format!("has a data[{:?}] that is not base64", format.data_key())
        }
        Ignored::Empty { format } => format!(
            "has an empty {}, so the kubelet ignores the secret",
            format.data_key()
        ),
    }
}

/// A Secret of another type holding a pull-secret key.
pub(crate) fn ignored_for_its_type(secret_type: &str, format: Format) -> String {
    format!(
        "holds {} but is of type {secret_type}: the kubelet ignores it for image pulls unless \
         its type is {}",
        format.data_key(),
        format.secret_type()
    )
}

const POISON: &str = "A pull secret the kubelet cannot decode makes every image pull of every \
                      Pod that references it fail, public images included";

/// Content the kubelet cannot decode: a poison pull secret.
pub(crate) fn undecodable(format: Format, errors: &[DecodeError]) -> String {
    let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!(
        "cannot be decoded by the kubelet: in its {}, {}. {POISON}",
        format.data_key(),
        errors.join("; ")
    )
}

/// Decoded content that gives the kubelet no registry keys.
pub(crate) fn useless(format: Format, why: &Useless) -> String {
    let key = format.data_key();
    match why {
        Useless::NoAuths { legacy, ignored } => {
            let mut problem =
                format!("has no `auths` in its {key}, so the kubelet finds no credentials in it");
            if *legacy {
                problem.push_str(
                    ": its registry keys sit at the top level, as in the legacy .dockercfg \
                     layout; put them under {\"auths\": {...}}",
                );
            } else if !ignored.is_empty() {
                problem.push_str(&format!(
                    " ({} is ignored by the kubelet)",
                    ignored.join(" and ")
                ));
            }
            problem
        }
        Useless::WrappedInAuths => "holds the .dockerconfigjson layout (registry keys under \
                                    `auths`) in a .dockercfg, where the kubelet reads `auths` as \
                                    a registry name: use type kubernetes.io/dockerconfigjson \
                                    with the key .dockerconfigjson"
            .into(),
        Useless::NoKeys => match format {
            Format::DockerConfigJson => format!("has an empty `auths` in its {key}"),
            Format::DockerCfg => format!("holds no registry keys in its {key}"),
        },
    }
}

/// A registry key the kubelet cannot use.
pub(crate) fn unusable(unusable: &Unusable) -> String {
    match unusable {
        Unusable::Dropped { key, error, hidden } => {
            // The character may be part of a password.
            let why = if *hidden {
                "its host holds a character that no host may hold".to_owned()
            } else {
                error.to_string()
            };
            format!("has the registry key {key}, which the kubelet drops because {why}")
        }
        Unusable::NoCredentials { key, ignored } => {
            let fields = if ignored.is_empty() {
                String::new()
            } else {
                format!(" ({} is ignored by the kubelet)", ignored.join(" and "))
            };
            format!(
                "has no credentials the kubelet uses for {key}{fields}: give it `auth`, or \
                 `username` and `password`"
            )
        }
    }
}
