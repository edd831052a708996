//! The shell commands vim runs from the Ex commands it is given: its start-up commands (`-c CMD`,
//! `--cmd CMD`, `+CMD`, and `VIMINIT`/`EXINIT`, see `environment_options.rs`) and the lines of a
//! script it sources (`-S FILE`, `-u FILE`, `:source FILE`: read as any file a call runs).
//!
//! An Ex command line is read command by command (`|` ends one, but for those that take the rest
//! of the line): `!CMD`, `{range}!CMD`, `read !CMD`, `write !CMD`, `terminal CMD`; what
//! `execute` builds of string literals (`exe "!rm " . "-rf ~"`), read as a command line again; the
//! keys `normal` types, where `:…<CR>` is a command line and `!{motion}…<CR>` a filter; the code
//! `:lua`, `:python3`, `:perl` and `:ruby` run (read as `interpreters.rs` reads theirs); what
//! vim's functions run (`system()`, `jobstart()`, `delete(…, 'rf')`, …); a command given to
//! `:global`, `:windo` and the like, or to an autocommand; and the program an option names for
//! `:make`, `:grep`, `=` or `gq` to run (`set makeprg=CMD`).

use super::interpreters::{script_of_language, script_of_vim_expression};
use super::SimpleCommand;

/// vim and the programs that are vim by another name. (`rvim` and `rview` run no shell.)
pub fn is_vim(program: &str) -> bool {
    matches!(
        program,
        "vim" | "vi" | "nvim" | "view" | "vimdiff" | "nvimdiff" | "gvim" | "gview" | "gvimdiff" | "vimx" | "ex"
    )
}

/// The shell commands vim's start-up commands run: `-c CMD`, `--cmd CMD` and `+CMD`, each an Ex
/// command line.
pub fn start_up_scripts(args: &[String]) -> Vec<String> {
    let mut scripts = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        let line = match word.as_str() {
            "-c" | "--cmd" => words.next().map(String::as_str),
            // Options that take the next word, which is no command.
            "-S" | "-u" | "-U" | "-i" | "-s" | "-w" | "-W" | "-T" | "-t" | "-q" | "--servername" | "--remote"
            | "--listen" | "-r" | "--startuptime" => {
                words.next();
                None
            }
            _ => word.strip_prefix("-c").filter(|rest| !rest.is_empty()).or_else(|| word.strip_prefix('+')),
        };
        scripts.extend(line.map(|line| ex_commands(line, 0)).unwrap_or_default());
    }
    scripts
}

/// The file of vim script `command` (vim) sources: `-S FILE` (`Session.vim` when none follows),
/// or `-u FILE` (the vimrc read in place of the user's), not one of the names that read none.
pub fn sourced_file(command: &SimpleCommand) -> Option<&str> {
    let mut words = command.args().iter();
    let mut found = None;
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        match word.as_str() {
            "-S" => {
                found = Some(words.next().filter(|file| !file.starts_with('-')).map_or("Session.vim", String::as_str))
            }
            "-u" => {
                found = words
                    .next()
                    .map(String::as_str)
                    .filter(|file| !matches!(*file, "NONE" | "NORC" | "DEFAULTS" | "NOPLUGIN"))
                    .or(found)
            }
            "-c" | "--cmd" => {
                words.next();
            }
            _ => {}
        }
    }
    found
}

/// The shell commands a file of vim script runs, each line an Ex command line (a line that
/// starts with `\` continues the one before; one that starts with `"` is a comment), and the
/// code of a `lua << EOF` (`python3 << EOF`, …) block read in its language.
pub fn script_of_file(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines().take(MOST_LINES) {
        let trimmed = line.trim_start();
        match (trimmed.strip_prefix('\\'), lines.last_mut()) {
            (Some(continued), Some(last)) => last.push_str(continued),
            _ => lines.push(trimmed.to_owned()),
        }
    }
    let mut scripts: Vec<String> = Vec::new();
    let mut lines = lines.iter();
    while let Some(line) = lines.next() {
        if line.starts_with('"') {
            continue;
        }
        // `lua << EOF` … `EOF` (`EOF` by default: `lua <<` alone).
        if let Some((language, marker)) = heredoc(line) {
            let code: Vec<&str> = lines.by_ref().map(String::as_str).take_while(|line| line.trim() != marker).collect();
            scripts.extend(script_of_language(language, &code.join("\n")));
            continue;
        }
        scripts.extend(ex_commands(line, 0));
    }
    scripts.join("\n")
}

/// The most lines of a vim script read, and the most commands of one Ex command line.
const MOST_LINES: usize = 20_000;
const MOST_EX_COMMANDS: usize = 32;

/// How deep `execute` and `normal` are followed into the command lines they make.
const MOST_DEPTH: usize = 8;

/// `lua << EOF` and the like: the language (as the interpreter is named) and the end marker.
fn heredoc(line: &str) -> Option<(&'static str, &str)> {
    let (name, rest) = line.split_once("<<")?;
    let language = interpreter_of(name.trim().trim_start_matches(':'))?;
    let marker = rest.trim().trim_start_matches("trim").trim();
    Some((language, if marker.is_empty() { "." } else { marker }))
}

/// The interpreter a vim command that runs code hands it to: `:lua`, `:py3`, `:python`, `:pyx`,
/// `:perl`, `:ruby` by their names and abbreviations.
fn interpreter_of(name: &str) -> Option<&'static str> {
    Some(match name {
        "lua" => "lua",
        "py" | "pyt" | "pyth" | "pytho" | "python" | "py3" | "python3" | "pyx" | "pythonx" => "python3",
        "pe" | "per" | "perl" => "perl",
        "rub" | "ruby" => "ruby",
        _ => return None,
    })
}

/// The shell commands an Ex command line runs (see the module's notes).
fn ex_commands(line: &str, depth: usize) -> Vec<String> {
    let mut found = Vec::new();
    if depth > MOST_DEPTH {
        return found;
    }
    let mut rest = line;
    for _ in 0..MOST_EX_COMMANDS {
        rest = without_range_and_modifiers(rest);
        let name_length = rest.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_length);
        // Those that take the rest of the line, `|` and all.
        let shell = match name {
            "" => after.strip_prefix('!'),
            // `:r!CMD`, `:read !CMD`; `:w !CMD` (`:w!` writes over a file).
            "r" | "re" | "rea" | "read" => after.trim_start().strip_prefix('!'),
            "w" | "wr" | "wri" | "writ" | "write" if after.starts_with([' ', '\t']) => {
                after.trim_start().strip_prefix('!')
            }
            // `:terminal ++close CMD`: its `++` options first.
            "ter" | "term" | "termi" | "termin" | "termina" | "terminal" => {
                let mut command = after.trim_start();
                while command.starts_with("++") {
                    command = command.split_once(' ').map_or("", |(_, rest)| rest).trim_start();
                }
                Some(command)
            }
            _ => None,
        };
        if let Some(shell) = shell.map(str::trim).filter(|shell| !shell.is_empty()) {
            found.push(shell.to_owned());
            return found;
        }
        match name {
            "norm" | "norma" | "normal" => {
                let keys = after.strip_prefix('!').unwrap_or(after);
                found.extend(normal_keys(keys.strip_prefix(' ').unwrap_or(keys), depth + 1));
                return found;
            }
            _ if interpreter_of(name).is_some() && !after.trim_start().starts_with("<<") => {
                found.extend(script_of_language(interpreter_of(name).expect("checked"), after));
                return found;
            }
            // `:g/PATTERN/CMD` (`:g!`, `:v`): CMD on each line that matches.
            "g" | "gl" | "glo" | "glob" | "globa" | "global" | "v" | "vg" | "vgl" | "vglo" | "vglob" | "vgloba"
            | "vglobal" => {
                let after = after.strip_prefix('!').unwrap_or(after).trim_start();
                if let Some(delimiter) = after.chars().next().filter(|c| !c.is_alphanumeric()) {
                    let pattern_and_command = &after[delimiter.len_utf8()..];
                    let command = pattern_and_command.split_once(delimiter).map_or("", |(_, command)| command);
                    found.extend(ex_commands(command, depth + 1));
                }
                return found;
            }
            // A command run in each window, buffer, … (`:windo !CMD`), or at an event.
            "windo" | "bufdo" | "bufd" | "argdo" | "argdo!" | "tabdo" | "tabd" | "cdo" | "cfdo" | "ldo" | "lfdo" => {
                found.extend(ex_commands(after.strip_prefix('!').unwrap_or(after), depth + 1));
                return found;
            }
            "au" | "aut" | "auto" | "autoc" | "autocm" | "autocmd" => {
                found.extend(ex_commands(&autocommand_command(after.strip_prefix('!').unwrap_or(after)), depth + 1));
                return found;
            }
            _ => {}
        }
        // Those that end at a `|` outside a string.
        let (command, next) = split_at_bar(rest);
        match name {
            "exe" | "exec" | "execu" | "execut" | "execute" => {
                let (_, argument) = command.split_at(name.len());
                if let Some(line) = evaluated(argument) {
                    found.extend(ex_commands(&line, depth + 1));
                }
            }
            // `:source FILE`, read as vim reads a file it sources.
            "so" | "sou" | "sour" | "sourc" | "source" => {
                let file = command[name.len()..].trim_start_matches('!').trim();
                if !file.is_empty() && !file.contains(['%', '#', '<']) {
                    let quoted = shlex::try_quote(file).map_or_else(|_| file.to_owned(), |quoted| quoted.into_owned());
                    found.push(format!("vim -S {quoted}"));
                }
            }
            "se" | "set" | "setl" | "setlocal" | "setg" | "setglobal" => {
                found.extend(programs_set(&command[name.len()..]))
            }
            _ => {}
        }
        found.extend(script_of_vim_expression(command).map(|script| script.trim_end().to_owned()));
        match next {
            Some(next) => rest = next,
            None => break,
        }
    }
    found
}

/// `line` from its first command's name on: without `:`s, blanks, a range (numbers, `.`, `$`,
/// `%`, marks, patterns, offsets) and the modifiers that run the command after them (`silent!`,
/// `keepjumps`, `vertical`, …).
fn without_range_and_modifiers(line: &str) -> &str {
    let mut rest = line;
    loop {
        let before = rest.len();
        rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || ":%.$,;+- \t".contains(c));
        if let Some(mark) = rest.strip_prefix('\'') {
            rest = mark.get(1..).unwrap_or_default();
        }
        // `/pattern/` and `?pattern?` as a line address.
        for delimiter in ['/', '?'] {
            if let Some(pattern) = rest.strip_prefix(delimiter) {
                rest = pattern.split_once(delimiter).map_or("", |(_, after)| after);
            }
        }
        let name_length = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        if MODIFIERS.contains(&&rest[..name_length]) {
            rest = rest[name_length..].strip_prefix('!').unwrap_or(&rest[name_length..]);
        }
        if rest.len() == before {
            return rest;
        }
    }
}

/// Ex command modifiers, with their abbreviations: each runs the command that follows it.
const MODIFIERS: &[&str] = &[
    "sil",
    "sile",
    "silen",
    "silent",
    "uns",
    "unsi",
    "unsil",
    "unsile",
    "unsilen",
    "unsilent",
    "noa",
    "noau",
    "noaut",
    "noauto",
    "noautoc",
    "noautocm",
    "noautocmd",
    "keepj",
    "keepju",
    "keepjum",
    "keepjump",
    "keepjumps",
    "keepm",
    "keepma",
    "keepmar",
    "keepmark",
    "keepmarks",
    "kee",
    "keep",
    "keepp",
    "keeppa",
    "keeppat",
    "keeppatt",
    "keeppatte",
    "keeppatter",
    "keeppattern",
    "keeppatterns",
    "keepa",
    "keepal",
    "keepalt",
    "lockm",
    "lockma",
    "lockmar",
    "lockmark",
    "lockmarks",
    "vert",
    "verti",
    "vertic",
    "vertica",
    "vertical",
    "hor",
    "hori",
    "horiz",
    "horizo",
    "horizon",
    "horizont",
    "horizonta",
    "horizontal",
    "abo",
    "abov",
    "above",
    "abovel",
    "abovele",
    "aboveleft",
    "bel",
    "belo",
    "below",
    "belowr",
    "belowri",
    "belowrig",
    "belowrigh",
    "belowright",
    "bo",
    "bot",
    "botr",
    "botri",
    "botrig",
    "botrigh",
    "botright",
    "to",
    "top",
    "topl",
    "tople",
    "toplef",
    "topleft",
    "tab",
    "hid",
    "hide",
    "conf",
    "confi",
    "confir",
    "confirm",
    "bro",
    "brow",
    "brows",
    "browse",
    "filt",
    "filte",
    "filter",
    "sandbox",
    "san",
    "sand",
    "sandb",
    "sandbo",
    "try",
    "noswapfile",
    "nos",
    "nosw",
    "verb",
    "verbo",
    "verbos",
    "verbose",
    "leg",
    "lega",
    "legac",
    "legacy",
    "vim9",
    "vim9c",
    "vim9cm",
    "vim9cmd",
];

/// A command up to the `|` that ends it outside a string, and the text after that `|`.
fn split_at_bar(line: &str) -> (&str, Option<&str>) {
    let mut quote = None;
    let mut chars = line.char_indices();
    while let Some((at, c)) = chars.next() {
        match (quote, c) {
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some(open), _) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '|') => return (&line[..at], Some(&line[at + 1..])),
            _ => {}
        }
    }
    (line, None)
}

/// The command of an autocommand's definition (after `:autocmd`): past its group, its events,
/// its pattern and its `++once`/`++nested`.
fn autocommand_command(after: &str) -> String {
    let mut words: Vec<&str> = after.split_whitespace().collect();
    // A group comes first when the next word is the events (CamelCase, `*` or a list of them).
    let is_events = |word: &str| word == "*" || word.split(',').all(|event| event.starts_with(char::is_uppercase));
    if words.len() > 2 && !is_events(words[0]) && is_events(words[1]) {
        words.remove(0);
    }
    words.iter().skip(2).skip_while(|word| word.starts_with("++")).copied().collect::<Vec<_>>().join(" ")
}

/// The programs `:set` gives the options that name one vim runs through a shell (`makeprg` for
/// `:make`, `grepprg`, `equalprg` for `=`, `formatprg` for `gq`), their `\ ` a space.
fn programs_set(arguments: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = arguments.trim_start();
    while !rest.is_empty() {
        // One `name=value`, up to a space no backslash escapes.
        let mut end = rest.len();
        let mut chars = rest.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                ' ' | '\t' => {
                    end = at;
                    break;
                }
                _ => {}
            }
        }
        let setting = &rest[..end];
        if let Some((name, value)) = setting.split_once(['=', ':']) {
            let name = name.trim_end_matches(['+', '^', '-']);
            if matches!(name, "mp" | "makeprg" | "gp" | "grepprg" | "ep" | "equalprg" | "fp" | "formatprg") {
                let value = value.replace("\\ ", " ").replace("\\\\", "\\");
                found.extend(Some(value).filter(|value| !value.trim().is_empty()));
            }
        }
        rest = rest[end..].trim_start();
    }
    found
}

/// The string an `:execute` argument makes of its string literals, joined by `.`, `..` or (one
/// space between, as execute joins its arguments) blanks; `None` once it holds anything else.
/// Double-quoted, a backslash escapes as vim's `"…"` does: `\<CR>` and `\r` are a carriage
/// return, `\n` a line break, `\<Esc>` an escape.
fn evaluated(argument: &str) -> Option<String> {
    let chars: Vec<char> = argument.chars().collect();
    let mut out = String::new();
    let mut at = 0;
    // Whether the pieces so far end with a `.`, which joins the next one with no space.
    let mut joined = true;
    let mut pieces = 0;
    while at < chars.len() {
        match chars[at] {
            ' ' | '\t' => at += 1,
            '.' => {
                at += 1;
                joined = true;
            }
            quote @ ('\'' | '"') => {
                if !joined {
                    out.push(' ');
                }
                at += 1;
                loop {
                    let c = *chars.get(at)?;
                    at += 1;
                    match c {
                        '\'' if quote == '\'' && chars.get(at) == Some(&'\'') => {
                            out.push('\'');
                            at += 1;
                        }
                        _ if c == quote => break,
                        '\\' if quote == '"' => {
                            let escaped = *chars.get(at)?;
                            at += 1;
                            match escaped {
                                'n' => out.push('\n'),
                                'r' => out.push('\r'),
                                't' => out.push('\t'),
                                'e' => out.push('\x1b'),
                                '<' => {
                                    let name: String = chars[at..].iter().take_while(|c| **c != '>').collect();
                                    at += name.len() + 1;
                                    out.push_str(match name.to_ascii_lowercase().as_str() {
                                        "cr" | "enter" | "return" => "\r",
                                        "nl" => "\n",
                                        "esc" => "\x1b",
                                        "lt" => "<",
                                        "bar" => "|",
                                        "space" => " ",
                                        _ => "",
                                    });
                                }
                                other => out.push(other),
                            }
                        }
                        _ => out.push(c),
                    }
                }
                pieces += 1;
                joined = false;
            }
            // An environment variable (`$HOME`) is the shell's as well, and `expand('~/x')`
            // gives what the shell makes of `~/x`.
            '$' | 'e' => {
                let rest: String = chars[at..].iter().collect();
                let (text, length) = if let Some(name) = rest.strip_prefix('$') {
                    let length = name.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(name.len());
                    (format!("${}", &name[..length]), length + 1)
                } else {
                    let found = EXPANDED.captures(&rest)?;
                    let path = found.name("path").or_else(|| found.name("path2"))?;
                    (path.as_str().to_owned(), found[0].chars().count())
                };
                if text == "$" {
                    return None;
                }
                if !joined {
                    out.push(' ');
                }
                out.push_str(&text);
                at += length;
                pieces += 1;
                joined = false;
            }
            _ => return None,
        }
    }
    (pieces > 0).then_some(out)
}

/// `expand('PATH')` of a path under `~` or a variable, which is what a shell makes of it.
static EXPANDED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"^expand\(\s*(?:'(?P<path>[~$][^'\\]*)'|"(?P<path2>[~$][^"\\]*)")\s*\)"#)
        .expect("a valid regex")
});

/// The shell commands the keys `:normal` types run: a command line typed after `:` and ended
/// with Enter, and the filter a `!{motion}` types, ended the same way. Keys not ended by Enter
/// are dropped, as vim drops them.
fn normal_keys(keys: &str, depth: usize) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = keys;
    while let Some(at) = rest.find([':', '!']) {
        let typed = rest[at..].chars().next().expect("found");
        let after = &rest[at + 1..];
        let Some(enter) = after.find(['\r', '\n']) else { break };
        match typed {
            ':' => found.extend(ex_commands(&after[..enter], depth)),
            _ => {
                // The motion (`!!`, `!G`, `!ip`, `!3j`): the text typed after it is the filter.
                let count = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let motion = &after[count..];
                let length = match motion.chars().next() {
                    Some('i' | 'a' | '\'' | '`' | 'g' | 'f' | 't' | 'F' | 'T' | '[' | ']' | '"') => 2,
                    Some(_) => 1,
                    None => 0,
                };
                let command_start = count + motion.chars().take(length).map(char::len_utf8).sum::<usize>();
                if command_start <= enter {
                    let command = after[command_start..enter].trim();
                    found.extend(Some(command.to_owned()).filter(|command| !command.is_empty()));
                }
            }
        }
        rest = &after[enter + 1..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Vec<String> {
        let words = shlex::split(line).expect("a line that splits");
        start_up_scripts(&words[1..])
    }

    #[test]
    fn the_shell_commands_of_start_up_commands_are_read() {
        assert_eq!(run("vim -c '!rm -rf ~' -c q f"), ["rm -rf ~"]);
        assert_eq!(run("vi '+!rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("nvim --cmd ':silent !rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c '%!rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'set nomore | r !rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'w !rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'terminal ++close rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'keepjumps vertical silent! !rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c \"call system('rm -rf ~')\" f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'call jobstart([\"rm\", \"-rf\", $HOME])' f"), ["'rm' '-rf' \"$HOME\""]);
        assert_eq!(run("vim -c \"call delete(expand('~'), 'rf')\" f"), ["rm -rf \"$HOME\""]);
    }

    #[test]
    fn what_execute_builds_is_a_command_line() {
        assert_eq!(run("vim -c 'exe \"!rm -rf ~\"' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c \"execute '!rm' '-rf ~'\" f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'exe \"!rm \" . \"-rf ~\"' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'exe \"!rm \" .. \"-rf ~\" | q' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'exe \"exe \\\"!rm -rf ~\\\"\"' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'exe \"normal :!rm -rf ~\\<CR>\"' f"), ["rm -rf ~"]);
        assert!(run("vim -c 'exe \"normal gg=G\"' -c 'execute \"set ts=4\"' f").is_empty());
        assert!(run("vim -c 'exe g:cmd' f").is_empty(), "a value not spelled out");
        assert_eq!(run("vim -c \"exe '!rm -rf ' . expand('~') $HOME\" f"), ["rm -rf ~ $HOME"]);
        assert!(run("vim -c \"exe '!rm -rf ' . expand(g:dir)\" f").is_empty());
    }

    #[test]
    fn keys_normal_types_run_a_command_line_or_a_filter_ended_by_enter() {
        assert_eq!(run("vim -c 'normal :!rm -rf ~\r' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'norm! !!rm -rf ~\r' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'norm gg!Grm -rf ~\r' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'norm !ipsort\r' f"), ["sort"]);
        assert!(run("vim -c 'normal! gg=G' -c wq f").is_empty());
        assert!(run("vim -c 'normal :!rm -rf ~' f").is_empty(), "not ended: vim drops it");
    }

    #[test]
    fn code_run_by_an_interpreter_command_is_read_in_its_language() {
        assert_eq!(run("vim -c 'lua os.execute(\"rm -rf ~\")' f"), ["rm -rf ~\n"]);
        assert_eq!(run("nvim -c 'lua vim.fn.jobstart(\"rm -rf ~\")' f"), ["rm -rf ~\n"]);
        assert_eq!(run("vim -c 'py3 import os; os.system(\"rm -rf ~\")' f"), ["rm -rf ~\n"]);
        assert_eq!(run("vim -c 'perl system(\"rm -rf ~\")' f"), ["rm -rf ~\n"]);
        assert!(run("vim -c 'lua print(\"hi\")' f").is_empty());
    }

    #[test]
    fn commands_given_to_other_commands_and_programs_set_are_read() {
        assert_eq!(run("vim -c 'g/^/!rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'windo !rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'autocmd VimEnter * !rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'au! mine BufRead,BufNewFile *.c ++once !rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run(r"vim -c 'set makeprg=rm\ -rf\ ~ | make' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'so /tmp/x.vim' f"), ["vim -S /tmp/x.vim"]);
        assert!(run("vim -c 'set ts=4 sw=4 nu' -c 'g/TODO/d' -c 'so %' f").is_empty());
        for line in ["vim f", "vim +42 f", "vim +/pattern f", "vim -c 'set nu' -c 'w!' f", "vim -c wq f", "view -R f"] {
            assert!(run(line).is_empty(), "{line}");
        }
    }

    #[test]
    fn a_sourced_file_is_read_line_by_line() {
        let text = "\" a comment\nset nu\n!rm -rf ~\ncall system('git push'\n  \\ . ' -f')\nlua << EOF\nos.execute('ls')\nEOF\nsource other.vim\n";
        assert_eq!(script_of_file(text), "rm -rf ~\ngit push -f\nls\n\nvim -S other.vim");
        let command = |line: &str| SimpleCommand::plain(shlex::split(line).unwrap(), 0, 0);
        assert_eq!(sourced_file(&command("vim -S x.vim f")), Some("x.vim"));
        assert_eq!(sourced_file(&command("vim -S")), Some("Session.vim"));
        assert_eq!(sourced_file(&command("vim -u my.vimrc f")), Some("my.vimrc"));
        assert_eq!(sourced_file(&command("vim -u NONE f")), None);
        assert_eq!(sourced_file(&command("vim -c 'so x' f")), None);
    }
}
