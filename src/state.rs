//! The state directory: the client token, where the running hub listens, and the lock that
//! makes it one hub's.
//!
//! `--state-dir`, else `$AXIOM_STATE_DIR`, else `$XDG_STATE_HOME/axiom`, else `~/.local/state/axiom`.
//! The directory is private: created 0700, and refused when it belongs to someone else or other
//! users may write to or read from it (a foreign `hub.json` could send `axiom client` and its
//! token to someone else's listener). Files in it are written 0600 through temporary files
//! opened with `O_CREAT|O_EXCL|O_NOFOLLOW`, so a planted symlink is never written through.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};

use crate::hub::auth::Token;

/// Where a running hub can be reached (`hub.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubInfo {
    pub url: String,
    pub pid: u32,
}

#[derive(Debug, Clone)]
pub struct StateDir {
    path: PathBuf,
}

/// The exclusive lock on a state directory, held for as long as this value lives (the OS lets go
/// of it when the process ends, however it ends).
#[derive(Debug)]
pub struct StateLock {
    _file: fs::File,
}

/// Another live process holds the state directory's lock.
#[derive(Debug, thiserror::Error)]
#[error("another hub (pid {pid}) is using the state directory {dir}; stop it, or pass a different --state-dir")]
pub struct StateDirBusy {
    pub pid: String,
    pub dir: String,
}

impl StateDir {
    pub fn resolve(flag: Option<&Path>) -> anyhow::Result<StateDir> {
        let env = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let path = flag
            .map(Path::to_path_buf)
            .or_else(|| env("AXIOM_STATE_DIR"))
            .or_else(|| env("XDG_STATE_HOME").map(|dir| dir.join("axiom")))
            .or_else(|| env("HOME").map(|home| home.join(".local/state/axiom")))
            .context("no state directory: pass --state-dir or set AXIOM_STATE_DIR (HOME is not set either)")?;
        Ok(StateDir { path })
    }

    /// A directory inside this one, for a hub of its own (an `axiom mcp` session).
    pub fn child(&self, name: &str) -> StateDir {
        StateDir { path: self.path.join(name) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A short name for this directory that stays the same across restarts (its canonical
    /// path's digest): what tells this hub's cgroups from another hub's.
    pub fn key(&self) -> String {
        use sha2::Digest as _;
        let path = self.path.canonicalize().unwrap_or_else(|_| self.path.clone());
        let digest = sha2::Sha256::digest(path.as_os_str().as_encoded_bytes());
        digest[..6].iter().map(|byte| format!("{byte:02x}")).collect()
    }

    pub fn token_path(&self) -> PathBuf {
        self.path.join("token")
    }

    fn hub_info_path(&self) -> PathBuf {
        self.path.join("hub.json")
    }

    fn lock_path(&self) -> PathBuf {
        self.path.join("lock")
    }

    /// Creates the directory (0700) if needed, and checks that it is private.
    pub fn ensure(&self) -> anyhow::Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.path)
            .with_context(|| format!("cannot create state directory {}", self.path.display()))?;
        self.check_private()
    }

    /// Refuses a state directory that is not a directory, belongs to another user, or lets other
    /// users in (group or other permission bits).
    pub fn check_private(&self) -> anyhow::Result<()> {
        check_private_dir(&self.path)
    }

    /// Takes the directory's exclusive lock, or says which pid holds it. The lock file records
    /// the holder's pid.
    pub fn lock(&self) -> anyhow::Result<StateLock> {
        let path = self.lock_path();
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        // `axiom client` takes a shared lock for an instant to see whether a hub is up
        // ([`is_locked`](Self::is_locked)): a hub starting at that instant tries again.
        let mut attempt = 0;
        let taken = loop {
            match file.try_lock() {
                Err(fs::TryLockError::WouldBlock) if attempt < 5 => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                taken => break taken,
            }
        };
        match taken {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let pid = fs::read_to_string(&path).unwrap_or_default().trim().to_owned();
                let pid = if pid.is_empty() { "unknown".to_owned() } else { pid };
                return Err(StateDirBusy { pid, dir: self.path.display().to_string() }.into());
            }
            Err(fs::TryLockError::Error(err)) => {
                return Err(err).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        file.set_len(0)?;
        writeln!(file, "{}", std::process::id())?;
        Ok(StateLock { _file: file })
    }

    /// Whether some process holds the directory's lock right now (without taking it for long).
    pub fn is_locked(&self) -> bool {
        let Ok(file) = fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(self.lock_path()) else {
            return false;
        };
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                false
            }
            Err(_) => true,
        }
    }

    /// The client token: the one already stored (so clients keep working across hub restarts),
    /// or a new one written with mode 0600.
    pub fn client_token(&self) -> anyhow::Result<Token> {
        let path = self.token_path();
        if let Ok(text) = read_regular(&path) {
            if let Some(token) = Token::parse(&text) {
                fs::set_permissions(&path, fs::Permissions::from_mode(0o600))?;
                return Ok(token);
            }
        }
        let token = Token::generate();
        write_private(&path, format!("{}\n", token.as_str()).as_bytes())?;
        Ok(token)
    }

    /// Reads a token: `file` if given, else `$AXIOM_TOKEN`, else this directory's token file.
    pub fn read_token(&self, file: Option<&Path>) -> anyhow::Result<Token> {
        if let Some(file) = file {
            return read_token_file(file);
        }
        // Set and empty counts as unset, as for the other variables; set and wrong is an error,
        // not a silent fall back to another token.
        if let Some(value) = std::env::var_os("AXIOM_TOKEN").filter(|value| !value.is_empty()) {
            return value.to_str().and_then(Token::parse).context(
                "$AXIOM_TOKEN does not hold a valid token (the client token itself, as in <state dir>/token: 32 or more printable characters)",
            );
        }
        self.check_private()?;
        read_token_file(&self.token_path())
    }

    pub fn write_hub_info(&self, info: &HubInfo) -> anyhow::Result<()> {
        write_private(&self.hub_info_path(), &serde_json::to_vec(info)?)
    }

    /// Removes `hub.json` if it still names this process (a clean exit).
    pub fn remove_hub_info(&self) {
        let info =
            read_regular(&self.hub_info_path()).ok().and_then(|text| serde_json::from_str::<HubInfo>(&text).ok());
        if info.is_some_and(|info| info.pid == std::process::id()) {
            let _ = fs::remove_file(self.hub_info_path());
        }
    }

    /// Where the running hub listens. "No hub running" when there is no `hub.json`, or when the
    /// hub that wrote it is gone (it was killed and could not remove it).
    pub fn read_hub_info(&self) -> anyhow::Result<HubInfo> {
        let path = self.hub_info_path();
        let no_hub =
            || format!("no hub running for {} (start one with `axiom serve`, or pass --server)", self.path.display());
        if !path.exists() {
            bail!(no_hub());
        }
        self.check_private()?;
        let text = read_regular(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let info: HubInfo =
            serde_json::from_str(&text).with_context(|| format!("{} is not valid hub information", path.display()))?;
        if !self.is_locked() {
            bail!("{}; {} is left over from hub pid {}", no_hub(), path.display(), info.pid);
        }
        Ok(info)
    }
}

/// See [`StateDir::check_private`].
pub fn check_private_dir(path: &Path) -> anyhow::Result<()> {
    let meta = fs::metadata(path).with_context(|| format!("cannot use state directory {}", path.display()))?;
    if !meta.is_dir() {
        bail!("the state directory {} is not a directory", path.display());
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        bail!(
            "the state directory {} belongs to user id {}, not to you ({me}); refusing to use it (pass a --state-dir of your own)",
            path.display(),
            meta.uid()
        );
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "the state directory {} has mode {mode:04o}, so other users can reach task histories and tokens; refusing to use it (run `chmod 700 {}`)",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

/// Reads a file only if it is a regular file (never blocks on a FIFO, never follows a symlink).
pub fn read_regular(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut file = fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other(format!("{} is not a regular file", path.display())));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}

/// Writes `path` (mode 0600) atomically: a temporary file beside it, created with
/// `O_CREAT|O_EXCL|O_NOFOLLOW`, then renamed over it. A stale temporary file left by a crash is
/// removed; anything else in its place (a symlink, a FIFO) is refused.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.tmp"));
    let open = || {
        fs::OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(libc::O_NOFOLLOW).open(&temporary)
    };
    let mut file = match open() {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            let meta = fs::symlink_metadata(&temporary)?;
            if !meta.file_type().is_file() {
                bail!(
                    "refusing to write {}: {} is a {} (planted?); remove it and try again",
                    path.display(),
                    temporary.display(),
                    if meta.file_type().is_symlink() { "symlink" } else { "special file" }
                );
            }
            fs::remove_file(&temporary).with_context(|| format!("cannot remove {}", temporary.display()))?;
            open().with_context(|| format!("cannot write {}", temporary.display()))?
        }
        Err(err) => return Err(err).with_context(|| format!("cannot write {}", temporary.display())),
    };
    file.write_all(contents)?;
    file.sync_all()?;
    fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))
}

fn read_token_file(path: &Path) -> anyhow::Result<Token> {
    let text = read_regular(path).with_context(|| format!("cannot read the token from {}", path.display()))?;
    Token::parse(&text).with_context(|| format!("{} does not hold a valid token", path.display()))
}

/// Raises this process's soft open-file limit to its hard limit: a hub holds a socket per
/// worker and client, and the usual soft limit (1,024) is far below what the system allows.
pub fn raise_open_file_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed in.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                tracing::debug!("cannot raise the open-file limit: {}", std::io::Error::last_os_error());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_in(dir: &tempfile::TempDir) -> StateDir {
        let state = StateDir::resolve(Some(&dir.path().join("state"))).unwrap();
        state.ensure().unwrap();
        state
    }

    #[test]
    fn token_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_in(&dir);
        let token = state.client_token().unwrap();
        let mode = fs::metadata(state.token_path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(state.client_token().unwrap(), token, "a restart keeps the token");
        assert_eq!(state.read_token(None).unwrap(), token);
    }

    #[test]
    fn hub_info_is_read_only_while_its_hub_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_in(&dir);
        let info = HubInfo { url: "ws://127.0.0.1:1".into(), pid: std::process::id() };
        let error = state.read_hub_info().unwrap_err().to_string();
        assert!(error.contains("no hub running"), "{error}");
        let lock = state.lock().unwrap();
        state.write_hub_info(&info).unwrap();
        assert_eq!(state.read_hub_info().unwrap(), info);
        drop(lock);
        let error = state.read_hub_info().unwrap_err().to_string();
        assert!(error.contains("no hub running") && error.contains("left over"), "{error}");
        state.remove_hub_info();
        assert!(!state.hub_info_path().exists());
    }

    #[test]
    fn a_second_lock_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_in(&dir);
        let _held = state.lock().unwrap();
        let error = state.lock().unwrap_err();
        let busy = error.downcast_ref::<StateDirBusy>().expect("busy");
        assert_eq!(busy.pid, std::process::id().to_string());
    }

    #[test]
    fn an_open_or_foreign_state_dir_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_in(&dir);
        fs::set_permissions(state.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let error = state.ensure().unwrap_err().to_string();
        assert!(error.contains("mode 0755") && error.contains("chmod 700"), "{error}");
        fs::set_permissions(state.path(), fs::Permissions::from_mode(0o700)).unwrap();
        state.ensure().unwrap();
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            std::os::unix::fs::chown(state.path(), Some(65534), None).unwrap();
            let error = state.ensure().unwrap_err().to_string();
            assert!(error.contains("belongs to user id 65534"), "{error}");
        }
    }

    #[test]
    fn a_planted_symlink_at_the_temporary_path_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_in(&dir);
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, state.path().join(".hub.json.tmp")).unwrap();
        let info = HubInfo { url: "ws://127.0.0.1:1".into(), pid: 1 };
        let error = state.write_hub_info(&info).unwrap_err().to_string();
        assert!(error.contains("is a symlink"), "{error}");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        // A stale regular temporary file (a crash mid-write) is simply replaced.
        fs::remove_file(state.path().join(".hub.json.tmp")).unwrap();
        fs::write(state.path().join(".hub.json.tmp"), "half").unwrap();
        state.write_hub_info(&info).unwrap();
    }
}
