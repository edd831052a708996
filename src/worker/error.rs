//! Why a child could not be started, in words that name the program.

use std::io;
use std::path::{Path, PathBuf};

/// A child could not be started. Every variant names the program (`argv[0]`) it was about.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// `argv` was empty.
    #[error("nothing to run: the command is empty")]
    EmptyCommand,
    /// The program does not exist (or is not in `PATH`).
    #[error("cannot run `{program}`: program not found{}", if program.contains('/') { "" } else { " in PATH" })]
    NotFound {
        /// `argv[0]`.
        program: String,
    },
    /// The program exists but may not be executed (no execute bit, or a directory in its path is
    /// not searchable).
    #[error("cannot run `{program}`: permission denied (is it executable?)")]
    PermissionDenied {
        /// `argv[0]`.
        program: String,
    },
    /// The program is a directory.
    #[error("cannot run `{program}`: it is a directory")]
    IsDirectory {
        /// `argv[0]`.
        program: String,
    },
    /// The working directory does not exist or is not a directory.
    #[error("cannot run `{program}` in `{}`: {reason}", cwd.display())]
    BadCwd {
        /// `argv[0]`.
        program: String,
        /// The working directory asked for.
        cwd: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// No pseudo-terminal could be opened or set up.
    #[error("cannot run `{program}` on a terminal: {source}")]
    Pty {
        /// `argv[0]`.
        program: String,
        /// The underlying failure.
        source: io::Error,
    },
    /// Any other failure to start the program.
    #[error("cannot run `{program}`: {source}")]
    Io {
        /// `argv[0]`.
        program: String,
        /// The underlying failure.
        source: io::Error,
    },
    /// `spawn` was called outside a Tokio runtime.
    #[error("cannot run `{program}`: not inside a Tokio runtime")]
    NoRuntime {
        /// `argv[0]`.
        program: String,
    },
}

impl SpawnError {
    /// Classify an error from `spawn` (fork/exec) for `program`.
    pub(crate) fn from_spawn(program: &str, err: io::Error) -> SpawnError {
        let program = program.to_string();
        match err.kind() {
            io::ErrorKind::NotFound => SpawnError::NotFound { program },
            io::ErrorKind::PermissionDenied if Path::new(&program).is_dir() => SpawnError::IsDirectory { program },
            io::ErrorKind::PermissionDenied => SpawnError::PermissionDenied { program },
            _ => SpawnError::Io { program, source: err },
        }
    }

    /// The exit status a shell gives the same failure: 127 when the program is not found, 126 when
    /// it is found but cannot be run (`env`, `nice` and `timeout` do the same), else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            SpawnError::NotFound { .. } => 127,
            SpawnError::PermissionDenied { .. } | SpawnError::IsDirectory { .. } | SpawnError::Io { .. } => 126,
            _ => 1,
        }
    }

    /// Check the working directory before spawning: a missing cwd and a missing program both fail with
    /// `ENOENT` from inside the fork, and only this check can tell them apart.
    pub(crate) fn check_cwd(program: &str, cwd: Option<&Path>) -> Result<(), SpawnError> {
        let Some(cwd) = cwd else { return Ok(()) };
        let bad = |reason: String| SpawnError::BadCwd { program: program.to_string(), cwd: cwd.to_path_buf(), reason };
        match std::fs::metadata(cwd) {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => Err(bad("not a directory".to_string())),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Err(bad("no such directory".to_string())),
            Err(err) => Err(bad(err.to_string())),
        }
    }
}
