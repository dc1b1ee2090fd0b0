//! Constant expressions: global initializers, segment offsets and element
//! items.
//!
//! In Wasm 2.0 a constant expression is one `*.const`, `ref.null`,
//! `ref.func` or `global.get` of an immutable global, then `end`. Global
//! initializers see only imported globals. The extended-const proposal
//! (Wasm 3.0) adds `i32`/`i64` `add`, `sub` and `mul`.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use nanowasm_core::subtype::val_subtype;
use nanowasm_core::{
    CompositeType, Feature, FieldType, HeapType, Opcode, RefType, StorageType, ValType,
};

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::module::ConstExpr;
use crate::operators::{Imm, OperatorReader};
use crate::reader::Reader;

/// Which globals a constant expression may read.
///
/// Wasm 2.0 lets every constant expression read only imported globals;
/// Wasm 3.0 (GC, extended-const) widens segment offsets and items to all
/// globals and initializers to the globals defined before them. The scope
/// is named at each use so that change is made here alone.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum GlobalScope {
    /// Global initializers.
    Imported,
    /// Segment offsets and element items.
    All,
}

impl<'a> Decoder<'a> {
    /// Reads a constant expression of type `expected` from `r`.
    pub(crate) fn const_expr(
        &mut self,
        r: &mut Reader<'a>,
        expected: ValType,
        scope: GlobalScope,
    ) -> Result<ConstExpr> {
        // The common form, `i32.const n end` (a segment offset), without
        // an operator reader: a module can have 100,000 data segments. Any
        // other form, or a malformed one, takes the general path from the
        // start.
        if expected == ValType::I32 {
            let start = r.offset();
            let mut fast = r.clone();
            if fast.u8().ok() == Some(0x41) && fast.i32().is_ok() && fast.u8().ok() == Some(0x0b) {
                *r = fast;
                return Ok(ConstExpr {
                    range: start..r.offset(),
                    ty: expected,
                });
            }
        }
        // One operand stack for every expression: a module can have tens of
        // thousands of segments, and an allocation each was most of the time
        // spent decoding them.
        let mut stack = core::mem::take(&mut self.const_stack);
        stack.clear();
        let result = self.const_expr_on(r, expected, scope, &mut stack);
        self.const_stack = stack;
        result
    }

    fn const_expr_on(
        &mut self,
        r: &mut Reader<'a>,
        expected: ValType,
        scope: GlobalScope,
        stack: &mut Vec<ValType>,
    ) -> Result<ConstExpr> {
        let start = r.offset();
        let mut ops = OperatorReader::new(r.clone(), self.features);
        loop {
            let at = ops.offset();
            let instr = ops.read()?;
            let arith = match self.features.has(Feature::ExtendedConst) {
                true => extended_arith(instr.op),
                false => None,
            };
            if let Some(t) = arith {
                for _ in 0..2 {
                    match stack.pop() {
                        Some(found) if found == t => {}
                        found => {
                            let found = found.map_or("nothing".to_string(), |f| f.to_string());
                            return Err(Error::invalid("type mismatch", at)
                                .with_detail(format!("expected {t} but found {found}")));
                        }
                    }
                }
                stack.push(t);
                continue;
            }
            let ty = match (instr.op, instr.imm) {
                (Opcode::End, _) => break,
                (Opcode::I32Const, _) => ValType::I32,
                (Opcode::I64Const, _) => ValType::I64,
                (Opcode::F32Const, _) => ValType::F32,
                (Opcode::F64Const, _) => ValType::F64,
                (Opcode::V128Const, _) => ValType::V128,
                (Opcode::RefNull, Imm::Heap(heap)) => {
                    self.check_heap_type(heap, at)?;
                    ValType::Ref(RefType::new(true, heap))
                }
                (Opcode::RefFunc, Imm::Index(f)) => {
                    self.check_func_index(f, at)?;
                    self.mark_ref(f);
                    ValType::Ref(self.func_ref_type(f))
                }
                (op, imm) if op.feature() == Feature::Gc => self.gc_const(op, imm, at, stack)?,
                (Opcode::GlobalGet, Imm::Index(g)) => {
                    // Wasm 2.0: imported globals only. Wasm 3.0 (the GC
                    // proposal's rule, which typed function references
                    // need for their tables' initializers too): global
                    // initializers see the globals defined before them,
                    // and segments every global.
                    let wasm3 = self.features.has(Feature::Gc)
                        || self.features.has(Feature::FunctionReferences);
                    let visible = match (wasm3, scope) {
                        (false, _) => self.parts.num_imported.globals,
                        (true, GlobalScope::Imported) => self.parts.globals.len() as u32,
                        (true, GlobalScope::All) => self.parts.globals.len() as u32,
                    };
                    if g >= visible {
                        return Err(Error::invalid(format!("unknown global {g}"), at));
                    }
                    let gt = self.parts.globals[g as usize];
                    if gt.mutable {
                        return Err(Error::invalid("constant expression required", at));
                    }
                    gt.content
                }
                _ => return Err(Error::invalid("constant expression required", at)),
            };
            stack.push(ty);
        }
        let end = ops.offset();
        *r = ops.into_reader();
        let fits = match stack.as_slice() {
            &[t] => val_subtype(&self.parts.types, t, expected),
            _ => false,
        };
        if !fits {
            let found: Vec<String> = stack.iter().map(ValType::to_string).collect();
            return Err(
                Error::invalid("type mismatch", end.saturating_sub(1)).with_detail(format!(
                    "expected [{expected}] but found [{}]",
                    found.join(" ")
                )),
            );
        }
        Ok(ConstExpr {
            range: start..end,
            ty: expected,
        })
    }
}

impl Decoder<'_> {
    /// The type of `ref.func f`: a non-null reference to its function type
    /// with typed function references, `funcref` without.
    pub(crate) fn func_ref_type(&self, f: u32) -> RefType {
        if self.features.has(Feature::FunctionReferences) {
            RefType::new(false, HeapType::Concrete(self.parts.funcs[f as usize]))
        } else {
            RefType::FUNCREF
        }
    }

    /// Types one of the GC instructions allowed in constant expressions,
    /// popping its operands from `stack`; returns its result type.
    fn gc_const(
        &self,
        op: Opcode,
        imm: Imm<'_>,
        at: usize,
        stack: &mut Vec<ValType>,
    ) -> Result<ValType> {
        let pop = |stack: &mut Vec<ValType>, want: ValType| -> Result<()> {
            match stack.pop() {
                Some(t) if val_subtype(&self.parts.types, t, want) => Ok(()),
                found => {
                    let found = found.map_or("nothing".to_string(), |f| f.to_string());
                    Err(Error::invalid("type mismatch", at)
                        .with_detail(format!("expected {want} but found {found}")))
                }
            }
        };
        let defined = |ty: u32| -> Result<&CompositeType> {
            self.check_type_index(ty, at)?;
            Ok(&self.parts.types.get(ty).expect("checked").composite)
        };
        let field_default = |f: &FieldType| match f.storage {
            StorageType::Val(ValType::Ref(r)) => r.nullable(),
            _ => true,
        };
        let new = |ty: u32| ValType::Ref(RefType::new(false, HeapType::Concrete(ty)));
        Ok(match (op, imm) {
            (Opcode::RefI31, _) => {
                pop(stack, ValType::I32)?;
                ValType::REF_I31
            }
            (Opcode::StructNew | Opcode::StructNewDefault, Imm::Index(ty)) => {
                let CompositeType::Struct(fields) = defined(ty)? else {
                    return Err(Error::invalid("type mismatch", at)
                        .with_detail(format!("type {ty} is not a struct type")));
                };
                if op == Opcode::StructNew {
                    for f in fields.iter().rev() {
                        pop(stack, f.storage.unpacked())?;
                    }
                } else if !fields.iter().all(field_default) {
                    return Err(Error::invalid("type mismatch", at)
                        .with_detail(format!("struct type {ty} has a non-defaultable field")));
                }
                new(ty)
            }
            (Opcode::ArrayNew | Opcode::ArrayNewDefault, Imm::Index(ty))
            | (Opcode::ArrayNewFixed, Imm::Index2(ty, _)) => {
                let CompositeType::Array(elem) = defined(ty)? else {
                    return Err(Error::invalid("type mismatch", at)
                        .with_detail(format!("type {ty} is not an array type")));
                };
                match imm {
                    Imm::Index2(_, n) => {
                        for _ in 0..n {
                            pop(stack, elem.storage.unpacked())?;
                        }
                    }
                    _ => {
                        pop(stack, ValType::I32)?;
                        if op == Opcode::ArrayNew {
                            pop(stack, elem.storage.unpacked())?;
                        } else if !field_default(elem) {
                            return Err(Error::invalid("type mismatch", at).with_detail(format!(
                                "array type {ty} has a non-defaultable element"
                            )));
                        }
                    }
                }
                new(ty)
            }
            (Opcode::AnyConvertExtern | Opcode::ExternConvertAny, _) => {
                let (from, to) = if op == Opcode::AnyConvertExtern {
                    (HeapType::Extern, HeapType::Any)
                } else {
                    (HeapType::Any, HeapType::Extern)
                };
                let nullable = match stack.last() {
                    Some(ValType::Ref(r)) => r.nullable(),
                    _ => true,
                };
                pop(stack, ValType::Ref(RefType::new(true, from)))?;
                ValType::Ref(RefType::new(nullable, to))
            }
            _ => return Err(Error::invalid("constant expression required", at)),
        })
    }
}

/// The operand type of an arithmetic instruction that extended-const allows
/// in constant expressions.
pub fn extended_arith(op: Opcode) -> Option<ValType> {
    match op {
        Opcode::I32Add | Opcode::I32Sub | Opcode::I32Mul => Some(ValType::I32),
        Opcode::I64Add | Opcode::I64Sub | Opcode::I64Mul => Some(ValType::I64),
        _ => None,
    }
}
