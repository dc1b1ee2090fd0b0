//! Resolution of one package: names resolve within the package (types in
//! their interface or world, `use` of the package's interfaces, `include`
//! of its worlds); paths into other packages are kept as unresolved
//! [`ForeignItem`]s for a later layer.
//!
//! Checks: duplicate names (items, types, fields, cases, flags, params,
//! functions, imports and exports, with the component model's strong
//! uniqueness: case and hyphens ignored), unknown names, cycles between
//! type definitions and between interfaces/worlds (`use`, `include`),
//! handles of non-resources, empty records/variants/enums/flags/tuples,
//! more than 32 flags, map keys, constructor/getter/setter signatures and
//! feature gates (`@since`, `@unstable`, `@deprecated`).

use crate::ast::{self, Span};
use crate::error::ParseError;
use std::collections::{HashMap, HashSet};

type PResult<T> = Result<T, ParseError>;

/// One resolved package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// `ns:name@version`
    pub name: ast::PackageName,
    /// The package's doc comments.
    pub docs: ast::Docs,
    /// Interfaces, in source order (files in the order given).
    pub interfaces: Vec<InterfaceInfo>,
    /// Worlds, in source order.
    pub worlds: Vec<WorldInfo>,
    /// Items of other packages this one refers to, unresolved.
    pub foreign: Vec<ForeignItem>,
}

/// An interface or world of another package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignItem {
    /// `ns:name@version`
    pub package: String,
    /// The interface or world.
    pub name: String,
    /// Whether it is used as a world (`include`) rather than an interface.
    pub is_world: bool,
}

/// A resolved interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// The name.
    pub name: String,
    /// Its types (definitions and `use`s), by name.
    pub types: Vec<TypeInfo>,
    /// Its functions, with component-model names (`[method]r.m`, ...).
    pub functions: Vec<FunctionInfo>,
}

/// A named type of an interface or world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeInfo {
    /// The name.
    pub name: String,
    /// What it is.
    pub kind: TypeKind,
}

/// What a named type is, after resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeKind {
    /// A resource.
    Resource,
    /// A record, variant, enum, flags or an alias of a type expression.
    Defined,
    /// Brought in by `use` from another interface of this package.
    Used {
        /// The interface.
        interface: String,
        /// The type's name there.
        name: String,
    },
    /// Brought in by `use` from another package (resolved later).
    Foreign {
        /// `ns:pkg/interface@version`
        path: String,
        /// The type's name there.
        name: String,
    },
}

/// A resolved function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionInfo {
    /// The component-model name: `f`, `[method]r.m`, `[static]r.s`,
    /// `[constructor]r`, `[get]x`, ...
    pub name: String,
    /// Parameter names, `self` first for methods.
    pub params: Vec<String>,
    /// Whether it returns a value.
    pub has_result: bool,
}

/// A resolved world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldInfo {
    /// The name.
    pub name: String,
    /// Imported names: types, functions, interfaces (`ns:pkg/name` or
    /// `name` for this package's).
    pub imports: Vec<String>,
    /// Exported names.
    pub exports: Vec<String>,
    /// Worlds included.
    pub includes: Vec<String>,
}

// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ItemRef {
    Iface(Target),
    World(Target),
}

/// An interface or world: the package's own (index) or a foreign one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Target {
    Local(usize),
    Foreign(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RTy {
    Prim(ast::Prim),
    Id(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum TyDef {
    Resource,
    Alias(usize),
    Unknown,
    Result { ok: Option<RTy> },
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    Type(usize),
    Func,
}

/// The names of one interface or world.
#[derive(Default, Clone)]
struct Lookup {
    order: Vec<String>,
    map: HashMap<String, (Entry, Span)>,
}

impl Lookup {
    fn define(&mut self, id: &ast::Id, e: Entry) -> PResult<()> {
        if self.map.contains_key(&id.name) {
            return Err(err(
                id.span,
                format!("name `{}` is defined more than once", id.name),
            ));
        }
        self.order.push(id.name.clone());
        self.map.insert(id.name.clone(), (e, id.span));
        Ok(())
    }
}

#[cold]
fn err(span: Span, message: String) -> ParseError {
    ParseError::new(span, message)
}

/// Lowercase, hyphens dropped: the component model's strong uniqueness.
fn kebab_key(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The canonical form of a component-model name (`[method]r.m` etc.):
/// two names in one scope may not share it.
fn canonical_name(raw: &str) -> String {
    let (mut rest, mut ctor) = (raw, false);
    for (p, c) in [
        ("[constructor]", true),
        ("[method]", false),
        ("[static]", false),
    ] {
        if let Some(r) = rest.strip_prefix(p) {
            rest = r;
            ctor = c;
            break;
        }
    }
    let mut set = false;
    if let Some(r) = rest.strip_prefix("[get]") {
        rest = r;
    } else if let Some(r) = rest.strip_prefix("[set]") {
        rest = r;
        set = true;
    }
    let lower = kebab_key(rest);
    if let Some((a, b)) = lower.split_once('.') {
        if a == b {
            return a.to_string();
        }
    }
    if ctor {
        format!("[constructor]{lower}")
    } else if set {
        format!("[set]{lower}")
    } else {
        lower
    }
}

#[derive(Default)]
struct NameScope {
    names: HashMap<String, String>,
    raw: HashSet<String>,
}

impl NameScope {
    fn define(&mut self, name: &str, span: Span) -> PResult<()> {
        let key = canonical_name(name);
        if let Some(prev) = self.names.get(&key) {
            return Err(err(
                span,
                if prev == name {
                    format!("duplicate name `{name}`")
                } else {
                    format!("name `{name}` conflicts with previous name `{prev}`")
                },
            ));
        }
        self.names.insert(key, name.to_string());
        self.raw.insert(name.to_string());
        Ok(())
    }

    fn check_setters(&self, span_of: &HashMap<String, Span>) -> PResult<()> {
        let mut raws: Vec<&String> = self.raw.iter().collect();
        raws.sort();
        for name in raws {
            let (prefix, rest) = match name.split_once("[set]") {
                Some((p, r)) if p.is_empty() || p == "[method]" || p == "[static]" => (p, r),
                _ => continue,
            };
            let getter = format!("{prefix}[get]{rest}");
            if !self.raw.contains(&getter) {
                return Err(err(
                    span_of.get(name).copied().unwrap_or_default(),
                    format!("setter `{name}` has no corresponding getter `{getter}`"),
                ));
            }
        }
        Ok(())
    }
}

/// Checks an item's feature gates.
fn check_attrs(attrs: &[ast::Attribute]) -> PResult<()> {
    let (mut since, mut deprecated, mut unstable, mut ext) = (None, None, None, false);
    for a in attrs {
        match a {
            ast::Attribute::Since { span, .. } => {
                if since.replace(*span).is_some() {
                    return Err(err(*span, "cannot specify @since twice".into()));
                }
            }
            ast::Attribute::Deprecated { span, .. } => {
                if deprecated.replace(*span).is_some() {
                    return Err(err(*span, "cannot specify @deprecated twice".into()));
                }
            }
            ast::Attribute::Unstable { span, .. } => {
                if unstable.replace(*span).is_some() {
                    return Err(err(*span, "cannot specify @unstable twice".into()));
                }
            }
            ast::Attribute::ExternalId { span, .. } => {
                if ext {
                    return Err(err(*span, "cannot specify @external-id twice".into()));
                }
                ext = true;
            }
        }
    }
    match (since, deprecated, unstable) {
        (Some(s), _, Some(_)) => Err(err(s, "cannot specify both @since and @unstable".into())),
        (None, Some(d), None) => Err(err(
            d,
            "@deprecated needs @since or @unstable as well".into(),
        )),
        _ => Ok(()),
    }
}

/// What one package is made of: the files' items (nested packages removed).
pub(crate) struct Unit<'a> {
    pub name: ast::PackageName,
    pub docs: ast::Docs,
    /// Per file, its items.
    pub files: Vec<Vec<&'a ast::Item>>,
}

struct Resolver<'a> {
    unit: &'a Unit<'a>,
    /// Interfaces and worlds of the package, in source order.
    ifaces: Vec<&'a ast::Interface>,
    iface_file: Vec<usize>,
    worlds: Vec<&'a ast::World>,
    world_file: Vec<usize>,
    package_items: HashMap<&'a str, ItemRef>,
    file_items: Vec<HashMap<&'a str, ItemRef>>,
    foreign: Vec<ForeignItem>,
    foreign_index: HashMap<(String, String), usize>,
    /// Unknown types of foreign interfaces, by (foreign index, name).
    foreign_types: HashMap<(usize, String), usize>,
    types: Vec<TyDef>,
    iface_lookup: Vec<Option<Lookup>>,
    cur_file: usize,
}

fn package_key(p: &ast::PackageName) -> String {
    p.to_string()
}

/// Resolves one package.
pub(crate) fn resolve(unit: &Unit<'_>) -> PResult<Package> {
    let mut r = Resolver {
        unit,
        ifaces: Vec::new(),
        iface_file: Vec::new(),
        worlds: Vec::new(),
        world_file: Vec::new(),
        package_items: HashMap::new(),
        file_items: Vec::new(),
        foreign: Vec::new(),
        foreign_index: HashMap::new(),
        foreign_types: HashMap::new(),
        types: Vec::new(),
        iface_lookup: Vec::new(),
        cur_file: 0,
    };
    r.run()
}

impl<'a> Resolver<'a> {
    fn run(&mut self) -> PResult<Package> {
        self.collect_foreign();
        self.collect_items()?;
        let order = self.item_order()?;
        self.iface_lookup = vec![None; self.ifaces.len()];
        let mut interfaces = vec![None; self.ifaces.len()];
        for item in &order {
            if let ItemRef::Iface(Target::Local(i)) = *item {
                self.cur_file = self.iface_file[i];
                let iface = self.ifaces[i];
                let (lookup, info) =
                    self.interface(&iface.name.name, &iface.items, &iface.attributes)?;
                self.iface_lookup[i] = Some(lookup);
                interfaces[i] = Some(info);
            }
        }
        let mut worlds = Vec::new();
        for w in 0..self.worlds.len() {
            self.cur_file = self.world_file[w];
            worlds.push(self.world(self.worlds[w])?);
        }
        Ok(Package {
            name: self.unit.name.clone(),
            docs: self.unit.docs.clone(),
            interfaces: interfaces.into_iter().flatten().collect(),
            worlds,
            foreign: std::mem::take(&mut self.foreign),
        })
    }

    /// Registers every path into another package, first use deciding
    /// whether it names an interface or a world.
    fn collect_foreign(&mut self) {
        let unit = self.unit;
        for file in &unit.files {
            for item in file {
                match item {
                    ast::Item::World(w) => {
                        for wi in &w.items {
                            match wi {
                                ast::WorldItem::Use(u) => self.note_foreign(&u.from, false),
                                ast::WorldItem::Include(i) => self.note_foreign(&i.from, true),
                                _ => {}
                            }
                        }
                        // Imports first, in order, then exports.
                        let mut imports: Vec<_> = w
                            .items
                            .iter()
                            .filter_map(|i| match i {
                                ast::WorldItem::Import(e) => Some(e),
                                _ => None,
                            })
                            .collect();
                        imports.extend(w.items.iter().filter_map(|i| match i {
                            ast::WorldItem::Export(e) => Some(e),
                            _ => None,
                        }));
                        for e in imports {
                            match &e.kind {
                                ast::ExternKind::Interface(_, items) => {
                                    for it in items {
                                        if let ast::InterfaceItem::Use(u) = it {
                                            self.note_foreign(&u.from, false);
                                        }
                                    }
                                }
                                ast::ExternKind::Path(p) | ast::ExternKind::NamedPath(_, p) => {
                                    self.note_foreign(p, false)
                                }
                                ast::ExternKind::Func(..) => {}
                            }
                        }
                    }
                    ast::Item::Interface(i) => {
                        for it in &i.items {
                            if let ast::InterfaceItem::Use(u) = it {
                                self.note_foreign(&u.from, false);
                            }
                        }
                    }
                    ast::Item::Use(u) => self.note_foreign(&u.path, false),
                    ast::Item::Package(_) => {}
                }
            }
        }
    }

    fn note_foreign(&mut self, path: &ast::UsePath, is_world: bool) {
        if let ast::UsePath::Foreign { package, name } = path {
            let key = (package_key(package), name.name.clone());
            if !self.foreign_index.contains_key(&key) {
                self.foreign_index.insert(key.clone(), self.foreign.len());
                self.foreign.push(ForeignItem {
                    package: key.0,
                    name: key.1,
                    is_world,
                });
            }
        }
    }

    fn foreign_ref(&self, package: &ast::PackageName, name: &ast::Id) -> ItemRef {
        let key = (package_key(package), name.name.clone());
        let i = self.foreign_index.get(&key).copied().unwrap_or(0);
        if self.foreign.get(i).is_some_and(|f| f.is_world) {
            ItemRef::World(Target::Foreign(i))
        } else {
            ItemRef::Iface(Target::Foreign(i))
        }
    }

    fn collect_items(&mut self) -> PResult<()> {
        let unit = self.unit;
        for (f, file) in unit.files.iter().enumerate() {
            for item in file {
                let (id, r) = match item {
                    ast::Item::Interface(i) => {
                        self.ifaces.push(i);
                        self.iface_file.push(f);
                        (
                            &i.name,
                            ItemRef::Iface(Target::Local(self.ifaces.len() - 1)),
                        )
                    }
                    ast::Item::World(w) => {
                        self.worlds.push(w);
                        self.world_file.push(f);
                        (
                            &w.name,
                            ItemRef::World(Target::Local(self.worlds.len() - 1)),
                        )
                    }
                    _ => continue,
                };
                if self.package_items.insert(&id.name, r).is_some() {
                    return Err(err(id.span, format!("duplicate item named `{}`", id.name)));
                }
            }
        }
        for file in &unit.files {
            let mut seen = HashSet::new();
            let mut items = HashMap::new();
            for item in file {
                let (id, r) = match item {
                    ast::Item::Use(u) => {
                        if !u.attributes.is_empty() {
                            return Err(err(
                                u.span,
                                "attributes not allowed on top-level use".into(),
                            ));
                        }
                        let r = match &u.path {
                            ast::UsePath::Local(id) => {
                                *self.package_items.get(id.name.as_str()).ok_or_else(|| {
                                    err(
                                        id.span,
                                        format!("unknown interface or world `{}`", id.name),
                                    )
                                })?
                            }
                            ast::UsePath::Foreign { package, name } => {
                                self.foreign_ref(package, name)
                            }
                        };
                        (u.as_.as_ref().unwrap_or(u.path.name()), Some(r))
                    }
                    ast::Item::Interface(i) => (&i.name, None),
                    ast::Item::World(w) => (&w.name, None),
                    ast::Item::Package(_) => continue,
                };
                if !seen.insert(id.name.as_str()) {
                    return Err(err(
                        id.span,
                        format!("duplicate name `{}` in this file", id.name),
                    ));
                }
                if let Some(r) = r {
                    items.insert(id.name.as_str(), r);
                }
            }
            self.file_items.push(items);
        }
        Ok(())
    }

    /// Orders interfaces and worlds so that what is used or included comes
    /// first; a cycle is an error.
    fn item_order(&self) -> PResult<Vec<ItemRef>> {
        let n = self.ifaces.len() + self.worlds.len();
        let node = |r: ItemRef| match r {
            ItemRef::Iface(Target::Local(i)) => Some(i),
            ItemRef::World(Target::Local(w)) => Some(self.ifaces.len() + w),
            _ => None,
        };
        let mut deps: Vec<Vec<(usize, &ast::Id)>> = vec![Vec::new(); n];
        let mut edge = |from: usize, path: &'a ast::UsePath, file: usize| -> PResult<()> {
            let ast::UsePath::Local(id) = path else {
                return Ok(());
            };
            let r = match self.file_items[file].get(id.name.as_str()) {
                Some(r) => *r,
                None => *self.package_items.get(id.name.as_str()).ok_or_else(|| {
                    err(id.span, format!("unknown interface or world `{}`", id.name))
                })?,
            };
            if let Some(to) = node(r) {
                deps[from].push((to, id));
            }
            Ok(())
        };
        for (i, iface) in self.ifaces.iter().enumerate() {
            for it in &iface.items {
                if let ast::InterfaceItem::Use(u) = it {
                    edge(i, &u.from, self.iface_file[i])?;
                }
            }
        }
        for (w, world) in self.worlds.iter().enumerate() {
            for it in &world.items {
                if let ast::WorldItem::Include(inc) = it {
                    edge(self.ifaces.len() + w, &inc.from, self.world_file[w])?;
                }
            }
        }
        let order = toposort(&deps).map_err(|(_, id)| {
            err(
                id.span,
                format!("interface or world `{}` depends on itself", id.name),
            )
        })?;
        Ok(order
            .into_iter()
            .map(|i| {
                if i < self.ifaces.len() {
                    ItemRef::Iface(Target::Local(i))
                } else {
                    ItemRef::World(Target::Local(i - self.ifaces.len()))
                }
            })
            .collect())
    }

    fn path(&self, path: &ast::UsePath) -> PResult<ItemRef> {
        match path {
            ast::UsePath::Local(id) => self.file_items[self.cur_file]
                .get(id.name.as_str())
                .or_else(|| self.package_items.get(id.name.as_str()))
                .copied()
                .ok_or_else(|| err(id.span, format!("unknown interface or world `{}`", id.name))),
            ast::UsePath::Foreign { package, name } => Ok(self.foreign_ref(package, name)),
        }
    }

    fn iface_of(&self, path: &ast::UsePath) -> PResult<Target> {
        match self.path(path)? {
            ItemRef::Iface(t) => Ok(t),
            ItemRef::World(_) => Err(err(
                path.name().span,
                format!(
                    "name `{}` is defined as a world, not an interface",
                    path.name().name
                ),
            )),
        }
    }

    fn target_name(&self, t: Target) -> String {
        match t {
            Target::Local(i) => self.ifaces[i].name.name.clone(),
            Target::Foreign(f) => format!("{}/{}", self.foreign[f].package, self.foreign[f].name),
        }
    }

    fn alloc(&mut self, d: TyDef) -> usize {
        self.types.push(d);
        self.types.len() - 1
    }

    /// Resolves the `use`s and type definitions of an interface or world.
    fn scope(
        &mut self,
        uses: &[&'a ast::Use],
        items: &[ScopeItem<'a>],
        infos: &mut Vec<TypeInfo>,
    ) -> PResult<Lookup> {
        let mut lookup = Lookup::default();
        for u in uses {
            check_attrs(&u.attributes)?;
            let from = self.iface_of(&u.from)?;
            for n in &u.names {
                let target = match from {
                    Target::Local(i) => {
                        let Some(l) = self.iface_lookup.get(i).and_then(|l| l.as_ref()) else {
                            return Err(err(
                                n.name.span,
                                format!("unknown name `{}`", n.name.name),
                            ));
                        };
                        match l.map.get(&n.name.name) {
                            Some((Entry::Type(t), _)) => *t,
                            Some((Entry::Func, _)) => {
                                return Err(err(
                                    n.name.span,
                                    format!("cannot import function `{}`", n.name.name),
                                ))
                            }
                            None => {
                                return Err(err(
                                    n.name.span,
                                    format!(
                                        "unknown type `{}` in interface `{}`",
                                        n.name.name,
                                        self.target_name(from)
                                    ),
                                ))
                            }
                        }
                    }
                    Target::Foreign(f) => {
                        let key = (f, n.name.name.clone());
                        match self.foreign_types.get(&key) {
                            Some(t) => *t,
                            None => {
                                let t = self.alloc(TyDef::Unknown);
                                self.foreign_types.insert(key, t);
                                t
                            }
                        }
                    }
                };
                let id = self.alloc(TyDef::Alias(target));
                lookup.define(n.local(), Entry::Type(id))?;
                infos.push(TypeInfo {
                    name: n.local().name.clone(),
                    kind: match from {
                        Target::Local(_) => TypeKind::Used {
                            interface: self.target_name(from),
                            name: n.name.name.clone(),
                        },
                        Target::Foreign(f) => TypeKind::Foreign {
                            path: format!("{}/{}", self.foreign[f].package, self.foreign[f].name),
                            name: n.name.name.clone(),
                        },
                    },
                });
            }
        }
        // Definitions, ordered so that each comes after what it names.
        let mut names: Vec<&str> = Vec::new();
        let mut defs: Vec<Option<&'a ast::TypeDef>> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for item in items {
            match item {
                ScopeItem::Def(t) => {
                    // As wit-parser: a definition after a `use` of the same
                    // name is a duplicate; a `use` after a definition
                    // replaces it.
                    if index.contains_key(t.name.name.as_str()) {
                        return Err(err(
                            t.name.span,
                            format!("name `{}` is defined more than once", t.name.name),
                        ));
                    }
                    let i = *index.entry(&t.name.name).or_insert_with(|| {
                        names.push(&t.name.name);
                        defs.push(None);
                        names.len() - 1
                    });
                    defs[i] = Some(t);
                }
                ScopeItem::Use(u) => {
                    for n in &u.names {
                        let name = n.local().name.as_str();
                        let i = *index.entry(name).or_insert_with(|| {
                            names.push(name);
                            defs.push(None);
                            names.len() - 1
                        });
                        defs[i] = None;
                    }
                }
            }
        }
        let mut deps: Vec<Vec<(usize, &ast::Id)>> = vec![Vec::new(); names.len()];
        for (i, d) in defs.iter().enumerate() {
            if let Some(d) = d {
                let mut refs = Vec::new();
                collect_refs(&d.kind, &mut refs);
                for id in refs {
                    let Some(&j) = index.get(id.name.as_str()) else {
                        return Err(err(id.span, format!("unknown type `{}`", id.name)));
                    };
                    deps[i].push((j, id));
                }
            }
        }
        let order = toposort(&deps)
            .map_err(|(_, id)| err(id.span, format!("type `{}` depends on itself", id.name)))?;
        for i in order {
            let Some(def) = defs[i] else { continue };
            check_attrs(&def.attributes)?;
            let kind = self.typedef(&def.kind, &lookup)?;
            let id = self.alloc(kind);
            lookup.define(&def.name, Entry::Type(id))?;
            infos.push(TypeInfo {
                name: def.name.name.clone(),
                kind: if matches!(def.kind, ast::TypeDefKind::Resource(_)) {
                    TypeKind::Resource
                } else {
                    TypeKind::Defined
                },
            });
        }
        Ok(lookup)
    }

    fn typedef(&mut self, kind: &ast::TypeDefKind, lookup: &Lookup) -> PResult<TyDef> {
        let span_of = |v: &[ast::Id]| v.first().map(|i| i.span).unwrap_or_default();
        Ok(match kind {
            ast::TypeDefKind::Alias(ty) => match self.anon(ty, lookup)? {
                Some(d) => d,
                None => match self.ty(ty, lookup)? {
                    RTy::Id(t) => TyDef::Alias(t),
                    RTy::Prim(_) => TyDef::Other,
                },
            },
            ast::TypeDefKind::Record(fields) => {
                let ids: Vec<ast::Id> = fields.iter().map(|f| f.name.clone()).collect();
                if fields.is_empty() {
                    return Err(err(span_of(&ids), "empty record".into()));
                }
                unique("field", &ids)?;
                for f in fields {
                    self.ty(&f.ty, lookup)?;
                }
                TyDef::Other
            }
            ast::TypeDefKind::Variant(cases) => {
                let ids: Vec<ast::Id> = cases.iter().map(|c| c.name.clone()).collect();
                if cases.is_empty() {
                    return Err(err(span_of(&ids), "empty variant".into()));
                }
                unique("case", &ids)?;
                for c in cases {
                    if let Some(t) = &c.ty {
                        self.ty(t, lookup)?;
                    }
                }
                TyDef::Other
            }
            ast::TypeDefKind::Enum(cases) => {
                let ids: Vec<ast::Id> = cases.iter().map(|c| c.name.clone()).collect();
                if cases.is_empty() {
                    return Err(err(span_of(&ids), "empty enum".into()));
                }
                unique("case", &ids)?;
                TyDef::Other
            }
            ast::TypeDefKind::Flags(flags) => {
                let ids: Vec<ast::Id> = flags.iter().map(|c| c.name.clone()).collect();
                if flags.is_empty() {
                    return Err(err(span_of(&ids), "empty flags".into()));
                }
                if let Some(f) = flags.get(32) {
                    return Err(err(f.name.span, "cannot have more than 32 flags".into()));
                }
                unique("flag", &ids)?;
                TyDef::Other
            }
            ast::TypeDefKind::Resource(_) => TyDef::Resource,
        })
    }

    /// A type expression that is not a plain name or primitive: checked,
    /// and its definition returned. `None` for names and primitives.
    fn anon(&mut self, ty: &ast::Type, lookup: &Lookup) -> PResult<Option<TyDef>> {
        use ast::Type as T;
        Ok(Some(match ty {
            T::Prim(..) | T::Name(_) => return Ok(None),
            T::List(t, _) | T::FixedList(t, _, _) | T::Option(t, _) => {
                self.ty(t, lookup)?;
                TyDef::Other
            }
            T::Map(k, v, span) => {
                let k = self.ty(k, lookup)?;
                self.ty(v, lookup)?;
                use ast::Prim as P;
                match k {
                    RTy::Prim(
                        P::Bool
                        | P::U8
                        | P::U16
                        | P::U32
                        | P::U64
                        | P::S8
                        | P::S16
                        | P::S32
                        | P::S64
                        | P::Char
                        | P::String,
                    ) => {}
                    _ => return Err(err(
                        *span,
                        "invalid map key type: map keys must be bool, an integer, char or string"
                            .into(),
                    )),
                }
                TyDef::Other
            }
            T::Result { ok, err: e, .. } => {
                let ok = match ok {
                    Some(t) => Some(self.ty(t, lookup)?),
                    None => None,
                };
                if let Some(t) = e {
                    self.ty(t, lookup)?;
                }
                TyDef::Result { ok }
            }
            T::Tuple(types, span) => {
                if types.is_empty() {
                    return Err(err(*span, "empty tuple".into()));
                }
                for t in types {
                    self.ty(t, lookup)?;
                }
                TyDef::Other
            }
            T::Own(id) | T::Borrow(id) => {
                self.resource(id, lookup)?;
                TyDef::Other
            }
            T::Future(t, _) | T::Stream(t, _) => {
                if let Some(t) = t {
                    self.ty(t, lookup)?;
                }
                TyDef::Other
            }
        }))
    }

    fn name(&self, id: &ast::Id, lookup: &Lookup) -> PResult<usize> {
        match lookup.map.get(&id.name) {
            Some((Entry::Type(t), _)) => Ok(*t),
            Some((Entry::Func, _)) => Err(err(
                id.span,
                format!("cannot use function `{}` as a type", id.name),
            )),
            None => Err(err(id.span, format!("unknown type `{}`", id.name))),
        }
    }

    fn resource(&self, id: &ast::Id, lookup: &Lookup) -> PResult<usize> {
        let t = self.name(id, lookup)?;
        let mut cur = t;
        for _ in 0..=self.types.len() {
            match self.types[cur] {
                TyDef::Resource | TyDef::Unknown => return Ok(t),
                TyDef::Alias(next) => cur = next,
                _ => break,
            }
        }
        Err(err(
            id.span,
            format!("type `{}` used in a handle must be a resource", id.name),
        ))
    }

    fn ty(&mut self, ty: &ast::Type, lookup: &Lookup) -> PResult<RTy> {
        match ty {
            ast::Type::Prim(p, _) => Ok(RTy::Prim(*p)),
            ast::Type::Name(id) => self.name(id, lookup).map(RTy::Id),
            _ => {
                let d = self.anon(ty, lookup)?.unwrap_or(TyDef::Other);
                Ok(RTy::Id(self.alloc(d)))
            }
        }
    }

    /// Resolves an interface's items; returns its names and its summary.
    fn interface(
        &mut self,
        name: &str,
        items: &'a [ast::InterfaceItem],
        attrs: &[ast::Attribute],
    ) -> PResult<(Lookup, InterfaceInfo)> {
        check_attrs(attrs)?;
        let mut uses = Vec::new();
        let mut scope_items = Vec::new();
        for it in items {
            match it {
                ast::InterfaceItem::Use(u) => {
                    uses.push(u);
                    scope_items.push(ScopeItem::Use(u));
                }
                ast::InterfaceItem::Type(t) => scope_items.push(ScopeItem::Def(t)),
                ast::InterfaceItem::Func(_) => {}
            }
        }
        let mut types = Vec::new();
        let mut lookup = self.scope(&uses, &scope_items, &mut types)?;
        let mut names = NameScope::default();
        for n in &lookup.order {
            names.define(n, lookup.map[n].1)?;
        }
        let mut functions = Vec::new();
        let mut spans = HashMap::new();
        for it in items {
            match it {
                ast::InterfaceItem::Func(f) => {
                    if !lookup.map.contains_key(&f.name.name) {
                        lookup.order.push(f.name.name.clone());
                        lookup
                            .map
                            .insert(f.name.name.clone(), (Entry::Func, f.name.span));
                    }
                    let info = self.function(f, None, &lookup)?;
                    names.define(&info.name, f.name.span)?;
                    spans.insert(info.name.clone(), f.name.span);
                    functions.push(info);
                }
                ast::InterfaceItem::Type(ast::TypeDef {
                    name: rname,
                    kind: ast::TypeDefKind::Resource(funcs),
                    ..
                }) => {
                    for rf in funcs {
                        let info = self.resource_func(rf, rname, &lookup)?;
                        names.define(&info.name, rf.func.name.span)?;
                        spans.insert(info.name.clone(), rf.func.name.span);
                        functions.push(info);
                    }
                }
                _ => {}
            }
        }
        names.check_setters(&spans)?;
        Ok((
            lookup,
            InterfaceInfo {
                name: name.to_string(),
                types,
                functions,
            },
        ))
    }

    fn resource_func(
        &mut self,
        rf: &ast::ResourceFunc,
        resource: &ast::Id,
        lookup: &Lookup,
    ) -> PResult<FunctionInfo> {
        let rid = match lookup.map.get(&resource.name) {
            Some((Entry::Type(t), _)) => *t,
            _ => {
                return Err(err(
                    resource.span,
                    format!("unknown type `{}`", resource.name),
                ))
            }
        };
        self.function(&rf.func, Some((rf.kind, &resource.name, rid)), lookup)
    }

    fn function(
        &mut self,
        f: &ast::NamedFunc,
        resource: Option<(ast::ResourceFuncKind, &str, usize)>,
        lookup: &Lookup,
    ) -> PResult<FunctionInfo> {
        use ast::ResourceFuncKind as K;
        check_attrs(&f.attributes)?;
        let func = &f.func;
        let acc = match func.accessor {
            Some(ast::Accessor::Getter) => "[get]",
            Some(ast::Accessor::Setter) => "[set]",
            None => "",
        };
        let n = &f.name.name;
        let (name, is_method, ctor) = match resource {
            None => (format!("{acc}{n}"), false, None),
            Some((K::Method, r, _)) => (format!("[method]{acc}{r}.{n}"), true, None),
            Some((K::Static, r, _)) => (format!("[static]{acc}{r}.{n}"), false, None),
            Some((K::Constructor, r, id)) => (format!("[constructor]{r}"), false, Some(id)),
        };
        let mut params: Vec<String> = Vec::new();
        if is_method {
            params.push("self".into());
        }
        match func.accessor {
            Some(ast::Accessor::Getter) => {
                if let Some((p, _)) = func.params.first() {
                    return Err(err(p.span, "getters cannot have parameters".into()));
                }
            }
            Some(ast::Accessor::Setter) if func.params.len() != 1 => {
                let span = func.params.get(1).map_or(func.span, |p| p.0.span);
                return Err(err(span, "setters must have exactly one parameter".into()));
            }
            _ => {}
        }
        for (p, ty) in &func.params {
            if params.iter().any(|q| kebab_key(q) == kebab_key(&p.name)) {
                return Err(err(
                    p.span,
                    format!("param `{}` is defined more than once", p.name),
                ));
            }
            params.push(p.name.clone());
            self.ty(ty, lookup)?;
        }
        let result = match &func.result {
            Some(t) => Some((self.ty(t, lookup)?, t)),
            None => None,
        };
        let result_kind = |r: &RTy, types: &[TyDef]| match r {
            RTy::Id(i) => match &types[*i] {
                TyDef::Result { ok } => Some(*ok),
                _ => None,
            },
            RTy::Prim(_) => None,
        };
        if let Some(rid) = ctor {
            if let Some((r, t)) = &result {
                match result_kind(r, &self.types) {
                    None => {
                        return Err(err(
                            t.span(),
                            "if a constructor return type is declared it must be a `result`".into(),
                        ))
                    }
                    Some(Some(RTy::Id(ok))) if ok == rid => {}
                    Some(_) => {
                        let span = match t {
                            ast::Type::Result { ok: Some(ok), .. } => ok.span(),
                            _ => t.span(),
                        };
                        return Err(err(
                            span,
                            "the `ok` type must be the resource being constructed".into(),
                        ));
                    }
                }
            }
        }
        match (func.accessor, &result) {
            (Some(ast::Accessor::Getter), None) => {
                return Err(err(func.span, "getters must return a value".into()))
            }
            (Some(ast::Accessor::Setter), Some((r, t)))
                if result_kind(r, &self.types) != Some(None) =>
            {
                return Err(err(
                    t.span(),
                    "if a setter return type is declared it must be a `result` with no `ok` type"
                        .into(),
                ));
            }
            _ => {}
        }
        Ok(FunctionInfo {
            name,
            params,
            has_result: result.is_some() || ctor.is_some(),
        })
    }

    fn world(&mut self, w: &'a ast::World) -> PResult<WorldInfo> {
        check_attrs(&w.attributes)?;
        let mut uses = Vec::new();
        let mut scope_items = Vec::new();
        for it in &w.items {
            match it {
                ast::WorldItem::Use(u) => {
                    uses.push(u);
                    scope_items.push(ScopeItem::Use(u));
                }
                ast::WorldItem::Type(t) => scope_items.push(ScopeItem::Def(t)),
                _ => {}
            }
        }
        let mut types = Vec::new();
        let lookup = self.scope(&uses, &scope_items, &mut types)?;
        let mut includes = Vec::new();
        for it in &w.items {
            if let ast::WorldItem::Include(inc) = it {
                check_attrs(&inc.attributes)?;
                match self.path(&inc.from)? {
                    ItemRef::World(_) => includes.push(inc.from.name().name.clone()),
                    ItemRef::Iface(_) => {
                        return Err(err(
                            inc.from.name().span,
                            format!(
                                "name `{}` is defined as an interface, not a world",
                                inc.from.name().name
                            ),
                        ))
                    }
                }
            }
        }
        #[derive(PartialEq, Eq, Hash, Clone)]
        enum Key {
            Name(String),
            Iface(Target),
        }
        let mut import_names = NameScope::default();
        let mut export_names = NameScope::default();
        let mut imports: Vec<Key> = Vec::new();
        let mut exports: Vec<Key> = Vec::new();
        let mut shown_imports = Vec::new();
        let mut shown_exports = Vec::new();
        for n in &lookup.order {
            import_names.define(n, lookup.map[n].1)?;
            imports.push(Key::Name(n.clone()));
            shown_imports.push(n.clone());
        }
        for it in &w.items {
            let (e, is_import) = match it {
                ast::WorldItem::Import(e) => (e, true),
                ast::WorldItem::Export(e) => (e, false),
                ast::WorldItem::Type(ast::TypeDef {
                    name,
                    kind: ast::TypeDefKind::Resource(funcs),
                    ..
                }) => {
                    for rf in funcs {
                        let info = self.resource_func(rf, name, &lookup)?;
                        import_names.define(&info.name, rf.func.name.span)?;
                        imports.push(Key::Name(info.name.clone()));
                        shown_imports.push(info.name);
                    }
                    continue;
                }
                _ => continue,
            };
            check_attrs(&e.attributes)?;
            let (key, shown, span) = match &e.kind {
                ast::ExternKind::Interface(name, items) => {
                    self.interface(&name.name, items, &[])?;
                    (Key::Name(name.name.clone()), name.name.clone(), name.span)
                }
                ast::ExternKind::Path(p) => {
                    let t = self.iface_of(p)?;
                    (Key::Iface(t), self.target_name(t), p.name().span)
                }
                ast::ExternKind::NamedPath(label, p) => {
                    self.iface_of(p)?;
                    (
                        Key::Name(label.name.clone()),
                        label.name.clone(),
                        label.span,
                    )
                }
                ast::ExternKind::Func(name, func) => {
                    let nf = ast::NamedFunc {
                        docs: ast::Docs::default(),
                        attributes: Vec::new(),
                        name: name.clone(),
                        func: func.clone(),
                    };
                    let info = self.function(&nf, None, &lookup)?;
                    (Key::Name(info.name.clone()), info.name, name.span)
                }
            };
            let (desc, list, shown_list, names) = if is_import {
                (
                    "import",
                    &mut imports,
                    &mut shown_imports,
                    &mut import_names,
                )
            } else {
                (
                    "export",
                    &mut exports,
                    &mut shown_exports,
                    &mut export_names,
                )
            };
            if list.contains(&key) {
                return Err(err(
                    span,
                    match key {
                        Key::Iface(_) => format!("interface cannot be {desc}ed more than once"),
                        Key::Name(n) => format!("{desc} `{n}` conflicts with a prior one"),
                    },
                ));
            }
            if let Key::Name(n) = &key {
                names.define(n, span)?;
            }
            list.push(key);
            shown_list.push(shown);
        }
        Ok(WorldInfo {
            name: w.name.name.clone(),
            imports: shown_imports,
            exports: shown_exports,
            includes,
        })
    }
}

#[derive(Clone, Copy)]
enum ScopeItem<'a> {
    Use(&'a ast::Use),
    Def(&'a ast::TypeDef),
}

fn unique(desc: &str, ids: &[ast::Id]) -> PResult<()> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for id in ids {
        if let Some(prev) = seen.insert(kebab_key(&id.name), &id.name) {
            return Err(err(
                id.span,
                if prev == id.name {
                    format!("duplicate {desc} `{prev}`")
                } else {
                    format!(
                        "{desc} `{}` conflicts with previous {desc} `{prev}`",
                        id.name
                    )
                },
            ));
        }
    }
    Ok(())
}

/// The names a type definition refers to.
fn collect_refs<'t>(kind: &'t ast::TypeDefKind, out: &mut Vec<&'t ast::Id>) {
    match kind {
        ast::TypeDefKind::Alias(t) => type_refs(t, out),
        ast::TypeDefKind::Record(fields) => fields.iter().for_each(|f| type_refs(&f.ty, out)),
        ast::TypeDefKind::Variant(cases) => cases
            .iter()
            .filter_map(|c| c.ty.as_ref())
            .for_each(|t| type_refs(t, out)),
        ast::TypeDefKind::Enum(_) | ast::TypeDefKind::Flags(_) | ast::TypeDefKind::Resource(_) => {}
    }
}

fn type_refs<'t>(ty: &'t ast::Type, out: &mut Vec<&'t ast::Id>) {
    use ast::Type as T;
    match ty {
        T::Prim(..) => {}
        T::Name(id) | T::Own(id) | T::Borrow(id) => out.push(id),
        T::List(t, _) | T::FixedList(t, _, _) | T::Option(t, _) => type_refs(t, out),
        T::Map(k, v, _) => {
            type_refs(k, out);
            type_refs(v, out);
        }
        T::Result { ok, err, .. } => {
            for t in [ok, err].into_iter().flatten() {
                type_refs(t, out);
            }
        }
        T::Tuple(ts, _) => ts.iter().for_each(|t| type_refs(t, out)),
        T::Future(t, _) | T::Stream(t, _) => {
            if let Some(t) = t {
                type_refs(t, out)
            }
        }
    }
}

/// Kahn's algorithm: an order in which every node comes after its
/// dependencies, or a dependency edge that lies on a cycle.
fn toposort<'i>(deps: &[Vec<(usize, &'i ast::Id)>]) -> Result<Vec<usize>, (usize, &'i ast::Id)> {
    let n = deps.len();
    let mut remaining: Vec<usize> = deps.iter().map(|d| d.len()).collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, d) in deps.iter().enumerate() {
        for &(j, _) in d {
            users[j].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..n).rev().filter(|&i| remaining[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop() {
        order.push(i);
        for &u in &users[i] {
            remaining[u] -= 1;
            if remaining[u] == 0 {
                ready.push(u);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    for (i, d) in deps.iter().enumerate() {
        if remaining[i] == 0 {
            continue;
        }
        for &(j, id) in d {
            if remaining[j] != 0 {
                return Err((i, id));
            }
        }
    }
    match deps.iter().flatten().next() {
        Some(&(j, id)) => Err((j, id)),
        None => Ok(order),
    }
}
