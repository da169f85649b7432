//! Hashes the source the pipeline's output depends on (this crate, the shared model, the
//! pipeline's model, the SQLite contract, the search index, and Cargo.lock), so that
//! `pipeline --if-stale` can tell data built by other code from data built by this code, whatever
//! the build profile.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut paths = Vec::new();
    for dir in [
        "src",
        "../shared/src",
        "../pipeline/src",
        "../db/src",
        "../search/src",
    ] {
        let d = here.join(dir);
        println!("cargo:rerun-if-changed={}", d.display());
        files(&d, &mut paths);
    }
    let lock = here.join("../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    paths.push(lock);
    paths.sort();
    // FNV-1a over each file's path (relative) and bytes.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for p in &paths {
        let rel = p.strip_prefix(&here).unwrap_or(p);
        eat(rel.to_string_lossy().as_bytes());
        eat(&std::fs::read(p).unwrap_or_default());
    }
    println!("cargo:rustc-env=PIPELINE_SOURCE_HASH={h:016x}");
}
