//! What `find` does to the files it finds: its `-exec` commands and its `-delete`, as the commands
//! they amount to. `find .axiom -delete` deletes as surely as `rm -r -f .axiom` does, and
//! `find / -exec rm -rf {} +` as `rm -rf /`.
//!
//! Which files a search reaches is known only when it runs. They stand in as the first ones it
//! could reach: each starting point, joined with each name it looks for (`find . -name .git` →
//! `./.git`), or with `*` when it leaves the starting point itself out (`-mindepth 1`), or alone
//! with its hidden files (`.` and `./.*`: `find . -delete` takes `.git` with it; not for a plain
//! subdirectory, `find build -delete`, nor with `-empty`); a `-path` pattern stands for itself; a
//! test after `!` or `-not`, or before `-prune -o`, names what is left alone. When such tests, or
//! a `-regex`, keep the walk out of some hidden directories (`-not -path './.claude/*'`, `-path
//! ./.axiom -prune -o`), the hidden files stand in one by one instead of as `.*`: each of
//! [`HIDDEN_NAMES`] that the walk still reaches. Those are what a rule about a path can judge.
//! An `rm` it runs is given `-r`: on every file the walk finds, it deletes as `rm -r` does.
//!
//! A hostile command could ask for a cross product of thousands of starting points and names
//! and thousands of actions; the stand-ins are bounded instead. Past [`MAX_TARGETS`] pairs, each
//! starting point and each name stands in by itself (`find . x … -name .git` → `.`, `x`, `.git`:
//! more than the search reaches, never less); once [`MAX_COMMANDS`] commands or [`MAX_BYTES`] are
//! made, the actions left are judged by their own words, and what they do to the stand-ins is
//! taken as the worst, `rm -r -f`.

/// The program `-delete` is read as; any it runs on the files the walk finds is given `-r`.
pub const DELETE_READ_AS: &str = "rm";

/// The most starting point and name pairs joined; past it, each stands in alone.
const MAX_TARGETS: usize = 256;
/// How many commands the actions given every stand-in may make.
const MAX_COMMANDS: usize = 1024;
/// How many tests that leave hidden directories out are read; past it, none is.
const MAX_FILTERS: usize = 32;
/// How large a `-regex` may compile to; a larger one leaves nothing out.
const MAX_REGEX_BYTES: usize = 1 << 20;
/// How many `{}` of one word are replaced.
const MAX_REPLACED: usize = 4;
/// How many bytes the joined pairs, and the commands made, may take.
const MAX_BYTES: usize = 1 << 20;

/// The hidden names at the top of a project or a home directory that rules guard, which stand in
/// for `.*` when the walk leaves some hidden directories alone.
const HIDDEN_NAMES: &[&str] = &[".git", ".axiom", ".claude", ".config", ".local", ".ssh", ".gnupg"];

/// Files inside a hidden directory that a test must leave alone for the directory to count as
/// left alone: a name no pattern is written for, so only one that covers all of it does
/// (`./.claude/*`, `*/.claude/*`), and the files rules guard.
const PROBES: &[&str] = &["axiom-probe-zq9", "settings.json", "settings.local.json", "rules/00.yaml", "config"];

/// The options before the starting points (`-H`, `-L`, `-P`, `-D debugopts`, `-O3`).
fn leading_options(args: &[String]) -> usize {
    let mut index = 0;
    while let Some(word) = args.get(index) {
        match word.as_str() {
            "-H" | "-L" | "-P" => index += 1,
            "-D" => index += 2,
            word if word.starts_with("-O") => index += 1,
            // `find -- / …`: what follows is a starting point even if it looks like an option.
            "--" => return (index + 1).min(args.len()),
            _ => break,
        }
    }
    index.min(args.len())
}

/// Whether `word` starts find's expression rather than naming a starting point.
fn starts_expression(word: &str) -> bool {
    word.starts_with('-') || matches!(word, "(" | "!" | ",")
}

/// A `find` command read: where it searches, what for, and what it runs on what it finds.
#[derive(Default)]
struct Search<'a> {
    starts: Vec<&'a str>,
    names: Vec<&'a str>,
    paths: Vec<&'a str>,
    skips_start: bool,
    /// `-empty` (not negated): only empty files and directories are reached, unless
    /// `alternatives` says another test may stand in for it.
    only_empty: bool,
    /// `-o`, `-or` or `,`: a test that narrows the search may be only one way through it.
    alternatives: bool,
    /// `-L`, `-H` or `-follow`: symbolic links are followed, so a plain name may lead anywhere.
    follows_links: bool,
    /// Tests after `!` or `-not`: (name test, pattern, case-insensitive).
    negated: Vec<(bool, &'a str, bool)>,
    /// Tests before `-prune -o`: (name test, pattern, case-insensitive).
    pruned: Vec<(bool, &'a str, bool)>,
    /// `-regex` and `-iregex`, not negated: what the walk reaches must match each; whether
    /// case-insensitive, and the `-regextype` before it (find reads a regex in the syntax the last
    /// one before it names, its default without).
    regexes: Vec<(&'a str, bool, Option<&'a str>)>,
    /// `-type f` (not negated): directories themselves are not acted on, only what is in them.
    only_files: bool,
    /// `-depth` or `-delete` (which implies it): the walk reads a directory's files before the
    /// directory, so `-prune` keeps it out of nothing.
    depth_first: bool,
    /// Commands with `{}` where the files found go.
    actions: Vec<Vec<&'a str>>,
    /// Files `-fprint` and the like write.
    written: Vec<&'a str>,
}

impl<'a> Search<'a> {
    /// Reads a `find` command's words, `find` first.
    fn read(words: &'a [String]) -> Search<'a> {
        let args = words.get(1..).unwrap_or_default();
        let args = &args[leading_options(args)..];
        let follows_links = words.iter().skip(1).any(|word| matches!(word.as_str(), "-L" | "-H" | "-follow"));
        let starts = args.iter().take_while(|word| !starts_expression(word)).map(String::as_str).collect();
        let mut search = Search { starts, follows_links, ..Search::default() };
        let mut expression = args[search.starts.len()..].iter().map(String::as_str).peekable();
        // A test after `!` or `-not` names what is left alone, as does one followed by `-prune`.
        let mut negated = false;
        // Whether the test just before was a name (or else a path), when it was kept.
        let mut last_test: Option<(bool, &str, bool)> = None;
        let mut regex_type = None;
        while let Some(word) = expression.next() {
            let was_negated = std::mem::take(&mut negated);
            match word {
                "!" | "-not" => negated = true,
                "-name" | "-iname" | "-path" | "-ipath" | "-wholename" | "-iwholename" => {
                    let Some(value) = expression.next() else { continue };
                    let is_name = word.ends_with("name") && !word.ends_with("wholename");
                    let case_insensitive = word.starts_with("-i");
                    last_test = (!was_negated).then_some((is_name, value, case_insensitive));
                    match (was_negated, is_name) {
                        (true, _) => search.negated.push((is_name, value, case_insensitive)),
                        (false, true) => search.names.push(value),
                        (false, false) => search.paths.push(value),
                    }
                }
                "-regex" | "-iregex" => {
                    let Some(value) = expression.next() else { continue };
                    if !was_negated {
                        search.regexes.push((value, word == "-iregex", regex_type));
                    }
                }
                "-regextype" => regex_type = expression.next(),
                "-type" => search.only_files |= expression.next() == Some("f") && !was_negated,
                // The test just before it (the last one kept) is what is pruned and left alone,
                // when an `-o` follows for the rest of the walk (`-name .git -prune -o -delete`);
                // otherwise what follows acts on what is pruned (`-name x -prune -exec rm …`).
                // That `-o` is no alternative to the tests after it.
                "-prune" => {
                    let left_alone = last_test.take().filter(|_| matches!(expression.peek(), Some(&("-o" | "-or"))));
                    if let Some((is_name, pattern, case_insensitive)) = left_alone {
                        let kept = if is_name { &mut search.names } else { &mut search.paths };
                        kept.pop();
                        search.pruned.push((is_name, pattern, case_insensitive));
                        expression.next();
                    }
                }
                // They write the list of what is found to a file.
                "-fprint" | "-fprint0" | "-fls" | "-fprintf" => {
                    search.written.extend(expression.next());
                }
                "-mindepth" => search.skips_start |= expression.next().is_some_and(|depth| depth != "0"),
                "-empty" => search.only_empty |= !was_negated,
                "-o" | "-or" | "," => search.alternatives = true,
                "-delete" => {
                    search.depth_first = true;
                    search.actions.push(vec![DELETE_READ_AS, "-f", "{}"]);
                }
                "-depth" | "-d" => search.depth_first = true,
                "-exec" | "-execdir" | "-ok" | "-okdir" => {
                    // The command runs up to `;` (once a file) or `+` (with many at once).
                    let command: Vec<&str> =
                        expression.by_ref().take_while(|word| !matches!(*word, ";" | "+")).collect();
                    if !command.is_empty() {
                        search.actions.push(command);
                    }
                }
                _ => {}
            }
        }
        if search.starts.is_empty() {
            search.starts.push(".");
        }
        search
    }

    /// The files the search could reach first, as the module's comment says.
    fn targets(&self) -> Vec<String> {
        let mut found: Vec<String> = self.paths.iter().map(|path| path.to_string()).collect();
        let bytes = |words: &[&str]| words.iter().map(|word| word.len() + 1).sum::<usize>();
        let pairs = self.starts.len().saturating_mul(self.names.len().max(1));
        let pair_bytes = bytes(&self.starts).saturating_mul(self.names.len().max(1))
            + bytes(&self.names).saturating_mul(self.starts.len());
        if pairs > MAX_TARGETS || pair_bytes > MAX_BYTES {
            found.extend(self.starts.iter().chain(&self.names).map(|word| word.to_string()));
            return found;
        }
        let join = |start: &str, name: &str| format!("{}/{name}", start.trim_end_matches('/'));
        let mut filters: Option<Option<Filters>> = None;
        for start in &self.starts {
            match (self.names.is_empty(), self.skips_start) {
                (false, _) => found.extend(self.names.iter().map(|name| join(start, name))),
                (true, true) => found.push(join(start, "*")),
                // Everything under it, hidden files too (`find . -delete` takes `.git` with it),
                // unless only empty ones are reached or it is a plain directory below where the
                // command runs: the hidden files that matter (`.git`, `.claude`) are where a
                // project or a home directory starts, not in `build/`.
                (true, false) if self.paths.is_empty() => {
                    found.push(start.to_string());
                    let only_empty = self.only_empty && !self.alternatives;
                    if !only_empty && (self.follows_links || !is_plain_subdirectory(start)) {
                        // `.*`, or each hidden directory the walk still reaches when tests keep
                        // it out of some.
                        let filters = filters.get_or_insert_with(|| Filters::of(self));
                        match filters {
                            Some(filters) => found.extend(filters.hidden_reached(start)),
                            None => found.push(join(start, ".*")),
                        }
                    }
                }
                (true, false) => {}
            }
        }
        found
    }
}

/// A test compiled: a name test matches the last part of a path, a path test all of it.
struct Test {
    is_name: bool,
    /// `None`: a pattern that cannot be read (`[x`, which fnmatch takes literally), and which is
    /// then taken to leave nothing out.
    glob: Option<globset::GlobMatcher>,
}

impl Test {
    /// find's `-name`/`-path` pattern: `*` matches `/` too, as fnmatch does without
    /// `FNM_PATHNAME`.
    fn compile(&(is_name, pattern, case_insensitive): &(bool, &str, bool)) -> Test {
        let glob = globset::GlobBuilder::new(pattern)
            .case_insensitive(case_insensitive)
            .backslash_escape(true)
            .build()
            .ok()
            .map(|glob| glob.compile_matcher());
        Test { is_name, glob }
    }

    fn matches(&self, path: &str) -> bool {
        let text = if self.is_name { path.rsplit('/').next().unwrap_or(path) } else { path };
        self.glob.as_ref().is_some_and(|glob| glob.is_match(text))
    }
}

/// What keeps a walk out of hidden directories, compiled once for all its starting points.
struct Filters {
    /// Tests after `!` or `-not`, and `-regex`es, when they bind (no `-o` around them).
    negated: Vec<Test>,
    regexes: Vec<Option<regex::Regex>>,
    /// Tests before `-prune -o`, when the walk is not depth-first.
    pruned: Vec<Test>,
    only_files: bool,
}

impl Filters {
    /// `None` when nothing keeps the walk out of any hidden directory, or when it follows links,
    /// which may lead into one under another name.
    fn of(search: &Search) -> Option<Filters> {
        if search.follows_links {
            return None;
        }
        // Under `-o` a negated test or a regex may be only one way through the expression. A
        // command written to make the judging slow (thousands of tests) is judged without them.
        let binding = !search.alternatives && search.negated.len() + search.regexes.len() <= MAX_FILTERS;
        let prunes = !search.depth_first && search.pruned.len() <= MAX_FILTERS;
        let filters = Filters {
            negated: if binding { search.negated.iter().map(Test::compile).collect() } else { Vec::new() },
            regexes: if binding {
                search.regexes.iter().map(|&(text, ci, syntax)| find_regex(text, ci, syntax)).collect()
            } else {
                Vec::new()
            },
            pruned: if prunes { search.pruned.iter().map(Test::compile).collect() } else { Vec::new() },
            only_files: search.only_files && binding,
        };
        (!(filters.negated.is_empty() && filters.regexes.is_empty() && filters.pruned.is_empty())).then_some(filters)
    }

    fn reached(&self, path: &str) -> bool {
        !self.negated.iter().any(|test| test.matches(path))
            && self.regexes.iter().all(|regex| regex.as_ref().is_none_or(|regex| regex.is_match(path)))
    }

    /// Each of [`HIDDEN_NAMES`] under `start` that the walk still reaches.
    fn hidden_reached(&self, start: &str) -> Vec<String> {
        let join = |start: &str, name: &str| format!("{}/{name}", start.trim_end_matches('/'));
        HIDDEN_NAMES
            .iter()
            .map(|hidden| join(start, hidden))
            .filter(|directory| {
                let pruned = self.pruned.iter().any(|test| test.matches(directory));
                let itself = !self.only_files && self.reached(directory);
                !pruned && (itself || PROBES.iter().any(|probe| self.reached(&join(directory, probe))))
            })
            .collect()
    }
}

/// A `-regex` as find reads it, matched against the whole path: POSIX extended for
/// `-regextype posix-extended` (or egrep), else the default emacs syntax, whose groups and
/// alternatives are `\(`, `\|`, `\)` and whose bare `(`, `|`, `)`, `{`, `}` are plain characters.
/// `None` when it cannot be read, which leaves nothing out.
fn find_regex(text: &str, case_insensitive: bool, regex_type: Option<&str>) -> Option<regex::Regex> {
    let extended = matches!(regex_type, Some("posix-extended" | "egrep" | "posix-egrep"));
    let translated = if extended { text.to_owned() } else { emacs_to_rust(text) };
    regex::RegexBuilder::new(&format!("^(?:{translated})$"))
        .case_insensitive(case_insensitive)
        .size_limit(MAX_REGEX_BYTES)
        .build()
        .ok()
}

/// Emacs regex syntax (find's default) in Rust's: escaped group, alternative and interval
/// characters become operators, bare ones literals; `\w`, `\b` and the like pass unchanged.
fn emacs_to_rust(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(operator @ ('(' | ')' | '|' | '{' | '}')) => out.push(operator),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push_str("\\\\"),
            },
            '(' | ')' | '|' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Whether `start` names a directory below the current one by plain names (`build`,
/// `./logs/`, `src/gen`): none hidden, none a parent, a home, a variable or a pattern.
fn is_plain_subdirectory(start: &str) -> bool {
    let relative = start.trim_start_matches("./");
    !relative.starts_with('/')
        && !relative.trim_matches('/').is_empty()
        && relative
            .split('/')
            .filter(|part| !part.is_empty())
            .all(|part| !part.starts_with(['.', '~', '-']) && !part.contains(['$', '`', '*', '?', '[', '{', '\\']))
}

/// The commands a `find` command's actions amount to (its words, `find` first), each with `{}`
/// replaced by the files the search stands for. Empty for a search that only lists.
pub fn actions(words: &[String]) -> Vec<Vec<String>> {
    let search = Search::read(words);
    // `-fprint FILE` writes FILE as `> FILE` does.
    let mut commands: Vec<Vec<String>> =
        search.written.iter().map(|file| vec![">".to_owned(), file.to_string()]).collect();
    if search.actions.is_empty() {
        return commands;
    }
    let targets = search.targets();
    let with_target = |action: &[&str], target: &str| -> Vec<String> {
        // find replaces every `{}`; a few are as good to judge by, and a word of thousands cannot
        // multiply a long path into megabytes.
        action.iter().map(|word| word.replacen("{}", target, MAX_REPLACED)).collect()
    };
    let mut bytes = 0;
    let mut expanded = 0;
    'actions: for action in &search.actions {
        for target in &targets {
            let command = with_target(action, target);
            bytes += command.iter().map(String::len).sum::<usize>();
            commands.push(command);
            if commands.len() > MAX_COMMANDS || bytes > MAX_BYTES {
                break 'actions;
            }
        }
        expanded += 1;
    }
    if expanded < search.actions.len() {
        // The actions left are judged by their own words, and what they do to every file is not
        // worked out: taken as the worst, a delete.
        let own_words =
            |action: &Vec<&str>| action.iter().filter(|word| **word != "{}").map(|word| word.to_string()).collect();
        commands.extend(search.actions[expanded..].iter().map(own_words));
        commands.push([DELETE_READ_AS, "-f"].iter().map(|word| word.to_string()).chain(targets).collect());
    }
    commands.into_iter().map(|command| walked(super::wrappers::strip(command))).collect()
}

/// An `rm` run on every file a walk finds deletes recursively: it is given `-r`.
fn walked(mut command: Vec<String>) -> Vec<String> {
    if command.first().is_some_and(|program| super::program_name(program) == DELETE_READ_AS) {
        command.insert(1, "-r".to_owned());
    }
    command
}

/// The files a `find` command's search stands for: what a program reading its output
/// (`find … | xargs rm`) is given.
pub fn found_paths(words: &[String]) -> Vec<String> {
    Search::read(words).targets()
}
