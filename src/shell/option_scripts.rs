//! Programs that run a shell command given as the value of one of their options, besides doing
//! their own work: git's ssh, editor and pager (`git -c core.sshCommand=CMD fetch`, also said
//! through its environment, see `environment_options.rs`), `tar --to-command=CMD`, `tar -I CMD`,
//! `rsync -e CMD`, `rsync --rsync-path=CMD` (on the other machine), sed's `e` command and `s///e`
//! flag (`sed.rs`), `vim -c '!CMD'`, `less +!CMD` and `man -P PAGER`. What the value says is
//! read as a script, which every command rule judges; the program itself is judged too.

use super::sed;
use super::vim::{is_vim, start_up_scripts as vim_scripts};

/// Whether `program` is one whose options are read here for a command it runs.
pub fn runs_option_scripts(program: &str) -> bool {
    matches!(program, "tar" | "gtar" | "bsdtar" | "rsync" | "sed" | "gsed" | "less" | "man") || is_vim(program)
}

/// The script the options of `program` (one of [`runs_option_scripts`]) make it run, each
/// command on a line of its own; `None` if they name none.
pub fn script(program: &str, args: &[String]) -> Option<String> {
    let scripts = match program {
        "tar" | "gtar" | "bsdtar" => tar_scripts(args),
        "rsync" => rsync_scripts(args),
        "sed" | "gsed" => sed::commands_run(args),
        "less" => less_scripts(args),
        "man" => man_scripts(args),
        _ if is_vim(program) => vim_scripts(args),
        _ => Vec::new(),
    };
    (!scripts.is_empty()).then(|| scripts.join("\n"))
}

/// The commands git runs that its `-c KEY=VALUE` options (`options`, git's own, before the
/// subcommand) name: its ssh, its editors, its pager (`core.pager`, `pager.SUBCOMMAND`), its diff
/// program, its file system monitor, a credential helper or an alias for the subcommand that
/// starts with `!`. git runs each through a shell (an editor and an alias given more words); and,
/// as they are, the program that asks for a password (`core.askPass`) and the proxy for
/// `git://` (`core.gitProxy`).
pub fn git_configured(options: &[String], subcommand: Option<&str>) -> Vec<String> {
    let mut scripts = Vec::new();
    let mut words = options.iter();
    while let Some(word) = words.next() {
        if word != "-c" {
            continue;
        }
        let Some((key, value)) = words.next().and_then(|setting| setting.split_once('=')) else { continue };
        // Sections and names are read in any case; a subsection (`pager.log`'s `log`) as written.
        let (section, rest) = key.split_once('.').unwrap_or((key, ""));
        let (subsection, name) = rest.rsplit_once('.').map_or(("", rest), |(sub, name)| (sub, name));
        let (section, name) = (section.to_ascii_lowercase(), name.to_ascii_lowercase());
        let is_a_switch = matches!(
            value.to_ascii_lowercase().as_str(),
            "" | "true" | "false" | "yes" | "no" | "on" | "off" | "0" | "1"
        );
        let command = match (section.as_str(), subsection, name.as_str()) {
            // git gives its ssh the host to connect to (`ssh -o ProxyCommand=CMD`, given a host,
            // runs CMD).
            ("core", "", "sshcommand") => {
                scripts.push(with_host(value));
                None
            }
            ("core", "", "editor" | "pager") | ("sequence", "", "editor") | ("diff", "", "external") => Some(value),
            // Programs git runs as they are, no shell between: the one that asks for a password
            // (given the prompt), and the proxy for `git://` (`PROG for DOMAIN`, or `none`).
            ("core", "", "askpass") if !value.is_empty() => {
                scripts.push(format!("{} PROMPT", quoted_program(value)));
                None
            }
            ("core", "", "gitproxy") => {
                let program = value.split_once(" for ").map_or(value, |(program, _)| program).trim();
                if !program.is_empty() && program != "none" {
                    scripts.push(format!("{} HOST PORT", quoted_program(program)));
                }
                None
            }
            // `pager.log=CMD` pages `git log` through CMD; `pager.log=false` turns paging off.
            ("pager", "", _) if !is_a_switch => Some(value),
            ("core", "", "fsmonitor") if !is_a_switch => Some(value),
            ("credential", _, "helper") => value.strip_prefix('!'),
            // The program run for the other end of a local or ssh transfer, as `--upload-pack`.
            ("remote", _, "uploadpack" | "receivepack") if !value.is_empty() => Some(value),
            // `-c alias.x='!CMD' x` runs CMD.
            ("alias", "", alias) if subcommand.is_some_and(|sub| sub.eq_ignore_ascii_case(alias)) => {
                value.strip_prefix('!')
            }
            _ => None,
        };
        scripts.extend(command.filter(|command| !command.trim().is_empty()).map(str::to_owned));
    }
    scripts
}

/// A program's name as one word of a shell command: what a program runs as it is, no shell
/// between, however it is spelled.
fn quoted_program(program: &str) -> String {
    shlex::try_quote(program).map_or_else(|_| program.to_owned(), |quoted| quoted.into_owned())
}

/// GNU tar's short options that take a value (`-f FILE`, `-C DIR`, `-I PROG`, `-F SCRIPT`).
const TAR_SHORT_WITH_VALUE: &str = "bCfFgHIKLNTVX";

/// tar's long options whose value is a command it runs through `sh -c`, each with the shortest
/// prefix getopt takes for it (`--use=gzip`).
const TAR_LONG_COMMANDS: &[(&str, usize)] = &[
    ("--to-command", "--to-c".len()),
    ("--use-compress-program", "--use".len()),
    ("--info-script", "--inf".len()),
    ("--new-volume-script", "--new-".len()),
    ("--checkpoint-action", "--checkpoint-".len()),
    // The remote shell for an archive on another machine (`-f host:a.tar`), run here, and the
    // `rmt` command it runs there.
    ("--rsh-command", "--rs".len()),
    ("--rmt-command", "--rm".len()),
];

/// The commands tar runs: `--to-command=CMD` for each file it extracts, `-I CMD` (and
/// `--use-compress-program`) to compress or decompress, `-F CMD` (and `--info-script`,
/// `--new-volume-script`) at the end of each volume, `--checkpoint-action=exec=CMD`.
fn tar_scripts(args: &[String]) -> Vec<String> {
    let mut scripts = Vec::new();
    let mut index = 0;
    // The old style, `tar xIf CMD a.tar`: each letter that takes a value takes the next word.
    if let Some(first) =
        args.first().filter(|first| !first.starts_with('-') && first.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        index = 1;
        for letter in first.chars() {
            if TAR_SHORT_WITH_VALUE.contains(letter) {
                scripts.extend(args.get(index).filter(|_| matches!(letter, 'I' | 'F')).cloned());
                index += 1;
            }
        }
    }
    while let Some(word) = args.get(index) {
        index += 1;
        if word == "--" {
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, glued) = super::words::name_and_value(long);
            let option = format!("--{name}");
            let runs = TAR_LONG_COMMANDS
                .iter()
                .find(|(full, shortest)| option.len() >= *shortest && full.starts_with(option.as_str()));
            let Some((full, _)) = runs else { continue };
            let value = match glued {
                Some(value) => Some(value.to_owned()),
                None => {
                    index += 1;
                    args.get(index - 1).cloned()
                }
            };
            let value = match (*full, value) {
                ("--checkpoint-action", Some(action)) => action.strip_prefix("exec=").map(str::to_owned),
                (_, value) => value,
            };
            scripts.extend(value);
        } else if let Some(letters) = word.strip_prefix('-').filter(|letters| !letters.is_empty()) {
            // The first letter that takes a value takes the rest of the word, or the next word.
            let Some(at) = letters.find(|c| TAR_SHORT_WITH_VALUE.contains(c)) else { continue };
            let value = match &letters[at + 1..] {
                "" => {
                    index += 1;
                    args.get(index - 1).cloned()
                }
                rest => Some(rest.to_owned()),
            };
            if matches!(letters[at..].chars().next(), Some('I' | 'F')) {
                scripts.extend(value);
            }
        }
    }
    scripts
}

/// rsync's short options that take a value (`-e CMD`, `-f RULE`, `-T DIR`, `-B SIZE`, `-M OPT`).
const RSYNC_SHORT_WITH_VALUE: &str = "BefMT@";

/// The commands rsync runs: its remote shell (`-e CMD`, `--rsh=CMD`, run here, with the host and
/// rsync's own command after its words), and `--rsync-path=CMD`, which that shell runs on the
/// other machine, in the home directory.
fn rsync_scripts(args: &[String]) -> Vec<String> {
    let mut scripts = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, glued) = super::words::name_and_value(long);
            if !matches!(name, "rsh" | "rsync-path") {
                continue;
            }
            let Some(value) = glued.map(str::to_owned).or_else(|| words.next().cloned()) else { break };
            scripts.push(if name == "rsh" { with_host(&value) } else { format!("cd ~\n{value}") });
        } else if let Some(letters) = word.strip_prefix('-').filter(|letters| !letters.is_empty()) {
            let Some(at) = letters.find(|c| RSYNC_SHORT_WITH_VALUE.contains(c)) else { continue };
            let value = match &letters[at + 1..] {
                "" => words.next().cloned(),
                rest => Some(rest.to_owned()),
            };
            if letters[at..].starts_with('e') {
                scripts.extend(value.as_deref().map(with_host));
            }
        }
    }
    scripts
}

/// What stands for the host a program gives the ssh command it was told to use.
const HOST: &str = "HOST";

/// A remote shell's command as a program runs it: with the host after its words, so that ssh's
/// own options that run commands are read as ssh reads them (see `wrappers::inner_script`).
fn with_host(command: &str) -> String {
    format!("{command} {HOST}")
}

/// The shell commands less's start-up commands run: `+!CMD` (and `++!CMD`, for every file), and
/// `+|mCMD`, which pipes the file to CMD.
fn less_scripts(args: &[String]) -> Vec<String> {
    args.iter()
        .take_while(|word| *word != "--")
        .filter_map(|word| {
            let command = word.strip_prefix('+')?.trim_start_matches('+');
            let shell = match command.strip_prefix('!') {
                Some(shell) => shell,
                None => command.strip_prefix('|')?.get(1..)?,
            };
            Some(shell.trim().to_owned()).filter(|shell| !shell.is_empty())
        })
        .collect()
}

/// man-db's short options that take a value (`-P PAGER`, `-M PATH`, `-s LIST`), and those whose
/// value is optional and glued to them alone (`-Tutf8`, `-Hfirefox`, `-X100`).
const MAN_SHORT_WITH_VALUE: &str = "CRLmMSsePrEp";
const MAN_SHORT_OPTIONAL_VALUE: &str = "THX";

/// man-db's long options that take a value, each with the shortest prefix getopt takes for it.
const MAN_LONG_WITH_VALUE: &[(&str, usize)] = &[
    ("pager", 3),
    ("config-file", 1),
    ("recode", 3),
    ("locale", 2),
    ("systems", 2),
    ("manpath", 2),
    ("sections", 2),
    ("extension", 2),
    ("prompt", 3),
    ("encoding", 2),
    ("preprocessor", 3),
];

/// The commands man runs: its pager (`-P PAGER`, `--pager=PAGER`; also from `MANPAGER` and
/// `PAGER`, see `environment_options.rs`), a command with its words, which man splits as a shell
/// would but runs with no shell (no `;` nor `|`); and the browser `-H BROWSER` (`--html=BROWSER`;
/// also from `BROWSER`) names, each of its `:`-separated commands run by a shell with `%s` the page's file.
fn man_scripts(args: &[String]) -> Vec<String> {
    let mut scripts = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, glued) = super::words::name_and_value(long);
            if name.len() >= 2 && "html".starts_with(name) {
                scripts.extend(glued.map(man_browser));
                continue;
            }
            let taking =
                MAN_LONG_WITH_VALUE.iter().find(|(full, shortest)| name.len() >= *shortest && full.starts_with(name));
            let Some((full, _)) = taking else { continue };
            let value = glued.map(str::to_owned).or_else(|| words.next().cloned());
            if *full == "pager" {
                scripts.extend(value.as_deref().map(man_pager));
            }
        } else if let Some(letters) = word.strip_prefix('-').filter(|letters| !letters.is_empty()) {
            for (at, letter) in letters.char_indices() {
                let rest = &letters[at + letter.len_utf8()..];
                if MAN_SHORT_OPTIONAL_VALUE.contains(letter) {
                    if letter == 'H' && !rest.is_empty() {
                        scripts.push(man_browser(rest));
                    }
                    break;
                }
                if MAN_SHORT_WITH_VALUE.contains(letter) {
                    let value = if rest.is_empty() { words.next().cloned() } else { Some(rest.to_owned()) };
                    if letter == 'P' {
                        scripts.extend(value.as_deref().map(man_pager));
                    }
                    break;
                }
            }
        }
    }
    scripts.retain(|script| !script.trim().is_empty());
    scripts
}

/// man's pager as the command line it runs: its words, each quoted, so that what a shell would
/// read as an operator is a word of it.
fn man_pager(pager: &str) -> String {
    let words = shlex::split(pager).unwrap_or_else(|| pager.split_whitespace().map(str::to_owned).collect());
    words.iter().map(|word| quoted_program(word)).collect::<Vec<_>>().join(" ")
}

/// The commands of man's `-H` browser list: `:`-separated, `%s` the HTML file, `%%` a percent
/// sign and `%c` a colon.
fn man_browser(browsers: &str) -> String {
    browsers
        .split(':')
        .map(|browser| {
            let mut command = String::with_capacity(browser.len());
            let mut chars = browser.chars();
            while let Some(c) = chars.next() {
                match (c, chars.clone().next()) {
                    ('%', Some('s')) => command.push_str("FILE"),
                    ('%', Some('c')) => command.push(':'),
                    ('%', Some('%')) => command.push('%'),
                    _ => {
                        command.push(c);
                        continue;
                    }
                }
                chars.next();
            }
            command
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Vec<String> {
        let words = shlex::split(line).expect("a line that splits");
        script(&words[0], &words[1..]).map_or_else(Vec::new, |script| script.lines().map(str::to_owned).collect())
    }

    fn git(line: &str) -> Vec<String> {
        let words = shlex::split(line).expect("a line that splits");
        let at = words.iter().position(|word| !word.starts_with('-') && !word.contains('=')).unwrap_or(words.len());
        git_configured(&words[..at], words.get(at).map(String::as_str))
    }

    #[test]
    fn git_runs_the_commands_its_configuration_names() {
        assert_eq!(git("-c core.sshCommand='rm -rf ~' fetch"), ["rm -rf ~ HOST"]);
        assert_eq!(git("-c CORE.EDITOR=vim commit"), ["vim"]);
        assert_eq!(git("-c sequence.editor=: rebase -i HEAD~2"), [":"]);
        assert_eq!(git("-c pager.log='rm -rf ~' log"), ["rm -rf ~"]);
        assert_eq!(git("-c diff.external=/tmp/x.sh diff"), ["/tmp/x.sh"]);
        assert_eq!(git("-c 'alias.x=!rm -rf ~' x"), ["rm -rf ~"]);
        assert_eq!(git("-c 'credential.helper=!rm -rf ~' push"), ["rm -rf ~"]);
        assert_eq!(git("-c core.fsmonitor='rm -rf ~' status"), ["rm -rf ~"]);
        assert_eq!(git("-c remote.x.uploadpack='rm -rf ~' fetch x"), ["rm -rf ~"]);
        // Programs run as they are: one word, however spelled.
        assert_eq!(git("-c core.askPass=./x.sh push"), ["./x.sh PROMPT"]);
        assert_eq!(git("-c core.askPass='rm -rf ~' push"), ["'rm -rf ~' PROMPT"]);
        assert_eq!(git("-c 'core.gitProxy=./p.sh for example.com' fetch"), ["./p.sh HOST PORT"]);
        assert!(git("-c core.gitProxy=none fetch").is_empty());
    }

    #[test]
    fn git_configuration_that_runs_nothing_is_no_command() {
        assert!(git("-c user.name=bot -c color.ui=always log").is_empty());
        assert!(git("-c pager.log=false -c core.fsmonitor=true log").is_empty());
        assert!(git("-c 'alias.x=!rm -rf ~' status").is_empty(), "the alias is not used");
        assert!(git("-c alias.p=push p").is_empty(), "a git command, not a shell's");
        assert!(git("-c credential.helper=store push").is_empty());
        assert!(git("-c core.pager= log").is_empty());
    }

    #[test]
    fn tar_runs_its_command_options() {
        assert_eq!(run("tar -xf a.tar --to-command='rm -rf ~'"), ["rm -rf ~"]);
        assert_eq!(run("tar -xf a.tar --to-command 'rm -rf ~'"), ["rm -rf ~"]);
        assert_eq!(run("tar -cf localhost:/x --rsh-command='rm -rf ~' ."), ["rm -rf ~"]);
        assert_eq!(run("tar -I 'rm -rf ~' -xf a.tar"), ["rm -rf ~"]);
        assert_eq!(run("tar -Izstd -xf a.tar"), ["zstd"]);
        assert_eq!(run("tar -xvIf 'rm -rf ~' a.tar"), ["f"], "-I takes the rest of its word");
        assert_eq!(run("tar --use-compress-program='rm -rf ~' -xf a.tar"), ["rm -rf ~"]);
        assert_eq!(run("tar --use=pigz -cf a.tgz d"), ["pigz"]);
        assert_eq!(run("tar -cf /dev/null x --checkpoint=1 --checkpoint-action=exec='rm -rf ~'"), ["rm -rf ~"]);
        assert_eq!(run("tar -cf a.tar -F 'rm -rf ~' -M d"), ["rm -rf ~"]);
        assert_eq!(run("tar xIf 'rm -rf ~' a.tar"), ["rm -rf ~"]);
    }

    #[test]
    fn tar_that_only_archives_runs_nothing() {
        for line in [
            "tar -xzf x.tar.gz -C out",
            "tar czf release.tar.gz dist/",
            "tar -cf a.tar -C /tmp --exclude=.git .",
            "tar -xf a.tar -C -I",
            "tar --checkpoint=100 --checkpoint-action=dot -xf a.tar",
            "tar -tvf a.tar",
            "tar xf a.tar -- --to-command=x",
        ] {
            assert!(run(line).is_empty(), "{line}");
        }
    }

    #[test]
    fn rsync_runs_its_remote_shell_here_and_its_rsync_path_there() {
        assert_eq!(run("rsync -e 'rm -rf ~' a b:c"), ["rm -rf ~ HOST"]);
        assert_eq!(run("rsync --rsh='rm -rf ~' a b:c"), ["rm -rf ~ HOST"]);
        assert_eq!(run("rsync --rsh 'rm -rf ~' a b:c"), ["rm -rf ~ HOST"]);
        assert_eq!(run("rsync -avze 'ssh -p 2222' a b:c"), ["ssh -p 2222 HOST"]);
        assert_eq!(run("rsync -essh a b:c"), ["ssh HOST"]);
        assert_eq!(run("rsync --rsync-path='rm -rf ~' a b:c"), ["cd ~", "rm -rf ~"]);
        assert!(run("rsync -av --delete --exclude node_modules src/ host:dst/").is_empty());
        assert!(run("rsync -avf '- *.o' src/ dst/").is_empty());
    }

    #[test]
    fn man_runs_its_pager_and_its_browser() {
        assert_eq!(run("man -P 'rm -rf ~' ls"), ["rm -rf '~'"], "no shell expands the pager's words");
        assert_eq!(run(r"man -P 'rm\ -rf\ ~' ls"), ["'rm -rf ~'"], "one word, as MANOPT spells it");
        assert_eq!(run("man --pager='sh -c \"rm -rf ~\"' ls"), ["sh -c 'rm -rf ~'"]);
        assert_eq!(run("man --pag 'less; rm -rf ~' ls"), ["'less;' rm -rf '~'"], "no `;` either");
        assert_eq!(run("man -aPcat ls"), ["cat"]);
        assert_eq!(run("man -H'rm -rf ~ %s' ls"), ["rm -rf ~ FILE"]);
        assert_eq!(run("man --html='x %s:rm -rf ~' ls"), ["x FILE", "rm -rf ~"]);
        for line in
            ["man ls", "man -k printf", "man 3 printf", "man -s 3 -P", "man -M /x/P ls", "man -Tutf8 ls", "man -H ls"]
        {
            assert!(run(line).is_empty(), "{line}");
        }
    }

    #[test]
    fn less_runs_a_start_up_shell_command() {
        assert_eq!(run("less '+!rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("less '++!rm -rf ~' f"), ["rm -rf ~"]);
        assert_eq!(run("less '+|.rm -rf ~' f"), ["rm -rf ~"]);
        for line in ["less f", "less +G f", "less +F log", "less -R +/error f", "less -- '+!x'"] {
            assert!(run(line).is_empty(), "{line}");
        }
    }
}
