//! Seeds the v2 DynamoDB tables from data/build/*.jsonl (see `music_scripts::dynamo_writer`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};
use music_dynamo::TableArgs;
use music_scripts::dynamo_writer::{run, WriterOptions};

/// Create the v2 tables if missing (on-demand billing, keys and the name_folded index as in
/// infra/template.yaml) and write every item of data/build/*.jsonl into them with BatchWriteItem
/// (25 items a request, several in flight, unprocessed items and throttled requests retried with
/// exponential backoff and jitter). Safe to run again: puts overwrite by key. Ends with a count
/// of each table (a Select=COUNT scan) that must match the input.
///
/// Against a deployed stack (scripts/deploy-seed does this), pass --stack and the stack's table
/// names: the writer then creates nothing and refuses any table that the stack does not own.
/// Tables it creates itself get deletion protection and point-in-time recovery.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// A local DynamoDB (dynalite, DynamoDB Local), e.g. http://127.0.0.1:8000; default AWS.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint_url: Option<String>,
    /// AWS region; default from the AWS environment/profile, else us-west-1.
    #[arg(long)]
    region: Option<String>,
    /// Prepended to each table name that is not given as a flag below (the SAM template's
    /// TablePrefix), whether it comes from MUSIC_ML_TABLE_* or is the original's.
    #[arg(long, default_value = "")]
    table_prefix: String,
    #[command(flatten)]
    tables: TableArgs,
    /// Write only to tables owned by this CloudFormation stack (their
    /// aws:cloudformation:stack-name tag); create none.
    #[arg(long, value_name = "STACK")]
    stack: Option<String>,
    /// Directory holding Music_ML3.jsonl, Music_ML_IDs.jsonl and Music_ML_Assignments.jsonl.
    #[arg(long, default_value = "data/build")]
    data_dir: PathBuf,
    /// BatchWriteItem requests in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Give up on a batch after this many consecutive retries that wrote nothing.
    #[arg(long, default_value_t = 10)]
    max_retries: u32,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed by hand (not `Args::parse`) to keep the matches: the prefix applies only to the
    // table names that did not come from a flag.
    let matches = Args::command().get_matches();
    let args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let tables = args.tables.names_prefixed(&args.table_prefix, &matches);
    eprintln!(
        "batch-writer: tables {}, {}, {}{}",
        tables.tracks,
        tables.track_ids,
        tables.assignments,
        args.stack
            .as_deref()
            .map(|s| format!(" (must belong to stack {s})"))
            .unwrap_or_default()
    );
    let mut options = WriterOptions::new(args.data_dir, tables);
    options.stack = args.stack.filter(|s| !s.trim().is_empty());
    options.endpoint_url = args.endpoint_url.filter(|s| !s.is_empty());
    options.region = args.region;
    options.concurrency = args.concurrency.max(1);
    options.max_retries = args.max_retries;
    options.base_backoff = Duration::from_millis(25);
    options.progress = !args.quiet;
    match run(&options).await {
        Ok(report) => {
            for t in &report.tables {
                println!(
                    "{:<32} {:>6} items  {:>6} acknowledged  {:>6} counted",
                    t.table, t.items, t.written, t.counted
                );
            }
            println!(
                "wrote {} items in {:.3} s ({:.0} items/s, {} requests); retries: {} for unprocessed items, {} for throttled requests; highest retry {} ({:.1} s of backoff summed over batches)",
                report.items(),
                report.write_time.as_secs_f64(),
                report.items_per_sec(),
                report.requests,
                report.unprocessed_retries,
                report.throttled_retries,
                report.max_attempt,
                report.backoff_time.as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("batch-writer: {e:#}");
            ExitCode::FAILURE
        }
    }
}
