//! Import section (id 2).

use alloc::borrow::ToOwned;

use nanowasm_core::Feature;

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::features3;
use crate::module::{Import, ImportDesc};
use crate::reader::Reader;

impl Decoder<'_> {
    pub(crate) fn import_section(&mut self, r: &mut Reader<'_>) -> Result<()> {
        let n = r.count()?;
        self.parts.imports.reserve(n as usize);
        for _ in 0..n {
            let module = r.name()?.to_owned();
            let name = r.name()?.to_owned();
            let at = r.offset();
            let desc = match r.u8()? {
                0x00 => {
                    let ty_at = r.offset();
                    let ty = r.u32()?;
                    self.check_type_index(ty, ty_at)?;
                    self.parts.funcs.push(ty);
                    self.parts.num_imported.funcs += 1;
                    ImportDesc::Func(ty)
                }
                0x01 => {
                    let t = self.table_type(r)?;
                    self.parts.tables.push(t);
                    self.parts.num_imported.tables += 1;
                    self.check_table_count(at)?;
                    ImportDesc::Table(t)
                }
                0x02 => {
                    let m = self.memory_type(r)?;
                    self.parts.memories.push(m);
                    self.parts.num_imported.memories += 1;
                    self.check_memory_count(at)?;
                    ImportDesc::Memory(m)
                }
                0x03 => {
                    let g = self.global_type(r)?;
                    if g.mutable && !self.features.has(Feature::MutableGlobal) {
                        return Err(features3::not_enabled(
                            Feature::MutableGlobal,
                            "importing a mutable global",
                            at,
                        ));
                    }
                    self.parts.globals.push(g);
                    self.parts.num_imported.globals += 1;
                    ImportDesc::Global(g)
                }
                0x04 => {
                    if !self.features.has(Feature::Exceptions) {
                        return Err(features3::not_enabled_as(
                            "malformed import kind",
                            Feature::Exceptions,
                            "a tag import",
                            at,
                        ));
                    }
                    let ty = self.tag_type(r)?;
                    self.parts.tags.push(ty);
                    self.parts.num_imported.tags += 1;
                    ImportDesc::Tag(ty)
                }
                _ => return Err(Error::malformed("malformed import kind", at)),
            };
            self.parts.imports.push(Import { module, name, desc });
        }
        Ok(())
    }
}
