//! `--state FILE`: the whole store as JSON, loaded at start and rewritten after every change. Each write goes to a
//! temporary file in the same directory, is fsynced, then renamed over FILE (and the directory fsynced), so a kill
//! at any moment leaves either the old or the new file, never a torn one.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use super::store::Store;

/// The state file and the generation of the store it last received.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    /// Serialises writes; holds the newest generation written, so an older snapshot never overwrites a newer one.
    written: Mutex<u64>,
    temp_counter: AtomicU64,
}

impl StateFile {
    pub fn new(path: PathBuf) -> Self {
        StateFile {
            path,
            written: Mutex::new(0),
            temp_counter: AtomicU64::new(0),
        }
    }

    /// The stored state, or `None` when the file does not exist yet.
    pub fn load(&self) -> io::Result<Option<Store>> {
        match fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|error| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: not a graph-emulator state file: {error}",
                        self.path.display()
                    ),
                )
            }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Writes `bytes` (the store at `generation`) unless a newer generation has been written already.
    pub async fn save(&self, generation: u64, bytes: Vec<u8>) -> io::Result<()> {
        let mut written = self.written.lock().await;
        if generation <= *written {
            return Ok(());
        }
        let path = self.path.clone();
        let temp = self.temp_path();
        tokio::task::spawn_blocking(move || write_atomically(&path, &temp, &bytes))
            .await
            .map_err(io::Error::other)??;
        *written = generation;
        Ok(())
    }

    fn temp_path(&self) -> PathBuf {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state".into());
        let unique = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        self.path
            .with_file_name(format!(".{name}.{}.{unique}.tmp", std::process::id()))
    }
}

fn write_atomically(path: &Path, temp: &Path, bytes: &[u8]) -> io::Result<()> {
    let result = (|| {
        let mut file = fs::File::create(temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(temp, path)?;
        // The rename is durable only once the directory entry is.
        if let Some(directory) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && let Ok(directory) = fs::File::open(directory)
        {
            let _ = directory.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn saves_load_back_and_stale_generations_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("state.json"));
        assert!(file.load().unwrap().is_none());
        let mut store = Store::default();
        store.tenant_mut("t1");
        file.save(2, serde_json::to_vec(&store).unwrap())
            .await
            .unwrap();
        file.save(1, b"{\"tenants\":{}}".to_vec()).await.unwrap();
        let loaded = file.load().unwrap().unwrap();
        assert!(loaded.tenants.contains_key("t1"));
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "temp files left behind: {leftovers:?}");
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_an_empty_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, b"{\"tenants\": {\"t\": ").unwrap();
        let error = StateFile::new(path).load().unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }
}
