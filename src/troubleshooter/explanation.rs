//! What the troubleshooter tells about a workload, as the page receives it (JSON): the
//! kubelet's chain for each container, the pull secrets as it finds them, the policy's verdict
//! and the commands that fix it. Plain data, written once by [`explain`](super::explain).

use serde::Serialize;

use crate::request::WorkloadKind;

/// One workload, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// `Kind/name`, as `kubectl` names it.
    pub object: String,
    /// The workload's kind.
    pub kind: WorkloadKind,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (`default` when it names none).
    pub namespace: String,
    /// Which pull secrets the Pods use.
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
    /// The Secrets' names, in the order listed.
    pub names: Vec<String>,
    /// The ServiceAccount they come from, when the pod spec lists none of its own.
    pub service_account: Option<String>,
    /// Why these: the pod spec's own list, or its ServiceAccount's.
    pub source: String,
}

/// A pull secret the Pods use, as the kubelet finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretHeld {
    /// The Secret's name.
    pub name: String,
    /// What the kubelet makes of it.
    pub state: SecretState,
    /// What is wrong with it, in the policy's words.
    pub finding: Option<String>,
    /// Its registry keys (never what they hold).
    pub keys: Vec<KeyHeld>,
}

/// What the kubelet makes of a pull secret.
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

/// A registry key of a pull secret.
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
    /// When its credential stops working, where the credential tells (an ECR token, a JWT's
    /// `exp`, a token kind that lasts an hour), as of the time the page was given: "expired 2
    /// days ago, at 2026-12-04T08:00:00Z", "expires in 5 hours, at ...". Read from the
    /// credential's own content, never verified.
    pub expires: Option<String>,
    /// Its credential has expired: the registry refuses it.
    pub expired: bool,
}

/// The kubelet's chain for one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerChain {
    /// `container`, `init container` or `ephemeral container`.
    pub role: String,
    /// The container's name.
    pub name: String,
    /// As written.
    pub image: String,
    /// Normalised as the runtimes do: the registry host, and the repository.
    pub registry: Option<String>,
    /// The repository, normalised as the runtimes do.
    pub repository: Option<String>,
    /// Why the runtimes cannot parse the image, if they cannot.
    pub invalid: Option<String>,
    /// The key whose credentials the kubelet sends first.
    pub sends: Option<KeyRef>,
    /// When it sends none for an image that may need them: the Secret the fixes make serve it.
    pub fixed_by: Option<String>,
    /// The keys of the Pods' pull secrets that do not serve the image, and why.
    pub misses: Vec<KeyMiss>,
    /// What the pull comes to.
    pub verdict: ContainerVerdict,
    /// The finding, in the policy's words.
    pub finding: String,
}

/// A registry key of a Secret, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRef {
    /// The Secret's name.
    pub secret: String,
    /// The key, any user name and password cut out.
    pub key: String,
    /// When the credential it holds stops working, as [`KeyHeld::expires`] says it.
    pub expires: Option<String>,
}

/// A key that does not send credentials for an image, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyMiss {
    /// The Secret's name.
    pub secret: String,
    /// The key, any user name and password cut out.
    pub key: String,
    /// Why it misses, in words.
    pub why: String,
}

/// What a container's pull comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContainerVerdict {
    /// The kubelet sends credentials for the image.
    SendsCredentials,
    /// It sends none: fine only for a public image.
    NoCredentials,
    /// The pull fails whatever the registry says: an invalid image, a poison, missing or
    /// unreadable pull secret, credentials that have all expired, or a rejection by the
    /// policy's settings.
    Fails,
}

/// The policy's admission verdict on the workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyVerdict {
    /// Whether the policy admits it.
    pub allowed: bool,
    /// Why not, when it does not.
    pub message: Option<String>,
    /// What it warns of either way.
    pub warnings: Vec<String>,
}

/// One step of a fix: a command, and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FixCommand {
    /// What the command does.
    pub what: String,
    /// The command to run; credentials are placeholders.
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
