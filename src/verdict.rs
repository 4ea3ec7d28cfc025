//! What a check concludes, and the object it speaks about.

use std::borrow::Cow;
use std::fmt;

/// The outcome of a check: accepted or rejected, with non-blocking warnings either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accept {
        warnings: Vec<String>,
    },
    Reject {
        message: String,
        warnings: Vec<String>,
    },
}

impl Verdict {
    pub fn accept() -> Verdict {
        Verdict::Accept {
            warnings: Vec::new(),
        }
    }

    pub fn reject(message: impl Into<String>) -> Verdict {
        Verdict::Reject {
            message: message.into(),
            warnings: Vec::new(),
        }
    }

    pub fn is_allowed(&self) -> bool {
        matches!(self, Verdict::Accept { .. })
    }

    /// The rejection message, when rejected.
    pub fn message(&self) -> Option<&str> {
        match self {
            Verdict::Reject { message, .. } => Some(message),
            Verdict::Accept { .. } => None,
        }
    }

    /// The rejection message of a verdict a test expects to be a rejection.
    #[cfg(test)]
    #[track_caller]
    pub fn expect_rejected(&self) -> &str {
        self.message()
            .unwrap_or_else(|| panic!("expected a rejection: {self:?}"))
    }

    pub fn warnings(&self) -> &[String] {
        match self {
            Verdict::Accept { warnings } | Verdict::Reject { warnings, .. } => warnings,
        }
    }
}

/// The object under review, as messages name it: `Deployment "web" in namespace "team-a"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject<'r> {
    pub kind: &'static str,
    /// `metadata.name`, or `generateName` followed by `*` for objects named by the server.
    pub name: Option<Cow<'r, str>>,
    pub namespace: Option<&'r str>,
    /// CREATE (a new object) or UPDATE (an existing one).
    pub create: bool,
}

impl Subject<'_> {
    pub fn is_create(&self) -> bool {
        self.create
    }

    /// `namespace "team-a"`, or `the object's namespace` when the request names none.
    pub fn namespace_phrase(&self) -> String {
        match self.namespace {
            Some(ns) => format!("namespace {ns:?}"),
            None => "the object's namespace".into(),
        }
    }

    #[cfg(test)]
    pub fn for_test(kind: &'static str, create: bool) -> Subject<'static> {
        Subject {
            kind,
            name: Some(Cow::Borrowed("test")),
            namespace: Some("team-a"),
            create,
        }
    }
}

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        if let Some(ns) = self.namespace {
            write!(f, " in namespace {ns:?}")?;
        }
        Ok(())
    }
}
