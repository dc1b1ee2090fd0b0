//! Encodings of proposals nanowasm knows about but does not implement yet
//! (the Wasm 3.0 set). A module that uses one is rejected with a
//! "feature not enabled" error naming the proposal, instead of a bare
//! "illegal opcode".

use alloc::format;
use alloc::string::String;

use crate::error::{Error, Result};
use nanowasm_core::{Feature, Features};

/// The error for a construct of a proposal that is switched off.
#[cold]
pub fn not_enabled(feature: Feature, what: &str, offset: usize) -> Error {
    Error::malformed(not_enabled_text(feature, what), offset)
}

/// Like [`not_enabled`], after the message the spec gives when the
/// proposal does not exist (so spec tests, which expect that message, still
/// match it as a prefix).
#[cold]
pub fn not_enabled_as(spec: &str, feature: Feature, what: &str, offset: usize) -> Error {
    Error::malformed(
        format!("{spec}: {}", not_enabled_text(feature, what)),
        offset,
    )
}

fn not_enabled_text(feature: Feature, what: &str) -> String {
    let status = if feature.is_supported() {
        "is not enabled"
    } else {
        "is not enabled (not implemented by nanowasm yet)"
    };
    format!("feature not enabled: {what} needs the `{feature}` proposal, which {status}")
}

/// Fails with [`not_enabled`] unless `feature` is on.
#[inline]
pub fn require(features: Features, feature: Feature, what: &str, offset: usize) -> Result<()> {
    if features.has(feature) {
        Ok(())
    } else {
        Err(not_enabled(feature, what, offset))
    }
}

/// Opcodes of Wasm 3.0 proposals (without a prefix, or with 0xfb/0xfc/0xfd/0xfe).
pub fn opcode(prefix: Option<u8>, code: u32) -> Option<(&'static str, Feature)> {
    Some(match (prefix, code) {
        (Some(0xfe), _) => ("an atomic instruction", Feature::Threads),
        (Some(0xfc), 0x13..=0x16) => ("a wide-arithmetic instruction", Feature::WideArithmetic),
        _ => return None,
    })
}
