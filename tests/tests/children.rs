//! The programs the controller starts die with it: a pricing plugin launched by `run` or `plan`
//! is gone within a moment of a SIGKILL of the controller (an OOM kill, a CI time-out), and a
//! SIGTERM'd controller exits only after its plugins have. Checked by listing processes in
//! `/proc`, as an operator would with `ps`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "integration tests fail loudly on purpose"
)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use finfocus_ecs_controller::pricing::source::PLUGIN_BINARY;
use support::{Case, Running, free_port, get, program, service_yaml};

mod support;

/// Pid and command name (`comm`, at most 15 bytes) of every live process whose parent is `parent`.
fn children_of(parent: u32) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Some((comm, state, ppid)) = stat(pid) else {
            continue;
        };
        if ppid == parent && state != 'Z' {
            found.push((pid, comm));
        }
    }
    found
}

/// `comm`, state and parent pid of `pid` from `/proc/<pid>/stat`; `None` once it is gone.
fn stat(pid: u32) -> Option<(String, char, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so split at the last ')'.
    let (head, tail) = text.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_owned();
    let mut fields = tail.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((comm, state, ppid))
}

/// Whether `pid` has exited (gone, or a zombie nobody reaped yet).
fn exited(pid: u32) -> bool {
    stat(pid).is_none_or(|(_, state, _)| state == 'Z')
}

/// Polls until every process of `pids` has exited; returns how long that took, or panics after `limit`.
fn all_exit_within(pids: &[u32], limit: Duration, what: &str) -> Duration {
    let start = Instant::now();
    while !pids.iter().all(|p| exited(*p)) {
        let left: Vec<_> = pids.iter().filter(|p| !exited(**p)).collect();
        assert!(
            start.elapsed() < limit,
            "{what}: still running after {limit:?}: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    start.elapsed()
}

/// Polls (bounded) until `parent` has a child whose `comm` starts with `prefix`; returns their pids.
fn wait_for_children(parent: u32, prefix: &str, limit: Duration) -> Vec<u32> {
    let deadline = Instant::now() + limit;
    loop {
        let pids: Vec<u32> = children_of(parent)
            .into_iter()
            .filter(|(_, comm)| comm.starts_with(prefix))
            .map(|(pid, _)| pid)
            .collect();
        if !pids.is_empty() {
            return pids;
        }
        assert!(
            Instant::now() < deadline,
            "no child {prefix}* of {parent} within {limit:?}: {:?}",
            children_of(parent)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `run` on the case's manifests and waits (bounded) until it has priced them, so its plugin
/// runs. Returns the process and the plugin pids.
fn run_with_plugin(case: &Case) -> (Child, Vec<u32>) {
    let port = free_port();
    let child = case
        .command(&program("finfocus-ecs-controller"))
        .args([
            "run",
            "--resync",
            "1s",
            "--source",
            case.dir.to_str().unwrap(),
        ])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    while !get(port, "/report?format=text")
        .unwrap_or_default()
        .contains("cost total:")
    {
        assert!(Instant::now() < deadline, "no priced report within 90s");
        std::thread::sleep(Duration::from_millis(100));
    }
    // `comm` holds the first 15 bytes of the plugin's name.
    let plugins = wait_for_children(child.id(), &PLUGIN_BINARY[..15], Duration::from_secs(5));
    (child, plugins)
}

/// A case whose manifests hold one service of one task, in a cluster of its own.
fn case_with_service(tag: &str) -> Case {
    let case = Case::new(tag);
    let (cluster, service) = (
        format!("{}-c", case.instance),
        format!("{}-s", case.instance),
    );
    case.write(&service_yaml(&case, &cluster, &service, 1, None));
    case
}

#[test]
fn a_sigkilled_run_takes_its_plugin_with_it() {
    let case = case_with_service("kill-run");
    let (child, plugins) = run_with_plugin(&case);
    let mut running = Running(child);
    running.0.kill().unwrap();
    running.0.wait().unwrap();
    let took = all_exit_within(
        &plugins,
        Duration::from_secs(2),
        "plugin after SIGKILL of run",
    );
    eprintln!("plugin exited {took:?} after its controller was killed");
}

#[test]
fn a_sigtermed_run_exits_after_its_plugin() {
    let case = case_with_service("term-run");
    let (child, plugins) = run_with_plugin(&case);
    let mut running = Running(child);
    let status = Command::new("kill")
        .args(["-TERM", &running.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(40);
    while running.0.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "run did not exit within 40s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The controller waited for (and reaped) its plugin: nothing is left at the moment it exits.
    let left: Vec<_> = plugins.iter().filter(|p| stat(**p).is_some()).collect();
    assert!(
        left.is_empty(),
        "plugins outlived a SIGTERM'd run: {left:?}"
    );
}

#[test]
fn a_sigkilled_plan_leaves_no_plugin_behind() {
    let case = case_with_service("kill-plan");
    // A controller with a stand-in plugin beside it that never announces its port, so `plan` is
    // still waiting for it when it is killed.
    let dir = case.dir.join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let controller = dir.join("finfocus-ecs-controller");
    if std::fs::hard_link(program("finfocus-ecs-controller"), &controller).is_err() {
        std::fs::copy(program("finfocus-ecs-controller"), &controller).unwrap();
    }
    write_script(&dir.join(PLUGIN_BINARY), "#!/bin/sh\nexec /bin/sleep 600\n");
    let manifests = case.dir.join("app.yaml");
    let child = case
        .command(&controller)
        .args([
            "--pricing-timeout",
            "120",
            "plan",
            "-f",
            manifests.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let plugins = wait_for_children(running.0.id(), "sleep", Duration::from_secs(60));
    running.0.kill().unwrap();
    running.0.wait().unwrap();
    all_exit_within(
        &plugins,
        Duration::from_secs(2),
        "plugin after SIGKILL of plan",
    );
}

/// Writes an executable script.
fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
