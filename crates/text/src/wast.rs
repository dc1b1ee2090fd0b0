//! `.wast` scripts: modules, actions and assertions.
//!
//! Spec: <https://github.com/WebAssembly/spec/tree/main/interpreter#scripts>.
//! Text modules are lowered to binary as they are parsed; a module that
//! fails to parse is kept as its error, so `assert_malformed` can check it.

pub mod script;

use nanowasm_core::HeapType;

use crate::error::Error;
use crate::lexer::{self, TokenKind};
use crate::module;
use crate::num;
use crate::parser::Parser;
use script::{
    Action, ComponentDirective, ComponentInvoke, ComponentValue, Directive, Expected, FloatPattern,
    Located, ModuleSource, NanKind, Value,
};

/// Parses a whole script.
pub fn parse_script(src: &str) -> Result<Vec<Located>, Error> {
    let (tokens, ids) = lexer::tokenize(src)?;
    let tokens = lexer::resolve_ids(tokens, &ids);
    let mut p = Parser::new(src, &tokens);
    let mut out = Vec::new();
    if !p.is_done() && !p.peek_lparen() {
        return Err(p.error("expected `(`"));
    }
    // A script may also be the fields of one module (an inline module).
    const FIELDS: &[&str] = &[
        "type", "rec", "import", "func", "table", "memory", "global", "export", "start", "elem",
        "data", "tag",
    ];
    if p.peek_list_head().is_some_and(|h| FIELDS.contains(&h)) {
        let source = ModuleSource::Bytes(Ok(module::parse_module_fields(&mut p)?));
        if !p.is_done() {
            return Err(p.error("unexpected token after the module fields"));
        }
        return Ok(vec![Located {
            line: 1,
            directive: Directive::Module { name: None, source },
        }]);
    }
    // Whether the last module-like directive was a component: actions
    // then call components.
    let mut in_component = false;
    while !p.is_done() {
        let offset = p.offset();
        let line = src[..offset].matches('\n').count() + 1;
        let directive = directive(&mut p, &mut in_component)?;
        out.push(Located { line, directive });
    }
    Ok(out)
}

fn directive(p: &mut Parser<'_, '_>, in_component: &mut bool) -> Result<Directive, Error> {
    let Some(head) = p.peek_list_head() else {
        return Err(p.error("expected a directive"));
    };
    if let Some(d) = component_directive(p, head, in_component)? {
        return Ok(Directive::Component(d));
    }
    match head {
        // `(module instance $I? $M?)` (Wasm 3.0 scripts).
        "module" if matches!(p.peek_at(2), Some(TokenKind::Atom("instance"))) => {
            *in_component = false;
            p.open()?;
            p.pos += 2;
            let instance = p.opt_id().map(str::to_owned);
            let module = p.opt_id().map(str::to_owned);
            p.close()?;
            Ok(Directive::ModuleInstance { instance, module })
        }
        "module" => {
            *in_component = false;
            let definition = matches!(p.peek_at(2), Some(TokenKind::Atom("definition")));
            let (name, source, _) = wast_module(p)?;
            Ok(if definition {
                Directive::ModuleDefinition { name, source }
            } else {
                Directive::Module { name, source }
            })
        }
        "register" => {
            p.open()?;
            p.pos += 1;
            let name = p.name()?;
            let module = p.opt_id().map(str::to_owned);
            p.close()?;
            Ok(Directive::Register { name, module })
        }
        "invoke" | "get" => Ok(Directive::Action(action(p)?)),
        "assert_return" => {
            p.open()?;
            p.pos += 1;
            let action = action(p)?;
            let mut expected = Vec::new();
            while !p.peek_rparen() {
                expected.push(result(p)?);
            }
            p.close()?;
            Ok(Directive::AssertReturn { action, expected })
        }
        "assert_trap" => {
            p.open()?;
            p.pos += 1;
            let d = if p.peek_list("module") {
                let (_, source, _) = wast_module(p)?;
                let message = p.name()?;
                Directive::AssertTrapModule { source, message }
            } else {
                let action = action(p)?;
                let message = p.name()?;
                Directive::AssertTrap { action, message }
            };
            p.close()?;
            Ok(d)
        }
        // Exception handling: the action throws an exception that nothing
        // catches.
        "assert_exception" => {
            p.open()?;
            p.pos += 1;
            let action = action(p)?;
            p.close()?;
            Ok(Directive::AssertException { action })
        }
        "assert_exhaustion" => {
            p.open()?;
            p.pos += 1;
            let action = action(p)?;
            let message = p.name()?;
            p.close()?;
            Ok(Directive::AssertExhaustion { action, message })
        }
        // `_custom`: malformed or invalid in a custom annotation (`@custom`,
        // `@name`, a branch hint), which the text front end checks.
        "assert_malformed"
        | "assert_invalid"
        | "assert_malformed_custom"
        | "assert_invalid_custom"
        | "assert_unlinkable"
        | "assert_uninstantiable" => {
            p.open()?;
            p.pos += 1;
            let (_, source, text) = wast_module(p)?;
            let message = p.name()?;
            p.close()?;
            Ok(match head {
                "assert_malformed" | "assert_malformed_custom" => Directive::AssertMalformed {
                    source,
                    message,
                    text,
                },
                "assert_invalid" | "assert_invalid_custom" => {
                    Directive::AssertInvalid { source, message }
                }
                "assert_unlinkable" => Directive::AssertUnlinkable { source, message },
                _ => Directive::AssertUninstantiable { source, message },
            })
        }
        other => Err(p.error(format!("unknown directive `{other}`"))),
    }
}

/// `(module $id? ...)`, `(module $id? binary "..."*)`, `(module $id? quote "..."*)`.
/// Returns the name, the encoded module (or its error) and whether it was
/// given as text.
fn wast_module(p: &mut Parser<'_, '_>) -> Result<(Option<String>, ModuleSource, bool), Error> {
    p.open()?;
    p.keyword("module")?;
    // `module definition` (Wasm 3.0 scripts): the caller tells it apart.
    p.eat_keyword("definition");
    let name = p.opt_id().map(str::to_owned);
    if p.eat_keyword("binary") {
        let mut bytes = Vec::new();
        while p.peek_string() {
            bytes.extend(p.string()?);
        }
        p.close()?;
        return Ok((name, ModuleSource::Bytes(Ok(bytes)), false));
    }
    if p.eat_keyword("quote") {
        let mut text = Vec::new();
        while p.peek_string() {
            text.extend(p.string()?);
        }
        p.close()?;
        let result = match String::from_utf8(text) {
            Ok(t) => crate::parse_wat(&t).map_err(|e| e.message),
            Err(_) => Err("malformed UTF-8 encoding".into()),
        };
        return Ok((name, ModuleSource::Bytes(result), true));
    }
    // A text module: parse it now; on error, skip to its end and keep the
    // error for the directive. (`binary` after a `(@name "...")` is parsed
    // with the text, but it is a binary module still.)
    let text = !(p.peek_list("@name")
        && matches!(p.peek_at(4), Some(TokenKind::Atom(a)) if *a == "binary"));
    let start = p.pos;
    let result = module::parse_module_body(p).and_then(|b| {
        if p.peek_rparen() {
            Ok(b)
        } else {
            Err(p.error("unexpected token"))
        }
    });
    match result {
        Ok(bytes) => {
            p.close()?;
            Ok((name, ModuleSource::Bytes(Ok(bytes)), text))
        }
        Err(e) => {
            // Resynchronize: skip the rest of the module's list.
            p.pos = start;
            while !p.peek_rparen() {
                if p.is_done() {
                    return Err(e);
                }
                p.skip_item()?;
            }
            p.close()?;
            Ok((name, ModuleSource::Bytes(Err(e.message)), text))
        }
    }
}

/// A directive about components, if the next one is: `(component ...)`,
/// `(component definition ...)`, `(component instance ...)`, an assertion
/// on a component, or (`in_component`) an action on one.
fn component_directive(
    p: &mut Parser<'_, '_>,
    head: &str,
    in_component: &mut bool,
) -> Result<Option<ComponentDirective>, Error> {
    let component_next = matches!(p.peek_at(2), Some(TokenKind::LParen))
        && matches!(p.peek_at(3), Some(TokenKind::Atom("component")));
    // An action on a component: `invoke` after a component.
    let invoke_next = *in_component
        && matches!(p.peek_at(2), Some(TokenKind::LParen))
        && matches!(p.peek_at(3), Some(TokenKind::Atom("invoke")));
    let d = match head {
        "component" if matches!(p.peek_at(2), Some(TokenKind::Atom("instance"))) => {
            p.open()?;
            p.pos += 2;
            let instance = p.opt_id().map(str::to_owned);
            let component = p.opt_id().map(str::to_owned);
            p.close()?;
            ComponentDirective::Instance {
                instance,
                component,
            }
        }
        "component" => {
            let definition = matches!(p.peek_at(2), Some(TokenKind::Atom("definition")));
            let (name, source, _) = wast_component(p)?;
            if definition {
                ComponentDirective::Definition { name, source }
            } else {
                ComponentDirective::Component { name, source }
            }
        }
        "invoke" if *in_component => ComponentDirective::Invoke(component_invoke(p)?),
        "assert_return" if invoke_next => {
            p.open()?;
            p.pos += 1;
            let invoke = component_invoke(p)?;
            let mut expected = Vec::new();
            while !p.peek_rparen() {
                expected.push(component_value(p)?);
            }
            p.close()?;
            ComponentDirective::AssertReturn { invoke, expected }
        }
        "assert_trap" if component_next || invoke_next => {
            p.open()?;
            p.pos += 1;
            let d = if p.peek_list("component") {
                let (_, source, _) = wast_component(p)?;
                let message = p.name()?;
                ComponentDirective::AssertTrapComponent { source, message }
            } else {
                let invoke = component_invoke(p)?;
                let message = p.name()?;
                ComponentDirective::AssertTrap { invoke, message }
            };
            p.close()?;
            d
        }
        "assert_malformed" | "assert_invalid" | "assert_unlinkable" if component_next => {
            p.open()?;
            p.pos += 1;
            let (_, source, text) = wast_component(p)?;
            let message = p.name()?;
            p.close()?;
            match head {
                "assert_malformed" => ComponentDirective::AssertMalformed {
                    source,
                    message,
                    text,
                },
                "assert_invalid" => ComponentDirective::AssertInvalid { source, message },
                _ => ComponentDirective::AssertUnlinkable { source, message },
            }
        }
        _ => return Ok(None),
    };
    if matches!(
        d,
        ComponentDirective::Component { .. }
            | ComponentDirective::Definition { .. }
            | ComponentDirective::Instance { .. }
    ) {
        *in_component = true;
    }
    Ok(Some(d))
}

/// `(component definition? $id? ...)`, `(component $id? binary "..."*)`,
/// `(component $id? quote "..."*)`: the name, the encoding (or its error)
/// and whether it was given as text.
fn wast_component(p: &mut Parser<'_, '_>) -> Result<(Option<String>, ModuleSource, bool), Error> {
    p.open()?;
    p.keyword("component")?;
    p.eat_keyword("definition");
    // The `$id` stays for the component's name section (as the `wast`
    // crate encodes a script's components).
    let name = match p.peek() {
        Some(TokenKind::Id(i)) => Some((*i).to_owned()),
        _ => None,
    };
    let after_id = usize::from(name.is_some());
    if matches!(p.peek_at(after_id), Some(TokenKind::Atom("quote"))) {
        p.pos += after_id + 1;
        let mut text = b"(component".to_vec();
        while p.peek_string() {
            text.extend(p.string()?);
            text.push(b' ');
        }
        text.push(b')');
        p.close()?;
        let result = match String::from_utf8(text) {
            Ok(t) => crate::parse_wat(&t).map_err(|e| e.message),
            Err(_) => Err("malformed UTF-8 encoding".into()),
        };
        return Ok((name, ModuleSource::Bytes(result), true));
    }
    let text = !matches!(p.peek_at(after_id), Some(TokenKind::Atom("binary")));
    let start = p.pos;
    let result = crate::component::parse_component_body(p).and_then(|b| {
        if p.peek_rparen() {
            Ok(b)
        } else {
            Err(p.error("unexpected token"))
        }
    });
    match result {
        Ok(bytes) => {
            p.close()?;
            Ok((name, ModuleSource::Bytes(Ok(bytes)), text))
        }
        Err(e) => {
            p.pos = start;
            while !p.peek_rparen() {
                if p.is_done() {
                    return Err(e);
                }
                p.skip_item()?;
            }
            p.close()?;
            Ok((name, ModuleSource::Bytes(Err(e.message)), text))
        }
    }
}

/// `(invoke $instance? "name" value*)` on a component.
fn component_invoke(p: &mut Parser<'_, '_>) -> Result<ComponentInvoke, Error> {
    p.open()?;
    p.keyword("invoke")?;
    let instance = p.opt_id().map(str::to_owned);
    let name = p.name()?;
    let mut args = Vec::new();
    while !p.peek_rparen() {
        args.push(component_value(p)?);
    }
    p.close()?;
    Ok(ComponentInvoke {
        instance,
        name,
        args,
    })
}

/// A component value: `(u32.const 1)`, `(record.const (field "a" v))`, ...
fn component_value(p: &mut Parser<'_, '_>) -> Result<ComponentValue, Error> {
    p.enter()?;
    let v = component_value_inner(p);
    p.leave();
    v
}

fn component_value_inner(p: &mut Parser<'_, '_>) -> Result<ComponentValue, Error> {
    p.open()?;
    let v = component_value_bare(p)?;
    p.close()?;
    Ok(v)
}

/// A component value without its parentheses (as a record field's value
/// is written: `(field "a" u32.const 1)`).
fn component_value_bare(p: &mut Parser<'_, '_>) -> Result<ComponentValue, Error> {
    let at = p.offset();
    let kw = p.atom()?;
    let int = |p: &mut Parser<'_, '_>, bits: u32, signed: bool| -> Result<u64, Error> {
        let at = p.offset();
        let a = p.atom()?;
        let ok = if signed {
            num::int(a, bits)
        } else if a.starts_with('-') {
            None
        } else {
            num::int(a, bits)
        };
        ok.ok_or_else(|| Error::new(at, format!("constant out of range for `{kw}`")))
    };
    let rest = |p: &mut Parser<'_, '_>| -> Result<Vec<ComponentValue>, Error> {
        let mut out = Vec::new();
        while !p.peek_rparen() {
            out.push(component_value(p)?);
        }
        Ok(out)
    };
    let opt = |p: &mut Parser<'_, '_>| -> Result<Option<Box<ComponentValue>>, Error> {
        Ok(if p.peek_rparen() {
            None
        } else {
            Some(Box::new(component_value(p)?))
        })
    };
    use ComponentValue as V;
    let v = match kw {
        "bool.const" => match p.atom()? {
            "true" => V::Bool(true),
            "false" => V::Bool(false),
            _ => return Err(Error::new(at, "expected `true` or `false`")),
        },
        "s8.const" => V::S8(int(p, 8, true)? as u8 as i8),
        "u8.const" => V::U8(int(p, 8, false)? as u8),
        "s16.const" => V::S16(int(p, 16, true)? as u16 as i16),
        "u16.const" => V::U16(int(p, 16, false)? as u16),
        "s32.const" => V::S32(int(p, 32, true)? as u32 as i32),
        "u32.const" => V::U32(int(p, 32, false)? as u32),
        "s64.const" => V::S64(int(p, 64, true)? as i64),
        "u64.const" => V::U64(int(p, 64, false)?),
        "f32.const" => V::F32(atom_num(p, num::f32_bits, "f32")?),
        "f64.const" => V::F64(atom_num(p, num::f64_bits, "f64")?),
        "char.const" => {
            let s = p.name()?;
            let mut cs = s.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => V::Char(c),
                _ => return Err(Error::new(at, "`char.const` takes one character")),
            }
        }
        "str.const" => V::String(p.name()?),
        "list.const" => V::List(rest(p)?),
        "tuple.const" => V::Tuple(rest(p)?),
        "record.const" => {
            let mut fields = Vec::new();
            while p.eat_list("field")? {
                let n = p.name()?;
                let v = if p.peek_lparen() {
                    component_value(p)?
                } else {
                    p.enter()?;
                    let v = component_value_bare(p);
                    p.leave();
                    v?
                };
                p.close()?;
                fields.push((n, v));
            }
            V::Record(fields)
        }
        "variant.const" => {
            let n = p.name()?;
            V::Variant(n, opt(p)?)
        }
        "enum.const" => V::Enum(p.name()?),
        "option.none" => V::Option(None),
        "option.some" => V::Option(Some(Box::new(component_value(p)?))),
        "result.ok" => V::Result(Ok(opt(p)?)),
        "result.err" => V::Result(Err(opt(p)?)),
        "flags.const" => {
            let mut names = Vec::new();
            while p.peek_string() {
                names.push(p.name()?);
            }
            V::Flags(names)
        }
        _ => return Err(Error::new(at, format!("unexpected component value `{kw}`"))),
    };
    Ok(v)
}

fn action(p: &mut Parser<'_, '_>) -> Result<Action, Error> {
    p.open()?;
    let at = p.offset();
    let kw = p.atom()?;
    let module = p.opt_id().map(str::to_owned);
    let name = p.name()?;
    let a = match kw {
        "invoke" => {
            let mut args = Vec::new();
            while !p.peek_rparen() {
                args.push(value(p)?);
            }
            Action::Invoke { module, name, args }
        }
        "get" => Action::Get { module, name },
        _ => return Err(Error::new(at, "expected `invoke` or `get`")),
    };
    p.close()?;
    Ok(a)
}

fn atom_num<T>(
    p: &mut Parser<'_, '_>,
    f: impl Fn(&str) -> Option<T>,
    what: &str,
) -> Result<T, Error> {
    let at = p.offset();
    let a = p.atom()?;
    f(a).ok_or_else(|| Error::new(at, format!("{what} constant out of range")))
}

fn v128_lanes(p: &mut Parser<'_, '_>) -> Result<(String, Vec<String>), Error> {
    let shape = p.atom()?.to_owned();
    let n = match shape.as_str() {
        "i8x16" => 16,
        "i16x8" => 8,
        "i32x4" | "f32x4" => 4,
        "i64x2" | "f64x2" => 2,
        _ => return Err(p.error("unexpected vector shape")),
    };
    let mut lanes = Vec::with_capacity(n);
    for _ in 0..n {
        lanes.push(p.atom()?.to_owned());
    }
    Ok((shape, lanes))
}

fn int_lanes(shape: &str, lanes: &[String]) -> Option<u128> {
    let bits = match shape {
        "i8x16" => 8,
        "i16x8" => 16,
        "i32x4" | "f32x4" => 32,
        _ => 64,
    };
    let mut v = 0u128;
    for (i, l) in lanes.iter().enumerate() {
        let x = match shape {
            "f32x4" => u64::from(num::f32_bits(l)?),
            "f64x2" => num::f64_bits(l)?,
            _ => num::int(l, bits)?,
        };
        v |= u128::from(x) << (bits * i as u32);
    }
    Some(v)
}

fn value(p: &mut Parser<'_, '_>) -> Result<Value, Error> {
    p.open()?;
    let at = p.offset();
    let kw = p.atom()?;
    let v = match kw {
        "i32.const" => Value::I32(atom_num(p, |a| num::int(a, 32), "i32")? as u32 as i32),
        "i64.const" => Value::I64(atom_num(p, |a| num::int(a, 64), "i64")? as i64),
        "f32.const" => Value::F32(atom_num(p, num::f32_bits, "f32")?),
        "f64.const" => Value::F64(atom_num(p, num::f64_bits, "f64")?),
        "v128.const" => {
            let (shape, lanes) = v128_lanes(p)?;
            Value::V128(
                int_lanes(&shape, &lanes).ok_or_else(|| Error::new(at, "constant out of range"))?,
            )
        }
        "ref.null" => Value::RefNull(heap(p)?),
        "ref.extern" => Value::RefExtern(atom_num(p, num::u32_lit, "i32")?),
        "ref.host" => Value::RefHost(atom_num(p, num::u32_lit, "i32")?),
        _ => return Err(Error::new(at, format!("unexpected value `{kw}`"))),
    };
    p.close()?;
    Ok(v)
}

/// An abstract heap type (`func`, `extern`, `any`, `none`, ...).
fn heap(p: &mut Parser<'_, '_>) -> Result<HeapType, Error> {
    let at = p.offset();
    let a = p.atom()?;
    HeapType::ABSTRACT
        .into_iter()
        .find(|h| h.abstract_name() == Some(a))
        .ok_or_else(|| {
            Error::new(
                at,
                "expected an abstract heap type (`func`, `extern`, `any`, ...)",
            )
        })
}

fn nan_pattern(a: &str) -> Option<NanKind> {
    match a {
        "nan:canonical" => Some(NanKind::Canonical),
        "nan:arithmetic" => Some(NanKind::Arithmetic),
        _ => None,
    }
}

fn result(p: &mut Parser<'_, '_>) -> Result<Expected, Error> {
    p.open()?;
    let at = p.offset();
    let kw = p.atom()?;
    let e = match kw {
        "i32.const" => Expected::I32(atom_num(p, |a| num::int(a, 32), "i32")? as u32 as i32),
        "i64.const" => Expected::I64(atom_num(p, |a| num::int(a, 64), "i64")? as i64),
        "f32.const" => {
            let at = p.offset();
            let a = p.atom()?;
            Expected::F32(match nan_pattern(a) {
                Some(k) => FloatPattern::Nan(k),
                None => FloatPattern::Bits(
                    num::f32_bits(a).ok_or_else(|| Error::new(at, "constant out of range"))?,
                ),
            })
        }
        "f64.const" => {
            let at = p.offset();
            let a = p.atom()?;
            Expected::F64(match nan_pattern(a) {
                Some(k) => FloatPattern::Nan(k),
                None => FloatPattern::Bits(
                    num::f64_bits(a).ok_or_else(|| Error::new(at, "constant out of range"))?,
                ),
            })
        }
        "v128.const" => {
            let (shape, lanes) = v128_lanes(p)?;
            let bad = || Error::new(at, "constant out of range");
            match shape.as_str() {
                "f32x4" => {
                    let mut l = [FloatPattern::Bits(0); 4];
                    for (i, s) in lanes.iter().enumerate() {
                        l[i] = match nan_pattern(s) {
                            Some(k) => FloatPattern::Nan(k),
                            None => FloatPattern::Bits(num::f32_bits(s).ok_or_else(bad)?),
                        };
                    }
                    Expected::V128F32(l)
                }
                "f64x2" => {
                    let mut l = [FloatPattern::Bits(0); 2];
                    for (i, s) in lanes.iter().enumerate() {
                        l[i] = match nan_pattern(s) {
                            Some(k) => FloatPattern::Nan(k),
                            None => FloatPattern::Bits(num::f64_bits(s).ok_or_else(bad)?),
                        };
                    }
                    Expected::V128F64(l)
                }
                _ => Expected::V128(int_lanes(&shape, &lanes).ok_or_else(bad)?),
            }
        }
        "ref.null" => Expected::RefNull(if p.peek_rparen() {
            None
        } else {
            Some(heap(p)?)
        }),
        "ref.extern" => Expected::RefExtern(if p.peek_rparen() {
            None
        } else {
            Some(atom_num(p, num::u32_lit, "i32")?)
        }),
        "ref.func" => {
            if !p.peek_rparen() {
                p.skip_item()?;
            }
            Expected::RefFunc
        }
        "ref.any" => Expected::RefAny,
        "ref.eq" => Expected::RefEq,
        "ref.i31" => Expected::RefI31,
        "ref.struct" => Expected::RefStruct,
        "ref.array" => Expected::RefArray,
        "ref.host" => Expected::RefHost(atom_num(p, num::u32_lit, "i32")?),
        "either" => {
            // The one rule that recurses: bounded by `Parser::enter`.
            p.enter()?;
            let mut options = Vec::new();
            while !p.peek_rparen() {
                options.push(result(p)?);
            }
            p.leave();
            Expected::Either(options)
        }
        _ => return Err(Error::new(at, format!("unexpected result `{kw}`"))),
    };
    p.close()?;
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directives() {
        let s = parse_script(
            r#"(module $m (func (export "f") (param i32) (result i32) (local.get 0)))
               (assert_return (invoke "f" (i32.const 7)) (i32.const 7))
               (assert_malformed (module quote "(func i32.nope)") "unknown operator")
               (register "m" $m)"#,
        )
        .unwrap();
        assert_eq!(s.len(), 4);
        assert!(
            matches!(&s[0].directive, Directive::Module { name: Some(n), source: ModuleSource::Bytes(Ok(_)) } if n == "m")
        );
        assert!(matches!(
            &s[2].directive,
            Directive::AssertMalformed {
                source: ModuleSource::Bytes(Err(_)),
                text: true,
                ..
            }
        ));
        assert_eq!(s[1].line, 2);
    }

    #[test]
    fn parses_exception_directives() {
        let s = parse_script(
            r#"(module (tag $e) (func (export "f") (param exnref) (result exnref) (throw $e)))
               (assert_exception (invoke "f" (ref.null exn)))
               (assert_return (invoke "f" (ref.null exn)) (ref.null exn))"#,
        )
        .unwrap();
        assert_eq!(s.len(), 3);
        assert!(matches!(
            &s[0].directive,
            Directive::Module {
                source: ModuleSource::Bytes(Ok(_)),
                ..
            }
        ));
        let Directive::AssertException {
            action: Action::Invoke { name, args, .. },
        } = &s[1].directive
        else {
            panic!("{:?}", s[1].directive)
        };
        assert_eq!(name, "f");
        assert_eq!(args, &[Value::RefNull(HeapType::Exn)]);
        assert!(matches!(
            &s[2].directive,
            Directive::AssertReturn { expected, .. }
                if expected == &[Expected::RefNull(Some(HeapType::Exn))]
        ));
        // A script of module fields: tags are fields too.
        let s = parse_script("(tag $e (param i32))").unwrap();
        assert!(matches!(
            &s[0].directive,
            Directive::Module {
                source: ModuleSource::Bytes(Ok(_)),
                ..
            }
        ));
    }
}
