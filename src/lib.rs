//! A Kubewarden policy that rejects Pods and workload templates whose images come from a
//! private registry without an `imagePullSecrets` entry that serves that registry, and pull
//! secrets the kubelet cannot use.
//!
//! Data flows one way: the admission request ([`workload`]) gives pod specs; their images are
//! parsed as the container runtimes parse them ([`reference`](mod@reference)) and matched against the
//! configured registries as the kubelet matches credential keys ([`registry`], [`glob`]);
//! the checks ([`check`]) turn that into a [`verdict::Verdict`]. Pull secrets take the same
//! road: their content is decoded as the kubelet decodes it ([`dockerconfig`]) and their keys
//! matched with the same code ([`secret_check`]). [`review`] ties it together for one request,
//! and [`entry`] speaks Kubewarden's JSON. Only `wapc_init` below touches waPC.

pub mod check;
pub mod dockerconfig;
pub mod entry;
pub mod glob;
pub mod reference;
pub mod registry;
pub mod review;
pub mod secret_check;
pub mod settings;
pub mod verdict;
pub mod workload;

#[cfg(target_arch = "wasm32")]
mod guest {
    use kubewarden_policy_sdk::protocol_version_guest;
    use kubewarden_policy_sdk::wapc_guest::{CallResult, register_function};

    fn validate(payload: &[u8]) -> CallResult {
        Ok(crate::entry::validate(payload))
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
