//! Decode and validation errors.
//!
//! # Message format
//!
//! An error reads like wasmparser's (and so wasmtime's) messages, with the
//! spec testsuite's text first so a test can match it as a prefix:
//!
//! ```text
//! MESSAGE[: DETAIL] (at offset 0x1a)
//! MESSAGE[: DETAIL] (in function 3 `add`, at `i32.add`, offset 0x23)
//! ```
//!
//! - `MESSAGE` is the spec testsuite's text (`type mismatch`,
//!   `unknown local 7`, `unexpected end`, ...): [`Error::message`].
//! - `DETAIL` says more where the validator knows more: the expected and
//!   found types of a type mismatch (`expected i32, found i64`,
//!   `expected i32 but nothing on stack`, or at the end of a block
//!   `expected [i32 i32] but found [i32]`, where `_` is an operand of
//!   unknown type left by unreachable code): [`Error::detail`].
//! - For an error inside a function body, the parenthesis names the
//!   function by its index in the module's function index space (imports
//!   included), then its name from the `name` section when the module has
//!   one ([`Error::func_index`], [`Error::func_name`]), then the
//!   instruction being validated ([`Error::instruction`]), then the byte
//!   offset in the module ([`Error::offset`]). The `name` section follows
//!   the code section, so for an error in a body it is looked for in the
//!   bytes not decoded yet, best effort: a missing or malformed one means
//!   no name. A name is shown escaped (`str::escape_debug`). The
//!   instruction is named when the error is at its opcode or in its
//!   immediates.
//!
//! Examples:
//!
//! ```text
//! type mismatch: expected i32, found i64 (in function 1 `add`, at `i32.add`, offset 0x2f)
//! type mismatch: expected [i32] but found [] (in function 0, at `end`, offset 0x1d)
//! unknown local 7 (in function 2, at `local.get`, offset 0x40)
//! unexpected end of section or function (at offset 0xe)
//! ```
//!
//! The context is gathered only when an error is built, so it costs
//! nothing while a valid module is validated.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

/// Whether a module is *malformed* (not a well-formed binary, rejected by the
/// decoder) or *invalid* (well formed but ill typed, rejected by the
/// validator). The spec testsuite checks the two apart
/// (`assert_malformed` vs `assert_invalid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The bytes do not follow the binary format.
    Malformed,
    /// The module is well formed but violates a validation rule.
    Invalid,
    /// The module is valid, but a back end (a [`VisitOperator`]) cannot
    /// compile it.
    ///
    /// [`VisitOperator`]: crate::VisitOperator
    Unsupported,
}

/// Why a module was rejected, and where.
///
/// [`message`](Self::message) equals the spec testsuite's text
/// (`"unexpected end"`, `"type mismatch"`, ...) where the testsuite names
/// one, so tests compare it directly; [`detail`](Self::detail) and the
/// function context add what a reader needs. See the [module
/// documentation](self) for how it displays. The error is one pointer wide.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: Cow<'static, str>,
    detail: Option<String>,
    offset: usize,
    /// The function whose body holds the error, and its name.
    func: Option<(u32, Option<String>)>,
    instruction: Option<&'static str>,
}

impl Error {
    /// A malformed-module error at byte `offset`.
    #[cold]
    pub fn malformed(message: impl Into<Cow<'static, str>>, offset: usize) -> Error {
        Error::new(ErrorKind::Malformed, message.into(), offset)
    }

    /// An invalid-module error at byte `offset`.
    #[cold]
    pub fn invalid(message: impl Into<Cow<'static, str>>, offset: usize) -> Error {
        Error::new(ErrorKind::Invalid, message.into(), offset)
    }

    /// A back end's error at byte `offset`: the module is valid but the
    /// back end cannot compile it (a feature it lacks, a limit of its own).
    #[cold]
    pub fn unsupported(message: impl Into<Cow<'static, str>>, offset: usize) -> Error {
        Error::new(ErrorKind::Unsupported, message.into(), offset)
    }

    #[cold]
    fn new(kind: ErrorKind, message: Cow<'static, str>, offset: usize) -> Error {
        Error(Box::new(Inner {
            kind,
            message,
            detail: None,
            offset,
            func: None,
            instruction: None,
        }))
    }

    /// Adds a detail after the message (`expected i32, found i64`).
    #[cold]
    #[must_use]
    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Error {
        self.0.detail = Some(detail.into());
        self
    }

    /// Names the instruction the error is about (`i32.add`).
    #[cold]
    #[must_use]
    pub(crate) fn with_instruction(mut self, instruction: &'static str) -> Error {
        self.0.instruction = Some(instruction);
        self
    }

    /// Places the error in the body of function `index`, named `name` in
    /// the module's `name` section if it is.
    #[cold]
    #[must_use]
    pub(crate) fn in_function(mut self, index: u32, name: Option<String>) -> Error {
        self.0.func = Some((index, name));
        self
    }

    /// Malformed or invalid.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The spec testsuite's message (`type mismatch`, `unknown local 7`),
    /// without the detail, the function or the offset.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// What the validator knows beyond the message: for a type mismatch,
    /// the expected and found types (`expected i32, found i64`).
    pub fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    /// The byte offset in the module where the problem was found.
    pub fn offset(&self) -> usize {
        self.0.offset
    }

    /// The index, in the module's function index space (imports included),
    /// of the function whose body holds the error.
    pub fn func_index(&self) -> Option<u32> {
        self.0.func.as_ref().map(|&(index, _)| index)
    }

    /// The name of that function in the module's `name` section, if it has
    /// one (as written in the module, not escaped).
    pub fn func_name(&self) -> Option<&str> {
        self.0.func.as_ref()?.1.as_deref()
    }

    /// The mnemonic of the instruction being validated (`i32.add`, `br_if`,
    /// `end`), if the error is about one.
    pub fn instruction(&self) -> Option<&'static str> {
        self.0.instruction
    }
}

impl fmt::Display for Error {
    /// `type mismatch: expected i32, found i64 (in function 3 `add`, at
    /// `i32.add`, offset 0x23)`; see the [module documentation](self).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())?;
        if let Some(detail) = self.detail() {
            write!(f, ": {detail}")?;
        }
        f.write_str(" (")?;
        if let Some((index, name)) = &self.0.func {
            write!(f, "in function {index}")?;
            if let Some(name) = name {
                // Names come from the module: escape them so that a name
                // cannot forge lines or send terminal escapes.
                write!(f, " `{}`", name.escape_debug())?;
            }
            f.write_str(", ")?;
        }
        if let Some(instruction) = self.0.instruction {
            write!(f, "at `{instruction}`, offset ")?;
        } else if self.0.func.is_none() {
            f.write_str("at offset ")?;
        } else {
            f.write_str("offset ")?;
        }
        write!(f, "{:#x})", self.offset())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {self}", self.kind())
    }
}

impl core::error::Error for Error {}

/// Result alias for this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn error_is_one_pointer() {
        assert_eq!(size_of::<Error>(), size_of::<usize>());
        assert_eq!(size_of::<Result<()>>(), size_of::<usize>());
    }

    #[test]
    fn display_outside_a_function() {
        let e = Error::malformed("unexpected end", 0x1a);
        assert_eq!(e.to_string(), "unexpected end (at offset 0x1a)");
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert_eq!(e.func_index(), None);
        assert_eq!(e.func_name(), None);
        assert_eq!(e.instruction(), None);
        assert_eq!(e.detail(), None);
        let e = Error::invalid("type mismatch", 0x1a).with_detail("expected [i32] but found [i64]");
        assert_eq!(
            e.to_string(),
            "type mismatch: expected [i32] but found [i64] (at offset 0x1a)"
        );
        assert_eq!(e.message(), "type mismatch");
    }

    #[test]
    fn display_in_a_function() {
        let e = Error::invalid("type mismatch", 0x23)
            .with_detail("expected i32, found i64")
            .with_instruction("i32.add")
            .in_function(3, Some("add".into()));
        assert_eq!(
            e.to_string(),
            "type mismatch: expected i32, found i64 (in function 3 `add`, at `i32.add`, offset 0x23)"
        );
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert_eq!(e.message(), "type mismatch");
        assert_eq!(e.detail(), Some("expected i32, found i64"));
        assert_eq!(e.func_index(), Some(3));
        assert_eq!(e.func_name(), Some("add"));
        assert_eq!(e.instruction(), Some("i32.add"));
        assert_eq!(e.offset(), 0x23);
        let e = Error::malformed("too many locals", 0x40).in_function(0, None);
        assert_eq!(
            e.to_string(),
            "too many locals (in function 0, offset 0x40)"
        );
    }

    #[test]
    fn names_are_escaped() {
        let e = Error::invalid("unknown local 1", 9)
            .with_instruction("local.get")
            .in_function(0, Some("a`\u{1b}[31m\n".into()));
        assert_eq!(
            e.to_string(),
            "unknown local 1 (in function 0 `a`\\u{1b}[31m\\n`, at `local.get`, offset 0x9)"
        );
        assert_eq!(e.func_name(), Some("a`\u{1b}[31m\n"));
    }
}
