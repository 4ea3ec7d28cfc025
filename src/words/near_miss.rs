//! Near misses in words: why a host or a registry key looks meant for a registry it misses.

use crate::kubelet::registry::{Found, NearMiss, Why};

/// The reason, as it follows "did you mean ...?" or a registry key in a message.
pub(crate) fn near_miss(near_miss: &NearMiss) -> String {
    let (found, wanted) = match near_miss.found {
        Found::Key => ("the key", "the images"),
        Found::Image => ("the image", "the listed registry"),
    };
    let port = |p: &str| {
        if p.is_empty() {
            "no port".to_owned()
        } else {
            format!("port {p}")
        }
    };
    match &near_miss.why {
        Why::DockerHubKey => "the Docker Hub key that `kubectl create secret docker-registry` \
                              writes when --docker-server is left out"
            .into(),
        Why::Registry1 => match near_miss.found {
            Found::Key => "the kubelet never uses registry-1.docker.io for Docker Hub images: \
                           the key must be docker.io or https://index.docker.io/v1/"
                .into(),
            Found::Image => "the kubelet never takes registry-1.docker.io for Docker Hub: write \
                             Docker Hub images as docker.io/... or with no registry"
                .into(),
        },
        Why::Port {
            found: found_port,
            wanted: wanted_port,
        } => format!(
            "the port differs: {found} has {}, {wanted} {}",
            port(found_port),
            port(wanted_port)
        ),
        Why::Path { found, wanted } => {
            let path = if found.is_empty() { "/" } else { found };
            format!("its path {path} does not cover {wanted}")
        }
        Why::Case { port_too } => format!(
            "the host differs in case, and the kubelet compares hosts case-sensitively{}",
            if *port_too {
                "; the port differs too"
            } else {
                ""
            }
        ),
        Why::OneLabelPerStar { glob, host } => {
            format!("`*` stands for exactly one DNS label, so {glob} does not match {host}")
        }
        Why::Typo => "the host looks like a typo".into(),
    }
}
