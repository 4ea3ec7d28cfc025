//! Measuring the guest's linear memory. The runner owns the guest's `Store`, so the meter is
//! that store's resource limiter: wasmtime asks it before creating a memory (from 0 to its
//! minimum) and before every `memory.grow`, and tells it when a growth it allowed then failed.
//! It refuses nothing, so the guest runs as without it; memories are created and grown by
//! wasmtime as usual (copy-on-write data included).

use wasmtime::ResourceLimiter;

/// Bytes of guest linear memory in use. Memories never shrink, so the size now is also the most
/// ever in use at once.
#[derive(Debug, Default)]
pub struct MemoryMeter {
    current: usize,
    /// The last growth counted, taken back if wasmtime reports that the growth failed (past
    /// the memory's maximum, or out of address space).
    pending: usize,
}

impl MemoryMeter {
    /// The largest total size of the store's memories so far.
    pub fn peak(&self) -> usize {
        self.current
    }

    pub fn current(&self) -> usize {
        self.current
    }
}

impl ResourceLimiter for MemoryMeter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.pending = desired.saturating_sub(current);
        self.current += self.pending;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        // Only the count changes: `memory.grow` returns -1 to the guest, as without a limiter.
        self.current -= std::mem::take(&mut self.pending);
        Ok(())
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 64 * 1024;

    #[test]
    fn meter_keeps_the_peak_and_allows_everything() {
        let mut meter = MemoryMeter::default();
        assert!(meter.memory_growing(0, PAGE, None).unwrap());
        assert!(
            meter
                .memory_growing(PAGE, 3 * PAGE, Some(16 * PAGE))
                .unwrap()
        );
        assert!(meter.memory_growing(0, PAGE, None).unwrap());
        assert!(meter.table_growing(0, 10, None).unwrap());
        assert_eq!((meter.current(), meter.peak()), (4 * PAGE, 4 * PAGE));
    }

    #[test]
    fn a_failed_growth_is_not_counted() {
        let mut meter = MemoryMeter::default();
        meter.memory_growing(0, PAGE, Some(2 * PAGE)).unwrap();
        meter
            .memory_growing(PAGE, 5 * PAGE, Some(2 * PAGE))
            .unwrap();
        meter
            .memory_grow_failed(wasmtime::format_err!("Memory maximum size exceeded"))
            .unwrap();
        assert_eq!((meter.current(), meter.peak()), (PAGE, PAGE));
        meter
            .memory_growing(PAGE, 2 * PAGE, Some(2 * PAGE))
            .unwrap();
        assert_eq!((meter.current(), meter.peak()), (2 * PAGE, 2 * PAGE));
    }
}
