//! Errors: a message and a span while parsing ([`ParseError`]), rendered
//! against the source map into an [`Error`] with file:line:col and a caret
//! line.

use crate::ast::Span;
use crate::SourceMap;
use std::fmt;

/// An error before rendering: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The offending bytes.
    pub span: Span,
    /// What is wrong.
    pub message: String,
}

impl ParseError {
    /// An error at `span`.
    #[cold]
    pub fn new(span: Span, message: String) -> ParseError {
        ParseError { span, message }
    }
}

/// A rendered error: message, file, line, column and the source line.
///
/// ```text
/// error: unknown type `strng`
///  --> api.wit:3:18
///   |
/// 3 |   greet: func(n: strng) -> string;
///   |                  ^^^^^
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    message: String,
    file: String,
    line: usize,
    col: usize,
    line_text: String,
    caret_indent: String,
    width: usize,
}

impl Error {
    /// Renders `e` against the files of `map`.
    #[cold]
    pub fn new(map: &SourceMap, e: ParseError) -> Error {
        let (file, text, base) = map.file_at(e.span.start);
        let start = (e.span.start.saturating_sub(base) as usize).min(text.len());
        let end = (e.span.end.saturating_sub(base) as usize).clamp(start, text.len());
        let start = floor_char(text, start);
        let end = floor_char(text, end);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
        let before = &text[line_start..start];
        let col = before.chars().count() + 1;
        let line_text = text[line_start..line_end]
            .trim_end_matches('\r')
            .to_string();
        let caret_indent = before
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let width = text[start..end.min(line_end).max(start)]
            .chars()
            .count()
            .max(1);
        Error(Box::new(Inner {
            message: e.message,
            file: file.to_string(),
            line,
            col,
            line_text,
            caret_indent,
            width,
        }))
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The file's name, as given to the source map.
    pub fn file(&self) -> &str {
        &self.0.file
    }

    /// The line, from 1.
    pub fn line(&self) -> usize {
        self.0.line
    }

    /// The column in characters, from 1.
    pub fn column(&self) -> usize {
        self.0.col
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        let n = e.line.to_string();
        let pad = " ".repeat(n.len());
        writeln!(f, "error: {}", e.message)?;
        writeln!(f, "{pad}--> {}:{}:{}", e.file, e.line, e.col)?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{n} | {}", e.line_text)?;
        write!(f, "{pad} | {}{}", e.caret_indent, "^".repeat(e.width))
    }
}

impl std::error::Error for Error {}
