//! `graph-emulator`: the local Microsoft Graph stand-in. Parses the command line and hands over to
//! `autopilot::emulator::serve`; see `graph-emulator --help`.

use std::process::ExitCode;

use autopilot::emulator::{Config, USAGE, serve};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_args(args.into_iter()) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("graph-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("graph-emulator: {error}");
            ExitCode::FAILURE
        }
    }
}
