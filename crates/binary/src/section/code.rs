//! Code section (id 10): locals and instructions of each defined function,
//! validated as they are read.

use alloc::borrow::ToOwned;
use alloc::vec::Vec;

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::module::FuncBody;
use crate::name;
use crate::operators::OperatorReader;
use crate::reader::Reader;
use crate::validate::func::Env;
use crate::validate::visit::NoVisitor;

/// The most locals (declared, not counting parameters) one function may
/// have. The spec allows up to 2^32-1; engines bound it (wasmtime and
/// wasmparser use 50,000) so that a tiny module cannot demand gigabytes.
pub const MAX_LOCALS: u64 = 50_000;

/// The largest function body, in bytes: the limit of the JS API and of
/// wasmparser (so wasmtime). It also bounds how deep instructions can nest
/// (each block takes at least 3 bytes), which lets the text parser promise
/// to read back everything the validator accepts
/// (`nanowasm_text::MAX_NESTING`).
pub const MAX_FUNCTION_SIZE: u32 = 7_654_321;

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
            let func = first + i;
            if let Err(e) = self.code_entry(r, func) {
                return Err(self.in_function(e, func, r.data().len()));
            }
        }
        Ok(())
    }

    /// Reads and validates the body of function `func`.
    fn code_entry(&mut self, r: &mut Reader<'a>, func: u32) -> Result<()> {
        let offset = r.offset();
        let size = r.u32()?;
        if size > MAX_FUNCTION_SIZE {
            return Err(Error::malformed("function body is too large", offset));
        }
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
        if self.validate_bodies {
            let mut validator = core::mem::take(&mut self.func_validator);
            let ends_section = r.is_empty();
            let env = Env {
                types: &self.parts.types,
                funcs: &self.parts.funcs,
                tables: &self.parts.tables,
                memories: &self.parts.memories,
                globals: &self.parts.globals,
                tags: &self.parts.tags,
                elements: &self.parts.elements,
                data_count: self.parts.data_count,
                refs: Some(&self.refs),
            };
            let result = validator.validate(
                &env,
                func,
                &locals,
                OperatorReader::new(body, self.features),
                ends_section,
                &mut NoVisitor,
            );
            let at = validator.instruction_offset();
            self.func_validator = validator;
            if let Err(e) = result {
                return Err(self.at_instruction(e, at, &r.data()[..code_end]));
            }
        }
        self.parts.bodies.push(FuncBody {
            locals,
            code: code_start..code_end,
            offset,
        });
        Ok(())
    }

    /// Names the instruction at `at` in an error of the body `body` (the
    /// module up to the body's end) if the error is about it: placed at its
    /// opcode or in its immediates, so not at the body's end ("unexpected
    /// end"). The opcode is decoded again here, so that validation does not
    /// have to remember it.
    #[cold]
    #[inline(never)]
    fn at_instruction(&self, e: Error, at: usize, body: &[u8]) -> Error {
        if e.offset() < at || e.offset() >= body.len() {
            return e;
        }
        let mut ops = OperatorReader::new(Reader::new_at(body, at), self.features);
        match ops.read_opcode() {
            Ok(op) => e.with_instruction(op.name()),
            Err(_) => e,
        }
    }

    /// Places an error in function `func`, with its name from the `name`
    /// section: the one read already, or else one after the code section,
    /// which ends at `section_end` (a best-effort look: a missing or broken
    /// name section means no name).
    #[cold]
    #[inline(never)]
    fn in_function(&self, e: Error, func: u32, section_end: usize) -> Error {
        let name = match self.parts.names.function(func) {
            Some(name) => Some(name.to_owned()),
            None => name::function_name_after(self.bytes, section_end, func),
        };
        e.in_function(func, name)
    }
}

#[cfg(test)]
mod tests {
    use super::MAX_FUNCTION_SIZE;
    use alloc::string::ToString;
    use alloc::vec;
    use alloc::vec::Vec;
    use nanowasm_core::Features;

    fn leb(mut n: u32, out: &mut Vec<u8>) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    /// A module with one `(func)` whose body is `size` bytes: no locals,
    /// `nop`s, `end`.
    fn module_with_body(size: u32) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]); // type () -> ()
        m.extend_from_slice(&[3, 2, 1, 0]); // func 0: type 0
        let mut body = vec![0u8]; // no local groups
        body.resize(size as usize - 1, 0x01); // nop
        body.push(0x0b); // end
        let mut entry = Vec::new();
        leb(size, &mut entry);
        entry.extend_from_slice(&body);
        let mut sec = Vec::new();
        leb(1, &mut sec);
        sec.extend_from_slice(&entry);
        m.push(10);
        leb(sec.len() as u32, &mut m);
        m.extend_from_slice(&sec);
        m
    }

    #[test]
    fn function_bodies_are_limited_to_the_js_api_size() {
        let f = Features::default();
        crate::validate(&module_with_body(MAX_FUNCTION_SIZE), f).unwrap();
        let e = crate::validate(&module_with_body(MAX_FUNCTION_SIZE + 1), f).unwrap_err();
        assert!(e.to_string().contains("function body is too large"), "{e}");
    }
}
