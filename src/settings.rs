//! The policy's settings: their wire form, their validation, and the checked form the checks use.
//!
//! Settings arrive twice: once in `validate_settings`, where every mistake must be refused
//! with a message that names the field, and once with every request. Both go through
//! [`Settings::from_json`] / [`Settings::try_from`], so a [`Settings`] value is always valid.

use serde::Deserialize;

use crate::reference::ImageRef;
use crate::registry::RegistryPattern;

/// What to do with images from registries the settings do not list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum UnlistedRegistries {
    /// They are public: no pull secret is needed.
    #[default]
    Allow,
    /// Only listed registries may be used.
    Reject,
}

/// What to do with a workload template (Deployment, CronJob, ...) that lists no
/// `imagePullSecrets` but pulls from a registry that needs one. Its Pods get their
/// ServiceAccount's pull secrets at creation, which this policy cannot see from the template.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum TemplatesWithoutPullSecrets {
    /// Reject, naming the ServiceAccount: the template should say which secret it relies on.
    #[default]
    Reject,
    /// Accept with a warning; the Pods are checked when they are created.
    Warn,
}

// Read through a string rather than serde's enum support, whose error for a non-string
// (`true`) is the unhelpful "expected value".
impl TryFrom<String> for UnlistedRegistries {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        match value.as_str() {
            "allow" => Ok(UnlistedRegistries::Allow),
            "reject" => Ok(UnlistedRegistries::Reject),
            _ => Err(format!(
                "unknown value `{value}`, expected `allow` or `reject`"
            )),
        }
    }
}

impl TryFrom<String> for TemplatesWithoutPullSecrets {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        match value.as_str() {
            "reject" => Ok(TemplatesWithoutPullSecrets::Reject),
            "warn" => Ok(TemplatesWithoutPullSecrets::Warn),
            _ => Err(format!(
                "unknown value `{value}`, expected `reject` or `warn`"
            )),
        }
    }
}

/// The settings as written by the user (camelCase, unknown fields refused).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawSettings {
    #[serde(default)]
    registries: Vec<RawRegistry>,
    #[serde(default)]
    unlisted_registries: UnlistedRegistries,
    #[serde(default)]
    templates_without_pull_secrets: TemplatesWithoutPullSecrets,
    #[serde(default = "yes")]
    validate_secrets: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawRegistry {
    registry: String,
    #[serde(default)]
    pull_secrets: Vec<String>,
}

/// A registry the cluster knows about, and the Secrets that serve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    pattern: RegistryPattern<'static>,
    pull_secrets: Vec<String>,
    /// Index in the settings as written, so messages list registries in the user's order.
    position: usize,
}

impl Registry {
    pub fn pattern(&self) -> &RegistryPattern<'static> {
        &self.pattern
    }

    /// Any one of these serves the registry; empty means node credentials serve it.
    pub fn pull_secrets(&self) -> &[String] {
        &self.pull_secrets
    }

    pub fn needs_pull_secret(&self) -> bool {
        !self.pull_secrets.is_empty()
    }

    pub fn is_served_by(&self, secret: &str) -> bool {
        self.pull_secrets.iter().any(|s| s == secret)
    }
}

impl Default for RawSettings {
    fn default() -> Self {
        RawSettings {
            registries: Vec::new(),
            unlisted_registries: UnlistedRegistries::default(),
            templates_without_pull_secrets: TemplatesWithoutPullSecrets::default(),
            validate_secrets: true,
        }
    }
}

/// Validated settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Most specific first, so the first entry that covers an image governs it.
    registries: Vec<Registry>,
    unlisted_registries: UnlistedRegistries,
    templates_without_pull_secrets: TemplatesWithoutPullSecrets,
    validate_secrets: bool,
}

impl Settings {
    /// Parses and validates settings JSON; the error names the offending field.
    pub fn from_json(json: &[u8]) -> Result<Settings, String> {
        // A host may send `null` for "no settings"; serde would also read a struct from a
        // JSON array, which no user means.
        if json.trim_ascii() == b"null" {
            return Settings::try_from(RawSettings::default());
        }
        if json.trim_ascii_start().first() != Some(&b'{') {
            return Err("the settings must be a JSON object".into());
        }
        let de = &mut serde_json::Deserializer::from_slice(json);
        let raw: RawSettings = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." {
                inner.to_string()
            } else {
                format!("{path}: {inner}")
            }
        })?;
        Settings::try_from(raw)
    }

    /// The entry that governs `image`: the most specific one that covers it.
    pub fn registry_for(&self, image: &ImageRef<'_>) -> Option<&Registry> {
        self.registries.iter().find(|r| r.pattern.covers(image))
    }

    /// Most specific first.
    pub fn registries(&self) -> &[Registry] {
        &self.registries
    }

    /// The registries in the order the settings list them, as users recognise them.
    pub fn listed_registries(&self) -> Vec<String> {
        let mut listed: Vec<&Registry> = self.registries.iter().collect();
        listed.sort_by_key(|r| r.position);
        listed.iter().map(|r| r.pattern.to_string()).collect()
    }

    /// The registries a Secret of this name is declared for.
    pub fn registries_served_by<'s>(
        &'s self,
        secret: &'s str,
    ) -> impl Iterator<Item = &'s Registry> + 's {
        self.registries
            .iter()
            .filter(move |r| r.is_served_by(secret))
    }

    pub fn unlisted_registries(&self) -> UnlistedRegistries {
        self.unlisted_registries
    }

    pub fn templates_without_pull_secrets(&self) -> TemplatesWithoutPullSecrets {
        self.templates_without_pull_secrets
    }

    /// Whether pull secrets themselves are checked when they are written.
    pub fn validate_secrets(&self) -> bool {
        self.validate_secrets
    }
}

impl TryFrom<RawSettings> for Settings {
    type Error = String;

    fn try_from(raw: RawSettings) -> Result<Settings, String> {
        let mut registries: Vec<Registry> = Vec::with_capacity(raw.registries.len());
        // Settings are read again with every request: field names are formatted only on error.
        for (i, entry) in raw.registries.into_iter().enumerate() {
            let pattern = RegistryPattern::from_setting(&entry.registry)
                .map_err(|e| format!("registries[{i}].registry: `{}` {e}", entry.registry))?;
            if let Some(j) = registries.iter().position(|r| r.pattern == pattern) {
                return Err(format!(
                    "registries[{i}].registry: `{}` is listed twice (also as registries[{j}]); \
                     merge their pullSecrets into one entry",
                    entry.registry
                ));
            }
            for (k, secret) in entry.pull_secrets.iter().enumerate() {
                let field = || format!("registries[{i}].pullSecrets[{k}]");
                validate_secret_name(secret).map_err(|e| format!("{}: {e}", field()))?;
                if entry.pull_secrets[..k].contains(secret) {
                    return Err(format!("{}: `{secret}` is listed twice", field()));
                }
            }
            registries.push(Registry {
                pattern,
                pull_secrets: entry.pull_secrets,
                position: i,
            });
        }
        // Stable: among equally specific entries, the settings' order decides.
        registries.sort_by(|a, b| a.pattern.specificity_cmp(&b.pattern));
        Ok(Settings {
            registries,
            unlisted_registries: raw.unlisted_registries,
            templates_without_pull_secrets: raw.templates_without_pull_secrets,
            validate_secrets: raw.validate_secrets,
        })
    }
}

/// A Secret name is a DNS subdomain (RFC 1123): what the API server accepts as `metadata.name`.
fn validate_secret_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a Secret name must not be empty".into());
    }
    if name.len() > 253 {
        return Err(format!(
            "`{name}` is not a valid Secret name: at most 253 characters"
        ));
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !name.split('.').all(label_ok) {
        return Err(format!(
            "`{name}` is not a valid Secret name: lower-case letters, digits, `-` and `.`, \
             starting and ending with a letter or digit (RFC 1123 subdomain)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Settings, String> {
        Settings::from_json(json.as_bytes())
    }

    #[test]
    fn defaults() {
        let s = parse("{}").unwrap();
        assert!(s.registries().is_empty());
        assert_eq!(s.unlisted_registries(), UnlistedRegistries::Allow);
        assert_eq!(
            s.templates_without_pull_secrets(),
            TemplatesWithoutPullSecrets::Reject
        );
        assert!(s.validate_secrets());
        assert!(
            !parse(r#"{"validateSecrets":false}"#)
                .unwrap()
                .validate_secrets()
        );
    }

    #[test]
    fn full_example() {
        let s = parse(
            r#"{"registries":[
                {"registry":"private.registry.com","pullSecrets":["regcred","regcred-ro"]},
                {"registry":"*.dkr.ecr.*.amazonaws.com","pullSecrets":[]},
                {"registry":"quay.io/my-org","pullSecrets":["quay-my-org"]},
                {"registry":"docker.io"}
              ],
              "unlistedRegistries":"reject",
              "templatesWithoutPullSecrets":"warn"}"#,
        )
        .unwrap();
        assert_eq!(s.unlisted_registries(), UnlistedRegistries::Reject);
        assert_eq!(
            s.templates_without_pull_secrets(),
            TemplatesWithoutPullSecrets::Warn
        );
        let quay = ImageRef::parse("quay.io/my-org/app").unwrap();
        assert_eq!(
            s.registry_for(&quay).unwrap().pull_secrets(),
            ["quay-my-org"]
        );
        let ecr = ImageRef::parse("1.dkr.ecr.eu-west-1.amazonaws.com/app").unwrap();
        assert!(!s.registry_for(&ecr).unwrap().needs_pull_secret());
        let hub = ImageRef::parse("nginx").unwrap();
        assert!(!s.registry_for(&hub).unwrap().needs_pull_secret());
        assert!(
            s.registry_for(&ImageRef::parse("ghcr.io/x/y").unwrap())
                .is_none()
        );
        let served: Vec<_> = s
            .registries_served_by("regcred")
            .map(|r| r.pattern().to_string())
            .collect();
        assert_eq!(served, ["private.registry.com"]);
    }

    #[test]
    fn most_specific_entry_wins() {
        let s = parse(
            r#"{"registries":[
                {"registry":"quay.io","pullSecrets":["quay-all"]},
                {"registry":"quay.io/team","pullSecrets":["quay-team"]}]}"#,
        )
        .unwrap();
        let team = ImageRef::parse("quay.io/team/app").unwrap();
        assert_eq!(s.registry_for(&team).unwrap().pull_secrets(), ["quay-team"]);
        let other = ImageRef::parse("quay.io/teams/app").unwrap();
        assert_eq!(s.registry_for(&other).unwrap().pull_secrets(), ["quay-all"]);
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (r#"{"registry":[]}"#, "unknown field `registry`"),
            (r#"{"registries":{}}"#, "registries: invalid type: map"),
            (
                r#"{"registries":[{"pullSecrets":[]}]}"#,
                "missing field `registry`",
            ),
            (
                r#"{"registries":[{"registry":"a.io","pullSecret":["x"]}]}"#,
                "registries[0].pullSecret: unknown field `pullSecret`",
            ),
            (
                r#"{"registries":[{"registry":"a.io","pullSecrets":[5]}]}"#,
                "registries[0].pullSecrets[0]: invalid type: integer",
            ),
            (
                r#"{"registries":[{"registry":"","pullSecrets":[]}]}"#,
                "registries[0].registry: `` must not be empty",
            ),
            (
                r#"{"registries":[{"registry":"https://a.io","pullSecrets":[]}]}"#,
                "registries[0].registry: `https://a.io` must be a registry host",
            ),
            (
                r#"{"registries":[{"registry":"a.io","pullSecrets":["Regcred"]}]}"#,
                "registries[0].pullSecrets[0]: `Regcred` is not a valid Secret name",
            ),
            (
                r#"{"registries":[{"registry":"a.io","pullSecrets":["x","x"]}]}"#,
                "registries[0].pullSecrets[1]: `x` is listed twice",
            ),
            (
                r#"{"registries":[{"registry":"a.io","pullSecrets":[""]}]}"#,
                "registries[0].pullSecrets[0]: a Secret name must not be empty",
            ),
            (
                r#"{"registries":[{"registry":"docker.io"},{"registry":"index.docker.io"}]}"#,
                "registries[1].registry: `index.docker.io` is listed twice (also as registries[0])",
            ),
            (
                r#"{"unlistedRegistries":"deny"}"#,
                "unlistedRegistries: unknown value `deny`, expected `allow` or `reject`",
            ),
            (
                r#"{"templatesWithoutPullSecrets":"allow"}"#,
                "templatesWithoutPullSecrets: unknown value `allow`, expected `reject` or `warn`",
            ),
            (
                r#"{"templatesWithoutPullSecrets":true}"#,
                "templatesWithoutPullSecrets: invalid type: boolean `true`, expected a string",
            ),
            (
                r#"{"validateSecrets":"no"}"#,
                "validateSecrets: invalid type: string \"no\", expected a boolean",
            ),
            ("[]", "must be a JSON object"),
            ("3", "must be a JSON object"),
        ];
        for (json, fragment) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.contains(fragment), "{json}: {err}");
        }
    }

    #[test]
    fn secret_names() {
        for ok in ["regcred", "a", "reg-cred.v2", "0abc"] {
            assert!(validate_secret_name(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(254);
        for bad in ["-a", "a-", "a..b", "a_b", "A", "a b", long.as_str()] {
            assert!(validate_secret_name(bad).is_err(), "{bad}");
        }
    }
}
