//! perl's quote-like operators written as the literals the interpreters' reader knows (see
//! `interpreters.rs`): `q(…)` as `'…'`, `qq{…}` as `"…"`, and `qw(a b)` as the list `['a',
//! 'b']`, so `perl -e 'system(q(rm -rf ~))'` is read as `system('rm -rf ~')` is. (`qx(…)` runs
//! a command, and is read where backquotes are.)

use std::borrow::Cow;

/// The most bytes of code rewritten: far more than a one-liner holds.
const MOST_BYTES: usize = 64 * 1024;

/// `code` with its `q`, `qq` and `qw` quotes written as plain literals.
pub fn as_literals(code: &str) -> Cow<'_, str> {
    if !code.contains('q') || code.len() > MOST_BYTES {
        return Cow::Borrowed(code);
    }
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut at = 0;
    let mut changed = false;
    while at < chars.len() {
        match quote_at(&chars, at) {
            Some((operator, Some((inside, end)))) => {
                out.push_str(&literal(operator, &inside));
                at = end;
                changed = true;
            }
            // A quote that does not close holds the rest: each `q` in it would be looked
            // through to the end again.
            Some((_, None)) => {
                out.extend(&chars[at..]);
                break;
            }
            None => {
                out.push(chars[at]);
                at += 1;
            }
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(code)
    }
}

/// What a quote holds, and where the code after it starts.
type Quoted = (String, usize);

/// The quote-like operator at `chars[at]` (`q`, `qq` or `qw`), and what it quotes and where the
/// code after it starts (`None` if it does not close). Not a name that holds a `q` (`seq(`,
/// `$q`, `->q`), a hash key (`q => 1`), nor `qx`.
fn quote_at(chars: &[char], at: usize) -> Option<(&'static str, Option<Quoted>)> {
    if chars[at] != 'q' {
        return None;
    }
    let before = at.checked_sub(1).map(|before| chars[before]);
    if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '@' | '%' | '&' | '>' | '-' | ':')) {
        return None;
    }
    let (operator, mut next) = match chars.get(at + 1) {
        Some('q') => ("qq", at + 2),
        Some('w') => ("qw", at + 2),
        _ => ("q", at + 1),
    };
    next += chars[next.min(chars.len())..].iter().take_while(|c| c.is_whitespace()).count();
    let open = *chars.get(next)?;
    if open.is_alphanumeric() || open.is_whitespace() || matches!(open, '_' | '=' | ',' | ';' | ')') {
        return None;
    }
    let close = match open {
        '(' => ')',
        '[' => ']',
        '{' => '}',
        '<' => '>',
        other => other,
    };
    let mut depth = 0usize;
    let mut inside = String::new();
    let mut end = next + 1;
    while let Some(&c) = chars.get(end) {
        end += 1;
        if c == '\\' {
            // `\` before the delimiter or another `\` stands for it; before anything else it is itself.
            match chars.get(end) {
                Some(&escaped) if escaped == open || escaped == close || escaped == '\\' => {
                    inside.push(escaped);
                    end += 1;
                }
                _ => inside.push(c),
            }
            continue;
        }
        if c == close && depth == 0 {
            return Some((operator, Some((inside, end))));
        }
        if open != close && c == open {
            depth += 1;
        } else if open != close && c == close {
            depth -= 1;
        }
        inside.push(c);
    }
    Some((operator, None))
}

/// What `operator` quoting `inside` is written as.
fn literal(operator: &str, inside: &str) -> String {
    let single = |text: &str| format!("'{}'", text.replace('\\', r"\\").replace('\'', r"\'"));
    match operator {
        "qw" => format!("[{}]", inside.split_whitespace().map(single).collect::<Vec<_>>().join(", ")),
        "qq" => format!("\"{}\"", inside.replace('"', "\\\"")),
        _ => single(inside),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_operators_are_written_as_literals() {
        assert_eq!(as_literals("system(q(rm -rf ~))"), "system('rm -rf ~')");
        assert_eq!(as_literals("system q{rm -rf ~}"), "system 'rm -rf ~'");
        assert_eq!(as_literals("system qq[rm -rf $ENV{HOME}]"), "system \"rm -rf $ENV{HOME}\"");
        assert_eq!(as_literals("system(qw(rm -rf /))"), "system(['rm', '-rf', '/'])");
        assert_eq!(as_literals("print q!it's (x)!"), r"print 'it\'s (x)'");
        assert_eq!(as_literals(r"q(a\)b(c))"), "'a)b(c)'");
    }

    #[test]
    fn what_only_holds_a_q_is_left_as_written() {
        for code in ["s/a/b/", "$q = 1; print $q", "my %h = (q => 1)", "seq(1)", "$x->q(1)", "qx(ls)", "q(unclosed"] {
            assert_eq!(as_literals(code), code, "{code}");
        }
        // Unclosed quotes one inside another are looked through once, not once each.
        let nested = "q(".repeat(30_000);
        let started = std::time::Instant::now();
        assert_eq!(as_literals(&nested), nested);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
