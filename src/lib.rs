//! A Kubewarden policy that rejects Pods and workload templates whose images come from a
//! private registry without an `imagePullSecrets` entry that serves that registry, and pull
//! secrets the kubelet cannot use; and the troubleshooter that explains a workload that
//! already fails to pull, with the same rules.
//!
//! Data flows one way: the admission request (`request`) gives a pod spec or a Secret; the
//! kubelet's and the runtimes' rules (`kubelet`: image references, registry keys, the pull
//! secret decoder, the keyring) say what the kubelet would do with it; each feature's check
//! (`pods`, `secrets`; `in_use` for a pull secret removed while Pods still pull with it,
//! from what it lists) turns that into findings, as data, with the Secrets and ServiceAccounts
//! it references read through [`Cluster`] when `clusterLookups` is on; `review` picks the
//! check, has the findings worded (each feature's `words`, and the shared phrases of `words`)
//! or fixed (`pods::fix`), and answers with a verdict that `kubewarden` writes as Kubewarden's
//! JSON. The troubleshooter (`troubleshooter`) reads the same findings and plans its fixes as
//! data before it words them.
//!
//! The library is pure: it reads no clock, no environment and no network. The cluster comes
//! in through [`Cluster`], which the waPC shell at the bottom of this file answers with
//! Kubewarden's host calls (`cluster::host`), and tests and the page with objects they hold;
//! the time comes in as a [`UnixTime`], which the shell reads from the WASI clock, the page
//! from `Date.now()`, and tests fix. Credentials that say when they stop working
//! (`kubelet::dockerconfig::expiry`) are judged as of it, and their ends worded by
//! `words::when`.

#![warn(missing_docs)]

mod cluster;
#[cfg(any(test, fuzzing))]
pub mod fuzzing;
mod in_use;
mod json;
mod kubelet;
mod kubewarden;
mod pods;
mod request;
mod review;
mod secrets;
mod settings;
mod troubleshooter;
mod verdict;
mod when;
mod words;

pub use cluster::{Cluster, ListKind, LookupError, NoCluster, Objects, Resource};
pub use kubewarden::{validate, validate_settings};
pub use request::WorkloadKind;
pub use settings::Settings;
pub use troubleshooter::{
    ContainerChain, ContainerVerdict, Explanation, FixCommand, KeyHeld, KeyMiss, KeyRef,
    PolicyVerdict, Prevention, PullSecretsUsed, SecretHeld, SecretState, explain, prevention,
    workload_kind,
};
pub use when::UnixTime;

/// The policy module's waPC shell: `wasm32-wasip1` only, so that other wasm front ends (the
/// troubleshooter page) link the checks without waPC's imports.
#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
mod guest;
