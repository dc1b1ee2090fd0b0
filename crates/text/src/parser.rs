//! A cursor over tokens with the helpers every grammar rule needs.

use crate::error::Error;
use crate::lexer::{Token, TokenKind};

/// Deepest recursion of the grammar rules that recurse on the native stack
/// ([`Parser::enter`]): only nested `either` results in scripts. Modules
/// never recurse: instructions nest on a heap stack (see
/// [`crate::MAX_NESTING`]) and [`Parser::skip_item`] counts parentheses.
/// 100, as the `wast` crate's bound on nested parentheses: far more than a
/// script needs, and little stack even in a debug build.
const MAX_DEPTH: usize = 100;

/// The token cursor.
pub struct Parser<'s, 't> {
    pub src: &'s str,
    pub tokens: &'t [Token<'s>],
    pub pos: usize,
    depth: usize,
}

impl<'s, 't> Parser<'s, 't> {
    pub fn new(src: &'s str, tokens: &'t [Token<'s>]) -> Self {
        Parser {
            src,
            tokens,
            pos: 0,
            depth: 0,
        }
    }

    pub fn offset(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.src.len(), |t| t.offset)
    }

    pub fn error(&self, msg: impl Into<String>) -> Error {
        Error::new(self.offset(), msg)
    }

    pub fn is_done(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    pub fn peek(&self) -> Option<&'t TokenKind<'s>> {
        self.tokens.get(self.pos).map(|t| &t.kind)
    }

    pub fn peek_at(&self, n: usize) -> Option<&'t TokenKind<'s>> {
        self.tokens.get(self.pos + n).map(|t| &t.kind)
    }

    /// Whether the next tokens are `(` and the keyword `kw`.
    pub fn peek_list(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(TokenKind::LParen))
            && matches!(self.peek_at(1), Some(TokenKind::Atom(a)) if *a == kw)
    }

    /// The keyword after the next `(`, if any.
    pub fn peek_list_head(&self) -> Option<&'s str> {
        match (self.peek(), self.peek_at(1)) {
            (Some(TokenKind::LParen), Some(TokenKind::Atom(a))) => Some(a),
            _ => None,
        }
    }

    pub fn peek_rparen(&self) -> bool {
        matches!(self.peek(), Some(TokenKind::RParen))
    }

    pub fn peek_lparen(&self) -> bool {
        matches!(self.peek(), Some(TokenKind::LParen))
    }

    pub fn open(&mut self) -> Result<(), Error> {
        match self.peek() {
            Some(TokenKind::LParen) => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(self.error("expected `(`")),
        }
    }

    pub fn close(&mut self) -> Result<(), Error> {
        match self.peek() {
            Some(TokenKind::RParen) => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(self.error("unexpected token, expected `)`")),
        }
    }

    /// Enters a recursive grammar rule; fails past `MAX_DEPTH` so that
    /// deeply nested input cannot overflow the host stack.
    pub fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("nesting too deep: more than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    /// Leaves a recursive rule.
    pub fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Consumes the keyword `kw`.
    pub fn keyword(&mut self, kw: &str) -> Result<(), Error> {
        match self.peek() {
            Some(TokenKind::Atom(a)) if *a == kw => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(self.error(format!("expected `{kw}`"))),
        }
    }

    /// Consumes `kw` if it is next.
    pub fn eat_keyword(&mut self, kw: &str) -> bool {
        if matches!(self.peek(), Some(TokenKind::Atom(a)) if *a == kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `( kw` if they are next.
    pub fn eat_list(&mut self, kw: &str) -> Result<bool, Error> {
        if self.peek_list(kw) {
            self.open()?;
            self.pos += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    pub fn atom(&mut self) -> Result<&'s str, Error> {
        match self.peek() {
            Some(TokenKind::Atom(a)) => {
                self.pos += 1;
                Ok(a)
            }
            _ => Err(self.error("unexpected token")),
        }
    }

    pub fn peek_atom(&self) -> Option<&'s str> {
        match self.peek() {
            Some(TokenKind::Atom(a)) => Some(a),
            _ => None,
        }
    }

    /// An optional `$id`.
    pub fn opt_id(&mut self) -> Option<&'s str> {
        match self.peek() {
            Some(TokenKind::Id(i)) => {
                self.pos += 1;
                Some(i)
            }
            _ => None,
        }
    }

    pub fn string(&mut self) -> Result<Vec<u8>, Error> {
        match self.peek() {
            Some(TokenKind::String(s)) => {
                self.pos += 1;
                Ok(s.clone())
            }
            _ => Err(self.error("expected a string")),
        }
    }

    pub fn peek_string(&self) -> bool {
        matches!(self.peek(), Some(TokenKind::String(_)))
    }

    /// A string that must be valid UTF-8 (names).
    pub fn name(&mut self) -> Result<String, Error> {
        let at = self.offset();
        let b = self.string()?;
        String::from_utf8(b).map_err(|_| Error::new(at, "malformed UTF-8 encoding"))
    }

    /// Skips one token or one balanced list, counting parentheses (no
    /// recursion, so any depth is fine).
    pub fn skip_item(&mut self) -> Result<(), Error> {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return Err(self.error("unexpected end of input")),
                Some(TokenKind::LParen) => depth += 1,
                Some(TokenKind::RParen) if depth > 0 => depth -= 1,
                Some(_) => {}
            }
            self.pos += 1;
            if depth == 0 {
                return Ok(());
            }
        }
    }
}
