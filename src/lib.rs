//! A Kubewarden policy that rejects Pods and workload templates whose images come from a
//! private registry without an `imagePullSecrets` entry that serves that registry, and pull
//! secrets the kubelet cannot use.
//!
//! Data flows one way: the admission request (`workload`) gives pod specs; their images are
//! parsed as the container runtimes parse them (`reference`) and matched against the
//! configured registries as the kubelet matches credential keys (`registry`, `glob`); the
//! checks (`pod_check`) turn that into findings, which `render` words into a [`Verdict`]. Pull
//! secrets take the same road: their content is read and decoded as the kubelet decodes it
//! (`pull_secret`, `dockerconfig`) and their keys matched with the same code
//! (`secret_check`). `review` ties it together for one request, and `entry` speaks
//! Kubewarden's JSON.
//!
//! The checks are pure: no waPC and no host call below `entry`. What front ends may use is
//! what this file exports; the wasm shell at the bottom only registers the waPC functions.

mod cluster;
mod docker_hub;
mod dockerconfig;
mod entry;
mod explain;
#[cfg(any(test, fuzzing))]
pub mod fuzzing;
mod glob;
#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
mod host;
mod json_error;
mod json_splice;
mod keyring;
mod lookups;
mod mutation;
mod pod_check;
mod pull_secret;
mod reference;
mod registry;
mod render;
mod review;
mod secret_check;
mod settings;
mod verdict;
mod when;
mod workload;

pub use cluster::{Cluster, LookupError, NoCluster, Objects, Resource};
pub use entry::{validate, validate_settings};
pub use explain::{
    ContainerChain, ContainerVerdict, Explanation, FixCommand, KeyHeld, KeyMiss, KeyRef,
    PolicyVerdict, Prevention, PullSecretsUsed, SecretHeld, SecretState, explain, prevention,
    workload_kind,
};
pub use settings::Settings;
pub use verdict::{ChangedObject, Verdict};

/// The policy module's waPC shell: `wasm32-wasip1` only, so that other wasm front ends (the
/// troubleshooter page) link the checks without waPC's imports.
#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
mod guest {
    use kubewarden_policy_sdk::protocol_version_guest;
    use kubewarden_policy_sdk::wapc_guest::{CallResult, register_function};

    use crate::host::Host;

    fn validate(payload: &[u8]) -> CallResult {
        Ok(crate::entry::validate(payload, &Host))
    }

    fn validate_settings(payload: &[u8]) -> CallResult {
        Ok(crate::entry::validate_settings(payload))
    }

    #[unsafe(no_mangle)]
    pub extern "C" fn wapc_init() {
        register_function("validate", validate);
        register_function("validate_settings", validate_settings);
        register_function("protocol_version", protocol_version_guest);
    }
}
