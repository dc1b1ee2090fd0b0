//! Internal crate of nanowasm; not a stable API.
#![forbid(unsafe_code)]
