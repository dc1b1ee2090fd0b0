//! Stand-ins for the `tracing` macros, for builds without the `tracing`
//! feature (the small build).
//!
//! The crate root declares `extern crate self as tracing` when the feature
//! is off, so `tracing::debug!(...)` anywhere in the crate resolves to the
//! macros here, and call sites need no `cfg`. Each macro expands to dead
//! code (`if false { ... }`) that still borrows every field value and
//! formats the message, so the call sites type-check the same way, no
//! variable becomes unused, and the optimizer removes it all.
//!
//! Field syntax accepted: `name = value`, `name = %value`, `name = ?value`,
//! `%name`, `?name`, `name`, then an optional format string and arguments:
//! the forms this crate uses. Anything else is a compile error in the build
//! without `tracing`, which CI builds.

/// The level argument of [`enabled!`]; only `DEBUG` is used.
pub(crate) struct Level;

impl Level {
    pub(crate) const DEBUG: Level = Level;
}

/// The clock of log events, which are never recorded: it is never read.
pub(crate) struct Instant;

impl Instant {
    pub(crate) fn now() -> Instant {
        Instant
    }

    pub(crate) fn elapsed(&self) -> core::time::Duration {
        core::time::Duration::ZERO
    }
}

/// Whether events at a level would be recorded: never.
macro_rules! enabled {
    ($level:expr) => {{
        let _: $crate::Level = $level;
        false
    }};
}

/// An event at `debug`: not recorded.
macro_rules! debug {
    ($($fields:tt)*) => {
        if false {
            $crate::no_tracing_fields!(@next [] $($fields)*);
        }
    };
}

/// An event at `trace`: not recorded.
macro_rules! trace {
    ($($fields:tt)*) => {
        if false {
            $crate::no_tracing_fields!(@next [] $($fields)*);
        }
    };
}

/// Splits a field list at its commas and uses each field.
macro_rules! no_tracing_fields {
    // The message: a format string and its arguments, the last item.
    (@next [] $message:literal $($args:tt)*) => {
        let _ = ::core::format_args!($message $($args)*);
    };
    // A comma ends a field.
    (@next [$($field:tt)+] , $($rest:tt)*) => {
        $crate::no_tracing_fields!(@use $($field)+);
        $crate::no_tracing_fields!(@next [] $($rest)*);
    };
    (@next [$($field:tt)*] $token:tt $($rest:tt)*) => {
        $crate::no_tracing_fields!(@next [$($field)* $token] $($rest)*);
    };
    (@next [$($field:tt)+]) => {
        $crate::no_tracing_fields!(@use $($field)+);
    };
    (@next []) => {};
    (@use $name:ident = % $($value:tt)+) => {
        let _ = &($($value)+);
    };
    (@use $name:ident = ? $($value:tt)+) => {
        let _ = &($($value)+);
    };
    (@use $name:ident = $($value:tt)+) => {
        let _ = &($($value)+);
    };
    (@use % $name:ident) => {
        let _ = &$name;
    };
    (@use ? $name:ident) => {
        let _ = &$name;
    };
    (@use $name:ident) => {
        let _ = &$name;
    };
}

pub(crate) use {debug, enabled, no_tracing_fields, trace};
