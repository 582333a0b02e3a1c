//! Where events go (`--notify URL`) and what each target is sent: signed JSON for webhooks, a
//! Block Kit message for Slack incoming webhooks. Pure: building requests, not sending them.

use axum::http::Uri;
use serde_json::{Value, json};

use super::event::Event;

/// The header carrying a JSON event's signature.
pub const SIGNATURE_HEADER: &str = "x-finfocus-signature";
/// The header naming a JSON event.
pub const EVENT_HEADER: &str = "x-finfocus-event";

/// What kind of receiver a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// Signed JSON events.
    Webhook,
    /// A Slack incoming webhook.
    Slack,
}

/// One `--notify` target.
#[derive(Clone)]
pub struct Target {
    /// Its kind.
    pub kind: TargetKind,
    /// The URL events are posted to (a secret for Slack: never logged).
    pub url: Uri,
    /// `kind/host[:port]`: what logs and metrics name it by.
    pub label: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("kind", &self.kind)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// Whether `host` is this machine (plain `http://` is accepted only there).
#[must_use]
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Parses an `http(s)://` URL, refusing plain HTTP beyond loopback. `what` names it in errors.
///
/// # Errors
/// A message naming what is wrong (never the URL itself, which may hold a secret).
pub fn parse_endpoint(text: &str, what: &str) -> Result<Uri, String> {
    let uri: Uri = text
        .parse()
        .map_err(|e| format!("{what}: not a URL ({e})"))?;
    let host = uri
        .host()
        .ok_or_else(|| format!("{what}: the URL has no host"))?;
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if is_loopback(host) => Ok(uri),
        Some("http") => Err(format!(
            "{what}: plain http:// is accepted only for loopback; use https://"
        )),
        _ => Err(format!("{what}: the URL must start with https://")),
    }
}

impl Target {
    /// Parses one `--notify` value: `https://...` (signed JSON), `slack+https://...` (Slack),
    /// `http://` and `slack+http://` on loopback only.
    ///
    /// # Errors
    /// A message naming what is wrong, without the URL (a Slack URL is a credential).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (kind, rest) = match text.strip_prefix("slack+") {
            Some(rest) => (TargetKind::Slack, rest),
            None => (TargetKind::Webhook, text),
        };
        let url = parse_endpoint(rest, "--notify")?;
        let name = match kind {
            TargetKind::Webhook => "webhook",
            TargetKind::Slack => "slack",
        };
        let label = format!(
            "{name}/{}",
            url.authority()
                .map_or("", |a| a.as_str().rsplit('@').next().unwrap_or_default())
        );
        Ok(Self { kind, url, label })
    }

    /// The body this target is sent for `event`.
    #[must_use]
    pub fn body(&self, event: &Event, instance: &str) -> Vec<u8> {
        let value = match self.kind {
            TargetKind::Webhook => webhook_json(event, instance),
            TargetKind::Slack => slack_message(event, instance),
        };
        serde_json::to_vec(&value).unwrap_or_default()
    }
}

/// The JSON a webhook receives: the event, and which controller sent it.
fn webhook_json(event: &Event, instance: &str) -> Value {
    let mut value = serde_json::to_value(event).unwrap_or(Value::Null);
    if let Some(object) = value.as_object_mut() {
        object.insert("instance".into(), Value::String(instance.to_owned()));
    }
    value
}

/// Slack's limits on the blocks used (Block Kit reference): a header's text, a section's text.
const HEADER_MAX: usize = 150;
const SECTION_MAX: usize = 3000;
/// Changes listed in a message; the rest are counted.
const CHANGES_SHOWN: usize = 10;

/// Text that Slack's `mrkdwn` shows as written: `&`, `<` and `>` escaped as Slack asks.
fn mrkdwn_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// At most `max` characters, ending in an ellipsis when cut.
#[must_use]
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn show(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "(unset)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A Slack message: a header, what happened, what changed, and where.
fn slack_message(event: &Event, instance: &str) -> Value {
    let subject = event.resource.as_deref().unwrap_or("manifests");
    let title = clip(&format!("{}: {subject}", event.event.as_str()), HEADER_MAX);
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": title}}),
        json!({"type": "section", "text": {"type": "mrkdwn",
            "text": clip(&mrkdwn_escape(&event.message), SECTION_MAX)}}),
    ];
    if !event.changes.is_empty() {
        let mut lines: Vec<String> = event
            .changes
            .iter()
            .take(CHANGES_SHOWN)
            .map(|c| {
                mrkdwn_escape(&format!(
                    "• `{}` ({}): {} → {}",
                    c.path,
                    c.action,
                    show(c.actual.as_ref()),
                    show(c.desired.as_ref())
                ))
            })
            .collect();
        let more = event.changes.len().saturating_sub(CHANGES_SHOWN);
        if more > 0 {
            lines.push(format!("and {more} more"));
        }
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": clip(&format!("*Changes*\n{}", lines.join("\n")), SECTION_MAX)}}));
    }
    let mut context = format!("finfocus-ecs/{instance}");
    if let Some(revision) = &event.revision {
        context.push_str(&format!(" · revision {}", short(revision)));
    }
    if let Some(reason) = &event.reason {
        context.push_str(&format!(" · {reason}"));
    }
    blocks.push(json!({"type": "context", "elements": [
        {"type": "mrkdwn", "text": mrkdwn_escape(&context)}]}));
    json!({
        // What notifications and clients without blocks show.
        "text": clip(&format!("{title}: {}", event.message), SECTION_MAX),
        "blocks": blocks,
    })
}

/// A commit id as people write it.
fn short(revision: &str) -> &str {
    revision.get(..12).unwrap_or(revision)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;
    use crate::notify::event::EventKind;
    use crate::report::ChangeReport;

    fn event() -> Event {
        Event {
            event: EventKind::Applied,
            revision: Some("0123456789abcdef0123456789abcdef01234567".into()),
            resource: Some("EcsService/web".into()),
            message: "applied service.desiredCount <b>".into(),
            changes: vec![ChangeReport {
                path: "service.desiredCount".into(),
                desired: Some(json!(3)),
                actual: Some(json!(1)),
                action: "update".into(),
            }],
            reason: Some("Applied".into()),
            time: "2026-12-06T00:00:00Z".into(),
        }
    }

    #[test]
    fn targets_parse_by_scheme_and_plain_http_only_on_loopback() {
        let slack = Target::parse("slack+https://hooks.slack.com/services/T/B/secret").unwrap();
        assert_eq!(slack.kind, TargetKind::Slack);
        assert_eq!(
            slack.url.to_string(),
            "https://hooks.slack.com/services/T/B/secret"
        );
        assert_eq!(slack.label, "slack/hooks.slack.com");
        assert!(!format!("{slack:?}").contains("secret"));
        let hook = Target::parse("https://user:pw@example.com:8443/in").unwrap();
        assert_eq!(hook.kind, TargetKind::Webhook);
        assert_eq!(hook.label, "webhook/example.com:8443");
        assert!(Target::parse("http://127.0.0.1:9/x").is_ok());
        assert!(Target::parse("http://[::1]:9/x").is_ok());
        assert!(Target::parse("slack+http://localhost:9/x").is_ok());
        for (bad, needle) in [
            ("http://example.com/x", "loopback"),
            ("ftp://example.com/x", "https://"),
            ("not a url", "not a URL"),
            ("/relative", "no host"),
        ] {
            let err = Target::parse(bad).unwrap_err();
            assert!(err.contains(needle), "{bad}: {err}");
            assert!(err.starts_with("--notify"), "{err}");
        }
    }

    #[test]
    fn a_webhook_gets_the_event_and_the_instance() {
        let target = Target::parse("https://example.com/in").unwrap();
        let body: Value = serde_json::from_slice(&target.body(&event(), "prod")).unwrap();
        assert_eq!(body["event"], "Applied");
        assert_eq!(body["resource"], "EcsService/web");
        assert_eq!(body["changes"][0]["path"], "service.desiredCount");
        assert_eq!(body["instance"], "prod");
        for key in ["revision", "message", "reason", "time"] {
            assert!(body.get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn a_slack_message_is_block_kit_within_its_limits() {
        let target = Target::parse("slack+https://hooks.slack.com/services/x").unwrap();
        let mut long = event();
        long.resource = Some("x".repeat(400));
        for e in [event(), long] {
            let body: Value = serde_json::from_slice(&target.body(&e, "prod")).unwrap();
            let blocks = body["blocks"].as_array().unwrap();
            assert_eq!(blocks[0]["type"], "header");
            let header = blocks[0]["text"]["text"].as_str().unwrap();
            assert!(header.chars().count() <= HEADER_MAX, "{header}");
            assert!(body["text"].as_str().unwrap().starts_with("Applied: "));
        }
        let body: Value = serde_json::from_slice(&target.body(&event(), "prod")).unwrap();
        let text = body.to_string();
        assert!(text.contains("&lt;b&gt;"), "mrkdwn is escaped: {text}");
        assert!(
            text.contains("`service.desiredCount` (update): 1 → 3"),
            "{text}"
        );
        assert!(text.contains("revision 0123456789ab"), "{text}");
    }
}
