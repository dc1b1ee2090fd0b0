//! WIT from a component's type: the world a component imports and exports,
//! with the interfaces it names, as WIT text (what `wasm-tools component
//! wit` prints). Interfaces group into nested packages by their
//! `ns:pkg/iface@version` names; types exported by an interface are
//! defined there and `use`d by the others that refer to them; methods,
//! constructors and static functions go into their resource's block.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::ast::Primitive;
use crate::typeck::{
    AnyTypeId, Def, DefinedType, Entity, FuncType, ResourceId, TypeId, Types, ValType,
};
use crate::{Error, Result};

/// An instance type's exports, in order.
type Exports = Vec<(String, Entity)>;

/// Where a type is defined: the interface (`None`: the world) and its
/// name there.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Owner {
    iface: Option<String>,
    name: String,
}

/// A key for a named type: a defined type or a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Type(TypeId),
    Resource(ResourceId),
}

struct Printer<'t> {
    types: &'t Types,
    owners: HashMap<Key, Owner>,
}

/// Splits `ns:pkg/iface@ver` into (`ns:pkg@ver`, `iface`).
fn split(name: &str) -> Option<(String, String)> {
    let (pkg, rest) = name.split_once('/')?;
    let (iface, ver) = match rest.split_once('@') {
        Some((i, v)) => (i, Some(v)),
        None => (rest, None),
    };
    let pkg = match ver {
        Some(v) => format!("{pkg}@{v}"),
        None => pkg.to_string(),
    };
    Some((pkg, iface.to_string()))
}

fn prim(p: Primitive) -> &'static str {
    match p {
        Primitive::Bool => "bool",
        Primitive::S8 => "s8",
        Primitive::U8 => "u8",
        Primitive::S16 => "s16",
        Primitive::U16 => "u16",
        Primitive::S32 => "s32",
        Primitive::U32 => "u32",
        Primitive::S64 => "s64",
        Primitive::U64 => "u64",
        Primitive::F32 => "f32",
        Primitive::F64 => "f64",
        Primitive::Char => "char",
        Primitive::String => "string",
    }
}

/// WIT keywords are written `%name`.
fn id(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as",
        "async",
        "bool",
        "borrow",
        "char",
        "constructor",
        "enum",
        "export",
        "f32",
        "f64",
        "flags",
        "from",
        "func",
        "future",
        "import",
        "include",
        "interface",
        "list",
        "option",
        "own",
        "package",
        "record",
        "resource",
        "result",
        "s16",
        "s32",
        "s64",
        "s8",
        "static",
        "stream",
        "string",
        "tuple",
        "type",
        "u16",
        "u32",
        "u64",
        "u8",
        "use",
        "variant",
        "with",
        "world",
        "enum",
        "error-context",
    ];
    if KEYWORDS.contains(&name) {
        format!("%{name}")
    } else {
        name.to_string()
    }
}

impl Printer<'_> {
    fn peel(&self, mut id: TypeId) -> TypeId {
        while let Def::Alias(t) = self.types.def_raw(id) {
            id = *t;
        }
        id
    }

    fn key(&self, t: AnyTypeId) -> Option<Key> {
        match t {
            AnyTypeId::Defined(id) => Some(Key::Type(id)),
            AnyTypeId::Resource(r) => Some(Key::Resource(r.id)),
            _ => None,
        }
    }

    /// Records `name` in `iface` as the owner of the types an export of
    /// a type names (first one wins).
    fn own(&mut self, iface: Option<&str>, name: &str, referenced: AnyTypeId, created: AnyTypeId) {
        for t in [created, referenced] {
            if let Some(k) = self.key(t) {
                self.owners.entry(k).or_insert_with(|| Owner {
                    iface: iface.map(str::to_string),
                    name: name.to_string(),
                });
                if let Key::Type(id) = k {
                    let p = self.peel(id);
                    self.owners.entry(Key::Type(p)).or_insert_with(|| Owner {
                        iface: iface.map(str::to_string),
                        name: name.to_string(),
                    });
                }
            }
        }
    }

    fn owner(&self, id: TypeId) -> Option<&Owner> {
        self.owners
            .get(&Key::Type(id))
            .or_else(|| self.owners.get(&Key::Type(self.peel(id))))
    }

    /// A value type as WIT; `here` is the interface being printed (types
    /// owned elsewhere print by the name they are `use`d under).
    fn val(&self, v: ValType, depth: usize) -> Result<String> {
        match v {
            ValType::Primitive(p) => Ok(prim(p).to_string()),
            ValType::Defined(id) => {
                if let Some(o) = self.owner(id) {
                    return Ok(id_of(&o.name));
                }
                self.structural(id, depth)
            }
        }
    }

    fn structural(&self, id: TypeId, depth: usize) -> Result<String> {
        if depth > 100 {
            return Err(Error::invalid("type nesting too deep to print as WIT", 0));
        }
        let d = match self.types.def_raw(self.peel(id)) {
            Def::Defined(d) => d,
            _ => return Err(Error::invalid("a value type that is not a defined type", 0)),
        };
        let v = |t: ValType| self.val(t, depth + 1);
        Ok(match d {
            DefinedType::Primitive(p) => prim(*p).to_string(),
            DefinedType::List(t) => format!("list<{}>", v(*t)?),
            DefinedType::Map(k, t) => format!("map<{}, {}>", v(*k)?, v(*t)?),
            DefinedType::Stream(None) => "stream".into(),
            DefinedType::Future(None) => "future".into(),
            DefinedType::Stream(Some(t)) => format!("stream<{}>", v(*t)?),
            DefinedType::Future(Some(t)) => format!("future<{}>", v(*t)?),
            DefinedType::FixedList(t, n) => format!("list<{}, {n}>", v(*t)?),
            DefinedType::Option(t) => format!("option<{}>", v(*t)?),
            DefinedType::Tuple(ts) => format!(
                "tuple<{}>",
                ts.iter()
                    .map(|t| v(*t))
                    .collect::<Result<Vec<_>>>()?
                    .join(", ")
            ),
            DefinedType::Result { ok, err } => match (ok, err) {
                (None, None) => "result".to_string(),
                (Some(o), None) => format!("result<{}>", v(*o)?),
                (None, Some(e)) => format!("result<_, {}>", v(*e)?),
                (Some(o), Some(e)) => format!("result<{}, {}>", v(*o)?, v(*e)?),
            },
            DefinedType::Own(r) => self.resource_name(r.id)?,
            DefinedType::Borrow(r) => format!("borrow<{}>", self.resource_name(r.id)?),
            DefinedType::Record(_)
            | DefinedType::Variant(_)
            | DefinedType::Flags(_)
            | DefinedType::Enum(_) => {
                return Err(Error::invalid(
                    "a record, variant, flags or enum type without a name",
                    0,
                ))
            }
        })
    }

    fn resource_name(&self, r: ResourceId) -> Result<String> {
        self.owners
            .get(&Key::Resource(r))
            .map(|o| id_of(&o.name))
            .ok_or_else(|| Error::invalid("a resource type without a name", 0))
    }

    /// The definition of a named type `name` that refers to `t`.
    fn typedef(&self, name: &str, t: AnyTypeId, out: &mut String, indent: &str) -> Result<()> {
        let n = id(name);
        match t {
            AnyTypeId::Resource(_) => {
                let _ = writeln!(out, "{indent}resource {n};");
            }
            AnyTypeId::Defined(tid) => {
                let d = match self.types.def_raw(self.peel(tid)) {
                    Def::Defined(d) => d.clone(),
                    _ => return Ok(()),
                };
                match d {
                    DefinedType::Record(fs) => {
                        let _ = writeln!(out, "{indent}record {n} {{");
                        for (f, t) in fs {
                            let _ = writeln!(out, "{indent}  {}: {},", id(&f), self.val(t, 0)?);
                        }
                        let _ = writeln!(out, "{indent}}}");
                    }
                    DefinedType::Variant(cs) => {
                        let _ = writeln!(out, "{indent}variant {n} {{");
                        for (c, t) in cs {
                            match t {
                                Some(t) => {
                                    let _ =
                                        writeln!(out, "{indent}  {}({}),", id(&c), self.val(t, 0)?);
                                }
                                None => {
                                    let _ = writeln!(out, "{indent}  {},", id(&c));
                                }
                            }
                        }
                        let _ = writeln!(out, "{indent}}}");
                    }
                    DefinedType::Enum(ls) => {
                        let _ = writeln!(out, "{indent}enum {n} {{");
                        for l in ls {
                            let _ = writeln!(out, "{indent}  {},", id(&l));
                        }
                        let _ = writeln!(out, "{indent}}}");
                    }
                    DefinedType::Flags(ls) => {
                        let _ = writeln!(out, "{indent}flags {n} {{");
                        for l in ls {
                            let _ = writeln!(out, "{indent}  {},", id(&l));
                        }
                        let _ = writeln!(out, "{indent}}}");
                    }
                    _ => {
                        let _ = writeln!(out, "{indent}type {n} = {};", self.structural(tid, 0)?);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn sig(&self, f: &FuncType, skip_self: bool) -> Result<String> {
        let params = f
            .params
            .iter()
            .skip(skip_self as usize)
            .map(|(n, t)| Ok(format!("{}: {}", id(n), self.val(*t, 0)?)))
            .collect::<Result<Vec<_>>>()?
            .join(", ");
        Ok(match f.result {
            Some(r) => format!("({params}) -> {}", self.val(r, 0)?),
            None => format!("({params})"),
        })
    }

    fn func_type(&self, tid: TypeId) -> Result<&FuncType> {
        match self.types.def_raw(self.peel(tid)) {
            Def::Func(f) => Ok(f),
            _ => Err(Error::invalid(
                "a function export without a function type",
                0,
            )),
        }
    }

    /// The body of an interface (or an inline `interface { }`): `use`s of
    /// types owned elsewhere, type definitions, resources with their
    /// methods, functions.
    fn interface(&self, iface: &str, exports: &[(String, Entity)], indent: &str) -> Result<String> {
        let mut uses = String::new();
        let mut out = String::new();
        let mut methods: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut funcs = Vec::new();
        for (name, e) in exports {
            match e {
                Entity::Type {
                    referenced,
                    created,
                } => {
                    // Who defines what it refers to: another interface means a `use`.
                    let key = self.key(*referenced).or_else(|| self.key(*created));
                    let owner = key.and_then(|k| self.owners.get(&k).cloned());
                    match owner {
                        Some(Owner {
                            iface: Some(o),
                            name: oname,
                        }) if o != iface => {
                            let path = match (split(&o), split(iface)) {
                                (Some((p1, i1)), Some((p2, _))) if p1 == p2 => i1,
                                _ => o.clone(),
                            };
                            if &oname == name {
                                let _ = writeln!(uses, "{indent}use {path}.{{{}}};", id(name));
                            } else {
                                let _ = writeln!(
                                    uses,
                                    "{indent}use {path}.{{{} as {}}};",
                                    id(&oname),
                                    id(name)
                                );
                            }
                        }
                        _ => self.typedef(name, *referenced, &mut out, indent)?,
                    }
                }
                Entity::Func(tid) => {
                    let f = self.func_type(*tid)?;
                    if let Some(rest) = name.strip_prefix("[method]") {
                        let (r, m) = rest.split_once('.').unwrap_or((rest, rest));
                        let line = format!("{}: func{};", id(m), self.sig(f, true)?);
                        methods.entry(r.to_string()).or_default().push(line);
                    } else if let Some(rest) = name.strip_prefix("[static]") {
                        let (r, m) = rest.split_once('.').unwrap_or((rest, rest));
                        let line = format!("{}: static func{};", id(m), self.sig(f, false)?);
                        methods.entry(r.to_string()).or_default().push(line);
                    } else if let Some(r) = name.strip_prefix("[constructor]") {
                        let params = f
                            .params
                            .iter()
                            .map(|(n, t)| Ok(format!("{}: {}", id(n), self.val(*t, 0)?)))
                            .collect::<Result<Vec<_>>>()?
                            .join(", ");
                        methods
                            .entry(r.to_string())
                            .or_default()
                            .push(format!("constructor({params});"));
                    } else {
                        funcs.push(format!(
                            "{indent}{}: func{};",
                            id(name),
                            self.sig(f, false)?
                        ));
                    }
                }
                _ => {}
            }
        }
        // Resources with members: the `resource r;` line becomes a block.
        for (r, lines) in methods {
            let plain = format!("{indent}resource {};\n", id(&r));
            let mut block = format!("{indent}resource {} {{\n", id(&r));
            for l in lines {
                let _ = writeln!(block, "{indent}  {l}");
            }
            let _ = writeln!(block, "{indent}}}");
            if out.contains(&plain) {
                out = out.replacen(&plain, &block, 1);
            } else {
                out.push_str(&block);
            }
        }
        for f in funcs {
            out.push_str(&f);
            out.push('\n');
        }
        Ok(uses + &out)
    }
}

fn id_of(name: &str) -> String {
    id(name)
}

/// The WIT of `bytes`, a component: its world `root` in package
/// `root:component`, and the interfaces it imports and exports, in
/// nested packages.
pub fn print_wit(bytes: &[u8]) -> Result<String> {
    let c = crate::decode(bytes)?;
    let types = crate::validate_with_types(&c)?;
    let ct = types
        .component_type()
        .ok_or_else(|| Error::invalid("the component has no type", 0))?
        .clone();
    let mut p = Printer {
        types: &types,
        owners: HashMap::new(),
    };
    // Owners first: every interface's exported types, then the world's.
    let items: Vec<(bool, String, Entity)> = ct
        .imports
        .iter()
        .map(|(n, e)| (true, n.to_string(), *e))
        .chain(ct.exports.iter().map(|(n, e)| (false, n.to_string(), *e)))
        .collect();
    let mut interfaces: Vec<(bool, String, Exports)> = Vec::new();
    for (import, name, e) in &items {
        match e {
            Entity::Instance(iid) => {
                let exports: Vec<(String, Entity)> = match types.def_raw(p.peel(*iid)) {
                    Def::Instance(it) => it
                        .exports
                        .iter()
                        .map(|(n, e)| (n.to_string(), *e))
                        .collect(),
                    _ => continue,
                };
                for (n, e) in &exports {
                    if let Entity::Type {
                        referenced,
                        created,
                    } = e
                    {
                        p.own(Some(name), n, *referenced, *created);
                    }
                }
                interfaces.push((*import, name.clone(), exports));
            }
            Entity::Type {
                referenced,
                created,
            } => p.own(None, name, *referenced, *created),
            _ => {}
        }
    }
    let mut world = String::new();
    let mut packages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (import, name, e) in &items {
        let dir = if *import { "import" } else { "export" };
        match e {
            Entity::Instance(_) => {
                let exports = interfaces
                    .iter()
                    .find(|(i, n, _)| i == import && n == name)
                    .map(|(_, _, e)| e.clone())
                    .unwrap_or_default();
                match split(name) {
                    Some((pkg, iface)) => {
                        let body = p.interface(name, &exports, "    ")?;
                        let def = format!("  interface {} {{\n{body}  }}\n", id(&iface));
                        let list = packages.entry(pkg).or_default();
                        if !list.contains(&def) {
                            list.push(def);
                        }
                        let _ = writeln!(world, "  {dir} {name};");
                    }
                    None => {
                        let body = p.interface(name, &exports, "    ")?;
                        let _ = writeln!(world, "  {dir} {}: interface {{\n{body}  }}", id(name));
                    }
                }
            }
            Entity::Func(tid) => {
                let f = p.func_type(*tid)?;
                let _ = writeln!(world, "  {dir} {}: func{};", id(name), p.sig(f, false)?);
            }
            Entity::Type { referenced, .. } => {
                let mut def = String::new();
                p.typedef(name, *referenced, &mut def, "  ")?;
                world.push_str(&def);
            }
            _ => {}
        }
    }
    let mut out = String::from("package root:component;\n\nworld root {\n");
    out.push_str(&world);
    out.push_str("}\n");
    for (pkg, ifaces) in packages {
        let _ = write!(out, "\npackage {pkg} {{\n");
        for i in ifaces {
            out.push_str(&i);
        }
        out.push_str("}\n");
    }
    Ok(out)
}
