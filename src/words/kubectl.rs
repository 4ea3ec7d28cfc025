//! The `kubectl` commands that messages and the troubleshooter page suggest: one writer, so
//! that the same fix reads the same everywhere. Credentials are placeholders, always.

use crate::kubelet::docker_hub;
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
