//! The validating front end's visitor: what a back end sees of a function
//! body.
//!
//! The function validator ([`FuncValidator`](super::func::FuncValidator))
//! decodes and types each instruction once, then calls the visitor's method
//! for it with what it resolved on the way ([`Resolved`]): the block's
//! parameter and result types, the types and kinds of branch targets, the
//! type of a local, global, table or polymorphic operand, the callee's
//! type, and whether the end of a block is reachable. A back end is a
//! [`VisitOperator`]; it never decodes a body or rebuilds control types
//! itself.
//!
//! The trait has one method per opcode, generated from the opcode table
//! (`visit_i32_add`, `visit_br_table`, ...), each forwarding by default to
//! [`VisitOperator::visit_operator`], which does nothing. A back end
//! overrides the methods it wants by name, or `visit_operator` to take
//! every instruction in one place. Validation alone runs with
//! [`NoVisitor`], whose calls compile away.
//!
//! **Dead code is not visited.** An instruction is visited only if it is
//! reachable by the spec's typing rules: after `unreachable`, `br`,
//! `br_table` or `return`, nothing is visited until the `else` or `end`
//! that closes the frame. A block that starts in dead code is not visited
//! at all, its `end` included. So the visited stream is well nested, every
//! operand a visitor sees has a known type, and the `else`/`end` of every
//! visited `block`/`loop`/`if` is visited, with
//! [`Resolved::end_reachable`] saying whether control can fall through to
//! it. (wasmi's translator makes the same choice.)

use nanowasm_core::{BlockType, FuncType, Opcode, ValType};

use crate::error::Result;
use crate::operators::Imm;
use crate::types::TypeSection;

/// The kind of a control frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// `block`.
    Block,
    /// `loop`: a branch to it jumps back to its start and carries its
    /// parameters.
    Loop,
    /// The `then` branch of an `if`.
    If,
    /// The `else` branch of an `if`.
    Else,
    /// The function body: a branch to it returns.
    Func,
    /// `try_table` (exception handling): a block whose catch clauses
    /// branch to labels outside it.
    TryTable,
    /// The body of a legacy `try` (before its first `catch`).
    Try,
    /// A legacy `catch x` handler of a `try`.
    Catch,
    /// A legacy `catch_all` handler of a `try`.
    CatchAll,
}

/// A list of value types (a block's parameters or results, a label's
/// types), borrowed from the module.
#[derive(Clone, Copy, Debug)]
pub enum Types<'m> {
    /// No types.
    None,
    /// One type (a block type written as a value type).
    One(ValType),
    /// A list from the type section.
    Many(&'m [ValType]),
}

impl<'m> Types<'m> {
    /// How many types there are.
    #[inline]
    pub fn len(self) -> usize {
        match self {
            Types::None => 0,
            Types::One(_) => 1,
            Types::Many(s) => s.len(),
        }
    }

    /// Whether there are none.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Type `i`; `i` must be below [`len`](Self::len).
    #[inline]
    pub fn get(self, i: usize) -> ValType {
        match self {
            Types::One(t) => t,
            Types::Many(s) => s[i],
            Types::None => unreachable!("index into an empty type list"),
        }
    }

    /// The types in order.
    pub fn iter(self) -> impl DoubleEndedIterator<Item = ValType> + ExactSizeIterator + 'm {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// The parameter and result types of block type `bt`, or `None` if it
    /// names a type index that `types` does not have.
    pub(crate) fn of_block(
        types: &'m TypeSection,
        bt: BlockType,
    ) -> Option<(Types<'m>, Types<'m>)> {
        Some(match bt {
            BlockType::Empty => (Types::None, Types::None),
            BlockType::Value(t) => (Types::None, Types::One(t)),
            BlockType::Func(i) => {
                let ft = types.func(i)?;
                (Types::Many(ft.params()), Types::Many(ft.results()))
            }
        })
    }
}

/// A control frame on the validator's stack.
#[derive(Clone, Copy)]
pub(crate) struct Frame {
    pub kind: FrameKind,
    pub ty: BlockType,
    /// The operand stack's height at the frame's start (its parameters
    /// above it).
    pub height: usize,
    /// The rest of the frame is unreachable (the spec's `unreachable` flag).
    pub unreachable: bool,
    /// The frame started in reachable code, so its start was visited and
    /// so will its `else` and `end` be.
    pub visible: bool,
    /// The height of the validator's stack of locals initialized in this
    /// frame (non-defaultable locals, typed function references): they are
    /// uninitialized again after its `end`.
    pub inits: u32,
}

impl Frame {
    /// The types a branch to this frame carries: a loop's parameters,
    /// another frame's results. `None` if its block type names a type
    /// index `types` does not have.
    pub(crate) fn label_types(self, types: &TypeSection) -> Option<Types<'_>> {
        let (params, results) = Types::of_block(types, self.ty)?;
        Some(if self.kind == FrameKind::Loop {
            params
        } else {
            results
        })
    }
}

/// A branch target: the kind of the frame a label names and the types a
/// branch to it carries (a loop's parameters, another frame's results).
#[derive(Clone, Copy, Debug)]
pub struct Label<'m> {
    /// The frame's kind.
    pub kind: FrameKind,
    /// The values a branch to it carries, last on top of the stack.
    pub types: Types<'m>,
}

/// How a frame ended, for `else` and `end` (and a legacy `catch`,
/// `catch_all` or `delegate`).
#[derive(Clone, Copy)]
pub(crate) struct Ending {
    pub kind: FrameKind,
    pub visible: bool,
    pub reachable: bool,
}

impl Frame {
    /// How this frame, just popped, ended.
    pub(crate) fn ending(self) -> Ending {
        Ending {
            kind: self.kind,
            visible: self.visible,
            reachable: !self.unreachable,
        }
    }
}

/// What the validator resolved for one instruction beyond its immediates.
/// The fields an instruction does not use hold neutral values.
#[derive(Clone, Copy, Default)]
pub(crate) struct Extra<'m> {
    pub ty: Option<ValType>,
    /// Resolved to types only if the visitor asks ([`Resolved::block`]).
    pub block: Option<BlockType>,
    pub ending: Option<Ending>,
    pub callee: Option<&'m FuncType>,
}

/// What the validator resolved for the instruction being visited.
pub struct Resolved<'r> {
    pub(crate) offset: usize,
    pub(crate) extra: Extra<'r>,
    pub(crate) frames: &'r [Frame],
    pub(crate) types: &'r TypeSection,
}

impl<'r> Resolved<'r> {
    /// The instruction's byte offset in the module (of its opcode).
    #[inline]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The type the instruction works on where its opcode leaves it open:
    /// the local's type for `local.get/set/tee`, the global's content type
    /// for `global.get/set`, the operand's type for `drop`, `select` (both
    /// forms) and `ref.is_null`, the element type (a reference type) for
    /// `table.get/set/grow/fill`, and the value type of every load and
    /// store. `None` for other instructions.
    #[inline]
    pub fn ty(&self) -> Option<ValType> {
        self.extra.ty
    }

    /// For `block`, `loop`, `if`, `else` and `end` (of any frame but the
    /// function's): the block's parameter and result types. `None`
    /// otherwise.
    #[inline]
    pub fn block(&self) -> Option<(Types<'r>, Types<'r>)> {
        Types::of_block(self.types, self.extra.block?)
    }

    /// For `else` and `end`: the kind of the frame that ends (`If` for an
    /// `else`, and for the `end` of an `if` without `else`; `Func` for the
    /// body's final `end`).
    #[inline]
    pub fn ending(&self) -> Option<FrameKind> {
        self.extra.ending.map(|e| e.kind)
    }

    /// For `else` and `end`: whether control can reach it by falling
    /// through the branch it ends (not after `br`, `return`, ...).
    #[inline]
    pub fn end_reachable(&self) -> bool {
        self.extra.ending.is_some_and(|e| e.reachable)
    }

    /// The callee's type for `call` and `call_indirect`; the function's own
    /// type for `return`.
    #[inline]
    pub fn callee(&self) -> Option<&'r FuncType> {
        self.extra.callee
    }

    /// The frame that label `depth` names (0 is the innermost), for
    /// `br`, `br_if` and each `br_table` target. The frames are those
    /// enclosing the instruction; after an `end` or `else` the ended frame
    /// is gone.
    pub fn label(&self, depth: u32) -> Option<Label<'r>> {
        let i = self.frames.len().checked_sub(1 + depth as usize)?;
        let frame = self.frames[i];
        Some(Label {
            kind: frame.kind,
            types: frame.label_types(self.types)?,
        })
    }

    /// How many frames enclose the instruction, the function's included.
    /// At `block`, `loop`, `if` and `else` the frame the instruction opens
    /// is counted (so `label(0)` is that block); at `end` the frame it
    /// closes is not.
    #[inline]
    pub fn depth(&self) -> usize {
        self.frames.len()
    }
}

/// The start of a function body, before its first instruction.
pub struct FuncStart<'r> {
    /// The function's index (imports included).
    pub func: u32,
    /// Its type.
    pub ty: &'r FuncType,
    /// Its locals: the parameters, then the declared locals.
    pub locals: &'r [ValType],
    /// Where the body's instructions start in the module.
    pub offset: usize,
}

macro_rules! define_visitor {
    ($( $v:ident $visit:ident $name:literal $prefix:tt $code:literal $imm:ident $feat:ident ($sig:expr); )*) => {
        /// A back end: what the function validator calls for every
        /// reachable instruction, after validating it. See the [module
        /// documentation](self).
        ///
        /// An error aborts validation; it should carry
        /// [`Resolved::offset`]. Errors of a back end that cannot compile
        /// valid code use [`Error::unsupported`](crate::Error::unsupported).
        pub trait VisitOperator {
            /// Whether the validator calls the visitor at all. Only
            /// [`NoVisitor`] sets it to `false`: validation alone then does
            /// not even gather what a visitor would be passed.
            const ACTIVE: bool = true;

            /// Called once per body, before its first instruction.
            #[inline(always)]
            fn visit_start(&mut self, start: &FuncStart<'_>) -> Result<()> {
                let _ = start;
                Ok(())
            }

            /// Every instruction's method forwards here unless overridden.
            /// Does nothing by default.
            #[inline(always)]
            fn visit_operator(&mut self, op: Opcode, imm: Imm<'_>, at: &Resolved<'_>) -> Result<()> {
                let _ = (op, imm, at);
                Ok(())
            }

            $(
                #[doc = concat!("`", $name, "`.")]
                #[inline(always)]
                fn $visit(&mut self, imm: Imm<'_>, at: &Resolved<'_>) -> Result<()> {
                    self.visit_operator(Opcode::$v, imm, at)
                }
            )*
        }

        /// Calls `visitor`'s method for `op`.
        #[inline(always)]
        pub(crate) fn visit_op<V: VisitOperator + ?Sized>(
            visitor: &mut V,
            op: Opcode,
            imm: Imm<'_>,
            at: &Resolved<'_>,
        ) -> Result<()> {
            match op {
                $( Opcode::$v => visitor.$visit(imm, at), )*
            }
        }
    };
}
nanowasm_core::for_each_opcode!(define_visitor);

/// The visitor of validation alone: it does nothing, and compiles away.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoVisitor;

impl VisitOperator for NoVisitor {
    const ACTIVE: bool = false;
}
