//! Scalar numeric instructions: `i32`/`i64`/`f32`/`f64` arithmetic,
//! comparisons, bit operations, conversions and reinterpretations.
//!
//! Values arrive widened in a `u64` slot: `i32` and `f32` (as bits) in the
//! low half, whose high half is ignored on input and zero on output.
//! Spec: <https://webassembly.github.io/spec/core/exec/numerics.html>.

use nanowasm_core::Opcode;

use crate::trap::TrapCode;

#[inline]
fn f32_of(x: u64) -> f32 {
    f32::from_bits(x as u32)
}

#[inline]
fn f64_of(x: u64) -> f64 {
    f64::from_bits(x)
}

#[inline]
fn from_f32(x: f32) -> u64 {
    u64::from(x.to_bits())
}

#[inline]
fn from_f64(x: f64) -> u64 {
    x.to_bits()
}

#[inline]
fn b(x: bool) -> u64 {
    u64::from(x)
}

macro_rules! float_minmax {
    ($min:ident, $max:ident, $t:ty) => {
        /// Wasm `min`: NaN if either operand is NaN; -0 is less than +0.
        #[inline]
        pub(crate) fn $min(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                return a + b;
            }
            if a == b {
                // Equal, possibly zeros of different signs: -0 wins.
                return <$t>::from_bits(a.to_bits() | b.to_bits());
            }
            if a < b {
                a
            } else {
                b
            }
        }

        /// Wasm `max`: NaN if either operand is NaN; +0 is greater than -0.
        #[inline]
        pub(crate) fn $max(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                return a + b;
            }
            if a == b {
                return <$t>::from_bits(a.to_bits() & b.to_bits());
            }
            if a > b {
                a
            } else {
                b
            }
        }
    };
}

float_minmax!(f32_min, f32_max, f32);
float_minmax!(f64_min, f64_max, f64);

/// Quiets a NaN (sets the quiet bit): the rounding instructions must
/// return an arithmetic NaN even for a signaling NaN input, which Rust's
/// `ceil`/`floor`/`trunc`/`round_ties_even` pass through unchanged.
#[inline]
pub(crate) fn quiet32(x: f32) -> f32 {
    if x.is_nan() {
        f32::from_bits(x.to_bits() | 0x0040_0000)
    } else {
        x
    }
}

/// See [`quiet32`].
#[inline]
pub(crate) fn quiet64(x: f64) -> f64 {
    if x.is_nan() {
        f64::from_bits(x.to_bits() | 0x0008_0000_0000_0000)
    } else {
        x
    }
}

/// `f32.ceil`.
#[inline]
pub(crate) fn f32_ceil(x: f32) -> f32 {
    quiet32(crate::float::ceil32(x))
}

/// `f32.floor`.
#[inline]
pub(crate) fn f32_floor(x: f32) -> f32 {
    quiet32(crate::float::floor32(x))
}

/// `f32.trunc`.
#[inline]
pub(crate) fn f32_trunc(x: f32) -> f32 {
    quiet32(crate::float::trunc32(x))
}

/// `f64.ceil`.
#[inline]
pub(crate) fn f64_ceil(x: f64) -> f64 {
    quiet64(crate::float::ceil64(x))
}

/// `f64.floor`.
#[inline]
pub(crate) fn f64_floor(x: f64) -> f64 {
    quiet64(crate::float::floor64(x))
}

/// `f64.trunc`.
#[inline]
pub(crate) fn f64_trunc(x: f64) -> f64 {
    quiet64(crate::float::trunc64(x))
}

/// Round to nearest, ties to even.
#[inline]
pub(crate) fn f32_nearest(x: f32) -> f32 {
    quiet32(crate::float::nearest32(x))
}

/// Round to nearest, ties to even.
#[inline]
pub(crate) fn f64_nearest(x: f64) -> f64 {
    quiet64(crate::float::nearest64(x))
}

macro_rules! trunc {
    ($name:ident, $f:ty, $i:ty, $lo:expr, $hi:expr) => {
        /// Trapping float-to-integer conversion: NaN is an invalid
        /// conversion; a value outside the integer's range overflows.
        /// `$lo < x < $hi` is the exact acceptance interval.
        #[inline]
        pub(crate) fn $name(x: $f) -> Result<$i, TrapCode> {
            if x.is_nan() {
                return Err(TrapCode::BadConversionToInteger);
            }
            if !(x > $lo && x < $hi) {
                return Err(TrapCode::IntegerOverflow);
            }
            Ok(x as $i)
        }
    };
}

// The bounds are the first values (exclusive) that do not fit after
// truncation toward zero, all exactly representable.
trunc!(i32_trunc_f32_s, f32, i32, -2147483904.0f32, 2147483648.0f32);
trunc!(i32_trunc_f32_u, f32, u32, -1.0f32, 4294967296.0f32);
trunc!(i32_trunc_f64_s, f64, i32, -2147483649.0f64, 2147483648.0f64);
trunc!(i32_trunc_f64_u, f64, u32, -1.0f64, 4294967296.0f64);
trunc!(
    i64_trunc_f32_s,
    f32,
    i64,
    -9223373136366403584.0f32,
    9223372036854775808.0f32
);
trunc!(
    i64_trunc_f32_u,
    f32,
    u64,
    -1.0f32,
    18446744073709551616.0f32
);
trunc!(
    i64_trunc_f64_s,
    f64,
    i64,
    -9223372036854777856.0f64,
    9223372036854775808.0f64
);
trunc!(
    i64_trunc_f64_u,
    f64,
    u64,
    -1.0f64,
    18446744073709551616.0f64
);

/// Whether `op` is a scalar numeric instruction handled by [`unary`] or
/// [`binary`].
#[cfg(test)]
pub(crate) fn is_num_op(op: Opcode) -> bool {
    match *op.sig() {
        nanowasm_core::Sig::Fixed(params, results) => {
            op.imm() == nanowasm_core::ImmKind::None
                && !params.is_empty()
                && params.iter().chain(results).all(|t| t.is_num())
        }
        _ => false,
    }
}

/// `[t] -> [t']` instructions.
#[inline(always)]
pub(crate) fn unary(op: Opcode, x: u64) -> Result<u64, TrapCode> {
    use Opcode as O;
    let x32 = x as u32;
    Ok(match op {
        O::I32Eqz => b(x32 == 0),
        O::I64Eqz => b(x == 0),
        O::I32Clz => u64::from(x32.leading_zeros()),
        O::I32Ctz => u64::from(x32.trailing_zeros()),
        O::I32Popcnt => u64::from(x32.count_ones()),
        O::I64Clz => u64::from(x.leading_zeros()),
        O::I64Ctz => u64::from(x.trailing_zeros()),
        O::I64Popcnt => u64::from(x.count_ones()),
        O::F32Abs => u64::from(x32 & 0x7fff_ffff),
        O::F32Neg => u64::from(x32 ^ 0x8000_0000),
        O::F32Ceil => from_f32(f32_ceil(f32_of(x))),
        O::F32Floor => from_f32(f32_floor(f32_of(x))),
        O::F32Trunc => from_f32(f32_trunc(f32_of(x))),
        O::F32Nearest => from_f32(f32_nearest(f32_of(x))),
        O::F32Sqrt => from_f32(crate::float::sqrt32(f32_of(x))),
        O::F64Abs => x & 0x7fff_ffff_ffff_ffff,
        O::F64Neg => x ^ 0x8000_0000_0000_0000,
        O::F64Ceil => from_f64(f64_ceil(f64_of(x))),
        O::F64Floor => from_f64(f64_floor(f64_of(x))),
        O::F64Trunc => from_f64(f64_trunc(f64_of(x))),
        O::F64Nearest => from_f64(f64_nearest(f64_of(x))),
        O::F64Sqrt => from_f64(crate::float::sqrt64(f64_of(x))),
        O::I32WrapI64 => u64::from(x32),
        O::I32TruncF32S => u64::from(i32_trunc_f32_s(f32_of(x))? as u32),
        O::I32TruncF32U => u64::from(i32_trunc_f32_u(f32_of(x))?),
        O::I32TruncF64S => u64::from(i32_trunc_f64_s(f64_of(x))? as u32),
        O::I32TruncF64U => u64::from(i32_trunc_f64_u(f64_of(x))?),
        O::I64ExtendI32S => x32 as i32 as i64 as u64,
        O::I64ExtendI32U => u64::from(x32),
        O::I64TruncF32S => i64_trunc_f32_s(f32_of(x))? as u64,
        O::I64TruncF32U => i64_trunc_f32_u(f32_of(x))?,
        O::I64TruncF64S => i64_trunc_f64_s(f64_of(x))? as u64,
        O::I64TruncF64U => i64_trunc_f64_u(f64_of(x))?,
        O::F32ConvertI32S => from_f32(x32 as i32 as f32),
        O::F32ConvertI32U => from_f32(x32 as f32),
        O::F32ConvertI64S => from_f32(x as i64 as f32),
        O::F32ConvertI64U => from_f32(x as f32),
        O::F32DemoteF64 => from_f32(f64_of(x) as f32),
        O::F64ConvertI32S => from_f64(f64::from(x32 as i32)),
        O::F64ConvertI32U => from_f64(f64::from(x32)),
        O::F64ConvertI64S => from_f64(x as i64 as f64),
        O::F64ConvertI64U => from_f64(x as f64),
        O::F64PromoteF32 => from_f64(f64::from(f32_of(x))),
        O::I32ReinterpretF32 | O::F32ReinterpretI32 => u64::from(x32),
        O::I64ReinterpretF64 | O::F64ReinterpretI64 => x,
        O::I32Extend8S => u64::from(x32 as i8 as i32 as u32),
        O::I32Extend16S => u64::from(x32 as i16 as i32 as u32),
        O::I64Extend8S => x as i8 as i64 as u64,
        O::I64Extend16S => x as i16 as i64 as u64,
        O::I64Extend32S => x as i32 as i64 as u64,
        // Saturating conversions: Rust's `as` saturates and maps NaN to 0.
        O::I32TruncSatF32S => u64::from(f32_of(x) as i32 as u32),
        O::I32TruncSatF32U => u64::from(f32_of(x) as u32),
        O::I32TruncSatF64S => u64::from(f64_of(x) as i32 as u32),
        O::I32TruncSatF64U => u64::from(f64_of(x) as u32),
        O::I64TruncSatF32S => f32_of(x) as i64 as u64,
        O::I64TruncSatF32U => f32_of(x) as u64,
        O::I64TruncSatF64S => f64_of(x) as i64 as u64,
        O::I64TruncSatF64U => f64_of(x) as u64,
        _ => {
            debug_assert!(false, "{} is not a unary numeric instruction", op.name());
            0
        }
    })
}

/// `[t t] -> [t']` instructions.
#[inline(always)]
pub(crate) fn binary(op: Opcode, a: u64, bb: u64) -> Result<u64, TrapCode> {
    use Opcode as O;
    let (a32, b32) = (a as u32, bb as u32);
    let (s32a, s32b) = (a32 as i32, b32 as i32);
    let (s64a, s64b) = (a as i64, bb as i64);
    Ok(match op {
        O::I32Eq => b(a32 == b32),
        O::I32Ne => b(a32 != b32),
        O::I32LtS => b(s32a < s32b),
        O::I32LtU => b(a32 < b32),
        O::I32GtS => b(s32a > s32b),
        O::I32GtU => b(a32 > b32),
        O::I32LeS => b(s32a <= s32b),
        O::I32LeU => b(a32 <= b32),
        O::I32GeS => b(s32a >= s32b),
        O::I32GeU => b(a32 >= b32),
        O::I64Eq => b(a == bb),
        O::I64Ne => b(a != bb),
        O::I64LtS => b(s64a < s64b),
        O::I64LtU => b(a < bb),
        O::I64GtS => b(s64a > s64b),
        O::I64GtU => b(a > bb),
        O::I64LeS => b(s64a <= s64b),
        O::I64LeU => b(a <= bb),
        O::I64GeS => b(s64a >= s64b),
        O::I64GeU => b(a >= bb),
        O::F32Eq => b(f32_of(a) == f32_of(bb)),
        O::F32Ne => b(f32_of(a) != f32_of(bb)),
        O::F32Lt => b(f32_of(a) < f32_of(bb)),
        O::F32Gt => b(f32_of(a) > f32_of(bb)),
        O::F32Le => b(f32_of(a) <= f32_of(bb)),
        O::F32Ge => b(f32_of(a) >= f32_of(bb)),
        O::F64Eq => b(f64_of(a) == f64_of(bb)),
        O::F64Ne => b(f64_of(a) != f64_of(bb)),
        O::F64Lt => b(f64_of(a) < f64_of(bb)),
        O::F64Gt => b(f64_of(a) > f64_of(bb)),
        O::F64Le => b(f64_of(a) <= f64_of(bb)),
        O::F64Ge => b(f64_of(a) >= f64_of(bb)),
        O::I32Add => u64::from(a32.wrapping_add(b32)),
        O::I32Sub => u64::from(a32.wrapping_sub(b32)),
        O::I32Mul => u64::from(a32.wrapping_mul(b32)),
        O::I32DivS => {
            if b32 == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            if s32a == i32::MIN && s32b == -1 {
                return Err(TrapCode::IntegerOverflow);
            }
            u64::from((s32a / s32b) as u32)
        }
        O::I32DivU => u64::from(
            a32.checked_div(b32)
                .ok_or(TrapCode::IntegerDivisionByZero)?,
        ),
        O::I32RemS => {
            if b32 == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            u64::from(s32a.wrapping_rem(s32b) as u32)
        }
        O::I32RemU => u64::from(
            a32.checked_rem(b32)
                .ok_or(TrapCode::IntegerDivisionByZero)?,
        ),
        O::I32And => u64::from(a32 & b32),
        O::I32Or => u64::from(a32 | b32),
        O::I32Xor => u64::from(a32 ^ b32),
        O::I32Shl => u64::from(a32.wrapping_shl(b32)),
        O::I32ShrS => u64::from(s32a.wrapping_shr(b32) as u32),
        O::I32ShrU => u64::from(a32.wrapping_shr(b32)),
        O::I32Rotl => u64::from(a32.rotate_left(b32 % 32)),
        O::I32Rotr => u64::from(a32.rotate_right(b32 % 32)),
        O::I64Add => a.wrapping_add(bb),
        O::I64Sub => a.wrapping_sub(bb),
        O::I64Mul => a.wrapping_mul(bb),
        O::I64DivS => {
            if bb == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            if s64a == i64::MIN && s64b == -1 {
                return Err(TrapCode::IntegerOverflow);
            }
            (s64a / s64b) as u64
        }
        O::I64DivU => a.checked_div(bb).ok_or(TrapCode::IntegerDivisionByZero)?,
        O::I64RemS => {
            if bb == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            s64a.wrapping_rem(s64b) as u64
        }
        O::I64RemU => a.checked_rem(bb).ok_or(TrapCode::IntegerDivisionByZero)?,
        O::I64And => a & bb,
        O::I64Or => a | bb,
        O::I64Xor => a ^ bb,
        O::I64Shl => a.wrapping_shl(bb as u32),
        O::I64ShrS => s64a.wrapping_shr(bb as u32) as u64,
        O::I64ShrU => a.wrapping_shr(bb as u32),
        O::I64Rotl => a.rotate_left((bb % 64) as u32),
        O::I64Rotr => a.rotate_right((bb % 64) as u32),
        O::F32Add => from_f32(f32_of(a) + f32_of(bb)),
        O::F32Sub => from_f32(f32_of(a) - f32_of(bb)),
        O::F32Mul => from_f32(f32_of(a) * f32_of(bb)),
        O::F32Div => from_f32(f32_of(a) / f32_of(bb)),
        O::F32Min => from_f32(f32_min(f32_of(a), f32_of(bb))),
        O::F32Max => from_f32(f32_max(f32_of(a), f32_of(bb))),
        O::F32Copysign => u64::from((a32 & 0x7fff_ffff) | (b32 & 0x8000_0000)),
        O::F64Add => from_f64(f64_of(a) + f64_of(bb)),
        O::F64Sub => from_f64(f64_of(a) - f64_of(bb)),
        O::F64Mul => from_f64(f64_of(a) * f64_of(bb)),
        O::F64Div => from_f64(f64_of(a) / f64_of(bb)),
        O::F64Min => from_f64(f64_min(f64_of(a), f64_of(bb))),
        O::F64Max => from_f64(f64_max(f64_of(a), f64_of(bb))),
        O::F64Copysign => (a & 0x7fff_ffff_ffff_ffff) | (bb & 0x8000_0000_0000_0000),
        _ => {
            debug_assert!(false, "{} is not a binary numeric instruction", op.name());
            0
        }
    })
}

#[cfg(test)]
mod tests;
