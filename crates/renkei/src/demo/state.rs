//! Where the demo keeps its data: a fresh temporary directory removed at exit, or a
//! directory the user keeps (`--data-dir`), with a small state file that lets a second run
//! find its tenant again instead of seeding another one.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::fakes::Ports;

const STATE_FILE: &str = "demo.json";
/// The node's SQLite file in the data directory (see `Settings::database_url`).
const DATABASE_FILE: &str = "renkei.db";

pub enum DataDir {
    Temporary(tempfile::TempDir),
    Kept(PathBuf),
}

impl DataDir {
    /// A kept directory must be new, empty of renkei data, or an earlier demo's: the demo
    /// points every provider at fakes, which would break a real node's connections.
    pub fn open(kept: Option<PathBuf>) -> anyhow::Result<DataDir> {
        let Some(dir) = kept else {
            let tmp = tempfile::Builder::new()
                .prefix("renkei-demo-")
                .tempdir()
                .context("cannot create a temporary directory for the demo")?;
            return Ok(DataDir::Temporary(tmp));
        };
        if dir.join(DATABASE_FILE).exists() && !dir.join(STATE_FILE).exists() {
            anyhow::bail!(
                "{} holds a renkei database that is not a demo's: the demo points every provider at \
                 fakes and would break its connections. Pass a new directory to --data-dir (or none \
                 for a temporary one)",
                dir.display()
            );
        }
        Ok(DataDir::Kept(dir))
    }

    pub fn path(&self) -> &Path {
        match self {
            DataDir::Temporary(t) => t.path(),
            DataDir::Kept(p) => p,
        }
    }

    pub fn is_temporary(&self) -> bool {
        matches!(self, DataDir::Temporary(_))
    }
}

/// What a later run needs to know. The API key is kept in clear: it opens a demo tenant
/// on a node that talks only to fakes, and the file is readable by its owner only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoState {
    pub api_key: String,
    /// Set once every seeding step finished; a run stopped halfway seeds again (every
    /// step is idempotent).
    pub seeded: bool,
    pub fake_ports: Ports,
    /// The event whose delivery fails on purpose.
    pub failing_event: Option<i64>,
}

impl DemoState {
    pub fn load(dir: &Path) -> anyhow::Result<Option<DemoState>> {
        let path = dir.join(STATE_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let state = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a demo state file; remove it or use another --data-dir",
                path.display()
            )
        })?;
        Ok(Some(state))
    }

    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(STATE_FILE);
        let tmp = dir.join(format!("{STATE_FILE}.tmp"));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(serde_json::to_string_pretty(self)?.as_bytes())?;
        f.sync_all()?;
        // Replaced in one step: a run stopped mid-write leaves the old state, not half a file.
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_nodes_data_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(DATABASE_FILE), b"").unwrap();
        let err = DataDir::open(Some(dir.path().to_path_buf()))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("not a demo's"), "{err}");
        let state = DemoState {
            api_key: "rk_x".into(),
            seeded: true,
            fake_ports: Ports::default(),
            failing_event: Some(3),
        };
        state.save(dir.path()).unwrap();
        assert!(DataDir::open(Some(dir.path().to_path_buf())).is_ok());
        let loaded = DemoState::load(dir.path()).unwrap().unwrap();
        assert_eq!(loaded.api_key, "rk_x");
        assert_eq!(loaded.failing_event, Some(3));
    }
}
