//! 128-bit SIMD instructions, as pure functions on `u128` values.
//!
//! Lane `i` of a vector is bits `[i*w, (i+1)*w)` (little-endian, as in
//! memory). Scalars arrive widened in a `u64` (`i32`/`f32` in the low
//! half). Spec: <https://webassembly.github.io/spec/core/exec/numerics.html>.

use nanowasm_core::{Opcode, Sig, ValType};

use super::num::{
    f32_ceil, f32_floor, f32_max, f32_min, f32_nearest, f32_trunc, f64_ceil, f64_floor, f64_max,
    f64_min, f64_nearest, f64_trunc,
};

/// How the interpreter calls an instruction (which function below).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SimdClass {
    /// [`unary`].
    Unary,
    /// [`binary`].
    Binary,
    /// [`ternary`].
    Ternary,
    /// [`test`].
    Test,
    /// [`shift`].
    Shift,
    /// [`splat`].
    Splat,
    /// [`extract_lane`].
    ExtractLane,
    /// [`replace_lane`].
    ReplaceLane,
    /// [`shuffle`].
    Shuffle,
    /// [`load`].
    Load,
}

/// The class of a SIMD opcode, or `None` for the ones the executor does
/// itself (`v128.load`, `v128.store`, `v128.const`, lane loads/stores).
pub(crate) fn class(op: Opcode) -> Option<SimdClass> {
    class_of(op, op.sig())
}

/// [`class`] from the opcode's typing rule (usable in constants).
pub(crate) const fn class_of(op: Opcode, sig: &Sig) -> Option<SimdClass> {
    use ValType::V128;
    if matches!(op, Opcode::I8x16Shuffle) {
        return Some(SimdClass::Shuffle);
    }
    match *sig {
        Sig::Lane(_, params, _) => Some(if params.len() == 1 {
            SimdClass::ExtractLane
        } else {
            SimdClass::ReplaceLane
        }),
        Sig::Load(V128, _) if !matches!(op, Opcode::V128Load) => Some(SimdClass::Load),
        Sig::Fixed(params, results) => Some(match (params, results) {
            ([V128], [V128]) => SimdClass::Unary,
            ([V128, V128], [V128]) => SimdClass::Binary,
            ([V128, V128, V128], [V128]) => SimdClass::Ternary,
            ([V128], [ValType::I32]) => SimdClass::Test,
            ([V128, ValType::I32], [V128]) => SimdClass::Shift,
            ([_], [V128]) => SimdClass::Splat,
            _ => return None,
        }),
        _ => None,
    }
}

// Lane views.

macro_rules! lanes {
    ($to:ident, $from:ident, $t:ty, $n:literal) => {
        #[inline]
        fn $to(v: u128) -> [$t; $n] {
            let bytes = v.to_le_bytes();
            let mut out = [0 as $t; $n];
            const W: usize = 16 / $n;
            for (i, o) in out.iter_mut().enumerate() {
                let mut b = [0u8; W];
                b.copy_from_slice(&bytes[i * W..(i + 1) * W]);
                *o = <$t>::from_le_bytes(b);
            }
            out
        }

        #[inline]
        fn $from(lanes: [$t; $n]) -> u128 {
            let mut bytes = [0u8; 16];
            const W: usize = 16 / $n;
            for (i, l) in lanes.iter().enumerate() {
                bytes[i * W..(i + 1) * W].copy_from_slice(&l.to_le_bytes());
            }
            u128::from_le_bytes(bytes)
        }
    };
}

lanes!(i8s, from_i8s, i8, 16);
lanes!(u8s, from_u8s, u8, 16);
lanes!(i16s, from_i16s, i16, 8);
lanes!(u16s, from_u16s, u16, 8);
lanes!(i32s, from_i32s, i32, 4);
lanes!(u32s, from_u32s, u32, 4);
lanes!(i64s, from_i64s, i64, 2);
lanes!(u64s, from_u64s, u64, 2);
lanes!(f32s, from_f32s, f32, 4);
lanes!(f64s, from_f64s, f64, 2);

macro_rules! map {
    ($v:expr, $to:ident, $from:ident, |$x:ident| $e:expr) => {{
        let mut l = $to($v);
        for $x in l.iter_mut() {
            *$x = {
                let $x = *$x;
                $e
            };
        }
        $from(l)
    }};
}

macro_rules! zip {
    ($a:expr, $b:expr, $to:ident, $from:ident, |$x:ident, $y:ident| $e:expr) => {{
        let mut l = $to($a);
        let r = $to($b);
        for (o, &$y) in l.iter_mut().zip(r.iter()) {
            let $x = *o;
            *o = $e;
        }
        $from(l)
    }};
}

/// Lane-wise `|x, y, z| e` of three vectors viewed with `$to`.
macro_rules! zip3 {
    ($a:expr, $b:expr, $c:expr, $to:ident, $from:ident, |$x:ident, $y:ident, $z:ident| $e:expr) => {{
        let mut l = $to($a);
        let (m, r) = ($to($b), $to($c));
        for ((o, &$y), &$z) in l.iter_mut().zip(m.iter()).zip(r.iter()) {
            let $x = *o;
            *o = $e;
        }
        $from(l)
    }};
}

/// A comparison result lane: all ones or all zeros.
macro_rules! cmp {
    ($a:expr, $b:expr, $to:ident, $uto:ident, $ufrom:ident, $ut:ty, |$x:ident, $y:ident| $e:expr) => {{
        let l = $to($a);
        let r = $to($b);
        let mut out = $uto(0);
        for i in 0..out.len() {
            let ($x, $y) = (l[i], r[i]);
            out[i] = if $e { <$ut>::MAX } else { 0 };
        }
        $ufrom(out)
    }};
}

#[inline]
fn sat_i8(x: i32) -> i8 {
    x.clamp(i8::MIN.into(), i8::MAX.into()) as i8
}

#[inline]
fn sat_u8(x: i32) -> u8 {
    x.clamp(0, u8::MAX.into()) as u8
}

#[inline]
fn sat_i16(x: i32) -> i16 {
    x.clamp(i16::MIN.into(), i16::MAX.into()) as i16
}

#[inline]
fn sat_u16(x: i32) -> u16 {
    x.clamp(0, u16::MAX.into()) as u16
}

/// Extends the low (`high == false`) or high half of the narrower lanes.
macro_rules! extend {
    ($v:expr, $high:expr, $nto:ident, $wide:ty, $wfrom:ident, $n:literal) => {{
        let l = $nto($v);
        let off = if $high { $n } else { 0 };
        let mut out = [0 as $wide; $n];
        for i in 0..$n {
            out[i] = <$wide>::from(l[off + i]);
        }
        $wfrom(out)
    }};
}

/// Multiplies the extended low or high halves lane-wise.
macro_rules! extmul {
    ($a:expr, $b:expr, $high:expr, $nto:ident, $wide:ty, $wfrom:ident, $n:literal) => {{
        let (l, r) = ($nto($a), $nto($b));
        let off = if $high { $n } else { 0 };
        let mut out = [0 as $wide; $n];
        for i in 0..$n {
            out[i] = <$wide>::from(l[off + i]).wrapping_mul(<$wide>::from(r[off + i]));
        }
        $wfrom(out)
    }};
}

/// Adds adjacent pairs of narrower lanes into wider lanes.
macro_rules! extadd {
    ($v:expr, $nto:ident, $wide:ty, $wfrom:ident, $n:literal) => {{
        let l = $nto($v);
        let mut out = [0 as $wide; $n];
        for i in 0..$n {
            out[i] = <$wide>::from(l[2 * i]).wrapping_add(<$wide>::from(l[2 * i + 1]));
        }
        $wfrom(out)
    }};
}

#[inline]
fn f32_pmin(a: f32, b: f32) -> f32 {
    if b < a {
        b
    } else {
        a
    }
}

#[inline]
fn f32_pmax(a: f32, b: f32) -> f32 {
    if a < b {
        b
    } else {
        a
    }
}

#[inline]
fn f64_pmin(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

#[inline]
fn f64_pmax(a: f64, b: f64) -> f64 {
    if a < b {
        b
    } else {
        a
    }
}

/// `[v128] -> [v128]` instructions.
#[inline(always)]
pub(crate) fn unary(op: Opcode, a: u128) -> u128 {
    use Opcode as O;
    match op {
        O::V128Not => !a,
        O::I8x16Abs => map!(a, i8s, from_i8s, |x| x.wrapping_abs()),
        O::I8x16Neg => map!(a, i8s, from_i8s, |x| x.wrapping_neg()),
        O::I8x16Popcnt => map!(a, u8s, from_u8s, |x| x.count_ones() as u8),
        O::I16x8Abs => map!(a, i16s, from_i16s, |x| x.wrapping_abs()),
        O::I16x8Neg => map!(a, i16s, from_i16s, |x| x.wrapping_neg()),
        O::I32x4Abs => map!(a, i32s, from_i32s, |x| x.wrapping_abs()),
        O::I32x4Neg => map!(a, i32s, from_i32s, |x| x.wrapping_neg()),
        O::I64x2Abs => map!(a, i64s, from_i64s, |x| x.wrapping_abs()),
        O::I64x2Neg => map!(a, i64s, from_i64s, |x| x.wrapping_neg()),
        O::I16x8ExtAddPairwiseI8x16S => extadd!(a, i8s, i16, from_i16s, 8),
        O::I16x8ExtAddPairwiseI8x16U => extadd!(a, u8s, u16, from_u16s, 8),
        O::I32x4ExtAddPairwiseI16x8S => extadd!(a, i16s, i32, from_i32s, 4),
        O::I32x4ExtAddPairwiseI16x8U => extadd!(a, u16s, u32, from_u32s, 4),
        O::I16x8ExtendLowI8x16S => extend!(a, false, i8s, i16, from_i16s, 8),
        O::I16x8ExtendHighI8x16S => extend!(a, true, i8s, i16, from_i16s, 8),
        O::I16x8ExtendLowI8x16U => extend!(a, false, u8s, u16, from_u16s, 8),
        O::I16x8ExtendHighI8x16U => extend!(a, true, u8s, u16, from_u16s, 8),
        O::I32x4ExtendLowI16x8S => extend!(a, false, i16s, i32, from_i32s, 4),
        O::I32x4ExtendHighI16x8S => extend!(a, true, i16s, i32, from_i32s, 4),
        O::I32x4ExtendLowI16x8U => extend!(a, false, u16s, u32, from_u32s, 4),
        O::I32x4ExtendHighI16x8U => extend!(a, true, u16s, u32, from_u32s, 4),
        O::I64x2ExtendLowI32x4S => extend!(a, false, i32s, i64, from_i64s, 2),
        O::I64x2ExtendHighI32x4S => extend!(a, true, i32s, i64, from_i64s, 2),
        O::I64x2ExtendLowI32x4U => extend!(a, false, u32s, u64, from_u64s, 2),
        O::I64x2ExtendHighI32x4U => extend!(a, true, u32s, u64, from_u64s, 2),
        O::I32x4TruncSatF32x4S => {
            let f = f32s(a);
            from_i32s([f[0] as i32, f[1] as i32, f[2] as i32, f[3] as i32])
        }
        O::I32x4TruncSatF32x4U => {
            let f = f32s(a);
            from_u32s([f[0] as u32, f[1] as u32, f[2] as u32, f[3] as u32])
        }
        O::I32x4TruncSatF64x2SZero => {
            let f = f64s(a);
            from_i32s([f[0] as i32, f[1] as i32, 0, 0])
        }
        O::I32x4TruncSatF64x2UZero => {
            let f = f64s(a);
            from_u32s([f[0] as u32, f[1] as u32, 0, 0])
        }
        O::F32x4Ceil => map!(a, f32s, from_f32s, |x| f32_ceil(x)),
        O::F32x4Floor => map!(a, f32s, from_f32s, |x| f32_floor(x)),
        O::F32x4Trunc => map!(a, f32s, from_f32s, |x| f32_trunc(x)),
        O::F32x4Nearest => map!(a, f32s, from_f32s, |x| f32_nearest(x)),
        O::F32x4Sqrt => map!(a, f32s, from_f32s, |x| crate::float::sqrt32(x)),
        O::F32x4Abs => map!(a, u32s, from_u32s, |x| x & 0x7fff_ffff),
        O::F32x4Neg => map!(a, u32s, from_u32s, |x| x ^ 0x8000_0000),
        O::F64x2Ceil => map!(a, f64s, from_f64s, |x| f64_ceil(x)),
        O::F64x2Floor => map!(a, f64s, from_f64s, |x| f64_floor(x)),
        O::F64x2Trunc => map!(a, f64s, from_f64s, |x| f64_trunc(x)),
        O::F64x2Nearest => map!(a, f64s, from_f64s, |x| f64_nearest(x)),
        O::F64x2Sqrt => map!(a, f64s, from_f64s, |x| crate::float::sqrt64(x)),
        O::F64x2Abs => map!(a, u64s, from_u64s, |x| x & 0x7fff_ffff_ffff_ffff),
        O::F64x2Neg => map!(a, u64s, from_u64s, |x| x ^ 0x8000_0000_0000_0000),
        O::F32x4ConvertI32x4S => {
            let i = i32s(a);
            from_f32s([i[0] as f32, i[1] as f32, i[2] as f32, i[3] as f32])
        }
        O::F32x4ConvertI32x4U => {
            let i = u32s(a);
            from_f32s([i[0] as f32, i[1] as f32, i[2] as f32, i[3] as f32])
        }
        O::F32x4DemoteF64x2Zero => {
            let f = f64s(a);
            from_f32s([f[0] as f32, f[1] as f32, 0.0, 0.0])
        }
        O::F64x2ConvertLowI32x4S => {
            let i = i32s(a);
            from_f64s([f64::from(i[0]), f64::from(i[1])])
        }
        O::F64x2ConvertLowI32x4U => {
            let i = u32s(a);
            from_f64s([f64::from(i[0]), f64::from(i[1])])
        }
        O::F64x2PromoteLowF32x4 => {
            let f = f32s(a);
            from_f64s([f64::from(f[0]), f64::from(f[1])])
        }
        _ => {
            debug_assert!(false, "{} is not a unary SIMD instruction", op.name());
            0
        }
    }
}

/// `[v128 v128] -> [v128]` instructions.
#[inline(always)]
pub(crate) fn binary(op: Opcode, a: u128, b: u128) -> u128 {
    use Opcode as O;
    match op {
        O::V128And => a & b,
        O::V128AndNot => a & !b,
        O::V128Or => a | b,
        O::V128Xor => a ^ b,
        O::I8x16Swizzle => {
            let (l, idx) = (u8s(a), u8s(b));
            from_u8s(idx.map(|i| if i < 16 { l[i as usize] } else { 0 }))
        }
        // i8x16
        O::I8x16Eq => cmp!(a, b, i8s, u8s, from_u8s, u8, |x, y| x == y),
        O::I8x16Ne => cmp!(a, b, i8s, u8s, from_u8s, u8, |x, y| x != y),
        O::I8x16LtS => cmp!(a, b, i8s, u8s, from_u8s, u8, |x, y| x < y),
        O::I8x16LtU => cmp!(a, b, u8s, u8s, from_u8s, u8, |x, y| x < y),
        O::I8x16GtS => cmp!(a, b, i8s, u8s, from_u8s, u8, |x, y| x > y),
        O::I8x16GtU => cmp!(a, b, u8s, u8s, from_u8s, u8, |x, y| x > y),
        O::I8x16LeS => cmp!(a, b, i8s, u8s, from_u8s, u8, |x, y| x <= y),
        O::I8x16LeU => cmp!(a, b, u8s, u8s, from_u8s, u8, |x, y| x <= y),
        O::I8x16GeS => cmp!(a, b, i8s, u8s, from_u8s, u8, |x, y| x >= y),
        O::I8x16GeU => cmp!(a, b, u8s, u8s, from_u8s, u8, |x, y| x >= y),
        O::I8x16NarrowI16x8S => {
            let (l, r) = (i16s(a), i16s(b));
            let mut out = [0i8; 16];
            for i in 0..8 {
                out[i] = sat_i8(l[i].into());
                out[i + 8] = sat_i8(r[i].into());
            }
            from_i8s(out)
        }
        O::I8x16NarrowI16x8U => {
            let (l, r) = (i16s(a), i16s(b));
            let mut out = [0u8; 16];
            for i in 0..8 {
                out[i] = sat_u8(l[i].into());
                out[i + 8] = sat_u8(r[i].into());
            }
            from_u8s(out)
        }
        O::I8x16Add => zip!(a, b, u8s, from_u8s, |x, y| x.wrapping_add(y)),
        O::I8x16AddSatS => zip!(a, b, i8s, from_i8s, |x, y| x.saturating_add(y)),
        O::I8x16AddSatU => zip!(a, b, u8s, from_u8s, |x, y| x.saturating_add(y)),
        O::I8x16Sub => zip!(a, b, u8s, from_u8s, |x, y| x.wrapping_sub(y)),
        O::I8x16SubSatS => zip!(a, b, i8s, from_i8s, |x, y| x.saturating_sub(y)),
        O::I8x16SubSatU => zip!(a, b, u8s, from_u8s, |x, y| x.saturating_sub(y)),
        O::I8x16MinS => zip!(a, b, i8s, from_i8s, |x, y| x.min(y)),
        O::I8x16MinU => zip!(a, b, u8s, from_u8s, |x, y| x.min(y)),
        O::I8x16MaxS => zip!(a, b, i8s, from_i8s, |x, y| x.max(y)),
        O::I8x16MaxU => zip!(a, b, u8s, from_u8s, |x, y| x.max(y)),
        O::I8x16AvgrU => zip!(
            a,
            b,
            u8s,
            from_u8s,
            |x, y| (u16::from(x) + u16::from(y)).div_ceil(2) as u8
        ),
        // i16x8
        O::I16x8Eq => cmp!(a, b, i16s, u16s, from_u16s, u16, |x, y| x == y),
        O::I16x8Ne => cmp!(a, b, i16s, u16s, from_u16s, u16, |x, y| x != y),
        O::I16x8LtS => cmp!(a, b, i16s, u16s, from_u16s, u16, |x, y| x < y),
        O::I16x8LtU => cmp!(a, b, u16s, u16s, from_u16s, u16, |x, y| x < y),
        O::I16x8GtS => cmp!(a, b, i16s, u16s, from_u16s, u16, |x, y| x > y),
        O::I16x8GtU => cmp!(a, b, u16s, u16s, from_u16s, u16, |x, y| x > y),
        O::I16x8LeS => cmp!(a, b, i16s, u16s, from_u16s, u16, |x, y| x <= y),
        O::I16x8LeU => cmp!(a, b, u16s, u16s, from_u16s, u16, |x, y| x <= y),
        O::I16x8GeS => cmp!(a, b, i16s, u16s, from_u16s, u16, |x, y| x >= y),
        O::I16x8GeU => cmp!(a, b, u16s, u16s, from_u16s, u16, |x, y| x >= y),
        O::I16x8NarrowI32x4S => {
            let (l, r) = (i32s(a), i32s(b));
            let mut out = [0i16; 8];
            for i in 0..4 {
                out[i] = sat_i16(l[i]);
                out[i + 4] = sat_i16(r[i]);
            }
            from_i16s(out)
        }
        O::I16x8NarrowI32x4U => {
            let (l, r) = (i32s(a), i32s(b));
            let mut out = [0u16; 8];
            for i in 0..4 {
                out[i] = sat_u16(l[i]);
                out[i + 4] = sat_u16(r[i]);
            }
            from_u16s(out)
        }
        O::I16x8Q15MulrSatS => {
            zip!(a, b, i16s, from_i16s, |x, y| sat_i16(
                (i32::from(x) * i32::from(y) + 0x4000) >> 15
            ))
        }
        O::I16x8Add => zip!(a, b, u16s, from_u16s, |x, y| x.wrapping_add(y)),
        O::I16x8AddSatS => zip!(a, b, i16s, from_i16s, |x, y| x.saturating_add(y)),
        O::I16x8AddSatU => zip!(a, b, u16s, from_u16s, |x, y| x.saturating_add(y)),
        O::I16x8Sub => zip!(a, b, u16s, from_u16s, |x, y| x.wrapping_sub(y)),
        O::I16x8SubSatS => zip!(a, b, i16s, from_i16s, |x, y| x.saturating_sub(y)),
        O::I16x8SubSatU => zip!(a, b, u16s, from_u16s, |x, y| x.saturating_sub(y)),
        O::I16x8Mul => zip!(a, b, u16s, from_u16s, |x, y| x.wrapping_mul(y)),
        O::I16x8MinS => zip!(a, b, i16s, from_i16s, |x, y| x.min(y)),
        O::I16x8MinU => zip!(a, b, u16s, from_u16s, |x, y| x.min(y)),
        O::I16x8MaxS => zip!(a, b, i16s, from_i16s, |x, y| x.max(y)),
        O::I16x8MaxU => zip!(a, b, u16s, from_u16s, |x, y| x.max(y)),
        O::I16x8AvgrU => zip!(a, b, u16s, from_u16s, |x, y| (u32::from(x) + u32::from(y))
            .div_ceil(2)
            as u16),
        O::I16x8ExtMulLowI8x16S => extmul!(a, b, false, i8s, i16, from_i16s, 8),
        O::I16x8ExtMulHighI8x16S => extmul!(a, b, true, i8s, i16, from_i16s, 8),
        O::I16x8ExtMulLowI8x16U => extmul!(a, b, false, u8s, u16, from_u16s, 8),
        O::I16x8ExtMulHighI8x16U => extmul!(a, b, true, u8s, u16, from_u16s, 8),
        // i32x4
        O::I32x4Eq => cmp!(a, b, i32s, u32s, from_u32s, u32, |x, y| x == y),
        O::I32x4Ne => cmp!(a, b, i32s, u32s, from_u32s, u32, |x, y| x != y),
        O::I32x4LtS => cmp!(a, b, i32s, u32s, from_u32s, u32, |x, y| x < y),
        O::I32x4LtU => cmp!(a, b, u32s, u32s, from_u32s, u32, |x, y| x < y),
        O::I32x4GtS => cmp!(a, b, i32s, u32s, from_u32s, u32, |x, y| x > y),
        O::I32x4GtU => cmp!(a, b, u32s, u32s, from_u32s, u32, |x, y| x > y),
        O::I32x4LeS => cmp!(a, b, i32s, u32s, from_u32s, u32, |x, y| x <= y),
        O::I32x4LeU => cmp!(a, b, u32s, u32s, from_u32s, u32, |x, y| x <= y),
        O::I32x4GeS => cmp!(a, b, i32s, u32s, from_u32s, u32, |x, y| x >= y),
        O::I32x4GeU => cmp!(a, b, u32s, u32s, from_u32s, u32, |x, y| x >= y),
        O::I32x4Add => zip!(a, b, u32s, from_u32s, |x, y| x.wrapping_add(y)),
        O::I32x4Sub => zip!(a, b, u32s, from_u32s, |x, y| x.wrapping_sub(y)),
        O::I32x4Mul => zip!(a, b, u32s, from_u32s, |x, y| x.wrapping_mul(y)),
        O::I32x4MinS => zip!(a, b, i32s, from_i32s, |x, y| x.min(y)),
        O::I32x4MinU => zip!(a, b, u32s, from_u32s, |x, y| x.min(y)),
        O::I32x4MaxS => zip!(a, b, i32s, from_i32s, |x, y| x.max(y)),
        O::I32x4MaxU => zip!(a, b, u32s, from_u32s, |x, y| x.max(y)),
        O::I16x8RelaxedDotI8x16I7x16S => dot_i8x16_i7x16(a, b),
        O::I32x4DotI16x8S => {
            let (l, r) = (i16s(a), i16s(b));
            let mut out = [0i32; 4];
            for (i, o) in out.iter_mut().enumerate() {
                let p0 = i32::from(l[2 * i]) * i32::from(r[2 * i]);
                let p1 = i32::from(l[2 * i + 1]) * i32::from(r[2 * i + 1]);
                *o = p0.wrapping_add(p1);
            }
            from_i32s(out)
        }
        O::I32x4ExtMulLowI16x8S => extmul!(a, b, false, i16s, i32, from_i32s, 4),
        O::I32x4ExtMulHighI16x8S => extmul!(a, b, true, i16s, i32, from_i32s, 4),
        O::I32x4ExtMulLowI16x8U => extmul!(a, b, false, u16s, u32, from_u32s, 4),
        O::I32x4ExtMulHighI16x8U => extmul!(a, b, true, u16s, u32, from_u32s, 4),
        // i64x2
        O::I64x2Eq => cmp!(a, b, i64s, u64s, from_u64s, u64, |x, y| x == y),
        O::I64x2Ne => cmp!(a, b, i64s, u64s, from_u64s, u64, |x, y| x != y),
        O::I64x2LtS => cmp!(a, b, i64s, u64s, from_u64s, u64, |x, y| x < y),
        O::I64x2GtS => cmp!(a, b, i64s, u64s, from_u64s, u64, |x, y| x > y),
        O::I64x2LeS => cmp!(a, b, i64s, u64s, from_u64s, u64, |x, y| x <= y),
        O::I64x2GeS => cmp!(a, b, i64s, u64s, from_u64s, u64, |x, y| x >= y),
        O::I64x2Add => zip!(a, b, u64s, from_u64s, |x, y| x.wrapping_add(y)),
        O::I64x2Sub => zip!(a, b, u64s, from_u64s, |x, y| x.wrapping_sub(y)),
        O::I64x2Mul => zip!(a, b, u64s, from_u64s, |x, y| x.wrapping_mul(y)),
        O::I64x2ExtMulLowI32x4S => extmul!(a, b, false, i32s, i64, from_i64s, 2),
        O::I64x2ExtMulHighI32x4S => extmul!(a, b, true, i32s, i64, from_i64s, 2),
        O::I64x2ExtMulLowI32x4U => extmul!(a, b, false, u32s, u64, from_u64s, 2),
        O::I64x2ExtMulHighI32x4U => extmul!(a, b, true, u32s, u64, from_u64s, 2),
        // f32x4
        O::F32x4Eq => cmp!(a, b, f32s, u32s, from_u32s, u32, |x, y| x == y),
        O::F32x4Ne => cmp!(a, b, f32s, u32s, from_u32s, u32, |x, y| x != y),
        O::F32x4Lt => cmp!(a, b, f32s, u32s, from_u32s, u32, |x, y| x < y),
        O::F32x4Gt => cmp!(a, b, f32s, u32s, from_u32s, u32, |x, y| x > y),
        O::F32x4Le => cmp!(a, b, f32s, u32s, from_u32s, u32, |x, y| x <= y),
        O::F32x4Ge => cmp!(a, b, f32s, u32s, from_u32s, u32, |x, y| x >= y),
        O::F32x4Add => zip!(a, b, f32s, from_f32s, |x, y| x + y),
        O::F32x4Sub => zip!(a, b, f32s, from_f32s, |x, y| x - y),
        O::F32x4Mul => zip!(a, b, f32s, from_f32s, |x, y| x * y),
        O::F32x4Div => zip!(a, b, f32s, from_f32s, |x, y| x / y),
        O::F32x4Min => zip!(a, b, f32s, from_f32s, |x, y| f32_min(x, y)),
        O::F32x4Max => zip!(a, b, f32s, from_f32s, |x, y| f32_max(x, y)),
        O::F32x4PMin => zip!(a, b, f32s, from_f32s, |x, y| f32_pmin(x, y)),
        O::F32x4PMax => zip!(a, b, f32s, from_f32s, |x, y| f32_pmax(x, y)),
        // f64x2
        O::F64x2Eq => cmp!(a, b, f64s, u64s, from_u64s, u64, |x, y| x == y),
        O::F64x2Ne => cmp!(a, b, f64s, u64s, from_u64s, u64, |x, y| x != y),
        O::F64x2Lt => cmp!(a, b, f64s, u64s, from_u64s, u64, |x, y| x < y),
        O::F64x2Gt => cmp!(a, b, f64s, u64s, from_u64s, u64, |x, y| x > y),
        O::F64x2Le => cmp!(a, b, f64s, u64s, from_u64s, u64, |x, y| x <= y),
        O::F64x2Ge => cmp!(a, b, f64s, u64s, from_u64s, u64, |x, y| x >= y),
        O::F64x2Add => zip!(a, b, f64s, from_f64s, |x, y| x + y),
        O::F64x2Sub => zip!(a, b, f64s, from_f64s, |x, y| x - y),
        O::F64x2Mul => zip!(a, b, f64s, from_f64s, |x, y| x * y),
        O::F64x2Div => zip!(a, b, f64s, from_f64s, |x, y| x / y),
        O::F64x2Min => zip!(a, b, f64s, from_f64s, |x, y| f64_min(x, y)),
        O::F64x2Max => zip!(a, b, f64s, from_f64s, |x, y| f64_max(x, y)),
        O::F64x2PMin => zip!(a, b, f64s, from_f64s, |x, y| f64_pmin(x, y)),
        O::F64x2PMax => zip!(a, b, f64s, from_f64s, |x, y| f64_pmax(x, y)),
        _ => {
            debug_assert!(false, "{} is not a binary SIMD instruction", op.name());
            0
        }
    }
}

/// `[v128 v128 v128] -> [v128]` instructions: `v128.bitselect` (bits of
/// `a` where `c` is 1, of `b` where it is 0) and the relaxed ones without a
/// 2.0 counterpart (see [`deterministic`]).
#[inline(always)]
pub(crate) fn ternary(op: Opcode, a: u128, b: u128, c: u128) -> u128 {
    use Opcode as O;
    match op {
        O::V128Bitselect => (a & c) | (b & !c),
        // Not fused: the product is rounded, then the sum (what hardware
        // without FMA computes; the proposal allows either).
        O::F32x4RelaxedMadd => zip3!(a, b, c, f32s, from_f32s, |x, y, z| x * y + z),
        O::F32x4RelaxedNmadd => zip3!(a, b, c, f32s, from_f32s, |x, y, z| -(x * y) + z),
        O::F64x2RelaxedMadd => zip3!(a, b, c, f64s, from_f64s, |x, y, z| x * y + z),
        O::F64x2RelaxedNmadd => zip3!(a, b, c, f64s, from_f64s, |x, y, z| -(x * y) + z),
        O::I32x4RelaxedDotI8x16I7x16AddS => {
            let pairs = i16s(dot_i8x16_i7x16(a, b));
            let acc = i32s(c);
            let mut out = [0i32; 4];
            for (i, o) in out.iter_mut().enumerate() {
                let sum = i32::from(pairs[2 * i]) + i32::from(pairs[2 * i + 1]);
                *o = sum.wrapping_add(acc[i]);
            }
            from_i32s(out)
        }
        _ => {
            debug_assert!(false, "{} is not a ternary SIMD instruction", op.name());
            0
        }
    }
}

/// `i16x8.relaxed_dot_i8x16_i7x16_s`, deterministically: both operands'
/// lanes signed (the proposal allows the second to be read unsigned when
/// it is not a 7-bit value), each pair of products summed with `i16`
/// wrap-around (the proposal allows saturation too).
fn dot_i8x16_i7x16(a: u128, b: u128) -> u128 {
    let (l, r) = (i8s(a), i8s(b));
    let mut out = [0i16; 8];
    for (i, o) in out.iter_mut().enumerate() {
        let p0 = i16::from(l[2 * i]) * i16::from(r[2 * i]);
        let p1 = i16::from(l[2 * i + 1]) * i16::from(r[2 * i + 1]);
        *o = p0.wrapping_add(p1);
    }
    from_i16s(out)
}

/// The instruction that runs a relaxed SIMD instruction: its 2.0
/// counterpart where the proposal allows that counterpart's result (every
/// relaxed instruction but the fused multiply-adds and the dot products,
/// which [`binary`] and [`ternary`] implement), so the choice is the same
/// on every host. Other instructions map to themselves.
pub(crate) const fn deterministic(op: Opcode) -> Opcode {
    use Opcode as O;
    match op {
        O::I8x16RelaxedSwizzle => O::I8x16Swizzle,
        O::I32x4RelaxedTruncF32x4S => O::I32x4TruncSatF32x4S,
        O::I32x4RelaxedTruncF32x4U => O::I32x4TruncSatF32x4U,
        O::I32x4RelaxedTruncF64x2SZero => O::I32x4TruncSatF64x2SZero,
        O::I32x4RelaxedTruncF64x2UZero => O::I32x4TruncSatF64x2UZero,
        O::I8x16RelaxedLaneselect
        | O::I16x8RelaxedLaneselect
        | O::I32x4RelaxedLaneselect
        | O::I64x2RelaxedLaneselect => O::V128Bitselect,
        O::F32x4RelaxedMin => O::F32x4Min,
        O::F32x4RelaxedMax => O::F32x4Max,
        O::F64x2RelaxedMin => O::F64x2Min,
        O::F64x2RelaxedMax => O::F64x2Max,
        O::I16x8RelaxedQ15mulrS => O::I16x8Q15MulrSatS,
        other => other,
    }
}

/// `[v128] -> [i32]` instructions.
#[inline(always)]
pub(crate) fn test(op: Opcode, a: u128) -> u32 {
    use Opcode as O;
    match op {
        O::V128AnyTrue => u32::from(a != 0),
        O::I8x16AllTrue => u32::from(u8s(a).iter().all(|&x| x != 0)),
        O::I16x8AllTrue => u32::from(u16s(a).iter().all(|&x| x != 0)),
        O::I32x4AllTrue => u32::from(u32s(a).iter().all(|&x| x != 0)),
        O::I64x2AllTrue => u32::from(u64s(a).iter().all(|&x| x != 0)),
        O::I8x16Bitmask => i8s(a)
            .iter()
            .enumerate()
            .fold(0, |m, (i, &x)| m | (u32::from(x < 0) << i)),
        O::I16x8Bitmask => i16s(a)
            .iter()
            .enumerate()
            .fold(0, |m, (i, &x)| m | (u32::from(x < 0) << i)),
        O::I32x4Bitmask => i32s(a)
            .iter()
            .enumerate()
            .fold(0, |m, (i, &x)| m | (u32::from(x < 0) << i)),
        O::I64x2Bitmask => i64s(a)
            .iter()
            .enumerate()
            .fold(0, |m, (i, &x)| m | (u32::from(x < 0) << i)),
        _ => {
            debug_assert!(false, "{} is not a SIMD test instruction", op.name());
            0
        }
    }
}

/// Shifts; the count is taken modulo the lane width.
#[inline(always)]
pub(crate) fn shift(op: Opcode, a: u128, count: u32) -> u128 {
    use Opcode as O;
    match op {
        O::I8x16Shl => map!(a, u8s, from_u8s, |x| x.wrapping_shl(count & 7)),
        O::I8x16ShrS => map!(a, i8s, from_i8s, |x| x.wrapping_shr(count & 7)),
        O::I8x16ShrU => map!(a, u8s, from_u8s, |x| x.wrapping_shr(count & 7)),
        O::I16x8Shl => map!(a, u16s, from_u16s, |x| x.wrapping_shl(count & 15)),
        O::I16x8ShrS => map!(a, i16s, from_i16s, |x| x.wrapping_shr(count & 15)),
        O::I16x8ShrU => map!(a, u16s, from_u16s, |x| x.wrapping_shr(count & 15)),
        O::I32x4Shl => map!(a, u32s, from_u32s, |x| x.wrapping_shl(count & 31)),
        O::I32x4ShrS => map!(a, i32s, from_i32s, |x| x.wrapping_shr(count & 31)),
        O::I32x4ShrU => map!(a, u32s, from_u32s, |x| x.wrapping_shr(count & 31)),
        O::I64x2Shl => map!(a, u64s, from_u64s, |x| x.wrapping_shl(count & 63)),
        O::I64x2ShrS => map!(a, i64s, from_i64s, |x| x.wrapping_shr(count & 63)),
        O::I64x2ShrU => map!(a, u64s, from_u64s, |x| x.wrapping_shr(count & 63)),
        _ => {
            debug_assert!(false, "{} is not a SIMD shift", op.name());
            0
        }
    }
}

/// `*.splat`.
#[inline(always)]
pub(crate) fn splat(op: Opcode, x: u64) -> u128 {
    use Opcode as O;
    match op {
        O::I8x16Splat => from_u8s([x as u8; 16]),
        O::I16x8Splat => from_u16s([x as u16; 8]),
        O::I32x4Splat | O::F32x4Splat => from_u32s([x as u32; 4]),
        O::I64x2Splat | O::F64x2Splat => from_u64s([x; 2]),
        _ => {
            debug_assert!(false, "{} is not a splat", op.name());
            0
        }
    }
}

/// `*.extract_lane*` (lane already validated).
#[inline(always)]
pub(crate) fn extract_lane(op: Opcode, a: u128, lane: u8) -> u64 {
    use Opcode as O;
    let i = lane as usize;
    match op {
        O::I8x16ExtractLaneS => u64::from(i32::from(i8s(a)[i & 15]) as u32),
        O::I8x16ExtractLaneU => u64::from(u8s(a)[i & 15]),
        O::I16x8ExtractLaneS => u64::from(i32::from(i16s(a)[i & 7]) as u32),
        O::I16x8ExtractLaneU => u64::from(u16s(a)[i & 7]),
        O::I32x4ExtractLane | O::F32x4ExtractLane => u64::from(u32s(a)[i & 3]),
        O::I64x2ExtractLane | O::F64x2ExtractLane => u64s(a)[i & 1],
        _ => {
            debug_assert!(false, "{} is not an extract_lane", op.name());
            0
        }
    }
}

/// `*.replace_lane` (lane already validated).
#[inline(always)]
pub(crate) fn replace_lane(op: Opcode, a: u128, lane: u8, x: u64) -> u128 {
    use Opcode as O;
    let i = lane as usize;
    match op {
        O::I8x16ReplaceLane => {
            let mut l = u8s(a);
            l[i & 15] = x as u8;
            from_u8s(l)
        }
        O::I16x8ReplaceLane => {
            let mut l = u16s(a);
            l[i & 7] = x as u16;
            from_u16s(l)
        }
        O::I32x4ReplaceLane | O::F32x4ReplaceLane => {
            let mut l = u32s(a);
            l[i & 3] = x as u32;
            from_u32s(l)
        }
        O::I64x2ReplaceLane | O::F64x2ReplaceLane => {
            let mut l = u64s(a);
            l[i & 1] = x;
            from_u64s(l)
        }
        _ => {
            debug_assert!(false, "{} is not a replace_lane", op.name());
            0
        }
    }
}

/// `i8x16.shuffle`: lane `i` of the result is lane `lanes[i]` of the 32
/// lanes of `a` then `b`.
pub(crate) fn shuffle(a: u128, b: u128, lanes: [u8; 16]) -> u128 {
    let (l, r) = (u8s(a), u8s(b));
    from_u8s(lanes.map(|i| {
        let i = (i & 31) as usize;
        if i < 16 {
            l[i]
        } else {
            r[i - 16]
        }
    }))
}

/// Loads that extend or splat: `bytes` holds the loaded bytes, little-endian.
#[inline(always)]
pub(crate) fn load(op: Opcode, bytes: u64) -> u128 {
    use Opcode as O;
    let v = u128::from(bytes);
    match op {
        O::V128Load8x8S => extend!(v, false, i8s, i16, from_i16s, 8),
        O::V128Load8x8U => extend!(v, false, u8s, u16, from_u16s, 8),
        O::V128Load16x4S => extend!(v, false, i16s, i32, from_i32s, 4),
        O::V128Load16x4U => extend!(v, false, u16s, u32, from_u32s, 4),
        O::V128Load32x2S => extend!(v, false, i32s, i64, from_i64s, 2),
        O::V128Load32x2U => extend!(v, false, u32s, u64, from_u64s, 2),
        O::V128Load8Splat => splat(O::I8x16Splat, bytes),
        O::V128Load16Splat => splat(O::I16x8Splat, bytes),
        O::V128Load32Splat => splat(O::I32x4Splat, bytes),
        O::V128Load64Splat => splat(O::I64x2Splat, bytes),
        O::V128Load32Zero => u128::from(bytes as u32),
        O::V128Load64Zero => v,
        _ => {
            debug_assert!(false, "{} is not an extending load", op.name());
            0
        }
    }
}

#[cfg(all(test, feature = "simd"))]
mod tests;
