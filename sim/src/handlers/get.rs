//! GET of one object (also `/status`, which returns the whole object as the apiserver does).

use hyper::Response;

use super::Ctx;
use crate::errors::ApiError;
use crate::http::Body;

pub fn handle(ctx: &Ctx<'_>) -> Result<Response<Body>, ApiError> {
    let object = ctx
        .state
        .lock()
        .store
        .get(&ctx.desc.id(), ctx.namespace(), ctx.name())
        .cloned()
        .ok_or_else(|| ApiError::NotFound(ctx.desc.subject(ctx.name())))?;
    Ok(ctx.object_response(200, &object))
}
