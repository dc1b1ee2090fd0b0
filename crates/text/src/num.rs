//! Numeric literals: integers (decimal or hex, `_` separators) and floats
//! (decimal, hex, `inf`, `nan`, `nan:0x...`), converted exactly.

/// Strips `_` separators, which may only sit between digits.
fn digits(s: &str) -> Option<String> {
    if s.starts_with('_') || s.ends_with('_') || s.contains("__") {
        return None;
    }
    Some(s.replace('_', ""))
}

fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

/// The magnitude of an unsigned integer literal.
fn unsigned(s: &str) -> Option<u128> {
    let (radix, body) = match s.strip_prefix("0x") {
        Some(h) => (16, h),
        None => (10, s),
    };
    if body.is_empty() || body.starts_with('_') {
        return None;
    }
    let d = digits(body)?;
    if !d.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u128::from_str_radix(&d, radix).ok()
}

/// An integer literal of `bits` bits: signed or unsigned range, two's
/// complement result.
pub fn int(s: &str, bits: u32) -> Option<u64> {
    let (neg, body) = split_sign(s);
    let m = unsigned(body)?;
    let max_unsigned = (1u128 << bits) - 1;
    if neg {
        if m > 1u128 << (bits - 1) {
            return None;
        }
        Some(((!m).wrapping_add(1) & max_unsigned) as u64)
    } else {
        if m > max_unsigned {
            return None;
        }
        Some(m as u64)
    }
}

/// An unsigned 32-bit literal (indices, alignments, lanes).
pub fn u32_lit(s: &str) -> Option<u32> {
    if s.starts_with(['+', '-']) {
        return None;
    }
    unsigned(s).and_then(|v| u32::try_from(v).ok())
}

/// A float format: mantissa bits and exponent bits.
#[derive(Clone, Copy)]
struct Format {
    mant: u32,
    exp: u32,
}

const F32: Format = Format { mant: 23, exp: 8 };
const F64: Format = Format { mant: 52, exp: 11 };

/// Rounds `m * 2^e` (with `sticky` true if bits below `m` were non-zero)
/// to the nearest value of `fmt`, ties to even. Returns the bits without
/// sign, or `None` on overflow.
fn round(mut m: u128, mut e: i64, mut sticky: bool, fmt: Format) -> Option<u64> {
    if m == 0 {
        return Some(0);
    }
    // Normalize so that m has exactly mant+1+2 significant bits (guard,
    // round) ... we keep it simple: shift to mant+3 bits.
    let want = fmt.mant + 3;
    let top = 127 - m.leading_zeros();
    if top + 1 > want {
        let shift = top + 1 - want;
        sticky |= m & ((1u128 << shift) - 1) != 0;
        m >>= shift;
        e += i64::from(shift);
    } else {
        let shift = want - (top + 1);
        m <<= shift;
        e -= i64::from(shift);
    }
    // Now m in [2^(mant+2), 2^(mant+3)): value = m * 2^e.
    let bias = (1i64 << (fmt.exp - 1)) - 1;
    let min_exp = 1 - bias; // exponent of the smallest normal
                            // Unbiased exponent of the leading bit:
    let mut exp = e + i64::from(fmt.mant) + 2;
    if exp < min_exp {
        // Subnormal: shift right further.
        let shift = (min_exp - exp) as u32;
        if shift > 127 {
            sticky |= m != 0;
            m = 0;
        } else {
            sticky |= m & ((1u128 << shift) - 1) != 0;
            m >>= shift;
        }
        exp = min_exp;
    }
    // Round off the 2 extra bits (guard + round) with sticky.
    let low = (m & 3) as u8;
    m >>= 2;
    let half = low == 2 && !sticky;
    let up = low > 2 || (low == 2 && sticky) || (half && m & 1 == 1);
    if up {
        m += 1;
        if m == 1u128 << (fmt.mant + 1) {
            m >>= 1;
            exp += 1;
        }
    }
    let max_exp = bias;
    if exp > max_exp {
        return None;
    }
    if m < 1u128 << fmt.mant {
        // Subnormal (or zero).
        return Some(m as u64);
    }
    let biased = (exp + bias) as u64;
    Some((biased << fmt.mant) | ((m as u64) & ((1u64 << fmt.mant) - 1)))
}

/// Parses a hex float body (after `0x`): `h.h` with optional `p±d`.
fn hex_float(body: &str, fmt: Format) -> Option<u64> {
    let (mant, exp) = match body.find(['p', 'P']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mant.find('.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, ""),
    };
    if int_part.is_empty() || int_part.starts_with('_') || frac_part.starts_with('_') {
        return None;
    }
    let int_d = digits(int_part)?;
    let frac_d = if frac_part.is_empty() {
        String::new()
    } else {
        digits(frac_part)?
    };
    let mut m: u128 = 0;
    let mut e: i64 = 0;
    let mut sticky = false;
    for (i, c) in int_d.chars().chain(frac_d.chars()).enumerate() {
        let d = c.to_digit(16)?;
        if m >> 120 != 0 {
            // No room: drop the digit, remember it was non-zero.
            sticky |= d != 0;
            if i < int_d.len() {
                e += 4;
            }
        } else {
            m = m * 16 + u128::from(d);
            if i >= int_d.len() {
                e -= 4;
            }
        }
    }
    if let Some(x) = exp {
        let (neg, xd) = split_sign(x);
        let xd = digits(xd)?;
        if xd.is_empty() || !xd.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let v: i64 = xd.parse::<i64>().unwrap_or(i64::MAX / 4).min(1 << 40);
        e += if neg { -v } else { v };
    }
    round(m, e, sticky, fmt)
}

fn float_bits(s: &str, fmt: Format) -> Option<u64> {
    let (neg, body) = split_sign(s);
    let sign = u64::from(neg) << (fmt.mant + fmt.exp);
    let exp_all = ((1u64 << fmt.exp) - 1) << fmt.mant;
    let bits = if body == "inf" {
        exp_all
    } else if body == "nan" {
        exp_all | (1u64 << (fmt.mant - 1))
    } else if let Some(payload) = body.strip_prefix("nan:0x") {
        let p = u64::from_str_radix(&digits(payload)?, 16).ok()?;
        if p == 0 || p >= 1u64 << fmt.mant {
            return None;
        }
        exp_all | p
    } else if let Some(h) = body.strip_prefix("0x") {
        hex_float(h, fmt)?
    } else {
        if !body.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let d = decimal_digits(body)?;
        if fmt.mant == 23 {
            let v: f32 = d.parse().ok()?;
            if v.is_infinite() {
                return None;
            }
            u64::from(v.to_bits())
        } else {
            let v: f64 = d.parse().ok()?;
            if v.is_infinite() {
                return None;
            }
            v.to_bits()
        }
    };
    Some(sign | bits)
}

/// Checks `_` placement in each digit group of a decimal float and strips it.
fn decimal_digits(body: &str) -> Option<String> {
    let mut out = String::new();
    for (i, part) in body.split(['.', 'e', 'E']).enumerate() {
        let part = if i > 0 {
            part.trim_start_matches(['+', '-'])
        } else {
            part
        };
        if part.starts_with('_') || part.ends_with('_') || part.contains("__") {
            return None;
        }
    }
    for c in body.chars() {
        if c != '_' {
            out.push(c);
        }
    }
    if !out
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    Some(out)
}

/// An `f32` literal's bits.
pub fn f32_bits(s: &str) -> Option<u32> {
    float_bits(s, F32).map(|b| b as u32)
}

/// An `f64` literal's bits.
pub fn f64_bits(s: &str) -> Option<u64> {
    float_bits(s, F64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(int("-1", 32), Some(0xffff_ffff));
        assert_eq!(int("4294967295", 32), Some(0xffff_ffff));
        assert_eq!(int("4294967296", 32), None);
        assert_eq!(int("-2147483648", 32), Some(0x8000_0000));
        assert_eq!(int("-2147483649", 32), None);
        assert_eq!(int("0x1_0000", 32), Some(0x10000));
        assert_eq!(int("1__0", 32), None);
        assert_eq!(int("0x", 32), None);
        assert_eq!(int("-0x8000000000000000", 64), Some(1 << 63));
        assert_eq!(u32_lit("+1"), None);
    }

    #[test]
    fn floats() {
        assert_eq!(f32_bits("1.5"), Some(1.5f32.to_bits()));
        assert_eq!(f32_bits("-0x1p-149"), Some(0x8000_0001));
        assert_eq!(f32_bits("0x1.fffffep127"), Some(0x7f7f_ffff));
        assert_eq!(f32_bits("0x1.ffffffp127"), None, "rounds up to infinity");
        assert_eq!(f32_bits("0x1.000001p0"), Some(0x3f80_0000), "tie to even");
        assert_eq!(f32_bits("0x1.0000011p0"), Some(0x3f80_0001));
        assert_eq!(f32_bits("nan:0x200000"), Some(0x7fa0_0000));
        assert_eq!(f32_bits("-nan"), Some(0xffc0_0000));
        assert_eq!(f32_bits("inf"), Some(0x7f80_0000));
        assert_eq!(f64_bits("0x1p-1074"), Some(1));
        assert_eq!(f64_bits("0x1p-1075"), Some(0), "ties to even: zero");
        assert_eq!(f64_bits("0x1.8p-1074"), Some(2));
        assert_eq!(f64_bits("1_000.5e1_0"), Some(1000.5e10f64.to_bits()));
        assert_eq!(f64_bits("1e309"), None);
        assert_eq!(f32_bits("0x1p128"), None);
    }
}
