//! The pull-secret check: would the kubelet decode this Secret, find credentials in it, and use
//! them for the registries the settings declare it for?
//!
//! Pure, like the pod-spec check: findings out, as data, worded by `render::secret`. Findings
//! hold registry keys only as [`ShownKey`]s; the credentials never leave `dockerconfig`.

use crate::kubelet::dockerconfig::{
    self, DecodeError, Format, ShownKey, key_may_hold_credentials, show_key,
};
use crate::kubelet::pull_secret::{self, Read, Unusable, Useless};
use crate::kubelet::registry::{NearMiss, RegistryKey};
use crate::request::Object;
use crate::settings::{Registry, Settings};
use crate::verdict::{SecretKind, Subject, Verdict};

/// What the check found in one Secret.
pub(crate) struct SecretReview<'r> {
    pub(crate) subject: &'r Subject<'r, SecretKind>,
    pub(crate) name: Option<&'r str>,
    /// What rejects the Secret.
    pub(crate) problems: Vec<Problem<'r>>,
    pub(crate) warnings: Vec<Warning<'r>>,
    /// How to write it right, when it is rejected.
    pub(crate) fix: Fix,
}

impl SecretReview<'_> {
    pub(crate) fn verdict(&self) -> Verdict {
        crate::secrets::words::verdict(self)
    }
}

/// What makes a pull secret useless or harmful.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem<'r> {
    /// A pull-secret type without its data key.
    MissingKey {
        format: Format,
        secret_type: &'r str,
    },
    NotBase64 {
        format: Format,
    },
    Empty {
        format: Format,
    },
    /// Poison: the kubelet fails every pull of every Pod that references it.
    Undecodable {
        format: Format,
        errors: Vec<DecodeError>,
    },
    Useless {
        format: Format,
        why: Useless,
    },
    Unusable(Unusable),
    /// Declared for `registry`, but none of its keys serves that registry's images.
    Misaligned {
        registry: &'r Registry,
        held: Vec<(ShownKey, Option<NearMiss>)>,
    },
    /// Declared for registries and holding a pull-secret key, but of a type the kubelet
    /// does not read pull secrets from.
    DeclaredOtherType {
        declared: Vec<&'r Registry>,
        secret_type: &'r str,
        format: Format,
    },
}

/// What works, but not the way its author may think.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Warning<'r> {
    /// `auth` and `username`/`password` say different things; the kubelet uses `auth`.
    AuthDisagrees { key: ShownKey },
    /// An `http://` key: the scheme is ignored for matching and not a way to pull over HTTP.
    HttpKey { key: ShownKey },
    /// Declared for a literal registry entry, but its usable keys serve only part of it.
    PartialService {
        registry: &'r Registry,
        keys: Vec<ShownKey>,
    },
    /// A key the kubelet cannot use, beside keys it can.
    Unusable(Unusable),
    /// Declared for registries, but of another type and holding no pull-secret key: maybe an
    /// unrelated Secret that shares the name.
    DeclaredOtherTypeWithoutKey {
        declared: Vec<&'r Registry>,
        secret_type: &'r str,
    },
    /// Not declared, of another type, holding a pull-secret key the kubelet will ignore.
    IgnoredForItsType {
        secret_type: &'r str,
        format: Format,
    },
}

/// The fix of a rejected Secret: write it with `kubectl create secret docker-registry` for
/// `servers` (placeholders for the credentials, always).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fix {
    pub(crate) servers: Vec<String>,
    /// The Secret exists with another type, which cannot change: delete it first.
    pub(crate) delete_first: bool,
}

/// Checks a Secret on CREATE or UPDATE. `name` is its `metadata.name`, which the settings
/// refer to; `old` is the Secret before an UPDATE.
pub(crate) fn check_secret<'r>(
    settings: &'r Settings,
    subject: &'r Subject<'r, SecretKind>,
    name: Option<&'r str>,
    secret: &'r Object<'r>,
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
    review_secret(settings, subject, name, secret).verdict()
}

fn review_secret<'r>(
    settings: &'r Settings,
    subject: &'r Subject<'r, SecretKind>,
    name: Option<&'r str>,
    secret: &'r Object<'r>,
) -> SecretReview<'r> {
    let declared: Vec<&Registry> = name
        .into_iter()
        .flat_map(|name| settings.registries_served_by(name))
        .collect();
    let mut review = SecretReview {
        subject,
        name,
        problems: Vec::new(),
        warnings: Vec::new(),
        fix: Fix {
            servers: declared.iter().map(|r| server_for(r)).collect(),
            delete_first: false,
        },
    };
    let (format, content) = match pull_secret::read(secret) {
        Read::OtherType { secret_type } => {
            other_type(&mut review, declared, secret_type, secret);
            return review;
        }
        Read::MissingKey {
            format,
            secret_type,
        } => {
            review.problems.push(Problem::MissingKey {
                format,
                secret_type,
            });
            return review;
        }
        Read::NotBase64 { format } => {
            review.problems.push(Problem::NotBase64 { format });
            return review;
        }
        Read::Empty { format } => {
            review.problems.push(Problem::Empty { format });
            return review;
        }
        Read::Content { format, bytes } => (format, bytes),
    };

    let decoded = dockerconfig::decode(format, &content);
    if !decoded.errors.is_empty() {
        // Servers for the fix: the registries the secret is declared for, else the broken keys
        // as the kubelet parses them (no user info: a key with some may hide a password in
        // what Go parses as host or path).
        if declared.is_empty() {
            review.fix.servers = servers_of_broken_keys(&decoded.errors);
        }
        review.problems.push(Problem::Undecodable {
            format,
            errors: decoded.errors,
        });
        return review;
    }
    if let Some(why) = pull_secret::useless(format, &decoded) {
        review.problems.push(Problem::Useless { format, why });
        return review;
    }

    let keys = pull_secret::keys(&decoded);
    for entry in &decoded.entries {
        if entry.auth_disagrees {
            review.warnings.push(Warning::AuthDisagrees {
                key: show_key(&entry.key),
            });
        }
        if entry.key.starts_with("http://") {
            review.warnings.push(Warning::HttpKey {
                key: show_key(&entry.key),
            });
        }
    }
    // Per key, why the kubelet cannot use it, if it cannot. Such keys sink the secret when
    // nothing else in it works, or when they are all it has for a registry it is declared for;
    // otherwise they are only worth a warning (a ~/.docker/config.json often has a few).
    let mut unusable = pull_secret::unusable(&decoded, &keys);
    if unusable.iter().all(Option::is_some) {
        review.problems.extend(
            unusable
                .iter_mut()
                .filter_map(Option::take)
                .map(Problem::Unusable),
        );
    }
    let mut misaligned_for: Vec<&Registry> = Vec::new();
    for registry in declared {
        let mut serving: Vec<usize> = (0..keys.len())
            .filter(|&i| {
                keys[i]
                    .as_ref()
                    .is_ok_and(|k| k.serves_some_of(registry.entry()))
            })
            .collect();
        // The kubelet falls back to the Docker Hub key only when no key matches the image:
        // a key for docker.io, even one without credentials, shadows it.
        let fallback = |&i: &usize| keys[i].as_ref().is_ok_and(|k| k.is_docker_hub_index());
        if serving.iter().any(|i| !fallback(i)) {
            serving.retain(|i| !fallback(i));
        }
        let usable: Vec<usize> = serving
            .iter()
            .copied()
            .filter(|&i| keys[i].is_ok() && decoded.entries[i].has_credentials)
            .collect();
        if !usable.is_empty() {
            let entry = registry.entry();
            let serves_all = usable
                .iter()
                .any(|&i| keys[i].as_ref().is_ok_and(|k| k.serves_all_of(entry)));
            // Serving part of a glob entry is what a secret for one of its registries does.
            if !entry.has_glob() && !serves_all {
                review.warnings.push(Warning::PartialService {
                    registry,
                    keys: usable
                        .iter()
                        .map(|&i| show_key(&decoded.entries[i].key))
                        .collect(),
                });
            }
            continue;
        }
        if serving.is_empty() {
            review.problems.push(Problem::Misaligned {
                registry,
                held: decoded
                    .entries
                    .iter()
                    .zip(&keys)
                    .map(|(e, key)| {
                        let why = key
                            .as_ref()
                            .ok()
                            .and_then(|k| k.near_miss_of(registry.entry()));
                        (show_key(&e.key), why)
                    })
                    .collect(),
            });
        }
        for &i in &serving {
            review
                .problems
                .extend(unusable[i].take().map(Problem::Unusable));
        }
        misaligned_for.push(registry);
    }
    review
        .warnings
        .extend(unusable.into_iter().flatten().map(Warning::Unusable));
    if !misaligned_for.is_empty() {
        review.fix.servers = misaligned_for.into_iter().map(server_for).collect();
    }
    review
}

/// A Secret of another type. The kubelet reads pull secrets only from the two pull-secret
/// types, so one declared in the settings and holding a pull-secret key (what `kubectl create
/// secret generic --from-file=.dockerconfigjson=...` writes) fails every pull it is meant for;
/// other cases only get a warning, since the settings' names hold in every namespace and an
/// unrelated Secret elsewhere may share one.
fn other_type<'r>(
    review: &mut SecretReview<'r>,
    declared: Vec<&'r Registry>,
    secret_type: &'r str,
    secret: &Object<'_>,
) {
    let held = pull_secret::held_formats(secret);
    match (declared.is_empty(), held.first()) {
        (false, Some(&format)) => {
            // The type of a Secret cannot change: an existing one must go first.
            review.fix.delete_first = !review.subject.is_create();
            review.problems.push(Problem::DeclaredOtherType {
                declared,
                secret_type,
                format,
            });
        }
        (false, None) => review.warnings.push(Warning::DeclaredOtherTypeWithoutKey {
            declared,
            secret_type,
        }),
        (true, _) => {
            review
                .warnings
                .extend(held.into_iter().map(|format| Warning::IgnoredForItsType {
                    secret_type,
                    format,
                }))
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use rstest::rstest;

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
        let subject = Subject::for_test(SecretKind, true);
        check_secret(&settings(SETTINGS), &subject, Some(name), &object, None)
    }

    fn auth(user_pass: &str) -> String {
        format!(r#"{{"auth":"{}"}}"#, b64(user_pass))
    }

    #[rstest]
    #[case::host("regcred", "private.registry.com")]
    #[case::scheme("regcred", "https://private.registry.com")]
    #[case::host_of_a_path_entry("quay-my-org", "quay.io")]
    #[case::port("local-creds", "registry.local:5000")]
    #[case::docker_hub("hub", "https://index.docker.io/v1/")]
    #[case::undeclared("undeclared", "anything.io")]
    fn aligned_secrets_pass(#[case] name: &str, #[case] key: &str) {
        let auths = format!(r#"{{"{key}":{}}}"#, auth("u:p"));
        assert_eq!(check_as(name, &dockerconfigjson(&auths)), Verdict::accept());
    }

    #[rstest]
    #[case::kubectl_default(
        "regcred",
        "https://index.docker.io/v1/",
        "--docker-server is left out"
    )]
    #[case::port(
        "local-creds",
        "registry.local",
        "the key has no port, the images port 5000"
    )]
    #[case::case("regcred", "Private.Registry.com", "differs in case")]
    #[case::path("quay-my-org", "quay.io/other-org", "does not cover quay.io/my-org")]
    #[case::registry_1("hub", "registry-1.docker.io", "never uses registry-1.docker.io")]
    fn misaligned_secrets_name_the_trap(
        #[case] name: &str,
        #[case] key: &str,
        #[case] fragment: &str,
    ) {
        let v = check_as(
            name,
            &dockerconfigjson(&format!(r#"{{"{key}":{}}}"#, auth("u:p"))),
        );
        let m = v.expect_rejected();
        assert!(
            m.contains("is declared in the policy settings as a pull secret for"),
            "{m}"
        );
        assert!(m.contains(fragment), "{m}");
        assert!(m.contains("kubectl create secret docker-registry"), "{m}");
    }

    #[test]
    fn the_docker_hub_fix_names_the_key_the_kubelet_falls_back_to() {
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

    #[rstest]
    #[case::empty_auths(dockerconfigjson("{}"), "empty `auths`")]
    #[case::legacy_layout(
        format!(
            r#"{{"type":"kubernetes.io/dockerconfigjson","data":{{".dockerconfigjson":"{}"}}}}"#,
            b64(r#"{"r.io":{"auth":"dTpw"}}"#)
        ),
        "legacy .dockercfg layout"
    )]
    #[case::identity_token(
        dockerconfigjson(r#"{"r.io":{"identitytoken":"t"}}"#),
        "(identitytoken is ignored by the kubelet)"
    )]
    #[case::dockercfg_wrapped(
        format!(
            r#"{{"type":"kubernetes.io/dockercfg","data":{{".dockercfg":"{}"}}}}"#,
            b64(r#"{"auths":{"r.io":{"auth":"dTpw"}}}"#)
        ),
        "use type kubernetes.io/dockerconfigjson"
    )]
    #[case::dropped_key(
        dockerconfigjson(r#"{"r.io:abc":{"auth":"dTpw"}}"#),
        "which the kubelet drops because its port is not a number"
    )]
    #[case::empty_content(
        r#"{"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":""}}"#.into(),
        "has an empty .dockerconfigjson"
    )]
    fn useless_secrets(#[case] object: String, #[case] fragment: &str) {
        let v = check_as("x", &object);
        let m = v.expect_rejected();
        assert!(m.contains(fragment), "{m}");
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

    #[rstest]
    #[case::opaque(r#"{"type":"Opaque","data":{"password":"aHVudGVyMg=="}}"#)]
    #[case::token(r#"{"type":"kubernetes.io/service-account-token","data":{"token":"eHl6"}}"#)]
    #[case::no_type(r#"{"data":{"x":"eHl6"}}"#)]
    fn other_secrets_pass_untouched(#[case] object: &str) {
        assert_eq!(check_as("app-config", object), Verdict::accept());
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
        let subject = Subject::for_test(SecretKind, false);
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

    #[rstest]
    fn unusable_keys_beside_working_ones_only_warn(
        #[values(
            r#""other.io":{}"#,
            r#""acr.io":{"identitytoken":"t"}"#,
            r#""registry.io:abc":{"auth":"dTpw"}"#
        )]
        extra: &str,
        #[values("regcred", "undeclared")] name: &str,
    ) {
        let auths = format!(r#"{{"private.registry.com":{},{extra}}}"#, auth("u:p"));
        let v = check_as(name, &dockerconfigjson(&auths));
        assert!(v.is_allowed(), "{v:?}");
        assert_eq!(v.warnings().len(), 1, "{v:?}");
    }

    #[test]
    fn an_unusable_key_that_is_all_a_declared_registry_has_fails_it() {
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
                &Subject::for_test(SecretKind, true),
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

    #[rstest]
    #[case::escaped_at("robot:S3crtPw%40private.registry.com", "S3crtPw")]
    #[case::slash_before_at("robot:S3^crtPw/x@private.registry.com", "^")]
    fn keys_that_may_hold_credentials_show_none(#[case] key: &str, #[case] hidden: &str) {
        let auths = format!(r#"{{"{key}":{}}}"#, auth("u:p"));
        let v = check_as("undeclared", &dockerconfigjson(&auths));
        let text = format!("{:?} {:?}", v.message(), v.warnings());
        assert!(!text.contains(hidden) && !text.contains("robot"), "{text}");
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
        let subject = Subject::for_test(SecretKind, false);
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
        let subject = Subject::for_test(SecretKind, false);
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
        let subject = Subject::for_test(SecretKind, true);
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
        let subject = Subject::for_test(SecretKind, true);
        assert!(check_secret(&s, &subject, Some("x"), &bad, None).is_allowed());
    }

    proptest::proptest! {
        /// The key a fix writes (`--docker-server`, as `kubectl create secret docker-registry`
        /// stores it) always serves the settings entry it was written for: every image the
        /// entry covers gets its credentials.
        #[test]
        fn a_fixs_key_serves_its_registry(
            labels in proptest::collection::vec("[a-z0-9]{1,6}", 1..4),
            port in proptest::option::of(1u16..),
            path in proptest::collection::vec("[a-z0-9]{1,5}", 0..3),
            hub in proptest::bool::ANY,
            repository in "[a-z0-9]{1,5}",
        ) {
            let host = if hub && port.is_none() { "docker.io".to_owned() } else { labels.join(".") };
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let path: String = path.iter().map(|s| format!("/{s}")).collect();
            let entry = format!("{host}{port}{path}");
            let s = settings(&format!(r#"{{"registries":[{{"registry":"{entry}","pullSecrets":["x"]}}]}}"#));
            let registry = s.registries_served_by("x").next().unwrap();
            let server = crate::secrets::words::server_flag_value(&server_for(registry));
            let key = RegistryKey::parse(&server).unwrap();
            proptest::prop_assert!(key.serves_all_of(registry.entry()), "{server} for {entry}");
            // A single-label host is a Docker Hub namespace to the runtimes; give images a dot.
            let image = format!("{}/{repository}", registry.entry());
            if let Ok(image) = crate::kubelet::reference::ImageRef::parse(&image) {
                prop_assume_covered(registry, &image)?;
                let served = key.kubelet_matches(&image)
                    || (key.is_docker_hub_index()
                        && crate::kubelet::registry::is_default_registry_match(image.domain()));
                proptest::prop_assert!(served, "{server} for {image}");
            }
        }
    }

    fn prop_assume_covered(
        registry: &Registry,
        image: &crate::kubelet::reference::ImageRef<'_>,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        proptest::prop_assume!(registry.entry().covers(image));
        Ok(())
    }
}
