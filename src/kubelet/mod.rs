//! The kubelet's and the container runtimes' rules, emulated to the letter: how an image
//! reference is normalised (`reference`, `docker_hub`), how a pull secret is read and decoded
//! (`pull_secret`, `dockerconfig`), which pull secrets a Pod uses (`lookups`, read through
//! the [`Cluster`](crate::cluster::Cluster) trait), and which registry key serves an image
//! (`registry`, `glob`, `keyring`). Nothing here knows the policy's settings or words: the features above ask these
//! modules what the kubelet would do, and judge and word it themselves.

pub(crate) mod docker_hub;
pub(crate) mod dockerconfig;
pub(crate) mod glob;
pub(crate) mod keyring;
pub(crate) mod lookups;
pub(crate) mod pull_secret;
pub(crate) mod reference;
pub(crate) mod registry;
