//! The policy settings box: the settings as YAML or JSON, or a whole `ClusterAdmissionPolicy`
//! (or `AdmissionPolicy`) whose `spec.settings` they are. Validated by the library, whose
//! messages name the field.

use image_pull_secrets_policy::Settings;
use serde::Serialize;
use serde_json::Value;

use crate::documents::{self, Found};
use crate::note::{Level, Note};

/// Which settings the report was made with.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsUsed {
    /// Where the settings came from; `None` when none were given (the report then has no
    /// policy verdict, only the kubelet's chain).
    pub source: Option<String>,
    /// Why the given settings were not used.
    pub error: Option<String>,
}

/// Whether `value` is a Kubewarden policy object.
pub fn is_policy(value: &Value) -> bool {
    let api_version = value["apiVersion"].as_str().unwrap_or_default();
    let kind = value["kind"].as_str().unwrap_or_default();
    api_version.starts_with("policies.kubewarden.io/")
        && matches!(kind, "ClusterAdmissionPolicy" | "AdmissionPolicy")
}

/// The settings in `text`, else those of a policy pasted with the objects.
pub fn read(
    text: &str,
    pasted: &[Found],
    notes: &mut Vec<Note>,
) -> (Option<Settings>, SettingsUsed) {
    match chosen(text, pasted, notes) {
        Ok(None) => (None, SettingsUsed::default()),
        Ok(Some((settings, source))) => (
            Some(settings),
            SettingsUsed {
                source: Some(source),
                error: None,
            },
        ),
        Err(error) => (
            None,
            SettingsUsed {
                source: None,
                error: Some(error),
            },
        ),
    }
}

/// The settings [`read`] uses, and where they come from; an error says why none can be.
fn chosen(
    text: &str,
    pasted: &[Found],
    notes: &mut Vec<Note>,
) -> Result<Option<(Settings, String)>, String> {
    let read = documents::read(text);
    if let Some(unreadable) = read.unreadable.first() {
        return Err(format!("{}: {}", unreadable.place, unreadable.error));
    }
    let (found, from) = match (read.objects.first(), pasted.first()) {
        (Some(found), _) => {
            if read.objects.len() > 1 {
                notes.push(Note {
                    level: Level::Info,
                    about: "settings".into(),
                    text: format!(
                        "{} documents in the settings box: only the first is read",
                        read.objects.len()
                    ),
                });
            }
            (found, "")
        }
        (None, Some(found)) => (found, ", pasted with the objects"),
        (None, None) => return Ok(None),
    };
    let (value, source) = settings_of(&found.value)?;
    let source = format!("{source}{from}");
    if let Some(module) = module_elsewhere(&found.value) {
        notes.push(Note {
            level: Level::Info,
            about: "settings".into(),
            text: format!(
                "the policy runs module {module}, not image-pull-secrets: its settings are read as \
                 image-pull-secrets settings all the same"
            ),
        });
    }
    let settings = Settings::from_json(&serde_json::to_vec(&value).unwrap_or_default())
        .map_err(|error| format!("{source}: {error}"))?;
    Ok(Some((settings, source)))
}

/// The settings an object stands for, and where they are in it.
fn settings_of(value: &Value) -> Result<(Value, String), String> {
    if is_policy(value) {
        let kind = value["kind"].as_str().unwrap_or_default();
        let name = value["metadata"]["name"].as_str().unwrap_or("<unnamed>");
        let settings = match &value["spec"]["settings"] {
            Value::Null => Value::Object(Default::default()),
            settings => settings.clone(),
        };
        return Ok((settings, format!("spec.settings of {kind}/{name}")));
    }
    // Settings have neither `kind` nor `apiVersion`: an object with both is something else,
    // pasted into the wrong box.
    if let (Some(kind), Some(_)) = (value["kind"].as_str(), value["apiVersion"].as_str()) {
        return Err(format!(
            "the settings box holds a {kind}, not policy settings: paste the settings (or the \
             ClusterAdmissionPolicy) there, and the {kind} with the objects"
        ));
    }
    Ok((value.clone(), "the settings box".to_owned()))
}

/// The module of the policy the settings come from, when it is not this one.
fn module_elsewhere(policy: &Value) -> Option<String> {
    let module = policy["spec"]["module"]
        .as_str()
        .filter(|_| is_policy(policy))?;
    (!module.contains("image-pull-secrets")).then(|| module.to_owned())
}
