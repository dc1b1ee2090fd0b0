//! `wit-parser` as an oracle: what it accepts and the names it resolves.

use std::collections::BTreeSet;

/// The names a package defines: interfaces (with their types and their
/// functions' names and parameters) and worlds.
#[derive(Debug, PartialEq, Eq, Default)]
pub struct Summary {
    pub packages: Vec<PackageSummary>,
}

#[derive(Debug, PartialEq, Eq, Default)]
pub struct PackageSummary {
    pub name: String,
    pub interfaces: BTreeSet<String>,
    pub worlds: BTreeSet<String>,
    pub types: BTreeSet<String>,
    pub functions: BTreeSet<String>,
}

/// wit-parser's verdict: `Some(summary)` if it accepts the file. A panic
/// inside wit-parser counts as a rejection.
pub fn theirs(name: &str, text: &str) -> Option<Summary> {
    let r = std::panic::catch_unwind(|| wit_parser::UnresolvedPackageGroup::parse(name, text));
    let group = r.ok()?.ok()?;
    let mut packages = vec![summarize_theirs(&group.main)];
    packages.extend(group.nested.iter().map(summarize_theirs));
    Some(Summary { packages })
}

fn summarize_theirs(p: &wit_parser::UnresolvedPackage) -> PackageSummary {
    let mut s = PackageSummary {
        name: p.name.to_string(),
        ..Default::default()
    };
    for (_, i) in p.interfaces.iter() {
        let Some(name) = &i.name else { continue };
        s.interfaces.insert(name.clone());
        for t in i.types.keys() {
            s.types.insert(format!("{name}.{t}"));
        }
        for (f, func) in i.functions.iter() {
            let params: Vec<&str> = func.params.iter().map(|p| p.name.as_str()).collect();
            s.functions
                .insert(format!("{name}.{f}({})", params.join(",")));
        }
    }
    for (_, w) in p.worlds.iter() {
        if w.name.is_empty() {
            continue;
        }
        s.worlds.insert(w.name.clone());
    }
    s
}

/// Our verdict, in the same shape.
pub fn ours(name: &str, text: &str) -> Result<Summary, nanowasm_wit::Error> {
    let group = nanowasm_wit::parse_package(name, text)?;
    let mut packages = vec![summarize_ours(&group.main)];
    packages.extend(group.nested.iter().map(summarize_ours));
    Ok(Summary { packages })
}

fn summarize_ours(p: &nanowasm_wit::Package) -> PackageSummary {
    let mut s = PackageSummary {
        name: p.name.to_string(),
        ..Default::default()
    };
    for i in &p.interfaces {
        s.interfaces.insert(i.name.clone());
        for t in &i.types {
            s.types.insert(format!("{}.{}", i.name, t.name));
        }
        for f in &i.functions {
            s.functions
                .insert(format!("{}.{}({})", i.name, f.name, f.params.join(",")));
        }
    }
    for w in &p.worlds {
        s.worlds.insert(w.name.clone());
    }
    s
}
