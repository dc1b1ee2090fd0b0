//! The float operations that `core` lacks: rounding to an integer and the
//! square root. With `std` they are the standard library's (compiler
//! intrinsics); without it (`nanowasm_portable`, see `build.rs`), `libm`'s, which are exact too (these five are
//! correctly rounded by definition, so both give the same bits; NaNs are
//! quieted by the callers either way).

macro_rules! float_ops {
    ($($name:ident: $ty:ty => $method:ident, $libm:ident;)*) => {$(
        #[inline]
        pub(crate) fn $name(x: $ty) -> $ty {
            #[cfg(not(nanowasm_portable))]
            return x.$method();
            #[cfg(nanowasm_portable)]
            return libm::$libm(x);
        }
    )*};
}

float_ops! {
    ceil32: f32 => ceil, ceilf;
    floor32: f32 => floor, floorf;
    trunc32: f32 => trunc, truncf;
    nearest32: f32 => round_ties_even, rintf;
    sqrt32: f32 => sqrt, sqrtf;
    ceil64: f64 => ceil, ceil;
    floor64: f64 => floor, floor;
    trunc64: f64 => trunc, trunc;
    nearest64: f64 => round_ties_even, rint;
    sqrt64: f64 => sqrt, sqrt;
}
