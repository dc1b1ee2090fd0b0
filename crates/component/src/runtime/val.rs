//! Component values, as the host sees them.

use super::types::{ResourceType, Type};

/// A component value: what a component function takes and returns
/// through the dynamic API ([`Func::call`](super::Func::call)).
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// `bool`
    Bool(bool),
    /// `s8`
    S8(i8),
    /// `u8`
    U8(u8),
    /// `s16`
    S16(i16),
    /// `u16`
    U16(u16),
    /// `s32`
    S32(i32),
    /// `u32`
    U32(u32),
    /// `s64`
    S64(i64),
    /// `u64`
    U64(u64),
    /// `f32`
    Float32(f32),
    /// `f64`
    Float64(f64),
    /// `char`
    Char(char),
    /// `string`
    String(String),
    /// `list<T>`, and `list<T, N>` (of exactly N elements)
    List(Vec<Val>),
    /// `map<K, V>`: its entries, in order (keys are not checked for
    /// uniqueness, as in wasmtime)
    Map(Vec<(Val, Val)>),
    /// `record`: the fields in the type's order, with their labels.
    Record(Vec<(String, Val)>),
    /// `tuple`
    Tuple(Vec<Val>),
    /// `variant`: the case's label and payload.
    Variant(String, Option<Box<Val>>),
    /// `enum`: the case's label.
    Enum(String),
    /// `option`
    Option(Option<Box<Val>>),
    /// `result`
    Result(Result<Option<Box<Val>>, Option<Box<Val>>>),
    /// `flags`: the labels of the flags that are set.
    Flags(Vec<String>),
    /// `own` or `borrow` of a resource.
    Resource(ResourceAny),
}

/// A resource handed to or by the host: its type, its representation (the
/// `i32` the implementing component or host chose), and whether it is
/// owned or borrowed.
///
/// An owned resource of a component-defined type whose destructor must
/// run is dropped with [`ResourceAny::resource_drop`]; one the host just
/// forgets is leaked, as in wasmtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResourceAny {
    pub(crate) ty: ResourceType,
    pub(crate) rep: u32,
    pub(crate) own: bool,
}

impl ResourceAny {
    /// An owned resource of the host type `ty` with representation `rep`.
    pub fn new_own(ty: ResourceType, rep: u32) -> ResourceAny {
        ResourceAny { ty, rep, own: true }
    }

    /// A borrowed resource of the host type `ty` with representation `rep`.
    pub fn new_borrow(ty: ResourceType, rep: u32) -> ResourceAny {
        ResourceAny {
            ty,
            rep,
            own: false,
        }
    }

    /// Its type.
    pub fn ty(&self) -> ResourceType {
        self.ty
    }

    /// Its representation.
    pub fn rep(&self) -> u32 {
        self.rep
    }

    /// Whether it is owned (`own`) rather than borrowed.
    pub fn owned(&self) -> bool {
        self.own
    }
}

impl Val {
    /// Whether the value is of type `ty`.
    pub fn matches(&self, ty: &Type) -> bool {
        match (self, ty) {
            (Val::Bool(_), Type::Bool)
            | (Val::S8(_), Type::S8)
            | (Val::U8(_), Type::U8)
            | (Val::S16(_), Type::S16)
            | (Val::U16(_), Type::U16)
            | (Val::S32(_), Type::S32)
            | (Val::U32(_), Type::U32)
            | (Val::S64(_), Type::S64)
            | (Val::U64(_), Type::U64)
            | (Val::Float32(_), Type::Float32)
            | (Val::Float64(_), Type::Float64)
            | (Val::Char(_), Type::Char)
            | (Val::String(_), Type::String) => true,
            (Val::List(vs), Type::List(t)) => vs.iter().all(|v| v.matches(t)),
            (Val::List(vs), Type::FixedList(t, n)) => {
                vs.len() == *n as usize && vs.iter().all(|v| v.matches(t))
            }
            (Val::Map(es), Type::Map(kv)) => {
                es.iter().all(|(k, v)| k.matches(&kv.0) && v.matches(&kv.1))
            }
            (Val::Record(vs), Type::Record(fs)) => {
                vs.len() == fs.len()
                    && vs
                        .iter()
                        .zip(fs.iter())
                        .all(|((l, v), (fl, ft))| l == fl && v.matches(ft))
            }
            (Val::Tuple(vs), Type::Tuple(ts)) => {
                vs.len() == ts.len() && vs.iter().zip(ts.iter()).all(|(v, t)| v.matches(t))
            }
            (Val::Variant(l, p), Type::Variant(cs)) => cs.iter().any(|(cl, ct)| {
                cl == l
                    && match (p, ct) {
                        (None, None) => true,
                        (Some(p), Some(t)) => p.matches(t),
                        _ => false,
                    }
            }),
            (Val::Enum(l), Type::Enum(ls)) => ls.contains(l),
            (Val::Option(None), Type::Option(_)) => true,
            (Val::Option(Some(v)), Type::Option(t)) => v.matches(t),
            (Val::Result(r), Type::Result(rt)) => {
                let (v, t) = match r {
                    Ok(v) => (v, &rt.0),
                    Err(v) => (v, &rt.1),
                };
                match (v, t) {
                    (None, None) => true,
                    (Some(v), Some(t)) => v.matches(t),
                    _ => false,
                }
            }
            (Val::Flags(fs), Type::Flags(ls)) => fs.iter().all(|f| ls.contains(f)),
            (Val::Resource(r), Type::Own(t)) => r.own && r.ty == *t,
            (Val::Resource(r), Type::Borrow(t)) => r.ty == *t,
            _ => false,
        }
    }
}
