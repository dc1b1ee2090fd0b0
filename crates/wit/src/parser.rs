//! The WIT parser: tokens to a [`File`].
//!
//! Recursive descent over the token list. Nesting (types in types, nested
//! packages) is bounded, so deep input is an error, not a stack overflow.

use crate::ast::*;
use crate::error::ParseError;
use crate::lexer::{self, Kw, Tok, Token};

/// Deepest nesting of type expressions (`list<list<...>>`).
pub const MAX_TYPE_DEPTH: usize = 100;
/// Deepest nesting of `package ... { }` blocks.
pub const MAX_PACKAGE_DEPTH: usize = 100;

type PResult<T> = Result<T, ParseError>;

/// Parses one file whose text starts at offset `base` of its source map.
pub fn parse_file(src: &str, base: u32) -> PResult<File> {
    let tokens = lexer::tokenize(src, base)?;
    let mut p = Parser {
        src,
        base,
        tokens,
        pos: 0,
    };
    p.file()
}

#[derive(Clone)]
struct Parser<'a> {
    src: &'a str,
    base: u32,
    tokens: Vec<Token>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn text(&self, span: Span) -> &'a str {
        let s = (span.start - self.base) as usize;
        let e = (span.end - self.base) as usize;
        &self.src[s..e]
    }

    fn eof_span(&self) -> Span {
        let end = self.base + self.src.len() as u32;
        Span::new(end, end)
    }

    fn skip_comments(&mut self) {
        while self.pos < self.tokens.len() && self.tokens[self.pos].tok == Tok::Comment {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<Token> {
        self.skip_comments();
        self.tokens.get(self.pos).copied()
    }

    fn peek_tok(&mut self) -> Option<Tok> {
        self.peek().map(|t| t.tok)
    }

    /// The token after the next one.
    fn peek2(&mut self) -> Option<Tok> {
        self.skip_comments();
        self.tokens[self.pos.min(self.tokens.len())..]
            .iter()
            .filter(|t| t.tok != Tok::Comment)
            .nth(1)
            .map(|t| t.tok)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.peek()?;
        self.pos += 1;
        Some(t)
    }

    fn eat(&mut self, tok: Tok) -> bool {
        if self.peek_tok() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expected(&mut self, what: &str) -> ParseError {
        match self.peek() {
            Some(t) => ParseError::new(
                t.span,
                format!("expected {what}, found {}", t.tok.describe()),
            ),
            None => ParseError::new(self.eof_span(), format!("expected {what}, found eof")),
        }
    }

    fn expect(&mut self, tok: Tok) -> PResult<Span> {
        match self.peek() {
            Some(t) if t.tok == tok => {
                self.pos += 1;
                Ok(t.span)
            }
            _ => Err(self.expected(&tok.describe())),
        }
    }

    /// Collects the comments before the next token as documentation.
    fn docs(&mut self) -> Docs {
        let mut docs = Docs::default();
        while let Some(t) = self.tokens.get(self.pos) {
            if t.tok != Tok::Comment {
                break;
            }
            self.pos += 1;
            let text = self.text(t.span);
            if !docs.any_comment {
                docs.span.start = t.span.start;
            }
            docs.any_comment = true;
            docs.span.end = t.span.end;
            if let Some(rest) = text.strip_prefix("///") {
                if !rest.starts_with('/') {
                    docs.lines
                        .push(rest.strip_prefix(' ').unwrap_or(rest).trim_end().into());
                }
            } else if let Some(rest) = text.strip_prefix("/**") {
                if let Some(body) = rest.strip_suffix("*/") {
                    if !body.is_empty() && !body.starts_with('*') {
                        docs.lines.push(body.trim().into());
                    }
                }
            }
        }
        docs
    }

    fn id(&mut self) -> PResult<Id> {
        match self.peek() {
            Some(Token { tok: Tok::Id, span }) => {
                self.pos += 1;
                let name = self.text(span);
                lexer::validate_id(name).map_err(|m| ParseError::new(span, m))?;
                Ok(Id {
                    name: name.into(),
                    span,
                })
            }
            Some(Token {
                tok: Tok::ExplicitId,
                span,
            }) => {
                self.pos += 1;
                let name = &self.text(span)[1..];
                lexer::validate_id(name).map_err(|m| ParseError::new(span, m))?;
                Ok(Id {
                    name: name.into(),
                    span,
                })
            }
            _ => Err(self.expected("an identifier")),
        }
    }

    fn file(&mut self) -> PResult<File> {
        // `package a:b;` is the header; `package a:b { ... }` is an item.
        let mut header = None;
        let mut probe = self.clone();
        let docs = probe.docs();
        if probe.eat(Tok::Kw(Kw::Package)) {
            let name = probe.package_name()?;
            if probe.eat(Tok::Semicolon) {
                *self = probe;
                header = Some((docs, name));
            }
        }
        let items = self.items(None, 0)?;
        Ok(File {
            package: header,
            items,
        })
    }

    fn items(&mut self, end: Option<Tok>, depth: usize) -> PResult<Vec<Item>> {
        let mut items = Vec::new();
        loop {
            let docs = self.docs();
            match end {
                Some(end) => {
                    if self.eat(end) {
                        break;
                    }
                }
                None => {
                    if self.peek().is_none() {
                        break;
                    }
                }
            }
            items.push(self.item(docs, depth)?);
        }
        Ok(items)
    }

    fn item(&mut self, docs: Docs, depth: usize) -> PResult<Item> {
        let attributes = self.attributes()?;
        match self.peek_tok() {
            Some(Tok::Kw(Kw::Interface)) => {
                reject_external_id(&attributes, "interface declarations")?;
                self.pos += 1;
                let name = self.id()?;
                let items = self.interface_items()?;
                Ok(Item::Interface(Interface {
                    docs,
                    attributes,
                    name,
                    items,
                }))
            }
            Some(Tok::Kw(Kw::World)) => {
                reject_external_id(&attributes, "world declarations")?;
                self.pos += 1;
                let name = self.id()?;
                let items = self.world_items()?;
                Ok(Item::World(World {
                    docs,
                    attributes,
                    name,
                    items,
                }))
            }
            Some(Tok::Kw(Kw::Use)) => {
                let span = self.expect(Tok::Kw(Kw::Use))?;
                let path = self.use_path()?;
                let as_ = if self.eat(Tok::Kw(Kw::As)) {
                    Some(self.id()?)
                } else {
                    None
                };
                self.expect(Tok::Semicolon)?;
                Ok(Item::Use(TopUse {
                    span,
                    attributes,
                    path,
                    as_,
                }))
            }
            Some(Tok::Kw(Kw::Package)) => {
                let span = self.expect(Tok::Kw(Kw::Package))?;
                if !attributes.is_empty() {
                    return Err(ParseError::new(
                        span,
                        "cannot place attributes on nested packages".into(),
                    ));
                }
                if depth >= MAX_PACKAGE_DEPTH {
                    return Err(ParseError::new(span, "package nesting too deep".into()));
                }
                let name = self.package_name()?;
                self.expect(Tok::LBrace)?;
                let items = self.items(Some(Tok::RBrace), depth + 1)?;
                Ok(Item::Package(NestedPackage { docs, name, items }))
            }
            _ => Err(self.expected("`world`, `interface` or `use`")),
        }
    }

    fn package_name(&mut self) -> PResult<PackageName> {
        let namespace = self.id()?;
        self.expect(Tok::Colon)?;
        let name = self.id()?;
        let version = self.opt_version()?;
        let end = version.as_ref().map_or(name.span.end, |v| v.span.end);
        Ok(PackageName {
            span: Span::new(namespace.span.start, end),
            namespace,
            name,
            version,
        })
    }

    fn opt_version(&mut self) -> PResult<Option<Version>> {
        if self.eat(Tok::At) {
            self.version().map(Some)
        } else {
            Ok(None)
        }
    }

    /// `1.2.3`, then `-pre.release` and `+build.meta` pieces as far as they
    /// go; the text (whatever lies between the tokens) is then checked
    /// against semver's grammar.
    fn version(&mut self) -> PResult<Version> {
        let start = self.expect(Tok::Integer)?.start;
        self.expect(Tok::Period)?;
        self.expect(Tok::Integer)?;
        self.expect(Tok::Period)?;
        let mut end = self.expect(Tok::Integer)?.end;
        for prefix in [Tok::Minus, Tok::Plus] {
            if !self.eat(prefix) {
                continue;
            }
            loop {
                let piece = |t: Option<Tok>| matches!(t, Some(Tok::Id | Tok::Integer | Tok::Minus));
                if piece(self.peek_tok()) {
                    end = self.next().map_or(end, |t| t.span.end);
                } else if self.peek_tok() == Some(Tok::Period) && piece(self.peek2()) {
                    self.pos += 1;
                    end = self.next().map_or(end, |t| t.span.end);
                } else {
                    break;
                }
            }
        }
        let span = Span::new(start, end);
        let text = self.text(span);
        check_semver(text).map_err(|m| ParseError::new(span, m))?;
        Ok(Version {
            text: text.into(),
            span,
        })
    }

    fn attributes(&mut self) -> PResult<Vec<Attribute>> {
        let mut out = Vec::new();
        while self.eat(Tok::At) {
            let id = self.id()?;
            let attr = match id.name.as_str() {
                "since" | "deprecated" => {
                    self.expect(Tok::LParen)?;
                    self.keyword_id("version")?;
                    self.expect(Tok::Equals)?;
                    let version = self.version()?;
                    self.expect(Tok::RParen)?;
                    if id.name == "since" {
                        Attribute::Since {
                            span: id.span,
                            version,
                        }
                    } else {
                        Attribute::Deprecated {
                            span: id.span,
                            version,
                        }
                    }
                }
                "unstable" => {
                    self.expect(Tok::LParen)?;
                    self.keyword_id("feature")?;
                    self.expect(Tok::Equals)?;
                    let feature = self.id()?;
                    self.expect(Tok::RParen)?;
                    Attribute::Unstable {
                        span: id.span,
                        feature,
                    }
                }
                "external-id" => {
                    self.expect(Tok::LParen)?;
                    let lit = self.expect(Tok::StringLit)?;
                    self.expect(Tok::RParen)?;
                    Attribute::ExternalId {
                        span: id.span,
                        id: lexer::string_value(self.text(lit)),
                    }
                }
                other => {
                    return Err(ParseError::new(
                        id.span,
                        format!("unknown attribute `{other}`"),
                    ))
                }
            };
            out.push(attr);
        }
        Ok(out)
    }

    fn keyword_id(&mut self, expected: &str) -> PResult<()> {
        let id = self.id()?;
        if id.name != expected {
            return Err(ParseError::new(
                id.span,
                format!("expected `{expected}`, found `{}`", id.name),
            ));
        }
        Ok(())
    }

    fn use_path(&mut self) -> PResult<UsePath> {
        let id = self.id()?;
        if !self.eat(Tok::Colon) {
            return Ok(UsePath::Local(id));
        }
        let pkg = self.id()?;
        self.expect(Tok::Slash)?;
        let name = self.id()?;
        let version = self.opt_version()?;
        Ok(UsePath::Foreign {
            package: PackageName {
                span: Span::new(id.span.start, pkg.span.end),
                namespace: id,
                name: pkg,
                version,
            },
            name,
        })
    }

    fn interface_items(&mut self) -> PResult<Vec<InterfaceItem>> {
        self.expect(Tok::LBrace)?;
        let mut items = Vec::new();
        loop {
            let docs = self.docs();
            if self.eat(Tok::RBrace) {
                break;
            }
            let attributes = self.attributes()?;
            let item = match self.peek_tok() {
                Some(Tok::Kw(
                    Kw::Type | Kw::Flags | Kw::Enum | Kw::Variant | Kw::Resource | Kw::Record,
                )) => InterfaceItem::Type(self.typedef(docs, attributes)?),
                Some(Tok::Id | Tok::ExplicitId) => {
                    InterfaceItem::Func(self.named_func(docs, attributes)?)
                }
                Some(Tok::Kw(Kw::Use)) => InterfaceItem::Use(self.use_item(attributes)?),
                _ => return Err(self.expected("`type`, `resource` or `func`")),
            };
            items.push(item);
        }
        Ok(items)
    }

    fn world_items(&mut self) -> PResult<Vec<WorldItem>> {
        self.expect(Tok::LBrace)?;
        let mut items = Vec::new();
        loop {
            let docs = self.docs();
            if self.eat(Tok::RBrace) {
                break;
            }
            let attributes = self.attributes()?;
            let item = match self.peek_tok() {
                Some(Tok::Kw(Kw::Import)) => {
                    self.pos += 1;
                    WorldItem::Import(Extern {
                        docs,
                        attributes,
                        kind: self.extern_kind()?,
                    })
                }
                Some(Tok::Kw(Kw::Export)) => {
                    self.pos += 1;
                    WorldItem::Export(Extern {
                        docs,
                        attributes,
                        kind: self.extern_kind()?,
                    })
                }
                Some(Tok::Kw(Kw::Use)) => WorldItem::Use(self.use_item(attributes)?),
                Some(Tok::Kw(
                    Kw::Type | Kw::Flags | Kw::Enum | Kw::Variant | Kw::Resource | Kw::Record,
                )) => WorldItem::Type(self.typedef(docs, attributes)?),
                Some(Tok::Kw(Kw::Include)) => {
                    reject_external_id(&attributes, "include statements")?;
                    self.pos += 1;
                    let from = self.use_path()?;
                    let mut names = Vec::new();
                    if self.eat(Tok::Kw(Kw::With)) {
                        self.expect(Tok::LBrace)?;
                        names = self.list_trailer(Tok::RBrace, |p, _| {
                            let name = p.id()?;
                            p.expect(Tok::Kw(Kw::As))?;
                            Ok((name, p.id()?))
                        })?;
                    } else {
                        self.expect(Tok::Semicolon)?;
                    }
                    WorldItem::Include(Include {
                        attributes,
                        from,
                        names,
                    })
                }
                _ => {
                    return Err(
                        self.expected("`import`, `export`, `include`, `use`, or type definition")
                    )
                }
            };
            items.push(item);
        }
        Ok(items)
    }

    fn starts_func(&mut self) -> bool {
        matches!(self.peek_tok(), Some(Tok::Kw(Kw::Func | Kw::Async))) || self.accessor_ahead()
    }

    /// `get(` or `set(`.
    fn accessor_ahead(&mut self) -> bool {
        match self.peek() {
            Some(Token { tok: Tok::Id, span }) => {
                matches!(self.text(span), "get" | "set") && self.peek2() == Some(Tok::LParen)
            }
            _ => false,
        }
    }

    fn extern_kind(&mut self) -> PResult<ExternKind> {
        let mut probe = self.clone();
        let id = probe.id()?;
        if probe.eat(Tok::Colon) {
            if probe.starts_func() {
                *self = probe;
                let func = self.func()?;
                self.expect(Tok::Semicolon)?;
                return Ok(ExternKind::Func(id, func));
            }
            if probe.eat(Tok::Kw(Kw::Interface)) {
                *self = probe;
                return Ok(ExternKind::Interface(id, self.interface_items()?));
            }
            let mut peek = probe.clone();
            let qualified = peek.id().is_ok() && peek.peek_tok() == Some(Tok::Slash);
            if !qualified {
                *self = probe;
                let path = self.use_path()?;
                self.expect(Tok::Semicolon)?;
                return Ok(ExternKind::NamedPath(id, path));
            }
        }
        let path = self.use_path()?;
        self.expect(Tok::Semicolon)?;
        Ok(ExternKind::Path(path))
    }

    fn use_item(&mut self, attributes: Vec<Attribute>) -> PResult<Use> {
        self.expect(Tok::Kw(Kw::Use))?;
        let from = self.use_path()?;
        self.expect(Tok::Period)?;
        self.expect(Tok::LBrace)?;
        let mut names = Vec::new();
        while !self.eat(Tok::RBrace) {
            let name = self.id()?;
            let as_ = if self.eat(Tok::Kw(Kw::As)) {
                Some(self.id()?)
            } else {
                None
            };
            names.push(UseName { name, as_ });
            if !self.eat(Tok::Comma) {
                self.expect(Tok::RBrace)?;
                break;
            }
        }
        self.expect(Tok::Semicolon)?;
        Ok(Use {
            attributes,
            from,
            names,
        })
    }

    fn named_func(&mut self, docs: Docs, attributes: Vec<Attribute>) -> PResult<NamedFunc> {
        let name = self.id()?;
        self.expect(Tok::Colon)?;
        let func = self.func()?;
        self.expect(Tok::Semicolon)?;
        Ok(NamedFunc {
            docs,
            attributes,
            name,
            func,
        })
    }

    fn func(&mut self) -> PResult<Func> {
        let is_async = self.eat(Tok::Kw(Kw::Async));
        let (span, accessor) = if !is_async && self.accessor_ahead() {
            let t = self.next().ok_or_else(|| self.expected("`func`"))?;
            let acc = if self.text(t.span) == "get" {
                Accessor::Getter
            } else {
                Accessor::Setter
            };
            (t.span, Some(acc))
        } else {
            (self.expect(Tok::Kw(Kw::Func))?, None)
        };
        self.expect(Tok::LParen)?;
        let params = self.params()?;
        let result = if self.eat(Tok::RArrow) {
            Some(self.ty()?)
        } else {
            None
        };
        Ok(Func {
            span,
            is_async,
            accessor,
            params,
            result,
        })
    }

    /// Parameters after the `(`.
    fn params(&mut self) -> PResult<Vec<(Id, Type)>> {
        self.list_trailer(Tok::RParen, |p, _| {
            let name = p.id()?;
            p.expect(Tok::Colon)?;
            Ok((name, p.ty()?))
        })
    }

    /// Items separated by commas (a trailing one allowed) up to `end`.
    fn list_trailer<T>(
        &mut self,
        end: Tok,
        mut item: impl FnMut(&mut Self, Docs) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        let mut out = Vec::new();
        loop {
            let docs = self.docs();
            if self.eat(end) {
                break;
            }
            out.push(item(self, docs)?);
            if !self.eat(Tok::Comma) {
                self.expect(end)?;
                break;
            }
        }
        Ok(out)
    }

    fn braced<T>(&mut self, item: impl FnMut(&mut Self, Docs) -> PResult<T>) -> PResult<Vec<T>> {
        self.expect(Tok::LBrace)?;
        self.list_trailer(Tok::RBrace, item)
    }

    fn typedef(&mut self, docs: Docs, attributes: Vec<Attribute>) -> PResult<TypeDef> {
        let kw = self.next().map(|t| t.tok);
        let name = self.id()?;
        let kind = match kw {
            Some(Tok::Kw(Kw::Type)) => {
                self.expect(Tok::Equals)?;
                let ty = self.ty()?;
                self.expect(Tok::Semicolon)?;
                TypeDefKind::Alias(ty)
            }
            Some(Tok::Kw(Kw::Flags)) => TypeDefKind::Flags(self.braced(|p, docs| {
                Ok(Named {
                    docs,
                    name: p.id()?,
                })
            })?),
            Some(Tok::Kw(Kw::Enum)) => TypeDefKind::Enum(self.braced(|p, docs| {
                Ok(Named {
                    docs,
                    name: p.id()?,
                })
            })?),
            Some(Tok::Kw(Kw::Record)) => TypeDefKind::Record(self.braced(|p, docs| {
                let name = p.id()?;
                p.expect(Tok::Colon)?;
                Ok(Field {
                    docs,
                    name,
                    ty: p.ty()?,
                })
            })?),
            Some(Tok::Kw(Kw::Variant)) => TypeDefKind::Variant(self.braced(|p, docs| {
                let name = p.id()?;
                let ty = if p.eat(Tok::LParen) {
                    let ty = p.ty()?;
                    p.expect(Tok::RParen)?;
                    Some(ty)
                } else {
                    None
                };
                Ok(Case { docs, name, ty })
            })?),
            _ => {
                let mut funcs = Vec::new();
                if self.eat(Tok::LBrace) {
                    while !self.eat(Tok::RBrace) {
                        let docs = self.docs();
                        let attributes = self.attributes()?;
                        funcs.push(self.resource_func(docs, attributes)?);
                    }
                } else {
                    self.expect(Tok::Semicolon)?;
                }
                TypeDefKind::Resource(funcs)
            }
        };
        Ok(TypeDef {
            docs,
            attributes,
            name,
            kind,
        })
    }

    fn resource_func(&mut self, docs: Docs, attributes: Vec<Attribute>) -> PResult<ResourceFunc> {
        match self.peek() {
            Some(Token {
                tok: Tok::Kw(Kw::Constructor),
                span,
            }) => {
                self.pos += 1;
                self.expect(Tok::LParen)?;
                let params = self.params()?;
                let result = if self.eat(Tok::RArrow) {
                    Some(self.ty()?)
                } else {
                    None
                };
                self.expect(Tok::Semicolon)?;
                Ok(ResourceFunc {
                    kind: ResourceFuncKind::Constructor,
                    func: NamedFunc {
                        docs,
                        attributes,
                        name: Id {
                            name: "constructor".into(),
                            span,
                        },
                        func: Func {
                            span,
                            is_async: false,
                            accessor: None,
                            params,
                            result,
                        },
                    },
                })
            }
            Some(Token {
                tok: Tok::Id | Tok::ExplicitId,
                ..
            }) => {
                let name = self.id()?;
                self.expect(Tok::Colon)?;
                let kind = if self.eat(Tok::Kw(Kw::Static)) {
                    ResourceFuncKind::Static
                } else {
                    ResourceFuncKind::Method
                };
                let func = self.func()?;
                self.expect(Tok::Semicolon)?;
                Ok(ResourceFunc {
                    kind,
                    func: NamedFunc {
                        docs,
                        attributes,
                        name,
                        func,
                    },
                })
            }
            _ => Err(self.expected("`constructor` or identifier")),
        }
    }

    fn ty(&mut self) -> PResult<Type> {
        self.ty_at(0)
    }

    fn ty_at(&mut self, depth: usize) -> PResult<Type> {
        let Some(t) = self.next() else {
            return Err(ParseError::new(
                self.eof_span(),
                if depth >= MAX_TYPE_DEPTH {
                    "type nesting too deep".into()
                } else {
                    "expected a type, found eof".into()
                },
            ));
        };
        if depth >= MAX_TYPE_DEPTH {
            return Err(ParseError::new(t.span, "type nesting too deep".into()));
        }
        let span = t.span;
        let prim = |p| Ok(Type::Prim(p, span));
        let Tok::Kw(kw) = t.tok else {
            return match t.tok {
                Tok::Id | Tok::ExplicitId => {
                    self.pos -= 1;
                    Ok(Type::Name(self.id()?))
                }
                _ => {
                    self.pos -= 1;
                    Err(self.expected("a type"))
                }
            };
        };
        let inner = |p: &mut Self| p.ty_at(depth + 1).map(Box::new);
        match kw {
            Kw::Bool => prim(Prim::Bool),
            Kw::U8 => prim(Prim::U8),
            Kw::U16 => prim(Prim::U16),
            Kw::U32 => prim(Prim::U32),
            Kw::U64 => prim(Prim::U64),
            Kw::S8 => prim(Prim::S8),
            Kw::S16 => prim(Prim::S16),
            Kw::S32 => prim(Prim::S32),
            Kw::S64 => prim(Prim::S64),
            Kw::F32 => prim(Prim::F32),
            Kw::F64 => prim(Prim::F64),
            Kw::Char => prim(Prim::Char),
            Kw::String => prim(Prim::String),
            Kw::ErrorContext => prim(Prim::ErrorContext),
            Kw::Tuple => {
                self.expect(Tok::Lt)?;
                let types = self.list_trailer(Tok::Gt, |p, _| p.ty_at(depth + 1))?;
                Ok(Type::Tuple(types, span))
            }
            Kw::List => {
                self.expect(Tok::Lt)?;
                let ty = inner(self)?;
                let size =
                    if self.eat(Tok::Comma) {
                        match self.next() {
                            Some(Token {
                                tok: Tok::Integer,
                                span: n,
                            }) => Some(self.text(n).parse::<u32>().map_err(|e| {
                                ParseError::new(n, format!("invalid list size: {e}"))
                            })?),
                            _ => {
                                self.pos -= 1;
                                return Err(self.expected("fixed-length"));
                            }
                        }
                    } else {
                        None
                    };
                self.expect(Tok::Gt)?;
                Ok(match size {
                    Some(n) => Type::FixedList(ty, n, span),
                    None => Type::List(ty, span),
                })
            }
            Kw::Map => {
                self.expect(Tok::Lt)?;
                let k = inner(self)?;
                self.expect(Tok::Comma)?;
                let v = inner(self)?;
                self.expect(Tok::Gt)?;
                Ok(Type::Map(k, v, span))
            }
            Kw::Option => {
                self.expect(Tok::Lt)?;
                let ty = inner(self)?;
                self.expect(Tok::Gt)?;
                Ok(Type::Option(ty, span))
            }
            Kw::Result => {
                let (mut ok, mut err) = (None, None);
                if self.eat(Tok::Lt) {
                    if self.eat(Tok::Kw(Kw::Underscore)) {
                        self.expect(Tok::Comma)?;
                        err = Some(inner(self)?);
                    } else {
                        ok = Some(inner(self)?);
                        if self.eat(Tok::Comma) {
                            err = Some(inner(self)?);
                        }
                    }
                    self.expect(Tok::Gt)?;
                }
                Ok(Type::Result { ok, err, span })
            }
            Kw::Future | Kw::Stream => {
                let mut ty = None;
                if self.eat(Tok::Lt) {
                    ty = Some(inner(self)?);
                    self.expect(Tok::Gt)?;
                }
                Ok(if kw == Kw::Future {
                    Type::Future(ty, span)
                } else {
                    Type::Stream(ty, span)
                })
            }
            Kw::Own | Kw::Borrow => {
                self.expect(Tok::Lt)?;
                let id = self.id()?;
                self.expect(Tok::Gt)?;
                Ok(if kw == Kw::Own {
                    Type::Own(id)
                } else {
                    Type::Borrow(id)
                })
            }
            _ => {
                self.pos -= 1;
                Err(self.expected("a type"))
            }
        }
    }
}

fn reject_external_id(attrs: &[Attribute], what: &str) -> PResult<()> {
    for a in attrs {
        if let Attribute::ExternalId { span, .. } = a {
            return Err(ParseError::new(
                *span,
                format!("@external-id is not allowed on {what}"),
            ));
        }
    }
    Ok(())
}

/// Checks a version against semver's grammar: `MAJOR.MINOR.PATCH`, numbers
/// without leading zeros, then optional `-pre.release` and `+build`.
pub fn check_semver(text: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("invalid version `{text}`: {why}"));
    let (rest, build) = match text.split_once('+') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (rest, None),
    };
    let nums: Vec<&str> = core.split('.').collect();
    if nums.len() != 3 {
        return bad("expected MAJOR.MINOR.PATCH");
    }
    for n in nums {
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return bad("expected a number");
        }
        if n.len() > 1 && n.starts_with('0') {
            return bad("leading zero");
        }
        if n.parse::<u64>().is_err() {
            return bad("number too large");
        }
    }
    let ident_ok =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if let Some(pre) = pre {
        for part in pre.split('.') {
            if !ident_ok(part) {
                return bad("invalid pre-release");
            }
            if part.bytes().all(|b| b.is_ascii_digit()) && part.len() > 1 && part.starts_with('0') {
                return bad("leading zero in pre-release");
            }
        }
    }
    if let Some(build) = build {
        for part in build.split('.') {
            if !ident_ok(part) {
                return bad("invalid build metadata");
            }
        }
    }
    Ok(())
}
