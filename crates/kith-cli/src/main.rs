//! `kith`: the headless Kith command.

fn main() -> std::process::ExitCode {
    kith_cli::main()
}
