//! Start-up, the same for every binary that serves routes: read the configuration (flags, then
//! their environment variables), start telemetry, open the state, run; and when anything fails,
//! say what, in the log and on stderr, and exit non-zero, so that a Lambda's init fails loudly
//! instead of answering 500s.

use std::fmt::Display;
use std::future::Future;
use std::process::ExitCode;

use axum::Router;

/// A binary's whole life: parse `C`, start telemetry, then `run` the configuration on a Tokio
/// runtime (what `#[tokio::main]` builds). An error is logged and printed after the binary's
/// name, and the exit code is non-zero.
pub fn main<C, F, Fut, E>(run: F) -> ExitCode
where
    C: clap::Parser,
    F: FnOnce(C) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let config = C::parse();
    let name = C::command().get_name().to_string();
    crate::telemetry::init();
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the Tokio runtime: {e}"))
        .and_then(|runtime| runtime.block_on(run(config)).map_err(|e| format!("{e:#}")));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "{name} stopped");
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// [`main`] for a Lambda: `open` turns the configuration into the family's router, opening its
/// state once per process (the cold start), and the router, [`finish`](crate::finish)ed,
/// answers events until the runtime stops.
pub fn lambda<C, F, Fut, E>(open: F) -> ExitCode
where
    C: clap::Parser,
    F: FnOnce(C) -> Fut,
    Fut: Future<Output = Result<Router, E>>,
    E: Display,
{
    main(|config: C| async move {
        let router = open(config)
            .await
            .map_err(|e| format!("cannot start: {e:#}"))?;
        crate::run_lambda(crate::finish(router))
            .await
            .map_err(|e| format!("lambda runtime stopped: {e}"))
    })
}
