//! Data section (id 11).

use nanowasm_core::Feature;

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::features3;
use crate::module::{DataMode, DataSegment};
use crate::reader::Reader;
use crate::validate::const_expr::GlobalScope;

impl<'a> Decoder<'a> {
    pub(crate) fn data_section(&mut self, r: &mut Reader<'a>) -> Result<()> {
        let count_at = r.offset();
        let n = r.count()?;
        if self.parts.data_count.is_some_and(|c| c != n) {
            return Err(Error::malformed(
                "data count and data section have inconsistent lengths",
                count_at,
            ));
        }
        self.parts.datas.reserve(n as usize);
        for _ in 0..n {
            let at = r.offset();
            let flags = r.u32()?;
            let mode = match flags {
                0 | 2 => {
                    let mem_at = r.offset();
                    let memory = if flags == 2 { r.u32()? } else { 0 };
                    self.check_memory_index(memory, mem_at)?;
                    let index = self.parts.memories[memory as usize].index_type();
                    let offset = self.const_expr(r, index, GlobalScope::All)?;
                    DataMode::Active { memory, offset }
                }
                1 => {
                    features3::require(
                        self.features,
                        Feature::BulkMemory,
                        "a passive data segment",
                        at,
                    )?;
                    DataMode::Passive
                }
                _ => return Err(Error::malformed("malformed data segment kind", at)),
            };
            let bytes = r.byte_vec()?;
            let end = r.offset();
            let range = end - bytes.len()..end;
            self.parts.datas.push(DataSegment { mode, range });
        }
        Ok(())
    }
}
