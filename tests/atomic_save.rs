//! Saves never destroy what they replace: a save that fails midway, or a process killed
//! midway through one, leaves the old file byte for byte as it was, and it still loads.
//!
//! The failure is real, not simulated: the save runs in a child process (this test binary,
//! run again with `NN_ATOMIC_SAVE_CHILD` set) whose file-size limit (`ulimit -f`, the
//! `RLIMIT_FSIZE` resource) is far below the size of the file. Writing past the limit raises
//! `SIGXFSZ`, which kills the child; with the signal ignored the write fails with `EFBIG`
//! instead, and the save returns an error. A save that truncated the old file and wrote in
//! place would leave a truncated file in both cases.

#![cfg(unix)]
#![deny(warnings)]

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use nn::io::{load_safetensors, save_safetensors};
use nn::{network, Network};

network! {
    /// About half a megabyte of `f32` weights: the second layer alone is 131,072 of them.
    pub struct Big {
        input: 16,
        hidden: dense(256) -> tanh,
        wide: dense(512) -> tanh,
        output: dense(4),
        loss: mse,
    }
}

/// The variable that makes [`child_saves_when_asked`] save over the file it names.
const CHILD: &str = "NN_ATOMIC_SAVE_CHILD";

/// The child's half: when run by [`run_child`], saves a network with other weights over the
/// file and reports how that went in its exit code (0 saved, 3 an error, as the parent
/// expects). Run as an ordinary test, it has nothing to do.
#[test]
fn child_saves_when_asked() {
    let Some(path) = std::env::var_os(CHILD) else { return };
    match save_safetensors(&Big::<f32>::seeded(2), PathBuf::from(path)) {
        Ok(()) => std::process::exit(0),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(3)
        }
    }
}

/// Runs [`child_saves_when_asked`] in a child process limited to files of 64 blocks (32 or
/// 64 KiB, as the shell counts), with `SIGXFSZ` ignored or not.
fn run_child(path: &Path, ignore_signal: bool) -> std::process::ExitStatus {
    let trap = if ignore_signal { "trap '' XFSZ; " } else { "" };
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -f 64 && {trap}exec \"$0\" \"$@\""))
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "child_saves_when_asked", "--test-threads=1", "--nocapture"])
        .env(CHILD, path)
        .status()
        .unwrap()
}

/// Saves `Big::seeded(1)` at a fresh path and returns the path and the file's bytes.
fn old_file(name: &str) -> (PathBuf, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!("nn-atomic-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("big.safetensors");
    save_safetensors(&Big::<f32>::seeded(1), &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 500_000, "{} bytes", bytes.len());
    (path, bytes)
}

/// The old file is byte-identical and loads as the network it was saved from.
fn assert_intact(path: &Path, old: &[u8]) {
    let now = std::fs::read(path).unwrap();
    assert_eq!(now.len(), old.len(), "the old file changed size");
    assert!(now == old, "the old file's bytes changed");
    let mut net = Big::<f32>::zeros();
    load_safetensors(&mut net, path).unwrap();
    let mut expected = Vec::new();
    Big::<f32>::seeded(1).visit(&mut |p| expected.extend_from_slice(p.values));
    let mut loaded = Vec::new();
    net.visit(&mut |p| loaded.extend_from_slice(p.values));
    assert!(loaded == expected);
}

/// The files in the directory of `path`, by name.
fn files_beside(path: &Path) -> Vec<String> {
    let dir = path.parent().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_save_that_fails_midway_leaves_the_old_file_and_no_temporary_file() {
    let (path, old) = old_file("error");
    let status = run_child(&path, true);
    assert_eq!(status.code(), Some(3), "the save should have returned an error: {status:?}");
    assert_intact(&path, &old);
    // The failed save cleaned up after itself.
    assert_eq!(files_beside(&path), ["big.safetensors"]);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn a_process_killed_midway_through_a_save_leaves_the_old_file() {
    let (path, old) = old_file("killed");
    let status = run_child(&path, false);
    assert_eq!(status.signal(), Some(25), "SIGXFSZ should have killed the child: {status:?}");
    assert_intact(&path, &old);
    // Only the temporary file the killed save was writing is left beside it.
    let names = files_beside(&path);
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].starts_with(".big.safetensors.") && names[0].ends_with(".tmp"), "{names:?}");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn a_save_replaces_the_file_whole() {
    let (path, old) = old_file("replace");
    save_safetensors(&Big::<f32>::seeded(2), &path).unwrap();
    let new = std::fs::read(&path).unwrap();
    assert_eq!(new.len(), old.len());
    assert!(new != old);
    assert_eq!(files_beside(&path), ["big.safetensors"]);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}
