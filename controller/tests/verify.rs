//! `verify` against the emulator: an account with the reference deployment's prerequisites
//! and seven planted problems (missing log group, execution role without trust, a security
//! group missing one of the 13 ports, VPC without DNS hostnames, a subnet in another VPC, a
//! missing ECR image, a missing secret). `verify` reports each (exit 2) and passes (exit 0)
//! once each is fixed, without writing anything.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, IpPermission, IpRange, UserIdGroupPair,
};
use support::{Case, Names, Network, reference_files, substitute};

const ACCOUNT: &str = "123456789012";

fn trust(service: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]
    })
    .to_string()
}

/// What the test builds in the emulator.
struct Account {
    vpc: String,
    other_vpc: String,
    subnets: [String; 2],
    foreign_subnet: String,
    group: String,
    role: String,
    log_group: String,
    repository: String,
    parameter: String,
}

fn tcp(from: i32, to: i32, cidr: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(from)
        .to_port(to)
        .ip_ranges(IpRange::builder().cidr_ip(cidr).build())
        .build()
}

/// Builds a VPC with DNS support but no DNS hostnames, two private subnets routed through a
/// NAT gateway, a security group open on 8001-8012 only, a second VPC with one subnet, and
/// an execution role trusting EC2 instead of ECS tasks.
async fn plant(case: &Case) -> Account {
    let config = case.emu.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let iam = aws_sdk_iam::Client::new(&config);
    let ecr = aws_sdk_ecr::Client::new(&config);
    let suffix = &case.names.suffix;

    let vpc = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_owned();
    let mut subnets = Vec::new();
    for cidr in ["10.20.1.0/24", "10.20.2.0/24"] {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .send()
            .await
            .unwrap();
        subnets.push(s.subnet().unwrap().subnet_id().unwrap().to_owned());
    }
    let eip = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .unwrap();
    let nat = ec2
        .create_nat_gateway()
        .subnet_id(&subnets[0])
        .allocation_id(eip.allocation_id().unwrap())
        .send()
        .await
        .unwrap();
    let nat = nat
        .nat_gateway()
        .unwrap()
        .nat_gateway_id()
        .unwrap()
        .to_owned();
    let table = ec2.create_route_table().vpc_id(&vpc).send().await.unwrap();
    let table = table
        .route_table()
        .unwrap()
        .route_table_id()
        .unwrap()
        .to_owned();
    ec2.create_route()
        .route_table_id(&table)
        .destination_cidr_block("0.0.0.0/0")
        .nat_gateway_id(&nat)
        .send()
        .await
        .unwrap();
    for s in &subnets {
        ec2.associate_route_table()
            .route_table_id(&table)
            .subnet_id(s)
            .send()
            .await
            .unwrap();
    }
    let group = ec2
        .create_security_group()
        .vpc_id(&vpc)
        .group_name(format!("plugin-{suffix}"))
        .description("plugin ports")
        .send()
        .await
        .unwrap();
    let group = group.group_id().unwrap().to_owned();
    ec2.authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(tcp(8001, 8012, "10.20.0.0/16"))
        .send()
        .await
        .unwrap();

    let other = ec2
        .create_vpc()
        .cidr_block("10.30.0.0/16")
        .send()
        .await
        .unwrap();
    let other_vpc = other.vpc().unwrap().vpc_id().unwrap().to_owned();
    let foreign = ec2
        .create_subnet()
        .vpc_id(&other_vpc)
        .cidr_block("10.30.1.0/24")
        .send()
        .await
        .unwrap();
    let foreign_subnet = foreign.subnet().unwrap().subnet_id().unwrap().to_owned();

    let role = format!("exec-{suffix}");
    iam.create_role()
        .role_name(&role)
        .assume_role_policy_document(trust("ec2.amazonaws.com"))
        .send()
        .await
        .unwrap();
    // The emulator does not ship AWS managed policies, so the role carries the same actions
    // as AmazonECSTaskExecutionRolePolicy inline (the managed one is covered by unit tests).
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("pull-and-log")
        .policy_document(
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                               "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
                               "logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": "*"
                }]
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let parameter = format!("/{suffix}/token");
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("read-secrets")
        .policy_document(
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": "ssm:GetParameters",
                    "Resource": format!("arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{suffix}/*")
                }]
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let repository = format!("plugin-{suffix}");
    ecr.create_repository()
        .repository_name(&repository)
        .send()
        .await
        .unwrap();
    Account {
        vpc,
        other_vpc,
        subnets: [subnets[0].clone(), subnets[1].clone()],
        foreign_subnet,
        group,
        role,
        log_group: format!("/ecs/{suffix}"),
        repository,
        parameter,
    }
}

/// Writes the reference deployment pointing at `account`, with the second subnet `subnet_b`.
fn write_manifests(case: &Case, account: &Account, subnet_b: &str) {
    let names = Names {
        vpc: account.vpc.clone(),
        ..case.names.clone()
    };
    let network = Network {
        subnets: vec![account.subnets[0].clone(), subnet_b.to_owned()],
        security_group: account.group.clone(),
    };
    let image = format!(
        "{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/{}:1.0",
        account.repository
    );
    for (file, text) in reference_files() {
        let text = substitute(&text, &names, &network)
            .replace("role/ecsTaskExecutionRole", &format!("role/{}", account.role))
            .replace("ghcr.io/finfocus/finfocus-plugin-aws-public:0.1.0", &image)
            .replace("/ecs/finfocus-plugin", &account.log_group)
            .replace(
                "  service:\n    desiredCount",
                &format!(
                    "        secrets:\n          - {{name: API_TOKEN, valueFrom: {}}}\n  service:\n    desiredCount",
                    account.parameter
                ),
            );
        case.dir.write(&file, &text);
    }
}

/// Repairs every planted problem.
async fn fix(case: &Case, account: &Account) {
    let config = case.emu.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    ec2.modify_vpc_attribute()
        .vpc_id(&account.vpc)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    // 9090 from clients' security group rather than the CIDR: a referenced group counts.
    ec2.authorize_security_group_ingress()
        .group_id(&account.group)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(9090)
                .to_port(9090)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&account.group).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    aws_sdk_iam::Client::new(&config)
        .update_assume_role_policy()
        .role_name(&account.role)
        .policy_document(trust("ecs-tasks.amazonaws.com"))
        .send()
        .await
        .unwrap();
    aws_sdk_cloudwatchlogs::Client::new(&config)
        .create_log_group()
        .log_group_name(&account.log_group)
        .send()
        .await
        .unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
                   "digest": "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},
        "layers": []
    });
    aws_sdk_ecr::Client::new(&config)
        .put_image()
        .repository_name(&account.repository)
        .image_manifest(manifest.to_string())
        .image_tag("1.0")
        .send()
        .await
        .unwrap();
    aws_sdk_ssm::Client::new(&config)
        .put_parameter()
        .name(&account.parameter)
        .value("s3cr3t")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    write_manifests(case, account, &account.subnets[1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_finds_each_planted_problem_and_passes_once_fixed() {
    let case = Case::new("verify");
    let account = plant(&case).await;
    write_manifests(&case, &account, &account.foreign_subnet);
    let names = &case.names;

    let planted = case.run(&["verify"]);
    planted.expect_code(2);
    assert_eq!(planted.writes(), 0, "verify only reads");
    let out = &planted.stdout;
    let expected = [
        format!(
            "log group {} (container plugin) does not exist",
            account.log_group
        ),
        format!(
            "executionRoleArn arn:aws:iam::{ACCOUNT}:role/{} does not trust ecs-tasks.amazonaws.com",
            account.role
        ),
        format!(
            "security groups {} allow no inbound TCP from 10.20.0.0/16",
            account.group
        ),
        "on container port(s) 9090 (".to_owned(),
        format!("VPC {} has enableDnsHostnames off", account.vpc),
        format!(
            "subnet {} is in {}, but namespace {} is in {}",
            account.foreign_subnet, account.other_vpc, names.namespace, account.vpc
        ),
        format!(
            "{}:1.0 (container plugin) is not in its ECR repository",
            account.repository
        ),
        format!(
            "secret {} (container plugin) does not exist",
            account.parameter
        ),
    ];
    for needle in &expected {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    // Each problem names the manifest resource and its file:line, and carries a fix.
    let service_line = format!("EcsService/{} (", names.service);
    let problem = out
        .lines()
        .position(|l| l.starts_with("PROBLEM") && l.contains("log group"))
        .unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[problem].contains(&service_line), "{out}");
    assert!(
        lines[problem].contains("20-plugin-aws-public.yaml:"),
        "{out}"
    );
    assert!(
        lines[problem + 1].contains("fix: aws logs create-log-group"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "fix: aws ec2 modify-vpc-attribute --vpc-id {} --enable-dns-hostnames",
            account.vpc
        )),
        "{out}"
    );

    // `plan --verify` shows the same problems as warnings; without the flag it reads no more.
    let warned = case.run(&["plan", "--verify"]);
    warned.expect_code(2);
    assert_eq!(warned.writes(), 0);
    let warnings: Vec<&str> = warned
        .stdout
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(
        warnings.len(),
        out.lines().filter(|l| l.starts_with("PROBLEM")).count(),
        "{}",
        warned.stdout
    );
    for needle in &expected {
        assert!(
            warnings.iter().any(|w| w.contains(needle.as_str())),
            "missing {needle:?} in\n{}",
            warned.stdout
        );
    }
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&service_line) && w.contains("; fix: aws logs create-log-group")),
        "{}",
        warned.stdout
    );
    let plain = case.run(&["plan"]);
    assert!(!plain.stdout.contains("warning: "), "{}", plain.stdout);
    assert_eq!(plain.count("iam.GetRole"), 0, "{}", plain.stderr);
    let json = case.run(&["plan", "--verify", "-o", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        report["warnings"].as_array().map(Vec::len),
        Some(warnings.len()),
        "{report}"
    );
    assert_eq!(report["warnings"][0]["status"], "problem");
    let markdown = case.run(&["plan", "--verify", "-o", "markdown"]);
    assert!(
        markdown
            .stdout
            .contains(&format!("#### Pre-flight warnings ({})", warnings.len())),
        "{}",
        markdown.stdout
    );

    fix(&case, &account).await;
    let quiet = case.run(&["plan", "--verify"]);
    assert!(!quiet.stdout.contains("warning: "), "{}", quiet.stdout);
    let fixed = case.run(&["verify"]);
    fixed.expect_code(0);
    assert!(!fixed.stdout.contains("PROBLEM"), "{}", fixed.stdout);
    assert!(
        fixed.stdout.contains(&format!(
            "subnet {} reaches the internet through nat-",
            account.subnets[0]
        )),
        "{}",
        fixed.stdout
    );
    assert!(
        fixed.stdout.contains("all 13 container ports"),
        "{}",
        fixed.stdout
    );
    assert!(
        fixed.stdout.contains(&format!(
            "may read container plugin's secret {}",
            account.parameter
        )),
        "{}",
        fixed.stdout
    );
    assert_eq!(fixed.writes(), 0);

    let json = case.run(&["verify", "-o", "json"]);
    json.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["summary"]["problems"], 0);
    assert!(
        report["summary"]["passed"].as_u64().unwrap() >= 15,
        "{report}"
    );
    let markdown = case.run(&["verify", "-o", "markdown"]);
    markdown.expect_code(0);
    assert!(
        markdown
            .stdout
            .starts_with("### Pre-flight verify: 0 problem(s)"),
        "{}",
        markdown.stdout
    );
}

#[test]
fn verify_refuses_invalid_manifests_without_calling_aws() {
    let case = Case::new("verify-invalid");
    case.dir.write(
        "bad.yaml",
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: Nope\n",
    );
    let run = case.run(&["verify"]);
    run.expect_code(1);
    assert!(run.stderr.contains("unknown kind `Nope`"), "{}", run.stderr);
    assert_eq!(run.calls(), serde_json::Value::Null);
}
