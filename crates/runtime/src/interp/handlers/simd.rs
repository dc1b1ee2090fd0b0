//! SIMD: one handler per opcode of each class of `simd::class`,
//! instantiated from the opcode table; the semantics are `interp::simd`,
//! inlined with the opcode as a constant.

use nanowasm_core::opcode::COUNT;
use nanowasm_core::{for_each_opcode, Feature, Opcode, Sig, ValType};

use super::control::handler;
use super::{after, next, operands, s, set_v128, v128, Cx, Done, Handler, Ip, Sp};
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

/// Whether a row is a SIMD instruction of class `c`.
const fn is(feature: Feature, op: Opcode, sig: &Sig, c: SimdClass) -> bool {
    if !matches!(feature, Feature::Simd) {
        return false;
    }
    match class_of(op, sig) {
        Some(k) => k as u8 == c as u8,
        None => false,
    }
}

macro_rules! tables {
    ($( $v:ident $visit:ident $name:literal $prefix:tt $code:literal $imm:ident $feat:ident ($sig:expr); )*) => {
        /// Builds the handler table of one class (only the handlers stored
        /// are instantiated; see `numeric`).
        macro_rules! table {
            ($table:ident, $class:ident, $h:ident) => {
                static $table: [Option<Handler>; COUNT] = {
                    let mut t: [Option<Handler>; COUNT] = [None; COUNT];
                    $( if is(Feature::$feat, Opcode::$v, &$sig, SimdClass::$class) {
                        t[Opcode::$v as usize] = Some($h::<{ Opcode::$v as u16 }>);
                    } )*
                    t
                };
            };
        }
        table!(UNARY, Unary, unary_op);
        table!(BINARY, Binary, binary_op);
        table!(TERNARY, Ternary, ternary_op);
        table!(TEST, Test, test_op);
        table!(SHIFT, Shift, shift_op);
        table!(SPLAT, Splat, splat_op);
        table!(EXTRACT, ExtractLane, extract_op);
        table!(REPLACE, ReplaceLane, replace_op);
    };
}
for_each_opcode!(tables);

/// The handler of SIMD `[v128] -> [v128]` instruction `op`.
pub(crate) fn unary(op: Opcode) -> Option<Handler> {
    UNARY[op as usize]
}
/// The handler of SIMD `[v128 v128] -> [v128]` instruction `op`.
pub(crate) fn binary(op: Opcode) -> Option<Handler> {
    BINARY[op as usize]
}
/// The handler of SIMD `[v128 v128 v128] -> [v128]` instruction `op`.
pub(crate) fn ternary(op: Opcode) -> Option<Handler> {
    TERNARY[op as usize]
}
/// The handler of SIMD `[v128] -> [i32]` instruction `op`.
pub(crate) fn test(op: Opcode) -> Option<Handler> {
    TEST[op as usize]
}
/// The handler of SIMD shift `op`.
pub(crate) fn shift(op: Opcode) -> Option<Handler> {
    SHIFT[op as usize]
}
/// The handler of splat `op`.
pub(crate) fn splat(op: Opcode) -> Option<Handler> {
    SPLAT[op as usize]
}
/// The handler of lane extraction `op`.
pub(crate) fn extract(op: Opcode) -> Option<Handler> {
    EXTRACT[op as usize]
}
/// The handler of lane replacement `op`.
pub(crate) fn replace(op: Opcode) -> Option<Handler> {
    REPLACE[op as usize]
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
