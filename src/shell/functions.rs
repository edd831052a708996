//! The functions a script defines, and what its call of them passes: a body is read where it is
//! written, before any call, so where the script calls its functions once, their `$1`, `$@` and
//! `$*` are that call's arguments (`f() { rm -rf "$1"; }; f ~` removes `~`). With several calls
//! they stay as written.

use std::sync::LazyLock;

use regex::Regex;

use super::split::{split_script, Script, Segment};
use super::variables::Variables;
use super::{words, wrappers};

/// `NAME()` or `function NAME`, where a command may start. Found in the raw text, so a quoted
/// `f()` counts too: that only makes more words arguments.
static DEFINITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;&|(){}])(?:function\s+([A-Za-z_][\w.:-]*)|([A-Za-z_][\w.:-]*)\s*\(\s*\))")
        .expect("a valid regex")
});

/// The names of the functions `script` defines.
pub fn defined(script: &str) -> Vec<&str> {
    if !script.contains('(') && !script.contains("function") {
        return Vec::new();
    }
    DEFINITION
        .captures_iter(script)
        .filter_map(|found| found.get(1).or_else(|| found.get(2)))
        .map(|name| name.as_str())
        .collect()
}

/// The arguments of the call, when `parsed` (the script `script` split) and its substitutions
/// call one of the functions `names` exactly once. With more calls a body runs with different
/// arguments, so its `$1` is no one value, and so it is where a body may `shift` or `set` them.
pub fn arguments_of_the_only_call(
    script: &str,
    names: &[&str],
    parsed: &Script,
    variables: &Variables,
) -> Option<Vec<String>> {
    if names.is_empty() || script.contains("shift") || script.contains("set ") {
        return None;
    }
    let mut calls = Vec::new();
    let mut read = |segments: &[Segment], mut variables: Variables| {
        for segment in segments {
            let words::CommandWords { words, fed, .. } = words::command_words(&segment.text, &variables);
            if variables.may_change(&words, &segment.text) {
                variables.record(&words, &segment.text, &fed, !segment.maybe_elsewhere, false);
            }
            let words = wrappers::strip(words);
            if words.first().is_some_and(|program| names.contains(&program.as_str())) {
                calls.push(words[1..].to_vec());
            }
        }
    };
    read(&parsed.segments, variables.clone());
    for substitution in &parsed.substitutions {
        read(&split_script(substitution).segments, variables.clone());
    }
    // A definition `f()` reads as a call without arguments: `f() { …; }` is cut at its `(`.
    let definitions = DEFINITION.captures_iter(script).filter(|found| found.get(2).is_some()).count();
    let (with_arguments, without): (Vec<_>, Vec<_>) = calls.into_iter().partition(|arguments| !arguments.is_empty());
    match &with_arguments[..] {
        [only] if without.len() <= definitions => Some(only.clone()),
        _ => None,
    }
}
