//! Type section (id 1): function types, and with GC, struct and array
//! types, recursion groups and declared supertypes.

use alloc::format;
use alloc::vec::Vec;

use nanowasm_core::subtype::{composite_subtype, TypeSpace};
use nanowasm_core::{CompositeType, Feature, FieldType, FuncType, StorageType, SubType};

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::features3;
use crate::reader::Reader;
use crate::types::TypeSection;

/// The longest chain of declared supertypes a type may have.
const MAX_SUBTYPING_DEPTH: u32 = 63;

impl Decoder<'_> {
    pub(crate) fn type_section(&mut self, r: &mut Reader<'_>) -> Result<()> {
        let n = r.count()?;
        for _ in 0..n {
            let at = r.offset();
            let group = if r.peek() == Some(0x4e) {
                r.u8()?;
                features3::require(self.features, Feature::Gc, "a rec group", at)?;
                let m = r.count()?;
                let mut group = Vec::with_capacity(m as usize);
                for _ in 0..m {
                    group.push((r.offset(), self.sub_type(r)?));
                }
                group
            } else {
                alloc::vec![(at, self.sub_type(r)?)]
            };
            if self.parts.types.len() + group.len() > 1_000_000 {
                return Err(Error::invalid("too many types", at));
            }
            check_group(&self.parts.types, &group)?;
            self.parts
                .types
                .push_group(group.into_iter().map(|(_, t)| t).collect());
        }
        Ok(())
    }

    fn sub_type(&mut self, r: &mut Reader<'_>) -> Result<SubType> {
        let at = r.offset();
        match r.peek() {
            Some(b @ (0x50 | 0x4f)) => {
                r.u8()?;
                features3::require(self.features, Feature::Gc, "a sub type", at)?;
                let supers_at = r.offset();
                let n = r.count()?;
                if n > 1 {
                    return Err(Error::invalid("multiple supertypes", supers_at));
                }
                let supertype = if n == 1 { Some(r.u32()?) } else { None };
                Ok(SubType {
                    is_final: b == 0x4f,
                    supertype,
                    composite: self.composite_type(r)?,
                })
            }
            _ => Ok(SubType {
                is_final: true,
                supertype: None,
                composite: self.composite_type(r)?,
            }),
        }
    }

    fn composite_type(&mut self, r: &mut Reader<'_>) -> Result<CompositeType> {
        let at = r.offset();
        match r.u8()? {
            0x60 => {}
            0x5f => {
                features3::require(self.features, Feature::Gc, "a struct type", at)?;
                let n = r.count()?;
                let mut fields = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    fields.push(self.field_type(r)?);
                }
                return Ok(CompositeType::Struct(fields.into()));
            }
            0x5e => {
                features3::require(self.features, Feature::Gc, "an array type", at)?;
                return Ok(CompositeType::Array(self.field_type(r)?));
            }
            b if b & 0x80 != 0 => {
                // A multi-byte encoding of the (signed LEB128) form.
                return Err(Error::malformed("integer representation too long", at));
            }
            _ => return Err(Error::malformed("malformed function type", at)),
        }
        let np = r.count()?;
        let mut params = Vec::with_capacity(np as usize);
        for _ in 0..np {
            params.push(r.val_type(self.features)?);
        }
        let results_at = r.offset();
        let nr = r.count()?;
        let mut results = Vec::with_capacity(nr as usize);
        for _ in 0..nr {
            results.push(r.val_type(self.features)?);
        }
        if nr > 1 && !self.features.has(Feature::MultiValue) {
            return Err(Error::invalid("invalid result arity", results_at));
        }
        Ok(CompositeType::Func(FuncType::new(params, results)))
    }

    fn field_type(&mut self, r: &mut Reader<'_>) -> Result<FieldType> {
        let storage = match r.peek() {
            Some(0x78) => {
                r.u8()?;
                StorageType::I8
            }
            Some(0x77) => {
                r.u8()?;
                StorageType::I16
            }
            _ => StorageType::Val(r.val_type(self.features)?),
        };
        let at = r.offset();
        let mutable = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(Error::malformed("malformed mutability", at)),
        };
        Ok(FieldType { storage, mutable })
    }
}

/// Validates a rec group about to be appended to `types`: every index it
/// uses names a type before the group's end, and every declared supertype
/// is an earlier, non-final type that the subtype matches.
fn check_group(types: &TypeSection, group: &[(usize, SubType)]) -> Result<()> {
    let start = types.len() as u32;
    let end = start + group.len() as u32;
    for (i, (at, t)) in group.iter().enumerate() {
        let mut bad = None;
        t.for_each_index(|x| {
            if x >= end && bad.is_none() {
                bad = Some(x);
            }
        });
        if let Some(x) = bad {
            return Err(Error::invalid(format!("unknown type {x}"), *at));
        }
        if let Some(s) = t.supertype {
            if s >= start + i as u32 {
                return Err(Error::invalid(format!("unknown type {s}"), *at));
            }
        }
    }
    // Subtype checks may follow references into the group itself, so they
    // run against a view that has it.
    let view = GroupView { types, group };
    for (i, (at, t)) in group.iter().enumerate() {
        let Some(s) = t.supertype else { continue };
        let sup = view.sub_type(s);
        if sup.is_final || !composite_subtype(&view, &t.composite, &sup.composite) {
            return Err(Error::invalid("sub type does not match its supertype", *at)
                .with_detail(format!("type {} declares supertype {s}", start + i as u32)));
        }
        let mut depth = 1;
        let mut x = sup.supertype;
        while let Some(y) = x {
            depth += 1;
            x = view.sub_type(y).supertype;
        }
        if depth > MAX_SUBTYPING_DEPTH {
            return Err(Error::invalid("sub type hierarchy too deep", *at));
        }
    }
    Ok(())
}

/// The types so far plus a rec group being validated. Equivalence inside
/// the group is identity (two types of one group are equivalent only if
/// they are the same one); types before it use their canonical indices.
struct GroupView<'a> {
    types: &'a TypeSection,
    group: &'a [(usize, SubType)],
}

impl TypeSpace for GroupView<'_> {
    fn sub_type(&self, index: u32) -> &SubType {
        let n = self.types.len() as u32;
        if index < n {
            self.types.sub_type(index)
        } else {
            &self.group[(index - n) as usize].1
        }
    }

    fn same(&self, a: u32, b: u32) -> bool {
        let n = self.types.len() as u32;
        if a < n && b < n {
            self.types.same(a, b)
        } else {
            a == b
        }
    }
}
