//! A JSON document that does not deserialize, as messages describe it: where it failed, and
//! why. One place, so that the settings and the admission request say it the same way.

/// `path: reason`, or `reason` when the document itself is wrong (serde_path_to_error's `.`).
/// With `hide_values`, the value serde_json quotes in its reason (`invalid type: string
/// "...", expected a map`) is cut out: in an admission request it may be secret material.
pub(crate) fn located(
    error: serde_path_to_error::Error<serde_json::Error>,
    hide_values: bool,
) -> String {
    let path = error.path().to_string();
    let reason = error.into_inner().to_string();
    let reason = if hide_values {
        redact_values(&reason)
    } else {
        reason
    };
    if path == "." {
        reason
    } else {
        format!("{path}: {reason}")
    }
}

fn redact_values(message: &str) -> String {
    match (message.find('"'), message.rfind('"')) {
        (Some(first), Some(last)) if first < last => {
            format!("{}\"…\"{}", &message[..first], &message[last + 1..])
        }
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::quoted_value(
        r#"invalid type: string "hunter2", expected a map at line 1"#,
        r#"invalid type: string "…", expected a map at line 1"#
    )]
    #[case::no_value("missing field `kind`", "missing field `kind`")]
    fn values_are_cut_out(#[case] reason: &str, #[case] shown: &str) {
        assert_eq!(redact_values(reason), shown);
    }

    #[test]
    fn paths_lead() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Doc {
            a: Vec<u8>,
        }
        let read = |json: &str, hide| {
            let de = &mut serde_json::Deserializer::from_str(json);
            located(
                serde_path_to_error::deserialize::<_, Doc>(de).unwrap_err(),
                hide,
            )
        };
        assert_eq!(
            read(r#"{"a":[1,"x"]}"#, true),
            r#"a[1]: invalid type: string "…", expected u8 at line 1 column 11"#
        );
        assert_eq!(
            read(r#"{"a":[1,"x"]}"#, false),
            r#"a[1]: invalid type: string "x", expected u8 at line 1 column 11"#
        );
        let top = read("3", false);
        assert!(top.starts_with("invalid type: integer"), "{top}");
    }
}
