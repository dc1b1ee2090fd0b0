//! Binary-format writing helpers.

use nanowasm_core::leb128;
use nanowasm_core::{CompositeType, FieldType, HeapType, RefType, StorageType, ValType};

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

/// A reference type: a nullable abstract one in its one-byte shorthand
/// (`funcref`, `anyref`, ...), else `0x63` (nullable) or `0x64` and its
/// heap type.
pub fn ref_type(out: &mut Vec<u8>, r: RefType) {
    let heap = r.heap();
    match (r.nullable(), heap) {
        (true, HeapType::Concrete(_)) => out.push(0x63),
        (true, _) => {}
        (false, _) => out.push(0x64),
    }
    heap_type(out, heap);
}

/// A heap type: an abstract one as its byte, a type index as an s33.
pub fn heap_type(out: &mut Vec<u8>, h: HeapType) {
    out.push(match h {
        HeapType::Func => 0x70,
        HeapType::Extern => 0x6f,
        HeapType::Exn => 0x69,
        HeapType::NoExn => 0x74,
        HeapType::NoFunc => 0x73,
        HeapType::NoExtern => 0x72,
        HeapType::None => 0x71,
        HeapType::Any => 0x6e,
        HeapType::Eq => 0x6d,
        HeapType::I31 => 0x6c,
        HeapType::Struct => 0x6b,
        HeapType::Array => 0x6a,
        HeapType::Concrete(i) => return leb128::write_i64(out, i64::from(i)),
    });
}

/// A struct field's or an array's element type and mutability.
pub fn field_type(out: &mut Vec<u8>, f: FieldType) {
    match f.storage {
        StorageType::I8 => out.push(0x78),
        StorageType::I16 => out.push(0x77),
        StorageType::Val(t) => val_type(out, t),
    }
    out.push(u8::from(f.mutable));
}

/// A composite type: `func`, `struct` or `array`.
pub fn composite_type(out: &mut Vec<u8>, c: &CompositeType) {
    match c {
        CompositeType::Func(f) => {
            out.push(0x60);
            u32(out, f.params().len() as u32);
            for &t in f.params() {
                val_type(out, t);
            }
            u32(out, f.results().len() as u32);
            for &t in f.results() {
                val_type(out, t);
            }
        }
        CompositeType::Struct(fields) => {
            out.push(0x5f);
            u32(out, fields.len() as u32);
            for &f in fields.iter() {
                field_type(out, f);
            }
        }
        CompositeType::Array(f) => {
            out.push(0x5e);
            field_type(out, *f);
        }
    }
}

/// Appends section `id` with `body` if the body is not empty (or `force`).
pub fn section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    bytes(out, body);
}
