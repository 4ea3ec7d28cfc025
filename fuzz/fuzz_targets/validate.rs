//! The whole `validate` payload, as raw bytes: whatever arrives is answered.
#![no_main]

use image_pull_secrets_policy::fuzzing::validate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| validate(payload));
