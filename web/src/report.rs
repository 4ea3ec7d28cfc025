//! The page's report: every pasted workload explained by the library, against the Secrets and
//! ServiceAccounts pasted with it, and what the page could not use, as notes.
//!
//! The rules are the library's: this module only sorts the pasted objects into workloads and
//! the `Objects` the library looks its pull secrets up in, and says what it left out.

use image_pull_secrets_policy::{
    Explanation, Objects, Prevention, Resource, UnixTime, WorkloadKind, explain as explain_one,
    prevention, workload_kind,
};
use serde::Serialize;

use crate::documents::{self, Found};
use crate::note::{Level, Note, note};
use crate::settings::{self, SettingsUsed};

/// What the page renders.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Each pasted Pod or workload, in the order pasted.
    pub workloads: Vec<Explanation>,
    /// What was pasted that the page did not explain, or should be said about it.
    pub notes: Vec<Note>,
    pub settings: SettingsUsed,
    /// The policy that would have rejected the workloads; none when no workload was pasted.
    pub prevention: Option<Prevention>,
    /// The Secrets and ServiceAccounts the library was given, as `namespace/name` (`*/name` for
    /// one pasted without a namespace).
    pub pasted: Pasted,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pasted {
    pub secrets: Vec<String>,
    pub service_accounts: Vec<String>,
}

/// A pasted Secret or ServiceAccount.
struct Held {
    resource: Resource,
    namespace: Option<String>,
    name: String,
    json: Vec<u8>,
}

/// A pasted Pod or workload.
struct Workload {
    place: String,
    namespace: String,
    json: Vec<u8>,
    /// The kind and name of the controller that owns it, if one does.
    controller: Option<(String, String)>,
}

/// The report for what was pasted into the page's two boxes, as of `now`.
pub fn explain(objects_text: &str, settings_text: &str, now: UnixTime) -> Report {
    let read = documents::read(objects_text);
    let mut notes: Vec<Note> = read
        .unreadable
        .iter()
        .map(|u| note(Level::Error, &u.place, &u.error))
        .collect();
    let mut held = Vec::new();
    let mut workloads = Vec::new();
    let mut policies = Vec::new();
    for found in read.objects {
        sort(found, &mut held, &mut workloads, &mut policies, &mut notes);
    }

    let (settings, used) = settings::read(settings_text, &policies, &mut notes);
    let objects = cluster(&held, &workloads);

    let mut explanations = Vec::new();
    let mut controlled = Vec::new();
    for workload in &workloads {
        match explain_one(&workload.json, settings.as_ref(), &objects, now) {
            Ok(explanation) => {
                controlled.extend(controlled_pod(workload, &explanation));
                explanations.push(explanation);
            }
            Err(error) => notes.push(note(Level::Error, &workload.place, error)),
        }
    }
    notes.extend(controlled);
    notes.extend(unused(&held, &explanations));
    if explanations.is_empty() && notes.iter().all(|n| n.level != Level::Error) {
        notes.push(note(
            Level::Info,
            "objects",
            format!(
                "no Pod or workload was pasted: paste the output of `kubectl get pod NAME -o \
                 yaml` (or of its {}), with its pull Secrets",
                WorkloadKind::in_prose(false)
            ),
        ));
    }
    Report {
        prevention: (!explanations.is_empty()).then(|| prevention(&explanations)),
        workloads: explanations,
        notes,
        settings: used,
        pasted: Pasted {
            secrets: names(&held, Resource::Secret),
            service_accounts: names(&held, Resource::ServiceAccount),
        },
    }
}

/// Puts one pasted object where it belongs.
fn sort(
    found: Found,
    held: &mut Vec<Held>,
    workloads: &mut Vec<Workload>,
    policies: &mut Vec<Found>,
    notes: &mut Vec<Note>,
) {
    let value = &found.value;
    let kind = value["kind"].as_str().unwrap_or_default();
    let api_version = value["apiVersion"].as_str().unwrap_or("v1");
    let metadata = &value["metadata"];
    let name = metadata["name"].as_str();
    let namespace = metadata["namespace"]
        .as_str()
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let about = match name {
        Some(name) => format!("{kind}/{name} ({})", found.place),
        None => format!(
            "{} ({})",
            if kind.is_empty() { "object" } else { kind },
            found.place
        ),
    };
    let resource = [Resource::Secret, Resource::ServiceAccount]
        .into_iter()
        .find(|r| r.api_version() == api_version && r.kind() == kind);
    let json = serde_json::to_vec(value).unwrap_or_default();
    if let Some(resource) = resource {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            notes.push(note(
                Level::Error,
                about,
                format!("a {kind} without metadata.name: no Pod can reference it"),
            ));
            return;
        };
        held.push(Held {
            resource,
            namespace,
            name: name.to_owned(),
            json,
        });
        return;
    }
    if workload_kind(&json).is_some() {
        let controller = metadata["ownerReferences"]
            .as_array()
            .and_then(|owners| owners.iter().find(|o| o["controller"] == true))
            .map(|owner| {
                let field = |f: &str, or: &str| owner[f].as_str().unwrap_or(or).to_owned();
                (field("kind", "controller"), field("name", "?"))
            });
        workloads.push(Workload {
            place: about,
            namespace: namespace.unwrap_or_else(|| "default".to_owned()),
            json,
            controller,
        });
        return;
    }
    if settings::is_policy(value) {
        policies.push(found);
        return;
    }
    let text = if kind.is_empty() {
        "an object without `kind`: paste objects as `kubectl get ... -o yaml` prints them"
            .to_owned()
    } else {
        format!(
            "not one of the kinds the policy checks ({}), nor a Secret or ServiceAccount: \
             {kind} of {api_version} is left out",
            WorkloadKind::in_prose(true)
        )
    };
    notes.push(note(Level::Info, about, text));
}

/// The objects the library looks pull secrets up in. A Secret or ServiceAccount pasted without
/// a namespace (as `kubectl create ... --dry-run=client -o yaml` writes it) counts in the
/// namespace of every pasted workload.
fn cluster(held: &[Held], workloads: &[Workload]) -> Objects {
    let mut namespaces: Vec<&str> = Vec::new();
    for workload in workloads {
        if !namespaces.contains(&workload.namespace.as_str()) {
            namespaces.push(&workload.namespace);
        }
    }
    let mut objects = Objects::new();
    // Those with a namespace go in last, so that they win over namespace-less ones of the same
    // name: they say where they are.
    for h in held.iter().filter(|h| h.namespace.is_none()) {
        for namespace in &namespaces {
            objects.insert(h.resource, namespace, &h.name, h.json.clone());
        }
    }
    for h in held {
        if let Some(namespace) = &h.namespace {
            objects.insert(h.resource, namespace, &h.name, h.json.clone());
        }
    }
    objects
}

/// A Pod that a controller created is fixed in its controller: recreated by hand, it would
/// come back from the old template.
fn controlled_pod(workload: &Workload, explanation: &Explanation) -> Option<Note> {
    if explanation.kind != WorkloadKind::Pod || explanation.fixes.is_empty() {
        return None;
    }
    let (kind, name) = workload.controller.as_ref()?;
    let hint = match kind.as_str() {
        "ReplicaSet" => format!(
            " (for a Deployment's Pods, its Deployment: `kubectl get replicaset {name} -n {} \
             -o jsonpath='{{.metadata.ownerReferences[0].name}}'` names it)",
            explanation.namespace
        ),
        "Job" => " (or the CronJob that owns it)".to_owned(),
        _ => String::new(),
    };
    Some(note(
        Level::Info,
        &explanation.object,
        format!(
            "this Pod is controlled by {kind}/{name}: fix the controller instead{hint}, and \
             paste it here for the commands; a Pod recreated by hand comes back from the \
             controller's template, without the fix"
        ),
    ))
}

/// Pasted Secrets and ServiceAccounts that no explained workload uses where they are: the usual
/// slips are a name that differs by a character, and another namespace.
fn unused(held: &[Held], explanations: &[Explanation]) -> Vec<Note> {
    let mut notes = Vec::new();
    if explanations.is_empty() {
        return notes;
    }
    for h in held {
        let used = explanations.iter().any(|e| {
            h.namespace.as_deref().is_none_or(|ns| ns == e.namespace)
                && match h.resource {
                    Resource::Secret => e.pull_secrets.names.contains(&h.name),
                    Resource::ServiceAccount => {
                        e.pull_secrets.service_account.as_ref() == Some(&h.name)
                    }
                }
        });
        if used {
            continue;
        }
        let kind = h.resource.kind();
        let elsewhere = h
            .namespace
            .as_deref()
            .filter(|ns| explanations.iter().all(|e| e.namespace != *ns));
        let text = match elsewhere {
            Some(ns) => {
                let theirs: Vec<&str> = explanations.iter().map(|e| e.namespace.as_str()).collect();
                format!(
                    "it is in namespace {ns:?}, but the pasted workloads run in {}: the kubelet \
                     only reads pull secrets from the Pod's own namespace",
                    quoted(&theirs)
                )
            }
            None => "no pasted workload uses it".to_owned(),
        };
        notes.push(note(Level::Info, format!("{kind}/{}", h.name), text));
    }
    notes
}

fn quoted(items: &[&str]) -> String {
    let mut unique: Vec<String> = Vec::new();
    for item in items {
        let item = format!("{item:?}");
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    unique.join(", ")
}

fn names(held: &[Held], resource: Resource) -> Vec<String> {
    held.iter()
        .filter(|h| h.resource == resource)
        .map(|h| format!("{}/{}", h.namespace.as_deref().unwrap_or("*"), h.name))
        .collect()
}
