//! Table section (id 4).

use nanowasm_core::{Feature, TableType};

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::features3;
use crate::reader::Reader;

impl Decoder<'_> {
    pub(crate) fn table_section(&mut self, r: &mut Reader<'_>) -> Result<()> {
        let n = r.count()?;
        for _ in 0..n {
            let at = r.offset();
            if r.peek() == Some(0x40) {
                return Err(features3::not_enabled(
                    Feature::FunctionReferences,
                    "a table with an initializer",
                    at,
                ));
            }
            let t = self.table_type(r)?;
            self.parts.tables.push(t);
            self.check_table_count(at)?;
        }
        Ok(())
    }

    /// A table type: element reference type, then limits.
    pub(crate) fn table_type(&self, r: &mut Reader<'_>) -> Result<TableType> {
        let element = r.ref_type(self.features)?;
        let at = r.offset();
        let (limits, flags) = r.limits(self.features, false)?;
        // A 64-bit table needs memory64, which `limits` refused without it.
        let table64 = flags & 0b100 != 0;
        let bound = if table64 {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        };
        if limits.min > bound || limits.max.is_some_and(|m| m > bound) {
            return Err(Error::invalid("table size must be at most 2^32-1", at));
        }
        if limits.max.is_some_and(|max| limits.min > max) {
            return Err(Error::invalid(
                "size minimum must not be greater than maximum",
                at,
            ));
        }
        Ok(TableType {
            element,
            limits,
            table64,
        })
    }

    pub(crate) fn check_table_count(&self, at: usize) -> Result<()> {
        if self.parts.tables.len() > 1 && !self.features.has(Feature::ReferenceTypes) {
            return Err(Error::invalid("multiple tables", at));
        }
        Ok(())
    }
}
