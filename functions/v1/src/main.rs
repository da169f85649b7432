//! The v1 Lambda: `/api/v1.0/...` and `/api` from the bundled `musicData.sqlite`
//! (configuration: [`music_v1::Config`]).

fn main() -> std::process::ExitCode {
    music_http::start::lambda(music_v1::Config::open)
}
