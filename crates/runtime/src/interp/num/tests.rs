use super::*;
use nanowasm_core::Opcode as O;

#[test]
fn every_numeric_opcode_is_handled() {
    // Run each op on a few inputs in a debug build: the fallback arm
    // would hit its debug assertion.
    for &op in O::ALL.iter().filter(|&&op| is_num_op(op)) {
        let n = match *op.sig() {
            nanowasm_core::Sig::Fixed(p, _) => p.len(),
            _ => unreachable!(),
        };
        for x in [0u64, 1, 0x8000_0000, 0x3f80_0000, 0x4000_0000_0000_0000] {
            let _ = if n == 1 {
                unary(op, x)
            } else {
                binary(op, x, x | 1)
            };
        }
    }
    // 123 MVP numeric opcodes (0x45..=0xbf), 5 sign-extension, 8 saturating.
    assert_eq!(
        O::ALL.iter().filter(|&&op| is_num_op(op)).count(),
        123 + 5 + 8
    );
}

#[test]
fn integer_division() {
    assert_eq!(
        binary(O::I32DivS, 7, (-2i32) as u32 as u64),
        Ok((-3i32) as u32 as u64)
    );
    assert_eq!(
        binary(O::I32DivS, i32::MIN as u32 as u64, u64::from(u32::MAX)),
        Err(TrapCode::IntegerOverflow)
    );
    assert_eq!(
        binary(O::I32RemS, i32::MIN as u32 as u64, u64::from(u32::MAX)),
        Ok(0)
    );
    assert_eq!(
        binary(O::I32DivU, 1, 0),
        Err(TrapCode::IntegerDivisionByZero)
    );
    assert_eq!(
        binary(O::I64RemS, 1, 0),
        Err(TrapCode::IntegerDivisionByZero)
    );
    assert_eq!(
        binary(O::I64DivS, i64::MIN as u64, u64::MAX),
        Err(TrapCode::IntegerOverflow)
    );
    assert_eq!(binary(O::I64RemS, i64::MIN as u64, u64::MAX), Ok(0));
}

#[test]
fn shifts_and_rotates_wrap_the_count() {
    assert_eq!(binary(O::I32Shl, 1, 33), Ok(2));
    assert_eq!(binary(O::I32ShrS, 0x8000_0000, 63), Ok(0xffff_ffff));
    assert_eq!(binary(O::I64Rotl, 1, 65), Ok(2));
    assert_eq!(binary(O::I32Rotr, 1, 1), Ok(0x8000_0000));
    assert_eq!(unary(O::I32Clz, 0), Ok(32));
    assert_eq!(unary(O::I64Ctz, 0), Ok(64));
    assert_eq!(
        unary(O::I32Popcnt, 0xffff_ffff_0000_0001),
        Ok(1),
        "high half ignored"
    );
}

#[test]
fn float_min_max_zero_and_nan() {
    assert_eq!(f32_min(-0.0, 0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(f32_min(0.0, -0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(f64_max(-0.0, 0.0).to_bits(), 0.0f64.to_bits());
    assert!(f32_min(f32::NAN, 1.0).is_nan());
    assert!(f64_max(1.0, f64::NAN).is_nan());
    assert_eq!(f64_min(1.0, 2.0), 1.0);
    assert_eq!(f32_nearest(2.5), 2.0);
    assert_eq!(f32_nearest(-3.5), -4.0);
    assert_eq!(f64_nearest(-0.5).to_bits(), (-0.0f64).to_bits());
}

#[test]
fn trapping_truncation_boundaries() {
    assert_eq!(i32_trunc_f32_s(-2147483648.0), Ok(i32::MIN));
    assert_eq!(
        i32_trunc_f32_s(2147483648.0),
        Err(TrapCode::IntegerOverflow)
    );
    assert_eq!(
        i32_trunc_f32_s(f32::NAN),
        Err(TrapCode::BadConversionToInteger)
    );
    assert_eq!(i32_trunc_f64_s(-2147483648.9), Ok(i32::MIN));
    assert_eq!(
        i32_trunc_f64_s(-2147483649.0),
        Err(TrapCode::IntegerOverflow)
    );
    assert_eq!(i32_trunc_f64_s(2147483647.9), Ok(i32::MAX));
    assert_eq!(i32_trunc_f32_u(-0.9), Ok(0));
    assert_eq!(i32_trunc_f32_u(-1.0), Err(TrapCode::IntegerOverflow));
    assert_eq!(i32_trunc_f64_u(4294967295.9), Ok(u32::MAX));
    assert_eq!(
        i32_trunc_f64_u(4294967296.0),
        Err(TrapCode::IntegerOverflow)
    );
    assert_eq!(i64_trunc_f32_s(-9223372036854775808.0), Ok(i64::MIN));
    assert_eq!(
        i64_trunc_f32_s(9223372036854775808.0),
        Err(TrapCode::IntegerOverflow)
    );
    assert_eq!(i64_trunc_f64_s(-9223372036854775808.0), Ok(i64::MIN));
    assert_eq!(
        i64_trunc_f64_u(18446744073709549568.0),
        Ok(18446744073709549568)
    );
    assert_eq!(
        i64_trunc_f64_u(18446744073709551616.0),
        Err(TrapCode::IntegerOverflow)
    );
    assert_eq!(i64_trunc_f32_u(-0.9), Ok(0));
    assert_eq!(
        i64_trunc_f64_u(f64::INFINITY),
        Err(TrapCode::IntegerOverflow)
    );
}

#[test]
fn saturating_truncation() {
    assert_eq!(
        unary(O::I32TruncSatF32S, u64::from(f32::NAN.to_bits())),
        Ok(0)
    );
    assert_eq!(
        unary(O::I32TruncSatF32S, u64::from(1e10f32.to_bits())),
        Ok(u64::from(i32::MAX as u32))
    );
    assert_eq!(unary(O::I32TruncSatF64U, (-5.0f64).to_bits()), Ok(0));
    assert_eq!(
        unary(O::I64TruncSatF64S, f64::NEG_INFINITY.to_bits()),
        Ok(i64::MIN as u64)
    );
}

#[test]
fn bit_operations_keep_nan_payloads() {
    let nan = 0x7fa0_0001u64;
    assert_eq!(unary(O::F32Neg, nan), Ok(0xffa0_0001));
    assert_eq!(unary(O::F32Abs, 0xffa0_0001), Ok(nan));
    assert_eq!(binary(O::F32Copysign, nan, 0x8000_0000), Ok(0xffa0_0001));
    assert_eq!(unary(O::I64ExtendI32S, 0xffff_ffff), Ok(u64::MAX));
    assert_eq!(unary(O::I32WrapI64, 0x1_0000_0002), Ok(2));
    assert_eq!(
        unary(O::F32ConvertI64U, u64::MAX),
        Ok(u64::from(18446744073709551616.0f32.to_bits()))
    );
}
