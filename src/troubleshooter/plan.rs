//! The troubleshooter's plan, as data: the fixes for a workload that fails to pull, in the
//! order to run them, and the registries a policy that would have caught it must list. Planned
//! from the chain's facts, never from its words; [`words`](super::words) writes the commands.

use super::chain::{Miss, MissWhy};
use super::explanation::{ContainerVerdict, Explanation, SecretState};
use crate::cluster::LookupError;
use crate::kubelet::docker_hub;
use crate::kubelet::dockerconfig::DatedKind;
use crate::kubelet::keyring::State;
use crate::kubelet::lookups::{Lookups, Source};
use crate::kubelet::pull_secret::Ignored;
use crate::kubelet::reference::ImageRef;
use crate::request::WorkloadKind;
use crate::settings::Settings;

/// What the plan reads of one container's chain.
pub(crate) struct Container<'a> {
    pub(crate) registry: Option<&'a str>,
    pub(crate) repository: Option<&'a str>,
    pub(crate) invalid: bool,
    pub(crate) verdict: ContainerVerdict,
    /// The Secret whose credentials the kubelet sends, if any.
    pub(crate) sends: Option<&'a str>,
    pub(crate) misses: &'a [Miss],
}

/// What the plan reads of one pull secret.
pub(crate) struct Secret<'a> {
    pub(crate) name: &'a str,
    pub(crate) state: SecretState,
}

/// One step of a fix. `server` is a registry as `--docker-server` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fix {
    CreateMissingSecret {
        name: String,
        server: String,
    },
    ReplacePoison {
        name: String,
        server: String,
    },
    /// A Secret of another type: its type cannot change, so it is deleted and written again.
    DeleteOtherType {
        name: String,
    },
    WriteAgain {
        name: String,
        server: String,
    },
    ReplaceIgnored {
        name: String,
        server: String,
    },
    CreateServiceAccount {
        name: String,
    },
    /// A Secret whose credentials for `server` have all expired, written again with a fresh
    /// token of their kind.
    Refresh {
        name: String,
        server: String,
        kind: DatedKind,
    },
    /// A usable Secret whose key looks meant for `registry`, rewritten for it.
    Rewrite {
        miss: Miss,
        registry: String,
    },
    CreatePullSecret {
        name: String,
        registry: String,
    },
    /// Make the Pods reference the new Secrets `names`: through their ServiceAccount, their
    /// pod template, or, for a Pod (whose list cannot change), a saved manifest.
    Reference {
        names: Vec<String>,
        to: Referrer,
        has_list: bool,
    },
    /// Make the Pods that already back off pull again.
    Restart,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Referrer {
    ServiceAccount(String),
    Pod,
    Template(WorkloadKind),
}

/// The fixes, and which Secret they make serve each registry that lacks one.
pub(crate) struct Plan {
    pub(crate) fixes: Vec<Fix>,
    /// `(registry host, Secret)`.
    pub(crate) serving: Vec<(String, String)>,
    /// Whether some image that may need credentials gets none.
    pub(crate) lacking: bool,
}

/// The registries of the images that get no credentials, official Docker Hub images aside
/// (they are public): the images a fix is about.
fn lacking<'a>(containers: &[Container<'a>]) -> Vec<&'a str> {
    let mut domains: Vec<&str> = Vec::new();
    for c in containers {
        let official = c.registry == Some(docker_hub::DOMAIN)
            && c.repository
                .is_some_and(|r| r.starts_with(docker_hub::OFFICIAL_PREFIX));
        if c.verdict == ContainerVerdict::SendsCredentials || c.invalid || official {
            continue;
        }
        if let Some(domain) = c.registry
            && !domains.contains(&domain)
        {
            domains.push(domain);
        }
    }
    domains
}

/// The fixes for a workload of `kind`, in the order to run them.
pub(crate) fn plan(
    kind: WorkloadKind,
    settings: Option<&Settings>,
    lookups: &Lookups,
    secrets: &[Secret<'_>],
    containers: &[Container<'_>],
) -> Plan {
    let mut serving: Vec<(String, String)> = Vec::new();
    let mut fixes: Vec<Fix> = Vec::new();
    let push = |fixes: &mut Vec<Fix>, fix: Fix| {
        if !fixes.contains(&fix) {
            fixes.push(fix);
        }
    };
    let lacking = lacking(containers);
    let first_lacking = lacking.first().map_or("<registry>", |d| d).to_owned();
    for held in secrets {
        let name = held.name.to_owned();
        let server = first_lacking.clone();
        match held.state {
            SecretState::Missing => push(&mut fixes, Fix::CreateMissingSecret { name, server }),
            SecretState::Poison => push(&mut fixes, Fix::ReplacePoison { name, server }),
            SecretState::Ignored => {
                let other_type = lookups.keyring.secrets.iter().any(|s| {
                    s.name == name && matches!(s.state, State::Ignored(Ignored::OtherType { .. }))
                });
                if other_type {
                    push(&mut fixes, Fix::DeleteOtherType { name: name.clone() });
                    push(&mut fixes, Fix::WriteAgain { name, server });
                } else {
                    push(&mut fixes, Fix::ReplaceIgnored { name, server });
                }
            }
            SecretState::Usable | SecretState::Unreadable => {}
        }
    }
    if let Source::ServiceAccount {
        name,
        read: Err(LookupError::NotFound),
    } = &lookups.source
    {
        push(&mut fixes, Fix::CreateServiceAccount { name: name.clone() });
    }
    let used: Vec<String> = lookups
        .keyring
        .secrets
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let mut added: Vec<String> = Vec::new();
    for domain in &lacking {
        // Keys that serve the registry but whose credentials have expired: fresh ones.
        let expired = containers
            .iter()
            .filter(|c| c.registry == Some(domain))
            .flat_map(|c| c.misses)
            .filter_map(|m| Some((m, m.why.expired()?)));
        let mut refreshed = None;
        for (miss, end) in expired {
            push(
                &mut fixes,
                Fix::Refresh {
                    name: miss.secret.clone(),
                    server: domain.to_string(),
                    kind: end.kind,
                },
            );
            refreshed.get_or_insert_with(|| miss.secret.clone());
        }
        if let Some(secret) = refreshed {
            serving.push((domain.to_string(), secret));
            continue;
        }
        // A usable secret whose key looks meant for the registry: rewrite it for the right
        // host, unless it serves other images as it is.
        let near = containers
            .iter()
            .filter(|c| c.registry == Some(domain))
            .flat_map(|c| c.misses)
            .find(|m| {
                m.why != MissWhy::OtherRegistry
                    && secrets
                        .iter()
                        .any(|s| s.name == m.secret && s.state == SecretState::Usable)
                    && !containers
                        .iter()
                        .any(|c| c.sends == Some(m.secret.as_str()))
            });
        if let Some(miss) = near {
            push(
                &mut fixes,
                Fix::Rewrite {
                    miss: miss.clone(),
                    registry: domain.to_string(),
                },
            );
            serving.push((domain.to_string(), miss.secret.clone()));
            continue;
        }
        if let Some(broken) = secrets.iter().find(|s| s.state != SecretState::Usable) {
            // The secrets' own fixes above give it the registry.
            serving.push((domain.to_string(), broken.name.to_owned()));
            continue;
        }
        let name = suggested_name(settings, domain, &used);
        push(
            &mut fixes,
            Fix::CreatePullSecret {
                name: name.clone(),
                registry: domain.to_string(),
            },
        );
        serving.push((domain.to_string(), name.clone()));
        added.push(name);
    }
    if !added.is_empty() {
        let to = match &lookups.source {
            Source::ServiceAccount { name, .. } => Referrer::ServiceAccount(name.clone()),
            Source::Own if kind == WorkloadKind::Pod => Referrer::Pod,
            Source::Own => Referrer::Template(kind),
        };
        push(
            &mut fixes,
            Fix::Reference {
                names: added,
                to,
                has_list: !used.is_empty(),
            },
        );
    }
    // A CronJob's next Jobs get the fix by themselves.
    if !fixes.is_empty() && kind != WorkloadKind::CronJob {
        push(&mut fixes, Fix::Restart);
    }
    Plan {
        fixes,
        serving,
        lacking: !lacking.is_empty(),
    }
}

/// The name to give a new pull secret: what the settings declare for the registry, else
/// `regcred`, if the Pods do not use that name already.
fn suggested_name(settings: Option<&Settings>, domain: &str, used: &[String]) -> String {
    let declared = settings.and_then(|s| {
        let reference = format!("{domain}/x");
        let image = ImageRef::parse(&reference).ok()?;
        s.registry_for(&image)?.declared_secrets().first().cloned()
    });
    let base = declared.unwrap_or_else(|| "regcred".to_owned());
    if !used.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|n| !used.contains(n))
        .unwrap_or(base)
}

/// The settings entry for an image: its registry, or `docker.io/<org>` for a Docker Hub image
/// (the whole of Docker Hub is not one registry to guard); none for an official image.
fn registry_entry(domain: &str, repository: &str) -> Option<String> {
    if domain != docker_hub::DOMAIN {
        return Some(domain.to_owned());
    }
    let org = repository.split_once('/').map(|(org, _)| org)?;
    (format!("{org}/") != docker_hub::OFFICIAL_PREFIX)
        .then(|| format!("{}/{org}", docker_hub::DOMAIN))
}

/// The registries a policy must list to have caught the workloads' mistakes, each with the
/// Secrets that serve it (or that the fixes make serve it).
pub(crate) fn prevention(explanations: &[Explanation]) -> Vec<(String, Vec<String>)> {
    let mut registries: Vec<(String, Vec<String>)> = Vec::new();
    for explanation in explanations {
        for container in &explanation.containers {
            let (Some(domain), Some(repository)) = (&container.registry, &container.repository)
            else {
                continue;
            };
            let Some(entry) = registry_entry(domain, repository) else {
                continue;
            };
            let secret = match (&container.sends, &container.fixed_by) {
                (Some(sent), _) => sent.secret.clone(),
                (None, Some(secret)) => secret.clone(),
                (None, None) => continue,
            };
            match registries.iter_mut().find(|(e, _)| *e == entry) {
                Some((_, secrets)) if !secrets.contains(&secret) => secrets.push(secret),
                Some(_) => {}
                None => registries.push((entry, vec![secret])),
            }
        }
    }
    registries
}
