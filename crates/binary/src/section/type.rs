//! Type section (id 1): function types.

use alloc::vec::Vec;

use nanowasm_core::{Feature, FuncType};

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::features3;
use crate::reader::Reader;

impl Decoder<'_> {
    pub(crate) fn type_section(&mut self, r: &mut Reader<'_>) -> Result<()> {
        let n = r.count()?;
        self.parts.types.reserve(n as usize);
        for _ in 0..n {
            let at = r.offset();
            match r.u8()? {
                0x60 => {}
                0x4e | 0x50 | 0x4f | 0x5e | 0x5f => {
                    return Err(features3::not_enabled(
                        Feature::Gc,
                        "a GC type definition",
                        at,
                    ))
                }
                b if b & 0x80 != 0 => {
                    // A multi-byte encoding of the (signed LEB128) form.
                    return Err(Error::malformed("integer representation too long", at));
                }
                _ => return Err(Error::malformed("malformed function type", at)),
            }
            let np = r.count()?;
            let mut params = Vec::with_capacity(np as usize);
            for _ in 0..np {
                params.push(r.val_type(self.features)?);
            }
            let results_at = r.offset();
            let nr = r.count()?;
            let mut results = Vec::with_capacity(nr as usize);
            for _ in 0..nr {
                results.push(r.val_type(self.features)?);
            }
            if nr > 1 && !self.features.has(Feature::MultiValue) {
                return Err(Error::invalid("invalid result arity", results_at));
            }
            self.parts.types.push(FuncType::new(params, results));
        }
        Ok(())
    }
}
