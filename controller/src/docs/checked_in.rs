//! Comparing a rendered page with its checked-in file, and rewriting the file on request.

use std::path::PathBuf;

/// Set to `1` to rewrite out-of-date pages instead of failing.
const BLESS: &str = "FINFOCUS_BLESS";

/// Fails unless the file at `path` (relative to the repository root) holds exactly `rendered`;
/// with `FINFOCUS_BLESS=1` it writes `rendered` there instead.
pub(super) fn assert_in_sync(path: &str, rendered: &str) {
    // The crate lives one level below the repository root.
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    let current = std::fs::read_to_string(&file).unwrap_or_default();
    if current == rendered {
        return;
    }
    if std::env::var(BLESS).as_deref() == Ok("1") {
        if let Err(e) = std::fs::write(&file, rendered) {
            panic!("cannot write {}: {e}", file.display());
        }
        return;
    }
    panic!(
        "{path} is out of date: run `{BLESS}=1 cargo test -p finfocus-ecs-controller --lib docs::` \
         to regenerate it, then review and commit the change"
    );
}
