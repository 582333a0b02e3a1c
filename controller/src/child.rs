//! Child processes that die with the controller.
//!
//! The controller starts other programs (the pricing plugin, `git`). A SIGKILL of the controller
//! (an OOM kill, a CI time-out) runs none of its clean-up, so those children would live on as
//! orphans. Linux can signal a process when its parent dies, but only the process itself can ask
//! for that (`PR_SET_PDEATHSIG`), and code between `fork` and `exec` needs `unsafe`, which this
//! crate forbids. So the controller starts a child through itself:
//!
//! ```text
//! finfocus-ecs-controller __child <parent pid> <KILL|TERM> -- PROGRAM ARGS...
//! ```
//!
//! [`exec_shim`] asks for the signal, checks that the controller that started it is still its
//! parent (it may have died in between, and the request only covers a live parent), and then
//! `exec`s the program, which keeps the request. Every child also leads its own process group, so
//! the group can be killed with its helpers.
//!
//! # Guarantees
//! - A child started with [`Launcher::command`] from the controller's binary receives its signal
//!   when the controller's thread that started it ends (Linux ties the request to that thread).
//!   Children are spawned from the runtime's worker threads, which live as long as the process.
//! - Where the running executable is not the controller (the library's own tests), children are
//!   started directly, with their own process group but without the parent-death signal.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

/// The hidden first argument that makes the controller act as [`exec_shim`].
pub const SHIM_ARG: &str = "__child";

/// The controller's executable name: only it understands [`SHIM_ARG`].
const CONTROLLER_BINARY: &str = "finfocus-ecs-controller";

/// What a child receives when the controller dies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeathSignal {
    /// SIGKILL: for children with nothing to clean up (`git`; a half-done fetch is discarded).
    Kill,
    /// SIGTERM: for children that stop gracefully and quickly (the pricing plugin).
    Term,
}

impl DeathSignal {
    fn as_arg(self) -> &'static str {
        match self {
            Self::Kill => "KILL",
            Self::Term => "TERM",
        }
    }

    fn from_arg(arg: &OsStr) -> Option<Self> {
        match arg.to_str()? {
            "KILL" => Some(Self::Kill),
            "TERM" => Some(Self::Term),
            _ => None,
        }
    }

    fn signal(self) -> rustix::process::Signal {
        match self {
            Self::Kill => rustix::process::Signal::KILL,
            Self::Term => rustix::process::Signal::TERM,
        }
    }
}

/// Builds the commands that start children.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// The controller's executable, when it is the one running.
    shim: Option<PathBuf>,
}

impl Launcher {
    /// The launcher of this process: through the controller's executable when that is what runs.
    #[must_use]
    pub fn current() -> Self {
        let shim = std::env::current_exe()
            .ok()
            .filter(|exe| exe.file_name() == Some(OsStr::new(CONTROLLER_BINARY)));
        Self { shim }
    }

    /// Whether children get the parent-death signal.
    #[must_use]
    pub fn ties_children(&self) -> bool {
        self.shim.is_some()
    }

    /// A command that runs `program` as a child that dies with this process (see the module
    /// docs), in a process group of its own. Add arguments, environment and pipes as usual.
    #[must_use]
    pub fn command(
        &self,
        program: impl AsRef<OsStr>,
        signal: DeathSignal,
    ) -> tokio::process::Command {
        let mut cmd = match &self.shim {
            Some(shim) => {
                let mut cmd = tokio::process::Command::new(shim);
                cmd.arg(SHIM_ARG)
                    .arg(std::process::id().to_string())
                    .arg(signal.as_arg())
                    .arg("--")
                    .arg(program);
                cmd
            }
            None => tokio::process::Command::new(program),
        };
        cmd.process_group(0);
        cmd
    }
}

/// Why [`exec_shim`] could not start the program.
#[derive(Debug, thiserror::Error)]
pub enum ShimError {
    /// The arguments are not `<parent pid> <KILL|TERM> -- PROGRAM ARGS...`.
    #[error("usage: {CONTROLLER_BINARY} {SHIM_ARG} <parent pid> <KILL|TERM> -- PROGRAM [ARGS...]")]
    Usage,
    /// The parent-death signal could not be set.
    #[error("cannot ask for the parent-death signal")]
    Signal(#[source] std::io::Error),
    /// The parent died before the signal was set: the child must not start.
    #[error("the parent process {0} is gone")]
    ParentGone(u32),
    /// `exec` failed.
    #[error("cannot run {program}")]
    Exec {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Runs as the shim: `args` are what follows [`SHIM_ARG`]. Only returns on failure; on success the
/// process has become the program.
pub fn exec_shim(args: &[OsString]) -> ShimError {
    use std::os::unix::process::CommandExt as _;

    let [parent, signal, dashes, program, rest @ ..] = args else {
        return ShimError::Usage;
    };
    let parent: Option<u32> = parent.to_str().and_then(|p| p.parse().ok());
    let (Some(parent), Some(signal), true) =
        (parent, DeathSignal::from_arg(signal), dashes == "--")
    else {
        return ShimError::Usage;
    };
    if let Err(e) = rustix::process::set_parent_process_death_signal(Some(signal.signal())) {
        return ShimError::Signal(e.into());
    }
    // Checked after the request: a parent that died before it would never signal us.
    let current = rustix::process::getppid().map(|p| p.as_raw_nonzero().get());
    if current.and_then(|p| u32::try_from(p).ok()) != Some(parent) {
        return ShimError::ParentGone(parent);
    }
    let error = std::process::Command::new(program).args(rest).exec();
    ShimError::Exec {
        program: program.to_string_lossy().into_owned(),
        source: error,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    fn args(cmd: &tokio::process::Command) -> Vec<String> {
        cmd.as_std()
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn through_the_controller_the_program_follows_the_shim_arguments() {
        let launcher = Launcher {
            shim: Some(PathBuf::from("/usr/bin/finfocus-ecs-controller")),
        };
        let mut cmd = launcher.command("git", DeathSignal::Kill);
        cmd.arg("fetch");
        assert_eq!(
            cmd.as_std().get_program(),
            OsStr::new("/usr/bin/finfocus-ecs-controller")
        );
        assert_eq!(
            args(&cmd),
            [
                SHIM_ARG.to_owned(),
                std::process::id().to_string(),
                "KILL".to_owned(),
                "--".to_owned(),
                "git".to_owned(),
                "fetch".to_owned()
            ]
        );
    }

    #[test]
    fn without_the_controller_the_program_runs_directly() {
        // Test binaries are not the controller.
        let launcher = Launcher::current();
        assert!(!launcher.ties_children());
        let cmd = launcher.command("git", DeathSignal::Term);
        assert_eq!(cmd.as_std().get_program(), OsStr::new("git"));
    }

    #[test]
    fn malformed_shim_arguments_are_a_usage_error() {
        let os = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        for bad in [
            os(&[]),
            os(&["1", "KILL", "git"]),
            os(&["x", "KILL", "--", "git"]),
            os(&["1", "HUP", "--", "git"]),
            os(&["1", "KILL", "++", "git"]),
        ] {
            assert!(matches!(exec_shim(&bad), ShimError::Usage), "{bad:?}");
        }
    }

    #[test]
    fn a_parent_that_is_not_ours_stops_the_shim_before_exec() {
        // Pid 1 is never this test's parent; the request is reset so the test process keeps none.
        let err = exec_shim(&[
            OsString::from("1"),
            OsString::from("TERM"),
            OsString::from("--"),
            OsString::from("true"),
        ]);
        let _ = rustix::process::set_parent_process_death_signal(None);
        assert!(matches!(err, ShimError::ParentGone(1)), "{err}");
    }
}
