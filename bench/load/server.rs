//! The server both load tools run against: a `music-ml-serve` process of their own on a free
//! port of 127.0.0.1, killed when dropped. (A module of each binary, by `#[path]`.)

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context};

pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    /// Starts `bin` on `data_dir`'s SQLite file and item files, with `extra` arguments, and
    /// waits until it prints the address it listens on.
    pub fn start(bin: &Path, data_dir: &Path, extra: &[String]) -> anyhow::Result<Server> {
        let mut child = Command::new(bin)
            .args(["--port", "0", "--host", "127.0.0.1"])
            .arg("--db")
            .arg(data_dir.join("musicData.sqlite"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        // music-ml-serve prints "... served on http://127.0.0.1:PORT/ ..." once it listens.
        let port = loop {
            let Some(line) = lines.next() else {
                let _ = child.kill();
                bail!("{} exited before printing its address", bin.display());
            };
            if let Some(rest) = line?.split("http://127.0.0.1:").nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                break digits.parse::<u16>().context("parsing the port")?;
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Server { child, port })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
