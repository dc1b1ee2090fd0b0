//! SIMD: one handler per opcode of each class of `simd::class`,
//! instantiated from the opcode table; the semantics are `interp::simd`,
//! inlined with the opcode as a constant.

use nanowasm_core::{Feature, Opcode, Sig, ValType};

use super::control::handler;
use super::{after, handler_tables, next, operands, s, set_v128, v128, Cx, Done, Ip, Row, Sp};
use crate::interp::code::ops;
use crate::interp::simd::{self as sem, class_of, SimdClass};

/// Defines a generic handler `$name::<OP>` over operands `ops::$t`.
macro_rules! simd_handler {
    ($name:ident($o:ident: $t:ident, $op:ident, $sp:ident) $body:block) => {
        unsafe fn $name<const OP: u16>(ip: Ip, $sp: Sp, mem: *mut u8, len: usize, cx: *mut Cx) -> Done {
            let $o = operands!(ip, ops::$t);
            let $op = const { Opcode::ALL[OP as usize] };
            $body
            next!(after!(ip, ops::$t), $sp, mem, len, cx)
        }
    };
}

simd_handler!(unary_op(o: SimdUnary, op, sp) {
    set_v128!(sp, o.dst, sem::unary(op, v128!(sp, o.src)));
});
simd_handler!(binary_op(o: SimdBinary, op, sp) {
    set_v128!(sp, o.dst, sem::binary(op, v128!(sp, o.a), v128!(sp, o.b)));
});
simd_handler!(ternary_op(o: SimdTernary, op, sp) {
    set_v128!(sp, o.dst, sem::ternary(op, v128!(sp, o.a), v128!(sp, o.b), v128!(sp, o.c)));
});
simd_handler!(test_op(o: SimdTest, op, sp) {
    s!(sp, o.dst) = u64::from(sem::test(op, v128!(sp, o.src)));
});
simd_handler!(shift_op(o: SimdShift, op, sp) {
    set_v128!(sp, o.dst, sem::shift(op, v128!(sp, o.a), s!(sp, o.count) as u32));
});
simd_handler!(splat_op(o: SimdSplat, op, sp) {
    set_v128!(sp, o.dst, sem::splat(op, s!(sp, o.src)));
});
simd_handler!(extract_op(o: SimdExtract, op, sp) {
    s!(sp, o.dst) = sem::extract_lane(op, v128!(sp, o.src), o.lane as u8);
});
simd_handler!(replace_op(o: SimdReplace, op, sp) {
    set_v128!(sp, o.dst, sem::replace_lane(op, v128!(sp, o.a), o.lane as u8, s!(sp, o.x)));
});

/// Whether a row is a SIMD instruction of class `c` with a handler of its
/// own (a relaxed instruction with a 2.0 counterpart runs that one's, see
/// `simd::deterministic`).
const fn is(r: &Row, c: SimdClass) -> bool {
    if !matches!(r.feature, Feature::Simd | Feature::RelaxedSimd)
        || sem::deterministic(r.op) as u16 != r.op as u16
    {
        return false;
    }
    match class_of(r.op, &r.sig) {
        Some(k) => k as u8 == c as u8,
        None => false,
    }
}

handler_tables! {
    /// The handler of SIMD `[v128] -> [v128]` instruction `op`.
    pub(crate) fn unary = |r| is(&r, SimdClass::Unary) => unary_op::<{ r.op as u16 }>;
    /// The handler of SIMD `[v128 v128] -> [v128]` instruction `op`.
    pub(crate) fn binary = |r| is(&r, SimdClass::Binary) => binary_op::<{ r.op as u16 }>;
    /// The handler of SIMD `[v128 v128 v128] -> [v128]` instruction `op`.
    pub(crate) fn ternary = |r| is(&r, SimdClass::Ternary) => ternary_op::<{ r.op as u16 }>;
    /// The handler of SIMD `[v128] -> [i32]` instruction `op`.
    pub(crate) fn test = |r| is(&r, SimdClass::Test) => test_op::<{ r.op as u16 }>;
    /// The handler of SIMD shift `op`.
    pub(crate) fn shift = |r| is(&r, SimdClass::Shift) => shift_op::<{ r.op as u16 }>;
    /// The handler of splat `op`.
    pub(crate) fn splat = |r| is(&r, SimdClass::Splat) => splat_op::<{ r.op as u16 }>;
    /// The handler of lane extraction `op`.
    pub(crate) fn extract = |r| is(&r, SimdClass::ExtractLane) => extract_op::<{ r.op as u16 }>;
    /// The handler of lane replacement `op`.
    pub(crate) fn replace = |r| is(&r, SimdClass::ReplaceLane) => replace_op::<{ r.op as u16 }>;
}

handler!(
    /// `i8x16.shuffle`.
    shuffle(o: Shuffle, ip, sp, mem, len, cx) {
        // SAFETY: `func` is the current frame's code, alive while it runs.
        let lanes = unsafe { (&(*(*cx).func).pool)[o.lanes as usize] };
        set_v128!(sp, o.dst, shuffle_out_of_line(v128!(sp, o.a), v128!(sp, o.b), lanes));
    }
);

/// `i8x16.shuffle`'s work, out of line: inlined, its lane arrays live in the
/// handler's frame and LLVM no longer makes the handler's call to the next
/// one a jump (`tests/tail_calls.rs` caught it).
#[inline(never)]
fn shuffle_out_of_line(a: u128, b: u128, lanes: u128) -> u128 {
    sem::shuffle(a, b, lanes.to_le_bytes())
}
