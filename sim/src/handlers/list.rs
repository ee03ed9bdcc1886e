//! GET of a collection, filtered by label and field selectors.
//!
//! `limit` is accepted and ignored: the whole list comes back with no `continue`, which kube-rs
//! and kubectl both handle. The body is written item by item from the stored values, without
//! copying them into a new tree.

use std::sync::Arc;

use hyper::Response;
use serde_json::{Value, json};

use super::{Ctx, partial_metadata};
use crate::errors::ApiError;
use crate::http::{self, Body};
use crate::selectors::{FieldSelector, LabelSelector};

/// The selectors of a list or watch request.
pub struct Selectors {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Selectors {
    pub fn from_query(ctx: &Ctx<'_>) -> Result<Selectors, ApiError> {
        let desc = &ctx.desc;
        Ok(Selectors {
            labels: LabelSelector::parse(ctx.query.get("labelSelector").unwrap_or_default())?,
            fields: FieldSelector::parse(
                ctx.query.get("fieldSelector").unwrap_or_default(),
                desc.field_labels,
                &desc.kind,
            )?,
        })
    }

    pub fn matches(&self, object: &Value) -> bool {
        self.labels.matches(object) && self.fields.matches(object)
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }
}

/// The matching objects and the revision they were read at, under one lock.
pub fn snapshot(ctx: &Ctx<'_>, selectors: &Selectors) -> (Vec<Arc<Value>>, u64) {
    let world = ctx.state.lock();
    let namespace = ctx.path.namespace.as_deref();
    let resource = ctx.desc.id();
    let pinned = selectors
        .fields
        .pinned_name()
        .map(|name| (name, namespace.or((!ctx.desc.namespaced).then_some(""))));
    let items = match pinned {
        // `metadata.name=x` within one namespace (kubectl's wait loops): a lookup, not a scan.
        Some((name, Some(ns))) => world
            .store
            .get(&resource, ns, name)
            .filter(|o| selectors.matches(o))
            .cloned()
            .into_iter()
            .collect(),
        _ => world
            .store
            .list(&resource, namespace)
            .filter(|o| selectors.matches(o))
            .cloned()
            .collect(),
    };
    (items, world.store.revision())
}

pub fn handle(ctx: &Ctx<'_>) -> Result<Response<Body>, ApiError> {
    let selectors = Selectors::from_query(ctx)?;
    let (items, revision) = snapshot(ctx, &selectors);
    Ok(list_response(ctx, &items, revision))
}

/// Encodes `items` as a `<Kind>List` (or `PartialObjectMetadataList`).
pub fn list_response(ctx: &Ctx<'_>, items: &[Arc<Value>], revision: u64) -> Response<Body> {
    let header = if ctx.accept.partial_metadata {
        json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1"})
    } else {
        json!({"kind": ctx.desc.list_kind(), "apiVersion": ctx.desc.api_version()})
    };
    let mut out = Vec::with_capacity(256 + items.len() * 512);
    out.extend_from_slice(b"{\"kind\":");
    out.extend_from_slice(header["kind"].to_string().as_bytes());
    out.extend_from_slice(b",\"apiVersion\":");
    out.extend_from_slice(header["apiVersion"].to_string().as_bytes());
    out.extend_from_slice(
        format!(",\"metadata\":{{\"resourceVersion\":\"{revision}\"}},\"items\":[").as_bytes(),
    );
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let written = if ctx.accept.partial_metadata {
            serde_json::to_writer(&mut out, &partial_metadata(item))
        } else {
            serde_json::to_writer(&mut out, item.as_ref())
        };
        if written.is_err() {
            out.extend_from_slice(b"null");
        }
    }
    out.extend_from_slice(b"]}");
    http::bytes_response(200, http::JSON, out)
}
