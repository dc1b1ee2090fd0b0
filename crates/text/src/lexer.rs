//! Tokens of the text format.
//!
//! Spec: <https://webassembly.github.io/spec/core/text/lexical.html>.
//! Whitespace, line comments `;;` and nested block comments `(; ;)` are
//! skipped; annotations `(@name ...)` are skipped with their contents,
//! except `(@custom ...)` (custom sections), which is kept as a list.

use crate::error::Error;

/// One token, with the byte range it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Token<'a> {
    /// What it is.
    pub kind: TokenKind<'a>,
    /// Where it starts.
    pub offset: usize,
}

/// The kinds of tokens.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind<'a> {
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// A keyword, number or other reserved word (`i32.add`, `42`, `nan:0x1`).
    Atom(&'a str),
    /// An identifier, without the `$` (a quoted one, `$"..."`, unescaped).
    Id(&'a str),
    /// A quoted identifier `$"..."` as [`tokenize`] leaves it: its index
    /// in the identifiers it returns ([`resolve_ids`] makes it an `Id`).
    QuotedId(usize),
    /// A string, unescaped to bytes.
    String(Vec<u8>),
}

fn is_idchar(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'/'
                | b':'
                | b'<'
                | b'='
                | b'>'
                | b'?'
                | b'@'
                | b'\\'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// The annotations kept as lists (their name an atom); others are skipped.
const KEPT_ANNOTATIONS: [&str; 3] = ["@custom", "@metadata.code.branch_hint", "@name"];

/// The kept annotation `rest` starts with (its name then a delimiter).
fn kept_annotation(rest: &str) -> Option<&'static str> {
    KEPT_ANNOTATIONS.into_iter().find(|a| {
        rest.starts_with(a)
            && rest
                .as_bytes()
                .get(a.len())
                .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'(' | b')'))
    })
}

/// Splits `src` into tokens: identifiers written `$"..."` (Wasm 3.0) are
/// [`TokenKind::QuotedId`]s, indices into the unescaped identifiers
/// returned beside the tokens; [`resolve_ids`] turns them into `Id`s.
pub fn tokenize(src: &str) -> Result<(Vec<Token<'_>>, Vec<String>), Error> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut ids = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b';' if b.get(i + 1) == Some(&b';') => {
                // A line comment ends at LF, CR or CRLF.
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'(' if b.get(i + 1) == Some(&b';') => i = block_comment(b, i)?,
            // The annotations with a meaning here (a custom section, a
            // branch hint, a name) are lexed as lists headed by their name;
            // the others are skipped.
            b'(' if b.get(i + 1) == Some(&b'@') => match kept_annotation(&src[i + 1..]) {
                Some(name) => {
                    out.push(Token {
                        kind: TokenKind::LParen,
                        offset: i,
                    });
                    out.push(Token {
                        kind: TokenKind::Atom(name),
                        offset: i + 1,
                    });
                    i += 1 + name.len();
                }
                None => i = annotation(src, i)?,
            },
            b'(' => {
                out.push(Token {
                    kind: TokenKind::LParen,
                    offset: i,
                });
                i += 1;
            }
            b')' => {
                out.push(Token {
                    kind: TokenKind::RParen,
                    offset: i,
                });
                i += 1;
            }
            b'"' => {
                let (bytes, end) = string(b, i)?;
                out.push(Token {
                    kind: TokenKind::String(bytes),
                    offset: i,
                });
                i = end;
                if i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | b'(' | b')' | b';')
                {
                    return Err(Error::new(i, "unknown operator"));
                }
            }
            b'$' if b.get(i + 1) == Some(&b'"') => {
                let (bytes, end) = string(b, i + 1)?;
                if bytes.is_empty() {
                    return Err(Error::new(i, "empty identifier"));
                }
                let id = String::from_utf8(bytes)
                    .map_err(|_| Error::new(i, "malformed UTF-8 encoding"))?;
                out.push(Token {
                    kind: TokenKind::QuotedId(ids.len()),
                    offset: i,
                });
                ids.push(id);
                i = end;
                if i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | b'(' | b')' | b';')
                {
                    return Err(Error::new(i, "unknown operator"));
                }
            }
            _ if is_idchar(c) => {
                let start = i;
                while i < b.len() && is_idchar(b[i]) {
                    i += 1;
                }
                let text = &src[start..i];
                let kind = if let Some(id) = text.strip_prefix('$') {
                    if id.is_empty() {
                        return Err(Error::new(start, "empty identifier"));
                    }
                    TokenKind::Id(id)
                } else {
                    TokenKind::Atom(text)
                };
                out.push(Token {
                    kind,
                    offset: start,
                });
                if i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | b'(' | b')' | b';')
                {
                    return Err(Error::new(i, "unknown operator"));
                }
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(Error::new(i, format!("unexpected character {ch:?}")));
            }
        }
    }
    Ok((out, ids))
}

/// `tokens` with every [`TokenKind::QuotedId`] made the `Id` it indexes in
/// `ids` (as [`tokenize`] returned them).
pub fn resolve_ids<'a>(mut tokens: Vec<Token<'a>>, ids: &'a [String]) -> Vec<Token<'a>> {
    for t in &mut tokens {
        if let TokenKind::QuotedId(i) = t.kind {
            t.kind = TokenKind::Id(&ids[i]);
        }
    }
    tokens
}

fn block_comment(b: &[u8], mut i: usize) -> Result<usize, Error> {
    let start = i;
    let mut depth = 0;
    loop {
        if i + 1 >= b.len() {
            return Err(Error::new(start, "unclosed block comment"));
        }
        if b[i] == b'(' && b[i + 1] == b';' {
            depth += 1;
            i += 2;
        } else if b[i] == b';' && b[i + 1] == b')' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Ok(i);
            }
        } else {
            i += 1;
        }
    }
}

/// Skips an annotation `(@id ...)`: its id (identifier characters, or a
/// non-empty UTF-8 string), then tokens with balanced parentheses. The
/// tokens are checked as the text format's (reserved words, strings,
/// comments), so a control or non-ASCII character outside a string is an
/// error, as elsewhere.
fn annotation(src: &str, start: usize) -> Result<usize, Error> {
    let b = src.as_bytes();
    let mut i = start + 2;
    match b.get(i) {
        Some(b'"') => {
            let (id, end) = string(b, i)?;
            if id.is_empty() {
                return Err(Error::new(start, "empty annotation id"));
            }
            if core::str::from_utf8(&id).is_err() {
                return Err(Error::new(i, "malformed UTF-8 encoding"));
            }
            i = end;
        }
        Some(&c) if is_idchar(c) => {
            while i < b.len() && is_idchar(b[i]) {
                i += 1;
            }
        }
        _ => return Err(Error::new(start, "empty annotation id")),
    }
    let mut depth = 1;
    while i < b.len() {
        match b[i] {
            b'(' if b.get(i + 1) == Some(&b';') => i = block_comment(b, i)?,
            b';' if b.get(i + 1) == Some(&b';') => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' => i = string(b, i)?.1,
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            c if is_idchar(c) || matches!(c, b',' | b';' | b'[' | b']' | b'{' | b'}') => i += 1,
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(Error::new(i, format!("illegal character {ch:?}")));
            }
        }
    }
    Err(Error::new(start, "unclosed annotation"))
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Reads a string literal starting at the opening quote; returns its bytes
/// and the offset after the closing quote.
fn string(b: &[u8], start: usize) -> Result<(Vec<u8>, usize), Error> {
    let mut out = Vec::new();
    let mut i = start + 1;
    loop {
        let c = *b
            .get(i)
            .ok_or_else(|| Error::new(start, "unclosed string"))?;
        match c {
            b'"' => return Ok((out, i + 1)),
            b'\\' => {
                let e = *b
                    .get(i + 1)
                    .ok_or_else(|| Error::new(i, "unclosed string"))?;
                i += 2;
                match e {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'\\' | b'\'' | b'"' => out.push(e),
                    b'u' => {
                        if b.get(i) != Some(&b'{') {
                            return Err(Error::new(i, "malformed escape"));
                        }
                        let mut v: u32 = 0;
                        let mut j = i + 1;
                        let mut digits = 0;
                        while let Some(&d) = b.get(j) {
                            if d == b'}' {
                                break;
                            }
                            if d == b'_' && digits > 0 {
                                j += 1;
                                continue;
                            }
                            let h = hex(d).ok_or_else(|| Error::new(j, "malformed escape"))?;
                            v = v
                                .checked_mul(16)
                                .and_then(|v| v.checked_add(u32::from(h)))
                                .ok_or_else(|| Error::new(j, "malformed escape"))?;
                            digits += 1;
                            j += 1;
                        }
                        if digits == 0 || b.get(j) != Some(&b'}') {
                            return Err(Error::new(i, "malformed escape"));
                        }
                        let ch =
                            char::from_u32(v).ok_or_else(|| Error::new(i, "malformed escape"))?;
                        let mut buf = [0; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        i = j + 1;
                    }
                    _ => {
                        let hi = hex(e).ok_or_else(|| Error::new(i - 2, "malformed escape"))?;
                        let lo = b
                            .get(i)
                            .copied()
                            .and_then(hex)
                            .ok_or_else(|| Error::new(i - 2, "malformed escape"))?;
                        out.push(hi * 16 + lo);
                        i += 1;
                    }
                }
            }
            b'\n' => return Err(Error::new(i, "newline in string")),
            c if c < 0x20 || c == 0x7f => return Err(Error::new(i, "control character in string")),
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{resolve_ids, tokenize, TokenKind};

    fn error(src: &str) -> String {
        match tokenize(src) {
            Ok(_) => panic!("{src:?} lexed"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn annotations_hold_tokens_and_need_an_id() {
        // Reserved words, strings, comments and nested lists are skipped.
        let (t, _) = tokenize("((@a x-y$z\"a)\" , ; ] [ }{ (b (c)) (;c;) ;; )\n) module)").unwrap();
        assert_eq!(t.len(), 3, "{t:?}");
        assert_eq!(t[1].kind, TokenKind::Atom("module"));
        tokenize("(@\"a b\" (@) (@ x))").unwrap();
        for bad in ["(@a \u{1})", "(@a \u{7f})", "(@a Heiße)", "(@a \u{a0})"] {
            assert!(error(bad).starts_with("illegal character"), "{bad:?}");
        }
        for bad in ["(@)", "(@ x)", "(@\"\")", "(@(@a)x)"] {
            assert_eq!(error(bad), "empty annotation id", "{bad:?}");
        }
        assert_eq!(error("(@\"\\ef\")"), "malformed UTF-8 encoding");
        assert_eq!(error("(@x (y)"), "unclosed annotation");
    }

    #[test]
    fn quoted_identifiers_are_unescaped() {
        let (t, ids) = tokenize("$a $\"a\" $\"\\41\\u{42}\" $\"x y\"").unwrap();
        let t = resolve_ids(t, &ids);
        let names: Vec<_> = t
            .iter()
            .map(|t| match t.kind {
                TokenKind::Id(id) => id,
                _ => panic!("{t:?}"),
            })
            .collect();
        assert_eq!(names, ["a", "a", "AB", "x y"]);
        assert_eq!(error("$\"\""), "empty identifier");
        assert_eq!(error("$\"\\ff\""), "malformed UTF-8 encoding");
    }
}
