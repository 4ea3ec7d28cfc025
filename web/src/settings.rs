//! The policy settings box: the settings as YAML or JSON, or a whole `ClusterAdmissionPolicy`
//! (or `AdmissionPolicy`) whose `spec.settings` they are. Validated by the library, whose
//! messages name the field.

use image_pull_secrets_policy::Settings;
use serde::Serialize;
use serde_json::Value;

use crate::documents::{self, Found};
use crate::report::{Level, Note};

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
    let mut used = SettingsUsed::default();
    let read = documents::read(text);
    if let Some(unreadable) = read.unreadable.first() {
        used.error = Some(format!("{}: {}", unreadable.place, unreadable.error));
        return (None, used);
    }
    let (value, source) = match read.objects.first() {
        Some(found) => {
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
            match settings_of(&found.value) {
                Ok(found_settings) => found_settings,
                Err(error) => {
                    used.error = Some(error);
                    return (None, used);
                }
            }
        }
        None => match pasted.first() {
            Some(found) => match settings_of(&found.value) {
                Ok((value, source)) => (value, format!("{source}, pasted with the objects")),
                Err(error) => {
                    used.error = Some(error);
                    return (None, used);
                }
            },
            None => return (None, used),
        },
    };
    if let Some(module) = module_elsewhere(&read.objects, pasted) {
        notes.push(Note {
            level: Level::Info,
            about: "settings".into(),
            text: format!(
                "the policy runs module {module}, not image-pull-secrets: its settings are read as \
                 image-pull-secrets settings all the same"
            ),
        });
    }
    match Settings::from_json(&serde_json::to_vec(&value).unwrap_or_default()) {
        Ok(settings) => {
            used.source = Some(source);
            (Some(settings), used)
        }
        Err(error) => {
            used.error = Some(format!("{source}: {error}"));
            (None, used)
        }
    }
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
fn module_elsewhere(box_objects: &[Found], pasted: &[Found]) -> Option<String> {
    let policy = box_objects
        .first()
        .filter(|f| is_policy(&f.value))
        .or_else(|| box_objects.is_empty().then(|| pasted.first()).flatten())?;
    let module = policy.value["spec"]["module"].as_str()?;
    (!module.contains("image-pull-secrets")).then(|| module.to_owned())
}
