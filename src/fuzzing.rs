//! What the fuzz targets (`fuzz/`) drive below the public API: the parsers, the matcher and the
//! decoder, each with the invariants a fuzzer should break if it can. Built only for tests and
//! under `--cfg fuzzing` (which `cargo fuzz` sets), so the policy's API stays what `lib.rs`
//! exports.

use std::cell::RefCell;

use crate::cluster::{Cluster, LookupError, Resource};
use crate::kubelet::dockerconfig::{self, Format};
use crate::kubelet::reference::ImageRef;
use crate::kubelet::registry::{RegistryEntry, RegistryKey};
use crate::when::UnixTime;

/// The time the fuzz targets judge dated credentials at (2026-12-04T08:00:00Z): fixed, so
/// that a run's findings replay.
pub const NOW: UnixTime = match UnixTime::from_secs(1_796_371_200) {
    Some(now) => now,
    None => UnixTime::EPOCH,
};

/// Parses an image reference; a valid one normalises to a fixed point.
pub fn image_reference(input: &str) {
    if let Ok(reference) = ImageRef::parse(input) {
        let once = reference.to_string();
        let again = ImageRef::parse(&once).map(|r| r.to_string());
        assert_eq!(again.as_deref(), Ok(once.as_str()), "{input:?}");
    }
}

/// Parses a settings entry and matches it with an image, and with a secret key:
/// `entry\nimage\nkey`.
pub fn registry_entry(input: &str) {
    let mut parts = input.splitn(3, '\n');
    let mut next = || parts.next().unwrap_or_default();
    let (entry, image, key) = (next(), next(), next());
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
        let _ = entry.near_miss_of_image(&crate::kubelet::registry::ImageHost::of(&image));
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

/// Parses a secret's registry key as the kubelet does, and matches it with an image: `key\nimage`.
pub fn registry_key(input: &str) {
    let (key, image) = input.split_once('\n').unwrap_or((input, ""));
    let Ok(parsed) = RegistryKey::parse(key) else {
        return;
    };
    // The kubelet keeps `host + path` and its matcher parses that again: the key is what the
    // matcher reads, and written out it reads as itself. Not when an escape was decoded twice
    // (once when added, once when matched, as the kubelet does) into a `%`, `?`, `#` or
    // control character: reading it a third time would not be what the kubelet does.
    let kept = parsed.to_string();
    if parsed.path_reads_as_itself() {
        assert_eq!(RegistryKey::reread(&kept).as_ref(), Ok(&parsed), "{key:?}");
    }
    if let Ok(image) = ImageRef::parse(image) {
        let _ = parsed.kubelet_matches(&image);
        let _ = parsed.near_miss_of_image(&image);
    }
}

/// Decodes pull-secret content (a format byte, odd for `.dockercfg`, then the content); a key as
/// messages show it never holds the key's user info.
pub fn docker_config(input: &[u8]) {
    let Some((&format, content)) = input.split_first() else {
        return;
    };
    let format = if format & 1 == 1 {
        Format::DockerCfg
    } else {
        Format::DockerConfigJson
    };
    let decoded = dockerconfig::decode(format, content);
    for entry in &decoded.entries {
        let key = &*entry.key;
        let Some(at) = key.rfind('@').into_iter().chain(key.rfind("%40")).max() else {
            continue;
        };
        // What is shown of a key never depends on its user info: the key with other user info
        // is shown the same. (Looking for the user info in what is shown finds it by chance
        // in the quoted scheme, in the `…` that stands for it, or in the host.)
        let scheme = ["https://", "http://"]
            .into_iter()
            .find(|scheme| key.starts_with(scheme))
            .unwrap_or_default();
        let other = if &key[scheme.len()..at] == "u" {
            "v"
        } else {
            "u"
        };
        let other_key = format!("{scheme}{other}{}", &key[at..]);
        assert_eq!(
            dockerconfig::show_key(key).to_string(),
            dockerconfig::show_key(&other_key).to_string(),
            "the user info of {key:?} shows"
        );
    }
    for error in &decoded.errors {
        let _ = error.to_string();
    }
}

/// `validate` on any payload: the answer is always a `ValidationResponse`.
pub fn validate(payload: &[u8]) {
    answered(&crate::kubewarden::validate(
        payload,
        &crate::cluster::NoCluster,
        NOW,
    ));
}

/// Asserts that a response is a `ValidationResponse`.
fn answered(response: &[u8]) {
    let parsed: serde_json::Value = serde_json::from_slice(response).expect("JSON");
    assert!(parsed["accepted"].is_boolean(), "{parsed}");
}

/// `validate_settings` on any settings text: `valid`, or a refusal with a message.
pub fn validate_settings(settings: &[u8]) {
    let response = crate::kubewarden::validate_settings(settings);
    let parsed: serde_json::Value = serde_json::from_slice(&response).expect("JSON");
    match parsed["valid"].as_bool() {
        Some(true) => {}
        Some(false) => assert!(
            parsed["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{parsed}"
        ),
        None => panic!("{parsed}"),
    }
}

/// Replays one saved input through the target it was found by, as `cargo fuzz run` would.
/// Returns false for a target whose input is built by `arbitrary` (its regressions are kept as
/// the request they built, under `validate`).
pub fn replay(target: &str, input: &[u8]) -> bool {
    // A `&str` target gets the input's longest UTF-8 prefix (`arbitrary`'s `&str`).
    let text = match std::str::from_utf8(input) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&input[..e.valid_up_to()]).unwrap_or_default(),
    };
    match target {
        "validate" => validate(input),
        "validate_settings" => validate_settings(input),
        "docker_config" => docker_config(input),
        "image_reference" => image_reference(text),
        "registry_entry" => registry_entry(text),
        "registry_key" => registry_key(text),
        _ => return false,
    }
    true
}

/// A cluster that answers each lookup with the next reply, then "not found".
struct Replies<'a> {
    all: &'a [Vec<u8>],
    replies: RefCell<std::slice::Iter<'a, Vec<u8>>>,
    /// Whether the reads past the cache started: they get the same replies again, from the
    /// first, as a host whose cache held what the cluster holds would give them.
    uncached: std::cell::Cell<bool>,
}

impl Cluster for Replies<'_> {
    fn get(&self, _: Resource, _: &str, _: &str) -> Result<Vec<u8>, LookupError> {
        self.replies
            .borrow_mut()
            .next()
            .cloned()
            .ok_or(LookupError::NotFound)
    }

    fn get_uncached(&self, r: Resource, ns: &str, name: &str) -> Result<Vec<u8>, LookupError> {
        if !self.uncached.replace(true) {
            *self.replies.borrow_mut() = self.all.iter();
        }
        self.get(r, ns, name)
    }
}

/// `validate` with the cluster's replies given: what the host answers is as untrusted as the
/// request. The answer is always a `ValidationResponse`.
pub fn validate_with_replies(payload: &[u8], replies: &[Vec<u8>]) -> Vec<u8> {
    let cluster = Replies {
        all: replies,
        replies: RefCell::new(replies.iter()),
        uncached: std::cell::Cell::new(false),
    };
    let response = crate::kubewarden::validate(payload, &cluster, NOW);
    answered(&response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every input a fuzz run found (`fuzz/regressions/<target>/`), replayed through its target.
    #[test]
    fn fuzz_regressions_stay_fixed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
        let mut replayed = 0;
        for dir in std::fs::read_dir(&root).expect("fuzz/regressions") {
            let dir = dir.unwrap().path();
            let target = dir.file_name().unwrap().to_str().unwrap().to_owned();
            for file in std::fs::read_dir(&dir).unwrap() {
                let file = file.unwrap().path();
                let input = std::fs::read(&file).unwrap();
                assert!(replay(&target, &input), "no replay for {}", file.display());
                replayed += 1;
            }
        }
        assert!(replayed > 0, "nothing under {}", root.display());
    }

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
        registry_entry("quay.io/my-org\nquay.io/my-org/app\nquay.io");
        registry_entry("*.example.com\na.example.com/x\nhttps://index.docker.io/v1/");
        registry_key("user:pass@registry.io:5000/v2/team\nregistry.io:5000/team/app");
        docker_config(br#"0{"auths":{"u:p@r.io":{"auth":"dTpw"}}}"#);
        docker_config(br#"1{"r.io":{"auth":"!"}}"#);
        let payload = br#"{"request":{"kind":{"kind":"Pod"},"operation":"CREATE","namespace":"ns",
            "object":{"spec":{"imagePullSecrets":[{"name":"a"}],"containers":[{"name":"c","image":"r.io/x"}]}}},
            "settings":{"clusterLookups":true,"registries":[{"registry":"r.io","pullSecrets":["*"]}]}}"#;
        // Read twice: a rejection reads the Secret again, past the host's cache.
        let secret =
            br#"{"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"e30="}}"#;
        let replies = [secret.to_vec(), secret.to_vec()];
        let response = validate_with_replies(payload, &replies);
        assert!(
            String::from_utf8(response)
                .unwrap()
                .contains("has no `auths`")
        );
    }
}
