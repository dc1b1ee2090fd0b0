//! Global section (id 6).

use nanowasm_core::GlobalType;

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::reader::Reader;
use crate::validate::const_expr::GlobalScope;

impl<'a> Decoder<'a> {
    pub(crate) fn global_section(&mut self, r: &mut Reader<'a>) -> Result<()> {
        let n = r.count()?;
        for _ in 0..n {
            let g = self.global_type(r)?;
            let init = self.const_expr(r, g.content, GlobalScope::Imported)?;
            self.parts.globals.push(g);
            self.parts.global_inits.push(init);
        }
        Ok(())
    }

    /// A global type: value type, then mutability.
    pub(crate) fn global_type(&self, r: &mut Reader<'_>) -> Result<GlobalType> {
        let ty_at = r.offset();
        let content = r.val_type(self.features)?;
        self.check_val_type(content, ty_at)?;
        let at = r.offset();
        let mutable = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(Error::malformed("malformed mutability", at)),
        };
        Ok(GlobalType { content, mutable })
    }
}
