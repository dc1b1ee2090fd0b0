//! Errors and traps.

use crate::prelude::*;
use core::fmt;

use crate::trap::TrapCode;

/// Everything that can go wrong in the embedding API.
///
/// One pointer wide (the details are boxed, as in wasmi and wasmtime), so a
/// `Result<T, Error>` costs a word more than `T` at most. Match on
/// [`kind`](Error::kind) to tell the cases apart, or use the shortcuts
/// [`as_trap`](Error::as_trap), [`exit_status`](Error::exit_status) and
/// [`downcast_ref`](Error::downcast_ref):
///
/// ```
/// use nanowasm_runtime::{Error, ErrorKind, TrapCode};
///
/// let err = Error::from(TrapCode::Unreachable);
/// assert!(matches!(err.kind(), ErrorKind::Trap(_)));
/// assert_eq!(err.trap_code(), Some(TrapCode::Unreachable));
/// assert_eq!(core::mem::size_of::<Error>(), core::mem::size_of::<usize>());
/// ```
pub struct Error(Box<ErrorKind>);

/// What went wrong: the cases of an [`Error`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The module is malformed or invalid.
    #[error("{0}")]
    Compile(#[source] CompileError),
    /// A text module (WAT) could not be parsed: `file:line:col: message`,
    /// the source line and a caret.
    #[error("{0}")]
    Text(String),
    /// WebAssembly code trapped.
    #[error("{0}")]
    Trap(Trap),
    /// An import could not be resolved or has the wrong type.
    #[error("{0}")]
    Link(String),
    /// A wrong use of the API (wrong store, wrong argument types, ...).
    #[error("{0}")]
    Usage(String),
    /// A resource limit of the store was reached.
    #[error("{0}")]
    Limit(String),
    /// A host function failed.
    #[error("{0}")]
    Host(Box<dyn core::error::Error + Send + Sync>),
    /// A WebAssembly exception that no handler caught, or one a host
    /// function throws ([`Error::exception`]): the message names its tag.
    #[error("uncaught exception: {1}")]
    Exception(crate::exn::ExnRef, String),
    /// The guest asked to exit with this status (WASI `proc_exit`).
    #[error("{0}")]
    Exit(I32Exit),
    /// An internal invariant of nanowasm was broken: a bug in nanowasm,
    /// never the embedder's or the guest's fault.
    #[error("internal error: {0} (this is a bug in nanowasm; please report it)")]
    Bug(String),
}

/// The result type of the embedding API.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Whether a module was rejected as malformed or as invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CompileErrorKind {
    /// The bytes do not follow the binary format (the spec testsuite's
    /// `assert_malformed`).
    Malformed,
    /// The module is well formed but violates a validation rule
    /// (`assert_invalid`).
    Invalid,
    /// The module is valid, but the engine's back end cannot compile it.
    Unsupported,
}

/// Why a module was rejected by the decoder or the validator, and where.
///
/// Displays as `message: detail (in function 3 `add`, at `i32.add`,
/// offset 0x23)`; its [`source`](core::error::Error::source) is the
/// decoder's own error, with the same text.
pub struct CompileError(nanowasm_binary::Error);

impl CompileError {
    /// Malformed or invalid.
    pub fn kind(&self) -> CompileErrorKind {
        match self.0.kind() {
            nanowasm_binary::ErrorKind::Malformed => CompileErrorKind::Malformed,
            nanowasm_binary::ErrorKind::Invalid => CompileErrorKind::Invalid,
            nanowasm_binary::ErrorKind::Unsupported => CompileErrorKind::Unsupported,
        }
    }

    /// The reason, in the spec testsuite's words where it has them
    /// (`"unexpected end"`, `"type mismatch"`, ...).
    pub fn message(&self) -> &str {
        self.0.message()
    }

    /// What the reason leaves out (the types found, say), if anything.
    pub fn detail(&self) -> Option<&str> {
        self.0.detail()
    }

    /// The byte offset in the module where the problem was found.
    pub fn offset(&self) -> usize {
        self.0.offset()
    }

    /// The index of the function being validated, if any.
    pub fn func_index(&self) -> Option<u32> {
        self.0.func_index()
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl core::error::Error for CompileError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl Error {
    /// A rejected module, from the decoder's error. A crate-private
    /// constructor, not a `From` impl: a trait impl would put the decoder's
    /// type in the public API.
    pub(crate) fn compile(e: nanowasm_binary::Error) -> Error {
        ErrorKind::Compile(CompileError(e)).into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }
}

impl From<Trap> for Error {
    fn from(trap: Trap) -> Error {
        ErrorKind::Trap(trap).into()
    }
}

impl From<CompileError> for Error {
    fn from(e: CompileError) -> Error {
        ErrorKind::Compile(e).into()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        core::error::Error::source(&*self.0)
    }
}

/// A guest's request to exit the process with a status (WASI `proc_exit`),
/// as in wasmtime: not a failure of the runtime but the program's end.
///
/// It reaches the embedder as [`ErrorKind::Exit`]; like wasmtime's, it can be
/// found with a downcast:
///
/// ```
/// use nanowasm_runtime::{Error, I32Exit};
///
/// let err = Error::from(I32Exit(3));
/// assert_eq!(err.downcast_ref::<I32Exit>(), Some(&I32Exit(3)));
/// assert_eq!(err.to_string(), "exited with i32 exit status 3");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct I32Exit(pub i32);

impl fmt::Display for I32Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exited with i32 exit status {}", self.0)
    }
}

impl core::error::Error for I32Exit {}

impl From<I32Exit> for Error {
    fn from(exit: I32Exit) -> Error {
        ErrorKind::Exit(exit).into()
    }
}

impl Error {
    /// What went wrong, to match on.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// The case, by value (to take a host function's error back out).
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// A failing host function's error, as wasmtime's `Error::new`
    /// (anyhow's): [`ErrorKind::Host`], found again by
    /// [`downcast_ref`](Error::downcast_ref).
    pub fn new<E: core::error::Error + Send + Sync + 'static>(error: E) -> Error {
        ErrorKind::Host(Box::new(error)).into()
    }

    /// A host error from a boxed error ([`ErrorKind::Host`]).
    pub fn from_boxed(error: Box<dyn core::error::Error + Send + Sync>) -> Error {
        ErrorKind::Host(error).into()
    }

    /// A host error from a message.
    pub fn host(message: impl Into<String>) -> Error {
        Error::from_boxed(message.into().into())
    }

    /// Throws `exn` ([`ErrorKind::Exception`]): a host function that
    /// returns this error throws the exception into its wasm caller,
    /// where a handler may catch it.
    pub fn exception(exn: crate::exn::ExnRef) -> Error {
        ErrorKind::Exception(exn, String::from("thrown by the host")).into()
    }

    /// The exception, if this error is one.
    pub fn as_exception(&self) -> Option<crate::exn::ExnRef> {
        match &*self.0 {
            ErrorKind::Exception(e, _) => Some(*e),
            _ => None,
        }
    }

    /// A wrong use of the API ([`ErrorKind::Usage`]).
    pub fn usage(message: impl Into<String>) -> Error {
        ErrorKind::Usage(message.into()).into()
    }

    /// An import that does not resolve ([`ErrorKind::Link`]).
    pub fn link(message: impl Into<String>) -> Error {
        ErrorKind::Link(message.into()).into()
    }

    /// A resource limit reached ([`ErrorKind::Limit`]).
    pub fn limit(message: impl Into<String>) -> Error {
        ErrorKind::Limit(message.into()).into()
    }

    /// A text module that does not parse ([`ErrorKind::Text`]).
    pub fn text(message: impl Into<String>) -> Error {
        ErrorKind::Text(message.into()).into()
    }

    /// A broken internal invariant ([`ErrorKind::Bug`]): the message says
    /// which; the error says it is a bug in nanowasm.
    pub fn bug(message: impl Into<String>) -> Error {
        ErrorKind::Bug(message.into()).into()
    }

    /// Whether this is a broken internal invariant ([`ErrorKind::Bug`]).
    pub fn is_bug(&self) -> bool {
        matches!(*self.0, ErrorKind::Bug(_))
    }

    /// The module's rejection, if this error is one.
    pub fn as_compile_error(&self) -> Option<&CompileError> {
        match &*self.0 {
            ErrorKind::Compile(e) => Some(e),
            _ => None,
        }
    }

    /// The trap, if this error is one.
    pub fn as_trap(&self) -> Option<&Trap> {
        match &*self.0 {
            ErrorKind::Trap(t) => Some(t),
            _ => None,
        }
    }

    /// The trap, mutably (to add the frames of the wasm that called the
    /// trapping function).
    #[cfg_attr(not(nanowasm_compiler), allow(dead_code))]
    pub(crate) fn as_trap_mut(&mut self) -> Option<&mut Trap> {
        match &mut *self.0 {
            ErrorKind::Trap(t) => Some(t),
            _ => None,
        }
    }

    /// The trap code, if this error is a trap.
    pub fn trap_code(&self) -> Option<TrapCode> {
        self.as_trap().map(|t| t.code)
    }

    /// The code of a trap that has no backtrace yet (one a host function
    /// returned), for the interpreter to add the wasm frames.
    pub(crate) fn trap_without_backtrace(&self) -> Option<TrapCode> {
        self.as_trap()
            .filter(|t| t.backtrace.is_empty())
            .map(|t| t.code)
    }

    /// The error as a `&E`, if it is one, in wasmtime's style
    /// (`err.downcast_ref::<I32Exit>()`): [`I32Exit`] for a guest's exit,
    /// [`Trap`] or [`TrapCode`] for a trap, [`CompileError`] for a
    /// rejected module, and for a failing host function the error it
    /// returned (any type).
    pub fn downcast_ref<E: core::error::Error + 'static>(&self) -> Option<&E> {
        use core::any::Any;
        match &*self.0 {
            ErrorKind::Exit(exit) => (exit as &dyn Any).downcast_ref(),
            ErrorKind::Trap(trap) => (trap as &dyn Any)
                .downcast_ref()
                .or_else(|| (&trap.code as &dyn Any).downcast_ref()),
            ErrorKind::Host(inner) => inner.downcast_ref(),
            ErrorKind::Compile(e) => (e as &dyn Any).downcast_ref(),
            _ => None,
        }
    }

    /// Whether the error is an `E` (see [`downcast_ref`](Error::downcast_ref)).
    pub fn is<E: core::error::Error + 'static>(&self) -> bool {
        self.downcast_ref::<E>().is_some()
    }

    /// The guest's exit status, if this error is its request to exit.
    pub fn exit_status(&self) -> Option<i32> {
        match &*self.0 {
            ErrorKind::Exit(I32Exit(status)) => Some(*status),
            _ => None,
        }
    }
}

/// One frame of a wasm backtrace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameInfo {
    /// The function's index in its module.
    pub func_index: u32,
    /// Its name from the name section, as the module spells it (mangled
    /// Rust or C++ names stay mangled here; `Display` demangles them).
    pub func_name: Option<String>,
    /// The byte offset in the module of the instruction being executed.
    pub offset: usize,
    /// The module's name from its name section.
    pub module_name: Option<String>,
}

impl fmt::Display for FrameInfo {
    /// `module!name (func 2) at offset 0x1a3`, the module and the name
    /// when the name section gives them; the name demangled (with the
    /// `demangle` feature) when it is a Rust or C++ symbol.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = &self.module_name {
            write!(f, "{m}!")?;
        }
        match &self.func_name {
            Some(name) => {
                write_demangled(f, name)?;
                write!(f, " (func {})", self.func_index)?;
            }
            None => write!(f, "func {}", self.func_index)?,
        }
        write!(f, " at offset {:#x}", self.offset)
    }
}

/// Writes `name` demangled when it is a Rust symbol (legacy `_ZN...E` or
/// v0 `_R...`) or else an Itanium C++ one (`_Z...`), as is otherwise. The
/// hash of a legacy Rust symbol is kept, as wasmtime prints it.
#[cfg(feature = "demangle")]
fn write_demangled(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    if let Ok(rust) = rustc_demangle::try_demangle(name) {
        return write!(f, "{rust}");
    }
    // Only names in the Itanium form: `Symbol::new` also takes a bare
    // type name (`i` for `int`), which is no symbol of a function.
    if name.starts_with("_Z") {
        if let Ok(symbol) = cpp_demangle::Symbol::new(name) {
            // The name section is the guest's: a few bytes of nested
            // substitutions can expand to megabytes, so the text is built
            // in a bounded buffer and the raw name printed past the bound.
            let mut out = Bounded(String::new());
            let options = cpp_demangle::DemangleOptions::default();
            if symbol.structured_demangle(&mut out, &options).is_ok() {
                return f.write_str(&out.0);
            }
        }
    }
    f.write_str(name)
}

/// The most bytes a demangled C++ name may take (rustc-demangle bounds
/// Rust names itself); a longer one is printed mangled.
#[cfg(feature = "demangle")]
const MAX_DEMANGLED_LEN: usize = 64 * 1024;

/// A string that refuses to grow past [`MAX_DEMANGLED_LEN`].
#[cfg(feature = "demangle")]
struct Bounded(String);

#[cfg(feature = "demangle")]
impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.0.len() + s.len() > MAX_DEMANGLED_LEN {
            return Err(fmt::Error);
        }
        self.0.push_str(s);
        Ok(())
    }
}

/// Writes `name` as it is (the `demangle` feature is off).
#[cfg(not(feature = "demangle"))]
fn write_demangled(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    f.write_str(name)
}

/// A trap: the reason and the wasm call stack, innermost frame first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// Why execution stopped.
    pub code: TrapCode,
    /// The wasm frames, innermost first.
    pub backtrace: Vec<FrameInfo>,
}

impl Trap {
    /// A trap without a backtrace.
    pub fn new(code: TrapCode) -> Trap {
        Trap {
            code,
            backtrace: Vec::new(),
        }
    }
}

/// How many of the innermost frames a printed backtrace shows before it
/// leaves frames out: the trapping function and its callers up to the
/// code that failed. A Rust panic spends about a dozen frames in the panic
/// machinery (`core::panicking::panic`, `rust_begin_unwind`,
/// `std::panicking::rust_panic_with_hook`, ..., `abort`) before the
/// function that panicked, so 20 still shows it and the few frames that
/// called it, or a recursion's cycle several times over.
const PRINTED_INNERMOST: usize = 20;

/// How many of the outermost frames a printed backtrace shows after the
/// frames it leaves out: the way in from the entry point. A Rust or C
/// program's `_start` reaches the user's `main` through up to 8 frames
/// (`__main_void`, `__original_main`, `main`, `std::rt::lang_start` and
/// its closures, `__rust_begin_short_backtrace`, `FnOnce::call_once`),
/// so 10 shows that path and the user's first frames.
const PRINTED_OUTERMOST: usize = 10;

impl fmt::Display for Trap {
    /// `wasm trap: integer divide by zero` then one line per frame:
    /// `  0: fib (func 2) at offset 0x1a3`. A deep backtrace (a stack
    /// overflow has thousands of frames) prints its 20 innermost and 10
    /// outermost frames, numbered as in [`Trap::backtrace`], with one line
    /// `  ... N frames omitted ...` between them; [`Trap::backtrace`]
    /// keeps every frame.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.code)?;
        if self.backtrace.is_empty() {
            return Ok(());
        }
        write!(f, "\nwasm backtrace:")?;
        let len = self.backtrace.len();
        // Leaving out a single frame would print as many lines as it saves.
        let omitted = match len.checked_sub(PRINTED_INNERMOST + PRINTED_OUTERMOST) {
            Some(n) if n >= 2 => n,
            _ => 0,
        };
        let frames = self.backtrace.iter().enumerate();
        if omitted == 0 {
            for (i, frame) in frames {
                write!(f, "\n  {i}: {frame}")?;
            }
            return Ok(());
        }
        for (i, frame) in frames.clone().take(PRINTED_INNERMOST) {
            write!(f, "\n  {i}: {frame}")?;
        }
        write!(f, "\n  ... {omitted} frames omitted ...")?;
        for (i, frame) in frames.skip(PRINTED_INNERMOST + omitted) {
            write!(f, "\n  {i}: {frame}")?;
        }
        Ok(())
    }
}

impl core::error::Error for Trap {}

impl From<TrapCode> for Error {
    fn from(code: TrapCode) -> Error {
        Error::from(Trap::new(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::size_of;

    #[test]
    fn error_is_one_word() {
        assert_eq!(size_of::<Error>(), size_of::<usize>());
        assert_eq!(size_of::<Result<(), Error>>(), size_of::<usize>());
    }

    #[test]
    fn bug_says_it_is_a_bug() {
        let e = Error::bug("a frame without a function");
        assert!(e.is_bug());
        let text = e.to_string();
        assert!(text.contains("a frame without a function"), "{text}");
        assert!(text.contains("bug in nanowasm"), "{text}");
    }

    #[test]
    fn compile_error_keeps_the_decoder_error_as_source() {
        let e = Error::compile(nanowasm_binary::Error::invalid("type mismatch", 0x23));
        let compile = e.as_compile_error().expect("a compile error");
        assert_eq!(compile.kind(), CompileErrorKind::Invalid);
        assert_eq!(compile.offset(), 0x23);
        assert_eq!(compile.message(), "type mismatch");
        assert!(e.is::<CompileError>());
        let mut chain = Vec::new();
        let mut cur: Option<&(dyn core::error::Error + 'static)> = Some(&e);
        while let Some(c) = cur {
            chain.push(c.to_string());
            cur = c.source();
        }
        assert_eq!(chain.len(), 3, "{chain:?}");
        assert!(chain.iter().all(|c| c == &chain[0]), "{chain:?}");
    }

    #[test]
    fn host_errors_downcast() {
        #[derive(Debug, PartialEq)]
        struct Mine(u8);
        impl fmt::Display for Mine {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "mine {}", self.0)
            }
        }
        impl core::error::Error for Mine {}
        let e = Error::new(Mine(4));
        assert_eq!(e.downcast_ref::<Mine>(), Some(&Mine(4)));
        assert!(!e.is::<I32Exit>());
        match e.into_kind() {
            ErrorKind::Host(inner) => assert_eq!(*inner.downcast::<Mine>().unwrap(), Mine(4)),
            other => panic!("not a host error: {other:?}"),
        }
    }
}
