//! The only code that talks to DynamoDB: create the lease table on first use, read the lease item, and
//! write it under a condition.
//!
//! The table: partition key `lease` (string), on-demand billing, TTL on `expires` (epoch seconds). An
//! item: `lease` (the lease name), `holder` (replica id, empty once released), `version` (number, bumped
//! by every write), `expires` (wall-clock hint for TTL clean-up only; no decision reads it).

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};

use super::decide::{Expect, Record};

/// The partition key attribute.
pub const KEY: &str = "lease";
/// The TTL attribute.
pub const TTL: &str = "expires";
/// How long after its last write an abandoned item may be removed by TTL. Far beyond any lease, so
/// a wall clock that is off by minutes still never removes a live lease.
const TTL_AFTER: Duration = Duration::from_secs(24 * 3600);

/// A lease table operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An AWS call failed.
    #[error("dynamodb {operation} on table {table}: {message}")]
    Call {
        /// The operation.
        operation: &'static str,
        /// The table.
        table: String,
        /// The AWS error, rendered.
        message: String,
    },
    /// The item does not have the expected shape.
    #[error("lease item {name} in table {table}: {problem}")]
    Malformed {
        /// The table.
        table: String,
        /// The lease name.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// The table did not become active in time.
    #[error("table {table} is not active after {waited:?}")]
    NotActive {
        /// The table.
        table: String,
        /// How long we waited.
        waited: Duration,
    },
}

/// One lease item in one table.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
    name: String,
}

fn call_error<E>(operation: &'static str, table: &str, err: &SdkError<E>) -> StoreError
where
    E: std::error::Error + 'static,
{
    StoreError::Call {
        operation,
        table: table.to_owned(),
        message: aws_sdk_dynamodb::error::DisplayErrorContext(err).to_string(),
    }
}

impl Store {
    /// The item `name` of `table`, through a client built from `config`.
    #[must_use]
    pub fn new(config: &aws_config::SdkConfig, table: &str, name: &str) -> Self {
        Self {
            client: Client::new(config),
            table: table.to_owned(),
            name: name.to_owned(),
        }
    }

    /// Creates the table (on-demand, with TTL) unless it exists, and waits until it is active.
    ///
    /// # Errors
    /// A failed call, or a table still not active after `wait`.
    pub async fn ensure_table(&self, wait: Duration) -> Result<(), StoreError> {
        let table = &self.table;
        let described = self.client.describe_table().table_name(table).send().await;
        let mut created = false;
        match described {
            Ok(out) if out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) => {
                return Ok(());
            }
            Ok(_) => {}
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                let create = self
                    .client
                    .create_table()
                    .table_name(table)
                    .billing_mode(BillingMode::PayPerRequest)
                    .attribute_definitions(
                        AttributeDefinition::builder()
                            .attribute_name(KEY)
                            .attribute_type(ScalarAttributeType::S)
                            .build()
                            .map_err(|e| malformed_request(table, &e))?,
                    )
                    .key_schema(
                        KeySchemaElement::builder()
                            .attribute_name(KEY)
                            .key_type(KeyType::Hash)
                            .build()
                            .map_err(|e| malformed_request(table, &e))?,
                    )
                    .send()
                    .await;
                match create {
                    Ok(_) => {
                        tracing::info!(table = %table, "created the lease table");
                        created = true;
                    }
                    // Another replica created it first.
                    Err(err)
                        if err
                            .as_service_error()
                            .is_some_and(|e| e.is_resource_in_use_exception()) => {}
                    Err(err) => return Err(call_error("CreateTable", table, &err)),
                }
            }
            Err(err) => return Err(call_error("DescribeTable", table, &err)),
        }
        self.wait_active(wait).await?;
        if created {
            let ttl = TimeToLiveSpecification::builder()
                .attribute_name(TTL)
                .enabled(true)
                .build()
                .map_err(|e| malformed_request(table, &e))?;
            self.client
                .update_time_to_live()
                .table_name(table)
                .time_to_live_specification(ttl)
                .send()
                .await
                .map_err(|e| call_error("UpdateTimeToLive", table, &e))?;
        }
        Ok(())
    }

    async fn wait_active(&self, wait: Duration) -> Result<(), StoreError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let out = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|e| call_error("DescribeTable", &self.table, &e))?;
            if out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(StoreError::NotActive {
                    table: self.table.clone(),
                    waited: wait,
                });
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Reads the lease item (strongly consistent).
    ///
    /// # Errors
    /// A failed call or an item without a usable `holder` and `version`.
    pub async fn read(&self) -> Result<Option<Record>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(self.name.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| call_error("GetItem", &self.table, &e))?;
        out.item().map(|item| self.parse(item)).transpose()
    }

    fn parse(&self, item: &HashMap<String, AttributeValue>) -> Result<Record, StoreError> {
        let malformed = |problem: &str| StoreError::Malformed {
            table: self.table.clone(),
            name: self.name.clone(),
            problem: problem.to_owned(),
        };
        let holder = match item.get("holder") {
            Some(AttributeValue::S(s)) => s.clone(),
            _ => return Err(malformed("no string attribute `holder`")),
        };
        let version = match item.get("version") {
            Some(AttributeValue::N(n)) => n
                .parse()
                .map_err(|_| malformed("`version` is not a whole number"))?,
            _ => return Err(malformed("no number attribute `version`")),
        };
        Ok(Record { holder, version })
    }

    /// Writes `holder` at `version` if the item matches `expect` (for [`Expect::Held`], held by
    /// `holder`; pass the releasing holder there with an empty `new_holder` to release). `Ok(false)`
    /// when the condition failed.
    ///
    /// # Errors
    /// A failed call (the write may or may not have happened).
    pub async fn write(
        &self,
        me: &str,
        new_holder: &str,
        version: u64,
        expect: &Expect,
    ) -> Result<bool, StoreError> {
        let expires = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(TTL_AFTER)
            .as_secs();
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY, AttributeValue::S(self.name.clone()))
            .item("holder", AttributeValue::S(new_holder.to_owned()))
            .item("version", AttributeValue::N(version.to_string()))
            .item(TTL, AttributeValue::N(expires.to_string()));
        self.put_if(request, expect, me).await
    }

    /// Sends `request` under `expect` (for [`Expect::Held`], held by `me`): `Ok(false)` when the
    /// condition failed.
    async fn put_if(
        &self,
        request: PutItemFluentBuilder,
        expect: &Expect,
        me: &str,
    ) -> Result<bool, StoreError> {
        let request = match expect {
            Expect::Absent => request
                .condition_expression("attribute_not_exists(#k)")
                .expression_attribute_names("#k", KEY),
            Expect::Version(v) => request
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
            Expect::Held(v) => request
                .condition_expression("#v = :v AND #h = :h")
                .expression_attribute_names("#v", "version")
                .expression_attribute_names("#h", "holder")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string()))
                .expression_attribute_values(":h", AttributeValue::S(me.to_owned())),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(call_error("PutItem", &self.table, &err)),
        }
    }
}

/// A document kept beside the lease (what the leader announced): its body and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The body (JSON written by its owner).
    pub body: String,
    /// Bumped by every write.
    pub version: u64,
}

impl Store {
    /// The item key of the document `suffix` of this lease.
    fn document_key(&self, suffix: &str) -> String {
        format!("{}#{suffix}", self.name)
    }

    /// Reads the document `suffix` kept beside this lease (strongly consistent).
    ///
    /// # Errors
    /// A failed call or an item without a string `body` and a number `version`.
    pub async fn read_document(&self, suffix: &str) -> Result<Option<Document>, StoreError> {
        let key = self.document_key(suffix);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(key.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| call_error("GetItem", &self.table, &e))?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let malformed = |problem: &str| StoreError::Malformed {
            table: self.table.clone(),
            name: key.clone(),
            problem: problem.to_owned(),
        };
        let body = match item.get("body") {
            Some(AttributeValue::S(s)) => s.clone(),
            _ => return Err(malformed("no string attribute `body`")),
        };
        let version = match item.get("version") {
            Some(AttributeValue::N(n)) => n
                .parse()
                .map_err(|_| malformed("`version` is not a whole number"))?,
            _ => return Err(malformed("no number attribute `version`")),
        };
        Ok(Some(Document { body, version }))
    }

    /// Writes the document `suffix` if it is still at `expected` (`None`: absent). `Ok(false)`
    /// when another writer got there first. It has no TTL: it lasts as long as the table.
    ///
    /// # Errors
    /// A failed call (the write may or may not have happened).
    pub async fn write_document(
        &self,
        suffix: &str,
        body: &str,
        expected: Option<u64>,
    ) -> Result<bool, StoreError> {
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY, AttributeValue::S(self.document_key(suffix)))
            .item("body", AttributeValue::S(body.to_owned()))
            .item(
                "version",
                AttributeValue::N(expected.map_or(1, |v| v + 1).to_string()),
            );
        let expect = expected.map_or(Expect::Absent, Expect::Version);
        self.put_if(request, &expect, "").await
    }
}

fn malformed_request(table: &str, err: &dyn std::error::Error) -> StoreError {
    StoreError::Call {
        operation: "CreateTable",
        table: table.to_owned(),
        message: err.to_string(),
    }
}
