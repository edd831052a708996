//! The functions a script defines, and what its calls of them pass: a body is read where it is
//! written, before any call, so its `$1`, `$@` and `$*` stand for every argument any call gives
//! (`f() { rm -rf "$1"; }; f ~` removes `~`). Several calls make a body read with all their
//! arguments at once: more than any one call runs, never less.

use std::sync::LazyLock;

use regex::Regex;

use super::split::{split_script, Script};
use super::variables::Variables;
use super::{words, wrappers};

/// `NAME()` or `function NAME`, where a command may start. Found in the raw text, so a quoted
/// `f()` counts too: that only makes more words arguments.
static DEFINITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;&|(){}])(?:function\s+([A-Za-z_][\w.:-]*)|([A-Za-z_][\w.:-]*)\s*\(\s*\))")
        .expect("a valid regex")
});

/// The arguments of every call, in `parsed` (the script `script` split) and in its substitutions,
/// of a function `script` defines; empty when it defines none.
pub fn arguments_of_calls(script: &str, parsed: &Script, variables: &Variables) -> Vec<String> {
    let names: Vec<&str> = DEFINITION
        .captures_iter(script)
        .filter_map(|found| found.get(1).or_else(|| found.get(2)))
        .map(|name| name.as_str())
        .collect();
    if names.is_empty() {
        return Vec::new();
    }
    let mut arguments = Vec::new();
    let mut variables = variables.clone();
    let mut read = |segments: &[super::split::Segment], variables: &mut Variables| {
        for segment in segments {
            let words = words::command_words(&segment.text, variables).words;
            variables.record(&words);
            let words = wrappers::strip(words);
            if words.first().is_some_and(|program| names.contains(&program.as_str())) {
                arguments.extend_from_slice(&words[1..]);
            }
        }
    };
    read(&parsed.segments, &mut variables);
    for substitution in &parsed.substitutions {
        read(&split_script(substitution).segments, &mut variables.clone());
    }
    arguments
}
