//! The shell variables a script sets, so that a later `$NAME` reaches the rules as the words it
//! expands to: `P=a.iom; pkill -f "$P"` is `pkill -f a.iom`, `X=rm; $X -rf ~` is `rm -rf ~`.
//!
//! Only values the script spells out are known: `NAME=value` alone (a prefix assignment, `P=x cmd`,
//! sets nothing for later commands), after `export`, `local`, `declare`, `typeset` or `readonly`,
//! `NAME+=more`, and a `for NAME in …` list. A value that holds an expansion left unknown (`$(…)`, a
//! variable the script did not set) makes the name unknown again, and `unset` forgets it. A name
//! not known stays as written, except in `${NAME:-word}`, `${NAME-word}` and `${NAME:=word}`,
//! which are read as `word`: what they give when the name is unset, which a script can arrange.

use std::collections::HashMap;

use super::words::QUOTED_BRACE;

/// The longest value kept, and the most bytes all values may hold: `P=$P$P` doubles a value, so
/// without a bound a short script would fill memory. A value past either bound is unknown.
const MAX_VALUE: usize = 64 * 1024;
const MAX_BYTES: usize = 4 << 20;

/// The values a script has given its variables so far.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    /// A name's fields: one for a plain value, one per word of a `for` list, each of which a
    /// later `$NAME` stands for.
    values: HashMap<String, Vec<String>>,
    bytes: usize,
}

impl Variables {
    /// Records the assignments that the words of one simple command (as written, wrappers not yet
    /// stripped) make for the commands after it.
    pub fn record(&mut self, words: &[String]) {
        let Some(first) = words.first() else { return };
        match first.as_str() {
            "export" | "local" | "declare" | "typeset" | "readonly" => {
                for word in &words[1..] {
                    if let Some((name, append, value)) = assignment(word) {
                        self.assign(name, append, value);
                    }
                }
            }
            "unset" => {
                for name in words[1..].iter().filter(|word| !word.starts_with('-')) {
                    self.forget(name);
                }
            }
            "for" | "select" if words.get(2).is_some_and(|word| word == "in") => {
                let fields: Vec<String> = words[3..].to_vec();
                if fields.iter().any(|field| field.contains('$')) {
                    self.forget(&words[1]);
                } else {
                    self.set(&words[1], fields);
                }
            }
            _ => {
                let assignments: Vec<_> = words.iter().map_while(|word| assignment(word)).collect();
                // `P=x cmd` gives P to cmd only.
                if assignments.len() == words.len() {
                    for (name, append, value) in assignments {
                        self.assign(name, append, value);
                    }
                }
            }
        }
    }

    /// What the expansion that starts at `chars[at]` (a `$`) gives, written for `prepare` to read
    /// back as the words bash makes of it (`quoted`: inside double quotes), and where the text
    /// after it starts; `None` for one this does not know.
    pub fn expansion(&self, chars: &[char], at: usize, quoted: bool) -> Option<(String, usize)> {
        let (name, operator, end) = parameter(chars, at)?;
        let fields = match (self.values.get(&name), operator) {
            (Some(fields), _) => fields.clone(),
            // Unset, these give the word after the operator.
            (None, Some((":-" | "-" | ":=" | "=", word))) => vec![word],
            (None, _) => return None,
        };
        Some((written(&fields, quoted), end))
    }

    /// Gives the positional parameters (`$1` … `$9`, `${N}`, `$@`, `$*`) every one of `arguments`.
    pub fn set_arguments(&mut self, arguments: Vec<String>) {
        for name in ["1", "2", "3", "4", "5", "6", "7", "8", "9", "@", "*"] {
            self.set(name, arguments.clone());
        }
    }

    fn assign(&mut self, name: &str, append: bool, value: &str) {
        // A value holding an expansion this did not make (`$(…)`, `$UNSET`) is not known.
        if value.contains('$') {
            return self.forget(name);
        }
        let value = match (append, self.values.get(name)) {
            (true, Some(fields)) => fields.join(" ") + value,
            (true, None) => return self.forget(name),
            (false, _) => value.to_owned(),
        };
        self.set(name, vec![value]);
    }

    fn set(&mut self, name: &str, fields: Vec<String>) {
        self.forget(name);
        let size: usize = fields.iter().map(String::len).sum();
        if size <= MAX_VALUE && self.bytes + size <= MAX_BYTES {
            self.bytes += size;
            self.values.insert(name.to_owned(), fields);
        }
    }

    fn forget(&mut self, name: &str) {
        if let Some(fields) = self.values.remove(name) {
            self.bytes -= fields.iter().map(String::len).sum::<usize>();
        }
    }
}

/// `NAME=value` or `NAME+=value`: the name, whether it appends, the value.
fn assignment(word: &str) -> Option<(&str, bool, &str)> {
    let (left, value) = word.split_once('=')?;
    let (name, append) = left.strip_suffix('+').map_or((left, false), |name| (name, true));
    is_name(name).then_some((name, append, value))
}

fn is_name(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The parameter expansion at `chars[at]`: `$NAME`, `${NAME}`, or `${NAME` followed by one of
/// the operators `:-`, `-`, `:=`, `=`, `:?`, `?`, `:+`, `+` and its word up to the closing brace;
/// NAME may be a positional parameter (`$1`, `${1}`, `$@`, `$*`; `${10}` is read as `$9`'s value).
/// Gives the name, the operator and its word, and where the text after it starts.
#[allow(clippy::type_complexity)]
fn parameter(chars: &[char], at: usize) -> Option<(String, Option<(&'static str, String)>, usize)> {
    let is_name_char = |c: &char| c.is_ascii_alphanumeric() || *c == '_';
    let braced = chars.get(at + 1) == Some(&'{');
    let start = (at + 1 + usize::from(braced)).min(chars.len());
    let (name, after) = match chars.get(start) {
        Some(&c @ ('1'..='9' | '@' | '*')) if !braced => (c.to_string(), start + 1),
        Some('1'..='9') => {
            let digits = chars[start..].iter().take_while(|c| c.is_ascii_digit()).count();
            let name = if digits == 1 { chars[start].to_string() } else { "9".to_owned() };
            (name, start + digits)
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
    let operator = [":-", ":=", ":?", ":+", "-", "=", "?", "+"].into_iter().find(|op| inside.starts_with(op))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn known(script: &[&[&str]]) -> Variables {
        let mut variables = Variables::default();
        for words in script {
            variables.record(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>());
        }
        variables
    }

    fn expand(variables: &Variables, text: &str, quoted: bool) -> Option<String> {
        let chars: Vec<char> = text.chars().collect();
        variables.expansion(&chars, 0, quoted).map(|(written, end)| {
            assert!(end <= chars.len());
            written + &chars[end..].iter().collect::<String>()
        })
    }

    #[test]
    fn plain_exported_and_appended_values_are_known_and_a_prefix_assignment_is_not() {
        let variables = known(&[&["P=a.iom"], &["export", "Q=x", "R+=y"], &["S=1", "env"], &["Q+=z"]]);
        assert_eq!(expand(&variables, "$P", false).as_deref(), Some(r"\a\.\i\o\m"));
        assert_eq!(expand(&variables, "${Q}/bin", true).as_deref(), Some("xz/bin"));
        assert_eq!(expand(&variables, "$R", false), None, "appended to a name not known");
        assert_eq!(expand(&variables, "$S", false), None, "given to env only");
    }

    #[test]
    fn a_value_made_by_an_unknown_expansion_or_unset_is_forgotten() {
        let variables = known(&[&["P=a"], &["P=$(…)"], &["Q=b"], &["unset", "Q"], &["R=c"], &["R=$HOME"]]);
        for text in ["$P", "$Q", "$R"] {
            assert_eq!(expand(&variables, text, false), None, "{text}");
        }
    }

    #[test]
    fn an_unquoted_value_splits_into_words_and_a_quoted_one_does_not() {
        let variables = known(&[&["X=rm -rf"], &["for", "d", "in", "build", "a b"]]);
        assert_eq!(expand(&variables, "$X ~", false).as_deref(), Some(r"\r\m \-\r\f ~"));
        assert_eq!(expand(&variables, "$X\"", true).as_deref(), Some("rm -rf\""));
        assert_eq!(expand(&variables, "$d", false).as_deref(), Some(r"\b\u\i\l\d \a \b"));
        assert_eq!(expand(&variables, "$d", true).as_deref(), Some(r#"build" "a b"#));
    }

    #[test]
    fn a_default_is_read_where_the_name_is_unset() {
        let variables = known(&[&["P=x"]]);
        assert_eq!(expand(&variables, "${NOPE:-a.iom}", true).as_deref(), Some("a.iom"));
        assert_eq!(expand(&variables, "${NOPE=a.iom}", true).as_deref(), Some("a.iom"));
        assert_eq!(expand(&variables, "${P:-a.iom}", true).as_deref(), Some("x"));
        assert_eq!(expand(&variables, "${NOPE:+y}", true), None);
        assert_eq!(expand(&variables, "${NOPE:-$(x)}", true), None);
    }

    #[test]
    fn positional_parameters_are_every_argument_given() {
        let mut variables = Variables::default();
        variables.set_arguments(vec!["~".into(), "b c".into()]);
        assert_eq!(expand(&variables, "$1x", false).as_deref(), Some(r"\~ \b \cx"));
        assert_eq!(expand(&variables, "${12}", true).as_deref(), Some(r#"~" "b c"#));
        assert_eq!(expand(&variables, "$@", true).as_deref(), Some(r#"~" "b c"#));
        assert_eq!(expand(&Variables::default(), "$1", false), None);
        assert_eq!(expand(&variables, "$0", false), None);
    }

    #[test]
    fn values_that_would_outgrow_the_bounds_are_not_kept() {
        let mut variables = known(&[&["P=xxxxxxxx"]]);
        let mut longest = 0;
        // `P=$P$P` until P is no longer known.
        while let Some(value) = expand(&variables, "$P", true) {
            longest = longest.max(value.len());
            variables.record(&[format!("P={value}{value}")]);
        }
        assert_eq!(longest, MAX_VALUE);
        assert!(variables.bytes <= MAX_BYTES);
    }
}
