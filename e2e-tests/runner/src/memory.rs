//! Measuring the guest's linear memory. wasmtime-provider keeps its `Store` to itself, so the
//! memory cannot be asked for its size; the engine it is given can, however, create the
//! memories itself (`Config::with_host_memory`), and a creator sees every allocation and every
//! `memory.grow`.
//!
//! The memories are laid out as wasmtime lays out its own: the reservation and guard region it
//! asks for are mapped inaccessible up front and made accessible as the memory grows, so the
//! compiled code (which leaves out bounds checks because of the guard) runs unchanged.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::mm::{MapFlags, MprotectFlags, ProtFlags};
use wasmtime::{LinearMemory, MemoryCreator, MemoryType};

/// Bytes of guest linear memory: in use now, and the most ever in use at once.
#[derive(Debug, Default)]
pub struct MemoryMeter {
    current: AtomicUsize,
    peak: AtomicUsize,
}

impl MemoryMeter {
    pub fn new() -> Arc<MemoryMeter> {
        Arc::new(MemoryMeter::default())
    }

    /// The largest total size of the live memories so far (memories never shrink, so for one
    /// instance this is its size now).
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    pub fn current(&self) -> usize {
        self.current.load(Ordering::Relaxed)
    }

    fn add(&self, bytes: usize) {
        let now = self.current.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    fn sub(&self, bytes: usize) {
        self.current.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// The memory creator to install with `Config::with_host_memory`.
pub struct MeteredMemories(pub Arc<MemoryMeter>);

/// When wasmtime leaves the reservation to the creator, a 32-bit memory can reach 4 GiB.
const DEFAULT_RESERVATION: usize = 1 << 32;

fn round_up_to_page(bytes: usize) -> Option<usize> {
    let page = rustix::param::page_size();
    bytes.checked_next_multiple_of(page)
}

// SAFETY: every memory returned is a fresh, zero-filled anonymous mapping of the reservation
// plus guard that wasmtime asked for, never moved and unmapped only on drop.
unsafe impl MemoryCreator for MeteredMemories {
    fn new_memory(
        &self,
        _ty: MemoryType,
        minimum: usize,
        maximum: Option<usize>,
        reserved_size_in_bytes: Option<usize>,
        guard_size_in_bytes: usize,
    ) -> Result<Box<dyn LinearMemory>, String> {
        let reservation = reserved_size_in_bytes
            .or(maximum)
            .unwrap_or(DEFAULT_RESERVATION)
            .max(minimum);
        let reservation = round_up_to_page(reservation).ok_or("memory reservation overflows")?;
        let mapped = reservation
            .checked_add(guard_size_in_bytes)
            .ok_or("memory reservation overflows")?;
        // SAFETY: a new private anonymous mapping aliases nothing.
        let base = unsafe {
            rustix::mm::mmap_anonymous(
                std::ptr::null_mut(),
                mapped,
                ProtFlags::empty(),
                MapFlags::PRIVATE | MapFlags::NORESERVE,
            )
        }
        .map_err(|e| format!("cannot reserve {mapped} bytes for a guest memory: {e}"))?;
        let mut memory = MeteredMemory {
            base: base.cast(),
            size: 0,
            reservation,
            mapped,
            meter: self.0.clone(),
        };
        memory
            .resize(minimum)
            .map_err(|e| format!("cannot commit a guest memory of {minimum} bytes: {e}"))?;
        Ok(Box::new(memory))
    }
}

struct MeteredMemory {
    base: *mut u8,
    size: usize,
    reservation: usize,
    mapped: usize,
    meter: Arc<MemoryMeter>,
}

// SAFETY: the mapping is owned by this value alone; wasmtime serialises access to it.
unsafe impl Send for MeteredMemory {}
// SAFETY: as above; the value itself is only read through `&self`.
unsafe impl Sync for MeteredMemory {}

impl MeteredMemory {
    fn resize(&mut self, new_size: usize) -> Result<(), String> {
        if new_size > self.reservation {
            return Err(format!(
                "{new_size} bytes exceed the reservation of {} bytes",
                self.reservation
            ));
        }
        if new_size > self.size {
            let accessible = round_up_to_page(new_size).ok_or("memory size overflows")?;
            // SAFETY: the range lies inside this memory's own mapping.
            unsafe {
                rustix::mm::mprotect(
                    self.base.cast(),
                    accessible,
                    MprotectFlags::READ | MprotectFlags::WRITE,
                )
            }
            .map_err(|e| e.to_string())?;
            self.meter.add(new_size - self.size);
            self.size = new_size;
        }
        Ok(())
    }
}

// SAFETY: `as_ptr` is stable for the memory's life, `byte_size` bytes from it are readable and
// writable, and growth never moves it.
unsafe impl LinearMemory for MeteredMemory {
    fn byte_size(&self) -> usize {
        self.size
    }

    fn byte_capacity(&self) -> usize {
        self.reservation
    }

    fn grow_to(&mut self, new_size: usize) -> wasmtime::Result<()> {
        self.resize(new_size).map_err(wasmtime::Error::msg)
    }

    fn as_ptr(&self) -> *mut u8 {
        self.base
    }
}

impl Drop for MeteredMemory {
    fn drop(&mut self) {
        self.meter.sub(self.size);
        // SAFETY: the mapping was made by `new_memory` and nothing uses it any more.
        let _ = unsafe { rustix::mm::munmap(self.base.cast(), self.mapped) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_keeps_the_peak() {
        let meter = MemoryMeter::default();
        meter.add(100);
        meter.add(50);
        meter.sub(120);
        meter.add(10);
        assert_eq!((meter.current(), meter.peak()), (40, 150));
    }

    #[test]
    fn memories_grow_in_place_and_are_counted() {
        let meter = MemoryMeter::new();
        let creator = MeteredMemories(meter.clone());
        let page = 64 * 1024;
        let ty = MemoryType::new(1, Some(16));
        let mut memory = creator
            .new_memory(ty, page, Some(16 * page), Some(16 * page), 2 * page)
            .unwrap();
        let base = memory.as_ptr();
        // SAFETY: the first page is committed; the mapping is zero-filled.
        unsafe {
            assert_eq!(*base.add(page - 1), 0);
            *base.add(page - 1) = 7;
        }
        memory.grow_to(3 * page).unwrap();
        assert_eq!(memory.as_ptr(), base);
        // SAFETY: three pages are committed now.
        unsafe { *base.add(3 * page - 1) = 1 };
        assert!(memory.grow_to(17 * page).is_err());
        assert_eq!(memory.byte_size(), 3 * page);
        assert_eq!(meter.peak(), 3 * page);
        drop(memory);
        assert_eq!((meter.current(), meter.peak()), (0, 3 * page));
    }
}
