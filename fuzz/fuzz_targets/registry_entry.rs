//! A settings entry, matched with an image and a secret's key: `entry\nimage\nkey`.
#![no_main]

use image_pull_secrets_policy::fuzzing::registry_entry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| registry_entry(input));
