//! The credentials the kubelet builds for a Pod from the pull secrets it really references
//! (`pkg/credentialprovider`: `secrets.MakeDockerKeyring`, `BasicDockerKeyring.Lookup`), as the
//! cluster lookups read them: what each Secret is worth, and which key the kubelet sends for an
//! image.

use crate::cluster::LookupError;
use crate::kubelet::dockerconfig::{
    self, CredentialEnd, Dated, DecodeError, Format, ShownKey, show_key,
};
use crate::kubelet::pull_secret::{self, Ignored, Read, Useless};
use crate::kubelet::reference::ImageRef;
use crate::kubelet::registry::{KeyError, RegistryKey, is_default_registry_match};
use crate::request::Object;
use crate::when::UnixTime;

/// One pull secret a Pod references, as the kubelet finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PulledSecret {
    pub(crate) name: String,
    pub(crate) state: State,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum State {
    /// The Secret could not be read (it does not exist, or the policy may not read it).
    Unavailable(LookupError),
    /// The kubelet silently ignores it.
    Ignored(Ignored),
    /// The kubelet cannot decode it, and fails every pull of the Pod.
    Poison {
        format: Format,
        errors: Vec<DecodeError>,
    },
    /// The kubelet reads these keys from it; `useless` says why there are none.
    Usable {
        keys: Vec<HeldKey>,
        useless: Option<(Format, Useless)>,
    },
}

/// A registry key as the kubelet holds it, with no credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeldKey {
    pub(crate) shown: ShownKey,
    /// As the kubelet parses it; an error means it drops the key.
    pub(crate) key: Result<RegistryKey<'static>, KeyError>,
    /// A non-empty user name or password comes with it.
    pub(crate) has_credentials: bool,
    /// When its credentials stop working, where they tell (never the credentials).
    pub(crate) dated: Option<Dated>,
}

impl HeldKey {
    /// Its credentials' end seen from `now`, when they tell it.
    pub(crate) fn end(&self, now: UnixTime) -> Option<CredentialEnd> {
        self.dated.map(|d| d.seen_at(now))
    }

    /// It holds credentials, and they have not expired at `now` as far as they tell: the
    /// kubelet sends them and the registry may take them.
    pub(crate) fn works_at(&self, now: UnixTime) -> bool {
        self.has_credentials && !self.end(now).is_some_and(CredentialEnd::is_expired)
    }
}

impl PulledSecret {
    /// A Secret as the Kubernetes API served it (JSON).
    pub(crate) fn read(name: &str, json: &[u8]) -> PulledSecret {
        match serde_json::from_slice::<Object<'_>>(json) {
            Ok(object) => PulledSecret::of(name, &object),
            Err(_) => PulledSecret::unavailable(name, LookupError::Failed),
        }
    }

    /// A Secret already read, as an admission request holds it.
    pub(crate) fn of(name: &str, secret: &Object<'_>) -> PulledSecret {
        PulledSecret {
            name: name.to_owned(),
            state: state_of(secret),
        }
    }

    pub(crate) fn unavailable(name: &str, error: LookupError) -> PulledSecret {
        PulledSecret {
            name: name.to_owned(),
            state: State::Unavailable(error),
        }
    }
}

fn state_of(secret: &Object<'_>) -> State {
    let (format, bytes) = match pull_secret::read(secret) {
        // The API server stores data as bytes: a reply with bad base64 is not a real Secret.
        Read::Ignored(Ignored::NotBase64 { .. }) => return State::Unavailable(LookupError::Failed),
        Read::Ignored(why) => return State::Ignored(why),
        Read::Content { format, bytes } => (format, bytes),
    };
    let decoded = dockerconfig::decode(format, &bytes);
    if !decoded.errors.is_empty() {
        return State::Poison {
            format,
            errors: decoded.errors,
        };
    }
    let keys = pull_secret::keys(&decoded)
        .into_iter()
        .zip(&decoded.entries)
        .map(|(key, entry)| HeldKey {
            shown: show_key(&entry.key),
            key: key.map(RegistryKey::into_owned),
            has_credentials: entry.has_credentials,
            dated: entry.dated,
        })
        .collect();
    State::Usable {
        keys,
        useless: pull_secret::useless(format, &decoded).map(|why| (format, why)),
    }
}

/// A key the kubelet would offer for an image, and the secret it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Match<'k> {
    /// Index of the secret in the keyring.
    pub(crate) secret: usize,
    pub(crate) held: &'k HeldKey,
    pub(crate) key: &'k RegistryKey<'static>,
}

/// The keyring of a Pod: its pull secrets, in the order it lists them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Keyring {
    pub(crate) secrets: Vec<PulledSecret>,
}

impl Keyring {
    /// The keys the kubelet offers for `image`, in the order it tries them: every key of every
    /// usable secret that matches, most specific (reverse lexical order of the key) first; only
    /// when none matches, and the image is Docker Hub's, the `index.docker.io` keys.
    pub(crate) fn lookup(&self, image: &ImageRef<'_>) -> Vec<Match<'_>> {
        let mut matches = self.matching(|key| key.kubelet_matches(image));
        if matches.is_empty() && is_default_registry_match(image.domain()) {
            matches = self.matching(|key| key.is_docker_hub_index());
        }
        // The kubelet's index is sorted in reverse; a key in several secrets keeps their order.
        // An image matches a few keys: inserting them in place costs the module no sort routine.
        let mut ordered: Vec<(String, Match<'_>)> = Vec::with_capacity(matches.len());
        for m in matches {
            let key = m.key.to_string();
            let at = ordered
                .iter()
                .position(|(other, _)| *other < key)
                .unwrap_or(ordered.len());
            ordered.insert(at, (key, m));
        }
        ordered.into_iter().map(|(_, m)| m).collect()
    }

    fn matching(&self, pred: impl Fn(&RegistryKey<'_>) -> bool) -> Vec<Match<'_>> {
        let mut found = Vec::new();
        for (secret, pulled) in self.secrets.iter().enumerate() {
            if let State::Usable { keys, .. } = &pulled.state {
                for held in keys {
                    if let Ok(key) = &held.key
                        && pred(key)
                    {
                        found.push(Match { secret, held, key });
                    }
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use rstest::rstest;

    fn secret(name: &str, auths: &str) -> PulledSecret {
        let content =
            base64::engine::general_purpose::STANDARD.encode(format!(r#"{{"auths":{auths}}}"#));
        let json = format!(
            r#"{{"type":"kubernetes.io/dockerconfigjson","data":{{".dockerconfigjson":"{content}"}}}}"#
        );
        PulledSecret::read(name, json.as_bytes())
    }

    fn sent(keyring: &Keyring, image: &str) -> Vec<String> {
        let image = ImageRef::parse(image).unwrap();
        keyring
            .lookup(&image)
            .into_iter()
            .map(|m| format!("{}:{}", keyring.secrets[m.secret].name, m.held.shown))
            .collect()
    }

    #[rstest]
    #[case::one_key("private.registry.com/app", &["a:\"private.registry.com\""])]
    #[case::most_specific_first("quay.io/org/app", &["b:\"quay.io/org\"", "a:\"quay.io\""])]
    #[case::fallback_for_docker_hub("nginx", &["b:\"https://index.docker.io/v1/\""])]
    #[case::none("gcr.io/p/app", &[])]
    fn lookups_in_the_kubelets_order(#[case] image: &str, #[case] expected: &[&str]) {
        let keyring = Keyring {
            secrets: vec![
                secret(
                    "a",
                    r#"{"private.registry.com":{"auth":"dTpw"},"quay.io":{"auth":"dTpw"}}"#,
                ),
                secret(
                    "b",
                    r#"{"quay.io/org":{"auth":"dTpw"},"https://index.docker.io/v1/":{"auth":"dTpw"}}"#,
                ),
            ],
        };
        assert_eq!(sent(&keyring, image), expected);
    }

    #[test]
    fn a_docker_io_key_in_one_secret_shadows_the_fallback_in_another() {
        let keyring = Keyring {
            secrets: vec![
                secret("a", r#"{"docker.io":{"email":"x"}}"#),
                secret("b", r#"{"https://index.docker.io/v1/":{"auth":"dTpw"}}"#),
            ],
        };
        assert_eq!(sent(&keyring, "nginx"), ["a:\"docker.io\""]);
    }

    #[rstest]
    #[case::opaque(r#"{"type":"Opaque","data":{".dockerconfigjson":"e30="}}"#, State::Ignored(Ignored::OtherType { secret_type: "Opaque".into(), holds: vec![Format::DockerConfigJson] }))]
    #[case::missing_key(r#"{"type":"kubernetes.io/dockercfg","data":{}}"#, State::Ignored(Ignored::MissingKey { format: Format::DockerCfg, secret_type: "kubernetes.io/dockercfg".into() }))]
    #[case::empty(r#"{"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":""}}"#, State::Ignored(Ignored::Empty { format: Format::DockerConfigJson }))]
    #[case::not_json(r#"[1]"#, State::Unavailable(LookupError::Failed))]
    fn secrets_the_kubelet_ignores(#[case] json: &str, #[case] state: State) {
        assert_eq!(PulledSecret::read("x", json.as_bytes()).state, state);
    }

    #[test]
    fn poison_and_useless() {
        assert!(matches!(
            secret("x", r#"{"r.io":{"auth":"!"}}"#).state,
            State::Poison { .. }
        ));
        assert!(matches!(
            secret("x", "{}").state,
            State::Usable {
                useless: Some((Format::DockerConfigJson, Useless::NoKeys)),
                ..
            }
        ));
    }
}
