//! Argo Rollouts' table for judging one measurement by its success and failure conditions.
//!
//! | success condition | failure condition | outcome |
//! |---|---|---|
//! | absent | absent | Successful |
//! | given | absent | Successful if true, else Failed |
//! | absent | given | Failed if true, else Successful |
//! | given | given | Failed if failure is true, else Successful if success is true, else Inconclusive |
//!
//! An evaluation error in either condition makes the measurement an Error, never a success.

use crate::condition::{Condition, Env};

/// The phase one measurement earns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Successful,
    Failed,
    Inconclusive,
    /// A condition could not be evaluated; the message names which one and why, for the
    /// measurement's `message`.
    Error(String),
}

/// Judges a measurement whose value is in `env`, as Argo Rollouts does: both conditions are
/// evaluated (success first), and an error in either is the outcome.
pub fn judge(success: Option<&Condition>, failure: Option<&Condition>, env: &Env) -> Outcome {
    let evaluate = |condition: Option<&Condition>, field: &str| -> Result<Option<bool>, Outcome> {
        condition
            .map(|condition| condition.evaluate(env))
            .transpose()
            .map_err(|error| {
                Outcome::Error(format!(
                    "{field} {:?}: {error}",
                    condition.map_or("", Condition::text)
                ))
            })
    };
    let succeeded = match evaluate(success, "successCondition") {
        Ok(verdict) => verdict,
        Err(outcome) => return outcome,
    };
    let failed = match evaluate(failure, "failureCondition") {
        Ok(verdict) => verdict,
        Err(outcome) => return outcome,
    };
    // A missing condition is the negation of the other one.
    let (succeeded, failed) = match (succeeded, failed) {
        (None, None) => return Outcome::Successful,
        (Some(succeeded), None) => (succeeded, !succeeded),
        (None, Some(failed)) => (!failed, failed),
        (Some(succeeded), Some(failed)) => (succeeded, failed),
    };
    if failed {
        Outcome::Failed
    } else if succeeded {
        Outcome::Successful
    } else {
        Outcome::Inconclusive
    }
}
