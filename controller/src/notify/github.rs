//! GitHub commit statuses (`--github-status`): which repository, and the request that sets a
//! status (REST API "Create a commit status", `POST /repos/{owner}/{repo}/statuses/{sha}`).
//! Pure: the request is sent by [`super::send`].

use serde_json::json;

use super::event::CommitStatus;
use super::target::clip;

/// The REST API version the requests are written for (GitHub's `X-GitHub-Api-Version`).
pub const API_VERSION: &str = "2022-11-28";
/// GitHub refuses longer descriptions.
const DESCRIPTION_MAX: usize = 140;

/// Where and how statuses are set.
#[derive(Clone)]
pub struct GitHub {
    /// The API root (`https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise).
    pub api: String,
    /// `owner/repo`.
    pub repo: String,
    /// The token (`FINFOCUS_GITHUB_TOKEN`); never logged.
    pub token: String,
    /// The status context (`finfocus-ecs/<instance>`).
    pub context: String,
    /// The page a status links to (`--external-url` + `/report`).
    pub target_url: Option<String>,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHub")
            .field("api", &self.api)
            .field("repo", &self.repo)
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl GitHub {
    /// The URL and JSON body that set `status`.
    #[must_use]
    pub fn request(&self, status: &CommitStatus) -> (String, Vec<u8>) {
        let url = format!(
            "{}/repos/{}/statuses/{}",
            self.api.trim_end_matches('/'),
            self.repo,
            status.sha
        );
        let mut body = json!({
            "state": status.state.as_str(),
            "description": clip(&status.description, DESCRIPTION_MAX),
            "context": self.context,
        });
        if let Some(target) = &self.target_url {
            body["target_url"] = json!(target);
        }
        (url, serde_json::to_vec(&body).unwrap_or_default())
    }
}

/// Whether `repo` is written `owner/repo` with GitHub's characters.
#[must_use]
pub fn valid_repo(repo: &str) -> bool {
    let mut parts = repo.split('/');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p.len() <= 100
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// `owner/repo` of a github.com git URL (`https://[user@]github.com/o/r[.git]`,
/// `git@github.com:o/r.git`, `ssh://git@github.com/o/r`); `None` for anything else.
#[must_use]
pub fn repo_of_git_url(url: &str) -> Option<String> {
    let rest = if let Some(rest) = url.strip_prefix("git@github.com:") {
        rest
    } else {
        let (_, after_scheme) = url.split_once("://")?;
        let (authority, path) = after_scheme.split_once('/')?;
        let host = authority.rsplit('@').next()?;
        if !host.eq_ignore_ascii_case("github.com") {
            return None;
        }
        path
    };
    let repo = rest.trim_end_matches('/');
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    valid_repo(repo).then(|| repo.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use serde_json::Value;

    use super::*;
    use crate::notify::event::CommitState;

    #[test]
    fn the_repository_comes_from_a_github_url() {
        for url in [
            "https://github.com/acme/deploy.git",
            "https://x-access-token:secret@github.com/acme/deploy",
            "git@github.com:acme/deploy.git",
            "ssh://git@github.com/acme/deploy.git",
        ] {
            assert_eq!(
                repo_of_git_url(url).as_deref(),
                Some("acme/deploy"),
                "{url}"
            );
        }
        for url in [
            "https://gitlab.com/acme/deploy.git",
            "https://github.com/acme",
            "https://github.com/acme/deploy/tree/main",
            "file:///srv/git/deploy",
        ] {
            assert_eq!(repo_of_git_url(url), None, "{url}");
        }
        assert!(valid_repo("a-b/c.d_e"));
        assert!(!valid_repo("a/b/c") && !valid_repo("a") && !valid_repo("a/b c"));
    }

    #[test]
    fn a_status_request_has_github_s_shape() {
        let github = GitHub {
            api: "https://ghe.example.com/api/v3/".into(),
            repo: "acme/deploy".into(),
            token: "t".into(),
            context: "finfocus-ecs/prod".into(),
            target_url: Some("https://ecs.example.com/report".into()),
        };
        let (url, body) = github.request(&CommitStatus {
            sha: "a".repeat(40),
            state: CommitState::Failure,
            description: "x".repeat(300),
        });
        assert_eq!(
            url,
            format!(
                "https://ghe.example.com/api/v3/repos/acme/deploy/statuses/{}",
                "a".repeat(40)
            )
        );
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["state"], "failure");
        assert_eq!(body["context"], "finfocus-ecs/prod");
        assert_eq!(body["target_url"], "https://ecs.example.com/report");
        assert_eq!(body["description"].as_str().unwrap().chars().count(), 140);
        assert!(!format!("{github:?}").contains("token: \"t\""));
    }
}
