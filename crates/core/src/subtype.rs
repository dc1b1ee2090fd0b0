//! Subtyping and iso-recursive type equivalence (typed function references
//! and GC, Wasm 3.0).
//!
//! Both the validator (over one module's type section) and the runtime
//! (over the engine's canonical types) answer "is `a` a subtype of `b`?"
//! with the functions here, through [`TypeSpace`]: the only thing that
//! differs between them is what a type index means and how two indices are
//! found equivalent.
//!
//! Spec: <https://webassembly.github.io/spec/core/valid/matching.html>.

use alloc::vec::Vec;
use core::ops::Range;

use crate::types::{CompositeType, FieldType, HeapType, RefType, StorageType, SubType, ValType};

/// A set of defined types that subtyping questions are asked about.
pub trait TypeSpace {
    /// The defined type at `index`.
    fn sub_type(&self, index: u32) -> &SubType;

    /// Whether the types at `a` and `b` are equivalent (the same
    /// iso-recursive type: their rec groups are identical up to the
    /// equivalence of what they refer to, and they sit at the same place in
    /// them).
    fn same(&self, a: u32, b: u32) -> bool;
}

/// Whether heap type `a` matches (is a subtype of) `b`.
pub fn heap_subtype(space: &impl TypeSpace, a: HeapType, b: HeapType) -> bool {
    use HeapType as H;
    match (a, b) {
        (H::Concrete(x), H::Concrete(y)) => {
            let mut x = x;
            // Declared supertype chains are at most 64 long (validation
            // enforces the depth), and each step goes to a smaller index
            // within a module or an older id within an engine.
            for _ in 0..=64 {
                if space.same(x, y) {
                    return true;
                }
                match space.sub_type(x).supertype {
                    Some(s) => x = s,
                    None => return false,
                }
            }
            false
        }
        (H::Concrete(x), _) => {
            let kind = space.sub_type(x).composite.kind();
            match b {
                H::Func => kind == H::Func,
                H::Struct => kind == H::Struct,
                H::Array => kind == H::Array,
                H::Eq | H::Any => kind != H::Func,
                _ => false,
            }
        }
        (H::None, _) => top(space, b) == H::Any,
        (H::NoFunc, _) => top(space, b) == H::Func,
        (H::NoExtern, _) => matches!(b, H::Extern | H::NoExtern),
        (H::NoExn, _) => matches!(b, H::Exn | H::NoExn),
        (_, H::Concrete(_)) => false,
        (H::I31 | H::Struct | H::Array, H::Eq | H::Any) => true,
        (H::Eq, H::Any) => true,
        _ => a == b,
    }
}

/// The top of `h`'s hierarchy: `any`, `func`, `extern` or `exn`.
pub fn top(space: &impl TypeSpace, h: HeapType) -> HeapType {
    match h {
        HeapType::Concrete(i) => match space.sub_type(i).composite {
            CompositeType::Func(_) => HeapType::Func,
            _ => HeapType::Any,
        },
        _ => h.abstract_top(),
    }
}

/// Whether reference type `a` matches `b`.
pub fn ref_subtype(space: &impl TypeSpace, a: RefType, b: RefType) -> bool {
    (!a.nullable() || b.nullable()) && heap_subtype(space, a.heap(), b.heap())
}

/// Whether value type `a` matches `b`.
pub fn val_subtype(space: &impl TypeSpace, a: ValType, b: ValType) -> bool {
    match (a, b) {
        (ValType::Ref(a), ValType::Ref(b)) => ref_subtype(space, a, b),
        _ => a == b,
    }
}

fn field_subtype(space: &impl TypeSpace, a: &FieldType, b: &FieldType) -> bool {
    if a.mutable != b.mutable {
        return false;
    }
    match (a.storage, b.storage) {
        (StorageType::Val(x), StorageType::Val(y)) => {
            // A mutable field is invariant: both directions.
            val_subtype(space, x, y) && (!a.mutable || val_subtype(space, y, x))
        }
        (x, y) => x == y,
    }
}

/// Whether composite type `a` matches `b` (what a declared supertype
/// requires of its subtype).
pub fn composite_subtype(space: &impl TypeSpace, a: &CompositeType, b: &CompositeType) -> bool {
    match (a, b) {
        (CompositeType::Func(a), CompositeType::Func(b)) => {
            a.params().len() == b.params().len()
                && a.results().len() == b.results().len()
                && a.params()
                    .iter()
                    .zip(b.params())
                    .all(|(&x, &y)| val_subtype(space, y, x))
                && a.results()
                    .iter()
                    .zip(b.results())
                    .all(|(&x, &y)| val_subtype(space, x, y))
        }
        (CompositeType::Struct(a), CompositeType::Struct(b)) => {
            a.len() >= b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|(x, y)| field_subtype(space, x, y))
        }
        (CompositeType::Array(a), CompositeType::Array(b)) => field_subtype(space, a, b),
        _ => false,
    }
}

/// Marks an index inside the rec group in a [`rec_group_key`].
pub const REC_MARK: u32 = 1 << 22;

/// The identity of the rec group `group` of `types`, for hashing: its types
/// with every index inside the group replaced by `REC_MARK | position` and
/// every index outside it by `outside(index)` (the canonical id of what it
/// names, which must be below [`REC_MARK`]). Two rec groups are the same
/// iso-recursive types exactly when their keys are equal.
pub fn rec_group_key(
    types: &[SubType],
    group: Range<u32>,
    mut outside: impl FnMut(u32) -> u32,
) -> Vec<SubType> {
    types[group.start as usize..group.end as usize]
        .iter()
        .map(|t| {
            t.map_indices(|i| {
                if group.contains(&i) {
                    REC_MARK | (i - group.start)
                } else {
                    outside(i)
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::FuncType;
    use alloc::vec;

    struct Space(Vec<SubType>);

    impl TypeSpace for Space {
        fn sub_type(&self, i: u32) -> &SubType {
            &self.0[i as usize]
        }
        fn same(&self, a: u32, b: u32) -> bool {
            a == b
        }
    }

    #[test]
    fn abstract_hierarchies() {
        let s = Space(vec![SubType::func(FuncType::new([], []))]);
        use HeapType as H;
        assert!(heap_subtype(&s, H::I31, H::Any));
        assert!(heap_subtype(&s, H::None, H::I31));
        assert!(!heap_subtype(&s, H::None, H::Func));
        assert!(heap_subtype(&s, H::NoFunc, H::Concrete(0)));
        assert!(heap_subtype(&s, H::Concrete(0), H::Func));
        assert!(!heap_subtype(&s, H::Concrete(0), H::Any));
        assert!(!heap_subtype(&s, H::Func, H::Concrete(0)));
        assert!(heap_subtype(&s, H::NoExtern, H::Extern));
        assert!(!heap_subtype(&s, H::Extern, H::Any));
    }

    #[test]
    fn rec_group_keys_name_inner_types_by_position() {
        // (rec (type (func (param (ref 1)))) (type (func (param (ref 0)))))
        // at indices 5 and 6, and the same group at 7 and 8.
        let f = |i| {
            SubType::func(FuncType::new(
                [ValType::Ref(RefType::new(false, HeapType::Concrete(i)))],
                [],
            ))
        };
        let types = vec![f(0), f(0), f(0), f(0), f(0), f(6), f(5), f(8), f(7)];
        let a = rec_group_key(&types, 5..7, |i| i);
        let b = rec_group_key(&types, 7..9, |i| i);
        assert_eq!(a, b);
        // A reference out of the group keeps the outside id.
        let c = rec_group_key(&types, 1..2, |_| 42);
        assert_eq!(c[0], f(42));
    }

    #[test]
    fn declared_supertypes() {
        let open = |sup| SubType {
            is_final: false,
            supertype: sup,
            composite: CompositeType::Func(FuncType::new([], [])),
        };
        let s = Space(vec![open(None), open(Some(0)), open(Some(1))]);
        assert!(heap_subtype(
            &s,
            HeapType::Concrete(2),
            HeapType::Concrete(0)
        ));
        assert!(!heap_subtype(
            &s,
            HeapType::Concrete(0),
            HeapType::Concrete(2)
        ));
    }
}
