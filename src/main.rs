//! terraform-provider-autopilot: started by Terraform, speaks tfplugin6 over go-plugin.

use std::path::Path;
use std::process::ExitCode;

use autopilot::provider::{AutopilotProvider, PROVIDER_ADDRESS};
use autopilot::tfplugin::logging::HclogLogger;
use autopilot::tfplugin::{ServeOptions, serve};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `docs DOCS_DIR EXAMPLES_DIR`: the generator behind `make docs`, using the very schema Terraform gets.
    if let [command, docs_dir, examples_dir] = args.as_slice()
        && command == "docs"
    {
        return match autopilot::docs::write(Path::new(docs_dir), Path::new(examples_dir)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("writing the docs to {docs_dir}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    HclogLogger::install("provider.autopilot");
    let debug = args.iter().any(|arg| arg == "--debug" || arg == "-debug");
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
        binary: env!("CARGO_PKG_NAME").to_string(),
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
