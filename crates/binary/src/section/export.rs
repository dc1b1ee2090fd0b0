//! Export section (id 7).

use alloc::borrow::ToOwned;

use nanowasm_core::{ExternKind, Feature};

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::module::Export;
use crate::reader::Reader;

impl<'a> Decoder<'a> {
    pub(crate) fn export_section(&mut self, r: &mut Reader<'a>) -> Result<()> {
        let n = r.count()?;
        self.parts.exports.reserve(n as usize);
        for _ in 0..n {
            let name_at = r.offset();
            let name = r.name()?;
            let at = r.offset();
            let kind = match r.u8()? {
                0 => ExternKind::Func,
                1 => ExternKind::Table,
                2 => ExternKind::Memory,
                3 => ExternKind::Global,
                4 if self.features.has(Feature::Exceptions) => ExternKind::Tag,
                _ => return Err(Error::malformed("malformed export kind", at)),
            };
            let index_at = r.offset();
            let index = r.u32()?;
            match kind {
                ExternKind::Func => {
                    self.check_func_index(index, index_at)?;
                    self.mark_ref(index);
                }
                ExternKind::Table => self.check_table_index(index, index_at)?,
                ExternKind::Memory => self.check_memory_index(index, index_at)?,
                ExternKind::Global => self.check_global_index(index, index_at)?,
                ExternKind::Tag => self.check_tag_index(index, index_at)?,
            }
            if !self.export_names.insert(name) {
                return Err(Error::invalid("duplicate export name", name_at));
            }
            self.parts.exports.push(Export {
                name: name.to_owned(),
                kind,
                index,
            });
        }
        Ok(())
    }
}
