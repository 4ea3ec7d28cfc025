//! The troubleshooter page's module: what a user pasted (`kubectl get ... -o yaml` of a Pod or
//! workload, its pull Secrets, its ServiceAccount, the policy settings) explained with the
//! policy's own library, as JSON for the page to render.
//!
//! [`explain`] is all the page calls. It is plain Rust behind the `#[wasm_bindgen]` export, so
//! the native tests call the very function the page does.

mod documents;
mod note;
mod report;
mod settings;

use wasm_bindgen::prelude::wasm_bindgen;

/// The report on `objects` (YAML or JSON, several documents) with `settings` (empty for none),
/// as JSON. `now_millis` is the current time as `Date.now()` gives it: the library reads no
/// clock, and judges the credentials that say when they stop working as of it.
#[wasm_bindgen]
pub fn explain(objects: &str, settings: &str, now_millis: f64) -> String {
    let now = image_pull_secrets_policy::UnixTime::from_millis(now_millis);
    serde_json::to_string(&report::explain(objects, settings, now)).unwrap_or_else(|error| {
        // The report holds strings, booleans and lists only: this cannot happen, and if it
        // does the page shows it rather than nothing.
        serde_json::json!({"error": format!("cannot encode the report: {error}")}).to_string()
    })
}
