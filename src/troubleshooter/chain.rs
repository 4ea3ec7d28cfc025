//! The facts of the kubelet's chain that the page's words and its fixes both read: for one
//! image, which keys of the Pods' pull secrets miss it, and why, as data.

use crate::kubelet::dockerconfig::CredentialEnd;
use crate::kubelet::keyring::{Match, State};
use crate::kubelet::lookups::Lookups;
use crate::kubelet::reference::ImageRef;
use crate::kubelet::registry::{KeyError, NearMiss};
use crate::when::UnixTime;

/// A key of a pull secret the kubelet does not send credentials of for an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Miss {
    pub(crate) secret: String,
    /// The key as shown (any user info cut out).
    pub(crate) key: String,
    pub(crate) why: MissWhy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MissWhy {
    /// The kubelet drops the key.
    Dropped(KeyError),
    /// It matches, but holds no credentials the kubelet uses.
    NoCredentials,
    /// It matches, but its credential has expired.
    Expired(CredentialEnd),
    /// It looks meant for the image's registry, and misses it.
    NearMiss(NearMiss),
    /// It is for another registry.
    OtherRegistry,
}

impl MissWhy {
    /// The credential's end, when the key misses because it has expired.
    pub(crate) fn expired(&self) -> Option<CredentialEnd> {
        match self {
            MissWhy::Expired(end) => Some(*end),
            _ => None,
        }
    }
}

/// The keys of the Pods' pull secrets that do not send credentials for `image` that work at
/// `now`, and why.
pub(crate) fn misses(
    lookups: &Lookups,
    matches: &[Match<'_>],
    image: &ImageRef<'_>,
    now: UnixTime,
) -> Vec<Miss> {
    let mut misses = Vec::new();
    for (i, pulled) in lookups.keyring.secrets.iter().enumerate() {
        let State::Usable { keys, .. } = &pulled.state else {
            continue;
        };
        for held in keys {
            let matched = matches
                .iter()
                .any(|m| m.secret == i && std::ptr::eq(m.held, held));
            let why = match &held.key {
                Err(error) => MissWhy::Dropped(error.clone()),
                // Credentials that have not expired work: the key sends them.
                Ok(_) if matched && held.has_credentials => {
                    match held.end(now).filter(|end| end.is_expired()) {
                        Some(end) => MissWhy::Expired(end),
                        None => continue,
                    }
                }
                Ok(_) if matched => MissWhy::NoCredentials,
                Ok(key) => match key.near_miss_of_image(image) {
                    Some(near_miss) => MissWhy::NearMiss(near_miss),
                    None => MissWhy::OtherRegistry,
                },
            };
            misses.push(Miss {
                secret: pulled.name.clone(),
                key: held.shown.to_string(),
                why,
            });
        }
    }
    misses
}
