use super::*;
use proptest::prelude::*;

fn u32_of(bytes: &[u8]) -> Result<(u32, usize), LebError> {
    let mut pos = 0;
    read_u32(bytes, &mut pos).map(|v| (v, pos))
}

fn i32_of(bytes: &[u8]) -> Result<(i32, usize), LebError> {
    let mut pos = 0;
    read_i32(bytes, &mut pos).map(|v| (v, pos))
}

#[test]
fn spec_examples() {
    assert_eq!(u32_of(&[0x00]), Ok((0, 1)));
    assert_eq!(u32_of(&[0x80, 0x00]), Ok((0, 2)));
    assert_eq!(u32_of(&[0xff, 0xff, 0xff, 0xff, 0x0f]), Ok((u32::MAX, 5)));
    assert_eq!(
        u32_of(&[0xff, 0xff, 0xff, 0xff, 0x1f]),
        Err(LebError::TooLarge)
    );
    assert_eq!(
        u32_of(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
        Err(LebError::TooLong)
    );
    assert_eq!(u32_of(&[0x80]), Err(LebError::Eof));
    assert_eq!(i32_of(&[0x7f]), Ok((-1, 1)));
    assert_eq!(i32_of(&[0xff, 0xff, 0xff, 0xff, 0x7f]), Ok((-1, 5)));
    assert_eq!(
        i32_of(&[0xff, 0xff, 0xff, 0xff, 0x4f]),
        Err(LebError::TooLarge)
    );
    assert_eq!(
        i32_of(&[0x80, 0x80, 0x80, 0x80, 0x70]),
        Err(LebError::TooLarge)
    );
    assert_eq!(i32_of(&[0x80, 0x80, 0x80, 0x80, 0x78]), Ok((i32::MIN, 5)));
    assert_eq!(
        i32_of(&[0x80, 0x80, 0x80, 0x80, 0x08]),
        Err(LebError::TooLarge)
    );
    let mut pos = 0;
    assert_eq!(
        read_i64(
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f],
            &mut pos
        ),
        Ok(i64::MIN)
    );
    pos = 0;
    assert_eq!(
        read_i64(
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
            &mut pos
        ),
        Err(LebError::TooLarge)
    );
    pos = 0;
    assert_eq!(
        read_u64(
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            &mut pos
        ),
        Err(LebError::TooLarge)
    );
}

proptest! {
    #[test]
    fn u32_round_trip(v: u32) {
        let mut out = Vec::new();
        write_u32(&mut out, v);
        prop_assert_eq!(u32_of(&out), Ok((v, out.len())));
    }

    #[test]
    fn u64_round_trip(v: u64) {
        let mut out = Vec::new();
        write_u64(&mut out, v);
        let mut pos = 0;
        prop_assert_eq!(read_u64(&out, &mut pos), Ok(v));
        prop_assert_eq!(pos, out.len());
    }

    #[test]
    fn i32_round_trip(v: i32) {
        let mut out = Vec::new();
        write_i32(&mut out, v);
        prop_assert_eq!(i32_of(&out), Ok((v, out.len())));
    }

    #[test]
    fn i64_round_trip(v: i64) {
        let mut out = Vec::new();
        write_i64(&mut out, v);
        let mut pos = 0;
        prop_assert_eq!(read_i64(&out, &mut pos), Ok(v));
        prop_assert_eq!(pos, out.len());
    }

    /// Padding a value with redundant continuation bytes is accepted while the
    /// encoding stays within the width, and rejected as too long past it.
    #[test]
    fn u32_padding(v: u32, extra in 0usize..8) {
        let mut out = Vec::new();
        write_u32(&mut out, v);
        let last = out.len() - 1;
        out[last] |= 0x80;
        out.extend(std::iter::repeat_n(0x80, extra));
        out.push(0x00);
        let r = u32_of(&out);
        if out.len() <= 5 {
            prop_assert_eq!(r, Ok((v, out.len())));
        } else {
            prop_assert_eq!(r, Err(LebError::TooLong));
        }
    }

    #[test]
    fn i32_sign_padding(v: i32, extra in 0usize..8) {
        let mut out = Vec::new();
        write_i32(&mut out, v);
        let last = out.len() - 1;
        out[last] |= 0x80;
        let fill = if v < 0 { 0xff } else { 0x80 };
        out.extend(std::iter::repeat_n(fill, extra));
        out.push(if v < 0 { 0x7f } else { 0x00 });
        let r = i32_of(&out);
        if out.len() <= 5 {
            prop_assert_eq!(r, Ok((v, out.len())));
        } else {
            prop_assert_eq!(r, Err(LebError::TooLong));
        }
    }

    /// Any 5-byte u32 whose last byte carries bits 32+ is "too large"; any
    /// value that fits is read exactly as the reference model reads it.
    #[test]
    fn u32_matches_model(bytes in proptest::collection::vec(any::<u8>(), 0..7)) {
        let mut model: u64 = 0;
        let mut expected = Err(LebError::Eof);
        for (i, b) in bytes.iter().enumerate() {
            if i == 5 { expected = Err(LebError::TooLong); break; }
            model |= u64::from(b & 0x7f) << (7 * i);
            if i == 4 && b & 0x80 != 0 { expected = Err(LebError::TooLong); break; }
            if b & 0x80 == 0 {
                expected = if model > u64::from(u32::MAX) {
                    Err(LebError::TooLarge)
                } else {
                    Ok((model as u32, i + 1))
                };
                break;
            }
        }
        prop_assert_eq!(u32_of(&bytes), expected);
    }

    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
        let mut pos = 0;
        let _ = read_u64(&bytes, &mut pos);
        pos = 0;
        let _ = read_i64(&bytes, &mut pos);
        pos = 0;
        let _ = read_s33(&bytes, &mut pos);
    }
}
