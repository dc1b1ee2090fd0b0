//! Scalar numeric instructions.
