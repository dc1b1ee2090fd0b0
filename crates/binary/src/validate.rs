//! Validation: index checks shared by the sections, constant expressions,
//! and function bodies.
//!
//! Spec: <https://webassembly.github.io/spec/core/valid/index.html>.

pub(crate) mod const_expr;
pub mod func;
pub mod visit;

use alloc::format;

use crate::decode::Decoder;
use crate::error::{Error, Result};
use nanowasm_core::{FuncType, HeapType, ValType};

impl Decoder<'_> {
    pub(crate) fn check_type_index(&self, index: u32, at: usize) -> Result<()> {
        if (index as usize) < self.parts.types.len() {
            Ok(())
        } else {
            Err(Error::invalid(format!("unknown type {index}"), at))
        }
    }

    /// Checks that `index` names a function type, and returns it.
    pub(crate) fn func_type_at(&self, index: u32, at: usize) -> Result<&FuncType> {
        self.check_type_index(index, at)?;
        self.parts
            .types
            .func(index)
            .ok_or_else(|| Error::invalid(format!("non-function type {index}"), at))
    }

    /// Checks that a value type names only types that exist.
    pub(crate) fn check_val_type(&self, t: ValType, at: usize) -> Result<()> {
        match t {
            ValType::Ref(r) => self.check_heap_type(r.heap(), at),
            _ => Ok(()),
        }
    }

    /// Checks that a heap type names a type that exists.
    pub(crate) fn check_heap_type(&self, h: HeapType, at: usize) -> Result<()> {
        match h {
            HeapType::Concrete(i) => self.check_type_index(i, at),
            _ => Ok(()),
        }
    }

    pub(crate) fn check_func_index(&self, index: u32, at: usize) -> Result<()> {
        if (index as usize) < self.parts.funcs.len() {
            Ok(())
        } else {
            Err(Error::invalid(format!("unknown function {index}"), at))
        }
    }

    pub(crate) fn check_table_index(&self, index: u32, at: usize) -> Result<()> {
        if (index as usize) < self.parts.tables.len() {
            Ok(())
        } else {
            Err(Error::invalid(format!("unknown table {index}"), at))
        }
    }

    pub(crate) fn check_memory_index(&self, index: u32, at: usize) -> Result<()> {
        if (index as usize) < self.parts.memories.len() {
            Ok(())
        } else {
            Err(Error::invalid(format!("unknown memory {index}"), at))
        }
    }

    pub(crate) fn check_global_index(&self, index: u32, at: usize) -> Result<()> {
        if (index as usize) < self.parts.globals.len() {
            Ok(())
        } else {
            Err(Error::invalid(format!("unknown global {index}"), at))
        }
    }

    /// Records that function `index` may be named by `ref.func` in code.
    pub(crate) fn mark_ref(&mut self, index: u32) {
        let len = self.parts.funcs.len();
        if self.refs.len() < len {
            self.refs.resize(len, false);
        }
        if let Some(slot) = self.refs.get_mut(index as usize) {
            *slot = true;
        }
    }
}
