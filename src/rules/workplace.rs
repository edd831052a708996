//! Where a tool call is judged: the directory it runs in, and so the git branch checked out there,
//! which decides what a bare `git push --force` pushes. Set for the time of one judgement by whoever
//! knows it: `axiom hook` from its event's `cwd`, the hub from the agent process's working
//! directory, `rules test` from a case's `branch`. Offline (`axiom check`) nobody knows it, and a
//! rule that asks for a branch does not fire.

use std::cell::RefCell;
use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

/// How far up from the working directory a repository is looked for.
const MOST_PARENTS: usize = 64;
/// Bytes read of `HEAD` or of a `.git` file: a branch name is far shorter.
const MOST_BYTES: u64 = 4096;

/// Where a call runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workplace {
    /// The directory the call starts in; its repository is read as the call is judged.
    Directory(PathBuf),
    /// A branch given outright, wherever the call goes (a rule's test case).
    Branch(String),
}

thread_local! {
    static JUDGED_IN: RefCell<Option<Workplace>> = const { RefCell::new(None) };
}

/// Runs `judge` with calls taken to run in `place`.
pub fn judging_in<T>(place: Option<Workplace>, judge: impl FnOnce() -> T) -> T {
    let before = JUDGED_IN.with(|judged| judged.replace(place));
    // Put back also when `judge` panics (the hook catches a panic and goes on).
    struct Restore(Option<Option<Workplace>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take().flatten();
            JUDGED_IN.with(|judged| *judged.borrow_mut() = before);
        }
    }
    let _restore = Restore(Some(before));
    judge()
}

/// The directory the call starts in, where one was said (not by a rule's test case).
pub fn working_directory() -> Option<PathBuf> {
    JUDGED_IN.with(|judged| match &*judged.borrow() {
        Some(Workplace::Directory(start)) => Some(start.clone()),
        _ => None,
    })
}

/// The branch checked out where a command runs, `moved` being where the script's `cd`s took it,
/// relative to where the call starts (empty: there; `/…` or `~…`: absolute), and `git_dir` the
/// repository it names outright (`git --git-dir=DIR`, relative to where it runs). A named
/// repository that cannot be read (`GIT_DIR=$PWD/.git`, a value the script computes) is taken for
/// the one where the command runs, which it most often is. `None` where nobody said where the
/// call runs, where the script went somewhere that does not exist (`cd "$DIR"`), outside a
/// repository, or with a detached `HEAD`.
pub fn checked_out_branch(moved: &str, git_dir: Option<&str>) -> Option<String> {
    let place = JUDGED_IN.with(|judged| judged.borrow().clone())?;
    let start = match place {
        Workplace::Branch(branch) => return Some(branch),
        Workplace::Directory(start) => start,
    };
    let directory = located(&start, moved)?;
    if !directory.is_dir() {
        return None;
    }
    let named = git_dir.and_then(|named| located(&directory, named)).and_then(|named| branch_in_git_dir(&named));
    named.or_else(|| branch_in_git_dir(&directory.ancestors().take(MOST_PARENTS).find_map(git_dir_of)?))
}

/// The branch a git directory's `HEAD` names.
fn branch_in_git_dir(git_dir: &Path) -> Option<String> {
    let head = git_dir.join("HEAD");
    // A symbolic link to the branch's ref is how git once wrote HEAD, and still reads it.
    if let Some(branch) = std::fs::read_link(&head)
        .ok()
        .and_then(|target| target.to_str().and_then(|target| target.strip_prefix("refs/heads/")).map(str::to_owned))
    {
        return Some(branch);
    }
    branch_in_head(&read_head(&head)?)
}

/// `path` as the shell finds it from `from`: `~` is the home directory.
pub(crate) fn located(from: &Path, path: &str) -> Option<PathBuf> {
    Some(match path {
        "" => from.to_owned(),
        home if home == "~" || home.starts_with("~/") => {
            PathBuf::from(std::env::var_os("HOME")?).join(home.trim_start_matches('~').trim_start_matches('/'))
        }
        other => from.join(other),
    })
}

/// Where `path`, an operand relative to where the call runs (`~` for the home directory), leads on
/// disk now, written as rules read paths (`~/…` under the home directory). Links on its way are
/// followed as the kernel follows them (see [`resolved_on_disk`]); its last part only with a `/`
/// after it, as `rm -rf link` removes the link and `rm -rf link/` what it points to. Read only
/// where the caller said where the call runs; `None` there, and where the path leads where it says.
pub(crate) fn on_disk(path: &str) -> Option<String> {
    on_disk_from(&working_directory()?, path)
}

/// [`on_disk`] for a call that runs in `start`.
pub fn on_disk_from(start: &Path, path: &str) -> Option<String> {
    on_disk_following(start, path, path.ends_with('/'))
}

/// [`on_disk_from`] for a program that opens what a link named last leads to (`cat kf`, `> kf`),
/// not the link itself as `rm` does.
pub fn on_disk_through_last_link(start: &Path, path: &str) -> Option<String> {
    on_disk_following(start, path, true)
}

fn on_disk_following(start: &Path, path: &str, follow_last: bool) -> Option<String> {
    // From where the start and the home directory lead: a link on their way is no link the
    // call's path goes through (a project opened through a linked directory).
    let absolute = match path.strip_prefix('~').filter(|rest| rest.is_empty() || rest.starts_with('/')) {
        Some(rest) => resolved_on_disk(Path::new(&std::env::var_os("HOME")?))?.join(rest.trim_start_matches('/')),
        None => resolved_on_disk(start)?.join(path),
    };
    let resolved = if follow_last {
        // A link to what does not exist yet leads there too, through other links (the kernel
        // follows 40): `> ak` creates `~/.ssh/authorized_keys`.
        let mut leads_to = absolute.clone();
        for _ in 0..40 {
            let Ok(target) = std::fs::read_link(&leads_to) else { break };
            leads_to = lexically(&leads_to.parent()?.join(target));
        }
        resolved_on_disk(&leads_to)?
    } else {
        resolved_on_disk(absolute.parent()?)?.join(absolute.file_name()?)
    };
    if resolved == lexically(&absolute) {
        return None;
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    Some(match home.as_deref().and_then(|home| resolved.strip_prefix(home).ok()) {
        Some(rest) if rest.as_os_str().is_empty() => "~".to_owned(),
        Some(rest) => format!("~/{}", rest.display()),
        None => resolved.display().to_string(),
    })
}

/// `absolute` with the links on its way resolved: see [`on_disk`].
pub fn resolved_on_disk(absolute: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let components: Vec<Component> = absolute.components().collect();
    (1..=components.len()).rev().find_map(|existing| {
        let mut resolved = components[..existing].iter().collect::<PathBuf>().canonicalize().ok()?;
        for component in &components[existing..] {
            match component {
                Component::ParentDir => {
                    resolved.pop();
                }
                Component::Normal(name) => resolved.push(name),
                Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            }
        }
        Some(resolved)
    })
}

/// `path` with `.` and `..` taken as written, links or not.
fn lexically(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut plain = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                plain.pop();
            }
            Component::CurDir => {}
            other => plain.push(other),
        }
    }
    plain
}

/// The git directory of a work tree at `directory`: `.git` itself, or where a `.git` file (a
/// linked worktree, a submodule) points.
pub(super) fn git_dir_of(directory: &Path) -> Option<PathBuf> {
    let dot_git = directory.join(".git");
    let meta = std::fs::metadata(&dot_git).ok()?;
    if meta.is_dir() {
        return Some(dot_git);
    }
    let text = read_head(&dot_git)?;
    let pointed = text.strip_prefix("gitdir:")?.trim();
    Some(directory.join(pointed))
}

/// A small regular file's text.
fn read_head(path: &Path) -> Option<String> {
    String::from_utf8(read_regular_file(path, MOST_BYTES)?).ok()
}

/// A regular file's first `most` bytes. The agent owns the directory: a FIFO or a device in place
/// of a file must not block the judge, so nothing else is read, and the open itself does not wait.
pub(crate) fn read_regular_file(path: &Path, most: u64) -> Option<Vec<u8>> {
    // Checked before the open (opening some devices does something) and after it (the path may
    // have been swapped in between).
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(most).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// `ref: refs/heads/NAME` names the branch; a commit id is a detached `HEAD`. A reftable
/// repository's `HEAD` names the placeholder `.invalid`, and the branch stays unknown.
fn branch_in_head(head: &str) -> Option<String> {
    let branch = head.strip_prefix("ref:")?.trim().strip_prefix("refs/heads/")?;
    (!branch.is_empty() && branch != ".invalid").then(|| branch.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_on(branch: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git/HEAD"), format!("ref: refs/heads/{branch}\n")).unwrap();
        std::fs::create_dir_all(dir.path().join("src/deep")).unwrap();
        dir
    }

    #[test]
    fn the_branch_is_read_from_the_repository_the_call_runs_in() {
        let repo = repo_on("main");
        let at = |moved: &str| {
            judging_in(Some(Workplace::Directory(repo.path().join("src"))), || checked_out_branch(moved, None))
        };
        assert_eq!(at("").as_deref(), Some("main"), "from a subdirectory");
        assert_eq!(at("deep").as_deref(), Some("main"), "after a cd further in");
        assert_eq!(at("nowhere"), None, "after a cd to what does not exist");
        assert_eq!(checked_out_branch("", None), None, "outside a judgement, nobody knows");
    }

    #[test]
    fn a_repository_named_outright_is_read_in_place_of_the_one_the_call_runs_in() {
        let (main, feature) = (repo_on("main"), repo_on("feature/x"));
        let in_feature = Some(Workplace::Directory(feature.path().to_owned()));
        let named = main.path().join(".git");
        let branch = |git_dir: &str| judging_in(in_feature.clone(), || checked_out_branch("", Some(git_dir)));
        assert_eq!(branch(named.to_str().unwrap()).as_deref(), Some("main"), "an absolute path");
        let relative = format!("../{}/.git", main.path().file_name().unwrap().to_str().unwrap());
        assert_eq!(branch(&relative).as_deref(), Some("main"), "a path from where the call runs");
        let unread = "a repository that cannot be read is taken for the one where the call runs";
        assert_eq!(branch("nowhere/.git").as_deref(), Some("feature/x"), "{unread}");
        assert_eq!(branch("$PWD/.git").as_deref(), Some("feature/x"), "{unread}");
        let case = Some(Workplace::Branch("main".into()));
        assert_eq!(judging_in(case, || checked_out_branch("", Some("x/.git"))).as_deref(), Some("main"), "{unread}");
    }

    #[test]
    fn a_worktree_file_and_a_detached_head_are_read_as_git_reads_them() {
        let main = repo_on("main");
        let linked = tempfile::tempdir().unwrap();
        let worktree_git = main.path().join(".git/worktrees/feature");
        std::fs::create_dir_all(&worktree_git).unwrap();
        std::fs::write(worktree_git.join("HEAD"), "ref: refs/heads/feature/x\n").unwrap();
        std::fs::write(linked.path().join(".git"), format!("gitdir: {}\n", worktree_git.display())).unwrap();
        let place = Some(Workplace::Directory(linked.path().to_owned()));
        assert_eq!(judging_in(place.clone(), || checked_out_branch("", None)).as_deref(), Some("feature/x"));
        std::fs::write(worktree_git.join("HEAD"), "4b825dc642cb6eb9a060e54bf8d69288fbee4904\n").unwrap();
        assert_eq!(judging_in(place.clone(), || checked_out_branch("", None)), None, "detached");
        std::fs::remove_file(worktree_git.join("HEAD")).unwrap();
        std::os::unix::fs::symlink("refs/heads/main", worktree_git.join("HEAD")).unwrap();
        assert_eq!(judging_in(place, || checked_out_branch("", None)).as_deref(), Some("main"), "a symbolic link");
    }

    #[test]
    fn a_fifo_in_place_of_head_is_not_waited_on() {
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir(repo.path().join(".git")).unwrap();
        let head = std::ffi::CString::new(repo.path().join(".git/HEAD").as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(head.as_ptr(), 0o600) }, 0);
        let place = Some(Workplace::Directory(repo.path().to_owned()));
        assert_eq!(judging_in(place, || checked_out_branch("", None)), None);
    }

    #[test]
    fn a_judgement_leaves_no_place_behind_even_when_it_panics() {
        let place = Some(Workplace::Branch("main".into()));
        let _ = std::panic::catch_unwind(|| judging_in(place, || panic!("a bug while judging")));
        assert_eq!(checked_out_branch("", None), None);
    }
}
