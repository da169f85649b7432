//! The v2 Lambda: the routes of `music_v2` on DynamoDB (configuration: [`music_v2::Config`]).

fn main() -> std::process::ExitCode {
    music_http::start::lambda(music_v2::Config::open)
}
