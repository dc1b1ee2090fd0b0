//! Component directives of a script (the component model's reference
//! tests): components are compiled, instantiated and called on the
//! component runtime (`nanowasm::component`).

use std::collections::HashMap;

use nanowasm::component::{Component, Instance, Linker, Val};
use nanowasm::{Engine, Store};

use crate::script::{ComponentDirective, ComponentInvoke, ComponentValue, ModuleSource};

/// The component state of one script run.
pub(crate) struct Components {
    engine: Engine,
    store: Store<()>,
    named: HashMap<String, Instance>,
    last: Option<Instance>,
    definitions: HashMap<String, Component>,
    last_definition: Option<Component>,
}

fn to_val(v: &ComponentValue) -> Val {
    let b = |v: &Option<Box<ComponentValue>>| v.as_ref().map(|v| Box::new(to_val(v)));
    match v {
        ComponentValue::Bool(x) => Val::Bool(*x),
        ComponentValue::S8(x) => Val::S8(*x),
        ComponentValue::U8(x) => Val::U8(*x),
        ComponentValue::S16(x) => Val::S16(*x),
        ComponentValue::U16(x) => Val::U16(*x),
        ComponentValue::S32(x) => Val::S32(*x),
        ComponentValue::U32(x) => Val::U32(*x),
        ComponentValue::S64(x) => Val::S64(*x),
        ComponentValue::U64(x) => Val::U64(*x),
        ComponentValue::F32(x) => Val::Float32(f32::from_bits(*x)),
        ComponentValue::F64(x) => Val::Float64(f64::from_bits(*x)),
        ComponentValue::Char(c) => Val::Char(*c),
        ComponentValue::String(s) => Val::String(s.clone()),
        ComponentValue::List(vs) => Val::List(vs.iter().map(to_val).collect()),
        ComponentValue::Record(fs) => {
            Val::Record(fs.iter().map(|(l, v)| (l.clone(), to_val(v))).collect())
        }
        ComponentValue::Tuple(vs) => Val::Tuple(vs.iter().map(to_val).collect()),
        ComponentValue::Variant(l, p) => Val::Variant(l.clone(), b(p)),
        ComponentValue::Enum(l) => Val::Enum(l.clone()),
        ComponentValue::Option(p) => Val::Option(b(p)),
        ComponentValue::Result(Ok(p)) => Val::Result(Ok(b(p))),
        ComponentValue::Result(Err(p)) => Val::Result(Err(b(p))),
        ComponentValue::Flags(ls) => Val::Flags(ls.clone()),
    }
}

/// Equal values, NaNs equal to NaNs (the canonical ABI makes them
/// canonical).
fn same(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Float32(x), Val::Float32(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Val::Float64(x), Val::Float64(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Val::List(xs), Val::List(ys)) | (Val::Tuple(xs), Val::Tuple(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y))
        }
        (Val::Record(xs), Val::Record(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .zip(ys)
                    .all(|((l, x), (m, y))| l == m && same(x, y))
        }
        (Val::Variant(l, x), Val::Variant(m, y)) => l == m && same_opt(x, y),
        (Val::Option(x), Val::Option(y)) => same_opt(x, y),
        (Val::Result(Ok(x)), Val::Result(Ok(y))) | (Val::Result(Err(x)), Val::Result(Err(y))) => {
            same_opt(x, y)
        }
        _ => a == b,
    }
}

fn same_opt(a: &Option<Box<Val>>, b: &Option<Box<Val>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same(a, b),
        _ => false,
    }
}

fn bytes(source: &ModuleSource) -> Result<&[u8], String> {
    match source {
        ModuleSource::Bytes(Ok(b)) => Ok(b),
        ModuleSource::Bytes(Err(e)) => Err(e.clone()),
    }
}

impl Components {
    pub(crate) fn new(engine: &Engine) -> Components {
        Components {
            engine: engine.clone(),
            store: Store::new(engine, ()),
            named: HashMap::new(),
            last: None,
            definitions: HashMap::new(),
            last_definition: None,
        }
    }

    fn compile(&self, source: &ModuleSource) -> Result<Result<Component, String>, String> {
        let b = bytes(source)?;
        Ok(Component::new(&self.engine, b).map_err(|e| e.to_string()))
    }

    fn instantiate(&mut self, c: &Component) -> Result<Instance, String> {
        Linker::new(&self.engine)
            .instantiate(&mut self.store, c)
            .map_err(|e| e.to_string())
    }

    fn call(&mut self, inv: &ComponentInvoke) -> Result<Result<Option<Val>, String>, String> {
        let inst = match &inv.instance {
            Some(n) => self
                .named
                .get(n)
                .cloned()
                .ok_or_else(|| format!("no instance ${n}"))?,
            None => self.last.clone().ok_or("no component instance")?,
        };
        let f = inst
            .get_func(&mut self.store, &inv.name)
            .ok_or_else(|| format!("no exported function \"{}\"", inv.name))?;
        let args: Vec<Val> = inv.args.iter().map(to_val).collect();
        let mut out = vec![Val::Bool(false); f.ty().result().is_some() as usize];
        Ok(f.call(&mut self.store, &args, &mut out)
            .map(|()| out.pop())
            .map_err(|e| e.to_string()))
    }

    fn set_last(&mut self, name: Option<&String>, i: Instance) {
        if let Some(n) = name {
            self.named.insert(n.clone(), i.clone());
        }
        self.last = Some(i);
    }

    pub(crate) fn directive(&mut self, d: &ComponentDirective) -> Result<(), String> {
        match d {
            ComponentDirective::Component { name, source } => {
                let c = self.compile(source)??;
                let i = self.instantiate(&c)?;
                self.set_last(name.as_ref(), i);
                Ok(())
            }
            ComponentDirective::Definition { name, source } => {
                let c = self.compile(source)??;
                if let Some(n) = name {
                    self.definitions.insert(n.clone(), c.clone());
                }
                self.last_definition = Some(c);
                Ok(())
            }
            ComponentDirective::Instance {
                instance,
                component,
            } => {
                let c = match component {
                    Some(n) => self
                        .definitions
                        .get(n)
                        .cloned()
                        .ok_or_else(|| format!("no component ${n}"))?,
                    None => self
                        .last_definition
                        .clone()
                        .ok_or("no component definition")?,
                };
                let i = self.instantiate(&c)?;
                self.set_last(instance.as_ref(), i);
                Ok(())
            }
            ComponentDirective::Invoke(inv) => self.call(inv)?.map(|_| ()),
            ComponentDirective::AssertReturn { invoke, expected } => {
                let got: Vec<Val> = self.call(invoke)??.into_iter().collect();
                let want: Vec<Val> = expected.iter().map(to_val).collect();
                if got.len() == want.len() && got.iter().zip(&want).all(|(a, b)| same(a, b)) {
                    Ok(())
                } else {
                    Err(format!("got {got:?}, expected {want:?}"))
                }
            }
            ComponentDirective::AssertTrap { invoke, message } => match self.call(invoke)? {
                Ok(v) => Err(format!("expected trap \"{message}\", got {v:?}")),
                Err(e) if e.contains(message.as_str()) => Ok(()),
                Err(e) => Err(format!("expected trap \"{message}\", got \"{e}\"")),
            },
            ComponentDirective::AssertTrapComponent { source, message } => {
                let c = self.compile(source)??;
                match self.instantiate(&c) {
                    Ok(_) => Err(format!("expected trap \"{message}\", instantiated")),
                    Err(e) if e.contains(message.as_str()) => Ok(()),
                    Err(e) => Err(format!("expected trap \"{message}\", got \"{e}\"")),
                }
            }
            ComponentDirective::AssertMalformed {
                source, message, ..
            }
            | ComponentDirective::AssertInvalid { source, message } => match source {
                // The text did not parse: malformed, as expected.
                ModuleSource::Bytes(Err(_)) => Ok(()),
                ModuleSource::Bytes(Ok(_)) => match self.compile(source)? {
                    Ok(_) => Err(format!("expected \"{message}\", component accepted")),
                    Err(_) => Ok(()),
                },
            },
            ComponentDirective::AssertUnlinkable { source, message } => {
                let c = self.compile(source)??;
                match self.instantiate(&c) {
                    Ok(_) => Err(format!("expected unlinkable \"{message}\", instantiated")),
                    Err(_) => Ok(()),
                }
            }
        }
    }
}
