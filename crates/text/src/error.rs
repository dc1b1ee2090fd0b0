//! Text-format errors: a message and a byte offset, shown as
//! `file:line:col: message` with the source line and a caret.

use std::fmt;

/// A lexing or parsing error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Byte offset in the source.
    pub offset: usize,
    /// What went wrong.
    pub message: String,
}

impl Error {
    /// An error at `offset`.
    pub fn new(offset: usize, message: impl Into<String>) -> Error {
        Error {
            offset,
            message: message.into(),
        }
    }

    /// 1-based line and column (in characters) of the error in `source`.
    pub fn line_col(&self, source: &str) -> (usize, usize) {
        let upto = &source[..floor_char_boundary(source, self.offset)];
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    /// `path:line:col: message`, then the source line and a caret. Of a
    /// long line, only [`CONTEXT`] characters on either side of the caret
    /// are shown, between `...`.
    pub fn display_with(&self, path: &str, source: &str) -> String {
        let (line, col) = self.line_col(source);
        let text = source.lines().nth(line - 1).unwrap_or("");
        let first = (col - 1).saturating_sub(CONTEXT);
        let mut shown: String = text.chars().skip(first).take(2 * CONTEXT).collect();
        let mut caret: String = if first > 0 {
            "   ".into()
        } else {
            String::new()
        };
        caret.extend(
            shown
                .chars()
                .take(col - 1 - first)
                .map(|c| if c == '\t' { '\t' } else { ' ' }),
        );
        if first > 0 {
            shown.insert_str(0, "...");
        }
        if text.chars().nth(first + 2 * CONTEXT).is_some() {
            shown.push_str("...");
        }
        format!(
            "{path}:{line}:{col}: {}\n  {shown}\n  {caret}^",
            self.message
        )
    }
}

/// How many characters of the source line an error shows on either side
/// of its column.
pub const CONTEXT: usize = 60;

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_points_at_the_column() {
        let src = "(module\n  (func $f (result i32) i32.nope))";
        let e = Error::new(src.find("i32.nope").unwrap(), "unknown operator");
        assert_eq!(e.line_col(src), (2, 25));
        assert_eq!(
            e.display_with("a.wat", src),
            "a.wat:2:25: unknown operator\n    (func $f (result i32) i32.nope))\n                          ^"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_caret() {
        let src = format!("{}$x{}", "a ".repeat(1000), " b".repeat(1000));
        let e = Error::new(2000, "here");
        let shown = e.display_with("l.wat", &src);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[0], "l.wat:1:2001: here");
        assert_eq!(lines[1].len(), 2 + 3 + 2 * CONTEXT + 3);
        assert_eq!(lines[1].find("$x"), lines[2].find('^'));
    }
}
