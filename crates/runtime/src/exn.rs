//! Exception handling: tags and exception objects.
//!
//! A tag is a store entity with a function type (no results): the types
//! of the values an exception of that tag carries. An exception object is
//! a tag and those values, kept in the store's [`Exns`] and referred to by
//! `exnref` values and by [`ExnRef`] handles.
//!
//! Lifetime: an object thrown by wasm and caught by a clause that passes
//! no `exnref` (`catch`, `catch_all`) never had a reference, so it is
//! freed there and its slot reused. One that ever had a reference
//! (`catch_ref`, `catch_all_ref`, an [`ExnRef`] made or seen by the
//! host) stays until the store is dropped, as `externref` values do, so a
//! handle never names another object. [`MAX_LIVE`] bounds how many are
//! live at once: past it, throwing fails with a limit error, so a guest
//! cannot grow the host's memory without bound.

use crate::prelude::*;
use nanowasm_core::FuncType;

use crate::error::Error;
use crate::store::{AsContext, AsContextMut, StoreInner, Stored};
use crate::values::Val;

/// The most exception objects a store holds at once.
pub const MAX_LIVE: usize = 1 << 20;

/// A tag of a store: what identifies an exception's kind when it is
/// caught, and the types of the values it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tag(pub(crate) Stored);

impl Tag {
    /// A new tag whose exceptions carry values of `ty`'s parameter types
    /// (`ty` has no results).
    pub fn new(mut store: impl AsContextMut, ty: &FuncType) -> Result<Tag, Error> {
        if !ty.results().is_empty() {
            return Err(Error::usage(format!(
                "a tag's type has no results, not {ty}"
            )));
        }
        let inner = &mut store.as_context_mut().inner;
        let index = inner.tags.len() as u32;
        let type_id = inner.engine.inner.types.register(ty);
        inner.tags.push(TagEntity {
            ty: ty.clone(),
            type_id,
        });
        Ok(Tag(Stored {
            store: inner.id,
            index,
        }))
    }

    /// The tag's type; an error if `store` does not own the tag.
    pub fn ty(&self, store: impl AsContext) -> Result<FuncType, Error> {
        let inner = &store.as_context().inner;
        inner.check(self.0)?;
        Ok(inner.tags[self.0.index as usize].ty.clone())
    }
}

/// A reference to an exception object (`exnref`): its tag and values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExnRef(pub(crate) Stored);

impl ExnRef {
    /// A new exception of `tag` carrying `fields`, which must have the
    /// tag's parameter types (and be of this store). A host function
    /// throws it by returning [`Error::exception`].
    pub fn new(mut store: impl AsContextMut, tag: Tag, fields: &[Val]) -> Result<ExnRef, Error> {
        let inner = &mut store.as_context_mut().inner;
        inner.check(tag.0)?;
        let ty = inner.tags[tag.0.index as usize].ty.clone();
        if ty.params().len() != fields.len() {
            return Err(Error::usage(format!(
                "the tag takes {} values, not {}",
                ty.params().len(),
                fields.len()
            )));
        }
        for (v, &t) in fields.iter().zip(ty.params()) {
            inner.check_val(v, t, "an exception's value")?;
        }
        let mut cells = vec![0; crate::func::cells_of(ty.params())];
        crate::func::write_val_cells(&mut cells, fields);
        let index = inner
            .exns
            .alloc(tag.0.index, cells.into_boxed_slice(), true)?;
        Ok(ExnRef(Stored {
            store: inner.id,
            index,
        }))
    }

    /// The exception's tag.
    pub fn tag(&self, store: impl AsContext) -> Result<Tag, Error> {
        let inner = &store.as_context().inner;
        inner.check(self.0)?;
        Ok(Tag(Stored {
            store: inner.id,
            index: inner.exns.get(self.0.index).tag,
        }))
    }

    /// The exception's values.
    pub fn fields(&self, store: impl AsContext) -> Result<Vec<Val>, Error> {
        let inner = &store.as_context().inner;
        inner.check(self.0)?;
        let e = inner.exns.get(self.0.index);
        let ty = &inner.tags[e.tag as usize].ty;
        let mut out = vec![Val::I32(0); ty.params().len()];
        crate::func::read_val_cells(Some(inner), &e.values, ty.params(), &mut out);
        Ok(out)
    }
}

/// A tag's entity.
pub(crate) struct TagEntity {
    /// Its type, concrete types as registry ids.
    pub(crate) ty: FuncType,
    /// The engine-wide id of its type: what an import must match.
    pub(crate) type_id: u32,
}

/// An exception object.
pub(crate) struct ExnEntity {
    /// The store index of its tag (`u32::MAX` while the slot is free).
    pub(crate) tag: u32,
    /// Its values, as cells (two for a `v128`).
    pub(crate) values: Box<[u64]>,
    /// Whether a reference to it was ever made: then it is never freed.
    pub(crate) exposed: bool,
    /// How many legacy `catch` blocks hold it (for `rethrow`): it is not
    /// freed while one does.
    pub(crate) holds: u32,
}

/// A store's exception objects.
#[derive(Default)]
pub(crate) struct Exns {
    items: Vec<ExnEntity>,
    free: Vec<u32>,
}

impl Exns {
    /// A new object; an error past [`MAX_LIVE`].
    pub(crate) fn alloc(
        &mut self,
        tag: u32,
        values: Box<[u64]>,
        exposed: bool,
    ) -> Result<u32, Error> {
        let entity = ExnEntity {
            tag,
            values,
            exposed,
            holds: 0,
        };
        if let Some(i) = self.free.pop() {
            self.items[i as usize] = entity;
            return Ok(i);
        }
        if self.items.len() >= MAX_LIVE {
            return Err(Error::limit(format!(
                "the store holds {MAX_LIVE} exception objects, the most it may"
            )));
        }
        self.items.push(entity);
        Ok(self.items.len() as u32 - 1)
    }

    /// Calls `f` with every value cell of every live object (what the GC
    /// scans: a payload may hold references).
    pub(crate) fn for_each_value(&self, mut f: impl FnMut(u64)) {
        for e in self.items.iter().filter(|e| e.tag != u32::MAX) {
            e.values.iter().for_each(|&v| f(v));
        }
    }

    /// Object `i` (valid: a live object's index).
    pub(crate) fn get(&self, i: u32) -> &ExnEntity {
        &self.items[i as usize]
    }

    /// Marks object `i` as referenced: it is never freed.
    pub(crate) fn expose(&mut self, i: u32) {
        self.items[i as usize].exposed = true;
    }

    /// Frees object `i` if no reference to it was ever made and no catch
    /// block holds it.
    pub(crate) fn release(&mut self, i: u32) {
        let e = &mut self.items[i as usize];
        if !e.exposed && e.holds == 0 && e.tag != u32::MAX {
            e.tag = u32::MAX;
            e.values = Box::new([]);
            self.free.push(i);
        }
    }

    /// A legacy `catch` block holds object `i`.
    pub(crate) fn hold(&mut self, i: u32) {
        let e = &mut self.items[i as usize];
        e.holds = e.holds.saturating_add(1);
    }

    /// A legacy `catch` block is left: it no longer holds object `i`,
    /// which is freed if nothing else keeps it, unless it is `in_flight`
    /// (the exception being thrown out of the block).
    pub(crate) fn unhold(&mut self, i: u32, in_flight: Option<u32>) {
        let Some(e) = self.items.get_mut(i as usize) else {
            return;
        };
        e.holds = e.holds.saturating_sub(1);
        if in_flight != Some(i) {
            self.release(i);
        }
    }
}

/// What an uncaught exception's error says about its tag: the name it is
/// exported under, if an instance exports it, and its type.
pub(crate) fn describe_tag(inner: &StoreInner, tag: u32) -> String {
    let Some(ty) = inner.tags.get(tag as usize).map(|t| &t.ty) else {
        return String::from("a freed exception");
    };
    for inst in &inner.instances {
        let m = inst.module.binary();
        for e in &m.exports {
            if e.kind == nanowasm_core::ExternKind::Tag
                && inst.tags.get(e.index as usize) == Some(&tag)
            {
                return format!("tag `{}` {ty}", e.name);
            }
        }
    }
    format!("tag #{tag} {ty}")
}
