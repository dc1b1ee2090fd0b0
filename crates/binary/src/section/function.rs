//! Function section (id 3): the type index of each defined function.

use crate::decode::Decoder;
use crate::error::Result;
use crate::reader::Reader;

impl Decoder<'_> {
    pub(crate) fn function_section(&mut self, r: &mut Reader<'_>) -> Result<()> {
        let n = r.count()?;
        self.func_section_count = Some(n);
        self.parts.funcs.reserve(n as usize);
        for _ in 0..n {
            let at = r.offset();
            let ty = r.u32()?;
            self.check_type_index(ty, at)?;
            self.parts.funcs.push(ty);
        }
        Ok(())
    }
}
