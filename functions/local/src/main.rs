//! `music-ml-serve`: the API and the web pages on one local address (configuration:
//! [`music_local::Args`]).

fn main() -> std::process::ExitCode {
    music_http::start::main(music_local::run)
}
