//! `deckmod debug …`: addon-operator's debug commands, as a thin client of
//! the running operator's debug socket ([`operator::debug`]): the queues,
//! the modules, their values and snapshots, the global and shell hooks.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `deckmod debug`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  deckmod debug queue list\n  deckmod debug module values echo-server -o json\n  deckmod debug module render echo-server --diff\n  deckmod debug hook snapshots secret-copier\n  deckmod debug raw /discovery"
)]
pub struct DebugArgs {
    /// The operator's debug socket (`deckmod operator --debug-socket`).
    #[arg(
        long,
        global = true,
        env = "DECKMOD_DEBUG_SOCKET",
        default_value = "/tmp/deckmod/debug.socket"
    )]
    pub socket: PathBuf,
    /// Output format.
    #[arg(short = 'o', long, global = true, default_value = "text", value_parser = ["text", "json", "yaml"])]
    pub output: String,
    /// What to show.
    #[command(subcommand)]
    pub what: DebugCommand,
}

/// What `deckmod debug` shows.
#[derive(clap::Subcommand)]
pub enum DebugCommand {
    /// Task queues.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Modules.
    #[command(subcommand)]
    Module(ModuleCommand),
    /// Global hooks (`--global-hooks-dir`).
    #[command(subcommand)]
    Global(GlobalCommand),
    /// Global and shell-operator hooks.
    #[command(subcommand)]
    Hook(HookCommand),
    /// GET any path of the socket (`/discovery` lists them).
    Raw {
        /// The path.
        path: String,
    },
}

/// `deckmod debug queue`.
#[derive(clap::Subcommand)]
pub enum QueueCommand {
    /// Every queue with its tasks.
    List,
    /// The main queue (global and shell hooks).
    Main,
}

/// `deckmod debug module`.
#[derive(clap::Subcommand)]
pub enum ModuleCommand {
    /// Modules, enabled state and phase.
    List,
    /// The values a module was last rendered with.
    Values {
        /// Module name.
        module: String,
    },
    /// A module's hook snapshots.
    Snapshots {
        /// Module name.
        module: String,
    },
    /// The manifest the module's chart renders with its values now.
    Render {
        /// Module name.
        module: String,
        /// Print a unified diff from the deployed revision's manifest
        /// instead (nothing: the next converge changes nothing).
        #[arg(long)]
        diff: bool,
    },
}

/// `deckmod debug global`.
#[derive(clap::Subcommand)]
pub enum GlobalCommand {
    /// The global values.
    Values,
    /// The global hooks' snapshots.
    Snapshots,
}

/// `deckmod debug hook`.
#[derive(clap::Subcommand)]
pub enum HookCommand {
    /// Hook names.
    List,
    /// One hook's snapshots, by binding.
    Snapshots {
        /// Hook name (as `hook list` prints it).
        hook: String,
    },
}

/// The socket path a command asks for.
fn route(what: &DebugCommand, format: &str) -> String {
    match what {
        DebugCommand::Queue(QueueCommand::List) => format!("/queue/list.{format}"),
        DebugCommand::Queue(QueueCommand::Main) => format!("/queue/main.{format}"),
        DebugCommand::Module(ModuleCommand::List) => format!("/module/list.{format}"),
        DebugCommand::Module(ModuleCommand::Values { module }) => {
            format!("/module/{module}/values.{format}")
        }
        DebugCommand::Module(ModuleCommand::Snapshots { module }) => {
            format!("/module/{module}/snapshots.{format}")
        }
        // A manifest or a diff is text whatever the format asked.
        DebugCommand::Module(ModuleCommand::Render { module, diff }) => {
            let what = if *diff { "render-diff" } else { "render" };
            format!("/module/{module}/{what}.text")
        }
        DebugCommand::Global(GlobalCommand::Values) => format!("/global/values.{format}"),
        DebugCommand::Global(GlobalCommand::Snapshots) => format!("/global/snapshots.{format}"),
        DebugCommand::Hook(HookCommand::List) => format!("/hook/list.{format}"),
        DebugCommand::Hook(HookCommand::Snapshots { hook }) => {
            format!("/hook/{hook}/snapshots.{format}")
        }
        DebugCommand::Raw { path } => path.clone(),
    }
}

/// Run `deckmod debug`: print the answer; exit 1 when the operator says
/// no (unknown module or hook), 2 when the socket cannot be reached.
pub fn run(args: DebugArgs) -> anyhow::Result<ExitCode> {
    let path = route(&args.what, &args.output);
    match operator::debug::get(&args.socket, &path) {
        Ok((200, body)) => {
            print!("{body}");
            Ok(ExitCode::SUCCESS)
        }
        Ok((_, body)) => {
            eprint!("Error: {body}");
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            eprintln!(
                "Error: cannot reach the operator's debug socket {}: {e} (is `deckmod operator` running? --socket names another)",
                args.socket.display()
            );
            Ok(ExitCode::from(2))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_name_addon_operators_routes() {
        let cases = [
            (DebugCommand::Queue(QueueCommand::List), "/queue/list.text"),
            (
                DebugCommand::Module(ModuleCommand::Render {
                    module: "echo".into(),
                    diff: true,
                }),
                "/module/echo/render-diff.text",
            ),
            (
                DebugCommand::Module(ModuleCommand::Values {
                    module: "echo".into(),
                }),
                "/module/echo/values.text",
            ),
            (
                DebugCommand::Hook(HookCommand::Snapshots {
                    hook: "global/discover".into(),
                }),
                "/hook/global/discover/snapshots.text",
            ),
            (
                DebugCommand::Raw {
                    path: "/discovery".into(),
                },
                "/discovery",
            ),
        ];
        for (command, path) in cases {
            assert_eq!(route(&command, "text"), path);
        }
    }
}
