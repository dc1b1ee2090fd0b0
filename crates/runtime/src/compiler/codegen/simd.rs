//! 128-bit SIMD in the baseline compiler: `v128` values live in `xmm`
//! registers and in 16-byte slots (a function with `v128` values has
//! 16-byte cells, see `FuncCompiler::cell`).
//!
//! The instructions with a direct SSE4.1 form (lane-wise integer and float
//! arithmetic, comparisons, bitwise operations, lanes, splats, shuffles,
//! loads and stores) are inlined. The rest (float `min`/`max` with wasm's
//! NaN and zero rules, the 8-bit shifts, `popcnt`, `q15mulr`, extended
//! multiplies, saturating truncations, ...) call `vm::simd_op`, which runs
//! the interpreter's own semantics (`interp::simd`) on operands passed in
//! the outgoing area: one definition of each instruction's meaning.

use super::*;
use nanowasm_x64::SseShift;

/// An inlined binary instruction: `op a, b`, or `op b, a` (`swap`) for
/// the ones whose SSE form has its operands the other way round.
struct Binary {
    op: Sse,
    swap: bool,
}

fn binary(op: Opcode) -> Option<Binary> {
    use Opcode as O;
    let (op, swap) = match op {
        O::I8x16Add => (Sse::Paddb, false),
        O::I16x8Add => (Sse::Paddw, false),
        O::I32x4Add => (Sse::Paddd, false),
        O::I64x2Add => (Sse::Paddq, false),
        O::I8x16Sub => (Sse::Psubb, false),
        O::I16x8Sub => (Sse::Psubw, false),
        O::I32x4Sub => (Sse::Psubd, false),
        O::I64x2Sub => (Sse::Psubq, false),
        O::I16x8Mul => (Sse::Pmullw, false),
        O::I32x4Mul => (Sse::Pmulld, false),
        O::V128And => (Sse::Pand, false),
        O::V128Or => (Sse::Por, false),
        O::V128Xor => (Sse::Pxor, false),
        // a & !b = pandn b, a.
        O::V128AndNot => (Sse::Pandn, true),
        O::I8x16Eq => (Sse::Pcmpeqb, false),
        O::I16x8Eq => (Sse::Pcmpeqw, false),
        O::I32x4Eq => (Sse::Pcmpeqd, false),
        O::I64x2Eq => (Sse::Pcmpeqq, false),
        O::I8x16GtS => (Sse::Pcmpgtb, false),
        O::I16x8GtS => (Sse::Pcmpgtw, false),
        O::I32x4GtS => (Sse::Pcmpgtd, false),
        O::I64x2GtS => (Sse::Pcmpgtq, false),
        O::I8x16LtS => (Sse::Pcmpgtb, true),
        O::I16x8LtS => (Sse::Pcmpgtw, true),
        O::I32x4LtS => (Sse::Pcmpgtd, true),
        O::I64x2LtS => (Sse::Pcmpgtq, true),
        O::I8x16AddSatS => (Sse::Paddsb, false),
        O::I8x16AddSatU => (Sse::Paddusb, false),
        O::I16x8AddSatS => (Sse::Paddsw, false),
        O::I16x8AddSatU => (Sse::Paddusw, false),
        O::I8x16SubSatS => (Sse::Psubsb, false),
        O::I8x16SubSatU => (Sse::Psubusb, false),
        O::I16x8SubSatS => (Sse::Psubsw, false),
        O::I16x8SubSatU => (Sse::Psubusw, false),
        O::I8x16MinS => (Sse::Pminsb, false),
        O::I8x16MinU => (Sse::Pminub, false),
        O::I8x16MaxS => (Sse::Pmaxsb, false),
        O::I8x16MaxU => (Sse::Pmaxub, false),
        O::I16x8MinS => (Sse::Pminsw, false),
        O::I16x8MinU => (Sse::Pminuw, false),
        O::I16x8MaxS => (Sse::Pmaxsw, false),
        O::I16x8MaxU => (Sse::Pmaxuw, false),
        O::I32x4MinS => (Sse::Pminsd, false),
        O::I32x4MinU => (Sse::Pminud, false),
        O::I32x4MaxS => (Sse::Pmaxsd, false),
        O::I32x4MaxU => (Sse::Pmaxud, false),
        O::I8x16AvgrU => (Sse::Pavgb, false),
        O::I16x8AvgrU => (Sse::Pavgw, false),
        O::I8x16NarrowI16x8S => (Sse::Packsswb, false),
        O::I8x16NarrowI16x8U => (Sse::Packuswb, false),
        O::I16x8NarrowI32x4S => (Sse::Packssdw, false),
        O::I16x8NarrowI32x4U => (Sse::Packusdw, false),
        O::I32x4DotI16x8S => (Sse::Pmaddwd, false),
        O::F32x4Add => (Sse::Addps, false),
        O::F32x4Sub => (Sse::Subps, false),
        O::F32x4Mul => (Sse::Mulps, false),
        O::F32x4Div => (Sse::Divps, false),
        O::F64x2Add => (Sse::Addpd, false),
        O::F64x2Sub => (Sse::Subpd, false),
        O::F64x2Mul => (Sse::Mulpd, false),
        O::F64x2Div => (Sse::Divpd, false),
        _ => return None,
    };
    Some(Binary { op, swap })
}

/// Float comparisons: `cmpps`/`cmppd` with a predicate, operands swapped
/// for `gt`/`ge`.
fn float_compare(op: Opcode) -> Option<(SseImm, u8, bool)> {
    use Opcode as O;
    // Predicates: 0 eq, 1 lt, 2 le, 4 neq (unordered: true for NaN).
    Some(match op {
        O::F32x4Eq => (SseImm::Cmpps, 0, false),
        O::F32x4Ne => (SseImm::Cmpps, 4, false),
        O::F32x4Lt => (SseImm::Cmpps, 1, false),
        O::F32x4Le => (SseImm::Cmpps, 2, false),
        O::F32x4Gt => (SseImm::Cmpps, 1, true),
        O::F32x4Ge => (SseImm::Cmpps, 2, true),
        O::F64x2Eq => (SseImm::Cmppd, 0, false),
        O::F64x2Ne => (SseImm::Cmppd, 4, false),
        O::F64x2Lt => (SseImm::Cmppd, 1, false),
        O::F64x2Le => (SseImm::Cmppd, 2, false),
        O::F64x2Gt => (SseImm::Cmppd, 1, true),
        O::F64x2Ge => (SseImm::Cmppd, 2, true),
        _ => return None,
    })
}

/// Unary instructions that are one SSE instruction on the operand.
fn unary(op: Opcode) -> Option<Sse> {
    use Opcode as O;
    Some(match op {
        O::I8x16Abs => Sse::Pabsb,
        O::I16x8Abs => Sse::Pabsw,
        O::I32x4Abs => Sse::Pabsd,
        O::F32x4Sqrt => Sse::Sqrtps,
        O::F64x2Sqrt => Sse::Sqrtpd,
        O::I16x8ExtendLowI8x16S => Sse::Pmovsxbw,
        O::I16x8ExtendLowI8x16U => Sse::Pmovzxbw,
        O::I32x4ExtendLowI16x8S => Sse::Pmovsxwd,
        O::I32x4ExtendLowI16x8U => Sse::Pmovzxwd,
        O::I64x2ExtendLowI32x4S => Sse::Pmovsxdq,
        O::I64x2ExtendLowI32x4U => Sse::Pmovzxdq,
        O::F32x4ConvertI32x4S => Sse::Cvtdq2ps,
        O::F64x2ConvertLowI32x4S => Sse::Cvtdq2pd,
        O::F32x4DemoteF64x2Zero => Sse::Cvtpd2ps,
        O::F64x2PromoteLowF32x4 => Sse::Cvtps2pd,
        _ => return None,
    })
}

/// The high-half extensions: the high 8 bytes moved down, then extended.
fn extend_high(op: Opcode) -> Option<Sse> {
    use Opcode as O;
    Some(match op {
        O::I16x8ExtendHighI8x16S => Sse::Pmovsxbw,
        O::I16x8ExtendHighI8x16U => Sse::Pmovzxbw,
        O::I32x4ExtendHighI16x8S => Sse::Pmovsxwd,
        O::I32x4ExtendHighI16x8U => Sse::Pmovzxwd,
        O::I64x2ExtendHighI32x4S => Sse::Pmovsxdq,
        O::I64x2ExtendHighI32x4U => Sse::Pmovzxdq,
        _ => return None,
    })
}

/// `roundps`/`roundpd` modes (with bit 3: no precision exception).
fn round(op: Opcode) -> Option<(SseImm, u8)> {
    use Opcode as O;
    Some(match op {
        O::F32x4Nearest => (SseImm::Roundps, 8),
        O::F32x4Floor => (SseImm::Roundps, 9),
        O::F32x4Ceil => (SseImm::Roundps, 10),
        O::F32x4Trunc => (SseImm::Roundps, 11),
        O::F64x2Nearest => (SseImm::Roundpd, 8),
        O::F64x2Floor => (SseImm::Roundpd, 9),
        O::F64x2Ceil => (SseImm::Roundpd, 10),
        O::F64x2Trunc => (SseImm::Roundpd, 11),
        _ => return None,
    })
}

/// Shifts with an SSE form: the op and the lane width's count mask.
fn shift(op: Opcode) -> Option<(SseShift, u32)> {
    use Opcode as O;
    Some(match op {
        O::I16x8Shl => (SseShift::Psllw, 15),
        O::I16x8ShrS => (SseShift::Psraw, 15),
        O::I16x8ShrU => (SseShift::Psrlw, 15),
        O::I32x4Shl => (SseShift::Pslld, 31),
        O::I32x4ShrS => (SseShift::Psrad, 31),
        O::I32x4ShrU => (SseShift::Psrld, 31),
        O::I64x2Shl => (SseShift::Psllq, 63),
        O::I64x2ShrU => (SseShift::Psrlq, 63),
        _ => return None,
    })
}

/// `all_true`: the lanes compared with zero.
fn all_true(op: Opcode) -> Option<Sse> {
    use Opcode as O;
    Some(match op {
        O::I8x16AllTrue => Sse::Pcmpeqb,
        O::I16x8AllTrue => Sse::Pcmpeqw,
        O::I32x4AllTrue => Sse::Pcmpeqd,
        O::I64x2AllTrue => Sse::Pcmpeqq,
        _ => return None,
    })
}

fn splat_bytes(v: u32, n: usize) -> [u8; 16] {
    let mut b = [0u8; 16];
    for (i, x) in b.iter_mut().enumerate() {
        *x = (v >> (8 * (i % n))) as u8;
    }
    b
}

impl FuncCompiler<'_> {
    /// Pops two operands into `xmm` registers the caller owns: `(a, b)`,
    /// `b` the top one.
    fn pop_xmm_pair(&mut self) -> Result<(Xmm, Xmm), Unsupported> {
        let (b, bd) = self.pop()?;
        let (a, ad) = self.pop()?;
        let xa = self.xmm_of(a, ad);
        let xb = self.xmm_of(b, bd);
        Ok((xa, xb))
    }

    /// A 16-byte constant in the function's pool.
    pub(super) fn const16(&mut self, bytes: [u8; 16]) -> Mem {
        if let Some((l, _)) = self.consts.iter().find(|(_, b)| *b == bytes) {
            return Mem::rip(*l, 0);
        }
        let l = self.s.asm.new_label();
        self.consts.push((l, bytes));
        Mem::rip(l, 0)
    }

    /// Loads a 16-byte constant into `x`.
    fn load_v128(&mut self, x: Xmm, bytes: [u8; 16]) {
        if bytes == [0; 16] {
            self.asm().sse_rr(Sse::Pxor, x, x);
        } else if bytes == [0xff; 16] {
            self.asm().sse_rr(Sse::Pcmpeqd, x, x);
        } else {
            let m = self.const16(bytes);
            self.asm().sse_rm(Sse::Movdqu, x, m);
        }
    }

    /// `op x, [constant]` through the scratch register (the pool is not
    /// 16-byte aligned, which SSE memory operands need).
    fn with_const(&mut self, op: Sse, x: Xmm, bytes: [u8; 16]) {
        self.load_v128(XMM_SCRATCH0, bytes);
        self.asm().sse_rr(op, x, XMM_SCRATCH0);
    }

    pub(super) fn simd(&mut self, op: Opcode, imm: Imm<'_>) -> Result<(), Unsupported> {
        use Opcode as O;
        use ValType::{F32, F64, I32, I64, V128};
        if let Some(b) = binary(op) {
            if self.avx2 {
                return self.vex_binop(b.op, V128, b.swap);
            }
            let (xa, xb) = self.pop_xmm_pair()?;
            let (dst, src) = if b.swap { (xb, xa) } else { (xa, xb) };
            self.asm().sse_rr(b.op, dst, src);
            self.free(Loc::Xmm(src));
            self.push(V128, Loc::Xmm(dst));
            return Ok(());
        }
        if let Some((cmp, pred, swap)) = float_compare(op) {
            let (xa, xb) = self.pop_xmm_pair()?;
            let (dst, src) = if swap { (xb, xa) } else { (xa, xb) };
            self.asm().sse_rri(cmp, dst, src, pred);
            self.free(Loc::Xmm(src));
            self.push(V128, Loc::Xmm(dst));
            return Ok(());
        }
        if let Some(u) = unary(op) {
            let x = self.pop_xmm()?;
            self.asm().sse_rr(u, x, x);
            self.push(V128, Loc::Xmm(x));
            return Ok(());
        }
        if let Some(u) = extend_high(op) {
            let x = self.pop_xmm()?;
            let a = self.asm();
            a.sse_rri(SseImm::Pshufd, x, x, 0xee);
            a.sse_rr(u, x, x);
            self.push(V128, Loc::Xmm(x));
            return Ok(());
        }
        if let Some((r, mode)) = round(op) {
            let x = self.pop_xmm()?;
            self.asm().sse_rri(r, x, x, mode);
            self.push(V128, Loc::Xmm(x));
            return Ok(());
        }
        if let Some(cmp) = all_true(op) {
            // All lanes are non-zero: no lane equals zero.
            let x = self.pop_xmm()?;
            let a = self.asm();
            a.sse_rr(Sse::Pxor, XMM_SCRATCH0, XMM_SCRATCH0);
            a.sse_rr(cmp, XMM_SCRATCH0, x);
            a.sse_rr(Sse::Ptest, XMM_SCRATCH0, XMM_SCRATCH0);
            self.free(Loc::Xmm(x));
            self.push(I32, Loc::Cond(Cond::E));
            return Ok(());
        }
        if let Some((sh, mask)) = shift(op) {
            let (count, cd) = self.pop()?;
            if let Loc::Const(c) = count.loc {
                let x = self.pop_xmm()?;
                self.asm().sse_shift_ri(sh, x, (c as u32 & mask) as u8);
                self.push(V128, Loc::Xmm(x));
            } else {
                self.load_gpr(Gpr::Rax, count, cd);
                self.free(count.loc);
                let x = self.pop_xmm()?;
                let a = self.asm();
                a.alu_ri(Alu::And, Size::S32, Gpr::Rax, mask as i32);
                a.movd_xr(Size::S32, XMM_SCRATCH0, Gpr::Rax);
                a.sse_shift_rr(sh, x, XMM_SCRATCH0);
                self.push(V128, Loc::Xmm(x));
            }
            return Ok(());
        }
        match (op, imm) {
            (O::V128Const, Imm::Bytes16(b)) => {
                let x = self.alloc_xmm();
                self.load_v128(x, b);
                self.push(V128, Loc::Xmm(x));
            }
            (O::V128Load, Imm::MemArg(m)) => {
                let mem = self.address(m, 16)?;
                let x = self.alloc_xmm();
                self.asm().sse_rm(Sse::Movdqu, x, mem);
                self.push(V128, Loc::Xmm(x));
            }
            (O::V128Store, Imm::MemArg(m)) => {
                let x = self.pop_xmm()?;
                let mem = self.address(m, 16)?;
                self.asm().sse_mr(Sse::Movdqu, mem, x);
                self.free(Loc::Xmm(x));
            }
            (
                O::V128Load8x8S
                | O::V128Load8x8U
                | O::V128Load16x4S
                | O::V128Load16x4U
                | O::V128Load32x2S
                | O::V128Load32x2U,
                Imm::MemArg(m),
            ) => {
                let ext = match op {
                    O::V128Load8x8S => Sse::Pmovsxbw,
                    O::V128Load8x8U => Sse::Pmovzxbw,
                    O::V128Load16x4S => Sse::Pmovsxwd,
                    O::V128Load16x4U => Sse::Pmovzxwd,
                    O::V128Load32x2S => Sse::Pmovsxdq,
                    _ => Sse::Pmovzxdq,
                };
                let mem = self.address(m, 8)?;
                let x = self.alloc_xmm();
                let a = self.asm();
                a.movq_xm(x, mem);
                a.sse_rr(ext, x, x);
                self.push(V128, Loc::Xmm(x));
            }
            (
                O::V128Load8Splat
                | O::V128Load16Splat
                | O::V128Load32Splat
                | O::V128Load64Splat
                | O::V128Load32Zero
                | O::V128Load64Zero,
                Imm::MemArg(m),
            ) => {
                let size = match op {
                    O::V128Load8Splat => 1,
                    O::V128Load16Splat => 2,
                    O::V128Load32Splat | O::V128Load32Zero => 4,
                    _ => 8,
                };
                let mem = self.address(m, size)?;
                let x = self.alloc_xmm();
                let a = self.asm();
                match size {
                    1 => a.movzx_rm(Size::S32, Gpr::Rdx, Size::S8, mem),
                    2 => a.movzx_rm(Size::S32, Gpr::Rdx, Size::S16, mem),
                    4 => a.movd_xm(x, mem),
                    _ => a.movq_xm(x, mem),
                }
                if size <= 2 {
                    a.movd_xr(Size::S32, x, Gpr::Rdx);
                }
                self.splat_lanes(x, size, op);
                self.push(V128, Loc::Xmm(x));
            }
            (
                O::V128Load8Lane | O::V128Load16Lane | O::V128Load32Lane | O::V128Load64Lane,
                Imm::MemArgLane(m, lane),
            ) => {
                let x = self.pop_xmm()?;
                let (size, bytes) = lane_size(op);
                let mem = self.address(m, bytes)?;
                let a = self.asm();
                match size {
                    Size::S8 => a.movzx_rm(Size::S32, Gpr::Rdx, Size::S8, mem),
                    Size::S16 => a.movzx_rm(Size::S32, Gpr::Rdx, Size::S16, mem),
                    s => a.mov_rm(s, Gpr::Rdx, mem),
                }
                a.pinsr(size, x, Gpr::Rdx, lane);
                self.push(V128, Loc::Xmm(x));
            }
            (
                O::V128Store8Lane | O::V128Store16Lane | O::V128Store32Lane | O::V128Store64Lane,
                Imm::MemArgLane(m, lane),
            ) => {
                let x = self.pop_xmm()?;
                let (size, bytes) = lane_size(op);
                let mem = self.address(m, bytes)?;
                let a = self.asm();
                a.pextr(size, Gpr::Rdx, x, lane);
                a.mov_mr(size, mem, Gpr::Rdx);
                self.free(Loc::Xmm(x));
            }
            (O::I8x16Splat | O::I16x8Splat | O::I32x4Splat | O::I64x2Splat, _) => {
                let r = self.pop_gpr()?;
                let x = self.alloc_xmm();
                let size = match op {
                    O::I8x16Splat => 1,
                    O::I16x8Splat => 2,
                    O::I32x4Splat => 4,
                    _ => 8,
                };
                let s = if size == 8 { Size::S64 } else { Size::S32 };
                self.asm().movd_xr(s, x, r);
                self.free(Loc::Gpr(r));
                self.splat_lanes(x, size, op);
                self.push(V128, Loc::Xmm(x));
            }
            (O::F32x4Splat | O::F64x2Splat, _) => {
                let x = self.pop_xmm()?;
                let size = if op == O::F32x4Splat { 4 } else { 8 };
                self.splat_lanes(x, size, op);
                self.push(V128, Loc::Xmm(x));
            }
            (
                O::I8x16ExtractLaneS
                | O::I8x16ExtractLaneU
                | O::I16x8ExtractLaneS
                | O::I16x8ExtractLaneU
                | O::I32x4ExtractLane
                | O::I64x2ExtractLane,
                Imm::Lane(lane),
            ) => {
                let x = self.pop_xmm()?;
                let r = self.alloc_gpr();
                let a = self.asm();
                let ty = match op {
                    O::I8x16ExtractLaneS | O::I8x16ExtractLaneU => {
                        a.pextr(Size::S8, r, x, lane);
                        if op == O::I8x16ExtractLaneS {
                            a.movsx_rr(Size::S32, r, Size::S8, r);
                        }
                        I32
                    }
                    O::I16x8ExtractLaneS | O::I16x8ExtractLaneU => {
                        a.pextr(Size::S16, r, x, lane);
                        if op == O::I16x8ExtractLaneS {
                            a.movsx_rr(Size::S32, r, Size::S16, r);
                        }
                        I32
                    }
                    O::I32x4ExtractLane => {
                        a.pextr(Size::S32, r, x, lane);
                        I32
                    }
                    _ => {
                        a.pextr(Size::S64, r, x, lane);
                        I64
                    }
                };
                self.free(Loc::Xmm(x));
                self.push(ty, Loc::Gpr(r));
            }
            (O::F32x4ExtractLane, Imm::Lane(lane)) => {
                let x = self.pop_xmm()?;
                if lane != 0 {
                    self.asm().sse_rri(SseImm::Pshufd, x, x, lane);
                }
                self.push(F32, Loc::Xmm(x));
            }
            (O::F64x2ExtractLane, Imm::Lane(lane)) => {
                let x = self.pop_xmm()?;
                if lane != 0 {
                    self.asm().sse_rri(SseImm::Pshufd, x, x, 0xee);
                }
                self.push(F64, Loc::Xmm(x));
            }
            (
                O::I8x16ReplaceLane
                | O::I16x8ReplaceLane
                | O::I32x4ReplaceLane
                | O::I64x2ReplaceLane,
                Imm::Lane(lane),
            ) => {
                let r = self.pop_gpr()?;
                let x = self.pop_xmm()?;
                let size = match op {
                    O::I8x16ReplaceLane => Size::S8,
                    O::I16x8ReplaceLane => Size::S16,
                    O::I32x4ReplaceLane => Size::S32,
                    _ => Size::S64,
                };
                self.asm().pinsr(size, x, r, lane);
                self.free(Loc::Gpr(r));
                self.push(V128, Loc::Xmm(x));
            }
            (O::F32x4ReplaceLane | O::F64x2ReplaceLane, Imm::Lane(lane)) => {
                let y = self.pop_xmm()?;
                let x = self.pop_xmm()?;
                let a = self.asm();
                match (op, lane) {
                    (O::F32x4ReplaceLane, _) => a.sse_rri(SseImm::Insertps, x, y, lane << 4),
                    // The register form of movsd replaces the low lane.
                    (_, 0) => a.sse_rr(Sse::Movsd, x, y),
                    _ => a.sse_rr(Sse::Movlhps, x, y),
                }
                self.free(Loc::Xmm(y));
                self.push(V128, Loc::Xmm(x));
            }
            (O::I8x16Shuffle, Imm::Bytes16(lanes)) => {
                // Lanes from one input only, or both inputs the same local:
                // one pshufb of that input, the other operand dropped.
                let n = self.stack.len();
                let same = n >= 2
                    && matches!(
                        (self.stack[n - 2].loc, self.stack[n - 1].loc),
                        (Loc::Local(i), Loc::Local(j)) if i == j
                    );
                let from_a = lanes.iter().any(|&l| l < 16);
                let from_b = lanes.iter().any(|&l| l >= 16);
                if same || !from_a || !from_b {
                    let (b, bd) = self.pop()?;
                    let (a, ad) = self.pop()?;
                    let (keep, depth, other) = if from_a || same {
                        (a, ad, b)
                    } else {
                        (b, bd, a)
                    };
                    self.free(other.loc);
                    let x = self.xmm_of(keep, depth);
                    self.with_const(Sse::Pshufb, x, lanes.map(|l| l & 15));
                    self.push(V128, Loc::Xmm(x));
                    return Ok(());
                }
                // pshufb each input with the lanes it supplies (0x80 zeroes
                // the others), then or.
                let (xa, xb) = self.pop_xmm_pair()?;
                let ma = lanes.map(|l| if l < 16 { l } else { 0x80 });
                let mb = lanes.map(|l| if l >= 16 { l - 16 } else { 0x80 });
                self.with_const(Sse::Pshufb, xa, ma);
                self.with_const(Sse::Pshufb, xb, mb);
                self.asm().sse_rr(Sse::Por, xa, xb);
                self.free(Loc::Xmm(xb));
                self.push(V128, Loc::Xmm(xa));
            }
            (O::I8x16Swizzle, _) => {
                // Indices of 16 and more select zero: adding 0x70 with
                // unsigned saturation sets their top bit (pshufb's zero)
                // and keeps the low four bits of the others.
                let (xa, xs) = self.pop_xmm_pair()?;
                self.with_const(Sse::Paddusb, xs, [0x70; 16]);
                self.asm().sse_rr(Sse::Pshufb, xa, xs);
                self.free(Loc::Xmm(xs));
                self.push(V128, Loc::Xmm(xa));
            }
            (O::V128Not, _) => {
                let x = self.pop_xmm()?;
                self.with_const(Sse::Pxor, x, [0xff; 16]);
                self.push(V128, Loc::Xmm(x));
            }
            (O::I8x16Neg | O::I16x8Neg | O::I32x4Neg | O::I64x2Neg, _) => {
                let sub = match op {
                    O::I8x16Neg => Sse::Psubb,
                    O::I16x8Neg => Sse::Psubw,
                    O::I32x4Neg => Sse::Psubd,
                    _ => Sse::Psubq,
                };
                let x = self.pop_xmm()?;
                let a = self.asm();
                a.sse_rr(Sse::Pxor, XMM_SCRATCH0, XMM_SCRATCH0);
                a.sse_rr(sub, XMM_SCRATCH0, x);
                a.sse_rr(Sse::Movdqa, x, XMM_SCRATCH0);
                self.push(V128, Loc::Xmm(x));
            }
            (O::I8x16Ne | O::I16x8Ne | O::I32x4Ne | O::I64x2Ne, _) => {
                let eq = match op {
                    O::I8x16Ne => Sse::Pcmpeqb,
                    O::I16x8Ne => Sse::Pcmpeqw,
                    O::I32x4Ne => Sse::Pcmpeqd,
                    _ => Sse::Pcmpeqq,
                };
                let (xa, xb) = self.pop_xmm_pair()?;
                self.asm().sse_rr(eq, xa, xb);
                self.free(Loc::Xmm(xb));
                self.with_const(Sse::Pxor, xa, [0xff; 16]);
                self.push(V128, Loc::Xmm(xa));
            }
            (O::F32x4Abs | O::F32x4Neg | O::F64x2Abs | O::F64x2Neg, _) => {
                let (mask, op_) = match op {
                    O::F32x4Abs => (0x7fff_ffffu32, Sse::Andps),
                    O::F32x4Neg => (0x8000_0000, Sse::Xorps),
                    O::F64x2Abs => (0, Sse::Andpd),
                    _ => (0, Sse::Xorpd),
                };
                let bytes = match op {
                    O::F64x2Abs => {
                        let mut b = [0xff; 16];
                        b[7] = 0x7f;
                        b[15] = 0x7f;
                        b
                    }
                    O::F64x2Neg => {
                        let mut b = [0; 16];
                        b[7] = 0x80;
                        b[15] = 0x80;
                        b
                    }
                    _ => splat_bytes(mask, 4),
                };
                let x = self.pop_xmm()?;
                self.with_const(op_, x, bytes);
                self.push(V128, Loc::Xmm(x));
            }
            (O::V128Bitselect, _) => {
                // (v1 & c) | (v2 & !c).
                let (c_, cd) = self.pop()?;
                let (v2_, v2d) = self.pop()?;
                let (v1_, v1d) = self.pop()?;
                let x1 = self.xmm_of(v1_, v1d);
                let x2 = self.xmm_of(v2_, v2d);
                let xc = self.xmm_of(c_, cd);
                let a = self.asm();
                a.sse_rr(Sse::Pand, x1, xc);
                a.sse_rr(Sse::Pandn, xc, x2);
                a.sse_rr(Sse::Por, x1, xc);
                self.free(Loc::Xmm(xc));
                self.free(Loc::Xmm(x2));
                self.push(V128, Loc::Xmm(x1));
            }
            (O::V128AnyTrue, _) => {
                let x = self.pop_xmm()?;
                self.asm().sse_rr(Sse::Ptest, x, x);
                self.free(Loc::Xmm(x));
                self.push(I32, Loc::Cond(Cond::Ne));
            }
            (O::I8x16Bitmask | O::I16x8Bitmask | O::I32x4Bitmask | O::I64x2Bitmask, _) => {
                let x = self.pop_xmm()?;
                let r = self.alloc_gpr();
                let a = self.asm();
                match op {
                    O::I8x16Bitmask => a.pmovmskb(r, x),
                    O::I16x8Bitmask => {
                        // Words to bytes with signed saturation keeps each
                        // lane's sign; both halves are the same lanes.
                        a.sse_rr(Sse::Packsswb, x, x);
                        a.pmovmskb(r, x);
                        a.movzx_rr(Size::S32, r, Size::S8, r);
                    }
                    O::I32x4Bitmask => a.movmskps(r, x),
                    _ => a.movmskpd(r, x),
                }
                self.free(Loc::Xmm(x));
                self.push(I32, Loc::Gpr(r));
            }
            _ => self.simd_libcall(op)?,
        }
        Ok(())
    }

    /// Fills every lane of `x` with its low lane of `size` bytes (for a
    /// `*_zero` load, nothing).
    fn splat_lanes(&mut self, x: Xmm, size: u32, op: Opcode) {
        if matches!(op, Opcode::V128Load32Zero | Opcode::V128Load64Zero) {
            return;
        }
        let avx2 = self.avx2;
        let a = self.asm();
        if avx2 {
            a.vpbroadcast(size as u8, x, x);
            return;
        }
        match size {
            1 => {
                a.sse_rr(Sse::Pxor, XMM_SCRATCH0, XMM_SCRATCH0);
                a.sse_rr(Sse::Pshufb, x, XMM_SCRATCH0);
            }
            2 => {
                a.sse_rri(SseImm::Pshuflw, x, x, 0);
                a.sse_rri(SseImm::Pshufd, x, x, 0);
            }
            4 => a.sse_rri(SseImm::Pshufd, x, x, 0),
            _ => a.sse_rri(SseImm::Pshufd, x, x, 0x44),
        }
    }

    /// An instruction run by `vm::simd_op`: its operands go to the
    /// outgoing area (16 bytes each), its result comes back in the first.
    fn simd_libcall(&mut self, op: Opcode) -> Result<(), Unsupported> {
        use crate::interp::simd::{class, SimdClass};
        let (args, result) = match class(op) {
            Some(SimdClass::Unary) => (1, ValType::V128),
            Some(SimdClass::Binary) | Some(SimdClass::Shift) => (2, ValType::V128),
            Some(SimdClass::Ternary) => (3, ValType::V128),
            Some(SimdClass::Test) => (1, ValType::I32),
            Some(SimdClass::Splat) => (1, ValType::V128),
            _ => return Err(format!("`{}`", op.name())),
        };
        self.outgoing((0..args).map(|i| 16 * i), 16 * args as usize)?;
        self.save_pinned();
        let a = self.asm();
        a.mov_ri(Size::S32, Gpr::Rdi, i64::from(op as u16));
        a.mov_rr(Size::S64, Gpr::Rsi, Gpr::Rsp);
        a.call_m(Mem::base(VMCTX, vm::SIMD_OP));
        self.reload_pinned();
        let m = Mem::base(Gpr::Rsp, 0);
        if result == ValType::V128 {
            let x = self.alloc_xmm();
            self.asm().sse_rm(Sse::Movdqu, x, m);
            self.push(result, Loc::Xmm(x));
        } else {
            let r = self.alloc_gpr();
            self.asm().mov_rm(Size::S32, r, m);
            self.push(result, Loc::Gpr(r));
        }
        Ok(())
    }
}

/// The lane size of a lane load or store, and its bytes.
fn lane_size(op: Opcode) -> (Size, u32) {
    use Opcode as O;
    match op {
        O::V128Load8Lane | O::V128Store8Lane => (Size::S8, 1),
        O::V128Load16Lane | O::V128Store16Lane => (Size::S16, 2),
        O::V128Load32Lane | O::V128Store32Lane => (Size::S32, 4),
        _ => (Size::S64, 8),
    }
}
