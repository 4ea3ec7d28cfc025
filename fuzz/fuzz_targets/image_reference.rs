//! The image-reference parser: never a panic, and normalising is idempotent.
#![no_main]

use image_pull_secrets_policy::fuzzing::image_reference;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| image_reference(input));
