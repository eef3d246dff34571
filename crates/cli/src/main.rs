//! `deckmod`: the command-line front end. Thin by design: argument parsing,
//! output formats and exit codes here; all behaviour lives in the library crates.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod cmd;
mod output;

// Rendering allocates many small short-lived values (template nodes, maps,
// strings); mimalloc serves them markedly faster than glibc's malloc
// (measured in BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Develop, build, publish and run Deckhouse Kubernetes Platform modules.
#[derive(Parser)]
#[command(name = "deckmod", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scaffold a new DKP module that passes `deckmod lint` as created.
    Init(cmd::init::InitArgs),
    /// Print a module's effective values as templates see them.
    Values(cmd::values::ValuesArgs),
    /// Check modules against the DKP module linter rules.
    Lint(cmd::lint::LintArgs),
    /// Render a Helm chart exactly as `helm template` does.
    Template(cmd::template::TemplateArgs),
    /// Render a DKP module's chart with its effective values.
    Render(cmd::render::RenderArgs),
    /// List, inspect and run a module's hooks locally.
    #[command(subcommand)]
    Hook(cmd::hook::HookCommand),
    /// Build a module image and release image as an OCI image layout on disk.
    Build(cmd::build::BuildArgs),
    /// Push a module version (and optionally channels) to a registry.
    Push(cmd::push::PushArgs),
    /// Move a release channel to a module version.
    Release(cmd::release::ReleaseArgs),
    /// Pull and safely extract a module version or channel from a registry.
    Pull(cmd::pull::PullArgs),
    /// Inspect a module source (a registry path holding modules).
    #[command(subcommand)]
    Source(cmd::source::SourceCommand),
    /// Print a shell completion script.
    Completion {
        /// The shell to generate completions for.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap: 0 for --help/--version, 2 for usage errors.
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    let result = match cli.command {
        Command::Init(a) => cmd::init::run(a),
        Command::Values(a) => cmd::values::run(a),
        Command::Lint(a) => cmd::lint::run(a),
        Command::Template(a) => cmd::template::run(a),
        Command::Render(a) => cmd::render::run(a),
        Command::Hook(c) => cmd::hook::run(c),
        Command::Build(a) => cmd::build::run(a),
        Command::Push(a) => cmd::push::run(a),
        Command::Release(a) => cmd::release::run(a),
        Command::Pull(a) => cmd::pull::run(a),
        Command::Source(c) => cmd::source::run(c),
        Command::Completion { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "deckmod",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks over every subcommand (duplicate flags, ...).
    #[test]
    fn command_tree_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
