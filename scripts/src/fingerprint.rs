//! A fingerprint of a build's inputs and options, stored in `build_info`, so that the scripts can
//! tell whether `data/build/` is current without rebuilding it.

use std::path::Path;

use anyhow::{Context, Result};

use crate::pipeline::Options;

/// FNV-1a's step applied to 8-byte words: a fixed function (unlike `std`'s hasher, which may
/// change between Rust releases and would make every toolchain update look like new data), and
/// fast enough to hash the inputs in milliseconds. Not for adversaries; for "did it change".
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        self.words(bytes);
        self.0 ^= bytes.len() as u64;
    }
    /// The FNV steps over `bytes`, 8 at a time, then byte by byte for the rest.
    fn words(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.0 ^= u64::from_le_bytes(w.try_into().expect("8 bytes"));
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        for &b in words.remainder() {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    /// [`Fnv::write`] of a file's bytes, streamed through one reused buffer rather than a
    /// fresh whole-file copy of each table (44 MB for the biggest input).
    fn file(&mut self, path: &Path) -> Result<()> {
        let context = || format!("reading {}", path.display());
        let mut file = std::fs::File::open(path).with_context(context)?;
        // A multiple of 8, so only the last, partly filled buffer has a remainder.
        let mut buf = vec![0u8; 1 << 20];
        let mut len = 0u64;
        loop {
            let mut filled = 0;
            while filled < buf.len() {
                match std::io::Read::read(&mut file, &mut buf[filled..]).with_context(context)? {
                    0 => break,
                    n => filled += n,
                }
            }
            self.words(&buf[..filled]);
            len += filled as u64;
            if filled < buf.len() {
                break;
            }
        }
        self.0 ^= len;
        Ok(())
    }
}

/// Every input file's bytes, the options that change the output, the schema version, and a hash
/// of the pipeline's source (build.rs): a pipeline whose code changed may write different files,
/// so its outputs count as stale (a rebuild takes seconds; serving stale clusters would be
/// wrong). The source, not the executable, so debug and release builds agree.
pub fn of(opts: &Options) -> Result<String> {
    let mut h = Fnv::new();
    h.write(env!("PIPELINE_SOURCE_HASH").as_bytes());
    let raw = |name: &str| opts.raw_dir.join(name);
    let mut files: Vec<std::path::PathBuf> = opts.tracks.clone();
    files.extend(opts.artists.iter().cloned());
    files.push(opts.reference.clone());
    for small in [
        "data_by_year.csv",
        "top_51_genres.csv",
        "data_by_genres.csv",
    ] {
        files.push(raw(small));
    }
    for f in &files {
        h.write(
            f.file_name()
                .map(|n| n.as_encoded_bytes())
                .unwrap_or_default(),
        );
        h.file(f)?;
    }
    let settings = format!(
        "schema {} version {} k {} max_k {} seed {} n_init {} sample {} tolerance {} max_iter {}",
        music_db::SCHEMA_VERSION,
        env!("CARGO_PKG_VERSION"),
        opts.k,
        opts.max_k,
        opts.kmeans.seed,
        opts.kmeans.n_init,
        opts.kmeans.sample,
        opts.kmeans.tolerance,
        opts.kmeans.max_iter,
    );
    h.write(settings.as_bytes());
    Ok(format!("{:016x}", h.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streaming a file through the buffer hashes exactly its bytes, whatever the size falls on.
    #[test]
    fn a_streamed_file_hashes_like_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0, 7, 8, 13, 1 << 20, (1 << 20) + 3, (3 << 20) - 5] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
            let path = dir.path().join(format!("{len}.bin"));
            std::fs::write(&path, &bytes).unwrap();
            let (mut streamed, mut whole) = (Fnv::new(), Fnv::new());
            streamed.file(&path).unwrap();
            whole.write(&bytes);
            assert_eq!(streamed.0, whole.0, "{len} bytes");
        }
        let (mut a, mut b) = (Fnv::new(), Fnv::new());
        a.write(b"abc");
        b.write(b"abd");
        assert_ne!(a.0, b.0);
    }
}
