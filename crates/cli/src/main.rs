//! `deckmod`: the command-line front end. Thin by design: argument parsing,
//! output formats and exit codes here; all behaviour lives in the library crates.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod alloc;
mod cmd;
mod lifetime;
mod output;

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
    /// Run modules in a cluster: hooks, values, rendering, apply, releases.
    Operator(Box<cmd::operator::OperatorArgs>),
    /// Show modules from sources in the cluster: source, policy, deployed and pending releases.
    Status(cmd::status::StatusArgs),
    /// Look inside a running operator: queues, modules, values, snapshots (its debug socket).
    Debug(cmd::debug::DebugArgs),
    /// Print the CustomResourceDefinitions of deckmod's resources.
    Crds,
    /// Print a shell completion script.
    Completion {
        /// The shell to generate completions for.
        shell: clap_complete::Shell,
    },
}

/// `deckmod template` is the command run in tight loops (a drop-in for
/// `helm template`), so its arguments are parsed by a parser built for it
/// alone: building every other subcommand's arguments costs about 0.2 ms,
/// 3% of a large chart's render. Anything but a clean parse (help, errors)
/// returns `None` and goes through the full parser, so it reads the same.
fn template_args_fast(
    argv: impl IntoIterator<Item = std::ffi::OsString>,
) -> Option<cmd::template::TemplateArgs> {
    use clap::{Args, FromArgMatches};
    let mut args = argv.into_iter().skip(1);
    if args.next()? != "template" {
        return None;
    }
    let parser = cmd::template::TemplateArgs::augment_args(
        clap::Command::new("template").no_binary_name(true),
    );
    let matches = parser.try_get_matches_from(args).ok()?;
    cmd::template::TemplateArgs::from_arg_matches(&matches).ok()
}

fn main() -> ExitCode {
    // The one place the process's lifetime is chosen (the arena's
    // constructor asks the same `lifetime::of_first_arg`).
    match lifetime::decide() {
        lifetime::Lifetime::OneShot => alloc::tune_for_short_run(),
        lifetime::Lifetime::LongRunning => alloc::tune_for_long_run(),
    }
    if let Some(args) = template_args_fast(std::env::args_os()) {
        return finish(cmd::template::run(args));
    }
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
        Command::Operator(a) => cmd::operator::run(*a),
        Command::Status(a) => cmd::status::run(a),
        Command::Debug(a) => cmd::debug::run(a),
        Command::Crds => cmd::operator::crds(),
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
    finish(result)
}

/// The exit code of a command; errors are printed as `Error: ...`.
fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {}", error_text(&e));
            ExitCode::from(1)
        }
    }
}

/// An error and its causes, joined with `: ` as Go wraps errors. The
/// libraries' errors keep their cause as `source()` for callers that act
/// on its kind, and many already say it in their own text (Helm's and
/// Go's wording): a cause whose text is already there is not repeated.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn a_cause_already_in_the_text_is_not_repeated() {
        use std::fmt;
        #[derive(Debug)]
        struct Read(&'static str, std::io::Error);
        impl fmt::Display for Read {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "cannot read {}", self.0)
            }
        }
        impl std::error::Error for Read {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.1)
            }
        }
        #[derive(Debug)]
        struct Shown(Read);
        impl fmt::Display for Shown {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "validation: {}", self.0)
            }
        }
        impl std::error::Error for Shown {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let io = || std::io::Error::other("denied");
        let e = anyhow::Error::new(Read("x", io()));
        assert_eq!(super::error_text(&e), "cannot read x: denied");
        let e = anyhow::Error::new(Shown(Read("x", io())));
        assert_eq!(super::error_text(&e), "validation: cannot read x: denied");
        let e = anyhow::Error::new(Read("x", io())).context("loading");
        assert_eq!(super::error_text(&e), "loading: cannot read x: denied");
    }

    /// clap's own consistency checks over every subcommand (duplicate flags, ...).
    #[test]
    fn command_tree_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// The `template` fast path reads arguments exactly as the full parser
    /// does, and declines (leaving help and errors to it) whenever the full
    /// parser would not produce `template` arguments.
    #[test]
    fn template_fast_path_parses_like_the_full_parser() {
        use clap::Parser;
        let cases: &[&[&str]] = &[
            &["template", "./chart"],
            &[
                "template", "rel", "./chart", "-n", "prod", "-f", "a.yaml", "-f", "b.yaml",
            ],
            &[
                "template",
                "./chart",
                "--set",
                "a=1,b=2",
                "--set-string",
                "c=3",
            ],
            &[
                "template",
                "./chart",
                "--kube-version",
                "1.29.0",
                "-a",
                "v1",
                "-a",
                "x/v2",
            ],
            &[
                "template",
                "./chart",
                "-s",
                "templates/a.yaml",
                "--include-crds",
                "--is-upgrade",
            ],
            &["template", "a", "b", "c"],
            &[
                "template",
                "./chart",
                "--set-json",
                "k=[1,2]",
                "--skip-tests",
                "--no-hooks",
            ],
            &["template", "./chart", "--nope"],
            &[
                "template",
                "-g",
                "./chart",
                "--release-name=false",
                "--output-dir",
                "out",
            ],
            &[
                "template",
                "./chart",
                "--post-renderer",
                "./pr.sh",
                "--post-renderer-args",
                "-x",
            ],
            &[
                "template",
                "./chart",
                "--set-file",
                "a=f.txt",
                "--set-literal",
                "b=c,d",
            ],
            &["template", "--name-template", "n", "./chart", "--", "extra"],
            &["template", "--help"],
            &["template"],
            &["lint", "./module"],
            &["--version"],
        ];
        for case in cases {
            let argv = || {
                std::iter::once("deckmod")
                    .chain(case.iter().copied())
                    .map(Into::into)
            };
            let full = match super::Cli::try_parse_from(argv()) {
                Ok(super::Cli {
                    command: super::Command::Template(a),
                }) => Some(a),
                _ => None,
            };
            let fast = super::template_args_fast(argv());
            assert_eq!(fast.is_some(), full.is_some(), "{case:?}");
            if let (Some(f), Some(g)) = (fast, full) {
                assert_eq!(format!("{f:?}"), format!("{g:?}"), "{case:?}");
            }
        }
    }
}
