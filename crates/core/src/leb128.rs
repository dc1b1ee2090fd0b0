//! LEB128 integers as the binary format uses them.
//!
//! Readers enforce the spec's two rules: an `N`-bit integer takes at most
//! `ceil(N / 7)` bytes ([`LebError::TooLong`], "integer representation too
//! long"), and the unused high bits of the last byte must be zero for
//! unsigned integers and copies of the sign bit for signed ones
//! ([`LebError::TooLarge`], "integer too large").

use alloc::vec::Vec;

/// Why a LEB128 integer could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LebError {
    /// The input ended inside the integer.
    Eof,
    /// More bytes than the integer's width allows.
    TooLong,
    /// Bits set beyond the integer's width.
    TooLarge,
}

impl LebError {
    /// The spec testsuite's text for this error.
    pub const fn message(self) -> &'static str {
        match self {
            LebError::Eof => "unexpected end",
            LebError::TooLong => "integer representation too long",
            LebError::TooLarge => "integer too large",
        }
    }
}

/// Reads an unsigned integer of `bits` bits (at most 64).
#[inline]
pub fn read_unsigned(bytes: &[u8], pos: &mut usize, bits: u32) -> Result<u64, LebError> {
    let mut result: u64 = 0;
    let mut shift: u32 = 0;
    loop {
        let byte = *bytes.get(*pos).ok_or(LebError::Eof)?;
        *pos += 1;
        let remaining = bits - shift;
        if remaining <= 7 {
            // Last permitted byte: no continuation and no bits past `bits`.
            if byte & 0x80 != 0 {
                return Err(LebError::TooLong);
            }
            if u32::from(byte) >> remaining != 0 {
                return Err(LebError::TooLarge);
            }
            return Ok(result | (u64::from(byte) << shift));
        }
        result |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(result);
        }
        shift += 7;
    }
}

/// Reads a signed integer of `bits` bits (at most 64), sign-extended.
#[inline]
pub fn read_signed(bytes: &[u8], pos: &mut usize, bits: u32) -> Result<i64, LebError> {
    let mut result: i64 = 0;
    let mut shift: u32 = 0;
    loop {
        let byte = *bytes.get(*pos).ok_or(LebError::Eof)?;
        *pos += 1;
        let remaining = bits - shift;
        if remaining <= 7 {
            // Last permitted byte. Its payload bits from `remaining - 1` (the
            // sign bit) upward must all equal the sign bit.
            if byte & 0x80 != 0 {
                return Err(LebError::TooLong);
            }
            let payload = (byte << 1) as i8 >> 1; // sign-extend 7-bit payload
            let upper = payload >> (remaining - 1);
            if upper != 0 && upper != -1 {
                return Err(LebError::TooLarge);
            }
            result |= i64::from(payload) << shift;
            return Ok(result);
        }
        result |= i64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            if shift < 64 && byte & 0x40 != 0 {
                result |= -1i64 << shift;
            }
            return Ok(result);
        }
    }
}

/// Reads a `u32`.
#[inline]
pub fn read_u32(bytes: &[u8], pos: &mut usize) -> Result<u32, LebError> {
    if let Some(&b) = bytes.get(*pos) {
        if b < 0x80 {
            *pos += 1;
            return Ok(u32::from(b));
        }
    }
    read_unsigned(bytes, pos, 32).map(|v| v as u32)
}

/// Reads a `u64`.
#[inline]
pub fn read_u64(bytes: &[u8], pos: &mut usize) -> Result<u64, LebError> {
    read_unsigned(bytes, pos, 64)
}

/// Reads an `i32`.
#[inline]
pub fn read_i32(bytes: &[u8], pos: &mut usize) -> Result<i32, LebError> {
    read_signed(bytes, pos, 32).map(|v| v as i32)
}

/// Reads an `i64`.
#[inline]
pub fn read_i64(bytes: &[u8], pos: &mut usize) -> Result<i64, LebError> {
    read_signed(bytes, pos, 64)
}

/// Reads a signed 33-bit integer (block type indices).
#[inline]
pub fn read_s33(bytes: &[u8], pos: &mut usize) -> Result<i64, LebError> {
    read_signed(bytes, pos, 33)
}

/// Appends `value` as unsigned LEB128 in the fewest bytes.
pub fn write_u64(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Appends `value` as unsigned LEB128 in the fewest bytes.
pub fn write_u32(out: &mut Vec<u8>, value: u32) {
    write_u64(out, u64::from(value));
}

/// Appends `value` as signed LEB128 in the fewest bytes.
pub fn write_i64(out: &mut Vec<u8>, mut value: i64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Appends `value` as signed LEB128 in the fewest bytes.
pub fn write_i32(out: &mut Vec<u8>, value: i32) {
    write_i64(out, i64::from(value));
}

#[cfg(test)]
mod tests;
