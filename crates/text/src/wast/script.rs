//! A parsed script: what the spec runner executes, independent of the
//! parser that produced it.

use nanowasm_core::HeapType;

/// How a module is given.
#[derive(Debug, Clone)]
pub enum ModuleSource {
    /// Already encoded (text lowered to binary, or `binary` strings), or
    /// the error the text parser reported.
    Bytes(Result<Vec<u8>, String>),
}

/// A value argument.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// `i32.const`.
    I32(i32),
    /// `i64.const`.
    I64(i64),
    /// `f32.const` bits.
    F32(u32),
    /// `f64.const` bits.
    F64(u64),
    /// `v128.const`.
    V128(u128),
    /// `ref.null`.
    RefNull(HeapType),
    /// `ref.extern N`.
    RefExtern(u32),
    /// `ref.host N`: host value `N` as an `anyref` (`ref.extern N`
    /// converted by `any.convert_extern`).
    RefHost(u32),
}

/// What a NaN result must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NanKind {
    /// Only the quiet bit set in the payload.
    Canonical,
    /// The quiet bit set, any payload.
    Arithmetic,
}

/// One lane (or scalar) of an expected float result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FloatPattern<T> {
    /// Exactly these bits.
    Bits(T),
    /// A NaN of this kind.
    Nan(NanKind),
}

/// An expected result.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// `i32.const`.
    I32(i32),
    /// `i64.const`.
    I64(i64),
    /// `f32.const` or a NaN pattern.
    F32(FloatPattern<u32>),
    /// `f64.const` or a NaN pattern.
    F64(FloatPattern<u64>),
    /// `v128.const` integer lanes (exact bits).
    V128(u128),
    /// `v128.const f32x4` with per-lane patterns.
    V128F32([FloatPattern<u32>; 4]),
    /// `v128.const f64x2` with per-lane patterns.
    V128F64([FloatPattern<u64>; 2]),
    /// `ref.null` (of this heap type, if given).
    RefNull(Option<HeapType>),
    /// `ref.extern N`, or any non-null externref.
    RefExtern(Option<u32>),
    /// Any non-null funcref.
    RefFunc,
    /// Any non-null reference of the `any` hierarchy (`ref.any`, GC).
    RefAny,
    /// Any non-null reference that `ref.eq` compares (`ref.eq`, GC).
    RefEq,
    /// Any `i31` reference (`ref.i31`, GC).
    RefI31,
    /// Any struct reference (`ref.struct`, GC).
    RefStruct,
    /// Any array reference (`ref.array`, GC).
    RefArray,
    /// The host reference `N`, internalized into the `any` hierarchy
    /// (`ref.host N`, GC).
    RefHost(u32),
    /// Any of these (Wasm 3.0 `either`).
    Either(Vec<Expected>),
}

/// An action.
#[derive(Debug, Clone)]
pub enum Action {
    /// Call an export.
    Invoke {
        /// The module (`None`: the most recent one).
        module: Option<String>,
        /// The export.
        name: String,
        /// The arguments.
        args: Vec<Value>,
    },
    /// Read an exported global.
    Get {
        /// The module.
        module: Option<String>,
        /// The export.
        name: String,
    },
}

/// One directive of a script.
#[derive(Debug, Clone)]
pub enum Directive {
    /// Define (and instantiate) a module.
    Module {
        /// Its `$name`.
        name: Option<String>,
        /// Its bytes.
        source: ModuleSource,
    },
    /// Define a module without instantiating it (`module definition`,
    /// Wasm 3.0 scripts): it must decode and validate.
    ModuleDefinition {
        /// Its `$name`, for `module instance`.
        name: Option<String>,
        /// Its bytes.
        source: ModuleSource,
    },
    /// Instantiate a defined module (`module instance $I $M`).
    ModuleInstance {
        /// The instance's `$name`.
        instance: Option<String>,
        /// The definition (`None`: the most recent one).
        module: Option<String>,
    },
    /// Make a module's exports importable under `name`.
    Register {
        /// The import module name.
        name: String,
        /// The module (`None`: the most recent one).
        module: Option<String>,
    },
    /// Perform an action, ignoring its results.
    Action(Action),
    /// The action returns these values.
    AssertReturn {
        /// The action.
        action: Action,
        /// The expected results.
        expected: Vec<Expected>,
    },
    /// The action traps with this message.
    AssertTrap {
        /// The action.
        action: Action,
        /// The expected message (a prefix of ours).
        message: String,
    },
    /// Instantiating the module traps (in its start function or segments).
    AssertTrapModule {
        /// The module.
        source: ModuleSource,
        /// The expected message.
        message: String,
    },
    /// The action throws an exception that is not caught (exception
    /// handling).
    AssertException {
        /// The action.
        action: Action,
    },
    /// The action exhausts the call stack.
    AssertExhaustion {
        /// The action.
        action: Action,
        /// The expected message.
        message: String,
    },
    /// The module is malformed.
    AssertMalformed {
        /// The module (or the text error).
        source: ModuleSource,
        /// The expected message.
        message: String,
        /// Whether the module was given as text (`quote` or text).
        text: bool,
    },
    /// The module is invalid.
    AssertInvalid {
        /// The module.
        source: ModuleSource,
        /// The expected message.
        message: String,
    },
    /// Linking the module fails.
    AssertUnlinkable {
        /// The module.
        source: ModuleSource,
        /// The expected message.
        message: String,
    },
    /// Instantiating the module fails (not by a trap).
    AssertUninstantiable {
        /// The module.
        source: ModuleSource,
        /// The expected message.
        message: String,
    },
    /// A component directive (the component model's scripts): parsed
    /// only; runners without a component runtime report it as
    /// unsupported.
    Component(ComponentDirective),
}

/// A directive and the line it starts on.
#[derive(Debug, Clone)]
pub struct Located {
    /// 1-based line.
    pub line: usize,
    /// The directive.
    pub directive: Directive,
}

/// A value of the component model (`u32.const 1`, `str.const "a"`,
/// `record.const (field "a" (u8.const 1))`, ...), as component scripts
/// write arguments and results.
#[derive(Debug, Clone, PartialEq)]
pub enum ComponentValue {
    /// `bool.const true|false`.
    Bool(bool),
    /// `s8.const`.
    S8(i8),
    /// `u8.const`.
    U8(u8),
    /// `s16.const`.
    S16(i16),
    /// `u16.const`.
    U16(u16),
    /// `s32.const`.
    S32(i32),
    /// `u32.const`.
    U32(u32),
    /// `s64.const`.
    S64(i64),
    /// `u64.const`.
    U64(u64),
    /// `f32.const` bits.
    F32(u32),
    /// `f64.const` bits.
    F64(u64),
    /// `char.const "c"`.
    Char(char),
    /// `str.const "..."`.
    String(String),
    /// `list.const v*`.
    List(Vec<ComponentValue>),
    /// `record.const (field "name" v)*`.
    Record(Vec<(String, ComponentValue)>),
    /// `tuple.const v*`.
    Tuple(Vec<ComponentValue>),
    /// `variant.const "case" v?`.
    Variant(String, Option<Box<ComponentValue>>),
    /// `enum.const "case"`.
    Enum(String),
    /// `option.none`, `option.some v`.
    Option(Option<Box<ComponentValue>>),
    /// `result.ok v?`, `result.err v?`.
    Result(Result<Option<Box<ComponentValue>>, Option<Box<ComponentValue>>>),
    /// `flags.const "name"*`.
    Flags(Vec<String>),
}

/// A call of a component instance's exported function.
#[derive(Debug, Clone)]
pub struct ComponentInvoke {
    /// The component instance (`None`: the most recent one).
    pub instance: Option<String>,
    /// The export.
    pub name: String,
    /// The arguments.
    pub args: Vec<ComponentValue>,
}

/// A directive about components (the component model's scripts). The
/// parser sees whether an action is on a component from the directive
/// before it: after a component (or a component instance), `invoke`,
/// `assert_return` and `assert_trap` call a component.
#[derive(Debug, Clone)]
pub enum ComponentDirective {
    /// Define and instantiate a component.
    Component {
        /// Its `$name`.
        name: Option<String>,
        /// Its bytes.
        source: ModuleSource,
    },
    /// Define a component without instantiating it (`component
    /// definition`).
    Definition {
        /// Its `$name`, for `component instance`.
        name: Option<String>,
        /// Its bytes.
        source: ModuleSource,
    },
    /// Instantiate a defined component (`component instance $I $C`).
    Instance {
        /// The instance's `$name`.
        instance: Option<String>,
        /// The definition (`None`: the most recent one).
        component: Option<String>,
    },
    /// Call a function, ignoring its results.
    Invoke(ComponentInvoke),
    /// The call returns these values.
    AssertReturn {
        /// The call.
        invoke: ComponentInvoke,
        /// The expected results.
        expected: Vec<ComponentValue>,
    },
    /// The call traps with this message.
    AssertTrap {
        /// The call.
        invoke: ComponentInvoke,
        /// The expected message.
        message: String,
    },
    /// Instantiating the component traps.
    AssertTrapComponent {
        /// The component.
        source: ModuleSource,
        /// The expected message.
        message: String,
    },
    /// The component is malformed.
    AssertMalformed {
        /// The component (or the text error).
        source: ModuleSource,
        /// The expected message.
        message: String,
        /// Whether it was given as text (`quote` or text).
        text: bool,
    },
    /// The component is invalid.
    AssertInvalid {
        /// The component.
        source: ModuleSource,
        /// The expected message.
        message: String,
    },
    /// Linking the component fails.
    AssertUnlinkable {
        /// The component.
        source: ModuleSource,
        /// The expected message.
        message: String,
    },
}
