//! Element section (id 9): the eight segment encodings (flags 0-7).

use alloc::format;
use alloc::vec::Vec;

use nanowasm_core::{Feature, HeapType, RefType, ValType};

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::features3;
use crate::module::{ElementItems, ElementMode, ElementSegment};
use crate::reader::Reader;
use crate::validate::const_expr::GlobalScope;

impl<'a> Decoder<'a> {
    pub(crate) fn element_section(&mut self, r: &mut Reader<'a>) -> Result<()> {
        let n = r.count()?;
        self.parts.elements.reserve(n as usize);
        for _ in 0..n {
            let at = r.offset();
            let flags = r.u32()?;
            if flags > 7 {
                return Err(Error::malformed("malformed elements segment kind", at));
            }
            if flags != 0 && !self.features.has(Feature::BulkMemory) {
                features3::require(
                    self.features,
                    Feature::ReferenceTypes,
                    "this element segment encoding",
                    at,
                )?;
            }
            let passive_or_declared = flags & 0b001 != 0;
            let explicit = flags & 0b010 != 0;
            let exprs = flags & 0b100 != 0;
            let mode = if passive_or_declared {
                if explicit {
                    ElementMode::Declared
                } else {
                    ElementMode::Passive
                }
            } else {
                let table_at = r.offset();
                let table = if explicit { r.u32()? } else { 0 };
                self.check_table_index(table, table_at)?;
                let index = self.parts.tables[table as usize].index_type();
                let offset = self.const_expr(r, index, GlobalScope::All)?;
                ElementMode::Active { table, offset }
            };
            // Flags 0 and 4 have no element kind / type byte: funcref.
            let ty_at = r.offset();
            // A list of function indices holds non-null references (Wasm
            // 3.0 gives it `(ref func)`, a subtype of 2.0's `funcref`).
            let ty = if flags == 4 {
                RefType::FUNCREF
            } else if flags == 0 {
                RefType::new(false, HeapType::Func)
            } else if exprs {
                let t = r.ref_type(self.features)?;
                self.check_heap_type(t.heap(), ty_at)?;
                t
            } else {
                match r.u8()? {
                    0x00 => RefType::new(false, HeapType::Func),
                    _ => return Err(Error::malformed("malformed element kind", ty_at)),
                }
            };
            let count = r.count()?;
            let items = if exprs {
                let mut v = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    v.push(self.const_expr(r, ValType::Ref(ty), GlobalScope::All)?);
                }
                ElementItems::Exprs(v)
            } else {
                let mut v = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    let f_at = r.offset();
                    let f = r.u32()?;
                    self.check_func_index(f, f_at)?;
                    self.mark_ref(f);
                    v.push(f);
                }
                ElementItems::Funcs(v)
            };
            if let ElementMode::Active { table, .. } = mode {
                let table_ty = self.parts.tables[table as usize].element;
                if !nanowasm_core::subtype::ref_subtype(&self.parts.types, ty, table_ty) {
                    return Err(Error::invalid("type mismatch", ty_at).with_detail(format!(
                        "expected elements of {table_ty} (table {table}), found {ty}"
                    )));
                }
            }
            self.parts.elements.push(ElementSegment {
                mode,
                ty,
                items,
                flags: flags as u8,
            });
        }
        Ok(())
    }
}
