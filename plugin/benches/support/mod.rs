//! What the load benchmark and `examples/rpc_burst.rs` send, so that throughput and instruction
//! counts measure the same request.

use finfocus_plugin_aws_public::proto::v1::{GetProjectedCostRequest, ResourceDescriptor};

/// GetProjectedCost of an m5.large in us-east-1, with its default root volume.
pub fn projected_request() -> GetProjectedCostRequest {
    GetProjectedCostRequest {
        resource: Some(ResourceDescriptor {
            provider: "aws".to_owned(),
            resource_type: "aws:ec2/instance:Instance".to_owned(),
            sku: "m5.large".to_owned(),
            region: "us-east-1".to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    }
}
