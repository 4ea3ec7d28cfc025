//! What the troubleshooter tells about a workload, as the page receives it (JSON): the
//! kubelet's chain for each container, the pull secrets as it finds them, the policy's verdict
//! and the commands that fix it. Plain data, written once by [`explain`](super::explain).

use serde::Serialize;

/// One workload, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// `Kind/name`, as `kubectl` names it.
    pub object: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub pull_secrets: PullSecretsUsed,
    /// The pull secrets the Pods use, each once, as the kubelet finds them.
    pub secrets: Vec<SecretHeld>,
    /// In the order the kubelet starts them.
    pub containers: Vec<ContainerChain>,
    /// The policy's verdict on the workload, when settings were given.
    pub policy: Option<PolicyVerdict>,
    /// Commands that fix what is wrong, in the order to run them.
    pub fixes: Vec<FixCommand>,
    /// What no admission check can see, when every check passes.
    pub remaining: Option<String>,
}

/// Which pull secrets the Pods use, and where that list comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullSecretsUsed {
    pub names: Vec<String>,
    /// The ServiceAccount they come from, when the pod spec lists none of its own.
    pub service_account: Option<String>,
    /// Why these: the pod spec's own list, or its ServiceAccount's.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretHeld {
    pub name: String,
    pub state: SecretState,
    /// What is wrong with it, in the policy's words.
    pub finding: Option<String>,
    /// Its registry keys (never what they hold).
    pub keys: Vec<KeyHeld>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretState {
    /// The kubelet reads registry keys from it.
    Usable,
    /// Not among the objects given (not in the namespace, to the kubelet).
    Missing,
    /// Of a type or shape the kubelet ignores.
    Ignored,
    /// The kubelet cannot decode it, and fails every pull of the Pod.
    Poison,
    /// It could not be read.
    Unreadable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyHeld {
    /// The key as written, any user name and password cut out.
    pub key: String,
    /// `host[:port][/path]`, as the kubelet matches it; `None` when it drops the key.
    pub reads_as: Option<String>,
    /// A user name or password comes with it.
    pub credentials: bool,
    /// Why the kubelet drops it, if it does.
    pub dropped: Option<String>,
}

/// The kubelet's chain for one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerChain {
    /// `container`, `init container` or `ephemeral container`.
    pub role: String,
    pub name: String,
    /// As written.
    pub image: String,
    /// Normalised as the runtimes do: the registry host, and the repository.
    pub registry: Option<String>,
    pub repository: Option<String>,
    /// Why the runtimes cannot parse the image, if they cannot.
    pub invalid: Option<String>,
    /// The key whose credentials the kubelet sends first.
    pub sends: Option<KeyRef>,
    /// When it sends none for an image that may need them: the Secret the fixes make serve it.
    pub fixed_by: Option<String>,
    /// The keys of the Pods' pull secrets that do not serve the image, and why.
    pub misses: Vec<KeyMiss>,
    pub verdict: ContainerVerdict,
    /// The finding, in the policy's words.
    pub finding: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRef {
    pub secret: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyMiss {
    pub secret: String,
    pub key: String,
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContainerVerdict {
    /// The kubelet sends credentials for the image.
    SendsCredentials,
    /// It sends none: fine only for a public image.
    NoCredentials,
    /// The pull fails whatever the registry says: an invalid image, a poison, missing or
    /// unreadable pull secret, or a rejection by the policy's settings.
    Fails,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyVerdict {
    pub allowed: bool,
    pub message: Option<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FixCommand {
    /// What the command does.
    pub what: String,
    pub command: String,
}

/// The policy that would have caught the workloads' mistakes at admission, generated from
/// what they pull and the pull secrets that serve (or should serve) them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prevention {
    /// The policy settings, as YAML.
    pub settings: String,
    /// A `ClusterAdmissionPolicy` with those settings, as YAML.
    pub policy: String,
}
