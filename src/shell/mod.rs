//! Shell command lines understood as commands, so a rule can tell running `rm -rf ~` from
//! mentioning it (`grep "rm -rf"`, a commit message, a sentence).
//!
//! [`commands`] splits a script into its simple commands: quote-aware splitting on `;`, `&&`,
//! `||`, `|`, `&` and line breaks; heredoc bodies (run as commands when fed to a shell, skipped as
//! data otherwise); `$(...)` and backquoted substitutions; `bash -c`/`sh -c`/`eval`/`powershell
//! -Command`, `trap`, `su -c`, `script -c`, `flock -c`, `sg`, `env -S`, `nix-shell --run`, `tmux new`,
//! `axiom client --command` and `watch` unwrapped (a shell's `$1`… and `$@`
//! filled in); what a program runs from its options or environment (`GIT_SSH_COMMAND=… git`,
//! `tar --to-command`, `rsync -e`, sed's `e`, `vim -c '!…'`: see `option_scripts.rs`) read too; `sudo`, `env`, `xargs`, `nohup`, `time`, `timeout`, `nice`, `setsid`, `strace`,
//! `unbuffer`, `command`, `exec`, `busybox`, `flock`, `taskset`, `chroot`, `screen`, `systemd-run`,
//! the project runners (`uv run`, `conda run -n ENV`, `nix develop -c`, `axiom run`: see
//! `runners.rs`), leading `VAR=value` assignments and the reserved
//! words that open a compound command (`{`, `!`, `if`, `then`, `do`, ..., `function NAME`)
//! stripped; what `find` runs on what it finds (`-exec`, `-delete`, the first `xargs` it pipes
//! into) listed after it (see `find.rs`); a here-string or what `echo` pipes into a bare shell
//! read as its script. Words are split by the `shlex` crate (POSIX quoting rules), after what
//! bash adds is rewritten into them (`$'…'`, glued redirections, brace expansion: see
//! `words.rs`) and the variables the script set and the arguments its calls give its own
//! functions are expanded (`variables.rs`, `functions.rs`), so `rm -rf "$HOME"`, `r''m -rf ~`,
//! `{r,}m -rf ~>/dev/null` and `X=rm; $X -rf ~` all reach a rule
//! as the words bash runs. An output redirection is listed as a command of its own, `>` (or `>>`,
//! which appends) and its file, after the command it belongs to; a file read as input is kept
//! with its command ([`SimpleCommand::input`]).
//!
//! ```
//! use axiom::shell::commands;
//!
//! let found = commands("cd /tmp && sudo bash -c 'rm -rf ~/old' | tee log");
//! let programs: Vec<&str> = found.iter().map(|c| c.program()).collect();
//! assert_eq!(programs, ["cd", "rm", "tee"]);
//! assert_eq!(found[1].words, ["rm", "-rf", "~/old"]);
//! assert!(commands(r#"grep -rn "rm -rf" src/"#).iter().all(|c| c.program() != "rm"));
//! ```

mod ansi_c;
mod assignments;
mod environment_options;
mod find;
mod find_exclusions;
mod functions;
mod interpreters;
mod line;
mod option_scripts;
mod perl_quotes;
mod printf;
mod removers;
mod runners;
mod sed;
mod split;
mod variables;
mod vim;
mod words;
mod wrappers;

use std::rc::Rc;

use variables::Variables;

pub use find::DELETE_READ_AS;
pub use interpreters::{is_interpreter, script_of, script_of_file};
pub use line::script_in_line;
pub use removers::READ_AS_RM;
pub use sed::{is_sed, script_of_file as script_of_sed_file};
pub use split::split_script;
pub use vim::{files_read as vim_files_read, is_vim, script_of as script_of_vim_file, VimFile};
pub use words::name_and_value;
pub use wrappers::{inner_script, is_shell, GIT_OPTIONS_WITH_VALUE};

/// One simple command: the program (as written, path included) and its arguments, after wrappers
/// such as `sudo` or `env` are stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    pub words: Vec<String>,
    /// The pipeline it is part of (a number of its own in what [`commands`] returns), and its place
    /// in it: `curl … | tee f | sh` is stages 0, 1 and 2 of one pipeline.
    pub pipeline: u32,
    pub stage: u32,
    /// Run by `xargs`, which adds what it reads to the words (`… | xargs kill`).
    pub through_xargs: bool,
    /// Where the output of a command in a `$(…)` or backquoted substitution goes.
    pub substituted: Substituted,
    /// The files it reads as its input (`< f`): what `nc host 9 < ~/.ssh/id_rsa` sends.
    pub input: Vec<String>,
}

/// Where the output of a command run in a substitution goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Substituted {
    /// The programs it is substituted into the arguments of, innermost first (`pgrep` in `kill
    /// $(echo $(pgrep x))`: `echo`, then `kill`).
    pub into: Vec<String>,
    /// Kept for later commands of the script, at some level: in a variable (`pids=$(pgrep x)`,
    /// `local pids=$(…)`, `pids=($(…))`), a `for` loop's list (`for p in $(pgrep x)`), a file
    /// read by a command (`< <(pgrep x)`), or a script a shell runs (`sh -c "kill $(pgrep x)"`).
    pub kept: bool,
}

impl SimpleCommand {
    fn plain(words: Vec<String>, pipeline: u32, stage: u32) -> SimpleCommand {
        SimpleCommand {
            words,
            pipeline,
            stage,
            through_xargs: false,
            substituted: Substituted::default(),
            input: Vec::new(),
        }
    }

    /// Whether this command's output goes, maybe through other commands, to `later`'s input.
    pub fn pipes_into(&self, later: &SimpleCommand) -> bool {
        self.pipeline == later.pipeline && self.stage < later.stage
    }

    /// Whether this command's output may become, maybe through other commands, arguments of one
    /// of `programs`: substituted into its words (`kill $(pgrep x)`), added by `xargs` (`pgrep x |
    /// xargs kill`), or kept (see [`Substituted::kept`]; also written to a file, or read by a
    /// `while read` loop) in `script`, which runs one of them (`pids=$(pgrep x); kill $pids`); and
    /// whether a shell runs it as a script (`pgrep x | sed 's/^/kill /' | sh`). `script` holds every
    /// command of the script, this one at `at`.
    pub fn output_becomes_args_of(&self, programs: &[String], script: &[SimpleCommand], at: usize) -> bool {
        let among = |program: &str| programs.iter().any(|p| p == program);
        let runs_one = |command: &SimpleCommand| among(command.program()) && !command.sends_no_signal();
        let script_runs_one = || script.iter().any(runs_one);
        let later = script.get(at + 1..).unwrap_or_default();
        // A redirection is listed right after its command, in the same place of the pipeline.
        let written_to_a_file = later
            .iter()
            .take_while(|next| (next.pipeline, next.stage) == (self.pipeline, self.stage))
            .any(|next| next.is_redirection() && next.words.get(1).is_some_and(|file| file != "/dev/null"));
        // `tee FILE` writes what the pipe brings to a file too.
        let written_by_tee = later.iter().any(|next| {
            self.pipes_into(next)
                && next.program() == "tee"
                && next.args().iter().any(|arg| !arg.starts_with('-') && arg != "/dev/null")
        });
        let read_by_a_shell = |next: &SimpleCommand| {
            wrappers::is_shell(next.program()) && next.args().iter().all(|arg| arg.starts_with('-'))
        };
        self.substituted.into.iter().any(|into| among(program_name(into)))
            || ((self.substituted.kept || written_to_a_file || written_by_tee) && script_runs_one())
            || later.iter().any(|next| {
                self.pipes_into(next)
                    && ((next.through_xargs && runs_one(next))
                        || read_by_a_shell(next)
                        || (next.program() == "read" && script_runs_one()))
            })
    }

    /// Whether this is `kill` signalling no process (see [`kill_signals_nothing`]).
    pub fn sends_no_signal(&self) -> bool {
        self.program() == "kill" && kill_signals_nothing(self.args())
    }

    /// Whether this is an output redirection listed after its command: `>` (which empties the
    /// file) or `>>` (which appends to it), and the file.
    pub fn is_redirection(&self) -> bool {
        matches!(self.words.first().map(String::as_str), Some(">" | ">>"))
    }

    /// The program's name: the first word's last path component, without a Windows `.exe`.
    pub fn program(&self) -> &str {
        program_name(self.words.first().map_or("", String::as_str))
    }

    /// The arguments after the program.
    pub fn args(&self) -> &[String] {
        self.words.get(1..).unwrap_or_default()
    }
}

/// The name a program is known by: `/usr/bin/rm` → `rm`, `C:\...\powershell.exe` → `powershell`.
pub fn program_name(word: &str) -> &str {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    base.strip_suffix(".exe").or_else(|| base.strip_suffix(".EXE")).unwrap_or(base)
}

/// The most simple commands a script may hold for command rules to judge it (a tool call's `for`
/// loop over a few hundred files is far fewer); `too_many_commands` rules judge longer ones.
pub const MOST_COMMANDS_READ: usize = 500;

/// Whether the commands of a script are more than command rules read: more than
/// [`MOST_COMMANDS_READ`] simple commands, or twice as many entries with the redirections (each is
/// listed as a `>` command of its own, and is judged against the later ones as a command is).
pub fn too_long_to_read(commands: &[SimpleCommand]) -> bool {
    let simple = commands.iter().filter(|command| !command.is_redirection()).count();
    simple > MOST_COMMANDS_READ || commands.len() > 2 * MOST_COMMANDS_READ
}

/// How deep `bash -c "bash -c '...'"` nesting is followed; deeper scripts are not looked into.
const MAX_DEPTH: usize = 16;

/// Every simple command in `script`, in order, nested scripts included.
pub fn commands(script: &str) -> Vec<SimpleCommand> {
    let mut found = Found::default();
    collect(script, 0, &mut found, Rc::default());
    found.commands
}

/// [`commands`], remembered for the last two scripts this thread asked about: every command rule
/// asks about the same line in turn, a tool call in two readings (its `\n` a line break or not).
/// A script over 1 MiB is not kept: a hub's threads live for weeks.
pub fn commands_shared(script: &str) -> Rc<Vec<SimpleCommand>> {
    const MAX_SHARED: usize = 1 << 20;
    if script.len() > MAX_SHARED {
        return Rc::new(commands(script));
    }
    type Remembered = Vec<(String, Rc<Vec<SimpleCommand>>)>;
    thread_local! {
        static LAST: std::cell::RefCell<Remembered> = const { std::cell::RefCell::new(Vec::new()) };
    }
    LAST.with_borrow_mut(|last| {
        if let Some((_, found)) = last.iter().find(|(text, _)| text == script) {
            return Rc::clone(found);
        }
        let found = Rc::new(commands(script));
        if last.len() == 2 {
            last.remove(0);
        }
        last.push((script.to_owned(), Rc::clone(&found)));
        found
    })
}

/// The commands found so far, and the number the next pipeline gets.
#[derive(Default)]
struct Found {
    commands: Vec<SimpleCommand>,
    pipelines: u32,
}

impl Found {
    fn new_pipeline(&mut self) -> u32 {
        self.pipelines += 1;
        self.pipelines - 1
    }
}

/// What `script` prints, as far as it can be read without running it: the heredocs `cat` and
/// `tee` print and the words `echo` and `printf` print.
fn printed_by(script: &str, variables: &Variables) -> String {
    let printed: Vec<String> = split_script(script)
        .segments
        .iter()
        .filter_map(|segment| {
            let words = wrappers::strip(words::command_words(&segment.text, variables).words);
            (!words.is_empty()).then(|| SimpleCommand::plain(words, 0, 0)).and_then(|c| prints(&c, &segment.heredocs))
        })
        .collect();
    printed.join("\n")
}

/// Whether `kill ARGS` signals no process: its first option names signal 0, which only asks
/// whether the processes exist (`-0`, `-s 0`, `-s0`, `-n 0`, `-SIG0`, `--signal=0`), or lists
/// signal names (`-l`, `-L`, `--list`, `--table`). A signal's name is read whole: `-KILL` is not
/// `-l`, and `-0` after the signal is a process group (`kill -9 -0`).
pub fn kill_signals_nothing(args: &[String]) -> bool {
    let Some(first) = args.first().filter(|word| word.starts_with('-') && word.len() > 1 && *word != "--") else {
        return false;
    };
    if matches!(first.as_str(), "-l" | "-L" | "--list" | "--table") || first.starts_with("--list=") {
        return true;
    }
    let signal = match first.as_str() {
        "-s" | "-n" | "--signal" => args.get(1).map_or("", String::as_str),
        option => match option.strip_prefix("--signal=") {
            Some(name) => name,
            // `-s0`, `-nKILL`; `-SIGKILL` and `-9` name the signal alone.
            None if option.len() > 2 && (option.starts_with("-s") || option.starts_with("-n")) => &option[2..],
            None => option.trim_start_matches('-'),
        },
    };
    let number = signal.trim_start_matches("SIG").trim_start_matches("sig");
    !number.is_empty() && number.bytes().all(|b| b == b'0')
}

/// What `$(git rev-parse --show-toplevel)` is read as: the top of the repository where it runs,
/// which is that directory or one above it.
pub const GIT_TOPLEVEL: &str = "$GIT_TOPLEVEL";

/// What `$PWD` kept in a variable before the script changed directory is read as: the directory
/// the script started in, wherever the variable is used later.
pub const START_DIRECTORY: &str = "$START_DIRECTORY";

/// What [`GIT_TOPLEVEL`] kept in a variable before the script changed directory is read as: the
/// top of the repository the script started in.
pub const START_TOPLEVEL: &str = "$START_TOPLEVEL";

/// What the substitution `$(script)` gives, when it can be known without running anything: the
/// words `echo` and `printf` print (`rm -rf $(echo ~)` is `rm -rf ~`), `$PWD` for `pwd`,
/// [`GIT_TOPLEVEL`] for the repository's top, the path itself for `realpath PATH`, `PATH/..` for
/// `dirname PATH`, and the program itself for a lookup of where it is (`$(which rm)`, `$(command
/// -v rm)`, `$(type -P rm)`), and the files a `find` stands for. `None` for any other script, or
/// one that holds a substitution of its own.
fn substitution_output(script: &str, variables: &Variables) -> Option<String> {
    if script.contains(['$', '`']) && (script.contains("$(") || script.contains('`')) {
        return None;
    }
    let parsed = split_script(script);
    let [segment] = parsed.segments.as_slice() else { return None };
    if !segment.heredocs.is_empty() {
        return None;
    }
    let words = wrappers::strip(words::command_words(&segment.text, variables).words);
    match words.first().map(|first| program_name(first)) {
        Some("pwd") if words.len() == 1 || (words.len() == 2 && matches!(words[1].as_str(), "-P" | "-L")) => {
            Some("$PWD".to_owned())
        }
        // Where a path leads is the path, for a rule about it: absolute, as realpath prints it.
        Some("realpath") if words.len() == 2 => Some(absolute(&words[1])),
        Some("dirname") => {
            let operands: Vec<&String> = words[1..].iter().filter(|word| *word != "--").collect();
            match operands.as_slice() {
                [path] => dirname(path),
                _ => None,
            }
        }
        Some("readlink") if words.len() == 3 && matches!(words[1].as_str(), "-f" | "-e" | "-m") => {
            Some(absolute(&words[2]))
        }
        Some("git") if words[1..] == ["rev-parse", "--show-toplevel"] => Some(GIT_TOPLEVEL.to_owned()),
        Some("which" | "whereis") if words.len() == 2 => Some(words[1].clone()),
        Some("command" | "type") if words.len() == 3 && matches!(words[1].as_str(), "-v" | "-p" | "-P") => {
            Some(words[2].clone())
        }
        Some("echo" | "printf") => prints(&SimpleCommand::plain(words, 0, 0), &[]),
        // What a search finds, as `find … | xargs` is given it (`rm $(find ~ -name settings.json)`).
        Some("find") => Some(find::found_paths(&words).join(" ")),
        _ => None,
    }
}

/// `path` from the directory the command runs in: a relative one under `$PWD` (`.` is `$PWD/.`).
fn absolute(path: &str) -> String {
    if path.starts_with(['/', '~', '$']) {
        path.to_owned()
    } else {
        format!("$PWD/{path}")
    }
}

/// What `dirname PATH` prints, where it can be told from the words: `PATH/..` (the directory
/// above), `.` for a name with no `/`, `/` for the root. `None` for a path whose last part is `.`
/// or `..` (`dirname build/.` is `build`), or that starts with a variable not known to hold an
/// absolute directory (`$(dirname "$0")` may be `.`).
fn dirname(path: &str) -> Option<String> {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return path.starts_with('/').then(|| "/".to_owned());
    }
    let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if matches!(last, "." | "..") {
        return None;
    }
    if let Some(reference) = trimmed.strip_prefix('$') {
        let name: String =
            reference.trim_start_matches('{').chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !variables::KEPT_DIRECTORIES.contains(&name.as_str()) {
            return None;
        }
    }
    Some(if trimmed.contains('/') || trimmed.starts_with(['$', '~']) {
        format!("{trimmed}/..")
    } else {
        ".".to_owned()
    })
}

/// What `command` prints, fed `heredocs`: the words of `echo` (less its own options) and
/// `printf`, the paths `realpath` and `readlink` resolve, or the heredocs `cat` and `tee` print
/// when given no file.
fn prints(command: &SimpleCommand, heredocs: &[String]) -> Option<String> {
    match command.program() {
        // Escapes decoded whether or not `-e` asks for it: dash's echo decodes them anyway.
        "echo" => {
            // echo's own options (`-e`, `-n`, `-ne`) are not what it prints.
            let options = command.args().iter().take_while(|word| is_echo_option(word)).count();
            Some(ansi_c::decode_escapes(&command.args()[options..].join(" ")))
        }
        "printf" => printf::printf_output(command.args()),
        // `realpath ~`, `readlink -f ~`: the paths named, as the file system spells them (the same
        // files, which is what a rule judges).
        "realpath" | "readlink" => {
            let paths: Vec<&str> =
                command.args().iter().filter(|word| !word.starts_with('-')).map(String::as_str).collect();
            (!paths.is_empty()).then(|| paths.join("\n"))
        }
        "cat" | "tee" if !heredocs.is_empty() && command.args().iter().all(|a| a.starts_with('-')) => {
            Some(heredocs.join("\n"))
        }
        _ => None,
    }
}

/// Adds the commands of `script`, run after the assignments in `variables` (cloned for each nested
/// script that sees them, which is cheap: values are shared).
fn collect(script: &str, depth: usize, found: &mut Found, mut variables: Rc<Variables>) {
    // A nested script (`sh -c`, a heredoc, a substitution) may start where the outer one has gone.
    if depth > 0 && !variables.moved() {
        Rc::make_mut(&mut variables).set_moved();
    }
    if depth > MAX_DEPTH {
        // Deeper than followed: each run of words between shell punctuation counts as a command,
        // so nesting cannot hide one (what is only data this deep may be taken for one too).
        for piece in script.split(|c: char| ";&|()`\"'\n{}$<>".contains(c)) {
            // `eval eval … rm -rf ~`: what the evals run, at any depth.
            let words = wrappers::strip(
                piece.split_whitespace().skip_while(|word| *word == "eval").map(str::to_owned).collect(),
            );
            if !words.is_empty() {
                let pipeline = found.new_pipeline();
                found.commands.push(SimpleCommand::plain(words, pipeline, 0));
            }
        }
        return;
    }
    let parsed = split_script(script);
    let functions = functions::defined(script);
    // A compound command's body may run later (a function's, a trap's) or again (a loop's), after
    // assignments the script makes further on: it is read with its function's arguments only.
    let arguments = functions::arguments_of_the_only_call(script, &functions, &parsed, &variables);
    let in_bodies = Rc::new(variables.in_bodies(arguments.as_deref()));
    // How many compound commands (`if`, loops, `case`, `{ … }`, a function's body) are open.
    let mut compound_depth = 0usize;
    // Per segment: the program its substitutions' output is given to as arguments (`None`: kept),
    // how many of the script's substitutions were found up to its end, and the variables they see.
    let mut substituted: Vec<(Option<String>, usize, Option<Rc<Variables>>)> = Vec::new();
    // Per segment: the program, if its command runs its words as a script (`eval`, `sh -c`), so that
    // what its substitutions print is a script too (`eval "$(cat <<EOF … EOF)"`).
    let mut runs_its_words: Vec<Option<String>> = Vec::new();
    // Per segment: whether its command is a sed reading its script from a process substitution
    // (`sed -f <(echo …)`), so that what those print is a sed script.
    let mut sed_script_substituted: Vec<bool> = Vec::new();
    let (mut pipeline, mut stage) = (found.new_pipeline(), 0);
    // What a `find` earlier in the pipeline prints: the operands an `xargs` later in it adds.
    let mut found_by_find: Vec<String> = Vec::new();
    // What an `echo` or `printf` earlier in the pipeline prints: a script, to a shell later in it.
    let mut printed: Option<String> = None;
    // A script with no functions nor traps runs each body where it is written, first with what was
    // assigned before it; a loop's body then runs again after what it assigns itself. So a body is
    // read with what was assigned before it, less every name it may assign.
    let runs_in_place = functions.is_empty()
        && !parsed
            .segments
            .iter()
            .any(|segment| segment.text.split_whitespace().find(|w| !wrappers::is_reserved(w)) == Some("trap"));
    let mut assigned_in_body: Option<Vec<String>> = None;
    // What the script has written to files so far with `cat <<EOF`, `echo` or `printf`, by file.
    let mut saved_scripts: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for (index, segment) in parsed.segments.iter().enumerate() {
        let at = |words| SimpleCommand::plain(words, pipeline, stage);
        let text = segment.text.as_str();
        let (opens, closes) = compound_words(text);
        if compound_depth == 0 && opens > 0 && runs_in_place {
            // Only a loop runs its body again, after what the body assigns; any other compound
            // runs it once, in order, where an assignment is followed as it comes.
            let texts: Vec<&str> = compound_texts(&parsed.segments[index..]).collect();
            let is_loop = |word: &str| matches!(word, "for" | "while" | "until" | "select");
            let loops = texts.iter().any(|text| {
                text.split_whitespace().take_while(|w| wrappers::is_reserved(w) || is_loop(w)).any(is_loop)
            });
            assigned_in_body =
                if loops { assignments::names_a_body_may_assign(texts.iter().copied()) } else { Some(Vec::new()) };
        }
        compound_depth += opens;
        let reading = match (compound_depth, &assigned_in_body) {
            (0, _) => Rc::clone(&variables),
            (_, Some(names)) if runs_in_place => {
                variables.without(names).map_or_else(|| Rc::clone(&variables), Rc::new)
            }
            _ => Rc::clone(&in_bodies),
        };
        // Whether an alias applies depends on the shell (Claude Code's expands them, `bash -c`
        // does not), so the command is read both ways.
        if let Some(aliased) = reading.with_aliases_expanded(text) {
            collect(&aliased, depth + 1, found, Rc::clone(&reading));
        }
        let words::CommandWords { words, written, appended, fed, read } = words::command_words(text, &reading);
        let substitutions_before = substituted.last().map_or(0, |(_, so_far, _)| *so_far);
        let seen_by_substitutions = (segment.substitutions_so_far > substitutions_before).then(|| Rc::clone(&reading));
        // A call of one of the script's functions may set names, or change directory.
        let calls_a_function = !functions.is_empty()
            && wrappers::strip(words.clone()).first().is_some_and(|first| functions.contains(&first.as_str()));
        if calls_a_function || variables.may_change(&words, text) {
            let sure = !segment.maybe_elsewhere && compound_depth == 0;
            Rc::make_mut(&mut variables).record(&words, text, &fed, sure, calls_a_function);
        }
        compound_depth = compound_depth.saturating_sub(closes);
        // A redirection writes its file whatever the program: it is listed as a command of its
        // own, `>` and the file, after the one it belongs to.
        // `>>` appends to it.
        let redirections: Vec<SimpleCommand> = (written.into_iter().map(|file| (">", file)))
            .chain(appended.into_iter().map(|file| (">>", file)))
            .map(|(operator, file)| at(vec![operator.to_owned(), file]))
            .collect();
        let loop_list = words.first().is_some_and(|first| matches!(first.as_str(), "for" | "select"));
        let replaced_by_xargs = wrappers::xargs_replace_string(&words);
        let wrappers::Stripped { words, through_xargs, environment: given, mut runs } =
            wrappers::strip_noting_environment(words);
        // `export GIT_SSH_COMMAND=…; git fetch`: what the script set is the program's environment.
        let words = environment_options::with_script_variables(words, |name| reading.value(name));
        // `export GIT_SSH=./x.sh; git fetch`: a program it runs (unless given another in front).
        if let Some(first) = words.first() {
            let set_earlier = |name: &str| reading.value(name).filter(|_| !given.iter().any(|(n, _)| n == name));
            runs.extend(environment_options::programs_run(first, set_earlier));
        }
        let mut words = removers::read_as_rm(words);
        if words.is_empty() && !read.is_empty() {
            // `$(< FILE)` is bash's `$(cat FILE)`; a bare `< FILE` elsewhere only opens it, and is
            // read the same way, which costs nothing.
            words.push("cat".to_owned());
        }
        if through_xargs && stage > 0 {
            // The first xargs after the find reads what it prints (maybe through `sort`, `grep`).
            words.append(&mut found_by_find);
        }
        if through_xargs {
            // An xargs reads what an `echo` or `printf` before it prints, or a here-string or
            // heredoc it is fed (`xargs rm -rf <<< "$HOME"`).
            let echoed = if stage > 0 { printed.as_ref() } else { None };
            let read: Vec<&String> = echoed.into_iter().chain(&fed).chain(&segment.heredocs).collect();
            match &replaced_by_xargs {
                // `-I {}`: each line it reads takes the place of the mark, as one word.
                // What a program before it in the pipeline prints is not known: it may be any
                // name, so the mark stands as a pattern of every one (`ls ~ | xargs -I{} rm -rf
                // ~/{}` is `rm -rf ~/*`).
                Some(mark) => {
                    let mut lines = read.iter().flat_map(|text| text.lines()).map(str::trim);
                    let unknown = if stage > 0 { Some("*") } else { None };
                    if let Some(line) = lines.find(|line| !line.is_empty()).or(unknown) {
                        words.iter_mut().skip(1).for_each(|word| *word = word.replace(mark.as_str(), line));
                    }
                }
                None => words.extend(read.iter().flat_map(|text| text.split_whitespace().map(str::to_owned))),
            }
        }
        let command = (!words.is_empty()).then(|| SimpleCommand { through_xargs, input: read, ..at(words) });
        let into = match &command {
            // Only assignments (`pids=$(…)`), or a builtin that makes them.
            None => None,
            _ if loop_list => None,
            // A variable's, or part of a script a command runs (`sh -c "kill $(…)"`, `eval`).
            Some(command) if KEEPERS.contains(&command.program()) || wrappers::inner_script(command).is_some() => None,
            // A name that is a variable's value (`"$run" $(…)`).
            Some(command) if command.words[0].starts_with(['$', '"']) => None,
            // `kill -0 $(…)` only asks whether they exist.
            Some(command) if command.sends_no_signal() => Some("kill -0".to_owned()),
            Some(command) => Some(command.words[0].clone()),
        };
        sed_script_substituted.push(
            command.as_ref().is_some_and(|c| {
                sed::is_sed(c.program()) && sed::script_files(c.args()).contains(&PROCESS_SUBSTITUTION)
            }),
        );
        runs_its_words.push(
            command
                .as_ref()
                .filter(|c| c.program() == "eval" || wrappers::inner_script(c).is_some() || runs_a_substitution(c))
                .map(|c| c.program().to_owned()),
        );
        substituted.push((into, segment.substitutions_so_far, seen_by_substitutions));
        let find_actions: Vec<SimpleCommand> = match &command {
            Some(command) if command.program() == "find" => {
                found_by_find = find::found_paths(&command.words);
                find::actions(&command.words).into_iter().map(at).collect()
            }
            _ => Vec::new(),
        };
        // A shell given no script, or its standard input as one (`bash /dev/stdin`, `source
        // /dev/stdin`), runs what its input brings; so do `at` and `batch`, later, unless given
        // a file (`-f`) or asked to list or remove jobs.
        let reads_script = |command: &SimpleCommand| {
            let stdin = |word: &String| matches!(word.as_str(), "/dev/stdin" | "/proc/self/fd/0" | "/dev/fd/0");
            let schedules_its_input = matches!(command.program(), "at" | "batch")
                && !command.args().iter().any(|a| a.starts_with('-') && a.contains(['f', 'l', 'r', 'd', 'c']));
            (wrappers::is_shell(command.program()) && command.args().iter().all(|a| a.starts_with('-') || stdin(a)))
                || (matches!(command.program(), "source" | ".") && command.args().first().is_some_and(stdin))
                || schedules_its_input
        };
        // What the stage before printed: code for an interpreter reading the pipe (`echo … | python3`).
        let piped_code = if stage > 0 { printed.clone() } else { None };
        let echoed = match &command {
            Some(command) if stage > 0 && reads_script(command) => printed.take(),
            _ => None,
        };
        // `echo … | bash`, `cat <<EOF | bash`: what it prints, for a shell later in the pipeline,
        // or for a later command that runs the file it is written to.
        let printing = command.as_ref().and_then(|command| {
            // `cat x.sh`, of a file written earlier in the call, prints what was written.
            let saved = (command.program() == "cat" && command.args().len() == 1)
                .then(|| saved_scripts.get(&script_name(&command.args()[0])).cloned())
                .flatten();
            saved.or_else(|| prints(command, &segment.heredocs))
        });
        // `tee x.sh <<EOF`, `… | tee -a x.sh`: what it is given goes to its files too.
        let teed: Vec<(&str, String)> = match &command {
            Some(command) if command.program() == "tee" => {
                let given = segment.heredocs.iter().chain(&fed).cloned().chain(piped_code.clone()).collect::<Vec<_>>();
                let operator = if command.args().iter().any(|a| a == "-a" || a == "--append") { ">>" } else { ">" };
                command
                    .args()
                    .iter()
                    .filter(|arg| !arg.starts_with('-'))
                    .map(|file| (operator, file.clone()))
                    .flat_map(|(operator, file)| given.iter().map(move |text| (operator, format!("{file}\0{text}"))))
                    .collect()
            }
            _ => Vec::new(),
        };
        let written_here = redirections
            .iter()
            .filter_map(|r| printing.as_ref().map(|text| (r.words[0].as_str(), format!("{}\0{text}", r.words[1]))));
        for (operator, file_and_text) in written_here.chain(teed) {
            let (file, text) = file_and_text.split_once('\0').unwrap_or((&file_and_text, ""));
            let script = saved_scripts.entry(script_name(file)).or_default();
            if operator == ">" {
                script.clear();
            }
            if script.len() + text.len() <= MAX_SAVED_SCRIPT {
                script.push_str(text);
                script.push('\n');
            }
        }
        if let Some(text) = printing {
            printed = Some(text);
        }
        // A script nested in this segment (`bash -c '…'`, a heredoc) numbers its own pipelines.
        (pipeline, stage) = if segment.pipes_into_next {
            (pipeline, stage + 1)
        } else {
            found_by_find.clear();
            printed = None;
            (found.new_pipeline(), 0)
        };
        let Some(command) = command else {
            found.commands.extend(redirections);
            continue;
        };
        let is_shell = reads_script(&command);
        // `cat > /tmp/x.sh <<EOF … EOF; sh /tmp/x.sh`: a script written earlier in the call, run.
        let mut saved_and_run: Vec<String> = Vec::new();
        if vim::is_vim(command.program()) {
            // Every file vim sources or types keys from (`-S`, `-s`, `-c 'source …'`).
            for (file, how) in vim::files_read(&command) {
                saved_and_run.extend(saved_scripts.remove(&script_name(&file)).map(|text| vim::script_of(&text, how)));
            }
        } else if sed::is_sed(command.program()) {
            // Every script file sed reads (`sed -f a.sed -f b.sed`).
            for file in sed_script_files(&command) {
                let text = saved_scripts.remove(&script_name(file));
                saved_and_run.extend(text.map(|text| sed::commands_of_file(&text).join("\n")));
            }
        } else if let Some(text) = runs_a_file(&command).and_then(|file| saved_scripts.remove(&script_name(file))) {
            // `python3 x.py`: the interpreter's code, read as the commands it amounts to.
            if interpreters::is_interpreter(command.program()) {
                saved_and_run.extend(interpreters::script_of_file(&command, &text));
            } else {
                saved_and_run.push(text);
            }
        }
        // `python3 - <<'EOF'`: an interpreter given no code reads it from its input.
        // `sed -f - <<'EOF'`, `… | sed -f /dev/stdin`: sed reads its script from its input.
        let sed_reads_input =
            sed::is_sed(command.program()) && sed::script_files(command.args()).iter().any(|file| sed::is_input(file));
        let fed_code: Vec<String> = segment
            .heredocs
            .iter()
            .chain(&fed)
            .chain(&piped_code)
            .filter_map(|code| match sed_reads_input {
                true => Some(sed::commands_of_file(code).join("\n")).filter(|script| !script.is_empty()),
                false => interpreters::script_of_input(&command, code),
            })
            .collect();
        let (added_from, place) = (found.commands.len(), (command.pipeline, command.stage));
        // What its environment names for it to run (`GIT_SSH=./x.sh git fetch`), as that program
        // is given it: here, before what it runs elsewhere (`ssh HOST CMD`'s `cd ~` is there).
        for script in &runs {
            let environment = Rc::new(reading.environment(&given));
            collect(script, depth + 1, found, Rc::clone(&environment));
            // A script the call wrote earlier (`cat > x.sh …; GIT_SSH=./x.sh git fetch`).
            let program = shlex::split(script).and_then(|words| words.into_iter().next());
            if let Some(text) = program.and_then(|program| saved_scripts.get(&script_name(&program)).cloned()) {
                collect(&text, depth + 1, found, environment);
            }
        }
        add(command, depth, found, &reading, &given);
        if through_xargs {
            // What `xargs sh -c 'kill "$@"' _` runs gets what the pipe brings too.
            for added in &mut found.commands[added_from..] {
                (added.through_xargs, added.pipeline, added.stage) = (true, place.0, place.1);
            }
        }
        // What `find` runs on what it finds (`-exec rm {} +`, `-delete`), after the search.
        for action in find_actions {
            add(action, depth, found, &reading, &[]);
        }
        found.commands.extend(redirections);
        // A heredoc or a here-string fed to a bare shell is a script, and so is what `echo` or
        // `printf` pipes into one; fed to anything else it is data.
        if is_shell {
            for body in segment.heredocs.iter().chain(&fed).chain(&echoed) {
                collect(body, depth + 1, found, Rc::clone(&reading));
            }
        }
        for script in fed_code.iter().chain(&saved_and_run) {
            collect(script, depth + 1, found, Rc::default());
        }
    }
    for (index, substitution) in parsed.substitutions.iter().enumerate() {
        // The first segment whose count takes in this substitution holds it. A process
        // substitution is a file to the command, which reads what it holds.
        let holder_at = substituted.iter().position(|(_, so_far, _)| *so_far > index);
        let holder = holder_at.map(|at| &substituted[at]);
        let seen = holder.and_then(|(_, _, seen)| seen.clone()).unwrap_or_else(|| Rc::clone(&variables));
        let run_by = holder_at.and_then(|at| runs_its_words[at].clone());
        // `sed -f <(echo '1e …')`: what it prints is sed's script.
        if holder_at.is_some_and(|at| sed_script_substituted[at]) && parsed.read_as_files.contains(&index) {
            let script = sed::commands_of_file(&printed_by(substitution, &seen)).join("\n");
            if !script.is_empty() {
                collect(&script, depth + 1, found, Rc::clone(&seen));
            }
        }
        if run_by.is_some() {
            let printed = printed_by(substitution, &seen);
            if !printed.is_empty() {
                collect(&printed, depth + 1, found, Rc::clone(&seen));
            }
        }
        let before = found.commands.len();
        collect(substitution, depth + 1, found, seen);
        let holder = holder.map(|(into, _, _)| into);
        let into = holder.filter(|_| !parsed.read_as_files.contains(&index)).cloned().flatten();
        for command in &mut found.commands[before..] {
            match &into {
                Some(program) => command.substituted.into.push(program.clone()),
                None => command.substituted.kept = true,
            }
            // What it prints is part of a script `eval` or `sh -c` runs: given to that program, and
            // kept for the commands of that script.
            command.substituted.into.extend(run_by.clone());
        }
    }
}

/// The texts of the compound command that `segments` open with, up to the one that closes it.
fn compound_texts(segments: &[split::Segment]) -> impl Iterator<Item = &str> {
    let mut depth = 0usize;
    let mut closed = false;
    segments.iter().map_while(move |segment| {
        if closed {
            return None;
        }
        let (opens, closes) = compound_words(&segment.text);
        depth = (depth + opens).saturating_sub(closes);
        closed = depth == 0;
        Some(segment.text.as_str())
    })
}

/// The most bytes of script followed from the files a call writes and then runs: a bound on
/// memory, far above what a call's own text can write (what is written comes from the call).
const MAX_SAVED_SCRIPT: usize = 4 << 20;

/// A file's name as a script written and run in one call names it: `./x.sh`, `x.sh` and
/// `$PWD/x.sh` alike (`${PWD}`, `~+`, and `"$PWD"/x.sh`, whose quotes are gone by now: each is the
/// directory the command runs in). A later `cd` is not followed: the name after it is taken for
/// the same file, which reads more, never less.
fn script_name(file: &str) -> String {
    let mut name = file;
    loop {
        let rest = ["./", "$PWD/", "${PWD}/", "~+/"].iter().find_map(|here| name.strip_prefix(here));
        match rest {
            Some(rest) => name = rest.trim_start_matches('/'),
            None => return name.to_owned(),
        }
    }
}

/// The file `command` runs as a script: a shell's first operand (`sh x.sh`, `bash -e x.sh`),
/// `source x.sh` or `. x.sh`, the command itself (`./x.sh`, `/tmp/x.sh`), or the vim script vim
/// sources (`vim -S x.vim`) or sed's script file (`sed -f x.sed`): the first, of those two (every
/// one: [`vim::files_read`], [`sed_script_files`]).
pub fn runs_a_file(command: &SimpleCommand) -> Option<&str> {
    let program = command.program();
    // `vim -S x.vim`: a file of vim script, sourced; `sed -f x.sed`, a sed script (not its input,
    // nor a process substitution, read apart).
    if vim::is_vim(program) {
        return vim::sourced_file(command);
    }
    if sed::is_sed(program) {
        return sed_script_files(command).into_iter().next();
    }
    if wrappers::is_shell(program) || matches!(program, "source" | ".") || interpreters::is_interpreter(program) {
        let mut args = command.args().iter();
        while let Some(arg) = args.next() {
            // `bash -o errexit x.sh`, `python3 -W ignore x.py`, `node -r ts-node/register x.ts`,
            // `perl -I lib x.pl`: an option's value is no script.
            if matches!(arg.as_str(), "-o" | "+o" | "-O" | "+O" | "-W" | "-X" | "-r" | "--require" | "-I" | "--import")
            {
                args.next();
            } else if !arg.starts_with(['-', '+']) {
                return Some(arg);
            }
        }
        // `sh < x.sh` reads the script from its input.
        return command.input.first().map(String::as_str);
    }
    command.words.first().map(String::as_str).filter(|first| first.contains('/'))
}

/// The script files sed, as `command`, reads that are files (`sed -f a.sed -f b.sed`): not its
/// input, nor a process substitution, read apart.
pub fn sed_script_files(command: &SimpleCommand) -> Vec<&str> {
    let on_disk = |file: &&str| !sed::is_input(file) && !file.starts_with("/dev/fd/") && !file.starts_with("/proc/");
    sed::script_files(command.args()).into_iter().filter(on_disk).collect()
}

/// What a process substitution stands as in the words of the command that holds it.
const PROCESS_SUBSTITUTION: &str = "/dev/fd/63";

/// Whether `command` is a shell, or `source`, that runs the output of a process substitution
/// as its script (`bash <(…)`, `. <(…)`, `bash < <(…)`): what it prints runs, as through a pipe.
fn runs_a_substitution(command: &SimpleCommand) -> bool {
    (wrappers::is_shell(command.program()) || matches!(command.program(), "source" | "."))
        && runs_a_file(command) == Some(PROCESS_SUBSTITUTION)
}

/// How many compound commands a command's leading words open (`if`, `while`, `until`, `for`,
/// `select`, `case`, `{`, also after `function NAME`) and close (`fi`, `done`, `esac`, `}`), as written: a
/// quoted `"fi"` is a command.
fn compound_words(text: &str) -> (usize, usize) {
    let (mut opens, mut closes) = (0, 0);
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        match word {
            "if" | "while" | "until" | "for" | "select" | "case" | "{" => opens += 1,
            // `function NAME {`: the `{` opens the body, on this line or the next.
            "function" => {
                words.next();
            }
            "fi" | "done" | "esac" | "}" => closes += 1,
            "then" | "do" | "else" | "elif" | "!" => {}
            // `coproc NAME { …; }`: its body is a compound command's, run beside the script.
            "coproc" => {
                let mut ahead = words.clone();
                if ahead.next().is_some_and(|name| !wrappers::opens_a_compound(name))
                    && ahead.next().is_some_and(wrappers::opens_a_compound)
                {
                    words.next();
                }
            }
            _ => break,
        }
    }
    (opens, closes)
}

/// Programs that keep a substitution's output in a variable (`local pids=$(…)`, `read -a pids <<<
/// "$(…)"`), and `$(…)`, the name a substitution that is a word of its own stands as.
const KEEPERS: &[&str] = &["local", "export", "declare", "readonly", "typeset", "mapfile", "readarray", "read", "$(…)"];

/// Whether `word` is one of echo's options: `-` and some of `n`, `e`, `E`.
fn is_echo_option(word: &str) -> bool {
    word.len() > 1 && word.starts_with('-') && word[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E'))
}

/// Adds `command`, or the commands of the script it runs by itself (`bash -c '…'`), run where
/// `variables` are known and given the assignments `given` in front of it (`X=1 sh -c '…'`).
/// The script runs in a program of its own (`sh -c`, `su -c`, git's ssh), which sees only
/// exported variables and what it was given; or in this shell (`eval`), which sees them all; or
/// later (`trap`, after what the script assigns further on), or on another machine (`ssh HOST
/// CMD`): read with none of them known.
fn add(command: SimpleCommand, depth: usize, found: &mut Found, variables: &Rc<Variables>, given: &[(String, String)]) {
    // An interpreter's one-liner is judged as the shell commands it amounts to, and as itself.
    if let Some(script) = interpreters::script_of(&command) {
        collect(&script, depth + 1, found, Rc::default());
        found.commands.push(command);
        return;
    }
    match wrappers::inner_script(&command) {
        Some(inner) => {
            let seen = match command.program() {
                "eval" => Rc::clone(variables),
                // Later, after what the script assigns further on; or on another machine.
                "trap" | "ssh" => Rc::default(),
                _ => Rc::new(variables.environment(given)),
            };
            collect(&inner, depth + 1, found, seen);
            // `git rebase -x CMD` rebases as well as running CMD, `ssh HOST CMD` connects as
            // well, and `tar --to-command=CMD` extracts: each is judged.
            if matches!(command.program(), "git" | "ssh") || option_scripts::runs_option_scripts(command.program()) {
                found.commands.push(command);
            }
        }
        None => found.commands.push(command),
    }
}

#[cfg(test)]
mod tests;
