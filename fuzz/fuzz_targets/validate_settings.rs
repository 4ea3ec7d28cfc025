//! `validate_settings`: any settings text is answered, valid or with a message.
#![no_main]

use image_pull_secrets_policy::fuzzing::validate_settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|settings: &[u8]| validate_settings(settings));
