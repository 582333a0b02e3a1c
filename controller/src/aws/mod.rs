//! AWS adapters: the [`Context`] (ECS and Cloud Map clients per region from one `SdkConfig`),
//! the call counter, the live-state model and its observation, and the write operations
//! [`crate::apply`] uses.
//!
//! # Contract
//! - Credentials, region and endpoint come from the standard chain (`AWS_REGION`, profiles,
//!   task role, `AWS_ENDPOINT_URL`); `--region` overrides the region.
//! - The SDK's standard retry mode retries throttling and 5xx answers with backoff; what is
//!   left after that surfaces as [`crate::Error::Aws`] naming the operation and resource.
//! - Every API call the controller makes is counted once per operation (retries inside the
//!   SDK are not counted separately) under `(service, operation, code)`, where `code` is `OK`
//!   or the AWS error code.
//! - Task definition revisions are immutable, so `DescribeTaskDefinition` answers are cached
//!   by ARN for the life of the context. Cloud Map tags (ownership lives there, and only
//!   `ListTagsForResource` returns them) are cached by ARN for [`ContextOptions::tag_ttl`];
//!   [`Context::forget_tags_read_before`] drops the ones a pass took from the cache, which
//!   [`crate::reconcile::observe_and_plan`] does before any plan that writes to an existing
//!   Cloud Map resource. Several resources' tags are read 100 at a time with the Resource Groups
//!   Tagging API (`GetResources`); that API is eventually consistent, so those are dropped too
//!   before such a plan and read again one by one ([`Context::forget_batched_tags`]).
//! - A task definition a service records it runs as its manifest wants it is not read at all
//!   ([`crate::ownership::TAG_TASK_DEFINITION`]).
//! - At most [`ContextOptions::concurrency`] calls are in flight at once per endpoint
//!   (`--aws-concurrency`; ECS, Cloud Map and the others each have their own bound, as AWS
//!   throttles each service apart): the reads of a pass that do not depend on each other overlap
//!   up to that bound, so a pass
//!   costs about as many round trips as its longest chain of dependent reads, not one per call.
//!   AWS throttles per account and Region with token buckets (Amazon ECS Developer Guide,
//!   "Request throttling for the Amazon ECS API": e.g. a bucket of 50 tokens for cluster reads
//!   such as `DescribeClusters`); the bound keeps a pass well inside such a burst, and what is
//!   throttled anyway is retried with backoff by the SDK's standard retry mode.
//! - A namespace's SOA TTL is missing from `ListNamespaces` answers and read with
//!   `GetNamespace` (only for manifests that set it). It changes only through
//!   `UpdatePrivateDnsNamespace`: the controller's own update drops the cached value at once,
//!   and a change made elsewhere is seen within [`ContextOptions::tag_ttl`] (the same bound as
//!   tags, and dropped with them by [`Context::forget_tags`] and
//!   [`Context::forget_tags_read_before`]).

mod convert;
pub mod deployments;
#[cfg(test)]
mod fixtures;
pub mod import;
mod observe;
pub(crate) mod ops;
mod read;
pub mod watch;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, retry::RetryConfig, timeout::TimeoutConfig};
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_smithy_types::error::display::DisplayErrorContext;

pub use self::observe::observe;
pub use crate::live::{
    Deployment, LiveCluster, LiveDiscovery, LiveEcsService, LiveNamespace, LiveService, LiveState,
    LiveTaskDefinition, Lookup, LookupError, OrphanTarget, Unclaimed,
};
use crate::manifest::spec::AccountSpec;
use crate::manifest::{Account, Place};
pub use crate::ownership::ownership_tags;
use crate::{Error, Result};

/// How the [`Context`] is built.
#[derive(Debug, Clone)]
pub struct ContextOptions {
    /// Region override (else the standard chain).
    pub region: Option<String>,
    /// Attempts per call, including the first (SDK standard retry mode).
    pub max_attempts: u32,
    /// How long to wait for asynchronous work (Cloud Map operations, service draining).
    pub wait_timeout: Duration,
    /// First delay between polls of asynchronous work (doubles up to 10 s).
    pub poll_interval: Duration,
    /// How long Cloud Map tags read once are trusted: a tag changed by hand shows in the drift
    /// report at most this late.
    pub tag_ttl: Duration,
    /// Most AWS calls in flight at once (at least 1), per account and region.
    pub concurrency: usize,
    /// `RoleSessionName` of the sessions in other accounts (`finfocus-ecs-<instance>`): it shows
    /// in the target account's CloudTrail.
    pub session_name: String,
}

/// Default of [`ContextOptions::concurrency`]: a pass over 1,000 services (100
/// `DescribeServices`) takes ten round trips of them, and ten calls in flight stay a fifth of
/// the smallest documented ECS burst bucket (50 tokens).
pub const DEFAULT_CONCURRENCY: usize = 10;

impl Default for ContextOptions {
    fn default() -> Self {
        Self {
            region: None,
            max_attempts: 5,
            wait_timeout: Duration::from_secs(300),
            poll_interval: Duration::from_millis(500),
            tag_ttl: Duration::from_secs(300),
            concurrency: DEFAULT_CONCURRENCY,
            session_name: format!("finfocus-ecs-{}", crate::DEFAULT_INSTANCE),
        }
    }
}

/// `(service, operation, code)`, e.g. `("ecs", "DescribeServices", "OK")`.
pub type CallKey = (String, String, String);

/// Counts AWS calls per `(service, operation, code)`.
#[derive(Debug, Default, Clone)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<CallKey, u64>>>,
}

/// Operation name prefixes that change AWS state.
const WRITE_PREFIXES: &[&str] = &[
    "Create",
    "Update",
    "Delete",
    "Register",
    "Deregister",
    "Tag",
    "Untag",
    "Put",
];

/// Whether an operation changes AWS state (`Create*`, `Update*`, `Register*`, `Tag*`, ...).
#[must_use]
pub fn is_write_operation(operation: &str) -> bool {
    WRITE_PREFIXES.iter().any(|p| operation.starts_with(p))
}

impl CallCounter {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<CallKey, u64>> {
        // A poisoned counter only means a panic elsewhere; the counts are still usable.
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records one call.
    pub fn record(&self, service: &str, operation: &str, code: &str) {
        *self
            .lock()
            .entry((service.to_owned(), operation.to_owned(), code.to_owned()))
            .or_default() += 1;
    }

    /// All counts, sorted by `(service, operation, code)`.
    #[must_use]
    pub fn snapshot(&self) -> Vec<(CallKey, u64)> {
        self.lock().iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    /// Total calls.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.lock().values().sum()
    }

    /// Calls of operations that change state (`Create*`, `Update*`, `Register*`, `Tag*`, ...).
    #[must_use]
    pub fn writes(&self) -> u64 {
        self.lock()
            .iter()
            .filter(|((_, op, _), _)| is_write_operation(op))
            .map(|(_, v)| v)
            .sum()
    }

    /// Calls of one operation (any service, any code).
    #[must_use]
    pub fn count(&self, operation: &str) -> u64 {
        self.lock()
            .iter()
            .filter(|((_, op, _), _)| op == operation)
            .map(|(_, v)| v)
            .sum()
    }

    /// Calls per `service.Operation`, summed over codes.
    #[must_use]
    pub fn by_operation(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for ((service, op, _), n) in self.lock().iter() {
            *out.entry(format!("{service}.{op}")).or_default() += n;
        }
        out
    }

    /// Forgets all counts.
    pub fn reset(&self) {
        self.lock().clear();
    }

    /// A JSON summary: `{"total": n, "writes": n, "byOperation": {"ecs.DescribeServices": n}}`.
    #[must_use]
    pub fn summary_json(&self) -> serde_json::Value {
        serde_json::json!({
            "total": self.total(),
            "writes": self.writes(),
            "byOperation": self.by_operation(),
        })
    }
}

#[derive(Clone)]
struct Clients {
    ecs: aws_sdk_ecs::Client,
    cloudmap: aws_sdk_servicediscovery::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
}

/// Tags of one resource.
type Tags = BTreeMap<String, String>;

/// Clients, counters and caches shared by every reconcile. Cheap to share behind an `Arc`.
pub struct Context {
    config: aws_config::SdkConfig,
    region: String,
    options: ContextOptions,
    clients: Mutex<HashMap<String, Clients>>,
    calls: CallCounter,
    /// One permit per call in flight ([`ContextOptions::concurrency`]), per endpoint.
    /// One bound per endpoint: ECS, Cloud Map, and everything else (tagging, EC2, IAM, ...).
    in_flight: [tokio::sync::Semaphore; 3],
    task_definitions: Mutex<HashMap<String, LiveTaskDefinition>>,
    /// Cloud Map tags by ARN, with when they were read.
    tags: Mutex<HashMap<String, (Instant, Tags)>>,
    /// The ARNs whose cached tags came from a `GetResources` batch.
    batched: Mutex<Vec<String>>,
    /// See [`Context::batch_tags`].
    batch_tags: std::sync::atomic::AtomicBool,
    /// SOA TTLs by namespace id, with when they were read.
    namespace_soa: Mutex<HashMap<String, (Instant, Option<i64>)>>,
    namespace_ids: Mutex<HashMap<(String, String), String>>,
    /// The context of each place other than this one's own, with the account it was built for.
    places: Mutex<HashMap<Place, Placed>>,
    /// Each account's configuration with its role's credentials, assumed once for all its
    /// regions (and the spec it was assumed for).
    assumed: Mutex<HashMap<String, (AccountSpec, Arc<Assumed>)>>,
}

/// The context of one place, with the account spec it was built for.
type Placed = (Option<AccountSpec>, Arc<Context>);

/// An account's configuration once its role is assumed; concurrent first uses wait for one
/// `AssumeRole`.
type Assumed = tokio::sync::OnceCell<aws_config::SdkConfig>;

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("region", &self.region)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The name of an endpoint variable (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`) that is set
/// but empty. The SDK only warns about such a value when it loads the configuration and then
/// panics when it resolves an endpoint, so it is refused up front with a clear error.
fn empty_endpoint_setting(
    vars: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Option<String> {
    vars.into_iter().find_map(|(name, value)| {
        let name = name.to_str()?;
        (name.starts_with("AWS_ENDPOINT_URL") && value.to_string_lossy().trim().is_empty())
            .then(|| name.to_owned())
    })
}

impl Context {
    /// Builds a context from the standard AWS configuration chain.
    ///
    /// # Errors
    /// [`Error::NoRegion`] when neither `--region` nor the chain names a region;
    /// [`Error::EmptyEndpoint`] when an endpoint variable is set but empty.
    pub async fn from_env(options: ContextOptions) -> Result<Self> {
        if let Some(name) = empty_endpoint_setting(std::env::vars_os()) {
            return Err(Error::EmptyEndpoint(name));
        }
        let retry = RetryConfig::standard().with_max_attempts(options.max_attempts.max(1));
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(30))
            .operation_timeout(Duration::from_secs(120))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        let config = loader.load().await;
        Self::from_config(config, options)
    }

    /// Builds a context from an existing `SdkConfig`.
    ///
    /// # Errors
    /// [`Error::NoRegion`] when the configuration has no region and none is given.
    pub fn from_config(config: aws_config::SdkConfig, options: ContextOptions) -> Result<Self> {
        let region = options
            .region
            .clone()
            .or_else(|| config.region().map(ToString::to_string))
            .ok_or(Error::NoRegion)?;
        Ok(Self {
            config,
            region,
            in_flight: std::array::from_fn(|_| {
                tokio::sync::Semaphore::new(options.concurrency.max(1))
            }),
            options,
            clients: Mutex::new(HashMap::new()),
            calls: CallCounter::default(),
            task_definitions: Mutex::new(HashMap::new()),
            tags: Mutex::new(HashMap::new()),
            batched: Mutex::new(Vec::new()),
            batch_tags: std::sync::atomic::AtomicBool::new(true),
            namespace_soa: Mutex::new(HashMap::new()),
            namespace_ids: Mutex::new(HashMap::new()),
            places: Mutex::new(HashMap::new()),
            assumed: Mutex::new(HashMap::new()),
        })
    }

    /// The context for objects in `place`: one set of clients, caches and in-flight bound per
    /// account and region, sharing this context's call counter. An `AwsAccount`'s credentials
    /// come from `sts:AssumeRole` on this context's own (session `session_name`, refreshed by the
    /// clients' identity cache before they expire); the role is assumed once here, so a role that
    /// cannot be assumed fails this call and no other. A changed `AwsAccount` builds a new
    /// context; a failed one is tried again at the next call.
    ///
    /// # Errors
    /// [`Error::Account`] when `place` names an account `accounts` lacks, or its role cannot be
    /// assumed.
    pub async fn at(
        &self,
        place: &Place,
        accounts: &BTreeMap<String, Account>,
    ) -> Result<Arc<Context>> {
        let account = match &place.account {
            None => None,
            Some(name) => Some(
                accounts
                    .get(name)
                    .ok_or_else(|| Error::Account {
                        account: name.clone(),
                        message: "no AwsAccount of that name is defined".into(),
                    })?
                    .spec
                    .clone(),
            ),
        };
        if let Some((built_for, ctx)) = lock(&self.places).get(place)
            && *built_for == account
        {
            return Ok(Arc::clone(ctx));
        }
        let config = match (&place.account, &account) {
            (Some(name), Some(spec)) => {
                let cell = {
                    let mut assumed = lock(&self.assumed);
                    let entry = assumed
                        .entry(name.clone())
                        .or_insert_with(|| (spec.clone(), Arc::default()));
                    if entry.0 != *spec {
                        *entry = (spec.clone(), Arc::default());
                    }
                    Arc::clone(&entry.1)
                };
                // A failure leaves the cell empty: the next pass tries again.
                cell.get_or_try_init(|| self.assume(name, spec))
                    .await?
                    .clone()
            }
            _ => self.config.clone(),
        };
        let options = ContextOptions {
            region: Some(place.region.clone()),
            ..self.options.clone()
        };
        let mut ctx = Self::from_config(config, options)?;
        ctx.calls = self.calls.clone();
        let ctx = Arc::new(ctx);
        let mut places = lock(&self.places);
        // Another pass may have built it meanwhile; either is as good.
        let built = places
            .entry(place.clone())
            .or_insert_with(|| (account.clone(), Arc::clone(&ctx)));
        if built.0 != account {
            *built = (account, Arc::clone(&ctx));
        }
        Ok(Arc::clone(&built.1))
    }

    /// The context [`Context::at`] last built for `place` (the one a plan was observed with, so
    /// applying and watching it act where it was read).
    ///
    /// # Errors
    /// [`Error::Account`] when no context was built for `place`.
    pub fn placed(&self, place: &Place) -> Result<Arc<Context>> {
        lock(&self.places)
            .get(place)
            .map(|(_, ctx)| Arc::clone(ctx))
            .ok_or_else(|| Error::Account {
                account: place.to_string(),
                message: "nothing was observed there".into(),
            })
    }

    /// The context to act in `place` with: the one [`Context::at`] built, or `None` for this
    /// context itself when it built none there and `place` is in its own account.
    ///
    /// # Errors
    /// [`Error::Account`] when `place` is in another account and nothing was observed there.
    pub fn acting_in(&self, place: &Place) -> Result<Option<Arc<Context>>> {
        match self.placed(place) {
            Ok(ctx) => Ok(Some(ctx)),
            Err(_) if place.account.is_none() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// This context's configuration with the credentials of `spec`'s role, checked once.
    async fn assume(&self, name: &str, spec: &AccountSpec) -> Result<aws_config::SdkConfig> {
        use aws_credential_types::provider::ProvideCredentials;
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(spec.role_arn.clone())
            .session_name(self.options.session_name.clone())
            .configure(&self.config);
        if let Some(id) = &spec.external_id {
            builder = builder.external_id(id.clone());
        }
        if let Some(seconds) = spec.session_duration_seconds {
            builder = builder.session_length(Duration::from_secs(u64::from(seconds)));
        }
        let provider = builder.build().await;
        if let Err(e) = provider.provide_credentials().await {
            self.calls.record("sts", "AssumeRole", "Error");
            return Err(Error::Account {
                account: name.to_owned(),
                message: format!(
                    "cannot assume {}: {}",
                    spec.role_arn,
                    crate::error_chain(&e)
                ),
            });
        }
        self.calls.record("sts", "AssumeRole", "OK");
        // One identity cache for the ECS and Cloud Map clients of this account: one session.
        Ok(self
            .config
            .to_builder()
            .credentials_provider(aws_sdk_ecs::config::SharedCredentialsProvider::new(
                provider,
            ))
            .identity_cache(aws_config::identity::IdentityCache::lazy().build())
            .build())
    }

    /// The default region (resources without `spec.region` live here).
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The AWS configuration the clients are built from (for clients of other services).
    #[must_use]
    pub fn sdk_config(&self) -> &aws_config::SdkConfig {
        &self.config
    }

    /// The options the context was built with.
    #[must_use]
    pub fn options(&self) -> &ContextOptions {
        &self.options
    }

    /// Most calls in flight at once (at least 1).
    #[must_use]
    pub fn concurrency(&self) -> usize {
        self.options.concurrency.max(1)
    }

    /// The call counter.
    #[must_use]
    pub fn calls(&self) -> &CallCounter {
        &self.calls
    }

    /// Drops cached Cloud Map tags (and namespace SOA TTLs) so the next observation reads
    /// them again, in every place.
    pub fn forget_tags(&self) {
        lock(&self.tags).clear();
        lock(&self.namespace_soa).clear();
        let places: Vec<Arc<Context>> = lock(&self.places)
            .values()
            .map(|(_, ctx)| Arc::clone(ctx))
            .collect();
        places.iter().for_each(|ctx| ctx.forget_tags());
    }

    /// Drops the cached Cloud Map tags (and namespace SOA TTLs) read before `since`, and says
    /// whether there were any tags:
    /// an observation that started at `since` trusted those from the cache rather than AWS.
    pub fn forget_tags_read_before(&self, since: Instant) -> bool {
        lock(&self.namespace_soa).retain(|_, (read, _)| *read >= since);
        let mut tags = lock(&self.tags);
        let cached = tags.len();
        tags.retain(|_, (read, _)| *read >= since);
        tags.len() != cached
    }

    fn clients(&self, region: &str) -> Clients {
        let mut clients = lock(&self.clients);
        clients
            .entry(region.to_owned())
            .or_insert_with(|| {
                let ecs = aws_sdk_ecs::config::Builder::from(&self.config)
                    .region(Region::new(region.to_owned()))
                    .build();
                let cloudmap = aws_sdk_servicediscovery::config::Builder::from(&self.config)
                    .region(Region::new(region.to_owned()))
                    .build();
                let tagging = aws_sdk_resourcegroupstagging::config::Builder::from(&self.config)
                    .region(Region::new(region.to_owned()))
                    .build();
                Clients {
                    ecs: aws_sdk_ecs::Client::from_conf(ecs),
                    cloudmap: aws_sdk_servicediscovery::Client::from_conf(cloudmap),
                    tagging: aws_sdk_resourcegroupstagging::Client::from_conf(tagging),
                }
            })
            .clone()
    }

    /// The ECS client for a region.
    #[must_use]
    pub fn ecs(&self, region: &str) -> aws_sdk_ecs::Client {
        self.clients(region).ecs
    }

    /// The Cloud Map client for a region.
    #[must_use]
    pub fn cloudmap(&self, region: &str) -> aws_sdk_servicediscovery::Client {
        self.clients(region).cloudmap
    }

    /// The Resource Groups Tagging API client for a region (Cloud Map tags in batches).
    #[must_use]
    pub fn tagging(&self, region: &str) -> aws_sdk_resourcegroupstagging::Client {
        self.clients(region).tagging
    }

    /// Whether Cloud Map tags may be read in batches (`GetResources`) rather than one
    /// `ListTagsForResource` each; off while a pass that writes to Cloud Map reads them again.
    pub(crate) fn batch_tags(&self) -> bool {
        self.batch_tags.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Turns batched Cloud Map tag reads on or off (see [`Context::batch_tags`]).
    pub(crate) fn set_batch_tags(&self, on: bool) {
        self.batch_tags
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Drops the Cloud Map tags read in batches, and says whether there were any: the tagging
    /// API is eventually consistent, so a write is decided on `ListTagsForResource` answers.
    pub fn forget_batched_tags(&self) -> bool {
        let batched: Vec<String> = std::mem::take(&mut *lock(&self.batched));
        let mut tags = lock(&self.tags);
        for arn in &batched {
            tags.remove(arn);
        }
        !batched.is_empty()
    }

    /// Caches tags read in a batch (see [`Context::forget_batched_tags`]).
    pub(crate) fn cache_batched_tags(&self, arn: &str, tags: BTreeMap<String, String>) {
        self.cache_tags(arn, tags);
        lock(&self.batched).push(arn.to_owned());
    }

    pub(crate) fn cached_task_definition(&self, arn: &str) -> Option<LiveTaskDefinition> {
        lock(&self.task_definitions).get(arn).cloned()
    }

    pub(crate) fn cache_task_definition(&self, td: &LiveTaskDefinition) {
        lock(&self.task_definitions).insert(td.arn.clone(), td.clone());
    }

    pub(crate) fn cached_tags(&self, arn: &str) -> Option<BTreeMap<String, String>> {
        lock(&self.tags)
            .get(arn)
            .filter(|(read, _)| read.elapsed() < self.options.tag_ttl)
            .map(|(_, tags)| tags.clone())
    }

    pub(crate) fn cache_tags(&self, arn: &str, tags: BTreeMap<String, String>) {
        lock(&self.tags).insert(arn.to_owned(), (Instant::now(), tags));
    }

    /// The cached SOA TTL of a namespace: `Some(ttl)` when read within the TTL.
    pub(crate) fn cached_soa(&self, namespace_id: &str) -> Option<Option<i64>> {
        lock(&self.namespace_soa)
            .get(namespace_id)
            .filter(|(read, _)| read.elapsed() < self.options.tag_ttl)
            .map(|(_, ttl)| *ttl)
    }

    pub(crate) fn cache_soa(&self, namespace_id: &str, ttl: Option<i64>) {
        lock(&self.namespace_soa).insert(namespace_id.to_owned(), (Instant::now(), ttl));
    }

    /// Drops the cached SOA TTL of a namespace this context has just updated.
    pub(crate) fn forget_soa(&self, namespace_id: &str) {
        lock(&self.namespace_soa).remove(namespace_id);
    }

    /// Remembers the id of a namespace created by this context (saves a listing when a
    /// Cloud Map service is created in it during the same pass).
    pub(crate) fn remember_namespace(&self, region: &str, dns_name: &str, id: &str) {
        lock(&self.namespace_ids).insert(
            (region.to_owned(), crate::canon::dns_name(dns_name)),
            id.to_owned(),
        );
    }

    pub(crate) fn known_namespace(&self, region: &str, dns_name: &str) -> Option<String> {
        lock(&self.namespace_ids)
            .get(&(region.to_owned(), crate::canon::dns_name(dns_name)))
            .cloned()
    }

    pub(crate) fn merge_cached_tags(&self, arn: &str, tags: &BTreeMap<String, String>) {
        if let Some((_, cached)) = lock(&self.tags).get_mut(arn) {
            cached.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }

    pub(crate) fn remove_cached_tags(&self, arn: &str, keys: &[String]) {
        if let Some((_, cached)) = lock(&self.tags).get_mut(arn) {
            cached.retain(|k, _| !keys.contains(k));
        }
    }

    /// Awaits one SDK call (once fewer than [`Context::concurrency`] are in flight), counts it
    /// and maps its error to [`Error::Aws`].
    pub(crate) async fn call<T, E, R>(
        &self,
        service: &'static str,
        operation: &'static str,
        resource: &str,
        fut: impl Future<Output = std::result::Result<T, aws_sdk_ecs::error::SdkError<E, R>>>,
    ) -> Result<T>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        // SDK futures send nothing until polled, so waiting for a permit first delays the request
        // itself. The semaphore is never closed; if it were, the call would go out unbounded.
        let endpoint = match service {
            "ecs" => 0,
            "servicediscovery" => 1,
            _ => 2,
        };
        let _permit = self.in_flight[endpoint].acquire().await.ok();
        match fut.await {
            Ok(v) => {
                self.calls.record(service, operation, "OK");
                Ok(v)
            }
            Err(e) => {
                let code = e
                    .code()
                    .map_or_else(|| sdk_failure_class(&e).to_owned(), str::to_owned);
                self.calls.record(service, operation, &code);
                let message = e
                    .message()
                    .map_or_else(|| DisplayErrorContext(&e).to_string(), str::to_owned);
                Err(Error::Aws {
                    operation,
                    resource: resource.to_owned(),
                    code,
                    message,
                    sdk_error: Box::new(e),
                })
            }
        }
    }
}

fn sdk_failure_class<E, R>(e: &aws_sdk_ecs::error::SdkError<E, R>) -> &'static str {
    use aws_sdk_ecs::error::SdkError;
    match e {
        SdkError::ConstructionFailure(_) => "ConstructionFailure",
        SdkError::TimeoutError(_) => "TimeoutError",
        SdkError::DispatchFailure(_) => "DispatchFailure",
        SdkError::ResponseError(_) => "ResponseError",
        SdkError::ServiceError(_) => "ServiceError",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn an_empty_endpoint_variable_is_named_and_a_set_one_passes() {
        let vars = |pairs: &[(&str, &str)]| -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect()
        };
        assert_eq!(
            empty_endpoint_setting(vars(&[("HOME", ""), ("AWS_ENDPOINT_URL", " ")])),
            Some("AWS_ENDPOINT_URL".to_owned())
        );
        assert_eq!(
            empty_endpoint_setting(vars(&[("AWS_ENDPOINT_URL_ECS", "")])),
            Some("AWS_ENDPOINT_URL_ECS".to_owned())
        );
        assert_eq!(
            empty_endpoint_setting(vars(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")])),
            None
        );
        assert_eq!(empty_endpoint_setting(vars(&[("AWS_REGION", "")])), None);
    }

    fn context(tag_ttl: Duration) -> Context {
        let config = aws_config::SdkConfig::builder()
            .region(Region::new("us-east-1"))
            .behavior_version(BehaviorVersion::latest())
            .build();
        Context::from_config(
            config,
            ContextOptions {
                tag_ttl,
                ..ContextOptions::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn cloud_map_tags_are_trusted_for_their_ttl_and_until_forgotten() {
        let tags = ownership_tags("CloudMapNamespace/ns", "a");
        let fresh = context(Duration::from_secs(3600));
        fresh.cache_tags("arn:ns", tags.clone());
        assert_eq!(fresh.cached_tags("arn:ns"), Some(tags.clone()));
        fresh.merge_cached_tags("arn:ns", &BTreeMap::from([("k".into(), "v".into())]));
        assert_eq!(fresh.cached_tags("arn:ns").unwrap()["k"], "v");
        fresh.forget_tags();
        assert_eq!(fresh.cached_tags("arn:ns"), None);

        let expired = context(Duration::ZERO);
        expired.cache_tags("arn:ns", tags);
        assert_eq!(expired.cached_tags("arn:ns"), None);
    }

    #[test]
    fn namespace_soa_is_cached_until_updated_forgotten_or_stale() {
        let ctx = context(Duration::from_secs(3600));
        assert_eq!(ctx.cached_soa("ns-1"), None);
        ctx.cache_soa("ns-1", Some(60));
        ctx.cache_soa("ns-2", None);
        assert_eq!(ctx.cached_soa("ns-1"), Some(Some(60)));
        assert_eq!(ctx.cached_soa("ns-2"), Some(None));
        // Our own UpdatePrivateDnsNamespace invalidates the one namespace it changed.
        ctx.forget_soa("ns-1");
        assert_eq!(ctx.cached_soa("ns-1"), None);
        assert_eq!(ctx.cached_soa("ns-2"), Some(None));
        ctx.forget_tags();
        assert_eq!(ctx.cached_soa("ns-2"), None);

        let stale = context(Duration::ZERO);
        stale.cache_soa("ns-1", Some(60));
        assert_eq!(stale.cached_soa("ns-1"), None);
    }
}
