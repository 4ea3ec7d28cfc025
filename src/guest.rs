//! The waPC shell of the policy module: registers the functions, reads the clock, and touches
//! the writable statics' pages before anything reads them (see [`first_touch`]).

use kubewarden_policy_sdk::protocol_version_guest;
use kubewarden_policy_sdk::wapc_guest::{CallResult, register_function};

use crate::cluster::host::Host;
use crate::when::UnixTime;

/// The one clock the policy reads: the host's, through WASI (`clock_time_get`), which
/// kwctl and the policy server provide. A clock that cannot be read, or reads before
/// 1970, gives the epoch: then no credential is judged expired.
fn now() -> UnixTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .and_then(UnixTime::from_secs)
        .unwrap_or(UnixTime::EPOCH)
}

fn validate(payload: &[u8]) -> CallResult {
    Ok(crate::kubewarden::validate(payload, &Host, now()))
}

fn validate_settings(payload: &[u8]) -> CallResult {
    Ok(crate::kubewarden::validate_settings(payload))
}

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    first_touch();
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version_guest);
}

/// wasm pages are 64 KiB, the host's 4 KiB: the host's page is what faults.
const HOST_PAGE: usize = 4096;

/// Anchors in the writable statics: `.data` (a static with a non-zero byte lands there) and
/// `.bss` (a zeroed one). `anchor` is always 1 and `BSS_ANCHOR` always 0: writing them again
/// changes nothing. `done` keeps the `.bss` pages from being written a second time.
#[repr(C)]
struct DataAnchor {
    anchor: u8,
    done: bool,
}

static mut DATA_ANCHOR: DataAnchor = DataAnchor {
    anchor: 1,
    done: false,
};
static mut BSS_ANCHOR: u8 = 0;

unsafe extern "C" {
    /// The end of the module's static data (`.bss` is last), defined by the linker (wasm-ld).
    static __data_end: u8;
}

/// Writes one byte on each page of the writable statics before any code reads them.
///
/// Why: the policy server runs every request in a fresh instance whose memory the host maps
/// copy-on-write from the module's data (wasmtime's memory images) or zeroed. A page whose
/// first access is a read is mapped read-only; the write that follows (wapc-guest registering
/// the functions, the allocator initialising its state) then faults again, and replacing a
/// mapped page makes the kernel flush the other CPUs' TLBs (the server's other workers run
/// there): an inter-processor interrupt, which a virtual machine pays dearly for. Measured in
/// the real policy-server 1.35 on a 2-vCPU VM: a write-protect fault per page of statics, two a
/// request without this (the statics straddled a page), about 18 µs of the server's CPU each:
/// together a tenth of a Pod's admission. Written first, each page is faulted in once,
/// writable, and nothing is flushed. The stack and the heap are written before they are read
/// already. `e2e-tests/fresh_instance.bats` counts these faults.
///
/// Sound because: `anchor` and `BSS_ANCHOR` are this module's and hold what is written to
/// them; the other bytes written are the first byte of each page that lies wholly after
/// `BSS_ANCHOR`'s page and before `__data_end`, so inside `.bss`, and are written with 0 once
/// (`done`), here, at the start of `wapc_init`: the first code a waPC host runs in an
/// instance (the module has no start function and exports no other initialiser), when every
/// `.bss` byte is still the zero it was created with. A page of `.data` other than
/// `DATA_ANCHOR`'s is left alone (its bytes are not known here): `.data` is a few dozen bytes.
fn first_touch() {
    let data = &raw mut DATA_ANCHOR;
    // SAFETY: see above; volatile, so that each store is made, first, as written.
    unsafe {
        std::ptr::write_volatile(&raw mut (*data).anchor, 1);
        if std::ptr::read_volatile(&raw const (*data).done) {
            return;
        }
        std::ptr::write_volatile(&raw mut (*data).done, true);
        let bss = &raw mut BSS_ANCHOR;
        std::ptr::write_volatile(bss, 0);
        // wasm-ld lays `.bss` out last, after `.data`: were it otherwise, the pages up to
        // `__data_end` could hold `.data`, whose bytes are not known here.
        if bss.addr() < data.addr() {
            return;
        }
        let end = (&raw const __data_end).addr();
        let mut page = (bss.addr() & !(HOST_PAGE - 1)) + HOST_PAGE;
        while page < end {
            std::ptr::write_volatile(std::ptr::with_exposed_provenance_mut::<u8>(page), 0);
            page += HOST_PAGE;
        }
    }
}
