//! Tag section (id 13, exception handling).

use alloc::format;

use nanowasm_core::Feature;

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::features3;
use crate::reader::Reader;

impl Decoder<'_> {
    pub(crate) fn tag_section(&mut self, r: &mut Reader<'_>, at: usize) -> Result<()> {
        features3::require(self.features, Feature::Exceptions, "the tag section", at)?;
        let n = r.count()?;
        self.parts.tags.reserve(n as usize);
        for _ in 0..n {
            let ty = self.tag_type(r)?;
            self.parts.tags.push(ty);
        }
        Ok(())
    }

    /// A tag type: the attribute byte 0 (an exception), then a type index
    /// whose function type has no results.
    pub(crate) fn tag_type(&self, r: &mut Reader<'_>) -> Result<u32> {
        let at = r.offset();
        if r.u8()? != 0 {
            return Err(Error::malformed("malformed tag attribute", at));
        }
        let ty_at = r.offset();
        let ty = r.u32()?;
        if !self.func_type_at(ty, ty_at)?.results().is_empty() {
            return Err(Error::invalid("non-empty tag result type", ty_at));
        }
        Ok(ty)
    }

    pub(crate) fn check_tag_index(&self, index: u32, at: usize) -> Result<()> {
        if (index as usize) < self.parts.tags.len() {
            Ok(())
        } else {
            Err(Error::invalid(format!("unknown tag {index}"), at))
        }
    }
}
