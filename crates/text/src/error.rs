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

    /// `path:line:col: message`, then the source line and a caret.
    pub fn display_with(&self, path: &str, source: &str) -> String {
        let (line, col) = self.line_col(source);
        let text = source.lines().nth(line - 1).unwrap_or("");
        let caret: String = text
            .chars()
            .take(col - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!(
            "{path}:{line}:{col}: {}\n  {text}\n  {caret}^",
            self.message
        )
    }
}

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
}
