//! Argo CD's project patterns: globs in which `*` also crosses `/`, `?`, `[a-z]` and `{a,b}`,
//! and a leading `!` that turns a pattern into an exclusion.

use globset::GlobBuilder;

/// Whether `value` matches the glob `pattern`. A pattern that does not compile matches nothing
/// (Argo CD does the same, and the project's validation reports the pattern).
pub fn matches(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if !pattern.contains(['*', '?', '[', '{', '\\']) {
        return pattern == value;
    }
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .is_ok_and(|glob| glob.compile_matcher().is_match(value))
}

/// Whether the pattern excludes what it matches (`!https://github.com/evil/*`).
pub fn is_exclusion(pattern: &str) -> bool {
    pattern.starts_with('!')
}

/// Matching with exclusions as Argo CD reads them: `!p` "matches" every value that `p` does not.
pub fn matches_or_excludes(pattern: &str, value: &str) -> bool {
    match pattern.strip_prefix('!') {
        Some(excluded) => !matches(excluded, value),
        None => matches(pattern, value),
    }
}

/// Whether any pattern of the list matches `value` (no exclusions; sync window lists).
pub fn any_matches(patterns: &[String], value: &str) -> bool {
    patterns.iter().any(|p| matches(p, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_as_argo_cd_reads_them() {
        let cases = [
            ("*", "anything/at/all", true),
            (
                "https://github.com/team-a/*",
                "https://github.com/team-a/app",
                true,
            ),
            (
                "https://github.com/team-a/*",
                "https://github.com/team-a/deep/app",
                true,
            ),
            (
                "https://github.com/team-a/*",
                "https://github.com/team-b/app",
                false,
            ),
            ("team-?", "team-a", true),
            ("team-?", "team-ab", false),
            ("{dev,staging}-*", "staging-eu", true),
            ("{dev,staging}-*", "prod-eu", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("", "", true),
            ("", "x", false),
            ("[unclosed", "[unclosed", false),
        ];
        for (pattern, value, want) in cases {
            assert_eq!(matches(pattern, value), want, "{pattern:?} against {value:?}");
        }
    }

    #[test]
    fn exclusions_match_everything_else() {
        assert!(!matches_or_excludes("!prod-*", "prod-eu"));
        assert!(matches_or_excludes("!prod-*", "dev-eu"));
        assert!(is_exclusion("!x") && !is_exclusion("x"));
    }
}
