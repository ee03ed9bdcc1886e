//! Analysis for linnet: the condition language that judges a metric's measurements, and the
//! outcome table that turns a measurement's verdicts into its phase.
//!
//! - [`condition`]: parse and evaluate `successCondition` / `failureCondition` expressions
//!   exactly as Argo Rollouts does.
//! - [`outcome`]: [`judge`] a measurement as Successful, Failed, Inconclusive or Error.

pub mod condition;
pub mod outcome;

pub use condition::{Condition, ConditionError, Env, Value};
pub use outcome::{Outcome, judge};
pub mod args;
pub mod bookkeeping;
pub mod providers;
pub mod run_plan;
