//! Flags for the limits on what manifests may make the controller read and parse (shared by
//! every verb that loads manifests).

use clap::Args;
use clap::builder::TypedValueParser as _;

use crate::manifest::Limits;
use crate::source::GitSourceOptions;

/// Limits on manifest input, each with a flag for the rare set of manifests that needs more.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest manifest file (bytes; K, M, G or KiB, MiB, GiB suffixes are powers of 1024).
    #[arg(long, global = true, value_name = "SIZE", default_value = "4MiB", value_parser = parse_size)]
    pub max_file_bytes: u64,
    /// Largest total size of all manifest files of one revision.
    #[arg(long, global = true, value_name = "SIZE", default_value = "16MiB", value_parser = parse_size)]
    pub max_revision_bytes: u64,
    /// Most manifest files and directories in one revision.
    #[arg(long, global = true, value_name = "N", default_value_t = Limits::default().max_files, value_parser = parse_count)]
    pub max_files: usize,
    /// Most YAML documents in one manifest file.
    #[arg(long, global = true, value_name = "N", default_value_t = Limits::default().max_documents_per_file, value_parser = parse_count)]
    pub max_documents_per_file: usize,
    /// Most YAML documents in one revision.
    #[arg(long, global = true, value_name = "N", default_value_t = Limits::default().max_documents, value_parser = parse_count)]
    pub max_documents: usize,
    /// Deepest nesting of mappings and sequences in a manifest document.
    #[arg(long, global = true, value_name = "N", default_value_t = Limits::default().max_depth,
          value_parser = clap::value_parser!(u16).range(1..=1000).map(usize::from))]
    pub max_depth: usize,
}

impl LimitArgs {
    /// The limits these flags describe.
    #[must_use]
    pub fn limits(&self) -> Limits {
        Limits {
            max_file_bytes: self.max_file_bytes,
            max_total_bytes: self.max_revision_bytes,
            max_files: self.max_files,
            max_documents_per_file: self.max_documents_per_file,
            max_documents: self.max_documents,
            max_depth: self.max_depth,
        }
    }
}

/// Limits on what a git source may fetch and check out (`run --git`).
#[derive(Debug, Clone, Args)]
pub struct GitLimitArgs {
    /// Most bytes one fetch may add to the local repository (the fetch is stopped beyond).
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = parse_size, requires = "git")]
    pub git_max_fetch_bytes: u64,
    /// Most bytes under the manifests path of one commit (checked before checking it out).
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size, requires = "git")]
    pub git_max_checkout_bytes: u64,
    /// Most files under the manifests path of one commit.
    #[arg(long, value_name = "N", default_value_t = 10_000, requires = "git", value_parser = parse_count)]
    pub git_max_checkout_files: usize,
}

impl GitLimitArgs {
    /// Sets these limits on git source options.
    pub fn apply(&self, opts: &mut GitSourceOptions) {
        opts.max_fetch_bytes = self.git_max_fetch_bytes;
        opts.max_checkout_bytes = self.git_max_checkout_bytes;
        opts.max_checkout_files = self.git_max_checkout_files;
    }
}

/// Parses a count of at least one.
///
/// # Errors
/// A message naming what is wrong.
pub fn parse_count(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("a limit of zero would refuse every manifest".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number")),
    }
}

/// Parses a size in bytes: `4194304`, `512K`, `4MiB`, `1G`. Zero is refused: nothing could load.
///
/// # Errors
/// A message naming what is wrong.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: write e.g. 4MiB, 512K or 1048576"))?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "K" | "KiB" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit `{other}`: use K, M, G (or KiB, MiB, GiB)"
            ));
        }
    };
    match number.checked_mul(factor) {
        Some(0) => Err("a size of zero would refuse every manifest".to_owned()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("`{text}` is too large")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("4MiB"), Ok(4 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("4MB").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }

    #[test]
    fn counts_are_positive_whole_numbers() {
        assert_eq!(parse_count("10"), Ok(10));
        assert!(parse_count("0").is_err());
        assert!(parse_count("-1").is_err());
        assert!(parse_count("1.5").is_err());
    }
}
