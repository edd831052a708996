//! The state directory: the client token and where the running hub listens.
//!
//! `--state-dir`, else `$AXIOM_STATE_DIR`, else `$XDG_STATE_HOME/axiom`, else `~/.local/state/axiom`.
//! The directory is private (0700) and the token file is created 0600 before anything listens.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
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

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn token_path(&self) -> PathBuf {
        self.path.join("token")
    }

    fn hub_info_path(&self) -> PathBuf {
        self.path.join("hub.json")
    }

    /// Creates the directory (0700) if needed.
    pub fn ensure(&self) -> anyhow::Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.path)
            .with_context(|| format!("cannot create state directory {}", self.path.display()))
    }

    /// The client token: the one already stored (so clients keep working across hub restarts),
    /// or a new one written with mode 0600.
    pub fn client_token(&self) -> anyhow::Result<Token> {
        let path = self.token_path();
        if let Ok(text) = fs::read_to_string(&path) {
            if let Some(token) = Token::parse(&text) {
                fs::set_permissions(&path, fs::Permissions::from_mode(0o600))?;
                return Ok(token);
            }
        }
        let token = Token::generate();
        let temporary = self.path.join(".token.tmp");
        let _ = fs::remove_file(&temporary);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        writeln!(file, "{}", token.as_str())?;
        file.sync_all()?;
        fs::rename(&temporary, &path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(token)
    }

    /// Reads a token: `file` if given, else `$AXIOM_TOKEN`, else this directory's token file.
    pub fn read_token(&self, file: Option<&Path>) -> anyhow::Result<Token> {
        if let Some(file) = file {
            return read_token_file(file);
        }
        if let Some(token) = std::env::var("AXIOM_TOKEN").ok().and_then(|t| Token::parse(&t)) {
            return Ok(token);
        }
        read_token_file(&self.token_path())
    }

    pub fn write_hub_info(&self, info: &HubInfo) -> anyhow::Result<()> {
        let path = self.hub_info_path();
        let temporary = self.path.join(".hub.json.tmp");
        fs::write(&temporary, serde_json::to_vec(info)?)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        fs::rename(&temporary, &path).with_context(|| format!("cannot write {}", path.display()))
    }

    pub fn read_hub_info(&self) -> anyhow::Result<HubInfo> {
        let path = self.hub_info_path();
        let text = fs::read_to_string(&path).with_context(|| {
            format!("no hub found: {} is missing; start one with `axiom serve`, or pass --server", path.display())
        })?;
        serde_json::from_str(&text).with_context(|| format!("{} is not valid hub information", path.display()))
    }
}

fn read_token_file(path: &Path) -> anyhow::Result<Token> {
    let text = fs::read_to_string(path).with_context(|| format!("cannot read the token from {}", path.display()))?;
    Token::parse(&text).with_context(|| format!("{} does not hold a valid token", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::resolve(Some(&dir.path().join("state"))).unwrap();
        state.ensure().unwrap();
        let token = state.client_token().unwrap();
        let mode = fs::metadata(state.token_path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(state.client_token().unwrap(), token, "a restart keeps the token");
        assert_eq!(state.read_token(None).unwrap(), token);
        let info = HubInfo { url: "ws://127.0.0.1:1".into(), pid: 7 };
        state.write_hub_info(&info).unwrap();
        assert_eq!(state.read_hub_info().unwrap(), info);
    }
}
