//! Data count section (id 12): how many data segments follow, so that
//! `memory.init` and `data.drop` can be validated before the data section.

use nanowasm_core::Feature;

use crate::decode::Decoder;
use crate::error::Result;
use crate::features3;
use crate::reader::Reader;

impl Decoder<'_> {
    pub(crate) fn data_count_section(&mut self, r: &mut Reader<'_>) -> Result<()> {
        let at = r.offset();
        features3::require(
            self.features,
            Feature::BulkMemory,
            "the data count section",
            at,
        )?;
        self.parts.data_count = Some(r.u32()?);
        Ok(())
    }
}
