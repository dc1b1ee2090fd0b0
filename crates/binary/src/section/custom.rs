//! Custom sections (id 0), including `name`.

use alloc::borrow::ToOwned;

use crate::decode::Decoder;
use crate::error::Result;
use crate::module::CustomSection;
use crate::name::Names;
use crate::reader::Reader;

impl Decoder<'_> {
    pub(crate) fn custom(&mut self, r: &mut Reader<'_>) -> Result<()> {
        let name = r.name()?;
        let start = r.offset();
        let end = start + r.remaining();
        if name == "name" {
            // Custom sections are not validated: a broken name section
            // leaves the names empty but does not reject the module.
            self.parts.names = Names::parse(r.clone()).unwrap_or_default();
        }
        r.bytes(end - start)?;
        self.parts.customs.push(CustomSection {
            name: name.to_owned(),
            range: start..end,
        });
        Ok(())
    }
}
