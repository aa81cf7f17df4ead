//! The repository's structural rules, checked on the source text: evaluation and the
//! checkpoint format do not depend on the trainer; the page knows no model kinds (the library
//! does); no block of code is copied; the documents the README and scripts cite are in the
//! repository.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Files under `dir` (relative to the repository) whose names end with one of `exts`, skipping
/// build outputs and data.
fn files(dir: &str, exts: &[&str]) -> Vec<PathBuf> {
    let skip = [
        "www/pkg",
        "www/data",
        "www/weights",
        "node_modules",
        ".git",
        "target",
        "test-artifacts",
        "data",
        "tests/layout.rs",
    ];
    let mut out = Vec::new();
    let mut stack = vec![common::repo().join(dir)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = relative(&p);
            if skip.iter().any(|s| rel.starts_with(s)) {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if exts.iter().any(|x| rel.ends_with(x)) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn relative(p: &Path) -> String {
    p.strip_prefix(common::repo())
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The lines of a source file without comments (`//…`, `/* … */` and `<!-- … -->`), so
/// rules apply to code only. Line numbers are kept.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_block = false;
    for (i, line) in text.lines().enumerate() {
        let mut code = String::new();
        let mut rest = line;
        loop {
            if in_block {
                match rest.find("*/").or_else(|| rest.find("-->")) {
                    Some(j) => {
                        let end = if rest[j..].starts_with("*/") { 2 } else { 3 };
                        rest = &rest[j + end..];
                        in_block = false;
                    }
                    None => break,
                }
            } else if let Some(j) = [rest.find("/*"), rest.find("<!--")]
                .into_iter()
                .flatten()
                .min()
            {
                code.push_str(&rest[..j]);
                rest = &rest[j..];
                in_block = true;
            } else {
                code.push_str(rest);
                break;
            }
        }
        let code = match code.find("//") {
            // `//` inside a URL or string (`https://…`) is not a comment.
            Some(j) if !code[..j].ends_with(':') => code[..j].to_string(),
            _ => code,
        };
        out.push((i + 1, code));
    }
    out
}

#[test]
fn eval_and_the_checkpoint_format_do_not_use_the_trainer() {
    let mut found = Vec::new();
    for dir in ["src/eval", "src/checkpoint"] {
        for f in files(dir, &[".rs"]) {
            for (n, line) in code_lines(&read(&f)) {
                if line.contains("crate::train") || line.contains("super::train") {
                    found.push(format!("{}:{n}: {}", relative(&f), line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "uses of the trainer:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_page_names_no_model_kind() {
    // Kinds and presets as quoted strings or HTML attribute values: comparisons and lists of
    // kinds, which belong in the library (the page gets them from the wasm's catalog).
    let kinds = [
        "autoencoder",
        "ae",
        "vae",
        "beta-vae",
        "cvae",
        "gan",
        "vaegan",
        "vae-gan",
        "classifier",
    ];
    let mut found = Vec::new();
    // The tutorial's prose is about these models (its section anchors are named after them);
    // the rule is about the page's logic, so the tutorial's pages are not scanned.
    for f in files("www", &[".js", ".mjs", ".html"])
        .into_iter()
        .filter(|f| !relative(f).starts_with("www/tutorial/"))
    {
        for (n, line) in code_lines(&read(&f)) {
            for k in kinds {
                for q in ['\'', '"', '`'] {
                    if line.contains(&format!("{q}{k}{q}")) {
                        found.push(format!("{}:{n}: {}", relative(&f), line.trim()));
                    }
                }
            }
        }
    }
    found.dedup();
    assert!(
        found.is_empty(),
        "model kinds in www/:\n{}",
        found.join("\n")
    );
}

/// Copies the rule allows, each with its reason.
const DELIBERATE_COPIES: &[(&str, &str)] = &[
    // The tail of a Trainer with one optimizer: the trait's required methods, written out.
    ("src/train/classifier.rs", "src/train/vae.rs"),
];

/// Lines that carry code: not comments or attributes, and with at least ten letters or digits
/// (so braces, `Ok(())` and the like do not make two blocks look alike).
fn normalized(text: &str) -> Vec<(usize, String)> {
    code_lines(text)
        .into_iter()
        .map(|(n, l)| (n, l.trim().to_string()))
        .filter(|(_, l)| !l.starts_with('*') && !l.starts_with("#["))
        .filter(|(_, l)| l.chars().filter(|c| c.is_ascii_alphanumeric()).count() >= 10)
        .collect()
}

#[test]
fn no_block_of_six_lines_is_copied() {
    const WINDOW: usize = 6;
    let mut seen: HashMap<String, Vec<(String, usize)>> = HashMap::new();
    for dir in ["src", "www"] {
        for f in files(dir, &[".rs", ".js", ".mjs", ".html", ".css"]) {
            let lines = normalized(&read(&f));
            for w in lines.windows(WINDOW) {
                let key = w
                    .iter()
                    .map(|(_, l)| l.as_str())
                    .collect::<Vec<_>>()
                    .join("\n");
                seen.entry(key).or_default().push((relative(&f), w[0].0));
            }
        }
    }
    let mut copies: Vec<String> = seen
        .into_values()
        .filter(|at| at.len() > 1)
        .filter(|at| {
            !DELIBERATE_COPIES
                .iter()
                .any(|(a, b)| at.iter().all(|(f, _)| f == a || f == b))
        })
        .map(|at| {
            at.iter()
                .map(|(f, n)| format!("{f}:{n}"))
                .collect::<Vec<_>>()
                .join(" = ")
        })
        .collect();
    copies.sort();
    assert!(
        copies.is_empty(),
        "blocks of {WINDOW} lines copied:\n{}",
        copies.join("\n")
    );
}

#[test]
fn cited_documents_are_in_the_repository() {
    let mut found = Vec::new();
    let texts = files(".", &[".md", ".rs", ".mjs", ".js", ".sh"])
        .into_iter()
        .chain(files("pkg-scripts", &[""]));
    for f in texts {
        let rel = relative(&f);
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if line.contains("/work/")
                || line.contains("BENCHMARKS.md")
                || line.contains("TOOLCHAIN.md")
            {
                found.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
            // Markdown's relative links, `[text](path#anchor)`, name files that exist.
            if !rel.ends_with(".md") {
                continue;
            }
            for link in line.split("](").skip(1) {
                let target = link.split([')', '#']).next().unwrap_or_default();
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                if !f.parent().unwrap().join(target).exists() {
                    found.push(format!("{rel}:{}: a link to {target}", n + 1));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    assert!(
        found.is_empty(),
        "documents outside the repository (or under their old names), or links to no file:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_readme_layout_lists_every_module() {
    let readme = read(&common::repo().join("README.md"));
    let mut missing = Vec::new();
    for f in files("src", &[".rs"]) {
        let rel = relative(&f);
        let module = rel.strip_suffix("/mod.rs").unwrap_or(&rel);
        let module = module.strip_suffix(".rs").unwrap_or(module);
        let name = module.rsplit('/').next().unwrap_or(module);
        if ["lib", "main", "error"].contains(&name) {
            continue;
        }
        if !readme.contains(&format!("{name}.rs")) && !readme.contains(&format!("{name}/")) {
            missing.push(rel);
        }
    }
    assert!(
        missing.is_empty(),
        "README.md's layout does not mention:\n{}",
        missing.join("\n")
    );
}
