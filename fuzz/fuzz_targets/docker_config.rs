//! The pull-secret decoder (`.dockerconfigjson`, `.dockercfg`), on any content.
#![no_main]

use image_pull_secrets_policy::fuzzing::docker_config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| docker_config(input));
