//! The pull-secret check's findings in words, and the `kubectl` command that fixes them.

use std::fmt::Display;

use crate::kubelet::docker_hub;
use crate::kubelet::dockerconfig::Format;
use crate::kubelet::pull_secret::{Unusable, Useless};
use crate::secrets::check::{Fix, Problem, SecretReview, Warning};
use crate::settings::Registry;
use crate::verdict::{Kind, SecretKind, Subject, Verdict};
use crate::words::near_miss as hints;

const POISON: &str = "A pull secret the kubelet cannot decode makes every image pull of every \
                      Pod that references it fail, public images included";

pub(crate) fn verdict(review: &SecretReview<'_>) -> Verdict {
    let subject = review.subject;
    let warnings: Vec<String> = review
        .warnings
        .iter()
        .map(|w| warning(subject, w))
        .collect();
    if review.problems.is_empty() {
        return Verdict::Accept { warnings };
    }
    let problems: Vec<String> = review.problems.iter().map(problem).collect();
    Verdict::Reject {
        message: format!(
            "{subject} {}. To fix: {}.",
            problems.join("; "),
            fix(subject, review.name, &review.fix)
        ),
        warnings,
    }
}

/// A problem, as it follows the Secret's name in a message.
pub(crate) fn problem(problem: &Problem<'_>) -> String {
    match problem {
        Problem::MissingKey {
            format,
            secret_type,
        } => format!(
            "has no {}: a Secret of type {secret_type} must hold it",
            format.data_key()
        ),
        Problem::NotBase64 { format } => {
            format!("has a data[{:?}] that is not base64", format.data_key())
        }
        Problem::Empty { format } => format!(
            "has an empty {}, so the kubelet ignores the secret",
            format.data_key()
        ),
        Problem::Undecodable { format, errors } => {
            let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
            format!(
                "cannot be decoded by the kubelet: in its {}, {}. {POISON}",
                format.data_key(),
                errors.join("; ")
            )
        }
        Problem::Useless { format, why } => useless(*format, why),
        Problem::Unusable(unusable) => self::unusable(unusable),
        Problem::Misaligned { registry, held } => {
            let held: Vec<String> = held
                .iter()
                .map(|(key, why)| match why {
                    Some(why) => format!("{key} ({})", hints::near_miss(why)),
                    None => key.to_string(),
                })
                .collect();
            format!(
                "{}, but none of its registry keys serves that registry's images: it holds {}",
                declared_for(registry.entry()),
                held.join(", ")
            )
        }
        Problem::DeclaredOtherType {
            declared,
            secret_type,
            format,
        } => format!(
            "{}, but is of type {secret_type}: the kubelet reads {} only from a Secret of type \
             {}, so Pods that name it in imagePullSecrets get no credentials from it",
            declared_for(entries(declared)),
            format.data_key(),
            format.secret_type()
        ),
    }
}

fn warning<K: Kind>(subject: &Subject<'_, K>, warning: &Warning<'_>) -> String {
    let about = match warning {
        // About one key of the content, which names it.
        Warning::AuthDisagrees { key } => {
            return format!(
                "registry key {key} has both `auth` and `username`/`password`, and they \
                 disagree: the kubelet uses `auth`"
            );
        }
        Warning::HttpKey { key } => {
            return format!(
                "registry key {key} starts with http://: the kubelet ignores the scheme when \
                 matching images, and the runtime still pulls over HTTPS unless the node \
                 configures the registry as insecure"
            );
        }
        Warning::PartialService { registry, keys } => {
            let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
            format!(
                "{}, but its registry key {} serves only part of it: Pods pulling other images \
                 of {} with it get no credentials from it",
                declared_for(registry.entry()),
                keys.join(" and "),
                registry.entry()
            )
        }
        Warning::Unusable(unusable) => self::unusable(unusable),
        Warning::DeclaredOtherTypeWithoutKey {
            declared,
            secret_type,
        } => format!(
            "{}, but is of type {secret_type}: Pods that name it in imagePullSecrets get no \
             credentials from it",
            declared_for(entries(declared))
        ),
        Warning::IgnoredForItsType {
            secret_type,
            format,
        } => ignored_for_its_type(secret_type, *format),
    };
    format!("{subject} {about}")
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

fn useless(format: Format, why: &Useless) -> String {
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

fn unusable(unusable: &Unusable) -> String {
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

/// The start of every finding about a secret the settings name for a registry.
fn declared_for(registries: impl Display) -> String {
    format!("is declared in the policy settings as a pull secret for {registries}")
}

fn entries(registries: &[&Registry]) -> String {
    let entries: Vec<String> = registries.iter().map(|r| r.entry().to_string()).collect();
    entries.join(" and ")
}

/// The command that writes a correct pull secret, the Secret under review. Credentials are
/// placeholders, always.
pub(crate) fn fix<K: Kind>(subject: &Subject<'_, K>, name: Option<&str>, fix: &Fix) -> String {
    fix_of("it", subject, name.unwrap_or("<name>"), fix)
}

/// [`fix`], for a Secret that a message about another object names.
pub(crate) fn fix_named(subject: &Subject<'_, SecretKind>, name: &str, fix: &Fix) -> String {
    fix_of(&format!("Secret {name:?}"), subject, name, fix)
}

fn fix_of<K: Kind>(it: &str, subject: &Subject<'_, K>, name: &str, fix: &Fix) -> String {
    let namespace = namespace_flag(subject);
    if fix.delete_first {
        return format!(
            "delete {it} (`kubectl delete secret {name}{namespace}`; its type cannot be \
             changed), then {}",
            command("it", name, &namespace, true, &fix.servers)
        );
    }
    command(it, name, &namespace, subject.is_create(), &fix.servers)
}

/// `kubectl create secret docker-registry` writes one registry key; a secret for several
/// registries needs the others added to its .dockerconfigjson.
fn command(it: &str, name: &str, namespace: &str, create: bool, servers: &[String]) -> String {
    let (server, others) = match servers {
        [] => ("<registry>".to_owned(), String::new()),
        [first, rest @ ..] => (
            server_flag_value(first),
            if rest.is_empty() {
                String::new()
            } else {
                format!(
                    ", then add keys for {} to its .dockerconfigjson",
                    rest.join(", ")
                )
            },
        ),
    };
    // An existing Secret: `kubectl create` would refuse to overwrite it.
    let (verb, apply) = if create {
        ("write", "")
    } else {
        ("replace", " --dry-run=client -o yaml | kubectl apply -f -")
    };
    format!(
        "{verb} {it} with `kubectl create secret docker-registry {name} --docker-server={server} \
         --docker-username=<user> --docker-password=<password>{namespace}{apply}`{others}"
    )
}

/// ` --namespace <ns>` for a kubectl command about the subject, when it has one.
pub(crate) fn namespace_flag<K: Kind>(subject: &Subject<'_, K>) -> String {
    subject
        .namespace
        .map(|ns| format!(" --namespace {ns}"))
        .unwrap_or_default()
}

/// `--docker-server` for a registry: the key kubectl writes is the value as given, except that
/// Docker Hub's key must be the one the kubelet falls back to.
pub(crate) fn server_flag_value(server: &str) -> String {
    if server == docker_hub::DOMAIN {
        docker_hub::INDEX_KEY.into()
    } else {
        server.to_owned()
    }
}
