//! `docs/src/reference/cli.md`: every command of both programs, with its usage, arguments,
//! defaults, allowed values and environment variables, as clap knows them.

use std::fmt::Write as _;

use clap::{Arg, ArgAction, Command, CommandFactory as _};

use super::prose::{code, inline, paragraphs};

/// Where the page lives, relative to the repository root.
const PATH: &str = "docs/src/reference/cli.md";

/// The whole page: a section per program, a subsection per subcommand.
fn page(programs: Vec<Command>) -> String {
    let mut out = String::from(
        "# Command-line reference\n\n\
         <!-- Generated from the clap definitions (controller/src/cli/, plugin/src/cli.rs) by \
         controller/src/docs/cli.rs; do not edit by hand. -->\n\n\
         Every command, argument and default of both programs, as `--help` prints them. \
         Options marked *global* are accepted by every subcommand of the controller.\n",
    );
    for mut program in programs {
        // Building resolves what clap derives late: propagated globals, binary names in usages.
        program.build();
        command(&mut out, &program, 2);
    }
    out
}

fn command(out: &mut String, cmd: &Command, level: usize) {
    let name = cmd.get_bin_name().unwrap_or(cmd.get_name());
    let _ = write!(out, "\n{} {name}\n\n", "#".repeat(level));
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        for p in paragraphs(&about.to_string()) {
            let _ = write!(out, "{p}\n\n");
        }
    }
    let usage = cmd.clone().render_usage().to_string();
    let _ = write!(out, "```text\n{}\n```\n", usage.trim_end());
    // A subcommand lists its own arguments; the program's section lists the global ones.
    let top = level == 2;
    let args: Vec<&Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version"))
        .filter(|a| top || !a.is_global_set())
        .collect();
    let (positionals, options): (Vec<&Arg>, Vec<&Arg>) =
        args.into_iter().partition(|a| a.is_positional());
    for (title, list) in [("Arguments", positionals), ("Options", options)] {
        if list.is_empty() {
            continue;
        }
        let _ = write!(out, "\n{title}:\n\n");
        for arg in list {
            argument(out, arg);
        }
    }
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        command(out, sub, level + 1);
    }
}

/// One list item: the synopsis, then the help and the facts clap holds about the argument.
fn argument(out: &mut String, arg: &Arg) {
    let mut facts: Vec<String> = Vec::new();
    if arg.is_required_set() {
        facts.push("required".into());
    }
    if arg.is_global_set() {
        facts.push("global".into());
    }
    let _ = write!(out, "- {}", code(&synopsis(arg)));
    if !facts.is_empty() {
        let _ = write!(out, " ({})", facts.join(", "));
    }
    let help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(ToString::to_string)
        .unwrap_or_default();
    // Help texts are written without a final period (as `--help` shows them); the facts
    // follow as sentences of the help's last paragraph.
    let mut sentences: Vec<String> = Vec::new();
    if takes_values(arg) {
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| code(&v.to_string_lossy()))
            .collect();
        if !defaults.is_empty() {
            sentences.push(format!("Default: {}.", defaults.join(", ")));
        }
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| match v.get_help() {
                Some(help) => format!("{} ({})", code(v.get_name()), inline(&help.to_string())),
                None => code(v.get_name()),
            })
            .collect();
        if !values.is_empty() {
            sentences.push(format!("One of: {}.", values.join(", ")));
        }
    }
    if let Some(env) = arg.get_env() {
        sentences.push(format!("Environment: {}.", code(&env.to_string_lossy())));
    }
    let mut lines = paragraphs(&help);
    if let Some(last) = lines.last_mut()
        && !last.ends_with(['.', ')', ':'])
    {
        last.push('.');
    }
    if !sentences.is_empty() {
        match lines.last_mut() {
            Some(last) if !last.starts_with("- ") => {
                last.push(' ');
                last.push_str(&sentences.join(" "));
            }
            _ => lines.push(sentences.join(" ")),
        }
    }
    // The first paragraph follows the synopsis; later ones are indented into the item.
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            let _ = write!(out, ": {line}");
        } else {
            let _ = write!(out, "\n\n  {line}");
        }
    }
    out.push('\n');
}

fn takes_values(arg: &Arg) -> bool {
    !matches!(
        arg.get_action(),
        ArgAction::SetTrue | ArgAction::SetFalse | ArgAction::Count
    ) && arg.get_action().takes_values()
}

/// `-f, --filename <FILES>...`, as `--help` shows an argument.
fn synopsis(arg: &Arg) -> String {
    let mut names: Vec<String> = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("--{long}"));
    }
    let mut text = names.join(", ");
    if takes_values(arg) {
        let value_names: Vec<String> = match arg.get_value_names() {
            Some(names) => names.iter().map(|n| format!("<{n}>")).collect(),
            None => vec![format!("<{}>", arg.get_id().as_str().to_uppercase())],
        };
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&value_names.join(" "));
        if arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
            text.push_str("...");
        }
    }
    text
}

#[test]
fn cli_reference_is_in_sync() {
    let rendered = page(vec![
        crate::cli::Cli::command(),
        finfocus_plugin_aws_public::cli::Cli::command(),
    ]);
    super::checked_in::assert_in_sync(PATH, &rendered);
}
