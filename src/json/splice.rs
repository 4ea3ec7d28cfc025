//! One member deep inside a JSON document, changed by splicing the document's text: the rest
//! stays as it was written, and nothing is read that the change does not need. The fix changes
//! one list of a whole Kubernetes object; reading that object into a `serde_json::Value` to
//! change it and write it out again would cost the module some 40 KiB of code for what is one
//! insertion.

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The members of a JSON object, in order, their values as raw text. Keys are borrowed: a key
/// written with escapes is not read (no Kubernetes field name has one).
struct Members<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<&'de str, &'de RawValue>()? {
                    members.push(entry);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// `document` (a JSON object) with the member at `path` replaced by what `edit` makes of its
/// current value (`None` when absent: the member is then added). `None` when a step of the
/// path is not an object, or the document cannot be read so.
pub(crate) fn splice(
    document: &str,
    path: &[&str],
    edit: impl FnOnce(Option<&RawValue>) -> Option<String>,
) -> Option<String> {
    let mut edit = Some(edit);
    splice_with(document, path, &mut edit)
}

fn splice_with<F: FnOnce(Option<&RawValue>) -> Option<String>>(
    document: &str,
    path: &[&str],
    edit: &mut Option<F>,
) -> Option<String> {
    let (step, rest) = path.split_first()?;
    let Members(members) = serde_json::from_str(document).ok()?;
    let mut out = String::with_capacity(document.len() + 64);
    out.push('{');
    let mut found = false;
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(key).ok()?);
        out.push(':');
        if key == step && !found {
            found = true;
            if rest.is_empty() {
                out.push_str(&(edit.take()?)(Some(value))?);
            } else {
                out.push_str(&splice_with(value.get(), rest, edit)?);
            }
        } else {
            out.push_str(value.get());
        }
    }
    if !found {
        // Only the last step may be added: a missing object on the way is not one to make.
        if !rest.is_empty() {
            return None;
        }
        if !members.is_empty() {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(step).ok()?);
        out.push(':');
        out.push_str(&(edit.take()?)(None)?);
    }
    out.push('}');
    Some(out)
}

/// The elements of a JSON array, as raw text; `null` is an empty array.
pub(crate) fn elements(value: &RawValue) -> Option<Vec<&RawValue>> {
    if value.get().trim() == "null" {
        return Some(Vec::new());
    }
    serde_json::from_str(value.get()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn append_x(value: Option<&RawValue>) -> Option<String> {
        let mut items: Vec<String> = value
            .map(|v| elements(v).unwrap())
            .unwrap_or_default()
            .iter()
            .map(|e| e.get().to_owned())
            .collect();
        items.push("\"x\"".into());
        Some(format!("[{}]", items.join(",")))
    }

    #[rstest]
    #[case::appended(r#"{"a":{"b":["y"]},"c":1}"#, r#"{"a":{"b":["y","x"]},"c":1}"#)]
    #[case::added(r#"{"a":{"z":true}}"#, r#"{"a":{"z":true,"b":["x"]}}"#)]
    #[case::added_to_an_empty_object(r#"{"a":{}}"#, r#"{"a":{"b":["x"]}}"#)]
    #[case::null_list(r#"{"a":{"b":null}}"#, r#"{"a":{"b":["x"]}}"#)]
    #[case::whitespace_and_escapes_kept(
        "{ \"a\" : { \"b\" : [ \"y\\u0041\" ] , \"s\" : \"q\\\"\" } }",
        "{\"a\":{\"b\":[\"y\\u0041\",\"x\"],\"s\":\"q\\\"\"}}"
    )]
    fn splices(#[case] document: &str, #[case] spliced: &str) {
        let out = splice(document, &["a", "b"], append_x).unwrap();
        assert_eq!(out, spliced);
        let (before, after): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(document).unwrap(),
            serde_json::from_str(&out).unwrap(),
        );
        assert_eq!(before["a"]["s"], after["a"]["s"]);
    }

    #[rstest]
    #[case::missing_object_on_the_way(r#"{"c":1}"#)]
    #[case::not_an_object(r#"{"a":[1]}"#)]
    #[case::not_a_list(r#"{"a":{"b":"y"}}"#)]
    #[case::not_json(r#"{"a":"#)]
    fn refuses(#[case] document: &str) {
        assert_eq!(splice(document, &["a", "b"], append_x_checked), None);
    }

    fn append_x_checked(value: Option<&RawValue>) -> Option<String> {
        let items = value.map(elements).unwrap_or(Some(Vec::new()))?;
        let mut items: Vec<&str> = items.iter().map(|e| e.get()).collect();
        items.push("\"x\"");
        Some(format!("[{}]", items.join(",")))
    }
}
