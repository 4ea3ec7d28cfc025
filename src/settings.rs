//! The policy's settings: their wire form, their validation, and the checked form the checks use.
//!
//! Settings arrive twice: once in `validate_settings`, where every mistake must be refused
//! with a message that names the field, and once with every request. Both go through
//! [`Settings::from_json`] / [`Settings::try_from`], so a [`Settings`] value is always valid.

use serde::Deserialize;

use crate::json;
use crate::kubelet::reference::ImageRef;
use crate::kubelet::registry::{ImageHost, NearMiss, RegistryEntry, Specificity};

/// What to do with images from registries the settings do not list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(crate) enum UnlistedRegistries {
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
pub(crate) enum TemplatesWithoutPullSecrets {
    /// Reject, naming the ServiceAccount: the template should say which secret it relies on.
    #[default]
    Reject,
    /// Accept with a warning; the Pods are checked when they are created.
    Warn,
}

/// What a Secret or ServiceAccount that the Pods reference, but that does not exist in their
/// namespace, gets (cluster lookups only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(crate) enum MissingPullSecrets {
    /// A bare Pod is rejected (it would be created broken); a workload template is accepted
    /// with a warning, since GitOps tools may create it before the Secret.
    #[default]
    Auto,
    Warn,
    Reject,
}

/// What a DELETE or UPDATE of a pull secret (or of a ServiceAccount's list of them) that
/// Pods and workloads still pull with gets (cluster lookups only; see `in_use`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(crate) enum PullSecretsInUse {
    /// Not checked: no lookups are made.
    Allow,
    /// Accepted, with a warning that names the users (the default with cluster lookups).
    Warn,
    Reject,
}

impl TryFrom<String> for PullSecretsInUse {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        match value.as_str() {
            "warn" => Ok(PullSecretsInUse::Warn),
            "reject" => Ok(PullSecretsInUse::Reject),
            "allow" => Ok(PullSecretsInUse::Allow),
            _ => Err(format!(
                "unknown value `{value}`, expected `warn`, `reject` or `allow`"
            )),
        }
    }
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

impl TryFrom<String> for MissingPullSecrets {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        match value.as_str() {
            "auto" => Ok(MissingPullSecrets::Auto),
            "warn" => Ok(MissingPullSecrets::Warn),
            "reject" => Ok(MissingPullSecrets::Reject),
            _ => Err(format!(
                "unknown value `{value}`, expected `auto`, `warn` or `reject`"
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

/// The settings as written by the user (camelCase, unknown fields refused); a field left out
/// takes its value from [`RawSettings::default`], the one place the defaults are written.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawSettings {
    registries: Vec<RawRegistry>,
    unlisted_registries: UnlistedRegistries,
    templates_without_pull_secrets: TemplatesWithoutPullSecrets,
    validate_secrets: bool,
    cluster_lookups: bool,
    missing_pull_secrets: MissingPullSecrets,
    add_missing_pull_secrets: bool,
    /// Left out: `warn` with cluster lookups, no check without.
    pull_secrets_in_use: Option<PullSecretsInUse>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawRegistry {
    registry: String,
    #[serde(default)]
    pull_secrets: Vec<String>,
}

/// The entry of `pullSecrets` that stands for any Secret the Pods reference.
const ANY_REFERENCED: &str = "*";

/// A registry the cluster knows about, and the Secrets that serve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Registry {
    entry: RegistryEntry,
    pull_secrets: PullSecrets,
    /// Index in the settings as written, so messages list registries in the user's order.
    position: usize,
    specificity: Specificity,
}

/// Which Secrets serve a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PullSecrets {
    /// None: the registry is public, or the nodes' own credentials serve it.
    None,
    /// Any one of these Secrets, by name.
    OneOf(Vec<String>),
    /// `"*"`: any Secret the Pods reference whose content serves the registry, as the cluster
    /// lookups read it.
    AnyReferenced,
}

impl Registry {
    pub(crate) fn entry(&self) -> &RegistryEntry {
        &self.entry
    }

    pub(crate) fn pull_secrets(&self) -> &PullSecrets {
        &self.pull_secrets
    }

    /// The Secrets the settings name for the registry (none for `"*"`).
    pub(crate) fn declared_secrets(&self) -> &[String] {
        match &self.pull_secrets {
            PullSecrets::OneOf(names) => names,
            PullSecrets::None | PullSecrets::AnyReferenced => &[],
        }
    }

    pub(crate) fn needs_pull_secret(&self) -> bool {
        self.pull_secrets != PullSecrets::None
    }

    /// Whether a Secret of this name, referenced by a Pod, is one that may serve the registry.
    pub(crate) fn accepts(&self, secret: &str) -> bool {
        match &self.pull_secrets {
            PullSecrets::OneOf(_) => self.is_declared_for(secret),
            PullSecrets::AnyReferenced => true,
            PullSecrets::None => false,
        }
    }

    /// Whether the settings name a Secret of this name for the registry.
    pub(crate) fn is_declared_for(&self, secret: &str) -> bool {
        self.declared_secrets().iter().any(|s| s == secret)
    }
}

impl Default for RawSettings {
    fn default() -> Self {
        RawSettings {
            registries: Vec::new(),
            unlisted_registries: UnlistedRegistries::default(),
            templates_without_pull_secrets: TemplatesWithoutPullSecrets::default(),
            validate_secrets: true,
            cluster_lookups: false,
            missing_pull_secrets: MissingPullSecrets::default(),
            add_missing_pull_secrets: false,
            pull_secrets_in_use: None,
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
    cluster_lookups: bool,
    missing_pull_secrets: MissingPullSecrets,
    add_missing_pull_secrets: bool,
    pull_secrets_in_use: PullSecretsInUse,
}

impl Settings {
    /// The settings of a policy given none: every registry is public.
    pub fn none() -> Settings {
        match Settings::try_from(RawSettings::default()) {
            Ok(settings) => settings,
            // The defaults list no registry, and nothing else can fail to validate.
            Err(_) => unreachable!("the default settings are valid"),
        }
    }

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
        // Every request carries the settings, and a policy server reads them into a fresh
        // instance each time: the plain parse is the common path; the one that tracks where it
        // failed runs only to word a failure.
        let raw: RawSettings = match serde_json::from_slice(json) {
            Ok(raw) => raw,
            Err(_) => {
                let de = &mut serde_json::Deserializer::from_slice(json);
                serde_path_to_error::deserialize::<_, RawSettings>(de)
                    .map_err(|e| json::error::located(e, false))?
            }
        };
        Settings::try_from(raw)
    }

    /// The entry that governs `image`: the most specific one that covers it.
    pub(crate) fn registry_for(&self, image: &ImageRef<'_>) -> Option<&Registry> {
        self.registries.iter().find(|r| r.entry.covers(image))
    }

    /// A registry entry whose host `image`'s almost is, with the reason, for an image that no
    /// entry covers: the most specific first.
    pub(crate) fn near_miss(&self, image: &ImageRef<'_>) -> Option<(&Registry, NearMiss)> {
        let host = ImageHost::of(image);
        self.registries
            .iter()
            .find_map(|r| r.entry.near_miss_of_image(&host).map(|n| (r, n)))
    }

    /// The registries in the order the settings list them, as users recognise them.
    pub(crate) fn listed_registries(&self) -> Vec<String> {
        (0..self.registries.len())
            .filter_map(|i| self.registries.iter().find(|r| r.position == i))
            .map(|r| r.entry.to_string())
            .collect()
    }

    /// The registries a Secret of this name is declared for.
    pub(crate) fn registries_served_by<'s>(
        &'s self,
        secret: &'s str,
    ) -> impl Iterator<Item = &'s Registry> + 's {
        self.registries
            .iter()
            .filter(move |r| r.is_declared_for(secret))
    }

    pub(crate) fn unlisted_registries(&self) -> UnlistedRegistries {
        self.unlisted_registries
    }

    pub(crate) fn templates_without_pull_secrets(&self) -> TemplatesWithoutPullSecrets {
        self.templates_without_pull_secrets
    }

    /// Whether pull secrets themselves are checked when they are written.
    pub(crate) fn validate_secrets(&self) -> bool {
        self.validate_secrets
    }

    /// Whether the Secrets and ServiceAccounts the Pods reference are read from the cluster.
    pub(crate) fn cluster_lookups(&self) -> bool {
        self.cluster_lookups
    }

    pub(crate) fn missing_pull_secrets(&self) -> MissingPullSecrets {
        self.missing_pull_secrets
    }

    /// Whether a missing pull secret is added to the object rather than rejected.
    pub(crate) fn add_missing_pull_secrets(&self) -> bool {
        self.add_missing_pull_secrets
    }

    /// What removing a pull secret that Pods still pull with gets; `Allow` without lookups.
    pub(crate) fn pull_secrets_in_use(&self) -> PullSecretsInUse {
        self.pull_secrets_in_use
    }
}

impl TryFrom<RawSettings> for Settings {
    type Error = String;

    fn try_from(raw: RawSettings) -> Result<Settings, String> {
        let mut registries: Vec<Registry> = Vec::with_capacity(raw.registries.len());
        // Settings are read again with every request: field names are formatted only on error.
        for (i, entry) in raw.registries.into_iter().enumerate() {
            let pattern = RegistryEntry::from_setting(&entry.registry)
                .map_err(|e| format!("registries[{i}].registry: `{}` {e}", entry.registry))?;
            if let Some(j) = registries.iter().position(|r| r.entry == pattern) {
                return Err(format!(
                    "registries[{i}].registry: `{}` is listed twice (also as registries[{j}]); \
                     merge their pullSecrets into one entry",
                    entry.registry
                ));
            }
            let pull_secrets = pull_secrets(i, entry.pull_secrets, raw.cluster_lookups)?;
            // Most specific first, and among equally specific entries the settings' order: each
            // goes after those at least as specific (settings are a few entries long; an
            // insertion costs the module no sort routine).
            let specificity = pattern.specificity();
            let at = registries
                .iter()
                .position(|r| specificity > r.specificity)
                .unwrap_or(registries.len());
            registries.insert(
                at,
                Registry {
                    entry: pattern,
                    pull_secrets,
                    position: i,
                    specificity,
                },
            );
        }
        let needs_lookups = |value: &str| {
            format!(
                "pullSecretsInUse: `{value}` needs clusterLookups: true, so that the policy can \
                 list the Pods and workloads that pull with a Secret"
            )
        };
        let pull_secrets_in_use = match (raw.pull_secrets_in_use, raw.cluster_lookups) {
            (Some(PullSecretsInUse::Warn), false) => return Err(needs_lookups("warn")),
            (Some(PullSecretsInUse::Reject), false) => return Err(needs_lookups("reject")),
            (Some(value), _) => value,
            (None, true) => PullSecretsInUse::Warn,
            (None, false) => PullSecretsInUse::Allow,
        };
        Ok(Settings {
            registries,
            unlisted_registries: raw.unlisted_registries,
            templates_without_pull_secrets: raw.templates_without_pull_secrets,
            validate_secrets: raw.validate_secrets,
            cluster_lookups: raw.cluster_lookups,
            missing_pull_secrets: raw.missing_pull_secrets,
            add_missing_pull_secrets: raw.add_missing_pull_secrets,
            pull_secrets_in_use,
        })
    }
}

/// `registries[i].pullSecrets`, checked: Secret names, each once, or `"*"` alone, which only
/// cluster lookups can honour.
fn pull_secrets(
    i: usize,
    names: Vec<String>,
    cluster_lookups: bool,
) -> Result<PullSecrets, String> {
    let field = |k: usize| format!("registries[{i}].pullSecrets[{k}]");
    if let Some(k) = names.iter().position(|n| n == ANY_REFERENCED) {
        if names.len() > 1 {
            return Err(format!(
                "{}: `*` (any Secret the Pods reference) must be the only entry of pullSecrets",
                field(k)
            ));
        }
        if !cluster_lookups {
            return Err(format!(
                "{}: `*` (any Secret the Pods reference that serves the registry) needs \
                 clusterLookups: true, so that the policy can read what the Secrets hold",
                field(k)
            ));
        }
        return Ok(PullSecrets::AnyReferenced);
    }
    for (k, secret) in names.iter().enumerate() {
        validate_secret_name(secret).map_err(|e| format!("{}: {e}", field(k)))?;
        if names[..k].contains(secret) {
            return Err(format!("{}: `{secret}` is listed twice", field(k)));
        }
    }
    Ok(if names.is_empty() {
        PullSecrets::None
    } else {
        PullSecrets::OneOf(names)
    })
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
    use rstest::rstest;

    fn parse(json: &str) -> Result<Settings, String> {
        Settings::from_json(json.as_bytes())
    }

    #[test]
    fn none_is_what_empty_settings_read_as() {
        assert_eq!(Settings::none(), parse("{}").unwrap());
    }

    #[test]
    fn defaults() {
        let s = parse("{}").unwrap();
        assert!(s.listed_registries().is_empty());
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
            s.registry_for(&quay).unwrap().declared_secrets(),
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
            .map(|r| r.entry().to_string())
            .collect();
        assert_eq!(served, ["private.registry.com"]);
    }

    #[test]
    fn cluster_lookups() {
        let s = parse("{}").unwrap();
        assert!(!s.cluster_lookups());
        assert_eq!(s.missing_pull_secrets(), MissingPullSecrets::Auto);
        let s = parse(
            r#"{"clusterLookups":true,"missingPullSecrets":"warn",
                "registries":[{"registry":"a.io","pullSecrets":["*"]}]}"#,
        )
        .unwrap();
        assert!(s.cluster_lookups());
        assert_eq!(s.missing_pull_secrets(), MissingPullSecrets::Warn);
        let a = ImageRef::parse("a.io/app").unwrap();
        let registry = s.registry_for(&a).unwrap();
        assert_eq!(registry.pull_secrets(), &PullSecrets::AnyReferenced);
        assert!(registry.needs_pull_secret() && registry.accepts("anything"));
        assert!(!registry.is_declared_for("anything"));
        assert_eq!(s.registries_served_by("anything").count(), 0);
    }

    #[rstest]
    #[case::lookups_off_default("{}", PullSecretsInUse::Allow)]
    #[case::lookups_off_allow(r#"{"pullSecretsInUse":"allow"}"#, PullSecretsInUse::Allow)]
    #[case::lookups_on_default(r#"{"clusterLookups":true}"#, PullSecretsInUse::Warn)]
    #[case::lookups_on_reject(
        r#"{"clusterLookups":true,"pullSecretsInUse":"reject"}"#,
        PullSecretsInUse::Reject
    )]
    #[case::lookups_on_allow(
        r#"{"clusterLookups":true,"pullSecretsInUse":"allow"}"#,
        PullSecretsInUse::Allow
    )]
    fn pull_secrets_in_use(#[case] json: &str, #[case] expected: PullSecretsInUse) {
        assert_eq!(parse(json).unwrap().pull_secrets_in_use(), expected);
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
        assert_eq!(
            s.registry_for(&team).unwrap().declared_secrets(),
            ["quay-team"]
        );
        let other = ImageRef::parse("quay.io/teams/app").unwrap();
        assert_eq!(
            s.registry_for(&other).unwrap().declared_secrets(),
            ["quay-all"]
        );
    }

    #[rstest]
    #[case::unknown_field(r#"{"registry":[]}"#, "unknown field `registry`")]
    #[case::registries_not_a_list(r#"{"registries":{}}"#, "registries: invalid type: map")]
    #[case::registry_missing(r#"{"registries":[{"pullSecrets":[]}]}"#, "missing field `registry`")]
    #[case::unknown_entry_field(
        r#"{"registries":[{"registry":"a.io","pullSecret":["x"]}]}"#,
        "registries[0].pullSecret: unknown field `pullSecret`"
    )]
    #[case::secret_not_a_string(
        r#"{"registries":[{"registry":"a.io","pullSecrets":[5]}]}"#,
        "registries[0].pullSecrets[0]: invalid type: integer"
    )]
    #[case::empty_registry(
        r#"{"registries":[{"registry":"","pullSecrets":[]}]}"#,
        "registries[0].registry: `` must not be empty"
    )]
    #[case::url(
        r#"{"registries":[{"registry":"https://a.io","pullSecrets":[]}]}"#,
        "registries[0].registry: `https://a.io` must be a registry host"
    )]
    #[case::secret_name(
        r#"{"registries":[{"registry":"a.io","pullSecrets":["Regcred"]}]}"#,
        "registries[0].pullSecrets[0]: `Regcred` is not a valid Secret name"
    )]
    #[case::secret_twice(
        r#"{"registries":[{"registry":"a.io","pullSecrets":["x","x"]}]}"#,
        "registries[0].pullSecrets[1]: `x` is listed twice"
    )]
    #[case::empty_secret(
        r#"{"registries":[{"registry":"a.io","pullSecrets":[""]}]}"#,
        "registries[0].pullSecrets[0]: a Secret name must not be empty"
    )]
    #[case::docker_hub_twice(
        r#"{"registries":[{"registry":"docker.io"},{"registry":"index.docker.io"}]}"#,
        "registries[1].registry: `index.docker.io` is listed twice (also as registries[0])"
    )]
    #[case::unlisted_value(
        r#"{"unlistedRegistries":"deny"}"#,
        "unlistedRegistries: unknown value `deny`, expected `allow` or `reject`"
    )]
    #[case::templates_value(
        r#"{"templatesWithoutPullSecrets":"allow"}"#,
        "templatesWithoutPullSecrets: unknown value `allow`, expected `reject` or `warn`"
    )]
    #[case::templates_type(
        r#"{"templatesWithoutPullSecrets":true}"#,
        "templatesWithoutPullSecrets: invalid type: boolean `true`, expected a string"
    )]
    #[case::validate_secrets_type(
        r#"{"validateSecrets":"no"}"#,
        "validateSecrets: invalid type: string \"no\", expected a boolean"
    )]
    #[case::any_referenced_without_lookups(
        r#"{"registries":[{"registry":"a.io","pullSecrets":["*"]}]}"#,
        "registries[0].pullSecrets[0]: `*` (any Secret the Pods reference that serves the \
         registry) needs clusterLookups: true"
    )]
    #[case::any_referenced_among_names(
        r#"{"clusterLookups":true,"registries":[{"registry":"a.io","pullSecrets":["x","*"]}]}"#,
        "registries[0].pullSecrets[1]: `*` (any Secret the Pods reference) must be the only entry"
    )]
    #[case::missing_value(
        r#"{"missingPullSecrets":"allow"}"#,
        "missingPullSecrets: unknown value `allow`, expected `auto`, `warn` or `reject`"
    )]
    #[case::lookups_type(
        r#"{"clusterLookups":"yes"}"#,
        "clusterLookups: invalid type: string \"yes\", expected a boolean"
    )]
    #[case::in_use_value(
        r#"{"clusterLookups":true,"pullSecretsInUse":"deny"}"#,
        "pullSecretsInUse: unknown value `deny`, expected `warn`, `reject` or `allow`"
    )]
    #[case::in_use_warn_without_lookups(
        r#"{"pullSecretsInUse":"warn"}"#,
        "pullSecretsInUse: `warn` needs clusterLookups: true"
    )]
    #[case::in_use_reject_without_lookups(
        r#"{"clusterLookups":false,"pullSecretsInUse":"reject"}"#,
        "pullSecretsInUse: `reject` needs clusterLookups: true"
    )]
    #[case::array("[]", "must be a JSON object")]
    #[case::number("3", "must be a JSON object")]
    fn errors_name_the_field(#[case] json: &str, #[case] fragment: &str) {
        let err = parse(json).unwrap_err();
        assert!(err.contains(fragment), "{err}");
    }

    /// The fields serde reads for `T`, as its derived `Deserialize` names them to the
    /// deserializer: a new setting is in this list without anyone writing it down.
    fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
        struct Fields(&'static [&'static str]);
        #[derive(Debug)]
        struct Done;
        impl std::fmt::Display for Done {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("done")
            }
        }
        impl std::error::Error for Done {}
        impl serde::de::Error for Done {
            fn custom<M: std::fmt::Display>(_: M) -> Done {
                Done
            }
        }
        impl<'de> serde::Deserializer<'de> for &mut Fields {
            type Error = Done;
            fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Done> {
                Err(Done)
            }
            fn deserialize_struct<V: serde::de::Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Done> {
                self.0 = fields;
                Err(Done)
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
                bytes byte_buf option unit unit_struct newtype_struct seq tuple
                tuple_struct map enum identifier ignored_any
            }
        }
        let mut fields = Fields(&[]);
        let _ = T::deserialize(&mut fields);
        fields.0
    }

    #[test]
    fn every_setting_has_a_question() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/questions-ui.yml");
        let questions: serde_json::Value =
            serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let variables = |questions: &serde_json::Value, key: &str| -> Vec<String> {
            questions[key]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|q| q["variable"].as_str().map(str::to_owned))
                .collect()
        };
        let top = variables(&questions, "questions");
        let settings = fields_of::<RawSettings>();
        assert!(settings.len() >= 4, "{settings:?}");
        for field in settings {
            assert!(top.iter().any(|v| v == field), "no question for {field}");
        }
        let registries = questions["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["variable"] == "registries")
            .unwrap();
        let nested = variables(registries, "sequence_questions");
        for field in fields_of::<RawRegistry>() {
            assert!(
                nested.iter().any(|v| v == field),
                "no question for registries[].{field}"
            );
        }
    }

    #[rstest]
    fn valid_secret_names(#[values("regcred", "a", "reg-cred.v2", "0abc")] name: &str) {
        assert!(validate_secret_name(name).is_ok());
    }

    #[rstest]
    #[case::leading_dash("-a")]
    #[case::trailing_dash("a-")]
    #[case::empty_label("a..b")]
    #[case::underscore("a_b")]
    #[case::upper_case("A")]
    #[case::space("a b")]
    #[case::too_long(&"a".repeat(254))]
    fn invalid_secret_names(#[case] name: &str) {
        assert!(validate_secret_name(name).is_err());
    }
}
