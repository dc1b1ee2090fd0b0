//! A cursor over the module's bytes.
//!
//! Every reader sees the whole module and keeps absolute positions, so
//! errors carry module offsets. A section or function body gets a
//! sub-reader bounded by its size: running off its end is "unexpected end of
//! section or function", running off the module is "unexpected end".

use alloc::format;

use crate::error::{Error, Result};
use crate::features3;
use nanowasm_core::leb128::{self, LebError};
use nanowasm_core::{Feature, Features, HeapType, Limits, RefType, ValType, MAX_CONCRETE_INDEX};

const EOF_MODULE: &str = "unexpected end";
const EOF_SECTION: &str = "unexpected end of section or function";

/// Reads binary-format values from a bounded window of the module.
#[derive(Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    eof: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over a whole module.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader {
            data,
            pos: 0,
            eof: EOF_MODULE,
        }
    }

    /// A reader over `data` (a whole module, or a prefix of one) positioned
    /// at `pos`.
    pub(crate) fn new_at(data: &'a [u8], pos: usize) -> Reader<'a> {
        Reader {
            data,
            pos: pos.min(data.len()),
            eof: EOF_SECTION,
        }
    }

    /// The window `[pos, pos + len)` as a section-level reader, advancing
    /// `self` past it. Fails with "length out of bounds" if `len` exceeds the
    /// bytes left.
    pub fn sub(&mut self, len: u32, start: usize) -> Result<Reader<'a>> {
        let len = len as usize;
        if len > self.remaining() {
            return Err(Error::malformed("length out of bounds", start));
        }
        let end = self.pos + len;
        let sub = Reader {
            data: &self.data[..end],
            pos: self.pos,
            eof: EOF_SECTION,
        };
        self.pos = end;
        Ok(sub)
    }

    /// The absolute offset of the next byte.
    #[inline]
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The bytes left in this window.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Whether the window is used up.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The whole module up to the window's end (positions are absolute).
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    #[cold]
    pub(crate) fn eof_error(&self) -> Error {
        Error::malformed(self.eof, self.data.len())
    }

    #[cold]
    fn leb_error(&self, e: LebError, start: usize) -> Error {
        match e {
            LebError::Eof => self.eof_error(),
            _ => Error::malformed(e.message(), start),
        }
    }

    /// One byte.
    #[inline]
    pub fn u8(&mut self) -> Result<u8> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.eof_error()),
        }
    }

    /// The next byte without consuming it.
    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// `n` raw bytes.
    #[inline]
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            self.pos = self.data.len();
            return Err(self.eof_error());
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A fixed-size array of raw bytes.
    #[inline]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.bytes(N)?;
        let mut out = [0; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// An unsigned 32-bit LEB128 integer.
    #[inline]
    pub fn u32(&mut self) -> Result<u32> {
        let start = self.pos;
        leb128::read_u32(self.data, &mut self.pos).map_err(|e| self.leb_error(e, start))
    }

    /// An unsigned 64-bit LEB128 integer.
    #[inline]
    pub fn u64(&mut self) -> Result<u64> {
        let start = self.pos;
        leb128::read_u64(self.data, &mut self.pos).map_err(|e| self.leb_error(e, start))
    }

    /// A signed 32-bit LEB128 integer.
    #[inline]
    pub fn i32(&mut self) -> Result<i32> {
        let start = self.pos;
        leb128::read_i32(self.data, &mut self.pos).map_err(|e| self.leb_error(e, start))
    }

    /// A signed 64-bit LEB128 integer.
    #[inline]
    pub fn i64(&mut self) -> Result<i64> {
        let start = self.pos;
        leb128::read_i64(self.data, &mut self.pos).map_err(|e| self.leb_error(e, start))
    }

    /// A signed 33-bit LEB128 integer (block types).
    #[inline]
    pub fn s33(&mut self) -> Result<i64> {
        let start = self.pos;
        leb128::read_s33(self.data, &mut self.pos).map_err(|e| self.leb_error(e, start))
    }

    /// A vector length, checked against the bytes left (each element takes
    /// at least one byte), so a huge count fails fast instead of reserving
    /// memory.
    #[inline]
    pub fn count(&mut self) -> Result<u32> {
        let start = self.pos;
        let n = self.u32()?;
        if n as usize > self.remaining() {
            // The elements cannot all be there; say where reading them ends.
            let _ = start;
            return Err(self.eof_error());
        }
        Ok(n)
    }

    /// A length-prefixed byte string.
    pub fn byte_vec(&mut self) -> Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }

    /// A name: a length-prefixed UTF-8 string.
    pub fn name(&mut self) -> Result<&'a str> {
        let start = self.pos;
        let n = self.u32()? as usize;
        if n > self.remaining() {
            return Err(Error::malformed("length out of bounds", start));
        }
        let bytes = self.bytes(n)?;
        core::str::from_utf8(bytes).map_err(|_| Error::malformed("malformed UTF-8 encoding", start))
    }

    /// A value type.
    pub fn val_type(&mut self, features: Features) -> Result<ValType> {
        let start = self.pos;
        let b = self.u8()?;
        match b {
            0x63 | 0x64 => Ok(ValType::Ref(self.ref_type_after(b, features, start)?)),
            _ => decode_val_type(b, features, start),
        }
    }

    /// A reference type.
    pub fn ref_type(&mut self, features: Features) -> Result<RefType> {
        let start = self.pos;
        let b = self.u8()?;
        match b {
            0x63 | 0x64 => self.ref_type_after(b, features, start),
            _ => decode_ref_type(b, features, start),
        }
    }

    /// The heap type of `(ref null? ht)` (`0x63`/`0x64`, already read
    /// from `start`).
    fn ref_type_after(&mut self, b: u8, features: Features, start: usize) -> Result<RefType> {
        if !features.has(Feature::FunctionReferences) {
            let what = if b == 0x63 {
                "(ref null ht)"
            } else {
                "(ref ht)"
            };
            return Err(features3::not_enabled(
                Feature::FunctionReferences,
                what,
                start,
            ));
        }
        Ok(RefType::new(b == 0x63, self.heap_type(features)?))
    }

    /// A heap type: an abstract one (a negative one-byte s33) or a type
    /// index.
    pub fn heap_type(&mut self, features: Features) -> Result<HeapType> {
        let start = self.pos;
        match self.peek() {
            Some(b) if b & 0xc0 == 0x40 => {
                self.u8()?;
                decode_heap_type(b, features, start)
            }
            _ => {
                let idx = self.s33()?;
                if idx < 0 {
                    return Err(Error::malformed("malformed heap type", start));
                }
                if idx > i64::from(MAX_CONCRETE_INDEX) {
                    // No module has this many types (the limit is 10^6).
                    return Err(Error::invalid(format!("unknown type {idx}"), start));
                }
                if !features.has(Feature::FunctionReferences) {
                    return Err(features3::not_enabled(
                        Feature::FunctionReferences,
                        "a concrete heap type",
                        start,
                    ));
                }
                Ok(HeapType::Concrete(idx as u32))
            }
        }
    }

    /// Memory or table limits: a flags byte, a minimum, an optional maximum.
    /// Returns the limits and the flags byte (bit 1: shared, bit 2: 64-bit).
    /// `allow_shared` is true for memories.
    pub fn limits(&mut self, features: Features, allow_shared: bool) -> Result<(Limits, u8)> {
        let start = self.pos;
        let flags = self.u8()?;
        if flags & 0x80 != 0 {
            return Err(Error::malformed("integer representation too long", start));
        }
        // Bit 1: shared (threads, memories only); bit 2: 64-bit indices
        // (memory64, memories and tables).
        let known = if allow_shared { 0b111 } else { 0b101 };
        if flags & !known != 0 {
            return Err(Error::malformed("integer too large", start));
        }
        if flags & 0b010 != 0 && !features.has(Feature::Threads) {
            return Err(features3::not_enabled_as(
                "integer too large",
                Feature::Threads,
                "a shared memory",
                start,
            ));
        }
        if flags & 0b100 != 0 && !features.has(Feature::Memory64) {
            return Err(features3::not_enabled_as(
                "integer too large",
                Feature::Memory64,
                "a 64-bit memory or table",
                start,
            ));
        }
        // Wasm 3.0 encodes every limit as a u64 (validation bounds a
        // 32-bit one); before it, as a u32.
        let is64 = flags & 0b100 != 0 || features.has(Feature::Memory64);
        let min = if is64 {
            self.u64()?
        } else {
            u64::from(self.u32()?)
        };
        let max = if flags & 1 != 0 {
            Some(if is64 {
                self.u64()?
            } else {
                u64::from(self.u32()?)
            })
        } else {
            None
        };
        Ok((Limits { min, max }, flags))
    }
}

/// Decodes a one-byte value type.
pub fn decode_val_type(b: u8, features: Features, offset: usize) -> Result<ValType> {
    Ok(match b {
        0x7f => ValType::I32,
        0x7e => ValType::I64,
        0x7d => ValType::F32,
        0x7c => ValType::F64,
        0x7b => {
            if !features.has(Feature::Simd) {
                return Err(features3::not_enabled(Feature::Simd, "v128", offset));
            }
            ValType::V128
        }
        _ => ValType::Ref(decode_ref_type(b, features, offset).map_err(|e| {
            if e.message().starts_with("malformed reference type") {
                Error::malformed(format!("malformed value type {b:#04x}"), offset)
            } else {
                e
            }
        })?),
    })
}

/// Decodes a one-byte abstract heap type.
pub fn decode_heap_type(b: u8, features: Features, offset: usize) -> Result<HeapType> {
    let (heap, feature) = match b {
        0x70 => (HeapType::Func, Feature::Mvp),
        0x6f => (HeapType::Extern, Feature::ReferenceTypes),
        0x69 => (HeapType::Exn, Feature::Exceptions),
        0x74 => (HeapType::NoExn, Feature::Exceptions),
        0x73 => (HeapType::NoFunc, Feature::FunctionReferences),
        0x72 => (HeapType::NoExtern, Feature::FunctionReferences),
        0x71 => (HeapType::None, Feature::Gc),
        0x6e => (HeapType::Any, Feature::Gc),
        0x6d => (HeapType::Eq, Feature::Gc),
        0x6c => (HeapType::I31, Feature::Gc),
        0x6b => (HeapType::Struct, Feature::Gc),
        0x6a => (HeapType::Array, Feature::Gc),
        _ => return Err(Error::malformed("malformed reference type", offset)),
    };
    if feature != Feature::Mvp && !features.has(feature) {
        return Err(features3::not_enabled(
            feature,
            heap.abstract_name().unwrap_or("a heap type"),
            offset,
        ));
    }
    Ok(heap)
}

/// Decodes a one-byte reference type (a nullable abstract one:
/// `funcref`, `externref`, `anyref`, ...).
pub fn decode_ref_type(b: u8, features: Features, offset: usize) -> Result<RefType> {
    if matches!(b, 0x63 | 0x64) {
        return Err(Error::malformed("malformed reference type", offset));
    }
    Ok(RefType::new(true, decode_heap_type(b, features, offset)?))
}
