//! Streaming parse of one bulk offer file into the rows it prices for a region: which
//! products qualify (see the parent module), and their single on-demand USD amount.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::{OfferInfo, OfferRows, Row};
use crate::pricing::Service;
use crate::pricing::file::normalize_usd;
use crate::region::Region;

/// Parses one offer file and returns the rows it prices for `region` (no file I/O besides
/// reading `reader`).
pub fn read_offer<R: Read>(reader: R, region: Region) -> Result<OfferRows, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let raw = OfferSeed { region }.deserialize(&mut de)?;
    de.end()?;
    let mut rows = Vec::new();
    let mut skipped = 0;
    for (sku, (service, item)) in raw.products {
        let unit = expected_unit(service, &item);
        let amounts: Vec<String> = raw
            .on_demand
            .get(&sku)
            .into_iter()
            .flatten()
            .filter(|d| d.unit.eq_ignore_ascii_case(unit))
            .filter_map(|d| d.price_per_unit.get("USD").and_then(|p| normalize_usd(p)))
            .collect();
        match amounts.as_slice() {
            [first, rest @ ..] if rest.iter().all(|a| a == first) => rows.push(Row {
                service,
                item,
                usd: first.clone(),
            }),
            _ => skipped += 1,
        }
    }
    rows.sort();
    // Two SKUs for one row with different amounts are reported by `generate`; identical ones
    // collapse here.
    rows.dedup();
    Ok(OfferRows {
        info: raw.info,
        rows,
        skipped,
    })
}

fn expected_unit(service: Service, item: &str) -> &'static str {
    match (service, item) {
        (Service::Ec2, _) => "Hrs",
        (Service::Ebs, _) => "GB-Mo",
        (_, "gp3_throughput") => "GiBps-mo",
        _ => "IOPS-Mo",
    }
}

/// The attributes the filters read; serde skips the rest without allocating them.
#[derive(Debug, Default, Deserialize)]
struct Attributes {
    #[serde(rename = "regionCode")]
    region_code: Option<String>,
    location: Option<String>,
    #[serde(rename = "locationType")]
    location_type: Option<String>,
    #[serde(rename = "instanceType")]
    instance_type: Option<String>,
    #[serde(rename = "operatingSystem")]
    operating_system: Option<String>,
    tenancy: Option<String>,
    #[serde(rename = "preInstalledSw")]
    pre_installed_sw: Option<String>,
    capacitystatus: Option<String>,
    #[serde(rename = "licenseModel")]
    license_model: Option<String>,
    operation: Option<String>,
    marketoption: Option<String>,
    #[serde(rename = "volumeApiName")]
    volume_api_name: Option<String>,
    group: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Product {
    #[serde(rename = "productFamily", default)]
    product_family: String,
    #[serde(default)]
    attributes: Attributes,
}

#[derive(Debug, Deserialize)]
struct Term {
    #[serde(rename = "priceDimensions", default)]
    price_dimensions: HashMap<String, Dimension>,
}

#[derive(Debug, Deserialize)]
struct Dimension {
    #[serde(default)]
    unit: String,
    #[serde(rename = "pricePerUnit", default)]
    price_per_unit: HashMap<String, String>,
}

/// The table row a product maps to in `region`, if any (see the module doc).
fn classify(product: &Product, region: Region) -> Option<(Service, String)> {
    let a = &product.attributes;
    let is = |v: &Option<String>, want: &str| v.as_deref() == Some(want);
    let absent_or = |v: &Option<String>, want: &str| v.as_deref().is_none_or(|x| x == want);
    let in_region = match &a.region_code {
        Some(code) => code == region.code(),
        None => a
            .location
            .as_deref()
            .is_some_and(|l| region.location_names().contains(&l)),
    };
    if !in_region || !absent_or(&a.location_type, "AWS Region") {
        return None;
    }
    let volume = a.volume_api_name.as_deref().filter(|v| !v.is_empty());
    match product.product_family.as_str() {
        "Compute Instance" | "Compute Instance (bare metal)" => {
            let linux_shared = is(&a.operating_system, "Linux")
                && is(&a.tenancy, "Shared")
                && is(&a.pre_installed_sw, "NA")
                && absent_or(&a.capacitystatus, "Used")
                && absent_or(&a.license_model, "No License required")
                && absent_or(&a.operation, "RunInstances")
                && absent_or(&a.marketoption, "OnDemand");
            let instance_type = a.instance_type.as_deref().filter(|t| !t.is_empty())?;
            linux_shared.then(|| (Service::Ec2, instance_type.to_owned()))
        }
        "Storage" => volume.map(|v| (Service::Ebs, v.to_owned())),
        "System Operation" if is(&a.group, "EBS IOPS") => match volume? {
            "gp3" => Some((Service::EbsExtras, "gp3_iops".to_owned())),
            "io1" => Some((Service::EbsExtras, "io1_iops".to_owned())),
            _ => None,
        },
        "Provisioned Throughput" if volume == Some("gp3") => {
            Some((Service::EbsExtras, "gp3_throughput".to_owned()))
        }
        _ => None,
    }
}

/// What the streaming pass keeps.
struct RawOffer {
    info: OfferInfo,
    /// sku -> row it maps to.
    products: HashMap<String, (Service, String)>,
    /// sku -> its on-demand price dimensions.
    on_demand: HashMap<String, Vec<Dimension>>,
}

struct OfferSeed {
    region: Region,
}

impl<'de> DeserializeSeed<'de> for OfferSeed {
    type Value = RawOffer;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawOffer, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OfferSeed {
    type Value = RawOffer;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an AWS price list offer object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawOffer, A::Error> {
        let mut info = OfferInfo::default();
        let mut products: Option<HashMap<String, (Service, String)>> = None;
        let mut on_demand = HashMap::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "formatVersion" => info.format_version = map.next_value()?,
                "offerCode" => info.offer_code = map.next_value()?,
                "version" => info.version = map.next_value()?,
                "publicationDate" => info.publication_date = map.next_value()?,
                "products" => {
                    products = Some(map.next_value_seed(ProductsSeed {
                        region: self.region,
                    })?)
                }
                "terms" => {
                    on_demand = map.next_value_seed(TermsSeed {
                        wanted: products.as_ref(),
                    })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if info.offer_code.is_empty() {
            return Err(serde::de::Error::missing_field("offerCode"));
        }
        let products = products.ok_or_else(|| serde::de::Error::missing_field("products"))?;
        Ok(RawOffer {
            info,
            products,
            on_demand,
        })
    }
}

/// Streams `products`, keeping only SKUs that map to a row of the region.
struct ProductsSeed {
    region: Region,
}

impl<'de> DeserializeSeed<'de> for ProductsSeed {
    type Value = HashMap<String, (Service, String)>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ProductsSeed {
    type Value = HashMap<String, (Service, String)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of sku to product")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kept = HashMap::new();
        while let Some(sku) = map.next_key::<String>()? {
            let product: Product = map.next_value()?;
            if let Some(row) = classify(&product, self.region) {
                kept.insert(sku, row);
            }
        }
        Ok(kept)
    }
}

/// Streams `terms`, reading only `OnDemand` (of the wanted SKUs when products came first).
struct TermsSeed<'w> {
    wanted: Option<&'w HashMap<String, (Service, String)>>,
}

impl<'de> DeserializeSeed<'de> for TermsSeed<'_> {
    type Value = HashMap<String, Vec<Dimension>>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TermsSeed<'_> {
    type Value = HashMap<String, Vec<Dimension>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of term type to terms")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = HashMap::new();
        while let Some(kind) = map.next_key::<String>()? {
            if kind == "OnDemand" {
                out = map.next_value_seed(OnDemandSeed {
                    wanted: self.wanted,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

struct OnDemandSeed<'w> {
    wanted: Option<&'w HashMap<String, (Service, String)>>,
}

impl<'de> DeserializeSeed<'de> for OnDemandSeed<'_> {
    type Value = HashMap<String, Vec<Dimension>>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OnDemandSeed<'_> {
    type Value = HashMap<String, Vec<Dimension>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of sku to on-demand offer terms")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = HashMap::new();
        while let Some(sku) = map.next_key::<String>()? {
            if self.wanted.is_none_or(|w| w.contains_key(&sku)) {
                let terms: HashMap<String, Term> = map.next_value()?;
                let dims = terms
                    .into_values()
                    .flat_map(|t| t.price_dimensions.into_values())
                    .collect();
                out.insert(sku, dims);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}
