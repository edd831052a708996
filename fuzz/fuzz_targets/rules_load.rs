//! Arbitrary text as rule files, the way `axiom rules validate`, `check` and hot reload load them.
//!
//! The input is split at NUL bytes into up to three documents (`a.yaml`, `b.yaml`, `c.yaml`), so
//! cross-file problems (duplicate ids) are reached too.
//!
//! - loading returns `Ok` or `Err`, never panics;
//! - every error names one of the files: its `Display` starts with `NAME:`, and a located error
//!   (line > 0) points inside that file: 1 ≤ line ≤ lines + 1 and column ≥ 1;
//! - a rule set that loads also runs: its output and prompt pipelines take the text itself.
#![no_main]

use std::sync::Arc;
use std::time::Instant;

use axiom::pipeline::{Pipeline, PipelineOptions};
use axiom::rules::{RuleDocument, RuleSet, Scope};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 3] = ["a.yaml", "b.yaml", "c.yaml"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let documents: Vec<RuleDocument> =
        text.splitn(NAMES.len(), '\0').zip(NAMES).map(|(text, name)| RuleDocument::new(name, text)).collect();
    let line_counts: Vec<usize> = documents.iter().map(|doc| doc.text.lines().count()).collect();

    match RuleSet::from_documents(documents) {
        Ok(rules) => {
            let rules = Arc::new(rules);
            for scope in [Scope::Output, Scope::Prompt] {
                let now = Instant::now();
                let mut pipeline =
                    Pipeline::starting_at(Arc::clone(&rules), scope, "fuzz", PipelineOptions::offline(), now);
                pipeline.push(text.as_bytes(), now);
                pipeline.finish(now);
            }
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "an Err with no errors in it");
            for error in &errors.0 {
                let shown = error.to_string();
                let index = NAMES
                    .iter()
                    .position(|name| *name == error.file)
                    .unwrap_or_else(|| panic!("unknown file in {shown:?}"));
                assert!(shown.starts_with(&format!("{}:", error.file)), "{shown:?}");
                if error.line > 0 {
                    let lines = line_counts[index];
                    assert!(error.line <= lines + 1, "line {} of a {lines}-line file: {shown:?}", error.line);
                    assert!(error.column >= 1, "column 0: {shown:?}");
                }
            }
        }
    }
});
