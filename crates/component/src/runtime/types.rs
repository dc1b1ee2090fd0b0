//! Resolved component types, as the runtime uses them: every type index
//! of the binary replaced by the type it names, and every resource type by
//! its identity. Also the canonical ABI's layout of each type (size,
//! alignment, flattening), computed from the type alone.

use std::any::TypeId;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use nanowasm_runtime::ValType as CoreType;

/// A component value type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
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
    Float32,
    /// `f64`
    Float64,
    /// `char`
    Char,
    /// `string`
    String,
    /// `list<T>`
    List(Arc<Type>),
    /// `map<K, V>` (laid out as `list<tuple<K, V>>`)
    Map(Arc<(Type, Type)>),
    /// `list<T, N>`, a fixed-length list (laid out as N fields of type T)
    FixedList(Arc<Type>, u32),
    /// `record { label: T, ... }`
    Record(Arc<[(String, Type)]>),
    /// `tuple<T, ...>`
    Tuple(Arc<[Type]>),
    /// `variant { label(T?), ... }`
    Variant(Arc<[(String, Option<Type>)]>),
    /// `enum { label, ... }`
    Enum(Arc<[String]>),
    /// `option<T>`
    Option(Arc<Type>),
    /// `result<T?, E?>`
    Result(Arc<(Option<Type>, Option<Type>)>),
    /// `flags { label, ... }`
    Flags(Arc<[String]>),
    /// `own<R>`
    Own(ResourceType),
    /// `borrow<R>`
    Borrow(ResourceType),
}

/// The identity of a resource type. A resource defined by a component is
/// a new type at each instantiation; a host resource is named by a Rust
/// type.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResourceType(Kind);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Guest(u64),
    Host(TypeId),
}

static NEXT_GUEST_RESOURCE: AtomicU64 = AtomicU64::new(1);

impl ResourceType {
    /// The host resource type named by `T` (the `Resource<T>` of the
    /// host's functions).
    pub fn host<T: 'static>() -> ResourceType {
        ResourceType(Kind::Host(TypeId::of::<T>()))
    }

    /// A resource type never seen before (a component's `(type (resource
    /// ...))` at one instantiation).
    pub(crate) fn fresh() -> ResourceType {
        ResourceType(Kind::Guest(
            NEXT_GUEST_RESOURCE.fetch_add(1, Ordering::Relaxed),
        ))
    }

    /// Whether a component defines it (rather than the host).
    pub fn is_guest(&self) -> bool {
        matches!(self.0, Kind::Guest(_))
    }
}

impl fmt::Debug for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Kind::Guest(n) => write!(f, "guest-resource#{n}"),
            Kind::Host(t) => write!(f, "host-resource{t:?}"),
        }
    }
}

/// A component function type: named parameters and at most one result.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncType {
    pub(crate) params: Arc<[(String, Type)]>,
    pub(crate) result: Option<Type>,
}

impl FuncType {
    /// A function type.
    pub fn new(params: impl IntoIterator<Item = (String, Type)>, result: Option<Type>) -> FuncType {
        FuncType {
            params: params.into_iter().collect(),
            result,
        }
    }

    /// The parameters, with their names.
    pub fn params(&self) -> &[(String, Type)] {
        &self.params
    }

    /// The result type.
    pub fn result(&self) -> Option<&Type> {
        self.result.as_ref()
    }

    pub(crate) fn param_types(&self) -> impl Iterator<Item = &Type> + Clone {
        self.params.iter().map(|(_, t)| t)
    }
}

/// The most core values a function's parameters flatten to before they
/// pass through memory instead.
pub(crate) const MAX_FLAT_PARAMS: usize = 16;
/// The most core values a function's results flatten to before they pass
/// through memory instead.
pub(crate) const MAX_FLAT_RESULTS: usize = 1;
/// At most this many flat parameters go directly to an `async`-lowered
/// import; more are passed in memory.
pub(crate) const MAX_FLAT_ASYNC_PARAMS: usize = 4;

/// How a variant's discriminant is stored: its size in bytes.
pub(crate) fn discriminant_size(cases: usize) -> u32 {
    if cases <= 1 << 8 {
        1
    } else if cases <= 1 << 16 {
        2
    } else {
        4
    }
}

pub(crate) fn align_to(x: u32, a: u32) -> u32 {
    x.div_ceil(a).saturating_mul(a)
}

impl Type {
    /// The cases of a type that lays out as a variant: `(label, payload)`
    /// for variant, enum, option and result.
    pub(crate) fn cases(&self) -> Option<Vec<Option<&Type>>> {
        Some(match self {
            Type::Variant(cs) => cs.iter().map(|(_, t)| t.as_ref()).collect(),
            Type::Enum(ls) => vec![None; ls.len()],
            Type::Option(t) => vec![None, Some(&**t)],
            Type::Result(r) => vec![r.0.as_ref(), r.1.as_ref()],
            _ => return None,
        })
    }

    /// The fields of a type that lays out as a record.
    pub(crate) fn fields(&self) -> Option<Vec<&Type>> {
        Some(match self {
            Type::Record(fs) => fs.iter().map(|(_, t)| t).collect(),
            Type::Tuple(ts) => ts.iter().collect(),
            _ => return None,
        })
    }

    /// The fields of a type that lays out as a record, without
    /// allocating (none for other types).
    pub(crate) fn field_types(&self) -> FieldTypes<'_> {
        match self {
            Type::Record(fs) => FieldTypes::Record(fs.iter()),
            Type::Tuple(ts) => FieldTypes::Tuple(ts.iter()),
            _ => FieldTypes::Tuple([].iter()),
        }
    }

    /// The canonical ABI alignment.
    pub(crate) fn align(&self) -> u32 {
        match self {
            Type::Bool | Type::S8 | Type::U8 => 1,
            Type::S16 | Type::U16 => 2,
            Type::S32 | Type::U32 | Type::Float32 | Type::Char => 4,
            Type::S64 | Type::U64 | Type::Float64 => 8,
            Type::String | Type::List(_) | Type::Map(_) | Type::Own(_) | Type::Borrow(_) => 4,
            Type::FixedList(t, _) => t.align(),
            Type::Flags(ls) => flags_size(ls.len()).clamp(1, 4),
            Type::Record(_) | Type::Tuple(_) => {
                self.field_types().map(|t| t.align()).max().unwrap_or(1)
            }
            _ => {
                let cases = self.cases().unwrap_or_default();
                discriminant_size(cases.len()).max(max_case_align(&cases))
            }
        }
    }

    /// The canonical ABI size in memory.
    pub(crate) fn size(&self) -> u32 {
        match self {
            Type::Bool | Type::S8 | Type::U8 => 1,
            Type::S16 | Type::U16 => 2,
            Type::S32 | Type::U32 | Type::Float32 | Type::Char => 4,
            Type::S64 | Type::U64 | Type::Float64 => 8,
            Type::String | Type::List(_) | Type::Map(_) => 8,
            // Saturated: the validator bounds a fixed-length list to 2^28
            // bytes, but records of them may still add up past 4 GiB (no
            // memory holds that; every bounds check fails).
            Type::FixedList(t, n) => t.size().saturating_mul(*n),
            Type::Own(_) | Type::Borrow(_) => 4,
            Type::Flags(ls) => flags_size(ls.len()),
            Type::Record(_) | Type::Tuple(_) => {
                let mut s = 0u32;
                for f in self.field_types() {
                    s = align_to(s, f.align()).saturating_add(f.size());
                }
                align_to(s, self.align())
            }
            _ => {
                let cases = self.cases().unwrap_or_default();
                let s = align_to(discriminant_size(cases.len()), max_case_align(&cases));
                let payload = cases.iter().flatten().map(|t| t.size()).max().unwrap_or(0);
                align_to(s.saturating_add(payload), self.align())
            }
        }
    }

    /// Appends the core types the value flattens to.
    pub(crate) fn flatten(&self, out: &mut Vec<CoreType>) {
        match self {
            Type::Bool
            | Type::S8
            | Type::U8
            | Type::S16
            | Type::U16
            | Type::S32
            | Type::U32
            | Type::Char
            | Type::Own(_)
            | Type::Borrow(_) => out.push(CoreType::I32),
            Type::S64 | Type::U64 => out.push(CoreType::I64),
            Type::Float32 => out.push(CoreType::F32),
            Type::Float64 => out.push(CoreType::F64),
            Type::String | Type::List(_) | Type::Map(_) => {
                out.extend([CoreType::I32, CoreType::I32])
            }
            Type::FixedList(t, n) => {
                // N copies of T. Past `FLAT_CAP` values the type is passed
                // in memory anyway (16 parameters, 1 result), so flattening
                // stops there: a `list<u8, 100000>` costs no more.
                for _ in 0..*n {
                    if out.len() > FLAT_CAP {
                        break;
                    }
                    t.flatten(out);
                }
            }
            Type::Flags(ls) => {
                out.extend(std::iter::repeat_n(CoreType::I32, flags_words(ls.len())))
            }
            Type::Record(_) | Type::Tuple(_) => {
                for f in self.fields().unwrap_or_default() {
                    f.flatten(out);
                }
            }
            _ => {
                out.push(CoreType::I32);
                out.extend(variant_payload(&self.cases().unwrap_or_default()));
            }
        }
    }

    /// The core types the value flattens to.
    pub(crate) fn flat(&self) -> Vec<CoreType> {
        let mut v = Vec::new();
        self.flatten(&mut v);
        v
    }
}

/// Where flattening stops: more than the 16 flat parameters, so such a
/// type is always passed through memory.
const FLAT_CAP: usize = 64;

/// An iterator over the field types of a record or tuple
/// ([`Type::field_types`]).
pub(crate) enum FieldTypes<'a> {
    Record(core::slice::Iter<'a, (String, Type)>),
    Tuple(core::slice::Iter<'a, Type>),
}

impl<'a> Iterator for FieldTypes<'a> {
    type Item = &'a Type;

    fn next(&mut self) -> Option<&'a Type> {
        match self {
            FieldTypes::Record(i) => i.next().map(|(_, t)| t),
            FieldTypes::Tuple(i) => i.next(),
        }
    }
}

fn max_case_align(cases: &[Option<&Type>]) -> u32 {
    cases.iter().flatten().map(|t| t.align()).max().unwrap_or(1)
}

/// The joined payload types of a variant's cases (without the
/// discriminant).
pub(crate) fn variant_payload(cases: &[Option<&Type>]) -> Vec<CoreType> {
    let mut flat: Vec<CoreType> = Vec::new();
    for t in cases.iter().flatten() {
        for (i, ft) in t.flat().into_iter().enumerate() {
            if i < flat.len() {
                flat[i] = join(flat[i], ft);
            } else {
                flat.push(ft);
            }
        }
    }
    flat
}

fn join(a: CoreType, b: CoreType) -> CoreType {
    match (a, b) {
        _ if a == b => a,
        (CoreType::I32, CoreType::F32) | (CoreType::F32, CoreType::I32) => CoreType::I32,
        _ => CoreType::I64,
    }
}

pub(crate) fn flags_size(n: usize) -> u32 {
    match n {
        0 => 0,
        1..=8 => 1,
        9..=16 => 2,
        _ => 4 * flags_words(n) as u32,
    }
}

pub(crate) fn flags_words(n: usize) -> usize {
    n.div_ceil(32)
}

/// The core signature of a function of type `ft` as `canon lift` calls it
/// (`lower == false`) or as `canon lower` presents it (`lower == true`).
pub(crate) fn core_signature(
    ft: &FuncType,
    lower: bool,
    opts: &super::abi::Options,
) -> (Vec<CoreType>, Vec<CoreType>) {
    let mut params = Vec::new();
    for t in ft.param_types() {
        t.flatten(&mut params);
    }
    let max_params = if lower && opts.is_async {
        MAX_FLAT_ASYNC_PARAMS
    } else {
        MAX_FLAT_PARAMS
    };
    if params.len() > max_params {
        params = vec![CoreType::I32];
    }
    if opts.is_async {
        // An async import writes its result through a pointer and returns
        // the subtask's state; an async export hands its result to
        // `task.return`, and with a callback returns what to do next.
        if lower && ft.result.is_some() {
            params.push(CoreType::I32);
        }
        let code = lower || opts.callback.is_some();
        return (params, if code { vec![CoreType::I32] } else { vec![] });
    }
    let mut results = ft.result.as_ref().map(Type::flat).unwrap_or_default();
    if results.len() > MAX_FLAT_RESULTS {
        if lower {
            params.push(CoreType::I32);
            results = Vec::new();
        } else {
            results = vec![CoreType::I32];
        }
    }
    (params, results)
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, items: &mut dyn Iterator<Item = String>| {
            let v: Vec<String> = items.collect();
            f.write_str(&v.join(", "))
        };
        match self {
            Type::Bool => f.write_str("bool"),
            Type::S8 => f.write_str("s8"),
            Type::U8 => f.write_str("u8"),
            Type::S16 => f.write_str("s16"),
            Type::U16 => f.write_str("u16"),
            Type::S32 => f.write_str("s32"),
            Type::U32 => f.write_str("u32"),
            Type::S64 => f.write_str("s64"),
            Type::U64 => f.write_str("u64"),
            Type::Float32 => f.write_str("f32"),
            Type::Float64 => f.write_str("f64"),
            Type::Char => f.write_str("char"),
            Type::String => f.write_str("string"),
            Type::List(t) => write!(f, "list<{t}>"),
            Type::Map(kv) => write!(f, "map<{}, {}>", kv.0, kv.1),
            Type::FixedList(t, n) => write!(f, "list<{t}, {n}>"),
            Type::Record(fs) => {
                f.write_str("record { ")?;
                list(f, &mut fs.iter().map(|(l, t)| format!("{l}: {t}")))?;
                f.write_str(" }")
            }
            Type::Tuple(ts) => {
                f.write_str("tuple<")?;
                list(f, &mut ts.iter().map(|t| t.to_string()))?;
                f.write_str(">")
            }
            Type::Variant(cs) => {
                f.write_str("variant { ")?;
                list(
                    f,
                    &mut cs.iter().map(|(l, t)| match t {
                        Some(t) => format!("{l}({t})"),
                        None => l.clone(),
                    }),
                )?;
                f.write_str(" }")
            }
            Type::Enum(ls) => write!(f, "enum {{ {} }}", ls.join(", ")),
            Type::Flags(ls) => write!(f, "flags {{ {} }}", ls.join(", ")),
            Type::Option(t) => write!(f, "option<{t}>"),
            Type::Result(r) => {
                let s = |t: &Option<Type>| t.as_ref().map_or("_".to_string(), |t| t.to_string());
                write!(f, "result<{}, {}>", s(&r.0), s(&r.1))
            }
            Type::Own(r) => write!(f, "own<{r:?}>"),
            Type::Borrow(r) => write!(f, "borrow<{r:?}>"),
        }
    }
}
