//! The policy metadata that decides what `--allow-context-aware` grants. kwctl trusts the
//! `contextAwareResources` that `kwctl annotate` embedded in the module (custom section
//! `io.kubewarden.metadata`, JSON); a module without that section is granted nothing. The
//! runner does the same, and can take the list from a `metadata.yml` instead, so that the
//! plain `policy.wasm` behaves as its annotated build would.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use crate::host::ResourceType;

/// The custom section kwctl writes the metadata into.
pub const METADATA_SECTION: &str = "io.kubewarden.metadata";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[serde(default)]
    context_aware_resources: Vec<ContextAwareResource>,
}

#[derive(Debug, Deserialize)]
struct ContextAwareResource {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
}

impl Metadata {
    fn resources(self) -> BTreeSet<ResourceType> {
        self.context_aware_resources
            .into_iter()
            .map(|r| ResourceType {
                api_version: r.api_version,
                kind: r.kind,
            })
            .collect()
    }
}

/// The `contextAwareResources` embedded in a module, or `None` when it is not annotated.
pub fn embedded_resources(module: &[u8]) -> Result<Option<BTreeSet<ResourceType>>, String> {
    let Some(section) = custom_section(module, METADATA_SECTION)? else {
        return Ok(None);
    };
    let metadata: Metadata = serde_json::from_slice(section)
        .map_err(|e| format!("cannot read the module's {METADATA_SECTION} section: {e}"))?;
    Ok(Some(metadata.resources()))
}

/// The `contextAwareResources` of a `metadata.yml` (what `kwctl annotate -m` would embed).
pub fn file_resources(path: &Path) -> Result<BTreeSet<ResourceType>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read metadata file {}: {e}", path.display()))?;
    let metadata: Metadata = serde_norway::from_str(&text)
        .map_err(|e| format!("invalid metadata file {}: {e}", path.display()))?;
    Ok(metadata.resources())
}

/// The payload of the first custom section called `name`. Only the section framing of the
/// binary format is read; a text (WAT) module has no custom sections.
pub fn custom_section<'a>(module: &'a [u8], name: &str) -> Result<Option<&'a [u8]>, String> {
    const HEADER: &[u8] = b"\0asm\x01\0\0\0";
    let Some(mut rest) = module.strip_prefix(HEADER) else {
        return Ok(None);
    };
    while let Some((&id, after_id)) = rest.split_first() {
        let (size, after_size) = read_u32(after_id)?;
        let size = size as usize;
        if after_size.len() < size {
            return Err("truncated section in the module".into());
        }
        let (section, next) = after_size.split_at(size);
        if id == 0 {
            let (name_len, after_len) = read_u32(section)?;
            let name_len = name_len as usize;
            if after_len.len() < name_len {
                return Err("truncated custom section name in the module".into());
            }
            let (section_name, payload) = after_len.split_at(name_len);
            if section_name == name.as_bytes() {
                return Ok(Some(payload));
            }
        }
        rest = next;
    }
    Ok(None)
}

/// An unsigned LEB128 number of at most 32 bits, and what follows it.
fn read_u32(bytes: &[u8]) -> Result<(u32, &[u8]), String> {
    let mut value: u32 = 0;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, &bytes[i + 1..]));
        }
    }
    Err("malformed section size in the module".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leb(mut n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }

    fn section(id: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![id];
        out.extend(leb(body.len()));
        out.extend(body);
        out
    }

    fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut body = leb(name.len());
        body.extend(name.as_bytes());
        body.extend(payload);
        section(0, &body)
    }

    fn module(sections: &[Vec<u8>]) -> Vec<u8> {
        let mut out = b"\0asm\x01\0\0\0".to_vec();
        for s in sections {
            out.extend(s);
        }
        out
    }

    #[test]
    fn finds_the_metadata_among_other_sections() {
        // A type section, an unrelated custom section, then a 200-byte metadata section (its
        // size takes two LEB128 bytes).
        let json = format!(
            r#"{{"protocolVersion":"v1","contextAwareResources":[{{"apiVersion":"v1","kind":"Secret"}}],"pad":"{}"}}"#,
            "x".repeat(120)
        );
        let bytes = module(&[
            section(1, &[0]),
            custom("name", b"\0\x04test"),
            custom(METADATA_SECTION, json.as_bytes()),
        ]);
        assert_eq!(
            embedded_resources(&bytes).unwrap(),
            Some([ResourceType::new("v1", "Secret")].into())
        );
    }

    #[test]
    fn unannotated_and_text_modules_have_none() {
        assert_eq!(
            embedded_resources(&module(&[section(1, &[0])])).unwrap(),
            None
        );
        assert_eq!(embedded_resources(b"(module)").unwrap(), None);
        let no_resources = module(&[custom(METADATA_SECTION, br#"{"mutating":false}"#)]);
        assert_eq!(
            embedded_resources(&no_resources).unwrap(),
            Some(BTreeSet::new())
        );
    }

    #[test]
    fn damaged_modules_are_errors() {
        let mut truncated = module(&[custom(METADATA_SECTION, b"{}")]);
        truncated.pop();
        assert!(embedded_resources(&truncated).is_err());
        let bad_json = module(&[custom(METADATA_SECTION, b"{")]);
        assert!(embedded_resources(&bad_json).is_err());
    }

    #[test]
    fn reads_a_metadata_file() {
        let path = std::env::temp_dir().join(format!("runner-metadata-{}.yml", std::process::id()));
        std::fs::write(
            &path,
            "rules: []\nmutating: false\ncontextAwareResources:\n  - apiVersion: v1\n    kind: Secret\n  - apiVersion: v1\n    kind: ServiceAccount\n",
        )
        .unwrap();
        let resources = file_resources(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            resources,
            [
                ResourceType::new("v1", "Secret"),
                ResourceType::new("v1", "ServiceAccount")
            ]
            .into()
        );
        assert!(file_resources(Path::new("/nonexistent/metadata.yml")).is_err());
    }
}
