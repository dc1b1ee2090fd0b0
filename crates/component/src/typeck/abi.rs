//! The canonical ABI's flattening of component function types into core
//! signatures (`CanonicalABI.md`, `flatten_functype`), with the options it
//! requires (`memory`, `realloc`).

use nanowasm_binary::{Error, Result};
use nanowasm_core::ValType as CoreValType;

use super::*;

/// At most this many flat parameters are passed directly.
pub const MAX_FLAT_PARAMS: usize = 16;
/// At most this many flat results are returned directly.
pub const MAX_FLAT_RESULTS: usize = 1;
/// At most this many flat parameters are passed directly to an
/// `async`-lowered import.
pub const MAX_FLAT_ASYNC_PARAMS: usize = 4;

/// Which direction a function crosses the component boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    /// `canon lift`: a core function becomes a component function.
    Lift,
    /// `canon lower`: a component function becomes a core function.
    Lower,
}

/// The canonical options that matter for the signature.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AbiOpts {
    pub memory: bool,
    pub realloc: bool,
    /// `async` (🔀).
    pub is_async: bool,
    /// `(callback f)` (🔀), only with `async`.
    pub callback: bool,
}

impl AbiOpts {
    fn memory(&self, offset: usize) -> Result<()> {
        if self.memory {
            Ok(())
        } else {
            Err(Error::invalid(
                "canonical option `memory` is required",
                offset,
            ))
        }
    }
    fn realloc(&self, offset: usize) -> Result<()> {
        self.memory(offset)?;
        if self.realloc {
            Ok(())
        } else {
            Err(Error::invalid(
                "canonical option `realloc` is required",
                offset,
            ))
        }
    }
}

fn join(a: CoreValType, b: CoreValType) -> CoreValType {
    use CoreValType::*;
    if a == b {
        a
    } else if matches!((a, b), (I32, F32) | (F32, I32)) {
        I32
    } else {
        I64
    }
}

fn push(out: &mut Vec<CoreValType>, t: CoreValType, max: usize) -> bool {
    if out.len() >= max {
        return false;
    }
    out.push(t);
    true
}

impl Types {
    fn flatten_prim(p: Primitive, out: &mut Vec<CoreValType>, max: usize) -> bool {
        use CoreValType::*;
        match p {
            Primitive::S64 | Primitive::U64 => push(out, I64, max),
            Primitive::F32 => push(out, F32, max),
            Primitive::F64 => push(out, F64, max),
            Primitive::String => push(out, I32, max) && push(out, I32, max),
            _ => push(out, I32, max),
        }
    }

    /// Pushes the flattening of `t`; false if it has more than `max`
    /// values (the work is bounded by `max`, not by the type's size).
    pub fn flatten(&self, t: ValType, out: &mut Vec<CoreValType>, max: usize) -> bool {
        let id = match t {
            ValType::Primitive(p) => return Self::flatten_prim(p, out, max),
            ValType::Defined(id) => id,
        };
        use CoreValType::*;
        match self.defined(id) {
            DefinedType::Primitive(p) => Self::flatten_prim(*p, out, max),
            DefinedType::Record(f) => f.iter().all(|(_, t)| self.flatten(*t, out, max)),
            DefinedType::Tuple(ts) => ts.iter().all(|t| self.flatten(*t, out, max)),
            DefinedType::List(_) | DefinedType::Map(..) => {
                push(out, I32, max) && push(out, I32, max)
            }
            DefinedType::FixedList(t, n) => (0..*n).all(|_| self.flatten(*t, out, max)),
            DefinedType::Flags(n) => (0..n.len().div_ceil(32)).all(|_| push(out, I32, max)),
            DefinedType::Enum(_)
            | DefinedType::Own(_)
            | DefinedType::Borrow(_)
            | DefinedType::Stream(_)
            | DefinedType::Future(_) => push(out, I32, max),
            DefinedType::Option(t) => self.flatten_variant([None, Some(*t)].into_iter(), out, max),
            DefinedType::Result { ok, err } => {
                self.flatten_variant([*ok, *err].into_iter(), out, max)
            }
            DefinedType::Variant(c) => self.flatten_variant(c.iter().map(|c| c.1), out, max),
        }
    }

    fn flatten_variant(
        &self,
        cases: impl Iterator<Item = Option<ValType>>,
        out: &mut Vec<CoreValType>,
        max: usize,
    ) -> bool {
        if !push(out, CoreValType::I32, max) {
            return false;
        }
        let start = out.len();
        for t in cases.flatten() {
            let mut tmp = Vec::new();
            if !self.flatten(t, &mut tmp, max) {
                return false;
            }
            for (i, t) in tmp.into_iter().enumerate() {
                match out.get_mut(start + i) {
                    Some(prev) => *prev = join(*prev, t),
                    None => {
                        if !push(out, t, max) {
                            return false;
                        }
                    }
                }
            }
        }
        true
    }

    /// The core signature of function type `f` lifted or lowered with
    /// `opts`, checking that the options it needs are present.
    pub(crate) fn lower_func(
        &self,
        f: TypeId,
        abi: Abi,
        opts: AbiOpts,
        offset: usize,
    ) -> Result<CoreFuncType> {
        let f = self.func(f);
        let mut params = Vec::new();
        let max_params = if abi == Abi::Lower && opts.is_async {
            MAX_FLAT_ASYNC_PARAMS
        } else {
            MAX_FLAT_PARAMS
        };
        for (_, t) in &f.params {
            if self.val_contains_ptr(*t) {
                match abi {
                    Abi::Lower => opts.memory(offset)?,
                    Abi::Lift => opts.realloc(offset)?,
                }
            }
            if !self.flatten(*t, &mut params, max_params) {
                params.clear();
                params.push(CoreValType::I32);
                opts.memory(offset)?;
                if abi == Abi::Lift {
                    opts.realloc(offset)?;
                }
                break;
            }
        }
        let mut results = Vec::new();
        if let Some(t) = f.result {
            if abi == Abi::Lower && self.val_contains_ptr(t) {
                opts.realloc(offset)?;
            }
            match (abi, opts.is_async) {
                (_, false) => {
                    if !self.flatten(t, &mut results, MAX_FLAT_RESULTS) {
                        results.clear();
                        opts.memory(offset)?;
                        match abi {
                            Abi::Lower => params.push(CoreValType::I32),
                            Abi::Lift => results.push(CoreValType::I32),
                        }
                    }
                }
                // An async import writes its result through a pointer.
                (Abi::Lower, true) => {
                    params.push(CoreValType::I32);
                    opts.memory(offset)?;
                }
                // An async export gives its result to `task.return`, which
                // needs a memory if it holds pointers or spills.
                (Abi::Lift, true) => {
                    if !self.flatten(t, &mut Vec::new(), MAX_FLAT_PARAMS)
                        || self.val_contains_ptr(t)
                    {
                        opts.memory(offset)?;
                    }
                }
            }
        }
        // An async import returns its subtask's state; an async export with
        // a callback returns what to do next.
        if opts.is_async && (abi == Abi::Lower || opts.callback) {
            results.push(CoreValType::I32);
        }
        Ok(CoreFuncType { params, results })
    }
}
