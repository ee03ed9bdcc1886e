//! Request handlers for resource URLs, one module per verb, and the dispatch between them.

mod create;
mod delete;
pub mod eviction;
mod get;
mod list;
mod patch;
mod scale;
mod update;
pub mod watch;

use std::sync::Arc;

use hyper::{Method, Response};
use serde_json::{Value, json};

use crate::admission::FieldValidation;
use crate::errors::ApiError;
use crate::http::{self, Accept, Body, Query};
use crate::registry::ResourceDescriptor;
use crate::router::ResourcePath;
use crate::server::SimState;
use crate::world::{WriteOptions, Written};

/// Everything a handler needs from the request.
pub struct Ctx<'a> {
    pub state: &'a Arc<SimState>,
    pub desc: Arc<ResourceDescriptor>,
    pub path: &'a ResourcePath,
    pub query: &'a Query,
    pub accept: Accept,
    pub content_type: Option<&'a str>,
    pub user_agent: &'a str,
    pub body: &'a [u8],
}

impl Ctx<'_> {
    pub fn namespace(&self) -> &str {
        self.path.namespace.as_deref().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.path.name.as_deref().unwrap_or_default()
    }

    /// `fieldManager`, or the User-Agent's first token as the apiserver defaults it.
    pub fn manager(&self) -> String {
        match self.query.get("fieldManager") {
            Some(manager) if !manager.is_empty() => manager.to_string(),
            _ => self.user_agent.split('/').next().unwrap_or_default().to_string(),
        }
    }

    pub fn write_options<'m>(
        &self,
        manager: &'m str,
        subresource: Option<&'m str>,
    ) -> Result<WriteOptions<'m>, ApiError> {
        Ok(WriteOptions {
            dry_run: self.query.dry_run()?,
            validation: FieldValidation::parse(self.query.get("fieldValidation"))?,
            manager,
            subresource,
            apply: false,
        })
    }

    /// The answer to a write: the stored object, in the encoding its watchers are sent.
    pub fn written_response(&self, status: u16, written: &Written) -> Response<Body> {
        match &written.event {
            Some(event) if !self.accept.partial_metadata => {
                http::bytes_response(status, http::JSON, watch::object_json(event))
            }
            _ => self.object_response(status, &written.object),
        }
    }

    /// Encodes one object for the response, as metadata only when the client asked for that.
    pub fn object_response(&self, status: u16, object: &Value) -> Response<Body> {
        if self.accept.partial_metadata {
            http::json_response(status, &partial_metadata(object))
        } else {
            http::json_response(status, object)
        }
    }
}

/// The `PartialObjectMetadata` view of an object.
pub fn partial_metadata(object: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
        "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({}))})
}

/// Routes a resource request to its handler.
pub fn dispatch(ctx: &Ctx<'_>, method: &Method) -> Result<Response<Body>, ApiError> {
    let sub = ctx.path.subresource.as_deref();
    match sub {
        None => {}
        Some("status") if ctx.desc.status_subresource => {}
        Some("scale") if ctx.desc.scale.is_some() => return scale::handle(ctx, method),
        Some("eviction") if eviction::applies(&ctx.desc) => return eviction::handle(ctx, method),
        Some(_) => return Err(ApiError::UnknownPath),
    }
    let named = ctx.path.name.is_some();
    match (method, named) {
        (&Method::GET, false) if ctx.query.flag("watch") => watch::handle(ctx),
        (&Method::GET, false) => list::handle(ctx),
        (&Method::GET, true) => get::handle(ctx),
        (&Method::POST, false) if sub.is_none() => create::handle(ctx),
        (&Method::PUT, true) => update::handle(ctx),
        (&Method::PATCH, true) => patch::handle(ctx),
        (&Method::DELETE, true) if sub.is_none() => delete::handle(ctx),
        (&Method::DELETE, false) => delete::handle_collection(ctx),
        _ => Err(ApiError::MethodNotAllowed),
    }
}
