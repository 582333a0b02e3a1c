//! Manifest files as YAML: the typed spec serialized in its declared field order (so
//! `name` and `image` come first, as people write them), under a comment naming the ARNs the
//! object was read from.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ManifestFile;
use crate::manifest::ResourceKey;
use crate::{ANNOTATION_ADOPT, API_VERSION};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a, S> {
    api_version: &'a str,
    kind: &'a str,
    metadata: Metadata<'a>,
    spec: &'a S,
}

#[derive(Serialize)]
struct Metadata<'a> {
    name: &'a str,
    annotations: BTreeMap<&'a str, &'a str>,
}

/// One file holding the object `key` with `spec`.
pub(super) fn file<S: Serialize>(
    name: &str,
    key: ResourceKey,
    sources: &[&str],
    spec: &S,
) -> ManifestFile {
    let document = Document {
        api_version: API_VERSION,
        kind: key.kind.as_str(),
        metadata: Metadata {
            name: &key.name,
            annotations: BTreeMap::from([(ANNOTATION_ADOPT, "true")]),
        },
        spec,
    };
    let mut text = String::from("# Written by `finfocus-ecs-controller import` from:\n");
    for arn in sources {
        text.push_str("#   ");
        text.push_str(arn);
        text.push('\n');
    }
    // The specs are plain data (strings, numbers, maps, lists): serializing them cannot fail,
    // and an empty body would fail `validate` loudly rather than pass silently.
    text.push_str(&serde_saphyr::to_string(&document).unwrap_or_default());
    if !text.ends_with('\n') {
        text.push('\n');
    }
    ManifestFile {
        name: name.to_owned(),
        key,
        text,
    }
}
