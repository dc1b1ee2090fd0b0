//! The x86-64 instruction encoder of nanowasm's compiler.
//!
//! This crate only encodes: the code generator (in `nanowasm-runtime`)
//! chooses instructions and registers, and calls one method per instruction
//! form here. Every form is checked against the `iced-x86` decoder in this
//! crate's tests.
//!
//! Encoding is table-free where the ISA is regular: REX, ModRM, SIB and
//! displacement come from one routine ([`Assembler::op`]) that every
//! instruction shares; the ALU group, the shift group and the SSE
//! `op xmm, xmm/m` shapes are enums whose variants carry their opcode bytes.
//! Branches and RIP-relative operands name [`Label`]s, resolved by
//! [`Assembler::finish`].
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt;

/// A general-purpose register.
#[repr(u8)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[allow(missing_docs)]
pub enum Gpr {
    Rax,
    Rcx,
    Rdx,
    Rbx,
    Rsp,
    Rbp,
    Rsi,
    Rdi,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
}

impl Gpr {
    /// Every register, in encoding order.
    pub const ALL: [Gpr; 16] = [
        Gpr::Rax,
        Gpr::Rcx,
        Gpr::Rdx,
        Gpr::Rbx,
        Gpr::Rsp,
        Gpr::Rbp,
        Gpr::Rsi,
        Gpr::Rdi,
        Gpr::R8,
        Gpr::R9,
        Gpr::R10,
        Gpr::R11,
        Gpr::R12,
        Gpr::R13,
        Gpr::R14,
        Gpr::R15,
    ];

    /// The register's number (0-15).
    #[inline]
    pub fn index(self) -> u8 {
        self as u8
    }

    /// The register numbered `i` (taken modulo 16).
    #[inline]
    pub fn from_index(i: u8) -> Gpr {
        Gpr::ALL[usize::from(i & 15)]
    }
}

/// An SSE register, `xmm0` to `xmm15`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct Xmm(pub u8);

/// An operand size.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum Size {
    S8,
    S16,
    S32,
    S64,
}

/// An index scale.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum Scale {
    S1,
    S2,
    S4,
    S8,
}

/// A code position, bound once, referred to by branches before or after.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct Label(u32);

#[derive(Clone, Copy, Debug)]
enum Base {
    Gpr(Gpr, Option<(Gpr, Scale)>),
    Rip(Label),
}

/// A memory operand: `[base + index*scale + disp]` or `[rip + label + disp]`.
#[derive(Clone, Copy, Debug)]
pub struct Mem {
    base: Base,
    disp: i32,
}

impl Mem {
    /// `[base + disp]`.
    #[inline]
    pub fn base(base: Gpr, disp: i32) -> Mem {
        Mem {
            base: Base::Gpr(base, None),
            disp,
        }
    }

    /// `[base + index*scale + disp]`; `index` cannot be `rsp`.
    #[inline]
    pub fn base_index(base: Gpr, index: Gpr, scale: Scale, disp: i32) -> Mem {
        debug_assert!(index != Gpr::Rsp, "rsp cannot be an index");
        Mem {
            base: Base::Gpr(base, Some((index, scale))),
            disp,
        }
    }

    /// `[rip + label + disp]`.
    #[inline]
    pub fn rip(label: Label, disp: i32) -> Mem {
        Mem {
            base: Base::Rip(label),
            disp,
        }
    }

    /// The same operand `d` bytes further.
    #[inline]
    pub fn offset(self, d: i32) -> Mem {
        Mem {
            disp: self.disp + d,
            ..self
        }
    }
}

/// A condition code, in encoding order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum Cond {
    O,
    No,
    B,
    Ae,
    E,
    Ne,
    Be,
    A,
    S,
    Ns,
    P,
    Np,
    L,
    Ge,
    Le,
    G,
}

impl Cond {
    /// The opposite condition.
    #[inline]
    pub fn invert(self) -> Cond {
        const ALL: [Cond; 16] = [
            Cond::O,
            Cond::No,
            Cond::B,
            Cond::Ae,
            Cond::E,
            Cond::Ne,
            Cond::Be,
            Cond::A,
            Cond::S,
            Cond::Ns,
            Cond::P,
            Cond::Np,
            Cond::L,
            Cond::Ge,
            Cond::Le,
            Cond::G,
        ];
        ALL[(self as usize) ^ 1]
    }
}

/// The ALU group (`/digit` order).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum Alu {
    Add,
    Or,
    Adc,
    Sbb,
    And,
    Sub,
    Xor,
    Cmp,
}

/// Shifts and rotates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum Shift {
    Rol,
    Ror,
    Shl,
    Shr,
    Sar,
}

impl Shift {
    fn digit(self) -> u8 {
        match self {
            Shift::Rol => 0,
            Shift::Ror => 1,
            Shift::Shl => 4,
            Shift::Shr => 5,
            Shift::Sar => 7,
        }
    }
}

/// Bit scans and counts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum BitCount {
    Bsf,
    Bsr,
    Lzcnt,
    Tzcnt,
    Popcnt,
}

/// Mandatory prefix and opcode map of an SSE instruction.
#[derive(Clone, Copy)]
struct SseOp {
    prefix: Option<u8>,
    /// The bytes after `0F` (one, or `38 xx` / `3A xx`).
    map: &'static [u8],
}

macro_rules! sse_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $p:expr, [$($b:expr),+];)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[allow(missing_docs)]
        pub enum $name { $($v),* }
        impl $name {
            fn op(self) -> SseOp {
                match self { $($name::$v => SseOp { prefix: $p, map: &[$($b),+] }),* }
            }
        }
    };
}

const P66: Option<u8> = Some(0x66);
const PF2: Option<u8> = Some(0xf2);
const PF3: Option<u8> = Some(0xf3);
const NP: Option<u8> = None;

sse_enum!(
    /// `op xmm, xmm/m` shapes. For the moves, this is the load form;
    /// [`Assembler::sse_mr`] emits the store form.
    Sse {
        Movss = PF3, [0x10]; Movsd = PF2, [0x10]; Movaps = NP, [0x28]; Movapd = P66, [0x28];
        Movups = NP, [0x10]; Movdqu = PF3, [0x6f]; Movdqa = P66, [0x6f];
        Addss = PF3, [0x58]; Addsd = PF2, [0x58]; Addps = NP, [0x58]; Addpd = P66, [0x58];
        Subss = PF3, [0x5c]; Subsd = PF2, [0x5c]; Subps = NP, [0x5c]; Subpd = P66, [0x5c];
        Mulss = PF3, [0x59]; Mulsd = PF2, [0x59]; Mulps = NP, [0x59]; Mulpd = P66, [0x59];
        Divss = PF3, [0x5e]; Divsd = PF2, [0x5e]; Divps = NP, [0x5e]; Divpd = P66, [0x5e];
        Sqrtss = PF3, [0x51]; Sqrtsd = PF2, [0x51]; Sqrtps = NP, [0x51]; Sqrtpd = P66, [0x51];
        Minss = PF3, [0x5d]; Minsd = PF2, [0x5d]; Minps = NP, [0x5d]; Minpd = P66, [0x5d];
        Maxss = PF3, [0x5f]; Maxsd = PF2, [0x5f]; Maxps = NP, [0x5f]; Maxpd = P66, [0x5f];
        Andps = NP, [0x54]; Andpd = P66, [0x54]; Andnps = NP, [0x55]; Andnpd = P66, [0x55];
        Orps = NP, [0x56]; Orpd = P66, [0x56]; Xorps = NP, [0x57]; Xorpd = P66, [0x57];
        Ucomiss = NP, [0x2e]; Ucomisd = P66, [0x2e];
        Cvtss2sd = PF3, [0x5a]; Cvtsd2ss = PF2, [0x5a];
        Cvtdq2ps = NP, [0x5b]; Cvttps2dq = PF3, [0x5b]; Cvtdq2pd = PF3, [0xe6];
        Cvtps2pd = NP, [0x5a]; Cvtpd2ps = P66, [0x5a];
        Paddb = P66, [0xfc]; Paddw = P66, [0xfd]; Paddd = P66, [0xfe]; Paddq = P66, [0xd4];
        Psubb = P66, [0xf8]; Psubw = P66, [0xf9]; Psubd = P66, [0xfa]; Psubq = P66, [0xfb];
        Pcmpeqb = P66, [0x74]; Pcmpeqw = P66, [0x75]; Pcmpeqd = P66, [0x76]; Pcmpeqq = P66, [0x38, 0x29];
        Pcmpgtb = P66, [0x64]; Pcmpgtw = P66, [0x65]; Pcmpgtd = P66, [0x66]; Pcmpgtq = P66, [0x38, 0x37];
        Pand = P66, [0xdb]; Pandn = P66, [0xdf]; Por = P66, [0xeb]; Pxor = P66, [0xef];
        Pshufb = P66, [0x38, 0x00]; Ptest = P66, [0x38, 0x17];
        Pmulld = P66, [0x38, 0x40]; Pmullw = P66, [0xd5];
        Pminsb = P66, [0x38, 0x38]; Pminsw = P66, [0xea]; Pminsd = P66, [0x38, 0x39];
        Pminub = P66, [0xda]; Pminuw = P66, [0x38, 0x3a]; Pminud = P66, [0x38, 0x3b];
        Pmaxsb = P66, [0x38, 0x3c]; Pmaxsw = P66, [0xee]; Pmaxsd = P66, [0x38, 0x3d];
        Pmaxub = P66, [0xde]; Pmaxuw = P66, [0x38, 0x3e]; Pmaxud = P66, [0x38, 0x3f];
        Punpcklbw = P66, [0x60]; Punpcklwd = P66, [0x61]; Punpckldq = P66, [0x62];
        Punpcklqdq = P66, [0x6c]; Punpckhqdq = P66, [0x6d];
        Packsswb = P66, [0x63]; Packssdw = P66, [0x6b]; Packuswb = P66, [0x67]; Packusdw = P66, [0x38, 0x2b];
        Pabsb = P66, [0x38, 0x1c]; Pabsw = P66, [0x38, 0x1d]; Pabsd = P66, [0x38, 0x1e];
        Paddsb = P66, [0xec]; Paddsw = P66, [0xed]; Paddusb = P66, [0xdc]; Paddusw = P66, [0xdd];
        Psubsb = P66, [0xe8]; Psubsw = P66, [0xe9]; Psubusb = P66, [0xd8]; Psubusw = P66, [0xd9];
        Pavgb = P66, [0xe0]; Pavgw = P66, [0xe3];
        Pmovsxbw = P66, [0x38, 0x20]; Pmovzxbw = P66, [0x38, 0x30]; Pmovsxwd = P66, [0x38, 0x23];
        Pmovzxwd = P66, [0x38, 0x33]; Pmovsxdq = P66, [0x38, 0x25]; Pmovzxdq = P66, [0x38, 0x35];
        Pmaddwd = P66, [0xf5]; Unpcklps = NP, [0x14]; Movlhps = NP, [0x16]; Movhlps = NP, [0x12];
    }
);

sse_enum!(
    /// `op xmm, xmm/m, imm8` shapes.
    SseImm {
        Roundss = P66, [0x3a, 0x0a]; Roundsd = P66, [0x3a, 0x0b]; Roundps = P66, [0x3a, 0x08];
        Roundpd = P66, [0x3a, 0x09]; Pshufd = P66, [0x70]; Pshuflw = PF2, [0x70]; Pshufhw = PF3, [0x70];
        Shufps = NP, [0xc6]; Cmpps = NP, [0xc2]; Cmppd = P66, [0xc2]; Cmpss = PF3, [0xc2];
        Cmpsd = PF2, [0xc2]; Palignr = P66, [0x3a, 0x0f]; Blendps = P66, [0x3a, 0x0c];
        Pblendw = P66, [0x3a, 0x0e]; Insertps = P66, [0x3a, 0x21];
    }
);

/// Vector shifts: by an immediate ([`Assembler::sse_shift_ri`]) or by the
/// count in an `xmm` ([`Assembler::sse_shift_rr`], not for the byte shifts).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum SseShift {
    Psllw,
    Pslld,
    Psllq,
    Psrlw,
    Psrld,
    Psrlq,
    Psraw,
    Psrad,
    Pslldq,
    Psrldq,
}

impl SseShift {
    /// `(opcode, /digit)` of the immediate form.
    fn imm_form(self) -> (u8, u8) {
        match self {
            SseShift::Psllw => (0x71, 6),
            SseShift::Pslld => (0x72, 6),
            SseShift::Psllq => (0x73, 6),
            SseShift::Psrlw => (0x71, 2),
            SseShift::Psrld => (0x72, 2),
            SseShift::Psrlq => (0x73, 2),
            SseShift::Psraw => (0x71, 4),
            SseShift::Psrad => (0x72, 4),
            SseShift::Pslldq => (0x73, 7),
            SseShift::Psrldq => (0x73, 3),
        }
    }

    /// The opcode of the register form, if there is one.
    fn reg_form(self) -> Option<u8> {
        Some(match self {
            SseShift::Psllw => 0xf1,
            SseShift::Pslld => 0xf2,
            SseShift::Psllq => 0xf3,
            SseShift::Psrlw => 0xd1,
            SseShift::Psrld => 0xd2,
            SseShift::Psrlq => 0xd3,
            SseShift::Psraw => 0xe1,
            SseShift::Psrad => 0xe2,
            SseShift::Pslldq | SseShift::Psrldq => return None,
        })
    }
}

/// Why [`Assembler::finish`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// A label was referred to but never bound.
    UnboundLabel(Label),
    /// A short (8-bit) branch at this offset cannot reach its label.
    ShortBranchOutOfRange {
        /// The offset of the branch's displacement byte.
        at: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::UnboundLabel(l) => write!(f, "label {} is never bound", l.0),
            EncodeError::ShortBranchOutOfRange { at } => {
                write!(
                    f,
                    "the short branch at offset {at:#x} cannot reach its label"
                )
            }
        }
    }
}

impl core::error::Error for EncodeError {}

#[derive(Clone, Copy, Debug)]
enum FixupKind {
    /// A rel8/rel32 field: `label + addend - end`.
    Rel { bytes: u8, end: usize, addend: i32 },
    /// A 32-bit `label - base`.
    Diff { base: Label },
}

#[derive(Clone, Copy, Debug)]
struct Fixup {
    at: usize,
    label: Label,
    kind: FixupKind,
}

/// The r/m operand of an instruction: a register number or memory.
#[derive(Clone, Copy)]
enum Rm {
    Reg(u8),
    Mem(Mem),
}

impl Rm {
    /// The REX/VEX `X` and `B` bits: the high bits of the index and of the
    /// base (or of the register operand).
    fn extension_bits(self) -> (u8, u8) {
        match self {
            Rm::Reg(r) => (0, r >> 3),
            Rm::Mem(Mem {
                base: Base::Gpr(base, index),
                ..
            }) => (index.map_or(0, |(i, _)| i.index() >> 3), base.index() >> 3),
            Rm::Mem(_) => (0, 0),
        }
    }
}

/// The prefixes and opcode of an instruction being built (at most 5
/// bytes: a legacy prefix, REX and a 3-byte opcode, or VEX and an opcode),
/// little-endian in an integer: building them is shifts and ors in
/// registers, and [`Assembler::modrm_after`] appends them with the rest of
/// the instruction in one store.
#[derive(Default, Clone, Copy)]
struct Insn {
    bytes: u64,
    len: u32,
}

impl Insn {
    #[inline(always)]
    fn put(&mut self, b: u8) {
        self.put_n(u64::from(b), 1);
    }

    /// `n` bytes, little-endian in `v`.
    #[inline(always)]
    fn put_n(&mut self, v: u64, n: u32) {
        debug_assert!(self.len + n <= 7, "an instruction head is at most 7 bytes");
        self.bytes |= v << (8 * (self.len & 7));
        self.len += n;
    }
}

/// An x86-64 code buffer.
#[derive(Default)]
pub struct Assembler {
    buf: Vec<u8>,
    labels: Vec<Option<usize>>,
    fixups: Vec<Fixup>,
}

fn is_byte_reg_needing_rex(r: u8) -> bool {
    (4..8).contains(&r)
}

impl Assembler {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        Assembler {
            buf: Vec::with_capacity(n),
            ..Self::default()
        }
    }

    /// The current offset.
    #[inline]
    pub fn offset(&self) -> usize {
        self.buf.len()
    }

    /// A new, unbound label.
    #[inline]
    pub fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() as u32 - 1)
    }

    /// Binds `l` to the current offset.
    #[inline]
    pub fn bind(&mut self, l: Label) {
        debug_assert!(self.labels[l.0 as usize].is_none(), "label bound twice");
        self.labels[l.0 as usize] = Some(self.buf.len());
    }

    /// Where `l` is bound, if it is.
    #[inline]
    pub fn label_offset(&self, l: Label) -> Option<usize> {
        self.labels.get(l.0 as usize).copied().flatten()
    }

    /// The bytes so far (fixups not applied).
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Overwrites the 4 bytes at `at` with `v` (little-endian): for
    /// immediates known only later, such as a frame size.
    #[inline]
    pub fn patch_u32(&mut self, at: usize, v: u32) {
        self.buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// The code with every label reference resolved.
    pub fn finish(mut self) -> Result<Vec<u8>, EncodeError> {
        self.resolve()?;
        Ok(self.buf)
    }

    /// Patches every reference to a label, as [`Assembler::finish`] does,
    /// leaving the code in [`Assembler::code`] (and the buffer for more, or
    /// for [`Assembler::clear`]).
    pub fn resolve(&mut self) -> Result<(), EncodeError> {
        // Taken and put back, so that an assembler reused for many
        // functions keeps the fixups' memory.
        let mut fixups = core::mem::take(&mut self.fixups);
        let r = self.apply(&fixups);
        fixups.clear();
        self.fixups = fixups;
        r
    }

    fn apply(&mut self, fixups: &[Fixup]) -> Result<(), EncodeError> {
        for &f in fixups {
            let target = self
                .label_offset(f.label)
                .ok_or(EncodeError::UnboundLabel(f.label))? as i64;
            match f.kind {
                FixupKind::Rel { bytes, end, addend } => {
                    let v = target + i64::from(addend) - end as i64;
                    if bytes == 1 {
                        let b = i8::try_from(v)
                            .map_err(|_| EncodeError::ShortBranchOutOfRange { at: f.at })?;
                        self.buf[f.at] = b as u8;
                    } else {
                        self.patch_u32(f.at, v as i32 as u32);
                    }
                }
                FixupKind::Diff { base } => {
                    let base =
                        self.label_offset(base)
                            .ok_or(EncodeError::UnboundLabel(base))? as i64;
                    self.patch_u32(f.at, (target - base) as i32 as u32);
                }
            }
        }
        Ok(())
    }

    /// The code emitted so far.
    #[inline]
    pub fn code(&self) -> &[u8] {
        &self.buf
    }

    /// Drops the code from `offset` on, to emit something else in its
    /// place. Nothing may refer to the dropped bytes: no label bound and no
    /// label reference recorded in them.
    pub fn truncate(&mut self, offset: usize) {
        debug_assert!(
            self.fixups.iter().all(|f| f.at < offset),
            "a label reference in the dropped code"
        );
        debug_assert!(
            self.labels.iter().flatten().all(|&at| at <= offset),
            "a label bound in the dropped code"
        );
        self.buf.truncate(offset);
    }

    /// Empties the buffer and forgets every label, keeping the memory (a
    /// compiler thread reuses one assembler for all its functions).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.labels.clear();
        self.fixups.clear();
    }

    /// How many bytes the buffer holds without growing.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Pads with multi-byte `nop`s to a multiple of `n`.
    pub fn align(&mut self, n: usize) {
        let pad = self.buf.len().next_multiple_of(n) - self.buf.len();
        self.nop(pad);
    }

    /// Raw bytes.
    #[inline]
    pub fn emit_bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// A little-endian `u32`.
    #[inline]
    pub fn emit_u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A little-endian `u64`.
    #[inline]
    pub fn emit_u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// 4 bytes: `l` minus the end of this field.
    pub fn emit_label_rel32(&mut self, l: Label) {
        let at = self.buf.len();
        self.emit_u32(0);
        self.fixups.push(Fixup {
            at,
            label: l,
            kind: FixupKind::Rel {
                bytes: 4,
                end: at + 4,
                addend: 0,
            },
        });
    }

    /// 4 bytes: `target - base` (jump tables).
    pub fn emit_label_diff32(&mut self, target: Label, base: Label) {
        let at = self.buf.len();
        self.emit_u32(0);
        self.fixups.push(Fixup {
            at,
            label: target,
            kind: FixupKind::Diff { base },
        });
    }

    // ---- the shared encoder -------------------------------------------

    /// Emits `[prefix] [rex] opcode modrm [sib] [disp]` for register field
    /// `reg` (0-15) and operand `rm`; `imm` more bytes follow (for
    /// RIP-relative displacements). `byte_regs`: the register operands are
    /// 8-bit (so 4-7 need a REX prefix to mean spl..dil).
    #[allow(clippy::too_many_arguments)]
    fn op(
        &mut self,
        prefix: Option<u8>,
        w: bool,
        opcode: &[u8],
        reg: u8,
        rm: Rm,
        imm: usize,
        byte_regs: (bool, bool),
    ) {
        let mut b = Insn::default();
        if let Some(p) = prefix {
            b.put(p);
        }
        let (x, xb) = rm.extension_bits();
        let r = reg >> 3;
        let force = (byte_regs.0 && is_byte_reg_needing_rex(reg))
            || (byte_regs.1 && matches!(rm, Rm::Reg(n) if is_byte_reg_needing_rex(n)));
        if w || r != 0 || x != 0 || xb != 0 || force {
            b.put(0x40 | (u8::from(w) << 3) | (r << 2) | (x << 1) | xb);
        }
        // Opcodes are 1 to 3 bytes: matched by length rather than copied
        // in a loop (which cost more than the rest of the encoding).
        match *opcode {
            [o] => b.put(o),
            [o0, o1] => b.put_n(u64::from(u16::from_le_bytes([o0, o1])), 2),
            [o0, o1, o2] => b.put_n(u64::from(u32::from_le_bytes([o0, o1, o2, 0])), 3),
            _ => {
                debug_assert!(false, "an opcode of {} bytes", opcode.len());
                for &o in opcode {
                    b.put(o);
                }
            }
        }
        self.modrm_after(b, reg & 7, rm, imm);
    }

    /// Appends `head`, then the ModRM byte for `reg` and `rm`, its SIB byte
    /// and displacement: built in an integer, appended with `head` in one
    /// store of 16 bytes into the buffer (encoding was a fifth of compile
    /// time when it pushed byte by byte).
    #[inline]
    fn modrm_after(&mut self, head: Insn, reg: u8, rm: Rm, imm: usize) {
        let m = match rm {
            Rm::Reg(r) => {
                return self.emit_insn(head, u64::from(0xc0 | (reg << 3) | (r & 7)), 1);
            }
            Rm::Mem(m) => m,
        };
        let (base, index) = match m.base {
            Base::Rip(label) => return self.rip_relative(head, reg, label, m.disp, imm),
            Base::Gpr(base, index) => (base.index() & 7, index),
        };
        // rbp/r13 as a base always has a displacement.
        let (md, disp_len) = if m.disp == 0 && base != 5 {
            (0u8, 0)
        } else if i8::try_from(m.disp).is_ok() {
            (1, 1)
        } else {
            (2, 4)
        };
        let (tail, len) = match index {
            None if base != 4 => (u64::from((md << 6) | (reg << 3) | base), 1),
            // rsp/r12 as a base need a SIB byte (no index).
            None => (u64::from((md << 6) | (reg << 3) | 4) | 0x24 << 8, 2),
            Some((i, s)) => {
                let sib = ((s as u8) << 6) | ((i.index() & 7) << 3) | base;
                (
                    u64::from((md << 6) | (reg << 3) | 4) | u64::from(sib) << 8,
                    2,
                )
            }
        };
        // The displacement's low bytes (none, 1 or 4 of them).
        let disp = u64::from(m.disp as u32) & ((1u64 << (8 * disp_len)) - 1);
        self.emit_insn(head, tail | disp << (8 * len), len + disp_len);
    }

    /// `[rip + label + disp]`: a zero displacement patched when the label
    /// is resolved (relative to the end of the instruction, `imm` bytes
    /// after the displacement).
    #[cold]
    #[inline(never)]
    fn rip_relative(&mut self, head: Insn, reg: u8, label: Label, disp: i32, imm: usize) {
        let at = self.buf.len() + head.len as usize + 1;
        self.emit_insn(head, u64::from((reg << 3) | 5), 5);
        self.fixups.push(Fixup {
            at,
            label,
            kind: FixupKind::Rel {
                bytes: 4,
                end: at + 4 + imm,
                addend: disp,
            },
        });
    }

    /// Appends `head`'s bytes, then `tail_len` bytes of `tail`
    /// (little-endian): both joined in one `u128` and stored as 16 bytes at
    /// once, then the length cut back (fixed-size copies, where variable
    /// ones are `memcpy` calls). Joined in registers, not in a stack
    /// buffer: one filled by two overlapping stores and read back whole
    /// stalled store forwarding at every instruction.
    #[inline(always)]
    fn emit_insn(&mut self, head: Insn, tail: u64, tail_len: u32) {
        let h = head.len & 7;
        let v = u128::from(head.bytes) | u128::from(tail) << (8 * h);
        let len = self.buf.len();
        self.buf.extend_from_slice(&v.to_le_bytes());
        self.buf.truncate(len + (h + tail_len) as usize);
    }

    /// An integer instruction of size `s`: `66` for 16 bits, REX.W for 64,
    /// and `op8` instead of `op` for 8 bits.
    #[allow(clippy::too_many_arguments)]
    fn int(
        &mut self,
        s: Size,
        op8: &[u8],
        op: &[u8],
        reg: u8,
        rm: Rm,
        imm: usize,
        reg_is_operand: bool,
    ) {
        let prefix = (s == Size::S16).then_some(0x66);
        let byte = s == Size::S8;
        self.op(
            prefix,
            s == Size::S64,
            if byte { op8 } else { op },
            reg,
            rm,
            imm,
            (byte && reg_is_operand, byte),
        );
    }

    fn imm(&mut self, s: Size, v: i64) {
        match s {
            Size::S8 => self.buf.push(v as u8),
            Size::S16 => self.buf.extend_from_slice(&(v as u16).to_le_bytes()),
            _ => self.emit_u32(v as u32),
        }
    }

    fn imm_len(s: Size) -> usize {
        match s {
            Size::S8 => 1,
            Size::S16 => 2,
            _ => 4,
        }
    }

    // ---- general-purpose ----------------------------------------------

    /// `mov dst, src` (32 bits zero-extend into the 64-bit register).
    pub fn mov_rr(&mut self, s: Size, dst: Gpr, src: Gpr) {
        self.int(
            s,
            &[0x88],
            &[0x89],
            src.index(),
            Rm::Reg(dst.index()),
            0,
            true,
        );
    }

    /// `mov dst, [m]`.
    pub fn mov_rm(&mut self, s: Size, dst: Gpr, m: Mem) {
        self.int(s, &[0x8a], &[0x8b], dst.index(), Rm::Mem(m), 0, true);
    }

    /// `mov [m], src`.
    pub fn mov_mr(&mut self, s: Size, m: Mem, src: Gpr) {
        self.int(s, &[0x88], &[0x89], src.index(), Rm::Mem(m), 0, true);
    }

    /// `mov dst, imm` in the shortest form: a 64-bit register gets a
    /// zero-extending 32-bit move, a sign-extended `imm32` or `movabs`.
    pub fn mov_ri(&mut self, s: Size, dst: Gpr, imm: i64) {
        let r = dst.index();
        match s {
            Size::S8 => {
                if r >= 8 || is_byte_reg_needing_rex(r) {
                    self.buf.push(0x40 | (r >> 3));
                }
                self.buf.push(0xb0 | (r & 7));
                self.buf.push(imm as u8);
            }
            Size::S16 | Size::S32 => {
                if s == Size::S16 {
                    self.buf.push(0x66);
                }
                if r >= 8 {
                    self.buf.push(0x41);
                }
                self.buf.push(0xb8 | (r & 7));
                self.imm(s, imm);
            }
            Size::S64 => {
                if u32::try_from(imm).is_ok() {
                    self.mov_ri(Size::S32, dst, imm);
                } else if i32::try_from(imm).is_ok() {
                    self.op(None, true, &[0xc7], 0, Rm::Reg(r), 4, (false, false));
                    self.emit_u32(imm as u32);
                } else {
                    self.buf.push(0x48 | (r >> 3));
                    self.buf.push(0xb8 | (r & 7));
                    self.emit_u64(imm as u64);
                }
            }
        }
    }

    /// `mov [m], imm` (64 bits: the immediate is sign-extended).
    pub fn mov_mi(&mut self, s: Size, m: Mem, imm: i32) {
        let n = Self::imm_len(s);
        self.int(s, &[0xc6], &[0xc7], 0, Rm::Mem(m), n, false);
        self.imm(s, i64::from(imm));
    }

    fn extend(&mut self, dst_s: Size, dst: Gpr, src_s: Size, rm: Rm, signed: bool) {
        let w = dst_s == Size::S64;
        let prefix = (dst_s == Size::S16).then_some(0x66);
        let byte_src = src_s == Size::S8;
        let opcode: &[u8] = match (src_s, signed) {
            (Size::S8, false) => &[0x0f, 0xb6],
            (Size::S16, false) => &[0x0f, 0xb7],
            (Size::S8, true) => &[0x0f, 0xbe],
            (Size::S16, true) => &[0x0f, 0xbf],
            _ => &[0x63],
        };
        self.op(prefix, w, opcode, dst.index(), rm, 0, (false, byte_src));
    }

    /// `movzx dst, src` (`src_s` 8 or 16 bits).
    pub fn movzx_rr(&mut self, dst_s: Size, dst: Gpr, src_s: Size, src: Gpr) {
        self.extend(dst_s, dst, src_s, Rm::Reg(src.index()), false);
    }

    /// `movzx dst, [m]`.
    pub fn movzx_rm(&mut self, dst_s: Size, dst: Gpr, src_s: Size, m: Mem) {
        self.extend(dst_s, dst, src_s, Rm::Mem(m), false);
    }

    /// `movsx dst, src` (`src_s` 8 or 16 bits; 32 bits is `movsxd`).
    pub fn movsx_rr(&mut self, dst_s: Size, dst: Gpr, src_s: Size, src: Gpr) {
        self.extend(dst_s, dst, src_s, Rm::Reg(src.index()), true);
    }

    /// `movsx dst, [m]` (or `movsxd`).
    pub fn movsx_rm(&mut self, dst_s: Size, dst: Gpr, src_s: Size, m: Mem) {
        self.extend(dst_s, dst, src_s, Rm::Mem(m), true);
    }

    /// `lea dst, [m]`.
    pub fn lea(&mut self, s: Size, dst: Gpr, m: Mem) {
        self.int(s, &[0x8d], &[0x8d], dst.index(), Rm::Mem(m), 0, false);
    }

    /// `op dst, src`.
    pub fn alu_rr(&mut self, op: Alu, s: Size, dst: Gpr, src: Gpr) {
        let base = (op as u8) << 3;
        self.int(
            s,
            &[base],
            &[base | 1],
            src.index(),
            Rm::Reg(dst.index()),
            0,
            true,
        );
    }

    /// `op dst, [m]`.
    pub fn alu_rm(&mut self, op: Alu, s: Size, dst: Gpr, m: Mem) {
        let base = (op as u8) << 3;
        self.int(
            s,
            &[base | 2],
            &[base | 3],
            dst.index(),
            Rm::Mem(m),
            0,
            true,
        );
    }

    /// `op [m], src`.
    pub fn alu_mr(&mut self, op: Alu, s: Size, m: Mem, src: Gpr) {
        let base = (op as u8) << 3;
        self.int(s, &[base], &[base | 1], src.index(), Rm::Mem(m), 0, true);
    }

    fn alu_i(&mut self, op: Alu, s: Size, rm: Rm, imm: i32) {
        let short = s != Size::S8 && i8::try_from(imm).is_ok();
        let n = if short { 1 } else { Self::imm_len(s) };
        let opcode: &[u8] = if short { &[0x83] } else { &[0x81] };
        self.int(s, &[0x80], opcode, op as u8, rm, n, false);
        if short {
            self.buf.push(imm as u8);
        } else {
            self.imm(s, i64::from(imm));
        }
    }

    /// `op dst, imm` (an `imm8` when it fits).
    pub fn alu_ri(&mut self, op: Alu, s: Size, dst: Gpr, imm: i32) {
        self.alu_i(op, s, Rm::Reg(dst.index()), imm);
    }

    /// `op [m], imm`.
    pub fn alu_mi(&mut self, op: Alu, s: Size, m: Mem, imm: i32) {
        self.alu_i(op, s, Rm::Mem(m), imm);
    }

    /// `test a, b`.
    pub fn test_rr(&mut self, s: Size, a: Gpr, b: Gpr) {
        self.int(s, &[0x84], &[0x85], b.index(), Rm::Reg(a.index()), 0, true);
    }

    /// `test a, imm`.
    pub fn test_ri(&mut self, s: Size, a: Gpr, imm: i32) {
        let n = Self::imm_len(s);
        self.int(s, &[0xf6], &[0xf7], 0, Rm::Reg(a.index()), n, false);
        self.imm(s, i64::from(imm));
    }

    /// `test [m], imm`.
    pub fn test_mi(&mut self, s: Size, m: Mem, imm: i32) {
        let n = Self::imm_len(s);
        self.int(s, &[0xf6], &[0xf7], 0, Rm::Mem(m), n, false);
        self.imm(s, i64::from(imm));
    }

    /// `imul dst, src`.
    pub fn imul_rr(&mut self, s: Size, dst: Gpr, src: Gpr) {
        self.int(
            s,
            &[0x0f, 0xaf],
            &[0x0f, 0xaf],
            dst.index(),
            Rm::Reg(src.index()),
            0,
            false,
        );
    }

    /// `imul dst, [m]`.
    pub fn imul_rm(&mut self, s: Size, dst: Gpr, m: Mem) {
        self.int(
            s,
            &[0x0f, 0xaf],
            &[0x0f, 0xaf],
            dst.index(),
            Rm::Mem(m),
            0,
            false,
        );
    }

    /// `imul dst, src, imm`.
    pub fn imul_rri(&mut self, s: Size, dst: Gpr, src: Gpr, imm: i32) {
        if let Ok(b) = i8::try_from(imm) {
            self.int(
                s,
                &[0x6b],
                &[0x6b],
                dst.index(),
                Rm::Reg(src.index()),
                1,
                false,
            );
            self.buf.push(b as u8);
        } else {
            let n = Self::imm_len(s);
            self.int(
                s,
                &[0x69],
                &[0x69],
                dst.index(),
                Rm::Reg(src.index()),
                n,
                false,
            );
            self.imm(s, i64::from(imm));
        }
    }

    fn group3(&mut self, digit: u8, s: Size, r: Gpr) {
        self.int(s, &[0xf6], &[0xf7], digit, Rm::Reg(r.index()), 0, false);
    }

    /// `mul src` (`rdx:rax = rax * src`).
    pub fn mul_r(&mut self, s: Size, src: Gpr) {
        self.group3(4, s, src);
    }

    /// `div src`.
    pub fn div_r(&mut self, s: Size, src: Gpr) {
        self.group3(6, s, src);
    }

    /// `idiv src`.
    pub fn idiv_r(&mut self, s: Size, src: Gpr) {
        self.group3(7, s, src);
    }

    /// `neg r`.
    pub fn neg_r(&mut self, s: Size, r: Gpr) {
        self.group3(3, s, r);
    }

    /// `not r`.
    pub fn not_r(&mut self, s: Size, r: Gpr) {
        self.group3(2, s, r);
    }

    /// `cdq` (sign-extend `eax` into `edx`).
    pub fn cdq(&mut self) {
        self.buf.push(0x99);
    }

    /// `cqo` (sign-extend `rax` into `rdx`).
    pub fn cqo(&mut self) {
        self.buf.extend_from_slice(&[0x48, 0x99]);
    }

    /// `op r, cl`.
    pub fn shift_cl(&mut self, op: Shift, s: Size, r: Gpr) {
        self.int(
            s,
            &[0xd2],
            &[0xd3],
            op.digit(),
            Rm::Reg(r.index()),
            0,
            false,
        );
    }

    /// `op r, imm`.
    pub fn shift_ri(&mut self, op: Shift, s: Size, r: Gpr, imm: u8) {
        self.int(
            s,
            &[0xc0],
            &[0xc1],
            op.digit(),
            Rm::Reg(r.index()),
            1,
            false,
        );
        self.buf.push(imm);
    }

    /// `bsf`, `bsr`, `lzcnt`, `tzcnt` or `popcnt` `dst, src`.
    pub fn bitcount(&mut self, op: BitCount, s: Size, dst: Gpr, src: Gpr) {
        let (prefix, opcode) = match op {
            BitCount::Bsf => (None, 0xbc),
            BitCount::Bsr => (None, 0xbd),
            BitCount::Lzcnt => (Some(0xf3), 0xbd),
            BitCount::Tzcnt => (Some(0xf3), 0xbc),
            BitCount::Popcnt => (Some(0xf3), 0xb8),
        };
        if s == Size::S16 {
            self.buf.push(0x66);
        }
        self.op(
            prefix,
            s == Size::S64,
            &[0x0f, opcode],
            dst.index(),
            Rm::Reg(src.index()),
            0,
            (false, false),
        );
    }

    /// `setcc dst` (the low byte).
    pub fn setcc(&mut self, c: Cond, dst: Gpr) {
        self.op(
            None,
            false,
            &[0x0f, 0x90 | c as u8],
            0,
            Rm::Reg(dst.index()),
            0,
            (false, true),
        );
    }

    /// `cmovcc dst, src`.
    pub fn cmovcc(&mut self, c: Cond, s: Size, dst: Gpr, src: Gpr) {
        let opcode = [0x0f, 0x40 | c as u8];
        self.int(
            s,
            &opcode,
            &opcode,
            dst.index(),
            Rm::Reg(src.index()),
            0,
            false,
        );
    }

    /// `xchg a, b`.
    pub fn xchg_rr(&mut self, s: Size, a: Gpr, b: Gpr) {
        self.int(s, &[0x86], &[0x87], b.index(), Rm::Reg(a.index()), 0, true);
    }

    /// `bswap r` (32 or 64 bits).
    pub fn bswap(&mut self, s: Size, r: Gpr) {
        let i = r.index();
        if s == Size::S64 || i >= 8 {
            self.buf
                .push(0x40 | (u8::from(s == Size::S64) << 3) | (i >> 3));
        }
        self.buf.extend_from_slice(&[0x0f, 0xc8 | (i & 7)]);
    }

    /// `push r`.
    pub fn push(&mut self, r: Gpr) {
        let i = r.index();
        if i >= 8 {
            self.buf.push(0x41);
        }
        self.buf.push(0x50 | (i & 7));
    }

    /// `push qword ptr m`.
    pub fn push_m(&mut self, m: Mem) {
        self.op(None, false, &[0xff], 6, Rm::Mem(m), 0, (false, false));
    }

    /// `pop r`.
    pub fn pop(&mut self, r: Gpr) {
        let i = r.index();
        if i >= 8 {
            self.buf.push(0x41);
        }
        self.buf.push(0x58 | (i & 7));
    }

    fn rel(&mut self, l: Label, bytes: u8) {
        let at = self.buf.len();
        self.fixups.push(Fixup {
            at,
            label: l,
            kind: FixupKind::Rel {
                bytes,
                end: at + usize::from(bytes),
                addend: 0,
            },
        });
        self.buf.extend_from_slice(&[0; 4][..usize::from(bytes)]);
    }

    /// `call` to code outside this buffer: emits `call rel32` with a zero
    /// displacement and returns the displacement's offset, for the caller
    /// to patch once the target's place is known (relative to the end of
    /// the 4-byte field).
    pub fn call_extern(&mut self) -> usize {
        self.buf.push(0xe8);
        let at = self.buf.len();
        self.emit_u32(0);
        at
    }

    /// `jmp rel32` to code outside this buffer: returns where the rel32
    /// field is, for the caller to patch once the target is placed.
    pub fn jmp_extern(&mut self) -> usize {
        self.buf.push(0xe9);
        let at = self.buf.len();
        self.emit_u32(0);
        at
    }

    /// `call label` (rel32).
    pub fn call_label(&mut self, l: Label) {
        self.buf.push(0xe8);
        self.rel(l, 4);
    }

    /// `call r`.
    pub fn call_r(&mut self, r: Gpr) {
        self.op(
            None,
            false,
            &[0xff],
            2,
            Rm::Reg(r.index()),
            0,
            (false, false),
        );
    }

    /// `call [m]`.
    pub fn call_m(&mut self, m: Mem) {
        self.op(None, false, &[0xff], 2, Rm::Mem(m), 0, (false, false));
    }

    /// `jmp label` (rel32).
    pub fn jmp_label(&mut self, l: Label) {
        self.buf.push(0xe9);
        self.rel(l, 4);
    }

    /// `jmp label` (rel8: [`finish`](Assembler::finish) fails if it does
    /// not reach).
    pub fn jmp_label_short(&mut self, l: Label) {
        self.buf.push(0xeb);
        self.rel(l, 1);
    }

    /// `jmp r`.
    pub fn jmp_r(&mut self, r: Gpr) {
        self.op(
            None,
            false,
            &[0xff],
            4,
            Rm::Reg(r.index()),
            0,
            (false, false),
        );
    }

    /// `jmp [m]`.
    pub fn jmp_m(&mut self, m: Mem) {
        self.op(None, false, &[0xff], 4, Rm::Mem(m), 0, (false, false));
    }

    /// `jcc label` (rel32).
    pub fn jcc(&mut self, c: Cond, l: Label) {
        self.buf.extend_from_slice(&[0x0f, 0x80 | c as u8]);
        self.rel(l, 4);
    }

    /// `jcc label` (rel8).
    pub fn jcc_short(&mut self, c: Cond, l: Label) {
        self.buf.push(0x70 | c as u8);
        self.rel(l, 1);
    }

    /// `ret`.
    pub fn ret(&mut self) {
        self.buf.push(0xc3);
    }

    /// `ud2`.
    pub fn ud2(&mut self) {
        self.buf.extend_from_slice(&[0x0f, 0x0b]);
    }

    /// `int3`.
    pub fn int3(&mut self) {
        self.buf.push(0xcc);
    }

    /// `len` bytes of `nop`s, in the recommended multi-byte forms.
    pub fn nop(&mut self, mut len: usize) {
        const NOPS: [&[u8]; 9] = [
            &[0x90],
            &[0x66, 0x90],
            &[0x0f, 0x1f, 0x00],
            &[0x0f, 0x1f, 0x40, 0x00],
            &[0x0f, 0x1f, 0x44, 0x00, 0x00],
            &[0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
            &[0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
            &[0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
            &[0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
        ];
        while len > 0 {
            let n = len.min(9);
            self.buf.extend_from_slice(NOPS[n - 1]);
            len -= n;
        }
    }

    // ---- SSE -----------------------------------------------------------

    fn sse(&mut self, op: SseOp, w: bool, opcode_last: Option<u8>, reg: u8, rm: Rm, imm: usize) {
        let mut bytes = [0x0f, 0, 0];
        let n = op.map.len();
        bytes[1..=n].copy_from_slice(op.map);
        if let Some(last) = opcode_last {
            bytes[n] = last;
        }
        self.op(op.prefix, w, &bytes[..=n], reg, rm, imm, (false, false));
    }

    /// `op dst, src`.
    pub fn sse_rr(&mut self, op: Sse, dst: Xmm, src: Xmm) {
        self.sse(op.op(), false, None, dst.0, Rm::Reg(src.0), 0);
    }

    /// `op dst, [m]`.
    pub fn sse_rm(&mut self, op: Sse, dst: Xmm, m: Mem) {
        self.sse(op.op(), false, None, dst.0, Rm::Mem(m), 0);
    }

    /// The store form of a move: `movss`, `movsd`, `movaps`, `movapd`,
    /// `movups`, `movdqu` or `movdqa` `[m], src`.
    pub fn sse_mr(&mut self, op: Sse, m: Mem, src: Xmm) {
        let store = match op {
            Sse::Movss | Sse::Movsd | Sse::Movups => 0x11,
            Sse::Movaps | Sse::Movapd => 0x29,
            Sse::Movdqu | Sse::Movdqa => 0x7f,
            _ => {
                debug_assert!(false, "{op:?} has no store form");
                return;
            }
        };
        self.sse(op.op(), false, Some(store), src.0, Rm::Mem(m), 0);
    }

    /// `op dst, src, imm`.
    pub fn sse_rri(&mut self, op: SseImm, dst: Xmm, src: Xmm, imm: u8) {
        self.sse(op.op(), false, None, dst.0, Rm::Reg(src.0), 1);
        self.buf.push(imm);
    }

    /// `op dst, [m], imm`.
    pub fn sse_rmi(&mut self, op: SseImm, dst: Xmm, m: Mem, imm: u8) {
        self.sse(op.op(), false, None, dst.0, Rm::Mem(m), 1);
        self.buf.push(imm);
    }

    /// `op dst, imm`.
    pub fn sse_shift_ri(&mut self, op: SseShift, dst: Xmm, imm: u8) {
        let (opcode, digit) = op.imm_form();
        self.op(
            Some(0x66),
            false,
            &[0x0f, opcode],
            digit,
            Rm::Reg(dst.0),
            1,
            (false, false),
        );
        self.buf.push(imm);
    }

    /// `op dst, count` (not for `pslldq`/`psrldq`, which only take an
    /// immediate).
    pub fn sse_shift_rr(&mut self, op: SseShift, dst: Xmm, count: Xmm) {
        let Some(opcode) = op.reg_form() else {
            debug_assert!(false, "{op:?} has no register form");
            return;
        };
        self.op(
            Some(0x66),
            false,
            &[0x0f, opcode],
            dst.0,
            Rm::Reg(count.0),
            0,
            (false, false),
        );
    }

    // ---- AVX (VEX-encoded 128-bit forms) -----------------------------

    /// The VEX form of an SSE instruction: `reg`, the extra source `vvvv`
    /// (ignored by the CPU where the instruction has none: pass 0), and
    /// `rm`; the vector length is 128 bits (which zeroes the upper half of
    /// the `ymm` register, so no AVX-SSE transition penalty arises).
    fn vex(&mut self, op: SseOp, w: bool, reg: u8, vvvv: u8, rm: Rm, imm: usize) {
        let (x, b) = rm.extension_bits();
        let r = reg >> 3;
        let pp = match op.prefix {
            None => 0,
            Some(0x66) => 1,
            Some(0xf3) => 2,
            _ => 3,
        };
        let (map, opcode) = match *op.map {
            [0x38, o] => (2, o),
            [0x3a, o] => (3, o),
            [o, ..] => (1, o),
            [] => (1, 0),
        };
        let v = (!vvvv & 0xf) << 3;
        let mut head = Insn::default();
        if map == 1 && x == 0 && b == 0 && !w {
            head.put(0xc5);
            head.put(((r ^ 1) << 7) | v | pp);
        } else {
            head.put(0xc4);
            head.put(((r ^ 1) << 7) | ((x ^ 1) << 6) | ((b ^ 1) << 5) | map);
            head.put((u8::from(w) << 7) | v | pp);
        }
        head.put(opcode);
        self.modrm_after(head, reg & 7, rm, imm);
    }

    /// `vop dst, a, b` (AVX): `dst = a op b`, neither source overwritten.
    pub fn vex_rrr(&mut self, op: Sse, dst: Xmm, a: Xmm, b: Xmm) {
        self.vex(op.op(), false, dst.0, a.0, Rm::Reg(b.0), 0);
    }

    /// `vop dst, a, [m]` (AVX; `m` need not be 16-byte aligned).
    pub fn vex_rrm(&mut self, op: Sse, dst: Xmm, a: Xmm, m: Mem) {
        self.vex(op.op(), false, dst.0, a.0, Rm::Mem(m), 0);
    }

    /// `vop dst, a, b, imm` (AVX).
    pub fn vex_rrri(&mut self, op: SseImm, dst: Xmm, a: Xmm, b: Xmm, imm: u8) {
        self.vex(op.op(), false, dst.0, a.0, Rm::Reg(b.0), 1);
        self.buf.push(imm);
    }

    /// `vpbroadcastb/w/d/q dst, src` (AVX2): the low lane of `src` in
    /// every lane of `dst`; `lane` is the lane's width in bytes.
    pub fn vpbroadcast(&mut self, lane: u8, dst: Xmm, src: Xmm) {
        let opcode = match lane {
            1 => 0x78,
            2 => 0x79,
            4 => 0x58,
            _ => 0x59,
        };
        let map: &'static [u8] = match opcode {
            0x78 => &[0x38, 0x78],
            0x79 => &[0x38, 0x79],
            0x58 => &[0x38, 0x58],
            _ => &[0x38, 0x59],
        };
        let op = SseOp { prefix: P66, map };
        self.vex(op, false, dst.0, 0, Rm::Reg(src.0), 0);
    }

    /// `movd`/`movq dst, src` (32 or 64 bits, general to SSE).
    pub fn movd_xr(&mut self, s: Size, dst: Xmm, src: Gpr) {
        self.op(
            Some(0x66),
            s == Size::S64,
            &[0x0f, 0x6e],
            dst.0,
            Rm::Reg(src.index()),
            0,
            (false, false),
        );
    }

    /// `movd`/`movq dst, src` (SSE to general).
    pub fn movd_rx(&mut self, s: Size, dst: Gpr, src: Xmm) {
        self.op(
            Some(0x66),
            s == Size::S64,
            &[0x0f, 0x7e],
            src.0,
            Rm::Reg(dst.index()),
            0,
            (false, false),
        );
    }

    /// `movq dst, [m]` (64 bits, upper half zeroed).
    pub fn movq_xm(&mut self, dst: Xmm, m: Mem) {
        self.op(
            Some(0xf3),
            false,
            &[0x0f, 0x7e],
            dst.0,
            Rm::Mem(m),
            0,
            (false, false),
        );
    }

    /// `movq [m], src`.
    pub fn movq_mx(&mut self, m: Mem, src: Xmm) {
        self.op(
            Some(0x66),
            false,
            &[0x0f, 0xd6],
            src.0,
            Rm::Mem(m),
            0,
            (false, false),
        );
    }

    /// `movd dst, [m]` (32 bits).
    pub fn movd_xm(&mut self, dst: Xmm, m: Mem) {
        self.op(
            Some(0x66),
            false,
            &[0x0f, 0x6e],
            dst.0,
            Rm::Mem(m),
            0,
            (false, false),
        );
    }

    /// `movd [m], src`.
    pub fn movd_mx(&mut self, m: Mem, src: Xmm) {
        self.op(
            Some(0x66),
            false,
            &[0x0f, 0x7e],
            src.0,
            Rm::Mem(m),
            0,
            (false, false),
        );
    }

    /// `cvtsi2ss dst, src` (a 32- or 64-bit signed integer).
    pub fn cvtsi2ss(&mut self, s: Size, dst: Xmm, src: Gpr) {
        self.op(
            Some(0xf3),
            s == Size::S64,
            &[0x0f, 0x2a],
            dst.0,
            Rm::Reg(src.index()),
            0,
            (false, false),
        );
    }

    /// `cvtsi2sd dst, src`.
    pub fn cvtsi2sd(&mut self, s: Size, dst: Xmm, src: Gpr) {
        self.op(
            Some(0xf2),
            s == Size::S64,
            &[0x0f, 0x2a],
            dst.0,
            Rm::Reg(src.index()),
            0,
            (false, false),
        );
    }

    /// `cvttss2si dst, src` (truncating, to 32 or 64 bits).
    pub fn cvttss2si(&mut self, s: Size, dst: Gpr, src: Xmm) {
        self.op(
            Some(0xf3),
            s == Size::S64,
            &[0x0f, 0x2c],
            dst.index(),
            Rm::Reg(src.0),
            0,
            (false, false),
        );
    }

    /// `cvttsd2si dst, src`.
    pub fn cvttsd2si(&mut self, s: Size, dst: Gpr, src: Xmm) {
        self.op(
            Some(0xf2),
            s == Size::S64,
            &[0x0f, 0x2c],
            dst.index(),
            Rm::Reg(src.0),
            0,
            (false, false),
        );
    }

    /// `pinsrb`/`pinsrw`/`pinsrd`/`pinsrq dst, src, lane`.
    pub fn pinsr(&mut self, s: Size, dst: Xmm, src: Gpr, lane: u8) {
        let opcode: &[u8] = match s {
            Size::S8 => &[0x0f, 0x3a, 0x20],
            Size::S16 => &[0x0f, 0xc4],
            _ => &[0x0f, 0x3a, 0x22],
        };
        self.op(
            Some(0x66),
            s == Size::S64,
            opcode,
            dst.0,
            Rm::Reg(src.index()),
            1,
            (false, false),
        );
        self.buf.push(lane);
    }

    /// `pextrb`/`pextrw`/`pextrd`/`pextrq dst, src, lane`.
    pub fn pextr(&mut self, s: Size, dst: Gpr, src: Xmm, lane: u8) {
        match s {
            Size::S16 => self.op(
                Some(0x66),
                false,
                &[0x0f, 0xc5],
                dst.index(),
                Rm::Reg(src.0),
                1,
                (false, false),
            ),
            _ => {
                let opcode: &[u8] = if s == Size::S8 {
                    &[0x0f, 0x3a, 0x14]
                } else {
                    &[0x0f, 0x3a, 0x16]
                };
                self.op(
                    Some(0x66),
                    s == Size::S64,
                    opcode,
                    src.0,
                    Rm::Reg(dst.index()),
                    1,
                    (false, false),
                );
            }
        }
        self.buf.push(lane);
    }

    /// `pmovmskb dst, src`.
    pub fn pmovmskb(&mut self, dst: Gpr, src: Xmm) {
        self.op(
            Some(0x66),
            false,
            &[0x0f, 0xd7],
            dst.index(),
            Rm::Reg(src.0),
            0,
            (false, false),
        );
    }

    /// `movmskps dst, src`.
    pub fn movmskps(&mut self, dst: Gpr, src: Xmm) {
        self.op(
            None,
            false,
            &[0x0f, 0x50],
            dst.index(),
            Rm::Reg(src.0),
            0,
            (false, false),
        );
    }

    /// `movmskpd dst, src`.
    pub fn movmskpd(&mut self, dst: Gpr, src: Xmm) {
        self.op(
            Some(0x66),
            false,
            &[0x0f, 0x50],
            dst.index(),
            Rm::Reg(src.0),
            0,
            (false, false),
        );
    }
}
