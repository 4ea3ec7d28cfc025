//! What a check concludes, and the object it speaks about.

use std::borrow::Cow;
use std::fmt;

use serde_json::value::RawValue;

/// The outcome of a check: accepted (as it is, or with the object changed) or rejected, with
/// non-blocking warnings either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Accept {
        warnings: Vec<String>,
    },
    /// Accepted once changed into `object`, the whole object as the API server is to store it.
    Mutate {
        object: ChangedObject,
        warnings: Vec<String>,
    },
    Reject {
        message: String,
        warnings: Vec<String>,
    },
}

impl Verdict {
    pub(crate) fn accept() -> Verdict {
        Verdict::Accept {
            warnings: Vec::new(),
        }
    }

    pub(crate) fn reject(message: impl Into<String>) -> Verdict {
        Verdict::Reject {
            message: message.into(),
            warnings: Vec::new(),
        }
    }

    pub(crate) fn is_allowed(&self) -> bool {
        !matches!(self, Verdict::Reject { .. })
    }

    /// The rejection message, when rejected.
    pub(crate) fn message(&self) -> Option<&str> {
        match self {
            Verdict::Reject { message, .. } => Some(message),
            Verdict::Accept { .. } | Verdict::Mutate { .. } => None,
        }
    }

    /// The changed object, when the verdict changes it.
    pub(crate) fn mutated_object(&self) -> Option<&ChangedObject> {
        match self {
            Verdict::Mutate { object, .. } => Some(object),
            Verdict::Accept { .. } | Verdict::Reject { .. } => None,
        }
    }

    /// The rejection message of a verdict a test expects to be a rejection.
    #[cfg(test)]
    #[track_caller]
    pub(crate) fn expect_rejected(&self) -> &str {
        self.message()
            .unwrap_or_else(|| panic!("expected a rejection: {self:?}"))
    }

    pub(crate) fn warnings(&self) -> &[String] {
        match self {
            Verdict::Accept { warnings }
            | Verdict::Mutate { warnings, .. }
            | Verdict::Reject { warnings, .. } => warnings,
        }
    }
}

/// A whole object, changed by a fix, as JSON text.
#[derive(Debug, Clone)]
pub(crate) struct ChangedObject(Box<RawValue>);

impl ChangedObject {
    /// `None` when `json` is not valid JSON.
    pub(crate) fn new(json: String) -> Option<ChangedObject> {
        RawValue::from_string(json).ok().map(ChangedObject)
    }

    pub(crate) fn json(&self) -> &str {
        self.0.get()
    }

    pub(crate) fn raw(&self) -> &RawValue {
        &self.0
    }
}

impl PartialEq for ChangedObject {
    fn eq(&self, other: &ChangedObject) -> bool {
        self.json() == other.json()
    }
}

impl Eq for ChangedObject {}

/// A kind of object, as messages name it.
pub(crate) trait Kind: Copy {
    fn name(self) -> &'static str;
}

/// The kind of the Secrets the pull-secret check and the cluster lookups speak about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SecretKind;

impl Kind for SecretKind {
    fn name(self) -> &'static str {
        "Secret"
    }
}

/// The object under review, as messages name it: `Deployment "web" in namespace "team-a"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subject<'r, K> {
    pub(crate) kind: K,
    /// `metadata.name`, or `generateName` followed by `*` for objects named by the server.
    pub(crate) name: Option<Cow<'r, str>>,
    pub(crate) namespace: Option<&'r str>,
    /// CREATE (a new object) or UPDATE (an existing one).
    pub(crate) create: bool,
}

impl<K: Kind> Subject<'_, K> {
    pub(crate) fn is_create(&self) -> bool {
        self.create
    }

    /// `namespace "team-a"`, or `the object's namespace` when the request names none.
    pub(crate) fn namespace_phrase(&self) -> String {
        match self.namespace {
            Some(ns) => format!("namespace {ns:?}"),
            None => "the object's namespace".into(),
        }
    }

    #[cfg(test)]
    pub(crate) fn for_test(kind: K, create: bool) -> Subject<'static, K> {
        Subject {
            kind,
            name: Some(Cow::Borrowed("test")),
            namespace: Some("team-a"),
            create,
        }
    }
}

impl<K: Kind> fmt::Display for Subject<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.name())?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        if let Some(ns) = self.namespace {
            write!(f, " in namespace {ns:?}")?;
        }
        Ok(())
    }
}
