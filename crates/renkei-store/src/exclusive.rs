//! One SQLite database, one node. SQLite has no way to share lane leases between processes
//! safely enough for renkei's guarantees (one sender per token, order per room), so a node
//! serving from a SQLite file holds an exclusive lock on `<database>.lock` for its lifetime.
//! A second node on the same file refuses to start and says why. The lock is `flock`-style
//! (released by the OS when the process dies, even on SIGKILL), so a crash never leaves it
//! behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Held while a node serves from a SQLite database; dropping it releases the lock. Also the
/// proof some operations ask for (dropping every lane lease at start is only safe when no
/// other process can hold one).
#[derive(Debug)]
pub struct ExclusiveLock {
    _file: File,
    path: PathBuf,
}

#[derive(Debug, Error)]
pub enum LockError {
    #[error(
        "another renkei node{holder} is already serving from the SQLite database {database}. \
         SQLite serves exactly one node: stop the other one first. To run several nodes, give \
         all of them one PostgreSQL database (RENKEI_DATABASE_URL=postgres://...)"
    )]
    Held { database: String, holder: String },
    #[error("cannot lock {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ExclusiveLock {
    /// Locks the SQLite database a `sqlite:` URL names. `None` for an in-memory database
    /// (nothing to share) or a non-SQLite URL.
    pub fn for_database_url(url: &str) -> Result<Option<ExclusiveLock>, LockError> {
        match sqlite_file(url) {
            Some(db) => Self::acquire(&db).map(Some),
            None => Ok(None),
        }
    }

    /// Locks `<database>.lock` and writes this process's ID into it for the message a second
    /// node prints.
    pub fn acquire(database: &Path) -> Result<ExclusiveLock, LockError> {
        let mut path = database.as_os_str().to_owned();
        path.push(".lock");
        let path = PathBuf::from(path);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(LockError::Held {
                    database: database.display().to_string(),
                    holder: if pid.is_empty() {
                        String::new()
                    } else {
                        format!(" (process {pid})")
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(ExclusiveLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The file a `sqlite:` URL names, or `None` (in-memory, or not SQLite).
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_database_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("renkei.db");
        let first = ExclusiveLock::acquire(&db).unwrap();
        let err = ExclusiveLock::acquire(&db).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, LockError::Held { .. }), "{text}");
        assert!(text.contains("PostgreSQL"), "{text}");
        assert!(
            text.contains(&format!("process {}", std::process::id())),
            "{text}"
        );
        drop(first);
        ExclusiveLock::acquire(&db).expect("free again once the holder is gone");
    }

    #[test]
    fn urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://./data/renkei.db?mode=rwc"),
            Some(PathBuf::from("./data/renkei.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:/var/lib/r.db"),
            Some(PathBuf::from("/var/lib/r.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://file.db?mode=memory"), None);
        assert_eq!(sqlite_file("postgres://localhost/x"), None);
    }
}
