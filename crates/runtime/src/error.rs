//! Errors and traps.

use std::fmt;

use crate::trap::TrapCode;

/// Everything that can go wrong in the embedding API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The module is malformed or invalid.
    #[error("{0}")]
    Compile(#[from] nanowasm_binary::Error),
    /// WebAssembly code trapped.
    #[error("{0}")]
    Trap(#[from] Trap),
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
    Host(Box<dyn std::error::Error + Send + Sync>),
    /// The guest asked to exit with this status (WASI `proc_exit`).
    #[error("exit with status {0}")]
    Exit(i32),
}

impl Error {
    /// The trap, if this error is one.
    pub fn as_trap(&self) -> Option<&Trap> {
        match self {
            Error::Trap(t) => Some(t),
            _ => None,
        }
    }

    /// The trap code, if this error is a trap.
    pub fn trap_code(&self) -> Option<TrapCode> {
        self.as_trap().map(|t| t.code)
    }

    /// A host error from a message.
    pub fn host(message: impl Into<String>) -> Error {
        Error::Host(message.into().into())
    }
}

/// One frame of a wasm backtrace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameInfo {
    /// The function's index in its module.
    pub func_index: u32,
    /// Its name from the name section.
    pub func_name: Option<String>,
    /// The byte offset in the module of the instruction being executed.
    pub offset: usize,
    /// The module's name from its name section.
    pub module_name: Option<String>,
}

impl fmt::Display for FrameInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = &self.module_name {
            write!(f, "{m}!")?;
        }
        match &self.func_name {
            Some(name) => write!(f, "{name} (func {})", self.func_index)?,
            None => write!(f, "func {}", self.func_index)?,
        }
        write!(f, " at offset {:#x}", self.offset)
    }
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

impl fmt::Display for Trap {
    /// `wasm trap: integer divide by zero` then one line per frame:
    /// `  0: fib (func 2) at offset 0x1a3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.code)?;
        if !self.backtrace.is_empty() {
            write!(f, "\nwasm backtrace:")?;
            for (i, frame) in self.backtrace.iter().enumerate() {
                write!(f, "\n  {i}: {frame}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}

impl From<TrapCode> for Error {
    fn from(code: TrapCode) -> Error {
        Error::Trap(Trap::new(code))
    }
}
