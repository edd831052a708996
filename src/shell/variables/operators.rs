//! What bash's parameter operators make of a value the script spelled out: removing a prefix or
//! a suffix (`#`, `##`, `%`, `%%`), replacing (`/`, `//`, `/#`, `/%`), a substring (`:OFF:LEN`),
//! changing case (`,,`, `^^`, `,`, `^`, `@U`, `@L`, `@u`) and quoting (`@Q`). Patterns are
//! bash's globs (`*`, `?`, `[…]`), matched with a small automaton so that the work stays
//! bounded whatever the value and the pattern.

/// The operators read here, longest first so that `##` is not taken for `#`.
pub(super) const OPERATORS: &[&str] = &["##", "%%", "//", "/#", "/%", ",,", "^^", "#", "%", "/", ",", "^", ":", "@"];

/// The most steps (a character of the value against the pattern) one operation may take;
/// past it the value is read unchanged, which is what a rule about it would judge.
const MOST_STEPS: usize = 1 << 20;

/// What `operator` with `word` makes of `value`, when it can be told exactly; `None` otherwise.
pub(super) fn apply(value: &str, operator: &str, word: &str) -> Option<String> {
    let text: Vec<char> = value.chars().collect();
    match operator {
        "#" | "##" => {
            let pattern = Pattern::new(word)?;
            let lengths = pattern.matching_prefixes(&text)?;
            let cut = if operator == "#" { lengths.first() } else { lengths.last() };
            Some(text[cut.copied().unwrap_or(0)..].iter().collect())
        }
        "%" | "%%" => {
            let reversed: Vec<char> = text.iter().rev().copied().collect();
            let lengths = Pattern::new(word)?.reversed().matching_prefixes(&reversed)?;
            let cut = if operator == "%" { lengths.first() } else { lengths.last() };
            Some(text[..text.len() - cut.copied().unwrap_or(0)].iter().collect())
        }
        "/" | "//" | "/#" | "/%" => replaced(&text, operator, word),
        ":" => substring(&text, word),
        ",," | "^^" | "," | "^" if word.is_empty() => Some(case_changed(value, operator)),
        "@" => match word {
            // Quoted to be read back by a shell, which reads it as the value itself.
            "Q" => Some(value.to_owned()),
            "U" => Some(value.to_uppercase()),
            "L" => Some(value.to_lowercase()),
            "u" => Some(case_changed(value, "^")),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `operator` with `word` leaves a directory's path naming the same directory, as far
/// as a rule about it goes: all but `%/*`, which takes it up one (read elsewhere), and `%%`,
/// which can leave nothing of an absolute path.
pub(super) fn keeps_a_directory(operator: &str, word: &str) -> bool {
    OPERATORS.contains(&operator) && !(operator == "%%" || (operator == "%" && word == "/*"))
}

fn case_changed(value: &str, operator: &str) -> String {
    let mut chars = value.chars();
    match operator {
        ",," => value.to_lowercase(),
        "^^" => value.to_uppercase(),
        first => match chars.next() {
            Some(c) if first == "," => c.to_lowercase().chain(chars).collect(),
            Some(c) => c.to_uppercase().chain(chars).collect(),
            None => String::new(),
        },
    }
}

/// `${NAME/PATTERN/STRING}` and its kinds: the longest match of PATTERN at its leftmost place
/// (`/`), at every place (`//`), at the start (`/#`) or at the end (`/%`), replaced by STRING.
fn replaced(text: &[char], operator: &str, word: &str) -> Option<String> {
    let (pattern, replacement) = word.split_once('/').unwrap_or((word, ""));
    if pattern.is_empty() {
        return Some(text.iter().collect());
    }
    let pattern = Pattern::new(pattern)?;
    // Each start is matched on its own: bounded as one match per character.
    if text.len().saturating_mul(text.len()).saturating_mul(pattern.tokens.len() + 1) > MOST_STEPS {
        return None;
    }
    let mut out = String::new();
    let mut at = 0;
    let mut replaced_once = false;
    while at < text.len() {
        let anchored_elsewhere = (operator == "/#" && at > 0) || (replaced_once && operator != "//");
        let longest = if anchored_elsewhere {
            None
        } else {
            let lengths = pattern.matching_prefixes(&text[at..])?;
            match operator {
                "/%" => lengths.last().filter(|&&length| at + length == text.len()).copied(),
                _ => lengths.last().copied(),
            }
        };
        match longest.filter(|&length| length > 0) {
            Some(length) => {
                out.push_str(replacement);
                at += length;
                replaced_once = true;
            }
            None => {
                out.push(text[at]);
                at += 1;
            }
        }
    }
    Some(out)
}

/// `${NAME:OFFSET}` and `${NAME:OFFSET:LENGTH}`, for numbers written out (a negative offset
/// counts from the end, a negative length stops that far from it).
fn substring(text: &[char], word: &str) -> Option<String> {
    let number = |written: &str| -> Option<i64> {
        let written = written.trim();
        let written = written.strip_prefix('(').and_then(|w| w.strip_suffix(')')).unwrap_or(written).trim();
        if written.is_empty() {
            return Some(0);
        }
        written.parse().ok()
    };
    let (offset, length) = match word.split_once(':') {
        Some((offset, length)) => (number(offset)?, Some(number(length)?)),
        None => (number(word)?, None),
    };
    let count = i64::try_from(text.len()).ok()?;
    let start = if offset < 0 { count + offset } else { offset };
    if start < 0 || start > count {
        return Some(String::new());
    }
    let end = match length {
        None => count,
        Some(length) if length < 0 => count + length,
        Some(length) => start.saturating_add(length).min(count),
    };
    if end < start {
        return None;
    }
    let (start, end) = (usize::try_from(start).ok()?, usize::try_from(end).ok()?);
    Some(text[start..end].iter().collect())
}

#[derive(Clone)]
enum Token {
    Star,
    Any,
    Char(char),
    /// `[…]`: ranges (a single character is a range of one), and whether it is negated.
    Class(Vec<(char, char)>, bool),
}

/// A glob, as a list of tokens each of which matches one character, or (`*`) any run of them.
#[derive(Clone)]
struct Pattern {
    tokens: Vec<Token>,
}

impl Pattern {
    /// `None` for a pattern this does not read: a class it cannot close, or bash's extended
    /// globs (`+(…)`, `@(…)`, ...), which are only on with `extglob`.
    fn new(pattern: &str) -> Option<Pattern> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut at = 0;
        while at < chars.len() {
            let c = chars[at];
            if matches!(c, '+' | '@' | '!') && chars.get(at + 1) == Some(&'(') {
                return None;
            }
            tokens.push(match c {
                '*' => Token::Star,
                '?' => Token::Any,
                '[' => {
                    let (class, end) = class(&chars, at + 1)?;
                    at = end;
                    class
                }
                c => Token::Char(c),
            });
            at += 1;
        }
        Some(Pattern { tokens })
    }

    fn reversed(mut self) -> Pattern {
        self.tokens.reverse();
        self
    }

    /// The lengths, in characters and from shortest to longest, of the starts of `text` this
    /// matches whole; `None` when that takes more steps than allowed.
    fn matching_prefixes(&self, text: &[char]) -> Option<Vec<usize>> {
        let states = self.tokens.len() + 1;
        if text.len().saturating_add(1).saturating_mul(states) > MOST_STEPS {
            return None;
        }
        let mut active = vec![false; states];
        active[0] = true;
        self.close(&mut active);
        let mut lengths = Vec::new();
        let mut next = vec![false; states];
        for (length, &c) in text.iter().enumerate() {
            if active[states - 1] {
                lengths.push(length);
            }
            next.fill(false);
            for (state, token) in self.tokens.iter().enumerate().filter(|(state, _)| active[*state]) {
                match token {
                    Token::Star => next[state] = true,
                    token if token.matches(c) => next[state + 1] = true,
                    _ => {}
                }
            }
            self.close(&mut next);
            if !next.contains(&true) {
                return Some(lengths);
            }
            std::mem::swap(&mut active, &mut next);
        }
        if active[states - 1] {
            lengths.push(text.len());
        }
        Some(lengths)
    }

    /// Adds the states reached by letting each `*` match nothing.
    fn close(&self, active: &mut [bool]) {
        for (state, token) in self.tokens.iter().enumerate() {
            if active[state] && matches!(token, Token::Star) {
                active[state + 1] = true;
            }
        }
    }
}

impl Token {
    fn matches(&self, c: char) -> bool {
        match self {
            Token::Star | Token::Any => true,
            Token::Char(expected) => *expected == c,
            Token::Class(ranges, negated) => ranges.iter().any(|(low, high)| (*low..=*high).contains(&c)) != *negated,
        }
    }
}

/// The class whose body starts at `chars[from]` (after its `[`), and the index of its `]`.
fn class(chars: &[char], from: usize) -> Option<(Token, usize)> {
    let negated = matches!(chars.get(from), Some('!' | '^'));
    let mut at = from + usize::from(negated);
    let mut ranges = Vec::new();
    // A `]` first is a member, not the end.
    let mut first = true;
    while let Some(&c) = chars.get(at) {
        if c == ']' && !first {
            return Some((Token::Class(ranges, negated), at));
        }
        // Named classes (`[[:alpha:]]`) are more than this reads.
        if c == '[' && chars.get(at + 1) == Some(&':') {
            return None;
        }
        match (chars.get(at + 1), chars.get(at + 2)) {
            (Some('-'), Some(&high)) if high != ']' => {
                ranges.push((c, high));
                at += 3;
            }
            _ => {
                ranges.push((c, c));
                at += 1;
            }
        }
        first = false;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(value: &str, operator: &str, word: &str) -> Option<String> {
        apply(value, operator, word)
    }

    #[test]
    fn prefixes_and_suffixes_are_taken_off_as_bash_does() {
        assert_eq!(applied("/home/u/src/a.tar.gz", "#", "*/").as_deref(), Some("home/u/src/a.tar.gz"));
        assert_eq!(applied("/home/u/src/a.tar.gz", "##", "*/").as_deref(), Some("a.tar.gz"));
        assert_eq!(applied("/home/u/src/a.tar.gz", "%", ".*").as_deref(), Some("/home/u/src/a.tar"));
        assert_eq!(applied("/home/u/src/a.tar.gz", "%%", ".*").as_deref(), Some("/home/u/src/a"));
        assert_eq!(applied("/home/u", "#", "x").as_deref(), Some("/home/u"));
        assert_eq!(applied("/home/u", "#", "").as_deref(), Some("/home/u"));
        assert_eq!(applied("v1.2", "#", "[vV]").as_deref(), Some("1.2"));
        assert_eq!(applied("/home/u/", "%", "/").as_deref(), Some("/home/u"));
    }

    #[test]
    fn replacements_substrings_and_case_are_read() {
        assert_eq!(applied("/home/u", "/", "x/y").as_deref(), Some("/home/u"));
        assert_eq!(applied("a-b-c", "/", "-/_").as_deref(), Some("a_b-c"));
        assert_eq!(applied("a-b-c", "//", "-/_").as_deref(), Some("a_b_c"));
        assert_eq!(applied("a-b-c", "//", "[ab]").as_deref(), Some("--c"));
        assert_eq!(applied("a-b-c", "/#", "a/z").as_deref(), Some("z-b-c"));
        assert_eq!(applied("a-b-c", "/%", "c/z").as_deref(), Some("a-b-z"));
        assert_eq!(applied("/tmpx", "/", "x").as_deref(), Some("/tmp"));
        assert_eq!(applied("/home/u", ":", "0").as_deref(), Some("/home/u"));
        assert_eq!(applied("/home/u", ":", "0:5").as_deref(), Some("/home"));
        assert_eq!(applied("/home/u", ":", " -1").as_deref(), Some("u"));
        assert_eq!(applied("/home/u", ":", "1:-2").as_deref(), Some("home"));
        assert_eq!(applied("/HOME/u", ",,", "").as_deref(), Some("/home/u"));
        assert_eq!(applied("abc", "^", "").as_deref(), Some("Abc"));
        assert_eq!(applied("/home/u", "@", "Q").as_deref(), Some("/home/u"));
        assert_eq!(applied("/home/u", ":", "$((1+1))"), None);
    }

    #[test]
    fn long_values_and_patterns_stay_bounded() {
        let value = "a".repeat(16 * 1024);
        let pattern = "*a".repeat(200);
        assert_eq!(applied(&value, "//", &format!("{pattern}/b")), None);
        assert_eq!(applied(&value, "##", &pattern), None);
        assert_eq!(applied(&value[..1024], "##", "*a").as_deref(), Some(""));
    }
}
