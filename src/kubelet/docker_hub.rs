//! Docker Hub's names, as the runtimes, the kubelet and `kubectl` spell them. One place, because
//! each spelling means something different to each of them.

/// The domain every Docker Hub image normalises to (`nginx` is `docker.io/library/nginx`).
pub(crate) const DOMAIN: &str = "docker.io";
/// Docker Hub's legacy name ("the Docker Index"): image references canonicalise it to
/// [`DOMAIN`], and the kubelet keeps Docker Hub's fallback credentials under it.
pub(crate) const INDEX: &str = "index.docker.io";
/// The host the Docker client pulls from, which the kubelet never takes for Docker Hub.
pub(crate) const REGISTRY_1: &str = "registry-1.docker.io";
/// The registry key `kubectl create secret docker-registry` writes when `--docker-server` is
/// left out; the kubelet reads it as [`INDEX`].
pub(crate) const INDEX_KEY: &str = "https://index.docker.io/v1/";
/// The namespace of Docker Hub's official images.
pub(crate) const OFFICIAL_PREFIX: &str = "library/";
