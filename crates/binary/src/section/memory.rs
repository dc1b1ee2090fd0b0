//! Memory section (id 5).

use nanowasm_core::{Feature, MemoryType};

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::reader::Reader;

impl Decoder<'_> {
    pub(crate) fn memory_section(&mut self, r: &mut Reader<'_>) -> Result<()> {
        let n = r.count()?;
        for _ in 0..n {
            let at = r.offset();
            let m = self.memory_type(r)?;
            self.parts.memories.push(m);
            self.check_memory_count(at)?;
        }
        Ok(())
    }

    /// A memory type: limits in pages, validated against the 4 GiB bound.
    pub(crate) fn memory_type(&self, r: &mut Reader<'_>) -> Result<MemoryType> {
        let at = r.offset();
        let (limits, flags) = r.limits(self.features, true)?;
        let memory64 = flags & 0b100 != 0;
        let shared = flags & 0b010 != 0;
        let bound = if memory64 {
            1u64 << 48
        } else {
            MemoryType::MAX_PAGES_32
        };
        if limits.min > bound || limits.max.is_some_and(|m| m > bound) {
            return Err(Error::invalid(
                if memory64 {
                    "memory size must be at most 2^48 pages"
                } else {
                    "memory size must be at most 65536 pages (4GiB)"
                },
                at,
            ));
        }
        if limits.max.is_some_and(|max| limits.min > max) {
            return Err(Error::invalid(
                "size minimum must not be greater than maximum",
                at,
            ));
        }
        if shared && limits.max.is_none() {
            return Err(Error::invalid("shared memory must have maximum", at));
        }
        Ok(MemoryType {
            limits,
            memory64,
            shared,
        })
    }

    pub(crate) fn check_memory_count(&self, at: usize) -> Result<()> {
        if self.parts.memories.len() > 1 && !self.features.has(Feature::MultiMemory) {
            return Err(Error::invalid("multiple memories", at).with_detail(
                "several memories need the `multi-memory` proposal, which is not enabled",
            ));
        }
        Ok(())
    }
}
