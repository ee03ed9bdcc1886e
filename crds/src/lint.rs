//! `linnet lint`: offline checks of manifests on disk or on standard input.
//!
//! Reads multi-document YAML or JSON, checks every document of a kind linnet serves (types,
//! validation, unknown fields), ignores the rest, and reports findings like a compiler:
//! `file:document: path: level: message`. Files that cannot be read or parsed are findings too.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{API_VERSION, Finding, Kind, schema_check};

/// Files larger than this are refused rather than parsed (`--max-bytes` changes it).
pub const DEFAULT_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Where a finding was found: a file (or `-`) and the 1-based document in it (0: the whole file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub source: String,
    pub document: usize,
    pub finding: Finding,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.document == 0 {
            write!(f, "{}: {}", self.source, self.finding)
        } else {
            write!(f, "{}:{}: {}", self.source, self.document, self.finding)
        }
    }
}

/// What a lint run found.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Located>,
    /// Documents of linnet's kinds that were checked.
    pub checked: usize,
    /// Documents of other kinds, passed over.
    pub ignored: usize,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|l| l.finding.is_error())
    }

    pub fn count(&self, errors: bool) -> usize {
        self.findings
            .iter()
            .filter(|l| l.finding.is_error() == errors)
            .count()
    }
}

/// Lints every path: `-` is standard input, a directory is searched for `.yaml`, `.yml` and
/// `.json` files (sorted, recursively), anything else is read as a file.
pub fn lint_paths(paths: &[PathBuf], max_bytes: u64) -> Report {
    let mut report = Report::default();
    for path in paths {
        if path.as_os_str() == "-" {
            let text = read_limited(std::io::stdin().lock(), max_bytes);
            lint_read("-", text, &mut report);
        } else if path.is_dir() {
            match manifest_files(path) {
                Ok(files) => {
                    for file in files {
                        lint_file(&file, max_bytes, &mut report);
                    }
                }
                Err(e) => report_file_error(&mut report, &path.display().to_string(), e),
            }
        } else {
            lint_file(path, max_bytes, &mut report);
        }
    }
    report
}

/// Lints one text, as if read from `source`.
pub fn lint_text(source: &str, text: &str, report: &mut Report) {
    let docs = match parse_documents(text) {
        Ok(docs) => docs,
        Err(message) => return report_file_error(report, source, message),
    };
    for (i, doc) in docs.iter().enumerate() {
        for item in list_items(doc) {
            match lint_document(item) {
                Some(findings) => {
                    report.checked += 1;
                    report
                        .findings
                        .extend(findings.into_iter().map(|finding| Located {
                            source: source.to_string(),
                            document: i + 1,
                            finding,
                        }));
                }
                None => report.ignored += 1,
            }
        }
    }
}

/// Checks one document: `None` when it is not of a kind linnet serves.
pub fn lint_document(doc: &Value) -> Option<Vec<Finding>> {
    if doc.get("apiVersion").and_then(Value::as_str) != Some(API_VERSION) {
        return None;
    }
    let kind = Kind::from_name(doc.get("kind").and_then(Value::as_str)?)?;
    let mut findings = kind.check(doc);
    findings.extend(schema_check::unknown_fields(kind, doc));
    Some(findings)
}

/// Parses a multi-document YAML (or JSON) stream. Empty documents are dropped. The parser's
/// budgets (nesting, aliases, events) stop alias bombs with an error instead of a hang.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(text).map_err(|e| format!("not valid YAML or JSON: {e}"))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// The items of a `kind: List` document, or the document itself.
fn list_items(doc: &Value) -> Vec<&Value> {
    let is_list = doc.get("kind").and_then(Value::as_str) == Some("List");
    match doc.get("items").and_then(Value::as_array) {
        Some(items) if is_list => items.iter().collect(),
        _ => vec![doc],
    }
}

fn lint_file(path: &Path, max_bytes: u64, report: &mut Report) {
    let source = path.display().to_string();
    let text = std::fs::File::open(path)
        .map_err(|e| format!("cannot read: {e}"))
        .and_then(|file| read_limited(file, max_bytes));
    lint_read(&source, text, report);
}

fn lint_read(source: &str, text: Result<String, String>, report: &mut Report) {
    match text {
        Ok(text) => lint_text(source, &text, report),
        Err(message) => report_file_error(report, source, message),
    }
}

/// Reads at most `max_bytes`; a larger input is refused without reading the rest.
fn read_limited(reader: impl Read, max_bytes: u64) -> Result<String, String> {
    let mut bytes = Vec::new();
    reader
        .take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > max_bytes {
        return Err(format!(
            "larger than the {max_bytes}-byte limit (raise it with --max-bytes)"
        ));
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))
}

fn manifest_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
            // Symlinked directories are not followed: a link to a parent would never end.
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            let path = entry.path();
            if is_dir {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn report_file_error(report: &mut Report, source: &str, message: String) {
    report.findings.push(Located {
        source: source.to_string(),
        document: 0,
        finding: Finding::error("", message),
    });
}
