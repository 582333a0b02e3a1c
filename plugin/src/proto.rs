//! The FinFocus protocol types, from the workspace crate `finfocus-proto` (generated from
//! `proto/`), re-exported so the plugin's modules and tests keep one path to them.

pub use finfocus_proto::{ERROR_DETAIL_TYPE_URL, FILE_DESCRIPTOR_SET, rpc, v1};
