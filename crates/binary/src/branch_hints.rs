//! The branch hint section (`metadata.code.branch_hint`, a custom section
//! of Wasm 3.0): for some functions, which `if` and `br_if` instructions
//! are likely or unlikely to branch.
//!
//! Spec: <https://github.com/WebAssembly/branch-hinting> (the section's
//! format: a vector of functions in increasing index order, each with a
//! vector of hints in increasing offset order; a hint is the instruction's
//! byte offset from the start of the function body's locals, a size of 1
//! and the hint byte, 0 for unlikely and 1 for likely).
//!
//! A custom section never makes a module invalid: a malformed one is an
//! error here, which a user of the section ignores (the printer then keeps
//! it as raw bytes).

use alloc::vec::Vec;

use crate::error::{Error, Result};
use crate::reader::Reader;

/// The name of the custom section.
pub const SECTION: &str = "metadata.code.branch_hint";

/// One hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hint {
    /// The instruction's byte offset from the start of the function body
    /// (its locals vector).
    pub offset: u32,
    /// Whether the branch is likely taken (`"\01"`) or not (`"\00"`).
    pub likely: bool,
}

/// The hints of one function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncHints {
    /// The function's index (imports included).
    pub func: u32,
    /// Its hints, by increasing offset.
    pub hints: Vec<Hint>,
}

/// Parses the contents of a branch hint section (after its name).
pub fn parse(data: &[u8]) -> Result<Vec<FuncHints>> {
    let mut r = Reader::new(data);
    let n = r.count()?;
    let mut out: Vec<FuncHints> = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let at = r.offset();
        let func = r.u32()?;
        if out.last().is_some_and(|f| f.func >= func) {
            return Err(Error::malformed("branch hints: functions out of order", at));
        }
        let m = r.count()?;
        let mut hints: Vec<Hint> = Vec::with_capacity(m as usize);
        for _ in 0..m {
            let at = r.offset();
            let offset = r.u32()?;
            if hints.last().is_some_and(|h| h.offset >= offset) {
                return Err(Error::malformed("branch hints: offsets out of order", at));
            }
            let size_at = r.offset();
            if r.u32()? != 1 {
                return Err(Error::malformed(
                    "branch hints: a hint's size is not 1",
                    size_at,
                ));
            }
            let hint_at = r.offset();
            let likely = match r.u8()? {
                0 => false,
                1 => true,
                _ => {
                    return Err(Error::malformed(
                        "branch hints: a hint is not 0 or 1",
                        hint_at,
                    ))
                }
            };
            hints.push(Hint { offset, likely });
        }
        out.push(FuncHints { func, hints });
    }
    if !r.is_empty() {
        return Err(Error::malformed(
            "branch hints: bytes after the last function",
            r.offset(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn parses_and_checks_the_order() {
        // Function 2: hints at 5 (likely) and 9 (unlikely); function 4:
        // one at 3.
        let data = [2, 2, 2, 5, 1, 1, 9, 1, 0, 4, 1, 3, 1, 1];
        let h = parse(&data).unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(
            h[0].hints,
            [
                Hint {
                    offset: 5,
                    likely: true
                },
                Hint {
                    offset: 9,
                    likely: false
                }
            ]
        );
        assert_eq!(h[1].func, 4);
        for (bad, why) in [
            (&[2, 4, 0, 2, 0][..], "out of order"),
            (&[1, 0, 2, 5, 1, 1, 5, 1, 0][..], "out of order"),
            (&[1, 0, 1, 5, 2, 1][..], "size"),
            (&[1, 0, 1, 5, 1, 7][..], "not 0 or 1"),
            (&[1, 0, 1, 5][..], "unexpected end"),
            (&[0, 9][..], "after the last"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.to_string().contains(why), "{bad:?}: {err}");
        }
    }
}
