//! The WIT lexer: source text to tokens, comments included (the parser
//! attaches them to items as documentation).

use crate::ast::Span;
use crate::error::ParseError;

/// A token's kind. Keywords are their own kinds; `%name` is [`Tok::ExplicitId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Tok {
    Comment,
    Equals,
    Comma,
    Colon,
    Period,
    Semicolon,
    LParen,
    RParen,
    LBrace,
    RBrace,
    Lt,
    Gt,
    RArrow,
    Star,
    At,
    Slash,
    Plus,
    Minus,
    StringLit,
    Id,
    ExplicitId,
    Integer,
    Kw(Kw),
}

macro_rules! keywords {
    ($($variant:ident = $text:literal,)*) => {
        /// A reserved word.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Kw { $($variant,)* }
        impl Kw {
            fn from_str(s: &str) -> Option<Kw> {
                match s { $($text => Some(Kw::$variant),)* _ => None }
            }
            /// The keyword as written.
            pub fn as_str(self) -> &'static str {
                match self { $(Kw::$variant => $text,)* }
            }
        }
    };
}

keywords! {
    Use = "use", Type = "type", Func = "func", U8 = "u8", U16 = "u16", U32 = "u32", U64 = "u64",
    S8 = "s8", S16 = "s16", S32 = "s32", S64 = "s64", F32 = "f32", F64 = "f64", Char = "char",
    Record = "record", Resource = "resource", Own = "own", Borrow = "borrow", Flags = "flags",
    Variant = "variant", Enum = "enum", Bool = "bool", String = "string", Option = "option",
    Result = "result", Future = "future", Stream = "stream", ErrorContext = "error-context",
    List = "list", Map = "map", Underscore = "_", As = "as", From = "from", Static = "static",
    Interface = "interface", Tuple = "tuple", Import = "import", Export = "export",
    World = "world", Package = "package", Constructor = "constructor", Async = "async",
    Include = "include", With = "with",
}

impl Tok {
    /// How an error message names this token.
    pub fn describe(self) -> String {
        match self {
            Tok::Comment => "a comment".into(),
            Tok::Equals => "'='".into(),
            Tok::Comma => "','".into(),
            Tok::Colon => "':'".into(),
            Tok::Period => "'.'".into(),
            Tok::Semicolon => "';'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::LBrace => "'{'".into(),
            Tok::RBrace => "'}'".into(),
            Tok::Lt => "'<'".into(),
            Tok::Gt => "'>'".into(),
            Tok::RArrow => "'->'".into(),
            Tok::Star => "'*'".into(),
            Tok::At => "'@'".into(),
            Tok::Slash => "'/'".into(),
            Tok::Plus => "'+'".into(),
            Tok::Minus => "'-'".into(),
            Tok::StringLit => "a string literal".into(),
            Tok::Id => "an identifier".into(),
            Tok::ExplicitId => "a '%' identifier".into(),
            Tok::Integer => "an integer".into(),
            Tok::Kw(k) => format!("keyword `{}`", k.as_str()),
        }
    }
}

/// One token: its kind and where it is.
#[derive(Clone, Copy, Debug)]
pub struct Token {
    /// The kind.
    pub tok: Tok,
    /// Its bytes in the source map.
    pub span: Span,
}

fn is_keylike_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '-' || (!c.is_ascii() && c.is_alphabetic())
}

fn is_keylike_continue(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || (!c.is_ascii() && c.is_alphanumeric())
}

/// Characters refused anywhere in a file, comments included: control codes
/// (other than tab, line feed and carriage return), bidirectional overrides
/// (CVE-2021-42574) and code points Unicode deprecates.
fn forbidden(c: char) -> Option<&'static str> {
    match c {
        '\n' | '\r' | '\t' => None,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            Some("bidirectional override code point")
        }
        '\u{149}' | '\u{673}' | '\u{f77}' | '\u{f79}' | '\u{17a3}' | '\u{17a4}' | '\u{17b4}'
        | '\u{17b5}' => Some("code point discouraged by Unicode"),
        c if c.is_control() => Some("control code"),
        _ => None,
    }
}

/// Splits `src` into tokens; spans are offset by `base` (the file's place
/// in the source map). Whitespace is dropped, comments are kept.
pub fn tokenize(src: &str, base: u32) -> Result<Vec<Token>, ParseError> {
    let sp = |a: usize, b: usize| Span::new(base + a as u32, base + b as u32);
    for (i, c) in src.char_indices() {
        if let Some(what) = forbidden(c) {
            return Err(ParseError::new(
                sp(i, i + c.len_utf8()),
                format!("{what} {:?} is not allowed", c.escape_unicode().to_string()),
            ));
        }
    }
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = if src.starts_with('\u{feff}') { 3 } else { 0 };
    while i < src.len() {
        let start = i;
        let c = src[i..].chars().next().unwrap_or(' ');
        i += c.len_utf8();
        let tok = match c {
            ' ' | '\t' | '\n' => continue,
            '\r' if bytes.get(i) == Some(&b'\n') => {
                i += 1;
                continue;
            }
            '/' if bytes.get(i) == Some(&b'/') => {
                while i < src.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                Tok::Comment
            }
            '/' if bytes.get(i) == Some(&b'*') => {
                i += 1;
                let mut depth = 1;
                while depth > 0 {
                    match (bytes.get(i), bytes.get(i + 1)) {
                        (None, _) => {
                            return Err(ParseError::new(
                                sp(start, start + 2),
                                "unterminated block comment".into(),
                            ))
                        }
                        (Some(b'/'), Some(b'*')) => {
                            depth += 1;
                            i += 2;
                        }
                        (Some(b'*'), Some(b'/')) => {
                            depth -= 1;
                            i += 2;
                        }
                        _ => i += 1,
                    }
                }
                Tok::Comment
            }
            '/' => Tok::Slash,
            '=' => Tok::Equals,
            ',' => Tok::Comma,
            ':' => Tok::Colon,
            '.' => Tok::Period,
            ';' => Tok::Semicolon,
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '{' => Tok::LBrace,
            '}' => Tok::RBrace,
            '<' => Tok::Lt,
            '>' => Tok::Gt,
            '*' => Tok::Star,
            '@' => Tok::At,
            '+' => Tok::Plus,
            '-' if bytes.get(i) == Some(&b'>') => {
                i += 1;
                Tok::RArrow
            }
            '-' => Tok::Minus,
            '%' => {
                if src[i..].chars().next().is_some_and(is_keylike_start) {
                    i = keylike_end(src, i);
                }
                Tok::ExplicitId
            }
            '"' => {
                i = string_end(src, start, i, base)?;
                Tok::StringLit
            }
            c if is_keylike_start(c) => {
                i = keylike_end(src, i);
                match Kw::from_str(&src[start..i]) {
                    Some(k) => Tok::Kw(k),
                    None => Tok::Id,
                }
            }
            c if c.is_ascii_digit() => {
                while i < src.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                Tok::Integer
            }
            c => {
                return Err(ParseError::new(
                    sp(start, i),
                    format!("unexpected character {c:?}"),
                ))
            }
        };
        out.push(Token {
            tok,
            span: sp(start, i),
        });
    }
    Ok(out)
}

fn keylike_end(src: &str, mut i: usize) -> usize {
    while let Some(c) = src[i..].chars().next() {
        if !is_keylike_continue(c) {
            break;
        }
        i += c.len_utf8();
    }
    i
}

/// Finds the end of a string literal whose opening quote is at `start`,
/// checking its escapes; returns the offset just past the closing quote.
fn string_end(src: &str, start: usize, mut i: usize, base: u32) -> Result<usize, ParseError> {
    let err = |at: usize, msg: &str| {
        Err(ParseError::new(
            Span::new(base + at as u32, base + at as u32 + 1),
            msg.into(),
        ))
    };
    let from = i;
    let mut chars = src[from..]
        .char_indices()
        .map(|(j, c)| (from + j, c))
        .peekable();
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let Some((pos, c)) = chars.next() else {
            return err(
                src.len().saturating_sub(1).max(start),
                "unterminated string",
            );
        };
        i = pos + c.len_utf8();
        match c {
            '"' => break,
            '\\' => {
                let Some((pos, e)) = chars.next() else {
                    return err(pos, "unterminated string");
                };
                match e {
                    '"' | '\'' | 't' | 'n' | 'r' | '\\' => buf.push(b'x'),
                    'u' => {
                        if chars.next().map(|p| p.1) != Some('{') {
                            return err(pos, "expected `{` after `\\u`");
                        }
                        let mut n: u32 = 0;
                        let mut digits = 0;
                        let mut last_underscore = false;
                        loop {
                            match chars.peek().map(|p| p.1) {
                                Some('_') if digits > 0 => {
                                    last_underscore = true;
                                    chars.next();
                                }
                                Some(h) if h.is_ascii_hexdigit() => {
                                    last_underscore = false;
                                    digits += 1;
                                    n = match n
                                        .checked_mul(16)
                                        .and_then(|n| n.checked_add(h.to_digit(16).unwrap_or(0)))
                                    {
                                        Some(n) => n,
                                        None => return err(pos, "number too big"),
                                    };
                                    chars.next();
                                }
                                _ => break,
                            }
                        }
                        if digits == 0 || last_underscore {
                            return err(pos, "invalid hex number");
                        }
                        let Some(ch) = char::from_u32(n) else {
                            return err(pos, "invalid unicode value");
                        };
                        buf.extend(ch.to_string().bytes());
                        if chars.next().map(|p| p.1) != Some('}') {
                            return err(pos, "expected `}`");
                        }
                    }
                    h if h.is_ascii_hexdigit() => match chars.next() {
                        Some((_, h2)) if h2.is_ascii_hexdigit() => {
                            let v = h.to_digit(16).unwrap_or(0) * 16 + h2.to_digit(16).unwrap_or(0);
                            buf.push(v as u8);
                        }
                        _ => return err(pos, "invalid hex escape"),
                    },
                    _ => return err(pos, "invalid string escape"),
                }
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                return err(pos, "invalid character in string");
            }
            c => buf.extend(c.to_string().bytes()),
        }
    }
    if std::str::from_utf8(&buf).is_err() {
        return err(start, "string literal is not valid UTF-8");
    }
    Ok(i)
}

/// Decodes a string literal's text (quotes included) checked by the lexer.
pub fn string_value(lit: &str) -> String {
    let inner = &lit[1..lit.len().saturating_sub(1)];
    let mut buf = Vec::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            buf.extend(c.to_string().bytes());
            continue;
        }
        match chars.next() {
            Some('"') => buf.push(b'"'),
            Some('\'') => buf.push(b'\''),
            Some('t') => buf.push(b'\t'),
            Some('n') => buf.push(b'\n'),
            Some('r') => buf.push(b'\r'),
            Some('\\') => buf.push(b'\\'),
            Some('u') => {
                chars.next();
                let mut n = 0u32;
                while let Some(&h) = chars.peek() {
                    if h == '}' {
                        chars.next();
                        break;
                    }
                    chars.next();
                    if let Some(d) = h.to_digit(16) {
                        n = n.wrapping_mul(16).wrapping_add(d);
                    }
                }
                buf.extend(char::from_u32(n).unwrap_or('?').to_string().bytes());
            }
            Some(h) => {
                let h2 = chars.next().and_then(|c| c.to_digit(16)).unwrap_or(0);
                buf.push((h.to_digit(16).unwrap_or(0) * 16 + h2) as u8);
            }
            None => {}
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Checks the kebab-case rules of a WIT identifier (without its `%`):
/// words separated by single `-`, each all lowercase or all uppercase
/// ASCII letters and digits, the first word starting with a letter.
pub fn validate_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("identifier must have at least one character".into());
    }
    for (idx, part) in id.split('-').enumerate() {
        let Some(first) = part.chars().next() else {
            return Err(format!("`{id}`: identifier parts cannot be empty"));
        };
        if idx == 0 && !first.is_ascii_alphabetic() {
            return Err(format!(
                "`{id}`: identifier must start with a letter, not {first:?}"
            ));
        }
        let mut upper = None;
        for c in part.chars() {
            let u = if c.is_ascii_digit() {
                continue;
            } else if c.is_ascii_uppercase() {
                true
            } else if c.is_ascii_lowercase() {
                false
            } else {
                return Err(format!("`{id}`: invalid character {c:?} in identifier"));
            };
            match upper {
                None => upper = Some(u),
                Some(prev) if prev != u => {
                    return Err(format!(
                        "`{id}`: a word must be all lowercase or all uppercase"
                    ))
                }
                _ => {}
            }
        }
    }
    Ok(())
}
