//! Table section (id 4).

use alloc::format;

use nanowasm_core::{Feature, TableType, ValType};

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::features3;
use crate::reader::Reader;
use crate::validate::const_expr::GlobalScope;

impl<'a> Decoder<'a> {
    pub(crate) fn table_section(&mut self, r: &mut Reader<'a>) -> Result<()> {
        let n = r.count()?;
        for _ in 0..n {
            let at = r.offset();
            let explicit = r.peek() == Some(0x40);
            if explicit {
                r.u8()?;
                features3::require(
                    self.features,
                    Feature::FunctionReferences,
                    "a table with an initializer",
                    at,
                )?;
                let zero_at = r.offset();
                if r.u8()? != 0 {
                    return Err(Error::malformed("malformed table", zero_at));
                }
            }
            let t = self.table_type(r)?;
            let init = if explicit {
                Some(self.const_expr(r, ValType::Ref(t.element), GlobalScope::All)?)
            } else {
                if !t.element.nullable() {
                    return Err(Error::invalid("type mismatch", at).with_detail(format!(
                        "a table of non-nullable {} needs an initializer",
                        t.element
                    )));
                }
                None
            };
            self.parts.tables.push(t);
            self.parts.table_inits.push(init);
            self.check_table_count(at)?;
        }
        Ok(())
    }

    /// A table type: element reference type, then limits.
    pub(crate) fn table_type(&self, r: &mut Reader<'_>) -> Result<TableType> {
        let ty_at = r.offset();
        let element = r.ref_type(self.features)?;
        self.check_heap_type(element.heap(), ty_at)?;
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
