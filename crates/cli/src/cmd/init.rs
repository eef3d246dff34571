//! `deckmod init`: scaffold a module.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `deckmod init`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  deckmod init echo-server\n  deckmod init echo-server --dir modules/echo-server"
)]
pub struct InitArgs {
    /// Module name, kebab-case (its values key is the camelCase form).
    pub name: String,
    /// Folder to create (default: ./NAME). Must not exist or be empty.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Run `deckmod init`.
pub fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(&args.name));
    let files = module::scaffold::create(&args.name, &dir).map_err(anyhow::Error::msg)?;
    for f in &files {
        println!("created {}", f.display());
    }
    println!(
        "\nNext: deckmod lint {0} && deckmod values {0}",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
