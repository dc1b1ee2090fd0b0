//! The syntax tree of a WIT file, as written: names are not resolved here
//! (see [`crate::resolve`]).

/// A range of bytes in a [`crate::SourceMap`] (offsets span all its files).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }
}

/// An identifier, `%` escape removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Id {
    /// The name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// Documentation: the `///` and `/** */` comments before an item, markers
/// removed, one entry per comment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Docs {
    /// The doc comments' text.
    pub lines: Vec<String>,
    /// Whether any comment at all (doc or not) preceded the item.
    pub any_comment: bool,
    /// Where the comments are.
    pub span: Span,
}

/// A semantic version, as written (checked against semver's grammar).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The text, e.g. `0.2.0-rc.1`.
    pub text: String,
    /// Where it is written.
    pub span: Span,
}

/// A feature gate or other `@attribute`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attribute {
    /// `@since(version = 1.2.3)`
    Since {
        /// The attribute's name.
        span: Span,
        /// The version.
        version: Version,
    },
    /// `@unstable(feature = name)`
    Unstable {
        /// The attribute's name.
        span: Span,
        /// The feature.
        feature: Id,
    },
    /// `@deprecated(version = 1.2.3)`
    Deprecated {
        /// The attribute's name.
        span: Span,
        /// The version.
        version: Version,
    },
    /// `@external-id("...")`
    ExternalId {
        /// The attribute's name.
        span: Span,
        /// The decoded string.
        id: String,
    },
}

/// `namespace:name@version`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageName {
    /// The namespace.
    pub namespace: Id,
    /// The package's name.
    pub name: Id,
    /// The version, if any.
    pub version: Option<Version>,
    /// The whole name.
    pub span: Span,
}

impl std::fmt::Display for PackageName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.namespace.name, self.name.name)?;
        if let Some(v) = &self.version {
            write!(f, "@{}", v.text)?;
        }
        Ok(())
    }
}

/// One `.wit` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// The `package ns:name;` header, if any, with its docs.
    pub package: Option<(Docs, PackageName)>,
    /// Interfaces, worlds, top-level `use`s and nested packages.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// `interface name { ... }`
    Interface(Interface),
    /// `world name { ... }`
    World(World),
    /// `use path as name;`
    Use(TopUse),
    /// `package ns:name { ... }`
    Package(NestedPackage),
}

/// `package ns:name { items }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NestedPackage {
    /// Doc comments.
    pub docs: Docs,
    /// The package's name.
    pub name: PackageName,
    /// Its items.
    pub items: Vec<Item>,
}

/// A top-level `use path (as name)?;`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopUse {
    /// The `use` keyword.
    pub span: Span,
    /// Attributes (refused by resolution).
    pub attributes: Vec<Attribute>,
    /// What is used.
    pub path: UsePath,
    /// The local name, if renamed.
    pub as_: Option<Id>,
}

/// A path to an interface or world: `name` in this package or
/// `ns:pkg/name@version` in another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UsePath {
    /// An item of this package (or a top-level `use` of this file).
    Local(Id),
    /// An item of another package.
    Foreign {
        /// The package.
        package: PackageName,
        /// The item.
        name: Id,
    },
}

impl UsePath {
    /// The item's own name (the last part of the path).
    pub fn name(&self) -> &Id {
        match self {
            UsePath::Local(id) | UsePath::Foreign { name: id, .. } => id,
        }
    }
}

/// `interface name { items }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Doc comments.
    pub docs: Docs,
    /// Feature gates.
    pub attributes: Vec<Attribute>,
    /// The name.
    pub name: Id,
    /// Types, functions and `use`s.
    pub items: Vec<InterfaceItem>,
}

/// An item of an interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InterfaceItem {
    /// A type definition.
    Type(TypeDef),
    /// `name: func(...)`
    Func(NamedFunc),
    /// `use path.{names};`
    Use(Use),
}

/// `use path.{a, b as c};`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    /// Feature gates.
    pub attributes: Vec<Attribute>,
    /// The interface.
    pub from: UsePath,
    /// The names and their renames.
    pub names: Vec<UseName>,
}

/// One name of a `use`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseName {
    /// The name in the interface.
    pub name: Id,
    /// The local name, if renamed.
    pub as_: Option<Id>,
}

impl UseName {
    /// The name this `use` defines locally.
    pub fn local(&self) -> &Id {
        self.as_.as_ref().unwrap_or(&self.name)
    }
}

/// `world name { items }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct World {
    /// Doc comments.
    pub docs: Docs,
    /// Feature gates.
    pub attributes: Vec<Attribute>,
    /// The name.
    pub name: Id,
    /// Imports, exports, types, `use`s and `include`s.
    pub items: Vec<WorldItem>,
}

/// An item of a world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorldItem {
    /// `import ...;`
    Import(Extern),
    /// `export ...;`
    Export(Extern),
    /// `use path.{names};`
    Use(Use),
    /// A type definition (an imported type).
    Type(TypeDef),
    /// `include path (with { a as b })?;`
    Include(Include),
}

/// What an import or export names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extern {
    /// Doc comments.
    pub docs: Docs,
    /// Feature gates.
    pub attributes: Vec<Attribute>,
    /// The item.
    pub kind: ExternKind,
}

/// The forms of an import or export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternKind {
    /// `name: interface { items }`
    Interface(Id, Vec<InterfaceItem>),
    /// `path;`
    Path(UsePath),
    /// `label: path;`
    NamedPath(Id, UsePath),
    /// `name: func(...);`
    Func(Id, Func),
}

/// `include path with { a as b };`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    /// Feature gates.
    pub attributes: Vec<Attribute>,
    /// The world included.
    pub from: UsePath,
    /// Renames.
    pub names: Vec<(Id, Id)>,
}

/// A named type definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeDef {
    /// Doc comments.
    pub docs: Docs,
    /// Feature gates.
    pub attributes: Vec<Attribute>,
    /// The name.
    pub name: Id,
    /// The definition.
    pub kind: TypeDefKind,
}

/// The kinds of type definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeDefKind {
    /// `type name = ty;`
    Alias(Type),
    /// `record name { fields }`
    Record(Vec<Field>),
    /// `variant name { cases }`
    Variant(Vec<Case>),
    /// `enum name { cases }`
    Enum(Vec<Named>),
    /// `flags name { flags }`
    Flags(Vec<Named>),
    /// `resource name;` or `resource name { functions }`
    Resource(Vec<ResourceFunc>),
}

/// A record field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Doc comments.
    pub docs: Docs,
    /// The name.
    pub name: Id,
    /// The type.
    pub ty: Type,
}

/// A variant case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Doc comments.
    pub docs: Docs,
    /// The name.
    pub name: Id,
    /// The payload, if any.
    pub ty: Option<Type>,
}

/// An enum case or a flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    /// Doc comments.
    pub docs: Docs,
    /// The name.
    pub name: Id,
}

/// The kinds of resource function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceFuncKind {
    /// `name: func(...)` (takes `self`)
    Method,
    /// `name: static func(...)`
    Static,
    /// `constructor(...)`
    Constructor,
}

/// A function of a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceFunc {
    /// Method, static or constructor.
    pub kind: ResourceFuncKind,
    /// The function (`constructor` as its name for constructors).
    pub func: NamedFunc,
}

/// `name: func(...)`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedFunc {
    /// Doc comments.
    pub docs: Docs,
    /// Feature gates.
    pub attributes: Vec<Attribute>,
    /// The name.
    pub name: Id,
    /// The signature.
    pub func: Func,
}

/// `get`/`set` accessors (`name: get() -> T`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accessor {
    /// `get(...)`
    Getter,
    /// `set(...)`
    Setter,
}

/// A function type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Func {
    /// The `func` keyword (or accessor, or `constructor`).
    pub span: Span,
    /// `async func`
    pub is_async: bool,
    /// `get(...)` or `set(...)` in place of `func(...)`.
    pub accessor: Option<Accessor>,
    /// Named parameters.
    pub params: Vec<(Id, Type)>,
    /// The result, if any.
    pub result: Option<Type>,
}

/// A primitive type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Prim {
    Bool,
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    F32,
    F64,
    Char,
    String,
    ErrorContext,
}

/// A type expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// `bool`, `u32`, `string`, ...
    Prim(Prim, Span),
    /// A named type.
    Name(Id),
    /// `list<T>`
    List(Box<Type>, Span),
    /// `list<T, N>`
    FixedList(Box<Type>, u32, Span),
    /// `map<K, V>`
    Map(Box<Type>, Box<Type>, Span),
    /// `option<T>`
    Option(Box<Type>, Span),
    /// `result`, `result<T>`, `result<_, E>`, `result<T, E>`
    Result {
        /// The `ok` type.
        ok: Option<Box<Type>>,
        /// The `err` type.
        err: Option<Box<Type>>,
        /// The `result` keyword.
        span: Span,
    },
    /// `tuple<T, ...>`
    Tuple(Vec<Type>, Span),
    /// `own<R>`
    Own(Id),
    /// `borrow<R>`
    Borrow(Id),
    /// `future` or `future<T>`
    Future(Option<Box<Type>>, Span),
    /// `stream` or `stream<T>`
    Stream(Option<Box<Type>>, Span),
}

impl Type {
    /// Where the type starts (its keyword or name).
    pub fn span(&self) -> Span {
        match self {
            Type::Prim(_, s)
            | Type::List(_, s)
            | Type::FixedList(_, _, s)
            | Type::Map(_, _, s)
            | Type::Option(_, s)
            | Type::Result { span: s, .. }
            | Type::Tuple(_, s)
            | Type::Future(_, s)
            | Type::Stream(_, s) => *s,
            Type::Name(id) | Type::Own(id) | Type::Borrow(id) => id.span,
        }
    }
}
