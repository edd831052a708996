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
//! - after splitting, brace expansion: `{r,}m` is `rm m`.

use super::ansi_c::decode_body;
use super::split::{end_of, find, Open};

/// Marks a redirection operator that was not quoted, so that after splitting it is told from an
/// argument that only looks like one (`echo ">"`). A private-use character.
const OPERATOR: char = '\u{e000}';

/// Brace expansion stops growing a command at this many words.
const MAX_EXPANDED: usize = 256;

/// The words of `text`, one simple command, as bash runs it, without its redirections; and the
/// files it redirects output to (`> f`, `>> f`, `2> f`, `&> f`, `<> f`).
pub fn command_words(text: &str) -> (Vec<String>, Vec<String>) {
    let prepared = prepare(text);
    let split = shlex::split(&prepared)
        .or_else(|| shlex::split(prepared.trim_end_matches('\\')))
        .unwrap_or_else(|| prepared.split_whitespace().map(|word| word.replace(['\'', '"', '\\'], "")).collect());
    let (mut words, mut written) = (Vec::with_capacity(split.len()), Vec::new());
    let mut iter = split.into_iter();
    while let Some(word) = iter.next() {
        if let Some(operator) = word.strip_prefix(OPERATOR) {
            // The operator's target (a file, a descriptor after `>&`, a here-string) goes with it.
            let Some(target) = iter.next() else { continue };
            let duplicates = operator.ends_with('&') && target.bytes().all(|b| b.is_ascii_digit() || b == b'-');
            if operator.contains('>') && !duplicates {
                written.push(target);
            }
            continue;
        }
        expand_braces(&word, &mut words);
    }
    (words, written)
}

/// `text` rewritten so that `shlex` splits it into the words bash would (see the module).
fn prepare(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\\' => {
                out.push(c);
                if let Some(next) = next {
                    out.push(next);
                }
                i += 2;
            }
            '\'' => {
                let end = find(&chars, i + 1, |ch| ch == '\'').unwrap_or(chars.len());
                out.extend(&chars[i..end]);
                out.push('\'');
                i = end + 1;
            }
            '"' => i = double_quoted(&chars, i, &mut out),
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
                i = end_of(&chars, i + 2, Open::Paren(1), None) + 1;
                out.push_str("$(…)");
            }
            '`' => {
                i = find(&chars, i + 1, |ch| ch == '`').unwrap_or(chars.len()) + 1;
                out.push_str("$(…)");
            }
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
fn double_quoted(chars: &[char], open: usize, out: &mut String) -> usize {
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
                i = end_of(chars, i + 2, Open::Paren(1), None) + 1;
                out.push_str("$(…)");
            }
            '`' => {
                i = find(chars, i + 1, |ch| ch == '`').map_or(end, |close| close.min(end)) + 1;
                out.push_str("$(…)");
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

/// Writes the redirection operator at `chars[at]` as a word of its own, marked, with the file
/// descriptor written right before it (`2>`, `&>`) kept on it; returns where its target starts.
fn redirection(chars: &[char], at: usize, out: &mut String) -> usize {
    let word_start = out.rfind(|c: char| c.is_whitespace()).map_or(0, |space| space + 1);
    let descriptor = &out[word_start..];
    let prefix = if !descriptor.is_empty() && (descriptor == "&" || descriptor.bytes().all(|b| b.is_ascii_digit())) {
        let prefix = descriptor.to_owned();
        out.truncate(word_start);
        prefix
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

/// Appends the words `word` brace-expands to (`{r,}m` → `rm`, `m`), or `word` itself.
fn expand_braces(word: &str, words: &mut Vec<String>) {
    let mut pending = vec![word.to_owned()];
    while let Some(word) = pending.pop() {
        match first_brace_list(&word) {
            Some((open, close, parts)) if words.len() + pending.len() + parts.len() <= MAX_EXPANDED => {
                // Pushed in reverse, so they come out in order.
                for part in parts.iter().rev() {
                    pending.push(format!("{}{}{}", &word[..open], part, &word[close + 1..]));
                }
            }
            _ => words.push(word),
        }
    }
}

/// The first `{a,b,…}` in `word` that bash expands (not `${…}`, and with a comma at its own
/// level): where it opens and closes, and its parts.
fn first_brace_list(word: &str) -> Option<(usize, usize, Vec<&str>)> {
    let bytes = word.as_bytes();
    for open in memchr::memchr_iter(b'{', bytes) {
        if open > 0 && bytes[open - 1] == b'$' {
            continue;
        }
        let (mut depth, mut commas) = (0usize, vec![]);
        for (at, &b) in bytes.iter().enumerate().skip(open) {
            match b {
                b'{' => depth += 1,
                b',' if depth == 1 => commas.push(at),
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        if commas.is_empty() {
                            break;
                        }
                        let mut parts = Vec::with_capacity(commas.len() + 1);
                        let mut from = open + 1;
                        for &comma in &commas {
                            parts.push(&word[from..comma]);
                            from = comma + 1;
                        }
                        parts.push(&word[from..at]);
                        return Some((open, at, parts));
                    }
                }
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::command_words;

    fn words(text: &str) -> Vec<String> {
        command_words(text).0
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
            (r#"X="$(echo '"')" y"#, &["X=$(…)", "y"]),
            (r"echo `echo '`", &["echo", "$(…)"]),
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
        ];
        for (text, want) in cases {
            assert_eq!(words(text), *want, "{text}");
        }
    }

    #[test]
    fn the_files_output_goes_to_are_named() {
        let cases: &[(&str, &[&str])] = &[
            ("echo {}>.claude/settings.json", &[".claude/settings.json"]),
            ("cmd >a 2>>b &>c <d <<<e 2>&1 >&- 1<>f", &["a", "b", "c", "f"]),
            (r#"echo ">" x"#, &[]),
            ("tee x", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(command_words(text).1, *want, "{text}");
        }
    }

    #[test]
    fn braces_expand_and_other_braces_stay() {
        let cases: &[(&str, &[&str])] = &[
            ("{r,}m -rf ~", &["rm", "m", "-rf", "~"]),
            ("rm -rf ~{,}", &["rm", "-rf", "~", "~"]),
            ("git push -f origin {main,}", &["git", "push", "-f", "origin", "main", ""]),
            ("a{b,c{d,e}}f", &["abf", "acdf", "acef"]),
            ("find . -exec rm {} ;", &["find", ".", "-exec", "rm", "{}", ";"]),
            ("echo ${x:-a,b}", &["echo", "${x:-a,b}"]),
        ];
        for (text, want) in cases {
            assert_eq!(words(text), *want, "{text}");
        }
        assert_eq!(words(&"{a,b}".repeat(20)).len(), 256, "expansion is bounded");
    }
}
