//! Loading: read files (through the guarded `read` module), parse each document and run the
//! checks; a file with any error contributes nothing.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use super::checks::{FileResult, validate_document};
use super::cross::{check_duplicates, check_references};
use super::document::read_document;
use super::limits::{DocumentCount, Limits};
use super::model::{ManifestError, ManifestSet};
use super::read;
use super::tree::{Node, Source, take_error_path};

/// The result of loading: the valid objects and every error.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Objects from files without errors.
    pub set: ManifestSet,
    /// All errors, in file order.
    pub errors: Vec<ManifestError>,
    /// Settings that are accepted but do not do what they say (e.g. a deprecated value AWS
    /// ignores), in file order.
    pub warnings: Vec<ManifestError>,
    /// Files read (labels), in order.
    pub files: Vec<String>,
}

impl Loaded {
    /// The set if there were no errors, else every error.
    ///
    /// # Errors
    /// [`crate::Error::Manifest`] when any file had an error.
    pub fn into_result(self) -> crate::Result<ManifestSet> {
        if self.errors.is_empty() {
            Ok(self.set)
        } else {
            Err(crate::Error::Manifest(self.errors))
        }
    }
}

/// Loads files and directories (`*.yaml`/`*.yml`, recursively, sorted; dot-files skipped)
/// under the default [`Limits`], each path confined to itself (a file to its directory).
#[must_use]
pub fn load(paths: &[PathBuf]) -> Loaded {
    load_with(paths, &Limits::default())
}

/// As [`load`], under `limits`.
#[must_use]
pub fn load_with(paths: &[PathBuf], limits: &Limits) -> Loaded {
    finish(read::read(None, paths, limits), limits)
}

/// As [`load_with`], with every path confined to `root` (e.g. a whole checkout, of which `paths`
/// is a part): nothing whose real path leaves `root` is read.
#[must_use]
pub fn load_within(root: &Path, paths: &[PathBuf], limits: &Limits) -> Loaded {
    finish(read::read(Some(root), paths, limits), limits)
}

/// Parses what was read; refusals of the reading come first.
fn finish(files: read::Files, limits: &Limits) -> Loaded {
    let mut loaded = load_sources_with(&files.sources, limits);
    let mut errors = files.errors;
    errors.iter_mut().for_each(read::clip);
    errors.append(&mut loaded.errors);
    loaded.errors = errors;
    loaded
}

/// Parses one file's text (`file_label` names it in errors).
///
/// # Errors
/// Every error found in the text.
pub fn load_str(file_label: &str, text: &str) -> Result<ManifestSet, Vec<ManifestError>> {
    let loaded = load_sources(&[(file_label.to_owned(), text.to_owned())]);
    if loaded.errors.is_empty() {
        Ok(loaded.set)
    } else {
        Err(loaded.errors)
    }
}

/// Parses several files given as `(label, text)` pairs and checks them together
/// (duplicates and references span files).
#[must_use]
pub fn load_sources(sources: &[(String, String)]) -> Loaded {
    load_sources_with(sources, &Limits::default())
}

/// As [`load_sources`], under `limits` (of which the byte and file limits concern reading and
/// are not checked here).
#[must_use]
pub fn load_sources_with(sources: &[(String, String)], limits: &Limits) -> Loaded {
    let mut documents = DocumentCount::new(limits);
    let mut files: Vec<FileResult> = sources
        .iter()
        .map(|(label, text)| parse_file(label, text, limits, &mut documents))
        .collect();
    check_duplicates(&mut files);
    check_references(&mut files);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut resources = Vec::new();
    let mut accounts = Vec::new();
    for mut file in files {
        warnings.append(&mut file.warnings);
        if file.errors.is_empty() {
            resources.extend(file.resources.into_iter().map(|(r, _)| r));
            accounts.extend(file.accounts.into_iter().map(|(a, _)| a));
        } else {
            errors.extend(file.errors);
        }
    }
    errors.iter_mut().for_each(read::clip);
    Loaded {
        set: ManifestSet::new(resources).with_accounts(accounts),
        errors,
        warnings,
        files: sources.iter().map(|(label, _)| label.clone()).collect(),
    }
}

fn parse_file(
    label: &str,
    text: &str,
    limits: &Limits,
    documents: &mut DocumentCount,
) -> FileResult {
    let mut result = FileResult {
        label: label.to_owned(),
        resources: Vec::new(),
        defined: Vec::new(),
        accounts: Vec::new(),
        defined_accounts: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let source = Source::new(text);
    let mut reader = Cursor::new(text.as_bytes());
    for (index, item) in
        serde_saphyr::read_with_options::<_, Node>(&mut reader, limits.yaml_options()).enumerate()
    {
        if let Err(message) = documents.admit(index) {
            // The file is refused as a whole: the errors of its documents would only bury why.
            result.errors.clear();
            result.resources.clear();
            result.errors.push(ManifestError {
                file: label.to_owned(),
                line: 0,
                column: 0,
                field: None,
                message,
            });
            break;
        }
        match item {
            Ok(mut root) => {
                root.fill_text(&source);
                validate_document(label, read_document(&root), &mut result);
            }
            Err(e) => {
                let field = Some(take_error_path()).filter(|p| !p.is_empty());
                result.errors.push(yaml_error(label, &e, field));
            }
        }
    }
    result
}

fn yaml_error(label: &str, e: &serde_saphyr::Error, field: Option<String>) -> ManifestError {
    let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
    let mut message = e.without_snippet().to_string();
    // The plain rendering repeats the location; it is already in the structured fields.
    let suffix = format!(" at line {line}, column {column}");
    if let Some(stripped) = message.strip_suffix(&suffix) {
        message = stripped.to_owned();
    }
    ManifestError {
        file: label.to_owned(),
        line,
        column,
        field,
        message,
    }
}
