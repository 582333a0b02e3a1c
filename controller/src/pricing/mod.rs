//! Cost-aware plans: every `EcsService` priced as it runs and as its manifest wants it, by a
//! FinFocus plugin over gRPC (`GetProjectedCost` semantics, asked as one `BatchCost` per
//! region).
//!
//! Pricing sits beside planning, never inside it: [`Pricer::price`] reads the manifests and the
//! observed state the plan was made from and returns a [`cost::ServiceCost`] per service;
//! [`budget`] then holds back changes that break a service's budget. Pricing never fails a plan:
//! a plugin that is missing, slow or refuses a resource makes that cost unknown, and the whole
//! round is bounded by [`Pricer`]'s timeout.
//!
//! - [`source`]: where the plugin is (`--pricing auto|off|ENDPOINT`), launching it if asked;
//! - [`describe`]: a service as the `ResourceDescriptor` the plugin prices;
//! - [`client`]: the `BatchCost` call;
//! - [`cost`]: the amounts the report shows.

pub mod budget;
pub mod client;
pub mod cost;
pub mod describe;
pub mod source;

use std::collections::BTreeMap;
use std::time::Duration;

use finfocus_proto::v1::ResourceDescriptor;

use crate::aws::{LiveState, Lookup};
use crate::manifest::{ManifestSet, ResourceSpec};
use cost::ServiceCost;
pub use source::{PricingMode, Source};

/// Default bound on one pricing round (launching plugins included).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Monthly costs by `EcsService` key (`EcsService/name`, with its place when it names one:
/// [`crate::manifest::ResourceKey`]'s text).
pub type Costs = BTreeMap<String, ServiceCost>;

/// Prices services through a [`Source`], within a timeout.
#[derive(Debug)]
pub struct Pricer {
    source: Source,
    timeout: Duration,
}

/// One side of one service to price.
struct Ask {
    service: String,
    after: bool,
    descriptor: ResourceDescriptor,
}

impl Pricer {
    /// A pricer for `mode`; nothing is launched until a price is asked for.
    #[must_use]
    pub fn new(mode: PricingMode, timeout: Duration) -> Self {
        Self {
            source: Source::new(mode),
            timeout,
        }
    }

    /// Stops the plugins this pricer launched and waits for them (see [`Source::shutdown`]).
    pub async fn shutdown(&self) {
        self.source.shutdown().await;
    }

    /// Whether pricing is off (`--pricing off`): then nothing is priced or reported.
    #[must_use]
    pub fn is_off(&self) -> bool {
        self.source.is_off()
    }

    /// The cost of every `EcsService` of `desired` before (as `live` shows it) and after the
    /// plan; `None` when pricing is off. A service that does not exist costs 0 before.
    pub async fn price(
        &self,
        parts: &[(&ManifestSet, &LiveState)],
        default_region: &str,
    ) -> Option<Costs> {
        if self.is_off() {
            return None;
        }
        let mut costs = Costs::new();
        let mut asks: BTreeMap<String, Vec<Ask>> = BTreeMap::new();
        let mut policies = BTreeMap::new();
        for (r, live) in parts
            .iter()
            .flat_map(|(set, live)| set.resources().iter().map(move |r| (r, *live)))
        {
            let ResourceSpec::Service(spec) = &r.spec else {
                continue;
            };
            let region = r.region_or(default_region).to_owned();
            let id = r.key.to_string();
            policies.insert(id.clone(), r.recommendations.clone());
            let observed = live.services.get(r.name());
            let live_service = observed.and_then(|o| o.service.found());
            let mut entry = ServiceCost::new(None, None);
            let regional = asks.entry(region.clone()).or_default();
            match observed.map(|o| (&o.service, &o.task_definition)) {
                None | Some((Lookup::Missing, _)) => entry.before = Some(0.0),
                Some((Lookup::Found(s), Lookup::Found(td))) => regional.push(Ask {
                    service: id.clone(),
                    after: false,
                    descriptor: describe::service(&region, &id, &td.definition, &s.settings),
                }),
                Some(_) => {
                    entry.unknown = Some("the live service could not be read".into());
                }
            }
            let settings =
                describe::effective_settings(&spec.service, live_service.map(|s| &s.settings));
            let mut after = describe::service(&region, &id, &spec.task_definition, &settings);
            if r.recommendations.interruptible {
                after
                    .tags
                    .insert("interruptible".to_owned(), "true".to_owned());
            }
            regional.push(Ask {
                service: id.clone(),
                after: true,
                descriptor: after,
            });
            costs.insert(id, entry);
        }
        let answers = tokio::time::timeout(self.timeout, self.ask_all(&asks)).await;
        let timeout_note = format!(
            "no price within {:.1}s (--pricing-timeout)",
            self.timeout.as_secs_f64()
        );
        let mut prices: BTreeMap<(String, bool), Result<client::Price, String>> = BTreeMap::new();
        match answers {
            Ok(answers) => {
                for (ask, answer) in asks.values().flatten().zip(answers) {
                    prices.insert((ask.service.clone(), ask.after), answer);
                }
            }
            Err(_) => {
                for ask in asks.values().flatten() {
                    prices.insert((ask.service.clone(), ask.after), Err(timeout_note.clone()));
                }
            }
        }
        let mut savings = self.savings(&policies, &asks).await;
        for (name, entry) in &mut costs {
            let mut note = entry.unknown.take();
            let mut priced = |after: bool| match prices.remove(&(name.clone(), after))? {
                Ok(p) => Some(p),
                Err(e) => {
                    note.get_or_insert(e);
                    None
                }
            };
            let before = priced(false);
            let after = priced(true);
            // A service that does not exist was not asked about: it costs 0 before.
            let mut priced_entry = ServiceCost::new(
                before.as_ref().map(|p| p.monthly).or(entry.before),
                after.as_ref().map(|p| p.monthly),
            );
            priced_entry.quality = lowest_quality(before.as_ref(), after.as_ref());
            if !priced_entry.is_known() {
                priced_entry.unknown = note;
            }
            priced_entry.savings = savings.remove(name).unwrap_or_default();
            *entry = priced_entry;
        }
        Some(costs)
    }

    /// What the plugin recommends for each service as its manifest wants it (the `after`
    /// descriptors), by service name, cheapest change first: one `GetRecommendations` per region
    /// and per 100 services, the regions concurrently, bounded by the pricing timeout. Services
    /// with `ecs.finfocus.io/recommendations: "off"` are not asked about; dismissed ids are
    /// sent as exclusions. A region whose plugin does not answer shows no savings.
    async fn savings(
        &self,
        policies: &BTreeMap<String, crate::manifest::Recommendations>,
        asks: &BTreeMap<String, Vec<Ask>>,
    ) -> BTreeMap<String, Vec<cost::Saving>> {
        let policy = |key: &str| policies.get(key).cloned().unwrap_or_default();
        let rounds = asks.iter().map(|(region, regional)| {
            let targets: Vec<&Ask> = regional
                .iter()
                .filter(|a| a.after && !policy(&a.service).off)
                .collect();
            let excluded: Vec<String> = targets
                .iter()
                .flat_map(|a| policy(&a.service).dismissed)
                .collect();
            let by_id: BTreeMap<String, String> = targets
                .iter()
                .map(|a| (a.descriptor.id.clone(), a.service.clone()))
                .collect();
            let descriptors: Vec<ResourceDescriptor> =
                targets.iter().map(|a| a.descriptor.clone()).collect();
            async move {
                if descriptors.is_empty() {
                    return Vec::new();
                }
                let asked = async {
                    let url = self.source.url(region).await?;
                    client::recommendations(&url, descriptors, excluded, self.timeout).await
                };
                match tokio::time::timeout(self.timeout, asked).await {
                    Ok(Ok(found)) => found
                        .into_iter()
                        .filter_map(|r| {
                            let service = by_id.get(&r.resource.as_ref()?.id)?.clone();
                            Some((service, saving(&r)?))
                        })
                        .collect(),
                    Ok(Err(e)) => {
                        tracing::debug!(region = %region, error = %e, "no recommendations");
                        Vec::new()
                    }
                    Err(_) => Vec::new(),
                }
            }
        });
        let mut out: BTreeMap<String, Vec<cost::Saving>> = BTreeMap::new();
        for (service, s) in futures::future::join_all(rounds)
            .await
            .into_iter()
            .flatten()
        {
            out.entry(service).or_default().push(s);
        }
        for list in out.values_mut() {
            list.sort_by(|a, b| b.monthly.total_cmp(&a.monthly).then(a.id.cmp(&b.id)));
        }
        out
    }

    /// Every region's asks, the regions concurrently; answers in the order of `asks`.
    async fn ask_all(
        &self,
        asks: &BTreeMap<String, Vec<Ask>>,
    ) -> Vec<Result<client::Price, String>> {
        let rounds = asks.iter().map(|(region, regional)| async move {
            let descriptors: Vec<ResourceDescriptor> =
                regional.iter().map(|a| a.descriptor.clone()).collect();
            let n = descriptors.len();
            let answer = match self.source.url(region).await {
                Ok(url) => client::batch_cost(&url, descriptors, self.timeout).await,
                Err(e) => Err(e),
            };
            match answer {
                Ok(prices) => prices,
                Err(e) => vec![Err(e); n],
            }
        });
        futures::future::join_all(rounds)
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}

/// A recommendation that saves money, as plans show it.
fn saving(r: &finfocus_proto::v1::Recommendation) -> Option<cost::Saving> {
    let impact = r.impact.as_ref()?;
    (impact.estimated_savings > 0.0).then(|| cost::Saving {
        id: r.id.clone(),
        description: r.description.clone(),
        monthly: cost::cents(impact.estimated_savings),
        needs_arm64_images: r
            .metadata
            .get("requires_arm64_image")
            .is_some_and(|v| v == "true"),
    })
}

/// The lower `estimate_quality` of the sides priced (`low` < `medium` < `high`).
fn lowest_quality(a: Option<&client::Price>, b: Option<&client::Price>) -> Option<String> {
    let rank = |q: &str| match q {
        "low" => 0,
        "medium" => 1,
        _ => 2,
    };
    [a, b]
        .into_iter()
        .flatten()
        .filter_map(|p| p.quality.clone())
        .min_by_key(|q| rank(q))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    const SERVICE: &str = "apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: web
spec:
  cluster: c
  taskDefinition:
    family: web
    cpu: \"2048\"
    memory: \"4096\"
    containerDefinitions:
      - {name: app, image: nginx, essential: true}
  service: {desiredCount: 1}
";

    #[tokio::test]
    async fn a_plugin_that_never_answers_costs_the_timeout_and_leaves_the_cost_unknown() {
        // Accepts connections and never speaks: the gRPC handshake cannot complete.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let silent = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let set = crate::manifest::load_str("web.yaml", SERVICE).unwrap();
        let mode: PricingMode = format!("http://127.0.0.1:{port}").parse().unwrap();
        let pricer = Pricer::new(mode, Duration::from_millis(300));
        let started = std::time::Instant::now();
        let costs = pricer
            .price(&[(&set, &LiveState::default())], "us-east-1")
            .await
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(3), "bounded");
        let web = &costs["EcsService/web"];
        // Not created yet: it costs 0 before; the after side is unknown, and says why.
        assert_eq!(web.before, Some(0.0));
        assert_eq!(web.after, None);
        assert!(!web.is_known());
        assert!(
            web.unknown
                .as_deref()
                .unwrap_or_default()
                .contains("no price within 0.3s"),
            "{web:?}"
        );
        silent.abort();
    }

    #[test]
    fn recommendation_annotations_are_read_and_a_bad_value_is_named() {
        let doc = |annotations: &str| {
            SERVICE.replace(
                "  name: web\n",
                &format!("  name: web\n  annotations: {{{annotations}}}\n"),
            )
        };
        let set = crate::manifest::load_str(
            "web.yaml",
            &doc("ecs.finfocus.io/recommendations: \"off\", ecs.finfocus.io/dismissed-recommendations: \"a, b\""),
        )
        .unwrap();
        let r = &set.resources()[0].recommendations;
        assert!(r.off);
        assert_eq!(r.dismissed, ["a", "b"]);
        let errors = crate::manifest::load_str(
            "web.yaml",
            &doc("ecs.finfocus.io/recommendations: \"hidden\""),
        )
        .unwrap_err();
        assert_eq!(
            errors[0].field.as_deref(),
            Some("metadata.annotations.ecs.finfocus.io/recommendations")
        );
        assert!(errors[0].message.contains("found `hidden`"), "{errors:?}");
        let errors = crate::manifest::load_str(
            "web.yaml",
            &doc("ecs.finfocus.io/dismissed-recommendations: \" , \""),
        )
        .unwrap_err();
        assert!(
            errors[0].message.contains("recommendation ids"),
            "{errors:?}"
        );
    }

    #[tokio::test]
    async fn pricing_off_prices_nothing() {
        let set = crate::manifest::load_str("web.yaml", SERVICE).unwrap();
        let pricer = Pricer::new(PricingMode::Off, DEFAULT_TIMEOUT);
        assert!(
            pricer
                .price(&[(&set, &LiveState::default())], "us-east-1")
                .await
                .is_none()
        );
    }
}
