//! Binary-format writing helpers.

use nanowasm_core::leb128;
use nanowasm_core::{HeapType, RefType, ValType};

pub fn u32(out: &mut Vec<u8>, v: u32) {
    leb128::write_u32(out, v);
}

pub fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    u32(out, b.len() as u32);
    out.extend_from_slice(b);
}

pub fn val_type(out: &mut Vec<u8>, t: ValType) {
    out.push(match t {
        ValType::I32 => 0x7f,
        ValType::I64 => 0x7e,
        ValType::F32 => 0x7d,
        ValType::F64 => 0x7c,
        ValType::V128 => 0x7b,
        ValType::Ref(r) => return ref_type(out, r),
    });
}

/// A reference type: a nullable one in its one-byte shorthand (`funcref`,
/// `externref`, `exnref`), a non-nullable one as `0x64` and its heap type.
pub fn ref_type(out: &mut Vec<u8>, r: RefType) {
    if !r.nullable {
        out.push(0x64);
    }
    out.push(heap_type(r.heap));
}

/// The byte of an abstract heap type.
pub fn heap_type(h: HeapType) -> u8 {
    match h {
        HeapType::Func => 0x70,
        HeapType::Extern => 0x6f,
        HeapType::Exn => 0x69,
    }
}

/// Appends section `id` with `body` if the body is not empty (or `force`).
pub fn section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    bytes(out, body);
}
