//! The web Lambda: the embedded pages and assets behind API Gateway (configuration:
//! [`music_web::Config`]).

fn main() -> std::process::ExitCode {
    music_http::start::lambda(music_web::Config::open)
}
