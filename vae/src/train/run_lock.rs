//! One process at a time in a run folder: `vae train` (fresh or `--resume`) holds an exclusive
//! advisory lock (`flock`) on the folder itself for as long as it runs, so a second `vae train` on
//! the same folder is refused at once instead of mixing its files with the first one's.
//!
//! The lock is on the folder, not on a lock file inside it, so a run folder holds only the run's own
//! files (two runs of the same command still write the same bytes). The kernel releases it when its
//! process ends in any way, `kill -9` included: no stale lock to clean up by hand. Readers (`vae
//! eval`, `vae recommend`) take no lock: every file a run replaces is replaced by a rename, so a
//! reader sees either the old file or the new one, whole.

use std::fs::{File, TryLockError};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::error::{Result, TrainError};

/// Held while a process writes a run folder; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct RunLock {
    _folder: File,
}

/// Takes `dir`'s lock, or says which process holds it.
pub fn lock(dir: &Path) -> Result<RunLock> {
    let io = |source| TrainError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let folder = File::open(dir).map_err(io)?;
    match folder.try_lock() {
        Ok(()) => Ok(RunLock { _folder: folder }),
        Err(TryLockError::WouldBlock) => {
            let holder = folder
                .metadata()
                .ok()
                .and_then(|m| holder_pid(m.ino()))
                .map_or("another process".to_string(), |pid| {
                    format!("process {pid}")
                });
            Err(TrainError::Locked {
                dir: dir.to_path_buf(),
                holder,
            })
        }
        Err(TryLockError::Error(e)) => Err(io(e)),
    }
}

/// The process holding a `flock` on the file with inode `ino`, from Linux's `/proc/locks`
/// (`1: FLOCK  ADVISORY  WRITE 4242 fd:01:131075 0 EOF`); `None` where that file says nothing.
fn holder_pid(ino: u64) -> Option<u32> {
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    holder_in(&locks, ino)
}

fn holder_in(locks: &str, ino: u64) -> Option<u32> {
    locks.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let on_ino = f.get(5)?.rsplit(':').next()?.parse::<u64>().ok()? == ino;
        (f.get(1) == Some(&"FLOCK") && on_ino)
            .then(|| f.get(4)?.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_a_folder_is_refused_naming_the_holder_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path()).unwrap();
        let err = lock(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(&format!("process {}", std::process::id())),
            "{err}"
        );
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
        drop(held);
        lock(dir.path()).unwrap();
    }

    #[test]
    fn the_holder_is_read_from_proc_locks_by_inode() {
        let locks = "1: POSIX  ADVISORY  WRITE 11 fd:01:77 0 EOF\n\
                     2: FLOCK  ADVISORY  WRITE 4242 fd:01:131075 0 EOF\n";
        assert_eq!(holder_in(locks, 131075), Some(4242));
        assert_eq!(holder_in(locks, 77), None);
        assert_eq!(holder_in(locks, 5), None);
    }
}
