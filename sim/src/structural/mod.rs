//! Structural schema pruning and defaulting (in progress).
