//! Every instruction form of the encoder, over every register and a spread
//! of memory operands, decoded by `iced-x86` and compared with the Intel
//! syntax it should be; the decoded length must be the emitted length.

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter, MemorySizeOptions, NumberBase};
use nanowasm_x64::*;
use proptest::prelude::*;

fn formatter() -> IntelFormatter {
    let mut f = IntelFormatter::new();
    let o = f.options_mut();
    o.set_number_base(NumberBase::Decimal);
    o.set_signed_immediate_operands(true);
    o.set_signed_memory_displacements(true);
    o.set_memory_size_options(MemorySizeOptions::Always);
    o.set_space_after_operand_separator(true);
    o.set_rip_relative_addresses(true);
    o.set_show_branch_size(false);
    f
}

/// The one instruction in `bytes`, formatted.
fn dis(bytes: &[u8]) -> String {
    let mut d = Decoder::with_ip(64, bytes, 0, DecoderOptions::NONE);
    let i = d.decode();
    assert!(!i.is_invalid(), "invalid encoding {bytes:02x?}");
    assert_eq!(i.len(), bytes.len(), "length of {bytes:02x?}");
    let mut out = String::new();
    formatter().format(&i, &mut out);
    out
}

fn check(expected: &str, emit: impl FnOnce(&mut Assembler)) {
    let mut a = Assembler::new();
    emit(&mut a);
    let bytes = a.finish().unwrap();
    assert_eq!(dis(&bytes), expected, "bytes {bytes:02x?}");
}

const SIZES: [Size; 4] = [Size::S8, Size::S16, Size::S32, Size::S64];

fn reg(r: Gpr, s: Size) -> String {
    const Q: [&str; 16] = [
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15",
    ];
    const D: [&str; 8] = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
    const W: [&str; 8] = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
    const B: [&str; 8] = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"];
    let i = r.index() as usize;
    match (s, i < 8) {
        (Size::S64, _) => Q[i].to_string(),
        (Size::S32, true) => D[i].to_string(),
        (Size::S16, true) => W[i].to_string(),
        (Size::S8, true) => B[i].to_string(),
        (Size::S32, false) => format!("r{i}d"),
        (Size::S16, false) => format!("r{i}w"),
        (Size::S8, false) => format!("r{i}b"),
    }
}

fn ptr(s: Size) -> &'static str {
    match s {
        Size::S8 => "byte ptr ",
        Size::S16 => "word ptr ",
        Size::S32 => "dword ptr ",
        Size::S64 => "qword ptr ",
    }
}

fn disp_text(d: i32) -> String {
    match d {
        0 => String::new(),
        d if d < 0 => format!("-{}", -(d as i64)),
        d => format!("+{d}"),
    }
}

/// A spread of memory operands and their text (without the size keyword).
fn mems() -> Vec<(Mem, String)> {
    let disps = [0, 8, -8, 127, 128, -128, -129, 0x1234_5678, -0x1234_5678];
    let scales = [
        (Scale::S1, ""),
        (Scale::S2, "*2"),
        (Scale::S4, "*4"),
        (Scale::S8, "*8"),
    ];
    let mut v = Vec::new();
    for base in Gpr::ALL {
        for &d in &disps {
            v.push((
                Mem::base(base, d),
                format!("[{}{}]", reg(base, Size::S64), disp_text(d)),
            ));
        }
        for index in Gpr::ALL.into_iter().filter(|&i| i != Gpr::Rsp) {
            let (scale, st) = scales[(base.index() + index.index()) as usize % 4];
            for d in [0, -8, 0x100] {
                v.push((
                    Mem::base_index(base, index, scale, d),
                    format!(
                        "[{}+{}{st}{}]",
                        reg(base, Size::S64),
                        reg(index, Size::S64),
                        disp_text(d)
                    ),
                ));
            }
        }
    }
    v
}

fn alu_name(op: Alu) -> &'static str {
    ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"][op as usize]
}

const ALUS: [Alu; 8] = [
    Alu::Add,
    Alu::Or,
    Alu::Adc,
    Alu::Sbb,
    Alu::And,
    Alu::Sub,
    Alu::Xor,
    Alu::Cmp,
];

/// `v` as the size's signed immediate.
fn imm_text(s: Size, v: i64) -> String {
    let v = match s {
        Size::S8 => v as i8 as i64,
        Size::S16 => v as i16 as i64,
        Size::S32 => v as i32 as i64,
        Size::S64 => v,
    };
    v.to_string()
}

#[test]
fn alu_register_forms() {
    for op in ALUS {
        for s in SIZES {
            for dst in Gpr::ALL {
                for src in Gpr::ALL {
                    let text = format!("{} {}, {}", alu_name(op), reg(dst, s), reg(src, s));
                    check(&text, |a| a.alu_rr(op, s, dst, src));
                }
                for imm in [0, 1, -1, 127, 128, -128, -129, 0x1234_5678] {
                    if s == Size::S8 && !(-128..=255).contains(&imm) {
                        continue;
                    }
                    if s == Size::S16 && !(-32768..=65535).contains(&imm) {
                        continue;
                    }
                    let text = format!(
                        "{} {}, {}",
                        alu_name(op),
                        reg(dst, s),
                        imm_text(s, i64::from(imm))
                    );
                    check(&text, |a| a.alu_ri(op, s, dst, imm));
                }
            }
        }
    }
}

#[test]
fn alu_memory_forms() {
    for (m, mt) in mems() {
        for op in [Alu::Add, Alu::Sub, Alu::Cmp, Alu::Xor] {
            for s in SIZES {
                let r = Gpr::from_index((m_hash(&mt) % 16) as u8);
                check(
                    &format!("{} {}, {}{mt}", alu_name(op), reg(r, s), ptr(s)),
                    |a| a.alu_rm(op, s, r, m),
                );
                check(
                    &format!("{} {}{mt}, {}", alu_name(op), ptr(s), reg(r, s)),
                    |a| a.alu_mr(op, s, m, r),
                );
                check(
                    &format!("{} {}{mt}, {}", alu_name(op), ptr(s), imm_text(s, -2)),
                    |a| a.alu_mi(op, s, m, -2),
                );
                check(
                    &format!("{} {}{mt}, {}", alu_name(op), ptr(s), imm_text(s, 1000)),
                    |a| a.alu_mi(op, s, m, 1000),
                );
            }
        }
    }
}

fn m_hash(s: &str) -> usize {
    s.bytes().fold(7usize, |h, b| {
        h.wrapping_mul(31).wrapping_add(usize::from(b))
    })
}

#[test]
fn moves() {
    for s in SIZES {
        for dst in Gpr::ALL {
            for src in Gpr::ALL {
                check(&format!("mov {}, {}", reg(dst, s), reg(src, s)), |a| {
                    a.mov_rr(s, dst, src)
                });
            }
        }
    }
    for (m, mt) in mems() {
        let r = Gpr::from_index((m_hash(&mt) % 16) as u8);
        for s in SIZES {
            check(&format!("mov {}, {}{mt}", reg(r, s), ptr(s)), |a| {
                a.mov_rm(s, r, m)
            });
            check(&format!("mov {}{mt}, {}", ptr(s), reg(r, s)), |a| {
                a.mov_mr(s, m, r)
            });
            check(&format!("mov {}{mt}, {}", ptr(s), imm_text(s, -5)), |a| {
                a.mov_mi(s, m, -5)
            });
        }
        check(&format!("lea {}, {mt}", reg(r, Size::S64)), |a| {
            a.lea(Size::S64, r, m)
        });
        check(&format!("lea {}, {mt}", reg(r, Size::S32)), |a| {
            a.lea(Size::S32, r, m)
        });
        check(
            &format!("movzx {}, byte ptr {mt}", reg(r, Size::S32)),
            |a| a.movzx_rm(Size::S32, r, Size::S8, m),
        );
        check(
            &format!("movzx {}, word ptr {mt}", reg(r, Size::S64)),
            |a| a.movzx_rm(Size::S64, r, Size::S16, m),
        );
        check(
            &format!("movsx {}, byte ptr {mt}", reg(r, Size::S64)),
            |a| a.movsx_rm(Size::S64, r, Size::S8, m),
        );
        check(
            &format!("movsx {}, word ptr {mt}", reg(r, Size::S32)),
            |a| a.movsx_rm(Size::S32, r, Size::S16, m),
        );
        check(
            &format!("movsxd {}, dword ptr {mt}", reg(r, Size::S64)),
            |a| a.movsx_rm(Size::S64, r, Size::S32, m),
        );
        check(
            &format!("imul {}, qword ptr {mt}", reg(r, Size::S64)),
            |a| a.imul_rm(Size::S64, r, m),
        );
        check(&format!("test dword ptr {mt}, 7"), |a| {
            a.test_mi(Size::S32, m, 7)
        });
        check(&format!("call qword ptr {mt}"), |a| a.call_m(m));
        check(&format!("push qword ptr {mt}"), |a| a.push_m(m));
        check(&format!("jmp qword ptr {mt}"), |a| a.jmp_m(m));
    }
    for dst in Gpr::ALL {
        for src in Gpr::ALL {
            check(
                &format!("movzx {}, {}", reg(dst, Size::S32), reg(src, Size::S8)),
                |a| a.movzx_rr(Size::S32, dst, Size::S8, src),
            );
            check(
                &format!("movzx {}, {}", reg(dst, Size::S64), reg(src, Size::S16)),
                |a| a.movzx_rr(Size::S64, dst, Size::S16, src),
            );
            check(
                &format!("movsx {}, {}", reg(dst, Size::S64), reg(src, Size::S8)),
                |a| a.movsx_rr(Size::S64, dst, Size::S8, src),
            );
            check(
                &format!("movsxd {}, {}", reg(dst, Size::S64), reg(src, Size::S32)),
                |a| a.movsx_rr(Size::S64, dst, Size::S32, src),
            );
        }
    }
}

#[test]
fn move_immediates_pick_the_shortest_correct_form() {
    for r in Gpr::ALL {
        for (v, text) in [
            (0i64, "0"),
            (1, "1"),
            (0xffff_ffff, "4294967295"),
            (-1, "-1"),
            (i64::from(i32::MIN), "-2147483648"),
            (0x1_0000_0000, "4294967296"),
            (i64::MIN, "-9223372036854775808"),
        ] {
            let mut a = Assembler::new();
            a.mov_ri(Size::S64, r, v);
            let bytes = a.finish().unwrap();
            // Whatever the form, the 64-bit register ends up holding `v`.
            let t = dis(&bytes);
            let expect32 = format!("mov {}, {}", reg(r, Size::S32), v as i32);
            let expect64 = format!("mov {}, {text}", reg(r, Size::S64));
            if u32::try_from(v).is_ok() {
                assert_eq!(t, expect32, "{v}");
                assert!(bytes.len() <= 6);
            } else {
                assert_eq!(t, expect64, "{v}");
            }
        }
        for s in [Size::S8, Size::S16, Size::S32] {
            check(&format!("mov {}, {}", reg(r, s), imm_text(s, -3)), |a| {
                a.mov_ri(s, r, -3)
            });
        }
    }
}

#[test]
fn unary_multiply_divide_shift_bits() {
    let shifts = [
        (Shift::Rol, "rol"),
        (Shift::Ror, "ror"),
        (Shift::Shl, "shl"),
        (Shift::Shr, "shr"),
        (Shift::Sar, "sar"),
    ];
    let counts = [
        (BitCount::Bsf, "bsf"),
        (BitCount::Bsr, "bsr"),
        (BitCount::Lzcnt, "lzcnt"),
        (BitCount::Tzcnt, "tzcnt"),
        (BitCount::Popcnt, "popcnt"),
    ];
    for r in Gpr::ALL {
        for s in SIZES {
            let n = reg(r, s);
            check(&format!("neg {n}"), |a| a.neg_r(s, r));
            check(&format!("not {n}"), |a| a.not_r(s, r));
            check(&format!("mul {n}"), |a| a.mul_r(s, r));
            check(&format!("div {n}"), |a| a.div_r(s, r));
            check(&format!("idiv {n}"), |a| a.idiv_r(s, r));
            for (op, name) in shifts {
                check(&format!("{name} {n}, cl"), |a| a.shift_cl(op, s, r));
                check(&format!("{name} {n}, 5"), |a| a.shift_ri(op, s, r, 5));
            }
            check(&format!("test {n}, {}", imm_text(s, 100)), |a| {
                a.test_ri(s, r, 100)
            });
        }
        for s in [Size::S16, Size::S32, Size::S64] {
            for r2 in Gpr::ALL {
                let (d, src) = (reg(r, s), reg(r2, s));
                check(&format!("imul {d}, {src}"), |a| a.imul_rr(s, r, r2));
                // (iced prints `imul r, r, imm` with equal registers as
                // `imul r, imm`.)
                let three = if r == r2 {
                    d.clone()
                } else {
                    format!("{d}, {src}")
                };
                check(&format!("imul {three}, 3"), |a| a.imul_rri(s, r, r2, 3));
                check(&format!("imul {three}, {}", imm_text(s, 1000)), |a| {
                    a.imul_rri(s, r, r2, 1000)
                });
                check(&format!("test {src}, {d}"), |a| a.test_rr(s, r2, r));
                check(&format!("xchg {d}, {src}"), |a| a.xchg_rr(s, r, r2));
                for (op, name) in counts {
                    check(&format!("{name} {d}, {src}"), |a| a.bitcount(op, s, r, r2));
                }
            }
        }
        check(&format!("bswap {}", reg(r, Size::S32)), |a| {
            a.bswap(Size::S32, r)
        });
        check(&format!("bswap {}", reg(r, Size::S64)), |a| {
            a.bswap(Size::S64, r)
        });
        check(&format!("push {}", reg(r, Size::S64)), |a| a.push(r));
        check(&format!("pop {}", reg(r, Size::S64)), |a| a.pop(r));
        check(&format!("call {}", reg(r, Size::S64)), |a| a.call_r(r));
        check(&format!("jmp {}", reg(r, Size::S64)), |a| a.jmp_r(r));
    }
    check("cdq", |a| a.cdq());
    check("cqo", |a| a.cqo());
    check("ret", |a| a.ret());
    check("ud2", |a| a.ud2());
    check("int3", |a| a.int3());
}

const CONDS: [(Cond, &str); 16] = [
    (Cond::O, "o"),
    (Cond::No, "no"),
    (Cond::B, "b"),
    (Cond::Ae, "ae"),
    (Cond::E, "e"),
    (Cond::Ne, "ne"),
    (Cond::Be, "be"),
    (Cond::A, "a"),
    (Cond::S, "s"),
    (Cond::Ns, "ns"),
    (Cond::P, "p"),
    (Cond::Np, "np"),
    (Cond::L, "l"),
    (Cond::Ge, "ge"),
    (Cond::Le, "le"),
    (Cond::G, "g"),
];

#[test]
fn conditions() {
    for (c, name) in CONDS {
        assert_eq!(c.invert().invert(), c);
        assert_ne!(c.invert(), c);
        for r in Gpr::ALL {
            check(&format!("set{name} {}", reg(r, Size::S8)), |a| {
                a.setcc(c, r)
            });
            for r2 in [Gpr::Rax, Gpr::R9, Gpr::Rsp] {
                check(
                    &format!("cmov{name} {}, {}", reg(r, Size::S64), reg(r2, Size::S64)),
                    |a| a.cmovcc(c, Size::S64, r, r2),
                );
                check(
                    &format!("cmov{name} {}, {}", reg(r, Size::S32), reg(r2, Size::S32)),
                    |a| a.cmovcc(c, Size::S32, r, r2),
                );
            }
        }
    }
}

/// Decodes a whole buffer into (offset, text) lines.
fn listing(bytes: &[u8]) -> Vec<(u64, String)> {
    let mut d = Decoder::with_ip(64, bytes, 0, DecoderOptions::NONE);
    let mut f = formatter();
    let mut out = Vec::new();
    while d.can_decode() {
        let i = d.decode();
        assert!(!i.is_invalid());
        let mut s = String::new();
        f.format(&i, &mut s);
        out.push((i.ip(), s));
    }
    out
}

#[test]
fn labels_branches_and_tables() {
    for (c, name) in CONDS {
        let mut a = Assembler::new();
        let (back, fwd) = (a.new_label(), a.new_label());
        a.bind(back);
        a.nop(1);
        a.jcc(c, fwd);
        a.jcc_short(c, back);
        a.jmp_label(back);
        a.jmp_label_short(fwd);
        a.call_label(back);
        a.bind(fwd);
        a.ret();
        let end = a.label_offset(fwd).unwrap();
        let l = listing(&a.finish().unwrap());
        let texts: Vec<&str> = l.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            [
                "nop".to_string(),
                format!("j{name} {end}"),
                format!("j{name} 0"),
                "jmp 0".to_string(),
                format!("jmp {end}"),
                "call 0".to_string(),
                "ret".to_string(),
            ]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
        );
    }
    // RIP-relative operands point at their label, immediates after them
    // included.
    let mut a = Assembler::new();
    let data = a.new_label();
    a.lea(Size::S64, Gpr::R12, Mem::rip(data, 0));
    a.alu_mi(Alu::Cmp, Size::S32, Mem::rip(data, 4), 1000);
    a.bind(data);
    a.emit_u64(0);
    let at = a.label_offset(data).unwrap();
    let l = listing(&a.finish().unwrap()[..at]);
    let target = |(ip, t): &(u64, String)| (*ip, t.clone());
    let first = target(&l[0]);
    assert_eq!(first.1, format!("lea r12, [rip+{}]", at as u64 - l[1].0));
    assert_eq!(
        l[1].1,
        format!("cmp dword ptr [rip+{}], 1000", at as u64 + 4 - at as u64)
    );
    // Jump tables: label differences.
    let mut a = Assembler::new();
    let (base, t1, t2) = (a.new_label(), a.new_label(), a.new_label());
    a.bind(t1);
    a.nop(3);
    a.bind(base);
    a.emit_label_diff32(t1, base);
    a.emit_label_diff32(t2, base);
    a.bind(t2);
    let b = a.finish().unwrap();
    assert_eq!(i32::from_le_bytes(b[3..7].try_into().unwrap()), -3);
    assert_eq!(i32::from_le_bytes(b[7..11].try_into().unwrap()), 8);
}

#[test]
fn label_errors() {
    let mut a = Assembler::new();
    let l = a.new_label();
    a.jmp_label(l);
    assert_eq!(a.finish(), Err(EncodeError::UnboundLabel(l)));
    let mut a = Assembler::new();
    let l = a.new_label();
    a.jmp_label_short(l);
    a.nop(200);
    a.bind(l);
    assert!(matches!(
        a.finish(),
        Err(EncodeError::ShortBranchOutOfRange { at: 1 })
    ));
}

#[test]
fn nops_and_alignment() {
    for n in 0..40 {
        let mut a = Assembler::new();
        a.nop(n);
        let b = a.finish().unwrap();
        assert_eq!(b.len(), n);
        // (`66 90` is `xchg ax, ax` to a disassembler: the 2-byte nop.)
        for (_, t) in listing(&b) {
            assert!(t.starts_with("nop") || t == "xchg ax, ax", "{t}");
        }
    }
    let mut a = Assembler::new();
    a.ret();
    a.align(16);
    assert_eq!(a.offset(), 16);
}

fn xmm(i: u8) -> String {
    format!("xmm{i}")
}

#[test]
fn sse_forms() {
    let ops: &[(Sse, &str, &str)] = &[
        (Sse::Movss, "movss", "dword ptr "),
        (Sse::Movsd, "movsd", "qword ptr "),
        (Sse::Movaps, "movaps", "xmmword ptr "),
        (Sse::Movups, "movups", "xmmword ptr "),
        (Sse::Movdqu, "movdqu", "xmmword ptr "),
        (Sse::Movdqa, "movdqa", "xmmword ptr "),
        (Sse::Addss, "addss", "dword ptr "),
        (Sse::Addsd, "addsd", "qword ptr "),
        (Sse::Addps, "addps", "xmmword ptr "),
        (Sse::Addpd, "addpd", "xmmword ptr "),
        (Sse::Subsd, "subsd", "qword ptr "),
        (Sse::Mulss, "mulss", "dword ptr "),
        (Sse::Divsd, "divsd", "qword ptr "),
        (Sse::Sqrtss, "sqrtss", "dword ptr "),
        (Sse::Sqrtsd, "sqrtsd", "qword ptr "),
        (Sse::Minss, "minss", "dword ptr "),
        (Sse::Maxsd, "maxsd", "qword ptr "),
        (Sse::Andps, "andps", "xmmword ptr "),
        (Sse::Andnpd, "andnpd", "xmmword ptr "),
        (Sse::Orps, "orps", "xmmword ptr "),
        (Sse::Xorps, "xorps", "xmmword ptr "),
        (Sse::Xorpd, "xorpd", "xmmword ptr "),
        (Sse::Ucomiss, "ucomiss", "dword ptr "),
        (Sse::Ucomisd, "ucomisd", "qword ptr "),
        (Sse::Cvtss2sd, "cvtss2sd", "dword ptr "),
        (Sse::Cvtsd2ss, "cvtsd2ss", "qword ptr "),
        (Sse::Cvtdq2ps, "cvtdq2ps", "xmmword ptr "),
        (Sse::Cvttps2dq, "cvttps2dq", "xmmword ptr "),
        (Sse::Paddb, "paddb", "xmmword ptr "),
        (Sse::Paddq, "paddq", "xmmword ptr "),
        (Sse::Psubd, "psubd", "xmmword ptr "),
        (Sse::Pcmpeqq, "pcmpeqq", "xmmword ptr "),
        (Sse::Pcmpgtq, "pcmpgtq", "xmmword ptr "),
        (Sse::Pand, "pand", "xmmword ptr "),
        (Sse::Pxor, "pxor", "xmmword ptr "),
        (Sse::Pshufb, "pshufb", "xmmword ptr "),
        (Sse::Ptest, "ptest", "xmmword ptr "),
        (Sse::Pmulld, "pmulld", "xmmword ptr "),
        (Sse::Pminud, "pminud", "xmmword ptr "),
        (Sse::Pmaxsb, "pmaxsb", "xmmword ptr "),
        (Sse::Punpcklqdq, "punpcklqdq", "xmmword ptr "),
        (Sse::Packusdw, "packusdw", "xmmword ptr "),
        (Sse::Pabsd, "pabsd", "xmmword ptr "),
        (Sse::Pavgw, "pavgw", "xmmword ptr "),
        (Sse::Pmovzxbw, "pmovzxbw", "qword ptr "),
        (Sse::Pmovsxdq, "pmovsxdq", "qword ptr "),
        (Sse::Pmaddwd, "pmaddwd", "xmmword ptr "),
        (Sse::Unpcklps, "unpcklps", "xmmword ptr "),
    ];
    let mems = mems();
    for (k, &(op, name, size)) in ops.iter().enumerate() {
        for d in 0..16u8 {
            for s in 0..16u8 {
                check(&format!("{name} {}, {}", xmm(d), xmm(s)), |a| {
                    a.sse_rr(op, Xmm(d), Xmm(s))
                });
            }
            let (m, mt) = &mems[(k * 16 + usize::from(d)) * 7 % mems.len()];
            check(&format!("{name} {}, {size}{mt}", xmm(d)), |a| {
                a.sse_rm(op, Xmm(d), *m)
            });
        }
    }
    for (op, name, size) in [
        (Sse::Movss, "movss", "dword ptr "),
        (Sse::Movsd, "movsd", "qword ptr "),
        (Sse::Movaps, "movaps", "xmmword ptr "),
        (Sse::Movups, "movups", "xmmword ptr "),
        (Sse::Movdqu, "movdqu", "xmmword ptr "),
        (Sse::Movdqa, "movdqa", "xmmword ptr "),
    ] {
        for (i, (m, mt)) in mems.iter().enumerate().step_by(5) {
            let x = Xmm((i % 16) as u8);
            check(&format!("{name} {size}{mt}, {}", xmm(x.0)), |a| {
                a.sse_mr(op, *m, x)
            });
        }
    }
    for (op, name) in [
        (SseImm::Roundss, "roundss"),
        (SseImm::Roundsd, "roundsd"),
        (SseImm::Roundps, "roundps"),
        (SseImm::Pshufd, "pshufd"),
        (SseImm::Shufps, "shufps"),
        (SseImm::Palignr, "palignr"),
        (SseImm::Pblendw, "pblendw"),
        (SseImm::Insertps, "insertps"),
    ] {
        for d in 0..16u8 {
            for s in [0u8, 7, 8, 15] {
                check(&format!("{name} {}, {}, 9", xmm(d), xmm(s)), |a| {
                    a.sse_rri(op, Xmm(d), Xmm(s), 9)
                });
            }
        }
    }
    for (op, name) in [
        (SseShift::Psllw, "psllw"),
        (SseShift::Pslld, "pslld"),
        (SseShift::Psrlq, "psrlq"),
        (SseShift::Psrad, "psrad"),
        (SseShift::Pslldq, "pslldq"),
        (SseShift::Psrldq, "psrldq"),
    ] {
        for d in 0..16u8 {
            check(&format!("{name} {}, 3", xmm(d)), |a| {
                a.sse_shift_ri(op, Xmm(d), 3)
            });
            if !matches!(op, SseShift::Pslldq | SseShift::Psrldq) {
                check(&format!("{name} {}, {}", xmm(d), xmm(15 - d)), |a| {
                    a.sse_shift_rr(op, Xmm(d), Xmm(15 - d))
                });
            }
        }
    }
}

#[test]
fn sse_and_general_registers() {
    for r in Gpr::ALL {
        for x in 0..16u8 {
            let (q, d) = (reg(r, Size::S64), reg(r, Size::S32));
            check(&format!("movd {}, {d}", xmm(x)), |a| {
                a.movd_xr(Size::S32, Xmm(x), r)
            });
            check(&format!("movq {}, {q}", xmm(x)), |a| {
                a.movd_xr(Size::S64, Xmm(x), r)
            });
            check(&format!("movd {d}, {}", xmm(x)), |a| {
                a.movd_rx(Size::S32, r, Xmm(x))
            });
            check(&format!("movq {q}, {}", xmm(x)), |a| {
                a.movd_rx(Size::S64, r, Xmm(x))
            });
            check(&format!("cvtsi2ss {}, {d}", xmm(x)), |a| {
                a.cvtsi2ss(Size::S32, Xmm(x), r)
            });
            check(&format!("cvtsi2sd {}, {q}", xmm(x)), |a| {
                a.cvtsi2sd(Size::S64, Xmm(x), r)
            });
            check(&format!("cvttss2si {q}, {}", xmm(x)), |a| {
                a.cvttss2si(Size::S64, r, Xmm(x))
            });
            check(&format!("cvttsd2si {d}, {}", xmm(x)), |a| {
                a.cvttsd2si(Size::S32, r, Xmm(x))
            });
            check(&format!("pinsrb {}, {d}, 3", xmm(x)), |a| {
                a.pinsr(Size::S8, Xmm(x), r, 3)
            });
            check(&format!("pinsrw {}, {d}, 3", xmm(x)), |a| {
                a.pinsr(Size::S16, Xmm(x), r, 3)
            });
            check(&format!("pinsrd {}, {d}, 3", xmm(x)), |a| {
                a.pinsr(Size::S32, Xmm(x), r, 3)
            });
            check(&format!("pinsrq {}, {q}, 1", xmm(x)), |a| {
                a.pinsr(Size::S64, Xmm(x), r, 1)
            });
            check(&format!("pextrb {d}, {}, 3", xmm(x)), |a| {
                a.pextr(Size::S8, r, Xmm(x), 3)
            });
            check(&format!("pextrw {d}, {}, 3", xmm(x)), |a| {
                a.pextr(Size::S16, r, Xmm(x), 3)
            });
            check(&format!("pextrd {d}, {}, 3", xmm(x)), |a| {
                a.pextr(Size::S32, r, Xmm(x), 3)
            });
            check(&format!("pextrq {q}, {}, 1", xmm(x)), |a| {
                a.pextr(Size::S64, r, Xmm(x), 1)
            });
            check(&format!("pmovmskb {d}, {}", xmm(x)), |a| {
                a.pmovmskb(r, Xmm(x))
            });
            check(&format!("movmskps {d}, {}", xmm(x)), |a| {
                a.movmskps(r, Xmm(x))
            });
            check(&format!("movmskpd {d}, {}", xmm(x)), |a| {
                a.movmskpd(r, Xmm(x))
            });
        }
    }
    for (m, mt) in mems().into_iter().step_by(3) {
        check(&format!("movq xmm3, qword ptr {mt}"), |a| {
            a.movq_xm(Xmm(3), m)
        });
        check(&format!("movq qword ptr {mt}, xmm12"), |a| {
            a.movq_mx(m, Xmm(12))
        });
        check(&format!("movd xmm9, dword ptr {mt}"), |a| {
            a.movd_xm(Xmm(9), m)
        });
        check(&format!("movd dword ptr {mt}, xmm1"), |a| {
            a.movd_mx(m, Xmm(1))
        });
    }
}

proptest! {
    /// Random sequences of instructions decode back, in order, to as many
    /// instructions, covering every byte.
    #[test]
    fn random_sequences_decode(ops in proptest::collection::vec((0u8..8, 0u8..16, 0u8..16, any::<i32>(), 0usize..4), 1..64)) {
        let mut a = Assembler::new();
        for &(kind, r1, r2, imm, size) in &ops {
            let (r1, r2, s) = (Gpr::from_index(r1), Gpr::from_index(r2), SIZES[size]);
            match kind {
                0 => a.alu_rr(ALUS[usize::from(r2.index() % 8)], s, r1, r2),
                1 => a.alu_ri(Alu::Add, s, r1, imm),
                2 => a.mov_ri(Size::S64, r1, i64::from(imm) << (r2.index() * 2)),
                3 => a.mov_mr(s, Mem::base(r1, imm), r2),
                4 => a.lea(Size::S64, r1, Mem::base_index(r2, if r1 == Gpr::Rsp { Gpr::Rax } else { r1 }, Scale::S4, imm)),
                5 => a.sse_rr(Sse::Addsd, Xmm(r1.index()), Xmm(r2.index())),
                6 => a.shift_ri(Shift::Sar, s, r1, (imm & 31) as u8),
                _ => a.setcc(CONDS[usize::from(r2.index())].0, r1),
            }
        }
        let bytes = a.finish().unwrap();
        let l = listing(&bytes);
        prop_assert_eq!(l.len(), ops.len());
    }
}

#[test]
fn external_calls_leave_their_displacement_to_the_caller() {
    let mut a = Assembler::new();
    a.nop(3);
    let at = a.call_extern();
    assert_eq!(at, 4);
    let mut b = a.finish().unwrap();
    assert_eq!(dis(&b[3..]), "call 5");
    b[at..at + 4].copy_from_slice(&(-8i32).to_le_bytes());
    // Relative to the end of the field (offset 8): offset 0.
    let l = listing(&b);
    assert_eq!(l[l.len() - 1].1, "call 0");
}

#[test]
fn avx_three_operand_forms() {
    let ops: &[(Sse, &str, &str)] = &[
        (Sse::Addss, "vaddss", "dword ptr "),
        (Sse::Subsd, "vsubsd", "qword ptr "),
        (Sse::Mulps, "vmulps", "xmmword ptr "),
        (Sse::Divpd, "vdivpd", "xmmword ptr "),
        (Sse::Minps, "vminps", "xmmword ptr "),
        (Sse::Maxpd, "vmaxpd", "xmmword ptr "),
        (Sse::Andps, "vandps", "xmmword ptr "),
        (Sse::Andnpd, "vandnpd", "xmmword ptr "),
        (Sse::Orps, "vorps", "xmmword ptr "),
        (Sse::Xorpd, "vxorpd", "xmmword ptr "),
        (Sse::Paddb, "vpaddb", "xmmword ptr "),
        (Sse::Paddq, "vpaddq", "xmmword ptr "),
        (Sse::Psubw, "vpsubw", "xmmword ptr "),
        (Sse::Pcmpeqq, "vpcmpeqq", "xmmword ptr "),
        (Sse::Pcmpgtb, "vpcmpgtb", "xmmword ptr "),
        (Sse::Pand, "vpand", "xmmword ptr "),
        (Sse::Pandn, "vpandn", "xmmword ptr "),
        (Sse::Pxor, "vpxor", "xmmword ptr "),
        (Sse::Pshufb, "vpshufb", "xmmword ptr "),
        (Sse::Pmulld, "vpmulld", "xmmword ptr "),
        (Sse::Pmullw, "vpmullw", "xmmword ptr "),
        (Sse::Pminud, "vpminud", "xmmword ptr "),
        (Sse::Pmaxsb, "vpmaxsb", "xmmword ptr "),
        (Sse::Punpcklbw, "vpunpcklbw", "xmmword ptr "),
        (Sse::Punpckhqdq, "vpunpckhqdq", "xmmword ptr "),
        (Sse::Packusdw, "vpackusdw", "xmmword ptr "),
        (Sse::Packsswb, "vpacksswb", "xmmword ptr "),
        (Sse::Paddusw, "vpaddusw", "xmmword ptr "),
        (Sse::Pavgb, "vpavgb", "xmmword ptr "),
        (Sse::Pmaddwd, "vpmaddwd", "xmmword ptr "),
        (Sse::Unpcklps, "vunpcklps", "xmmword ptr "),
    ];
    let mems = mems();
    for (k, &(op, name, size)) in ops.iter().enumerate() {
        for d in 0..16u8 {
            for a in [0u8, 5, 8, 15] {
                let b = (d + a + 3) % 16;
                check(
                    &format!("{name} {}, {}, {}", xmm(d), xmm(a), xmm(b)),
                    |asm| asm.vex_rrr(op, Xmm(d), Xmm(a), Xmm(b)),
                );
            }
            let (m, mt) = &mems[(k * 16 + usize::from(d)) * 7 % mems.len()];
            let a = 15 - d;
            check(
                &format!("{name} {}, {}, {size}{mt}", xmm(d), xmm(a)),
                |asm| asm.vex_rrm(op, Xmm(d), Xmm(a), *m),
            );
        }
    }
    for (op, name) in [(SseImm::Cmpps, "vcmpltps"), (SseImm::Cmpsd, "vcmpltsd")] {
        check(&format!("{name} xmm3, xmm12, xmm7"), |asm| {
            asm.vex_rrri(op, Xmm(3), Xmm(12), Xmm(7), 1)
        });
    }
    for (op, name) in [
        (SseImm::Shufps, "vshufps"),
        (SseImm::Palignr, "vpalignr"),
        (SseImm::Pblendw, "vpblendw"),
    ] {
        for d in 0..16u8 {
            for a in [0u8, 9] {
                let b = 15 - d;
                check(
                    &format!("{name} {}, {}, {}, 9", xmm(d), xmm(a), xmm(b)),
                    |asm| asm.vex_rrri(op, Xmm(d), Xmm(a), Xmm(b), 9),
                );
            }
        }
    }
    for (lane, name) in [
        (1, "vpbroadcastb"),
        (2, "vpbroadcastw"),
        (4, "vpbroadcastd"),
        (8, "vpbroadcastq"),
    ] {
        for d in 0..16u8 {
            check(&format!("{name} {}, {}", xmm(d), xmm(15 - d)), |asm| {
                asm.vpbroadcast(lane, Xmm(d), Xmm(15 - d))
            });
        }
    }
}
