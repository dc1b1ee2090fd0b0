//! Decode and validation errors.

use std::borrow::Cow;
use std::fmt;

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
}

/// Why a module was rejected, and where.
///
/// The message equals the spec testsuite's text (`"unexpected end"`,
/// `"type mismatch"`, ...) where the testsuite names one, so tests compare
/// it directly. The error is one pointer wide.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: Cow<'static, str>,
    offset: usize,
}

impl Error {
    /// A malformed-module error at byte `offset`.
    #[cold]
    pub fn malformed(message: impl Into<Cow<'static, str>>, offset: usize) -> Error {
        Error(Box::new(Inner {
            kind: ErrorKind::Malformed,
            message: message.into(),
            offset,
        }))
    }

    /// An invalid-module error at byte `offset`.
    #[cold]
    pub fn invalid(message: impl Into<Cow<'static, str>>, offset: usize) -> Error {
        Error(Box::new(Inner {
            kind: ErrorKind::Invalid,
            message: message.into(),
            offset,
        }))
    }

    /// Malformed or invalid.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message, without the offset.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The byte offset in the module where the problem was found.
    pub fn offset(&self) -> usize {
        self.0.offset
    }
}

impl fmt::Display for Error {
    /// `error at offset 0x1a: type mismatch`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error at offset {:#x}: {}",
            self.offset(),
            self.message()
        )
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {self}", self.kind())
    }
}

impl std::error::Error for Error {}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_pointer() {
        assert_eq!(size_of::<Error>(), size_of::<usize>());
        assert_eq!(size_of::<Result<()>>(), size_of::<usize>());
    }

    #[test]
    fn display() {
        let e = Error::invalid("type mismatch", 0x1a);
        assert_eq!(e.to_string(), "error at offset 0x1a: type mismatch");
        assert_eq!(e.kind(), ErrorKind::Invalid);
    }
}
