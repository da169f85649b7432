//! The SQLite file of v1 and v3 missing or corrupt at start: opening fails (at init, naming the
//! file), rather than the function starting and answering 500 on the first request. Checked on
//! the states in-process, and on the real Lambda binaries when the workspace build has them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use music_testkit::data_build as data_dir;

/// Bad files next to each other in a temporary directory, each with what is wrong with it.
fn bad_files(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let real =
        std::fs::read(data_dir().join("musicData.sqlite")).expect("data/build (run the pipeline)");
    let mut out = vec![("missing", dir.join("does-not-exist.sqlite"))];
    let mut write = |what: &'static str, name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        out.push((what, path));
    };
    write("empty file", "empty.sqlite", b"");
    write(
        "not SQLite",
        "text.sqlite",
        b"this is not a database, just text\n"
            .repeat(200)
            .as_slice(),
    );
    // The header and schema survive, the table pages do not.
    write("truncated to 8 KiB", "truncated.sqlite", &real[..8192]);
    write("truncated to half", "half.sqlite", &real[..real.len() / 2]);
    // Pages after the schema overwritten with garbage (a disk error, a bad upload).
    let mut scrambled = real.clone();
    for (i, b) in scrambled.iter_mut().enumerate().skip(4096 * 4) {
        *b = (i as u8).wrapping_mul(31) ^ 0xA5;
    }
    write("pages scrambled", "scrambled.sqlite", &scrambled);
    // A valid SQLite file that is some other database.
    let other = dir.join("other.sqlite");
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute_batch("CREATE TABLE unrelated (x INTEGER); INSERT INTO unrelated VALUES (1);")
        .unwrap();
    drop(conn);
    out.push(("another database", other));
    out
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "music-ml-fault-sqlite-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn v1_and_v3_refuse_a_missing_or_corrupt_database_at_open() {
    let dir = scratch_dir("inprocess");
    for (what, path) in bad_files(&dir) {
        let shown = path.display().to_string();
        match music_v1::AppState::open(&path) {
            Ok(_) => panic!("v1 opened a database that is {what}: {shown}"),
            Err(e) => assert!(e.to_string().contains(&shown), "v1, {what}: {e}"),
        }
        match music_v3::AppState::open(&path) {
            Ok(_) => panic!("v3 opened a database that is {what}: {shown}"),
            Err(e) => assert!(e.to_string().contains(&shown), "v3, {what}: {e}"),
        }
    }
    // The real file opens (so the checks above are about the files, not the code path).
    music_v1::AppState::open(data_dir().join("musicData.sqlite")).unwrap();
    music_v3::AppState::open(&data_dir().join("musicData.sqlite")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The workspace's binaries sit next to this test's `deps/` directory.
fn built_binary(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join(name);
    path.is_file().then_some(path)
}

struct Run {
    code: Option<i32>,
    log: String,
}

fn run(bin: &Path, args: &[&str], db: &Path) -> Run {
    let mut child = Command::new(bin)
        .args(args)
        .env("MUSIC_ML_DB", db)
        .env("RUST_LOG", "info")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env_remove("AWS_LAMBDA_FUNCTION_NAME")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code(),
        log: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

#[test]
fn the_binaries_exit_at_init_with_a_clear_log_line() {
    let binaries = [
        ("music-v1", vec![]),
        ("music-v3", vec![]),
        ("music-ml-serve", vec!["--port", "0"]),
    ];
    let present: Vec<_> = binaries
        .iter()
        .filter_map(|(name, args)| built_binary(name).map(|p| (*name, p, args)))
        .collect();
    if present.len() < binaries.len() {
        // `cargo test --workspace` (./scripts/test) builds them; `-p music-e2e` alone may not.
        eprintln!(
            "only {:?} are built; run `cargo test --workspace` to check all",
            present.iter().map(|p| p.0).collect::<Vec<_>>()
        );
    }
    let dir = scratch_dir("binaries");
    for (what, path) in bad_files(&dir) {
        let shown = path.display().to_string();
        for (name, bin, args) in &present {
            let mut args: Vec<&str> = args.to_vec();
            if *name == "music-ml-serve" {
                args.extend(["--db", &shown]);
            }
            let r = run(bin, &args, &path);
            assert!(
                r.code.is_some_and(|c| c != 0),
                "{name} with a database that is {what}: exit {:?}\n{}",
                r.code,
                r.log
            );
            let line = r
                .log
                .lines()
                .find(|l| l.contains(&shown) && (l.contains("ERROR") || l.contains("error")))
                .unwrap_or_else(|| {
                    panic!("{name}, {what}: no error line naming {shown}:\n{}", r.log)
                });
            assert!(!line.contains("panicked"), "{name}, {what}: {line}");
        }
    }
    // With the real file the same binaries get past opening it (the Lambda ones then stop for
    // want of a Lambda runtime, which is not a database error).
    let good = data_dir().join("musicData.sqlite");
    for (name, bin, _) in &present {
        if *name == "music-ml-serve" {
            continue;
        }
        let r = run(bin, &[], &good);
        assert!(
            !r.log.contains("cannot open") && !r.log.contains("does not exist"),
            "{name} with the real database:\n{}",
            r.log
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
