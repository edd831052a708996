//! The shell commands vim runs from the Ex commands it is given: its start-up commands (`-c CMD`,
//! `--cmd CMD`, `+CMD`, and `VIMINIT`/`EXINIT`, see `environment_options.rs`) and the lines of a
//! script it sources (`-S FILE`, `-u FILE`, `:source FILE`, `:runtime FILE`: read as any file a
//! call runs) and the keys it types from a file (`-s FILE`).
//!
//! An Ex command line is read command by command (`|` ends one, but for those that take the rest
//! of the line): `!CMD`, `{range}!CMD`, `read !CMD`, `write !CMD`, `terminal CMD`; what
//! `execute` builds of string literals (`exe "!rm " . "-rf ~"`), read as a command line again; the
//! keys `normal` types, where `:…<CR>` is a command line and `!{motion}…<CR>` a filter; the code
//! `:lua`, `:python3`, `:perl` and `:ruby` run (read as `interpreters.rs` reads theirs); what
//! vim's functions run (`system()`, `jobstart()`, `delete(…, 'rf')`, …); a command given to
//! `:global`, `:windo` and the like, to an autocommand or a user command (`:command`); the keys a
//! mapping types (`nmap x :!CMD<CR>`: whatever types its left side, it may run); and the program
//! an option names for `:make`, `:grep`, `=` or `gq` to run (`set makeprg=CMD`).

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
    let mut ex_mode = false;
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        ex_mode |= starts_ex_mode(word);
        let line = match word.as_str() {
            "-c" | "--cmd" => words.next().map(String::as_str),
            // In Ex mode `-s` is silent mode, and takes no value (`vim -e -s -c CMD`).
            "-s" if ex_mode => None,
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

/// Whether `word`, one of vim's arguments, starts Ex mode, where `-s` is silent mode (`-e`, `-E`,
/// and `-es`, read as `-e -s`).
fn starts_ex_mode(word: &str) -> bool {
    matches!(word, "-e" | "-E" | "-es" | "-Es")
}

/// How vim reads a file it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VimFile {
    /// Lines of Ex commands, sourced (`-S FILE`, `-u FILE`, `:source FILE`, `:runtime FILE`).
    Script,
    /// Keys typed in Normal mode, as a person would (`-s FILE`).
    Keys,
}

/// Every file vim, as `command`, reads and runs: the script it sources (`-S`, `-u`: see
/// [`sourced_file`]), the file it types keys from (`-s FILE`, not in Ex mode, where `-s` is
/// silent mode), the files its start-up commands source (`-c 'source FILE'`) and those their
/// `:runtime` names, in each directory of the runtime path they set (`set rtp+=DIR`) and in
/// `~/.vim`.
pub fn files_read(command: &SimpleCommand) -> Vec<(String, VimFile)> {
    let mut files: Vec<(String, VimFile)> = Vec::new();
    files.extend(sourced_file(command).map(|file| (file.to_owned(), VimFile::Script)));
    let (mut ex_mode, mut words) = (is_vim(command.program()) && command.program() == "ex", command.args().iter());
    let mut lines: Vec<&str> = Vec::new();
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        ex_mode |= starts_ex_mode(word);
        match word.as_str() {
            "-s" if !ex_mode => files.extend(words.next().map(|file| (file.clone(), VimFile::Keys))),
            "-c" | "--cmd" => lines.extend(words.next().map(String::as_str)),
            "-S" | "-u" | "-U" | "-i" | "-w" | "-W" | "-T" | "-t" | "-q" | "-r" => {
                words.next();
            }
            _ => lines.extend(word.strip_prefix('+').or_else(|| word.strip_prefix("-c").filter(|c| !c.is_empty()))),
        }
    }
    // What `:source` reads is said as `vim -S FILE` among the start-up commands' scripts.
    for script in start_up_scripts(command.args()) {
        if let Some([vim, option, file]) = shlex::split(&script).as_deref() {
            if vim == "vim" && option == "-S" {
                files.push((file.clone(), VimFile::Script));
            }
        }
    }
    files.extend(runtime_files(&lines).into_iter().map(|file| (file, VimFile::Script)));
    files
}

/// The files `:runtime NAME…` sources from the start-up command `lines`: NAME in each directory
/// `set runtimepath` (`rtp`, `=`, `+=`, `^=`) names there, and in `~/.vim`, the user's own.
fn runtime_files(lines: &[&str]) -> Vec<String> {
    let mut directories = vec!["~/.vim".to_owned()];
    let mut names: Vec<String> = Vec::new();
    for line in lines {
        let mut rest = Some(*line);
        for _ in 0..MOST_EX_COMMANDS {
            let Some(text) = rest else { break };
            let (command, next) = split_at_bar(without_range_and_modifiers(text));
            rest = next;
            let length = command.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(command.len());
            let (name, after) = command.split_at(length);
            match name {
                "ru" | "run" | "runt" | "runti" | "runtim" | "runtime" => {
                    let files = after.trim_start_matches('!').split_whitespace();
                    let files = files.filter(|file| !matches!(*file, "START" | "OPT" | "PACK" | "ALL"));
                    names.extend(files.map(str::to_owned));
                }
                "se" | "set" | "setg" | "setglobal" => {
                    for setting in after.split_whitespace() {
                        let Some((option, value)) = setting.split_once('=') else { continue };
                        if matches!(option.trim_end_matches(['+', '^', '-']), "rtp" | "runtimepath") {
                            directories.extend(value.split(',').filter(|dir| !dir.is_empty()).map(str::to_owned));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let names = names.iter().filter(|name| !name.contains(['*', '?', '[']) && !name.starts_with('/'));
    names.flat_map(|name| directories.iter().map(move |dir| format!("{}/{name}", dir.trim_end_matches('/')))).collect()
}

/// What vim runs of `text`, a file it reads as `how` says.
pub fn script_of(text: &str, how: VimFile) -> String {
    match how {
        VimFile::Script => script_of_file(text),
        VimFile::Keys => normal_keys(text, 0).join("\n"),
    }
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
            // `:command[!] [-attributes] NAME REPLACEMENT`: REPLACEMENT runs when NAME does.
            "com" | "comm" | "comma" | "comman" | "command" => {
                let mut words = after.strip_prefix('!').unwrap_or(after).trim_start();
                while words.starts_with('-') {
                    words = words.split_once(char::is_whitespace).map_or("", |(_, rest)| rest).trim_start();
                }
                let replacement = words.split_once(char::is_whitespace).map_or("", |(_, rest)| rest);
                found.extend(ex_commands(replacement, depth + 1));
                return found;
            }
            _ if mapping_mode(name).is_some() => {
                let (keys, next) = mapping_and_rest(after.strip_prefix('!').unwrap_or(after));
                found.extend(mapped_keys(mapping_mode(name).expect("checked"), keys, depth + 1));
                match next {
                    Some(next) => {
                        rest = next;
                        continue;
                    }
                    None => break,
                }
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

/// The map commands with the shortest abbreviation of each (`:nm` is `:nmap`, `:nn` `:nnoremap`):
/// their mode's letter (`' '` for `:map`, which maps in several) and how long the name must be.
const MAPPINGS: &[(&str, usize)] = &[
    ("map", 3),
    ("nmap", 2),
    ("vmap", 2),
    ("xmap", 2),
    ("smap", 4),
    ("omap", 2),
    ("imap", 2),
    ("lmap", 2),
    ("cmap", 2),
    ("tmap", 3),
    ("noremap", 2),
    ("nnoremap", 2),
    ("vnoremap", 2),
    ("xnoremap", 2),
    ("snoremap", 4),
    ("onoremap", 3),
    ("inoremap", 3),
    ("lnoremap", 2),
    ("cnoremap", 3),
    ("tnoremap", 3),
];

/// The mode a map command named `name` maps keys in (`n` for `:nmap`, ` ` for `:map`), if it is one.
fn mapping_mode(name: &str) -> Option<char> {
    let (full, _) = MAPPINGS.iter().find(|(full, shortest)| name.len() >= *shortest && full.starts_with(name))?;
    Some(if full.starts_with("map") || full.starts_with("noremap") { ' ' } else { full.chars().next()? })
}

/// A map command's arguments up to the `|` that ends it (one a backslash or CTRL-V escapes, or
/// written `<Bar>`, is a key of the mapping), and the text after that `|`.
fn mapping_and_rest(after: &str) -> (&str, Option<&str>) {
    let mut previous = ' ';
    for (at, c) in after.char_indices() {
        if c == '|' && !matches!(previous, '\\' | '\x16') {
            return (&after[..at], Some(&after[at + 1..]));
        }
        previous = c;
    }
    (after, None)
}

/// The shell commands the keys a mapping types run, wherever its left side is typed (`:normal`,
/// `-s`, another mapping): `arguments` are the map command's (`<silent> x :!CMD<CR>`), its right
/// side written in vim's key notation (`<CR>`, `<Bar>`; keys that edit the command line, such as
/// `<C-U>`, dropped). A command-line mapping's keys are typed after `:`; an `<expr>` mapping's
/// right side is also read as the expression it is.
fn mapped_keys(mode: char, arguments: &str, depth: usize) -> Vec<String> {
    let mut rest = arguments.trim_start();
    let mut expression = false;
    while let Some(special) = MAP_ARGUMENTS
        .iter()
        .find(|special| rest.get(..special.len()).is_some_and(|start| start.eq_ignore_ascii_case(special)))
    {
        expression |= *special == "<expr>";
        rest = rest[special.len()..].trim_start();
    }
    let Some((_, right)) = rest.split_once(char::is_whitespace) else { return Vec::new() };
    let right = right.trim_start();
    let mut keys = if mode == 'c' { ":".to_owned() } else { String::new() };
    keys.push_str(&in_key_notation(right));
    let mut found = normal_keys(&keys, depth);
    if expression {
        found.extend(script_of_vim_expression(right).map(|script| script.trim_end().to_owned()));
    }
    found
}

/// What a map command takes before its left side.
const MAP_ARGUMENTS: &[&str] = &["<buffer>", "<nowait>", "<silent>", "<special>", "<script>", "<expr>", "<unique>"];

/// `keys` written in vim's key notation as the keys they are: `<CR>` (`<Enter>`, `<Return>`) a
/// carriage return, `<NL>` a line break, `<Bar>` `|`, `<lt>` `<`, `<Space>`, `<Esc>`, `<Bslash>`;
/// any other `<…>` name dropped (`<C-U>`, `<Left>`), and `\|` a `|`.
fn in_key_notation(keys: &str) -> String {
    let mut out = String::with_capacity(keys.len());
    let mut rest = keys;
    while let Some(c) = rest.chars().next() {
        if let Some(name) = rest.strip_prefix('<').and_then(|after| after.split_once('>')).map(|(name, _)| name) {
            if !name.is_empty() && name.len() <= 16 && !name.contains(['<', ' ']) {
                out.push_str(match name.to_ascii_lowercase().as_str() {
                    "cr" | "enter" | "return" => "\r",
                    "nl" => "\n",
                    "bar" => "|",
                    "lt" => "<",
                    "space" => " ",
                    "esc" => "\x1b",
                    "bslash" => "\\",
                    _ => "",
                });
                rest = &rest[name.len() + 2..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("\\|") {
            out.push('|');
            rest = after;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

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
    fn the_keys_a_mapping_types_and_a_user_commands_replacement_are_read() {
        assert_eq!(run("vim -c 'nmap x :!rm -rf ~<CR>' -c 'normal x' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'nnoremap <silent> <buffer> x :!rm -rf ~<cr>' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'map! x <Esc>:!rm -rf ~<Enter>' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'nn <leader>t :<C-U>!rm -rf ~<CR>' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'cnoremap x !rm -rf ~<CR>' f"), ["rm -rf ~"], "typed on the command line");
        assert_eq!(run("vim -c 'nmap x !!rm -rf ~<CR>' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'nmap j gj | !rm -rf ~' f"), ["rm -rf ~"], "`|` ends the mapping");
        assert_eq!(run("vim -c 'nmap x :echo 1<Bar>!rm -rf ~<CR>' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c \"nnoremap <expr> x system('rm -rf ~')\" f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'command! -nargs=0 X !rm -rf ~' -c X f"), ["rm -rf ~"]);
        assert_eq!(run("vim -c 'exe \"nmap x :!rm -rf ~\\<CR>\"' f"), ["rm -rf ~"]);
        // Mappings and commands that run no shell.
        for line in [
            "vim -c 'nnoremap j gj' -c 'normal j' f",
            "vim -c 'nmap <F5> :w<CR>' f",
            "vim -c 'inoremap jk <Esc>' f",
            "vim -c 'nmap <leader>s :%s/a/b/g<CR>' f",
            "vim -c 'command! W w' f",
            "vim -c 'nmap x :!rm -rf ~' f",
        ] {
            assert!(run(line).is_empty(), "{line}");
        }
        assert_eq!(run("vim -c 'nmap <F5> :!make<CR>' f"), ["make"]);
    }

    #[test]
    fn s_is_a_file_of_keys_but_in_ex_mode_silent_mode() {
        assert_eq!(run("vim -e -s -c '!rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("vim -es -c '!rm -rf ~' f"), ["rm -rf ~"]);
        let command = |line: &str| SimpleCommand::plain(shlex::split(line).unwrap(), 0, 0);
        assert_eq!(files_read(&command("vim -s keys f")), [("keys".to_owned(), VimFile::Keys)]);
        assert!(files_read(&command("vim -e -s f")).is_empty());
        assert!(files_read(&command("ex -s f")).is_empty());
        assert_eq!(script_of(":!rm -rf ~\n:wq\n", VimFile::Keys), "rm -rf ~");
        assert_eq!(script_of("!rm -rf ~\n", VimFile::Script), "rm -rf ~");
        let runtime = files_read(&command("vim -c 'set rtp+=/a,/b' -c 'runtime! plugin/x.vim START' f"));
        let files: Vec<&str> = runtime.iter().map(|(file, _)| file.as_str()).collect();
        assert_eq!(files, ["~/.vim/plugin/x.vim", "/a/plugin/x.vim", "/b/plugin/x.vim"]);
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
