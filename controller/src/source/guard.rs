//! Hardening of the git source: settings that could be read by git as options are refused, the
//! controller's work directories are private to its user, and the size of what a fetch writes is
//! measured so it can be bounded.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::Path;

use super::{SecretUrl, SourceError};

/// Refuses a ref that git could read as an option or that is no plain ref name.
///
/// Beyond the leading `-`, characters that would change the meaning of the refspec it is put into
/// (`:` a second destination, `^`/`~` revision arithmetic, globs, whitespace and control
/// characters) are refused too; git's own ref-name rules reject them anyway.
///
/// # Errors
/// [`SourceError::InvalidRef`] naming the rule broken.
pub(crate) fn check_ref(reference: &str) -> Result<(), SourceError> {
    let bad = |why| Err(SourceError::InvalidRef(reference.to_owned(), why));
    if reference.is_empty() {
        return bad("it is empty");
    }
    if reference.starts_with('-') {
        return bad("it must not start with `-`");
    }
    if reference.starts_with('+') {
        return bad("it must not start with `+`");
    }
    if reference.chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, ':' | '^' | '~' | '?' | '*' | '[' | '\\')
    }) {
        return bad("it may not contain whitespace, control characters or any of : ^ ~ ? * [ \\");
    }
    if reference.contains("..") || reference.contains("@{") {
        return bad("it may not contain `..` or `@{`");
    }
    Ok(())
}

/// Refuses a URL that git could read as an option.
///
/// # Errors
/// [`SourceError::InvalidUrl`] (with the URL redacted).
pub(crate) fn check_url(url: &SecretUrl) -> Result<(), SourceError> {
    if url.expose().trim_start().starts_with('-') {
        return Err(SourceError::InvalidUrl(url.redacted()));
    }
    Ok(())
}

/// Creates `dir` (and missing parents) and makes it readable by the controller's user only:
/// checkouts hold the repository's content, which other local users need not see.
///
/// A `dir` that exists already must be a real directory (no symbolic link) owned by the
/// controller's user that no other user could write into: otherwise someone else may have
/// planted a repository, hooks or configuration in it that git would act on as this user.
///
/// # Errors
/// [`SourceError::Untrusted`] for such a directory; creating it or setting its mode failing.
pub(crate) fn private_dir(dir: &Path) -> Result<(), SourceError> {
    if let Some(meta) = existing(dir)? {
        trusted(dir, &meta)?;
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| SourceError::io("create", dir, e))?;
    // A directory that appeared between the check and `create` is checked as well.
    let meta = std::fs::symlink_metadata(dir).map_err(|e| SourceError::io("inspect", dir, e))?;
    trusted(dir, &meta)?;
    // An existing directory keeps its mode on `create`: set it explicitly.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| SourceError::io("restrict", dir, e))
}

/// Refuses an existing `path` (file or directory) that another user owns or could write to, or
/// that is a symbolic link; does nothing when it does not exist.
///
/// # Errors
/// [`SourceError::Untrusted`] naming the reason.
pub(crate) fn check_trusted(path: &Path) -> Result<(), SourceError> {
    match existing(path)? {
        Some(meta) => trusted(path, &meta),
        None => Ok(()),
    }
}

/// Creates a new directory under `parent` with a random name, mode 0700, never reusing one that
/// exists (the `mkdtemp` way): a name another user could predict and create first is no use.
///
/// # Errors
/// Creating the directory failing (after a few attempts at names already taken).
pub fn fresh_private_dir(parent: &Path, prefix: &str) -> Result<std::path::PathBuf, SourceError> {
    let mut last = None;
    for _ in 0..8 {
        let dir = parent.join(format!("{prefix}{}", uuid::Uuid::new_v4().simple()));
        // Not recursive: `create` fails when the name exists, whoever made it.
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some((dir, e)),
            Err(e) => return Err(SourceError::io("create", &dir, e)),
        }
    }
    let (dir, e) = last.unwrap_or_else(|| (parent.to_path_buf(), std::io::Error::other("no name")));
    Err(SourceError::io("create", &dir, e))
}

fn existing(path: &Path) -> Result<Option<std::fs::Metadata>, SourceError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SourceError::io("inspect", path, e)),
    }
}

fn trusted(path: &Path, meta: &std::fs::Metadata) -> Result<(), SourceError> {
    let untrusted = |why: &'static str| {
        Err(SourceError::Untrusted {
            path: path.display().to_string(),
            why,
        })
    };
    if meta.file_type().is_symlink() {
        return untrusted("it is a symbolic link");
    }
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return untrusted("another user owns it");
    }
    if meta.mode() & 0o022 != 0 {
        return untrusted("other users can write to it");
    }
    Ok(())
}

/// Bytes of the regular files under `dir` (symbolic links are not followed).
#[must_use]
pub(crate) fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                pending.push(entry.path());
            } else if meta.is_file() {
                total += meta.len();
            }
        }
    }
    total
}

/// `bytes` in the largest binary unit that keeps it whole enough to read (`64 MiB`).
#[must_use]
pub(crate) fn human(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{} {unit}", bytes / size);
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn refs_that_could_be_options_or_refspecs_are_refused() {
        for good in ["main", "HEAD", "release/1.2", "refs/heads/main", "v1.0.0"] {
            assert!(check_ref(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-q",
            "--upload-pack=touch /tmp/x",
            "+main",
            "main:refs/heads/x",
            "main^",
            "a b",
            "a\nb",
            "a..b",
            "main@{1}",
        ] {
            assert!(
                matches!(check_ref(bad), Err(SourceError::InvalidRef(..))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn urls_starting_with_a_dash_are_refused_without_showing_credentials() {
        assert!(check_url(&SecretUrl::new("https://example.com/r.git")).is_ok());
        let err = check_url(&SecretUrl::new("--upload-pack=x://u:s3cr3t@h/r")).unwrap_err();
        assert!(matches!(err, SourceError::InvalidUrl(_)));
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    }

    #[test]
    fn private_dirs_are_mode_0700_even_when_they_existed() {
        let base = std::env::temp_dir().join(format!("guard-test-{}", std::process::id()));
        let dir = base.join("a/b");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        std::fs::write(dir.join("f"), [0u8; 10]).unwrap();
        assert_eq!(dir_size(&base), 10);
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn sizes_are_shown_in_binary_units() {
        assert_eq!(human(64 << 20), "64 MiB");
        assert_eq!(human(1 << 30), "1 GiB");
        assert_eq!(human(1000), "1000 bytes");
    }
}
