//! The v3 Lambda: open the bundled SQLite once, then serve `/api/v3/...` (configuration:
//! [`music_v3::Config`]).

fn main() -> std::process::ExitCode {
    music_http::start::lambda(music_v3::Config::open)
}
