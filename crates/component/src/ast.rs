//! The decoded component: one Rust type per construct of the component
//! model's binary format (`Binary.md`). Every item that the validator may
//! reject keeps the byte `offset` it was read at.

use core::ops::Range;

use nanowasm_binary::module::ImportDesc;
use nanowasm_binary::Module;
use nanowasm_core::ValType;

/// A decoded component: its sections in order.
#[derive(Debug, Clone)]
pub struct Component {
    /// Where the component (preamble included) lies in the outermost binary.
    pub range: Range<usize>,
    /// The sections, in binary order.
    pub sections: Vec<Section>,
}

/// One section of a component.
#[derive(Debug, Clone)]
pub enum Section {
    /// Section 0: a custom section (name and where its payload is).
    Custom {
        /// The custom section's name.
        name: String,
        /// Where its payload is.
        range: Range<usize>,
    },
    /// Section 1: a nested core module, decoded and validated.
    CoreModule(Box<CoreModule>),
    /// Section 2: core instances.
    CoreInstances(Vec<CoreInstance>),
    /// Section 3: core types (function and module types).
    CoreTypes(Vec<CoreType>),
    /// Section 4: a nested component.
    Component(Box<Component>),
    /// Section 5: component instances.
    Instances(Vec<Instance>),
    /// Section 6: aliases.
    Aliases(Vec<Alias>),
    /// Section 7: component types.
    Types(Vec<Type>),
    /// Section 8: canonical functions.
    Canons(Vec<Canon>),
    /// Section 9: the start function.
    Start(Start),
    /// Section 10: imports.
    Imports(Vec<Import>),
    /// Section 11: exports.
    Exports(Vec<Export>),
}

/// A nested core module.
#[derive(Debug, Clone)]
pub struct CoreModule {
    /// Where the module's bytes are in the outermost binary.
    pub range: Range<usize>,
    /// The module, decoded and validated by `nanowasm-binary` (its offsets are
    /// relative to `range.start`).
    pub module: Module,
}

/// The kinds of core definitions (`core:sort`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoreSort {
    /// `func` (0x00).
    Func,
    /// `table` (0x01).
    Table,
    /// `memory` (0x02).
    Memory,
    /// `global` (0x03).
    Global,
    /// `tag` (0x04).
    Tag,
    /// `type` (0x10).
    Type,
    /// `module` (0x11).
    Module,
    /// `instance` (0x12).
    Instance,
}

/// The kinds of definitions of a component (`sort`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sort {
    /// A core sort (`0x00 core:sort`).
    Core(CoreSort),
    /// `func` (0x01).
    Func,
    /// `value` (0x02).
    Value,
    /// `type` (0x03).
    Type,
    /// `component` (0x04).
    Component,
    /// `instance` (0x05).
    Instance,
}

impl Sort {
    /// The name wasmparser uses in its messages.
    pub fn desc(self) -> &'static str {
        match self {
            Sort::Core(CoreSort::Func) => "core func",
            Sort::Core(CoreSort::Table) => "core table",
            Sort::Core(CoreSort::Memory) => "core memory",
            Sort::Core(CoreSort::Global) => "core global",
            Sort::Core(CoreSort::Tag) => "core tag",
            Sort::Core(CoreSort::Type) => "core type",
            Sort::Core(CoreSort::Module) => "module",
            Sort::Core(CoreSort::Instance) => "core instance",
            Sort::Func => "func",
            Sort::Value => "value",
            Sort::Type => "type",
            Sort::Component => "component",
            Sort::Instance => "instance",
        }
    }
}

/// A core instance.
#[derive(Debug, Clone)]
pub enum CoreInstance {
    /// `(instantiate m (with name (instance i))*)`.
    Instantiate {
        /// Where it was read.
        offset: usize,
        /// The core module index.
        module: u32,
        /// The arguments: import module name and core instance index.
        args: Vec<(String, u32)>,
    },
    /// A bundle of core exports.
    FromExports {
        /// Where it was read.
        offset: usize,
        /// The exports: name, kind, index.
        exports: Vec<(String, CoreSort, u32)>,
    },
}

/// A core type defined in a component.
#[derive(Debug, Clone)]
pub enum CoreType {
    /// A core function type.
    Func {
        /// Where it was read.
        offset: usize,
        /// Parameter types.
        params: Vec<ValType>,
        /// Result types.
        results: Vec<ValType>,
    },
    /// A core module type.
    Module {
        /// Where it was read.
        offset: usize,
        /// Its declarations.
        decls: Vec<ModuleTypeDecl>,
    },
}

/// A declaration inside a core module type.
#[derive(Debug, Clone)]
pub enum ModuleTypeDecl {
    /// An import.
    Import {
        /// Where it was read.
        offset: usize,
        /// Module name.
        module: String,
        /// Field name.
        name: String,
        /// What is imported.
        desc: ImportDesc,
    },
    /// A core type (never a module type).
    Type(CoreType),
    /// `(alias outer count index (type))`.
    OuterType {
        /// Where it was read.
        offset: usize,
        /// How many scopes out.
        count: u32,
        /// The core type index there.
        index: u32,
    },
    /// An export.
    Export {
        /// Where it was read.
        offset: usize,
        /// The export name.
        name: String,
        /// What is exported.
        desc: ImportDesc,
    },
}

/// A component instance.
#[derive(Debug, Clone)]
pub enum Instance {
    /// `(instantiate c (with name sort idx)*)`.
    Instantiate {
        /// Where it was read.
        offset: usize,
        /// The component index.
        component: u32,
        /// The arguments.
        args: Vec<(String, Sort, u32)>,
    },
    /// A bundle of exports.
    FromExports {
        /// Where it was read.
        offset: usize,
        /// The exports.
        exports: Vec<(ExternName, Sort, u32)>,
    },
}

/// An alias.
#[derive(Debug, Clone)]
pub enum Alias {
    /// An export of a component instance.
    InstanceExport {
        /// Where it was read.
        offset: usize,
        /// What kind of definition it is.
        sort: Sort,
        /// The instance.
        instance: u32,
        /// The export name.
        name: String,
    },
    /// An export of a core instance.
    CoreInstanceExport {
        /// Where it was read.
        offset: usize,
        /// What kind of definition it is.
        sort: CoreSort,
        /// The core instance.
        instance: u32,
        /// The export name.
        name: String,
    },
    /// A definition of an enclosing component.
    Outer {
        /// Where it was read.
        offset: usize,
        /// Core type, core module, type or component.
        sort: Sort,
        /// How many components out.
        count: u32,
        /// The index there.
        index: u32,
    },
}

impl Alias {
    /// The sort of the definition the alias adds.
    pub fn sort(&self) -> Sort {
        match self {
            Alias::InstanceExport { sort, .. } | Alias::Outer { sort, .. } => *sort,
            Alias::CoreInstanceExport { sort, .. } => Sort::Core(*sort),
        }
    }
}

/// The primitive value types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Primitive {
    /// `bool`
    Bool,
    /// `s8`
    S8,
    /// `u8`
    U8,
    /// `s16`
    S16,
    /// `u16`
    U16,
    /// `s32`
    S32,
    /// `u32`
    U32,
    /// `s64`
    S64,
    /// `u64`
    U64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `char`
    Char,
    /// `string`
    String,
}

/// A value type: a primitive or a type index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// A primitive type.
    Primitive(Primitive),
    /// A type index (of a defined value type).
    Type(u32),
}

/// A case of a variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The case's label.
    pub name: String,
    /// Its payload.
    pub ty: Option<ValueType>,
}

/// A defined value type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefinedType {
    /// A primitive.
    Primitive(Primitive),
    /// `record`
    Record(Vec<(String, ValueType)>),
    /// `variant`
    Variant(Vec<Case>),
    /// `list`
    List(ValueType),
    /// `stream<T?>` (async; only defined and named by built-ins)
    Stream(Option<ValueType>),
    /// `future<T?>` (async; only defined and named by built-ins)
    Future(Option<ValueType>),
    /// `map<K, V>` (`cm-map`)
    Map(ValueType, ValueType),
    /// `list<T, N>`, a fixed-length list (`cm-fixed-length-lists`)
    FixedList(ValueType, u32),
    /// `tuple`
    Tuple(Vec<ValueType>),
    /// `flags`
    Flags(Vec<String>),
    /// `enum`
    Enum(Vec<String>),
    /// `option`
    Option(ValueType),
    /// `result`
    Result {
        /// The ok payload.
        ok: Option<ValueType>,
        /// The error payload.
        err: Option<ValueType>,
    },
    /// `own` of a resource type index.
    Own(u32),
    /// `borrow` of a resource type index.
    Borrow(u32),
}

/// A component function type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncType {
    /// `async` (🔀): the function may block its caller.
    pub is_async: bool,
    /// Named parameters.
    pub params: Vec<(String, ValueType)>,
    /// The result, if any.
    pub result: Option<ValueType>,
}

/// A component type definition.
#[derive(Debug, Clone)]
pub enum Type {
    /// A defined value type.
    Defined {
        /// Where it was read.
        offset: usize,
        /// The type.
        ty: DefinedType,
    },
    /// A function type.
    Func {
        /// Where it was read.
        offset: usize,
        /// The type.
        ty: FuncType,
    },
    /// A component type.
    Component {
        /// Where it was read.
        offset: usize,
        /// Its declarations.
        decls: Vec<Decl>,
    },
    /// An instance type (declarations never include imports).
    Instance {
        /// Where it was read.
        offset: usize,
        /// Its declarations.
        decls: Vec<Decl>,
    },
    /// A resource type.
    Resource {
        /// Where it was read.
        offset: usize,
        /// Its representation (always `i32` today).
        rep: ValType,
        /// The destructor's core function index.
        dtor: Option<u32>,
    },
}

/// A declaration of a component or instance type.
#[derive(Debug, Clone)]
pub enum Decl {
    /// A core type.
    CoreType(CoreType),
    /// A type.
    Type(Type),
    /// An alias.
    Alias(Alias),
    /// An import (component types only).
    Import(Import),
    /// An export.
    Export {
        /// Where it was read.
        offset: usize,
        /// The export name.
        name: ExternName,
        /// Its type.
        ty: TypeRef,
    },
}

/// A bound on an imported or exported type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeBound {
    /// Equal to this type index.
    Eq(u32),
    /// A fresh resource type.
    SubResource,
}

/// The type of an import or export (`externdesc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeRef {
    /// A core module of this core type index.
    Module(u32),
    /// A function of this type index.
    Func(u32),
    /// A value of this type.
    Value(ValueType),
    /// A type with this bound.
    Type(TypeBound),
    /// A component of this type index.
    Component(u32),
    /// An instance of this type index.
    Instance(u32),
}

impl TypeRef {
    /// The sort of what it describes.
    pub fn sort(&self) -> Sort {
        match self {
            TypeRef::Module(_) => Sort::Core(CoreSort::Module),
            TypeRef::Func(_) => Sort::Func,
            TypeRef::Value(_) => Sort::Value,
            TypeRef::Type(_) => Sort::Type,
            TypeRef::Component(_) => Sort::Component,
            TypeRef::Instance(_) => Sort::Instance,
        }
    }
}

/// An import or export name, with where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternName {
    /// Where the name starts.
    pub offset: usize,
    /// The name.
    pub name: String,
    /// `(implements "ns:pkg/iface")` (`cm-implements`): the interface an
    /// instance of a plain name implements.
    pub implements: Option<String>,
    /// `(external-id "...")` (`cm-implements`): any string, not checked.
    pub external_id: Option<String>,
}

/// An import.
#[derive(Debug, Clone)]
pub struct Import {
    /// Where it was read.
    pub offset: usize,
    /// The import name.
    pub name: ExternName,
    /// Its type.
    pub ty: TypeRef,
}

/// An export.
#[derive(Debug, Clone)]
pub struct Export {
    /// Where it was read.
    pub offset: usize,
    /// The export name.
    pub name: ExternName,
    /// What kind of definition is exported.
    pub sort: Sort,
    /// Its index.
    pub index: u32,
    /// An explicit type ascription.
    pub ty: Option<TypeRef>,
}

/// A canonical option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanonOpt {
    /// `string-encoding=utf8`
    Utf8,
    /// `string-encoding=utf16`
    Utf16,
    /// `string-encoding=latin1+utf16`
    CompactUtf16,
    /// `(memory m)`, a core memory index.
    Memory(u32),
    /// `(realloc f)`, a core function index.
    Realloc(u32),
    /// `(post-return f)`, a core function index.
    PostReturn(u32),
    /// `async` (🔀).
    Async,
    /// `(callback f)` (🔀), a core function index.
    Callback(u32),
}

/// A canonical function.
#[derive(Debug, Clone)]
pub enum Canon {
    /// `canon lift`: a core function into a component function.
    Lift {
        /// Where it was read.
        offset: usize,
        /// The core function.
        core_func: u32,
        /// The options.
        opts: Vec<CanonOpt>,
        /// The component function type index.
        ty: u32,
    },
    /// `canon lower`: a component function into a core function.
    Lower {
        /// Where it was read.
        offset: usize,
        /// The component function.
        func: u32,
        /// The options.
        opts: Vec<CanonOpt>,
    },
    /// `canon resource.new` of a resource type.
    ResourceNew {
        /// Where it was read.
        offset: usize,
        /// The resource type.
        ty: u32,
    },
    /// `canon resource.drop` of a resource type.
    ResourceDrop {
        /// Where it was read.
        offset: usize,
        /// The resource type.
        ty: u32,
    },
    /// `canon resource.rep` of a resource type.
    ResourceRep {
        /// Where it was read.
        offset: usize,
        /// The resource type.
        ty: u32,
    },
    /// One of the async, thread and error-context built-ins (`task.return`,
    /// `waitable-set.wait`, `stream.read`, ...).
    Builtin(Builtin),
}

/// The built-ins of the async, thread and error-context families that
/// are decoded and validated. The runtime gives each its core function;
/// the ones with no meaning without async trap as not supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BuiltinKind {
    BackpressureInc,
    BackpressureDec,
    TaskReturn,
    TaskCancel,
    ContextGet,
    ContextSet,
    ThreadYield,
    ThreadIndex,
    ThreadNewIndirect,
    ThreadResumeLater,
    ThreadSuspend,
    ThreadSuspendThenResume,
    ThreadYieldThenResume,
    ThreadSuspendThenPromote,
    ThreadYieldThenPromote,
    SubtaskCancel,
    SubtaskDrop,
    StreamNew,
    StreamRead,
    StreamWrite,
    StreamCancelRead,
    StreamCancelWrite,
    StreamDropReadable,
    StreamDropWritable,
    FutureNew,
    FutureRead,
    FutureWrite,
    FutureCancelRead,
    FutureCancelWrite,
    FutureDropReadable,
    FutureDropWritable,
    ErrorContextNew,
    ErrorContextDebugMessage,
    ErrorContextDrop,
    WaitableSetNew,
    WaitableSetWait,
    WaitableSetPoll,
    WaitableSetDrop,
    WaitableJoin,
}

impl BuiltinKind {
    /// Its name in the text format (after `canon`).
    pub fn name(self) -> &'static str {
        use BuiltinKind::*;
        match self {
            BackpressureInc => "backpressure.inc",
            BackpressureDec => "backpressure.dec",
            TaskReturn => "task.return",
            TaskCancel => "task.cancel",
            ContextGet => "context.get",
            ContextSet => "context.set",
            ThreadYield => "thread.yield",
            ThreadIndex => "thread.index",
            ThreadNewIndirect => "thread.new-indirect",
            ThreadResumeLater => "thread.resume-later",
            ThreadSuspend => "thread.suspend",
            ThreadSuspendThenResume => "thread.suspend-then-resume",
            ThreadYieldThenResume => "thread.yield-then-resume",
            ThreadSuspendThenPromote => "thread.suspend-then-promote",
            ThreadYieldThenPromote => "thread.yield-then-promote",
            SubtaskCancel => "subtask.cancel",
            SubtaskDrop => "subtask.drop",
            StreamNew => "stream.new",
            StreamRead => "stream.read",
            StreamWrite => "stream.write",
            StreamCancelRead => "stream.cancel-read",
            StreamCancelWrite => "stream.cancel-write",
            StreamDropReadable => "stream.drop-readable",
            StreamDropWritable => "stream.drop-writable",
            FutureNew => "future.new",
            FutureRead => "future.read",
            FutureWrite => "future.write",
            FutureCancelRead => "future.cancel-read",
            FutureCancelWrite => "future.cancel-write",
            FutureDropReadable => "future.drop-readable",
            FutureDropWritable => "future.drop-writable",
            ErrorContextNew => "error-context.new",
            ErrorContextDebugMessage => "error-context.debug-message",
            ErrorContextDrop => "error-context.drop",
            WaitableSetNew => "waitable-set.new",
            WaitableSetWait => "waitable-set.wait",
            WaitableSetPoll => "waitable-set.poll",
            WaitableSetDrop => "waitable-set.drop",
            WaitableJoin => "waitable.join",
        }
    }
}

/// A built-in of [`BuiltinKind`] with its immediates (each kind uses some).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builtin {
    /// Where it was read.
    pub offset: usize,
    /// Which built-in.
    pub kind: BuiltinKind,
    /// The stream or future type (`stream.*`, `future.*`).
    pub ty: Option<u32>,
    /// The result type of `task.return`.
    pub result: Option<ValueType>,
    /// Canonical options (`task.return`, `stream`/`future` `read`/`write`,
    /// `error-context.new`/`debug-message`).
    pub opts: Vec<CanonOpt>,
    /// The memory of `waitable-set.wait`/`poll`.
    pub memory: Option<u32>,
    /// `async` (`subtask.cancel`, `*.cancel-read`/`write`) or
    /// `cancellable` (`waitable-set.wait`/`poll`, `thread.yield`,
    /// `thread.suspend` and the `thread.*-then-*` built-ins).
    pub flag: bool,
    /// `context.get`/`set`: the core type and the slot.
    pub context: Option<(ValType, u32)>,
    /// `thread.new-indirect`: the core function type and the table.
    pub indirect: Option<(u32, u32)>,
}

/// The start function.
#[derive(Debug, Clone)]
pub struct Start {
    /// Where it was read.
    pub offset: usize,
    /// The function index.
    pub func: u32,
    /// Value indices passed as arguments.
    pub args: Vec<u32>,
    /// How many values it produces.
    pub results: u32,
}
