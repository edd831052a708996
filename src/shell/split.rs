//! Splits a script into simple-command segments at its unquoted control operators.
//!
//! Words inside a segment are left to `shlex`; this scanner only has to know where quoting starts
//! and ends so that `echo "a && b"` stays one command, and where heredoc bodies and command
//! substitutions are, which `shlex` does not know about.

/// A script cut at its control operators.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Script {
    pub segments: Vec<Segment>,
    /// The bodies of `$(...)` and `` `...` `` substitutions, which run as commands of their own.
    pub substitutions: Vec<String>,
}

/// The text of one simple command, and the heredoc bodies that feed it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub heredocs: Vec<String>,
}

/// Cuts `script` at unquoted `;`, `&`, `&&`, `|`, `||`, `(`, `)` and line breaks.
pub fn split_script(script: &str) -> Script {
    let mut out = Script::default();
    let mut current = Segment::default();
    // Heredoc delimiters whose bodies start after the current line.
    // (index of the segment that reads it, delimiter, strip leading tabs)
    let mut pending: Vec<(usize, String, bool)> = Vec::new();
    let chars: Vec<char> = script.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                current.text.push(c);
                if let Some(&next) = chars.get(i + 1) {
                    current.text.push(next);
                    i += 1;
                }
            }
            '\'' => {
                let end = find(&chars, i + 1, |ch| ch == '\'').unwrap_or(chars.len());
                current.text.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end;
            }
            '"' => {
                let end = double_quote_end(&chars, i + 1, &mut out.substitutions, 0);
                current.text.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end;
            }
            '`' => {
                let end = find(&chars, i + 1, |ch| ch == '`').unwrap_or(chars.len());
                out.substitutions.push(chars[i + 1..end.min(chars.len())].iter().collect());
                current.text.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end;
            }
            '$' if chars.get(i + 1) == Some(&'(') && chars.get(i + 2) != Some(&'(') => {
                let end = matching_paren(&chars, i + 2, 0);
                out.substitutions.push(chars[i + 2..end.min(chars.len())].iter().collect());
                current.text.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                // `$((...))`: arithmetic, no command runs; but `$( (cmd) )` closed by `) )` is a
                // subshell in a substitution, as bash reads `$((cmd) )` too.
                let end = matching_paren(&chars, i + 2, 0);
                if end < chars.len() && chars[end - 1] != ')' {
                    out.substitutions.push(chars[i + 2..end].iter().collect());
                }
                current.text.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end;
            }
            '<' if chars.get(i + 1) == Some(&'<') && chars.get(i + 2) != Some(&'<') => {
                let (delimiter, strip_tabs, after) = heredoc_delimiter(&chars, i + 2);
                if delimiter.is_empty() {
                    current.text.push_str("<<");
                    i += 1;
                } else {
                    pending.push((out.segments.len(), delimiter, strip_tabs));
                    i = after - 1;
                }
            }
            // Only a blank (space or tab) before `#` starts a comment: bash does not count a
            // no-break space, so `x\u{a0}#; rm -rf ~` runs the `rm`.
            '#' if current.text.is_empty() || current.text.ends_with([' ', '\t']) => {
                // A comment runs to the end of the line.
                i = find(&chars, i, |ch| ch == '\n').unwrap_or(chars.len()) - 1;
            }
            '\n' => {
                finish(&mut out, &mut current);
                for (reader, delimiter, strip_tabs) in std::mem::take(&mut pending) {
                    let (body, after) = heredoc_body(&chars, i + 1, &delimiter, strip_tabs);
                    match out.segments.get_mut(reader) {
                        Some(segment) => segment.heredocs.push(body),
                        None => current.heredocs.push(body),
                    }
                    i = after;
                }
            }
            ';' | '&' | '|' | '(' | ')' => {
                // `&>` and `>&` / `|&` are redirections, `;;` ends a case branch: all just cut here.
                let redirection = c == '&' && (chars.get(i + 1) == Some(&'>') || (i > 0 && chars[i - 1] == '>'));
                if redirection {
                    current.text.push(c);
                } else {
                    finish(&mut out, &mut current);
                }
            }
            _ => current.text.push(c),
        }
        i += 1;
    }
    finish(&mut out, &mut current);
    out
}

fn finish(out: &mut Script, current: &mut Segment) {
    let segment = std::mem::take(current);
    if !segment.text.trim().is_empty() || !segment.heredocs.is_empty() {
        out.segments.push(Segment { text: segment.text.trim().to_owned(), heredocs: segment.heredocs });
    }
}

fn find(chars: &[char], from: usize, what: impl Fn(char) -> bool) -> Option<usize> {
    chars.get(from..)?.iter().position(|&c| what(c)).map(|at| from + at)
}

/// How many `"$(` levels the scanner follows into one another. It recurses once per level, so a
/// line nested tens of thousands of levels deep (which an agent can print, or send as a tool call)
/// would overflow the stack; past this depth the rest of the script counts as inside the quote or
/// substitution that is open, as an unterminated one does.
const MAX_NESTING: usize = 100;

/// The index of the closing `"` of a double-quoted string starting at `from`; substitutions
/// inside it are collected, since they run.
fn double_quote_end(chars: &[char], from: usize, substitutions: &mut Vec<String>, nesting: usize) -> usize {
    if nesting > MAX_NESTING {
        return chars.len();
    }
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '"' => return i,
            '$' if chars.get(i + 1) == Some(&'(') && chars.get(i + 2) != Some(&'(') => {
                let end = matching_paren(chars, i + 2, nesting + 1);
                substitutions.push(chars[i + 2..end.min(chars.len())].iter().collect());
                i = end;
            }
            '`' => {
                let end = find(chars, i + 1, |c| c == '`').unwrap_or(chars.len());
                substitutions.push(chars[i + 1..end.min(chars.len())].iter().collect());
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    chars.len()
}

/// The index of the `)` closing a `$(` whose contents start at `from`, quotes respected.
fn matching_paren(chars: &[char], from: usize, nesting: usize) -> usize {
    if nesting > MAX_NESTING {
        return chars.len();
    }
    let mut depth = 1;
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '\'' => i = find(chars, i + 1, |c| c == '\'').unwrap_or(chars.len()),
            '"' => i = double_quote_end(chars, i + 1, &mut Vec::new(), nesting + 1),
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    chars.len()
}

/// After `<<`: the delimiter word (quotes removed), whether `<<-` strips leading tabs, and the
/// index after the delimiter.
fn heredoc_delimiter(chars: &[char], mut i: usize) -> (String, bool, usize) {
    let strip_tabs = chars.get(i) == Some(&'-');
    if strip_tabs {
        i += 1;
    }
    while chars.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
        i += 1;
    }
    let mut word = String::new();
    while let Some(&c) = chars.get(i) {
        match c {
            '\'' | '"' | '\\' => {}
            c if c.is_whitespace() || ";&|()<>".contains(c) => break,
            c => word.push(c),
        }
        i += 1;
    }
    (word, strip_tabs, i)
}

/// The heredoc body starting at `from`, up to the line that is exactly `delimiter`; and the index
/// of the line break ending that line (or the end of the script).
fn heredoc_body(chars: &[char], from: usize, delimiter: &str, strip_tabs: bool) -> (String, usize) {
    let mut body = String::new();
    let mut start = from;
    while start < chars.len() {
        let end = find(chars, start, |c| c == '\n').unwrap_or(chars.len());
        let line: String = chars[start..end].iter().collect();
        let line = if strip_tabs { line.trim_start_matches('\t').to_owned() } else { line };
        if line.trim_end_matches('\r') == delimiter {
            return (body, end);
        }
        body.push_str(&line);
        body.push('\n');
        start = end + 1;
    }
    (body, chars.len())
}
