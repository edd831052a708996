//! Which hidden directories a `find` walk is written to stay out of, so that a walk of a whole
//! project that leaves out `.git`, `.claude` and `.axiom` is not judged as if it reached them:
//!
//! ```text
//! find . \( -path ./.git -o -path ./.claude -o -path ./.axiom \) -prune -o -type f -exec sed -i … {} +
//! find . -type f -not -path './.git/*' -not -path './.claude/*' -not -path './.axiom/*' -exec …
//! ```
//!
//! find's expression language is large, and a test read wrongly would let a walk through a
//! supervision file pass as one that leaves it alone. So only one shape is read: prune clauses
//! (a name or path test, or a parenthesised `-o` of them, then `-prune -o`) before a plain
//! conjunction of known primaries, where `!` and `-not` may stand only before a path test.
//! Anything else (another `-o`, `!` elsewhere, a primary not listed, a pattern with braces or
//! backslashes, whose meaning differs between find and the glob crate) means nothing is left
//! alone. A negated path test leaves a directory alone only when it covers all of it (its pattern
//! is the directory's path, or `*` and a part of it, then `/*`), not when it happens to miss a
//! few names.

use globset::{GlobBuilder, GlobMatcher};

/// Primaries taken without a value.
const FLAGS: &[&str] =
    &["-empty", "-readable", "-writable", "-executable", "-print", "-print0", "-true", "-delete", "-depth"];

/// Primaries taken with one value.
const WITH_VALUE: &[&str] = &[
    "-type",
    "-name",
    "-iname",
    "-path",
    "-ipath",
    "-wholename",
    "-iwholename",
    "-mtime",
    "-mmin",
    "-atime",
    "-amin",
    "-ctime",
    "-cmin",
    "-size",
    "-newer",
    "-maxdepth",
    "-mindepth",
    "-user",
    "-group",
    "-perm",
    "-uid",
    "-gid",
    "-links",
];

/// What keeps the walk out: pruned tests, and negated path tests that bind the whole walk.
pub struct Exclusions {
    pruned: Vec<Test>,
    negated: Vec<(String, bool)>,
    /// `-type f`: a directory's own entry is not acted on, only what is in it.
    only_files: bool,
}

struct Test {
    is_name: bool,
    glob: GlobMatcher,
}

impl Exclusions {
    /// Reads a walk's expression (the words after its starting points); `None` unless it has the
    /// one shape the module's comment describes and leaves something out.
    pub fn read(expression: &[&str]) -> Option<Exclusions> {
        let mut words = expression;
        let mut pruned = Vec::new();
        while let Some((tests, rest)) = prune_clause(words) {
            pruned.extend(tests);
            words = rest;
        }
        let mut negated = Vec::new();
        let mut only_files = false;
        let mut depth_first = false;
        while let Some((&word, rest)) = words.split_first() {
            words = rest;
            match word {
                "!" | "-not" => {
                    let [test, pattern, rest @ ..] = words else { return None };
                    if !matches!(*test, "-path" | "-ipath" | "-wholename" | "-iwholename") || !plain_pattern(pattern) {
                        return None;
                    }
                    negated.push(((*pattern).to_owned(), test.starts_with("-i")));
                    words = rest;
                }
                "-exec" | "-execdir" | "-ok" | "-okdir" => words = after_command(words)?,
                flag if FLAGS.contains(&flag) => depth_first |= matches!(flag, "-delete" | "-depth"),
                primary if WITH_VALUE.contains(&primary) => {
                    let (value, rest) = words.split_first()?;
                    only_files |= primary == "-type" && *value == "f";
                    words = rest;
                }
                _ => return None,
            }
        }
        // A depth-first walk reads a directory's files before the directory: `-prune` keeps
        // nothing out of it.
        if depth_first {
            pruned.clear();
        }
        (!pruned.is_empty() || !negated.is_empty()).then_some(Exclusions { pruned, negated, only_files })
    }

    /// Whether the walk stays out of `directory` (a starting point joined with a hidden name).
    pub fn leaves_alone(&self, directory: &str) -> bool {
        let name = directory.rsplit('/').next().unwrap_or(directory);
        let pruned = self.pruned.iter().any(|test| test.glob.is_match(if test.is_name { name } else { directory }));
        let inside = format!("{directory}/");
        let covers_inside = |(pattern, ci): &(String, bool)| covers_all_under(pattern, &inside, *ci);
        let covers_itself =
            |(pattern, ci): &(String, bool)| compile(pattern, *ci).is_some_and(|g| g.is_match(directory));
        pruned
            || (self.negated.iter().any(covers_inside) && (self.only_files || self.negated.iter().any(covers_itself)))
    }
}

/// The words after the prune clauses an expression starts with: what the rest of the walk does.
/// The clauses' tests name what is left alone, not what is acted on.
pub fn after_prune_clauses<'w, 'a>(expression: &'w [&'a str]) -> &'w [&'a str] {
    let mut words = expression;
    while let Some((_, rest)) = prune_clause(words) {
        words = rest;
    }
    words
}

/// One prune clause at the start of `words` and the words after its `-o`: a test or a
/// parenthesised `-o` of tests, maybe `-type d` before or after, then `-prune -o`.
fn prune_clause<'w, 'a>(words: &'w [&'a str]) -> Option<(Vec<Test>, &'w [&'a str])> {
    let skip_type_d = |words: &'w [&'a str]| match words {
        ["-type", "d", rest @ ..] => rest,
        _ => words,
    };
    let mut words = skip_type_d(words);
    let mut tests = Vec::new();
    if let ["(", rest @ ..] = words {
        words = rest;
        loop {
            let [test, pattern, rest @ ..] = words else { return None };
            tests.push(name_or_path_test(test, pattern)?);
            words = match rest {
                [")", rest @ ..] => break words = rest,
                ["-o" | "-or", rest @ ..] => rest,
                _ => return None,
            };
        }
    } else {
        let [test, pattern, rest @ ..] = words else { return None };
        tests.push(name_or_path_test(test, pattern)?);
        words = rest;
    }
    match skip_type_d(words) {
        ["-prune", "-o" | "-or", rest @ ..] => Some((tests, rest)),
        _ => None,
    }
}

fn name_or_path_test(test: &str, pattern: &str) -> Option<Test> {
    let is_name = matches!(test, "-name" | "-iname");
    let is_path = matches!(test, "-path" | "-ipath" | "-wholename" | "-iwholename");
    if !(is_name || is_path) || !plain_pattern(pattern) {
        return None;
    }
    Some(Test { is_name, glob: compile(pattern, test.starts_with("-i"))? })
}

/// The words after an `-exec` command: it ends at `;`, or at `+` right after `{}`.
fn after_command<'w, 'a>(words: &'w [&'a str]) -> Option<&'w [&'a str]> {
    let end = words
        .iter()
        .enumerate()
        .position(|(at, word)| *word == ";" || (*word == "+" && at > 0 && words[at - 1] == "{}"))?;
    Some(&words[end + 1..])
}

/// A pattern whose meaning find's fnmatch and the glob crate agree on: no braces (the glob
/// crate's alternatives, plain characters to find) and no backslashes.
fn plain_pattern(pattern: &str) -> bool {
    !pattern.contains(['{', '}', '\\'])
}

/// find's `-path`/`-name` pattern as a glob: `*` matches `/` too, as fnmatch does without
/// `FNM_PATHNAME`.
fn compile(pattern: &str, case_insensitive: bool) -> Option<GlobMatcher> {
    GlobBuilder::new(pattern).case_insensitive(case_insensitive).build().ok().map(|glob| glob.compile_matcher())
}

/// Whether `pattern` matches every path under `inside` (a directory's path with its `/`): it is a
/// plain prefix of it then `*` (`./.claude/*`, `./.cl*`), or `*`, a plain part of it, then `*`
/// (`*/.claude/*`).
fn covers_all_under(pattern: &str, inside: &str, case_insensitive: bool) -> bool {
    let Some(stem) = pattern.strip_suffix('*') else { return false };
    let is_plain = |text: &str| !text.contains(['*', '?', '[', ']']);
    let fold = |text: &str| if case_insensitive { text.to_ascii_lowercase() } else { text.to_owned() };
    let inside = fold(inside);
    match stem.strip_prefix('*') {
        Some(part) => is_plain(part) && !part.is_empty() && inside.contains(&fold(part)),
        None => is_plain(stem) && inside.starts_with(&fold(stem)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn left_alone(expression: &str) -> Vec<&'static str> {
        let words: Vec<&str> = expression.split_whitespace().collect();
        let Some(exclusions) = Exclusions::read(&words) else { return Vec::new() };
        [".git", ".claude", ".axiom"].into_iter().filter(|name| exclusions.leaves_alone(&format!("./{name}"))).collect()
    }

    #[test]
    fn the_common_ways_of_leaving_directories_out_are_read() {
        let all = [".git", ".claude", ".axiom"];
        assert_eq!(
            left_alone(
                "( -path ./.git -o -path ./.claude -o -path ./.axiom ) -prune -o -type f -exec sed -i s/a/b/ {} +"
            ),
            all
        );
        assert_eq!(left_alone("-path ./.git -prune -o -name .claude -prune -o -path ./.axiom -prune -o -print"), all);
        assert_eq!(left_alone("-type d -name .* -prune -o -type f -exec dos2unix {} +"), all);
        assert_eq!(
            left_alone("-type f -not -path ./.git/* ! -path */.claude/* -not -path ./.axiom* -exec sed -i s/a/b/ {} +"),
            all
        );
        // Without `-type f` a directory's own entry is acted on unless it is left out too.
        assert_eq!(left_alone("-not -path ./.git/* -exec chmod 755 {} +"), Vec::<&str>::new());
        assert_eq!(left_alone("-not -path ./.git* -exec chmod 755 {} +"), [".git"]);
    }

    #[test]
    fn any_other_shape_leaves_nothing_out() {
        for expression in [
            // `-o` outside a prune clause, `!` elsewhere, tests between the test and -prune.
            "! -path ./.* -name zzz -prune -o -type f -exec sed -i s/a/b/ {} +",
            "-path ./nothing -empty -prune -o -type f -exec sed -i s/a/b/ {} +",
            "-path ./.* -false -prune -o -type f -exec sed -i s/a/b/ {} +",
            "! ! -path ./.* -type f -exec sed -i s/a/b/ {} +",
            "-type f -printf ! -path ./.* -exec sed -i s/a/b/ {} +",
            "-type f -not -path {./.*,x} -exec sed -i s/a/b/ {} +",
            "-regex \\./\\.clau\\de/.* -exec sed -i s/a/b/ {} +",
            "-files0-from - ! -path ./.* -type f -exec sed -i s/a/b/ {} +",
            "-type f -not -path ./.* -o -size 0 -exec sed -i s/a/b/ {} +",
            // A command that does not end where find ends it.
            "-not -path ./.* -exec rm -rf + {}",
        ] {
            assert_eq!(left_alone(expression), Vec::<&str>::new(), "{expression}");
        }
        // Patterns that miss a few names do not leave a directory out.
        assert_eq!(
            left_alone(
                "-type f -not -path ./.[!a]* -not -path ./.axiom/[!r]* -not -path ./.axiom/rules/0* -exec x {} +"
            ),
            Vec::<&str>::new()
        );
        // A depth-first walk reads what is in a directory before it: `-prune` keeps nothing out.
        assert_eq!(left_alone("-path ./.git -prune -o -delete"), Vec::<&str>::new());
    }
}
