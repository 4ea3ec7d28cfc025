//! What the fuzz targets (`fuzz/`) drive below the public API: the parsers, the matcher and the
//! decoder, each with the invariants a fuzzer should break if it can. Built only for tests and
//! under `--cfg fuzzing` (which `cargo fuzz` sets), so the policy's API stays what `lib.rs`
//! exports.

use std::cell::RefCell;

use crate::cluster::{Cluster, LookupError, Resource};
use crate::dockerconfig::{self, Format};
use crate::reference::ImageRef;
use crate::registry::{RegistryEntry, RegistryKey};

/// Parses an image reference; a valid one normalises to a fixed point.
pub fn image_reference(input: &str) {
    if let Ok(reference) = ImageRef::parse(input) {
        let once = reference.to_string();
        let again = ImageRef::parse(&once).map(|r| r.to_string());
        assert_eq!(again.as_deref(), Ok(once.as_str()), "{input:?}");
    }
}

/// Parses a settings entry and matches it with an image, and with a secret key.
pub fn registry_entry(entry: &str, image: &str, key: &str) {
    let Ok(entry) = RegistryEntry::from_setting(entry) else {
        return;
    };
    // A valid entry is written back as an equivalent one.
    let written = entry.to_string();
    assert_eq!(
        RegistryEntry::from_setting(&written).as_ref(),
        Ok(&entry),
        "{written}"
    );
    if let Ok(image) = ImageRef::parse(image) {
        let _ = entry.covers(&image);
        let _ = entry.near_miss_of_image(&crate::registry::ImageHost::of(&image));
    }
    if let Ok(key) = RegistryKey::parse(key) {
        let (some, all) = (key.serves_some_of(&entry), key.serves_all_of(&entry));
        assert!(
            some || !all,
            "a key that serves all of an entry serves some of it"
        );
        let _ = key.near_miss_of(&entry);
    }
}

/// Parses a secret's registry key as the kubelet does, and matches it with an image.
pub fn registry_key(key: &str, image: &str) {
    let Ok(parsed) = RegistryKey::parse(key) else {
        return;
    };
    // Parsing what the kubelet kept gives the same key.
    let kept = parsed.to_string();
    if let Ok(again) = RegistryKey::parse(&kept) {
        assert_eq!(again.to_string(), kept, "{key:?}");
    }
    if let Ok(image) = ImageRef::parse(image) {
        let _ = parsed.kubelet_matches(&image);
        let _ = parsed.near_miss_of_image(&image);
    }
}

/// Decodes pull-secret content; a key as messages show it never holds the key's user info.
pub fn docker_config(dockercfg: bool, content: &[u8]) {
    let format = if dockercfg {
        Format::DockerCfg
    } else {
        Format::DockerConfigJson
    };
    let decoded = dockerconfig::decode(format, content);
    for entry in &decoded.entries {
        let key = &*entry.key;
        let shown = dockerconfig::show_key(key).to_string();
        let at = key.rfind('@').into_iter().chain(key.rfind("%40")).max();
        if let Some(at) = at {
            let user_info = key[..at]
                .trim_start_matches("https://")
                .trim_start_matches("http://");
            // Long enough not to be found in the host by chance.
            if user_info.len() >= 6 && !key[at..].contains(user_info) {
                assert!(!shown.contains(user_info), "{shown} shows {user_info:?}");
            }
        }
    }
    for error in &decoded.errors {
        let _ = error.to_string();
    }
}

/// A cluster that answers each lookup with the next reply, then "not found".
struct Replies<'a> {
    replies: RefCell<std::slice::Iter<'a, Vec<u8>>>,
}

impl Cluster for Replies<'_> {
    fn get(&self, _: Resource, _: &str, _: &str) -> Result<Vec<u8>, LookupError> {
        self.replies
            .borrow_mut()
            .next()
            .cloned()
            .ok_or(LookupError::NotFound)
    }
}

/// `validate` with the cluster's replies given: what the host answers is as untrusted as the
/// request. The answer is always a `ValidationResponse`.
pub fn validate_with_replies(payload: &[u8], replies: &[Vec<u8>]) -> Vec<u8> {
    let cluster = Replies {
        replies: RefCell::new(replies.iter()),
    };
    let response = crate::entry::validate(payload, &cluster);
    let parsed: serde_json::Value =
        serde_json::from_slice(&response).expect("a ValidationResponse");
    assert!(parsed["accepted"].is_boolean(), "{parsed}");
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_run_clean() {
        for input in [
            "nginx",
            "private.registry.com/team/app:1",
            "[::1]:5000/a",
            "A/b",
            "",
        ] {
            image_reference(input);
        }
        registry_entry("quay.io/my-org", "quay.io/my-org/app", "quay.io");
        registry_entry(
            "*.example.com",
            "a.example.com/x",
            "https://index.docker.io/v1/",
        );
        registry_key(
            "user:pass@registry.io:5000/v2/team",
            "registry.io:5000/team/app",
        );
        docker_config(false, br#"{"auths":{"u:p@r.io":{"auth":"dTpw"}}}"#);
        docker_config(true, br#"{"r.io":{"auth":"!"}}"#);
        let payload = br#"{"request":{"kind":{"kind":"Pod"},"operation":"CREATE","namespace":"ns",
            "object":{"spec":{"imagePullSecrets":[{"name":"a"}],"containers":[{"name":"c","image":"r.io/x"}]}}},
            "settings":{"clusterLookups":true,"registries":[{"registry":"r.io","pullSecrets":["*"]}]}}"#;
        let replies = [
            br#"{"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"e30="}}"#
                .to_vec(),
        ];
        let response = validate_with_replies(payload, &replies);
        assert!(
            String::from_utf8(response)
                .unwrap()
                .contains("has no `auths`")
        );
    }
}
