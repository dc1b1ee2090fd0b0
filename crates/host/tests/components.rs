//! Component nanoprocesses composed by a manifest through WIT interfaces:
//! `app` uses `demo:sum/sum` from `summer`, which uses
//! `demo:count/counter` (a resource type) from `counter`. Each is its own
//! store with its own grants and limits; records, lists and resources
//! cross between them.

use std::path::{Path, PathBuf};

use nanowasm_host::{ComponentVal as Val, FaultKind, HostError, Manifest, System};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nanowasm-host-comp-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/components");
    for m in ["counter", "summer", "app", "evil"] {
        std::fs::copy(here.join(format!("{m}.wat")), d.join(format!("{m}.wat"))).unwrap();
    }
    d
}

const MANIFEST: &str = r#"
[[process]]
name = "counter"
module = "counter.wat"

[[process]]
name = "summer"
module = "summer.wat"
uses = [{ interface = "demo:count/counter@0.1.0", from = "counter" }]

[[process]]
name = "app"
module = "app.wat"
env = { LANG = "C", MODE = "test" }
uses = [{ interface = "demo:sum/sum@0.1.0", from = "summer" }]
"#;

fn list(xs: &[u32]) -> Val {
    Val::List(xs.iter().map(|&x| Val::U32(x)).collect())
}

#[test]
fn three_components_exchange_records_lists_and_resources() {
    let d = dir("three");
    let sys = System::new(&Manifest::parse(MANIFEST, &d).unwrap()).unwrap();
    // app -> summer (a list in, a record out) -> counter (a resource, its
    // methods through borrows, a record), and app's own environment grant.
    let r = sys
        .call_component("app", None, "report", &[list(&[1, 2, 3, 4])])
        .unwrap();
    assert_eq!(
        r,
        Some(Val::Tuple(vec![Val::U32(10), Val::U32(4), Val::U32(2)]))
    );
    // summer dropped its counter: the destructor ran in counter's store.
    assert_eq!(
        sys.call_component("counter", None, "drops", &[]).unwrap(),
        Some(Val::U32(1))
    );
    // summer's interface, called from the host: a record.
    let t = sys
        .call_component(
            "summer",
            Some("demo:sum/sum@0.1.0"),
            "sum",
            &[list(&[5, 6])],
        )
        .unwrap();
    assert_eq!(
        t,
        Some(Val::Record(vec![
            ("total".into(), Val::U32(11)),
            ("count".into(), Val::U32(2)),
        ]))
    );
    assert_eq!(
        sys.call_component("counter", None, "drops", &[]).unwrap(),
        Some(Val::U32(2))
    );
}

#[test]
fn an_interface_that_is_not_granted_does_not_link() {
    let d = dir("ungranted");
    // summer without `uses`: its import of the counter interface has no
    // definition, and the system is not built.
    let m = MANIFEST.replace(
        "uses = [{ interface = \"demo:count/counter@0.1.0\", from = \"counter\" }]",
        "",
    );
    let e = System::new(&Manifest::parse(&m, &d).unwrap())
        .err()
        .expect("link error");
    let msg = e.to_string();
    assert!(
        msg.contains("summer") && msg.contains("demo:count/counter@0.1.0"),
        "{msg}"
    );
    // An interface the exporter does not have.
    let m = MANIFEST.replace("demo:sum/sum@0.1.0\", from", "demo:sum/other@0.1.0\", from");
    let e = System::new(&Manifest::parse(&m, &d).unwrap())
        .err()
        .expect("link error");
    assert!(e.to_string().contains("exports no such interface"), "{e}");
    // A process using an interface of a process not in the manifest.
    let m = MANIFEST.replace("from = \"summer\"", "from = \"nobody\"");
    assert!(Manifest::parse(&m, &d).is_err());
}

#[test]
fn a_fault_in_the_exporter_stays_there() {
    let d = dir("fault");
    // The counter may spend little fuel per call: a long list exhausts it
    // inside `counter`, not in `summer` or `app`.
    let m = MANIFEST.replace(
        "module = \"counter.wat\"",
        "module = \"counter.wat\"\nlimits = { fuel_per_call = 200 }",
    );
    let sys = System::new(&Manifest::parse(&m, &d).unwrap()).unwrap();
    let ok = sys
        .call_component("app", None, "report", &[list(&[1])])
        .unwrap();
    assert_eq!(
        ok,
        Some(Val::Tuple(vec![Val::U32(1), Val::U32(1), Val::U32(2)]))
    );
    let big: Vec<u32> = (0..50).collect();
    // Each `add` is a call into counter with a budget of its own, so long
    // lists pass too; with a budget of 1, counter itself runs out.
    let r = sys
        .call_component("app", None, "report", &[list(&big)])
        .unwrap();
    assert_eq!(
        r,
        Some(Val::Tuple(vec![Val::U32(1225), Val::U32(50), Val::U32(2)]))
    );
    let m1 = MANIFEST.replace(
        "module = \"counter.wat\"",
        "module = \"counter.wat\"\nlimits = { fuel_per_call = 1 }",
    );
    let sys1 = System::new(&Manifest::parse(&m1, &d).unwrap()).unwrap();
    let e = sys1
        .call_component("app", None, "report", &[list(&big)])
        .unwrap_err();
    match &e {
        HostError::Fault { process, kind, .. } => {
            assert_eq!(process, "counter", "{e}");
            assert_eq!(*kind, FaultKind::OutOfFuel, "{e}");
        }
        other => panic!("expected counter's fault, got {other}"),
    }
    // counter is down; app and summer are not.
    assert!(sys1.failure("counter").unwrap().is_some());
    assert!(sys1.failure("summer").unwrap().is_none());
    assert!(sys1.failure("app").unwrap().is_none());
    drop(sys);
}

#[test]
fn a_tenant_misusing_handles_faults_alone() {
    let d = dir("evil");
    let m = format!(
        "{MANIFEST}\n[[process]]\nname = \"evil\"\nmodule = \"evil.wat\"\nuses = [{{ interface = \"demo:count/counter@0.1.0\", from = \"counter\" }}]\n"
    );
    let sys = System::new(&Manifest::parse(&m, &d).unwrap()).unwrap();
    for (attack, expect) in [
        ("forge", "unknown handle index 99"),
        ("confuse", "wrong type"),
        ("after-drop", "unknown handle index"),
    ] {
        let e = sys.call_component("evil", None, attack, &[]).unwrap_err();
        match &e {
            HostError::Fault {
                process,
                kind,
                message,
            } => {
                assert_eq!(process, "evil", "{attack}: {e}");
                assert_eq!(*kind, FaultKind::Trap, "{attack}: {e}");
                assert!(message.contains(expect), "{attack}: {e}");
            }
            other => panic!("{attack}: expected evil's fault, got {other}"),
        }
        // The counter and its other users are untouched.
        assert!(sys.failure("counter").unwrap().is_none(), "{attack}");
        let r = sys
            .call_component("app", None, "report", &[list(&[2, 3])])
            .unwrap();
        assert_eq!(
            r,
            Some(Val::Tuple(vec![Val::U32(5), Val::U32(2), Val::U32(2)]))
        );
        sys.restart("evil").unwrap();
    }
}
