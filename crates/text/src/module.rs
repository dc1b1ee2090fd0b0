//! Text modules, lowered directly to the binary format.
//!
//! Two passes over the module's fields: the first assigns every named
//! entity its index (so fields may refer to names defined later, types
//! included) and notes where the type definitions are, which are then
//! parsed (`(type ...)` and `(rec ...)`: function, struct and array types,
//! subtypes, and their field names); the second encodes each field into its
//! section, adding the implicit types of type uses as it meets them, and
//! finally the sections are assembled in binary order.

use std::borrow::Cow;
use std::collections::HashMap;

use nanowasm_core::{
    leb128, CompositeType, FieldType, FuncType, HeapType, ImmKind, Opcode, RefType, Sig,
    StorageType, ValType, MAX_CONCRETE_INDEX,
};

use crate::encode;
use crate::error::Error;
use crate::lexer::TokenKind;
use crate::num;
use crate::parser::Parser;

#[derive(Default)]
struct Names<'s> {
    map: HashMap<&'s str, u32>,
    count: u32,
}

impl<'s> Names<'s> {
    fn add(&mut self, id: Option<&'s str>, kind: &str, at: usize) -> Result<u32, Error> {
        let idx = self.count;
        if let Some(id) = id {
            if self.map.insert(id, idx).is_some() {
                return Err(Error::new(at, format!("duplicate {kind} ${id}")));
            }
        }
        self.count += 1;
        Ok(idx)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Space {
    Type,
    Func,
    Table,
    Memory,
    Global,
    Elem,
    Data,
    Tag,
}

impl Space {
    fn what(self) -> &'static str {
        match self {
            Space::Type => "type",
            Space::Func => "function",
            Space::Table => "table",
            Space::Memory => "memory",
            Space::Global => "global",
            Space::Elem => "elem segment",
            Space::Data => "data segment",
            Space::Tag => "tag",
        }
    }
}

/// A defined type as the text gives it: its supertypes are a list (the
/// text allows several, which validation refuses), and a type is final
/// unless `(sub ...)` without `final` says otherwise.
struct TypeDef {
    is_final: bool,
    parents: Vec<u32>,
    composite: CompositeType,
}

impl TypeDef {
    fn func(&self) -> Option<&FuncType> {
        self.composite.as_func()
    }
}

/// One entry of the type section: a type on its own, or a recursion group
/// `(rec ...)` (encoded as one even if it has one type, or none), as the
/// indices of its types.
#[derive(Clone, Copy)]
struct TypeEntry {
    rec: bool,
    start: u32,
    len: u32,
}

/// The text of a function type for matching implicit type uses, as the
/// `wat` crate compares them: each value type with the `$id` its heap type
/// was written with, if any (so `(ref $t)` and `(ref 0)` differ even when
/// `$t` is type 0), parameters then results.
#[derive(Clone, PartialEq, Eq, Hash)]
struct FuncKey<'s> {
    params: Vec<(ValType, Option<&'s str>)>,
    results: Vec<(ValType, Option<&'s str>)>,
}

/// A name in the name section: an `$identifier`, or the text of an
/// `(@name "...")` annotation, which the `wat` crate writes instead of the
/// identifier.
type NameText<'s> = Cow<'s, str>;

/// A name map (a name section subsection): names by index.
type NameMap<'s> = Vec<(u32, NameText<'s>)>;

/// The name of a definition in the name section: its `@name` annotation,
/// else its identifier.
fn name_of<'s>(id: Option<&'s str>, annot: Option<&str>) -> Option<NameText<'s>> {
    match annot {
        Some(a) => Some(Cow::Owned(a.to_owned())),
        None => id.map(Cow::Borrowed),
    }
}

/// A parameter or a local: its identifier, its `@name` annotation and its
/// type.
struct Param<'s> {
    id: Option<&'s str>,
    annot: Option<String>,
    ty: ValType,
}

impl<'s> Param<'s> {
    fn unnamed(ty: ValType) -> Self {
        Param {
            id: None,
            annot: None,
            ty,
        }
    }

    fn name(&self) -> Option<NameText<'s>> {
        name_of(self.id, self.annot.as_deref())
    }
}

/// The names of `params` by position.
fn param_names<'s>(params: &[Param<'s>]) -> NameMap<'s> {
    params
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.name().map(|n| (i as u32, n)))
        .collect()
}

/// A parsed `(param ...)* (result ...)*`.
struct FuncSig<'s> {
    /// The parameters, with their names.
    params: Vec<Param<'s>>,
    results: Vec<ValType>,
    /// The `$id` of the heap type of each parameter then each result (see
    /// [`FuncKey`]).
    ids: Vec<Option<&'s str>>,
}

impl<'s> FuncSig<'s> {
    fn is_empty(&self) -> bool {
        self.params.is_empty() && self.results.is_empty()
    }

    fn param_types(&self) -> Vec<ValType> {
        self.params.iter().map(|p| p.ty).collect()
    }

    fn func_type(&self) -> FuncType {
        FuncType::new(self.param_types(), self.results.iter().copied())
    }

    fn key(&self) -> FuncKey<'s> {
        let n = self.params.len();
        FuncKey {
            params: self
                .params
                .iter()
                .zip(&self.ids)
                .map(|(p, id)| (p.ty, *id))
                .collect(),
            results: self
                .results
                .iter()
                .zip(&self.ids[n..])
                .map(|(t, id)| (*t, *id))
                .collect(),
        }
    }

    /// The parameters' names, by position.
    fn names(&self) -> NameMap<'s> {
        param_names(&self.params)
    }
}

struct Module<'s> {
    types: Vec<TypeDef>,
    /// The type section's entries, in order.
    type_entries: Vec<TypeEntry>,
    /// Where each `(type ...)` and `(rec ...)` field is (token positions),
    /// from the first pass, for [`types_pass`].
    type_fields: Vec<usize>,
    /// The function type of each defined `(type (func ...))` outside a
    /// `rec`, and each implicit type, by its text: the first one's index,
    /// which a type use without `(type x)` refers to.
    func_keys: HashMap<FuncKey<'s>, u32>,
    /// Named fields of struct types, by type index.
    fields: HashMap<u32, Names<'s>>,
    /// Field names by struct type (the name section's subsection 10).
    field_names: Vec<(u32, NameMap<'s>)>,
    /// Parameter names of function types (subsection 12).
    type_param_names: Vec<(u32, NameMap<'s>)>,
    names: [Names<'s>; 8],
    /// Names of locals per function (for the name section), by function index.
    func_names: Vec<(u32, &'s str)>,
    local_names: Vec<(u32, NameMap<'s>)>,
    /// Names of the locals of functions whose type use has no inline
    /// signature: by function, its type, and the names by position after
    /// the parameters, which the type gives once every type is known (the
    /// `wat` crate drops them if it is not a function type).
    later_local_names: Vec<(u32, u32, NameMap<'s>)>,
    label_names: Vec<(u32, NameMap<'s>)>,
    // Section bodies (without their counts) and counts.
    imports: (Vec<u8>, u32),
    funcs: (Vec<u8>, u32),
    tables: (Vec<u8>, u32),
    memories: (Vec<u8>, u32),
    globals: (Vec<u8>, u32),
    /// The tag section (exception handling).
    tags: (Vec<u8>, u32),
    exports: (Vec<u8>, u32),
    start: Option<u32>,
    elems: (Vec<u8>, u32),
    code: (Vec<u8>, u32),
    datas: (Vec<u8>, u32),
    uses_data_count: bool,
    /// `(@custom "name" place? "data"*)`: where, name, contents.
    customs: Vec<(Place, Vec<u8>, Vec<u8>)>,
    /// Names of the parameters of defined tags with an inline signature,
    /// by tag index (the name section's subsection 13, as the `wat` crate
    /// writes it).
    tag_param_names: Vec<(u32, NameMap<'s>)>,
    /// `(@name "...")` of the module, first among its fields.
    module_annot: Option<String>,
    /// `(@name "...")` of definitions, by index space then index: their
    /// names in the name section instead of their identifiers.
    annots: [Vec<(u32, String)>; 8],
    /// Branch hints (`@metadata.code.branch_hint`), by function: each
    /// hinted instruction's offset in the body and the hint.
    branch_hints: Vec<(u32, Vec<(u32, u8)>)>,
}

/// Where a custom section goes, relative to the known sections.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    BeforeFirst,
    Before(u8),
    After(u8),
    AfterLast,
}

/// Section ids by their names in custom-section placements.
fn section_id(name: &str) -> Option<u8> {
    Some(match name {
        "type" => 1,
        "import" => 2,
        "func" => 3,
        "table" => 4,
        "memory" => 5,
        "global" => 6,
        "export" => 7,
        "start" => 8,
        "elem" => 9,
        "code" => 10,
        "data" => 11,
        "datacount" => 12,
        "tag" => 13,
        _ => return None,
    })
}

/// `(@custom "name" (before|after section|first|last)? "data"*)`, after
/// its head.
fn custom_section(p: &mut Parser<'_, '_>, m: &mut Module<'_>) -> Result<(), Error> {
    let name = p.string()?;
    let mut place = Place::AfterLast;
    if p.peek_lparen() {
        let at = p.offset();
        p.open()?;
        let which = p.atom()?;
        let target = p.atom()?;
        place = match (which, target) {
            ("before", "first") => Place::BeforeFirst,
            ("after", "last") => Place::AfterLast,
            ("before", s) => {
                Place::Before(section_id(s).ok_or_else(|| Error::new(at, "malformed section id"))?)
            }
            ("after", s) => {
                Place::After(section_id(s).ok_or_else(|| Error::new(at, "malformed section id"))?)
            }
            _ => return Err(Error::new(at, "malformed custom section placement")),
        };
        p.close()?;
    }
    let mut data = Vec::new();
    while p.peek_string() {
        data.extend(p.string()?);
    }
    m.customs.push((place, name, data));
    Ok(())
}

fn space_index(s: Space) -> usize {
    s as usize
}

/// Parses the rest of `(module ...)` up to its closing `)` and encodes it:
/// `$id? (@name "...")?` then `binary "..."*` or the module's fields.
pub fn parse_module_body(p: &mut Parser<'_, '_>) -> Result<Vec<u8>, Error> {
    module_body(p, true).map_err(|e| misplaced_name(p, e))
}

/// Parses a bare list of module fields (a module without `(module ...)`,
/// which the `wat` crate gives no `(@name "...")`) up to the end or a
/// closing `)`, and encodes it.
pub fn parse_module_fields(p: &mut Parser<'_, '_>) -> Result<Vec<u8>, Error> {
    module_body(p, false).map_err(|e| misplaced_name(p, e))
}

/// An error at a `(@name ...)` annotation that nothing expected there (so
/// that the grammar rule at it failed, whatever it expected) is reported
/// as a misplaced annotation, or a duplicate one if it follows another:
/// `@name` is only accepted where the `wat` crate accepts it, after the
/// identifier (if any) of a definition.
fn misplaced_name(p: &Parser<'_, '_>, e: Error) -> Error {
    if e.message.contains("@name annotation") {
        return e;
    }
    let tokens = p.tokens;
    let Ok(i) = tokens.binary_search_by_key(&e.offset, |t| t.offset) else {
        return e;
    };
    let is_name =
        |k: usize| matches!(tokens.get(k).map(|t| &t.kind), Some(TokenKind::Atom(a)) if *a == NAME);
    let is_lparen = |k: usize| matches!(tokens.get(k).map(|t| &t.kind), Some(TokenKind::LParen));
    let start = if is_lparen(i) && is_name(i + 1) {
        i
    } else if i > 0 && is_lparen(i - 1) && is_name(i) {
        i - 1
    } else {
        return e;
    };
    // Right after `(@name "...")`?
    let duplicate = start >= 4
        && is_lparen(start - 4)
        && is_name(start - 3)
        && matches!(tokens[start - 2].kind, TokenKind::String(_))
        && matches!(tokens[start - 1].kind, TokenKind::RParen);
    let message = if duplicate {
        "duplicate @name annotation"
    } else {
        "misplaced @name annotation"
    };
    Error::new(tokens[start].offset, message)
}

/// The rest of `(core module $id? (export "x")* ...)` in a component, after
/// its inline exports: the module's fields, encoded with `id` as its name.
pub fn parse_module_body_named<'s>(
    p: &mut Parser<'s, '_>,
    id: Option<&'s str>,
) -> Result<Vec<u8>, Error> {
    module_body_as(p, true, Some(id)).map_err(|e| misplaced_name(p, e))
}

/// [`parse_module_body`] (`wrapped`) or [`parse_module_fields`].
fn module_body(p: &mut Parser<'_, '_>, wrapped: bool) -> Result<Vec<u8>, Error> {
    module_body_as(p, wrapped, None)
}

/// [`module_body`], with the module's `$id` already read (`preset`).
fn module_body_as<'s>(
    p: &mut Parser<'s, '_>,
    wrapped: bool,
    preset: Option<Option<&'s str>>,
) -> Result<Vec<u8>, Error> {
    let module_name = match preset {
        Some(id) => id,
        None => p.opt_id(),
    };
    // `binary` may follow a module name too.
    let save = p.pos;
    if wrapped {
        name_annot(p)?;
    }
    if p.eat_keyword("binary") {
        let mut out = Vec::new();
        while p.peek_string() {
            out.extend(p.string()?);
        }
        return Ok(out);
    }
    p.pos = save;
    let start = p.pos;
    let mut m = Module {
        types: Vec::new(),
        type_entries: Vec::new(),
        type_fields: Vec::new(),
        func_keys: HashMap::new(),
        fields: HashMap::new(),
        field_names: Vec::new(),
        type_param_names: Vec::new(),
        names: Default::default(),
        func_names: Vec::new(),
        local_names: Vec::new(),
        later_local_names: Vec::new(),
        label_names: Vec::new(),
        imports: Default::default(),
        funcs: Default::default(),
        tables: Default::default(),
        memories: Default::default(),
        globals: Default::default(),
        tags: Default::default(),
        exports: Default::default(),
        start: None,
        elems: Default::default(),
        code: Default::default(),
        datas: Default::default(),
        uses_data_count: false,
        customs: Vec::new(),
        branch_hints: Vec::new(),
        module_annot: None,
        annots: Default::default(),
        tag_param_names: Vec::new(),
    };
    first_pass(p, &mut m)?;
    types_pass(p, &mut m)?;
    p.pos = start;
    second_pass(p, &mut m, wrapped)?;
    let module_name = m.module_annot.as_deref().or(module_name);
    Ok(assemble(&m, module_name))
}

fn import_names(p: &mut Parser<'_, '_>) -> Result<Option<(String, String)>, Error> {
    if p.eat_list("import")? {
        let module = p.name()?;
        let name = p.name()?;
        p.close()?;
        Ok(Some((module, name)))
    } else {
        Ok(None)
    }
}

fn skip_exports(p: &mut Parser<'_, '_>) -> Result<(), Error> {
    while p.peek_list("export") {
        p.skip_item()?;
    }
    Ok(())
}

fn first_pass<'s>(p: &mut Parser<'s, '_>, m: &mut Module<'s>) -> Result<(), Error> {
    let mut seen_definition: Option<&'static str> = None;
    while p.peek_lparen() {
        let at = p.offset();
        let Some(head) = p.peek_list_head() else {
            return Err(p.error("expected a module field"));
        };
        let field_start = p.pos;
        p.open()?;
        p.pos += 1;
        match head {
            "type" => {
                let id = p.opt_id();
                m.names[space_index(Space::Type)].add(id, "type", at)?;
                m.type_fields.push(field_start);
            }
            "rec" => {
                m.type_fields.push(field_start);
                while p.peek_list("type") {
                    let at = p.offset();
                    let item = p.pos;
                    p.open()?;
                    p.pos += 1;
                    let id = p.opt_id();
                    m.names[space_index(Space::Type)].add(id, "type", at)?;
                    p.pos = item;
                    p.skip_item()?;
                }
            }
            "import" => {
                if let Some(kind) = seen_definition {
                    return Err(Error::new(at, format!("import after {kind}")));
                }
                p.name()?;
                p.name()?;
                let desc_at = p.offset();
                let Some(kind) = p.peek_list_head() else {
                    return Err(p.error("expected an import description"));
                };
                p.open()?;
                p.pos += 1;
                let id = p.opt_id();
                let space = match kind {
                    "func" => Space::Func,
                    "table" => Space::Table,
                    "memory" => Space::Memory,
                    "global" => Space::Global,
                    "tag" => Space::Tag,
                    _ => return Err(Error::new(desc_at, "unexpected token")),
                };
                m.names[space_index(space)].add(id, space.what(), desc_at)?;
            }
            "func" | "table" | "memory" | "global" | "tag" => {
                let id = p.opt_id();
                name_annot(p)?;
                skip_exports(p)?;
                let imported = p.peek_list("import");
                if imported {
                    if let Some(kind) = seen_definition {
                        return Err(Error::new(at, format!("import after {kind}")));
                    }
                } else {
                    seen_definition = Some(match head {
                        "func" => "function",
                        "table" => "table",
                        "memory" => "memory",
                        "tag" => "tag",
                        _ => "global",
                    });
                }
                let space = match head {
                    "func" => Space::Func,
                    "table" => Space::Table,
                    "memory" => Space::Memory,
                    "tag" => Space::Tag,
                    _ => Space::Global,
                };
                m.names[space_index(space)].add(id, space.what(), at)?;
                if head == "table" && !imported {
                    // `(table i64? reftype (elem ...))` defines an elem segment.
                    let save = p.pos;
                    addr_type(p);
                    if peek_ref_type(p) {
                        p.skip_item()?;
                        if p.peek_list("elem") {
                            m.names[space_index(Space::Elem)].add(None, "elem", at)?;
                        }
                    }
                    p.pos = save;
                }
                if head == "memory" && !imported {
                    // `(memory i64? (data ...))` defines a data segment.
                    if past_addr_type(p, |p| p.peek_list("data")) {
                        m.names[space_index(Space::Data)].add(None, "data", at)?;
                    }
                }
            }
            "elem" => {
                let id = p.opt_id();
                m.names[space_index(Space::Elem)].add(id, "elem segment", at)?;
            }
            "data" => {
                let id = p.opt_id();
                m.names[space_index(Space::Data)].add(id, "data segment", at)?;
            }
            "export" | "start" | "@custom" | BRANCH_HINT | NAME => {}
            _ => return Err(Error::new(at, format!("unknown module field `{head}`"))),
        }
        p.pos = field_start;
        p.skip_item()?;
    }
    if !p.peek_rparen() && !p.is_done() {
        return Err(p.error("unexpected token"));
    }
    Ok(())
}

/// `(param ...)* (result ...)*`, with parameter names if `names`; type
/// names are those of `types`.
fn func_sig<'s>(
    p: &mut Parser<'s, '_>,
    types: &Names<'s>,
    names: bool,
) -> Result<FuncSig<'s>, Error> {
    let mut sig = FuncSig {
        params: Vec::new(),
        results: Vec::new(),
        ids: Vec::new(),
    };
    while p.eat_list("param")? {
        // `(param $id? (@name "...")? type)` names one parameter; `@name`
        // only where names are (as the `wat` crate parses it).
        let id = p.opt_id();
        if id.is_some() && !names {
            return Err(p.error("unexpected identifier"));
        }
        let annot = if names { name_annot(p)? } else { None };
        if id.is_some() || annot.is_some() {
            let (ty, h) = val_type_id(p, types)?;
            sig.params.push(Param { id, annot, ty });
            sig.ids.push(h);
        } else {
            while !p.peek_rparen() {
                let (t, h) = val_type_id(p, types)?;
                sig.params.push(Param::unnamed(t));
                sig.ids.push(h);
            }
        }
        p.close()?;
    }
    while p.eat_list("result")? {
        while !p.peek_rparen() {
            let (t, h) = val_type_id(p, types)?;
            sig.results.push(t);
            sig.ids.push(h);
        }
        p.close()?;
    }
    if p.peek_list("param") {
        return Err(p.error("unexpected token: params after results"));
    }
    Ok(sig)
}

/// A value type; type names are those of `types`.
fn val_type<'s>(p: &mut Parser<'s, '_>, types: &Names<'s>) -> Result<ValType, Error> {
    Ok(val_type_id(p, types)?.0)
}

/// A value type and the `$id` its heap type is written with, if any.
fn val_type_id<'s>(
    p: &mut Parser<'s, '_>,
    types: &Names<'s>,
) -> Result<(ValType, Option<&'s str>), Error> {
    if p.peek_list("ref") {
        let (r, id) = ref_type_id(p, types)?;
        return Ok((ValType::Ref(r), id));
    }
    let at = p.offset();
    let a = p.atom()?;
    Ok((
        match a {
            "i32" => ValType::I32,
            "i64" => ValType::I64,
            "f32" => ValType::F32,
            "f64" => ValType::F64,
            "v128" => ValType::V128,
            other => match ref_shorthand(other) {
                Some(r) => ValType::Ref(r),
                None => {
                    return Err(Error::new(
                        at,
                        format!("unexpected token `{other}`, expected a value type"),
                    ))
                }
            },
        },
        None,
    ))
}

/// The reference type a shorthand keyword (`funcref`, `anyref`,
/// `nullref`, ...) stands for.
fn ref_shorthand(a: &str) -> Option<RefType> {
    let heap = match a {
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
        _ => return None,
    };
    Some(RefType::new(true, heap))
}

/// The abstract heap type named `a`.
fn abstract_heap_type(a: &str) -> Option<HeapType> {
    Some(match a {
        "func" => HeapType::Func,
        "extern" => HeapType::Extern,
        "exn" => HeapType::Exn,
        "any" => HeapType::Any,
        "eq" => HeapType::Eq,
        "i31" => HeapType::I31,
        "struct" => HeapType::Struct,
        "array" => HeapType::Array,
        "none" => HeapType::None,
        "nofunc" => HeapType::NoFunc,
        "noextern" => HeapType::NoExtern,
        "noexn" => HeapType::NoExn,
        _ => return None,
    })
}

/// Whether a reference type starts at the cursor: a shorthand keyword or
/// `(ref ...)`.
fn peek_ref_type(p: &Parser<'_, '_>) -> bool {
    p.peek_atom().is_some_and(|a| ref_shorthand(a).is_some()) || p.peek_list("ref")
}

/// A reference type: a shorthand (`funcref`, `anyref`, ...) or
/// `(ref null? heaptype)`.
fn ref_type<'s>(p: &mut Parser<'s, '_>, types: &Names<'s>) -> Result<RefType, Error> {
    Ok(ref_type_id(p, types)?.0)
}

/// A reference type and the `$id` its heap type is written with, if any.
fn ref_type_id<'s>(
    p: &mut Parser<'s, '_>,
    types: &Names<'s>,
) -> Result<(RefType, Option<&'s str>), Error> {
    if p.eat_list("ref")? {
        let nullable = p.eat_keyword("null");
        let (heap, id) = heap_type_id(p, types)?;
        p.close()?;
        return Ok((RefType::new(nullable, heap), id));
    }
    let at = p.offset();
    match p.peek_atom().and_then(ref_shorthand) {
        Some(r) => {
            p.pos += 1;
            Ok((r, None))
        }
        None => Err(Error::new(
            at,
            "unexpected token, expected a reference type",
        )),
    }
}

/// A heap type: an abstract one (`func`, `any`, `none`, ...) or a type
/// index, with the `$id` it is written with, if any.
fn heap_type_id<'s>(
    p: &mut Parser<'s, '_>,
    types: &Names<'s>,
) -> Result<(HeapType, Option<&'s str>), Error> {
    let at = p.offset();
    let id = match p.peek() {
        Some(TokenKind::Id(id)) => Some(*id),
        _ => None,
    };
    if Module::peek_index(p) {
        let i = lookup(p, types, Space::Type)?;
        if i > MAX_CONCRETE_INDEX {
            return Err(Error::new(at, "type index out of range"));
        }
        return Ok((HeapType::Concrete(i), id));
    }
    match p.peek_atom().and_then(abstract_heap_type) {
        Some(h) => {
            p.pos += 1;
            Ok((h, None))
        }
        None => Err(Error::new(at, "unexpected token, expected a heap type")),
    }
}

/// A storage type: `i8`, `i16` or a value type.
fn storage_type<'s>(p: &mut Parser<'s, '_>, types: &Names<'s>) -> Result<StorageType, Error> {
    if p.peek_atom().is_none() && !p.peek_list("ref") {
        return Err(
            p.error("unexpected token, expected a storage type (`i8`, `i16` or a value type)")
        );
    }
    if p.eat_keyword("i8") {
        Ok(StorageType::I8)
    } else if p.eat_keyword("i16") {
        Ok(StorageType::I16)
    } else {
        Ok(StorageType::Val(val_type(p, types)?))
    }
}

/// A field type: a storage type, or `(mut storagetype)`.
fn field_type<'s>(p: &mut Parser<'s, '_>, types: &Names<'s>) -> Result<FieldType, Error> {
    if p.eat_list("mut")? {
        let storage = storage_type(p, types)?;
        p.close()?;
        Ok(FieldType {
            storage,
            mutable: true,
        })
    } else {
        Ok(FieldType {
            storage: storage_type(p, types)?,
            mutable: false,
        })
    }
}

/// The index `$id` or number at the cursor names in `names`.
fn lookup(p: &mut Parser<'_, '_>, names: &Names<'_>, space: Space) -> Result<u32, Error> {
    let at = p.offset();
    match p.peek() {
        Some(TokenKind::Id(id)) => {
            p.pos += 1;
            names
                .map
                .get(id)
                .copied()
                .ok_or_else(|| Error::new(at, format!("unknown {} ${id}", space.what())))
        }
        Some(TokenKind::Atom(_)) => u32_atom(p),
        _ => Err(Error::new(at, format!("expected a {} index", space.what()))),
    }
}

/// Parses the type definitions, `(type ...)` and `(rec ...)`, whose places
/// the first pass found (every type's name is known by then, so types may
/// refer to later ones), in order.
fn types_pass<'s>(p: &mut Parser<'s, '_>, m: &mut Module<'s>) -> Result<(), Error> {
    for k in 0..m.type_fields.len() {
        p.pos = m.type_fields[k];
        p.open()?;
        let start = m.types.len() as u32;
        if p.eat_keyword("rec") {
            while !p.peek_rparen() {
                p.open()?;
                p.keyword("type")?;
                type_def(p, m, false)?;
                p.close()?;
            }
            let len = m.types.len() as u32 - start;
            m.type_entries.push(TypeEntry {
                rec: true,
                start,
                len,
            });
        } else {
            p.keyword("type")?;
            type_def(p, m, true)?;
            m.type_entries.push(TypeEntry {
                rec: false,
                start,
                len: 1,
            });
        }
        p.close()?;
    }
    Ok(())
}

/// A type definition after `type`: `$id? (sub final? x* comptype)` or
/// `$id? comptype`. Only a function type outside a `rec` group is one that
/// a type use without `(type x)` may refer to (`top_level`), as the `wat`
/// crate decides.
fn type_def<'s>(p: &mut Parser<'s, '_>, m: &mut Module<'s>, top_level: bool) -> Result<(), Error> {
    let idx = m.types.len() as u32;
    p.opt_id();
    if let Some(name) = name_annot(p)? {
        m.annots[space_index(Space::Type)].push((idx, name));
    }
    p.open()?;
    let sub = p.eat_keyword("sub");
    let (is_final, parents) = if sub {
        let is_final = p.eat_keyword("final");
        let mut parents = Vec::new();
        while Module::peek_index(p) {
            parents.push(m.index(p, Space::Type)?);
        }
        p.open()?;
        (is_final, parents)
    } else {
        (true, Vec::new())
    };
    let types = &m.names[space_index(Space::Type)];
    let at = p.offset();
    let composite = match p.atom()? {
        "func" => {
            let sig = func_sig(p, types, true)?;
            let names = sig.names();
            if !names.is_empty() {
                m.type_param_names.push((idx, names));
            }
            if top_level {
                m.func_keys.entry(sig.key()).or_insert(idx);
            }
            CompositeType::Func(sig.func_type())
        }
        "struct" => {
            let mut fields = Vec::new();
            let mut named: NameMap<'s> = Vec::new();
            let mut ids = Names::default();
            while p.eat_list("field")? {
                // `(field $id? (@name "...")? fieldtype)` names one field.
                let at = p.offset();
                let id = p.opt_id();
                let annot = name_annot(p)?;
                if id.is_some() || annot.is_some() {
                    let i = fields.len() as u32;
                    if let Some(id) = id {
                        if ids.map.insert(id, i).is_some() {
                            return Err(Error::new(at, format!("duplicate field ${id}")));
                        }
                    }
                    named.extend(name_of(id, annot.as_deref()).map(|n| (i, n)));
                    fields.push(field_type(p, types)?);
                } else {
                    while !p.peek_rparen() {
                        fields.push(field_type(p, types)?);
                    }
                }
                p.close()?;
            }
            if !p.peek_rparen() {
                return Err(p.error("unexpected token, expected `(field ...)`"));
            }
            if !ids.map.is_empty() {
                m.fields.insert(idx, ids);
            }
            if !named.is_empty() {
                m.field_names.push((idx, named));
            }
            CompositeType::Struct(fields.into())
        }
        "array" => CompositeType::Array(field_type(p, types)?),
        other => {
            return Err(Error::new(
                at,
                format!("unexpected token `{other}`, expected `func`, `struct` or `array`"),
            ))
        }
    };
    p.close()?;
    if sub {
        p.close()?;
    }
    m.types.push(TypeDef {
        is_final,
        parents,
        composite,
    });
    Ok(())
}

fn u32_atom(p: &mut Parser<'_, '_>) -> Result<u32, Error> {
    let at = p.offset();
    let a = p.atom()?;
    num::u32_lit(a).ok_or_else(|| Error::new(at, "i32 constant out of range"))
}

/// The offset expression of an inline segment: `i32.const 0` or, in a
/// 64-bit memory or table, `i64.const 0`.
fn zero_offset(is64: bool) -> [u8; 3] {
    [if is64 { 0x42 } else { 0x41 }, 0x00, 0x0b]
}

/// An optional address type (`i32` or `i64`, memory64) before a memory's
/// or table's limits: whether it is `i64`.
fn addr_type(p: &mut Parser<'_, '_>) -> bool {
    if p.eat_keyword("i64") {
        return true;
    }
    p.eat_keyword("i32");
    false
}

/// `look` at what follows an optional address type, consuming nothing.
fn past_addr_type<T>(p: &mut Parser<'_, '_>, look: impl FnOnce(&Parser<'_, '_>) -> T) -> T {
    let save = p.pos;
    addr_type(p);
    let r = look(p);
    p.pos = save;
    r
}

/// An unsigned 64-bit limit.
fn u64_atom(p: &mut Parser<'_, '_>) -> Result<u64, Error> {
    let at = p.offset();
    let a = p.atom()?;
    num::int(a, 64)
        .filter(|_| !a.starts_with(['+', '-']))
        .ok_or_else(|| Error::new(at, "i64 constant out of range"))
}

/// A memory's or table's address type and limits, encoded as the flags
/// byte and LEB128 numbers (u64, as Wasm 3.0 encodes every limit;
/// validation bounds a 32-bit one).
fn limits(p: &mut Parser<'_, '_>, out: &mut Vec<u8>) -> Result<(), Error> {
    let is64 = addr_type(p);
    let min = u64_atom(p)?;
    let max = if p
        .peek_atom()
        .is_some_and(|a| a.starts_with(|c: char| c.is_ascii_digit()))
    {
        Some(u64_atom(p)?)
    } else {
        None
    };
    out.push(u8::from(max.is_some()) | u8::from(is64) << 2);
    leb128::write_u64(out, min);
    if let Some(max) = max {
        leb128::write_u64(out, max);
    }
    Ok(())
}

fn global_type<'s>(
    p: &mut Parser<'s, '_>,
    types: &Names<'s>,
    out: &mut Vec<u8>,
) -> Result<ValType, Error> {
    if p.eat_list("mut")? {
        let t = val_type(p, types)?;
        p.close()?;
        encode::val_type(out, t);
        out.push(1);
        Ok(t)
    } else {
        let t = val_type(p, types)?;
        encode::val_type(out, t);
        out.push(0);
        Ok(t)
    }
}

impl<'s> Module<'s> {
    fn index(&self, p: &mut Parser<'s, '_>, space: Space) -> Result<u32, Error> {
        lookup(p, &self.names[space_index(space)], space)
    }

    /// The names of the type index space.
    fn type_names(&self) -> &Names<'s> {
        &self.names[space_index(Space::Type)]
    }

    fn peek_index(p: &Parser<'_, '_>) -> bool {
        match p.peek() {
            Some(TokenKind::Id(_)) => true,
            Some(TokenKind::Atom(a)) => a.starts_with(|c: char| c.is_ascii_digit()),
            _ => false,
        }
    }

    /// The index of the type that an inline signature without `(type x)`
    /// stands for: the first function type written the same way outside a
    /// `rec` group (see [`FuncKey`]), else a new one appended, as the `wat`
    /// crate decides.
    fn type_for(&mut self, sig: &FuncSig<'s>) -> u32 {
        let key = sig.key();
        if let Some(&i) = self.func_keys.get(&key) {
            return i;
        }
        let i = self.types.len() as u32;
        self.types.push(TypeDef {
            is_final: true,
            parents: Vec::new(),
            composite: CompositeType::Func(sig.func_type()),
        });
        self.type_entries.push(TypeEntry {
            rec: false,
            start: i,
            len: 1,
        });
        self.func_keys.insert(key, i);
        i
    }

    /// A type use: `(type x)?` then params and results. Returns the type
    /// index, the parameters (with names; those of the type, unnamed, if
    /// there is no inline signature) and whether the text gives them: an
    /// inline signature, or none and no `(type x)` either (whereas the type
    /// of `(type x)` alone may be unknown yet, or not a function type).
    fn type_use(
        &mut self,
        p: &mut Parser<'s, '_>,
        names: bool,
    ) -> Result<(u32, Vec<Param<'s>>, bool), Error> {
        let at = p.offset();
        let explicit = if p.eat_list("type")? {
            let i = self.index(p, Space::Type)?;
            p.close()?;
            Some(i)
        } else {
            None
        };
        let sig = func_sig(p, self.type_names(), names)?;
        let Some(i) = explicit else {
            let ty = self.type_for(&sig);
            return Ok((ty, sig.params, true));
        };
        match self.types.get(i as usize).map(TypeDef::func) {
            // Out of range. With an inline signature to check against, the
            // text itself is malformed; without one, encode it anyway and
            // the validator reports it as invalid, as for a binary module.
            None if !sig.is_empty() => Err(Error::new(at, "unknown type")),
            None => Ok((i, sig.params, false)),
            // Not a function type: likewise.
            Some(None) if !sig.is_empty() => Err(Error::new(
                at,
                "inline function type: the type is not a function type",
            )),
            Some(None) => Ok((i, Vec::new(), false)),
            Some(Some(ty)) if !sig.is_empty() => {
                if ty.params() != sig.param_types().as_slice() || ty.results() != sig.results {
                    return Err(Error::new(at, "inline function type"));
                }
                Ok((i, sig.params, true))
            }
            Some(Some(ty)) => Ok((
                i,
                ty.params().iter().map(|&t| Param::unnamed(t)).collect(),
                false,
            )),
        }
    }

    fn export_inline(&mut self, p: &mut Parser<'s, '_>, kind: u8, index: u32) -> Result<(), Error> {
        while p.eat_list("export")? {
            let name = p.name()?;
            p.close()?;
            encode::bytes(&mut self.exports.0, name.as_bytes());
            self.exports.0.push(kind);
            encode::u32(&mut self.exports.0, index);
            self.exports.1 += 1;
        }
        Ok(())
    }
}

/// Encodes the module's fields; `(@name "...")` may come first if
/// `named` (the module is written `(module ...)`).
fn second_pass<'s>(p: &mut Parser<'s, '_>, m: &mut Module<'s>, named: bool) -> Result<(), Error> {
    let mut counters = [0u32; 8];
    let mut next = |s: Space| {
        let i = counters[space_index(s)];
        counters[space_index(s)] += 1;
        i
    };
    let mut first = true;
    while p.peek_lparen() {
        let Some(head) = p.peek_list_head() else {
            return Err(p.error("expected a module field"));
        };
        let at = p.offset();
        if head == NAME {
            // The module's name: before every other field, once.
            let Some(name) = name_annot(p)? else {
                unreachable!("a list headed `@name`")
            };
            if m.module_annot.is_some() {
                return Err(Error::new(at, "@name annotation: multiple module names"));
            }
            if !first || !named {
                return Err(Error::new(at, "misplaced @name annotation"));
            }
            m.module_annot = Some(name);
            continue;
        }
        first = false;
        p.open()?;
        p.pos += 1;
        match head {
            // Parsed by `types_pass`.
            "type" | "rec" => {
                while !p.peek_rparen() {
                    p.skip_item()?;
                }
            }
            "import" => {
                let module = p.name()?;
                let name = p.name()?;
                let kind = p.peek_list_head().unwrap_or("");
                p.open()?;
                p.pos += 1;
                let id = p.opt_id();
                let space = match kind {
                    "func" => Space::Func,
                    "table" => Space::Table,
                    "memory" => Space::Memory,
                    "tag" => Space::Tag,
                    _ => Space::Global,
                };
                let idx = next(space);
                // `(@name "...")` names every kind of import here.
                if let Some(name) = name_annot(p)? {
                    m.annots[space_index(space)].push((idx, name));
                }
                let out = &mut Vec::new();
                encode::bytes(out, module.as_bytes());
                encode::bytes(out, name.as_bytes());
                match kind {
                    "func" => {
                        let (ty, params, _) = m.type_use(p, true)?;
                        out.push(0);
                        encode::u32(out, ty);
                        record_names(m, idx, id, &params);
                    }
                    "table" => {
                        out.push(1);
                        let mut lim = Vec::new();
                        limits(p, &mut lim)?;
                        let r = ref_type(p, m.type_names())?;
                        encode::ref_type(out, r);
                        out.extend(lim);
                    }
                    "memory" => {
                        out.push(2);
                        limits(p, out)?;
                    }
                    "tag" => {
                        let (ty, _, _) = m.type_use(p, true)?;
                        out.extend_from_slice(&[4, 0]);
                        encode::u32(out, ty);
                    }
                    _ => {
                        out.push(3);
                        global_type(p, m.type_names(), out)?;
                    }
                }
                p.close()?;
                m.imports.0.extend_from_slice(out);
                m.imports.1 += 1;
            }
            "func" => {
                let idx = next(Space::Func);
                let id = p.opt_id();
                if let Some(name) = name_annot(p)? {
                    m.annots[space_index(Space::Func)].push((idx, name));
                }
                m.export_inline(p, 0, idx)?;
                if let Some((module, name)) = import_names(p)? {
                    let (ty, params, _) = m.type_use(p, true)?;
                    encode::bytes(&mut m.imports.0, module.as_bytes());
                    encode::bytes(&mut m.imports.0, name.as_bytes());
                    m.imports.0.push(0);
                    encode::u32(&mut m.imports.0, ty);
                    m.imports.1 += 1;
                    record_names(m, idx, id, &params);
                } else {
                    func_body(p, m, idx, id)?;
                }
            }
            "table" => {
                let idx = next(Space::Table);
                p.opt_id();
                let annot = name_annot(p)?;
                m.export_inline(p, 1, idx)?;
                let import = import_names(p)?;
                // The `wat` crate drops the `@name` of an inline import
                // (of anything but a function).
                if import.is_none() {
                    m.annots[space_index(Space::Table)].extend(annot.map(|n| (idx, n)));
                }
                if let Some((module, name)) = import {
                    encode::bytes(&mut m.imports.0, module.as_bytes());
                    encode::bytes(&mut m.imports.0, name.as_bytes());
                    m.imports.0.push(1);
                    let mut lim = Vec::new();
                    limits(p, &mut lim)?;
                    let r = ref_type(p, m.type_names())?;
                    encode::ref_type(&mut m.imports.0, r);
                    m.imports.0.extend(lim);
                    m.imports.1 += 1;
                } else if past_addr_type(p, peek_ref_type) {
                    // Inline elements: `(table i64? reftype (elem ...))`.
                    let is64 = addr_type(p);
                    let r = ref_type(p, m.type_names())?;
                    p.open()?;
                    p.keyword("elem")?;
                    next(Space::Elem);
                    let mut items = Vec::new();
                    let mut n = 0u32;
                    // Function indices for another type than `funcref` are
                    // `ref.func` expressions (the only encoding of such a
                    // segment), as the `wat` crate writes them.
                    let indices = !p.peek_lparen();
                    let exprs = !indices || r != RefType::FUNCREF;
                    while !p.peek_rparen() {
                        if !indices {
                            elem_expr(p, m, &mut items)?;
                        } else {
                            let f = m.index(p, Space::Func)?;
                            if exprs {
                                items.push(0xd2);
                                encode::u32(&mut items, f);
                                items.push(0x0b);
                            } else {
                                encode::u32(&mut items, f);
                            }
                        }
                        n += 1;
                    }
                    p.close()?;
                    encode::ref_type(&mut m.tables.0, r);
                    m.tables.0.push(1 | u8::from(is64) << 2);
                    encode::u32(&mut m.tables.0, n);
                    encode::u32(&mut m.tables.0, n);
                    m.tables.1 += 1;
                    let e = &mut m.elems.0;
                    // Active, explicit table, at offset 0; expressions (6)
                    // or function indices (2).
                    e.push(if exprs { 6 } else { 2 });
                    encode::u32(e, idx);
                    e.extend_from_slice(&zero_offset(is64));
                    if exprs {
                        encode::ref_type(e, r);
                    } else {
                        e.push(0);
                    }
                    encode::u32(e, n);
                    e.extend(items);
                    m.elems.1 += 1;
                } else {
                    let mut lim = Vec::new();
                    limits(p, &mut lim)?;
                    let r = ref_type(p, m.type_names())?;
                    if p.peek_rparen() {
                        encode::ref_type(&mut m.tables.0, r);
                        m.tables.0.extend(lim);
                    } else {
                        // A table with an initializer (typed function
                        // references): `0x40 0x00 tabletype expr`.
                        let mut t = vec![0x40, 0x00];
                        encode::ref_type(&mut t, r);
                        t.extend(lim);
                        const_expr(p, m, &mut t)?;
                        m.tables.0.extend(t);
                    }
                    m.tables.1 += 1;
                }
            }
            "memory" => {
                let idx = next(Space::Memory);
                p.opt_id();
                let annot = name_annot(p)?;
                m.export_inline(p, 2, idx)?;
                let import = import_names(p)?;
                if import.is_none() {
                    m.annots[space_index(Space::Memory)].extend(annot.map(|n| (idx, n)));
                }
                if let Some((module, name)) = import {
                    encode::bytes(&mut m.imports.0, module.as_bytes());
                    encode::bytes(&mut m.imports.0, name.as_bytes());
                    m.imports.0.push(2);
                    limits(p, &mut m.imports.0)?;
                    m.imports.1 += 1;
                } else if past_addr_type(p, |p| p.peek_list("data")) {
                    let is64 = addr_type(p);
                    p.eat_list("data")?;
                    next(Space::Data);
                    let mut bytes = Vec::new();
                    while p.peek_string() {
                        bytes.extend(p.string()?);
                    }
                    p.close()?;
                    let pages = bytes.len().div_ceil(65536) as u32;
                    m.memories.0.push(1 | u8::from(is64) << 2);
                    encode::u32(&mut m.memories.0, pages);
                    encode::u32(&mut m.memories.0, pages);
                    m.memories.1 += 1;
                    let d = &mut m.datas.0;
                    if idx == 0 {
                        d.push(0);
                    } else {
                        d.push(2);
                        encode::u32(d, idx);
                    }
                    d.extend_from_slice(&zero_offset(is64));
                    encode::bytes(d, &bytes);
                    m.datas.1 += 1;
                } else {
                    limits(p, &mut m.memories.0)?;
                    m.memories.1 += 1;
                }
            }
            "global" => {
                let idx = next(Space::Global);
                p.opt_id();
                let annot = name_annot(p)?;
                m.export_inline(p, 3, idx)?;
                let import = import_names(p)?;
                if import.is_none() {
                    m.annots[space_index(Space::Global)].extend(annot.map(|n| (idx, n)));
                }
                if let Some((module, name)) = import {
                    encode::bytes(&mut m.imports.0, module.as_bytes());
                    encode::bytes(&mut m.imports.0, name.as_bytes());
                    m.imports.0.push(3);
                    global_type(p, &m.names[space_index(Space::Type)], &mut m.imports.0)?;
                    m.imports.1 += 1;
                } else {
                    let mut g = Vec::new();
                    global_type(p, m.type_names(), &mut g)?;
                    const_expr(p, m, &mut g)?;
                    m.globals.0.extend(g);
                    m.globals.1 += 1;
                }
            }
            "tag" => {
                let idx = next(Space::Tag);
                p.opt_id();
                let annot = name_annot(p)?;
                m.export_inline(p, 4, idx)?;
                let import = import_names(p)?;
                if import.is_none() {
                    m.annots[space_index(Space::Tag)].extend(annot.map(|n| (idx, n)));
                }
                // An inline signature's parameter names, as the `wat` crate
                // records them: for a defined tag only.
                let (ty, params, _) = m.type_use(p, true)?;
                if let Some((module, name)) = import {
                    encode::bytes(&mut m.imports.0, module.as_bytes());
                    encode::bytes(&mut m.imports.0, name.as_bytes());
                    m.imports.0.extend_from_slice(&[4, 0]);
                    encode::u32(&mut m.imports.0, ty);
                    m.imports.1 += 1;
                } else {
                    // The attribute 0 (an exception), then the type.
                    m.tags.0.push(0);
                    encode::u32(&mut m.tags.0, ty);
                    m.tags.1 += 1;
                    let named = param_names(&params);
                    if !named.is_empty() {
                        m.tag_param_names.push((idx, named));
                    }
                }
            }
            "export" => {
                let name = p.name()?;
                let at = p.offset();
                let kind = p.peek_list_head().unwrap_or("");
                p.open()?;
                p.pos += 1;
                let (byte, space) = match kind {
                    "func" => (0, Space::Func),
                    "table" => (1, Space::Table),
                    "memory" => (2, Space::Memory),
                    "global" => (3, Space::Global),
                    "tag" => (4, Space::Tag),
                    _ => return Err(Error::new(at, "unexpected token")),
                };
                let i = m.index(p, space)?;
                p.close()?;
                encode::bytes(&mut m.exports.0, name.as_bytes());
                m.exports.0.push(byte);
                encode::u32(&mut m.exports.0, i);
                m.exports.1 += 1;
            }
            "start" => {
                if m.start.is_some() {
                    return Err(p.error("multiple start sections"));
                }
                m.start = Some(m.index(p, Space::Func)?);
            }
            "elem" => {
                let idx = next(Space::Elem);
                p.opt_id();
                if let Some(name) = name_annot(p)? {
                    m.annots[space_index(Space::Elem)].push((idx, name));
                }
                elem_segment(p, m)?;
            }
            "data" => {
                let idx = next(Space::Data);
                p.opt_id();
                if let Some(name) = name_annot(p)? {
                    m.annots[space_index(Space::Data)].push((idx, name));
                }
                data_segment(p, m)?;
            }
            "@custom" => custom_section(p, m)?,
            BRANCH_HINT => {
                return Err(p.error("@metadata.code.branch_hint annotation: not in a function"))
            }
            _ => return Err(p.error("unknown module field")),
        }
        p.close()?;
    }
    Ok(())
}

/// Records the identifier of function `idx` and the names of its
/// parameters and locals, `locals` (by position).
fn record_names<'s>(m: &mut Module<'s>, idx: u32, id: Option<&'s str>, locals: &[Param<'s>]) {
    if let Some(id) = id {
        m.func_names.push((idx, id));
    }
    let named = param_names(locals);
    if !named.is_empty() {
        m.local_names.push((idx, named));
    }
}

fn const_expr<'s>(
    p: &mut Parser<'s, '_>,
    m: &mut Module<'s>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let mut f = FuncCtx::default();
    while !p.peek_rparen() {
        instr(p, m, &mut f, out)?;
    }
    out.push(0x0b);
    Ok(())
}

/// `(offset expr)` or a single folded instruction.
fn offset_expr<'s>(
    p: &mut Parser<'s, '_>,
    m: &mut Module<'s>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    if p.eat_list("offset")? {
        const_expr(p, m, out)?;
        p.close()
    } else {
        let mut f = FuncCtx::default();
        instr(p, m, &mut f, out)?;
        out.push(0x0b);
        Ok(())
    }
}

/// One element expression: `(item expr*)` or a folded instruction.
fn elem_expr<'s>(
    p: &mut Parser<'s, '_>,
    m: &mut Module<'s>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    if p.eat_list("item")? {
        const_expr(p, m, out)?;
        p.close()
    } else {
        let mut f = FuncCtx::default();
        instr(p, m, &mut f, out)?;
        out.push(0x0b);
        Ok(())
    }
}

/// An element segment after `elem $id? (@name "...")?`.
fn elem_segment<'s>(p: &mut Parser<'s, '_>, m: &mut Module<'s>) -> Result<(), Error> {
    enum Mode {
        Passive,
        Declared,
        Active(u32, Vec<u8>, bool),
    }
    let mode = if p.eat_keyword("declare") {
        Mode::Declared
    } else if p.peek_list("table")
        || p.peek_list("offset")
        || (p.peek_lparen() && !p.peek_list("item") && !p.peek_list("ref"))
    {
        let explicit = p.eat_list("table")?;
        let table = if explicit {
            let t = m.index(p, Space::Table)?;
            p.close()?;
            t
        } else {
            0
        };
        let mut off = Vec::new();
        offset_expr(p, m, &mut off)?;
        Mode::Active(table, off, explicit)
    } else {
        Mode::Passive
    };
    // Element list: `func idx*`, `reftype expr*`, or bare indices (legacy).
    let mut items = Vec::new();
    let mut n = 0u32;
    let (exprs, ty) = if peek_ref_type(p) {
        (true, ref_type(p, m.type_names())?)
    } else {
        p.eat_keyword("func");
        (false, RefType::FUNCREF)
    };
    while !p.peek_rparen() {
        if exprs {
            elem_expr(p, m, &mut items)?;
        } else {
            let f = m.index(p, Space::Func)?;
            encode::u32(&mut items, f);
        }
        n += 1;
    }
    let e = &mut m.elems.0;
    match (mode, exprs) {
        (Mode::Active(0, off, false), false) => {
            e.push(0);
            e.extend(off);
        }
        (Mode::Passive, false) => {
            e.push(1);
            e.push(0);
        }
        (Mode::Active(t, off, _), false) => {
            e.push(2);
            encode::u32(e, t);
            e.extend(off);
            e.push(0);
        }
        (Mode::Declared, false) => {
            e.push(3);
            e.push(0);
        }
        (Mode::Active(0, off, false), true) if ty == RefType::FUNCREF => {
            e.push(4);
            e.extend(off);
        }
        (Mode::Passive, true) => {
            e.push(5);
            encode::ref_type(e, ty);
        }
        (Mode::Active(t, off, _), true) => {
            e.push(6);
            encode::u32(e, t);
            e.extend(off);
            encode::ref_type(e, ty);
        }
        (Mode::Declared, true) => {
            e.push(7);
            encode::ref_type(e, ty);
        }
    }
    encode::u32(e, n);
    e.extend(items);
    m.elems.1 += 1;
    Ok(())
}

/// A data segment after `data $id? (@name "...")?`.
fn data_segment<'s>(p: &mut Parser<'s, '_>, m: &mut Module<'s>) -> Result<(), Error> {
    let mut seg = Vec::new();
    if p.peek_lparen() {
        let explicit = p.eat_list("memory")?;
        let mem = if explicit {
            let i = m.index(p, Space::Memory)?;
            p.close()?;
            i
        } else {
            0
        };
        if mem == 0 {
            seg.push(0);
        } else {
            seg.push(2);
            encode::u32(&mut seg, mem);
        }
        offset_expr(p, m, &mut seg)?;
    } else {
        seg.push(1);
    }
    let mut bytes = Vec::new();
    while p.peek_string() {
        bytes.extend(p.string()?);
    }
    encode::bytes(&mut seg, &bytes);
    m.datas.0.extend(seg);
    m.datas.1 += 1;
    Ok(())
}

#[derive(Default)]
struct FuncCtx<'s> {
    locals: HashMap<&'s str, u32>,
    labels: Vec<Option<&'s str>>,
    /// How many block instructions (`block`, `loop`, `if`, `try`,
    /// `try_table`) were seen: the next label's index in the name section.
    blocks: u32,
    /// Named labels by that index, for the name section.
    label_names: NameMap<'s>,
    /// The `@name` annotations of the folded `if`s whose condition is being
    /// parsed (those with one), innermost last: their labels count at
    /// `(then`, after the blocks of the condition.
    if_annots: Vec<String>,
    /// The blocks and folded instructions being parsed, innermost last.
    frames: Vec<Frame<'s>>,
    /// Encodings that wait for folded operands (see [`Frame`]).
    pending: Vec<u8>,
    /// The function's branch hints: offset in the body, hint.
    hints: Vec<(u32, u8)>,
    /// Whether this is a function body (not a constant expression): only
    /// a body's instructions make the `wat` crate write a data count
    /// section.
    body: bool,
}

impl<'s> FuncCtx<'s> {
    /// Enters a block labeled `label`, named `annot` in the name section
    /// (if it has an `@name` annotation, else by its label).
    fn push_label(&mut self, label: Option<&'s str>, annot: Option<String>) {
        if let Some(name) = name_of(label, annot.as_deref()) {
            self.label_names.push((self.blocks, name));
        }
        self.blocks += 1;
        self.labels.push(label);
    }
}

fn func_body<'s>(
    p: &mut Parser<'s, '_>,
    m: &mut Module<'s>,
    idx: u32,
    id: Option<&'s str>,
) -> Result<(), Error> {
    let (ty, mut params, inline) = m.type_use(p, true)?;
    encode::u32(&mut m.funcs.0, ty);
    m.funcs.1 += 1;
    let mut locals: Vec<Param<'s>> = Vec::new();
    while p.eat_list("local")? {
        // `(local $id? (@name "...")? type)` names one local.
        let lid = p.opt_id();
        let annot = name_annot(p)?;
        if lid.is_some() || annot.is_some() {
            let ty = val_type(p, m.type_names())?;
            locals.push(Param { id: lid, annot, ty });
        } else {
            while !p.peek_rparen() {
                locals.push(Param::unnamed(val_type(p, m.type_names())?));
            }
        }
        p.close()?;
    }
    let mut f = FuncCtx {
        body: true,
        ..FuncCtx::default()
    };
    for (i, local) in params.iter().chain(&locals).enumerate() {
        if let Some(n) = local.id {
            if f.locals.insert(n, i as u32).is_some() {
                return Err(p.error(format!("duplicate local ${n}")));
            }
        }
    }
    let mut body = Vec::new();
    // Locals, run-length encoded.
    let mut groups: Vec<(u32, ValType)> = Vec::new();
    for &Param { ty: t, .. } in &locals {
        match groups.last_mut() {
            Some((n, lt)) if *lt == t => *n += 1,
            _ => groups.push((1, t)),
        }
    }
    encode::u32(&mut body, groups.len() as u32);
    for (n, t) in groups {
        encode::u32(&mut body, n);
        encode::val_type(&mut body, t);
    }
    while !p.peek_rparen() {
        instr(p, m, &mut f, &mut body)?;
    }
    body.push(0x0b);
    encode::bytes(&mut m.code.0, &body);
    m.code.1 += 1;
    if inline {
        params.extend(locals);
        record_names(m, idx, id, &params);
    } else {
        // The locals' indices start after the parameters of the type,
        // which may be an implicit type added later.
        record_names(m, idx, id, &[]);
        let named = param_names(&locals);
        if !named.is_empty() {
            m.later_local_names.push((idx, ty, named));
        }
    }
    if !f.label_names.is_empty() {
        m.label_names
            .push((idx, std::mem::take(&mut f.label_names)));
    }
    if !f.hints.is_empty() {
        m.branch_hints.push((idx, std::mem::take(&mut f.hints)));
    }
    Ok(())
}

fn label_index(p: &mut Parser<'_, '_>, f: &FuncCtx<'_>) -> Result<u32, Error> {
    let at = p.offset();
    match p.peek() {
        Some(TokenKind::Id(id)) => {
            p.pos += 1;
            f.labels
                .iter()
                .rev()
                .position(|l| *l == Some(*id))
                .map(|d| d as u32)
                .ok_or_else(|| Error::new(at, format!("unknown label ${id}")))
        }
        _ => u32_atom(p),
    }
}

fn local_index(p: &mut Parser<'_, '_>, f: &FuncCtx<'_>) -> Result<u32, Error> {
    let at = p.offset();
    match p.peek() {
        Some(TokenKind::Id(id)) => {
            p.pos += 1;
            f.locals
                .get(id)
                .copied()
                .ok_or_else(|| Error::new(at, format!("unknown local ${id}")))
        }
        _ => u32_atom(p),
    }
}

/// A block type: empty, one result, or a type index (multi-value).
fn block_type<'s>(
    p: &mut Parser<'s, '_>,
    m: &mut Module<'s>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    if p.peek_list("type") {
        let (ty, _, _) = m.type_use(p, false)?;
        leb128::write_i64(out, i64::from(ty));
        return Ok(());
    }
    let sig = func_sig(p, m.type_names(), false)?;
    match (sig.params.len(), sig.results.as_slice()) {
        (0, []) => out.push(0x40),
        (0, [t]) => encode::val_type(out, *t),
        _ => {
            let ty = m.type_for(&sig);
            leb128::write_i64(out, i64::from(ty));
        }
    }
    Ok(())
}

fn natural_align(op: Opcode) -> u32 {
    match *op.sig() {
        Sig::Load(_, a) | Sig::Store(_, a) | Sig::LoadLane(a) | Sig::StoreLane(a) => u32::from(a),
        _ => 0,
    }
}

/// A memory argument (`offset=`, `align=`) of an access to memory `mem`:
/// the alignment's bit 6 says that a memory index other than 0 follows it.
fn memarg(p: &mut Parser<'_, '_>, op: Opcode, mem: u32, out: &mut Vec<u8>) -> Result<(), Error> {
    let mut offset: u64 = 0;
    let mut align: Option<u32> = None;
    if let Some(a) = p.peek_atom() {
        if let Some(v) = a.strip_prefix("offset=") {
            let at = p.offset();
            p.pos += 1;
            // Validation bounds the offset of a 32-bit memory's access.
            offset = num::int(v, 64)
                .filter(|_| !v.starts_with(['+', '-']))
                .ok_or_else(|| Error::new(at, "i64 constant out of range"))?;
        }
    }
    if let Some(a) = p.peek_atom() {
        if let Some(v) = a.strip_prefix("align=") {
            let at = p.offset();
            p.pos += 1;
            let n = num::u32_lit(v).ok_or_else(|| Error::new(at, "i32 constant out of range"))?;
            if !n.is_power_of_two() {
                return Err(Error::new(at, "alignment must be a power of two"));
            }
            align = Some(n.trailing_zeros());
        }
    }
    let align = align.unwrap_or_else(|| natural_align(op));
    if mem == 0 {
        encode::u32(out, align);
    } else {
        encode::u32(out, align | 0x40);
        encode::u32(out, mem);
    }
    leb128::write_u64(out, offset);
    Ok(())
}

fn lane_index(p: &mut Parser<'_, '_>) -> Result<u8, Error> {
    let at = p.offset();
    let a = p.atom()?;
    num::u32_lit(a)
        .and_then(|v| u8::try_from(v).ok())
        .ok_or_else(|| Error::new(at, "malformed lane index"))
}

fn v128_const(p: &mut Parser<'_, '_>, out: &mut Vec<u8>) -> Result<(), Error> {
    let at = p.offset();
    let shape = p.atom()?;
    let (lanes, bits) = match shape {
        "i8x16" => (16, 8),
        "i16x8" => (8, 16),
        "i32x4" | "f32x4" => (4, 32),
        "i64x2" | "f64x2" => (2, 64),
        _ => return Err(Error::new(at, "unexpected token, expected a vector shape")),
    };
    for _ in 0..lanes {
        let at = p.offset();
        let a = p
            .atom()
            .map_err(|_| Error::new(at, "wrong number of lane literals"))?;
        let v: u64 = match shape {
            "f32x4" => {
                u64::from(num::f32_bits(a).ok_or_else(|| Error::new(at, "constant out of range"))?)
            }
            "f64x2" => num::f64_bits(a).ok_or_else(|| Error::new(at, "constant out of range"))?,
            _ => num::int(a, bits).ok_or_else(|| Error::new(at, "constant out of range"))?,
        };
        out.extend_from_slice(&v.to_le_bytes()[..(bits / 8) as usize]);
    }
    Ok(())
}

/// Deepest nesting of instructions the text parser accepts: blocks, `if`s
/// and folded instructions inside one another.
///
/// The parser keeps its nesting on a heap stack, not the native stack (a
/// few dozen bytes a level, less than the tokens of the level take), so
/// this limit does not protect the stack: it is a plain bound on that heap
/// stack, reported at the instruction that crosses it. It is as deep as
/// blocks can nest in any function that an engine accepts: the JS API's
/// limit on a function body, shared by the web engines and by `wasmparser`
/// (so wasmtime), is 7,654,321 bytes, and each nested block takes at least 3
/// (`block`, its block type, `end`).
pub const MAX_NESTING: usize = 7_654_321 / 3;

/// A block or folded instruction being parsed. The parser keeps these on a
/// heap stack ([`FuncCtx::frames`]) instead of recursing, so that deep
/// nesting costs heap memory in proportion to the input, and no native
/// stack.
#[derive(Clone, Copy)]
enum Frame<'s> {
    /// `block` or `loop` ... `end`, with its label.
    Block(Option<&'s str>),
    /// `if` ... `else` ... `end`, with its label.
    If(Option<&'s str>),
    /// `(block ...)` or `(loop ...)`.
    FoldedBlock,
    /// `(if ...)` in its condition, before `(then`; the encoding of its
    /// block type waits in [`FuncCtx::pending`] from offset `bt`.
    FoldedIf {
        label: Option<&'s str>,
        /// Whether it has an `@name` annotation (in
        /// [`FuncCtx::if_annots`]).
        named: bool,
        bt: usize,
        hint: Option<u8>,
    },
    /// `(if ...)` in `(then ...)`.
    FoldedThen,
    /// `(if ...)` in `(else ...)`.
    FoldedElse,
    /// A folded plain instruction `(op imm* operand*)`: the operator's
    /// encoding waits in [`FuncCtx::pending`] from this offset until its
    /// operands are encoded.
    FoldedPlain { op: usize, hint: Option<u8> },
    /// Legacy exception handling: `try` ... `catch`/`catch_all` ... `end`
    /// (or `delegate`), with its label and the clause it is in.
    Try {
        label: Option<&'s str>,
        clause: TryClause,
    },
    /// `(try ...)` in `(do ...)`, `(catch ...)` or `(catch_all ...)`.
    FoldedTry(TryClause),
}

/// Where a legacy `try` is: its body, a `catch` or its `catch_all`. The
/// `try`'s label stays in scope in every clause (so `rethrow` can name it).
#[derive(Clone, Copy, PartialEq, Eq)]
enum TryClause {
    Body,
    Catch,
    CatchAll,
}

/// One instruction, plain or folded (its folded operands first), or a
/// whole block up to its `end`. Nesting goes on `f.frames`, not the native
/// stack; see [`MAX_NESTING`].
fn instr<'s>(
    p: &mut Parser<'s, '_>,
    m: &mut Module<'s>,
    f: &mut FuncCtx<'s>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let base = f.frames.len();
    loop {
        begin(p, m, f, out)?;
        // Close the frames whose end comes next, down to one that needs
        // another instruction.
        while f.frames.len() > base {
            if !resume(p, m, f, out)? {
                break;
            }
        }
        if f.frames.len() == base {
            return Ok(());
        }
    }
}

/// Pushes `frame` for an instruction at `at`, within [`MAX_NESTING`].
fn push_frame<'s>(f: &mut FuncCtx<'s>, at: usize, frame: Frame<'s>) -> Result<(), Error> {
    if f.frames.len() >= MAX_NESTING {
        return Err(Error::new(
            at,
            format!("nesting too deep: more than {MAX_NESTING} nested instructions"),
        ));
    }
    f.frames.push(frame);
    Ok(())
}

/// Starts the instruction at the cursor: a plain one is encoded whole, a
/// block or a folded one pushes its frame.
fn begin<'s>(
    p: &mut Parser<'s, '_>,
    m: &mut Module<'s>,
    f: &mut FuncCtx<'s>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let hint = branch_hint(p)?;
    let start = p.offset();
    let folded = p.peek_lparen();
    if folded {
        p.open()?;
    }
    let at = p.offset();
    let kw = p.atom()?;
    if hint.is_some() && kw != "if" && kw != "br_if" {
        return Err(Error::new(
            at,
            "@metadata.code.branch_hint annotation: invalid target",
        ));
    }
    match (folded, kw) {
        (_, "block" | "loop") => {
            let label = p.opt_id();
            let annot = name_annot(p)?;
            out.push(if kw == "block" { 0x02 } else { 0x03 });
            block_type(p, m, out)?;
            f.push_label(label, annot);
            let frame = if folded {
                Frame::FoldedBlock
            } else {
                Frame::Block(label)
            };
            push_frame(f, start, frame)
        }
        (false, "if") => {
            let label = p.opt_id();
            let annot = name_annot(p)?;
            hinted(f, hint, out);
            out.push(0x04);
            block_type(p, m, out)?;
            f.push_label(label, annot);
            push_frame(f, start, Frame::If(label))
        }
        (true, "if") => {
            // The block type is written after the condition.
            let label = p.opt_id();
            let annot = name_annot(p)?;
            let named = annot.is_some();
            f.if_annots.extend(annot);
            let bt = f.pending.len();
            block_type(p, m, &mut f.pending)?;
            push_frame(
                f,
                start,
                Frame::FoldedIf {
                    label,
                    named,
                    bt,
                    hint,
                },
            )
        }
        (_, "try_table") => {
            let label = p.opt_id();
            let annot = name_annot(p)?;
            out.push(0x1f);
            block_type(p, m, out)?;
            // The clauses' labels are resolved outside the `try_table`: its
            // own label is not in scope yet.
            catch_clauses(p, m, f, out)?;
            f.push_label(label, annot);
            let frame = if folded {
                Frame::FoldedBlock
            } else {
                Frame::Block(label)
            };
            push_frame(f, start, frame)
        }
        (_, "try") => {
            let label = p.opt_id();
            let annot = name_annot(p)?;
            out.push(0x06);
            block_type(p, m, out)?;
            f.push_label(label, annot);
            let frame = if folded {
                if !p.eat_list("do")? {
                    return Err(p.error("expected `(do` after the block type of `(try`"));
                }
                Frame::FoldedTry(TryClause::Body)
            } else {
                Frame::Try {
                    label,
                    clause: TryClause::Body,
                }
            };
            push_frame(f, start, frame)
        }
        (_, "catch" | "catch_all" | "delegate") => Err(Error::new(
            at,
            format!("unexpected token: `{kw}` outside a `try` block"),
        )),
        (false, "end" | "else" | "then") => Err(Error::new(at, "unexpected token")),
        (false, _) => {
            hinted(f, hint, out);
            plain(p, m, f, out, kw, at)
        }
        (true, _) => {
            // Operands first: the immediates wait in `pending` until the
            // folded operands are encoded.
            let op = f.pending.len();
            let mut pending = std::mem::take(&mut f.pending);
            let r = plain(p, m, f, &mut pending, kw, at);
            f.pending = pending;
            r?;
            push_frame(f, start, Frame::FoldedPlain { op, hint })
        }
    }
}

/// The name annotation, lexed as a list head.
const NAME: &str = "@name";

/// `(@name "...")` at the cursor, if there is one: its text, which must be
/// UTF-8.
fn name_annot(p: &mut Parser<'_, '_>) -> Result<Option<String>, Error> {
    if !p.peek_list(NAME) {
        return Ok(None);
    }
    p.open()?;
    p.pos += 1;
    let at = p.offset();
    let name = String::from_utf8(p.string()?)
        .map_err(|_| Error::new(at, "@name annotation: malformed UTF-8 encoding"))?;
    p.close()?;
    Ok(Some(name))
}

/// The name of the branch-hint annotation, lexed as a list head.
const BRANCH_HINT: &str = "@metadata.code.branch_hint";

/// A branch hint `(@metadata.code.branch_hint "\00"|"\01")` before the
/// instruction at the cursor (which must be an `if` or a `br_if`), if
/// there is one.
fn branch_hint(p: &mut Parser<'_, '_>) -> Result<Option<u8>, Error> {
    let mut hint = None;
    while p.peek_list(BRANCH_HINT) {
        let at = p.offset();
        p.open()?;
        p.pos += 1;
        let value = p.string()?;
        p.close()?;
        if hint.is_some() {
            return Err(Error::new(
                at,
                "@metadata.code.branch_hint annotation: duplicate annotation",
            ));
        }
        match value.as_slice() {
            [v @ (0 | 1)] => hint = Some(*v),
            _ => return Err(Error::new(
                at,
                "@metadata.code.branch_hint annotation: malformed hint (not \"\\00\" or \"\\01\")",
            )),
        }
    }
    Ok(hint)
}

/// Records `hint` for the instruction about to be written at the end of
/// `out` (the function body, from its locals).
fn hinted(f: &mut FuncCtx<'_>, hint: Option<u8>, out: &[u8]) {
    if let Some(h) = hint {
        f.hints.push((out.len() as u32, h));
    }
}

/// The catch clauses of a `try_table` (`(catch x l)`, `(catch_ref x l)`,
/// `(catch_all l)`, `(catch_all_ref l)`, in any order), encoded as their
/// vector. Their labels are resolved against `f`'s labels as they are,
/// outside the `try_table`.
fn catch_clauses<'s>(
    p: &mut Parser<'s, '_>,
    m: &Module<'s>,
    f: &FuncCtx<'s>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let mut clauses = Vec::new();
    let mut n = 0u32;
    loop {
        let kind = match p.peek_list_head() {
            Some("catch") => 0u8,
            Some("catch_ref") => 1,
            Some("catch_all") => 2,
            Some("catch_all_ref") => 3,
            _ => break,
        };
        p.open()?;
        p.pos += 1;
        clauses.push(kind);
        if kind < 2 {
            let tag = m.index(p, Space::Tag)?;
            encode::u32(&mut clauses, tag);
        }
        let label = label_index(p, f)?;
        encode::u32(&mut clauses, label);
        p.close()?;
        n += 1;
    }
    encode::u32(out, n);
    out.extend(clauses);
    Ok(())
}

/// A legacy `catch x` (after its keyword): the opcode and the tag.
fn legacy_catch<'s>(
    p: &mut Parser<'s, '_>,
    m: &Module<'s>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    out.push(0x07);
    let tag = m.index(p, Space::Tag)?;
    encode::u32(out, tag);
    Ok(())
}

/// `delegate l` (after its keyword) ends the innermost frame, a `try`
/// without clauses: its label leaves scope first, so `l` counts from the
/// labels outside the `try`.
fn delegate(p: &mut Parser<'_, '_>, f: &mut FuncCtx<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
    f.labels.pop();
    f.frames.pop();
    let label = label_index(p, f)?;
    out.push(0x18);
    encode::u32(out, label);
    Ok(())
}

/// Checks that clause `kw` of a legacy `try` may follow its current
/// `clause`: `catch` and `catch_all` not after `catch_all`, `delegate`
/// only right after the body.
fn try_clause(at: usize, kw: &str, clause: TryClause) -> Result<(), Error> {
    let misplaced = match kw {
        "delegate" => clause != TryClause::Body,
        _ => clause == TryClause::CatchAll,
    };
    if misplaced {
        let after = if clause == TryClause::CatchAll {
            "`catch_all`"
        } else {
            "`catch`"
        };
        return Err(Error::new(
            at,
            format!("unexpected token: `{kw}` after {after} in a `try` block"),
        ));
    }
    Ok(())
}

/// What may follow the innermost frame's contents so far: its end (the
/// frame is popped) or its next clause. `Ok(false)` when an instruction
/// comes next instead.
fn resume<'s>(
    p: &mut Parser<'s, '_>,
    m: &Module<'s>,
    f: &mut FuncCtx<'s>,
    out: &mut Vec<u8>,
) -> Result<bool, Error> {
    let Some(&frame) = f.frames.last() else {
        return Ok(false);
    };
    match frame {
        Frame::Block(label) => {
            if !p.eat_keyword("end") {
                return expect_end(p);
            }
            end_label(p, label)?;
        }
        Frame::If(label) => {
            if p.eat_keyword("else") {
                end_label(p, label)?;
                out.push(0x05);
                return Ok(true);
            }
            if !p.eat_keyword("end") {
                return expect_end(p);
            }
            end_label(p, label)?;
        }
        Frame::FoldedBlock => {
            if !p.peek_rparen() {
                return Ok(false);
            }
            p.close()?;
        }
        Frame::FoldedIf {
            label,
            named,
            bt,
            hint,
        } => {
            // The condition: folded instructions before `(then`.
            if p.peek_lparen() && !p.peek_list("then") {
                return Ok(false);
            }
            hinted(f, hint, out);
            out.push(0x04);
            out.extend_from_slice(&f.pending[bt..]);
            f.pending.truncate(bt);
            let annot = if named { f.if_annots.pop() } else { None };
            f.push_label(label, annot);
            if !p.eat_list("then")? {
                return Err(p.error("expected `(then`"));
            }
            set_top(f, Frame::FoldedThen);
            return Ok(true);
        }
        Frame::FoldedThen => {
            if !p.peek_rparen() {
                return Ok(false);
            }
            p.close()?;
            if p.eat_list("else")? {
                out.push(0x05);
                set_top(f, Frame::FoldedElse);
                return Ok(true);
            }
            p.close()?;
        }
        Frame::FoldedElse => {
            if !p.peek_rparen() {
                return Ok(false);
            }
            p.close()?;
            p.close()?;
        }
        Frame::FoldedPlain { op, hint } => {
            if !p.peek_rparen() {
                return Ok(false);
            }
            hinted(f, hint, out);
            out.extend_from_slice(&f.pending[op..]);
            f.pending.truncate(op);
            f.frames.pop();
            p.close()?;
            return Ok(true);
        }
        Frame::Try { label, clause } => {
            let at = p.offset();
            match p.peek_atom() {
                Some(kw @ ("catch" | "catch_all" | "delegate")) => {
                    try_clause(at, kw, clause)?;
                    p.pos += 1;
                    let clause = match kw {
                        "catch" => {
                            legacy_catch(p, m, out)?;
                            TryClause::Catch
                        }
                        "catch_all" => {
                            out.push(0x19);
                            TryClause::CatchAll
                        }
                        _ => {
                            delegate(p, f, out)?;
                            return Ok(true);
                        }
                    };
                    set_top(f, Frame::Try { label, clause });
                    return Ok(true);
                }
                Some("end") => {
                    p.pos += 1;
                    end_label(p, label)?;
                }
                _ => return expect_end(p),
            }
        }
        Frame::FoldedTry(clause) => {
            if !p.peek_rparen() {
                return Ok(false);
            }
            // The end of `(do ...)`, `(catch ...)` or `(catch_all ...)`.
            p.close()?;
            let at = p.offset();
            match p.peek_list_head() {
                Some(kw @ ("catch" | "catch_all" | "delegate")) => {
                    try_clause(at, kw, clause)?;
                    p.open()?;
                    p.pos += 1;
                    let clause = match kw {
                        "catch" => {
                            legacy_catch(p, m, out)?;
                            TryClause::Catch
                        }
                        "catch_all" => {
                            out.push(0x19);
                            TryClause::CatchAll
                        }
                        _ => {
                            delegate(p, f, out)?;
                            p.close()?;
                            p.close()?;
                            return Ok(true);
                        }
                    };
                    set_top(f, Frame::FoldedTry(clause));
                    return Ok(true);
                }
                _ if p.peek_rparen() => p.close()?,
                _ => {
                    return Err(Error::new(
                        at,
                        "unexpected token: expected `(catch`, `(catch_all`, `(delegate` or `)` in `(try`",
                    ))
                }
            }
        }
    }
    // A block, loop, if or try ended.
    f.labels.pop();
    f.frames.pop();
    out.push(0x0b);
    Ok(true)
}

/// Inside a flat block, before an instruction: `end` must not be missing.
fn expect_end(p: &Parser<'_, '_>) -> Result<bool, Error> {
    if p.is_done() || p.peek_rparen() {
        Err(p.error("expected `end`"))
    } else {
        Ok(false)
    }
}

/// Replaces the innermost frame.
fn set_top<'s>(f: &mut FuncCtx<'s>, frame: Frame<'s>) {
    if let Some(top) = f.frames.last_mut() {
        *top = frame;
    }
}

/// The optional label after `end`/`else` must repeat the block's label.
fn end_label(p: &mut Parser<'_, '_>, label: Option<&str>) -> Result<(), Error> {
    let at = p.offset();
    if let Some(id) = p.opt_id() {
        if label != Some(id) {
            return Err(Error::new(at, "mismatching label"));
        }
    }
    Ok(())
}

fn plain<'s>(
    p: &mut Parser<'s, '_>,
    m: &mut Module<'s>,
    f: &FuncCtx<'s>,
    out: &mut Vec<u8>,
    kw: &str,
    at: usize,
) -> Result<(), Error> {
    let Some(op) = Opcode::from_name(kw) else {
        return Err(Error::new(at, format!("unknown operator `{kw}`")));
    };
    if op == Opcode::Select && p.peek_list("result") {
        let sig = func_sig(p, m.type_names(), false)?;
        Opcode::SelectTyped.encode(out);
        encode::u32(out, sig.results.len() as u32);
        for t in sig.results {
            encode::val_type(out, t);
        }
        return Ok(());
    }
    // `ref.test` and `ref.cast` name one opcode for a nullable target type
    // and another for a non-nullable one.
    if op.imm() == ImmKind::HeapType {
        let r = ref_type(p, m.type_names())?;
        let op = match (op, r.nullable()) {
            (Opcode::RefTest, true) => Opcode::RefTestNull,
            (Opcode::RefCast, true) => Opcode::RefCastNull,
            (op, _) => op,
        };
        op.encode(out);
        encode::heap_type(out, r.heap());
        return Ok(());
    }
    op.encode(out);
    match op.imm() {
        ImmKind::None => {}
        ImmKind::BlockType => return Err(Error::new(at, "unexpected block instruction")),
        ImmKind::Label => {
            let l = label_index(p, f)?;
            encode::u32(out, l);
        }
        ImmKind::BrTable => {
            let mut targets = Vec::new();
            while matches!(p.peek(), Some(TokenKind::Id(_)))
                || p.peek_atom()
                    .is_some_and(|a| a.starts_with(|c: char| c.is_ascii_digit()))
            {
                targets.push(label_index(p, f)?);
            }
            let Some(default) = targets.pop() else {
                return Err(p.error("expected a label"));
            };
            encode::u32(out, targets.len() as u32);
            for t in targets {
                encode::u32(out, t);
            }
            encode::u32(out, default);
        }
        ImmKind::Func => {
            let i = m.index(p, Space::Func)?;
            encode::u32(out, i);
        }
        ImmKind::CallIndirect => {
            let table = if Module::peek_index(p) {
                m.index(p, Space::Table)?
            } else {
                0
            };
            let (ty, params, _) = m.type_use(p, false)?;
            if params.iter().any(|p| p.id.is_some()) {
                return Err(p.error("unexpected identifier"));
            }
            encode::u32(out, ty);
            encode::u32(out, table);
        }
        ImmKind::Local => {
            let i = local_index(p, f)?;
            encode::u32(out, i);
        }
        ImmKind::Global => {
            let i = m.index(p, Space::Global)?;
            encode::u32(out, i);
        }
        ImmKind::Table => {
            let i = if Module::peek_index(p) {
                m.index(p, Space::Table)?
            } else {
                0
            };
            encode::u32(out, i);
        }
        ImmKind::Memory => {
            let i = m.opt_memory(p)?;
            encode::u32(out, i);
        }
        ImmKind::MemArg => {
            let mem = m.opt_memory(p)?;
            memarg(p, op, mem, out)?;
        }
        ImmKind::MemArgLane => {
            // `memory? memarg lane`: a name is a memory; a number is one only
            // if something other than the lane follows (a number or the
            // memarg), since the lane is a number too.
            let mem = match (p.peek(), p.peek_at(1)) {
                (Some(TokenKind::Id(_)), _) => m.opt_memory(p)?,
                (Some(TokenKind::Atom(a)), Some(TokenKind::Atom(b)))
                    if a.starts_with(|c: char| c.is_ascii_digit())
                        && (b.starts_with(|c: char| c.is_ascii_digit())
                            || b.starts_with("offset=")
                            || b.starts_with("align=")) =>
                {
                    m.opt_memory(p)?
                }
                _ => 0,
            };
            memarg(p, op, mem, out)?;
            out.push(lane_index(p)?);
        }
        ImmKind::Lane => out.push(lane_index(p)?),
        ImmKind::Shuffle => {
            for _ in 0..16 {
                out.push(lane_index(p)?);
            }
        }
        ImmKind::I32 => {
            let at = p.offset();
            let a = p.atom()?;
            let v = num::int(a, 32).ok_or_else(|| Error::new(at, "i32 constant out of range"))?;
            leb128::write_i32(out, v as u32 as i32);
        }
        ImmKind::I64 => {
            let at = p.offset();
            let a = p.atom()?;
            let v = num::int(a, 64).ok_or_else(|| Error::new(at, "i64 constant out of range"))?;
            leb128::write_i64(out, v as i64);
        }
        ImmKind::F32 => {
            let at = p.offset();
            let a = p.atom()?;
            let v = num::f32_bits(a).ok_or_else(|| Error::new(at, "constant out of range"))?;
            out.extend_from_slice(&v.to_le_bytes());
        }
        ImmKind::F64 => {
            let at = p.offset();
            let a = p.atom()?;
            let v = num::f64_bits(a).ok_or_else(|| Error::new(at, "constant out of range"))?;
            out.extend_from_slice(&v.to_le_bytes());
        }
        ImmKind::V128 => v128_const(p, out)?,
        ImmKind::SelectT => {}
        ImmKind::RefNull => {
            let (h, _) = heap_type_id(p, m.type_names())?;
            encode::heap_type(out, h);
        }
        ImmKind::MemoryInit => {
            // `memory.init data` or `memory.init memory data`.
            let first = m.index_any(p)?;
            let (mem, d) = if Module::peek_index(p) {
                let mem = first.resolve(m, Space::Memory)?;
                (mem, m.index(p, Space::Data)?)
            } else {
                (0, first.resolve(m, Space::Data)?)
            };
            m.uses_data_count |= f.body;
            encode::u32(out, d);
            encode::u32(out, mem);
        }
        ImmKind::MemoryCopy => {
            // `memory.copy` or `memory.copy dst src`.
            let dst = m.opt_memory(p)?;
            let src = if dst != 0 || Module::peek_index(p) {
                m.index(p, Space::Memory)?
            } else {
                0
            };
            encode::u32(out, dst);
            encode::u32(out, src);
        }
        ImmKind::Data => {
            let d = m.index(p, Space::Data)?;
            m.uses_data_count |= f.body;
            encode::u32(out, d);
        }
        ImmKind::TableInit => {
            // `table.init elem` or `table.init table elem`.
            let first = m.index_any(p)?;
            let (table, elem) = if Module::peek_index(p) {
                let t = first.resolve(m, Space::Table)?;
                (t, m.index(p, Space::Elem)?)
            } else {
                (0, first.resolve(m, Space::Elem)?)
            };
            encode::u32(out, elem);
            encode::u32(out, table);
        }
        ImmKind::TableCopy => {
            let (d, s) = if Module::peek_index(p) {
                let d = m.index(p, Space::Table)?;
                (d, m.index(p, Space::Table)?)
            } else {
                (0, 0)
            };
            encode::u32(out, d);
            encode::u32(out, s);
        }
        ImmKind::Elem => {
            let e = m.index(p, Space::Elem)?;
            encode::u32(out, e);
        }
        ImmKind::Tag => {
            let t = m.index(p, Space::Tag)?;
            encode::u32(out, t);
        }
        // `try_table` is parsed as a block (see `begin`).
        ImmKind::TryTable => return Err(Error::new(at, "unexpected block instruction")),
        ImmKind::Type => {
            let t = m.index(p, Space::Type)?;
            encode::u32(out, t);
        }
        ImmKind::StructField => {
            let t = m.index(p, Space::Type)?;
            let field = m.field_index(p, t)?;
            encode::u32(out, t);
            encode::u32(out, field);
        }
        ImmKind::ArrayFixed => {
            let t = m.index(p, Space::Type)?;
            let n = u32_atom(p)?;
            encode::u32(out, t);
            encode::u32(out, n);
        }
        ImmKind::ArrayData => {
            let t = m.index(p, Space::Type)?;
            let d = m.index(p, Space::Data)?;
            m.uses_data_count |= f.body;
            encode::u32(out, t);
            encode::u32(out, d);
        }
        ImmKind::ArrayElem => {
            let t = m.index(p, Space::Type)?;
            let e = m.index(p, Space::Elem)?;
            encode::u32(out, t);
            encode::u32(out, e);
        }
        ImmKind::ArrayCopy => {
            let dst = m.index(p, Space::Type)?;
            let src = m.index(p, Space::Type)?;
            encode::u32(out, dst);
            encode::u32(out, src);
        }
        // Handled above, with the choice of opcode.
        ImmKind::HeapType => return Err(Error::new(at, "unexpected heap type instruction")),
        ImmKind::BrOnCast => {
            let l = label_index(p, f)?;
            let from = ref_type(p, m.type_names())?;
            let to = ref_type(p, m.type_names())?;
            out.push(u8::from(from.nullable()) | u8::from(to.nullable()) << 1);
            encode::u32(out, l);
            encode::heap_type(out, from.heap());
            encode::heap_type(out, to.heap());
        }
    }
    Ok(())
}

/// An index whose namespace is not known yet (`table.init`'s first).
enum AnyIndex<'s> {
    Num(u32),
    Name(&'s str, usize),
}

impl<'s> AnyIndex<'s> {
    fn resolve(self, m: &Module<'s>, space: Space) -> Result<u32, Error> {
        match self {
            AnyIndex::Num(n) => Ok(n),
            AnyIndex::Name(id, at) => m.names[space_index(space)]
                .map
                .get(id)
                .copied()
                .ok_or_else(|| Error::new(at, format!("unknown {} ${id}", space.what()))),
        }
    }
}

impl<'s> Module<'s> {
    /// A field index of struct type `ty`: a number, or the name of one of
    /// its fields.
    fn field_index(&self, p: &mut Parser<'s, '_>, ty: u32) -> Result<u32, Error> {
        let at = p.offset();
        match p.peek() {
            Some(TokenKind::Id(id)) => {
                p.pos += 1;
                self.fields
                    .get(&ty)
                    .and_then(|f| f.map.get(id))
                    .copied()
                    .ok_or_else(|| Error::new(at, format!("unknown field ${id}")))
            }
            _ => u32_atom(p),
        }
    }

    /// An optional memory index (a name or a number); 0 if there is none.
    fn opt_memory(&self, p: &mut Parser<'s, '_>) -> Result<u32, Error> {
        if Module::peek_index(p) {
            self.index(p, Space::Memory)
        } else {
            Ok(0)
        }
    }

    fn index_any(&self, p: &mut Parser<'s, '_>) -> Result<AnyIndex<'s>, Error> {
        let at = p.offset();
        match p.peek() {
            Some(TokenKind::Id(id)) => {
                p.pos += 1;
                Ok(AnyIndex::Name(id, at))
            }
            _ => Ok(AnyIndex::Num(u32_atom(p)?)),
        }
    }
}

fn assemble(m: &Module<'_>, module_name: Option<&str>) -> Vec<u8> {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    let customs = |out: &mut Vec<u8>, place: Place| {
        for (_, name, data) in m.customs.iter().filter(|c| c.0 == place) {
            let mut s = Vec::new();
            encode::bytes(&mut s, name);
            s.extend_from_slice(data);
            encode::section(out, 0, &s);
        }
    };
    let section = |out: &mut Vec<u8>, id: u8, (body, n): &(Vec<u8>, u32)| {
        customs(out, Place::Before(id));
        if *n > 0 {
            let mut s = Vec::new();
            encode::u32(&mut s, *n);
            s.extend_from_slice(body);
            encode::section(out, id, &s);
        }
        customs(out, Place::After(id));
    };
    customs(&mut out, Place::BeforeFirst);
    let mut types = Vec::new();
    for e in &m.type_entries {
        let defs = &m.types[e.start as usize..(e.start + e.len) as usize];
        if e.rec {
            types.push(0x4e);
            encode::u32(&mut types, e.len);
        }
        for t in defs {
            // A prefix only when needed: a final type without supertypes
            // is its composite type alone.
            if !t.is_final || !t.parents.is_empty() {
                types.push(if t.is_final { 0x4f } else { 0x50 });
                encode::u32(&mut types, t.parents.len() as u32);
                for &s in &t.parents {
                    encode::u32(&mut types, s);
                }
            }
            encode::composite_type(&mut types, &t.composite);
        }
    }
    section(&mut out, 1, &(types, m.type_entries.len() as u32));
    section(&mut out, 2, &m.imports);
    section(&mut out, 3, &m.funcs);
    section(&mut out, 4, &m.tables);
    section(&mut out, 5, &m.memories);
    // The tag section goes between the memory and global sections.
    section(&mut out, 13, &m.tags);
    section(&mut out, 6, &m.globals);
    section(&mut out, 7, &m.exports);
    customs(&mut out, Place::Before(8));
    if let Some(s) = m.start {
        let mut b = Vec::new();
        encode::u32(&mut b, s);
        encode::section(&mut out, 8, &b);
    }
    customs(&mut out, Place::After(8));
    section(&mut out, 9, &m.elems);
    customs(&mut out, Place::Before(12));
    if m.uses_data_count {
        let mut b = Vec::new();
        encode::u32(&mut b, m.datas.1);
        encode::section(&mut out, 12, &b);
    }
    customs(&mut out, Place::After(12));
    if !m.branch_hints.is_empty() {
        let mut s = Vec::new();
        encode::bytes(&mut s, &BRANCH_HINT.as_bytes()[1..]);
        let mut funcs = m.branch_hints.clone();
        funcs.sort_by_key(|(i, _)| *i);
        encode::u32(&mut s, funcs.len() as u32);
        for (func, hints) in funcs {
            encode::u32(&mut s, func);
            encode::u32(&mut s, hints.len() as u32);
            for (offset, hint) in hints {
                encode::u32(&mut s, offset);
                encode::u32(&mut s, 1);
                s.push(hint);
            }
        }
        encode::section(&mut out, 0, &s);
    }
    section(&mut out, 10, &m.code);
    section(&mut out, 11, &m.datas);
    customs(&mut out, Place::AfterLast);
    // The name section: module, function and local names.
    let mut names = Vec::new();
    if let Some(n) = module_name {
        let mut sub = Vec::new();
        encode::bytes(&mut sub, n.as_bytes());
        names.push(0);
        encode::bytes(&mut names, &sub);
    }
    // A name map, with the `@name` annotations of `space` over the
    // identifiers.
    let name_map = |names: &mut Vec<u8>, sub_id: u8, space: Space, ids: Vec<(u32, &str)>| {
        let annots = &m.annots[space_index(space)];
        let mut list: Vec<(u32, &str)> = ids
            .into_iter()
            .filter(|(i, _)| !annots.iter().any(|(a, _)| a == i))
            .chain(annots.iter().map(|(i, n)| (*i, n.as_str())))
            .collect();
        if list.is_empty() {
            return;
        }
        list.sort_unstable();
        let mut sub = Vec::new();
        encode::u32(&mut sub, list.len() as u32);
        for (i, n) in list {
            encode::u32(&mut sub, i);
            encode::bytes(&mut sub, n.as_bytes());
        }
        names.push(sub_id);
        encode::bytes(names, &sub);
    };
    // The identifiers of `space`.
    let ids = |space: Space| -> Vec<(u32, &str)> {
        m.names[space_index(space)]
            .map
            .iter()
            .map(|(n, i)| (*i, *n))
            .collect()
    };
    name_map(&mut names, 1, Space::Func, m.func_names.clone());
    // An indirect name map (names of locals, labels, fields or parameters,
    // by function, type or tag).
    let indirect = |names: &mut Vec<u8>, sub_id: u8, list: &[(u32, NameMap<'_>)]| {
        if list.is_empty() {
            return;
        }
        let mut list: Vec<&(u32, NameMap<'_>)> = list.iter().collect();
        list.sort_by_key(|(i, _)| *i);
        let mut sub = Vec::new();
        encode::u32(&mut sub, list.len() as u32);
        for (f, entries) in list {
            encode::u32(&mut sub, *f);
            encode::u32(&mut sub, entries.len() as u32);
            for (i, n) in entries {
                encode::u32(&mut sub, *i);
                encode::bytes(&mut sub, n.as_bytes());
            }
        }
        names.push(sub_id);
        encode::bytes(names, &sub);
    };
    // The names of the locals of functions whose parameters their type
    // gives, after those (none if it is not a function type).
    let mut locals: Vec<(u32, NameMap<'_>)> = m.local_names.clone();
    for (f, ty, named) in &m.later_local_names {
        if let Some(Some(t)) = m.types.get(*ty as usize).map(TypeDef::func) {
            let first = t.params().len() as u32;
            let named = named.iter().map(|(i, n)| (first + i, n.clone()));
            locals.push((*f, named.collect()));
        }
    }
    indirect(&mut names, 2, &locals);
    indirect(&mut names, 3, &m.label_names);
    // Names of the other index spaces (the extended name section), as the
    // `wat` crate emits them; between them, struct field names (10) and
    // function types' parameter names (12), by type.
    for (sub_id, space) in [
        (4u8, Space::Type),
        (5, Space::Table),
        (6, Space::Memory),
        (7, Space::Global),
        (8, Space::Elem),
        (9, Space::Data),
    ] {
        name_map(&mut names, sub_id, space, ids(space));
    }
    indirect(&mut names, 10, &m.field_names);
    name_map(&mut names, 11, Space::Tag, ids(Space::Tag));
    indirect(&mut names, 12, &m.type_param_names);
    indirect(&mut names, 13, &m.tag_param_names);
    if !names.is_empty() {
        let mut s = Vec::new();
        encode::bytes(&mut s, b"name");
        s.extend(names);
        encode::section(&mut out, 0, &s);
    }
    out
}
