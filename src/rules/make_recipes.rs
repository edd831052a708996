//! The recipes `make` runs, read from the makefile as the call is judged (see `files_run`): an
//! agent can add `rm -rf ~` to the `test` target in one call and run `make test` in the next.
//! The makefile is read as far as a rule needs: its rules, their prerequisites and recipes, and
//! its variables' values where they are assigned outright; what `make` would compute beyond
//! that (functions, pattern rules, includes) is left as written.

use std::collections::{HashMap, HashSet, VecDeque};

/// The most targets followed from the goals of one call.
const MOST_TARGETS: usize = 256;
/// How many rounds of variables inside variables are expanded, and the most bytes a recipe line
/// may grow to: `X = $(X)$(X)` nested grows as a power of the rounds.
const MOST_EXPANSIONS: usize = 8;
const MOST_LINE_BYTES: usize = 64 * 1024;

/// The values make gives variables a makefile does not assign: its own defaults for the programs
/// recipes run; any other name is the environment's, as the shell reads it (`$(HOME)` is `${HOME}`).
const MAKE_DEFAULTS: &[(&str, &str)] =
    &[("RM", "rm -f"), ("MAKE", "make"), ("CC", "cc"), ("CXX", "g++"), ("SHELL", "/bin/sh")];

/// A makefile read: each target's prerequisites and recipe lines, the variables, the first goal.
#[derive(Default)]
pub struct Makefile {
    rules: HashMap<String, (Vec<String>, Vec<String>)>,
    variables: HashMap<String, String>,
    default_goal: Option<String>,
}

impl Makefile {
    pub fn read(text: &str) -> Makefile {
        let mut makefile = Makefile::default();
        let mut current: Vec<String> = Vec::new();
        for line in logical_lines(text) {
            if let Some(recipe) = line.strip_prefix('\t') {
                for target in &current {
                    makefile.rules.entry(target.clone()).or_default().1.push(recipe.to_owned());
                }
                continue;
            }
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            current.clear();
            if let Some((name, value)) = assignment(trimmed) {
                makefile.variables.insert(name.to_owned(), value.to_owned());
                continue;
            }
            let Some((targets, rest)) = trimmed.split_once(':') else { continue };
            let rest = rest.trim_start_matches(':');
            let (prerequisites, inline) = rest.split_once(';').unwrap_or((rest, ""));
            for target in targets.split_whitespace() {
                if makefile.default_goal.is_none() && !target.starts_with('.') && !target.contains('%') {
                    makefile.default_goal = Some(target.to_owned());
                }
                let rule = makefile.rules.entry(target.to_owned()).or_default();
                rule.0.extend(prerequisites.split_whitespace().map(str::to_owned));
                if !inline.trim().is_empty() {
                    rule.1.push(inline.trim().to_owned());
                }
                current.push(target.to_owned());
            }
        }
        makefile
    }

    /// Each target `goals` reach (the default goal when none is named), with its recipe as the
    /// shell script make runs: a line's `@`, `-` and `+` dropped, `$$` a `$`, variables given
    /// their values where the makefile assigns them, make's defaults, or else the environment's.
    /// `None` for a recipe whose variables grow past what is read.
    pub fn recipes(&self, goals: &[&str]) -> Vec<(String, Option<String>)> {
        let mut queue: VecDeque<String> = goals.iter().map(|goal| goal.to_string()).collect();
        if queue.is_empty() {
            queue.extend(self.default_goal.clone());
        }
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        while let Some(target) = queue.pop_front() {
            if seen.len() == MOST_TARGETS || !seen.insert(target.clone()) {
                continue;
            }
            let Some((prerequisites, recipe)) = self.rules.get(&target) else { continue };
            queue.extend(prerequisites.iter().cloned());
            if !recipe.is_empty() {
                let lines: Option<Vec<String>> = recipe.iter().map(|line| self.as_run(line)).collect();
                found.push((target, lines.map(|lines| lines.join("\n"))));
            }
        }
        found
    }

    fn as_run(&self, line: &str) -> Option<String> {
        let line = line.trim_start().trim_start_matches(['@', '-', '+']).trim_start();
        let mut text = line.to_owned();
        for _ in 0..MOST_EXPANSIONS {
            let expanded = self.expanded(&text)?;
            if expanded == text {
                break;
            }
            text = expanded;
        }
        Some(text.replace("$$", "$"))
    }

    fn value_of(&self, name: &str) -> Option<String> {
        if let Some(value) = self.variables.get(name) {
            return Some(value.clone());
        }
        if let Some((_, value)) = MAKE_DEFAULTS.iter().find(|(default, _)| *default == name) {
            return Some(value.to_string());
        }
        let environment = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        environment.then(|| format!("${{{name}}}"))
    }

    /// `text` with each `$(NAME)` and `${NAME}` replaced by its value ([`Self::value_of`]); `None`
    /// past [`MOST_LINE_BYTES`].
    fn expanded(&self, text: &str) -> Option<String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let closing = match after.chars().next() {
                Some('(') => ')',
                Some('{') => '}',
                Some('$') => {
                    out.push_str("$$");
                    rest = &after[1..];
                    continue;
                }
                _ => {
                    out.push('$');
                    rest = after;
                    continue;
                }
            };
            let named = after[1..].find(closing).map(|end| (&after[1..end + 1], end + 2));
            match named.and_then(|(name, len)| Some((self.value_of(name)?, len))) {
                Some((value, len)) => {
                    out.push_str(&value);
                    rest = &after[len..];
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
            if out.len() > MOST_LINE_BYTES {
                return None;
            }
        }
        out.push_str(rest);
        (out.len() <= MOST_LINE_BYTES).then_some(out)
    }
}

/// The makefile's lines with each `\` at a line's end joined to the next.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        match line.strip_suffix('\\') {
            Some(start) => {
                pending.push_str(start);
                pending.push(' ');
            }
            None => {
                pending.push_str(line);
                lines.push(std::mem::take(&mut pending));
            }
        }
    }
    if !pending.is_empty() {
        lines.push(pending);
    }
    lines
}

/// `NAME = value`, `NAME := value`, `NAME ?= value`, `NAME += value` (taken as the value), with
/// an `export` or `override` before it.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let line = line.strip_prefix("export ").or_else(|| line.strip_prefix("override ")).unwrap_or(line);
    let at = line.find('=')?;
    let (left, value) = (&line[..at], &line[at + 1..]);
    let name = left.trim_end().trim_end_matches([':', '?', '+', '!']).trim_end();
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    valid.then(|| (name, value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAKEFILE: &str = "RM := rm -rf\nTARGET = $(HOME_DIR)\nHOME_DIR = ~\n\n.PHONY: test all\nall: build\n\nbuild:\n\tcargo build\n\ntest: build lint\n\t@echo testing\n\t-$(RM) $(TARGET)\n\tcargo test \\\n\t  --all\nlint: ; cargo clippy\n%.o: %.c\n\t$(CC) -c $<\n";

    #[test]
    fn a_goal_runs_its_prerequisites_recipes_with_the_variables_given_their_values() {
        let makefile = Makefile::read(MAKEFILE);
        let recipes = makefile.recipes(&["test"]);
        let targets: Vec<&str> = recipes.iter().map(|(target, _)| target.as_str()).collect();
        assert_eq!(targets, ["test", "build", "lint"]);
        assert_eq!(recipes[0].1.as_deref(), Some("echo testing\nrm -rf ~\ncargo test  \t  --all"));
        assert_eq!(recipes[2].1.as_deref(), Some("cargo clippy"));
        // No goal named: the first target's.
        assert_eq!(makefile.recipes(&[])[0], ("build".to_owned(), Some("cargo build".to_owned())));
    }

    #[test]
    fn what_make_computes_is_left_as_written() {
        let makefile = Makefile::read("x:\n\techo $$HOME $(shell pwd) $@\n\t$(RM) -r $(HOME)\n");
        assert_eq!(makefile.recipes(&["x"])[0].1.as_deref(), Some("echo $HOME $(shell pwd) $@\nrm -f -r ${HOME}"));
    }

    #[test]
    fn variables_that_grow_past_what_is_read_leave_the_recipe_unread() {
        let makefile = Makefile::read("X = $(X)$(X)$(X)$(X)$(X)$(X)$(X)$(X)\nall:\n\techo $(X)\n");
        let started = std::time::Instant::now();
        assert_eq!(makefile.recipes(&[])[0].1, None);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
