//! Text components (the component model's `Explainer.md` grammar, as the
//! `wast` crate accepts it), lowered to the binary format.
//!
//! Three steps, as in the `wast` crate, so that the encoding is the same
//! byte for byte:
//!
//! 1. *Parsing and expansion* at once: inline type uses and value types
//!    become type definitions inserted before the field that uses them,
//!    inline `(import ...)` forms become imports, inline `(export ...)`
//!    forms become exports appended to the component, `(func (canon
//!    lift ...))`/`(core func (canon lower ...))` become canonical
//!    functions, instantiation arguments given as bundles become instances
//!    inserted before the instantiation, core module types get the function
//!    types their imports and exports use.
//! 2. *Resolution*, per scope (component, component type, instance type,
//!    module type), in two phases: the first inserts the aliases that
//!    references imply (`(func $i "f")` is an export alias of instance
//!    `$i`; a `$name` of an enclosing component an outer alias); the second
//!    turns every `$name` into its index.
//! 3. *Encoding*: consecutive fields of the same kind share a section; a
//!    `component-name` custom section holds the `$names` (or `(@name ...)`
//!    annotations).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use nanowasm_core::{HeapType, RefType, ValType};

use crate::encode;
use crate::error::Error;
use crate::lexer::TokenKind;
use crate::module;
use crate::num;
use crate::parser::Parser;

type R<T> = Result<T, Error>;

/// An identifier: written (`$x`, with where) or generated.
#[derive(Clone, Copy, Debug)]
enum Id<'s> {
    Named(&'s str, usize),
    Gen(u32),
}

impl PartialEq for Id<'_> {
    fn eq(&self, o: &Self) -> bool {
        match (self, o) {
            (Id::Named(a, _), Id::Named(b, _)) => a == b,
            (Id::Gen(a), Id::Gen(b)) => a == b,
            _ => false,
        }
    }
}
impl Eq for Id<'_> {}
impl Hash for Id<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        match self {
            Id::Named(a, _) => {
                0u8.hash(h);
                a.hash(h);
            }
            Id::Gen(n) => {
                1u8.hash(h);
                n.hash(h);
            }
        }
    }
}

impl<'s> Id<'s> {
    fn name(self) -> Option<&'s str> {
        match self {
            Id::Named(n, _) => Some(n),
            Id::Gen(_) => None,
        }
    }
}

/// An index as written: a number or an identifier, with where.
#[derive(Clone, Copy, Debug)]
enum Idx<'s> {
    Num(u32, usize),
    Id(Id<'s>),
}

impl<'s> Idx<'s> {
    fn at(&self) -> usize {
        match self {
            Idx::Num(_, at) | Idx::Id(Id::Named(_, at)) => *at,
            Idx::Id(Id::Gen(_)) => 0,
        }
    }
    fn num(&self) -> u32 {
        match self {
            Idx::Num(n, _) => *n,
            Idx::Id(_) => unreachable!("resolved"),
        }
    }
}

/// The index spaces.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ns {
    CoreFunc,
    CoreGlobal,
    CoreTable,
    CoreMemory,
    CoreType,
    CoreTag,
    CoreInstance,
    CoreModule,
    Func,
    Type,
    Instance,
    Component,
    Value,
}

impl Ns {
    fn desc(self) -> &'static str {
        match self {
            Ns::CoreFunc => "core func",
            Ns::CoreGlobal => "core global",
            Ns::CoreTable => "core table",
            Ns::CoreMemory => "core memory",
            Ns::CoreType => "core type",
            Ns::CoreTag => "core tag",
            Ns::CoreInstance => "core instance",
            Ns::CoreModule => "core module",
            Ns::Func => "func",
            Ns::Type => "type",
            Ns::Instance => "instance",
            Ns::Component => "component",
            Ns::Value => "value",
        }
    }
    /// The sort's encoding (`sort` of `Binary.md`).
    fn sort(self, out: &mut Vec<u8>) {
        match self {
            Ns::CoreFunc => out.extend([0, 0]),
            Ns::CoreTable => out.extend([0, 1]),
            Ns::CoreMemory => out.extend([0, 2]),
            Ns::CoreGlobal => out.extend([0, 3]),
            Ns::CoreTag => out.extend([0, 4]),
            Ns::CoreType => out.extend([0, 0x10]),
            Ns::CoreModule => out.extend([0, 0x11]),
            Ns::CoreInstance => out.extend([0, 0x12]),
            Ns::Func => out.push(1),
            Ns::Value => out.push(2),
            Ns::Type => out.push(3),
            Ns::Component => out.push(4),
            Ns::Instance => out.push(5),
        }
    }
    /// The core sort byte of a core export kind.
    fn core_kind(self) -> u8 {
        match self {
            Ns::CoreFunc => 0,
            Ns::CoreTable => 1,
            Ns::CoreMemory => 2,
            Ns::CoreGlobal => 3,
            Ns::CoreTag => 4,
            _ => unreachable!("not a core export kind"),
        }
    }
}

const NS_COUNT: usize = 13;

/// A reference: an index of space `ns`, and the export names through which
/// it is reached (`(func $i "a" "b")`), a core one (`(core func $i "f")`,
/// at most one name) or not.
#[derive(Clone, Debug)]
struct Ref<'s> {
    ns: Ns,
    idx: Idx<'s>,
    names: Vec<String>,
    core: bool,
}

impl<'s> Ref<'s> {
    fn id(ns: Ns, id: Id<'s>) -> Self {
        Ref {
            ns,
            idx: Idx::Id(id),
            names: Vec::new(),
            core: false,
        }
    }
}

#[derive(Clone, Debug)]
struct ExternName {
    name: String,
    implements: Option<String>,
    version_suffix: Option<String>,
    external_id: Option<String>,
}

#[derive(Clone, Copy, Debug)]
enum ValTy<'s> {
    Prim(u8),
    Ref(Idx<'s>),
}

#[derive(Debug)]
enum Defined<'s> {
    Prim(u8),
    Record(Vec<(String, ValTy<'s>)>),
    Variant(Vec<(Option<Id<'s>>, String, Option<ValTy<'s>>)>),
    List(ValTy<'s>),
    Stream(Option<ValTy<'s>>),
    Future(Option<ValTy<'s>>),
    Map(ValTy<'s>, ValTy<'s>),
    FixedList(ValTy<'s>, u32),
    Tuple(Vec<ValTy<'s>>),
    Flags(Vec<String>),
    Enum(Vec<String>),
    Option(ValTy<'s>),
    Result(Option<ValTy<'s>>, Option<ValTy<'s>>),
    Own(Idx<'s>),
    Borrow(Idx<'s>),
}

#[derive(Debug)]
enum TypeDef<'s> {
    Defined(Defined<'s>),
    /// `async?`, parameters, result.
    Func(bool, Vec<(String, ValTy<'s>)>, Option<ValTy<'s>>),
    Component(Vec<Decl<'s>>),
    Instance(Vec<Decl<'s>>),
    Resource(ValType, Option<Ref<'s>>),
}

#[derive(Debug)]
struct TypeField<'s> {
    id: Option<Id<'s>>,
    name: Option<String>,
    def: TypeDef<'s>,
}

#[derive(Debug)]
enum CoreTypeDef<'s> {
    Func(Vec<ValType>, Vec<ValType>),
    Module(Vec<ModDecl<'s>>),
}

#[derive(Debug)]
struct CoreTypeField<'s> {
    id: Option<Id<'s>>,
    name: Option<String>,
    def: CoreTypeDef<'s>,
}

/// A core entity type in a module type.
#[derive(Debug)]
enum Entity<'s> {
    Func(Idx<'s>),
    Tag(Idx<'s>),
    /// Table, memory or global: the encoding, kind byte included.
    Other(Vec<u8>),
}

#[derive(Debug)]
enum ModDecl<'s> {
    Import(String, String, Entity<'s>),
    Export(String, Entity<'s>),
    Type(Option<Id<'s>>, Vec<ValType>, Vec<ValType>),
    Alias(Alias<'s>),
}

#[derive(Debug)]
enum Decl<'s> {
    CoreType(CoreTypeField<'s>),
    Type(TypeField<'s>),
    Alias(Alias<'s>),
    Import(ExternName, ItemSig<'s>),
    Export(ExternName, ItemSig<'s>),
}

#[derive(Debug)]
enum SigKind<'s> {
    CoreModule(Ref<'s>),
    Func(Ref<'s>),
    Component(Ref<'s>),
    Instance(Ref<'s>),
    Value(ValTy<'s>),
    TypeEq(Idx<'s>),
    TypeSub,
}

#[derive(Debug)]
struct ItemSig<'s> {
    id: Option<Id<'s>>,
    name: Option<String>,
    kind: SigKind<'s>,
}

impl SigKind<'_> {
    fn ns(&self) -> Ns {
        match self {
            SigKind::CoreModule(_) => Ns::CoreModule,
            SigKind::Func(_) => Ns::Func,
            SigKind::Component(_) => Ns::Component,
            SigKind::Instance(_) => Ns::Instance,
            SigKind::Value(_) => Ns::Value,
            SigKind::TypeEq(_) | SigKind::TypeSub => Ns::Type,
        }
    }
}

#[derive(Debug)]
enum AliasTarget<'s> {
    Export {
        instance: Idx<'s>,
        name: String,
        ns: Ns,
    },
    CoreExport {
        instance: Idx<'s>,
        name: String,
        ns: Ns,
    },
    Outer {
        outer: Idx<'s>,
        index: Idx<'s>,
        ns: Ns,
    },
}

#[derive(Debug)]
struct Alias<'s> {
    id: Option<Id<'s>>,
    name: Option<String>,
    target: AliasTarget<'s>,
    at: usize,
}

impl Alias<'_> {
    fn ns(&self) -> Ns {
        match &self.target {
            AliasTarget::Export { ns, .. }
            | AliasTarget::CoreExport { ns, .. }
            | AliasTarget::Outer { ns, .. } => *ns,
        }
    }
}

#[derive(Debug)]
enum Opt<'s> {
    Utf8,
    Utf16,
    Latin1Utf16,
    Memory(Ref<'s>),
    Realloc(Ref<'s>),
    PostReturn(Ref<'s>),
    Async,
    Callback(Ref<'s>),
}

#[derive(Debug)]
enum Canon<'s> {
    Lift {
        ty: Ref<'s>,
        func: Ref<'s>,
        opts: Vec<Opt<'s>>,
    },
    Lower {
        func: Ref<'s>,
        opts: Vec<Opt<'s>>,
    },
    ResourceNew(Ref<'s>),
    ResourceDrop(Ref<'s>),
    ResourceRep(Ref<'s>),
    /// An async, thread or error-context built-in (boxed: it is large,
    /// and fields live on the stack of the recursive parser).
    Builtin(Box<BuiltinCanon<'s>>),
}

/// An async, thread or error-context built-in: its binary code and
/// immediates.
#[derive(Debug)]
struct BuiltinCanon<'s> {
    code: u8,
    ty: Option<Ref<'s>>,
    result: Option<ValTy<'s>>,
    opts: Vec<Opt<'s>>,
    memory: Option<Ref<'s>>,
    flag: bool,
    context: Option<(u8, u32)>,
    indirect: Option<(Ref<'s>, Ref<'s>)>,
}

#[derive(Debug)]
enum CoreInst<'s> {
    Instantiate {
        module: Ref<'s>,
        args: Vec<(String, Ref<'s>)>,
    },
    Exports(Vec<(String, Ref<'s>)>),
}

#[derive(Debug)]
enum Inst<'s> {
    Instantiate {
        component: Ref<'s>,
        args: Vec<(String, Ref<'s>)>,
    },
    Exports(Vec<(ExternName, Ref<'s>)>),
}

#[derive(Debug)]
enum Field<'s> {
    CoreModule {
        id: Option<Id<'s>>,
        name: Option<String>,
        bytes: Vec<u8>,
    },
    CoreInstance {
        id: Option<Id<'s>>,
        name: Option<String>,
        kind: CoreInst<'s>,
    },
    CoreType(CoreTypeField<'s>),
    Component {
        id: Option<Id<'s>>,
        name: Option<String>,
        fields: Vec<Field<'s>>,
    },
    Instance {
        id: Option<Id<'s>>,
        name: Option<String>,
        kind: Inst<'s>,
    },
    Alias(Alias<'s>),
    Type(TypeField<'s>),
    Canon {
        id: Option<Id<'s>>,
        name: Option<String>,
        kind: Canon<'s>,
    },
    Start {
        func: Idx<'s>,
        args: Vec<Ref<'s>>,
        results: Vec<Option<Id<'s>>>,
    },
    Import(ExternName, ItemSig<'s>),
    Export {
        id: Option<Id<'s>>,
        name: Option<String>,
        ext: ExternName,
        item: Ref<'s>,
        ty: Option<ItemSig<'s>>,
    },
    Custom(String, Vec<u8>),
}

/// A type a type use or an inline value type defines.
enum AnyType<'s> {
    Core(CoreTypeField<'s>),
    Comp(TypeField<'s>),
}

/// Parsing state: the generated-identifier counter and the types to
/// insert before the field (or declaration) being parsed.
struct Cx<'s> {
    gen: u32,
    types: Vec<AnyType<'s>>,
}

impl<'s> Cx<'s> {
    fn gen(&mut self) -> Id<'s> {
        self.gen += 1;
        Id::Gen(self.gen)
    }
    fn fill(&mut self, id: &mut Option<Id<'s>>) -> Id<'s> {
        match id {
            Some(i) => *i,
            None => {
                let g = self.gen();
                *id = Some(g);
                g
            }
        }
    }
}

/// Parses a component: what follows `(component` up to its `)` (not
/// consumed), and encodes it.
pub fn parse_component_body(p: &mut Parser<'_, '_>) -> Result<Vec<u8>, Error> {
    let mut cx = Cx {
        gen: 0,
        types: Vec::new(),
    };
    let id = opt_id(p);
    let name = opt_name(p)?;
    if p.eat_keyword("binary") {
        let mut out = Vec::new();
        while p.peek_string() {
            out.extend(p.string()?);
        }
        return Ok(out);
    }
    let mut fields = component_fields(p, &mut cx)?;
    Resolver::default().fields(id, &mut fields)?;
    Ok(encode_component(id, name.as_deref(), &fields))
}

fn opt_id<'s>(p: &mut Parser<'s, '_>) -> Option<Id<'s>> {
    let at = p.offset();
    p.opt_id().map(|n| Id::Named(n, at))
}

fn opt_name(p: &mut Parser<'_, '_>) -> R<Option<String>> {
    if !p.peek_list("@name") {
        return Ok(None);
    }
    p.open()?;
    p.pos += 1;
    let n = p.name()?;
    p.close()?;
    Ok(Some(n))
}

fn peek_index(p: &Parser<'_, '_>) -> bool {
    match p.peek() {
        Some(TokenKind::Id(_)) => true,
        Some(TokenKind::Atom(a)) => num::u32_lit(a).is_some(),
        _ => false,
    }
}

fn peek_index_at(p: &Parser<'_, '_>, n: usize) -> bool {
    match p.peek_at(n) {
        Some(TokenKind::Id(_)) => true,
        Some(TokenKind::Atom(a)) => num::u32_lit(a).is_some(),
        _ => false,
    }
}

fn index<'s>(p: &mut Parser<'s, '_>) -> R<Idx<'s>> {
    let at = p.offset();
    match p.peek() {
        Some(TokenKind::Id(i)) => {
            let i: &'s str = i;
            p.pos += 1;
            Ok(Idx::Id(Id::Named(i, at)))
        }
        Some(TokenKind::Atom(a)) => match num::u32_lit(a) {
            Some(n) => {
                p.pos += 1;
                Ok(Idx::Num(n, at))
            }
            None => Err(p.error("expected an index")),
        },
        _ => Err(p.error("expected an index")),
    }
}

/// Whether `( kw` follows, then an index, then `)` or a string: an item
/// reference rather than an inline definition.
fn peek_item_ref(p: &Parser<'_, '_>, kw: &str) -> bool {
    p.peek_list(kw)
        && peek_index_at(p, 2)
        && matches!(
            p.peek_at(3),
            Some(TokenKind::RParen) | Some(TokenKind::String(_))
        )
}

/// `(export "name")`, exactly.
fn peek_inline_export(p: &Parser<'_, '_>) -> bool {
    p.peek_list("export")
        && matches!(p.peek_at(2), Some(TokenKind::String(_)))
        && matches!(p.peek_at(3), Some(TokenKind::RParen))
}

fn inline_exports(p: &mut Parser<'_, '_>) -> R<Vec<ExternName>> {
    let mut out = Vec::new();
    while peek_inline_export(p) {
        p.open()?;
        p.pos += 1;
        out.push(extern_name(p)?);
        p.close()?;
    }
    Ok(out)
}

/// `(import "name")`, exactly.
fn inline_import(p: &mut Parser<'_, '_>) -> R<Option<ExternName>> {
    if p.peek_list("import")
        && matches!(p.peek_at(2), Some(TokenKind::String(_)))
        && matches!(p.peek_at(3), Some(TokenKind::RParen))
    {
        p.open()?;
        p.pos += 1;
        let n = extern_name(p)?;
        p.close()?;
        return Ok(Some(n));
    }
    Ok(None)
}

fn extern_name(p: &mut Parser<'_, '_>) -> R<ExternName> {
    let name = if p.eat_list("interface")? {
        let n = p.name()?;
        p.close()?;
        n
    } else {
        p.name()?
    };
    let mut e = ExternName {
        name,
        implements: None,
        version_suffix: None,
        external_id: None,
    };
    loop {
        let slot = if p.peek_list("implements") {
            &mut e.implements
        } else if p.peek_list("version-suffix") {
            &mut e.version_suffix
        } else if p.peek_list("external-id") {
            &mut e.external_id
        } else {
            break;
        };
        p.open()?;
        let at = p.offset();
        let kw = p.atom()?;
        if slot.is_some() {
            return Err(Error::new(at, format!("duplicate `{kw}` attribute")));
        }
        *slot = Some(p.name()?);
        p.close()?;
    }
    Ok(e)
}

fn component_fields<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>) -> R<Vec<Field<'s>>> {
    let saved = std::mem::take(&mut cx.types);
    let mut fields = Vec::new();
    let mut appended = Vec::new();
    let mut prepend = Vec::new();
    while !p.peek_rparen() && !p.is_done() {
        p.enter()?;
        let f = field(p, cx, &mut prepend, &mut appended);
        p.leave();
        let f = f?;
        fields.extend(cx.types.drain(..).map(|t| match t {
            AnyType::Core(c) => Field::CoreType(c),
            AnyType::Comp(c) => Field::Type(c),
        }));
        fields.append(&mut prepend);
        fields.push(f);
    }
    fields.append(&mut appended);
    cx.types = saved;
    Ok(fields)
}

fn export_of<'s>(ext: ExternName, ns: Ns, id: Id<'s>) -> Field<'s> {
    Field::Export {
        id: None,
        name: None,
        ext,
        item: Ref::id(ns, id),
        ty: None,
    }
}

fn field<'s>(
    p: &mut Parser<'s, '_>,
    cx: &mut Cx<'s>,
    prepend: &mut Vec<Field<'s>>,
    appended: &mut Vec<Field<'s>>,
) -> R<Field<'s>> {
    let at = p.offset();
    p.open()?;
    let kw_at = p.offset();
    let kw = p
        .atom()
        .map_err(|_| Error::new(kw_at, "expected valid component field"))?;
    let f = match kw {
        "core" => {
            let at2 = p.offset();
            match p.atom()? {
                "module" => core_module(p, cx, appended)?,
                "instance" => core_instance(p, cx, prepend)?,
                "type" => Field::CoreType(core_type(p, cx)?),
                "func" => core_func(p, cx)?,
                "rec" => {
                    return Err(Error::new(
                        at2,
                        "core `rec` groups in components are not supported",
                    ))
                }
                _ => return Err(Error::new(kw_at, "expected valid component field")),
            }
        }
        "component" => {
            let mut id = opt_id(p);
            let name = opt_name(p)?;
            let exports = inline_exports(p)?;
            if !exports.is_empty() {
                let g = cx.fill(&mut id);
                appended.extend(exports.into_iter().map(|e| export_of(e, Ns::Component, g)));
            }
            if let Some(import) = inline_import(p)? {
                let ty = comp_type_use(p, cx, "component")?;
                Field::Import(
                    import,
                    ItemSig {
                        id,
                        name: None,
                        kind: SigKind::Component(ty),
                    },
                )
            } else {
                let fields = component_fields(p, cx)?;
                Field::Component { id, name, fields }
            }
        }
        "instance" => instance(p, cx, prepend, appended)?,
        "alias" => Field::Alias(alias(p, at)?),
        "type" => {
            let mut t = type_field(p, cx, true)?;
            if !t.1.is_empty() {
                let g = cx.fill(&mut t.0.id);
                appended.extend(t.1.into_iter().map(|e| export_of(e, Ns::Type, g)));
            }
            Field::Type(t.0)
        }
        "import" => {
            let name = extern_name(p)?;
            p.open()?;
            let sig = item_sig(p, cx, true)?;
            p.close()?;
            Field::Import(name, sig)
        }
        "func" => func(p, cx, appended)?,
        "export" => {
            let id = opt_id(p);
            let name = opt_name(p)?;
            let ext = extern_name(p)?;
            let item = export_kind(p)?;
            let ty = if p.peek_lparen() {
                p.open()?;
                let s = item_sig(p, cx, false)?;
                p.close()?;
                Some(s)
            } else {
                None
            };
            Field::Export {
                id,
                name,
                ext,
                item,
                ty,
            }
        }
        "start" => {
            let func = index(p)?;
            let mut args = Vec::new();
            while p.peek_lparen() && !p.peek_list("result") {
                p.open()?;
                let r = item_ref(p, "value", Ns::Value)?;
                p.close()?;
                args.push(r);
            }
            let mut results = Vec::new();
            while p.eat_list("result")? {
                p.open()?;
                p.keyword("value")?;
                results.push(opt_id(p));
                p.close()?;
                p.close()?;
            }
            Field::Start {
                func,
                args,
                results,
            }
        }
        "canon" => canon(p, cx)?,
        "@custom" => {
            let name = p.name()?;
            if p.peek_lparen() {
                return Err(p.error("custom section placement is not supported in components"));
            }
            let mut data = Vec::new();
            while p.peek_string() {
                data.extend(p.string()?);
            }
            Field::Custom(name, data)
        }
        _ => return Err(Error::new(kw_at, "expected valid component field")),
    };
    let _ = at;
    p.close()?;
    Ok(f)
}

fn core_module<'s>(
    p: &mut Parser<'s, '_>,
    cx: &mut Cx<'s>,
    appended: &mut Vec<Field<'s>>,
) -> R<Field<'s>> {
    let start = p.pos;
    let mut id = opt_id(p);
    let name = opt_name(p)?;
    let exports = inline_exports(p)?;
    if let Some(import) = inline_import(p)? {
        if !exports.is_empty() {
            let g = cx.fill(&mut id);
            appended.extend(exports.into_iter().map(|e| export_of(e, Ns::CoreModule, g)));
        }
        let ty = core_type_use_module(p, cx)?;
        return Ok(Field::Import(
            import,
            ItemSig {
                id,
                name: None,
                kind: SigKind::CoreModule(ty),
            },
        ));
    }
    let bytes = if exports.is_empty() {
        p.pos = start;
        module::parse_module_body(p)?
    } else {
        let bytes = module::parse_module_body_named(p, id.and_then(Id::name))?;
        let g = cx.fill(&mut id);
        appended.extend(exports.into_iter().map(|e| export_of(e, Ns::CoreModule, g)));
        bytes
    };
    Ok(Field::CoreModule { id, name, bytes })
}

fn core_instance<'s>(
    p: &mut Parser<'s, '_>,
    cx: &mut Cx<'s>,
    prepend: &mut Vec<Field<'s>>,
) -> R<Field<'s>> {
    let id = opt_id(p);
    let name = opt_name(p)?;
    let kind = if p.eat_list("instantiate")? {
        let module = index_or_ref(p, "module", Ns::CoreModule)?;
        let mut args = Vec::new();
        while p.eat_list("with")? {
            let n = p.name()?;
            p.open()?;
            let r = if peek_index_at(p, 1) && p.peek_atom() == Some("instance") {
                core_item_ref(p, "instance", Ns::CoreInstance)?
            } else {
                p.keyword("instance")?;
                let exports = core_exports(p)?;
                let g = cx.gen();
                prepend.push(Field::CoreInstance {
                    id: Some(g),
                    name: None,
                    kind: CoreInst::Exports(exports),
                });
                Ref::id(Ns::CoreInstance, g)
            };
            p.close()?;
            p.close()?;
            args.push((n, r));
        }
        p.close()?;
        CoreInst::Instantiate { module, args }
    } else {
        CoreInst::Exports(core_exports(p)?)
    };
    Ok(Field::CoreInstance { id, name, kind })
}

fn core_export_ns(p: &mut Parser<'_, '_>) -> R<Ns> {
    let at = p.offset();
    Ok(match p.atom()? {
        "func" => Ns::CoreFunc,
        "table" => Ns::CoreTable,
        "memory" => Ns::CoreMemory,
        "global" => Ns::CoreGlobal,
        "tag" => Ns::CoreTag,
        _ => return Err(Error::new(at, "expected a core export kind")),
    })
}

/// `(export "name" (kind idx "name"?))*`.
fn core_exports<'s>(p: &mut Parser<'s, '_>) -> R<Vec<(String, Ref<'s>)>> {
    let mut out = Vec::new();
    while p.eat_list("export")? {
        let n = p.name()?;
        p.open()?;
        let ns = core_export_ns(p)?;
        let r = core_ref_rest(p, ns)?;
        p.close()?;
        p.close()?;
        out.push((n, r));
    }
    Ok(out)
}

/// `idx "name"?` of a core reference.
fn core_ref_rest<'s>(p: &mut Parser<'s, '_>, ns: Ns) -> R<Ref<'s>> {
    let idx = index(p)?;
    let names = if p.peek_string() {
        vec![p.name()?]
    } else {
        Vec::new()
    };
    Ok(Ref {
        ns,
        idx,
        names,
        core: true,
    })
}

/// `kw idx "name"?` (inside parentheses).
fn core_item_ref<'s>(p: &mut Parser<'s, '_>, kw: &str, ns: Ns) -> R<Ref<'s>> {
    p.keyword(kw)?;
    core_ref_rest(p, ns)
}

/// `kw idx "name"*` (inside parentheses).
fn item_ref<'s>(p: &mut Parser<'s, '_>, kw: &str, ns: Ns) -> R<Ref<'s>> {
    p.keyword(kw)?;
    let idx = index(p)?;
    let mut names = Vec::new();
    while p.peek_string() {
        names.push(p.name()?);
    }
    Ok(Ref {
        ns,
        idx,
        names,
        core: false,
    })
}

/// An index, or `(kw idx "name"*)`.
fn index_or_ref<'s>(p: &mut Parser<'s, '_>, kw: &str, ns: Ns) -> R<Ref<'s>> {
    if peek_index(p) {
        return Ok(Ref {
            ns,
            idx: index(p)?,
            names: Vec::new(),
            core: false,
        });
    }
    p.open()?;
    let r = item_ref(p, kw, ns)?;
    p.close()?;
    Ok(r)
}

/// A core reference that may be written with the `core` prefix: an index,
/// or `(core kw idx "name"?)`.
fn core_prefixed<'s>(p: &mut Parser<'s, '_>, kw: &str, ns: Ns) -> R<Ref<'s>> {
    if peek_index(p) {
        return Ok(Ref {
            ns,
            idx: index(p)?,
            names: Vec::new(),
            core: true,
        });
    }
    p.open()?;
    if p.peek_atom() == Some(kw) {
        return Err(p.error(format!(
            "the `core` keyword is required in this reference: `({kw} ...)` should be written `(core {kw} ...)`"
        )));
    }
    p.keyword("core")?;
    let r = core_item_ref(p, kw, ns)?;
    p.close()?;
    Ok(r)
}

/// The contents of `(memory ...)`: an index or `(core memory idx "name"?)`.
fn core_prefixed_contents<'s>(p: &mut Parser<'s, '_>, kw: &str, ns: Ns) -> R<Ref<'s>> {
    if peek_index(p) {
        let idx = index(p)?;
        if p.peek_string() {
            return Err(p.error(format!(
                "an export name must be written inside a nested reference: `({kw} $i \"name\")` should be written `({kw} (core {kw} $i \"name\"))`"
            )));
        }
        return Ok(Ref {
            ns,
            idx,
            names: Vec::new(),
            core: true,
        });
    }
    p.open()?;
    p.keyword("core")?;
    let r = core_item_ref(p, kw, ns)?;
    p.close()?;
    Ok(r)
}

fn core_func<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>) -> R<Field<'s>> {
    let _ = cx;
    let id = opt_id(p);
    let name = opt_name(p)?;
    let at = p.offset();
    p.open()?;
    let kw_at = p.offset();
    let f = match p.atom()? {
        "canon" => {
            let kind = core_canon(p, cx)?;
            Field::Canon { id, name, kind }
        }
        "alias" => {
            p.keyword("core")?;
            p.keyword("export")?;
            let instance = index(p)?;
            let n = p.name()?;
            Field::Alias(Alias {
                id,
                name,
                target: AliasTarget::CoreExport {
                    instance,
                    name: n,
                    ns: Ns::CoreFunc,
                },
                at,
            })
        }
        _ => return Err(Error::new(kw_at, "expected `canon` or `alias`")),
    };
    p.close()?;
    Ok(f)
}

/// A canonical built-in that defines a core function, after `canon`.
fn core_canon<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>) -> R<Canon<'s>> {
    let at = p.offset();
    let kw = p.atom()?;
    if let Some(code) = builtin_code(kw) {
        return builtin(p, cx, code);
    }
    Ok(match kw {
        "lower" => {
            p.open()?;
            let func = item_ref(p, "func", Ns::Func)?;
            p.close()?;
            let opts = canon_opts(p)?;
            Canon::Lower { func, opts }
        }
        "resource.new" => Canon::ResourceNew(index_or_ref(p, "type", Ns::Type)?),
        "resource.drop" => Canon::ResourceDrop(index_or_ref(p, "type", Ns::Type)?),
        "resource.rep" => Canon::ResourceRep(index_or_ref(p, "type", Ns::Type)?),
        other => {
            return Err(Error::new(
                at,
                format!("unsupported canonical built-in `{other}` (async, stream, future, thread and error-context built-ins are not supported)"),
            ))
        }
    })
}

/// The binary code of an async, thread or error-context built-in.
fn builtin_code(kw: &str) -> Option<u8> {
    Some(match kw {
        "task.cancel" => 0x05,
        "subtask.cancel" => 0x06,
        "task.return" => 0x09,
        "context.get" => 0x0a,
        "context.set" => 0x0b,
        "thread.yield" => 0x0c,
        "subtask.drop" => 0x0d,
        "stream.new" => 0x0e,
        "stream.read" => 0x0f,
        "stream.write" => 0x10,
        "stream.cancel-read" => 0x11,
        "stream.cancel-write" => 0x12,
        "stream.drop-readable" => 0x13,
        "stream.drop-writable" => 0x14,
        "future.new" => 0x15,
        "future.read" => 0x16,
        "future.write" => 0x17,
        "future.cancel-read" => 0x18,
        "future.cancel-write" => 0x19,
        "future.drop-readable" => 0x1a,
        "future.drop-writable" => 0x1b,
        "error-context.new" => 0x1c,
        "error-context.debug-message" => 0x1d,
        "error-context.drop" => 0x1e,
        "waitable-set.new" => 0x1f,
        "waitable-set.wait" => 0x20,
        "waitable-set.poll" => 0x21,
        "waitable-set.drop" => 0x22,
        "waitable.join" => 0x23,
        "backpressure.inc" => 0x24,
        "backpressure.dec" => 0x25,
        "thread.index" => 0x26,
        "thread.new-indirect" => 0x27,
        "thread.resume-later" => 0x28,
        "thread.suspend" => 0x29,
        "thread.suspend-then-resume" => 0x2a,
        "thread.yield-then-resume" => 0x2b,
        "thread.suspend-then-promote" => 0x2c,
        "thread.yield-then-promote" => 0x2d,
        _ => return None,
    })
}

/// A built-in's immediates, after its name, as the `wast` crate reads them.
fn builtin<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>, code: u8) -> R<Canon<'s>> {
    let (mut ty, mut result, mut opts, mut memory, mut flag, mut context, mut indirect) =
        (None, None, Vec::new(), None, false, None, None);
    match code {
        0x09 => {
            if p.eat_list("result")? {
                result = Some(val_ty(p, cx)?);
                p.close()?;
            }
            opts = canon_opts(p)?;
        }
        0x0a | 0x0b => {
            let at = p.offset();
            let t = match p.atom()? {
                "i32" => 0x7f,
                "i64" => 0x7e,
                _ => return Err(Error::new(at, "expected `i32` or `i64`")),
            };
            let at = p.offset();
            let slot =
                num::u32_lit(p.atom()?).ok_or_else(|| Error::new(at, "expected a context slot"))?;
            context = Some((t, slot));
        }
        0x06 => flag = p.eat_keyword("async"),
        0x0e..=0x1b => {
            ty = Some(index_or_ref(p, "type", Ns::Type)?);
            match code {
                0x0f | 0x10 | 0x16 | 0x17 => opts = canon_opts(p)?,
                0x11 | 0x12 | 0x18 | 0x19 => flag = p.eat_keyword("async"),
                _ => {}
            }
        }
        0x1c | 0x1d => opts = canon_opts(p)?,
        0x20 | 0x21 => {
            flag = p.eat_keyword("cancellable");
            p.open()?;
            p.keyword("memory")?;
            memory = Some(core_prefixed_contents(p, "memory", Ns::CoreMemory)?);
            p.close()?;
        }
        0x0c | 0x29..=0x2d => flag = p.eat_keyword("cancellable"),
        0x27 => {
            let t = core_prefixed(p, "type", Ns::CoreType)?;
            let table = core_prefixed(p, "table", Ns::CoreTable)?;
            indirect = Some((t, table));
        }
        _ => {}
    }
    Ok(Canon::Builtin(Box::new(BuiltinCanon {
        code,
        ty,
        result,
        opts,
        memory,
        flag,
        context,
        indirect,
    })))
}

fn canon_opts<'s>(p: &mut Parser<'s, '_>) -> R<Vec<Opt<'s>>> {
    let mut out = Vec::new();
    loop {
        if p.eat_keyword("string-encoding=utf8") {
            out.push(Opt::Utf8);
        } else if p.eat_keyword("string-encoding=utf16") {
            out.push(Opt::Utf16);
        } else if p.eat_keyword("string-encoding=latin1+utf16") {
            out.push(Opt::Latin1Utf16);
        } else if p.eat_list("memory")? {
            out.push(Opt::Memory(core_prefixed_contents(
                p,
                "memory",
                Ns::CoreMemory,
            )?));
            p.close()?;
        } else if p.eat_list("realloc")? {
            out.push(Opt::Realloc(core_prefixed(p, "func", Ns::CoreFunc)?));
            p.close()?;
        } else if p.eat_list("post-return")? {
            out.push(Opt::PostReturn(core_prefixed(p, "func", Ns::CoreFunc)?));
            p.close()?;
        } else if p.eat_keyword("async") {
            out.push(Opt::Async);
        } else if p.eat_list("callback")? {
            out.push(Opt::Callback(core_prefixed(p, "func", Ns::CoreFunc)?));
            p.close()?;
        } else if p.peek_atom() == Some("gc") || p.peek_list("core-type") {
            return Err(
                p.error("unsupported canonical option (gc and core-type are not supported)")
            );
        } else {
            return Ok(out);
        }
    }
}

fn canon<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>) -> R<Field<'s>> {
    if p.eat_keyword("lift") {
        let (func, opts) = canon_lift(p)?;
        p.open()?;
        p.keyword("func")?;
        let id = opt_id(p);
        let name = opt_name(p)?;
        let ty = comp_type_use(p, cx, "func")?;
        p.close()?;
        return Ok(Field::Canon {
            id,
            name,
            kind: Canon::Lift { ty, func, opts },
        });
    }
    let kind = core_canon(p, cx)?;
    p.open()?;
    p.keyword("core")?;
    p.keyword("func")?;
    let id = opt_id(p);
    let name = opt_name(p)?;
    p.close()?;
    Ok(Field::Canon { id, name, kind })
}

/// `(core func ...) opts` of `canon lift`.
fn canon_lift<'s>(p: &mut Parser<'s, '_>) -> R<(Ref<'s>, Vec<Opt<'s>>)> {
    p.open()?;
    p.keyword("core")?;
    let func = core_item_ref(p, "func", Ns::CoreFunc)?;
    p.close()?;
    let opts = canon_opts(p)?;
    Ok((func, opts))
}

fn func<'s>(
    p: &mut Parser<'s, '_>,
    cx: &mut Cx<'s>,
    appended: &mut Vec<Field<'s>>,
) -> R<Field<'s>> {
    let mut id = opt_id(p);
    let name = opt_name(p)?;
    let exports = inline_exports(p)?;
    if !exports.is_empty() {
        let g = cx.fill(&mut id);
        appended.extend(exports.into_iter().map(|e| export_of(e, Ns::Func, g)));
    }
    if let Some(import) = inline_import(p)? {
        let ty = comp_type_use(p, cx, "func")?;
        return Ok(Field::Import(
            import,
            ItemSig {
                id,
                name: None,
                kind: SigKind::Func(ty),
            },
        ));
    }
    if p.peek_list("alias") {
        let at = p.offset();
        p.open()?;
        p.pos += 1;
        p.keyword("export")?;
        let instance = index(p)?;
        let n = p.name()?;
        p.close()?;
        return Ok(Field::Alias(Alias {
            id,
            name,
            target: AliasTarget::Export {
                instance,
                name: n,
                ns: Ns::Func,
            },
            at,
        }));
    }
    let ty = comp_type_use(p, cx, "func")?;
    p.open()?;
    p.keyword("canon")?;
    p.keyword("lift")?;
    let (func, opts) = canon_lift(p)?;
    p.close()?;
    Ok(Field::Canon {
        id,
        name,
        kind: Canon::Lift { ty, func, opts },
    })
}

fn instance<'s>(
    p: &mut Parser<'s, '_>,
    cx: &mut Cx<'s>,
    prepend: &mut Vec<Field<'s>>,
    appended: &mut Vec<Field<'s>>,
) -> R<Field<'s>> {
    let mut id = opt_id(p);
    let name = opt_name(p)?;
    let exports = inline_exports(p)?;
    if !exports.is_empty() {
        let g = cx.fill(&mut id);
        appended.extend(exports.into_iter().map(|e| export_of(e, Ns::Instance, g)));
    }
    if let Some(import) = inline_import(p)? {
        let ty = comp_type_use(p, cx, "instance")?;
        return Ok(Field::Import(
            import,
            ItemSig {
                id,
                name: None,
                kind: SigKind::Instance(ty),
            },
        ));
    }
    let kind = if p.eat_list("instantiate")? {
        let component = index_or_ref(p, "component", Ns::Component)?;
        let mut args = Vec::new();
        while p.eat_list("with")? {
            let n = p.name()?;
            let r = if peek_export_kind(p) {
                export_kind(p)?
            } else {
                p.open()?;
                p.keyword("instance")?;
                let exports = comp_exports(p)?;
                p.close()?;
                let g = cx.gen();
                prepend.push(Field::Instance {
                    id: Some(g),
                    name: None,
                    kind: Inst::Exports(exports),
                });
                Ref::id(Ns::Instance, g)
            };
            p.close()?;
            args.push((n, r));
        }
        p.close()?;
        Inst::Instantiate { component, args }
    } else {
        Inst::Exports(comp_exports(p)?)
    };
    Ok(Field::Instance { id, name, kind })
}

/// `(export "name" kindref)*` of an instance bundle.
fn comp_exports<'s>(p: &mut Parser<'s, '_>) -> R<Vec<(ExternName, Ref<'s>)>> {
    let mut out = Vec::new();
    while p.eat_list("export")? {
        if p.peek_lparen() || matches!(p.peek(), Some(TokenKind::Id(_))) {
            return Err(p.error("unsupported export form in an instance bundle"));
        }
        let n = extern_name(p)?;
        let r = export_kind(p)?;
        if p.peek_lparen() {
            return Err(p.error("type ascriptions in instance bundles are not supported"));
        }
        p.close()?;
        out.push((n, r));
    }
    Ok(out)
}

fn peek_export_kind(p: &Parser<'_, '_>) -> bool {
    if !p.peek_lparen() {
        return false;
    }
    let (kw_n, idx_n) = if matches!(p.peek_at(1), Some(TokenKind::Atom(a)) if *a == "core") {
        (2, 3)
    } else {
        (1, 2)
    };
    matches!(p.peek_at(kw_n), Some(TokenKind::Atom(a)) if matches!(*a, "func" | "module" | "value" | "type" | "component" | "instance"))
        && peek_index_at(p, idx_n)
}

/// `(kind idx "name"*)` of an export or instantiation argument.
fn export_kind<'s>(p: &mut Parser<'s, '_>) -> R<Ref<'s>> {
    p.open()?;
    let at = p.offset();
    let r = match p.peek_atom() {
        Some("core") => {
            p.pos += 1;
            item_ref(p, "module", Ns::CoreModule)?
        }
        Some("func") => item_ref(p, "func", Ns::Func)?,
        Some("value") => item_ref(p, "value", Ns::Value)?,
        Some("type") => item_ref(p, "type", Ns::Type)?,
        Some("component") => item_ref(p, "component", Ns::Component)?,
        Some("instance") => item_ref(p, "instance", Ns::Instance)?,
        _ => return Err(Error::new(at, "expected an item kind")),
    };
    p.close()?;
    Ok(r)
}

fn alias<'s>(p: &mut Parser<'s, '_>, at: usize) -> R<Alias<'s>> {
    let kw_at = p.offset();
    let target_kw = p.atom()?;
    let (target, id, name) = match target_kw {
        "outer" => {
            let outer = index(p)?;
            let index = index(p)?;
            p.open()?;
            let ns = outer_kind(p)?;
            let id = opt_id(p);
            let name = opt_name(p)?;
            p.close()?;
            (AliasTarget::Outer { outer, index, ns }, id, name)
        }
        "export" => {
            let instance = index(p)?;
            let n = p.name()?;
            p.open()?;
            let kat = p.offset();
            let ns = match p.atom()? {
                "core" => {
                    p.keyword("module")?;
                    Ns::CoreModule
                }
                "func" => Ns::Func,
                "value" => Ns::Value,
                "type" => Ns::Type,
                "component" => Ns::Component,
                "instance" => Ns::Instance,
                _ => return Err(Error::new(kat, "expected an alias kind")),
            };
            let id = opt_id(p);
            let name = opt_name(p)?;
            p.close()?;
            (
                AliasTarget::Export {
                    instance,
                    name: n,
                    ns,
                },
                id,
                name,
            )
        }
        "core" => {
            p.keyword("export")?;
            let instance = index(p)?;
            let n = p.name()?;
            p.open()?;
            p.keyword("core")?;
            let ns = core_export_ns(p)?;
            let id = opt_id(p);
            let name = opt_name(p)?;
            p.close()?;
            (
                AliasTarget::CoreExport {
                    instance,
                    name: n,
                    ns,
                },
                id,
                name,
            )
        }
        _ => return Err(Error::new(kw_at, "expected `outer`, `export` or `core`")),
    };
    Ok(Alias {
        id,
        name,
        target,
        at,
    })
}

fn outer_kind(p: &mut Parser<'_, '_>) -> R<Ns> {
    let at = p.offset();
    Ok(match p.atom()? {
        "core" => match p.atom()? {
            "module" => Ns::CoreModule,
            "type" => Ns::CoreType,
            _ => return Err(Error::new(at, "expected `core module` or `core type`")),
        },
        "type" => Ns::Type,
        "component" => Ns::Component,
        _ => return Err(Error::new(at, "expected an outer alias kind")),
    })
}

/// `$id? (@name)? (export "x")* typedef` after `type`; returns the inline
/// exports too.
fn type_field<'s>(
    p: &mut Parser<'s, '_>,
    cx: &mut Cx<'s>,
    exports_allowed: bool,
) -> R<(TypeField<'s>, Vec<ExternName>)> {
    let id = opt_id(p);
    let name = opt_name(p)?;
    let exports = if exports_allowed {
        inline_exports(p)?
    } else {
        Vec::new()
    };
    let def = type_def(p, cx)?;
    Ok((TypeField { id, name, def }, exports))
}

fn type_def<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>) -> R<TypeDef<'s>> {
    if !p.peek_lparen() {
        return Ok(TypeDef::Defined(Defined::Prim(primitive(p)?)));
    }
    p.enter()?;
    p.open()?;
    let d = match p.peek_atom() {
        Some("func") => {
            p.pos += 1;
            let (is_async, params, result) = func_type(p, cx)?;
            TypeDef::Func(is_async, params, result)
        }
        Some("component") => {
            p.pos += 1;
            TypeDef::Component(decls(p, cx, true)?)
        }
        Some("instance") => {
            p.pos += 1;
            TypeDef::Instance(decls(p, cx, false)?)
        }
        Some("resource") => {
            p.pos += 1;
            p.open()?;
            p.keyword("rep")?;
            let rep = core_val_type(p)?;
            p.close()?;
            let dtor = if p.eat_list("dtor")? {
                let r = core_prefixed(p, "func", Ns::CoreFunc)?;
                p.close()?;
                Some(r)
            } else {
                None
            };
            TypeDef::Resource(rep, dtor)
        }
        _ => TypeDef::Defined(defined_body(p, cx)?),
    };
    p.close()?;
    p.leave();
    Ok(d)
}

fn primitive(p: &mut Parser<'_, '_>) -> R<u8> {
    let at = p.offset();
    let a = p
        .atom()
        .map_err(|_| Error::new(at, "expected a value type"))?;
    prim_byte(a)
        .ok_or_else(|| Error::new(at, format!("unexpected token `{a}`, expected a value type")))
}

fn prim_byte(a: &str) -> Option<u8> {
    Some(match a {
        "bool" => 0x7f,
        "s8" => 0x7e,
        "u8" => 0x7d,
        "s16" => 0x7c,
        "u16" => 0x7b,
        "s32" => 0x7a,
        "u32" => 0x79,
        "s64" => 0x78,
        "u64" => 0x77,
        "f32" | "float32" => 0x76,
        "f64" | "float64" => 0x75,
        "char" => 0x74,
        "string" => 0x73,
        _ => return None,
    })
}

/// A defined type's body, after its `(`.
fn defined_body<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>) -> R<Defined<'s>> {
    let at = p.offset();
    let kw = p.atom()?;
    Ok(match kw {
        "record" => {
            let mut fields = Vec::new();
            while p.eat_list("field")? {
                let n = p.name()?;
                let t = val_ty(p, cx)?;
                p.close()?;
                fields.push((n, t));
            }
            Defined::Record(fields)
        }
        "variant" => {
            let mut cases = Vec::new();
            while p.eat_list("case")? {
                let id = opt_id(p);
                let n = p.name()?;
                let t = if p.peek_rparen() {
                    None
                } else {
                    Some(val_ty(p, cx)?)
                };
                if p.peek_list("refines") {
                    return Err(p.error("`refines` is not supported"));
                }
                p.close()?;
                cases.push((id, n, t));
            }
            Defined::Variant(cases)
        }
        "list" => {
            let t = val_ty(p, cx)?;
            if p.peek_rparen() {
                Defined::List(t)
            } else {
                let at = p.offset();
                let n = p.atom()?;
                let n = num::u32_lit(n)
                    .ok_or_else(|| Error::new(at, "invalid fixed-length list length"))?;
                Defined::FixedList(t, n)
            }
        }
        "map" => {
            let k = val_ty(p, cx)?;
            let v = val_ty(p, cx)?;
            Defined::Map(k, v)
        }
        "tuple" => {
            let mut ts = Vec::new();
            while !p.peek_rparen() {
                ts.push(val_ty(p, cx)?);
            }
            Defined::Tuple(ts)
        }
        "flags" | "enum" => {
            let mut ns = Vec::new();
            while p.peek_string() {
                ns.push(p.name()?);
            }
            if kw == "flags" {
                Defined::Flags(ns)
            } else {
                Defined::Enum(ns)
            }
        }
        "option" => Defined::Option(val_ty(p, cx)?),
        "result" => {
            let ok = if peek_val_ty(p) {
                Some(val_ty(p, cx)?)
            } else {
                None
            };
            let err = if p.eat_list("error")? {
                let t = val_ty(p, cx)?;
                p.close()?;
                Some(t)
            } else {
                None
            };
            Defined::Result(ok, err)
        }
        "own" => Defined::Own(index(p)?),
        "borrow" => Defined::Borrow(index(p)?),
        "stream" | "future" => {
            let t = if p.peek_rparen() {
                None
            } else {
                Some(val_ty(p, cx)?)
            };
            if kw == "stream" {
                Defined::Stream(t)
            } else {
                Defined::Future(t)
            }
        }
        "error-context" => return Err(Error::new(at, format!("`{kw}` types are not supported"))),
        _ => {
            return Err(Error::new(
                at,
                format!("unexpected token `{kw}`, expected a defined type"),
            ))
        }
    })
}

const DEFINED_KWS: [&str; 11] = [
    "record", "variant", "list", "tuple", "flags", "enum", "option", "result", "own", "borrow",
    "stream",
];

fn peek_val_ty(p: &Parser<'_, '_>) -> bool {
    if peek_index(p) {
        return true;
    }
    if let Some(a) = p.peek_atom() {
        return prim_byte(a).is_some();
    }
    matches!(p.peek_list_head(), Some(h) if DEFINED_KWS.contains(&h) || h == "future")
}

/// A value type: a primitive, an index, or an inline defined type (which
/// becomes a type definition before the current field).
fn val_ty<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>) -> R<ValTy<'s>> {
    if peek_index(p) {
        return Ok(ValTy::Ref(index(p)?));
    }
    if !p.peek_lparen() {
        return Ok(ValTy::Prim(primitive(p)?));
    }
    p.enter()?;
    p.open()?;
    let d = defined_body(p, cx)?;
    p.close()?;
    p.leave();
    if let Defined::Prim(b) = d {
        return Ok(ValTy::Prim(b));
    }
    let g = cx.gen();
    cx.types.push(AnyType::Comp(TypeField {
        id: Some(g),
        name: None,
        def: TypeDef::Defined(d),
    }));
    Ok(ValTy::Ref(Idx::Id(g)))
}

/// `async? (param "name" ty)* (result ty)?`
#[allow(clippy::type_complexity)]
fn func_type<'s>(
    p: &mut Parser<'s, '_>,
    cx: &mut Cx<'s>,
) -> R<(bool, Vec<(String, ValTy<'s>)>, Option<ValTy<'s>>)> {
    let is_async = p.eat_keyword("async");
    let mut params = Vec::new();
    while p.eat_list("param")? {
        let n = p.name()?;
        let t = val_ty(p, cx)?;
        p.close()?;
        params.push((n, t));
    }
    let result = if p.eat_list("result")? {
        let t = val_ty(p, cx)?;
        p.close()?;
        Some(t)
    } else {
        None
    };
    Ok((is_async, params, result))
}

/// A component type use after the item's id: `(type idx "name"*)` or an
/// inline type (of `kind`: `func`, `component` or `instance`), which
/// becomes a type definition before the current field.
fn comp_type_use<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>, kind: &str) -> R<Ref<'s>> {
    if peek_item_ref(p, "type") {
        p.open()?;
        let r = item_ref(p, "type", Ns::Type)?;
        p.close()?;
        return Ok(r);
    }
    let def = match kind {
        "func" => {
            let (is_async, params, result) = func_type(p, cx)?;
            TypeDef::Func(is_async, params, result)
        }
        "component" => TypeDef::Component(decls(p, cx, true)?),
        _ => TypeDef::Instance(decls(p, cx, false)?),
    };
    let g = cx.gen();
    cx.types.push(AnyType::Comp(TypeField {
        id: Some(g),
        name: None,
        def,
    }));
    Ok(Ref::id(Ns::Type, g))
}

/// A core module type use: `(type idx)` or inline module type declarations.
fn core_type_use_module<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>) -> R<Ref<'s>> {
    if peek_item_ref(p, "type") {
        p.open()?;
        let r = core_item_ref(p, "type", Ns::CoreType)?;
        p.close()?;
        return Ok(r);
    }
    let def = CoreTypeDef::Module(module_decls(p, cx)?);
    let g = cx.gen();
    cx.types.push(AnyType::Core(CoreTypeField {
        id: Some(g),
        name: None,
        def,
    }));
    Ok(Ref {
        ns: Ns::CoreType,
        idx: Idx::Id(g),
        names: Vec::new(),
        core: true,
    })
}

/// The declarations of a component (`imports`) or instance type, each
/// preceded by the types its inline type uses define (a fresh expansion
/// context, as the `wast` crate does for type bodies).
fn decls<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>, imports: bool) -> R<Vec<Decl<'s>>> {
    let saved = std::mem::take(&mut cx.types);
    let mut out = Vec::new();
    while p.peek_lparen() {
        p.enter()?;
        let d = decl(p, cx, imports);
        p.leave();
        let d = d?;
        out.extend(cx.types.drain(..).map(|t| match t {
            AnyType::Core(c) => Decl::CoreType(c),
            AnyType::Comp(c) => Decl::Type(c),
        }));
        out.push(d);
    }
    cx.types = saved;
    Ok(out)
}

fn decl<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>, imports: bool) -> R<Decl<'s>> {
    let at = p.offset();
    p.open()?;
    let kw_at = p.offset();
    let d = match p.atom()? {
        "core" => {
            let k = p.offset();
            match p.atom()? {
                "type" => Decl::CoreType(core_type(p, cx)?),
                _ => return Err(Error::new(k, "expected `core type`")),
            }
        }
        "type" => Decl::Type(type_field(p, cx, false)?.0),
        "alias" => Decl::Alias(alias(p, at)?),
        "import" if imports => {
            let n = extern_name(p)?;
            p.open()?;
            let s = item_sig(p, cx, true)?;
            p.close()?;
            Decl::Import(n, s)
        }
        "export" => {
            let n = extern_name(p)?;
            p.open()?;
            let s = item_sig(p, cx, true)?;
            p.close()?;
            Decl::Export(n, s)
        }
        _ => {
            return Err(Error::new(
                kw_at,
                "unexpected token, expected a declaration",
            ))
        }
    };
    p.close()?;
    Ok(d)
}

/// An item signature (inside its parentheses): `(func $id? typeuse)`,
/// `(type $id? (eq i))`, ...
fn item_sig<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>, named: bool) -> R<ItemSig<'s>> {
    let at = p.offset();
    let kw = p.atom()?;
    if kw == "core" {
        p.keyword("module")?;
    }
    let (id, name) = if named {
        (opt_id(p), opt_name(p)?)
    } else {
        (None, None)
    };
    let kind = match kw {
        "core" => SigKind::CoreModule(core_type_use_module(p, cx)?),
        "func" => SigKind::Func(comp_type_use(p, cx, "func")?),
        "component" => SigKind::Component(comp_type_use(p, cx, "component")?),
        "instance" => SigKind::Instance(comp_type_use(p, cx, "instance")?),
        "value" => {
            if peek_item_ref(p, "type") {
                p.open()?;
                p.keyword("type")?;
                let i = index(p)?;
                p.close()?;
                SigKind::Value(ValTy::Ref(i))
            } else {
                SigKind::Value(val_ty(p, cx)?)
            }
        }
        "type" => {
            p.open()?;
            let k = p.offset();
            let b = match p.atom()? {
                "eq" => SigKind::TypeEq(index(p)?),
                "sub" => {
                    p.keyword("resource")?;
                    SigKind::TypeSub
                }
                _ => return Err(Error::new(k, "expected `eq` or `sub`")),
            };
            p.close()?;
            b
        }
        _ => {
            return Err(Error::new(
                at,
                format!("unexpected token `{kw}`, expected an item kind"),
            ))
        }
    };
    Ok(ItemSig { id, name, kind })
}

/// `$id? (@name)? (func ...)|(module ...)` after `core type`.
fn core_type<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>) -> R<CoreTypeField<'s>> {
    let id = opt_id(p);
    let name = opt_name(p)?;
    p.open()?;
    let at = p.offset();
    let def = match p.atom()? {
        "func" => {
            let (ps, rs) = core_func_type(p)?;
            CoreTypeDef::Func(ps, rs)
        }
        "module" => CoreTypeDef::Module(module_decls(p, cx)?),
        other => {
            return Err(Error::new(
                at,
                format!(
                "unsupported core type `{other}` in a component (only function and module types)"
            ),
            ))
        }
    };
    p.close()?;
    Ok(CoreTypeField { id, name, def })
}

fn core_func_type(p: &mut Parser<'_, '_>) -> R<(Vec<ValType>, Vec<ValType>)> {
    let mut ps = Vec::new();
    let mut rs = Vec::new();
    while p.eat_list("param")? {
        if p.opt_id().is_some() {
            ps.push(core_val_type(p)?);
        } else {
            while !p.peek_rparen() {
                ps.push(core_val_type(p)?);
            }
        }
        p.close()?;
    }
    while p.eat_list("result")? {
        while !p.peek_rparen() {
            rs.push(core_val_type(p)?);
        }
        p.close()?;
    }
    Ok((ps, rs))
}

fn heap_type(p: &mut Parser<'_, '_>) -> R<HeapType> {
    let at = p.offset();
    if peek_index(p) {
        return match index(p)? {
            Idx::Num(n, _) => Ok(HeapType::Concrete(n)),
            Idx::Id(_) => Err(Error::new(
                at,
                "type names in core reference types of components are not supported",
            )),
        };
    }
    let a = p.atom()?;
    Ok(match a {
        "func" => HeapType::Func,
        "extern" => HeapType::Extern,
        "exn" => HeapType::Exn,
        "noexn" => HeapType::NoExn,
        "nofunc" => HeapType::NoFunc,
        "noextern" => HeapType::NoExtern,
        "none" => HeapType::None,
        "any" => HeapType::Any,
        "eq" => HeapType::Eq,
        "i31" => HeapType::I31,
        "struct" => HeapType::Struct,
        "array" => HeapType::Array,
        _ => {
            return Err(Error::new(
                at,
                format!("unexpected token `{a}`, expected a heap type"),
            ))
        }
    })
}

fn core_ref_type(p: &mut Parser<'_, '_>) -> R<RefType> {
    if p.eat_list("ref")? {
        let null = p.eat_keyword("null");
        let h = heap_type(p)?;
        p.close()?;
        return Ok(RefType::new(null, h));
    }
    let at = p.offset();
    let a = p.atom()?;
    let h = match a {
        "funcref" => HeapType::Func,
        "externref" => HeapType::Extern,
        "exnref" => HeapType::Exn,
        "anyref" => HeapType::Any,
        "eqref" => HeapType::Eq,
        "i31ref" => HeapType::I31,
        "structref" => HeapType::Struct,
        "arrayref" => HeapType::Array,
        "nullref" => HeapType::None,
        "nullfuncref" => HeapType::NoFunc,
        "nullexternref" => HeapType::NoExtern,
        "nullexnref" => HeapType::NoExn,
        _ => {
            return Err(Error::new(
                at,
                format!("unexpected token `{a}`, expected a reference type"),
            ))
        }
    };
    Ok(RefType::new(true, h))
}

fn core_val_type(p: &mut Parser<'_, '_>) -> R<ValType> {
    Ok(match p.peek_atom() {
        Some("i32") => {
            p.pos += 1;
            ValType::I32
        }
        Some("i64") => {
            p.pos += 1;
            ValType::I64
        }
        Some("f32") => {
            p.pos += 1;
            ValType::F32
        }
        Some("f64") => {
            p.pos += 1;
            ValType::F64
        }
        Some("v128") => {
            p.pos += 1;
            ValType::V128
        }
        _ => ValType::Ref(core_ref_type(p)?),
    })
}

/// The declarations of a core module type, with the function types that
/// inline type uses need inserted before them (reusing an earlier
/// declared type of the same signature).
fn module_decls<'s>(p: &mut Parser<'s, '_>, cx: &mut Cx<'s>) -> R<Vec<ModDecl<'s>>> {
    type Key = (Vec<ValType>, Vec<ValType>);
    let mut known: HashMap<Key, Idx<'s>> = HashMap::new();
    let mut out = Vec::new();
    while p.peek_lparen() {
        let at = p.offset();
        p.open()?;
        let kw_at = p.offset();
        let mut pre = Vec::new();
        let d = match p.atom()? {
            "import" => {
                let m = p.name()?;
                let n = p.name()?;
                let e = entity(p, cx, &mut pre, &known)?;
                ModDecl::Import(m, n, e)
            }
            "export" => {
                let n = p.name()?;
                let e = entity(p, cx, &mut pre, &known)?;
                ModDecl::Export(n, e)
            }
            "type" => {
                let mut id = opt_id(p);
                p.open()?;
                p.keyword("func")?;
                let (ps, rs) = core_func_type(p)?;
                p.close()?;
                let g = cx.fill(&mut id);
                known.insert((ps.clone(), rs.clone()), Idx::Id(g));
                ModDecl::Type(id, ps, rs)
            }
            "alias" => {
                p.keyword("outer")?;
                let outer = index(p)?;
                let index = index(p)?;
                p.open()?;
                p.keyword("type")?;
                let id = opt_id(p);
                let name = opt_name(p)?;
                p.close()?;
                ModDecl::Alias(Alias {
                    id,
                    name,
                    target: AliasTarget::Outer {
                        outer,
                        index,
                        ns: Ns::CoreType,
                    },
                    at,
                })
            }
            _ => {
                return Err(Error::new(
                    kw_at,
                    "unexpected token, expected a module type declaration",
                ))
            }
        };
        p.close()?;
        out.append(&mut pre);
        out.push(d);
    }
    Ok(out)
}

fn entity<'s>(
    p: &mut Parser<'s, '_>,
    cx: &mut Cx<'s>,
    pre: &mut Vec<ModDecl<'s>>,
    known: &HashMap<(Vec<ValType>, Vec<ValType>), Idx<'s>>,
) -> R<Entity<'s>> {
    p.open()?;
    let k = p.offset();
    let kw = p.atom()?;
    let _ = p.opt_id();
    let e = match kw {
        "func" | "tag" => {
            let mut explicit = None;
            if p.peek_list("type") {
                p.open()?;
                p.pos += 1;
                explicit = Some(index(p)?);
                p.close()?;
            }
            let (ps, rs) = core_func_type(p)?;
            let idx = match explicit {
                Some(i) => i,
                None => match known.get(&(ps.clone(), rs.clone())) {
                    Some(i) => *i,
                    None => {
                        let g = cx.gen();
                        pre.push(ModDecl::Type(Some(g), ps, rs));
                        Idx::Id(g)
                    }
                },
            };
            if kw == "func" {
                Entity::Func(idx)
            } else {
                Entity::Tag(idx)
            }
        }
        "memory" => {
            let mut b = vec![0x02];
            let is64 = p.eat_keyword("i64");
            let _ = p.eat_keyword("i32");
            let min = u64_atom(p)?;
            let max = if p.peek_atom().is_some_and(|a| num::int(a, 64).is_some()) {
                Some(u64_atom(p)?)
            } else {
                None
            };
            let shared = p.eat_keyword("shared");
            if p.peek_list("pagesize") {
                return Err(p.error("custom page sizes are not supported"));
            }
            let flags =
                u8::from(max.is_some()) | if shared { 2 } else { 0 } | if is64 { 4 } else { 0 };
            b.push(flags);
            nanowasm_core::leb128::write_u64(&mut b, min);
            if let Some(m) = max {
                nanowasm_core::leb128::write_u64(&mut b, m);
            }
            Entity::Other(b)
        }
        "table" => {
            let mut b = vec![0x01];
            let is64 = p.eat_keyword("i64");
            let _ = p.eat_keyword("i32");
            let min = u64_atom(p)?;
            let max = if p.peek_atom().is_some_and(|a| num::int(a, 64).is_some()) {
                Some(u64_atom(p)?)
            } else {
                None
            };
            let rt = core_ref_type(p)?;
            encode::ref_type(&mut b, rt);
            b.push(u8::from(max.is_some()) | if is64 { 4 } else { 0 });
            nanowasm_core::leb128::write_u64(&mut b, min);
            if let Some(m) = max {
                nanowasm_core::leb128::write_u64(&mut b, m);
            }
            Entity::Other(b)
        }
        "global" => {
            let mut b = vec![0x03];
            if p.eat_list("mut")? {
                encode::val_type(&mut b, core_val_type(p)?);
                p.close()?;
                b.push(1);
            } else {
                encode::val_type(&mut b, core_val_type(p)?);
                b.push(0);
            }
            Entity::Other(b)
        }
        _ => {
            return Err(Error::new(
                k,
                format!("unexpected token `{kw}`, expected an import kind"),
            ))
        }
    };
    p.close()?;
    Ok(e)
}

fn u64_atom(p: &mut Parser<'_, '_>) -> R<u64> {
    let at = p.offset();
    let a = p.atom()?;
    if a.starts_with(['+', '-']) {
        return Err(Error::new(at, "expected a number"));
    }
    num::int(a, 64).ok_or_else(|| Error::new(at, "expected a number"))
}

// ---------------------------------------------------------------------------
// Resolution.

#[derive(Default, Clone)]
struct Space<'s> {
    names: HashMap<Id<'s>, u32>,
    count: u32,
}

#[derive(Default)]
struct State<'s> {
    id: Option<Id<'s>>,
    spaces: [Space<'s>; NS_COUNT],
}

impl<'s> State<'s> {
    fn new(id: Option<Id<'s>>) -> Self {
        State {
            id,
            ..Default::default()
        }
    }
    fn register(&mut self, ns: Ns, id: Option<Id<'s>>) -> R<u32> {
        let s = &mut self.spaces[ns as usize];
        let i = s.count;
        if let Some(id) = id {
            if s.names.insert(id, i).is_some() {
                let at = match id {
                    Id::Named(_, at) => at,
                    Id::Gen(_) => 0,
                };
                return Err(Error::new(
                    at,
                    format!("duplicate {} identifier", ns.desc()),
                ));
            }
        }
        s.count += 1;
        Ok(i)
    }
    fn try_resolve(&self, ns: Ns, idx: &Idx<'s>) -> Option<u32> {
        match idx {
            Idx::Num(n, _) => Some(*n),
            Idx::Id(id) => self.spaces[ns as usize].names.get(id).copied(),
        }
    }
    fn resolve(&self, ns: Ns, idx: &mut Idx<'s>) -> R<u32> {
        match *idx {
            Idx::Num(n, _) => Ok(n),
            Idx::Id(id) => match self.spaces[ns as usize].names.get(&id) {
                Some(n) => {
                    *idx = Idx::Num(*n, idx.at());
                    Ok(*n)
                }
                None => Err(Error::new(
                    idx.at(),
                    format!(
                        "unknown {}: failed to find name `${}`",
                        ns.desc(),
                        id.name().unwrap_or("gensym")
                    ),
                )),
            },
        }
    }
    fn register_field(&mut self, f: &Field<'s>) -> R<()> {
        match f {
            Field::CoreModule { id, .. } => self.register(Ns::CoreModule, *id)?,
            Field::CoreInstance { id, .. } => self.register(Ns::CoreInstance, *id)?,
            Field::CoreType(t) => self.register(Ns::CoreType, t.id)?,
            Field::Component { id, .. } => self.register(Ns::Component, *id)?,
            Field::Instance { id, .. } => self.register(Ns::Instance, *id)?,
            Field::Alias(a) => self.register(a.ns(), a.id)?,
            Field::Type(t) => self.register(Ns::Type, t.id)?,
            Field::Canon { id, kind, .. } => match kind {
                Canon::Lift { .. } => self.register(Ns::Func, *id)?,
                _ => self.register(Ns::CoreFunc, *id)?,
            },
            Field::Start { results, .. } => {
                for r in results {
                    self.register(Ns::Value, *r)?;
                }
                0
            }
            Field::Import(_, sig) => self.register(sig.kind.ns(), sig.id)?,
            Field::Export { id, item, .. } => self.register(item.ns, *id)?,
            Field::Custom(..) => 0,
        };
        Ok(())
    }
    fn register_decl(&mut self, d: &Decl<'s>) -> R<()> {
        match d {
            Decl::CoreType(t) => self.register(Ns::CoreType, t.id)?,
            Decl::Type(t) => self.register(Ns::Type, t.id)?,
            Decl::Alias(a) => self.register(a.ns(), a.id)?,
            Decl::Import(_, s) | Decl::Export(_, s) => self.register(s.kind.ns(), s.id)?,
        };
        Ok(())
    }
    fn register_mod_decl(&mut self, d: &ModDecl<'s>) -> R<()> {
        match d {
            ModDecl::Type(id, ..) => {
                self.register(Ns::CoreType, *id)?;
            }
            ModDecl::Alias(a) => {
                self.register(a.ns(), a.id)?;
            }
            ModDecl::Import(..) | ModDecl::Export(..) => {}
        }
        Ok(())
    }
}

#[derive(PartialEq, Eq, Clone, Copy, Default)]
enum Phase {
    Expand,
    #[default]
    Resolve,
}

#[derive(Default)]
struct Resolver<'s> {
    stack: Vec<State<'s>>,
    phase: Phase,
    to_insert: Vec<Alias<'s>>,
    gen: u32,
}

trait FromAlias<'s> {
    fn from_alias(a: Alias<'s>) -> Self;
}
impl<'s> FromAlias<'s> for Field<'s> {
    fn from_alias(a: Alias<'s>) -> Self {
        Field::Alias(a)
    }
}
impl<'s> FromAlias<'s> for Decl<'s> {
    fn from_alias(a: Alias<'s>) -> Self {
        Decl::Alias(a)
    }
}
impl<'s> FromAlias<'s> for ModDecl<'s> {
    fn from_alias(a: Alias<'s>) -> Self {
        ModDecl::Alias(a)
    }
}

impl<'s> Resolver<'s> {
    fn cur(&mut self) -> &mut State<'s> {
        self.stack.last_mut().expect("a scope")
    }

    fn gen(&mut self) -> Id<'s> {
        self.gen += 1;
        Id::Gen((1 << 31) + self.gen)
    }

    fn fields(&mut self, id: Option<Id<'s>>, fields: &mut Vec<Field<'s>>) -> R<()> {
        self.group(id, fields, Self::field, State::register_field)
    }

    fn group<T: FromAlias<'s>>(
        &mut self,
        id: Option<Id<'s>>,
        items: &mut Vec<T>,
        process: fn(&mut Self, &mut T) -> R<()>,
        register: fn(&mut State<'s>, &T) -> R<()>,
    ) -> R<()> {
        if self.phase == Phase::Expand {
            return Ok(());
        }
        self.phase = Phase::Expand;
        let mut st = State::new(id);
        for it in items.iter() {
            register(&mut st, it)?;
        }
        self.stack.push(st);
        let mut i = 0;
        while i < items.len() {
            let r = process(self, &mut items[i]);
            if let Err(e) = r {
                self.stack.pop();
                self.phase = Phase::Resolve;
                self.to_insert.clear();
                return Err(e);
            }
            let n = self.to_insert.len();
            let new: Vec<T> = self.to_insert.drain(..).map(T::from_alias).collect();
            items.splice(i..i, new);
            i += n + 1;
        }
        self.stack.pop();
        self.phase = Phase::Resolve;
        let mut st = State::new(id);
        for it in items.iter() {
            register(&mut st, it)?;
        }
        self.stack.push(st);
        let mut r = Ok(());
        for it in items.iter_mut() {
            r = process(self, it);
            if r.is_err() {
                break;
            }
        }
        self.stack.pop();
        r
    }

    fn field(&mut self, f: &mut Field<'s>) -> R<()> {
        match f {
            Field::CoreModule { .. } | Field::Custom(..) => Ok(()),
            Field::CoreInstance { kind, .. } => match kind {
                CoreInst::Instantiate { module, args } => {
                    self.item_ref(module)?;
                    for (_, a) in args {
                        self.core_ref(a)?;
                    }
                    Ok(())
                }
                CoreInst::Exports(ex) => {
                    for (_, r) in ex {
                        self.core_ref(r)?;
                    }
                    Ok(())
                }
            },
            Field::CoreType(t) => self.core_type(t),
            Field::Component { id, fields, .. } => self.fields(*id, fields),
            Field::Instance { kind, .. } => match kind {
                Inst::Instantiate { component, args } => {
                    self.item_ref(component)?;
                    for (_, a) in args {
                        self.item_ref(a)?;
                    }
                    Ok(())
                }
                Inst::Exports(ex) => {
                    for (_, r) in ex {
                        self.item_ref(r)?;
                    }
                    Ok(())
                }
            },
            Field::Alias(a) => self.alias(a),
            Field::Type(t) => self.ty(t),
            Field::Canon { kind, .. } => self.canon(kind),
            Field::Start { func, args, .. } => {
                self.resolve_ns(func, Ns::Func)?;
                for a in args {
                    self.item_ref(a)?;
                }
                Ok(())
            }
            Field::Import(_, sig) => self.item_sig(sig),
            Field::Export { item, ty, .. } => {
                if let Some(t) = ty {
                    self.item_sig(t)?;
                }
                self.item_ref(item)
            }
        }
    }

    fn canon(&mut self, c: &mut Canon<'s>) -> R<()> {
        match c {
            Canon::Lift { ty, func, opts } => {
                self.item_ref(ty)?;
                self.core_ref(func)?;
                self.opts(opts)
            }
            Canon::Lower { func, opts } => {
                self.item_ref(func)?;
                self.opts(opts)
            }
            Canon::ResourceNew(t) | Canon::ResourceDrop(t) | Canon::ResourceRep(t) => {
                self.item_ref(t)
            }
            Canon::Builtin(b) => {
                let BuiltinCanon {
                    ty,
                    result,
                    opts,
                    memory,
                    indirect,
                    ..
                } = &mut **b;
                if let Some(t) = ty {
                    self.item_ref(t)?;
                }
                if let Some(v) = result {
                    self.val_ty(v)?;
                }
                if let Some(m) = memory {
                    self.core_ref(m)?;
                }
                if let Some((t, table)) = indirect {
                    self.core_ref(t)?;
                    self.core_ref(table)?;
                }
                self.opts(opts)
            }
        }
    }

    fn opts(&mut self, opts: &mut [Opt<'s>]) -> R<()> {
        for o in opts {
            match o {
                Opt::Memory(r) | Opt::Realloc(r) | Opt::PostReturn(r) | Opt::Callback(r) => {
                    self.core_ref(r)?
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn item_sig(&mut self, s: &mut ItemSig<'s>) -> R<()> {
        match &mut s.kind {
            SigKind::CoreModule(r) => self.core_ref(r),
            SigKind::Func(r) | SigKind::Component(r) | SigKind::Instance(r) => self.item_ref(r),
            SigKind::Value(v) => self.val_ty(v),
            SigKind::TypeEq(i) => self.resolve_ns(i, Ns::Type),
            SigKind::TypeSub => Ok(()),
        }
    }

    fn val_ty(&mut self, v: &mut ValTy<'s>) -> R<()> {
        match v {
            ValTy::Ref(i) => self.resolve_ns(i, Ns::Type),
            ValTy::Prim(_) => Ok(()),
        }
    }

    fn ty(&mut self, t: &mut TypeField<'s>) -> R<()> {
        match &mut t.def {
            TypeDef::Defined(d) => self.defined(d),
            TypeDef::Func(_, params, result) => {
                for (_, v) in params {
                    self.val_ty(v)?;
                }
                if let Some(r) = result {
                    self.val_ty(r)?;
                }
                Ok(())
            }
            TypeDef::Component(ds) => self.group(t.id, ds, Self::decl, State::register_decl),
            TypeDef::Instance(ds) => self.group(t.id, ds, Self::decl, State::register_decl),
            TypeDef::Resource(_, dtor) => match dtor {
                Some(r) => self.core_ref(r),
                None => Ok(()),
            },
        }
    }

    fn defined(&mut self, d: &mut Defined<'s>) -> R<()> {
        match d {
            Defined::Prim(_) | Defined::Flags(_) | Defined::Enum(_) => Ok(()),
            Defined::Record(fs) => {
                for (_, v) in fs {
                    self.val_ty(v)?;
                }
                Ok(())
            }
            Defined::Variant(cs) => {
                let mut seen = State::new(None);
                for (id, _, v) in cs {
                    if self.phase == Phase::Resolve {
                        seen.register(Ns::Value, *id).map_err(|e| {
                            Error::new(e.offset, "duplicate variant case identifier")
                        })?;
                    }
                    if let Some(v) = v {
                        self.val_ty(v)?;
                    }
                }
                Ok(())
            }
            Defined::List(v) | Defined::Option(v) | Defined::FixedList(v, _) => self.val_ty(v),
            Defined::Map(k, v) => {
                self.val_ty(k)?;
                self.val_ty(v)
            }
            Defined::Stream(v) | Defined::Future(v) => match v {
                Some(v) => self.val_ty(v),
                None => Ok(()),
            },
            Defined::Tuple(vs) => {
                for v in vs {
                    self.val_ty(v)?;
                }
                Ok(())
            }
            Defined::Result(a, b) => {
                if let Some(a) = a {
                    self.val_ty(a)?;
                }
                if let Some(b) = b {
                    self.val_ty(b)?;
                }
                Ok(())
            }
            Defined::Own(i) | Defined::Borrow(i) => self.resolve_ns(i, Ns::Type),
        }
    }

    fn decl(&mut self, d: &mut Decl<'s>) -> R<()> {
        match d {
            Decl::CoreType(t) => self.core_type(t),
            Decl::Type(t) => self.ty(t),
            Decl::Alias(a) => self.alias(a),
            Decl::Import(_, s) | Decl::Export(_, s) => self.item_sig(s),
        }
    }

    fn core_type(&mut self, t: &mut CoreTypeField<'s>) -> R<()> {
        match &mut t.def {
            CoreTypeDef::Func(..) => Ok(()),
            CoreTypeDef::Module(ds) => {
                self.group(t.id, ds, Self::mod_decl, State::register_mod_decl)
            }
        }
    }

    fn mod_decl(&mut self, d: &mut ModDecl<'s>) -> R<()> {
        match d {
            ModDecl::Alias(a) => self.alias(a),
            ModDecl::Type(..) => Ok(()),
            ModDecl::Import(_, _, e) | ModDecl::Export(_, e) => {
                if self.phase == Phase::Resolve {
                    if let Entity::Func(i) | Entity::Tag(i) = e {
                        let st = self.stack.last().expect("a scope");
                        st.resolve(Ns::CoreType, i).map_err(|e| {
                            Error::new(e.offset, e.message.replace("core type", "type"))
                        })?;
                    }
                }
                Ok(())
            }
        }
    }

    fn alias(&mut self, a: &mut Alias<'s>) -> R<()> {
        let alias_at = a.at;
        match &mut a.target {
            AliasTarget::Export { instance, .. } => self.resolve_ns(instance, Ns::Instance),
            AliasTarget::CoreExport { instance, .. } => self.resolve_ns(instance, Ns::CoreInstance),
            AliasTarget::Outer { outer, index, ns } => {
                if self.phase == Phase::Expand {
                    return Ok(());
                }
                if let (Idx::Num(..), Idx::Num(..)) = (&outer, &index) {
                    return Ok(());
                }
                let depth = match *outer {
                    Idx::Id(id) => {
                        let mut depth = 0;
                        for st in self.stack.iter().rev() {
                            if st.id == Some(id) {
                                break;
                            }
                            depth += 1;
                        }
                        if depth == self.stack.len() {
                            return Err(Error::new(
                                outer.at(),
                                format!("outer component `{}` not found", id.name().unwrap_or("")),
                            ));
                        }
                        depth as u32
                    }
                    Idx::Num(n, _) => n,
                };
                if depth as usize >= self.stack.len() {
                    return Err(Error::new(
                        alias_at,
                        format!("outer count of `{depth}` is too large"),
                    ));
                }
                *outer = Idx::Num(depth, outer.at());
                let k = self.stack.len() - 1 - depth as usize;
                self.stack[k].resolve(*ns, index)?;
                Ok(())
            }
        }
    }

    /// A core reference: an export name becomes a core export alias.
    fn core_ref(&mut self, r: &mut Ref<'s>) -> R<()> {
        if !r.core {
            return self.item_ref(r);
        }
        match self.phase {
            Phase::Expand => {
                let Some(name) = r.names.pop() else {
                    return self.resolve_ns(&mut r.idx, r.ns);
                };
                if !matches!(
                    r.ns,
                    Ns::CoreFunc | Ns::CoreTable | Ns::CoreGlobal | Ns::CoreMemory | Ns::CoreTag
                ) {
                    return Err(Error::new(
                        r.idx.at(),
                        "core instances cannot export this kind of item, so an export name cannot be used to resolve this reference",
                    ));
                }
                let g = self.gen();
                self.to_insert.push(Alias {
                    id: Some(g),
                    name: None,
                    target: AliasTarget::CoreExport {
                        instance: r.idx,
                        name,
                        ns: r.ns,
                    },
                    at: r.idx.at(),
                });
                r.idx = Idx::Id(g);
                Ok(())
            }
            Phase::Resolve => self.resolve_ns(&mut r.idx, r.ns),
        }
    }

    /// A component reference: export names become instance export aliases.
    fn item_ref(&mut self, r: &mut Ref<'s>) -> R<()> {
        if r.core {
            return self.core_ref(r);
        }
        if self.phase == Phase::Expand {
            let n = r.names.len();
            for (pos, name) in std::mem::take(&mut r.names).into_iter().enumerate() {
                let g = self.gen();
                self.to_insert.push(Alias {
                    id: Some(g),
                    name: None,
                    target: AliasTarget::Export {
                        instance: r.idx,
                        name,
                        ns: if pos == n - 1 { r.ns } else { Ns::Instance },
                    },
                    at: r.idx.at(),
                });
                r.idx = Idx::Id(g);
            }
        }
        self.resolve_ns(&mut r.idx, r.ns)
    }

    fn resolve_ns(&mut self, idx: &mut Idx<'s>, ns: Ns) -> R<()> {
        match self.phase {
            Phase::Expand => {
                let mut found = None;
                for (depth, st) in self.stack.iter().rev().enumerate() {
                    if let Some(i) = st.try_resolve(ns, idx) {
                        found = Some((depth, i));
                        break;
                    }
                }
                let Some((depth, i)) = found else {
                    return Ok(());
                };
                if depth == 0 {
                    return Ok(());
                }
                let at = idx.at();
                let Idx::Id(id) = *idx else {
                    unreachable!("numbers resolve at depth 0")
                };
                if !matches!(ns, Ns::CoreModule | Ns::CoreType | Ns::Type | Ns::Component) {
                    return Err(Error::new(
                        at,
                        format!(
                            "outer item `{}` is not a module, type, or component",
                            id.name().unwrap_or("")
                        ),
                    ));
                }
                let g = self.gen();
                let alias = Alias {
                    id: Some(g),
                    name: None,
                    target: AliasTarget::Outer {
                        outer: Idx::Num(depth as u32, at),
                        index: Idx::Num(i, at),
                        ns,
                    },
                    at,
                };
                self.cur().register(ns, Some(g))?;
                self.to_insert.push(alias);
                *idx = Idx::Id(g);
                Ok(())
            }
            Phase::Resolve => {
                self.cur().resolve(ns, idx)?;
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Encoding.

fn string(out: &mut Vec<u8>, s: &str) {
    encode::bytes(out, s.as_bytes());
}

fn extern_name_enc(out: &mut Vec<u8>, n: &ExternName) {
    let opts: Vec<(u8, &String)> = [
        (0u8, &n.implements),
        (1, &n.version_suffix),
        (2, &n.external_id),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    out.push(if opts.is_empty() { 0 } else { 2 });
    string(out, &n.name);
    if !opts.is_empty() {
        encode::u32(out, opts.len() as u32);
        for (k, v) in opts {
            out.push(k);
            string(out, v);
        }
    }
}

fn val_ty_enc(out: &mut Vec<u8>, v: &ValTy<'_>) {
    match v {
        ValTy::Prim(b) => out.push(*b),
        // A type index in a value type is an s33 (the negative bytes are
        // primitives), so 64 and up take two bytes.
        ValTy::Ref(i) => nanowasm_core::leb128::write_i64(out, i64::from(i.num())),
    }
}

fn opt_val_ty(out: &mut Vec<u8>, v: &Option<ValTy<'_>>) {
    match v {
        Some(v) => {
            out.push(1);
            val_ty_enc(out, v);
        }
        None => out.push(0),
    }
}

fn defined_enc(out: &mut Vec<u8>, d: &Defined<'_>) {
    match d {
        Defined::Prim(b) => out.push(*b),
        Defined::Record(fs) => {
            out.push(0x72);
            encode::u32(out, fs.len() as u32);
            for (n, t) in fs {
                string(out, n);
                val_ty_enc(out, t);
            }
        }
        Defined::Variant(cs) => {
            out.push(0x71);
            encode::u32(out, cs.len() as u32);
            for (_, n, t) in cs {
                string(out, n);
                opt_val_ty(out, t);
                out.push(0);
            }
        }
        Defined::List(t) => {
            out.push(0x70);
            val_ty_enc(out, t);
        }
        Defined::Stream(t) | Defined::Future(t) => {
            out.push(if matches!(d, Defined::Stream(_)) {
                0x66
            } else {
                0x65
            });
            opt_val_ty(out, t);
        }
        Defined::Map(k, v) => {
            out.push(0x63);
            val_ty_enc(out, k);
            val_ty_enc(out, v);
        }
        Defined::FixedList(t, n) => {
            out.push(0x67);
            val_ty_enc(out, t);
            encode::u32(out, *n);
        }
        Defined::Tuple(ts) => {
            out.push(0x6f);
            encode::u32(out, ts.len() as u32);
            for t in ts {
                val_ty_enc(out, t);
            }
        }
        Defined::Flags(ns) | Defined::Enum(ns) => {
            out.push(if matches!(d, Defined::Flags(_)) {
                0x6e
            } else {
                0x6d
            });
            encode::u32(out, ns.len() as u32);
            for n in ns {
                string(out, n);
            }
        }
        Defined::Option(t) => {
            out.push(0x6b);
            val_ty_enc(out, t);
        }
        Defined::Result(a, b) => {
            out.push(0x6a);
            opt_val_ty(out, a);
            opt_val_ty(out, b);
        }
        Defined::Own(i) => {
            out.push(0x69);
            encode::u32(out, i.num());
        }
        Defined::Borrow(i) => {
            out.push(0x68);
            encode::u32(out, i.num());
        }
    }
}

fn type_def_enc(out: &mut Vec<u8>, t: &TypeDef<'_>) {
    match t {
        TypeDef::Defined(d) => defined_enc(out, d),
        TypeDef::Func(is_async, params, result) => {
            out.push(if *is_async { 0x43 } else { 0x40 });
            encode::u32(out, params.len() as u32);
            for (n, t) in params {
                string(out, n);
                val_ty_enc(out, t);
            }
            match result {
                Some(t) => {
                    out.push(0);
                    val_ty_enc(out, t);
                }
                None => out.extend([1, 0]),
            }
        }
        TypeDef::Component(ds) | TypeDef::Instance(ds) => {
            out.push(if matches!(t, TypeDef::Component(_)) {
                0x41
            } else {
                0x42
            });
            encode::u32(out, ds.len() as u32);
            for d in ds {
                match d {
                    Decl::CoreType(c) => {
                        out.push(0);
                        core_type_enc(out, &c.def);
                    }
                    Decl::Type(t) => {
                        out.push(1);
                        type_def_enc(out, &t.def);
                    }
                    Decl::Alias(a) => {
                        out.push(2);
                        alias_enc(out, a);
                    }
                    Decl::Import(n, s) => {
                        out.push(3);
                        extern_name_enc(out, n);
                        sig_enc(out, s);
                    }
                    Decl::Export(n, s) => {
                        out.push(4);
                        extern_name_enc(out, n);
                        sig_enc(out, s);
                    }
                }
            }
        }
        TypeDef::Resource(rep, dtor) => {
            out.push(0x3f);
            encode::val_type(out, *rep);
            match dtor {
                Some(r) => {
                    out.push(1);
                    encode::u32(out, r.idx.num());
                }
                None => out.push(0),
            }
        }
    }
}

fn core_func_type_enc(out: &mut Vec<u8>, ps: &[ValType], rs: &[ValType]) {
    out.push(0x60);
    encode::u32(out, ps.len() as u32);
    for t in ps {
        encode::val_type(out, *t);
    }
    encode::u32(out, rs.len() as u32);
    for t in rs {
        encode::val_type(out, *t);
    }
}

fn entity_enc(out: &mut Vec<u8>, e: &Entity<'_>) {
    match e {
        Entity::Func(i) => {
            out.push(0);
            encode::u32(out, i.num());
        }
        Entity::Tag(i) => {
            out.extend([4, 0]);
            encode::u32(out, i.num());
        }
        Entity::Other(b) => out.extend_from_slice(b),
    }
}

fn core_type_enc(out: &mut Vec<u8>, t: &CoreTypeDef<'_>) {
    match t {
        CoreTypeDef::Func(ps, rs) => core_func_type_enc(out, ps, rs),
        CoreTypeDef::Module(ds) => {
            out.push(0x50);
            encode::u32(out, ds.len() as u32);
            for d in ds {
                match d {
                    ModDecl::Import(m, n, e) => {
                        out.push(0);
                        string(out, m);
                        string(out, n);
                        entity_enc(out, e);
                    }
                    ModDecl::Type(_, ps, rs) => {
                        out.push(1);
                        core_func_type_enc(out, ps, rs);
                    }
                    ModDecl::Alias(a) => {
                        let AliasTarget::Outer { outer, index, .. } = &a.target else {
                            unreachable!("module types only have outer aliases")
                        };
                        out.extend([2, 0x10, 1]);
                        encode::u32(out, outer.num());
                        encode::u32(out, index.num());
                    }
                    ModDecl::Export(n, e) => {
                        out.push(3);
                        string(out, n);
                        entity_enc(out, e);
                    }
                }
            }
        }
    }
}

fn alias_enc(out: &mut Vec<u8>, a: &Alias<'_>) {
    match &a.target {
        AliasTarget::Export { instance, name, ns } => {
            ns.sort(out);
            out.push(0);
            encode::u32(out, instance.num());
            string(out, name);
        }
        AliasTarget::CoreExport { instance, name, ns } => {
            out.extend([0, ns.core_kind(), 1]);
            encode::u32(out, instance.num());
            string(out, name);
        }
        AliasTarget::Outer { outer, index, ns } => {
            ns.sort(out);
            out.push(2);
            encode::u32(out, outer.num());
            encode::u32(out, index.num());
        }
    }
}

fn sig_enc(out: &mut Vec<u8>, s: &ItemSig<'_>) {
    match &s.kind {
        SigKind::CoreModule(r) => {
            out.extend([0, 0x11]);
            encode::u32(out, r.idx.num());
        }
        SigKind::Func(r) => {
            out.push(1);
            encode::u32(out, r.idx.num());
        }
        SigKind::Value(v) => {
            out.push(2);
            val_ty_enc(out, v);
        }
        SigKind::TypeEq(i) => {
            out.extend([3, 0]);
            encode::u32(out, i.num());
        }
        SigKind::TypeSub => out.extend([3, 1]),
        SigKind::Component(r) => {
            out.push(4);
            encode::u32(out, r.idx.num());
        }
        SigKind::Instance(r) => {
            out.push(5);
            encode::u32(out, r.idx.num());
        }
    }
}

fn opts_enc(out: &mut Vec<u8>, opts: &[Opt<'_>]) {
    encode::u32(out, opts.len() as u32);
    for o in opts {
        match o {
            Opt::Utf8 => out.push(0),
            Opt::Utf16 => out.push(1),
            Opt::Latin1Utf16 => out.push(2),
            Opt::Memory(r) => {
                out.push(3);
                encode::u32(out, r.idx.num());
            }
            Opt::Realloc(r) => {
                out.push(4);
                encode::u32(out, r.idx.num());
            }
            Opt::PostReturn(r) => {
                out.push(5);
                encode::u32(out, r.idx.num());
            }
            Opt::Async => out.push(6),
            Opt::Callback(r) => {
                out.push(7);
                encode::u32(out, r.idx.num());
            }
        }
    }
}

struct Encoder<'a> {
    out: Vec<u8>,
    cur: Option<u8>,
    buf: Vec<u8>,
    count: u32,
    names: [Vec<Option<&'a str>>; NS_COUNT],
}

fn name_of<'a>(id: &Option<Id<'a>>, name: &'a Option<String>) -> Option<&'a str> {
    name.as_deref().or_else(|| id.and_then(Id::name))
}

impl<'a> Encoder<'a> {
    fn flush(&mut self, id: Option<u8>) {
        if self.cur == id {
            return;
        }
        if let Some(s) = self.cur {
            let mut body = Vec::new();
            encode::u32(&mut body, self.count);
            body.extend_from_slice(&self.buf);
            encode::section(&mut self.out, s, &body);
            self.buf.clear();
            self.count = 0;
        }
        self.cur = id;
    }
    fn item(&mut self, section: u8) -> &mut Vec<u8> {
        self.flush(Some(section));
        self.count += 1;
        &mut self.buf
    }
    fn name(&mut self, ns: Ns, n: Option<&'a str>) {
        self.names[ns as usize].push(n);
    }
}

fn encode_component<'a>(
    id: Option<Id<'a>>,
    name: Option<&'a str>,
    fields: &'a [Field<'a>],
) -> Vec<u8> {
    let mut e = Encoder {
        out: b"\0asm\x0d\0\x01\0".to_vec(),
        cur: None,
        buf: Vec::new(),
        count: 0,
        names: Default::default(),
    };
    for f in fields {
        match f {
            Field::CoreModule { id, name, bytes } => {
                e.flush(None);
                e.name(Ns::CoreModule, name_of(id, name));
                encode::section(&mut e.out, 1, bytes);
            }
            Field::CoreInstance { id, name, kind } => {
                e.name(Ns::CoreInstance, name_of(id, name));
                let b = e.item(2);
                match kind {
                    CoreInst::Instantiate { module, args } => {
                        b.push(0);
                        encode::u32(b, module.idx.num());
                        encode::u32(b, args.len() as u32);
                        for (n, r) in args {
                            string(b, n);
                            b.push(0x12);
                            encode::u32(b, r.idx.num());
                        }
                    }
                    CoreInst::Exports(ex) => {
                        b.push(1);
                        encode::u32(b, ex.len() as u32);
                        for (n, r) in ex {
                            string(b, n);
                            b.push(r.ns.core_kind());
                            encode::u32(b, r.idx.num());
                        }
                    }
                }
            }
            Field::CoreType(t) => {
                e.name(Ns::CoreType, name_of(&t.id, &t.name));
                core_type_enc(e.item(3), &t.def);
            }
            Field::Component { id, name, fields } => {
                e.name(Ns::Component, name_of(id, name));
                e.flush(None);
                let nested = encode_component(*id, name.as_deref(), fields);
                encode::section(&mut e.out, 4, &nested);
            }
            Field::Instance { id, name, kind } => {
                e.name(Ns::Instance, name_of(id, name));
                let b = e.item(5);
                match kind {
                    Inst::Instantiate { component, args } => {
                        b.push(0);
                        encode::u32(b, component.idx.num());
                        encode::u32(b, args.len() as u32);
                        for (n, r) in args {
                            string(b, n);
                            r.ns.sort(b);
                            encode::u32(b, r.idx.num());
                        }
                    }
                    Inst::Exports(ex) => {
                        b.push(1);
                        encode::u32(b, ex.len() as u32);
                        for (n, r) in ex {
                            extern_name_enc(b, n);
                            r.ns.sort(b);
                            encode::u32(b, r.idx.num());
                        }
                    }
                }
            }
            Field::Alias(a) => {
                alias_enc(e.item(6), a);
                e.name(a.ns(), name_of(&a.id, &a.name));
            }
            Field::Type(t) => {
                e.name(Ns::Type, name_of(&t.id, &t.name));
                type_def_enc(e.item(7), &t.def);
            }
            Field::Canon { id, name, kind } => {
                let b = e.item(8);
                let ns = match kind {
                    Canon::Lift { ty, func, opts } => {
                        b.extend([0, 0]);
                        encode::u32(b, func.idx.num());
                        opts_enc(b, opts);
                        encode::u32(b, ty.idx.num());
                        Ns::Func
                    }
                    Canon::Lower { func, opts } => {
                        b.extend([1, 0]);
                        encode::u32(b, func.idx.num());
                        opts_enc(b, opts);
                        Ns::CoreFunc
                    }
                    Canon::ResourceNew(t) | Canon::ResourceDrop(t) | Canon::ResourceRep(t) => {
                        b.push(match kind {
                            Canon::ResourceNew(_) => 2,
                            Canon::ResourceDrop(_) => 3,
                            _ => 4,
                        });
                        encode::u32(b, t.idx.num());
                        Ns::CoreFunc
                    }
                    Canon::Builtin(bc) => {
                        let BuiltinCanon {
                            code,
                            ty,
                            result,
                            opts,
                            memory,
                            flag,
                            context,
                            indirect,
                        } = &**bc;
                        b.push(*code);
                        match code {
                            0x09 => {
                                match result {
                                    Some(v) => {
                                        b.push(0);
                                        val_ty_enc(b, v);
                                    }
                                    None => b.extend([1, 0]),
                                }
                                opts_enc(b, opts);
                            }
                            0x0a | 0x0b => {
                                let (t, slot) = context.unwrap_or((0x7f, 0));
                                b.push(t);
                                encode::u32(b, slot);
                            }
                            0x06 => b.push(*flag as u8),
                            0x0e..=0x1b => {
                                encode::u32(b, ty.as_ref().map_or(0, |t| t.idx.num()));
                                match code {
                                    0x0f | 0x10 | 0x16 | 0x17 => opts_enc(b, opts),
                                    0x11 | 0x12 | 0x18 | 0x19 => b.push(*flag as u8),
                                    _ => {}
                                }
                            }
                            0x1c | 0x1d => opts_enc(b, opts),
                            0x20 | 0x21 => {
                                b.push(*flag as u8);
                                encode::u32(b, memory.as_ref().map_or(0, |m| m.idx.num()));
                            }
                            0x0c | 0x29..=0x2d => b.push(*flag as u8),
                            0x27 => {
                                if let Some((t, table)) = indirect {
                                    encode::u32(b, t.idx.num());
                                    encode::u32(b, table.idx.num());
                                }
                            }
                            _ => {}
                        }
                        Ns::CoreFunc
                    }
                };
                e.name(ns, name_of(id, name));
            }
            Field::Start {
                func,
                args,
                results,
            } => {
                e.flush(None);
                let mut b = Vec::new();
                encode::u32(&mut b, func.num());
                encode::u32(&mut b, args.len() as u32);
                for a in args {
                    encode::u32(&mut b, a.idx.num());
                }
                encode::u32(&mut b, results.len() as u32);
                encode::section(&mut e.out, 9, &b);
            }
            Field::Import(n, s) => {
                e.name(s.kind.ns(), name_of(&s.id, &s.name));
                let b = e.item(10);
                extern_name_enc(b, n);
                sig_enc(b, s);
            }
            Field::Export {
                id,
                name,
                ext,
                item,
                ty,
            } => {
                let b = e.item(11);
                extern_name_enc(b, ext);
                item.ns.sort(b);
                encode::u32(b, item.idx.num());
                match ty {
                    Some(s) => {
                        b.push(1);
                        sig_enc(b, s);
                    }
                    None => b.push(0),
                }
                e.name(item.ns, name_of(id, name));
            }
            Field::Custom(n, data) => {
                e.flush(None);
                let mut b = Vec::new();
                string(&mut b, n);
                b.extend_from_slice(data);
                encode::section(&mut e.out, 0, &b);
            }
        }
    }
    e.flush(None);
    // The `component-name` section.
    let mut names = Vec::new();
    if let Some(n) = name.or_else(|| id.and_then(Id::name)) {
        names.push(0);
        let mut b = Vec::new();
        string(&mut b, n);
        encode::bytes(&mut names, &b);
    }
    let order = [
        Ns::CoreFunc,
        Ns::CoreTable,
        Ns::CoreMemory,
        Ns::CoreGlobal,
        Ns::CoreTag,
        Ns::CoreType,
        Ns::CoreModule,
        Ns::CoreInstance,
        Ns::Func,
        Ns::Value,
        Ns::Type,
        Ns::Component,
        Ns::Instance,
    ];
    for ns in order {
        let list = &e.names[ns as usize];
        let entries: Vec<(usize, &str)> = list
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.map(|n| (i, n)))
            .collect();
        if entries.is_empty() {
            continue;
        }
        let mut b = Vec::new();
        ns.sort(&mut b);
        encode::u32(&mut b, entries.len() as u32);
        for (i, n) in entries {
            encode::u32(&mut b, i as u32);
            string(&mut b, n);
        }
        names.push(1);
        encode::bytes(&mut names, &b);
    }
    if !names.is_empty() {
        let mut b = Vec::new();
        string(&mut b, "component-name");
        b.extend_from_slice(&names);
        encode::section(&mut e.out, 0, &b);
    }
    e.out
}
