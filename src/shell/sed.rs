//! The shell commands a GNU sed script runs: its `e COMMAND` command runs COMMAND, and the `e`
//! flag of `s///` runs the pattern space, after the substitution, as one (read as the
//! replacement, which is what the script spells out). So `sed -n '1e rm -rf ~' f` and `sed
//! 's/.*/rm -rf ~/e' f` are judged as `rm -rf ~`, while `sed -n 1p` or `sed 's/e/x/'`, whose
//! letters only look alike, run nothing: the script is read command by command, as sed reads it.
//! A script file (`-f FILE`) is read where its text is known: a file on disk or written earlier in
//! the call (as any file a call runs), what sed reads from its input (`-f -`, `-f /dev/stdin`: a
//! heredoc, a here-string, a pipe) or a process substitution prints (`-f <(echo …)`).

/// The most sed commands of one script read, and the most commands found to run.
const MOST_COMMANDS: usize = 4096;
const MOST_FOUND: usize = 64;

/// Whether `program` is (GNU) sed.
pub fn is_sed(program: &str) -> bool {
    matches!(program, "sed" | "gsed")
}

/// The shell commands that sed, given `args`, runs: those of its scripts (`-e SCRIPT`,
/// `--expression=SCRIPT`, or its first operand when given none). Empty under `--sandbox`, which
/// refuses `e`; a script file (`-f FILE`) is read apart (see [`script_files`]).
pub fn commands_run(args: &[String]) -> Vec<String> {
    let options = options(args);
    if options.sandbox {
        return Vec::new();
    }
    commands_of_script(&options.scripts.join("\n"))
}

/// The files sed reads a script from (`-f FILE`, `--file=FILE`), in order; none under
/// `--sandbox`.
pub fn script_files(args: &[String]) -> Vec<&str> {
    let options = options(args);
    if options.sandbox {
        return Vec::new();
    }
    options.files
}

/// The shell commands that `text`, a script file sed reads, runs.
pub fn commands_of_file(text: &str) -> Vec<String> {
    commands_of_script(text)
}

/// [`commands_of_file`], one command a line.
pub fn script_of_file(text: &str) -> String {
    commands_of_file(text).join("\n")
}

/// Whether a script file sed reads is its standard input (`-f -`, `-f /dev/stdin`).
pub fn is_input(file: &str) -> bool {
    matches!(file, "-" | "/dev/stdin" | "/proc/self/fd/0" | "/dev/fd/0")
}

/// What sed's options say: its scripts, its script files, and `--sandbox`.
struct Options<'a> {
    scripts: Vec<&'a str>,
    files: Vec<&'a str>,
    sandbox: bool,
}

fn options(args: &[String]) -> Options<'_> {
    let mut scripts: Vec<&str> = Vec::new();
    let mut files: Vec<&str> = Vec::new();
    let mut sandbox = false;
    let mut given_a_script = false;
    let mut operand = None;
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            operand = operand.or_else(|| words.next());
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, glued) = super::words::name_and_value(long);
            // getopt takes any prefix that names one option alone: `--e=…` is `--expression=…`.
            match long_option(name).unwrap_or(name) {
                "sandbox" => sandbox = true,
                "expression" => {
                    given_a_script = true;
                    scripts.extend(glued.or_else(|| words.next().map(String::as_str)));
                }
                "file" => {
                    given_a_script = true;
                    files.extend(glued.or_else(|| words.next().map(String::as_str)));
                }
                "line-length" if glued.is_none() => {
                    words.next();
                }
                _ => {}
            }
        } else if let Some(letters) = word.strip_prefix('-').filter(|letters| !letters.is_empty()) {
            // As getopt reads them: `-i` takes the rest of its word as a suffix; `-e`, `-f` and
            // `-l` the rest of the word, or the next one.
            for (at, letter) in letters.char_indices() {
                let rest = &letters[at + 1..];
                match letter {
                    'i' => break,
                    'e' | 'f' | 'l' => {
                        let value = if rest.is_empty() { words.next().map(String::as_str) } else { Some(rest) };
                        if letter != 'l' {
                            given_a_script = true;
                        }
                        match letter {
                            'e' => scripts.extend(value),
                            'f' => files.extend(value),
                            _ => {}
                        }
                        break;
                    }
                    _ => {}
                }
            }
        } else if operand.is_none() {
            operand = Some(word);
        }
    }
    if !given_a_script {
        scripts.extend(operand.map(String::as_str));
    }
    Options { scripts, files, sandbox }
}

/// GNU sed's long options.
const LONG_OPTIONS: &[&str] = &[
    "debug",
    "expression",
    "file",
    "follow-symlinks",
    "in-place",
    "line-length",
    "null-data",
    "zero-terminated",
    "posix",
    "quiet",
    "silent",
    "regexp-extended",
    "sandbox",
    "separate",
    "unbuffered",
    "help",
    "version",
];

/// The long option `name` stands for: itself, or the one option it is a prefix of.
fn long_option(name: &str) -> Option<&'static str> {
    let mut named = LONG_OPTIONS.iter().filter(|option| option.starts_with(name) && !name.is_empty());
    let first = named.next()?;
    (named.next().is_none() || *first == name).then_some(*first)
}

/// The shell commands that the sed script `script` runs. Where the script cannot be read to its
/// end (a construct this does not know, more than [`MOST_COMMANDS`]), every `e` that could be a
/// command in the rest is taken for one: what cannot be read is not let through.
fn commands_of_script(script: &str) -> Vec<String> {
    let chars: Vec<char> = script.chars().collect();
    let mut found = Vec::new();
    let mut at = 0;
    let mut read_to_the_end = false;
    for _ in 0..MOST_COMMANDS {
        at = skip(&chars, at, |c| c.is_whitespace() || c == ';');
        if at >= chars.len() || found.len() >= MOST_FOUND {
            read_to_the_end = true;
            break;
        }
        if chars[at] == '#' {
            at = line_end(&chars, at);
            continue;
        }
        let Some(after_address) = address_end(&chars, at) else { break };
        at = skip(&chars, after_address, |c| c == ' ' || c == '\t' || c == '!');
        let Some(&command) = chars.get(at) else { break };
        at += 1;
        match command {
            '{' | '}' | '=' | 'd' | 'D' | 'g' | 'G' | 'h' | 'H' | 'x' | 'n' | 'N' | 'p' | 'P' | 'z' | 'F' => {}
            // Text, a file name or a command, up to the end of the line.
            'a' | 'i' | 'c' | 'r' | 'R' | 'w' | 'W' | 'e' => {
                let end = text_end(&chars, at);
                if command == 'e' {
                    let text: String = chars[at..end].iter().collect();
                    // A bare `e` runs the pattern space, which the script does not spell out.
                    found.extend(Some(text.trim().to_owned()).filter(|text| !text.is_empty()));
                }
                at = end;
            }
            // A label, or an exit code: up to `;` or the end of the line.
            ':' | 'b' | 't' | 'T' | 'q' | 'Q' | 'l' | 'L' | 'v' => {
                at = skip(&chars, at, |c| c != ';' && c != '\n');
            }
            's' | 'y' => {
                let Some(delimiter) = chars.get(at).copied().filter(|c| *c != '\n' && *c != '\\') else { break };
                let pattern_end = if command == 's' {
                    regex_end(&chars, at + 1, delimiter)
                } else {
                    delimited_end(&chars, at + 1, delimiter)
                };
                let Some(pattern_end) = pattern_end else { break };
                let Some(replacement_end) = delimited_end(&chars, pattern_end + 1, delimiter) else { break };
                at = replacement_end + 1;
                if command == 'y' {
                    continue;
                }
                // Flags: `g`, `p`, a number, `i`/`I`, `m`/`M`, `e`; `w FILE` takes the rest of the line.
                let flags_end = skip(&chars, at, |c| c.is_ascii_alphanumeric() && c != 'w');
                if chars[at..flags_end].contains(&'e') {
                    let replacement: String = chars[pattern_end + 1..replacement_end].iter().collect();
                    found.push(unescaped(&replacement, delimiter));
                }
                at = if chars.get(flags_end) == Some(&'w') { line_end(&chars, flags_end) } else { flags_end };
            }
            // Not a command this reads: what follows cannot be told apart.
            _ => break,
        }
    }
    if !read_to_the_end {
        let rest: String = chars.get(at.min(chars.len())..).unwrap_or_default().iter().collect();
        found.extend(E_ANYWHERE.captures_iter(&rest).map(|e| e[1].trim().to_owned()).take(MOST_FOUND));
    }
    found
}

/// An `e COMMAND` wherever a command could start: after a `;`, a line break, a brace, an address
/// (a number, `$`, a regex's closing delimiter) or at the start.
static E_ANYWHERE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?m)(?:^|[;{}0-9$/|!])\s*e[ 	]+([^;
}]+)",
    )
    .expect("a valid regex")
});

/// Where the address before a command ends: none, a line number (`1`, `0~4`), `$`, `/REGEX/` or
/// `\cREGEXc` with its flags (`I`, `M`), then maybe `,` and a second (also `+N`, `~N`).
/// `None` for an address that does not end.
fn address_end(chars: &[char], at: usize) -> Option<usize> {
    let one = |at: usize| -> Option<usize> {
        match chars.get(at) {
            Some(c) if c.is_ascii_digit() => Some(skip(chars, at, |c| c.is_ascii_digit() || c == '~')),
            Some('$') => Some(at + 1),
            Some('/') => regex_end(chars, at + 1, '/').map(|end| skip(chars, end + 1, |c| c == 'I' || c == 'M')),
            Some('\\') => {
                let delimiter = *chars.get(at + 1)?;
                regex_end(chars, at + 2, delimiter).map(|end| skip(chars, end + 1, |c| c == 'I' || c == 'M'))
            }
            _ => Some(at),
        }
    };
    let first = one(at)?;
    if first == at || chars.get(first) != Some(&',') {
        return Some(first);
    }
    let second = skip(chars, first + 1, |c| c == ' ' || c == '\t');
    match chars.get(second) {
        Some('+' | '~') => Some(skip(chars, second + 1, |c| c.is_ascii_digit())),
        _ => one(second),
    }
}

/// Where the part of an `s` or `y` command (or a regex address) that starts at `at` ends: the
/// `delimiter` not escaped by a backslash.
fn delimited_end(chars: &[char], mut at: usize, delimiter: char) -> Option<usize> {
    while let Some(&c) = chars.get(at) {
        if c == '\\' {
            at += 2;
        } else if c == delimiter {
            return Some(at);
        } else {
            at += 1;
        }
    }
    None
}

/// [`delimited_end`] for a regex, where a bracket expression holds the delimiter as a character
/// of its own (`s/[/]/x/`: the `/` in brackets ends nothing).
fn regex_end(chars: &[char], mut at: usize, delimiter: char) -> Option<usize> {
    while let Some(&c) = chars.get(at) {
        match c {
            '\\' => at += 2,
            '[' => {
                // `]` right after `[` or `[^` is a member; `[:alpha:]` and the like end at `:]`.
                let mut inside = at + 1;
                inside += usize::from(chars.get(inside) == Some(&'^'));
                inside += usize::from(chars.get(inside) == Some(&']'));
                while let Some(&member) = chars.get(inside) {
                    match member {
                        ']' => break,
                        '[' if matches!(chars.get(inside + 1), Some(':' | '.' | '=')) => {
                            let close = chars[inside + 1];
                            inside += 2;
                            while chars.get(inside).is_some_and(|&c| c != close || chars.get(inside + 1) != Some(&']'))
                            {
                                inside += 1;
                            }
                            inside += 2;
                        }
                        _ => inside += 1,
                    }
                }
                at = inside + 1;
            }
            _ if c == delimiter => return Some(at),
            _ => at += 1,
        }
    }
    None
}

/// Where the text of `a`, `i`, `c`, `r`, `w` or `e` ends: at the end of the line, or further
/// where a backslash continues it.
fn text_end(chars: &[char], mut at: usize) -> usize {
    while let Some(&c) = chars.get(at) {
        match c {
            '\\' => at += 2,
            '\n' => return at,
            _ => at += 1,
        }
    }
    chars.len()
}

fn line_end(chars: &[char], at: usize) -> usize {
    skip(chars, at, |c| c != '\n')
}

fn skip(chars: &[char], at: usize, while_: impl Fn(char) -> bool) -> usize {
    at + chars.get(at..).unwrap_or_default().iter().take_while(|c| while_(**c)).count()
}

/// A replacement as sed writes it in: `\DELIMITER` and `\\` are the character, `\n` a line break.
fn unescaped(replacement: &str, delimiter: char) -> String {
    let mut out = String::with_capacity(replacement.len());
    let mut chars = replacement.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(next) if next == delimiter || next == '\\' => out.push(next),
            Some(next) => {
                out.push('\\');
                out.push(next);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Vec<String> {
        commands_run(&shlex::split(line).expect("a line that splits"))
    }

    #[test]
    fn the_e_command_and_the_e_flag_run_a_command() {
        assert_eq!(run("-n '1e rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("'s/x/rm -rf ~/e' f"), ["rm -rf ~"]);
        assert_eq!(run("-e 's|.*|rm -rf \\|x|ge' f"), ["rm -rf |x"]);
        assert_eq!(run("-n -e p -e '$e git push -f' f"), ["git push -f"]);
        assert_eq!(run("--expression='/^#/d;e rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("-ne '1,/end/{e rm -rf ~\n}' f"), ["rm -rf ~"]);
        assert_eq!(run("'s/a/b/w out.txt\ne rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("-i.bak '1!G;h;$!d;0~3e rm -rf ~' f"), ["rm -rf ~"]);
    }

    #[test]
    fn a_script_whose_letters_only_look_alike_runs_nothing() {
        for line in [
            "-n 1p f",
            "'s/e/x/' f",
            "-i 's/e/x/g' f",
            "-i.bak -e '/^#/d' config/app.conf",
            "-i '/console.log/d' src/a.ts",
            "-n '/start/,/end/p' f",
            "'s/pick/edit/;/^e /d' f",
            "-e 'y/abc/xyz/' -e 's/x\\/e/y/w e.txt' f",
            "'1i\\\ne rm -rf ~' f",
            "'a e rm -rf ~' f",
            "-E 's/(e)+/\\1/2g' f",
            "-e 'b end' -e ':end' f",
            "'1e' f",
        ] {
            assert!(run(line).is_empty(), "{line}");
        }
    }

    #[test]
    fn abbreviations_brackets_and_scripts_too_long_to_read_do_not_hide_a_command() {
        assert_eq!(run("--e='1e rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("--expr '1e rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("-n 's/[/]/X/p;1e rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("-n 's/[]/]/X/p;s/[[:space:]/]//;1e rm -rf ~' f"), ["rm -rf ~"]);
        let long = format!("-n '{}1e rm -rf ~' f", "x;".repeat(MOST_COMMANDS + 10));
        assert_eq!(run(&long), ["rm -rf ~"]);
        // A construct this does not read: the `e` after it still counts.
        assert_eq!(run("-n '1~2!{K};2e rm -rf ~' f"), ["rm -rf ~"]);
        assert!(run("--sa '1e rm -rf ~' f").is_empty(), "--sa is --sandbox, the only option it starts");
    }

    #[test]
    fn a_sandboxed_sed_runs_nothing_and_a_script_file_is_read_apart() {
        assert!(run("--sandbox '1e rm -rf ~' f").is_empty());
        assert!(run("-f script.sed '1e rm -rf ~'").is_empty(), "the operand is a file");
        let files = |line: &str| {
            let args = shlex::split(line).expect("a line that splits");
            script_files(&args).iter().map(|file| file.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(files("-n -f a.sed -fb.sed --file=c.sed --fi d.sed -i x"), ["a.sed", "b.sed", "c.sed", "d.sed"]);
        assert_eq!(files("-nf - x"), ["-"]);
        assert!(files("--sandbox -f a.sed x").is_empty());
        assert!(files("-e p -- -f x").is_empty());
        assert_eq!(commands_of_file("#n\n/x/d\n1e rm -rf ~\n"), ["rm -rf ~"]);
        // `-ie` is `-i` with the suffix `e`: the script is the first operand.
        assert_eq!(run("-ie '1e rm -rf ~' f"), ["rm -rf ~"]);
    }
}
