//! terraform-provider-autopilot: started by Terraform, speaks tfplugin6 over go-plugin.

use std::process::ExitCode;

use autopilot::provider::{AutopilotProvider, PROVIDER_ADDRESS};
use autopilot::tfplugin::logging::HclogLogger;
use autopilot::tfplugin::{ServeOptions, serve};

fn main() -> ExitCode {
    HclogLogger::install("provider.autopilot");
    let debug = std::env::args()
        .skip(1)
        .any(|arg| arg == "--debug" || arg == "-debug");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("terraform-provider-autopilot: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = ServeOptions {
        address: PROVIDER_ADDRESS.to_string(),
        debug,
    };
    match runtime.block_on(serve(AutopilotProvider, options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
