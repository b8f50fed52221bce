//! A caching allocator: device buffers are never handed back to the driver while the backend lives.
//! A dropped buffer goes onto a free list keyed by its size class and the next request of that class
//! takes it, so from the second training step on (same shapes, same sequence of requests) a step
//! makes no driver allocation at all; [`Allocator::driver_allocations`] counts the ones made.
//!
//! Reuse needs no synchronisation because the backend has one stream: a buffer is dropped on the
//! host while kernels that read it may still be queued, but whatever reuses it is queued behind them.
//!
//! On the simulator every buffer handed out, new or reused, is filled with a poison value (NaN, or
//! `u32::MAX` for indices), so an element a kernel should write and does not shows up in the result.

use crate::engine::{Access, Arg, Engine, EngineError, Mem};
use cudarc::driver::DeviceRepr;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

type FreeLists<T> = Mutex<HashMap<usize, Vec<Mem<T>>>>;

/// The free lists of one device: values (`f32`) and indices (`u32`: CSR structure, gather indices).
/// Public only because [`Pooled`] names it; outside this crate it cannot be reached.
pub struct Allocator {
    engine: Arc<Engine>,
    f32s: FreeLists<f32>,
    u32s: FreeLists<u32>,
    driver_allocations: AtomicU64,
}

/// The element types a [`DeviceBuf`] may hold, each with its free lists. Implemented here for `f32`
/// and `u32` only; its methods are the crate's plumbing, which no other crate can name or call.
#[allow(private_interfaces)]
pub trait Pooled:
    DeviceRepr + cudarc::driver::ValidAsZeroBits + Copy + Default + Send + Sync + 'static
{
    /// What the simulator fills a fresh buffer with.
    #[doc(hidden)]
    const POISON: Self;
    #[doc(hidden)]
    fn free_lists(a: &Allocator) -> &FreeLists<Self>;
    #[doc(hidden)]
    fn arg(buf: &DeviceBuf<Self>, access: Access) -> Arg<'_>;
}
#[allow(private_interfaces)]
impl Pooled for f32 {
    const POISON: f32 = f32::NAN;
    fn free_lists(a: &Allocator) -> &FreeLists<f32> {
        &a.f32s
    }
    fn arg(buf: &DeviceBuf<f32>, access: Access) -> Arg<'_> {
        Arg::F32s(buf, access)
    }
}
#[allow(private_interfaces)]
impl Pooled for u32 {
    // An index past any table: a kernel reading an unwritten index goes out of range.
    const POISON: u32 = u32::MAX;
    fn free_lists(a: &Allocator) -> &FreeLists<u32> {
        &a.u32s
    }
    fn arg(buf: &DeviceBuf<u32>, access: Access) -> Arg<'_> {
        Arg::U32s(buf, access)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves the lists consistent (push/pop only).
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Allocator {
    pub(crate) fn new(engine: Arc<Engine>) -> Arc<Self> {
        Arc::new(Allocator {
            engine,
            f32s: Default::default(),
            u32s: Default::default(),
            driver_allocations: AtomicU64::new(0),
        })
    }

    pub(crate) fn driver_allocations(&self) -> u64 {
        self.driver_allocations.load(Ordering::Relaxed)
    }

    /// A buffer of `len` elements with undefined contents.
    pub(crate) fn take<T: Pooled>(
        self: &Arc<Self>,
        len: usize,
    ) -> Result<DeviceBuf<T>, EngineError> {
        let capacity = size_class(len);
        let reused = lock(T::free_lists(self))
            .get_mut(&capacity)
            .and_then(Vec::pop);
        let mut mem = match reused {
            Some(s) => s,
            None => self.allocate(capacity)?,
        };
        if let Mem::Host(h) = &mut mem {
            h.fill(T::POISON);
        }
        Ok(DeviceBuf {
            mem: Some(mem),
            len,
            alloc: self.clone(),
        })
    }

    fn allocate<T: Pooled>(&self, capacity: usize) -> Result<Mem<T>, EngineError> {
        self.driver_allocations.fetch_add(1, Ordering::Relaxed);
        match self.engine.alloc::<T>(capacity) {
            Ok(s) => Ok(s),
            Err(_) => {
                // Out of memory, perhaps only because the cache holds it: give the cache back, retry.
                self.release_cached();
                self.engine.alloc::<T>(capacity)
            }
        }
    }

    /// Hands every cached buffer back to the driver.
    fn release_cached(&self) {
        lock(&self.f32s).clear();
        lock(&self.u32s).clear();
    }
}

/// The capacity a request of `len` elements is served with: `len` rounded up to a multiple of a
/// sixteenth of its power of two (at least 256), so at most 12.5% is wasted while lengths that vary a
/// little from step to step (the non-zeros of a CSR batch) land in a few reusable classes. Never 0:
/// the driver refuses empty allocations.
fn size_class(len: usize) -> usize {
    let step = (len.next_power_of_two() / 16).max(256);
    len.max(1).next_multiple_of(step)
}

/// A device array of `len` elements of `T`, returned to its allocator's free list when dropped.
pub struct DeviceBuf<T: Pooled> {
    mem: Option<Mem<T>>,
    len: usize,
    alloc: Arc<Allocator>,
}

impl<T: Pooled> DeviceBuf<T> {
    /// The number of elements.
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The memory (its capacity is the size class, at least `len`).
    pub(crate) fn mem(&self) -> &Mem<T> {
        self.mem.as_ref().expect("a live buffer holds its memory")
    }
    pub(crate) fn mem_mut(&mut self) -> &mut Mem<T> {
        self.mem.as_mut().expect("a live buffer holds its memory")
    }
}

impl<T: Pooled> Drop for DeviceBuf<T> {
    fn drop(&mut self) {
        if let Some(s) = self.mem.take() {
            lock(T::free_lists(&self.alloc))
                .entry(s.capacity())
                .or_default()
                .push(s);
        }
    }
}

impl<T: Pooled> fmt::Debug for DeviceBuf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceBuf<{}>[{}]", std::any::type_name::<T>(), self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_cover_the_request_and_waste_at_most_an_eighth() {
        for len in (0..5000).chain([36_123, 36_999, 10_054_000]) {
            let c = size_class(len);
            assert!(c >= len.max(1) && c >= 256, "{len} -> {c}");
            assert!(len < 2048 || (c - len) * 8 <= len, "{len} -> {c}");
        }
        assert_eq!(size_class(36_000), size_class(36_800));
    }
}
