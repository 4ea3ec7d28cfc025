//! The `kubectl` commands that messages and the troubleshooter page suggest: one writer, so
//! that the same fix reads the same everywhere. Credentials are placeholders, always.

use crate::kubelet::docker_hub;
use crate::kubelet::dockerconfig::DatedKind;
use crate::request::WorkloadKind;

/// `--docker-server` for a registry: the key kubectl writes is the value as given, except that
/// Docker Hub's key must be the one the kubelet falls back to.
pub(crate) fn server_flag(server: &str) -> &str {
    if server == docker_hub::DOMAIN {
        docker_hub::INDEX_KEY
    } else {
        server
    }
}

/// ` -n <ns>`, when there is a namespace to name.
fn namespace_flag(namespace: Option<&str>) -> String {
    namespace.map(|ns| format!(" -n {ns}")).unwrap_or_default()
}

/// `kubectl create secret docker-registry` for `server`; an existing Secret (`replace`) is
/// rewritten through `kubectl apply`, since `kubectl create` refuses to overwrite it.
pub(crate) fn create_pull_secret(
    name: &str,
    server: &str,
    namespace: Option<&str>,
    replace: bool,
) -> String {
    let command = format!(
        "kubectl create secret docker-registry {name} --docker-server={} \
         --docker-username=<user> --docker-password=<password>{}",
        server_flag(server),
        namespace_flag(namespace)
    );
    if replace {
        format!("{command} --dry-run=client -o yaml | kubectl apply -f -")
    } else {
        command
    }
}

/// `kubectl create secret docker-registry` that writes Secret `name` again, over what it
/// holds, with a fresh token of `kind` for `server`: for ECR, the one `aws ecr
/// get-login-password` prints, for the region of an ECR host
/// (`ACCOUNT.dkr.ecr.REGION.amazonaws.com`) or a placeholder.
pub(crate) fn refresh_pull_secret(
    name: &str,
    server: &str,
    namespace: Option<&str>,
    kind: DatedKind,
) -> String {
    let (user, password) = match kind {
        DatedKind::EcrToken => (
            "AWS",
            format!(
                "\"$(aws ecr get-login-password --region {})\"",
                ecr_region(server).unwrap_or("<region>")
            ),
        ),
        _ => ("<user>", "<a fresh token>".to_owned()),
    };
    format!(
        "kubectl create secret docker-registry {name} --docker-server={} \
         --docker-username={user} --docker-password={password}{} --dry-run=client -o yaml | \
         kubectl apply -f -",
        server_flag(server),
        namespace_flag(namespace)
    )
}

/// The region of an ECR registry host: `ACCOUNT.dkr.ecr.REGION.amazonaws.com` (`.com.cn` in
/// China), any port or path after it.
pub(crate) fn ecr_region(server: &str) -> Option<&str> {
    let host = server.split(['/', ':']).next()?;
    let mut labels = host.split('.');
    let (_account, dkr, ecr, region) = (
        labels.next()?,
        labels.next()?,
        labels.next()?,
        labels.next()?,
    );
    let rest: Vec<&str> = labels.collect();
    let amazon = rest == ["amazonaws", "com"] || rest == ["amazonaws", "com", "cn"];
    let plain =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    (dkr == "dkr" && ecr == "ecr" && amazon && plain(region)).then_some(region)
}

pub(crate) fn delete_secret(name: &str, namespace: Option<&str>) -> String {
    format!("kubectl delete secret {name}{}", namespace_flag(namespace))
}

pub(crate) fn create_service_account(name: &str, namespace: Option<&str>) -> String {
    format!(
        "kubectl create serviceaccount {name}{}",
        namespace_flag(namespace)
    )
}

/// The resource name kubectl takes for a kind.
pub(crate) fn resource(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Pod => "pod",
        WorkloadKind::ReplicationController => "replicationcontroller",
        WorkloadKind::Deployment => "deployment",
        WorkloadKind::ReplicaSet => "replicaset",
        WorkloadKind::StatefulSet => "statefulset",
        WorkloadKind::DaemonSet => "daemonset",
        WorkloadKind::Job => "job",
        WorkloadKind::CronJob => "cronjob",
    }
}

/// `kubectl patch` that adds `names` to the `imagePullSecrets` list at JSON pointer `path` of
/// `resource`/`name`: appended to a list that exists, or as the list.
pub(crate) fn add_pull_secrets(
    resource: &str,
    name: &str,
    namespace: &str,
    path: &str,
    names: &[String],
    has_list: bool,
) -> String {
    let items: Vec<String> = names
        .iter()
        .map(|n| format!(r#"{{"name":"{n}"}}"#))
        .collect();
    let ops = if has_list {
        let ops: Vec<String> = items
            .iter()
            .map(|item| format!(r#"{{"op":"add","path":"{path}/-","value":{item}}}"#))
            .collect();
        format!("[{}]", ops.join(","))
    } else {
        format!(
            r#"[{{"op":"add","path":"{path}","value":[{}]}}]"#,
            items.join(",")
        )
    };
    format!("kubectl patch {resource} {name} -n {namespace} --type=json -p='{ops}'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::ecr("123456789012.dkr.ecr.eu-west-1.amazonaws.com", Some("eu-west-1"))]
    #[case::ecr_with_path("123456789012.dkr.ecr.us-east-2.amazonaws.com/team", Some("us-east-2"))]
    #[case::ecr_with_port("123456789012.dkr.ecr.us-east-2.amazonaws.com:443", Some("us-east-2"))]
    #[case::china("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", Some("cn-north-1"))]
    #[case::glob("*.dkr.ecr.*.amazonaws.com", None)]
    #[case::placeholder("<the registry matching *.dkr.ecr.*.amazonaws.com>", None)]
    #[case::other("private.registry.com", None)]
    #[case::public_ecr("public.ecr.aws", None)]
    fn ecr_regions(#[case] server: &str, #[case] region: Option<&str>) {
        assert_eq!(ecr_region(server), region);
    }

    #[test]
    fn fresh_tokens() {
        assert_eq!(
            refresh_pull_secret(
                "ecr-creds",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                Some("team-a"),
                DatedKind::EcrToken
            ),
            "kubectl create secret docker-registry ecr-creds \
             --docker-server=123456789012.dkr.ecr.eu-west-1.amazonaws.com --docker-username=AWS \
             --docker-password=\"$(aws ecr get-login-password --region eu-west-1)\" -n team-a \
             --dry-run=client -o yaml | kubectl apply -f -"
        );
        assert_eq!(
            refresh_pull_secret("regcred", "private.registry.com", None, DatedKind::Jwt),
            "kubectl create secret docker-registry regcred --docker-server=private.registry.com \
             --docker-username=<user> --docker-password=<a fresh token> --dry-run=client -o yaml \
             | kubectl apply -f -"
        );
    }
}
