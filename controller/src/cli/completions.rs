//! `completions SHELL` and `man`: what shells and `man` need, generated from the command line's
//! own definition (clap_complete, clap_mangen), so they never fall behind it.
//!
//! Install, e.g.: `finfocus-ecs-controller completions bash > /etc/bash_completion.d/finfocus-ecs-controller`,
//! `finfocus-ecs-controller man > /usr/local/share/man/man1/finfocus-ecs-controller.1`.

use std::io::Write as _;

use clap::{Args, CommandFactory as _};
use clap_complete::Shell;

use super::{Cli, Exit};
use crate::{Error, Result};

/// Options of `completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Prints the completion script for `args.shell`.
///
/// # Errors
/// [`Error::Io`] when standard output cannot be written.
pub fn completions(args: &CompletionsArgs) -> Result<Exit> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(
        args.shell,
        &mut command,
        "finfocus-ecs-controller",
        &mut out,
    );
    std::io::stdout().write_all(&out).map_err(Error::Io)?;
    Ok(Exit::Ok)
}

/// Prints the man page (roff), verbs included.
///
/// # Errors
/// [`Error::Io`] when the page cannot be rendered or written.
pub fn man() -> Result<Exit> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(Error::Io)?;
    std::io::stdout().write_all(&out).map_err(Error::Io)?;
    Ok(Exit::Ok)
}
