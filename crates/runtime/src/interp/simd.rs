//! SIMD instructions.
