/// Logs through `tracing`: JSON lines inside Lambda (CloudWatch indexes them), readable text
/// elsewhere. `RUST_LOG` overrides the level. Safe to call twice (the second call is a no-op).
pub fn init() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        builder.json().without_time().try_init()
    } else {
        builder.try_init()
    };
}
