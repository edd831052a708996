//! What an interpreter's one-liner does that a shell command would say outright: `python3 -c
//! "import os; os.system('rm -rf ~')"` runs `rm -rf ~`, and `node -e
//! "fs.rmSync(os.homedir(), {recursive: true})"` is `rm -rf $HOME`. So the code given to python,
//! node, bun, deno, perl, ruby, php, lua or awk on the command line is read as the script of shell
//! commands it amounts to, which every command rule then judges (and vim's expressions, see
//! [`script_of_vim_expression`]):
//!
//! - a string handed to a shell (`os.system`, `subprocess.run(…, shell=True)`, `execSync`,
//!   perl's and ruby's `system` and backquotes, php's `shell_exec`, awk's `system`) is its script;
//!   a list handed to a program (`subprocess.run(["rm", "-rf", home])`) is its words;
//! - the calls that delete a tree or a file, or open one to write, are the `rm -rf`, `rm` or `>`
//!   that does the same (`shutil.rmtree`, `fs.rmSync`, `File::Path::remove_tree`,
//!   `FileUtils.rm_rf`, `open(path, 'w')`).
//!
//! Only what the code spells out is read: string literals, joined by `+`, `.`, a path join or
//! pathlib's `/`, and the home directory however the language names it (`os.path.expanduser('~')`,
//! `process.env.HOME`, `$ENV{HOME}`, `Dir.home`), which is written `$HOME`. Any other value is a
//! word no rule knows (`$VALUE`), as a variable the script did not set is.

use std::sync::LazyLock;

use regex::Regex;

use super::{perl_quotes, SimpleCommand};

/// The most commands read out of one program's code, and the most bytes of script they make:
/// the code is the agent's to write, and may be built to be slow to read.
const MOST_CALLS: usize = 64;
const MOST_BYTES: usize = 64 * 1024;

/// Stands for a value the code computes: a word no rule knows, as an unset variable is.
const UNKNOWN: &str = "$VALUE";

/// The script of shell commands that the code `command` gives its interpreter amounts to; `None`
/// for any other command, or code that runs none.
pub fn script_of(command: &SimpleCommand) -> Option<String> {
    let family = family(command.program())?;
    script_of_code(family, &code_of(family, command.program(), command.args())?)
}

/// The script of shell commands that `code`, fed to `command` as its input (`python3 - <<'EOF'`),
/// amounts to; `None` when `command` is no interpreter reading its code from its input.
pub fn script_of_input(command: &SimpleCommand, code: &str) -> Option<String> {
    let family = family(command.program())?;
    // Given code or a script file, it reads neither from its input.
    let operands = command.args().iter().filter(|arg| !arg.starts_with('-') || *arg == "-").count();
    let reads_input = command.args().iter().any(|arg| arg == "-") || operands == 0;
    if !reads_input || code_of(family, command.program(), command.args()).is_some() || family == Family::Awk {
        return None;
    }
    script_of_code(family, code)
}

/// The script of shell commands that `code`, the file `command` runs (`python3 x.py`, written
/// earlier in the same call), amounts to.
pub fn script_of_file(command: &SimpleCommand, code: &str) -> Option<String> {
    script_of_code(family(command.program())?, code)
}

/// The script of shell commands that the code `code` in the language `program` runs (`python3`,
/// `lua`, …: vim's `:py3 CODE`, `:lua CODE`); `None` for a program that is no interpreter read here.
pub fn script_of_language(program: &str, code: &str) -> Option<String> {
    script_of_code(family(program)?, code)
}

/// The script of shell commands a vim expression runs (`system('…')`, `systemlist`, `jobstart`,
/// `job_start`, `termopen`, `term_start`, a string a shell runs, a list a program and its words),
/// or deletes (`delete(PATH, 'rf')`, `delete(PATH)`), the home directory read in `expand('~')`
/// and `$HOME`.
pub fn script_of_vim_expression(code: &str) -> Option<String> {
    if !VIM_CALL.is_match(code) {
        return None;
    }
    let code = VIM_TREE_DELETE.replace_all(code, "rmtree($path)");
    let code = VIM_CALL.replace_all(&code, |found: &regex::Captures| match &found["name"] {
        "delete" => "remove(".to_owned(),
        _ => "system(".to_owned(),
    });
    let code = VIM_HOME.replace_all(&code, "process.env.HOME");
    script_of_code(Family::Python, &code)
}

/// The calls of vim's functions that run or delete something, and `delete(PATH, 'rf')`.
static VIM_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?P<name>system|systemlist|jobstart|job_start|termopen|term_start|delete)\s*\(")
        .expect("a valid regex")
});
static VIM_TREE_DELETE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bdelete\s*\((?P<path>[^()]*(?:\([^()]*\)[^()]*)*?),\s*['"]rf['"]\s*\)"#).expect("a valid regex")
});
/// The home directory as vim names it: `expand('~')` (`expand("$HOME")`), and `$HOME`.
static VIM_HOME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\bexpand\(\s*['"](?:~|\$HOME)/?['"]\s*\)|\$HOME\b"#).expect("a valid regex"));

fn script_of_code(family: Family, code: &str) -> Option<String> {
    // perl's `q(…)`, `qq{…}` and `qw(…)`, read as the literals they quote.
    let code = if family == Family::Perl { perl_quotes::as_literals(code) } else { code.into() };
    // lua's `os.execute(…)` runs a shell as `system` does, and a table is a list.
    let code = if family == Family::Lua { lua_as_read(&code).into() } else { code };
    let code = code.as_ref();
    let mut script = String::new();
    let mut calls = 0;
    // Each call's arguments are read over up to 4 KiB: calls that give nothing count too, so
    // code of nested calls (`f(f(f(…` ) is read in bounded time.
    for found in CALL.captures_iter(code).take(4 * MOST_CALLS) {
        if calls == MOST_CALLS || script.len() > MOST_BYTES {
            break;
        }
        // After the open parenthesis, or from perl's first argument (`system "…"`).
        let start = found.name("bare").map_or_else(|| found.get(0).expect("a match").end(), |bare| bare.start());
        let name = found.name("name").map_or("", |m| m.as_str());
        let Some(line) = command_of_call(name, &code[start..]) else { continue };
        script.push_str(&line);
        script.push('\n');
        calls += 1;
    }
    // Backquotes run a command in perl, ruby and php; in javascript they make a string.
    let backquotes_run = matches!(family, Family::Perl | Family::Ruby | Family::Php);
    for quoted in BACKQUOTED.captures_iter(code).take(if backquotes_run { MOST_CALLS } else { 0 }) {
        let inside = ["inside", "paren", "brace"].iter().find_map(|name| quoted.name(name)).map_or("", |m| m.as_str());
        script.push_str(&with_home_interpolated(inside));
        script.push('\n');
    }
    (!script.is_empty()).then_some(script)
}

/// lua's code with what runs a command spelled as the calls read here spell it: `os.execute(…)`
/// and neovim's `vim.fn.jobstart(…)`, `vim.fn.termopen(…)` as `system(…)`, and a table given to
/// a call (`vim.system({'rm', '-rf', dir})`) as a list.
fn lua_as_read(code: &str) -> String {
    let code = LUA_RUNS.replace_all(code, "system(");
    let mut out = String::with_capacity(code.len());
    let mut depth_in_table = 0usize;
    let mut previous = ' ';
    for c in code.chars() {
        match c {
            '{' if previous == '(' => {
                depth_in_table += 1;
                out.push('[');
            }
            '}' if depth_in_table > 0 => {
                depth_in_table -= 1;
                out.push(']');
            }
            _ => out.push(c),
        }
        if !c.is_whitespace() {
            previous = c;
        }
    }
    out
}

static LUA_RUNS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:os\.execute|jobstart|termopen)\s*\(").expect("a valid regex"));

/// The code an interpreter is given on its command line: python's `-c CODE`, node's, bun's and
/// deno's `-e`/`-p`/`--eval`/`--print CODE` (deno's `eval CODE`), perl's, ruby's and lua's
/// `-e`/`-E CODE` (all of them), php's `-r CODE`, awk's program (its first operand).
fn code_of(family: Family, program: &str, args: &[String]) -> Option<String> {
    let mut codes: Vec<&str> = Vec::new();
    let mut words = args.iter().enumerate();
    while let Some((at, word)) = words.next() {
        // Code glued to its option: `-c"…"`, `-e'…'`, `--eval=…`.
        if let Some(glued) = glued_code(family, word) {
            codes.push(glued);
            if family == Family::Python {
                break;
            }
            continue;
        }
        let takes_code = match family {
            Family::Python => short_option_ending(word, 'c'),
            Family::Node => {
                matches!(word.as_str(), "-e" | "-p" | "--eval" | "--print" | "-pe")
                    || (program == "deno" && at == 0 && word == "eval")
            }
            Family::Perl | Family::Ruby => short_option_ending(word, 'e') || short_option_ending(word, 'E'),
            Family::Lua => word == "-e",
            Family::Php => word == "-r",
            Family::Awk => {
                if matches!(word.as_str(), "-e" | "--source") {
                    true
                } else if matches!(
                    word.as_str(),
                    "-F" | "-v"
                        | "-f"
                        | "-i"
                        | "-l"
                        | "--file"
                        | "--include"
                        | "--load"
                        | "--assign"
                        | "--field-separator"
                ) {
                    words.next();
                    continue;
                } else if word.starts_with('-') {
                    continue;
                } else {
                    codes.push(word);
                    break;
                }
            }
        };
        if takes_code {
            if let Some((_, code)) = words.next() {
                codes.push(code);
            }
            // Python runs its code and takes what follows as the script's arguments.
            if family == Family::Python {
                break;
            }
        }
    }
    (!codes.is_empty()).then(|| codes.join("\n"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Python,
    Node,
    Perl,
    Ruby,
    Php,
    Lua,
    Awk,
}

/// Whether `program` is one of the interpreters whose code is read (python3, node, perl, …).
pub fn is_interpreter(program: &str) -> bool {
    family(program).is_some()
}

fn family(program: &str) -> Option<Family> {
    let versioned = |name: &str, base: &str| {
        name.strip_prefix(base).is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
    };
    Some(match program {
        p if versioned(p, "python") || versioned(p, "pypy") => Family::Python,
        "node" | "nodejs" | "bun" | "deno" => Family::Node,
        p if versioned(p, "perl") => Family::Perl,
        p if versioned(p, "ruby") => Family::Ruby,
        p if versioned(p, "php") => Family::Php,
        p if versioned(p, "lua") || p == "luajit" => Family::Lua,
        "awk" | "gawk" | "mawk" | "nawk" => Family::Awk,
        _ => return None,
    })
}

/// The code glued to the option that takes it, in one word: python's `-c"…"`, perl's and ruby's
/// `-e'…'`, php's `-r…`, node's `--eval=…` and `-e…`.
fn glued_code(family: Family, word: &str) -> Option<&str> {
    let long = |name: &str| word.strip_prefix(name).and_then(|rest| rest.strip_prefix('='));
    match family {
        Family::Node => long("--eval").or_else(|| long("--print")).or_else(|| attached(word, 'e')),
        Family::Python => attached(word, 'c'),
        Family::Perl | Family::Ruby => attached(word, 'e').or_else(|| attached(word, 'E')),
        Family::Php => attached(word, 'r'),
        Family::Lua => attached(word, 'e'),
        Family::Awk => None,
    }
}

/// The text after `-X` in one word (`-c"import os"` as the shell gives it: `-cimport os`), when
/// what follows is not more option letters.
fn attached(word: &str, letter: char) -> Option<&str> {
    let rest = word.strip_prefix('-')?.strip_prefix(letter)?;
    (!rest.is_empty() && !rest.chars().all(|c| c.is_ascii_alphabetic())).then_some(rest)
}

/// `-c`, or short options glued before it (`-Bc`, `-le`).
fn short_option_ending(word: &str, letter: char) -> bool {
    word.len() >= 2
        && word.starts_with('-')
        && !word.starts_with("--")
        && word.ends_with(letter)
        && word[1..].chars().all(|c| c.is_ascii_alphabetic())
}

/// A call that runs a shell command, deletes, or opens a file to write, and the open
/// parenthesis (or perl's space) its arguments start after.
static CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:^|[^A-Za-z0-9_$])
        (?P<name>
            system | popen | popen[23] | spawn | getoutput | getstatusoutput | check_output | check_call
            | call | run | Popen | exec | execSync | execFileSync | spawnSync | shell_exec | passthru
            | proc_open | capture2e? | capture3 | pipeline
            | rmtree | rmSync | rmdirSync | rm | rmdir | remove_tree | rm_rf | rm_r | remove_dir
            | remove_entry | remove_entry_secure | rmtree_p | rimraf | emptyDirSync | removeSync
            | unlink | unlinkSync | remove | unlink_p
            | open | writeFileSync | appendFileSync | truncate | truncateSync
            | copyFileSync | copyfile | copy2? | move | rename | renameSync
        )
        [\ \t]*(?:\(|[\ \t]+(?P<bare>['\x22\[$]))",
    )
    .expect("a valid regex")
});

/// A backquoted command in perl, ruby or php (`` `rm -rf ~` ``), or `qx(…)` / `%x(…)`.
static BACKQUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:`(?P<inside>[^`]*)`|(?:qx|%x)(?:\((?P<paren>[^)]*)\)|\{(?P<brace>[^}]*)\}))")
        .expect("a valid regex")
});

/// The shell command a call amounts to, from the text after its open parenthesis.
fn command_of_call(name: &str, after: &str) -> Option<String> {
    let arguments = arguments(after);
    let first = arguments.first()?;
    let path = || first.as_path();
    let line = match name {
        "rmtree"
        | "rmSync"
        | "rmdirSync"
        | "remove_tree"
        | "rm_rf"
        | "rm_r"
        | "remove_dir"
        | "remove_entry"
        | "remove_entry_secure"
        | "rimraf"
        | "emptyDirSync"
        | "removeSync"
        | "rmtree_p" => {
            format!("rm -rf {}", quoted(&path()?))
        }
        // node's `fs.rm(path, {recursive: true})` deletes a tree; without the option, one file.
        "rm" | "rmdir" if call_text(after).contains("recursive") => format!("rm -rf {}", quoted(&path()?)),
        "rm" | "rmdir" | "unlink" | "unlinkSync" | "remove" | "unlink_p" => format!("rm {}", quoted(&path()?)),
        "open" | "writeFileSync" | "appendFileSync" | "truncate" | "truncateSync" => {
            // python's and ruby's `open(path, mode)`: only a mode that writes.
            let mode = arguments.get(1).and_then(Argument::as_text).unwrap_or("r");
            let operator = match name {
                "open" if mode.contains('a') => ">>",
                "open" if mode.contains(['w', 'x']) => ">",
                // `r+` writes without emptying the file first.
                "open" if mode.contains('+') => ">>",
                "open" => return None,
                "appendFileSync" => ">>",
                _ => ">",
            };
            format!("{operator} {}", quoted(&path()?))
        }
        "copyFileSync" | "copyfile" | "copy" | "copy2" => {
            format!("cp {} {}", quoted(&path()?), quoted(&arguments.get(1)?.as_path()?))
        }
        "move" | "rename" | "renameSync" => {
            format!("mv {} {}", quoted(&path()?), quoted(&arguments.get(1)?.as_path()?))
        }
        // node's `spawnSync(PROGRAM, [ARGS…])`, `execFile(…)`: the program, then the list's words.
        "spawn" | "spawnSync" | "execFile" | "execFileSync" if arguments.len() > 1 => match (first, &arguments[1]) {
            (Argument::Text(program), Argument::List(words)) => {
                std::iter::once(program).chain(words).map(|word| quoted(word)).collect::<Vec<_>>().join(" ")
            }
            _ => return None,
        },
        // What runs a command: a string is a shell script, a list a program and its words.
        _ => match first {
            Argument::List(words) => words.iter().map(|word| quoted(word)).collect::<Vec<_>>().join(" "),
            // perl's and php's `system(PROGRAM, ARGS…)`: more than one argument are words.
            Argument::Text(text)
                if arguments.len() > 1 && matches!(name, "system" | "exec") && all_text(&arguments) =>
            {
                arguments.iter().filter_map(Argument::as_text).map(quoted).collect::<Vec<_>>().join(" ")
            }
            Argument::Text(text) => text.clone(),
            Argument::Other => return None,
        },
    };
    Some(line)
}

fn all_text(arguments: &[Argument]) -> bool {
    arguments.iter().all(|argument| matches!(argument, Argument::Text(_)))
}

/// `word` quoted for the shell as one word: single-quoted, but for a path from `$HOME` and the
/// value no rule knows, which are double-quoted, so the reference stays one (a quote is taken
/// off before a rule reads the word either way).
fn quoted(word: &str) -> String {
    if word.starts_with("$HOME") || word == UNKNOWN {
        let rest = word[1..].replace('\\', r"\\").replace(['"', '`', '$'], "_");
        return format!("\"${rest}\"");
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The text of a call's arguments, up to its closing parenthesis (or 4 KiB).
fn call_text(after: &str) -> &str {
    let mut depth = 0usize;
    for (at, c) in after.char_indices().take(4096) {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' if depth == 0 => return &after[..at],
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    &after[..after.char_indices().nth(4096).map_or(after.len(), |(at, _)| at)]
}

/// One argument of a call, as far as it can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Argument {
    /// A text built of string literals and known values.
    Text(String),
    /// A list of such texts (`["rm", "-rf", home]`).
    List(Vec<String>),
    /// Anything else.
    Other,
}

impl Argument {
    fn as_text(&self) -> Option<&str> {
        match self {
            Argument::Text(text) => Some(text),
            _ => None,
        }
    }

    fn as_path(&self) -> Option<String> {
        self.as_text().filter(|text| !text.is_empty()).map(str::to_owned)
    }
}

/// The arguments of a call, read from the text after its open parenthesis up to the one that
/// closes it (or the end of the statement, for perl's `system "…"`).
fn arguments(after: &str) -> Vec<Argument> {
    let chars: Vec<char> = after.chars().take(4096).collect();
    let mut at = 0;
    let mut found = Vec::new();
    while at < chars.len() && found.len() < 16 {
        at = after_keyword(&chars, at);
        let (argument, end) = expression(&chars, at);
        found.push(argument);
        at = end;
        match chars.get(at) {
            Some(',') => at += 1,
            _ => break,
        }
    }
    found
}

/// Where a keyword argument's value starts (`path=` in `rmtree(path='/')`), or `at`.
fn after_keyword(chars: &[char], at: usize) -> usize {
    let start = at + chars[at..].iter().take_while(|c| c.is_whitespace()).count();
    let name = chars[start..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '_').count();
    let is_keyword = name > 0
        && chars.get(start + name) == Some(&'=')
        && chars.get(start + name + 1) != Some(&'=')
        && !chars[start].is_ascii_digit();
    if is_keyword {
        start + name + 1
    } else {
        at
    }
}

/// The expression that starts at `chars[at]`, up to a `,`, `)`, `]`, `;` or `}` outside
/// brackets: string literals and known values joined by `+`, `.`, pathlib's `/` or a space.
fn expression(chars: &[char], mut at: usize) -> (Argument, usize) {
    let mut text = String::new();
    let mut known = true;
    let mut pieces = 0;
    loop {
        while chars.get(at).is_some_and(|c| c.is_whitespace()) {
            at += 1;
        }
        let Some(&c) = chars.get(at) else { break };
        match c {
            ',' | ')' | ']' | ';' | '}' => break,
            '+' | '.' => {
                at += 1;
                continue;
            }
            '/' if pieces > 0 => {
                text.push('/');
                at += 1;
                continue;
            }
            '[' if pieces == 0 => {
                let (words, end) = list(chars, at + 1);
                return (words.map_or(Argument::Other, Argument::List), skip_to_delimiter(chars, end));
            }
            _ => {}
        }
        let (piece, end) = piece(chars, at);
        if end == at {
            break;
        }
        match piece {
            Some(piece) => text.push_str(&piece),
            None => known = false,
        }
        pieces += 1;
        at = end;
    }
    let argument = match (pieces, known) {
        (0, _) => Argument::Other,
        (_, true) => Argument::Text(text),
        // A path built around a value the code computes still names where it is.
        (_, false) if text.starts_with("$HOME") => Argument::Text(text),
        _ => Argument::Other,
    };
    (argument, at)
}

/// The words of a list literal whose items start at `chars[at]`; `None` for one with an item
/// this cannot read. Returns where the text after its `]` starts.
fn list(chars: &[char], mut at: usize) -> (Option<Vec<String>>, usize) {
    let mut words = Vec::new();
    while at < chars.len() && words.len() < 256 {
        let (item, end) = expression(chars, at);
        words.push(match item {
            Argument::Text(text) => text,
            _ => UNKNOWN.to_owned(),
        });
        match chars.get(end) {
            Some(']') => return (Some(words), end + 1),
            Some(',') => at = end + 1,
            _ => return (None, end),
        }
    }
    (None, at)
}

fn skip_to_delimiter(chars: &[char], mut at: usize) -> usize {
    while chars.get(at).is_some_and(|c| !matches!(c, ',' | ')' | ';')) {
        at += 1;
    }
    at
}

/// One piece of an expression at `chars[at]`: a string literal (its text, with the home
/// directory interpolated in it written `$HOME`), a way to name the home directory (`$HOME`),
/// or another value (`None`); and where the text after it starts.
fn piece(chars: &[char], at: usize) -> (Option<String>, usize) {
    // A python string's prefix (`f'…'`, `rb"…"`).
    let prefix = chars[at..].iter().take_while(|c| matches!(c, 'f' | 'r' | 'b' | 'u' | 'F' | 'R' | 'B' | 'U')).count();
    if prefix <= 2 && matches!(chars.get(at + prefix), Some('\'' | '"' | '`')) {
        let quote = chars[at + prefix];
        let start = at + prefix + 1;
        let mut end = start;
        let mut text = String::new();
        while let Some(&c) = chars.get(end) {
            if c == quote {
                break;
            }
            if c == '\\' {
                let hex = |from: usize, len: usize| -> Option<char> {
                    let digits: String = chars.get(from..from + len)?.iter().collect();
                    u32::from_str_radix(&digits, 16).ok().and_then(char::from_u32)
                };
                // `\x7e`, `\u007e`: how code spells a character to hide it.
                match (chars.get(end + 1).copied(), hex(end + 2, 2), hex(end + 2, 4)) {
                    (Some('x'), Some(decoded), _) => {
                        text.push(decoded);
                        end += 4;
                    }
                    (Some('u'), _, Some(decoded)) => {
                        text.push(decoded);
                        end += 6;
                    }
                    (Some(next), _, _) => {
                        text.push(match next {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                        end += 2;
                    }
                    (None, _, _) => end += 2,
                }
                continue;
            }
            text.push(c);
            end += 1;
        }
        return (Some(with_home_interpolated(&text)), (end + 1).min(chars.len()));
    }
    // Another value: up to the next operator or delimiter outside brackets.
    let mut depth = 0usize;
    let mut end = at;
    while let Some(&c) = chars.get(end) {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => break,
            ')' | ']' | '}' => depth -= 1,
            ',' | ';' | '+' if depth == 0 => break,
            // `.` joins in perl and php, and is an attribute in python and js: a value's own dots
            // are kept, and a `.` before a quote joins.
            '.' if depth == 0 && matches!(chars.get(end + 1), Some('\'' | '"' | ' ')) => break,
            '/' if depth == 0 => break,
            c if depth == 0 && c.is_whitespace() => break,
            _ => {}
        }
        end += 1;
    }
    let value: String = chars[at..end].iter().collect();
    if let Some(open) = PATH_JOIN.find(&value).map(|found| found.end()) {
        let parts = arguments(&value[open..]);
        let texts: Option<Vec<&str>> = parts.iter().map(Argument::as_text).collect();
        return (texts.map(|texts| texts.join("/")), end);
    }
    let under = EXPANDED_PATH.captures(&value).and_then(|found| {
        found
            .name("under")
            .or_else(|| found.name("under2"))
            .or_else(|| found.name("under3"))
            .map(|m| m.as_str().to_owned())
    });
    if let Some(under) = under {
        return (Some(format!("$HOME{under}")), end);
    }
    (home_named_by(&value).map(str::to_owned), end)
}

/// A path under `~` that a call expands to one under the home directory: python's
/// `os.path.expanduser('~/.ssh')` and `Path('~/.ssh').expanduser()`, ruby's
/// `File.expand_path('~/.ssh')`.
static EXPANDED_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^(?:(?:os\.path\.)?expanduser\(\s*['"]~(?P<under>/[^'"]*)['"]\s*\)|(?:pathlib\.)?Path\(\s*['"]~(?P<under2>/[^'"]*)['"]\s*\)\.expanduser\(\)|File\.expand_path\(\s*['"]~(?P<under3>/[^'"]*)['"]\s*\))$"#,
    )
    .expect("a valid regex")
});

/// A call that joins a path of its arguments: `os.path.join(…)`, node's `path.join(…)` and
/// `path.resolve(…)`, ruby's `File.join(…)`.
static PATH_JOIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:os\.path\.join|(?:require\(\s*['\x22](?:node:)?path['\x22]\s*\)|path)\.(?:join|resolve)|File\.join)\(",
    )
    .expect("a valid regex")
});

/// `$HOME` for an expression that names the home directory in one of the languages.
fn home_named_by(value: &str) -> Option<&'static str> {
    HOME.is_match(value).then_some("$HOME")
}

/// How the languages name the home directory: python's `os.path.expanduser('~')`,
/// `Path.home()`, `os.environ['HOME']`, `os.getenv('HOME')`; node's `os.homedir()`,
/// `process.env.HOME`; perl's `$ENV{HOME}`; ruby's `Dir.home`, `ENV['HOME']`; php's
/// `getenv('HOME')`, `$_SERVER['HOME']`; awk's `ENVIRON["HOME"]`.
static HOME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)^(?:
            (?:os\.path\.)?expanduser\(\s*['"]~/?['"]\s*\)
            | (?:pathlib\.)?Path\.home\(\)
            | (?:os\.)?environ(?:\.get)?\s*[\[(]\s*['"](?:HOME|USERPROFILE)['"]\s*[\])]
            | (?:os\.)?getenv\(\s*['"](?:HOME|USERPROFILE)['"]\s*\)
            | (?:require\(\s*['"](?:node:)?os['"]\s*\)|os)\.homedir\(\)
            | process\.env(?:\.HOME|\[\s*['"]HOME['"]\s*\])
            | \$ENV\{\s*['"]?HOME['"]?\s*\}
            | Dir\.home | ENV\[\s*['"]HOME['"]\s*\] | ENV\.fetch\(\s*['"]HOME['"]\s*\)
            | \$_SERVER\[\s*['"]HOME['"]\s*\]
            | ENVIRON\[\s*"HOME"\s*\]
            | str\(\s*(?:pathlib\.)?Path\.home\(\)\s*\)
            | File\.expand_path\(\s*['"]~['"]\s*\)
        )$"#,
    )
    .expect("a valid regex")
});

/// `text` (a string literal's) with the home directory it interpolates written `$HOME`: perl's
/// and php's `$ENV{HOME}`, ruby's `#{Dir.home}`, js's `${os.homedir()}`, python's
/// `{os.environ['HOME']}`; a path under `~` that expanduser or expand_path takes is left as it is.
fn with_home_interpolated(text: &str) -> String {
    if !text.contains(['$', '{']) {
        return text.to_owned();
    }
    INTERPOLATED_HOME.replace_all(text, "$$HOME").into_owned()
}

static INTERPOLATED_HOME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
            \$ENV\{\s*['"]?HOME['"]?\s*\}
            | \#\{\s*(?:Dir\.home|ENV\[\s*['"]HOME['"]\s*\])\s*\}
            | \$\{\s*(?:(?:require\(\s*['"](?:node:)?os['"]\s*\)|os)\.homedir\(\)|process\.env\.HOME)\s*\}
            | \{\s*(?:os\.environ\[\s*['"]HOME['"]\s*\]|(?:pathlib\.)?Path\.home\(\)|os\.path\.expanduser\(\s*['"]~['"]\s*\))\s*\}
        "#,
    )
    .expect("a valid regex")
});

#[cfg(test)]
mod tests {
    use super::super::commands;

    /// The commands found in a call, as text.
    fn read(script: &str) -> Vec<String> {
        commands(script).iter().map(|command| command.words.join(" ")).collect()
    }

    fn finds(script: &str, want: &str) {
        let found = read(script);
        assert!(found.iter().any(|line| line == want), "{script}\n  read as {found:?}\n  wanted {want}");
    }

    #[test]
    fn lua_and_vim_expressions_are_read_as_the_others_are() {
        finds(r#"lua -e 'os.execute("rm -rf ~")'"#, "rm -rf ~");
        finds(r#"lua5.4 -e 'io.popen("git push -f origin main")'"#, "git push -f origin main");
        finds(r#"luajit -e "os.execute('rm -rf ' .. os.getenv('HOME'))""#, "rm -rf $HOME");
        finds(r#"lua -e "vim.system({'rm', '-rf', '/'})""#, "rm -rf /");
        let vim = |code: &str| super::script_of_vim_expression(code).unwrap_or_default();
        assert_eq!(vim("call system('rm -rf ~')"), "rm -rf ~\n");
        assert_eq!(vim("let x = systemlist(\"rm -rf \" . $HOME)"), "rm -rf $HOME\n");
        assert_eq!(vim("call jobstart(['rm', '-rf', expand('~')])"), "'rm' '-rf' \"$HOME\"\n");
        assert_eq!(vim("call delete(expand('~'), 'rf')"), "rm -rf \"$HOME\"\n");
        assert_eq!(vim("call delete('notes.txt')"), "rm 'notes.txt'\n");
        assert_eq!(vim("echo 'system' | set nu"), "");
    }

    #[test]
    fn a_string_given_to_a_shell_is_read_as_its_script() {
        finds(r#"python3 -c "import os; os.system('rm -rf ~/.ssh')""#, "rm -rf ~/.ssh");
        finds(r#"python -c "__import__('os').system('rm -rf ~')""#, "rm -rf ~");
        finds(
            r#"python3 -c "import subprocess; subprocess.run('git push -f origin main', shell=True)""#,
            "git push -f origin main",
        );
        finds(
            r#"node -e "require('child_process').execSync('rm -rf ' + process.env.HOME + '/.aws')""#,
            "rm -rf $HOME/.aws",
        );
        finds(r#"php -r 'system("rm -rf " . getenv("HOME") . "/.aws");'"#, "rm -rf $HOME/.aws");
        finds(r#"awk 'BEGIN { system("rm -rf ~/.gnupg") }'"#, "rm -rf ~/.gnupg");
        finds(r#"perl -e 'system("rm -rf $ENV{HOME}/.ssh")'"#, "rm -rf $HOME/.ssh");
        finds(r#"ruby -e '`rm -rf ~/.kube`'"#, "rm -rf ~/.kube");
        finds(r#"perl -e 'system "rm", "-rf", "/"'"#, "rm -rf /");
        finds(
            r#"python3 -c "import os; os.system('rm -rf ' + os.path.join(os.environ['HOME'], '.ssh'))""#,
            "rm -rf $HOME/.ssh",
        );
    }

    #[test]
    fn a_list_given_to_a_program_is_its_words() {
        finds(
            r#"python3 -c "import subprocess,os; subprocess.run(['rm', '-rf', os.path.expanduser('~')])""#,
            "rm -rf $HOME",
        );
        finds(
            r#"python3 -c "import subprocess; subprocess.call(['git', 'push', '--force', 'origin', 'main'])""#,
            "git push --force origin main",
        );
    }

    #[test]
    fn deleting_and_writing_calls_are_the_commands_that_do_the_same() {
        finds(r#"python3 -c "import shutil, os; shutil.rmtree(os.path.expanduser('~'))""#, "rm -rf $HOME");
        finds(
            "python3 - <<'EOF'\nimport shutil, pathlib\nshutil.rmtree(pathlib.Path.home() / '.kube')\nEOF",
            "rm -rf $HOME/.kube",
        );
        finds("node <<< \"require('fs').rmSync(process.env.HOME, {recursive: true})\"", "rm -rf $HOME");
        finds(
            r#"python3 -c "import shutil, pathlib; shutil.rmtree(pathlib.Path.home() / '.kube')""#,
            "rm -rf $HOME/.kube",
        );
        finds(
            r#"node -e "require('fs').rmSync(require('os').homedir(), {recursive: true, force: true})""#,
            "rm -rf $HOME",
        );
        finds(r#"perl -MFile::Path -e 'remove_tree($ENV{HOME})'"#, "rm -rf $HOME");
        finds(r#"ruby -e 'require "fileutils"; FileUtils.rm_rf(Dir.home)'"#, "rm -rf $HOME");
        finds(r#"python3 -c "open('/dev/sda','wb').write(bytes(1048576))""#, "> /dev/sda");
        finds(r#"python3 -c "open('.claude/settings.json', 'w').write('{}')""#, "> .claude/settings.json");
        finds(
            r#"node -e "require('fs').appendFileSync(require('os').homedir() + '/.bashrc', 'x')""#,
            ">> $HOME/.bashrc",
        );
    }

    #[test]
    fn code_that_only_reads_or_computes_runs_no_command() {
        for script in [
            r#"python3 -c "import json; print(json.load(open('package.json'))['version'])""#,
            r#"python3 -c "import sys; print(sys.version)""#,
            r#"node -e "console.log(require('./package.json').version)""#,
            r#"node -p "process.versions.node""#,
            r#"ruby -e 'puts RUBY_VERSION'"#,
            r#"awk '{print $1}' access.log"#,
            r#"perl -ne 'print if /TODO/' src/main.rs"#,
        ] {
            let found = read(script);
            assert_eq!(found.len(), 1, "{script}: {found:?}");
        }
        // A value the code computes is no word a rule knows.
        finds(
            r#"python3 -c "import shutil, sys; shutil.rmtree(sys.argv[1])" build"#,
            "python3 -c import shutil, sys; shutil.rmtree(sys.argv[1]) build",
        );
        assert_eq!(read(r#"python3 -c "import shutil, sys; shutil.rmtree(sys.argv[1])" build"#).len(), 1);
    }

    #[test]
    fn hostile_code_is_read_in_bounded_time() {
        let many = "os.system('true');".repeat(20_000);
        let started = std::time::Instant::now();
        let found = read(&format!("python3 -c \"{many}\""));
        assert!(found.len() <= 64 + 1, "{}", found.len());
        let nested = "os.system(".repeat(5_000);
        read(&format!("python3 -c \"{nested}\""));
        let unclosed = "shutil.rmtree('".to_owned() + &"a".repeat(100_000);
        read(&format!("python3 -c \"{unclosed}\""));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
