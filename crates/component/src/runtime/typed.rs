//! Typed calls: Rust values for component values, checked against the
//! function's type once, when the [`TypedFunc`] is made.
//!
//! `bool`, the integer types, `f32`, `f64`, `char`, `String` (and `&str`
//! as an argument), `Vec<T>`, `Option<T>`, `Result<T, E>` (with `()` for a
//! missing payload), tuples up to eight, [`ResourceAny`] and [`Val`]
//! itself implement [`ComponentType`]; parameter and result lists are
//! tuples of them (`()` for none).

use std::marker::PhantomData;

use nanowasm_runtime::{AsContextMut, Error};

use super::instance::Func;
use super::types::Type;
use super::val::{ResourceAny, Val};

/// A Rust type that stands for component values of some types.
pub trait ComponentType: Sized {
    /// Whether values of `ty` can be `Self` (and `Self` values of `ty`).
    fn typecheck(ty: &Type) -> bool;
    /// The component value.
    fn lower(&self) -> Val;
    /// The Rust value of a component value of a type `typecheck` accepted.
    fn lift(v: Val) -> Result<Self, Error>;
}

fn wrong(v: &Val, what: &str) -> Error {
    Error::usage(format!("{v:?} is not a {what}"))
}

macro_rules! scalar {
    ($($rust:ty => $variant:ident $ty:ident),* $(,)?) => {$(
        impl ComponentType for $rust {
            fn typecheck(ty: &Type) -> bool {
                matches!(ty, Type::$ty)
            }
            fn lower(&self) -> Val {
                Val::$variant(*self)
            }
            fn lift(v: Val) -> Result<Self, Error> {
                match v {
                    Val::$variant(x) => Ok(x),
                    v => Err(wrong(&v, stringify!($rust))),
                }
            }
        }
    )*};
}

scalar! {
    bool => Bool Bool,
    i8 => S8 S8,
    u8 => U8 U8,
    i16 => S16 S16,
    u16 => U16 U16,
    i32 => S32 S32,
    u32 => U32 U32,
    i64 => S64 S64,
    u64 => U64 U64,
    f32 => Float32 Float32,
    f64 => Float64 Float64,
    char => Char Char,
}

impl ComponentType for String {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::String)
    }
    fn lower(&self) -> Val {
        Val::String(self.clone())
    }
    fn lift(v: Val) -> Result<Self, Error> {
        match v {
            Val::String(s) => Ok(s),
            v => Err(wrong(&v, "string")),
        }
    }
}

impl ComponentType for &str {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::String)
    }
    fn lower(&self) -> Val {
        Val::String((*self).to_string())
    }
    fn lift(v: Val) -> Result<Self, Error> {
        Err(Error::usage(format!(
            "a `&str` cannot be a result ({v:?}): use `String`"
        )))
    }
}

impl<T: ComponentType> ComponentType for Vec<T> {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::List(t) if T::typecheck(t))
    }
    fn lower(&self) -> Val {
        Val::List(self.iter().map(T::lower).collect())
    }
    fn lift(v: Val) -> Result<Self, Error> {
        match v {
            Val::List(vs) => vs.into_iter().map(T::lift).collect(),
            v => Err(wrong(&v, "list")),
        }
    }
}

impl<T: ComponentType> ComponentType for Option<T> {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::Option(t) if T::typecheck(t))
    }
    fn lower(&self) -> Val {
        Val::Option(self.as_ref().map(|v| Box::new(v.lower())))
    }
    fn lift(v: Val) -> Result<Self, Error> {
        match v {
            Val::Option(p) => p.map(|v| T::lift(*v)).transpose(),
            v => Err(wrong(&v, "option")),
        }
    }
}

/// A payload of a `result` case: `()` for none.
fn payload_check<T: ComponentType + 'static>(t: &Option<Type>) -> bool {
    match t {
        None => std::any::TypeId::of::<T>() == std::any::TypeId::of::<()>(),
        Some(t) => T::typecheck(t),
    }
}

impl ComponentType for () {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::Tuple(ts) if ts.is_empty())
    }
    fn lower(&self) -> Val {
        Val::Tuple(Vec::new())
    }
    fn lift(_: Val) -> Result<Self, Error> {
        Ok(())
    }
}

impl<T: ComponentType + 'static, E: ComponentType + 'static> ComponentType for Result<T, E> {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::Result(r) if payload_check::<T>(&r.0) && payload_check::<E>(&r.1))
    }
    fn lower(&self) -> Val {
        let side = |v: Val| match v {
            Val::Tuple(ts) if ts.is_empty() => None,
            v => Some(Box::new(v)),
        };
        Val::Result(match self {
            Ok(v) => Ok(side(v.lower())),
            Err(e) => Err(side(e.lower())),
        })
    }
    fn lift(v: Val) -> Result<Self, Error> {
        let side = |p: Option<Box<Val>>| p.map_or(Val::Tuple(Vec::new()), |v| *v);
        match v {
            Val::Result(Ok(p)) => Ok(Ok(T::lift(side(p))?)),
            Val::Result(Err(p)) => Ok(Err(E::lift(side(p))?)),
            v => Err(wrong(&v, "result")),
        }
    }
}

impl ComponentType for ResourceAny {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::Own(_) | Type::Borrow(_))
    }
    fn lower(&self) -> Val {
        Val::Resource(*self)
    }
    fn lift(v: Val) -> Result<Self, Error> {
        match v {
            Val::Resource(r) => Ok(r),
            v => Err(wrong(&v, "resource")),
        }
    }
}

impl ComponentType for Val {
    fn typecheck(_: &Type) -> bool {
        true
    }
    fn lower(&self) -> Val {
        self.clone()
    }
    fn lift(v: Val) -> Result<Self, Error> {
        Ok(v)
    }
}

/// A list of values of several types, as a Rust tuple: a function's
/// parameters, or its results (`()` or a one-element tuple).
pub trait ComponentList: Sized {
    /// Whether the list's types match `tys`.
    fn typecheck_list(tys: &[&Type]) -> bool;
    /// The component values.
    fn lower_list(&self) -> Vec<Val>;
    /// The Rust values of component values.
    fn lift_list(vs: Vec<Val>) -> Result<Self, Error>;
}

macro_rules! tuples {
    ($(($($t:ident $i:tt),*))*) => {$(
        impl<$($t: ComponentType),*> ComponentList for ($($t,)*) {
            fn typecheck_list(tys: &[&Type]) -> bool {
                let n = [$(stringify!($t)),*].len();
                tys.len() == n $(&& $t::typecheck(tys[$i]))*
            }
            #[allow(clippy::unused_unit)]
            fn lower_list(&self) -> Vec<Val> {
                vec![$(self.$i.lower()),*]
            }
            #[allow(unused_variables, unused_mut)]
            fn lift_list(vs: Vec<Val>) -> Result<Self, Error> {
                let mut it = vs.into_iter();
                Ok(($($t::lift(it.next().ok_or_else(|| Error::usage("too few values"))?)?,)*))
            }
        }
        impl<$($t: ComponentType),*> ComponentType for ($($t,)*) where ($($t,)*): NotUnit {
            fn typecheck(ty: &Type) -> bool {
                match ty {
                    Type::Tuple(ts) => {
                        let tys: Vec<&Type> = ts.iter().collect();
                        Self::typecheck_list(&tys)
                    }
                    _ => false,
                }
            }
            fn lower(&self) -> Val {
                Val::Tuple(self.lower_list())
            }
            fn lift(v: Val) -> Result<Self, Error> {
                match v {
                    Val::Tuple(vs) => Self::lift_list(vs),
                    v => Err(wrong(&v, "tuple")),
                }
            }
        }
    )*};
}

/// Tuples of at least one element (`()` is a `ComponentType` on its own).
pub trait NotUnit {}

macro_rules! not_unit {
    ($(($($t:ident),*))*) => {$( impl<$($t),*> NotUnit for ($($t,)*) {} )*};
}

not_unit! {
    (A) (A, B) (A, B, C) (A, B, C, D) (A, B, C, D, E) (A, B, C, D, E, F) (A, B, C, D, E, F, G)
    (A, B, C, D, E, F, G, H)
}

impl ComponentList for () {
    fn typecheck_list(tys: &[&Type]) -> bool {
        tys.is_empty()
    }
    fn lower_list(&self) -> Vec<Val> {
        Vec::new()
    }
    fn lift_list(_: Vec<Val>) -> Result<Self, Error> {
        Ok(())
    }
}

tuples! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
}

/// A component function with Rust parameter and result types, checked
/// when it was made ([`Func::typed`]).
pub struct TypedFunc<P, R> {
    func: Func,
    _types: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        TypedFunc {
            func: self.func.clone(),
            _types: PhantomData,
        }
    }
}

impl Func {
    /// This function with parameter types `P` and result types `R` (both
    /// tuples); an error if they do not match its type.
    pub fn typed<P: ComponentList, R: ComponentList>(&self) -> Result<TypedFunc<P, R>, Error> {
        let ty = self.ty();
        let params: Vec<&Type> = ty.params().iter().map(|(_, t)| t).collect();
        let results: Vec<&Type> = ty.result().into_iter().collect();
        if !P::typecheck_list(&params) {
            return Err(Error::usage(format!(
                "type mismatch with the function's parameters {params:?}"
            )));
        }
        if !R::typecheck_list(&results) {
            return Err(Error::usage(format!(
                "type mismatch with the function's results {results:?}"
            )));
        }
        Ok(TypedFunc {
            func: self.clone(),
            _types: PhantomData,
        })
    }
}

impl<P: ComponentList, R: ComponentList> TypedFunc<P, R> {
    /// Calls the function.
    pub fn call<T: 'static>(
        &self,
        mut store: impl AsContextMut<Data = T>,
        params: P,
    ) -> Result<R, Error> {
        let args = params.lower_list();
        let mut out = vec![Val::Bool(false); self.func.ty().result().is_some() as usize];
        self.func.call(store.as_context_mut(), &args, &mut out)?;
        R::lift_list(out)
    }

    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }
}
