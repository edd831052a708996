//! The shell variables and aliases a script sets, so that a later `$NAME` reaches the rules as the
//! words it expands to: `P=a.iom; pkill -f "$P"` is `pkill -f a.iom`, `X=rm; $X -rf ~` is `rm -rf
//! ~`, and `alias r=rm` then `r -rf ~` is `rm -rf ~` (Claude Code's Bash tool expands aliases).
//!
//! Only values the script spells out, in a command that runs for sure in this shell, are known:
//! `NAME=value` alone (a prefix assignment, `P=x cmd`, sets nothing for later commands), after
//! `export`, `local`, `declare`, `typeset` or `readonly`, and `NAME+=more`; an array literal
//! (`d=(a b)`, `d+=(c)`); `printf -v NAME` of a known output, `read NAME… <<< WORD` and the
//! positional parameters `set -- WORDS` gives. Whatever else may set
//! a name makes it unknown again, so it stays as written, as a name the script never set: an
//! assignment after `&&` or `||`, in a pipeline, a subshell, the background or a compound
//! command's body (an `if`, a loop, a function: a call of one of the script's functions forgets
//! what its bodies set); a value that holds an expansion left unknown (`$(…)`, `${X%/}`), save
//! plain references to variables the script did not set, which are kept as written (`D=$HOME`: `$D`
//! is `$HOME`); a `for` loop's variable; `read` and `printf -v` otherwise, `getopts`, `mapfile`,
//! arithmetic (`((s=9))`, `let`), array elements, `declare -n`, `eval`, `unset`, and `source`
//! (which forgets every name). A name not known stays as written, except in `${NAME:-word}`,
//! `${NAME-word}` and `${NAME:=word}`, which are read as `${NAME}` where this process's environment
//! has NAME (as the agent's shell most likely does: `HOME`), else as `word`, and in the operators
//! of `operators.rs` on HOME, PWD and OLDPWD, read as the directory itself (see
//! [`Variables::expansion`]). Once the script sets IFS, unquoted expansions stay as written.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::assignments::{assigned_by, assigned_in_arithmetic, assignment, is_array_element, ASSIGNING};
use super::words::{ARRAY_ELEMENT, QUOTED_BRACE};
use super::wrappers::is_reserved;

mod operators;

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
    /// Names whose fields are an array's elements (`d=(a b)`): `$d` is the first.
    arrays: HashSet<String>,
    /// What expansions may still add to the script, shared by every clone.
    budget: Rc<Cell<usize>>,
    /// Names the script exported (`export X`, `declare -x X`), which the programs it runs see in
    /// their environment; or every name it assigns, after `set -a`.
    exported: HashSet<String>,
    all_exported: bool,
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
            arrays: HashSet::new(),
            budget: Rc::new(Cell::new(MAX_EXPANDED_TEXT)),
            exported: HashSet::new(),
            all_exported: false,
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
                        | "set"
                ) || ASSIGNING.iter().any(|(program, _)| program == first)
                    || !self.set_in_bodies.is_empty()
            })
    }

    /// Records what one command does to the variables for the commands after it. `words` are its
    /// words as written (wrappers not yet stripped), `text` its text, and `sure` says whether it
    /// runs for sure and in this shell: not after `&&` or `||`, not in a pipeline, a subshell, the
    /// background or a compound command's body. A name a command may set in a way not followed is
    /// forgotten, so it stays as written, as a name the script never set.
    pub fn record(&mut self, words: &[String], text: &str, fed: &[String], sure: bool, calls_a_function: bool) {
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
        let mut settled: Vec<(&str, bool, std::borrow::Cow<str>)> = Vec::new();
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
            "unset" => args.iter().filter(|word| !word.starts_with('-')).for_each(|name| {
                self.forget(name);
                self.exported.remove(name);
            }),
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
            "set" => {
                // `set -a` (`-o allexport`): every name assigned from here on is exported.
                let mut options = args.iter().take_while(|word| word.starts_with(['-', '+']) && *word != "--");
                if options.any(|word| (word.starts_with('-') && word.contains('a')) || word == "allexport") {
                    self.all_exported = true;
                }
                if args.windows(2).any(|pair| pair[0] == "-o" && pair[1] == "allexport") {
                    self.all_exported = true;
                }
                self.set_positional(args, sure)
            }
            "printf" if printed_into(args).is_some() => {
                let (name, value) = printed_into(args).expect("checked");
                settled.push((name, false, value));
            }
            "read" if read_from_a_here_string(args, fed).is_some() => {
                settled.extend(read_from_a_here_string(args, fed).expect("checked"));
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
                        .all(|option| option[1..].chars().all(|c| matches!(c, 'x' | 'r' | 'g' | 'a')));
                // `export X`, `declare -x X`, `local -x X`: the names go to the environment of the
                // programs the script runs (bash's `-x`), whatever their values.
                let exports = first == "export"
                    || args.iter().any(|word| word.starts_with('-') && !word.starts_with("--") && word.contains('x'));
                for word in args.iter().filter(|word| !word.starts_with('-')) {
                    let name =
                        assignment(word).map_or_else(|| word.split('[').next().unwrap_or(word), |(name, _, _)| name);
                    if exports && is_name(name) && self.exported.len() < MAX_NAMES {
                        self.exported.insert(name.to_owned());
                    }
                    match assignment(word) {
                        Some((name, append, value)) if plain => settled.push((name, append, value.into())),
                        Some((name, _, _)) => self.forget(name),
                        // `export X`, `readonly X`, `declare -x X` give the name an attribute and
                        // leave its value as it was.
                        None if plain && is_name(word) => {}
                        None => self.forget(name),
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
                    settled = leading.into_iter().map(|(name, append, value)| (name, append, value.into())).collect();
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
                self.assign(name, append, &value);
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
        let Parameter { name, indirect, index, operator, end } = parameter(chars, at)?;
        if !quoted && self.ifs_set {
            return None;
        }
        // `v=HOME; "${!v}"` is `$HOME`, as written when HOME is not known.
        let name = if indirect { self.named_by(&name)? } else { name };
        if indirect && operator.is_none() && !self.values.contains_key(&name) {
            return Some((written(&[format!("${{{name}}}")], quoted), end));
        }
        let value = match self.values.get(&name) {
            Some(fields) => Some(self.element(&name, fields, index.as_deref(), quoted)?),
            None if index.is_some() => return None,
            None => None,
        };
        // IFS the script did not set splits words at blanks: unquoted, it is one (`rm${IFS}-rf`).
        if name == "IFS" && value.is_none() && operator.is_none() && !quoted && !self.ifs_set {
            return Some((" ".to_owned(), end));
        }
        let empty = value.as_ref().is_none_or(|fields| fields.iter().all(String::is_empty));
        let kept_directory = KEPT_DIRECTORIES.contains(&name.as_str());
        let fields: Vec<String> = match (value, operator) {
            // The word when set (`+`), or set and not empty (`:+`); else nothing.
            (Some(_), Some(("+", word))) => vec![self.with_references_expanded(&word)],
            (Some(_), Some((":+", word))) if !empty => vec![self.with_references_expanded(&word)],
            (Some(_), Some((":+", _))) => Vec::new(),
            // The word when empty (`:-`, `:=`); else the value.
            (Some(_), Some((":-" | ":=", word))) if empty => vec![self.with_references_expanded(&word)],
            // Worked out only while what it may give fits what expansions may still add, which
            // bounds the work a script of many operations on long values makes.
            (Some(fields), Some((operator, word))) if operators::OPERATORS.contains(&operator) => {
                if fields.iter().map(|field| 2 * field.len() + 3).sum::<usize>() > self.budget.get() {
                    return None;
                }
                fields.iter().map(|field| operated(field, operator, &word)).collect::<Option<Vec<_>>>()?
            }
            (Some(fields), _) => fields,
            // Not set here, a directory the shell keeps (`$PWD`, `$OLDPWD`, `$HOME`, absolute and
            // never `/` itself in practice): the directory above it (`${PWD%/*}`), or the
            // directory itself for an operator that leaves its path naming it as far as a rule
            // goes (`${HOME%/}`, `${HOME#x}`, `${HOME,,}`, `${HOME@Q}`). Another name's value
            // may hold no `/`, which `%/*` leaves whole.
            (None, Some(("%", word))) if kept_directory && word == "/*" => vec![format!("${{{name}}}/..")],
            (None, Some((operator, word))) if kept_directory && operators::keeps_a_directory(operator, &word) => {
                vec![format!("${{{name}}}")]
            }
            // Not set here: the name as written (`${HOME}`) if the environment has it, as the
            // agent's shell most likely does too, else the default (`${P:-a.iom}`).
            (None, Some((":-" | "-" | ":=" | "=", _)))
                if std::env::var_os(&name).is_some() || SHELL_SETS.contains(&name.as_str()) =>
            {
                vec![format!("${{{name}}}")]
            }
            (None, Some((":-" | "-" | ":=" | "=", word))) => vec![self.with_references_expanded(&word)],
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

    /// The value the script surely gave `name`, as one word; `None` for a name it did not set, or
    /// set to an array.
    pub fn value(&self, name: &str) -> Option<String> {
        if self.arrays.contains(name) {
            return None;
        }
        self.values.get(name).map(|fields| fields.join(" "))
    }

    /// The name `name`'s value names, for `${!name}`.
    fn named_by(&self, name: &str) -> Option<String> {
        match self.values.get(name)?.as_slice() {
            [named] if is_name(named) => Some(named.clone()),
            _ => None,
        }
    }

    /// The fields `${name[index]}` gives of `fields` (`${name}` for no index): an array's
    /// first element for none, every element for `@` (and for `*`, joined in one inside quotes),
    /// the one numbered; a plain value is element 0. `None` for an index this does not read.
    fn element(&self, name: &str, fields: &[String], index: Option<&str>, quoted: bool) -> Option<Vec<String>> {
        let array = self.arrays.contains(name);
        let numbered = |number: usize| fields.get(number).cloned().into_iter().collect();
        Some(match index {
            None if array => numbered(0),
            None | Some("@") => fields.to_vec(),
            Some("*") if quoted => vec![fields.join(" ")],
            Some("*") => fields.to_vec(),
            Some(number) => {
                let number: usize = number.trim().parse().ok()?;
                if array {
                    numbered(number)
                } else if number == 0 {
                    fields.to_vec()
                } else {
                    Vec::new()
                }
            }
        })
    }

    /// `word` (a default's, of plain references only) with the names this knows written as
    /// their values and the others kept as written: `${X:-$HOME}` is `$HOME`.
    fn with_references_expanded(&self, word: &str) -> String {
        let mut out = String::new();
        let mut rest = word;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let braced = after.starts_with('{');
            let body = if braced { &after[1..] } else { after };
            let length = body.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(body.len());
            let reference_length = 1 + length + if braced { 2 } else { 0 };
            let reference = &rest[at..(at + reference_length).min(rest.len())];
            match self.values.get(&body[..length]) {
                Some(fields) if !self.arrays.contains(&body[..length]) => out.push_str(&fields.join(" ")),
                Some(fields) => out.push_str(fields.first().map_or("", String::as_str)),
                None => out.push_str(reference),
            }
            rest = &rest[(at + reference_length).min(rest.len())..];
        }
        out.push_str(rest);
        out
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

    /// What a program the script runs sees of these in its environment: the exported names'
    /// values, and the assignments `given` in front of it (`X=1 sh -c '…'`); no alias, array,
    /// positional parameter or function's argument. Shares the budget of expansions.
    pub fn environment(&self, given: &[(String, String)]) -> Variables {
        let mut seen = Variables {
            ifs_set: self.ifs_set && (self.all_exported || self.exported.contains("IFS")),
            untracked: self.untracked,
            budget: Rc::clone(&self.budget),
            moved: true,
            exported: self.exported.clone(),
            all_exported: self.all_exported,
            ..Variables::default()
        };
        for (name, fields) in &self.values {
            let exported = self.all_exported || self.exported.contains(name);
            if exported && !self.arrays.contains(name) && is_name(name) {
                seen.bytes += fields.iter().map(String::len).sum::<usize>();
                seen.values.insert(name.clone(), Rc::clone(fields));
            }
        }
        for (name, value) in given {
            seen.assign(name, false, value);
        }
        seen
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

    /// `set -- WORDS` (or `set -e WORDS`): the positional parameters are the words; options
    /// alone leave them as they were.
    fn set_positional(&mut self, args: &[String], sure: bool) {
        let mut at = 0;
        while let Some(word) = args.get(at) {
            match word.as_str() {
                "--" | "-" => {
                    at += 1;
                    break;
                }
                "-o" | "+o" => at += 2,
                option if option.starts_with(['-', '+']) => at += 1,
                _ => break,
            }
        }
        let given = args.get(at..).unwrap_or_default();
        if given.is_empty() && !args.get(at.wrapping_sub(1)).is_some_and(|word| word == "--" || word == "-") {
            return;
        }
        for index in 1..=64 {
            self.forget(&index.to_string());
        }
        self.forget("@");
        self.forget("*");
        if sure && given.iter().all(|word| only_plain_references(word)) {
            self.set_arguments(given);
        }
    }

    fn assign(&mut self, name: &str, append: bool, value: &str) {
        if let Some(elements) = array_elements(value) {
            return self.assign_array(name, append, elements);
        }
        // A value holding an expansion this did not make (`$(…)`, `${X%/}` of an X not known) is
        // not known, and neither is an empty one.
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
        let value = self.pinned(value);
        self.set(name, vec![value]);
    }

    /// `d=(a b)`, `d+=(c)`: the elements, if each is known.
    fn assign_array(&mut self, name: &str, append: bool, elements: Vec<&str>) {
        if elements.iter().any(|element| !only_plain_references(element)) {
            return self.forget(name);
        }
        let mut fields = match (append, self.values.get(name)) {
            (true, Some(fields)) => fields.to_vec(),
            (true, None) => return self.forget(name),
            (false, _) => Vec::new(),
        };
        fields.extend(elements.into_iter().map(|element| self.pinned(element.to_owned())));
        self.set(name, fields);
        if self.values.contains_key(name) {
            self.arrays.insert(name.to_owned());
        }
    }

    /// `value` with a leading `$PWD` or repository top pinned to where the script started.
    fn pinned(&self, value: String) -> String {
        // `ROOT=$PWD; cd /tmp; rm -rf "$ROOT"`: bash expands `$PWD` here, where the script started,
        // not where `$ROOT` is used; and the same for the repository's top
        // (`ROOT=$(git rev-parse --show-toplevel)`).
        let pinned = [
            ("$PWD", super::START_DIRECTORY),
            ("${PWD}", super::START_DIRECTORY),
            (super::GIT_TOPLEVEL, super::START_TOPLEVEL),
        ];
        match pinned.iter().find_map(|(name, mark)| Some((value.strip_prefix(name)?, mark))) {
            Some((rest, mark)) if !self.moved && (rest.is_empty() || rest.starts_with('/')) => format!("{mark}{rest}"),
            _ => value,
        }
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
        self.arrays.remove(name);
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
        self.arrays.clear();
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

/// One parameter expansion, as written.
struct Parameter {
    name: String,
    /// `${!NAME}`: the expansion is of the name NAME's value names.
    indirect: bool,
    /// `${NAME[INDEX]}`: what is between the brackets.
    index: Option<String>,
    /// The operator and its word.
    operator: Option<(&'static str, String)>,
    /// Where the text after it starts.
    end: usize,
}

/// The parameter expansion at `chars[at]`: `$NAME`, `${NAME}`, `${!NAME}`, `${NAME[INDEX]}`, or
/// `${NAME` followed by one of the operators `:-`, `-`, `:=`, `=`, `:?`, `?`, `:+`, `+` (whose
/// word may hold plain references, `${X:-$HOME}`) or those of [`operators::OPERATORS`] and its
/// word, up to the closing brace; NAME may be a positional parameter (`$1`, `${10}`, `$@`, `$*`).
fn parameter(chars: &[char], at: usize) -> Option<Parameter> {
    let is_name_char = |c: &char| c.is_ascii_alphanumeric() || *c == '_';
    let braced = chars.get(at + 1) == Some(&'{');
    let mut start = (at + 1 + usize::from(braced)).min(chars.len());
    let indirect = braced
        && chars.get(start) == Some(&'!')
        && chars.get(start + 1).is_some_and(|c| c.is_ascii_alphabetic() || *c == '_');
    start += usize::from(indirect);
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
        return Some(Parameter { name, indirect, index: None, operator: None, end: after });
    }
    let close = closing_brace(chars, after)?;
    let mut inside: String = chars[after..close].iter().collect();
    let index = match inside.strip_prefix('[') {
        Some(bracketed) => {
            let (index, rest) = bracketed.split_once(']')?;
            let index = index.to_owned();
            inside = rest.to_owned();
            Some(index)
        }
        None => None,
    };
    // `${!NAME[@]}` lists an array's keys, `${!NAME*}` names: more than this reads.
    if indirect && (index.is_some() || !inside.is_empty()) {
        return None;
    }
    if inside.is_empty() {
        return Some(Parameter { name, indirect, index, operator: None, end: close + 1 });
    }
    const DEFAULTS: &[&str] = &[":-", ":=", ":?", ":+", "-", "=", "?", "+"];
    let operator = DEFAULTS.iter().chain(operators::OPERATORS).find(|op| inside.starts_with(**op))?;
    // A quote in the word, or an expansion more than a plain reference (in a default's word
    // only), is more than this reads.
    let word = &inside[operator.len()..];
    let references_allowed = DEFAULTS.contains(operator) && only_plain_references(word);
    if word.contains(['\'', '"', '`', '\\']) || (word.contains(['$', '{']) && !references_allowed) {
        return None;
    }
    Some(Parameter { name, indirect, index, operator: Some((operator, word.to_owned())), end: close + 1 })
}

/// The `}` that closes a `${`, its word starting at `chars[from]`: plain references inside it
/// (`${X:-${HOME}}`) are skipped.
fn closing_brace(chars: &[char], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = from;
    while let Some(&c) = chars.get(at) {
        match c {
            '$' if chars.get(at + 1) == Some(&'{') => {
                depth += 1;
                at += 1;
            }
            '}' if depth == 0 => return Some(at),
            '}' => depth -= 1,
            _ => {}
        }
        at += 1;
    }
    None
}

/// What `operator` with `word` makes of one field of a value: worked out for a value spelled
/// out; for one that holds a reference kept as written (`$HOME/x`, `~`), the value itself where
/// the operator leaves a directory's path naming it as far as a rule goes, and for `%/` and
/// `%/*` the value less its trailing slash or its last part, as written.
fn operated(field: &str, operator: &str, word: &str) -> Option<String> {
    let as_written = field.contains('$') || field.starts_with('~');
    if as_written && operator == "%" {
        return without_suffix(field, word).or_else(|| Some(field.to_owned()));
    }
    let exact = if as_written { None } else { operators::apply(field, operator, word) };
    exact.or_else(|| operators::keeps_a_directory(operator, word).then(|| field.to_owned()))
}

/// The elements of an array literal as [`super::words`] keeps it (`(` and each element marked).
fn array_elements(value: &str) -> Option<Vec<&str>> {
    let inside = value.strip_prefix('(')?.strip_prefix(ARRAY_ELEMENT)?;
    let inside = inside.strip_suffix(')').unwrap_or(inside);
    Some(inside.split(ARRAY_ELEMENT).filter(|element| !element.is_empty()).collect())
}

/// `printf -v NAME FORMAT ARGS…`: the name and what printf would print, when that is known.
fn printed_into(args: &[String]) -> Option<(&str, std::borrow::Cow<'static, str>)> {
    let (name, rest) = match args {
        [option, name, rest @ ..] if option == "-v" => (name.as_str(), rest),
        [option, rest @ ..] if option.len() > 2 && option.starts_with("-v") => (&option[2..], rest),
        _ => return None,
    };
    let rest = rest.strip_prefix(&["--".to_owned()][..]).unwrap_or(rest);
    if !is_name(name) || rest.is_empty() {
        return None;
    }
    Some((name, super::printf::printf_output(rest)?.into()))
}

/// `read [-r] NAME… <<< WORD`: each name and the part of the here-string's first line it gets
/// (split at blanks, the last name taking the rest), when that is known: a backslash, which
/// `read` without `-r` takes off, or an option that reads some other way, is not.
#[allow(clippy::type_complexity)]
fn read_from_a_here_string<'a>(
    args: &'a [String],
    fed: &[String],
) -> Option<Vec<(&'a str, bool, std::borrow::Cow<'static, str>)>> {
    let [line] = fed else { return None };
    let line = line.lines().next().unwrap_or_default();
    let names: Vec<&str> = args.iter().filter(|word| *word != "-r").map(String::as_str).collect();
    if line.contains('\\') || names.is_empty() || !names.iter().all(|name| is_name(name)) {
        return None;
    }
    let mut rest = line.trim();
    let mut assigned = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let value = if index + 1 == names.len() {
            std::mem::take(&mut rest)
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let (value, after) = rest.split_at(end);
            rest = after.trim_start();
            value
        };
        assigned.push((*name, false, std::borrow::Cow::Owned(value.to_owned())));
    }
    Some(assigned)
}

fn is_name(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
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
