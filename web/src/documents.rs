//! What was pasted, read into objects: YAML or JSON, several documents at once, with `List`s
//! (as `kubectl get ... -o yaml` writes them) and typed lists (`PodList`, as the API serves
//! them) unpacked, and admission requests unwrapped to their object.
//!
//! Nothing here looks inside an object beyond `kind`, `apiVersion` and `items`: what a Secret
//! holds is for the library to read, never for this module (nor for the page's JavaScript).

use serde_json::Value;

/// An object found in the text.
#[derive(Debug)]
pub struct Found {
    /// Where it was found, for notes: `document 2 (line 14)`, `document 1, item 3`.
    pub place: String,
    pub value: Value,
}

/// A document that could not be read, or that is not an object.
#[derive(Debug)]
pub struct Unreadable {
    pub place: String,
    pub error: String,
}

#[derive(Debug, Default)]
pub struct Read {
    pub objects: Vec<Found>,
    pub unreadable: Vec<Unreadable>,
}

/// Reads every document of `text`.
pub fn read(text: &str) -> Read {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let looks_like_json = matches!(text.trim_start().chars().next(), Some('{' | '['));
    if looks_like_json {
        let json = read_json(text);
        // A flow mapping such as `{kind: Pod, ...}` starts like JSON but is YAML: when JSON
        // reads nothing at all, YAML gets its chance before the JSON error is reported.
        if !json.objects.is_empty() || yaml_documents(text).is_empty() {
            return json;
        }
        let yaml = read_yaml(text);
        return if yaml.unreadable.is_empty() {
            yaml
        } else {
            json
        };
    }
    read_yaml(text)
}

fn read_yaml(text: &str) -> Read {
    let mut read = Read::default();
    for (i, document) in yaml_documents(text).iter().enumerate() {
        read_yaml_document(i + 1, document, &mut read);
    }
    read
}

/// JSON values one after another, as `kubectl get -o json` prints them when called in a loop.
fn read_json(text: &str) -> Read {
    let mut read = Read::default();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut number = 0;
    loop {
        let start = stream.byte_offset();
        let start = start + (text.len() - start - text[start..].trim_start().len());
        let line = line_at(text, start);
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                number += 1;
                unpack(value, format!("document {number} (line {line})"), &mut read);
            }
            Some(Err(error)) => {
                number += 1;
                let message = error.to_string();
                let message = message.split(" at line").next().unwrap_or_default();
                read.unreadable.push(Unreadable {
                    place: format!("document {number} (line {line})"),
                    error: format!(
                        "not valid JSON: {message}, at line {} column {}",
                        error.line(),
                        error.column()
                    ),
                });
                // The stream cannot resynchronise after a syntax error.
                break;
            }
        }
    }
    read
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// One YAML document: its text, and the line of the whole text it starts on.
struct YamlDocument {
    text: String,
    first_line: usize,
}

/// The documents of a YAML stream, split at `---` and `...` markers before any is parsed, so
/// that a document that cannot be read is reported with its line and does not hide the others
/// (a paste often mixes several `kubectl get` outputs). A marker ends any block scalar, as in
/// YAML itself, so splitting on lines is exact. Documents holding only blank lines and comments
/// are left out.
fn yaml_documents(text: &str) -> Vec<YamlDocument> {
    let mut documents = Vec::new();
    let mut current = YamlDocument {
        text: String::new(),
        first_line: 1,
    };
    for (i, line) in text.lines().enumerate() {
        let marker = if line.starts_with("---") || line.starts_with("...") {
            let rest = &line[3..];
            (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some(rest)
        } else {
            None
        };
        match marker {
            Some(rest) => {
                documents.push(std::mem::replace(
                    &mut current,
                    YamlDocument {
                        text: String::new(),
                        first_line: i + 1,
                    },
                ));
                // `--- {kind: Pod}` and `--- !!map` carry content; `... # end` does not.
                if line.starts_with("---") {
                    current.text.push_str(rest.trim_start());
                }
                current.text.push('\n');
            }
            // Directives (`%YAML 1.2`) only ever precede a `---`.
            None if line.starts_with('%') => current.text.push('\n'),
            None => {
                current.text.push_str(line);
                current.text.push('\n');
            }
        }
    }
    documents.push(current);
    documents.retain(|d| {
        d.text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    });
    documents
}

fn read_yaml_document(number: usize, document: &YamlDocument, read: &mut Read) {
    let place = format!("document {number} (line {})", document.first_line);
    match serde_norway::from_str::<Value>(&document.text) {
        Ok(Value::Null) => {}
        Ok(value) => unpack(value, place, read),
        Err(error) => {
            let message = error.to_string();
            // Only the message, then the position in the whole text: never a quote of the
            // document (it may be a Secret).
            let message = message.split(" at line").next().unwrap_or_default();
            let at = error
                .location()
                .map(|l| {
                    format!(
                        ", at line {} column {}",
                        document.first_line + l.line() - 1,
                        l.column()
                    )
                })
                .unwrap_or_default();
            read.unreadable.push(Unreadable {
                place,
                error: format!("not valid YAML: {message}{at}"),
            });
        }
    }
}

/// Adds `value` to what was read: a list's items one by one, an admission request's object.
fn unpack(value: Value, place: String, read: &mut Read) {
    let Value::Object(mut object) = value else {
        read.unreadable.push(Unreadable {
            place,
            error: format!(
                "a {} where an object (`apiVersion`, `kind`, ...) was expected",
                type_name(&value)
            ),
        });
        return;
    };
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if let Some(item_kind) = kind.strip_suffix("List")
        && let Some(Value::Array(items)) = object.remove("items")
    {
        // A typed list (`PodList`) leaves its items' kind out; `List` items carry their own.
        let api_version = object.get("apiVersion").cloned();
        let item_kind = item_kind.to_owned();
        for (i, item) in items.into_iter().enumerate() {
            let mut item = item;
            if let Value::Object(fields) = &mut item
                && !item_kind.is_empty()
            {
                fields
                    .entry("kind")
                    .or_insert_with(|| Value::String(item_kind.clone()));
                if let Some(api_version) = &api_version {
                    fields
                        .entry("apiVersion")
                        .or_insert_with(|| api_version.clone());
                }
            }
            unpack(item, format!("{place}, item {}", i + 1), read);
        }
        return;
    }
    // An AdmissionReview, or the AdmissionRequest inside one (whose `kind` is an object): what
    // it asks about is its `object`.
    if kind == "AdmissionReview"
        && let Some(Value::Object(mut request)) = object.remove("request")
        && let Some(inner @ Value::Object(_)) = request.remove("object")
    {
        return unpack(inner, format!("{place}, request.object"), read);
    }
    if object.get("kind").is_some_and(Value::is_object)
        && let Some(inner @ Value::Object(_)) = object.remove("object")
    {
        return unpack(inner, format!("{place}, object"), read);
    }
    read.objects.push(Found {
        place,
        value: Value::Object(object),
    });
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(read: &Read) -> Vec<&str> {
        read.objects
            .iter()
            .map(|f| f.value["kind"].as_str().unwrap_or("?"))
            .collect()
    }

    #[test]
    fn yaml_documents_at_markers() {
        let read = read(
            "# leading comment\n---\nkind: Pod\n---   # a comment\nkind: Secret\n...\n---\n\n---\n--- {kind: ServiceAccount}\n",
        );
        assert_eq!(kinds(&read), ["Pod", "Secret", "ServiceAccount"]);
        assert!(read.unreadable.is_empty());
        assert_eq!(read.objects[1].place, "document 2 (line 4)");
    }

    #[test]
    fn a_marker_ends_a_block_scalar_but_indented_dashes_do_not() {
        let read = read("kind: ConfigMap\ndata:\n  a: |\n    ---\n    x\n---\nkind: Pod\n");
        assert_eq!(kinds(&read), ["ConfigMap", "Pod"]);
        assert_eq!(read.objects[0].value["data"]["a"], "---\nx\n");
    }

    #[test]
    fn json_objects_one_after_another_and_arrays() {
        let read = read("{\"kind\":\"Pod\"}\n{\"kind\":\"Secret\"}\n[{\"kind\":\"Job\"}]");
        assert_eq!(kinds(&read), ["Pod", "Secret"]);
        // A bare array is not an object: it is reported, not guessed at.
        assert_eq!(read.unreadable.len(), 1);
        assert_eq!(read.objects[1].place, "document 2 (line 2)");
    }

    #[test]
    fn a_flow_mapping_is_yaml() {
        let read = read("{kind: Pod, metadata: {name: a}}");
        assert_eq!(kinds(&read), ["Pod"]);
    }

    #[test]
    fn lists_are_unpacked_and_typed_lists_name_their_items() {
        let read = read(
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod}\n- {apiVersion: apps/v1, kind: Deployment}\n---\napiVersion: v1\nkind: SecretList\nitems:\n- metadata: {name: regcred}\n",
        );
        assert_eq!(kinds(&read), ["Pod", "Deployment", "Secret"]);
        assert_eq!(read.objects[2].value["apiVersion"], "v1");
        assert_eq!(read.objects[1].place, "document 1 (line 1), item 2");
    }

    #[test]
    fn admission_requests_give_their_object() {
        let read = read(
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"kind":{"kind":"Pod"},"object":{"kind":"Pod"}}}
{"uid":"x","kind":{"group":"","version":"v1","kind":"Pod"},"object":{"kind":"Pod","apiVersion":"v1"}}"#,
        );
        assert_eq!(kinds(&read), ["Pod", "Pod"]);
    }

    #[test]
    fn errors_name_the_line_of_the_whole_text() {
        let read = read("kind: Pod\n---\nkind: Secret\ndata:\n  x: [unclosed\n---\nkind: Job\n");
        assert_eq!(kinds(&read), ["Pod", "Job"]);
        let error = &read.unreadable[0];
        assert_eq!(error.place, "document 2 (line 2)");
        assert!(error.error.starts_with("not valid YAML: "), "{error:?}");
        assert!(error.error.contains("at line 6"), "{error:?}");

        let json = super::read("{\"kind\": \"Pod\", \"spec\": {\n");
        assert!(
            json.unreadable[0].error.starts_with("not valid JSON: "),
            "{json:?}"
        );
    }

    #[test]
    fn scalars_are_not_objects() {
        let read = read("just some text\n");
        assert!(read.objects.is_empty());
        assert_eq!(
            read.unreadable[0].error,
            "a string where an object (`apiVersion`, `kind`, ...) was expected"
        );
    }

    #[test]
    fn crlf_and_a_byte_order_mark() {
        let read = read("\u{feff}kind: Pod\r\n---\r\nkind: Secret\r\n");
        assert_eq!(kinds(&read), ["Pod", "Secret"]);
    }
}
