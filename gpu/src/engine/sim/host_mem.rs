//! The simulator's "device memory": a host allocation that kernels write through raw pointers.
//! Owned through a raw pointer, not a `Box<[T]>`, because a kernel writes into it while the Rust
//! side holds only a shared reference to the buffer (as a `CudaSlice` is written by a kernel).

use std::ptr::NonNull;

pub(crate) struct HostMem<T: Copy> {
    ptr: NonNull<T>,
    len: usize,
}

// SAFETY: plain memory of `Copy` elements; the backend's borrows (`&` to read, `&mut` to write) order
// access to it as they order access to device memory.
unsafe impl<T: Copy + Send> Send for HostMem<T> {}
unsafe impl<T: Copy + Sync> Sync for HostMem<T> {}

impl<T: Copy> HostMem<T> {
    /// `len` elements, each `value`.
    pub(crate) fn filled(len: usize, value: T) -> Self {
        let boxed = vec![value; len].into_boxed_slice();
        let ptr = NonNull::new(Box::into_raw(boxed) as *mut T).expect("Box is never null");
        HostMem { ptr, len }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The address a kernel receives.
    pub(crate) fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }

    pub(crate) fn fill_prefix(&mut self, n: usize, value: T) {
        self.as_mut_slice()[..n].fill(value);
    }

    pub(crate) fn fill(&mut self, value: T) {
        self.as_mut_slice().fill(value);
    }

    pub(crate) fn copy_from(&mut self, host: &[T]) {
        self.as_mut_slice()[..host.len()].copy_from_slice(host);
    }

    pub(crate) fn to_vec(&self, n: usize) -> Vec<T> {
        self.as_slice()[..n].to_vec()
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        // SAFETY: `len` initialised elements; no kernel runs while the host holds this borrow (the
        // simulator runs a kernel to completion inside its launch).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as above, and `&mut self` is the only borrow.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> Drop for HostMem<T> {
    fn drop(&mut self) {
        // SAFETY: `ptr` and `len` came from `Box<[T]>::into_raw` in `filled`.
        unsafe {
            drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                self.ptr.as_ptr(),
                self.len,
            )))
        };
    }
}
