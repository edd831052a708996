//! Variables a program reads from its environment as it reads one of its options, said as that
//! option so the rules that judge the program see it: `GIT_DIR=x git push` is `git --git-dir=x
//! push`, `GIT_SSH_COMMAND=CMD git fetch` is `git -c core.sshCommand=CMD fetch` (a command git
//! runs, see `option_scripts.rs`), `RSYNC_RSH=CMD rsync …` is `rsync --rsh=CMD …`, `LESS='+!CMD'
//! less` is `less '+!CMD'` (and the pager man and git run), `BROWSER=CMD man -H` is `man
//! --html=CMD`. And variables
//! that name a program it runs, with no shell between (`GIT_SSH=PROG git fetch` runs `PROG HOST
//! …`, `GIT_ASKPASS`, `SSH_ASKPASS`), read as that program's command line.

use super::program_name;

/// The variables read, by program, and the option each stands for. An option ending in `=` takes
/// the value glued to it; any other takes it as a `KEY=value` word after it (git's `-c`).
const READ_AS_OPTIONS: &[(&str, &str, &str)] = &[
    ("git", "GIT_DIR", "--git-dir="),
    ("git", "GIT_WORK_TREE", "--work-tree="),
    // Those after these name a command the program runs.
    // What git runs through a shell: its ssh, its editors, its pager, its diff program. git
    // prefers `GIT_EDITOR` and `GIT_PAGER` to `EDITOR`/`VISUAL` and `PAGER`, and reads these
    // before its configuration: each given is read, as any may be the one that runs.
    ("git", "GIT_SSH_COMMAND", "core.sshCommand"),
    ("git", "GIT_EDITOR", "core.editor"),
    ("git", "VISUAL", "core.editor"),
    ("git", "EDITOR", "core.editor"),
    ("git", "GIT_SEQUENCE_EDITOR", "sequence.editor"),
    ("git", "GIT_PAGER", "core.pager"),
    ("git", "PAGER", "core.pager"),
    ("git", "GIT_EXTERNAL_DIFF", "diff.external"),
    ("rsync", "RSYNC_RSH", "--rsh="),
    // Options of their own, read before those given: `TAR_OPTIONS='--to-command=CMD'`.
    ("tar", "TAR_OPTIONS", WORDS),
    ("gtar", "TAR_OPTIONS", WORDS),
    // The input preprocessor, run through a shell (`|CMD %s` or `CMD %s`); and the one run
    // when the file is closed (`CMD %s %s`).
    ("less", "LESSOPEN", "+!"),
    ("less", "LESSCLOSE", "+!"),
    // less's options, read before those given (`LESS='+!CMD'` runs CMD as `less '+!CMD'` does),
    // by less and by the programs that page through it by default (man, git).
    ("less", "LESS", LESS_OPTIONS),
    ("man", "LESS", LESS_OPTIONS),
    ("git", "LESS", LESS_OPTIONS),
    // man's pager (`MANPAGER` before `PAGER`, each read: either may be the one that runs), and
    // options of its own read before those given.
    ("man", "MANPAGER", "--pager="),
    ("man", "PAGER", "--pager="),
    ("man", "MANOPT", ESCAPED_WORDS),
    // The browser `man -H` runs when it names none (each read, as either may be the one used).
    ("man", "BROWSER", "--html="),
    // Ex commands vim runs as it starts, before its vimrc (`EXINIT` when `VIMINIT` is not set;
    // each read: either may be the one that runs).
    (VIM, "VIMINIT", "--cmd "),
    (VIM, "EXINIT", "--cmd "),
];

/// What stands in [`READ_AS_OPTIONS`] for vim under each of its names (see `vim.rs`).
const VIM: &str = "vim";

/// The option of a variable whose value is itself options, split into words as the shell would.
const WORDS: &str = "";

/// The same, split as man splits `MANOPT`: at spaces a backslash does not escape, which it keeps
/// (`-P less\ -R` gives `-P` the pager `less\ -R`, which man splits again as its pager).
const ESCAPED_WORDS: &str = " ";

/// The option of `LESS`, which less reads as options of its own (`-R +G`), a `+` one taking the
/// rest of the value as its commands.
const LESS_OPTIONS: &str = "LESS";

/// How many of [`READ_AS_OPTIONS`] come before those that name a command.
const LOCATIONS: usize = 2;

/// Variables that name a program their readers run as it is (no shell between, so its name is one
/// word however it is spelled), and the words each is given after it: git's ssh (`GIT_SSH`, run
/// as `PROG HOST COMMAND`), the program that asks for a password (git's `GIT_ASKPASS`, and
/// `SSH_ASKPASS`, which git falls back on and ssh runs when it has no terminal, as under an
/// agent: also under scp, sftp, ssh-add, and git and rsync, which run ssh), and git's proxy for
/// `git://` (`GIT_PROXY_COMMAND`).
const PROGRAMS_RUN: &[(&[&str], &str, &str)] = &[
    (&["git"], "GIT_SSH", "HOST git-upload-pack"),
    (&["git"], "GIT_ASKPASS", "PROMPT"),
    (&["git", "ssh", "scp", "sftp", "ssh-add", "rsync"], "SSH_ASKPASS", "PROMPT"),
    (&["git"], "GIT_PROXY_COMMAND", "HOST PORT"),
];

/// Whether `name` is a variable some program reads as an option, or as a program it runs.
pub(super) fn is_read_as_an_option(name: &str) -> bool {
    READ_AS_OPTIONS.iter().any(|(_, variable, _)| *variable == name)
        || PROGRAMS_RUN.iter().any(|(_, variable, _)| *variable == name)
}

/// The command lines of the programs that `program` runs because `value_of` gives a variable of
/// [`PROGRAMS_RUN`] a value (its environment's, or what the script set earlier): each program's
/// name quoted as one word, then the words it is given.
pub(super) fn programs_run(program: &str, value_of: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let program = program_name(program);
    PROGRAMS_RUN
        .iter()
        .filter(|(readers, _, _)| readers.contains(&program))
        .filter_map(|(_, name, after)| {
            let value = value_of(name).filter(|value| !value.trim().is_empty())?;
            let quoted = shlex::try_quote(&value).map_or_else(|_| value.clone(), |quoted| quoted.into_owned());
            Some(format!("{quoted} {after}"))
        })
        .collect()
}

/// `words` (a command whose wrappers and assignments are stripped) with the options that
/// `environment`'s `(name, value)` pairs stand for for its program put after the program.
pub(super) fn with_environment(mut words: Vec<String>, environment: &[(String, String)]) -> Vec<String> {
    let Some(program) = words.first().map(|first| program_name(first).to_owned()) else { return words };
    let mut options = Vec::new();
    for (name, value) in environment {
        for (_, _, option) in
            READ_AS_OPTIONS.iter().filter(|(reader, variable, _)| reads(reader, &program) && variable == name)
        {
            options.extend(match *option {
                LESS_OPTIONS => less_options(&program, value),
                _ => as_option(option, value),
            });
        }
    }
    words.splice(1..1, options);
    words
}

/// `words` with the options that the variables the script set earlier (`export
/// GIT_SSH_COMMAND=…; git fetch`), of those that name a command, stand for: `value_of` gives a
/// name's value where the script surely set it. Whether the script exported it is not followed: a
/// name such as `EDITOR` is most often exported already, and assigning it then changes what
/// programs see; and reading a command that may not run only judges more.
pub(super) fn with_script_variables(words: Vec<String>, value_of: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let Some(program) = words.first().map(|first| program_name(first)) else { return words };
    let environment: Vec<(String, String)> = READ_AS_OPTIONS[LOCATIONS..]
        .iter()
        .filter(|(reader, _, _)| reads(reader, program))
        .filter_map(|(_, name, _)| Some((name.to_string(), value_of(name)?)))
        .collect();
    if environment.is_empty() {
        return words;
    }
    with_environment(words, &environment)
}

/// Whether `program` is `reader` of [`READ_AS_OPTIONS`].
fn reads(reader: &str, program: &str) -> bool {
    reader == program || (reader == VIM && super::vim::is_vim(program))
}

/// The start-up commands `LESS`'s `value` gives less (a `+` at its start or after a blank takes
/// the rest of the value, `+G +!CMD` is `G +!CMD`; each `+` is read as one, so that `+!CMD` is
/// seen), said as options of `program`: less's own words (`+!CMD`), or the pager man and git run
/// (`less '+!CMD'`).
fn less_options(program: &str, value: &str) -> Vec<String> {
    let commands: Vec<String> = value
        .char_indices()
        .filter(|&(at, c)| c == '+' && (at == 0 || value[..at].ends_with(char::is_whitespace)))
        .map(|(at, _)| value[at..].trim_end().to_owned())
        .collect();
    if commands.is_empty() {
        return Vec::new();
    }
    let quoted =
        commands.iter().map(|command| shlex::try_quote(command).map_or_else(|_| command.clone(), |q| q.into_owned()));
    let pager = std::iter::once("less".to_owned()).chain(quoted).collect::<Vec<_>>().join(" ");
    match program {
        "man" => vec![format!("--pager={pager}")],
        "git" => vec!["-c".to_owned(), format!("core.pager={pager}")],
        _ => commands,
    }
}

/// The words that give `option` the value `value`.
fn as_option(option: &str, value: &str) -> Vec<String> {
    match option {
        // `--cmd `: the value is the next word.
        _ if option.starts_with('-') && option.ends_with(' ') => vec![option.trim_end().to_owned(), value.to_owned()],
        WORDS => shlex::split(value).unwrap_or_default(),
        ESCAPED_WORDS => {
            let mut words = vec![String::new()];
            let mut chars = value.chars();
            while let Some(c) = chars.next() {
                let word = words.last_mut().expect("one word at least");
                match c {
                    '\\' => {
                        word.push(c);
                        word.extend(chars.next());
                    }
                    ' ' | '\t' | '\n' if !word.is_empty() => words.push(String::new()),
                    ' ' | '\t' | '\n' => {}
                    _ => word.push(c),
                }
            }
            words.into_iter().filter(|word| !word.is_empty()).collect()
        }
        "+!" => {
            let command = value.trim_start_matches('|').trim_start_matches('-').replace("%s", "FILE");
            vec![format!("+!{command}")]
        }
        _ if option.ends_with('=') => vec![format!("{option}{value}")],
        _ => vec!["-c".to_owned(), format!("{option}={value}")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(words: &[&str], environment: &[(&str, &str)]) -> Vec<String> {
        let environment: Vec<(String, String)> =
            environment.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        with_environment(words.iter().map(|word| word.to_string()).collect(), &environment)
    }

    #[test]
    fn a_variable_the_program_reads_is_its_option() {
        assert_eq!(
            given(&["git", "fetch"], &[("GIT_SSH_COMMAND", "rm -rf ~")]),
            ["git", "-c", "core.sshCommand=rm -rf ~", "fetch"]
        );
        assert_eq!(given(&["/usr/bin/git", "push"], &[("GIT_DIR", "d")]), ["/usr/bin/git", "--git-dir=d", "push"]);
        assert_eq!(
            given(&["rsync", "a", "b:c"], &[("RSYNC_RSH", "ssh -p 2")]),
            ["rsync", "--rsh=ssh -p 2", "a", "b:c"]
        );
        assert_eq!(
            given(&["tar", "xf", "a.tar"], &[("TAR_OPTIONS", "--to-command='rm -rf ~' -v")]),
            ["tar", "--to-command=rm -rf ~", "-v", "xf", "a.tar"]
        );
        assert_eq!(given(&["less", "f"], &[("LESSOPEN", "|rm -rf ~; cat %s")]), ["less", "+!rm -rf ~; cat FILE", "f"]);
        assert_eq!(given(&["less", "f"], &[("LESSCLOSE", "rm -rf ~ %s %s")]), ["less", "+!rm -rf ~ FILE FILE", "f"]);
        assert_eq!(given(&["man", "ls"], &[("MANPAGER", "rm -rf ~")]), ["man", "--pager=rm -rf ~", "ls"]);
        assert_eq!(given(&["less", "f"], &[("LESS", "-R +!rm -rf ~")]), ["less", "+!rm -rf ~", "f"]);
        assert_eq!(given(&["less", "f"], &[("LESS", "+G +!rm -rf ~")]), ["less", "+G +!rm -rf ~", "+!rm -rf ~", "f"]);
        assert_eq!(given(&["man", "ls"], &[("LESS", "+!rm -rf ~")]), ["man", "--pager=less '+!rm -rf ~'", "ls"]);
        assert_eq!(given(&["git", "log"], &[("LESS", "+!x")]), ["git", "-c", "core.pager=less '+!x'", "log"]);
        assert_eq!(given(&["less", "f"], &[("LESS", "-R -i")]), ["less", "f"], "no start-up command");
        assert_eq!(given(&["git", "log"], &[("LESS", "FRX")]), ["git", "log"]);
        assert_eq!(given(&["man", "-H", "ls"], &[("BROWSER", "rm -rf ~")]), ["man", "--html=rm -rf ~", "-H", "ls"]);
        assert_eq!(given(&["nvim", "f"], &[("VIMINIT", "!rm -rf ~")]), ["nvim", "--cmd", "!rm -rf ~", "f"]);
        assert_eq!(given(&["vi"], &[("EXINIT", "set nu")]), ["vi", "--cmd", "set nu"]);
        assert_eq!(
            given(&["man", "ls"], &[("MANOPT", r"-a  -P rm\ -rf\ ~")]),
            ["man", "-a", "-P", r"rm\ -rf\ ~", "ls"]
        );
    }

    #[test]
    fn a_command_the_script_set_earlier_is_read_but_not_a_location() {
        let set = |name: &str| matches!(name, "GIT_PAGER" | "GIT_DIR").then(|| "less -R".to_owned());
        let words = |line: &str| line.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(with_script_variables(words("git log"), set), ["git", "-c", "core.pager=less -R", "log"]);
        assert_eq!(with_script_variables(words("ls -l"), set), ["ls", "-l"]);
    }

    #[test]
    fn a_variable_that_names_a_program_is_that_program_run_as_it_is() {
        let environment = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, value)| value.to_string())
        };
        assert_eq!(programs_run("git", environment(&[("GIT_SSH", "./x.sh")])), ["./x.sh HOST git-upload-pack"]);
        assert_eq!(
            programs_run("/usr/bin/git", environment(&[("GIT_ASKPASS", "/tmp/a b"), ("GIT_PROXY_COMMAND", "p")])),
            ["'/tmp/a b' PROMPT", "p HOST PORT"]
        );
        assert_eq!(programs_run("ssh", environment(&[("SSH_ASKPASS", "rm -rf ~")])), ["'rm -rf ~' PROMPT"]);
        assert!(programs_run("ssh", environment(&[("GIT_SSH", "x"), ("SSH_ASKPASS", "")])).is_empty());
        assert!(programs_run("ls", environment(&[("SSH_ASKPASS", "x")])).is_empty());
        assert!(is_read_as_an_option("GIT_ASKPASS"));
    }

    #[test]
    fn another_programs_variable_is_left_out() {
        assert_eq!(given(&["rm", "-rf", "x"], &[("GIT_DIR", "d"), ("EDITOR", "vim")]), ["rm", "-rf", "x"]);
        assert_eq!(given(&["rsync", "a", "b"], &[("GIT_SSH_COMMAND", "x")]), ["rsync", "a", "b"]);
        assert_eq!(given(&["git", "log"], &[("LANG", "C")]), ["git", "log"]);
        assert!(given(&[], &[("GIT_DIR", "d")]).is_empty());
    }
}
