//! One function per `linnet rollout` subcommand: read what it needs, build the patch or the
//! text with the pure modules, send or print it.

use std::time::Duration;

use tokio::time::Instant;

use super::error::OpError;
use super::exec::{Rollouts, WATCH_INTERVAL};
use super::patches::{self, MergePatches, Promotion};
use super::summary::{self, Verdict};
use super::template::{self, Undo};

async fn send_and_say(
    rollouts: &Rollouts,
    name: &str,
    patches: MergePatches,
    done: &str,
) -> Result<(), OpError> {
    rollouts.get(name).await?;
    rollouts.send(name, &patches).await?;
    println!("rollout '{name}' {done}");
    Ok(())
}

pub async fn abort(rollouts: &Rollouts, name: &str) -> Result<(), OpError> {
    send_and_say(rollouts, name, patches::abort(), "aborted").await
}

pub async fn retry(rollouts: &Rollouts, name: &str) -> Result<(), OpError> {
    send_and_say(rollouts, name, patches::retry(), "retried").await
}

pub async fn pause(rollouts: &Rollouts, name: &str) -> Result<(), OpError> {
    send_and_say(rollouts, name, patches::pause(), "paused").await
}

pub async fn restart(rollouts: &Rollouts, name: &str, delay: Duration) -> Result<(), OpError> {
    let patch = patches::restart(jiff::Timestamp::now(), delay)?;
    send_and_say(rollouts, name, patch, "restarts").await
}

pub async fn promote(rollouts: &Rollouts, name: &str, how: Promotion) -> Result<(), OpError> {
    let rollout = rollouts.get(name).await?;
    let patch = patches::promote(&rollout, how)?;
    if patch.is_empty() {
        println!("rollout '{name}' has nothing to promote");
        return Ok(());
    }
    rollouts.send(name, &patch).await?;
    let done = if how == Promotion::Full {
        "fully promoted"
    } else {
        "promoted"
    };
    println!("rollout '{name}' {done}");
    Ok(())
}

pub async fn undo(rollouts: &Rollouts, name: &str, to_revision: Option<i64>) -> Result<(), OpError> {
    let rollout = rollouts.get(name).await?;
    let home = template::template_home(&rollout)?;
    let current = rollouts.template(&rollout, &home).await?;
    let replica_sets = rollouts.replica_sets().await?;
    match template::undo(&rollout, current.as_ref(), &replica_sets, to_revision)? {
        Undo::AlreadyAt { revision } => {
            println!("rollout '{name}' skipped: its template already is that of revision {revision}");
        }
        Undo::Patch { revision, patch } => {
            rollouts.send_template_patch(name, &home, patch).await?;
            println!("rollout '{name}' undo to revision {revision}");
        }
    }
    Ok(())
}

pub async fn set_image(rollouts: &Rollouts, name: &str, assignment: &str) -> Result<(), OpError> {
    let (container, image) = template::parse_image_argument(assignment)?;
    let rollout = rollouts.get(name).await?;
    let home = template::template_home(&rollout)?;
    let current = rollouts.template(&rollout, &home).await?;
    let patch = template::set_image(name, current.as_ref(), &container, &image)?;
    rollouts.send_template_patch(name, &home, patch).await?;
    println!("rollout '{name}' image updated");
    Ok(())
}

/// Prints the phase and message; watching, prints each change until Healthy, Degraded (an
/// error) or the timeout (an error).
pub async fn status(
    rollouts: &Rollouts,
    name: &str,
    watch: bool,
    timeout: Option<Duration>,
) -> Result<(), OpError> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut last = String::new();
    loop {
        let rollout = rollouts.get(name).await?;
        let (phase, message) = summary::phase(&rollout);
        let line = summary::status_line(&phase, &message);
        if line != last {
            println!("{line}");
            last = line;
        }
        if !watch {
            return Ok(());
        }
        match summary::verdict(&phase) {
            Verdict::Healthy => return Ok(()),
            Verdict::Degraded => {
                return Err(OpError::Degraded {
                    name: name.to_string(),
                    phase,
                    message,
                });
            }
            Verdict::Waiting => {}
        }
        if let (Some(deadline), Some(timeout)) = (deadline, timeout)
            && Instant::now() >= deadline
        {
            return Err(OpError::TimedOut {
                name: name.to_string(),
                timeout,
                last,
            });
        }
        tokio::time::sleep(WATCH_INTERVAL).await;
    }
}

pub async fn get(rollouts: &Rollouts, name: &str) -> Result<(), OpError> {
    let rollout = rollouts.get(name).await?;
    let replica_sets = rollouts.replica_sets().await?;
    print!("{}", summary::describe(&rollout, &replica_sets));
    Ok(())
}

pub async fn list(rollouts: &Rollouts) -> Result<(), OpError> {
    let items = rollouts.list().await?;
    if items.is_empty() {
        println!("No Rollouts in namespace {}", rollouts.namespace());
        return Ok(());
    }
    print!("{}", summary::list_table(&items));
    Ok(())
}
