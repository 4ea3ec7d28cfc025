//! What the page tells about the pasted text beside the explanations: a note on something it
//! could not use, or worth knowing. Its own module, so that the report and the settings box
//! both write notes without importing each other.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    pub level: Level,
    /// What the note is about: a document, an object.
    pub about: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Something pasted could not be used.
    Error,
    /// Worth knowing.
    Info,
}

pub(crate) fn note(level: Level, about: impl Into<String>, text: impl Into<String>) -> Note {
    Note {
        level,
        about: about.into(),
        text: text.into(),
    }
}
