use super::*;
use crate::prelude::*;
use nanowasm_core::{Feature, Opcode as O};

#[test]
fn every_simd_opcode_is_classified_and_handled() {
    let mut executor_ops = Vec::new();
    for &op in O::ALL
        .iter()
        .filter(|o| matches!(o.feature(), Feature::Simd | Feature::RelaxedSimd))
    {
        let v = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
        let op = deterministic(op);
        match class(op) {
            Some(SimdClass::Unary) => {
                unary(op, v);
            }
            Some(SimdClass::Binary) => {
                binary(op, v, !v);
            }
            Some(SimdClass::Ternary) => {
                ternary(op, v, !v, v >> 3);
            }
            Some(SimdClass::Test) => {
                test(op, v);
            }
            Some(SimdClass::Shift) => {
                shift(op, v, 3);
            }
            Some(SimdClass::Splat) => {
                splat(op, 7);
            }
            Some(SimdClass::ExtractLane) => {
                extract_lane(op, v, 1);
            }
            Some(SimdClass::ReplaceLane) => {
                replace_lane(op, v, 1, 9);
            }
            Some(SimdClass::Shuffle) => {
                shuffle(v, !v, [0; 16]);
            }
            Some(SimdClass::Load) => {
                load(op, 0x8081_8283_8485_8687);
            }
            None => executor_ops.push(op.name()),
        }
    }
    executor_ops.sort_unstable();
    assert_eq!(
        executor_ops,
        [
            "v128.const",
            "v128.load",
            "v128.load16_lane",
            "v128.load32_lane",
            "v128.load64_lane",
            "v128.load8_lane",
            "v128.store",
            "v128.store16_lane",
            "v128.store32_lane",
            "v128.store64_lane",
            "v128.store8_lane",
        ]
    );
}

fn i16x8(l: [i16; 8]) -> u128 {
    from_i16s(l)
}

#[test]
fn saturation_and_q15() {
    let a = i16x8([i16::MIN, i16::MAX, 300, -300, 0, 1, -1, 128]);
    let narrowed = u8s(binary(O::I8x16NarrowI16x8U, a, a));
    assert_eq!(&narrowed[..8], &[0, 255, 255, 0, 0, 1, 0, 128]);
    let q = i16s(binary(
        O::I16x8Q15MulrSatS,
        i16x8([i16::MIN; 8]),
        i16x8([i16::MIN; 8]),
    ));
    assert_eq!(q[0], i16::MAX);
    let s = i16s(binary(O::I16x8AddSatS, i16x8([i16::MAX; 8]), i16x8([1; 8])));
    assert_eq!(s[3], i16::MAX);
}

#[test]
fn float_lanes() {
    let a = from_f32s([f32::NAN, -0.0, 1.0, 2.5]);
    let b = from_f32s([1.0, 0.0, f32::NAN, 3.5]);
    let min = f32s(binary(O::F32x4Min, a, b));
    assert!(min[0].is_nan() && min[2].is_nan());
    assert_eq!(min[1].to_bits(), (-0.0f32).to_bits());
    let pmin = f32s(binary(O::F32x4PMin, a, b));
    assert!(pmin[0].is_nan(), "pmin(a, b) = b < a ? b : a keeps a NaN a");
    assert_eq!(pmin[2], 1.0, "and keeps a when b is NaN");
    assert_eq!(f32s(unary(O::F32x4Nearest, a))[3], 2.0);
    let t = i32s(unary(
        O::I32x4TruncSatF32x4S,
        from_f32s([f32::NAN, 1e20, -1e20, -1.5]),
    ));
    assert_eq!(t, [0, i32::MAX, i32::MIN, -1]);
}

#[test]
fn lanes_shifts_masks() {
    let v = from_u8s([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0x80]);
    assert_eq!(
        u8s(binary(
            O::I8x16Swizzle,
            v,
            from_u8s([15, 16, 255, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
        ))[..3],
        [0x80, 0, 0]
    );
    assert_eq!(test(O::I8x16Bitmask, v), 0x8000);
    assert_eq!(test(O::I8x16AllTrue, v), 0);
    assert_eq!(u8s(shift(O::I8x16Shl, v, 9))[1], 2, "count modulo 8");
    assert_eq!(extract_lane(O::I8x16ExtractLaneS, v, 15), 0xffff_ff80);
    assert_eq!(extract_lane(O::I8x16ExtractLaneU, v, 15), 0x80);
    let s = shuffle(v, !v, [31, 0, 16, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&u8s(s)[..4], &[0x7f, 0, 0xff, 1]);
    let d = i32s(binary(
        O::I32x4DotI16x8S,
        i16x8([1, 2, 3, 4, i16::MIN, i16::MIN, 0, 0]),
        i16x8([5, 6, 7, 8, i16::MIN, i16::MIN, 0, 0]),
    ));
    assert_eq!(d, [17, 53, i32::MIN, 0]);
    assert_eq!(
        i16s(load(O::V128Load8x8S, 0xff01)),
        [1, -1, 0, 0, 0, 0, 0, 0]
    );
}

/// Each relaxed instruction's fixed choice.
#[test]
fn relaxed_simd_choices() {
    let f32x4 = |x: f32| from_f32s([x; 4]);
    let f64x2 = |x: f64| from_f64s([x; 2]);
    // Multiply-add is not fused: FLT_MAX * 2 overflows before the add.
    let m = ternary(
        O::F32x4RelaxedMadd,
        f32x4(f32::MAX),
        f32x4(2.0),
        f32x4(-f32::MAX),
    );
    assert_eq!(f32s(m), [f32::INFINITY; 4]);
    let m = ternary(O::F64x2RelaxedNmadd, f64x2(3.0), f64x2(2.0), f64x2(1.0));
    assert_eq!(f64s(m), [-5.0; 2]);
    // Dot products: signed lanes, i16 pairs wrap.
    let a = from_i8s([-128; 16]);
    let d = binary(O::I16x8RelaxedDotI8x16I7x16S, a, a);
    assert_eq!(i16s(d), [i16::MIN; 8]);
    let b = from_i8s([-127; 16]);
    let d = ternary(
        O::I32x4RelaxedDotI8x16I7x16AddS,
        a,
        b,
        from_i32s([1, 2, 3, 4]),
    );
    assert_eq!(i32s(d), [65025, 65026, 65027, 65028]);
    // The others are their 2.0 counterparts.
    for (relaxed, counterpart) in [
        (O::I8x16RelaxedSwizzle, O::I8x16Swizzle),
        (O::I32x4RelaxedTruncF32x4S, O::I32x4TruncSatF32x4S),
        (O::I32x4RelaxedTruncF64x2UZero, O::I32x4TruncSatF64x2UZero),
        (O::I64x2RelaxedLaneselect, O::V128Bitselect),
        (O::F32x4RelaxedMin, O::F32x4Min),
        (O::F64x2RelaxedMax, O::F64x2Max),
        (O::I16x8RelaxedQ15mulrS, O::I16x8Q15MulrSatS),
    ] {
        assert_eq!(deterministic(relaxed), counterpart);
    }
    assert_eq!(deterministic(O::F32x4RelaxedMadd), O::F32x4RelaxedMadd);
    assert_eq!(deterministic(O::I32x4Add), O::I32x4Add);
}
