//! The pull-secret check: would the kubelet decode this Secret, find credentials in it, and use
//! them for the registries the settings declare it for?
//!
//! Pure, like the pod-spec check. Every message is built from registry keys, field names and
//! Secret names; the credentials never leave [`crate::dockerconfig`].

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::dockerconfig::{self, Decoded, Format, key_may_hold_credentials, show_key};
use crate::registry::{KeyError, RegistryPattern};
use crate::settings::{Registry, Settings};
use crate::verdict::{Subject, Verdict};
use crate::workload::{Object, PullSecretData};

const POISON: &str = "A pull secret the kubelet cannot decode makes every image pull of every \
                      Pod that references it fail, public images included";

/// Checks a Secret on CREATE or UPDATE. `name` is its `metadata.name`, which the settings
/// refer to; `old` is the Secret before an UPDATE.
pub fn check_secret(
    settings: &Settings,
    subject: &Subject<'_>,
    name: Option<&str>,
    secret: &Object<'_>,
    old: Option<&Object<'_>>,
) -> Verdict {
    if !settings.validate_secrets() {
        return Verdict::accept();
    }
    // An update that leaves the type and content alone is not judged again, so that an
    // existing Secret can still be labelled, annotated or finalised.
    if let Some(old) = old
        && old.secret_type == secret.secret_type
        && old.data == secret.data
        && old.string_data == secret.string_data
    {
        return Verdict::accept();
    }
    let secret_type = secret.secret_type.as_deref().unwrap_or("Opaque");
    let format = match secret_type {
        "kubernetes.io/dockerconfigjson" => Format::DockerConfigJson,
        "kubernetes.io/dockercfg" => Format::DockerCfg,
        _ => return other_type(settings, subject, name, secret_type, secret),
    };
    let key = format.data_key();
    let content = match content(secret, format) {
        Content::Missing => {
            return reject(
                subject,
                format!("has no {key}: a Secret of type {secret_type} must hold it"),
                fix_command(subject, name, settings, Vec::new()),
            );
        }
        Content::NotBase64 => {
            return reject(
                subject,
                format!("has a data[{key:?}] that is not base64"),
                fix_command(subject, name, settings, Vec::new()),
            );
        }
        Content::Bytes(bytes) => bytes,
    };
    if content.is_empty() {
        return reject(
            subject,
            format!("has an empty {key}, so the kubelet ignores the secret"),
            fix_command(subject, name, settings, Vec::new()),
        );
    }

    let decoded = dockerconfig::decode(format, &content);
    if !decoded.errors.is_empty() {
        let errors: Vec<String> = decoded.errors.iter().map(ToString::to_string).collect();
        // Servers for the fix: the registries the secret is declared for, else the broken keys
        // as the kubelet parses them (no user info).
        let declared =
            name.is_some_and(|name| settings.registries_served_by(name).next().is_some());
        let servers: Vec<String> = if declared {
            Vec::new()
        } else {
            decoded
                .errors
                .iter()
                .filter_map(|e| e.key())
                // A key with user info may hide a password in what Go parses as host or path.
                .filter(|key| !key_may_hold_credentials(key))
                .filter_map(|key| RegistryPattern::from_config_key(key).ok())
                .map(|p| p.to_string())
                .collect()
        };
        return reject(
            subject,
            format!(
                "cannot be decoded by the kubelet: in its {key}, {}. {POISON}",
                errors.join("; ")
            ),
            fix_command(subject, name, settings, servers),
        );
    }

    if let Some(problem) = useless_layout(format, &decoded) {
        return reject(
            subject,
            problem,
            fix_command(subject, name, settings, Vec::new()),
        );
    }
    let keys: Vec<Result<RegistryPattern<'_>, KeyError>> = decoded
        .entries
        .iter()
        .map(|e| RegistryPattern::from_config_key(&e.key))
        .collect();
    // Per key, why the kubelet cannot use it, if it cannot. Such keys sink the secret when
    // nothing else in it works, or when they are all it has for a registry it is declared for;
    // otherwise they are only worth a warning (a ~/.docker/config.json often has a few).
    let unusable = unusable_keys(&decoded, &keys);
    let mut reported = vec![false; unusable.len()];
    let mut problems = Vec::new();
    let mut warnings = suspicious(&decoded);
    if unusable.iter().all(Option::is_some) {
        problems.extend(unusable.iter().flatten().cloned());
        reported.fill(true);
    }
    let mut misaligned_for: Vec<&Registry> = Vec::new();
    for registry in name
        .into_iter()
        .flat_map(|name| settings.registries_served_by(name))
    {
        let mut serving: Vec<usize> = (0..keys.len())
            .filter(|&i| {
                keys[i]
                    .as_ref()
                    .is_ok_and(|p| p.serves_some_of(registry.pattern()))
            })
            .collect();
        // The kubelet falls back to the Docker Hub key only when no key matches the image:
        // a key for docker.io, even one without credentials, shadows it.
        let fallback = |&i: &usize| keys[i].as_ref().is_ok_and(|p| p.is_docker_hub_index());
        if serving.iter().any(|i| !fallback(i)) {
            serving.retain(|i| !fallback(i));
        }
        let usable: Vec<usize> = serving
            .iter()
            .copied()
            .filter(|&i| unusable[i].is_none())
            .collect();
        if !usable.is_empty() {
            if let Some(partial) = partial_service(registry, &usable, &decoded, &keys) {
                warnings.push(format!("{subject} {partial}"));
            }
            continue;
        }
        if serving.is_empty() {
            problems.push(misaligned(registry, &decoded, &keys));
        }
        for &i in &serving {
            if !reported[i] {
                problems.extend(unusable[i].clone());
                reported[i] = true;
            }
        }
        misaligned_for.push(registry);
    }
    for (problem, reported) in unusable.iter().zip(&reported) {
        if let (Some(problem), false) = (problem, reported) {
            warnings.push(format!("{subject} {problem}"));
        }
    }

    if problems.is_empty() {
        return Verdict::Accept { warnings };
    }
    let servers = misaligned_for.into_iter().map(server_for).collect();
    let message = format!(
        "{subject} {}. To fix: {}.",
        problems.join("; "),
        fix_command(subject, name, settings, servers)
    );
    Verdict::Reject { message, warnings }
}

enum Content<'s> {
    Missing,
    NotBase64,
    Bytes(Cow<'s, [u8]>),
}

/// The content the kubelet would read: `stringData` (as the API server merges it) over `data`.
fn content<'s>(secret: &'s Object<'_>, format: Format) -> Content<'s> {
    if let Some(plain) = pick(&secret.string_data, format) {
        return Content::Bytes(Cow::Borrowed(plain));
    }
    match pick(&secret.data, format) {
        None => Content::Missing,
        Some(encoded) => match dockerconfig::go_std_base64(encoded) {
            Some(bytes) => Content::Bytes(Cow::Owned(bytes)),
            None => Content::NotBase64,
        },
    }
}

/// The raw value of `format`'s key in `data` or `stringData`.
fn pick<'s>(data: &'s Option<PullSecretData<'_>>, format: Format) -> Option<&'s [u8]> {
    data.as_ref().and_then(|d| match format {
        Format::DockerConfigJson => d.docker_config_json.as_ref().map(|b| &*b.0),
        Format::DockerCfg => d.docker_cfg.as_ref().map(|b| &*b.0),
    })
}

/// Whether the Secret holds `format`'s key, without decoding it.
fn holds(secret: &Object<'_>, format: Format) -> bool {
    pick(&secret.string_data, format).is_some() || pick(&secret.data, format).is_some()
}

/// A Secret of another type. The kubelet reads pull secrets only from the two pull-secret
/// types, so one declared in the settings and holding a pull-secret key (what `kubectl create
/// secret generic --from-file=.dockerconfigjson=...` writes) fails every pull it is meant for;
/// other cases only get a warning, since the settings' names hold in every namespace and an
/// unrelated Secret elsewhere may share one.
fn other_type(
    settings: &Settings,
    subject: &Subject<'_>,
    name: Option<&str>,
    secret_type: &str,
    secret: &Object<'_>,
) -> Verdict {
    let declared: Vec<String> = name
        .into_iter()
        .flat_map(|name| settings.registries_served_by(name))
        .map(|r| r.pattern().to_string())
        .collect();
    let held: Vec<Format> = [Format::DockerConfigJson, Format::DockerCfg]
        .into_iter()
        .filter(|&format| holds(secret, format))
        .collect();
    let declared_as = || {
        format!(
            "{}, but is of type {secret_type}",
            declared_for(declared.join(" and "))
        )
    };
    match (declared.is_empty(), held.first()) {
        (false, Some(format)) => {
            let fix = fix_command(subject, name, settings, Vec::new());
            // The type of a Secret cannot change: an existing one must go first.
            let fix = if subject.is_create() {
                fix
            } else {
                format!(
                    "delete it (`kubectl delete secret {}{}`; its type cannot be changed), \
                     then {}",
                    name.unwrap_or("<name>"),
                    namespace_flag(subject),
                    fix_command(
                        &Subject {
                            create: true,
                            ..subject.clone()
                        },
                        name,
                        settings,
                        Vec::new()
                    )
                )
            };
            reject(
                subject,
                format!(
                    "{}: the kubelet reads {} only from a Secret of type {}, so Pods that name \
                     it in imagePullSecrets get no credentials from it",
                    declared_as(),
                    format.data_key(),
                    format.secret_type()
                ),
                fix,
            )
        }
        (false, None) => Verdict::Accept {
            warnings: vec![format!(
                "{subject} {}: Pods that name it in imagePullSecrets get no credentials from it",
                declared_as()
            )],
        },
        (true, _) => Verdict::Accept {
            warnings: held
                .iter()
                .map(|format| {
                    format!(
                        "{subject} holds {} but is of type {secret_type}: the kubelet ignores \
                         it for image pulls unless its type is {}",
                        format.data_key(),
                        format.secret_type()
                    )
                })
                .collect(),
        },
    }
}

/// Content that decodes but, as a whole, gives the kubelet no registry keys to use.
fn useless_layout(format: Format, decoded: &Decoded) -> Option<String> {
    let key = format.data_key();
    match format {
        Format::DockerConfigJson if !decoded.has_auths => {
            let mut problem =
                format!("has no `auths` in its {key}, so the kubelet finds no credentials in it");
            if decoded.legacy_layout {
                problem.push_str(
                    ": its registry keys sit at the top level, as in the legacy .dockercfg \
                     layout; put them under {\"auths\": {...}}",
                );
            } else if !decoded.ignored_top_level.is_empty() {
                let _ = write!(
                    problem,
                    " ({} is ignored by the kubelet)",
                    decoded.ignored_top_level.join(" and ")
                );
            }
            Some(problem)
        }
        Format::DockerCfg if decoded.wrapped_in_auths => Some(
            "holds the .dockerconfigjson layout (registry keys under `auths`) in a .dockercfg, \
             where the kubelet reads `auths` as a registry name: use type \
             kubernetes.io/dockerconfigjson with the key .dockerconfigjson"
                .into(),
        ),
        _ if decoded.entries.is_empty() => Some(match format {
            Format::DockerConfigJson => format!("has an empty `auths` in its {key}"),
            Format::DockerCfg => format!("holds no registry keys in its {key}"),
        }),
        _ => None,
    }
}

/// Per registry key, why the kubelet cannot use it (it drops the key, or finds no
/// credentials under it), or `None` when it can.
fn unusable_keys(
    decoded: &Decoded,
    keys: &[Result<RegistryPattern<'_>, KeyError>],
) -> Vec<Option<String>> {
    let with_fields = |fields: &[&str]| {
        if fields.is_empty() {
            String::new()
        } else {
            format!(" ({} is ignored by the kubelet)", fields.join(" and "))
        }
    };
    decoded
        .entries
        .iter()
        .zip(keys)
        .map(|(entry, pattern)| match pattern {
            Err(error) => {
                // The character may be part of a password.
                let why = match error {
                    KeyError::InvalidHostCharacter(_) if key_may_hold_credentials(&entry.key) => {
                        "its host holds a character that no host may hold".to_owned()
                    }
                    _ => error.to_string(),
                };
                Some(format!(
                    "has the registry key {}, which the kubelet drops because {why}",
                    show_key(&entry.key)
                ))
            }
            Ok(_) if !entry.has_credentials => Some(format!(
                "has no credentials the kubelet uses for {}{}: give it `auth`, or `username` \
                 and `password`",
                show_key(&entry.key),
                with_fields(&entry.ignored_fields)
            )),
            Ok(_) => None,
        })
        .collect()
}

/// For an entry with a literal host that the secret's usable keys (indices into the keys)
/// serve only in part (a key for one repository of a registry), what a Pod pulling the rest
/// would miss. Serving part of a glob entry is what a secret for one of its registries does,
/// and is not worth a warning.
fn partial_service(
    registry: &Registry,
    usable: &[usize],
    decoded: &Decoded,
    keys: &[Result<RegistryPattern<'_>, KeyError>],
) -> Option<String> {
    let entry = registry.pattern();
    let serves_all = |&i: &usize| keys[i].as_ref().is_ok_and(|p| p.serves_all_of(entry));
    if entry.has_glob() || usable.iter().any(serves_all) {
        return None;
    }
    let shown: Vec<String> = usable
        .iter()
        .map(|&i| show_key(&decoded.entries[i].key))
        .collect();
    Some(format!(
        "{}, but its registry key {} serves only part of it: Pods pulling other images of \
         {entry} with it get no credentials from it",
        declared_for(entry),
        shown.join(" and ")
    ))
}

/// The start of every finding about a secret the settings name for a registry.
fn declared_for(registries: impl std::fmt::Display) -> String {
    format!("is declared in the policy settings as a pull secret for {registries}")
}

fn misaligned(
    registry: &Registry,
    decoded: &Decoded,
    keys: &[Result<RegistryPattern<'_>, KeyError>],
) -> String {
    let held: Vec<String> = decoded
        .entries
        .iter()
        .map(|e| &*e.key)
        .zip(keys)
        .map(|(text, pattern)| {
            let why = pattern
                .as_ref()
                .ok()
                .and_then(|p| p.near_miss_of(registry.pattern()));
            match why {
                Some(why) => format!("{} ({why})", show_key(text)),
                None => show_key(text),
            }
        })
        .collect();
    format!(
        "{}, but none of its registry keys serves that registry's images: it holds {}",
        declared_for(registry.pattern()),
        held.join(", ")
    )
}

/// Findings worth a warning: the secret works, but not the way its author may think.
fn suspicious(decoded: &Decoded) -> Vec<String> {
    let mut warnings = Vec::new();
    for entry in &decoded.entries {
        if entry.auth_disagrees {
            let key = show_key(&entry.key);
            warnings.push(format!(
                "registry key {key} has both `auth` and `username`/`password`, and they \
                 disagree: the kubelet uses `auth`"
            ));
        }
        if entry.key.starts_with("http://") {
            let key = show_key(&entry.key);
            warnings.push(format!(
                "registry key {key} starts with http://: the kubelet ignores the scheme when \
                 matching images, and the runtime still pulls over HTTPS unless the node \
                 configures the registry as insecure"
            ));
        }
    }
    warnings
}

fn reject(subject: &Subject<'_>, problem: String, fix: String) -> Verdict {
    Verdict::reject(format!("{subject} {problem}. To fix: {fix}."))
}

/// The command that writes a correct pull secret for `servers` (by default, the registries the
/// settings declare it for). Credentials are placeholders, always.
fn fix_command(
    subject: &Subject<'_>,
    name: Option<&str>,
    settings: &Settings,
    mut servers: Vec<String>,
) -> String {
    if servers.is_empty()
        && let Some(name) = name
    {
        servers = settings
            .registries_served_by(name)
            .map(server_for)
            .collect();
    }
    // `kubectl create secret docker-registry` writes one registry key; a secret declared for
    // several registries needs the others added to its .dockerconfigjson.
    let (server, others) = match servers.as_slice() {
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
    let namespace = namespace_flag(subject);
    // On UPDATE the Secret exists, and `kubectl create` would refuse to overwrite it.
    let (verb, apply) = if subject.is_create() {
        ("write it with", "")
    } else {
        (
            "replace it with",
            " --dry-run=client -o yaml | kubectl apply -f -",
        )
    };
    format!(
        "{verb} `kubectl create secret docker-registry {} --docker-server={server} \
         --docker-username=<user> --docker-password=<password>{namespace}{apply}`{others}",
        name.unwrap_or("<name>")
    )
}

/// ` --namespace <ns>` for a kubectl command about the subject, when it has one.
fn namespace_flag(subject: &Subject<'_>) -> String {
    subject
        .namespace
        .map(|ns| format!(" --namespace {ns}"))
        .unwrap_or_default()
}

/// The server a fix names for a settings entry. A glob entry gets a placeholder: a key that
/// is the glob would hand the credentials to every registry it matches.
fn server_for(registry: &Registry) -> String {
    let pattern = registry.pattern();
    if pattern.has_glob() {
        format!("<the registry matching {pattern}>")
    } else {
        pattern.to_string()
    }
}

/// `--docker-server` for a registry: the key kubectl writes is the value as given, except that
/// Docker Hub's key must be the one the kubelet falls back to.
fn server_flag_value(server: &str) -> String {
    if server == crate::registry::DOCKER_HUB {
        "https://index.docker.io/v1/".into()
    } else {
        server.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    const SETTINGS: &str = r#"{"registries":[
        {"registry":"private.registry.com","pullSecrets":["regcred"]},
        {"registry":"quay.io/my-org","pullSecrets":["quay-my-org"]},
        {"registry":"registry.local:5000","pullSecrets":["local-creds"]},
        {"registry":"docker.io","pullSecrets":["hub"]}]}"#;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn settings(json: &str) -> Settings {
        Settings::from_json(json.as_bytes()).unwrap()
    }

    fn dockerconfigjson(auths: &str) -> String {
        format!(
            r#"{{"type":"kubernetes.io/dockerconfigjson","data":{{".dockerconfigjson":"{}"}}}}"#,
            b64(&format!(r#"{{"auths":{auths}}}"#))
        )
    }

    fn check_as(name: &str, object_json: &str) -> Verdict {
        let object: Object = serde_json::from_str(object_json).unwrap();
        let subject = Subject::for_test("Secret", true);
        check_secret(&settings(SETTINGS), &subject, Some(name), &object, None)
    }

    fn auth(user_pass: &str) -> String {
        format!(r#"{{"auth":"{}"}}"#, b64(user_pass))
    }

    #[test]
    fn aligned_secrets_pass() {
        let ok = [
            (
                "regcred",
                format!(r#"{{"private.registry.com":{}}}"#, auth("u:p")),
            ),
            (
                "regcred",
                format!(r#"{{"https://private.registry.com":{}}}"#, auth("u:p")),
            ),
            ("quay-my-org", format!(r#"{{"quay.io":{}}}"#, auth("u:p"))),
            (
                "local-creds",
                format!(r#"{{"registry.local:5000":{}}}"#, auth("u:p")),
            ),
            (
                "hub",
                format!(r#"{{"https://index.docker.io/v1/":{}}}"#, auth("u:p")),
            ),
            (
                "undeclared",
                format!(r#"{{"anything.io":{}}}"#, auth("u:p")),
            ),
        ];
        for (name, auths) in ok {
            let v = check_as(name, &dockerconfigjson(&auths));
            assert_eq!(v, Verdict::accept(), "{name} {auths}");
        }
    }

    #[test]
    fn misaligned_secrets_name_the_trap() {
        let cases = [
            (
                "regcred",
                "https://index.docker.io/v1/",
                "--docker-server is left out",
            ),
            (
                "local-creds",
                "registry.local",
                "the key has no port, the images port 5000",
            ),
            ("regcred", "Private.Registry.com", "differs in case"),
            (
                "quay-my-org",
                "quay.io/other-org",
                "does not cover quay.io/my-org",
            ),
            (
                "hub",
                "registry-1.docker.io",
                "never uses registry-1.docker.io",
            ),
        ];
        for (name, key, fragment) in cases {
            let v = check_as(
                name,
                &dockerconfigjson(&format!(r#"{{"{key}":{}}}"#, auth("u:p"))),
            );
            let m = v.expect_rejected();
            assert!(
                m.contains("is declared in the policy settings as a pull secret for"),
                "{m}"
            );
            assert!(m.contains(fragment), "{key}: {m}");
            assert!(m.contains("kubectl create secret docker-registry"), "{m}");
        }
        let v = check_as(
            "hub",
            &dockerconfigjson(r#"{"registry-1.docker.io":{"auth":"dTpw"}}"#),
        );
        assert!(
            v.expect_rejected()
                .contains("--docker-server=https://index.docker.io/v1/")
        );
    }

    #[test]
    fn poison_secrets() {
        let v = check_as("x", &dockerconfigjson(r#"{"r.io":{"auth":"not base64!"}}"#));
        let m = v.expect_rejected();
        assert!(
            m.contains("cannot be decoded by the kubelet: in its .dockerconfigjson"),
            "{m}"
        );
        assert!(m.contains("public images included"), "{m}");
        assert!(m.contains("--docker-server=r.io "), "{m}");
    }

    #[test]
    fn useless_secrets() {
        let cases = [
            (dockerconfigjson("{}"), "empty `auths`"),
            (
                format!(
                    r#"{{"type":"kubernetes.io/dockerconfigjson","data":{{".dockerconfigjson":"{}"}}}}"#,
                    b64(r#"{"r.io":{"auth":"dTpw"}}"#)
                ),
                "legacy .dockercfg layout",
            ),
            (
                dockerconfigjson(r#"{"r.io":{"identitytoken":"t"}}"#),
                "(identitytoken is ignored by the kubelet)",
            ),
            (
                format!(
                    r#"{{"type":"kubernetes.io/dockercfg","data":{{".dockercfg":"{}"}}}}"#,
                    b64(r#"{"auths":{"r.io":{"auth":"dTpw"}}}"#)
                ),
                "use type kubernetes.io/dockerconfigjson",
            ),
            (
                dockerconfigjson(r#"{"r.io:abc":{"auth":"dTpw"}}"#),
                "which the kubelet drops because its port is not a number",
            ),
            (
                r#"{"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":""}}"#
                    .into(),
                "has an empty .dockerconfigjson",
            ),
        ];
        for (object, fragment) in cases {
            let v = check_as("x", &object);
            let m = v.expect_rejected();
            assert!(m.contains(fragment), "{object}: {m}");
        }
    }

    #[test]
    fn string_data_overrides_data() {
        let object = format!(
            r#"{{"type":"kubernetes.io/dockerconfigjson",
                "data":{{".dockerconfigjson":"{}"}},
                "stringData":{{".dockerconfigjson":"{{\"auths\":{{\"private.registry.com\":{{\"username\":\"u\",\"password\":\"p\"}}}}}}"}}}}"#,
            b64(r#"{"auths":{}}"#)
        );
        assert!(check_as("regcred", &object).is_allowed());
    }

    #[test]
    fn suspicious_secrets_warn() {
        let auths = format!(
            r#"{{"private.registry.com":{{"auth":"{}","username":"other","password":"p"}},
                "http://registry.local:5000":{}}}"#,
            b64("u:p"),
            auth("u:p")
        );
        let v = check_as("regcred", &dockerconfigjson(&auths));
        assert!(v.is_allowed(), "{v:?}");
        let has = |text: &str| v.warnings().iter().any(|w| w.contains(text));
        assert!(has("they disagree: the kubelet uses `auth`"), "{v:?}");
        assert!(has("starts with http://"), "{v:?}");
        let opaque = format!(
            r#"{{"type":"Opaque","data":{{".dockerconfigjson":"{}"}}}}"#,
            b64("{}")
        );
        let v = check_as("app-config", &opaque);
        assert!(v.is_allowed());
        assert!(v.warnings()[0].contains("the kubelet ignores it for image pulls"));
    }

    #[test]
    fn other_secrets_pass_untouched() {
        for object in [
            r#"{"type":"Opaque","data":{"password":"aHVudGVyMg=="}}"#,
            r#"{"type":"kubernetes.io/service-account-token","data":{"token":"eHl6"}}"#,
            r#"{"data":{"x":"eHl6"}}"#,
        ] {
            assert_eq!(check_as("app-config", object), Verdict::accept());
        }
    }

    #[test]
    fn a_declared_secret_of_another_type() {
        // What `kubectl create secret generic --from-file=.dockerconfigjson=...` writes.
        let opaque = format!(
            r#"{{"type":"Opaque","data":{{".dockerconfigjson":"{}"}}}}"#,
            b64(&format!(
                r#"{{"auths":{{"private.registry.com":{}}}}}"#,
                auth("u:p")
            ))
        );
        let m = check_as("regcred", &opaque).expect_rejected().to_owned();
        assert!(m.contains("is declared in the policy settings as a pull secret for private.registry.com, but is of type Opaque: the kubelet reads .dockerconfigjson only from a Secret of type kubernetes.io/dockerconfigjson"), "{m}");
        assert!(m.contains("write it with `kubectl create secret docker-registry regcred --docker-server=private.registry.com"), "{m}");
        // On UPDATE the type cannot change: the fix deletes first.
        let object: Object = serde_json::from_str(&opaque).unwrap();
        let old: Object = serde_json::from_str(r#"{"type":"Opaque"}"#).unwrap();
        let subject = Subject::for_test("Secret", false);
        let v = check_secret(
            &settings(SETTINGS),
            &subject,
            Some("regcred"),
            &object,
            Some(&old),
        );
        let m = v.expect_rejected();
        assert!(m.contains("delete it (`kubectl delete secret regcred --namespace team-a`; its type cannot be changed), then write it with `kubectl create secret docker-registry regcred"), "{m}");
        // Without a pull-secret key it may be an unrelated Secret of the same name elsewhere.
        let v = check_as(
            "regcred",
            r#"{"type":"kubernetes.io/basic-auth","data":{"password":"eHl6"}}"#,
        );
        assert!(v.is_allowed());
        assert!(v.warnings()[0].contains("is of type kubernetes.io/basic-auth: Pods that name it in imagePullSecrets get no credentials from it"), "{v:?}");
    }

    #[test]
    fn unusable_keys_beside_working_ones_only_warn() {
        for extra in [
            r#""other.io":{}"#,
            r#""acr.io":{"identitytoken":"t"}"#,
            r#""registry.io:abc":{"auth":"dTpw"}"#,
        ] {
            let auths = format!(r#"{{"private.registry.com":{},{extra}}}"#, auth("u:p"));
            for name in ["regcred", "undeclared"] {
                let v = check_as(name, &dockerconfigjson(&auths));
                assert!(v.is_allowed(), "{name} {auths}: {v:?}");
                assert_eq!(v.warnings().len(), 1, "{v:?}");
            }
        }
        // ... but when the only key for the declared registry is unusable, the secret fails it.
        let auths = format!(
            r#"{{"private.registry.com":{{"identitytoken":"t"}},"other.io":{}}}"#,
            auth("u:p")
        );
        let m = check_as("regcred", &dockerconfigjson(&auths))
            .expect_rejected()
            .to_owned();
        assert!(m.contains(r#"has no credentials the kubelet uses for "private.registry.com" (identitytoken is ignored by the kubelet)"#), "{m}");
        assert!(m.contains("--docker-server=private.registry.com"), "{m}");
        assert!(check_as("undeclared", &dockerconfigjson(&auths)).is_allowed());
    }

    #[test]
    fn glob_and_path_entries() {
        let s = settings(
            r#"{"registries":[
            {"registry":"*.azurecr.io","pullSecrets":["acr-creds"]},
            {"registry":"private.registry.com","pullSecrets":["regcred"]}]}"#,
        );
        let check = |name: &str, auths: &str| {
            let json = dockerconfigjson(auths);
            let object: Object = serde_json::from_str(&json).unwrap();
            check_secret(
                &s,
                &Subject::for_test("Secret", true),
                Some(name),
                &object,
                None,
            )
        };
        // A secret for one registry of a glob entry does its job, without a warning.
        let v = check(
            "acr-creds",
            &format!(r#"{{"myreg.azurecr.io":{}}}"#, auth("u:p")),
        );
        assert_eq!(v, Verdict::accept());
        // A miss names no glob as the server: that key would serve every ACR registry.
        let v = check("acr-creds", &format!(r#"{{"azurecr.io":{}}}"#, auth("u:p")));
        let m = v.expect_rejected();
        assert!(
            m.contains("--docker-server=<the registry matching *.azurecr.io>"),
            "{m}"
        );
        assert!(
            m.contains(
                "`*` stands for exactly one DNS label, so *.azurecr.io does not match azurecr.io"
            ),
            "{m}"
        );
        // A key for part of a literal entry works for that part, with a warning.
        let v = check(
            "regcred",
            &format!(r#"{{"private.registry.com/team":{}}}"#, auth("u:p")),
        );
        assert!(v.is_allowed());
        assert!(
            v.warnings()[0]
                .contains(r#"its registry key "private.registry.com/team" serves only part of it"#),
            "{v:?}"
        );
    }

    #[test]
    fn a_docker_io_key_shadows_the_docker_hub_fallback() {
        // The kubelet finds the docker.io key for docker.io images, uses its empty credentials,
        // and never falls back to the index key.
        let auths = format!(
            r#"{{"docker.io":{{"email":"x"}},"https://index.docker.io/v1/":{}}}"#,
            auth("u:p")
        );
        let m = check_as("hub", &dockerconfigjson(&auths))
            .expect_rejected()
            .to_owned();
        assert!(
            m.contains(r#"has no credentials the kubelet uses for "docker.io""#),
            "{m}"
        );
        let auths = format!(r#"{{"https://index.docker.io/v1/":{}}}"#, auth("u:p"));
        assert!(check_as("hub", &dockerconfigjson(&auths)).is_allowed());
    }

    #[test]
    fn keys_that_may_hold_credentials_show_none() {
        for (key, hidden) in [
            ("robot:S3crtPw%40private.registry.com", "S3crtPw"),
            ("robot:S3^crtPw/x@private.registry.com", "^"),
        ] {
            let auths = format!(r#"{{"{key}":{}}}"#, auth("u:p"));
            let v = check_as("undeclared", &dockerconfigjson(&auths));
            let text = format!("{:?} {:?}", v.message(), v.warnings());
            assert!(!text.contains(hidden) && !text.contains("robot"), "{text}");
        }
    }

    #[test]
    fn an_unchanged_update_of_a_declared_secret_of_another_type_passes() {
        let opaque = format!(
            r#"{{"type":"Opaque","data":{{".dockerconfigjson":"{}"}}}}"#,
            b64("{}")
        );
        let (new, old): (Object, Object) = (
            serde_json::from_str(&opaque).unwrap(),
            serde_json::from_str(&opaque).unwrap(),
        );
        let subject = Subject::for_test("Secret", false);
        let v = check_secret(
            &settings(SETTINGS),
            &subject,
            Some("regcred"),
            &new,
            Some(&old),
        );
        assert_eq!(v, Verdict::accept());
    }

    #[test]
    fn the_poison_fix_names_the_declared_registry() {
        let auths = format!(
            r#"{{"private.registry.com":{},"other.io":{{"auth":"bad!"}}}}"#,
            auth("u:p")
        );
        let m = check_as("regcred", &dockerconfigjson(&auths))
            .expect_rejected()
            .to_owned();
        assert!(m.contains("--docker-server=private.registry.com"), "{m}");
        assert!(!m.contains("--docker-server=other.io"), "{m}");
        let m = check_as("undeclared", &dockerconfigjson(&auths))
            .expect_rejected()
            .to_owned();
        assert!(m.contains("--docker-server=other.io"), "{m}");
    }

    #[test]
    fn updates_that_keep_the_content_pass() {
        let (bad_json, other_json) = (dockerconfigjson("{}"), dockerconfigjson(r#"{"a":{}}"#));
        let bad: Object = serde_json::from_str(&bad_json).unwrap();
        let old: Object = serde_json::from_str(&bad_json).unwrap();
        let subject = Subject::for_test("Secret", false);
        let s = settings(SETTINGS);
        assert!(check_secret(&s, &subject, Some("x"), &bad, Some(&old)).is_allowed());
        let other: Object = serde_json::from_str(&other_json).unwrap();
        assert!(!check_secret(&s, &subject, Some("x"), &bad, Some(&other)).is_allowed());
    }

    #[test]
    fn a_secret_declared_for_two_registries_must_serve_both() {
        let s = settings(
            r#"{"registries":[{"registry":"a.example.com","pullSecrets":["shared"]},
                {"registry":"b.example.com","pullSecrets":["shared"]}]}"#,
        );
        let json = dockerconfigjson(&format!(r#"{{"a.example.com":{}}}"#, auth("u:p")));
        let object: Object = serde_json::from_str(&json).unwrap();
        let subject = Subject::for_test("Secret", true);
        let v = check_secret(&s, &subject, Some("shared"), &object, None);
        let m = v.expect_rejected();
        assert!(m.contains("pull secret for b.example.com"), "{m}");
        assert!(!m.contains("pull secret for a.example.com"), "{m}");
        assert!(m.contains("--docker-server=b.example.com"), "{m}");
        let json = dockerconfigjson("{}");
        let object: Object = serde_json::from_str(&json).unwrap();
        let v = check_secret(&s, &subject, Some("shared"), &object, None);
        assert!(
            v.expect_rejected()
                .contains("then add keys for b.example.com")
        );
    }

    #[test]
    fn the_check_can_be_switched_off() {
        let s = settings(r#"{"validateSecrets":false}"#);
        let bad_json = dockerconfigjson("{}");
        let bad: Object = serde_json::from_str(&bad_json).unwrap();
        let subject = Subject::for_test("Secret", true);
        assert!(check_secret(&s, &subject, Some("x"), &bad, None).is_allowed());
    }
}
