//! Start section (id 8).

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::reader::Reader;

impl Decoder<'_> {
    pub(crate) fn start_section(&mut self, r: &mut Reader<'_>) -> Result<()> {
        let at = r.offset();
        let index = r.u32()?;
        self.check_func_index(index, at)?;
        let ty = self.func_type_at(self.parts.funcs[index as usize], at)?;
        if !ty.params().is_empty() || !ty.results().is_empty() {
            return Err(Error::invalid("start function", at));
        }
        self.parts.start = Some(index);
        Ok(())
    }
}
