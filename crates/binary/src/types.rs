//! A module's type section: its defined types, grouped into recursion
//! groups, each with a canonical index for iso-recursive equivalence.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::ops::Range;

use nanowasm_core::subtype::{rec_group_key, TypeSpace};
use nanowasm_core::{FuncType, SubType};

/// The defined types of a module.
///
/// Two type indices name the same type when their rec groups are the same
/// up to the equivalence of the types they refer to and they sit at the
/// same position in them (iso-recursive equivalence, GC proposal).
/// [`canonical`](Self::canonical) gives each index the smallest index of
/// an equivalent type, so the question is one compare.
#[derive(Clone, Debug, Default)]
pub struct TypeSection {
    types: Vec<SubType>,
    /// The first index of each type's rec group.
    group_start: Vec<u32>,
    /// The smallest index of an equivalent type.
    canonical: Vec<u32>,
    /// Each distinct rec group seen, by its key, to its first index.
    groups: BTreeMap<Vec<SubType>, u32>,
}

impl TypeSection {
    /// How many types there are.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The type at `index`.
    pub fn get(&self, index: u32) -> Option<&SubType> {
        self.types.get(index as usize)
    }

    /// The function type at `index`, if `index` names one.
    pub fn func(&self, index: u32) -> Option<&FuncType> {
        self.get(index)?.as_func()
    }

    /// Every type, in order.
    pub fn iter(&self) -> core::slice::Iter<'_, SubType> {
        self.types.iter()
    }

    /// The indices of the rec group of type `index`.
    pub fn rec_group(&self, index: u32) -> Range<u32> {
        let start = self.group_start[index as usize];
        let mut end = index + 1;
        while (end as usize) < self.types.len() && self.group_start[end as usize] == start {
            end += 1;
        }
        start..end
    }

    /// The rec groups, in order.
    pub fn rec_groups(&self) -> impl Iterator<Item = Range<u32>> + '_ {
        let mut at = 0u32;
        core::iter::from_fn(move || {
            if at as usize >= self.types.len() {
                return None;
            }
            let g = self.rec_group(at);
            at = g.end;
            Some(g)
        })
    }

    /// The smallest index of a type equivalent to the one at `index`.
    pub fn canonical(&self, index: u32) -> u32 {
        self.canonical[index as usize]
    }

    /// Appends a rec group (already validated against the types before
    /// it) and gives its types their canonical indices.
    pub fn push_group(&mut self, group: Vec<SubType>) {
        let start = self.types.len() as u32;
        let end = start + group.len() as u32;
        self.types.extend(group);
        self.group_start
            .extend(core::iter::repeat_n(start, (end - start) as usize));
        let key = rec_group_key(&self.types, start..end, |i| self.canonical[i as usize]);
        let first = *self.groups.entry(key).or_insert(start);
        self.canonical.extend(first..first + (end - start));
    }

    /// A section of plain function types, each its own rec group.
    pub fn from_funcs(funcs: impl IntoIterator<Item = FuncType>) -> TypeSection {
        let mut s = TypeSection::default();
        for f in funcs {
            s.push_group(alloc::vec![SubType::func(f)]);
        }
        s
    }
}

impl TypeSpace for TypeSection {
    fn sub_type(&self, index: u32) -> &SubType {
        &self.types[index as usize]
    }

    fn same(&self, a: u32, b: u32) -> bool {
        self.canonical[a as usize] == self.canonical[b as usize]
    }
}
