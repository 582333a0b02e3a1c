//! The directory source with a real file watcher.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::time::Duration;

use finfocus_ecs_controller::source::{DirSource, DirSourceOptions};
use runtime_support::TempDir;

#[tokio::test]
async fn a_file_change_produces_one_new_snapshot() {
    let dir = TempDir::new("dir-src");
    std::fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap();
    let mut opts = DirSourceOptions::new(dir.path().to_path_buf());
    opts.debounce = Duration::from_millis(100);
    let mut rx = DirSource::new(opts).spawn().unwrap();
    {
        let state = rx.borrow_and_update();
        assert_eq!(state.generation, 1, "a first snapshot is published at once");
        let snapshot = state.snapshot.as_ref().unwrap();
        assert!(snapshot.is_live());
        assert_eq!(snapshot.revision, None);
        assert_eq!(snapshot.root, dir.path());
    }

    // Reading the manifests (as the loop does) is not a change.
    let _ = std::fs::read_to_string(dir.path().join("a.yaml")).unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(600), rx.changed())
            .await
            .is_err(),
        "a read must not publish a snapshot"
    );

    // A burst of writes becomes one snapshot after the debounce.
    std::fs::write(dir.path().join("a.yaml"), "a: 2\n").unwrap();
    std::fs::write(dir.path().join("b.yaml"), "b: 1\n").unwrap();
    tokio::time::timeout(Duration::from_secs(10), rx.changed())
        .await
        .expect("a change is seen within 10s")
        .unwrap();
    assert_eq!(rx.borrow_and_update().generation, 2);

    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub").join("c.yaml"), "c: 1\n").unwrap();
    tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|s| s.generation >= 3))
        .await
        .expect("a change in a new sub-directory is seen within 10s")
        .unwrap();
}

#[tokio::test]
async fn a_missing_directory_is_an_error() {
    let dir = TempDir::new("dir-missing");
    let opts = DirSourceOptions::new(dir.path().join("absent"));
    assert!(DirSource::new(opts).spawn().is_err());
}
