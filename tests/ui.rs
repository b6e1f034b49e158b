//! Compile-fail cases: every mistake `network!` rejects, with the message it gives and the
//! tokens it points at. Each `tests/ui/<category>/<case>.rs` holds one mistake (except
//! `multiple/`), and its `.stderr` is what the user sees: `ui` checks that the macro still
//! says exactly that. `one_error_at_the_expected_token` then reads each `.stderr` against
//! `tests/ui/expected.txt`, written by hand: each mistake gives exactly one error (no cascade
//! after it), under the token the list names.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    let mut categories: Vec<String> = fs::read_dir("tests/ui")
        .expect("tests/ui")
        .filter_map(|e| e.ok().filter(|e| e.path().is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    categories.sort();
    for category in categories {
        // `onnx_network!` exists with the `onnx` feature only.
        if category == "onnx" && !cfg!(feature = "onnx") {
            continue;
        }
        cases.compile_fail(format!("tests/ui/{category}/*.rs"));
    }
}

/// What `expected.txt` says of a case: one error on a line under a token, or several errors.
#[derive(Debug, PartialEq)]
enum Expected {
    One { line: usize, token: String },
    Several(usize),
}

/// One error of a `.stderr`: its message and the line and the text its primary carets
/// (`^^^`) underline.
struct Reported {
    message: String,
    line: usize,
    token: String,
}

/// `case: 4 `token`` or `case: 6 errors`, skipping comments and blank lines.
fn expectations() -> BTreeMap<String, Expected> {
    let text = fs::read_to_string("tests/ui/expected.txt").expect("tests/ui/expected.txt");
    let mut cases = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parse = || -> Option<(String, Expected)> {
            let (case, rest) = line.split_once(": ")?;
            let (count, rest) = rest.split_once(' ')?;
            let count: usize = count.parse().ok()?;
            let expected = if rest == "errors" {
                Expected::Several(count)
            } else {
                let token = rest.strip_prefix('`')?.strip_suffix('`')?;
                Expected::One { line: count, token: token.to_string() }
            };
            Some((case.to_string(), expected))
        };
        let (case, expected) =
            parse().unwrap_or_else(|| panic!("expected.txt:{}: cannot read `{line}`", n + 1));
        assert!(cases.insert(case.clone(), expected).is_none(), "`{case}` is listed twice");
    }
    cases
}

/// The errors of a `.stderr` as rustc prints them: `error: message`, ` --> file:line:col`,
/// the source line `4 |     text`, then the carets under it `  |     ^^^^`.
fn errors(stderr: &str) -> Vec<Reported> {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut errors = Vec::new();
    for (i, header) in lines.iter().enumerate() {
        if !header.starts_with("error") || !header.contains(": ") {
            continue;
        }
        let message = header.split_once(": ").map_or("", |m| m.1).to_string();
        let location = lines.get(i + 1).and_then(|l| l.trim().strip_prefix("--> "));
        let line: usize = location
            .and_then(|l| l.split(':').nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no location after `{header}`"));
        // The source line of the location, and the carets below it.
        let token = lines[i + 2..]
            .iter()
            .take_while(|l| !l.starts_with("error"))
            .collect::<Vec<_>>()
            .windows(2)
            .find_map(|pair| {
                let (source, carets) = (pair[0], pair[1]);
                let (number, text) = source.split_once(" |")?;
                if number.trim().parse::<usize>().ok()? != line {
                    return None;
                }
                let bar = number.len() + 2;
                let marks = carets.get(bar..)?;
                let start = marks.find('^')?;
                let end = start + marks[start..].find(|c| c != '^').unwrap_or(marks.len() - start);
                let text: Vec<char> = text.chars().collect();
                // The text and the carets are aligned by characters (ASCII here).
                Some(text.get(start..end.min(text.len()))?.iter().collect::<String>())
            })
            .unwrap_or_default();
        errors.push(Reported { message, line, token });
    }
    errors
}

/// The errors as the list shows them: `4 `token`: message`, one a line.
fn describe(reported: &[Reported]) -> String {
    let lines: Vec<String> =
        reported.iter().map(|r| format!("    {} `{}`: {}", r.line, r.token, r.message)).collect();
    format!("\n{}", lines.join("\n"))
}

#[test]
fn one_error_at_the_expected_token() {
    let expected = expectations();
    let mut cases = Vec::new();
    for dir in fs::read_dir("tests/ui").expect("tests/ui") {
        let dir = dir.expect("an entry of tests/ui").path();
        if !dir.is_dir() {
            continue;
        }
        for file in fs::read_dir(&dir).expect("a category of tests/ui") {
            let file = file.expect("a case").path();
            if file.extension().is_some_and(|e| e == "rs") {
                cases.push(file);
            }
        }
    }
    cases.sort();
    let mut failures = Vec::new();
    for file in &cases {
        let case = file.strip_prefix("tests/ui").unwrap_or(file).with_extension("");
        let case = case.to_string_lossy().trim_start_matches('/').to_string();
        let stderr = fs::read_to_string(file.with_extension("stderr"))
            .unwrap_or_else(|_| panic!("`{case}` has no .stderr"));
        let reported = errors(&stderr);
        let got = describe(&reported);
        match expected.get(&case) {
            None => failures.push(format!("`{case}` is not in expected.txt:{got}")),
            Some(Expected::Several(n)) if reported.len() != *n => {
                failures.push(format!("`{case}`: expected {n} errors, got{got}"))
            }
            Some(Expected::Several(_)) => {}
            Some(Expected::One { line, token }) => match reported.as_slice() {
                [one] if one.line == *line && one.token == *token => {}
                _ => failures.push(format!(
                    "`{case}`: expected one error at line {line} under `{token}`, got{got}"
                )),
            },
        }
    }
    for case in expected.keys() {
        if !Path::new("tests/ui").join(format!("{case}.rs")).exists() {
            failures.push(format!("expected.txt lists `{case}`, which has no case"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
