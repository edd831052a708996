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
    /// Which of them are process substitutions (`<(cmd)`), a file to the command that holds them.
    pub read_as_files: Vec<usize>,
}

/// The text of one simple command, and the heredoc bodies that feed it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub heredocs: Vec<String>,
    /// Whether its output goes to the next segment (`|` or `|&` after it, not `||`).
    pub pipes_into_next: bool,
    /// How many of the script's substitutions were found up to this segment's end, this one's
    /// included: its own are those after the previous segment's count.
    pub substitutions_so_far: usize,
    /// Whether it may not run, or runs in another process than the script's shell: after `&&`
    /// or `||`, in a pipeline, a `( … )` subshell or the background. What it assigns then does
    /// not reach, or not surely reach, the commands after it.
    pub maybe_elsewhere: bool,
}

/// Cuts `script` at unquoted `;`, `&`, `&&`, `|`, `||`, `(`, `)` and line breaks.
pub fn split_script(script: &str) -> Script {
    let mut out = Script::default();
    let mut current = Segment::default();
    // Heredoc delimiters whose bodies start after the current line.
    let mut pending: Vec<(usize, Delimiter)> = Vec::new();
    let chars: Vec<char> = script.chars().collect();
    // The first segment of each `( … )` open here, and of the last one closed.
    let (mut subshells, mut closed): (Vec<usize>, Option<usize>) = (Vec::new(), None);
    // Per `( … )` open here: whether a pipe feeds it (`curl x | (cd /tmp; sh)`), so that each of
    // its commands may read the pipe.
    let mut fed: Vec<bool> = Vec::new();
    // Whether the segments from here to the next `;`, `&` or line break run only on a condition
    // (after `&&`, `||`), and whether the next one reads a pipe.
    let (mut conditional, mut piped_into) = (false, false);
    // Inside an array literal (`d=(a b)`): its parentheses and line breaks are part of the
    // assignment, not a subshell's or a command's end.
    let mut in_array = false;
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
                let end = end_of(&chars, i + 1, Open::Quote, Some(&mut out.substitutions));
                current.text.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end;
            }
            '`' => {
                let end = find(&chars, i + 1, |ch| ch == '`').unwrap_or(chars.len());
                out.substitutions.push(chars[i + 1..end.min(chars.len())].iter().collect());
                current.text.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end;
            }
            // `$$` (the shell's pid) is one token: in `$$'…'` the quote is a plain one.
            '$' if chars.get(i + 1) == Some(&'$') => {
                current.text.push_str("$$");
                i += 1;
            }
            '$' if chars.get(i + 1) == Some(&'\'') => {
                // `$'...'`: a backslash escapes the quote.
                let mut end = i + 2;
                while end < chars.len() && chars[end] != '\'' {
                    end += if chars[end] == '\\' { 2 } else { 1 };
                }
                current.text.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end;
            }
            '$' if chars.get(i + 1) == Some(&'[') => {
                // `$[...]`: old arithmetic; the substitutions in it run.
                let end = find(&chars, i + 2, |ch| ch == ']').unwrap_or(chars.len());
                substitutions_in(&chars[i + 2..end.min(chars.len())], &mut out.substitutions);
                current.text.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end;
            }
            '(' if chars.get(i + 1) == Some(&'(') && arithmetic_end(&chars, i).is_some() => {
                // `(( x = 1 << 2 ))`: an arithmetic command, whose `<<` is no heredoc; the
                // substitutions in it run.
                let end = arithmetic_end(&chars, i).expect("checked");
                substitutions_in(&chars[i + 2..end - 1], &mut out.substitutions);
                current.text.extend(&chars[i..=end]);
                i = end;
            }
            '$' if chars.get(i + 1) == Some(&'(') && chars.get(i + 2) != Some(&'(') => {
                let end = end_of(&chars, i + 2, Open::Paren(1), None);
                out.substitutions.push(chars[i + 2..end.min(chars.len())].iter().collect());
                current.text.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                // `$((...))`: arithmetic, whose substitutions run, or a subshell in a
                // substitution (`$((cmd) )`, see `arithmetic_end`), which runs whole.
                let end = end_of(&chars, i + 2, Open::Paren(1), None);
                let inside = &chars[i + 2..end.min(chars.len())];
                if end < chars.len() && arithmetic_end(&chars, i + 1) != Some(end) {
                    out.substitutions.push(inside.iter().collect());
                } else {
                    substitutions_in(inside, &mut out.substitutions);
                }
                current.text.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end;
            }
            // `<(cmd)`, `>(cmd)`: process substitution, a command of its own and a file name here.
            '<' | '>' if chars.get(i + 1) == Some(&'(') => {
                let end = end_of(&chars, i + 2, Open::Paren(1), None);
                out.read_as_files.push(out.substitutions.len());
                out.substitutions.push(chars[i + 2..end.min(chars.len())].iter().collect());
                current.text.push_str(super::PROCESS_SUBSTITUTION);
                i = end;
            }
            // `<<<`: a here-string, which `words.rs` reads; no heredoc starts at its second `<`.
            '<' if chars.get(i + 1) == Some(&'<') && chars.get(i + 2) == Some(&'<') => {
                current.text.push_str("<<<");
                i += 2;
            }
            '<' if chars.get(i + 1) == Some(&'<') => {
                let (delimiter, after) = heredoc_delimiter(&chars, i + 2);
                if delimiter.word.is_empty() {
                    current.text.push_str("<<");
                    i += 1;
                } else {
                    pending.push((out.segments.len(), delimiter));
                    i = after - 1;
                }
            }
            // Only a blank (space or tab) before `#` starts a comment: bash does not count a
            // no-break space, so `x\u{a0}#; rm -rf ~` runs the `rm`.
            '#' if current.text.is_empty() || current.text.ends_with([' ', '\t']) => {
                // A comment runs to the end of the line.
                i = find(&chars, i, |ch| ch == '\n').unwrap_or(chars.len()) - 1;
            }
            '(' if ends_with_assignment_to(&current.text) => {
                current.text.push(c);
                in_array = true;
            }
            ')' if in_array => {
                current.text.push(c);
                in_array = false;
            }
            '\n' | '(' if in_array => current.text.push(' '),
            '\n' => {
                current.pipes_into_next |= fed.last() == Some(&true);
                current.maybe_elsewhere |= conditional || piped_into || !subshells.is_empty();
                // `a &&` or `a |` at a line's end goes on at the next line.
                if !current.text.trim().is_empty() {
                    (conditional, piped_into) = (false, false);
                }
                finish(&mut out, &mut current);
                for (reader, delimiter) in std::mem::take(&mut pending) {
                    let (body, after) = heredoc_body(&chars, i + 1, &delimiter.word, delimiter.strip_tabs);
                    // An unquoted delimiter leaves the body's expansions on: its substitutions run
                    // (`git commit -F - <<EOF … $(cmd) … EOF`).
                    if !delimiter.quoted {
                        let body: Vec<char> = body.chars().collect();
                        expanded_substitutions(&body, &mut out.substitutions);
                        if reader + 1 == out.segments.len() {
                            out.segments[reader].substitutions_so_far = out.substitutions.len();
                        }
                    }
                    match out.segments.get_mut(reader) {
                        Some(segment) => segment.heredocs.push(body),
                        None => current.heredocs.push(body),
                    }
                    i = after;
                }
            }
            ';' | '&' | '|' | '(' | ')' => {
                // `&>`, `>&` and `>|` are redirections; `|&` is a pipe and `;;` ends a case branch:
                // those just cut here.
                let after_greater = i > 0 && chars[i - 1] == '>';
                let redirection =
                    (c == '&' && (chars.get(i + 1) == Some(&'>') || after_greater)) || (c == '|' && after_greater);
                if redirection {
                    current.text.push(c);
                } else {
                    in_array = false;
                    let pipe = c == '|' && chars.get(i + 1) != Some(&'|') && (i == 0 || chars[i - 1] != '|');
                    // Inside a group a pipe feeds, every command may read what it brings.
                    current.pipes_into_next = pipe || (c != ')' && fed.last() == Some(&true));
                    if pipe {
                        if let Some(first) = group_before_pipe(&out.segments, &current.text, closed) {
                            out.segments[first..].iter_mut().for_each(|segment| segment.pipes_into_next = true);
                        }
                    }
                    let and_or = matches!((c, chars.get(i + 1)), ('&', Some('&')) | ('|', Some('|')))
                        || (i > 0 && matches!((c, chars[i - 1]), ('&', '&') | ('|', '|')));
                    let background = c == '&' && !and_or;
                    current.maybe_elsewhere |= conditional || piped_into || pipe || background || !subshells.is_empty();
                    conditional = (conditional || and_or) && !matches!(c, ';') && !background;
                    piped_into = pipe;
                    finish(&mut out, &mut current);
                    match c {
                        '(' => {
                            // Only blanks since the `|`: its segment is the last one, still piping.
                            let after_pipe = out.segments.last().is_some_and(|last| last.pipes_into_next);
                            subshells.push(out.segments.len());
                            fed.push(after_pipe);
                        }
                        ')' => {
                            closed = subshells.pop();
                            fed.pop();
                        }
                        _ => {}
                    }
                    if c != ')' && c != '|' {
                        closed = None;
                    }
                }
            }
            _ => current.text.push(c),
        }
        i += 1;
    }
    current.maybe_elsewhere |= conditional || piped_into || !subshells.is_empty();
    finish(&mut out, &mut current);
    out
}

/// The first segment of the group whose output a `|` after `text` pipes on, if `text` closes one:
/// a `( … )` that `closed` says ended right before (`text` holding nothing or only redirections),
/// or a `{ …; }`, `if … fi`, `for`/`while`/`until … done` or `case … esac` that `text` ends. Every
/// command of the group may write to the pipe (`(curl x; true) | sh`), so each counts as piping
/// into what follows.
fn group_before_pipe(segments: &[Segment], text: &str, closed: Option<usize>) -> Option<usize> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let redirection =
        |word: &&str| word.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&').starts_with(['>', '<']);
    let (closer, after) = match words.iter().position(|word| !redirection(word)) {
        None => return closed.filter(|&first| first < segments.len()),
        Some(at) => (words[at], &words[at + 1..]),
    };
    let opener: &[&str] = match closer {
        "}" => &["{"],
        "fi" => &["if"],
        "done" => &["for", "while", "until", "select"],
        "esac" => &["case"],
        _ => return None,
    };
    if !after.iter().all(redirection) {
        return None;
    }
    // The nearest opener of that kind before, word by word, skipping the groups of its kind
    // nested inside (a word that only looks like one, `echo done`, can mislead this). Only so far
    // back: a script of many `done | x` would otherwise cost the square of its length.
    const LOOK_BACK: usize = 256;
    let mut depth = 0usize;
    for (at, segment) in segments.iter().enumerate().rev().take(LOOK_BACK) {
        for word in segment.text.split_whitespace().rev() {
            if word == closer {
                depth += 1;
            } else if opener.contains(&word) {
                if depth == 0 {
                    return Some(at);
                }
                depth -= 1;
            }
        }
    }
    None
}

/// Whether `text` ends with the start of an assignment, `NAME=` or `NAME+=`, whose value a `(`
/// right after it makes an array literal.
pub(super) fn ends_with_assignment_to(text: &str) -> bool {
    let Some(before) = text.strip_suffix('=') else { return false };
    let before = before.strip_suffix('+').unwrap_or(before);
    let name_start = before.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_').len();
    let name = &before[name_start..];
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && before[..name_start].chars().next_back().is_none_or(char::is_whitespace)
}

fn finish(out: &mut Script, current: &mut Segment) {
    let segment = std::mem::take(current);
    if !segment.text.trim().is_empty() || !segment.heredocs.is_empty() {
        let substitutions_so_far = out.substitutions.len();
        out.segments.push(Segment { text: segment.text.trim().to_owned(), substitutions_so_far, ..segment });
    }
}

pub(super) fn find(chars: &[char], from: usize, what: impl Fn(char) -> bool) -> Option<usize> {
    chars.get(from..)?.iter().position(|&c| what(c)).map(|at| from + at)
}

/// What is open while [`end_of`] scans: a double quote, or a `$(` with the plain parentheses
/// opened inside it.
pub(super) enum Open {
    Quote,
    Paren(usize),
}

/// The index of the character that closes `first`, opened just before `from`: the `"` of a
/// double quote, or the `)` of a `$(`, quotes respected (`chars.len()` if it never closes). The
/// substitutions directly inside an outer double quote are collected into `substitutions`, since
/// they run; deeper ones are found when those are split in turn. A stack, not recursion, holds
/// what is open: a line nested tens of thousands of levels deep (which an agent can print, or
/// send as a tool call) is scanned to its real end in bounded stack space.
pub(super) fn end_of(chars: &[char], from: usize, first: Open, mut substitutions: Option<&mut Vec<String>>) -> usize {
    let mut open = vec![first];
    // Where a substitution directly inside the outer quote starts.
    let mut recording: Option<usize> = None;
    let mut i = from;
    while i < chars.len() {
        let c = chars[i];
        let depth = open.len();
        match open.last_mut().expect("scanning only while something is open") {
            Open::Quote => match c {
                '\\' => i += 1,
                '"' => {
                    open.pop();
                    if open.is_empty() {
                        return i;
                    }
                }
                // `$((` too: inside quotes a subshell in a substitution is read as one, and
                // arithmetic taken for a command finds none.
                '$' if chars.get(i + 1) == Some(&'(') => {
                    if depth == 1 {
                        recording = Some(i + 2);
                    }
                    open.push(Open::Paren(1));
                    i += 1;
                }
                '`' => {
                    let end = find(chars, i + 1, |c| c == '`').unwrap_or(chars.len());
                    if let (1, Some(found)) = (depth, substitutions.as_deref_mut()) {
                        found.push(chars[i + 1..end].iter().collect());
                    }
                    i = end;
                }
                _ => {}
            },
            Open::Paren(parens) => match c {
                '\\' => i += 1,
                '\'' => i = find(chars, i + 1, |c| c == '\'').unwrap_or(chars.len()),
                '"' => open.push(Open::Quote),
                '(' => *parens += 1,
                ')' => {
                    *parens -= 1;
                    if *parens == 0 {
                        open.pop();
                        if open.is_empty() {
                            return i;
                        }
                        if let (1, Some(start), Some(found)) = (open.len(), recording, substitutions.as_deref_mut()) {
                            found.push(chars[start..i].iter().collect());
                            recording = None;
                        }
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    chars.len()
}

/// Arithmetic that holds a substitution (`$(( $(cmd) + 1 ))`) is kept as a script of its own, so
/// the substitution is split in turn; plain arithmetic runs no command and is not.
fn substitutions_in(arithmetic: &[char], substitutions: &mut Vec<String>) {
    if arithmetic.windows(2).any(|pair| pair == ['$', '(']) || arithmetic.contains(&'`') {
        substitutions.push(arithmetic.iter().collect());
    }
}

/// Where the arithmetic `((...))` opened at `at` ends (its last `)`), if it is one: the inner `(`
/// closes right before the outer one. `((cmd) )` and `((cmd);(:))` are subshells instead, as
/// bash reads them (after `$` too).
fn arithmetic_end(chars: &[char], at: usize) -> Option<usize> {
    let inner = end_of(chars, at + 2, Open::Paren(1), None);
    (chars.get(inner + 1) == Some(&')')).then_some(inner + 1)
}

/// The word after `<<` that ends a heredoc.
struct Delimiter {
    /// Quotes removed.
    word: String,
    /// `<<-`: leading tabs are stripped from the body's lines.
    strip_tabs: bool,
    /// Any part of it was quoted (`<<'EOF'`, `<<E\OF`): the body is taken as it is written,
    /// with no expansion.
    quoted: bool,
}

/// After `<<`: the delimiter, and the index after it.
fn heredoc_delimiter(chars: &[char], mut i: usize) -> (Delimiter, usize) {
    let strip_tabs = chars.get(i) == Some(&'-');
    if strip_tabs {
        i += 1;
    }
    while chars.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
        i += 1;
    }
    let (mut word, mut quoted) = (String::new(), false);
    let mut quote = None;
    while let Some(&c) = chars.get(i) {
        match (quote, c) {
            // A quoted delimiter may hold blanks: `<<"E O F"`.
            (Some(open), c) if c == open => quote = None,
            (Some(_), c) => word.push(c),
            // `$'E\x4fF'` is the word its escapes spell, quoted (bash 5.2).
            (None, '$') if chars.get(i + 1) == Some(&'\'') => {
                let (decoded, closing) = super::ansi_c::decode_body(chars, i + 2);
                word.push_str(&decoded);
                quoted = true;
                i = closing;
            }
            // `$"EOF"` quotes the word as `"EOF"` does.
            (None, '$') if chars.get(i + 1) == Some(&'"') => {}
            (None, '\'' | '"') => (quote, quoted) = (Some(c), true),
            (None, '\\') => quoted = true,
            (None, c) if c.is_whitespace() || ";&|()<>".contains(c) => break,
            (None, c) => word.push(c),
        }
        i += 1;
    }
    (Delimiter { word, strip_tabs, quoted }, i)
}

/// The command substitutions of text that the shell expands as it does the inside of double
/// quotes, where a `"` is only a character (an unquoted heredoc's body): `$(…)`, `` `…` ``, and
/// those inside `${…}` and `$((…))`.
fn expanded_substitutions(text: &[char], substitutions: &mut Vec<String>) {
    // A backslash before a line break joins the lines (`$\⏎(cmd)` is `$(cmd)`).
    let joined: Vec<char>;
    let text = if text.windows(2).any(|pair| pair == ['\\', '\n']) {
        let mut kept = Vec::with_capacity(text.len());
        let mut at = 0;
        while at < text.len() {
            match (text[at], text.get(at + 1)) {
                ('\\', Some('\n')) => at += 2,
                ('\\', Some(&next)) => {
                    kept.extend(['\\', next]);
                    at += 2;
                }
                (c, _) => {
                    kept.push(c);
                    at += 1;
                }
            }
        }
        joined = kept;
        &joined[..]
    } else {
        text
    };
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            '\\' => i += 1,
            '`' => {
                let end = find(text, i + 1, |c| c == '`').unwrap_or(text.len());
                substitutions.push(text[i + 1..end].iter().collect());
                i = end;
            }
            '$' if text.get(i + 1) == Some(&'(') && text.get(i + 2) != Some(&'(') => {
                let end = end_of(text, i + 2, Open::Paren(1), None);
                substitutions.push(text[i + 2..end.min(text.len())].iter().collect());
                i = end;
            }
            // `$((cmd); …)` is a subshell in a substitution, which runs whole (see `arithmetic_end`).
            '$' if text.get(i + 1) == Some(&'(') => {
                let end = end_of(text, i + 2, Open::Paren(1), None);
                if end < text.len() && arithmetic_end(text, i + 1) != Some(end) {
                    substitutions.push(text[i + 2..end].iter().collect());
                    i = end;
                }
            }
            // Arithmetic and `${…}` are read on: a substitution inside them is found as any other.
            _ => {}
        }
        i += 1;
    }
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
