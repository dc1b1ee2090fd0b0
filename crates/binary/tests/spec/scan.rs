//! A minimal S-expression reader for `.wast` scripts: just enough to find
//! each directive, its module (binary bytes or text span) and expected
//! message. The full WAST parser lives in `nanowasm-text`; this scanner
//! keeps the decoder's tests independent of it.

/// A node of the script.
#[derive(Debug)]
pub enum Sexp {
    /// `( ... )` with the byte span of the whole list.
    List(Vec<Sexp>, std::ops::Range<usize>),
    /// A keyword, number or `$id`.
    Atom(String),
    /// A string literal, unescaped to bytes.
    Str(Vec<u8>),
}

impl Sexp {
    pub fn head(&self) -> Option<&str> {
        match self {
            Sexp::List(items, _) => match items.first() {
                Some(Sexp::Atom(a)) => Some(a),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn items(&self) -> &[Sexp] {
        match self {
            Sexp::List(items, _) => items,
            _ => &[],
        }
    }
}

/// Parses a whole script into its top-level forms.
pub fn parse(src: &str) -> Result<Vec<Sexp>, String> {
    let bytes = src.as_bytes();
    let mut pos = 0;
    let mut stack: Vec<(Vec<Sexp>, usize)> = vec![(Vec::new(), 0)];
    while pos < bytes.len() {
        let c = bytes[pos];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => pos += 1,
            b';' if bytes.get(pos + 1) == Some(&b';') => {
                while pos < bytes.len() && bytes[pos] != b'\n' {
                    pos += 1;
                }
            }
            b'(' if bytes.get(pos + 1) == Some(&b';') => {
                let mut depth = 0;
                loop {
                    if pos + 1 >= bytes.len() {
                        return Err("unterminated block comment".into());
                    }
                    if bytes[pos] == b'(' && bytes[pos + 1] == b';' {
                        depth += 1;
                        pos += 2;
                    } else if bytes[pos] == b';' && bytes[pos + 1] == b')' {
                        depth -= 1;
                        pos += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        pos += 1;
                    }
                }
            }
            b'(' => {
                stack.push((Vec::new(), pos));
                pos += 1;
            }
            b')' => {
                let (items, start) = stack.pop().ok_or("unbalanced )")?;
                let parent = stack.last_mut().ok_or("unbalanced )")?;
                pos += 1;
                parent.0.push(Sexp::List(items, start..pos));
            }
            b'"' => {
                pos += 1;
                let mut out = Vec::new();
                loop {
                    let c = *bytes.get(pos).ok_or("unterminated string")?;
                    pos += 1;
                    match c {
                        b'"' => break,
                        b'\\' => {
                            let e = *bytes.get(pos).ok_or("bad escape")?;
                            pos += 1;
                            match e {
                                b'n' => out.push(b'\n'),
                                b't' => out.push(b'\t'),
                                b'r' => out.push(b'\r'),
                                b'\\' | b'\'' | b'"' => out.push(e),
                                b'u' => {
                                    let close = src[pos..].find('}').ok_or("bad \\u")?;
                                    let hex = &src[pos + 1..pos + close];
                                    let cp = u32::from_str_radix(&hex.replace('_', ""), 16)
                                        .map_err(|e| e.to_string())?;
                                    let ch = char::from_u32(cp).ok_or("bad code point")?;
                                    let mut buf = [0; 4];
                                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                                    pos += close + 1;
                                }
                                _ => {
                                    let hex = src.get(pos - 1..pos + 1).ok_or("bad escape")?;
                                    out.push(
                                        u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?,
                                    );
                                    pos += 1;
                                }
                            }
                        }
                        _ => out.push(c),
                    }
                }
                stack.last_mut().ok_or("unbalanced")?.0.push(Sexp::Str(out));
            }
            _ => {
                let start = pos;
                while pos < bytes.len()
                    && !matches!(
                        bytes[pos],
                        b' ' | b'\t' | b'\n' | b'\r' | b'(' | b')' | b'"' | b';'
                    )
                {
                    pos += 1;
                }
                if pos == start {
                    pos += 1;
                    continue;
                }
                stack
                    .last_mut()
                    .ok_or("unbalanced")?
                    .0
                    .push(Sexp::Atom(src[start..pos].to_owned()));
            }
        }
    }
    if stack.len() != 1 {
        return Err("unbalanced (".into());
    }
    Ok(stack.pop().map(|(items, _)| items).unwrap_or_default())
}
