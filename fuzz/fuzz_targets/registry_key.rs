//! A secret's registry key, parsed as the kubelet does, matched with an image: `key\nimage`.
#![no_main]

use image_pull_secrets_policy::fuzzing::registry_key;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| registry_key(input));
