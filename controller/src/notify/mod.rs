//! Outcomes back to people: events to webhooks and Slack (`--notify`), commit statuses to GitHub
//! (`--github-status`).
//!
//! The notifier reads the reports the loop publishes and nothing else, so it can never slow or
//! fail a pass: [`event`] turns each report into the events and the commit status not announced
//! yet, [`target`] and [`github`] build the requests, and [`send`] posts them, one queue per
//! target, retrying with backoff.
//!
//! # Once
//! What was announced is a [`event::Ledger`]. With a lease table it is kept there, beside the
//! lease (item `<lease name>#notifications`): only the leader publishes reports, and before it
//! announces anything it re-reads the ledger and writes the new one under a version condition,
//! so a restart or a new leader does not announce the same thing again, and two writers never
//! both win. Without a lease table the ledger lives in memory. The ledger is written before the
//! messages are posted: a crash between the two loses those messages rather than repeating them.

pub mod event;
pub mod github;
pub mod send;
pub mod target;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;

use crate::lease::Store;
use crate::metrics::Metrics;
use crate::report::DriftReport;
use crate::runtime::{ReportReceiver, Shutdown};
use event::{CommitStatus, Event, Ledger, Tracker};
use github::GitHub;
use send::{Courier, HttpClient, Message, RetryPolicy};
use target::{EVENT_HEADER, SIGNATURE_HEADER, Target, TargetKind};

/// The ledger's item suffix in the lease table.
const LEDGER: &str = "notifications";
/// The metrics and logs name of the GitHub target.
fn github_label(github: &GitHub) -> String {
    let host = github
        .api
        .split_once("://")
        .map_or(github.api.as_str(), |(_, rest)| rest);
    format!("github/{}", host.split('/').next().unwrap_or_default())
}

/// Everything the notifier needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The controller instance (in payloads and the status context).
    pub instance: String,
    /// `--notify` targets.
    pub targets: Vec<Target>,
    /// `FINFOCUS_NOTIFY_SECRET`, which signs JSON events.
    pub secret: Option<Arc<[u8]>>,
    /// `--github-status`.
    pub github: Option<GitHub>,
    /// The lease table, where the ledger is kept.
    pub store: Option<Store>,
    /// How posts are retried.
    pub retry: RetryPolicy,
}

impl Config {
    /// Whether anything is to be notified.
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        !self.targets.is_empty() || self.github.is_some()
    }
}

struct Couriers {
    targets: Vec<(Target, Courier)>,
    github: Option<(GitHub, Courier)>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Announces what each new report shows until `shutdown`, then gives queued messages a few
/// seconds to go out.
pub async fn run(
    config: Config,
    client: HttpClient,
    reports: ReportReceiver,
    metrics: Arc<Metrics>,
    mut shutdown: Shutdown,
) {
    let mut tasks = Vec::new();
    let mut spawn = |label: String| {
        let (courier, task) =
            Courier::spawn(label, client.clone(), config.retry, Arc::clone(&metrics));
        tasks.push(task);
        courier
    };
    let targets = config
        .targets
        .iter()
        .map(|t| (t.clone(), spawn(t.label.clone())))
        .collect();
    let github = config
        .github
        .as_ref()
        .map(|g| (g.clone(), spawn(github_label(g))));
    let couriers = Couriers {
        targets,
        github,
        tasks,
    };
    let (mut inbox, forwarder) = inbox(reports);
    let mut tracker = Tracker::default();
    loop {
        let view = tokio::select! {
            biased;
            () = shutdown.wait() => break,
            view = inbox.recv() => match view {
                Some(view) => view,
                None => break,
            },
        };
        let Some(report) = view.drift() else {
            continue;
        };
        if let Some((events, status)) = announce(&config, &mut tracker, report).await {
            couriers.post(&config, events, status);
        }
    }
    forwarder.abort();
    let Couriers {
        targets,
        github,
        tasks,
    } = couriers;
    // Closing the queues lets each courier finish what it holds, all within one grace period:
    // a receiver that hangs must not hold the others' time or the controller's exit.
    drop((targets, github));
    if tokio::time::timeout(SHUTDOWN_GRACE, futures::future::join_all(tasks))
        .await
        .is_err()
    {
        tracing::warn!("notifications still queued at shutdown were dropped");
    }
}

/// How long queued messages may take to go out once the controller stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Reports waiting to be announced, in the order they were published.
const INBOX: usize = 64;

/// Every report the loop publishes, queued. Announcing one can wait on the lease table; reading
/// the watch only between announcements would skip a report published meanwhile, and a
/// resource seen `Applying` only there would never be announced `Applied`. A full inbox (the
/// notifier far behind) falls back to the newest report, as the watch does.
fn inbox(
    mut reports: ReportReceiver,
) -> (
    tokio::sync::mpsc::Receiver<Arc<dyn crate::runtime::ReportView>>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(INBOX);
    let forwarder = tokio::spawn(async move {
        while reports.changed().await.is_ok() {
            let view = reports.borrow_and_update().clone();
            if let Some(view) = view
                && tx.send(view).await.is_err()
            {
                break;
            }
        }
    });
    (rx, forwarder)
}

/// What `report` newly shows, recorded as announced (in the lease table when there is one);
/// `None` when nothing is to be sent now.
async fn announce(
    config: &Config,
    tracker: &mut Tracker,
    report: &DriftReport,
) -> Option<(Vec<Event>, Option<CommitStatus>)> {
    let judge = |tracker: &mut Tracker| {
        // Tracked even without a target, so enabling one later does not replay the past.
        let mut events = tracker.events(report);
        if config.targets.is_empty() {
            events.clear();
        }
        let status = config
            .github
            .as_ref()
            .and_then(|_| tracker.commit_status(report));
        (events, status)
    };
    let mut next = tracker.clone();
    let (events, status) = judge(&mut next);
    let Some(store) = &config.store else {
        *tracker = next;
        return (!events.is_empty() || status.is_some()).then_some((events, status));
    };
    if events.is_empty() && status.is_none() && next.ledger == tracker.ledger {
        *tracker = next;
        return None;
    }
    // Another replica may have announced since this one last looked: judge from the table's ledger.
    let stored = match store.read_document(LEDGER).await {
        Ok(doc) => doc,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the notification ledger; trying again next pass");
            return None;
        }
    };
    let (ledger, version) = match &stored {
        Some(doc) => match serde_json::from_str::<Ledger>(&doc.body) {
            Ok(ledger) => (ledger, Some(doc.version)),
            Err(err) => {
                tracing::warn!(error = %err, "the notification ledger is unreadable; starting a new one");
                (Ledger::default(), Some(doc.version))
            }
        },
        None => (Ledger::default(), None),
    };
    let mut next = tracker.clone();
    next.ledger = ledger;
    let (events, status) = judge(&mut next);
    let body = serde_json::to_string(&next.ledger).unwrap_or_default();
    match store.write_document(LEDGER, &body, version).await {
        Ok(true) => {
            *tracker = next;
            (!events.is_empty() || status.is_some()).then_some((events, status))
        }
        Ok(false) => {
            tracing::info!(
                "another replica updated the notification ledger; judging again next pass"
            );
            None
        }
        Err(err) => {
            tracing::warn!(error = %err, "cannot write the notification ledger; trying again next pass");
            None
        }
    }
}

impl Couriers {
    fn post(&self, config: &Config, events: Vec<Event>, status: Option<CommitStatus>) {
        for event in &events {
            let what = format!(
                "{} {}",
                event.event.as_str(),
                event.resource.as_deref().unwrap_or("source")
            );
            for (target, courier) in &self.targets {
                let body = target.body(event, &config.instance);
                let mut headers = vec![(EVENT_HEADER, event.event.as_str().to_owned())];
                if target.kind == TargetKind::Webhook
                    && let Some(secret) = &config.secret
                {
                    headers.push((
                        SIGNATURE_HEADER,
                        crate::hooks::github_signature(&body, secret),
                    ));
                }
                courier.post(Message {
                    url: target.url.clone(),
                    headers,
                    body: Bytes::from(body),
                    what: what.clone(),
                });
            }
        }
        if let (Some(status), Some((github, courier))) = (status, &self.github) {
            let (url, body) = github.request(&status);
            let Ok(url) = url.parse() else {
                tracing::warn!(sha = %status.sha, "cannot form the commit status URL");
                return;
            };
            courier.post(Message {
                url,
                headers: vec![
                    ("accept", "application/vnd.github+json".to_owned()),
                    ("authorization", format!("Bearer {}", github.token)),
                    ("x-github-api-version", github::API_VERSION.to_owned()),
                ],
                body: Bytes::from(body),
                what: format!("status {} of {}", status.state.as_str(), status.sha),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::runtime::ReportView;

    struct Numbered(usize);

    impl ReportView for Numbered {
        fn json(&self) -> String {
            self.0.to_string()
        }
        fn text(&self) -> String {
            String::new()
        }
        fn markdown(&self) -> String {
            String::new()
        }
    }

    #[tokio::test]
    async fn the_inbox_keeps_every_report_published_while_the_notifier_is_busy() {
        let (tx, rx) = tokio::sync::watch::channel(None);
        let (mut inbox, forwarder) = super::inbox(rx);
        // The notifier reads nothing meanwhile (an announcement waiting on the lease table);
        // between two publications the loop runs a pass, which yields.
        for n in 1..=3 {
            tx.send_replace(Some(Arc::new(Numbered(n)) as Arc<dyn ReportView>));
            tokio::task::yield_now().await;
        }
        drop(tx);
        let mut seen = Vec::new();
        while let Some(view) = inbox.recv().await {
            seen.push(view.json());
        }
        assert_eq!(seen, ["1", "2", "3"]);
        assert!(
            forwarder.await.is_ok(),
            "the forwarder ends when the loop does"
        );
    }
}
