//! Translation of the GC instructions (structs, arrays, `i31`, casts and
//! the `any`/`extern` conversions). The translator resolves what the
//! handlers would otherwise look up: a field's byte offset and access
//! kind, an element's size, and a cast's target.

use crate::prelude::*;
use nanowasm_binary::{Imm, Resolved};
use nanowasm_core::{CompositeType, FieldType, HeapType, Opcode, RefType, StorageType, ValType};

use super::{width, Cond, Translator};
use crate::gc::{storage_size, struct_offsets};
use crate::interp::code::Instr;
use crate::interp::handlers::gc::{kind, target};

/// The access kind of a field or element of storage type `s`, read with
/// sign extension if `signed` (packed types only).
fn access(s: StorageType, signed: bool) -> u32 {
    match (s, signed) {
        (StorageType::I8, true) => kind::I8_S,
        (StorageType::I8, false) => kind::I8_U,
        (StorageType::I16, true) => kind::I16_S,
        (StorageType::I16, false) => kind::I16_U,
        (s, _) => match storage_size(s) {
            4 => kind::B32,
            16 => kind::V128,
            _ => kind::B64,
        },
    }
}

impl Translator<'_> {
    /// The fields of struct type `t`.
    fn struct_fields(&self, t: u32) -> Result<&[FieldType], String> {
        match self.module.types.get(t).map(|s| &s.composite) {
            Some(CompositeType::Struct(f)) => Ok(f),
            _ => Err(format!("type {t} is not a struct type")),
        }
    }

    /// The element of array type `t`.
    fn array_elem(&self, t: u32) -> Result<FieldType, String> {
        match self.module.types.get(t).map(|s| &s.composite) {
            Some(CompositeType::Array(f)) => Ok(*f),
            _ => Err(format!("type {t} is not an array type")),
        }
    }

    /// The code of cast target `heap` (see `handlers::gc::target`).
    fn cast_target(&self, heap: HeapType) -> u32 {
        match heap {
            HeapType::Concrete(t) => {
                let is_func = matches!(
                    self.module.types.get(t).map(|s| &s.composite),
                    Some(CompositeType::Func(_))
                );
                target::CONCRETE + 2 * t + u32::from(is_func)
            }
            h => target::abstract_code(h),
        }
    }

    /// Pushes a reference result of heap type `heap`.
    fn push_ref(&mut self, heap: HeapType) -> u32 {
        self.push(ValType::Ref(RefType::new(false, heap)))
    }

    pub(super) fn gc(&mut self, op: Opcode, imm: Imm<'_>, at: &Resolved<'_>) -> Result<(), String> {
        use Opcode as O;
        match (op, imm) {
            (O::StructNew, Imm::Index(ty)) => {
                let n = self.struct_fields(ty)?.len();
                let args = self.args(n)?;
                let dst = self.push_ref(HeapType::Concrete(ty));
                self.emit(Instr::StructNew {
                    ty,
                    args,
                    dst,
                    n: n as u32,
                });
            }
            (O::StructNewDefault, Imm::Index(ty)) => {
                let dst = self.push_ref(HeapType::Concrete(ty));
                self.emit(Instr::StructNew {
                    ty,
                    args: dst,
                    dst,
                    n: 0,
                });
            }
            (O::StructGet | O::StructGetS | O::StructGetU, Imm::Index2(t, f)) => {
                let fields = self.struct_fields(t)?;
                let field = *fields.get(f as usize).ok_or("unknown field")?;
                let offset = struct_offsets(fields).0[f as usize];
                let kind = access(field.storage, op == O::StructGetS);
                let obj = self.pop()?.reg();
                let dst = self.push(field.storage.unpacked());
                self.emit(Instr::StructGet {
                    kind,
                    dst,
                    obj,
                    offset,
                });
            }
            (O::StructSet, Imm::Index2(t, f)) => {
                let fields = self.struct_fields(t)?;
                let field = *fields.get(f as usize).ok_or("unknown field")?;
                let offset = struct_offsets(fields).0[f as usize];
                let kind = access(field.storage, false);
                let v = self.pop()?.reg();
                let obj = self.pop()?.reg();
                self.emit(Instr::StructSet {
                    kind,
                    obj,
                    src: v,
                    offset,
                });
            }
            (O::ArrayNew | O::ArrayNewDefault, Imm::Index(ty)) => {
                let elem = self.array_elem(ty)?;
                let default = op == O::ArrayNewDefault;
                let n = if default { 1 } else { 2 };
                let args = self.args(n)?;
                let dst = self.push_ref(HeapType::Concrete(ty));
                let kind = access(elem.storage, false);
                self.emit(Instr::ArrayNew {
                    ty,
                    kind,
                    args,
                    dst,
                    default: u32::from(default),
                });
            }
            (O::ArrayNewFixed, Imm::Index2(ty, n)) => {
                let elem = self.array_elem(ty)?;
                let args = self.args(n as usize)?;
                let dst = self.push_ref(HeapType::Concrete(ty));
                let kind = access(elem.storage, false);
                self.emit(Instr::ArrayNewFixed {
                    ty,
                    kind,
                    args,
                    n,
                    dst,
                });
            }
            (O::ArrayNewData | O::ArrayNewElem, Imm::Index2(ty, seg)) => {
                let elem = self.array_elem(ty)?;
                let args = self.args(2)?;
                let dst = self.push_ref(HeapType::Concrete(ty));
                let kind = access(elem.storage, false);
                self.emit(Instr::ArrayNewSegment {
                    ty,
                    kind,
                    seg,
                    args,
                    dst,
                    elem: u32::from(op == O::ArrayNewElem),
                });
            }
            (O::ArrayGet | O::ArrayGetS | O::ArrayGetU, Imm::Index(t)) => {
                let elem = self.array_elem(t)?;
                let kind = access(elem.storage, op == O::ArrayGetS);
                let idx = self.pop()?.reg();
                let arr = self.pop()?.reg();
                let dst = self.push(elem.storage.unpacked());
                self.emit(Instr::ArrayGet {
                    kind,
                    dst,
                    arr,
                    idx,
                });
            }
            (O::ArraySet, Imm::Index(t)) => {
                let elem = self.array_elem(t)?;
                let kind = access(elem.storage, false);
                let args = self.args(3)?;
                self.emit(Instr::ArraySet { kind, args });
            }
            (O::ArrayLen, _) => {
                let arr = self.pop()?.reg();
                let dst = self.push(ValType::I32);
                self.emit(Instr::ArrayLen { dst, arr });
            }
            (O::ArrayFill, Imm::Index(t)) => {
                let elem = self.array_elem(t)?;
                let kind = access(elem.storage, false);
                let args = self.args(4)?;
                self.emit(Instr::ArrayFill { kind, args });
            }
            (O::ArrayCopy, Imm::Index2(t, _)) => {
                let elem = self.array_elem(t)?;
                let size = u32::from(storage_size(elem.storage));
                let args = self.args(5)?;
                self.emit(Instr::ArrayCopy { size, args });
            }
            (O::ArrayInitData | O::ArrayInitElem, Imm::Index2(t, seg)) => {
                let elem = self.array_elem(t)?;
                let kind = access(elem.storage, false);
                let args = self.args(4)?;
                self.emit(Instr::ArrayInit {
                    kind,
                    seg,
                    args,
                    elem: u32::from(op == O::ArrayInitElem),
                });
            }
            (O::RefI31, _) => {
                let src = self.pop()?.reg();
                let dst = self.push(ValType::REF_I31);
                self.emit(Instr::RefI31 { dst, src });
            }
            (O::I31GetS | O::I31GetU, _) => {
                let src = self.pop()?.reg();
                let dst = self.push(ValType::I32);
                let signed = u32::from(op == O::I31GetS);
                self.emit(Instr::I31Get { dst, src, signed });
            }
            (O::RefEq, _) => {
                let b = self.pop()?.reg();
                let a = self.pop()?.reg();
                let dst = self.push(ValType::I32);
                self.emit(Instr::RefEq { dst, a, b });
            }
            (O::AnyConvertExtern | O::ExternConvertAny, _) => {
                let v = self.pop()?;
                let (heap, to_any) = match op {
                    O::AnyConvertExtern => (HeapType::Any, 1),
                    _ => (HeapType::Extern, 0),
                };
                let nullable = match v.ty {
                    ValType::Ref(r) => r.nullable(),
                    _ => true,
                };
                let dst = self.push(ValType::Ref(RefType::new(nullable, heap)));
                self.emit(Instr::ConvertRef {
                    dst,
                    src: v.reg(),
                    to_any,
                });
            }
            (O::RefTest | O::RefTestNull, Imm::Heap(heap)) => {
                let src = self.pop()?.reg();
                let dst = self.push(ValType::I32);
                let target = self.cast_target(heap);
                let nullable = u32::from(op == O::RefTestNull);
                self.emit(Instr::RefTest {
                    dst,
                    src,
                    target,
                    nullable,
                });
            }
            (O::RefCast | O::RefCastNull, Imm::Heap(heap)) => {
                // In place: the value keeps its slot, with its new type.
                let v = self.pop()?;
                let target = self.cast_target(heap);
                let nullable = op == O::RefCastNull;
                self.emit(Instr::RefCast {
                    src: v.reg(),
                    target,
                    nullable: u32::from(nullable),
                });
                self.stack.push(v);
                let top = self.stack.len() - 1;
                self.stack[top].ty = ValType::Ref(RefType::new(nullable, heap));
            }
            (O::BrOnCast | O::BrOnCastFail, Imm::BrOnCast { label, to, .. }) => {
                // The test's result goes to a slot above the operands (free
                // until the branch has read it); the reference stays where
                // it is on both paths.
                let r = *self.stack.last().ok_or("operand stack underflow")?;
                let cond = self.push(ValType::I32);
                self.pop()?;
                debug_assert_eq!(width(r.ty), 1);
                self.emit(Instr::RefTest {
                    dst: cond,
                    src: r.reg(),
                    target: self.cast_target(to.heap()),
                    nullable: u32::from(to.nullable()),
                });
                let c = if op == O::BrOnCast {
                    Cond::Nez(cond)
                } else {
                    Cond::Eqz(cond)
                };
                self.br_if(at, label, c)?;
            }
            (op, _) => return Err(format!("cannot translate {}", op.name())),
        }
        Ok(())
    }
}
