//! Programs that run another program: `sudo rm ...` deletes as surely as `rm ...` does.

use super::{environment_options, option_scripts, program_name, runners, SimpleCommand};

/// The words with leading `VAR=value` assignments, reserved words that open a compound command
/// (`{ rm -rf ~; }`, `if x; then rm -rf ~; fi`, `! rm -rf ~`) and wrapper programs (and their
/// options) removed, so the first word is the program that does the work.
pub fn strip(words: Vec<String>) -> Vec<String> {
    strip_noting_environment(words).words
}

/// A command's words with its wrappers stripped (see [`strip`]), and what they gave it.
pub struct Stripped {
    pub words: Vec<String>,
    /// Whether `xargs` was among the wrappers: the program then also takes the words of its input
    /// as operands.
    pub through_xargs: bool,
    /// The assignments in front of it, or given to `env` (`X=1 sh -c '…'`, `env X=1 sh -c '…'`):
    /// the environment the program gets besides what the script exported.
    pub environment: Vec<(String, String)>,
    /// The command lines of the programs those assignments make it run (`GIT_SSH=PROG git fetch`:
    /// see `environment_options::programs_run`).
    pub runs: Vec<String>,
}

/// [`strip`], noting what the wrappers gave the program (see [`Stripped`]).
pub fn strip_noting_environment(mut words: Vec<String>) -> Stripped {
    let mut through_xargs = false;
    // `GIT_DIR=x git push` is `git --git-dir=x push`: said as the option, which rules read.
    let mut environment = Vec::new();
    let mut given = Vec::new();
    loop {
        let reserved = words.iter().take_while(|word| is_reserved(word)).count();
        if reserved > 0 {
            words.drain(..reserved);
            continue;
        }
        // `function NAME { BODY; }`: the body runs when the function is called.
        if words.first().is_some_and(|word| word == "function") {
            words.drain(..2.min(words.len()));
            continue;
        }
        let skip = leading_assignments(&words);
        if skip > 0 {
            for word in words.drain(..skip) {
                given.extend(word.split_once('=').map(|(name, value)| (name.to_owned(), value.to_owned())));
                environment.extend(as_assignment(&word));
            }
            continue;
        }
        let Some(first) = words.first() else { break };
        // `coproc NAME { BODY; }`: the name is the coprocess's, the body is what runs.
        if program_name(first) == "coproc" && names_a_coprocess(&words) {
            words.drain(..2);
            continue;
        }
        // `pnpm exec rimraf`, `npm x cdk`, `yarn --silent dlx`, `bun x`: a package's program, as
        // npx runs it. (An option that takes a value, `pnpm -C dir exec`, is taken for the verb.)
        let runner = program_name(first);
        if matches!(runner, "npm" | "pnpm" | "yarn" | "bun") {
            let verb_at = 1 + words[1..].iter().take_while(|word| word.starts_with('-') && *word != "--").count();
            let verb = words.get(verb_at).map(String::as_str);
            if matches!(verb, Some("exec" | "x" | "dlx")) && (runner != "bun" || verb == Some("x")) {
                words.splice(..=verb_at, ["npx".to_owned()]);
                continue;
            }
        }
        if let Some(start) = runners::command_start(&words) {
            words.drain(..start);
            continue;
        }
        // `env -S 'rm -rf ~'` splits its string into the command (see `inner_script`).
        if program_name(first) == "env" && env_splits_a_string(&words[1..]) {
            break;
        }
        if program_name(first) == "screen" && screen_runs_nothing(&words[1..]) {
            break;
        }
        let Some(taking_values) = wrapper_options(program_name(first)) else { break };
        // `command -v NAME` says where NAME is; it does not run it.
        if program_name(first) == "command"
            && words.iter().skip(1).take_while(|word| word.starts_with('-')).any(|word| word.contains(['v', 'V']))
        {
            break;
        }
        through_xargs |= program_name(first) == "xargs";
        let mut index = 1;
        // `timeout 10 cmd`, `nice -n 5 cmd`: a wrapper's own options and leading operands.
        let mut operands = leading_operands(program_name(first));
        while let Some(word) = words.get(index) {
            if word == "--" {
                index += 1;
                break;
            }
            if word.starts_with('-') && word.len() > 1 {
                let takes_value = match program_name(first) {
                    "screen" => screen_option_takes_value(word),
                    _ => taking_values.contains(&word.as_str()),
                };
                index += 1 + usize::from(takes_value);
            } else if program_name(first) == "env" && word.contains('=') {
                given.extend(word.split_once('=').map(|(name, value)| (name.to_owned(), value.to_owned())));
                environment.extend(as_assignment(word));
                index += 1;
            } else if operands > 0 {
                operands -= 1;
                index += 1;
            } else {
                break;
            }
        }
        // A wrapper given no command runs itself: `env` prints the environment, `nice` the niceness.
        if index >= words.len() {
            break;
        }
        let runs_a_package = PACKAGE_RUNNERS.contains(&program_name(first));
        words.drain(..index);
        if runs_a_package {
            words[0] = package_program(&words[0]).to_owned();
        }
    }
    // `X+=1 cmd` appends to the value the program is given: not followed.
    given.retain(|(name, _)| !name.ends_with('+'));
    let value_of = |name: &str| environment.iter().rev().find(|(n, _)| n == name).map(|(_, value)| value.clone());
    let runs = words.first().map(|first| environment_options::programs_run(first, value_of)).unwrap_or_default();
    Stripped {
        words: environment_options::with_environment(words, &environment),
        through_xargs,
        environment: given,
        runs,
    }
}

/// A `NAME=value` assignment in a program's environment, if the name is one a program reads as
/// an option.
fn as_assignment(assignment: &str) -> Option<(String, String)> {
    let (name, value) = assignment.split_once('=')?;
    environment_options::is_read_as_an_option(name).then(|| (name.to_owned(), value.to_owned()))
}

/// What an `xargs` among `words` (before the program it runs) replaces with each line it reads:
/// `-I STR`, `-ISTR`, `--replace=STR`, or `{}` for `-i` and `--replace`.
pub fn xargs_replace_string(words: &[String]) -> Option<String> {
    let at = words.iter().position(|word| program_name(word) == "xargs")?;
    let mut options = words[at + 1..].iter();
    let mut found = None;
    while let Some(option) = options.next().filter(|word| word.starts_with('-') && *word != "--") {
        found = match option.as_str() {
            "-I" => options.next().cloned(),
            "-i" | "--replace" => Some("{}".to_owned()),
            long if long.starts_with("--replace=") => Some(long["--replace=".len()..].to_owned()),
            short if short.starts_with("-I") => Some(short[2..].to_owned()),
            // Another option's value (`-n 1`, `-P 4`) is no program yet.
            valued if wrapper_options("xargs").is_some_and(|taking| taking.contains(&valued)) => {
                options.next();
                found
            }
            _ => found,
        };
    }
    found.filter(|mark| !mark.is_empty())
}

/// Whether `coproc NAME …` names its coprocess: bash takes the word after `coproc` for a name
/// only when a compound command follows it (`coproc cat file` runs `cat`).
fn names_a_coprocess(words: &[String]) -> bool {
    let is_name = |word: &str| {
        word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    words.len() > 2 && is_name(&words[1]) && opens_a_compound(&words[2])
}

/// Whether `word` opens a compound command when it comes first.
pub(super) fn opens_a_compound(word: &str) -> bool {
    matches!(word, "{" | "(" | "((" | "[[" | "if" | "while" | "until" | "for" | "select" | "case")
}

/// Words the shell reads as the start of a compound command (or a negation) when they come
/// first, before the command that runs.
pub(super) fn is_reserved(word: &str) -> bool {
    matches!(word, "{" | "!" | "if" | "then" | "elif" | "else" | "while" | "until" | "do")
}

/// How many words at the start are `NAME=value` assignments.
fn leading_assignments(words: &[String]) -> usize {
    words
        .iter()
        .take_while(|word| {
            word.split_once('=').is_some_and(|(name, _)| {
                // `pids+=…` appends.
                let name = name.strip_suffix('+').unwrap_or(name);
                !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && !name.as_bytes()[0].is_ascii_digit()
            })
        })
        .count()
}

/// For a wrapper program, the options that take a separate value; `None` if not a wrapper.
#[rustfmt::skip]
fn wrapper_options(program: &str) -> Option<&'static [&'static str]> {
    Some(match program {
        "sudo" | "doas" => &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"],
        "env" => &["-u", "-C", "--unset", "--chdir"],
        "xargs" => &["-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--arg-file", "--delimiter", "--max-args"],
        "nice" => &["-n", "--adjustment"],
        "timeout" => &["-s", "-k", "--signal", "--kill-after"],
        // `exec -a NAME cmd` runs cmd under another name.
        "exec" => &["-a"],
        // `npx cdk destroy` runs the package's program (installed on the way if need be); `-c`
        // runs a script instead (see `inner_script`).
        "npx" | "pnpx" | "bunx" => &["-p", "--package", "-c", "--call"],
        "strace" | "ltrace" => &["-o", "-e", "-p", "-s", "-u", "-E", "-P", "-a", "-b", "-I", "-O", "-S", "-X"],
        // `flock FILE -c SCRIPT` runs a script instead (see `inner_script`).
        "flock" => &["-w", "--timeout", "-E", "--conflict-exit-code", "-c", "--command"],
        "xvfb-run" => &[
            "-n", "--server-num", "-s", "--server-args", "-f", "--auth-file", "-e", "--error-file", "-p",
            "--xauth-protocol", "-w", "--wait",
        ],
        "run0" => &[
            "-u", "--user", "-g", "--group", "-p", "--property", "--description", "--slice", "--unit",
            "--nice", "-D", "--chdir", "--setenv",
        ],
        "systemd-run" => &[
            "-u", "--unit", "-p", "--property", "--description", "--slice", "--uid", "--gid", "--nice", "-E",
            "--setenv", "-D", "--chdir", "--working-directory", "-M", "--machine", "-H", "--host",
            "--on-active", "--on-boot", "--on-calendar", "--on-unit-active", "--timer-property",
            "--service-type",
        ],
        "unshare" => &[
            "-S", "--setuid", "-G", "--setgid", "--map-user", "--map-group", "--propagation", "--setgroups",
            "-R", "--root", "-w", "--wd",
        ],
        "nsenter" => &["-t", "--target", "-S", "--setuid", "-G", "--setgid"],
        "setpriv" => &[
            "--reuid", "--regid", "--ruid", "--rgid", "--euid", "--egid", "--groups", "--inh-caps",
            "--ambient-caps", "--bounding-set", "--securebits", "--pdeathsig", "--selinux-label",
            "--apparmor-profile",
        ],
        "numactl" => &[
            "-N", "--cpunodebind", "-m", "--membind", "-C", "--physcpubind", "-i", "--interleave", "-p",
            "--preferred",
        ],
        "cgexec" => &["-g"],
        "fakeroot" => &["-l", "--lib", "--faked", "-s", "-i", "-b"],
        "screen" => &["-S", "-c", "-e", "-h", "-p", "-s", "-T", "-t", "-Logfile"],
        // `shx rm -rf dist`: shelljs's commands, from npm scripts. `coproc rm -rf ~` runs it beside
        // the shell.
        "nohup" | "time" | "command" | "builtin" | "stdbuf" | "caffeinate" | "ionice" | "busybox" | "setsid"
        | "unbuffer" | "shx" | "coproc" | "taskset" | "chrt" | "prlimit" | "firejail" | "catchsegv" => &[],
        "chroot" => &["--userspec", "--groups"],
        // `runuser -u USER -- cmd`, `pkexec cmd`, `valgrind --tool=X cmd`, `proot -r DIR cmd`,
        // `dbus-launch cmd`, `xterm -e cmd`: each runs the command after its own options.
        "runuser" => &["-u", "--user", "-g", "--group", "-G", "--supp-group", "-w", "--whitelist-environment"],
        "pkexec" => &["--user"],
        "valgrind" => &["--log-file", "--suppressions"],
        "proot" => &["-r", "--rootfs", "-b", "--bind", "-w", "--pwd", "-q", "--qemu"],
        "dbus-launch" | "dbus-run-session" => &["--config-file"],
        "xterm" => &["-T", "-title", "-geometry", "-fa", "-fs", "-bg", "-fg"],
        _ => return None,
    })
}

/// The wrappers that run a package's program by the package's name.
const PACKAGE_RUNNERS: &[&str] = &["npx", "pnpx", "bunx"];

/// The program a package runner runs for a package named with its scope or version
/// (`rimraf@5`, `@aws-cdk/cli@2`): the package's name, which is its program's.
fn package_program(package: &str) -> &str {
    let unscoped = match package.strip_prefix('@') {
        Some(scoped) => scoped.split_once('/').map_or(scoped, |(_, name)| name),
        None => package,
    };
    unscoped.split_once('@').map_or(unscoped, |(name, _)| name)
}

/// Operands a wrapper takes before the command (`timeout DURATION cmd`).
fn leading_operands(program: &str) -> usize {
    // `flock FILE cmd`, `taskset MASK cmd`, `chrt PRIORITY cmd`, `chroot DIR cmd`.
    usize::from(matches!(program, "timeout" | "flock" | "taskset" | "chrt" | "chroot"))
}

/// Whether screen's options say it attaches to a session, lists them or tells one something
/// (`screen -r NAME`, `screen -S x -X quit`, `screen -ls`): no command is run. `-d` alone detaches
/// a session elsewhere; `-d -m` starts one detached.
fn screen_runs_nothing(args: &[String]) -> bool {
    let mut options = Vec::new();
    let mut rest = args.iter();
    while let Some(option) = rest.next().filter(|word| word.starts_with('-')) {
        options.push(option.as_str());
        if screen_option_takes_value(option) {
            rest.next();
        }
    }
    let starts = options.contains(&"-m");
    options.iter().any(|option| {
        matches!(*option, "-r" | "-R" | "-RR" | "-x" | "-X" | "-ls" | "-list" | "-wipe" | "-Q")
            || (!starts && matches!(*option, "-d" | "-D"))
    })
}

/// Whether a screen option takes the next word: one of those that do, or a run of letters that
/// ends with `S` (`-dmS NAME`).
fn screen_option_takes_value(option: &str) -> bool {
    wrapper_options("screen").is_some_and(|taking| taking.contains(&option))
        || (!option.starts_with("--") && option.len() > 2 && option.ends_with('S'))
}

/// `env -S STRING` (`--split-string`): env splits the string into the command and its words.
fn splits_a_string(word: &str) -> bool {
    word == "-S" || word.starts_with("--split-string") || (word.starts_with("-S") && !word.starts_with("-S="))
}

/// Where env's own `-S` is among its arguments: before the command it runs (`env X=1 sudo -S …`
/// gives sudo its `-S`).
fn env_split_string_at(args: &[String]) -> Option<usize> {
    let mut index = 0;
    while let Some(word) = args.get(index) {
        if splits_a_string(word) {
            return Some(index);
        }
        if word == "--" || !(word.starts_with('-') || word.contains('=')) {
            return None;
        }
        let takes_value = wrapper_options("env").is_some_and(|taking| taking.contains(&word.as_str()));
        index += 1 + usize::from(takes_value);
    }
    None
}

fn env_splits_a_string(args: &[String]) -> bool {
    env_split_string_at(args).is_some()
}

pub fn is_shell(program: &str) -> bool {
    matches!(
        program,
        "sh" | "bash" | "zsh" | "dash" | "ksh" | "fish" | "ash" | "mksh" | "yash" | "posh" | "rbash" | "csh" | "tcsh"
    )
}

/// The script a command runs by itself: `ssh HOST WORDS` (on that machine, its words joined as
/// its shell reads them), `bash -c SCRIPT`, `sh -lc SCRIPT`, `su -c SCRIPT`,
/// `script -c SCRIPT`, `eval WORDS`, `watch WORDS`, `trap SCRIPT SIGNAL`, `powershell -Command
/// SCRIPT`. A shell's `$0`, `$1`, … and `$@` are the words given after its script, written in.
pub fn inner_script(command: &SimpleCommand) -> Option<String> {
    let program = command.program();
    let args = command.args();
    if is_shell(program) {
        let flag = args.iter().position(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('c'))?;
        let (script, rest) = shell_script_after(&args[flag + 1..])?;
        return Some(with_positional_parameters(script, rest));
    }
    match program.to_ascii_lowercase().as_str() {
        "eval" => Some(args.join(" ")),
        // `watch -n 1 'cmd'` runs its words through `sh -c`.
        "watch" => {
            let mut index = 0;
            while let Some(word) = args.get(index).filter(|word| word.starts_with('-')) {
                index += if matches!(word.as_str(), "-n" | "--interval" | "-q" | "--equexit") { 2 } else { 1 };
            }
            args.get(index..).filter(|words| !words.is_empty()).map(|words| words.join(" "))
        }
        // `trap 'cmd' EXIT` runs cmd when the shell gets the signal or exits.
        "trap" => args.iter().find(|a| !a.starts_with('-')).filter(|_| args.len() > 1).cloned(),
        // `env -S 'rm -rf ~'`: the string split into words, then the words after it.
        "env" => {
            let at = env_split_string_at(args)?;
            let string = match args[at].as_str() {
                "-S" | "--split-string" => args.get(at + 1..)?.join(" "),
                attached => {
                    let value = attached.strip_prefix("--split-string=").or_else(|| attached.strip_prefix("-S"))?;
                    std::iter::once(value)
                        .chain(args[at + 1..].iter().map(String::as_str))
                        .collect::<Vec<_>>()
                        .join(" ")
                }
            };
            Some(string)
        }
        // `sg GROUP -c SCRIPT` and `sg GROUP SCRIPT` run it with `sh -c`.
        "sg" => {
            let rest: Vec<&String> = args.iter().filter(|word| *word != "-").collect();
            let script = if rest.get(1).is_some_and(|word| *word == "-c") { rest.get(2) } else { rest.get(1) };
            script.map(|script| (*script).clone())
        }
        // `nix-shell --run SCRIPT` (`--command`: the same, left in an interactive shell).
        "nix-shell" => {
            let flag = args.iter().position(|a| a == "--run" || a == "--command")?;
            args.get(flag + 1).cloned()
        }
        // `axiom client --command SCRIPT` and `axiom client start SCRIPT` run it as a task, with `sh -c`.
        "axiom" if args.first().is_some_and(|verb| verb == "client") => axiom_client_script(&args[1..]),
        // `tmux new -d 'SCRIPT'`: a new session, window or pane runs it with the user's shell.
        "tmux" => tmux_script(args),
        "su" | "runuser" | "script" | "flock" => {
            let short_c = |a: &String| a.starts_with('-') && !a.starts_with("--") && a.ends_with('c');
            let flag = args.iter().position(|a| short_c(a) || a == "--command" || a == "--session-command")?;
            args.get(flag + 1).cloned()
        }
        "git" => git_script(args),
        "ssh" => ssh_script(args),
        // `tar --to-command=CMD`, `rsync -e CMD`, `sed 'e CMD'`, `vim -c '!CMD'`, `less +!CMD`.
        _ if option_scripts::runs_option_scripts(program) => option_scripts::script(program, args),
        // `npx -c 'cmd'` runs cmd through a shell (`npm exec -c` too).
        "npx" | "pnpx" => {
            let flag = args.iter().position(|a| a == "-c" || a == "--call")?;
            args.get(flag + 1).cloned()
        }
        "powershell" | "pwsh" => {
            let flag = args.iter().position(|a| a.eq_ignore_ascii_case("-command") || a.eq_ignore_ascii_case("-c"))?;
            Some(args.get(flag + 1..)?.join(" "))
        }
        _ => None,
    }
}

/// The command line `axiom client` starts as a task: `--command SCRIPT` (`--command=SCRIPT`), or
/// `start SCRIPT` after the client's options.
fn axiom_client_script(args: &[String]) -> Option<String> {
    const WITH_VALUE: &[&str] =
        &["--server", "--token-file", "--state-dir", "--driver", "--prompt-pattern", "--format", "--command"];
    let mut words = args.iter();
    let mut starting = false;
    while let Some(word) = words.next() {
        if let Some(attached) = word.strip_prefix("--command=") {
            return Some(attached.to_owned());
        }
        match word.as_str() {
            "--command" => return words.next().cloned(),
            option if WITH_VALUE.contains(&option) => {
                words.next();
            }
            option if option.starts_with('-') => {}
            "start" if !starting => starting = true,
            script if starting => return Some(script.to_owned()),
            // Another subcommand (`list`, `kill ID`): no command line of its own.
            _ => return None,
        }
    }
    None
}

/// The script a tmux command that makes a session, a window or a pane runs: its words after
/// its options.
fn tmux_script(args: &[String]) -> Option<String> {
    const MAKERS: &[&str] = &[
        "new",
        "new-session",
        "new-window",
        "neww",
        "split-window",
        "splitw",
        "respawn-pane",
        "respawnp",
        "respawn-window",
        "respawnw",
    ];
    const WITH_VALUE: &[&str] = &["-s", "-n", "-c", "-t", "-x", "-y", "-e", "-F", "-f", "-l", "-L", "-S"];
    let mut index = 0;
    // tmux's own options come first (`tmux -L sock new …`).
    while let Some(word) = args.get(index).filter(|word| word.starts_with('-')) {
        index += 1 + usize::from(WITH_VALUE.contains(&word.as_str()));
    }
    if !MAKERS.contains(&args.get(index)?.as_str()) {
        return None;
    }
    index += 1;
    while let Some(word) = args.get(index).filter(|word| word.starts_with('-')) {
        index += 1 + usize::from(WITH_VALUE.contains(&word.as_str()));
    }
    args.get(index..).filter(|words| !words.is_empty()).map(|words| words.join(" "))
}

/// ssh's options that take a value, in the next word or the rest of their own (`-p 22`, `-p22`).
const SSH_OPTIONS_WITH_VALUE: &str = "BbcDEeFIiJLlmOoPpQRSWw";

/// What `ssh [OPTIONS] DESTINATION [OPTIONS] COMMAND…` runs: its command, on DESTINATION (its words
/// joined by spaces, read by the remote user's shell, which starts in the home directory), and
/// the commands its `-o` options run (`RemoteCommand` there, `ProxyCommand`, `LocalCommand` and
/// `KnownHostsCommand` here). None when it runs none: no command, or a subsystem (`-s sftp`).
fn ssh_script(args: &[String]) -> Option<String> {
    let mut index = 0;
    let mut destination = None;
    let mut scripts = Vec::new();
    while let Some(word) = args.get(index) {
        index += 1;
        if word == "--" {
            if destination.is_none() {
                destination = args.get(index);
                index += 1;
            }
            break;
        }
        let Some(letters) = word.strip_prefix('-').filter(|letters| !letters.is_empty()) else {
            // OpenSSH reads options after the destination too; the first other word is the command.
            if destination.is_some() {
                index -= 1;
                break;
            }
            destination = Some(word);
            continue;
        };
        let Some(at) = letters.find(|c| SSH_OPTIONS_WITH_VALUE.contains(c)) else {
            if letters.contains('s') {
                return None;
            }
            continue;
        };
        if letters[..at].contains('s') {
            return None;
        }
        // The first letter that takes a value ends the word; the value is the rest, or the next word.
        let value = match &letters[at + 1..] {
            "" => {
                index += 1;
                args.get(index - 1).map(String::as_str)
            }
            rest => Some(rest),
        };
        if letters[at..].starts_with('o') {
            scripts.extend(value.and_then(ssh_option_script));
        }
    }
    destination?;
    if let Some(command) = args.get(index..).filter(|words| !words.is_empty()) {
        scripts.push(format!("cd ~\n{}", command.join(" ")));
    }
    (!scripts.is_empty()).then(|| scripts.join("\n"))
}

/// The command an `-o KEY=VALUE` (or `KEY VALUE`) option of ssh runs, remote or local.
fn ssh_option_script(option: &str) -> Option<String> {
    let (key, value) = option.split_once(['=', ' ']).map(|(key, value)| (key.trim(), value.trim()))?;
    match key.to_ascii_lowercase().as_str() {
        "remotecommand" => Some(format!("cd ~\n{value}")),
        // `KnownHostsCommand` runs (through a shell) to list the host's keys, before it connects.
        // `none` (any case) turns each off.
        "proxycommand" | "localcommand" | "knownhostscommand" if !value.eq_ignore_ascii_case("none") => {
            Some(value.to_owned())
        }
        _ => None,
    }
}

/// git's global options that take the next word as their value (`git -C DIR`, `git -c KEY=VALUE`).
pub const GIT_OPTIONS_WITH_VALUE: [&str; 7] =
    ["-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env"];

/// What git runs itself: `git rebase -x CMD` (or `--exec`) through a shell after each commit,
/// `git bisect run CMD ARGS` at each step, `git submodule foreach CMD` in each submodule; the
/// commands its `-c` options name (`-c core.sshCommand=CMD`, its editor, its pager: see
/// `option_scripts.rs`); and the command an `ext::` remote names (see [`ext_remote_command`]).
fn git_script(args: &[String]) -> Option<String> {
    let mut index = 0;
    while let Some(word) = args.get(index).filter(|word| word.starts_with('-')) {
        index += 1 + usize::from(GIT_OPTIONS_WITH_VALUE.contains(&word.as_str()));
    }
    let index = index.min(args.len());
    let mut scripts = option_scripts::git_configured(&args[..index], args.get(index).map(String::as_str));
    scripts.extend(git_subcommand_script(&args[index..]));
    if args.get(index).is_some_and(|subcommand| GIT_REMOTE_SUBCOMMANDS.contains(&subcommand.as_str())) {
        scripts.extend(args.iter().filter_map(|word| ext_remote_command(word)));
    }
    (!scripts.is_empty()).then(|| scripts.join("\n"))
}

/// The git subcommands that reach a remote, or name one for later (`remote add`, `submodule
/// add`), by a URL among their words or their `-c` options.
const GIT_REMOTE_SUBCOMMANDS: &[&str] =
    &["clone", "fetch", "pull", "push", "ls-remote", "archive", "remote", "submodule", "fetch-pack", "send-pack"];

/// The command a git `ext::` remote runs to reach the other end (git-remote-ext(1)), in `word`: a
/// URL (`ext::sh -c …`), an option's or a setting's value (`--remote=ext::…`,
/// `remote.origin.url=ext::…`), or the base of `url.ext::….insteadOf=URL`. Its words are split at
/// unescaped spaces and run as a program, no shell between: `% ` is a space, `%%` a percent sign,
/// `%s` and `%S` the service's name; a word that starts `%G` or `%V` is the helper's, not given.
fn ext_remote_command(word: &str) -> Option<String> {
    let at = word.match_indices("ext::").map(|(at, _)| at).find(|&at| at == 0 || word[..at].ends_with(['=', '.']))?;
    let mut url = &word[at + "ext::".len()..];
    if word[..at].ends_with('.') {
        // `url.BASE.insteadOf=URL`: the base ends at the last dot before the `=`.
        let setting = url.split_once('=').map_or(url, |(key, _)| key);
        url = setting.rsplit_once('.').map_or(setting, |(base, _)| base);
    }
    let mut words: Vec<String> = vec![String::new()];
    let mut chars = url.chars();
    while let Some(c) = chars.next() {
        let current = words.last_mut().expect("one word at least");
        match c {
            ' ' if !current.is_empty() => words.push(String::new()),
            ' ' => {}
            '%' => match chars.next() {
                Some(' ') => current.push(' '),
                Some('%') | None => current.push('%'),
                Some('s') => current.push_str("upload-pack"),
                Some('S') => current.push_str("git-upload-pack"),
                Some(other) => {
                    current.push('%');
                    current.push(other);
                }
            },
            _ => current.push(c),
        }
    }
    let words: Vec<String> = words
        .into_iter()
        .filter(|word| !word.is_empty() && !word.starts_with("%G") && !word.starts_with("%V"))
        .map(|word| shlex::try_quote(&word).map_or_else(|_| word.clone(), |quoted| quoted.into_owned()))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// What a git subcommand (`args[0]`) runs itself.
fn git_subcommand_script(args: &[String]) -> Option<String> {
    let rest = args.get(1..)?;
    match args[0].as_str() {
        "rebase" => {
            let mut scripts = Vec::new();
            let mut words = rest.iter();
            while let Some(word) = words.next() {
                match word.as_str() {
                    "-x" | "--exec" => scripts.extend(words.next().cloned()),
                    _ => scripts
                        .extend(word.strip_prefix("--exec=").or_else(|| word.strip_prefix("-x")).map(str::to_owned)),
                }
            }
            (!scripts.is_empty()).then(|| scripts.join("\n"))
        }
        // The program run for the other end of a local or ssh transfer, through a shell:
        // `--upload-pack` (`-u` for clone, `--exec` for ls-remote and archive), `--receive-pack`
        // (`--exec` for push).
        "clone" | "fetch" | "pull" | "ls-remote" | "archive" | "push" | "send-pack" | "fetch-pack" => {
            let short = if args[0] == "clone" { Some("-u") } else { None };
            let mut scripts = Vec::new();
            let mut words = rest.iter();
            while let Some(word) = words.next() {
                let long = ["--upload-pack", "--receive-pack", "--exec"];
                if long.contains(&word.as_str()) || Some(word.as_str()) == short {
                    scripts.extend(words.next().cloned());
                } else if let Some((_, value)) = word.split_once('=').filter(|(name, _)| long.contains(name)) {
                    scripts.push(value.to_owned());
                }
            }
            (!scripts.is_empty()).then(|| scripts.join("\n"))
        }
        // Its words are run as a command, each one word.
        "bisect" if rest.first().is_some_and(|word| word == "run") && rest.len() > 1 => Some(
            rest[1..]
                .iter()
                .map(|word| shlex::try_quote(word).map_or_else(|_| word.clone(), |q| q.into_owned()))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        // Its words are joined and run by a shell.
        "submodule" if rest.first().is_some_and(|word| word == "foreach") => {
            let words: Vec<&String> = rest[1..].iter().skip_while(|word| word.starts_with("--")).collect();
            (!words.is_empty()).then(|| words.iter().map(|word| word.as_str()).collect::<Vec<_>>().join(" "))
        }
        _ => None,
    }
}

/// A shell's script, the first word after its `-c` that is not an option (`bash -c -x 'cmd'`,
/// `bash -c -- 'cmd'`, `bash -c -o pipefail 'cmd'`), and the words after it.
fn shell_script_after(words: &[String]) -> Option<(&String, &[String])> {
    let mut index = 0;
    while let Some(word) = words.get(index) {
        match word.as_str() {
            "--" => return words.get(index + 1).map(|script| (script, &words[index + 2..])),
            "-o" | "+o" | "-O" | "+O" => index += 2,
            option if option.len() > 1 && option.starts_with(['-', '+']) => index += 1,
            _ => return Some((word, &words[index + 1..])),
        }
    }
    None
}

/// How many bytes substituting positional parameters may add to a script.
const MAX_SUBSTITUTED_BYTES: usize = 1 << 20;

/// `script` with `$0` … `$9`, `${0}` … `${9}`, `$@` and `$*` replaced by the words given after it,
/// as bash expands them: `bash -c 'rm -rf "$1"' _ .axiom` runs `rm -rf ".axiom"`, and `"$@"` is
/// one word for each. Not inside single quotes, nor after a backslash (`\$1` is a nested
/// script's); a parameter given no word is left as written.
fn with_positional_parameters(script: &str, given: &[String]) -> String {
    if given.is_empty() || !script.contains('$') {
        return script.to_owned();
    }
    let quoted = |word: &String| shlex::try_quote(word).map_or_else(|_| word.clone(), |q| q.into_owned());
    let each_quoted = || given.get(1..).unwrap_or_default().iter().map(quoted).collect::<Vec<_>>().join(" ");
    // Thousands of `$@` over thousands of words would take the square of the command in memory:
    // past this much more than the script, the rest is left as written.
    let limit = script.len() + MAX_SUBSTITUTED_BYTES;
    let bytes = script.as_bytes();
    let mut out = String::with_capacity(script.len());
    let (mut in_single, mut in_double) = (false, false);
    let (mut copied, mut at) = (0, 0);
    while at < bytes.len() {
        match bytes[at] {
            b'\\' if !in_single => {
                at += 2;
                continue;
            }
            b'\'' if !in_double => in_single = !in_single,
            b'"' if !in_single => in_double = !in_double,
            b'$' if !in_single && out.len() < limit => {
                // The parameter's length after the `$`, and its number (`None`: all of them).
                let (length, number) = match &bytes[at + 1..] {
                    [b'{', digit @ b'0'..=b'9', b'}', ..] => (3, Some(usize::from(digit - b'0'))),
                    [b'{', b'@' | b'*', b'}', ..] => (3, None),
                    [digit @ b'0'..=b'9', ..] => (1, Some(usize::from(digit - b'0'))),
                    [b'@' | b'*', ..] => (1, None),
                    _ => (0, Some(usize::MAX)),
                };
                let mut end = at + 1 + length;
                let mut start = at;
                let value = match number {
                    Some(index) if in_double => given.get(index).map(|word| inside_double_quotes(word)),
                    Some(index) => given.get(index).map(quoted),
                    // `"$@"`: the quotes around it go, and each word is quoted alone.
                    None if in_double && bytes[at - 1] == b'"' && bytes.get(end) == Some(&b'"') => {
                        (start, end, in_double) = (at - 1, end + 1, false);
                        Some(each_quoted())
                    }
                    None if in_double => Some(inside_double_quotes(&given.get(1..).unwrap_or_default().join(" "))),
                    None => Some(each_quoted()),
                };
                if let Some(value) = value {
                    out.push_str(&script[copied..start]);
                    out.push_str(&value);
                    copied = end;
                }
                at = end;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    out.push_str(&script[copied..]);
    out
}

/// `word` written so that between double quotes it reads as itself.
fn inside_double_quotes(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
