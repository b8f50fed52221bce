//! A caching allocator: device buffers are never handed back to the driver while the backend lives.
//! A dropped buffer goes onto a free list keyed by its size class and the next request of that class
//! takes it, so from the second training step on (same shapes, same sequence of requests) a step
//! makes no driver allocation at all; [`Allocator::driver_allocations`] counts the ones made.
//!
//! Reuse needs no synchronisation because the backend has one stream: a buffer is dropped on the
//! host while kernels that read it may still be queued, but whatever reuses it is queued behind them.

use cudarc::driver::{CudaSlice, CudaStream, DeviceRepr, DriverError};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

type FreeLists<T> = Mutex<HashMap<usize, Vec<CudaSlice<T>>>>;

/// The free lists of one device: values (`f32`) and indices (`u32`: CSR structure, gather indices).
/// Public only because [`Pooled`] names it; outside this crate it cannot be reached.
pub struct Allocator {
    stream: Arc<CudaStream>,
    f32s: FreeLists<f32>,
    u32s: FreeLists<u32>,
    driver_allocations: AtomicU64,
}

/// The element types a [`DeviceBuf`] may hold, each with its free lists.
pub trait Pooled: DeviceRepr + Copy + Default + Send + Sync + 'static {
    #[doc(hidden)]
    fn free_lists(a: &Allocator) -> &FreeLists<Self>;
}
impl Pooled for f32 {
    fn free_lists(a: &Allocator) -> &FreeLists<f32> {
        &a.f32s
    }
}
impl Pooled for u32 {
    fn free_lists(a: &Allocator) -> &FreeLists<u32> {
        &a.u32s
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves the lists consistent (push/pop only).
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Allocator {
    pub(crate) fn new(stream: Arc<CudaStream>) -> Arc<Self> {
        Arc::new(Allocator {
            stream,
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
    ) -> Result<DeviceBuf<T>, DriverError> {
        let capacity = size_class(len);
        let reused = lock(T::free_lists(self))
            .get_mut(&capacity)
            .and_then(Vec::pop);
        let slice = match reused {
            Some(s) => s,
            None => self.allocate(capacity)?,
        };
        Ok(DeviceBuf {
            slice: Some(slice),
            len,
            alloc: self.clone(),
        })
    }

    fn allocate<T: Pooled>(&self, capacity: usize) -> Result<CudaSlice<T>, DriverError> {
        self.driver_allocations.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the contents are undefined until written; every caller writes before reading.
        match unsafe { self.stream.alloc::<T>(capacity) } {
            Ok(s) => Ok(s),
            Err(_) => {
                // Out of memory, perhaps only because the cache holds it: give the cache back, retry.
                self.release_cached();
                unsafe { self.stream.alloc::<T>(capacity) }
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
    slice: Option<CudaSlice<T>>,
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
    /// The device memory (its length is the size class, at least `len`).
    pub(crate) fn slice(&self) -> &CudaSlice<T> {
        self.slice.as_ref().expect("a live buffer holds its slice")
    }
    pub(crate) fn slice_mut(&mut self) -> &mut CudaSlice<T> {
        self.slice.as_mut().expect("a live buffer holds its slice")
    }
}

impl<T: Pooled> Drop for DeviceBuf<T> {
    fn drop(&mut self) {
        if let Some(s) = self.slice.take() {
            lock(T::free_lists(&self.alloc))
                .entry(s.len())
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
