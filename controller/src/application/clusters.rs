//! Destination clusters: `destination.server` / `destination.name` resolved through cluster Secrets.
