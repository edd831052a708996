//! The files a call's supervision stands on: axiom's own program (the executable judging the
//! call, as installed and as it really is) and the rule files it judges with, when it was given
//! them (`axiom hook --rules DIR`, `$AXIOM_RULES`). Deleting, moving or writing one of them, or a
//! directory that holds one (`rm -rf ~/.cargo/bin`, `mv /opt/axiom-rules /tmp/x`), turns the
//! supervision off for every later call.

use std::path::{Path, PathBuf};
use std::sync::{LazyLock, OnceLock};

use globset::GlobBuilder;

static RULE_FILES: OnceLock<Vec<PathBuf>> = OnceLock::new();

/// Guards `paths`, the rule files and directories this process judges with, as its own. Set once,
/// by the judge that was given them; later calls change nothing.
pub fn guard_rule_files(paths: &[PathBuf]) {
    let absolute = paths.iter().filter_map(|path| std::path::absolute(path).ok());
    let _ = RULE_FILES.set(with_real_paths(absolute));
}

/// Each path as given and as it really is (links resolved), without repeats.
fn with_real_paths(paths: impl Iterator<Item = PathBuf>) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for path in paths {
        let real = path.canonicalize().ok();
        for path in std::iter::once(path).chain(real) {
            if !all.contains(&path) {
                all.push(path);
            }
        }
    }
    all
}

fn own_files() -> impl Iterator<Item = &'static PathBuf> {
    static PROGRAM: LazyLock<Vec<PathBuf>> =
        LazyLock::new(|| with_real_paths(std::env::current_exe().ok().into_iter()));
    PROGRAM.iter().chain(RULE_FILES.get().into_iter().flatten())
}

/// Whether `absolute`, a path from the root with no `.` or `..` left, is one of the own files or
/// is in one (a rule file in a rule directory), or, with `above`, holds one (a directory above
/// it, but not the root), as written, through the links on disk, or as a shell pattern that
/// matches one of those paths (`rm -rf /opt/*`).
pub fn holds_own_file(absolute: &str, above: bool) -> bool {
    let path = Path::new(absolute);
    if path.parent().is_none() {
        return false;
    }
    let related = |own: &Path, path: &Path| (above && own.starts_with(path)) || path.starts_with(own);
    if own_files().any(|own| related(own, path)) {
        return true;
    }
    if path.canonicalize().is_ok_and(|real| own_files().any(|own| related(own, &real))) {
        return true;
    }
    absolute.contains(['*', '?', '[']) && pattern_matches_own(absolute, above)
}

/// Whether the shell pattern `pattern` matches an own file, or, with `above`, a directory above one.
fn pattern_matches_own(pattern: &str, above: bool) -> bool {
    let Ok(glob) = GlobBuilder::new(pattern).literal_separator(true).build() else { return false };
    let matcher = glob.compile_matcher();
    own_files().any(|own| {
        let mut candidates =
            own.ancestors().filter(|dir| dir.parent().is_some()).take(if above { usize::MAX } else { 1 });
        candidates.any(|dir| matcher.is_match(dir))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_and_the_directories_above_it_are_its_own_but_the_root_is_not() {
        let program = std::env::current_exe().unwrap();
        let directory = program.parent().unwrap();
        assert!(holds_own_file(program.to_str().unwrap(), false));
        assert!(holds_own_file(directory.to_str().unwrap(), true));
        assert!(holds_own_file(&format!("{}/*", directory.parent().unwrap().display()), true));
        // A directory above counts only for a program that takes directories away.
        assert!(!holds_own_file(directory.to_str().unwrap(), false));
        assert!(!holds_own_file(&format!("{}/*", directory.parent().unwrap().display()), false));
        assert!(!holds_own_file("/", true));
        assert!(!holds_own_file(&format!("{}/other-program", directory.display()), true));
        assert!(!holds_own_file("/nonexistent/elsewhere", true));
    }
}
