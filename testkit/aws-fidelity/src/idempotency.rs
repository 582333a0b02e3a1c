//! Remembers the first request and answer of each idempotency token, so that a create sent again
//! (a retry after a lost answer, a process restarted after a crash) is answered the way AWS
//! answers it: with what the first request created, not by running it twice. The rules (which
//! field, which refusal, their sources) are in [`crate::rules::idempotency`].
//!
//! A replay describes the created resource as it is now (AWS answers the resource, not a copy of
//! the old answer). When the resource no longer exists in the emulator at all, the token starts
//! afresh: the emulator cannot tell how long AWS keeps a token, and a test that deletes and
//! recreates a resource must not meet a resource that is gone.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use serde_json::{Value, json};

use crate::call::{Api, Call};
use crate::route;
use crate::rules::{cloudmap, idempotency, service};
use crate::upstream::{Answer, Exchange};

/// The first request and answer of one token.
#[derive(Debug, Clone)]
struct First {
    request: Value,
    answer: Answer,
}

/// Tokens seen, by operation and token.
#[derive(Debug, Default)]
pub struct Tokens {
    seen: Mutex<HashMap<(String, String), First>>,
    replays: AtomicU64,
}

impl Tokens {
    /// How many creates were answered from their token's first answer.
    pub fn replays(&self) -> u64 {
        self.replays.load(Ordering::SeqCst)
    }

    fn get(&self, key: &(String, String)) -> Option<First> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    fn put(&self, key: (String, String), first: First) {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, first);
    }

    fn forget(&self, key: &(String, String)) {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
    }
}

/// Handles one request: creates with a token are answered from the token's first answer when
/// they repeat it, refused when they reuse it with other parameters, else handled by
/// [`route::handle`] (and remembered when they succeed).
pub async fn handle(tokens: &Tokens, exchange: &Exchange<'_>, body: Bytes) -> Answer {
    let Some(call) = Call::from_headers(exchange.headers()) else {
        return route::handle(exchange, body).await;
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return route::handle(exchange, body).await;
    };
    if call.api == Api::Ecs && call.operation == "CreateService" {
        let existing = current_ecs_service(exchange, &request).await;
        if let Err(e) = idempotency::check_ecs_name_free(existing.as_ref()) {
            // Unless it repeats the request that created the service (answered below).
            let repeat = idempotency::token(&call, &request)
                .and_then(|t| tokens.get(&(call.operation.clone(), t)))
                .is_some_and(|first| idempotency::same_request(&first.request, &request));
            if !repeat {
                return Answer::error(e);
            }
        }
    }
    let Some(token) = idempotency::token(&call, &request) else {
        return route::handle(exchange, body).await;
    };
    let key = (call.operation.clone(), token.clone());
    if let Some(first) = tokens.get(&key) {
        if !idempotency::same_request(&first.request, &request) {
            return refusal(&call, &token, &first.answer);
        }
        if let Some(answer) = replay(exchange, &call, &first).await {
            tokens.replays.fetch_add(1, Ordering::SeqCst);
            return answer;
        }
        tokens.forget(&key);
    }
    let answer = route::handle(exchange, body).await;
    if answer.ok() {
        tokens.put(
            key,
            First {
                request,
                answer: answer.clone(),
            },
        );
    }
    answer
}

fn refusal(call: &Call, token: &str, first_answer: &Answer) -> Answer {
    let first = first_answer.json().unwrap_or(Value::Null);
    let (error, fields) = idempotency::mismatch(call, token, &first);
    let mut answer = Answer::error(error);
    if let Some(body) = idempotency::error_body(&answer.body, fields) {
        answer.body = Bytes::from(body);
    }
    answer
}

/// The service a `CreateService` request names, as the emulator describes it.
async fn current_ecs_service(exchange: &Exchange<'_>, request: &Value) -> Option<Value> {
    let cluster = request.get("cluster").cloned().unwrap_or(json!("default"));
    let name = request.get("serviceName")?.clone();
    exchange
        .call(
            Api::Ecs,
            "DescribeServices",
            &json!({"cluster": cluster, "services": [name]}),
        )
        .await
        .json()?
        .pointer("/services/0")
        .cloned()
}

/// The answer to a repeat of `first`: the resource it created as it is now, or `None` when the
/// resource is gone.
async fn replay(exchange: &Exchange<'_>, call: &Call, first: &First) -> Option<Answer> {
    match (call.api, call.operation.as_str()) {
        // The tagging API creates nothing.
        (Api::Tagging, _) => None,
        (Api::Ecs, _) => {
            let mut live = current_ecs_service(exchange, &first.request).await?;
            service::answer(&mut live);
            Some(Answer::json_ok(&json!({"service": live})))
        }
        (Api::CloudMap, "CreateService") => {
            let id = first.answer.json()?.pointer("/Service/Id")?.clone();
            let mut live = exchange
                .call(Api::CloudMap, "GetService", &json!({"Id": id}))
                .await
                .json()?
                .get("Service")?
                .clone();
            cloudmap::service_answer(&mut live);
            Some(Answer::json_ok(&json!({"Service": live})))
        }
        (Api::CloudMap, _) => {
            // A namespace create answers its operation; the operation names the namespace.
            let operation = first.answer.json()?.get("OperationId")?.clone();
            let namespace = exchange
                .call(
                    Api::CloudMap,
                    "GetOperation",
                    &json!({"OperationId": operation}),
                )
                .await
                .json()?
                .pointer("/Operation/Targets/NAMESPACE")?
                .clone();
            exchange
                .call(Api::CloudMap, "GetNamespace", &json!({"Id": namespace}))
                .await
                .json()?;
            Some(first.answer.clone())
        }
    }
}
