//! Running a rendering tool (kubectl kustomize, helm) as a child process with a deadline and
//! a cap on what it may print: a tool that hangs is killed, and one that floods stdout is
//! stopped before it fills memory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Most bytes of stderr kept for an error message.
const STDERR_KEEP: u64 = 16 * 1024;
/// How often the deadline is checked while the child runs.
const POLL: Duration = Duration::from_millis(10);

/// A command to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
}

/// How a run failed.
#[derive(Debug)]
pub(crate) enum ToolFailure {
    /// The program could not be started.
    Spawn(std::io::Error),
    /// It exited unsuccessfully; its (trimmed) stderr.
    Exit { status: ExitCode, stderr: String },
    /// It ran past the deadline and was killed.
    Timeout,
    /// It printed more than the limit and was killed.
    TooMuchOutput,
}

/// Runs `command`, returning its stdout.
pub(crate) fn run(command: &ToolCommand, timeout: Duration, max_stdout: u64) -> Result<Vec<u8>, ToolFailure> {
    let mut child = Command::new(&command.program)
        .args(&command.args)
        .current_dir(&command.cwd)
        .envs(command.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(ToolFailure::Spawn)?;
    // Drain both pipes on their own threads, so a child blocked on a full pipe never stalls.
    // Stdout is closed once past the limit, which stops a flooding child with a broken pipe;
    // stderr past what is kept is read and dropped.
    let stdout = child.stdout.take().map(|pipe| drain(pipe, max_stdout + 1, false));
    let stderr = child.stderr.take().map(|pipe| drain(pipe, STDERR_KEEP, true));
    let Some(status) = wait_until(&mut child, Instant::now() + timeout) else {
        // Grandchildren may still hold the pipes open: leave the reader threads to end on
        // their own rather than wait for them.
        return Err(ToolFailure::Timeout);
    };
    let stdout = join(stdout);
    let stderr = join(stderr);
    if stdout.len() as u64 > max_stdout {
        return Err(ToolFailure::TooMuchOutput);
    }
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr).trim().to_string();
        return Err(ToolFailure::Exit {
            status: ExitCode(status.code()),
            stderr,
        });
    }
    Ok(stdout)
}

/// Waits for the child until `deadline`; kills it and returns `None` past the deadline.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(POLL),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// Reads up to `keep` bytes from `pipe`; then reads and drops the rest if `discard_rest`, or
/// else closes the pipe.
fn drain(pipe: impl Read + Send + 'static, keep: u64, discard_rest: bool) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut pipe = pipe;
        let _ = (&mut pipe).take(keep).read_to_end(&mut kept);
        if discard_rest {
            let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        }
        kept
    })
}

fn join(handle: Option<JoinHandle<Vec<u8>>>) -> Vec<u8> {
    handle.and_then(|h| h.join().ok()).unwrap_or_default()
}

/// How a tool ended: its exit code, or none when a signal killed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitCode(pub Option<i32>);

impl std::fmt::Display for ExitCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(code) => write!(f, "exit code {code}"),
            None => f.write_str("killed by a signal"),
        }
    }
}

/// The first executable file named `name` in the directories of `$PATH`.
pub(crate) fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> ToolCommand {
        ToolCommand {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            cwd: std::env::temp_dir(),
            env: vec![("GREETING".into(), "hello".into())],
        }
    }

    #[test]
    fn returns_stdout_and_passes_env() {
        let out = run(&sh("echo $GREETING"), Duration::from_secs(10), 1024).unwrap();
        assert_eq!(out, b"hello\n");
    }

    #[test]
    fn reports_stderr_on_failure() {
        match run(&sh("echo broken >&2; exit 3"), Duration::from_secs(10), 1024) {
            Err(ToolFailure::Exit { status, stderr }) => {
                assert_eq!(status.to_string(), "exit code 3");
                assert_eq!(stderr, "broken");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn kills_a_tool_past_its_deadline() {
        let started = Instant::now();
        let result = run(&sh("exec sleep 30"), Duration::from_millis(200), 1024);
        assert!(matches!(result, Err(ToolFailure::Timeout)), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn stops_a_flood_of_output() {
        let result = run(&sh("head -c 100000 /dev/zero"), Duration::from_secs(10), 1000);
        assert!(matches!(result, Err(ToolFailure::TooMuchOutput)), "{result:?}");
    }
}
