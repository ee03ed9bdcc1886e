//! The refresh webhook: GitHub- and GitLab-style push payloads that refresh matching Applications.
