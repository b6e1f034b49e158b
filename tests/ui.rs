//! Compile-fail cases: every mistake `network!` rejects, with the message it gives and the
//! tokens it points at. Each `tests/ui/<category>/<case>.rs` holds one mistake (except
//! `multiple/`), and its `.stderr` is what the user sees.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*/*.rs");
}
