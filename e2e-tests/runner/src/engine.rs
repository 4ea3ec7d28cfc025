//! The runner's waPC host: one policy module on wasmtime, spoken to as `wapc` 2.2 and
//! `wasmtime-provider` 2.19 (what kwctl 1.35 embeds) speak to it.
//!
//! The runner used those two crates, but it could not build less than they ask for: the
//! provider turns on most of wasmtime (gc, threads, pooling allocator, cache, ...) and
//! `wasmtime-wasi` with its preview 2 and tokio, with no switch to turn any of it off. The protocol itself is nine host
//! functions and two guest exports, so it is written out here, on a wasmtime with only what a
//! waPC guest needs, and WASI preview 1 from `wasi-common`, the crate the provider takes it
//! from. What the guest sees and what the runner reports are the provider's, word for word:
//!
//! - the imports (module `wapc`) and what each does with guest memory, in the provider's order;
//! - `_start`, then `wapc_init`, run at load when exported; a WASI `proc_exit(0)` ends one
//!   successfully;
//! - a call: the buffers are cleared, `__guest_call(operation length, payload length)` runs,
//!   and 0 means failure; its error texts are wapc's;
//! - a host call's error reaches the guest as the callback's text (the Rust SDK then prefixes
//!   `Host error: `);
//! - failures to compile, link or initialise carry the provider's texts.
//!
//! One departure: a guest that hands a host function a range outside its memory gets a trap
//! here ("out of bounds memory access"); the provider slices without checking and panics.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use wasi_common::I32Exit;
use wasi_common::WasiCtx;
use wasi_common::sync::WasiCtxBuilder;
use wasmtime::{
    Caller, Engine, Instance, InstancePre, Linker, Memory, Module, Store, TypedFunc, format_err,
};

use crate::memory::MemoryMeter;

/// The import module of the waPC protocol.
const WAPC: &str = "wapc";

/// The guest's entry point for every call.
const GUEST_CALL: &str = "__guest_call";

/// Initialisers run at load when exported, in this order (TinyGo's `_start` first), as wapc's
/// `REQUIRED_STARTS`.
const STARTS: [&str; 2] = ["_start", "wapc_init"];

/// Answers a guest's `__host_call(binding, namespace, operation, payload)`. The error text is
/// what the guest reads through `__host_error`.
pub type HostCallback = Box<dyn Fn(&str, &str, &str, &[u8]) -> Result<Vec<u8>, String>>;

/// A failed guest call. Named and worded as wapc's `Error::GuestCallFailure`, because the
/// runner prints both forms as kwctl does: `{:?}` is `GuestCallFailure("...")` (in the
/// settings message) and `{}` is `Guest call failure: ...` (after `internal server error: `).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestCallFailure(pub String);

impl fmt::Display for GuestCallFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Guest call failure: {}", self.0)
    }
}

impl std::error::Error for GuestCallFailure {}

/// Why a module could not be loaded. The texts are the provider's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The wasmtime engine could not be configured.
    Engine(String),
    /// Not a module wasmtime compiles, or one whose imports are not all provided.
    Module(String),
    /// Instantiation, the `__guest_call` export or an initialiser failed (wapc's
    /// `Initialization failed: ...`).
    Init(String),
}

/// The switches of the engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineOptions {
    /// Write `/tmp/perf-<pid>.map`, so that `perf report` names the guest's functions.
    pub perf_map: bool,
    /// Count the guest's linear memory (see [`MemoryMeter`]).
    pub measure_memory: bool,
    /// Compile with epoch interruption, as the policy server does for its timeouts (the
    /// deadline is never reached here: only the checks' cost is added).
    pub epoch_interruption: bool,
}

/// A module compiled and linked once, from which instances are made: what the policy server
/// keeps per policy (its pre-instantiated module), giving every request a fresh instance.
pub struct Prepared {
    pre: InstancePre<GuestState>,
    host: Rc<HostCallback>,
    options: EngineOptions,
}

/// A new instance in its own store (linear memory and its data, tables, globals), whose
/// initialisers have not run yet: the two steps are apart so that the bench can time each.
pub struct Uninitialised {
    store: Store<GuestState>,
    instance: Instance,
    guest_call: TypedFunc<(i32, i32), i32>,
}

/// A waPC guest, instantiated and initialised, ready for calls.
pub struct Guest {
    // Calls take `&self`, as wapc's do (it keeps its engine in a `RefCell` too), so that the
    // run, the bench and the tests share a loaded guest by reference. The borrow is never taken
    // twice: a host callback cannot call back into the guest.
    store: RefCell<Store<GuestState>>,
    guest_call: TypedFunc<(i32, i32), i32>,
}

/// What the host functions reach through the store.
struct GuestState {
    wasi: WasiCtx,
    host: Rc<HostCallback>,
    exchange: Exchange,
    /// Present when memory is measured; it is then the store's resource limiter.
    meter: Option<MemoryMeter>,
}

/// The waPC buffers of a module (wapc's `ModuleState`). All but the request are cleared when a
/// call starts; the request stays until the next call, as in wapc.
#[derive(Default)]
struct Exchange {
    /// The operation and payload of the current call.
    request: Option<(String, Vec<u8>)>,
    response: Option<Vec<u8>>,
    error: Option<String>,
    /// The last host call's answer: `Ok` for `__host_response`, `Err` for `__host_error`.
    host_reply: Option<Result<Vec<u8>, String>>,
}

impl Exchange {
    fn host_response(&self) -> Option<&[u8]> {
        self.host_reply.as_ref()?.as_deref().ok()
    }

    fn host_error(&self) -> Option<&[u8]> {
        self.host_reply
            .as_ref()?
            .as_ref()
            .err()
            .map(|e| e.as_bytes())
    }
}

impl Prepared {
    /// Compiles and links a module (the provider's first steps); no instance yet.
    pub fn compile(
        bytes: &[u8],
        options: EngineOptions,
        host: HostCallback,
    ) -> Result<Prepared, LoadError> {
        let engine = engine(options).map_err(|e| LoadError::Engine(e.to_string()))?;
        let module = Module::new(&engine, bytes).map_err(|e| LoadError::Module(e.to_string()))?;
        let mut linker = Linker::new(&engine);
        // Preview 1 and its predecessor `wasi_unstable`, as the provider links them.
        wasi_common::sync::add_to_linker(&mut linker, |s: &mut GuestState| &mut s.wasi)
            .and_then(|()| add_wapc_imports(&mut linker))
            .map_err(|e| LoadError::Engine(e.to_string()))?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| LoadError::Module(e.to_string()))?;
        Ok(Prepared {
            pre,
            host: Rc::new(host),
            options,
        })
    }

    /// A new instance in a new store, initialised (`_start`, `wapc_init`), in the provider's
    /// order.
    pub fn instantiate(&self) -> Result<Guest, LoadError> {
        self.new_instance()?.initialise()
    }

    /// A new store (and WASI context), and the pre-instantiated module instantiated into it.
    pub fn new_instance(&self) -> Result<Uninitialised, LoadError> {
        // What kwctl gives a policy: stdio, and no arguments, environment or directories.
        let wasi = WasiCtxBuilder::new().inherit_stdio().build();
        let state = GuestState {
            wasi,
            host: Rc::clone(&self.host),
            exchange: Exchange::default(),
            meter: self.options.measure_memory.then(MemoryMeter::default),
        };
        let mut store = Store::new(self.pre.module().engine(), state);
        if self.options.measure_memory {
            store.limiter(|s| s.meter.as_mut().expect("installed only with a meter"));
        }
        if self.options.epoch_interruption {
            // The epoch is never incremented: no call is ever interrupted.
            store.set_epoch_deadline(1);
        }
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| init_failed(e.to_string()))?;
        let guest_call = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, GUEST_CALL)
            .map_err(|_| {
                init_failed(
                    "Guest call function (__guest_call) not exported by wasm module.".into(),
                )
            })?;
        Ok(Uninitialised {
            store,
            instance,
            guest_call,
        })
    }
}

fn init_failed(e: String) -> LoadError {
    LoadError::Init(format!("Initialization failed: {e}"))
}

impl Uninitialised {
    /// Runs the initialisers the module exports, `_start` then `wapc_init`.
    pub fn initialise(self) -> Result<Guest, LoadError> {
        let Uninitialised {
            mut store,
            instance,
            guest_call,
        } = self;
        for start in STARTS {
            if instance.get_export(&mut store, start).is_none() {
                continue;
            }
            let init = instance
                .get_typed_func::<(), ()>(&mut store, start)
                .map_err(|e| init_failed(e.to_string()))?;
            if let Err(e) = init.call(&mut store, ()) {
                // A TinyGo `_start` ends with `proc_exit(0)`: that is success.
                if e.downcast_ref::<I32Exit>().is_some_and(|exit| exit.0 == 0) {
                    continue;
                }
                // The provider wraps its own "Initialization failed" in wapc's.
                return Err(init_failed(format!("Initialization failed: {e}")));
            }
        }
        Ok(Guest {
            store: RefCell::new(store),
            guest_call,
        })
    }
}

impl Guest {
    /// Compiles, links, instantiates and initialises a module, in the provider's order.
    pub fn load(
        bytes: &[u8],
        options: EngineOptions,
        host: HostCallback,
    ) -> Result<Guest, LoadError> {
        Prepared::compile(bytes, options, host)?.instantiate()
    }

    /// One waPC call: the guest's reply, or its error.
    pub fn call(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, GuestCallFailure> {
        let mut store = self.store.borrow_mut();
        store.data_mut().exchange = Exchange {
            request: Some((operation.to_owned(), payload.to_vec())),
            ..Exchange::default()
        };
        // A trap (or a host function's error) is the call's error, as the provider reports it.
        let status = self
            .guest_call
            .call(&mut *store, (operation.len() as i32, payload.len() as i32))
            .map_err(|e| GuestCallFailure(e.to_string()))?;
        let exchange = &mut store.data_mut().exchange;
        let missing = match (status, exchange.response.take()) {
            (0, _) => "No error message set for call failure",
            (_, Some(response)) => return Ok(response),
            (_, None) => "No error message OR response set for call success",
        };
        Err(GuestCallFailure(
            exchange.error.take().unwrap_or_else(|| missing.to_owned()),
        ))
    }

    /// The most linear memory the guest has had, when measured.
    pub fn peak_memory(&self) -> Option<usize> {
        self.store
            .borrow()
            .data()
            .meter
            .as_ref()
            .map(MemoryMeter::peak)
    }
}

/// wasmtime's default configuration, which is what the provider builds when given no engine
/// (and what the runner gave it), plus the perf map when asked for.
fn engine(options: EngineOptions) -> wasmtime::Result<Engine> {
    let mut config = wasmtime::Config::default();
    if options.perf_map {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    config.epoch_interruption(options.epoch_interruption);
    Engine::new(&config)
}

/// The guest's `memory` export, looked up on each host function call as the provider does
/// (and with its error texts).
/// `{name}_len` and `{name}`: the length of a buffer the host filled, and a copy of it to the
/// guest's `ptr` (nothing when it is empty).
fn add_host_buffer(
    linker: &mut Linker<GuestState>,
    name: &str,
    buffer: fn(&Exchange) -> Option<&[u8]>,
) -> wasmtime::Result<()> {
    linker.func_wrap(
        WAPC,
        &format!("{name}_len"),
        move |caller: Caller<'_, GuestState>| {
            buffer(&caller.data().exchange).map_or(0, |b| b.len() as i32)
        },
    )?;
    linker.func_wrap(
        WAPC,
        name,
        move |mut caller: Caller<'_, GuestState>, ptr: i32| {
            let memory = guest_memory(&mut caller)?;
            let (data, state) = memory.data_and_store_mut(&mut caller);
            buffer(&state.exchange).map_or(Ok(()), |b| write(data, ptr, b))
        },
    )?;
    Ok(())
}

fn guest_memory(caller: &mut Caller<'_, GuestState>) -> wasmtime::Result<Memory> {
    caller
        .get_export("memory")
        .ok_or_else(|| format_err!("Cannot find 'mem' export"))?
        .into_memory()
        .ok_or_else(|| format_err!("'mem' export cannot be converted into a Memory instance"))
}

/// `len` bytes of guest memory from `ptr` (waPC pointers and lengths are u32 in i32s).
fn read(memory: &[u8], ptr: i32, len: i32) -> wasmtime::Result<&[u8]> {
    let start = ptr as u32 as usize;
    memory
        .get(start..)
        .and_then(|rest| rest.get(..len as u32 as usize))
        .ok_or_else(|| format_err!("out of bounds memory access"))
}

/// Copies `bytes` into guest memory at `ptr`; the error text is wasmtime's `Memory::write`'s.
fn write(memory: &mut [u8], ptr: i32, bytes: &[u8]) -> wasmtime::Result<()> {
    let start = ptr as u32 as usize;
    memory
        .get_mut(start..)
        .and_then(|rest| rest.get_mut(..bytes.len()))
        .ok_or_else(|| format_err!("out of bounds memory access"))?
        .copy_from_slice(bytes);
    Ok(())
}

/// Guest text as UTF-8; `what` starts the provider's error text for it.
fn utf8<'a>(bytes: &'a [u8], what: &str) -> wasmtime::Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| format_err!("{what} to UTF8: {e:?}"))
}

/// The nine host functions of the waPC protocol.
fn add_wapc_imports(linker: &mut Linker<GuestState>) -> wasmtime::Result<()> {
    // The guest asks for the call's payload and operation name, into buffers it sized from
    // `__guest_call`'s arguments.
    linker.func_wrap(
        WAPC,
        "__guest_request",
        |mut caller: Caller<'_, GuestState>, op_ptr: i32, ptr: i32| {
            let memory = guest_memory(&mut caller)?;
            let (data, state) = memory.data_and_store_mut(&mut caller);
            if let Some((operation, payload)) = &state.exchange.request {
                write(data, ptr, payload)?;
                write(data, op_ptr, operation.as_bytes())?;
            }
            Ok(())
        },
    )?;
    linker.func_wrap(
        WAPC,
        "__guest_response",
        |mut caller: Caller<'_, GuestState>, ptr: i32, len: i32| {
            let memory = guest_memory(&mut caller)?;
            let (data, state) = memory.data_and_store_mut(&mut caller);
            state.exchange.response = Some(read(data, ptr, len)?.to_vec());
            Ok(())
        },
    )?;
    linker.func_wrap(
        WAPC,
        "__guest_error",
        |mut caller: Caller<'_, GuestState>, ptr: i32, len: i32| {
            let memory = guest_memory(&mut caller)?;
            let (data, state) = memory.data_and_store_mut(&mut caller);
            let message = String::from_utf8(read(data, ptr, len)?.to_vec()).map_err(|e| {
                format_err!("guest_error_func: cannot convert message to UTF8: {e:?}")
            })?;
            state.exchange.error = Some(message);
            Ok(())
        },
    )?;
    linker.func_wrap(
        WAPC,
        "__host_call",
        |mut caller: Caller<'_, GuestState>,
         bd_ptr: i32,
         bd_len: i32,
         ns_ptr: i32,
         ns_len: i32,
         op_ptr: i32,
         op_len: i32,
         ptr: i32,
         len: i32| {
            let memory = guest_memory(&mut caller)?;
            let (data, state) = memory.data_and_store_mut(&mut caller);
            let data: &[u8] = data;
            let payload = read(data, ptr, len)?;
            let binding = utf8(read(data, bd_ptr, bd_len)?, "host_call: cannot convert bd")?;
            let namespace = utf8(read(data, ns_ptr, ns_len)?, "host_call: cannot convert ns")?;
            let operation = utf8(read(data, op_ptr, op_len)?, "host_call: cannot convert op")?;
            // 1: a response to read with `__host_response`; 0: an error for `__host_error`.
            let reply = (state.host)(binding, namespace, operation, payload);
            let status = i32::from(reply.is_ok());
            state.exchange.host_reply = Some(reply);
            Ok(status)
        },
    )?;
    add_host_buffer(linker, "__host_response", Exchange::host_response)?;
    add_host_buffer(linker, "__host_error", Exchange::host_error)?;
    // The provider hands the message to the `log` crate at info level, and the runner installs
    // no logger: the message is checked, then dropped, as before.
    linker.func_wrap(
        WAPC,
        "__console_log",
        |mut caller: Caller<'_, GuestState>, ptr: i32, len: i32| {
            let memory = guest_memory(&mut caller)?;
            utf8(
                read(memory.data(&caller), ptr, len)?,
                "console_log: cannot convert message",
            )?;
            Ok(())
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A guest with the waPC imports, WASI's `proc_exit` and `environ_sizes_get`, one exported
    /// page of memory holding "nope" at 300 and invalid UTF-8 at 200, a function named with a
    /// mangled Rust name that traps, `extra` (more functions or exports) and `body` as
    /// `__guest_call` (params `$op_len`, `$msg_len`).
    fn module(extra: &str, body: &str) -> Vec<u8> {
        wat::parse_str(format!(
            r#"(module
              (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
              (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
              (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
              (import "wapc" "__host_call"
                (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
              (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
              (import "wapc" "__host_error" (func $host_error (param i32)))
              (import "wapc" "__console_log" (func $console_log (param i32 i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
              (import "wasi_snapshot_preview1" "environ_sizes_get"
                (func $environ_sizes_get (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 200) "\ff\fe")
              (data (i32.const 300) "nope")
              (func $_ZN4core9panicking5panic17h0123456789abcdefE (unreachable))
              {extra}
              (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
                {body}))"#
        ))
        .unwrap()
    }

    fn no_host() -> HostCallback {
        Box::new(|_, _, _, _| Err("no host here".into()))
    }

    fn load(bytes: &[u8]) -> Result<Guest, LoadError> {
        Guest::load(bytes, EngineOptions::default(), no_host())
    }

    fn init_error(extra: &str) -> String {
        match load(&module(extra, "(i32.const 1)")) {
            Err(LoadError::Init(text)) => text,
            Err(e) => panic!("expected an initialisation error, got {e:?}"),
            Ok(_) => panic!("expected an initialisation error"),
        }
    }

    fn call_error(body: &str) -> String {
        let guest = load(&module("", body)).unwrap();
        guest.call("validate", b"{}").unwrap_err().0
    }

    #[test]
    fn the_guest_reads_its_request_and_answers() {
        // Echoes the payload back: the operation is written after it.
        let guest = load(&module(
            "",
            "(call $guest_request (i32.const 1024) (i32.const 2048))
             (call $guest_response (i32.const 2048) (local.get $msg_len))
             (i32.const 1)",
        ))
        .unwrap();
        assert_eq!(guest.call("validate", b"payload").unwrap(), b"payload");
        assert_eq!(guest.call("x", b"").unwrap(), b"");
        assert_eq!(guest.peak_memory(), None);
    }

    #[test]
    fn call_failures_are_worded_as_wapc_words_them() {
        assert_eq!(
            call_error("(call $guest_error (i32.const 300) (i32.const 4)) (i32.const 0)"),
            "nope"
        );
        // An error without a response fails even a call that reports success.
        assert_eq!(
            call_error("(call $guest_error (i32.const 300) (i32.const 4)) (i32.const 1)"),
            "nope"
        );
        assert_eq!(
            call_error("(i32.const 0)"),
            "No error message set for call failure"
        );
        assert_eq!(
            call_error("(i32.const 1)"),
            "No error message OR response set for call success"
        );
        let failure = GuestCallFailure("nope".into());
        assert_eq!(
            format!("{failure:?} / {failure}"),
            r#"GuestCallFailure("nope") / Guest call failure: nope"#
        );
    }

    #[test]
    fn a_trap_is_the_call_error_with_the_demangled_backtrace() {
        let text = call_error("(call $_ZN4core9panicking5panic17h0123456789abcdefE) (i32.const 1)");
        assert!(
            text.starts_with("error while executing at wasm backtrace:\n"),
            "{text}"
        );
        assert!(
            text.contains("<unknown>!core::panicking::panic::h0123456789abcdef"),
            "{text}"
        );
        // Invalid UTF-8 from the guest is a host function error, reported the same way.
        let text = call_error("(call $guest_error (i32.const 200) (i32.const 2)) (i32.const 0)");
        assert!(text.starts_with("error while executing at wasm backtrace:"));
        let text = call_error("(call $console_log (i32.const 200) (i32.const 2)) (i32.const 0)");
        assert!(text.starts_with("error while executing at wasm backtrace:"));
    }

    #[test]
    fn ranges_outside_guest_memory_trap_instead_of_panicking() {
        let text = call_error(
            "(drop (call $host_call (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1)
                                    (i32.const 0) (i32.const 1) (i32.const 65000) (i32.const 10000)))
             (i32.const 0)",
        );
        assert!(text.starts_with("error while executing at wasm backtrace:"));
        let text =
            call_error("(call $guest_request (i32.const 65535) (i32.const 65535)) (i32.const 0)");
        assert!(text.starts_with("error while executing at wasm backtrace:"));
    }

    #[test]
    fn host_errors_reach_the_guest() {
        // The guest fails with whatever the host's error was.
        let text = call_error(
            "(drop (call $host_call (i32.const 300) (i32.const 4) (i32.const 300) (i32.const 4)
                                    (i32.const 300) (i32.const 4) (i32.const 0) (i32.const 0)))
             (call $host_error (i32.const 4096))
             (call $guest_error (i32.const 4096) (call $host_error_len))
             (i32.const 0)",
        );
        assert_eq!(text, "no host here");
    }

    #[test]
    fn initialisers_run_at_load() {
        // `wapc_init` sets a global the calls then answer with.
        let flag = r#"(global $ready (mut i32) (i32.const 0))
                      (data (i32.const 400) "ready")"#;
        let body = "(if (global.get $ready)
                      (then (call $guest_response (i32.const 400) (i32.const 5))))
                    (global.get $ready)";
        let guest = load(&module(
            &format!(
                r#"{flag}
                   (func (export "wapc_init") (global.set $ready (i32.const 1)))"#
            ),
            body,
        ))
        .unwrap();
        assert_eq!(guest.call("validate", b"").unwrap(), b"ready");
        // `_start` first; its `proc_exit(0)` is a success, and `wapc_init` still runs.
        let guest = load(&module(
            &format!(
                r#"{flag}
                   (func (export "_start") (call $proc_exit (i32.const 0)))
                   (func (export "wapc_init") (global.set $ready (i32.const 1)))"#
            ),
            body,
        ))
        .unwrap();
        assert_eq!(guest.call("validate", b"").unwrap(), b"ready");
    }

    #[test]
    fn a_prepared_module_gives_fresh_initialised_instances() {
        // `wapc_init` sets a flag; a call grows the memory by two pages and answers "ready".
        let prepared = Prepared::compile(
            &module(
                r#"(global $ready (mut i32) (i32.const 0))
                   (data (i32.const 400) "ready")
                   (func (export "wapc_init") (global.set $ready (i32.const 1)))"#,
                "(if (global.get $ready)
                   (then (drop (memory.grow (i32.const 2)))
                         (call $guest_response (i32.const 400) (i32.const 5))))
                 (global.get $ready)",
            ),
            EngineOptions {
                measure_memory: true,
                ..EngineOptions::default()
            },
            no_host(),
        )
        .unwrap();
        let page = 64 * 1024;
        let first = prepared.instantiate().unwrap();
        assert_eq!(first.call("validate", b"").unwrap(), b"ready");
        assert_eq!(first.peak_memory(), Some(3 * page));
        // The next instance starts from the module again: one page, and `wapc_init` runs when
        // it is initialised, not before.
        let second = prepared.new_instance().unwrap().initialise().unwrap();
        assert_eq!(second.peak_memory(), Some(page));
        assert_eq!(second.call("validate", b"").unwrap(), b"ready");
        assert_eq!(second.peak_memory(), Some(3 * page));
        assert_eq!(first.peak_memory(), Some(3 * page));
    }

    #[test]
    fn epoch_interruption_never_interrupts() {
        let guest = Guest::load(
            &module(
                "",
                "(call $guest_request (i32.const 1024) (i32.const 2048))
                 (call $guest_response (i32.const 2048) (local.get $msg_len))
                 (i32.const 1)",
            ),
            EngineOptions {
                epoch_interruption: true,
                ..EngineOptions::default()
            },
            no_host(),
        )
        .unwrap();
        for _ in 0..3 {
            assert_eq!(guest.call("validate", b"payload").unwrap(), b"payload");
        }
    }

    #[test]
    fn initialisation_failures_are_worded_as_the_provider_words_them() {
        let text = init_error(
            r#"(func (export "wapc_init") (call $_ZN4core9panicking5panic17h0123456789abcdefE))"#,
        );
        assert!(
            text.starts_with(
                "Initialization failed: Initialization failed: error while executing at wasm \
                 backtrace:\n"
            ),
            "{text}"
        );
        assert!(text.contains("core::panicking::panic::h0123456789abcdef"));
        let text = init_error(r#"(func (export "_start") (call $proc_exit (i32.const 3)))"#);
        assert!(text.starts_with("Initialization failed: Initialization failed: "));
        assert_eq!(
            init_error(r#"(func (export "wapc_init") (param i32))"#),
            "Initialization failed: failed to convert function `wapc_init` to given type"
        );
        let text = init_error("(start $_ZN4core9panicking5panic17h0123456789abcdefE)");
        assert!(
            text.starts_with("Initialization failed: error while executing at wasm backtrace:"),
            "{text}"
        );
        let without_guest_call = wat::parse_str(r#"(module (memory (export "memory") 1))"#);
        assert_eq!(
            load(&without_guest_call.unwrap()).err(),
            Some(LoadError::Init(
                "Initialization failed: Guest call function (__guest_call) not exported by wasm \
                 module."
                    .into()
            ))
        );
    }

    #[test]
    fn modules_that_do_not_link() {
        let unknown = wat::parse_str(r#"(module (import "wapc" "__nope" (func)))"#).unwrap();
        assert_eq!(
            load(&unknown).err(),
            Some(LoadError::Module(
                "unknown import: `wapc::__nope` has not been defined".into()
            ))
        );
        assert!(matches!(load(b"(module)"), Err(LoadError::Module(_))));
    }

    #[test]
    fn wasi_gives_no_environment() {
        // environ_sizes_get's two counts, at 1000 and 1004, answered as the response.
        let guest = load(&module(
            "",
            "(drop (call $environ_sizes_get (i32.const 1000) (i32.const 1004)))
             (call $guest_response (i32.const 1000) (i32.const 8))
             (i32.const 1)",
        ))
        .unwrap();
        assert_eq!(guest.call("validate", b"").unwrap(), [0; 8]);
    }

    #[test]
    fn memory_is_measured_when_asked() {
        let guest = Guest::load(
            &module("", "(drop (memory.grow (i32.const 2))) (call $guest_response (i32.const 0) (i32.const 0)) (i32.const 1)"),
            EngineOptions {
                measure_memory: true,
                ..EngineOptions::default()
            },
            no_host(),
        )
        .unwrap();
        let page = 64 * 1024;
        assert_eq!(guest.peak_memory(), Some(page));
        guest.call("grow", b"").unwrap();
        assert_eq!(guest.peak_memory(), Some(3 * page));
    }
}
