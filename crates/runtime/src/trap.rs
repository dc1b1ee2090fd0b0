//! Traps: why a WebAssembly computation stopped abnormally.

use core::fmt;

/// The reason for a trap. `message()` is the spec testsuite's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapCode {
    /// `unreachable` was executed.
    Unreachable,
    /// Signed division overflow (`i32.div_s` of `INT_MIN / -1`) or a float
    /// to integer conversion out of range.
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// A NaN converted to an integer.
    BadConversionToInteger,
    /// A load, store or bulk memory operation out of bounds.
    MemoryOutOfBounds,
    /// A table access or bulk table operation out of bounds.
    TableOutOfBounds,
    /// `call_indirect` to an index past the table's end.
    UndefinedElement,
    /// `call_indirect` to a null entry.
    UninitializedElement,
    /// `call_indirect` to a function of another type.
    IndirectCallTypeMismatch,
    /// The call stack or value stack limit was reached.
    StackOverflow,
    /// The store's fuel ran out.
    OutOfFuel,
    /// The store's epoch deadline passed (interrupted by the host).
    Interrupted,
    /// `ref.as_non_null` of a null reference.
    NullReference,
    /// `call_ref` or `return_call_ref` of a null function reference.
    NullFunctionReference,
    /// `throw_ref` of a null exception reference.
    NullExceptionReference,
    /// `struct.get`/`struct.set` of a null structure reference.
    NullStructReference,
    /// An array instruction on a null array reference.
    NullArrayReference,
    /// `i31.get_s`/`i31.get_u` of a null reference.
    NullI31Reference,
    /// An array access or bulk array operation out of bounds.
    ArrayOutOfBounds,
    /// `ref.cast` of a reference that is not of the target type.
    CastFailure,
    /// A GC allocation that does not fit in the store's GC heap limit
    /// ([`StoreLimitsBuilder::gc_heap`](crate::StoreLimitsBuilder::gc_heap)),
    /// even after a collection.
    GcHeapExhausted,
}

impl TrapCode {
    /// The spec testsuite's message for this trap.
    pub const fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::UndefinedElement => "undefined element",
            TrapCode::UninitializedElement => "uninitialized element",
            TrapCode::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::OutOfFuel => "all fuel consumed",
            TrapCode::Interrupted => "interrupted",
            TrapCode::NullReference => "null reference",
            TrapCode::NullFunctionReference => "null function reference",
            TrapCode::NullExceptionReference => "null exception reference",
            TrapCode::NullStructReference => "null structure reference",
            TrapCode::NullArrayReference => "null array reference",
            TrapCode::NullI31Reference => "null i31 reference",
            TrapCode::ArrayOutOfBounds => "out of bounds array access",
            TrapCode::CastFailure => "cast failure",
            TrapCode::GcHeapExhausted => "GC heap exhausted: allocation over the store's limit",
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for TrapCode {}
