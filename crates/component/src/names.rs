//! The import/export name grammar: plain kebab-case names,
//! `[constructor]R`, `[method]R.m`, `[static]R.m`, and interface names
//! `ns:pkg/iface@version`.

use nanowasm_binary::{Error, Result};

/// What kind of name it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A plain (possibly annotated) kebab-case name.
    Plain,
    /// An interface name `ns:pkg/iface@version`.
    Interface,
}

/// Whether `s` is kebab case: `-`-separated words; the first starts with
/// a letter; a word's letters are all of one case; digits may follow the
/// letters, and a word after the first may start with digits.
pub fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').enumerate().all(|(i, w)| {
            let mut lower = false;
            let mut upper = false;
            for c in w.chars() {
                match c {
                    'a'..='z' if !upper => lower = true,
                    'A'..='Z' if !lower => upper = true,
                    '0'..='9' if lower || upper || i > 0 => {}
                    _ => return false,
                }
            }
            !w.is_empty()
        })
}

fn is_lower_kebab(s: &str) -> bool {
    is_kebab(s) && !s.bytes().any(|b| b.is_ascii_uppercase())
}

fn kebab_err(s: &str, offset: usize) -> Error {
    Error::invalid(format!("`{s}` is not in kebab case"), offset)
}

/// Checks an import or export name against the grammar.
pub fn check(name: &str, offset: usize) -> Result<NameKind> {
    if name.contains(':') {
        let (path, version) = match name.split_once('@') {
            Some((p, v)) => (p, Some(v)),
            None => (name, None),
        };
        let (ns, rest) = path.split_once(':').unwrap_or((path, ""));
        if !is_lower_kebab(ns) {
            return Err(kebab_err(ns, offset));
        }
        let Some((pkg, iface)) = rest.split_once('/') else {
            if !is_lower_kebab(rest) {
                return Err(kebab_err(rest, offset));
            }
            return Err(Error::invalid("expected `/` after package name", offset));
        };
        if !is_lower_kebab(pkg) {
            return Err(kebab_err(pkg, offset));
        }
        if !is_kebab(iface) {
            return Err(kebab_err(iface, offset));
        }
        if let Some(v) = version {
            if !is_semver(v) {
                return Err(Error::invalid(
                    format!("`{v}` is not a valid semver"),
                    offset,
                ));
            }
        }
        return Ok(NameKind::Interface);
    }
    let mut rest = name;
    for prefix in ["[method]", "[static]"] {
        if let Some(r) = rest.strip_prefix(prefix) {
            let Some((res, m)) = r.split_once('.') else {
                return Err(Error::invalid("failed to find `.` character", offset));
            };
            if !is_kebab(res) {
                return Err(kebab_err(res, offset));
            }
            rest = m;
        }
    }
    if let Some(r) = rest.strip_prefix("[constructor]") {
        rest = r;
    }
    if rest.starts_with("[get]") || rest.starts_with("[set]") {
        return Err(Error::invalid(
            "`[get]` and `[set]` names require the component model accessors feature",
            offset,
        ));
    }
    if !is_kebab(rest) {
        return Err(kebab_err(rest, offset));
    }
    Ok(NameKind::Plain)
}

/// The key under which names must be unique ("strongly unique"): plain
/// names compare without case and without their `[method]`/`[static]`
/// annotation, and `[method]R.R`-like names as `R`; so `[method]a.a`
/// conflicts with `a`; interface names compare without case. Hyphens
/// count (`a1` and `a-1` are different names, as the reference tests'
/// `validation/kebab.wast` has it; wasmparser 0.263 drops them).
pub fn unique_key(name: &str) -> String {
    if name.contains(':') {
        let key: String = name.chars().map(|c| c.to_ascii_lowercase()).collect();
        return format!("i:{key}");
    }
    let mut rest = name;
    let mut ctor = false;
    for p in ["[constructor]", "[method]", "[static]"] {
        if let Some(r) = rest.strip_prefix(p) {
            ctor = p == "[constructor]";
            rest = r;
            break;
        }
    }
    let lower: String = rest.chars().map(|c| c.to_ascii_lowercase()).collect();
    if let Some((a, b)) = lower.split_once('.') {
        if a == b {
            return a.to_string();
        }
    }
    if ctor {
        format!("[constructor]{lower}")
    } else {
        lower
    }
}

/// A semantic version `major.minor.patch(-pre)?(+build)?`.
fn is_semver(v: &str) -> bool {
    let (v, build) = match v.split_once('+') {
        Some((a, b)) => (a, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match v.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (v, None),
    };
    let ident_ok = |s: &str| {
        !s.is_empty()
            && s.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    let num = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| num(p))
        && pre.is_none_or(ident_ok)
        && build.is_none_or(ident_ok)
}
