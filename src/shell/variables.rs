//! The shell variables and aliases a script sets, so that a later `$NAME` reaches the rules as the
//! words it expands to: `P=a.iom; pkill -f "$P"` is `pkill -f a.iom`, `X=rm; $X -rf ~` is `rm -rf
//! ~`, and `alias r=rm` then `r -rf ~` is `rm -rf ~` (Claude Code's Bash tool expands aliases).
//!
//! Only values the script spells out, in a command that runs for sure in this shell, are known:
//! `NAME=value` alone (a prefix assignment, `P=x cmd`, sets nothing for later commands), after
//! `export`, `local`, `declare`, `typeset` or `readonly`, and `NAME+=more`. Whatever else may set
//! a name makes it unknown again, so it stays as written, as a name the script never set: an
//! assignment after `&&` or `||`, in a pipeline, a subshell, the background or a compound
//! command's body (an `if`, a loop, a function: a call of one of the script's functions forgets
//! what its bodies set); a value that holds an expansion left unknown (`$(…)`, `${X%/}`), save
//! plain references to variables the script did not set, which are kept as written (`D=$HOME`: `$D`
//! is `$HOME`); a `for` loop's variable; `read`, `printf -v`, `getopts`, `mapfile`,
//! arithmetic (`((s=9))`, `let`), array elements, `declare -n`, `eval`, `unset`, and `source`
//! (which forgets every name). A name not known stays as written, except in `${NAME:-word}`,
//! `${NAME-word}` and `${NAME:=word}`, which are read as `${NAME}` where this process's environment
//! has NAME (as the agent's shell most likely does: `HOME`), else as `word`. Once the script
//! sets IFS, unquoted expansions stay as written.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::assignments::{assigned_by, assigned_in_arithmetic, assignment, is_array_element, ASSIGNING};
use super::words::QUOTED_BRACE;
use super::wrappers::is_reserved;

/// The longest value kept, the most bytes all values may hold, and the most names: `P=$P$P`
/// doubles a value, so without a bound a short script would fill memory. A value past a bound is
/// unknown.
const MAX_VALUE: usize = 16 * 1024;
const MAX_BYTES: usize = 1 << 20;
const MAX_NAMES: usize = 256;
/// The bytes expansions may add to one script's text, nested scripts included; past it, `$NAME`
/// stays as written.
const MAX_EXPANDED_TEXT: usize = 128 * 1024;
/// How many aliases one command's first word goes through (bash expands each once), and what
/// each use takes from the budget besides its value's bytes.
const MAX_ALIAS_DEPTH: usize = 16;
const ALIAS_COST: usize = 256;

/// The values a script has given its variables so far. Cloned for each nested script and for
/// each command that holds a substitution, so values are shared, not copied.
#[derive(Debug, Clone)]
pub struct Variables {
    /// A name's fields: one for a plain value, one per argument for `$@`.
    values: HashMap<String, Rc<Vec<String>>>,
    aliases: HashMap<String, Rc<str>>,
    bytes: usize,
    /// Names assigned in a compound command's body (a function's, a loop's): a call of one of the
    /// script's functions may set them.
    set_in_bodies: HashSet<String>,
    /// The script set IFS: an unquoted expansion splits where this cannot tell, so it stays as
    /// written.
    ifs_set: bool,
    /// The script made a reference (`declare -n`), which assigns one name through another: no
    /// assignment is followed after it.
    untracked: bool,
    /// Names whose fields are a loop's list: each pass takes one of them, so a word that holds
    /// the name stands for each in turn (`"$P$d"` is `"$P"` before every one of them), not for
    /// them one after another as `"$@"` does.
    each: HashSet<String>,
    /// What expansions may still add to the script, shared by every clone.
    budget: Rc<Cell<usize>>,
    /// The script may have changed directory (`cd`, `pushd`, `popd`, a call of one of its
    /// functions), or these are a body's or a nested script's, which may run anywhere: `$PWD`
    /// may no longer be where the script started.
    moved: bool,
}

impl Default for Variables {
    fn default() -> Variables {
        Variables {
            values: HashMap::new(),
            aliases: HashMap::new(),
            bytes: 0,
            set_in_bodies: HashSet::new(),
            ifs_set: false,
            untracked: false,
            each: HashSet::new(),
            budget: Rc::new(Cell::new(MAX_EXPANDED_TEXT)),
            moved: false,
        }
    }
}

impl Variables {
    /// Whether the words of one command (as written, wrappers not yet stripped) may change what
    /// this knows: cheap, so that a command that cannot is not made to copy the variables.
    pub fn may_change(&self, words: &[String], text: &str) -> bool {
        changes_directory(words).is_some()
            || words.iter().any(|word| word.contains('='))
            || text.contains("((")
            || text.contains("$[")
            || words.iter().find(|word| !is_reserved(word)).is_some_and(|first| {
                matches!(
                    first.as_str(),
                    "alias"
                        | "unalias"
                        | "unset"
                        | "for"
                        | "select"
                        | "source"
                        | "."
                        | "let"
                        | "eval"
                        | "declare"
                        | "typeset"
                        | "local"
                        | "export"
                        | "readonly"
                        | "builtin"
                        | "command"
                        | "trap"
                ) || ASSIGNING.iter().any(|(program, _)| program == first)
                    || !self.set_in_bodies.is_empty()
            })
    }

    /// Records what one command does to the variables for the commands after it. `words` are its
    /// words as written (wrappers not yet stripped), `text` its text, and `sure` says whether it
    /// runs for sure and in this shell: not after `&&` or `||`, not in a pipeline, a subshell, the
    /// background or a compound command's body. A name a command may set in a way not followed is
    /// forgotten, so it stays as written, as a name the script never set.
    pub fn record(&mut self, words: &[String], text: &str, sure: bool, calls_a_function: bool) {
        let reserved = words.iter().take_while(|word| is_reserved(word)).count();
        let mut words = &words[reserved..];
        while words.first().is_some_and(|first| first == "builtin" || first == "command") {
            words = &words[1..];
        }
        let Some(first) = words.first() else { return };
        if changes_directory(words).is_some() {
            self.moved = true;
        }
        if calls_a_function {
            self.moved = true;
            for name in std::mem::take(&mut self.set_in_bodies) {
                self.forget(&name);
            }
        }
        for name in assigned_in_arithmetic(text) {
            self.forget(name);
        }
        let args = &words[1..];
        let mut settled: Vec<(&str, bool, &str)> = Vec::new();
        match first.as_str() {
            "alias" => {
                for (name, value) in args.iter().filter_map(|word| word.split_once('=')) {
                    self.forget_alias(name);
                    if sure && value.len() <= MAX_VALUE && self.bytes + value.len() <= MAX_BYTES {
                        self.bytes += value.len();
                        self.aliases.insert(name.to_owned(), value.into());
                    }
                }
            }
            "unalias" if args.iter().any(|word| word == "-a") => {
                let names: Vec<String> = self.aliases.keys().cloned().collect();
                names.iter().for_each(|name| self.forget_alias(name));
            }
            "unalias" => args.iter().for_each(|name| self.forget_alias(name)),
            "unset" => args.iter().filter(|word| !word.starts_with('-')).for_each(|name| self.forget(name)),
            // Each pass gives the loop's variable another of the list's words. Where they are all
            // known, the body is read with all of them at once, as fields, so that a rule sees
            // every value (`for d in ~ /; do rm -rf "$d"; done` is `rm -rf ~ /`); else it is
            // not one value.
            "for" | "select" => {
                self.forget("REPLY");
                let Some(name) = args.first() else { return };
                self.forget(name);
                let list = match args.get(1..) {
                    Some([word, list @ ..]) if word == "in" && !list.is_empty() => list,
                    _ => return,
                };
                if list.iter().all(|item| !item.is_empty() && only_plain_references(item)) {
                    self.set(name, list.to_vec());
                    if list.len() > 1 && list.iter().all(|item| !item.contains([',', '{', '}'])) {
                        self.each.insert(name.to_owned());
                    }
                }
            }
            // A sourced file, an evaluated string or a trap may set any name (`eval X=rm`), and
            // a trap at any time.
            "source" | "." | "eval" => self.forget_all(),
            "trap" if args.iter().any(|word| word.contains('=')) || !self.set_in_bodies.is_empty() => self.forget_all(),
            // A name built at run time (`declare "$(echo X)=1"`): any. (A value with `$` in it is
            // the assignment's to judge: `export D=$HOME`.)
            "export" | "local" | "declare" | "typeset" | "readonly"
                if args.iter().any(|word| word.split('=').next().is_some_and(|name| name.contains('$'))) =>
            {
                self.forget_all()
            }
            "export" | "local" | "declare" | "typeset" | "readonly" => {
                if args.iter().any(|word| word.starts_with('-') && word.contains('n')) {
                    self.forget_all();
                    self.untracked = true;
                }
                // `-l`/`-u` (case), `-i` (arithmetic), arrays, `-p`/`-f` (which assign nothing):
                // values this does not follow; `local` outside a function assigns nothing.
                let plain = first != "local"
                    && args
                        .iter()
                        .filter(|word| word.starts_with('-'))
                        .all(|option| option[1..].chars().all(|c| matches!(c, 'x' | 'r' | 'g')));
                for word in args.iter().filter(|word| !word.starts_with('-')) {
                    match assignment(word) {
                        Some(found) if plain => settled.push(found),
                        Some((name, _, _)) => self.forget(name),
                        None => self.forget(word.split('[').next().unwrap_or(word)),
                    }
                }
            }
            "let" => {
                for word in args {
                    for name in assigned_in_arithmetic(&format!("(({word}))")) {
                        self.forget(name);
                    }
                }
            }
            program if ASSIGNING.iter().any(|(p, _)| *p == program) => {
                if args.iter().any(|word| word.contains('$')) {
                    return self.forget_all();
                }
                let (_, valued) = ASSIGNING.iter().find(|(p, _)| *p == program).expect("checked");
                for name in assigned_by(program, args, valued) {
                    self.forget(name);
                }
            }
            _ => {
                let leading: Vec<_> = words.iter().map_while(|word| assignment(word)).collect();
                // `A=~ H=$A`: bash assigns left to right, this read `$A` before any.
                let refers_to_another = leading.len() > 1
                    && leading
                        .iter()
                        .any(|(name, _, _)| text.contains(&format!("${name}")) || text.contains(&format!("${{{name}")));
                if refers_to_another {
                    leading.iter().for_each(|(name, _, _)| self.forget(name));
                } else if leading.len() == words.len() {
                    settled = leading;
                } else {
                    // `P=x cmd` gives P to cmd only (a special builtin keeps it: not followed);
                    // `X[0]=a` sets an element.
                    let prefix = words.iter().take_while(|word| assignment(word).is_some() || is_array_element(word));
                    for word in prefix.collect::<Vec<_>>() {
                        self.forget(word.split(['[', '+', '=']).next().unwrap_or(word));
                    }
                }
            }
        }
        for (name, append, value) in settled {
            if name == "IFS" {
                self.ifs_set = true;
            }
            if sure && !self.untracked {
                self.assign(name, append, value);
            } else {
                self.forget(name);
                if self.set_in_bodies.len() < MAX_NAMES {
                    self.set_in_bodies.insert(name.to_owned());
                } else {
                    self.forget_all();
                }
            }
        }
    }

    /// `text` (one simple command as written) with the alias its first word names, after any
    /// reserved words, written in its place, as often as the new first word names another; `None`
    /// when it names none.
    pub fn with_aliases_expanded(&self, text: &str) -> Option<String> {
        if self.aliases.is_empty() {
            return None;
        }
        let mut text = text.trim_start().to_owned();
        let mut used: Vec<String> = Vec::new();
        let mut start = 0;
        while used.len() < MAX_ALIAS_DEPTH {
            let rest = &text[start..];
            let end = start + rest.find(char::is_whitespace).unwrap_or(rest.len());
            let word = &text[start..end];
            if is_reserved(word) {
                start = end + text[end..].len() - text[end..].trim_start().len();
                continue;
            }
            match self.aliases.get(word) {
                // Each use is charged more than its bytes: what it costs is reading another script.
                Some(value)
                    if !used.iter().any(|name| name == word) && ALIAS_COST + value.len() <= self.budget.get() =>
                {
                    self.budget.set(self.budget.get() - ALIAS_COST - value.len());
                    used.push(word.to_owned());
                    text.replace_range(start..end, value);
                }
                _ => break,
            }
        }
        (!used.is_empty()).then_some(text)
    }

    /// What the expansion that starts at `chars[at]` (a `$`) gives, written for `prepare` to read
    /// back as the words bash makes of it (`quoted`: inside double quotes), and where the text
    /// after it starts; `None` for one this does not know.
    pub fn expansion(&self, chars: &[char], at: usize, quoted: bool) -> Option<(String, usize)> {
        let (name, operator, end) = parameter(chars, at)?;
        if !quoted && self.ifs_set {
            return None;
        }
        let value = self.values.get(&name);
        // IFS the script did not set splits words at blanks: unquoted, it is one (`rm${IFS}-rf`).
        if name == "IFS" && value.is_none() && operator.is_none() && !quoted && !self.ifs_set {
            return Some((" ".to_owned(), end));
        }
        let empty = value.is_none_or(|fields| fields.iter().all(String::is_empty));
        let fields: Vec<String> = match (value, operator) {
            // The word when set (`+`), or set and not empty (`:+`); else nothing.
            (Some(_), Some(("+", word))) => vec![word],
            (Some(_), Some((":+", word))) if !empty => vec![word],
            (Some(_), Some((":+", _))) => Vec::new(),
            // The word when empty (`:-`, `:=`); else the value.
            (Some(_), Some((":-" | ":=", word))) if empty => vec![word],
            // The value less its last part (`%/*`, as `dirname` gives it) or its trailing slash.
            (Some(fields), Some(("%", word))) => {
                fields.iter().map(|field| without_suffix(field, &word)).collect::<Option<Vec<_>>>()?
            }
            (Some(fields), _) => fields.to_vec(),
            // Not set here, a directory the shell keeps (`$PWD`, `$OLDPWD`, `$HOME`, absolute and
            // never `/` itself in practice): the directory above it (`${PWD%/*}`), or the
            // directory itself. Another name's value may hold no `/`, which `%/*` leaves whole.
            (None, Some(("%", word))) if KEPT_DIRECTORIES.contains(&name.as_str()) && word == "/*" => {
                vec![format!("${{{name}}}/..")]
            }
            (None, Some(("%", word))) if KEPT_DIRECTORIES.contains(&name.as_str()) && word == "/" => {
                vec![format!("${{{name}}}")]
            }
            // Not set here: the name as written (`${HOME}`) if the environment has it, as the
            // agent's shell most likely does too, else the default (`${P:-a.iom}`).
            (None, Some((":-" | "-" | ":=" | "=", _)))
                if std::env::var_os(&name).is_some() || SHELL_SETS.contains(&name.as_str()) =>
            {
                vec![format!("${{{name}}}")]
            }
            (None, Some((":-" | "-" | ":=" | "=", word))) => vec![word],
            (None, _) => return None,
        };
        let size: usize = fields.iter().map(|field| 2 * field.len() + 3).sum();
        let left = self.budget.get();
        if size > left {
            return None;
        }
        self.budget.set(left - size);
        if fields.len() > 1 && self.each.contains(&name) {
            return Some((each_of(&fields, quoted), end));
        }
        Some((written(&fields, quoted), end))
    }

    /// What a compound command's body is read with: the arguments of its function's one call,
    /// if any, and nothing the script assigned (the body may run later or again).
    pub fn in_bodies(&self, arguments: Option<&[String]>) -> Variables {
        let mut body =
            Variables { ifs_set: self.ifs_set, budget: Rc::clone(&self.budget), moved: true, ..Variables::default() };
        if let Some(arguments) = arguments {
            body.set_arguments(arguments);
        }
        body
    }

    /// These variables less `names`; `None` when none of them is set.
    pub fn without(&self, names: &[String]) -> Option<Variables> {
        if !names.iter().any(|name| self.values.contains_key(name)) {
            return None;
        }
        let mut less = self.clone();
        names.iter().for_each(|name| less.forget(name));
        Some(less)
    }

    /// Gives the positional parameters (`$1`, `${10}`, `$@`, `$*`) the arguments of the one call.
    pub fn set_arguments(&mut self, arguments: &[String]) {
        for index in 1..=arguments.len().clamp(9, 64) {
            self.set(&index.to_string(), vec![arguments.get(index - 1).cloned().unwrap_or_default()]);
        }
        self.set("@", arguments.to_vec());
        self.set("*", vec![arguments.join(" ")]);
    }

    fn assign(&mut self, name: &str, append: bool, value: &str) {
        // A value holding an expansion this did not make (`$(…)`, `${X%/}`) is not known, and
        // neither is an empty one, which may be an array's start (`X=(a b)` is cut at its `(`).
        // A plain `$NAME` this does not know is kept as written, as it would be if the script
        // used it in place of the variable: `D=$HOME; rm -rf "$D"` is `rm -rf "$HOME"`.
        if !only_plain_references(value) || value.is_empty() {
            return self.forget(name);
        }
        let value = match (append, self.values.get(name)) {
            (true, Some(fields)) => fields.join(" ") + value,
            (true, None) => return self.forget(name),
            (false, _) => value.to_owned(),
        };
        // `ROOT=$PWD; cd /tmp; rm -rf "$ROOT"`: bash expands `$PWD` here, where the script started,
        // not where `$ROOT` is used; and the same for the repository's top
        // (`ROOT=$(git rev-parse --show-toplevel)`).
        let pinned = [
            ("$PWD", super::START_DIRECTORY),
            ("${PWD}", super::START_DIRECTORY),
            (super::GIT_TOPLEVEL, super::START_TOPLEVEL),
        ];
        let value = match pinned.iter().find_map(|(name, mark)| Some((value.strip_prefix(name)?, mark))) {
            Some((rest, mark)) if !self.moved && (rest.is_empty() || rest.starts_with('/')) => format!("{mark}{rest}"),
            _ => value,
        };
        self.set(name, vec![value]);
    }

    fn set(&mut self, name: &str, fields: Vec<String>) {
        self.forget(name);
        // Bash sets `_` after every command, and PWD and OLDPWD at every `cd`.
        if matches!(name, "_" | "PWD" | "OLDPWD") || name.len() > 64 || self.values.len() >= MAX_NAMES {
            return;
        }
        let size: usize = fields.iter().map(String::len).sum();
        if size <= MAX_VALUE && self.bytes + size <= MAX_BYTES {
            self.bytes += size;
            self.values.insert(name.to_owned(), Rc::new(fields));
        }
    }

    fn forget_alias(&mut self, name: &str) {
        if let Some(value) = self.aliases.remove(name) {
            self.bytes -= value.len();
        }
    }

    fn forget(&mut self, name: &str) {
        self.each.remove(name);
        if name == "IFS" {
            self.ifs_set = true;
        }
        if let Some(fields) = self.values.remove(name) {
            self.bytes -= fields.iter().map(String::len).sum::<usize>();
        }
    }

    /// Whether `$PWD` may no longer be where the script started.
    pub fn moved(&self) -> bool {
        self.moved
    }

    /// From here on, `$PWD` is not taken for where the script started.
    pub fn set_moved(&mut self) {
        self.moved = true;
    }

    fn forget_all(&mut self) {
        self.each.clear();
        self.values.clear();
        self.aliases.clear();
        self.set_in_bodies.clear();
        self.bytes = 0;
    }
}

/// The `cd`, `pushd` or `popd` among `words`, the command's words as written: after its
/// assignments (`CDPATH= cd x`) and `time`, `builtin` or `command`.
fn changes_directory(words: &[String]) -> Option<&String> {
    words
        .iter()
        .find(|word| assignment(word).is_none() && !matches!(word.as_str(), "time" | "builtin" | "command"))
        .filter(|word| matches!(word.as_str(), "cd" | "pushd" | "popd"))
}

/// The directories the shell and the login keep in variables: each an absolute path.
pub const KEPT_DIRECTORIES: &[&str] = &["PWD", "OLDPWD", "HOME"];

/// Names bash sets in every shell, which its environment need not hold (`${PPID:-1}` is the
/// parent's pid, never 1).
const SHELL_SETS: &[&str] = &["PPID", "BASHPID", "UID", "EUID", "HOSTNAME", "SHLVL", "PWD", "HOME", "BASH"];

/// What `${NAME%PATTERN}` makes of `value` for the patterns read here: `/*` takes off the last
/// `/` and what follows it, `/` a trailing slash. `None` for any other pattern.
fn without_suffix(value: &str, pattern: &str) -> Option<String> {
    match pattern {
        "/*" => Some(value.rfind('/').map_or(value, |at| &value[..at]).to_owned()),
        "/" => Some(value.strip_suffix('/').unwrap_or(value).to_owned()),
        _ => None,
    }
}

/// The parameter expansion at `chars[at]`: `$NAME`, `${NAME}`, or `${NAME` followed by one of
/// the operators `:-`, `-`, `:=`, `=`, `:?`, `?`, `:+`, `+`, `%` and its word up to the closing brace;
/// NAME may be a positional parameter (`$1`, `${10}`, `$@`, `$*`).
/// Gives the name, the operator and its word, and where the text after it starts.
#[allow(clippy::type_complexity)]
fn parameter(chars: &[char], at: usize) -> Option<(String, Option<(&'static str, String)>, usize)> {
    let is_name_char = |c: &char| c.is_ascii_alphanumeric() || *c == '_';
    let braced = chars.get(at + 1) == Some(&'{');
    let start = (at + 1 + usize::from(braced)).min(chars.len());
    let (name, after) = match chars.get(start) {
        Some(&c @ ('1'..='9' | '@' | '*')) if !braced => (c.to_string(), start + 1),
        Some('1'..='9') => {
            let name: String = chars[start..].iter().take_while(|c| c.is_ascii_digit()).collect();
            let after = start + name.len();
            (name, after)
        }
        Some(&c @ ('@' | '*')) => (c.to_string(), start + 1),
        _ => {
            let name: String = chars[start..].iter().take_while(|c| is_name_char(c)).collect();
            if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                return None;
            }
            let after = start + name.len();
            (name, after)
        }
    };
    if !braced {
        return Some((name, None, after));
    }
    let close = after + chars[after..].iter().position(|&c| c == '}')?;
    let inside: String = chars[after..close].iter().collect();
    if inside.is_empty() {
        return Some((name, None, close + 1));
    }
    let operator = [":-", ":=", ":?", ":+", "-", "=", "?", "+", "%"].into_iter().find(|op| inside.starts_with(op))?;
    // A nested expansion or quote in the word is more than this reads.
    let word = &inside[operator.len()..];
    if word.contains(['$', '{', '\'', '"', '`', '\\']) {
        return None;
    }
    Some((name, Some((operator, word.to_owned())), close + 1))
}

/// `fields` written so that `prepare` reads them as the words bash makes of the expansion: outside
/// quotes each field split at white space, every character escaped (an expanded value is not
/// expanded or unquoted again); inside double quotes each field one word, joined by closing and
/// reopening the quotes.
/// A loop's list written as a brace list (`{a,b}`), which the words are expanded by after they
/// are split: so a word around the name takes each of them (`out/$d` is `out/a out/b`). Its
/// characters are escaped as [`written`] escapes them; the braces and commas are not.
fn each_of(fields: &[String], quoted: bool) -> String {
    let escaped: Vec<String> = fields
        .iter()
        .map(|field| {
            let mut out = String::new();
            for c in field.chars() {
                if !quoted || matches!(c, '"' | '\\' | '$' | '`') {
                    out.push('\\');
                }
                out.push(c);
            }
            out
        })
        .collect();
    format!("{{{}}}", escaped.join(","))
}

fn written(fields: &[String], quoted: bool) -> String {
    let mut out = String::new();
    for (index, field) in fields.iter().enumerate() {
        if quoted {
            if index > 0 {
                out.push_str("\" \"");
            }
            for c in field.chars() {
                match c {
                    '{' => out.push(QUOTED_BRACE),
                    '"' | '\\' | '$' | '`' => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
        } else {
            for (at, word) in field.split_whitespace().enumerate() {
                if index + at > 0 {
                    out.push(' ');
                }
                for c in word.chars() {
                    out.push('\\');
                    out.push(if c == '{' { QUOTED_BRACE } else { c });
                }
            }
        }
    }
    out
}

/// Whether every `$` in `value` starts a plain reference to a variable, `$NAME` or `${NAME}`.
fn only_plain_references(value: &str) -> bool {
    let name_length = |text: &str| {
        let starts = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
        if starts {
            text.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(text.len())
        } else {
            0
        }
    };
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        let length = match after.strip_prefix('{') {
            Some(braced) => {
                let length = name_length(braced);
                if length == 0 || !braced[length..].starts_with('}') {
                    return false;
                }
                length + 2
            }
            None => name_length(after),
        };
        if length == 0 {
            return false;
        }
        rest = &after[length..];
    }
    true
}

#[cfg(test)]
mod tests;
