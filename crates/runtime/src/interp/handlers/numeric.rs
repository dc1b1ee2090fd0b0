//! Scalar numeric instructions: one handler per opcode, instantiated from
//! the opcode table for every opcode whose typing rule is a fixed
//! `[t] -> [t']` or `[t t] -> [t']` over numbers. The semantics are
//! `num::unary`/`num::binary`, inlined with the opcode as a constant.

use nanowasm_core::{ImmKind, Opcode, Sig, ValType};

use super::{after, handler_tables, next, operands, s, trap, Cx, Done, Ip, Row, Sp};
use crate::interp::code::ops;
use crate::interp::num;

/// Whether `t` is a number type.
const fn is_num(t: ValType) -> bool {
    matches!(t, ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64)
}

/// Whether every type in `ts` is a number type.
const fn all_num(ts: &[ValType]) -> bool {
    let mut i = 0;
    while i < ts.len() {
        if !is_num(ts[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// The number of operands of a scalar numeric instruction (`num::unary`:
/// 1, `num::binary`: 2), or 0 for any other instruction.
const fn arity(r: &Row) -> usize {
    match r.sig {
        Sig::Fixed(params, results)
            if matches!(r.imm, ImmKind::None)
                && results.len() == 1
                && all_num(params)
                && all_num(results) =>
        {
            params.len()
        }
        _ => 0,
    }
}

/// Whether an instruction is a binary numeric one whose second operand is
/// 32 bits wide (`i32` or `f32`), so it has a form with a 32-bit constant
/// second operand.
const fn is_binary_32(r: &Row) -> bool {
    arity(r) == 2 && matches!(r.sig, Sig::Fixed(&[_, ValType::I32 | ValType::F32], _))
}

/// Whether an instruction is a binary numeric one whose second operand is
/// 64 bits wide (`i64` or `f64`), so it has a form with a 64-bit constant
/// second operand.
const fn is_binary_64(r: &Row) -> bool {
    arity(r) == 2 && matches!(r.sig, Sig::Fixed(&[_, ValType::I64 | ValType::F64], _))
}

unsafe fn unary_op<const OP: u16>(ip: Ip, sp: Sp, mem: *mut u8, len: usize, cx: *mut Cx) -> Done {
    let o = operands!(ip, ops::Unary);
    let op = const { Opcode::ALL[OP as usize] };
    match num::unary(op, s!(sp, o.src)) {
        Ok(v) => s!(sp, o.dst) = v,
        Err(t) => return trap(cx, ip, t),
    }
    next!(after!(ip, ops::Unary), sp, mem, len, cx)
}

unsafe fn binary_op<const OP: u16>(ip: Ip, sp: Sp, mem: *mut u8, len: usize, cx: *mut Cx) -> Done {
    let o = operands!(ip, ops::Binary);
    let op = const { Opcode::ALL[OP as usize] };
    match num::binary(op, s!(sp, o.a), s!(sp, o.b)) {
        Ok(v) => s!(sp, o.dst) = v,
        Err(t) => return trap(cx, ip, t),
    }
    next!(after!(ip, ops::Binary), sp, mem, len, cx)
}

unsafe fn binary_imm32_op<const OP: u16>(
    ip: Ip,
    sp: Sp,
    mem: *mut u8,
    len: usize,
    cx: *mut Cx,
) -> Done {
    let o = operands!(ip, ops::BinaryImm32);
    let op = const { Opcode::ALL[OP as usize] };
    match num::binary(op, s!(sp, o.a), u64::from(o.imm)) {
        Ok(v) => s!(sp, o.dst) = v,
        Err(t) => return trap(cx, ip, t),
    }
    next!(after!(ip, ops::BinaryImm32), sp, mem, len, cx)
}

unsafe fn binary_imm64_op<const OP: u16>(
    ip: Ip,
    sp: Sp,
    mem: *mut u8,
    len: usize,
    cx: *mut Cx,
) -> Done {
    let o = operands!(ip, ops::BinaryImm64);
    let op = const { Opcode::ALL[OP as usize] };
    let imm = u64::from(o.lo) | u64::from(o.hi) << 32;
    match num::binary(op, s!(sp, o.a), imm) {
        Ok(v) => s!(sp, o.dst) = v,
        Err(t) => return trap(cx, ip, t),
    }
    next!(after!(ip, ops::BinaryImm64), sp, mem, len, cx)
}

handler_tables! {
    /// The handler of unary numeric instruction `op`.
    pub(crate) fn unary = |r| arity(&r) == 1 => unary_op::<{ r.op as u16 }>;
    /// The handler of binary numeric instruction `op`.
    pub(crate) fn binary = |r| arity(&r) == 2 => binary_op::<{ r.op as u16 }>;
    /// The handler of binary numeric instruction `op` with a constant
    /// `i32` or `f32` second operand.
    pub(crate) fn binary_imm32 = |r| is_binary_32(&r) => binary_imm32_op::<{ r.op as u16 }>;
    /// The handler of binary numeric instruction `op` with a constant
    /// `i64` or `f64` second operand.
    pub(crate) fn binary_imm64 = |r| is_binary_64(&r) => binary_imm64_op::<{ r.op as u16 }>;
}
