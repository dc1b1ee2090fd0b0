//! Linear memories.

use nanowasm_core::{Limits, MemoryType};

use crate::error::Error;
use crate::prelude::*;
use crate::store::{AsContext, AsContextMut, MemoryEntity, StoreInner, Stored};

/// A linear memory of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Memory(pub(crate) Stored);

impl Memory {
    /// A new memory of type `ty` (not shared with any module until imported).
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory, Error> {
        let inner = &mut store.as_context_mut().inner;
        let bound = if ty.memory64 {
            1 << 48
        } else {
            MemoryType::MAX_PAGES_32
        };
        if ty.limits.min > bound
            || ty
                .limits
                .max
                .is_some_and(|m| m < ty.limits.min || m > bound)
        {
            return Err(Error::usage("invalid memory type"));
        }
        // A 64-bit memory gets at most the 4 GiB a 32-bit one may have.
        if ty.limits.min > MemoryType::MAX_PAGES_32 {
            return Err(Error::limit(format!(
                "a memory of {} pages is more than nanowasm supports (65536 pages, 4 GiB)",
                ty.limits.min
            )));
        }
        let bytes = ty.limits.min * MemoryType::PAGE_SIZE;
        if inner
            .limits
            .memory_size
            .is_some_and(|max| bytes > max as u64)
        {
            return Err(Error::limit("memory exceeds the store's memory limit"));
        }
        let index = inner.memories.len() as u32;
        inner.memories.push(MemoryEntity {
            data: crate::linear::LinearMemory::new(bytes as usize, &inner.engine.inner.memory_pool)
                .ok_or_else(|| Error::limit("the host refused memory for a linear memory"))?,
            ty,
        });
        Ok(Memory(Stored {
            store: inner.id,
            index,
        }))
    }

    fn entity<'a>(&self, inner: &'a StoreInner) -> Result<&'a MemoryEntity, Error> {
        inner.check(self.0)?;
        Ok(&inner.memories[self.0.index as usize])
    }

    /// The memory's bytes; an error if `store` does not own the memory (as
    /// for every method here).
    pub fn data<'a, T: 'a>(&self, store: &'a impl AsContext<Data = T>) -> Result<&'a [u8], Error> {
        Ok(&self.entity(&store.as_context().inner)?.data)
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'a, T: 'a>(
        &self,
        store: &'a mut impl AsContextMut<Data = T>,
    ) -> Result<&'a mut [u8], Error> {
        let inner = &mut store.as_context_mut().inner;
        inner.check(self.0)?;
        Ok(&mut inner.memories[self.0.index as usize].data)
    }

    /// The memory's bytes and the store's host data, both mutably: what a
    /// host function needs to read guest buffers while updating its own
    /// state (WASI's file table, for instance).
    pub fn data_and_store_mut<'a, T: 'a>(
        &self,
        store: &'a mut impl AsContextMut<Data = T>,
    ) -> Result<(&'a mut [u8], &'a mut T), Error> {
        let store = store.as_context_mut();
        store.inner.check(self.0)?;
        let mem = &mut store.inner.memories[self.0.index as usize].data;
        Ok((&mut mem[..], &mut store.data))
    }

    /// Copies `len` bytes at `src_at` of this memory to `dst_at` of `dst`
    /// (this memory or another of the store) in one copy, with no buffer
    /// in between: a component-to-component call's fused copy. An error,
    /// and nothing copied, if either range is out of bounds.
    pub fn copy_to(
        &self,
        mut store: impl AsContextMut,
        src_at: usize,
        dst: &Memory,
        dst_at: usize,
        len: usize,
    ) -> Result<(), Error> {
        let inner = &mut store.as_context_mut().inner;
        inner.check(self.0)?;
        inner.check(dst.0)?;
        let oob = || Error::usage("out of bounds memory access");
        let src_end = src_at.checked_add(len).ok_or_else(oob)?;
        let dst_end = dst_at.checked_add(len).ok_or_else(oob)?;
        let (s, d) = (self.0.index as usize, dst.0.index as usize);
        if s == d {
            let data = &mut inner.memories[s].data;
            if src_end > data.len() || dst_end > data.len() {
                return Err(oob());
            }
            data.copy_within(src_at..src_end, dst_at);
            return Ok(());
        }
        // Two distinct indices: split the vector between them.
        let (lo, hi) = (s.min(d), s.max(d));
        let (left, right) = inner.memories.split_at_mut(hi);
        let (a, b) = if s < d {
            (&left[lo], &mut right[0])
        } else {
            (&right[0], &mut left[lo])
        };
        let from = a.data.get(src_at..src_end).ok_or_else(oob)?;
        b.data
            .get_mut(dst_at..dst_end)
            .ok_or_else(oob)?
            .copy_from_slice(from);
        Ok(())
    }

    /// The size in pages.
    pub fn size(&self, store: impl AsContext) -> Result<u64, Error> {
        Ok(self.entity(&store.as_context().inner)?.data.len() as u64 / MemoryType::PAGE_SIZE)
    }

    /// The memory's type, with its current size as minimum.
    pub fn ty(&self, store: impl AsContext) -> Result<MemoryType, Error> {
        let e = self.entity(&store.as_context().inner)?;
        Ok(MemoryType {
            limits: Limits {
                min: e.data.len() as u64 / MemoryType::PAGE_SIZE,
                max: e.ty.limits.max,
            },
            ..e.ty
        })
    }

    /// Grows by `delta` pages, returning the previous size, or an error if
    /// the memory's maximum or the store's limit would be exceeded.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64, Error> {
        let inner = &mut store.as_context_mut().inner;
        inner.check(self.0)?;
        grow(inner, self.0.index, delta).ok_or_else(|| Error::limit("memory cannot grow that much"))
    }

    /// Copies `buf.len()` bytes from offset `at`.
    pub fn read(&self, store: impl AsContext, at: usize, buf: &mut [u8]) -> Result<(), Error> {
        let data = &self.entity(&store.as_context().inner)?.data;
        let src = at
            .checked_add(buf.len())
            .and_then(|end| data.get(at..end))
            .ok_or_else(|| Error::usage("out of bounds memory access"))?;
        buf.copy_from_slice(src);
        Ok(())
    }

    /// Copies `buf` to offset `at`.
    pub fn write(&self, mut store: impl AsContextMut, at: usize, buf: &[u8]) -> Result<(), Error> {
        let inner = &mut store.as_context_mut().inner;
        inner.check(self.0)?;
        let data = &mut inner.memories[self.0.index as usize].data;
        let dst = at
            .checked_add(buf.len())
            .and_then(|end| data.get_mut(at..end))
            .ok_or_else(|| Error::usage("out of bounds memory access"))?;
        dst.copy_from_slice(buf);
        Ok(())
    }
}

/// `memory.grow`: the previous size in pages, or `None`.
pub(crate) fn grow(inner: &mut StoreInner, memory: u32, delta: u64) -> Option<u64> {
    let limit_bytes = inner.limits.memory_size;
    let mem = &mut inner.memories[memory as usize];
    let old = mem.data.len() as u64 / MemoryType::PAGE_SIZE;
    let new = old.checked_add(delta)?;
    let max = mem
        .ty
        .limits
        .max
        .unwrap_or(MemoryType::MAX_PAGES_32)
        .min(MemoryType::MAX_PAGES_32);
    if new > max {
        return None;
    }
    let new_bytes = new.checked_mul(MemoryType::PAGE_SIZE)?;
    if limit_bytes.is_some_and(|limit| new_bytes > limit as u64) {
        return None;
    }
    let new_bytes = usize::try_from(new_bytes).ok()?;
    // Allocation failure is a failed grow, not an abort.
    inner.resizes += 1;
    mem.data.resize(new_bytes)?;
    Some(old)
}
