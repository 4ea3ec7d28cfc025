//! A settings entry, matched with an image and a secret's key: `entry\nimage\nkey`.
#![no_main]

use image_pull_secrets_policy::fuzzing::registry_entry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let mut parts = input.splitn(3, '\n');
    let (entry, image, key) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    registry_entry(entry, image, key);
});
