//! DELETE of one object and of a collection.

use hyper::Response;

use super::Ctx;
use super::list::{Selectors, list_response, snapshot};
use crate::deletion::{DeleteOptions, Deleted, Propagation};
use crate::errors::{self, ApiError};
use crate::http::Body;
use crate::meta;

/// DeleteOptions from the body, overridden by query parameters when given.
fn options(ctx: &Ctx<'_>) -> Result<DeleteOptions, ApiError> {
    let mut options = DeleteOptions::parse(ctx.body)?;
    if let Some(policy) = ctx.query.get("propagationPolicy") {
        options.propagation_policy = Some(match policy {
            "Background" => Propagation::Background,
            "Foreground" => Propagation::Foreground,
            "Orphan" => Propagation::Orphan,
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown propagationPolicy {other:?}"
                )));
            }
        });
    }
    if ctx.query.dry_run()? {
        options.dry_run = vec!["All".into()];
    }
    Ok(options)
}

pub fn handle(ctx: &Ctx<'_>) -> Result<Response<Body>, ApiError> {
    let options = options(ctx)?;
    let outcome = ctx
        .state
        .lock()
        .delete(&ctx.desc, ctx.namespace(), ctx.name(), &options)?;
    Ok(match outcome {
        Deleted::Pending(object) => ctx.object_response(200, &object),
        Deleted::Gone(object) => {
            let uid = meta::meta_str(&object, "uid").unwrap_or_default();
            crate::http::json_response(200, &errors::success_status(&ctx.desc.subject(ctx.name()), uid))
        }
    })
}

/// DELETE of a collection: deletes every matching object, answering with the list of them.
pub fn handle_collection(ctx: &Ctx<'_>) -> Result<Response<Body>, ApiError> {
    let options = options(ctx)?;
    let selectors = Selectors::from_query(ctx)?;
    let (items, _) = snapshot(ctx, &selectors);
    let mut deleted = Vec::with_capacity(items.len());
    let revision = {
        let mut world = ctx.state.lock();
        for item in &items {
            let namespace = meta::meta_str(item, "namespace").unwrap_or_default();
            let name = meta::meta_str(item, "name").unwrap_or_default();
            match world.delete(&ctx.desc, namespace, name, &options) {
                Ok(Deleted::Pending(object) | Deleted::Gone(object)) => deleted.push(object),
                Err(ApiError::NotFound(_)) => {}
                Err(other) => return Err(other),
            }
        }
        world.store.revision()
    };
    Ok(list_response(ctx, &deleted, revision))
}
