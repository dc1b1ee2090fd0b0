//! WAVE, the WebAssembly Value Encoding: component values as text, as
//! `wasm-wave` (and so `wasmtime run --invoke`) reads and writes them.
//!
//! - [`to_string`] writes a [`Val`] (as `wasm_wave::to_string`);
//! - [`from_str`] reads a value of a given [`Type`];
//! - [`FuncCall::parse`] reads a call `name(arg, ...)` and
//!   [`FuncCall::params`] its arguments, given the parameter types;
//! - [`display_results`] writes a call's results as wasmtime prints them.
//!
//! The grammar (wasm-wave's README): `true`/`false`; integers in decimal;
//! floats as JSON numbers, `nan`, `inf`, `-inf`; chars `'x'` and strings
//! `"x"` with the escapes `\' \" \\ \t \n \r \u{X}`, and `"""` multiline
//! strings; tuples `(a, b)`; lists `[a, b]`; records `{a: 1, b: 2}` (an
//! option field may be left out for `none`; `{:}` when every field is);
//! variants `case(payload)`/`case`; enums `case`; options `some(x)`/`none`
//! or `x` alone when `x` is neither an option nor a result; results
//! `ok(x)`/`err(e)`/`ok`/`err`, or `x` alone for `ok(x)` likewise; flags
//! `{a, b}`; maps `{"k": v}`. A label that is a keyword (`true`, `false`,
//! `some`, `none`, `ok`, `err`, `inf`, `nan`) is written `%label`. Comments
//! run from `//` to the end of the line. Trailing commas are allowed.
//! Fixed-length lists are written as lists (wasm-wave writes them so but
//! does not read them; this reads them, with their length checked).
//! Resources have no encoding.

use std::fmt::Write as _;
use std::ops::Range;

use super::types::Type;
use super::val::Val;

/// How deep values may nest in the text (as wasm-wave).
const MAX_DEPTH: usize = 100;

/// A WAVE error: where in the text (a byte range) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaveError {
    span: Range<usize>,
    message: String,
}

impl WaveError {
    fn new(span: Range<usize>, message: impl Into<String>) -> WaveError {
        WaveError {
            span,
            message: message.into(),
        }
    }

    /// The byte range of the text the error is about.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The 1-based column (in characters) where the error starts in `src`.
    pub fn column(&self, src: &str) -> usize {
        let at = self.span.start.min(src.len());
        src.get(..at).map_or(at, |s| s.chars().count()) + 1
    }

    /// The error with the text it is about and a caret under the place:
    ///
    /// ```text
    /// column 5: expected a value of type `u32`, found a string
    ///   f(1, "x")
    ///        ^^^
    /// ```
    ///
    /// (The text is shown on one line: line breaks and tabs as spaces.)
    pub fn render(&self, src: &str) -> String {
        let col = self.column(src);
        let shown: String = src
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let width = src
            .get(self.span.start.min(src.len())..self.span.end.min(src.len()))
            .map_or(1, |s| s.chars().count())
            .max(1);
        format!(
            "column {col}: {}\n  {shown}\n  {}{}",
            self.message,
            " ".repeat(col - 1),
            "^".repeat(width)
        )
    }
}

impl std::fmt::Display for WaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (at bytes {}..{})",
            self.message, self.span.start, self.span.end
        )
    }
}

impl std::error::Error for WaveError {}

// ---------------------------------------------------------------------
// Writing

/// Whether `label` is a WAVE keyword (and so must be written `%label`).
fn is_keyword(label: &str) -> bool {
    matches!(
        label,
        "true" | "false" | "some" | "none" | "ok" | "err" | "inf" | "nan"
    )
}

fn write_char(out: &mut String, ch: char) {
    // As wasm-wave's writer.
    if "\\\"'\t\r\n".contains(ch) {
        out.extend(ch.escape_default());
    } else if ch.is_control() {
        out.extend(ch.escape_unicode());
    } else {
        out.extend(ch.escape_debug());
    }
}

/// The error for a resource, which WAVE cannot encode.
fn resource_error(span: Range<usize>, what: &str) -> WaveError {
    WaveError::new(
        span,
        format!(
            "resources cannot be written in WAVE ({what}); pass no resource through `--invoke`"
        ),
    )
}

/// Writes `v` in WAVE, exactly as `wasm_wave::to_string` does (the same
/// escapes, spacing and float formatting; `none` record fields left out;
/// map entries with the same key merged, the last value winning at the
/// first one's place). Fails only on a resource, which WAVE cannot encode.
pub fn to_string(v: &Val) -> Result<String, WaveError> {
    let mut out = String::new();
    write_val(&mut out, v)?;
    Ok(out)
}

fn write_seq<'a>(
    out: &mut String,
    open: char,
    close: char,
    vs: impl Iterator<Item = &'a Val>,
) -> Result<(), WaveError> {
    out.push(open);
    for (i, v) in vs.enumerate() {
        if i != 0 {
            out.push_str(", ");
        }
        write_val(out, v)?;
    }
    out.push(close);
    Ok(())
}

fn write_case(out: &mut String, label: &str, payload: Option<&Val>) -> Result<(), WaveError> {
    out.push_str(label);
    if let Some(p) = payload {
        out.push('(');
        write_val(out, p)?;
        out.push(')');
    }
    Ok(())
}

fn write_val(out: &mut String, v: &Val) -> Result<(), WaveError> {
    match v {
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::S8(x) => {
            let _ = write!(out, "{x}");
        }
        Val::U8(x) => {
            let _ = write!(out, "{x}");
        }
        Val::S16(x) => {
            let _ = write!(out, "{x}");
        }
        Val::U16(x) => {
            let _ = write!(out, "{x}");
        }
        Val::S32(x) => {
            let _ = write!(out, "{x}");
        }
        Val::U32(x) => {
            let _ = write!(out, "{x}");
        }
        Val::S64(x) => {
            let _ = write!(out, "{x}");
        }
        Val::U64(x) => {
            let _ = write!(out, "{x}");
        }
        Val::Float32(x) if x.is_nan() => out.push_str("nan"),
        Val::Float32(x) => {
            let _ = write!(out, "{x}");
        }
        Val::Float64(x) if x.is_nan() => out.push_str("nan"),
        Val::Float64(x) => {
            let _ = write!(out, "{x}");
        }
        Val::Char(c) => {
            out.push('\'');
            write_char(out, *c);
            out.push('\'');
        }
        Val::String(s) => {
            out.push('"');
            for c in s.chars() {
                write_char(out, c);
            }
            out.push('"');
        }
        Val::List(vs) => write_seq(out, '[', ']', vs.iter())?,
        Val::Tuple(vs) => write_seq(out, '(', ')', vs.iter())?,
        Val::Record(fs) => {
            out.push('{');
            let mut first = true;
            for (name, v) in fs {
                if matches!(v, Val::Option(None)) {
                    continue;
                }
                if !first {
                    out.push_str(", ");
                }
                first = false;
                out.push_str(name);
                out.push_str(": ");
                write_val(out, v)?;
            }
            if first {
                out.push(':');
            }
            out.push('}');
        }
        Val::Variant(label, payload) => {
            if is_keyword(label) {
                out.push('%');
            }
            write_case(out, label, payload.as_deref())?;
        }
        Val::Enum(label) => {
            if is_keyword(label) {
                out.push('%');
            }
            out.push_str(label);
        }
        Val::Option(None) => out.push_str("none"),
        Val::Option(Some(v)) => write_case(out, "some", Some(v))?,
        Val::Result(Ok(v)) => write_case(out, "ok", v.as_deref())?,
        Val::Result(Err(v)) => write_case(out, "err", v.as_deref())?,
        Val::Flags(fs) => {
            out.push('{');
            out.push_str(&fs.join(", "));
            out.push('}');
        }
        Val::Map(entries) => {
            let mut merged: Vec<(String, &Val)> = Vec::new();
            for (k, v) in entries {
                let key = to_string(k)?;
                match merged.iter_mut().find(|(mk, _)| *mk == key) {
                    Some(slot) => slot.1 = v,
                    None => merged.push((key, v)),
                }
            }
            out.push('{');
            for (i, (k, v)) in merged.iter().enumerate() {
                if i != 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(": ");
                write_val(out, v)?;
            }
            out.push('}');
        }
        Val::Resource(r) => {
            return Err(resource_error(
                0..0,
                if r.owned() {
                    "an `own` handle"
                } else {
                    "a `borrow` handle"
                },
            ))
        }
    }
    Ok(())
}

/// A call's results as `wasmtime run --invoke` prints them (wasm-wave's
/// `DisplayFuncResults`): one result alone, none as `()`, more as a
/// tuple.
pub fn display_results(results: &[Val]) -> Result<String, WaveError> {
    match results {
        [one] => to_string(one),
        _ => {
            let mut out = String::new();
            write_seq(&mut out, '(', ')', results.iter())?;
            Ok(out)
        }
    }
}

// ---------------------------------------------------------------------
// Lexing

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    BraceOpen,
    BraceClose,
    ParenOpen,
    ParenClose,
    BracketOpen,
    BracketClose,
    Colon,
    Comma,
    Number,
    Label,
    Char,
    String,
    MultilineString,
}

impl Tok {
    fn describe(self) -> &'static str {
        match self {
            Tok::BraceOpen => "`{`",
            Tok::BraceClose => "`}`",
            Tok::ParenOpen => "`(`",
            Tok::ParenClose => "`)`",
            Tok::BracketOpen => "`[`",
            Tok::BracketClose => "`]`",
            Tok::Colon => "`:`",
            Tok::Comma => "`,`",
            Tok::Number => "a number",
            Tok::Label => "a label",
            Tok::Char => "a char",
            Tok::String | Tok::MultilineString => "a string",
        }
    }
}

fn is_lower_word(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn is_upper_word(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

/// The length of a label word at `s` (`[a-z0-9]+|[A-Z0-9]+`, longest;
/// `first`: it must start with a letter).
fn label_word(s: &[u8], first: bool) -> usize {
    let Some(&c) = s.first() else { return 0 };
    let mut i = 0;
    if first && !c.is_ascii_alphabetic() {
        return 0;
    }
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    match s.get(i) {
        Some(c) if c.is_ascii_lowercase() => {
            while i < s.len() && is_lower_word(s[i]) {
                i += 1;
            }
        }
        Some(c) if c.is_ascii_uppercase() => {
            while i < s.len() && is_upper_word(s[i]) {
                i += 1;
            }
        }
        _ => {}
    }
    i
}

/// The length of the label at the start of `s` (with its `%`), or 0.
fn label_len(s: &[u8]) -> usize {
    let mut i = usize::from(s.first() == Some(&b'%'));
    let w = label_word(&s[i..], true);
    if w == 0 {
        return 0;
    }
    i += w;
    while s.get(i) == Some(&b'-') {
        let w = label_word(&s[i + 1..], false);
        if w == 0 {
            break;
        }
        i += 1 + w;
    }
    i
}

/// The length of the number at the start of `s`, or 0.
fn number_len(s: &[u8]) -> usize {
    let digits = |from: usize| {
        s[from.min(s.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut i = usize::from(s.first() == Some(&b'-'));
    if s[i..].starts_with(b"inf") && i == 1 {
        return 4;
    }
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i += digits(i),
        _ => return 0,
    }
    if s.get(i) == Some(&b'.') && digits(i + 1) > 0 {
        i += 1 + digits(i + 1);
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(s.get(i + 1), Some(b'+' | b'-')));
        let d = digits(i + 1 + sign);
        if d > 0 {
            i += 1 + sign + d;
        }
    }
    i
}

/// The length of an escape sequence at the start of `s` (which starts
/// with `\`) as the lexer takes it, or 0.
fn escape_len(s: &str) -> usize {
    let b = s.as_bytes();
    match b.get(1) {
        Some(b'\'' | b'"' | b't' | b'n' | b'r' | b'\\') => 2,
        Some(b'u') if b.get(2) == Some(&b'{') => {
            let hex = b[3..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
            if (1..=6).contains(&hex) && b.get(3 + hex) == Some(&b'}') {
                4 + hex
            } else {
                0
            }
        }
        _ => 0,
    }
}

/// Decodes the escape sequence at the start of `s`: the char and the
/// sequence's length.
fn unescape(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'\\') {
        return None;
    }
    Some(match b.get(1)? {
        b'\\' => ('\\', 2),
        b'\'' => ('\'', 2),
        b'"' => ('"', 2),
        b't' => ('\t', 2),
        b'n' => ('\n', 2),
        b'r' => ('\r', 2),
        b'u' => {
            let n = escape_len(s);
            if n == 0 {
                return None;
            }
            let v = u32::from_str_radix(&s[3..n - 1], 16).ok()?;
            (char::from_u32(v)?, n)
        }
        _ => return None,
    })
}

struct Lexer<'a> {
    src: &'a str,
}

impl<'a> Lexer<'a> {
    /// The position of the next token at or after `pos` (skipping
    /// whitespace and comments).
    fn skip(&self, mut pos: usize) -> usize {
        let b = self.src.as_bytes();
        loop {
            match b.get(pos) {
                Some(b' ' | b'\t' | b'\n' | b'\r') => pos += 1,
                Some(b'/') if b.get(pos + 1) == Some(&b'/') => {
                    pos += self.src[pos..]
                        .find('\n')
                        .map_or(self.src.len() - pos, |n| n + 1);
                }
                _ => return pos,
            }
        }
    }

    /// The token at or after `pos`: `None` at the end.
    fn token(&self, pos: usize) -> Result<Option<(Tok, Range<usize>)>, WaveError> {
        let start = self.skip(pos);
        let rest = &self.src[start..];
        let b = rest.as_bytes();
        let Some(&c) = b.first() else {
            return Ok(None);
        };
        let single = |t| Ok(Some((t, start..start + 1)));
        match c {
            b'{' => single(Tok::BraceOpen),
            b'}' => single(Tok::BraceClose),
            b'(' => single(Tok::ParenOpen),
            b')' => single(Tok::ParenClose),
            b'[' => single(Tok::BracketOpen),
            b']' => single(Tok::BracketClose),
            b':' => single(Tok::Colon),
            b',' => single(Tok::Comma),
            b'-' | b'0'..=b'9' => match number_len(b) {
                0 => Err(self.bad_token(start, "a number")),
                n => Ok(Some((Tok::Number, start..start + n))),
            },
            b'%' | b'a'..=b'z' | b'A'..=b'Z' => match label_len(b) {
                0 => Err(self.bad_token(start, "a label")),
                n => Ok(Some((Tok::Label, start..start + n))),
            },
            b'\'' => {
                let inner = &rest[1..];
                let n = if inner.starts_with('\\') {
                    escape_len(inner)
                } else {
                    inner
                        .chars()
                        .next()
                        .filter(|c| !matches!(c, '\'' | '\n'))
                        .map_or(0, char::len_utf8)
                };
                if n == 0 || !inner[n..].starts_with('\'') {
                    return Err(self.bad_token(start, "a char (one character or escape, in `'`)"));
                }
                Ok(Some((Tok::Char, start..start + n + 2)))
            }
            b'"' if rest.starts_with("\"\"\"") => match rest[3..].find("\"\"\"") {
                Some(end) => Ok(Some((Tok::MultilineString, start..start + end + 6))),
                None => Err(WaveError::new(
                    start..self.src.len(),
                    "unterminated multiline string (no closing `\"\"\"`)",
                )),
            },
            b'"' => {
                let mut i = 1;
                loop {
                    let Some(ch) = rest[i..].chars().next() else {
                        return Err(WaveError::new(
                            start..self.src.len(),
                            "unterminated string (no closing `\"`)",
                        ));
                    };
                    match ch {
                        '"' => return Ok(Some((Tok::String, start..start + i + 1))),
                        '\n' => {
                            return Err(WaveError::new(
                                start..start + i,
                                "a line break in a string must be written `\\n`",
                            ))
                        }
                        '\\' => match escape_len(&rest[i..]) {
                            0 => {
                                let len = rest[i + 1..].chars().next().map_or(0, char::len_utf8);
                                return Err(WaveError::new(
                                    start + i..start + i + 1 + len,
                                    "invalid escape (expected \\' \\\" \\\\ \\t \\n \\r or \\u{X})",
                                ));
                            }
                            n => i += n,
                        },
                        _ => i += ch.len_utf8(),
                    }
                }
            }
            _ => {
                let len = rest.chars().next().map_or(1, char::len_utf8);
                Err(WaveError::new(
                    start..start + len,
                    format!(
                        "unexpected character `{}`",
                        rest.chars().next().unwrap_or(' ').escape_debug()
                    ),
                ))
            }
        }
    }

    fn bad_token(&self, start: usize, what: &str) -> WaveError {
        let end = self.src[start..]
            .find(|c: char| c.is_whitespace() || ",:()[]{}".contains(c))
            .map_or(self.src.len(), |n| start + n.max(1));
        WaveError::new(start..end, format!("invalid token: expected {what}"))
    }
}

// ---------------------------------------------------------------------
// Parsing: text to an untyped tree

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    True,
    False,
    Number,
    Char,
    String,
    MultilineString,
    Tuple,
    List,
    /// `{a: 1}`, `{"k": v}`, `{:}`: a record or a map.
    TupleSet,
    /// `{}`: empty flags or an empty map.
    EmptySet,
    Label,
    VariantWithPayload,
    Some,
    None,
    Ok,
    Err,
    Flags,
}

#[derive(Clone, Debug)]
struct Node {
    kind: Kind,
    span: Range<usize>,
    children: Vec<Node>,
}

impl Node {
    fn leaf(kind: Kind, span: Range<usize>) -> Node {
        Node {
            kind,
            span,
            children: Vec::new(),
        }
    }

    fn describe(&self, src: &str) -> String {
        match self.kind {
            Kind::True => "`true`".into(),
            Kind::False => "`false`".into(),
            Kind::Number => format!("the number `{}`", &src[self.span.clone()]),
            Kind::Char => "a char".into(),
            Kind::String | Kind::MultilineString => "a string".into(),
            Kind::Tuple => "a tuple".into(),
            Kind::List => "a list".into(),
            Kind::TupleSet => "a record or map".into(),
            Kind::EmptySet => "`{}` (empty flags or map)".into(),
            Kind::Label => format!("the label `{}`", &src[self.span.clone()]),
            Kind::VariantWithPayload => format!(
                "the case `{}(..)`",
                self.children.first().map_or("", |l| &src[l.span.clone()])
            ),
            Kind::Some => "`some(..)`".into(),
            Kind::None => "`none`".into(),
            Kind::Ok => "`ok`".into(),
            Kind::Err => "`err`".into(),
            Kind::Flags => "flags".into(),
        }
    }

    /// The label, without its `%`.
    fn label<'s>(&self, src: &'s str) -> &'s str {
        let l = &src[self.span.clone()];
        l.strip_prefix('%').unwrap_or(l)
    }
}

struct Parser<'a> {
    lex: Lexer<'a>,
    /// Where the next token is looked for.
    pos: usize,
    /// The current token.
    tok: Tok,
    span: Range<usize>,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, pos: usize) -> Parser<'a> {
        Parser {
            lex: Lexer { src },
            pos,
            tok: Tok::Comma,
            span: pos..pos,
            depth: 0,
        }
    }

    fn src(&self) -> &'a str {
        self.lex.src
    }

    fn advance(&mut self, expected: &str) -> Result<Tok, WaveError> {
        match self.lex.token(self.pos)? {
            Some((t, span)) => {
                self.pos = span.end;
                self.tok = t;
                self.span = span;
                Ok(t)
            }
            None => {
                let end = self.src().len();
                Err(WaveError::new(
                    end..end,
                    format!("unexpected end of input: expected {expected}"),
                ))
            }
        }
    }

    fn peek(&self) -> Option<Tok> {
        self.lex.token(self.pos).ok().flatten().map(|(t, _)| t)
    }

    fn unexpected(&self, expected: &str) -> WaveError {
        WaveError::new(
            self.span.clone(),
            format!("expected {expected}, found {}", self.tok.describe()),
        )
    }

    fn expect(&self, t: Tok) -> Result<(), WaveError> {
        if self.tok == t {
            Ok(())
        } else {
            Err(self.unexpected(t.describe()))
        }
    }

    /// Nothing but whitespace and comments may follow.
    fn finish(&self) -> Result<(), WaveError> {
        match self.lex.token(self.pos)? {
            None => Ok(()),
            Some((_, span)) => Err(WaveError::new(
                span.start..self.src().len(),
                "unexpected text after the value",
            )),
        }
    }

    fn node(&mut self) -> Result<Node, WaveError> {
        if self.depth >= MAX_DEPTH {
            return Err(WaveError::new(
                self.span.clone(),
                format!("values nest more than {MAX_DEPTH} deep"),
            ));
        }
        self.depth += 1;
        let r = self.node_inner();
        self.depth -= 1;
        r
    }

    fn node_inner(&mut self) -> Result<Node, WaveError> {
        let leaf = |p: &Self, k| Ok(Node::leaf(k, p.span.clone()));
        match self.advance("a value")? {
            Tok::Number => leaf(self, Kind::Number),
            Tok::Char => leaf(self, Kind::Char),
            Tok::String => leaf(self, Kind::String),
            Tok::MultilineString => leaf(self, Kind::MultilineString),
            Tok::ParenOpen => self.tuple(),
            Tok::BracketOpen => {
                let start = self.span.start;
                let children = self.comma_separated(Tok::BracketClose)?;
                Ok(Node {
                    kind: Kind::List,
                    span: start..self.span.end,
                    children,
                })
            }
            Tok::BraceOpen => self.braces(),
            Tok::Label => match &self.src()[self.span.clone()] {
                "true" => leaf(self, Kind::True),
                "false" => leaf(self, Kind::False),
                "inf" | "nan" => leaf(self, Kind::Number),
                "some" => {
                    let start = self.span.start;
                    self.advance("`(` after `some`")?;
                    self.expect(Tok::ParenOpen)
                        .map_err(|_| self.unexpected("`(` after `some`"))?;
                    let payload = self.node()?;
                    self.advance("`)`")?;
                    self.expect(Tok::ParenClose)?;
                    Ok(Node {
                        kind: Kind::Some,
                        span: start..self.span.end,
                        children: vec![payload],
                    })
                }
                "none" => leaf(self, Kind::None),
                kw @ ("ok" | "err") => {
                    let kind = if kw == "ok" { Kind::Ok } else { Kind::Err };
                    self.maybe_payload(kind, None)
                }
                _ => {
                    let label = Node::leaf(Kind::Label, self.span.clone());
                    self.maybe_payload(Kind::VariantWithPayload, Some(label))
                }
            },
            Tok::BraceClose | Tok::ParenClose | Tok::BracketClose | Tok::Colon | Tok::Comma => {
                Err(self.unexpected("a value"))
            }
        }
    }

    /// A case with an optional parenthesized payload: `kind` with the
    /// payload (a variant also keeps its label first); without one, the
    /// bare `ok`/`err`, or the label.
    fn maybe_payload(&mut self, kind: Kind, label: Option<Node>) -> Result<Node, WaveError> {
        let start = self.span.clone();
        if self.peek() != Some(Tok::ParenOpen) {
            return Ok(match label {
                Some(l) => l,
                None => Node::leaf(kind, start),
            });
        }
        self.advance("`(`")?;
        let payload = self.node()?;
        self.advance("`)`")?;
        self.expect(Tok::ParenClose)?;
        Ok(Node {
            kind,
            span: start.start..self.span.end,
            children: label.into_iter().chain([payload]).collect(),
        })
    }

    fn tuple(&mut self) -> Result<Node, WaveError> {
        let start = self.span.start;
        let children = self.comma_separated(Tok::ParenClose)?;
        let span = start..self.span.end;
        if children.is_empty() {
            return Err(WaveError::new(
                span,
                "empty tuple `()`: a tuple has at least one value",
            ));
        }
        Ok(Node {
            kind: Kind::Tuple,
            span,
            children,
        })
    }

    fn comma_separated(&mut self, end: Tok) -> Result<Vec<Node>, WaveError> {
        let mut nodes = Vec::new();
        let expected = format!("`,` or {}", end.describe());
        if self.peek() == Some(end) {
            self.advance(end.describe())?;
            return Ok(nodes);
        }
        loop {
            nodes.push(self.node()?);
            match self.advance(&expected)? {
                Tok::Comma => {
                    if self.peek() == Some(end) {
                        self.advance(end.describe())?;
                        break;
                    }
                }
                t if t == end => break,
                _ => return Err(self.unexpected(&expected)),
            }
        }
        Ok(nodes)
    }

    fn braces(&mut self) -> Result<Node, WaveError> {
        let start = self.span.start;
        match self.advance("a record field, flag, map entry or `}`")? {
            Tok::Colon => {
                self.advance("`}` (of the empty record `{:}`)")?;
                self.expect(Tok::BraceClose)?;
                return Ok(Node::leaf(Kind::TupleSet, start..self.span.end));
            }
            Tok::BraceClose => return Ok(Node::leaf(Kind::EmptySet, start..self.span.end)),
            _ => {}
        }
        if self.tok != Tok::Label || self.peek() == Some(Tok::Colon) {
            self.tuple_set(start)
        } else {
            self.flags(start)
        }
    }

    fn tuple_set(&mut self, start: usize) -> Result<Node, WaveError> {
        let mut children = Vec::new();
        loop {
            let kind = match self.tok {
                Tok::Label => Kind::Label,
                Tok::Number => Kind::Number,
                Tok::Char => Kind::Char,
                Tok::String => Kind::String,
                Tok::MultilineString => Kind::MultilineString,
                _ => return Err(self.unexpected("a record field label or map key")),
            };
            let key = Node::leaf(kind, self.span.clone());
            self.advance("`:`")?;
            self.expect(Tok::Colon)?;
            let value = self.node()?;
            children.extend([key, value]);
            match self.advance("`,` or `}`")? {
                Tok::Comma => {
                    self.advance("a record field label, map key or `}`")?;
                    if self.tok == Tok::BraceClose {
                        break;
                    }
                }
                Tok::BraceClose => break,
                _ => return Err(self.unexpected("`,` or `}`")),
            }
        }
        Ok(Node {
            kind: Kind::TupleSet,
            span: start..self.span.end,
            children,
        })
    }

    fn flags(&mut self, start: usize) -> Result<Node, WaveError> {
        let mut children: Vec<Node> = Vec::new();
        loop {
            if self.tok != Tok::Label {
                return Err(self.unexpected("a flag label"));
            }
            let flag = Node::leaf(Kind::Label, self.span.clone());
            let src = self.src();
            if children.iter().any(|c| c.label(src) == flag.label(src)) {
                return Err(WaveError::new(
                    flag.span.clone(),
                    format!("flag `{}` given twice", flag.label(src)),
                ));
            }
            children.push(flag);
            match self.advance("`,` or `}`")? {
                Tok::Comma => {
                    self.advance("a flag label or `}`")?;
                    if self.tok == Tok::BraceClose {
                        break;
                    }
                }
                Tok::BraceClose => break,
                _ => return Err(self.unexpected("`,` or `}`")),
            }
        }
        Ok(Node {
            kind: Kind::Flags,
            span: start..self.span.end,
            children,
        })
    }
}

// ---------------------------------------------------------------------
// Typing: an untyped tree to a value

/// Whether a `some`/`ok` payload of type `t` may be written alone.
fn flattenable(t: &Type) -> bool {
    !matches!(t, Type::Option(_) | Type::Result(_))
}

struct Typer<'a> {
    src: &'a str,
}

impl Typer<'_> {
    fn mismatch(&self, n: &Node, ty: &Type) -> WaveError {
        let hint = match (ty, n.kind) {
            (Type::Option(_), Kind::Ok | Kind::Err)
            | (Type::Result(_), Kind::Some | Kind::None) => "",
            (
                Type::Variant(_) | Type::Enum(_),
                Kind::Some
                | Kind::None
                | Kind::Ok
                | Kind::Err
                | Kind::True
                | Kind::False
                | Kind::Number,
            ) => " (a case named as a keyword is written with `%`, e.g. `%none`)",
            (Type::Record(_), Kind::EmptySet) => " (a record of only absent options is `{:}`)",
            _ => "",
        };
        WaveError::new(
            n.span.clone(),
            format!(
                "expected a value of type `{ty}`, found {}{hint}",
                n.describe(self.src)
            ),
        )
    }

    fn number<T: std::str::FromStr>(&self, n: &Node, ty: &Type) -> Result<T, WaveError> {
        if n.kind != Kind::Number {
            return Err(self.mismatch(n, ty));
        }
        let text = &self.src[n.span.clone()];
        text.parse().map_err(|_| {
            let why = if text.contains(['.', 'e', 'E']) || matches!(text, "inf" | "-inf" | "nan") {
                "not an integer"
            } else {
                "out of range"
            };
            WaveError::new(n.span.clone(), format!("`{text}` is not a `{ty}`: {why}"))
        })
    }

    fn string(&self, n: &Node, ty: &Type) -> Result<String, WaveError> {
        let (inner, multiline) = match n.kind {
            Kind::String => (n.span.start + 1..n.span.end - 1, false),
            Kind::MultilineString => (n.span.start + 3..n.span.end - 3, true),
            _ => return Err(self.mismatch(n, ty)),
        };
        if !multiline {
            return unescape_str(self.src, inner);
        }
        // `"""`, a line break, lines indented by at least the last line's
        // spaces (removed), the last line only spaces, `"""`.
        let body = &self.src[inner.clone()];
        let (body, skip) = match body.strip_prefix('\r') {
            Some(b) => (b, inner.start + 1),
            None => (body, inner.start),
        };
        let bad = |span: Range<usize>, why: &str| {
            WaveError::new(span, format!("invalid multiline string: {why}"))
        };
        let mut lines: Vec<(usize, &str)> = Vec::new();
        let mut at = skip;
        for line in body.split('\n') {
            lines.push((at, line));
            at += line.len() + 1;
        }
        let Some((_, indent)) = lines.pop() else {
            return Err(bad(n.span.clone(), "empty"));
        };
        if indent.contains(|c| c != ' ') {
            return Err(bad(
                n.span.end - 3..n.span.end,
                "the closing `\"\"\"` must be on a line of only spaces",
            ));
        }
        if lines.is_empty() || !lines[0].1.is_empty() {
            return Err(bad(
                n.span.start..n.span.start + 3,
                "the opening `\"\"\"` must be followed by a line break",
            ));
        }
        let mut out = String::new();
        for (i, (pos, line)) in lines.iter().enumerate().skip(1) {
            let Some(line) = line.strip_prefix(indent) else {
                return Err(bad(
                    *pos..*pos + 1,
                    "every line must be indented at least as much as the closing `\"\"\"`",
                ));
            };
            let line = line.strip_suffix('\r').unwrap_or(line);
            if i > 1 {
                out.push('\n');
            }
            let start = pos + indent.len();
            out.push_str(&unescape_str(self.src, start..start + line.len())?);
        }
        Ok(out)
    }

    fn value(&self, n: &Node, ty: &Type) -> Result<Val, WaveError> {
        Ok(match ty {
            Type::Bool => match n.kind {
                Kind::True => Val::Bool(true),
                Kind::False => Val::Bool(false),
                _ => return Err(self.mismatch(n, ty)),
            },
            Type::S8 => Val::S8(self.number(n, ty)?),
            Type::U8 => Val::U8(self.number(n, ty)?),
            Type::S16 => Val::S16(self.number(n, ty)?),
            Type::U16 => Val::U16(self.number(n, ty)?),
            Type::S32 => Val::S32(self.number(n, ty)?),
            Type::U32 => Val::U32(self.number(n, ty)?),
            Type::S64 => Val::S64(self.number(n, ty)?),
            Type::U64 => Val::U64(self.number(n, ty)?),
            Type::Float32 => Val::Float32(self.number(n, ty)?),
            Type::Float64 => Val::Float64(self.number(n, ty)?),
            Type::Char => {
                if n.kind != Kind::Char {
                    return Err(self.mismatch(n, ty));
                }
                let inner = &self.src[n.span.start + 1..n.span.end - 1];
                let c = if inner.starts_with('\\') {
                    unescape(inner).map(|(c, _)| c)
                } else {
                    inner.chars().next()
                };
                Val::Char(c.ok_or_else(|| {
                    WaveError::new(n.span.clone(), "invalid escape: not a Unicode scalar value")
                })?)
            }
            Type::String => Val::String(self.string(n, ty)?),
            Type::List(t) => {
                if n.kind != Kind::List {
                    return Err(self.mismatch(n, ty));
                }
                Val::List(
                    n.children
                        .iter()
                        .map(|c| self.value(c, t))
                        .collect::<Result<_, _>>()?,
                )
            }
            Type::FixedList(t, len) => {
                if n.kind != Kind::List {
                    return Err(self.mismatch(n, ty));
                }
                if n.children.len() != *len as usize {
                    return Err(WaveError::new(
                        n.span.clone(),
                        format!(
                            "expected a list of exactly {len} element(s) (type `{ty}`), found {}",
                            n.children.len()
                        ),
                    ));
                }
                Val::List(
                    n.children
                        .iter()
                        .map(|c| self.value(c, t))
                        .collect::<Result<_, _>>()?,
                )
            }
            Type::Tuple(ts) => {
                if n.kind != Kind::Tuple {
                    return Err(self.mismatch(n, ty));
                }
                if n.children.len() != ts.len() {
                    return Err(WaveError::new(
                        n.span.clone(),
                        format!(
                            "expected a tuple of {} value(s) (type `{ty}`), found {}",
                            ts.len(),
                            n.children.len()
                        ),
                    ));
                }
                Val::Tuple(
                    n.children
                        .iter()
                        .zip(ts.iter())
                        .map(|(c, t)| self.value(c, t))
                        .collect::<Result<_, _>>()?,
                )
            }
            Type::Record(fields) => self.record(n, ty, fields)?,
            Type::Variant(cases) => {
                let (label, payload) = match n.kind {
                    Kind::Label => (n.label(self.src), None),
                    Kind::VariantWithPayload => (n.children[0].label(self.src), n.children.get(1)),
                    _ => return Err(self.mismatch(n, ty)),
                };
                let Some((l, pt)) = cases.iter().find(|(l, _)| l == label) else {
                    return Err(self.unknown_case(n, label, ty, cases.iter().map(|(l, _)| l)));
                };
                Val::Variant(l.clone(), self.payload(n, label, pt.as_ref(), payload)?)
            }
            Type::Enum(cases) => {
                if n.kind != Kind::Label {
                    return Err(self.mismatch(n, ty));
                }
                let label = n.label(self.src);
                if !cases.iter().any(|c| c == label) {
                    return Err(self.unknown_case(n, label, ty, cases.iter()));
                }
                Val::Enum(label.to_string())
            }
            Type::Option(t) => match n.kind {
                Kind::Some => Val::Option(Some(Box::new(self.value(&n.children[0], t)?))),
                Kind::None => Val::Option(None),
                _ if flattenable(t) => Val::Option(Some(Box::new(
                    self.value(n, t)
                        .map_err(|e| self.flat_error(e, n, ty, "some"))?,
                ))),
                _ => return Err(self.mismatch(n, ty)),
            },
            Type::Result(rt) => match n.kind {
                Kind::Ok => Val::Result(Ok(self.payload(
                    n,
                    "ok",
                    rt.0.as_ref(),
                    n.children.first(),
                )?)),
                Kind::Err => Val::Result(Err(self.payload(
                    n,
                    "err",
                    rt.1.as_ref(),
                    n.children.first(),
                )?)),
                _ => match &rt.0 {
                    Some(t) if flattenable(t) => Val::Result(Ok(Some(Box::new(
                        self.value(n, t)
                            .map_err(|e| self.flat_error(e, n, ty, "ok"))?,
                    )))),
                    _ => return Err(self.mismatch(n, ty)),
                },
            },
            Type::Flags(names) => {
                if !matches!(n.kind, Kind::Flags | Kind::EmptySet) {
                    return Err(self.mismatch(n, ty));
                }
                let mut set = Vec::new();
                for c in &n.children {
                    let l = c.label(self.src);
                    if !names.iter().any(|f| f == l) {
                        return Err(WaveError::new(
                            c.span.clone(),
                            format!(
                                "unknown flag `{l}`: `{ty}` has {}",
                                list_names(names.iter())
                            ),
                        ));
                    }
                    set.push(l);
                }
                Val::Flags(
                    names
                        .iter()
                        .filter(|f| set.contains(&f.as_str()))
                        .cloned()
                        .collect(),
                )
            }
            Type::Map(kv) => {
                if !matches!(n.kind, Kind::TupleSet | Kind::EmptySet) {
                    return Err(self.mismatch(n, ty));
                }
                let mut entries: Vec<(String, Val, Val)> = Vec::new();
                for pair in n.children.chunks(2) {
                    let [k, v] = pair else { continue };
                    let key = if k.kind == Kind::Label {
                        match (&kv.0, &self.src[k.span.clone()]) {
                            (Type::Bool, "true") => Val::Bool(true),
                            (Type::Bool, "false") => Val::Bool(false),
                            _ => {
                                return Err(WaveError::new(
                                    k.span.clone(),
                                    format!(
                                        "expected a map key of type `{}`, found the label `{}`",
                                        kv.0,
                                        &self.src[k.span.clone()]
                                    ),
                                ))
                            }
                        }
                    } else {
                        self.value(k, &kv.0)?
                    };
                    let encoded = to_string(&key).map_err(|e| WaveError {
                        span: k.span.clone(),
                        ..e
                    })?;
                    let value = self.value(v, &kv.1)?;
                    match entries.iter_mut().find(|(e, _, _)| *e == encoded) {
                        Some(slot) => slot.2 = value,
                        None => entries.push((encoded, key, value)),
                    }
                }
                Val::Map(entries.into_iter().map(|(_, k, v)| (k, v)).collect())
            }
            Type::Own(_) | Type::Borrow(_) => {
                return Err(resource_error(n.span.clone(), &format!("type `{ty}`")))
            }
        })
    }

    /// An error in a payload written alone: say so if the value was not
    /// one of the payload's type either.
    fn flat_error(&self, e: WaveError, n: &Node, ty: &Type, case: &str) -> WaveError {
        if e.span == n.span && e.message.starts_with("expected a value of type") {
            WaveError::new(
                n.span.clone(),
                format!(
                    "expected a value of type `{ty}` (`{case}(..)`, or its payload alone), found {}",
                    n.describe(self.src)
                ),
            )
        } else {
            e
        }
    }

    fn unknown_case<'n>(
        &self,
        n: &Node,
        label: &str,
        ty: &Type,
        names: impl Iterator<Item = &'n String>,
    ) -> WaveError {
        WaveError::new(
            n.span.clone(),
            format!("unknown case `{label}`: `{ty}` has {}", list_names(names)),
        )
    }

    fn payload(
        &self,
        n: &Node,
        case: &str,
        ty: Option<&Type>,
        payload: Option<&Node>,
    ) -> Result<Option<Box<Val>>, WaveError> {
        match (ty, payload) {
            (Some(t), Some(p)) => Ok(Some(Box::new(self.value(p, t)?))),
            (None, None) => Ok(None),
            (Some(t), None) => Err(WaveError::new(
                n.span.clone(),
                format!("case `{case}` has a payload of type `{t}`: write `{case}(..)`"),
            )),
            (None, Some(p)) => Err(WaveError::new(
                p.span.clone(),
                format!("case `{case}` has no payload"),
            )),
        }
    }

    fn record(&self, n: &Node, ty: &Type, fields: &[(String, Type)]) -> Result<Val, WaveError> {
        if n.kind != Kind::TupleSet {
            return Err(self.mismatch(n, ty));
        }
        let mut given: Vec<(&str, &Node, &Node)> = Vec::new();
        for pair in n.children.chunks(2) {
            let [k, v] = pair else { continue };
            if k.kind != Kind::Label {
                return Err(WaveError::new(
                    k.span.clone(),
                    format!(
                        "expected a record field label, found {}",
                        k.describe(self.src)
                    ),
                ));
            }
            let name = k.label(self.src);
            if given.iter().any(|(g, _, _)| *g == name) {
                return Err(WaveError::new(
                    k.span.clone(),
                    format!("field `{name}` given twice"),
                ));
            }
            given.push((name, k, v));
        }
        for (name, k, _) in &given {
            if !fields.iter().any(|(f, _)| f == name) {
                return Err(WaveError::new(
                    k.span.clone(),
                    format!(
                        "unknown field `{name}`: `{ty}` has {}",
                        list_names(fields.iter().map(|(f, _)| f))
                    ),
                ));
            }
        }
        let mut out = Vec::with_capacity(fields.len());
        for (f, t) in fields {
            let v = match given.iter().find(|(g, _, _)| g == f) {
                Some((_, _, v)) => self.value(v, t)?,
                None if matches!(t, Type::Option(_)) => Val::Option(None),
                None => {
                    return Err(WaveError::new(
                        n.span.clone(),
                        format!("missing field `{f}` (of type `{t}`)"),
                    ))
                }
            };
            out.push((f.clone(), v));
        }
        Ok(Val::Record(out))
    }
}

fn list_names<'n>(names: impl Iterator<Item = &'n String>) -> String {
    let v: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// The characters of a (one-line) string's inner text at `span`,
/// escapes decoded.
fn unescape_str(src: &str, span: Range<usize>) -> Result<String, WaveError> {
    let text = &src[span.clone()];
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(n) = text[i..].find('\\') {
        out.push_str(&text[i..i + n]);
        i += n;
        let Some((c, len)) = unescape(&text[i..]) else {
            let len = escape_len(&text[i..]).max(2).min(text.len() - i);
            return Err(WaveError::new(
                span.start + i..span.start + i + len,
                "invalid escape (expected \\' \\\" \\\\ \\t \\n \\r or \\u{X} of a Unicode scalar value)",
            ));
        };
        out.push(c);
        i += len;
    }
    out.push_str(&text[i..]);
    Ok(out)
}

/// Reads a value of type `ty` from WAVE text.
pub fn from_str(ty: &Type, src: &str) -> Result<Val, WaveError> {
    let mut p = Parser::new(src, 0);
    let node = p.node()?;
    p.finish()?;
    Typer { src }.value(&node, ty)
}

/// A function call in WAVE, `name(arg, ...)`, read but not yet typed.
#[derive(Clone, Debug)]
pub struct FuncCall {
    src: String,
    name: Range<usize>,
    args: Vec<Node>,
    /// The span of the parenthesized arguments.
    parens: Range<usize>,
}

impl FuncCall {
    /// Reads `name(arg, ...)`. The name is everything before the `(`
    /// (surrounding whitespace removed): a plain name such as `add`, or
    /// one qualified by the instance that exports it, such as
    /// `docs:adder/add@0.1.0#add`.
    pub fn parse(src: &str) -> Result<FuncCall, WaveError> {
        let Some(open) = src.find('(') else {
            let end = src.trim_end().len();
            return Err(WaveError::new(
                end..end,
                "expected `(` after the function name (write `name()` for no arguments)",
            ));
        };
        let lead = src.len() - src.trim_start().len();
        let name_end = src[..open].trim_end().len();
        if name_end <= lead {
            return Err(WaveError::new(
                lead..lead.max(open) + 1,
                "expected a function name before `(`",
            ));
        }
        let name = lead..name_end;
        if let Some(bad) =
            src[name.clone()].find(|c: char| c.is_whitespace() || "\"'{}),".contains(c))
        {
            let at = lead + bad;
            return Err(WaveError::new(
                at..at + src[at..].chars().next().map_or(1, char::len_utf8),
                "expected `(` after the function name",
            ));
        }
        let mut p = Parser::new(src, open + 1);
        p.span = open..open + 1;
        p.tok = Tok::ParenOpen;
        let args = p.comma_separated(Tok::ParenClose)?;
        let parens = open..p.span.end;
        p.finish()?;
        Ok(FuncCall {
            src: src.to_string(),
            name,
            args,
            parens,
        })
    }

    /// The function's name as written.
    pub fn name(&self) -> &str {
        &self.src[self.name.clone()]
    }

    /// The byte range of the name in the text.
    pub fn name_span(&self) -> Range<usize> {
        self.name.clone()
    }

    /// How many arguments were written.
    pub fn arg_count(&self) -> usize {
        self.args.len()
    }

    /// The arguments as values of the parameters' types. Trailing option
    /// parameters may be left out (they are `none`), as wasm-wave allows.
    pub fn params(&self, params: &[(String, Type)]) -> Result<Vec<Val>, WaveError> {
        let typer = Typer { src: &self.src };
        if self.args.len() > params.len() {
            let extra = &self.args[params.len()];
            return Err(WaveError::new(
                extra.span.start..self.args[self.args.len() - 1].span.end,
                format!(
                    "too many arguments: `{}` takes {} ({}), {} given",
                    self.name(),
                    params.len(),
                    signature(params),
                    self.args.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(params.len());
        for (i, (name, t)) in params.iter().enumerate() {
            match self.args.get(i) {
                Some(a) => out.push(typer.value(a, t).map_err(|e| WaveError {
                    message: format!("argument `{name}`: {}", e.message),
                    ..e
                })?),
                None if matches!(t, Type::Option(_)) => out.push(Val::Option(None)),
                None => {
                    let end = self.parens.end.saturating_sub(1);
                    return Err(WaveError::new(
                        end..self.parens.end,
                        format!(
                            "missing argument `{name}`: `{}` takes {} ({}), {} given",
                            self.name(),
                            params.len(),
                            signature(params),
                            self.args.len()
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn signature(params: &[(String, Type)]) -> String {
    let v: Vec<String> = params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
    v.join(", ")
}
