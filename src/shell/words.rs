//! The words of one simple command as bash would run it.
//!
//! `shlex` splits words by POSIX quoting rules. Bash has more, and each gap is a way to hide a
//! program from a rule, so the text is rewritten into what `shlex` reads the same way first:
//!
//! - `$'…'` (ANSI-C quoting) is decoded and single-quoted: `$'\x72'm` is `rm`;
//! - `$"…"` (a translated string) is a plain double-quoted one, and `$$` is one token, so the
//!   quote in `$$'` is a plain one;
//! - a command substitution (`$(…)`, `` `…` ``) stands as `$(…)`: its commands are judged on their
//!   own, and the quotes inside it must not pair with those around it;
//! - an unclosed quote runs to the end, as far as the words go;
//! - a redirection glued to a word (`rm -rf ~>/dev/null`) is cut off it, and with its target it
//!   is taken out of the words;
//! - a variable the script set earlier is written as the words it expands to (see
//!   `variables.rs`): `X=rm; $X -rf ~` is `rm -rf ~`;
//! - after splitting, brace expansion: `{r,}m` is `rm m`.

use std::collections::HashSet;

use super::ansi_c::decode_body;
use super::split::{end_of, find, Open};
use super::variables::Variables;

/// Marks a redirection operator that was not quoted, so that after splitting it is told from an
/// argument that only looks like one (`echo ">"`). A private-use character.
const OPERATOR: char = '\u{e000}';
/// Marks a `{` quoted or escaped in the text, which bash does not brace-expand (`pkill -f
/// 'a.{0,20}m'` keeps its interval), until the words are expanded.
pub(super) const QUOTED_BRACE: char = '\u{e001}';

/// Starts the elements of an array literal and parts them, in the one word the literal is
/// kept as (`d=(a b)` is `d=(\u{e002}a\u{e002}b)`), so that its assignment is one word. A
/// private-use character.
pub(super) const ARRAY_ELEMENT: char = '\u{e002}';

/// The most words one word's brace expansion makes in full (see [`expand_braces`]).
const MAX_EXPANDED: usize = 256;
/// Bytes of half-expanded words one word may make before it is expanded in place instead.
const MAX_EXPANDED_BYTES: usize = 1 << 22;

/// One simple command as bash runs it.
#[derive(Debug, Default)]
pub struct CommandWords {
    /// Its words, without its redirections.
    pub words: Vec<String>,
    /// The files it redirects output to, emptying them first (`> f`, `2> f`, `&> f`, `>| f`).
    pub written: Vec<String>,
    /// The files it redirects output to without emptying them (`>> f`, `&>> f`, `<> f`).
    pub appended: Vec<String>,
    /// What here-strings give it as input (`<<< text`).
    pub fed: Vec<String>,
    /// The files it reads as input (`< f`, `0< f`).
    pub read: Vec<String>,
}

/// The words of `text`, one simple command, as bash runs it after the assignments in `variables`
/// (see [`CommandWords`]).
pub fn command_words(text: &str, variables: &Variables) -> CommandWords {
    let prepared = prepare(text, variables);
    let split = shlex::split(&prepared)
        .or_else(|| shlex::split(prepared.trim_end_matches('\\')))
        .unwrap_or_else(|| prepared.split_whitespace().map(|word| word.replace(['\'', '"', '\\'], "")).collect());
    let mut found = CommandWords { words: Vec::with_capacity(split.len()), ..CommandWords::default() };
    let mut iter = split.into_iter();
    while let Some(word) = iter.next() {
        if let Some(operator) = word.strip_prefix(OPERATOR) {
            // The operator's target (a file, a descriptor after `>&`, a here-string) goes with it.
            let Some(target) = iter.next() else { continue };
            let duplicates = operator.ends_with('&') && target.bytes().all(|b| b.is_ascii_digit() || b == b'-');
            if operator == "<<<" {
                found.fed.push(target);
            } else if operator.trim_start_matches(|c: char| c.is_ascii_digit()) == "<" {
                found.read.push(target);
            } else if operator.contains(">>") || operator.ends_with("<>") {
                found.appended.push(target);
            } else if operator.contains('>') && !duplicates {
                found.written.push(target);
            }
            continue;
        }
        let from = found.words.len();
        expand_braces(&without_parameter_checks(&word), &mut found.words);
        for word in &mut found.words[from..] {
            if word.contains(QUOTED_BRACE) {
                *word = word.replace(QUOTED_BRACE, "{");
            }
        }
    }
    found.words = with_array_literals_joined(std::mem::take(&mut found.words));
    found
}

/// `words` with each array literal that split cut into several (`d=(a`, `b)`) joined into one
/// word, its elements marked with [`ARRAY_ELEMENT`].
fn with_array_literals_joined(words: Vec<String>) -> Vec<String> {
    if !words.iter().any(|word| word.contains("=(")) {
        return words;
    }
    let mut out = Vec::with_capacity(words.len());
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let Some(open) = word.find("=(").filter(|&at| super::split::ends_with_assignment_to(&word[..=at])) else {
            out.push(word);
            continue;
        };
        let mut joined = format!("{}{ARRAY_ELEMENT}", &word[..open + 2]);
        let mut element = word[open + 2..].to_owned();
        loop {
            if let Some(last) = element.strip_suffix(')') {
                joined.push_str(last);
                joined.push(')');
                break;
            }
            joined.push_str(&element);
            match words.next() {
                Some(next) => {
                    joined.push(ARRAY_ELEMENT);
                    element = next;
                }
                None => break,
            }
        }
        out.push(joined);
    }
    out
}

/// `word` with each `${NAME:?message}` and `${NAME?message}` written `${NAME}`: what it expands to
/// when it runs at all (it stops the shell when NAME is unset), so `rm -rf "${HOME:?}"/*` is read
/// as the `rm -rf $HOME/*` it is.
fn without_parameter_checks(word: &str) -> std::borrow::Cow<'_, str> {
    if !word.contains("${") {
        return word.into();
    }
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at + 2]);
        let after = &rest[at + 2..];
        let name = after.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
        let check = after[name..].strip_prefix(":?").or_else(|| after[name..].strip_prefix('?'));
        match check.and_then(|message| message.find('}').map(|end| &message[end + 1..])) {
            Some(remaining) if name > 0 => {
                out.push_str(&after[..name]);
                out.push('}');
                rest = remaining;
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    out.into()
}

/// `text` rewritten so that `shlex` splits it into the words bash would (see the module).
fn prepare(text: &str, variables: &Variables) -> String {
    // The marker must mean an operator found here, never one the text brought.
    let chars: Vec<char> = text
        .chars()
        .map(|c| if matches!(c, OPERATOR | QUOTED_BRACE | ARRAY_ELEMENT) { char::REPLACEMENT_CHARACTER } else { c })
        .collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\\' => {
                out.push(c);
                if let Some(next) = next {
                    out.push(if next == '{' { QUOTED_BRACE } else { next });
                }
                i += 2;
            }
            '\'' => {
                let end = find(&chars, i + 1, |ch| ch == '\'').unwrap_or(chars.len());
                out.extend(chars[i..end].iter().map(|&c| if c == '{' { QUOTED_BRACE } else { c }));
                out.push('\'');
                i = end + 1;
            }
            '"' => i = double_quoted(&chars, i, &mut out, variables),
            '$' if next == Some('$') => {
                out.push_str("$$");
                i += 2;
            }
            '$' if next == Some('\'') => {
                let (decoded, end) = decode_body(&chars, i + 2);
                out.push('\'');
                out.push_str(&decoded.replace('\'', r"'\''"));
                out.push('\'');
                i = end + 1;
            }
            '$' if next == Some('"') => i += 1,
            '$' if next == Some('(') => {
                let end = end_of(&chars, i + 2, Open::Paren(1), None);
                substitution(&chars[(i + 2).min(end)..end], false, &mut out, variables);
                i = end + 1;
            }
            '`' => {
                let end = find(&chars, i + 1, |ch| ch == '`').unwrap_or(chars.len());
                substitution(&chars[i + 1..end], false, &mut out, variables);
                i = end + 1;
            }
            '$' => i = variable(&chars, i, false, &mut out, variables),
            '>' | '<' => i = redirection(&chars, i, &mut out),
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Copies the double-quoted string that opens at `chars[open]`, its substitutions as `$(…)`,
/// closed even if the text ends first; returns where the rest starts.
fn double_quoted(chars: &[char], open: usize, out: &mut String, variables: &Variables) -> usize {
    let end = end_of(chars, open + 1, Open::Quote, None);
    out.push('"');
    let mut i = open + 1;
    while i < end {
        match chars[i] {
            '\\' => {
                out.extend(&chars[i..(i + 2).min(end)]);
                i += 2;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                let close = end_of(chars, i + 2, Open::Paren(1), None);
                substitution(&chars[(i + 2).min(close)..close.min(chars.len())], true, out, variables);
                i = close + 1;
            }
            '`' => {
                let close = find(chars, i + 1, |ch| ch == '`').map_or(end, |close| close.min(end));
                substitution(&chars[i + 1..close], true, out, variables);
                i = close + 1;
            }
            '$' => i = variable(&chars[..end], i, true, out, variables),
            // `${NAME}` still expands inside double quotes; a brace list does not.
            '{' if chars[i - 1] != '$' => {
                out.push(QUOTED_BRACE);
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out.push('"');
    end + 1
}

/// Writes what the substitution whose script is `inner` gives, if that is known without running
/// it (`$(echo ~)`: see [`super::substitution_output`]), as the words bash makes of it (`quoted`:
/// inside double quotes, one word); else `$(…)`, which stands for any output.
fn substitution(inner: &[char], quoted: bool, out: &mut String, variables: &Variables) {
    let script: String = inner.iter().collect();
    // `$((PPID))`, `$(($PPID))`: arithmetic on one name is its value, the variable as written.
    if let Some(name) = arithmetic_of_one_name(&script) {
        out.push('$');
        out.push_str(name);
        return;
    }
    match super::substitution_output(&script, variables) {
        Some(output) if quoted => {
            for c in output.trim_end_matches('\n').chars() {
                if matches!(c, '"' | '\\' | '`' | '$') {
                    out.push('\\');
                }
                out.push(if c == '{' { QUOTED_BRACE } else { c });
            }
        }
        // Split into fields, each single-quoted: nothing in what it prints is read as shell.
        Some(output) => {
            for (at, field) in output.split_whitespace().enumerate() {
                out.push_str(if at == 0 { "'" } else { " '" });
                for c in field.chars() {
                    match c {
                        '\'' => out.push_str(r"'\''"),
                        '{' => out.push(QUOTED_BRACE),
                        c => out.push(c),
                    }
                }
                out.push('\'');
            }
        }
        None => out.push_str("$(…)"),
    }
}

/// The name `(NAME)` or `($NAME)` holds, the inside of `$((NAME))`.
fn arithmetic_of_one_name(script: &str) -> Option<&str> {
    let inside = script.strip_prefix('(')?.strip_suffix(')')?.trim();
    let name = inside.strip_prefix('$').unwrap_or(inside);
    let is_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    is_name.then_some(name)
}

/// Writes what the `$` at `chars[at]` expands to if `variables` know it, else the `$`; returns
/// where the rest starts.
fn variable(chars: &[char], at: usize, quoted: bool, out: &mut String, variables: &Variables) -> usize {
    match variables.expansion(chars, at, quoted) {
        Some((value, end)) => {
            out.push_str(&value);
            end
        }
        None => {
            out.push('$');
            at + 1
        }
    }
}

/// Writes the redirection operator at `chars[at]` as a word of its own, marked, with the file
/// descriptor written right before it (`2>`, `&>`) kept on it; returns where its target starts.
fn redirection(chars: &[char], at: usize, out: &mut String) -> usize {
    // Any whitespace separates words here, a no-break space (two bytes) too.
    let word_start =
        out.char_indices().rev().find(|(_, c)| c.is_whitespace()).map_or(0, |(space, c)| space + c.len_utf8());
    let descriptor = &out[word_start..];
    let prefix = if !descriptor.is_empty() && (descriptor == "&" || descriptor.bytes().all(|b| b.is_ascii_digit())) {
        let prefix = descriptor.to_owned();
        out.truncate(word_start);
        prefix
    } else if descriptor.ends_with('&') {
        // `word&>file`: the `&` opens the redirection, the word before it stands alone.
        out.pop();
        "&".to_owned()
    } else {
        String::new()
    };
    let rest: String = chars[at..chars.len().min(at + 3)].iter().collect();
    let operator = ["<<<", ">>", ">|", ">&", "<>", "<&", ">", "<"]
        .into_iter()
        .find(|operator| rest.starts_with(operator))
        .expect("called on `<` or `>`");
    out.push(' ');
    out.push(OPERATOR);
    out.push_str(&prefix);
    out.push_str(operator);
    out.push(' ');
    at + operator.len()
}

/// Appends the words `word` brace-expands to (`{r,}m` → `rm`, `m`; `{a..c}` → `a`, `b`, `c`),
/// or `word` itself, each once. A word that expands to nothing is dropped, as bash drops it. A
/// word that would expand to more than [`MAX_EXPANDED`] words gives, besides the ones made so
/// far, each part of each of its lists in place with the other lists at their first part: so a
/// part at the end of a long list (`{a,…,~}`) is still seen.
fn expand_braces(word: &str, words: &mut Vec<String>) {
    if !word.contains('{') {
        words.push(word.to_owned());
        return;
    }
    let mut expanded: Vec<String> = Vec::new();
    let mut pending = vec![word.to_owned()];
    // A word half expanded is queued once: lists whose parts repeat (`{r,}{r,}…m`) reach the same
    // words many ways, and would otherwise be walked through every combination (2^30 for 30
    // lists). The bytes made are bounded too, so a long word with lists costs bounded memory.
    let mut queued: HashSet<String> = HashSet::from([word.to_owned()]);
    let mut made = 0;
    let mut overflow = false;
    while let Some(next) = pending.pop() {
        match brace_list(&next) {
            Some(list) if expanded.len() + pending.len() + list.parts.len() <= MAX_EXPANDED => {
                made += list.parts.len() * next.len();
                if made > MAX_EXPANDED_BYTES {
                    overflow = true;
                    break;
                }
                // Pushed in reverse, so they come out in order.
                for part in list.parts.iter().rev() {
                    let word = format!("{}{}{}", &next[..list.open], part, &next[list.close + 1..]);
                    if queued.insert(word.clone()) {
                        pending.push(word);
                    }
                }
            }
            Some(_) => {
                overflow = true;
                break;
            }
            None if !expanded.contains(&next) => expanded.push(next),
            None => {}
        }
    }
    if overflow {
        expanded.extend(each_part_in_place(word));
    }
    words.extend(expanded.into_iter().filter(|word| !word.is_empty()));
}

/// For a word with too many expansions: each part of each of its outermost lists in place, the
/// other lists at their first part.
fn each_part_in_place(word: &str) -> Vec<String> {
    let mut lists = Vec::new();
    let mut from = 0;
    while let Some(list) = brace_list_outermost(&word[from..]) {
        let (open, close) = (from + list.open, from + list.close);
        lists.push((open, close, list.parts));
        from = close + 1;
    }
    let mut found = Vec::new();
    for (chosen, (_, _, parts)) in lists.iter().enumerate() {
        for part in parts {
            let mut text = String::with_capacity(word.len());
            let mut at = 0;
            for (index, (open, close, others)) in lists.iter().enumerate() {
                text.push_str(&word[at..*open]);
                text.push_str(if index == chosen { part } else { others.first().map_or("", String::as_str) });
                at = close + 1;
            }
            text.push_str(&word[at..]);
            found.push(text);
        }
    }
    found
}

/// A brace list that bash expands: `{a,b}` (a comma at its own level) or a sequence
/// (`{a..e}`, `{1..10..2}`); not `${…}`.
struct BraceList {
    open: usize,
    close: usize,
    parts: Vec<String>,
}

/// The first brace list in `word` to close (an inner one before the one around it: the words
/// come out the same), found in one pass.
fn brace_list(word: &str) -> Option<BraceList> {
    scan_braces(word, false)
}

/// The first outermost brace list in `word`.
fn brace_list_outermost(word: &str) -> Option<BraceList> {
    scan_braces(word, true)
}

fn scan_braces(word: &str, outermost: bool) -> Option<BraceList> {
    // Per open brace: where it opened, whether it is a `${`, the commas at its level.
    let mut open: Vec<(usize, bool, Vec<usize>)> = Vec::new();
    let bytes = word.as_bytes();
    for (at, &b) in bytes.iter().enumerate() {
        match b {
            b'{' => open.push((at, at > 0 && bytes[at - 1] == b'$', Vec::new())),
            b',' => {
                if let Some((_, false, commas)) = open.last_mut() {
                    commas.push(at);
                }
            }
            b'}' => {
                let Some((start, parameter, commas)) = open.pop() else { continue };
                if parameter || (outermost && open.iter().any(|(_, parameter, _)| !parameter)) {
                    continue;
                }
                let parts = if commas.is_empty() {
                    sequence(&word[start + 1..at])
                } else {
                    let mut parts = Vec::with_capacity(commas.len() + 1);
                    let mut from = start + 1;
                    for &comma in &commas {
                        parts.push(word[from..comma].to_owned());
                        from = comma + 1;
                    }
                    parts.push(word[from..at].to_owned());
                    Some(parts)
                };
                if let Some(parts) = parts {
                    return Some(BraceList { open: start, close: at, parts });
                }
            }
            _ => {}
        }
    }
    None
}

/// The words of a sequence expression, `a..e` or `1..10..2` (at most [`MAX_EXPANDED`] + 1, which
/// is enough to overflow); `None` for anything else.
fn sequence(inside: &str) -> Option<Vec<String>> {
    let mut ends = inside.splitn(3, "..");
    let (first, last) = (ends.next()?, ends.next()?);
    let step: i64 = match ends.next() {
        Some(step) => step.parse().ok()?,
        None => 1,
    };
    let step = step.unsigned_abs().max(1) as usize;
    let take = MAX_EXPANDED + 1;
    if let (Ok(first), Ok(last)) = (first.parse::<i64>(), last.parse::<i64>()) {
        let numbers: Vec<String> = if first <= last {
            (first..=last).step_by(step).take(take).map(|n| n.to_string()).collect()
        } else {
            (last..=first).rev().step_by(step).take(take).map(|n| n.to_string()).collect()
        };
        return Some(numbers);
    }
    let (mut a, mut b) = (first.chars(), last.chars());
    let (Some(first), None, Some(last), None) = (a.next(), a.next(), b.next(), b.next()) else { return None };
    if !first.is_ascii_alphabetic() || !last.is_ascii_alphabetic() {
        return None;
    }
    let (low, high) = (first.min(last) as u8, first.max(last) as u8);
    let mut letters: Vec<String> = (low..=high).step_by(step).take(take).map(|c| (c as char).to_string()).collect();
    if first > last {
        letters.reverse();
    }
    Some(letters)
}

/// A long option's name and the value glued to it: `rsh=ssh -p 22` gives (`rsh`, `ssh -p 22`),
/// `verbose` gives (`verbose`, none). `long` is the word after its `--`.
pub fn name_and_value(long: &str) -> (&str, Option<&str>) {
    long.split_once('=').map_or((long, None), |(name, value)| (name, Some(value)))
}

#[cfg(test)]
mod tests {
    use super::{command_words, Variables};

    fn words(text: &str) -> Vec<String> {
        command_words(text, &Variables::default()).words
    }

    #[test]
    fn bash_quoting_that_shlex_does_not_know_is_read_as_bash_reads_it() {
        let cases: &[(&str, &[&str])] = &[
            (r"$'\x72'm -rf ~", &["rm", "-rf", "~"]),
            (r"$'r\0zz'm -rf ~", &["rm", "-rf", "~"]),
            (r"$'\562'm -rf ~", &["rm", "-rf", "~"]),
            (r#"$"rm" -rf ~"#, &["rm", "-rf", "~"]),
            (r#"r$""m -rf ~"#, &["rm", "-rf", "~"]),
            (r"echo $'it\'s'", &["echo", "it's"]),
            (r"echo $$'\'", &["echo", r"$$\"]),
            (r#"X="$(cat '"')" y"#, &["X=$(…)", "y"]),
            (r"echo `cat '`", &["echo", "$(…)"]),
            // What echo and printf print is known: the words bash makes of it.
            (r#"X="$(echo '"')" y"#, &["X=\"", "y"]),
            (r"rm -rf $(echo ~ '/tmp/a b') `printf %s /`", &["rm", "-rf", "~", "/tmp/a", "b", "/"]),
            (r#"rm -rf "$(echo "~ /")""#, &["rm", "-rf", "~ /"]),
            (r"rm -rf $(echo {a,b})", &["rm", "-rf", "a", "b"]),
            (r"rm -rf $(echo $(echo ~))", &["rm", "-rf", "$(…)"]),
            (r"rm -rf $(pwd)", &["rm", "-rf", "$PWD"]),
            (r#"rm -rf "$(dirname "$PWD")""#, &["rm", "-rf", "$PWD/.."]),
            (r"rm -rf $(dirname src/app) $(dirname app) $(dirname /)", &["rm", "-rf", "src/app/..", ".", "/"]),
            (
                r#"rm -rf $(dirname -- ~/x) "$(dirname "$0")" $(dirname build/.)"#,
                &["rm", "-rf", "~/x/..", "$(…)", "$(…)"],
            ),
            (r#"rm -rf "${TMP_DIR%/*}""#, &["rm", "-rf", "${TMP_DIR%/*}"]),
            (
                r#"rm -rf -- "${PWD%/*}" ${PWD%/} ${HOME%%/*}"#,
                &["rm", "-rf", "--", "${PWD}/..", "${PWD}", "${HOME%%/*}"],
            ),
            (r#"rm -rf "${TMP_DIR%/*}""#, &["rm", "-rf", "${TMP_DIR%/*}"]),
            (r"r''m -rf ~ \", &["rm", "-rf", "~"]),
            (r#"rm -rf "~"#, &["rm", "-rf", "~"]),
        ];
        for (text, want) in cases {
            assert_eq!(words(text), *want, "{text}");
        }
    }

    #[test]
    fn redirections_are_cut_off_their_words_and_left_out() {
        let cases: &[(&str, &[&str])] = &[
            ("rm -rf ~>/dev/null", &["rm", "-rf", "~"]),
            ("rm>/dev/null -rf ~", &["rm", "-rf", "~"]),
            ("rm -rf ~ 2>&1 >>log <in", &["rm", "-rf", "~"]),
            ("cmd &>out a2>b", &["cmd", "a2"]),
            (r#"echo ">" '<'"#, &["echo", ">", "<"]),
            ("cat <<<word x", &["cat", "x"]),
            ("rm -rf ~&>/tmp/o", &["rm", "-rf", "~"]),
            ("rm -rf \u{e000} ~", &["rm", "-rf", "\u{fffd}", "~"]),
        ];
        for (text, want) in cases {
            assert_eq!(words(text), *want, "{text}");
        }
    }

    #[test]
    fn the_files_output_goes_to_are_named() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("echo {}>.claude/settings.json", &[".claude/settings.json"], &[]),
            ("cmd >a 2>>b &>c <d <<<e 2>&1 >&- 1<>f >|g &>>h", &["a", "c", "g"], &["b", "f", "h"]),
            (r#"echo ">" x"#, &[], &[]),
            ("tee x", &[], &[]),
        ];
        for (text, written, appended) in cases {
            let found = command_words(text, &Variables::default());
            assert_eq!(found.written, *written, "{text}");
            assert_eq!(found.appended, *appended, "{text}");
        }
    }

    #[test]
    fn braces_expand_and_other_braces_stay() {
        let cases: &[(&str, &[&str])] = &[
            ("{r,}m -rf ~", &["rm", "m", "-rf", "~"]),
            // Each word once: what runs, not how often.
            ("rm -rf ~{,}", &["rm", "-rf", "~"]),
            ("git push -f origin {main,}", &["git", "push", "-f", "origin", "main"]),
            ("a{b,c{d,e}}f", &["abf", "acdf", "acef"]),
            ("find . -exec rm {} ;", &["find", ".", "-exec", "rm", "{}", ";"]),
            // An expansion's value is not brace-expanded.
            ("echo ${x:-a,b}", &["echo", "a,b"]),
            // Bash drops a word that expands to nothing.
            ("{,} rm -rf ~", &["rm", "-rf", "~"]),
            ("{r..s}m r{m..m} {1..7..3}", &["rm", "sm", "rm", "1", "4", "7"]),
            ("{c..a}", &["c", "b", "a"]),
            ("{a..}", &["{a..}"]),
        ];
        for (text, want) in cases {
            assert_eq!(words(text), *want, "{text}");
        }
        let many = words(&"{a,b}".repeat(20));
        assert!(many.len() <= 256 + 40, "expansion is bounded: {}", many.len());
        // Past the bound, each part of each list is still seen in place.
        let long = format!("{{{},~}}", (0..300).map(|n| n.to_string()).collect::<Vec<_>>().join(","));
        assert!(words(&format!("rm -rf {long}")).contains(&"~".to_owned()));
        let deep = format!("rm -rf {}{} {{~,}}", "{,}".repeat(12), "");
        assert_eq!(words(&deep), ["rm", "-rf", "~"]);
    }

    #[test]
    fn braces_cost_time_in_proportion_to_the_word() {
        let started = std::time::Instant::now();
        words(&format!("echo {} ; rm -rf ~", "{".repeat(40_000)));
        words(&format!("echo x{}", "{a".repeat(20_000)));
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    }

    #[test]
    fn lists_whose_parts_repeat_expand_once_per_distinct_word() {
        // 2^40 ways to choose, 41 distinct words: one of them is `rm`.
        let started = std::time::Instant::now();
        let expanded = words(&format!("{}m -rf ~", "{r,}".repeat(40)));
        assert!(expanded.iter().any(|word| word == "rm"), "{expanded:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
        // A long word with many lists stays bounded in time and memory, and is still read.
        let long = format!("{}{}m", "x".repeat(100_000), "{r,}".repeat(40));
        let started = std::time::Instant::now();
        assert!(!words(&long).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    }
}
