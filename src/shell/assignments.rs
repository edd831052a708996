//! Which names a command assigns: `NAME=value` words, and the builtins and arithmetic that set
//! a name some other way (`read x`, `printf -v x`, `((x=1))`).

/// Builtins that assign the names among their arguments (`read x`, `printf -v x`), and the
/// options of each whose value is not a name.
pub(super) const ASSIGNING: &[(&str, &str)] = &[
    ("read", "dinNptu"),
    ("printf", ""),
    ("getopts", ""),
    ("mapfile", "dnOsuCc"),
    ("readarray", "dnOsuCc"),
    ("wait", ""),
];

/// The names an arithmetic expression in `text` assigns (`((s=9))`, `$((s+=1))`, `$[s=1]`,
/// `((s++))`): read loosely, as any name in one before an assignment or `++`/`--`.
pub(super) fn assigned_in_arithmetic(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("((").or_else(|| rest.find("$[")) {
        let inside = &rest[open + 2..];
        let end = inside.find("))").or_else(|| inside.find(']')).unwrap_or(inside.len());
        let expression = &inside[..end];
        let bytes = expression.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            if bytes[at].is_ascii_alphabetic() || bytes[at] == b'_' {
                let start = at;
                while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
                    at += 1;
                }
                let after = expression[at..].trim_start();
                let assigns = (after.starts_with('=') && !after.starts_with("=="))
                    || after.starts_with("++")
                    || after.starts_with("--")
                    || after.starts_with('[')
                    || ["+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "|=", "^="]
                        .iter()
                        .any(|op| after.starts_with(op));
                let before = expression[..start].trim_end();
                if assigns || before.ends_with("++") || before.ends_with("--") {
                    names.push(&expression[start..at]);
                }
            } else {
                at += 1;
            }
        }
        rest = &inside[end.min(inside.len())..];
    }
    names
}

/// The names `read`, `printf -v`, `getopts`, `mapfile` or `wait -p` assigns, given its
/// arguments and the options whose value is not a name.
pub(super) fn assigned_by<'a>(program: &str, args: &'a [String], valued: &str) -> Vec<&'a str> {
    let mut names = Vec::new();
    let mut operands = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            operands.extend(words.by_ref().map(String::as_str));
            break;
        }
        match word.strip_prefix('-').filter(|option| !option.is_empty()) {
            // `-v NAME` (printf), `-a NAME` (read), `-p NAME` (wait): a name, maybe glued on; the
            // other options in `valued` take a value that is not one (`-d X`, `-pPrompt`).
            Some(option) => {
                for (index, letter) in option.char_indices() {
                    let names_next = matches!((program, letter), ("printf", 'v') | ("read", 'a') | ("wait", 'p'));
                    if names_next || valued.contains(letter) {
                        let glued = &option[index + letter.len_utf8()..];
                        let value = if glued.is_empty() { words.next().map(String::as_str) } else { Some(glued) };
                        if names_next {
                            names.extend(value);
                        }
                        break;
                    }
                }
            }
            None => operands.push(word.as_str()),
        }
    }
    match program {
        "read" if operands.is_empty() => names.push("REPLY"),
        "read" => names.extend(operands),
        "getopts" => names.extend(operands.get(1)),
        "mapfile" | "readarray" => names.extend(operands.first().copied().or(Some("MAPFILE"))),
        _ => {}
    }
    names.into_iter().map(|name| name.split('[').next().unwrap_or(name)).collect()
}

/// `NAME[…]=value`: an array's element.
pub(super) fn is_array_element(word: &str) -> bool {
    word.split_once('[').is_some_and(|(name, rest)| is_name(name) && (rest.contains("]=") || rest.contains("]+=")))
}

/// `NAME=value` or `NAME+=value`: the name, whether it appends, the value.
pub(super) fn assignment(word: &str) -> Option<(&str, bool, &str)> {
    let (left, value) = word.split_once('=')?;
    let (name, append) = left.strip_suffix('+').map_or((left, false), |name| (name, true));
    is_name(name).then_some((name, append, value))
}

fn is_name(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Every name the commands `texts` (a compound command, its opening line first) may assign,
/// read loosely: any `NAME=` or `NAME+=`, any name-like word of a builtin that assigns some
/// of its arguments (`read`, `export`, `unset`, a nested loop's `for NAME`), and arithmetic. The
/// opening line's own `for NAME` is left out: the loop sets it where this reads it. `None` when
/// one of them may assign any name (`eval`, `source`).
pub(super) fn names_a_body_may_assign<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<Vec<String>> {
    const SETTERS: &[&str] = &[
        "read",
        "printf",
        "getopts",
        "mapfile",
        "readarray",
        "wait",
        "unset",
        "export",
        "local",
        "declare",
        "typeset",
        "readonly",
        "let",
        "for",
        "select",
    ];
    let mut names: Vec<String> = Vec::new();
    for (index, text) in texts.into_iter().enumerate() {
        let words: Vec<&str> = text.split_whitespace().collect();
        let first = words.iter().position(|word| !super::wrappers::is_reserved(word)).map(|at| words[at]);
        if matches!(first, Some("eval" | "source" | ".")) {
            return None;
        }
        names.extend(assigned_in_arithmetic(text).into_iter().map(str::to_owned));
        // `NAME=value` where a command starts (after reserved words and other assignments).
        let leading = words.iter().skip_while(|word| super::wrappers::is_reserved(word));
        for word in leading.take_while(|word| word.contains('=')) {
            let left = word.split('=').next().unwrap_or(word);
            let name = left.trim_start_matches(['(', '{']).split(['[', '+']).next().unwrap_or(left);
            if is_name(name) {
                names.push(name.to_owned());
            }
        }
        let loop_of_its_own = index == 0 && matches!(first, Some("for" | "select"));
        if first.is_some_and(|first| SETTERS.contains(&first)) && !loop_of_its_own {
            names.extend(words.iter().filter(|word| is_name(word)).map(|word| (*word).to_owned()));
        }
    }
    Some(names)
}
