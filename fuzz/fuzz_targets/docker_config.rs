//! The pull-secret decoder (`.dockerconfigjson`, `.dockercfg`), on any content.
#![no_main]

use image_pull_secrets_policy::fuzzing::docker_config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|content: &[u8]| {
    if let Some((&format, content)) = content.split_first() {
        docker_config(format & 1 == 1, content);
    }
});
