//! Code section (id 10): locals and instructions of each defined function,
//! validated as they are read.

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::module::FuncBody;
use crate::operators::OperatorReader;
use crate::reader::Reader;

/// The most locals (declared, not counting parameters) one function may
/// have. The spec allows up to 2^32-1; engines bound it (wasmtime and
/// wasmparser use 50,000) so that a tiny module cannot demand gigabytes.
pub const MAX_LOCALS: u64 = 50_000;

impl<'a> Decoder<'a> {
    pub(crate) fn code_section(&mut self, r: &mut Reader<'a>) -> Result<()> {
        let count_at = r.offset();
        let n = r.u32()?;
        let declared = self.func_section_count.unwrap_or(0);
        if n > declared {
            return Err(Error::malformed(
                "function and code section have inconsistent lengths",
                count_at,
            ));
        }
        // Fewer bodies than functions is reported once every section is read
        // (a later misplaced section is the better diagnosis).
        self.code_count = Some(n);
        let first = self.parts.num_imported.funcs;
        self.parts.bodies.reserve(n as usize);
        for i in 0..n {
            let offset = r.offset();
            let size = r.u32()?;
            let body_start = r.offset();
            let mut body = r.sub(size, body_start)?;
            let groups = body.count()?;
            let mut locals = Vec::with_capacity(groups as usize);
            let mut total: u64 = 0;
            for _ in 0..groups {
                let at = body.offset();
                let count = body.u32()?;
                total += u64::from(count);
                if total > MAX_LOCALS {
                    return Err(Error::malformed("too many locals", at));
                }
                locals.push((count, body.val_type(self.features)?));
            }
            let code_start = body.offset();
            let code_end = code_start + body.remaining();
            let func = first + i;
            let mut validator = std::mem::take(&mut self.func_validator);
            let ends_section = r.is_empty();
            let result = validator.validate(
                self,
                func,
                &locals,
                OperatorReader::new(body, self.features),
                ends_section,
            );
            self.func_validator = validator;
            result?;
            self.parts.bodies.push(FuncBody {
                locals,
                code: code_start..code_end,
                offset,
            });
        }
        Ok(())
    }
}
