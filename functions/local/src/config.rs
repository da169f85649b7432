//! `music-ml-serve`'s configuration: every flag (and the variables behind some) read in one
//! place, then split into what the data is ([`Config`]) and what a client may hold ([`Limits`]).

use std::path::PathBuf;
use std::time::Duration;

use music_dynamo::{TableArgs, TableNames};

use crate::Limits;

/// Serve the whole Music ML site locally: the v1, v2 and v3 APIs and the web pages, from the same
/// router code the Lambdas run. v2 answers from the embedded item files unless
/// --dynamodb-endpoint is given.
#[derive(clap::Parser, Debug)]
#[command(name = "music-ml-serve", version, about)]
pub struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 3000, env = "PORT")]
    pub port: u16,
    /// Address to listen on. The default keeps the server private to this machine.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// SQLite file of the v1 and v3 routes.
    #[arg(long, default_value = music_db::DB_DEFAULT, env = music_db::DB_ENV)]
    pub db: PathBuf,
    /// Directory with the v2 item files (Music_ML3.jsonl, Music_ML_IDs.jsonl, Music_ML_Assignments.jsonl).
    #[arg(long, default_value = "data/build")]
    pub data_dir: PathBuf,
    /// Serve v2 from this DynamoDB endpoint (e.g. http://127.0.0.1:4567 for dynalite) instead of
    /// the embedded item files, reading the tables named below.
    #[arg(long, value_name = "URL")]
    pub dynamodb_endpoint: Option<String>,
    #[command(flatten)]
    pub tables: TableArgs,
    /// Seconds a client has to send a request's headers (from connecting, or from its previous
    /// answer on a kept-alive connection); then the connection is closed.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub header_timeout: f64,
    /// Seconds a request may take from its headers to its answer; then it is answered with a
    /// JSON 503.
    #[arg(long, default_value_t = 15.0, value_name = "SECONDS")]
    pub request_timeout: f64,
    /// Connections open at once; beyond it new ones wait until one closes. Capped by the open
    /// files limit.
    #[arg(long, default_value_t = 4096)]
    pub max_connections: usize,
}

impl Args {
    pub fn config(&self) -> Config {
        Config {
            db: self.db.clone(),
            data_dir: self.data_dir.clone(),
            dynamodb_endpoint: self.dynamodb_endpoint.clone().filter(|s| !s.is_empty()),
            tables: self.tables.names(),
        }
    }

    /// The limits asked for; the connection cap before the open files limit is applied.
    pub fn limits(&self) -> anyhow::Result<Limits> {
        Ok(Limits {
            header_read_timeout: seconds("header-timeout", self.header_timeout)?,
            request_timeout: seconds("request-timeout", self.request_timeout)?,
            max_connections: self.max_connections.max(1),
        })
    }
}

fn seconds(name: &str, value: f64) -> anyhow::Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= 3600.0) {
        anyhow::bail!("--{name} must be a number of seconds between 0 and 3600, got {value}");
    }
    Ok(Duration::from_secs_f64(value))
}

/// Where the data comes from. The defaults are a local checkout's `data/build/`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SQLite file v1 and v3 read.
    pub db: PathBuf,
    /// The directory with the v2 item files (`*.jsonl`), for the embedded store.
    pub data_dir: PathBuf,
    /// Serve v2 from this DynamoDB endpoint instead of the embedded store.
    pub dynamodb_endpoint: Option<String>,
    /// The v2 tables, when `dynamodb_endpoint` is set.
    pub tables: TableNames,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: PathBuf::from(music_db::DB_DEFAULT),
            data_dir: PathBuf::from("data/build"),
            dynamodb_endpoint: None,
            tables: TableNames::default(),
        }
    }
}
