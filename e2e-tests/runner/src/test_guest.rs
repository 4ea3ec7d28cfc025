//! A waPC guest small enough to read, in WebAssembly text (compiled with the `wat` crate: the
//! runner's wasmtime takes binary modules only), for tests that need a real module behind the
//! runner's host:
//!
//! - `validate_settings` fails with the guest error [`SETTINGS_ERROR`];
//! - `grow` adds three pages to its memory and answers nothing;
//! - `validate` makes the host call `kubewarden`/`kubernetes`/`get_resource`, and any other
//!   operation `OP` the host call `kubewarden`/`kubernetes`/`OP`, with the payload it was
//!   given; it answers with the host's response, or fails with the host's error text as its
//!   own guest error (so a test sees exactly what the host sent).
//!
//! Layout of its one initial page: operation name at 0, payload at 1024, host reply at 32768.

/// The guest error of `validate_settings`, with a quote to see how it is escaped.
pub const SETTINGS_ERROR: &str = r#"settings are bad: "x""#;

pub const ECHO_GUEST: &str = r#"
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call"
    (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "kubewarden")
  (data (i32.const 272) "kubernetes")
  (data (i32.const 288) "settings are bad: \"x\"")
  (data (i32.const 320) "get_resource")
  (func (export "wapc_init"))
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $len i32)
    (local $host_op i32)
    (local $host_op_len i32)
    (call $guest_request (i32.const 0) (i32.const 1024))
    (local.set $host_op (i32.const 0))
    (local.set $host_op_len (local.get $op_len))
    ;; "validate" is the only operation of 8 bytes it is sent.
    (if (i32.eq (local.get $op_len) (i32.const 8))
      (then
        (local.set $host_op (i32.const 320))
        (local.set $host_op_len (i32.const 12))))
    ;; "validate_settings" is the only operation of 17 bytes it is sent.
    (if (i32.eq (local.get $op_len) (i32.const 17))
      (then
        (call $guest_error (i32.const 288) (i32.const 21))
        (return (i32.const 0))))
    ;; "grow"
    (if (i32.eq (local.get $op_len) (i32.const 4))
      (then
        (drop (memory.grow (i32.const 3)))
        (call $guest_response (i32.const 0) (i32.const 0))
        (return (i32.const 1))))
    (if (call $host_call
          (i32.const 256) (i32.const 10)
          (i32.const 272) (i32.const 10)
          (local.get $host_op) (local.get $host_op_len)
          (i32.const 1024) (local.get $msg_len))
      (then
        (local.set $len (call $host_response_len))
        (call $host_response (i32.const 32768))
        (call $guest_response (i32.const 32768) (local.get $len))
        (return (i32.const 1))))
    (local.set $len (call $host_error_len))
    (call $host_error (i32.const 32768))
    (call $guest_error (i32.const 32768) (local.get $len))
    (i32.const 0))
)
"#;

/// [`ECHO_GUEST`] as a binary module.
pub fn echo_guest_wasm() -> Vec<u8> {
    wat::parse_str(ECHO_GUEST).expect("the echo guest is valid WAT")
}
