//! Patch engines (in progress).
