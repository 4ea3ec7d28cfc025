//! The Secret check's findings in words, and the command that writes the Secret right.

use std::fmt::Display;

use super::check::{SecretProblem, SecretReview, SecretWarning};
use super::fix::{Refresh, SecretFix};
use crate::kubelet::dockerconfig::{DatedKind, Standing};
use crate::settings::Registry;
use crate::verdict::{Kind, SecretKind, Subject, Verdict};
use crate::words::kubectl;
use crate::words::near_miss as hints;
use crate::words::pull_secret::{self, ignored_for_its_type};
use crate::words::when;

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
    // An expired credential has its own fix: a fresh one, not another key.
    let mut fixes = Vec::new();
    if review
        .problems
        .iter()
        .any(|p| !matches!(p, SecretProblem::Expired { .. }))
    {
        fixes.push(fix(subject, review.name, &review.fix));
    }
    let name = review.name.unwrap_or("<name>");
    fixes.extend(
        review
            .fix
            .refresh
            .iter()
            .map(|r| refresh("it", name, subject.namespace, r)),
    );
    Verdict::Reject {
        message: format!(
            "{subject} {}. To fix: {}.",
            problems.join("; "),
            fixes.join("; ")
        ),
        warnings,
    }
}

/// A problem, as it follows the Secret's name in a message.
pub(crate) fn problem(problem: &SecretProblem<'_>) -> String {
    match problem {
        SecretProblem::Ignored(why) => pull_secret::ignored(why),
        SecretProblem::Undecodable { format, errors } => pull_secret::undecodable(*format, errors),
        SecretProblem::Useless { format, why } => pull_secret::useless(*format, why),
        SecretProblem::Unusable(unusable) => pull_secret::unusable(unusable),
        SecretProblem::Misaligned { registry, held } => {
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
        SecretProblem::DeclaredOtherType {
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
        SecretProblem::Expired { registry, key, end } => format!(
            "{}, but the credential of its registry key {key} is {}: the registry refuses it, \
             and Pods that pull from {} with it fail with ImagePullBackOff",
            declared_for(registry.entry()),
            when::credential_end(end),
            registry.entry()
        ),
    }
}

/// What to do about an expired credential of Secret `name` (`it` in a message about it): a
/// fresh one, and for the kinds that expire by design, something that keeps it fresh.
pub(crate) fn refresh(it: &str, name: &str, namespace: Option<&str>, refresh: &Refresh) -> String {
    let command = kubectl::refresh_pull_secret(name, &refresh.server, namespace, refresh.kind);
    match refresh.kind {
        DatedKind::EcrToken => format!(
            "ECR tokens last 12 hours, so let the nodes pull from ECR with their own credentials \
             (the kubelet's ecr-credential-provider, and pullSecrets: [] for {} in the policy \
             settings), or run a refresher that rewrites {it} every few hours; to write a fresh \
             token now: `{command}`",
            refresh.entry
        ),
        _ => format!(
            "write a fresh token into {it}, and renew it before it expires (a refresher that \
             rewrites the Secret): `{command}`"
        ),
    }
}

fn warning<K: Kind>(subject: &Subject<'_, K>, warning: &SecretWarning<'_>) -> String {
    let about = match warning {
        // About one key of the content, which names it.
        SecretWarning::AuthDisagrees { key } => {
            return format!(
                "registry key {key} has both `auth` and `username`/`password`, and they \
                 disagree: the kubelet uses `auth`"
            );
        }
        SecretWarning::HttpKey { key } => {
            return format!(
                "registry key {key} starts with http://: the kubelet ignores the scheme when \
                 matching images, and the runtime still pulls over HTTPS unless the node \
                 configures the registry as insecure"
            );
        }
        SecretWarning::PartialService { registry, keys } => {
            let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
            format!(
                "{}, but its registry key {} serves only part of it: Pods pulling other images \
                 of {} with it get no credentials from it",
                declared_for(registry.entry()),
                keys.join(" and "),
                registry.entry()
            )
        }
        SecretWarning::Unusable(unusable) => pull_secret::unusable(unusable),
        SecretWarning::DeclaredOtherTypeWithoutKey {
            declared,
            secret_type,
        } => format!(
            "{}, but is of type {secret_type}: Pods that name it in imagePullSecrets get no \
             credentials from it",
            declared_for(entries(declared))
        ),
        SecretWarning::IgnoredForItsType {
            secret_type,
            format,
        } => ignored_for_its_type(secret_type, *format),
        SecretWarning::Dated { key, end } => {
            let then = match end.standing {
                Standing::Expired(_) => "the registry refuses it",
                _ if end.kind == DatedKind::EcrToken => {
                    "Pods that pull after that fail with ImagePullBackOff, unless the nodes' \
                     credential provider or a refresher that rewrites the Secret keeps it fresh"
                }
                _ => {
                    "Pods that pull after that fail with ImagePullBackOff, unless something \
                      renews it"
                }
            };
            format!(
                "has the registry key {key}, whose credential is {}: {then}",
                when::credential_end(end)
            )
        }
    };
    format!("{subject} {about}")
}

/// The start of every finding about a secret the settings name for a registry.
fn declared_for(registries: impl Display) -> String {
    format!("is declared in the policy settings as a pull secret for {registries}")
}

fn entries(registries: &[&Registry]) -> String {
    let entries: Vec<String> = registries.iter().map(|r| r.entry().to_string()).collect();
    entries.join(" and ")
}

/// The command that writes a correct pull secret, the Secret under review.
pub(crate) fn fix<K: Kind>(
    subject: &Subject<'_, K>,
    name: Option<&str>,
    fix: &SecretFix,
) -> String {
    fix_of("it", subject, name.unwrap_or("<name>"), fix)
}

/// [`fix`], for a Secret that a message about another object names.
pub(crate) fn fix_named(subject: &Subject<'_, SecretKind>, name: &str, fix: &SecretFix) -> String {
    fix_of(&format!("Secret {name:?}"), subject, name, fix)
}

fn fix_of<K: Kind>(it: &str, subject: &Subject<'_, K>, name: &str, fix: &SecretFix) -> String {
    if fix.delete_first {
        return format!(
            "delete {it} (`{}`; its type cannot be changed), then {}",
            kubectl::delete_secret(name, subject.namespace),
            command("it", name, subject.namespace, true, &fix.servers)
        );
    }
    command(
        it,
        name,
        subject.namespace,
        subject.is_create(),
        &fix.servers,
    )
}

/// `kubectl create secret docker-registry` writes one registry key; a secret for several
/// registries needs the others added to its .dockerconfigjson.
fn command(
    it: &str,
    name: &str,
    namespace: Option<&str>,
    create: bool,
    servers: &[String],
) -> String {
    let (server, others) = match servers {
        [] => ("<registry>", String::new()),
        [first, rest @ ..] => (
            first.as_str(),
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
    let verb = if create { "write" } else { "replace" };
    format!(
        "{verb} {it} with `{}`{others}",
        kubectl::create_pull_secret(name, server, namespace, !create)
    )
}

#[cfg(test)]
mod tests {
    //! The Secret check and its words, through the verdict a request gets.
    use super::*;
    use crate::kubelet::registry::RegistryKey;
    use crate::request::Object;
    use crate::secrets::check;
    use crate::secrets::fix::server_for;
    use crate::settings::Settings;
    use crate::when::UnixTime;
    use base64::Engine as _;
    use rstest::rstest;

    fn check_secret<'r>(
        settings: &'r Settings,
        subject: &'r Subject<'r, SecretKind>,
        name: Option<&'r str>,
        secret: &'r Object<'r>,
        old: Option<&Object<'_>>,
    ) -> Verdict {
        check::check_secret(settings, subject, name, secret, old, UnixTime::TEST_NOW)
            .map_or_else(Verdict::accept, |review| verdict(&review))
    }

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
        assert!(m.contains("delete it (`kubectl delete secret regcred -n team-a`; its type cannot be changed), then write it with `kubectl create secret docker-registry regcred"), "{m}");
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

    /// Dated credentials, judged at 2026-12-04T08:00:00Z: `regcred` is declared for
    /// private.registry.com, `ecr-creds` for the ECR glob.
    mod expiry {
        use super::*;
        use crate::kubelet::dockerconfig::fake;

        const NOW: i64 = 1_796_371_200;
        const HOUR: i64 = 3600;
        const DAY: i64 = 86_400;
        const ACR: &str = "00000000-0000-0000-0000-000000000000";
        const ECR_HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

        fn jwt(exp: i64) -> String {
            fake::jwt(&format!(r#"{{"sub":"robot","exp":{exp}}}"#), 5)
        }

        fn ghs() -> String {
            format!("ghs_{}", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5")
        }

        fn ya29() -> String {
            "ya29.a0AfB_byC-1x2y3z4w5v6u7t8s9r0q.AaBbCcDdEeFfGgHh_IiJjKkLl-MmNn0123".into()
        }

        const ECR_SETTINGS: &str = r#"{"registries":[
            {"registry":"private.registry.com","pullSecrets":["regcred"]},
            {"registry":"*.dkr.ecr.*.amazonaws.com","pullSecrets":["ecr-creds"]}]}"#;

        fn check_key(name: &str, key: &str, user: &str, password: &str) -> Verdict {
            let auths = format!(r#"{{"{key}":{}}}"#, auth(&format!("{user}:{password}")));
            let json = dockerconfigjson(&auths);
            let object: Object = serde_json::from_str(&json).unwrap();
            let subject = Subject::for_test(SecretKind, true);
            check_secret(&settings(ECR_SETTINGS), &subject, Some(name), &object, None)
        }

        #[derive(Debug)]
        enum Expect {
            Accept,
            Warn(&'static str),
            Reject(&'static str),
        }

        #[rstest]
        #[case::ecr_expired("AWS", fake::ecr_password(NOW - 2 * DAY, 1), Expect::Reject(
            r#"Secret "test" in namespace "team-a" is declared in the policy settings as a pull secret for private.registry.com, but the credential of its registry key "private.registry.com" is an Amazon ECR authorization token that expired 2 days ago, at 2026-12-02T08:00:00Z: the registry refuses it"#
        ))]
        #[case::ecr_expiring_now(
            "AWS",
            fake::ecr_password(NOW, 2),
            Expect::Reject("that expired less than a minute ago, at 2026-12-04T08:00:00Z")
        )]
        #[case::ecr_in_3_hours("AWS", fake::ecr_password(NOW + 3 * HOUR, 3), Expect::Warn(
            r#"has the registry key "private.registry.com", whose credential is an Amazon ECR authorization token that expires in 3 hours, at 2026-12-04T11:00:00Z"#
        ))]
        #[case::ecr_fresh("AWS", fake::ecr_password(NOW + 12 * HOUR, 4), Expect::Warn("expires in 12 hours"))]
        #[case::ecr_far("AWS", fake::ecr_password(NOW + 30 * DAY, 5), Expect::Accept)]
        #[case::jwt_expired(ACR, jwt(NOW - HOUR), Expect::Reject(
            "its registry key \"private.registry.com\" is a JSON Web Token that expired 1 hour ago, at 2026-12-04T07:00:00Z"
        ))]
        #[case::jwt_in_a_day(ACR, jwt(NOW + DAY), Expect::Warn("a JSON Web Token that expires in 24 hours"))]
        #[case::jwt_valid(ACR, jwt(NOW + 30 * DAY), Expect::Accept)]
        #[case::github_installation(
            "x-access-token",
            ghs(),
            Expect::Warn(
                "a GitHub App installation token, which stops working within an hour of its issue"
            )
        )]
        #[case::google_access(
            "oauth2accesstoken",
            ya29(),
            Expect::Warn(
                "a Google OAuth access token, which stops working within an hour of its issue"
            )
        )]
        #[case::looks_like_json("robot", "eyJustAPassword".into(), Expect::Accept)]
        #[case::github_pat("robot", ghs().replace("ghs_", "ghp_"), Expect::Accept)]
        #[case::ecr_date_as_text(
            "AWS",
            fake::ecr_password_with(b"p", b"d", r#""1796371200""#),
            Expect::Accept
        )]
        #[case::ecr_date_in_milliseconds(
            "AWS",
            fake::ecr_password_with(b"p", b"d", "1796371200000"),
            Expect::Accept
        )]
        #[case::jwt_without_exp(ACR, fake::jwt(r#"{"sub":"robot"}"#, 6), Expect::Accept)]
        fn a_declared_secrets_credentials(
            #[case] user: &str,
            #[case] password: String,
            #[case] expect: Expect,
        ) {
            let v = check_key("regcred", "private.registry.com", user, &password);
            let text = format!("{:?} {:?}", v.message(), v.warnings());
            assert!(!text.contains(&password[..12]), "{text}");
            match expect {
                Expect::Accept => assert_eq!(v, Verdict::accept()),
                Expect::Warn(fragment) => {
                    assert!(v.is_allowed(), "{v:?}");
                    assert_eq!(v.warnings().len(), 1, "{v:?}");
                    assert!(v.warnings()[0].contains(fragment), "{v:?}");
                }
                Expect::Reject(fragment) => {
                    let m = v.expect_rejected();
                    assert!(m.contains(fragment), "{m}");
                    assert!(v.warnings().is_empty(), "{v:?}");
                }
            }
        }

        #[test]
        fn an_expired_ecr_token_says_what_keeps_it_fresh() {
            let v = check_key(
                "ecr-creds",
                ECR_HOST,
                "AWS",
                &fake::ecr_password(NOW - 5 * HOUR, 7),
            );
            let m = v.expect_rejected();
            assert!(m.contains("pull secret for *.dkr.ecr.*.amazonaws.com, but the credential of its registry key \"123456789012.dkr.ecr.eu-west-1.amazonaws.com\" is an Amazon ECR authorization token that expired 5 hours ago, at 2026-12-04T03:00:00Z"), "{m}");
            assert!(m.contains("To fix: ECR tokens last 12 hours, so let the nodes pull from ECR with their own credentials (the kubelet's ecr-credential-provider, and pullSecrets: [] for *.dkr.ecr.*.amazonaws.com in the policy settings), or run a refresher that rewrites it every few hours; to write a fresh token now: `kubectl create secret docker-registry ecr-creds --docker-server=123456789012.dkr.ecr.eu-west-1.amazonaws.com --docker-username=AWS --docker-password=\"$(aws ecr get-login-password --region eu-west-1)\" -n team-a --dry-run=client -o yaml | kubectl apply -f -`."), "{m}");
            // A JWT gets a fresh token of its own, with placeholders.
            let v = check_key("regcred", "private.registry.com", ACR, &jwt(NOW - DAY));
            let m = v.expect_rejected();
            assert!(m.contains("To fix: write a fresh token into it, and renew it before it expires (a refresher that rewrites the Secret): `kubectl create secret docker-registry regcred --docker-server=private.registry.com --docker-username=<user> --docker-password=<a fresh token> -n team-a --dry-run=client -o yaml | kubectl apply -f -`."), "{m}");
        }

        #[rstest]
        #[case::undeclared("undeclared")]
        #[case::declared_for_another_registry("ecr-creds")]
        fn an_expired_key_for_a_registry_it_is_not_declared_for_warns(#[case] name: &str) {
            let v = check_key(
                name,
                "other.registry.io",
                "AWS",
                &fake::ecr_password(NOW - 2 * DAY, 8),
            );
            if name == "ecr-creds" {
                // Declared for ECR, holding a key for another registry: misaligned as before,
                // and the expiry is a warning.
                assert!(
                    v.expect_rejected()
                        .contains("none of its registry keys serves"),
                    "{v:?}"
                );
            } else {
                assert!(v.is_allowed(), "{v:?}");
            }
            assert!(v.warnings().iter().any(|w| w.contains(r#"has the registry key "other.registry.io", whose credential is an Amazon ECR authorization token that expired 2 days ago, at 2026-12-02T08:00:00Z: the registry refuses it"#)), "{v:?}");
        }

        #[test]
        fn an_expired_key_beside_one_that_works_only_warns() {
            let auths = format!(
                r#"{{"private.registry.com":{},"https://private.registry.com":{}}}"#,
                auth(&format!("AWS:{}", fake::ecr_password(NOW - HOUR, 9))),
                auth("robot:hunter2")
            );
            let json = dockerconfigjson(&auths);
            let object: Object = serde_json::from_str(&json).unwrap();
            let subject = Subject::for_test(SecretKind, true);
            let v = check_secret(
                &settings(ECR_SETTINGS),
                &subject,
                Some("regcred"),
                &object,
                None,
            );
            assert!(v.is_allowed(), "{v:?}");
            assert!(v.warnings()[0].contains("expired 1 hour ago"), "{v:?}");
        }

        fn update(old: &str, new: &str) -> Verdict {
            let old_json = dockerconfigjson(&format!(
                r#"{{"private.registry.com":{}}}"#,
                auth(&format!("AWS:{old}"))
            ));
            let new_json = dockerconfigjson(&format!(
                r#"{{"private.registry.com":{}}}"#,
                auth(&format!("AWS:{new}"))
            ));
            let (old, new): (Object, Object) = (
                serde_json::from_str(&old_json).unwrap(),
                serde_json::from_str(&new_json).unwrap(),
            );
            let subject = Subject::for_test(SecretKind, false);
            check_secret(
                &settings(ECR_SETTINGS),
                &subject,
                Some("regcred"),
                &new,
                Some(&old),
            )
        }

        #[test]
        fn updates() {
            let expired = fake::ecr_password(NOW - HOUR, 10);
            let fresh = fake::ecr_password(NOW + 12 * HOUR, 11);
            // A refresher's update: accepted, with the new token's time.
            let v = update(&expired, &fresh);
            assert!(v.is_allowed(), "{v:?}");
            assert!(v.warnings()[0].contains("expires in 12 hours"), "{v:?}");
            // An update that leaves the content alone is not judged again.
            assert_eq!(update(&expired, &expired), Verdict::accept());
            // One that writes an expired token is.
            assert!(
                update(&fresh, &expired)
                    .expect_rejected()
                    .contains("expired 1 hour ago")
            );
        }
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
            let server = kubectl::server_flag(&server_for(registry)).to_owned();
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
