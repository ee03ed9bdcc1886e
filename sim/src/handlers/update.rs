//! PUT: replace an object (or its status), with the body's resourceVersion as a precondition.

use hyper::Response;

use super::Ctx;
use crate::errors::ApiError;
use crate::http::{self, Body};

pub fn handle(ctx: &Ctx<'_>) -> Result<Response<Body>, ApiError> {
    let body = http::parse_json_body(ctx.content_type, ctx.body)?;
    let manager = ctx.manager();
    let opts = ctx.write_options(&manager, ctx.path.subresource.as_deref())?;
    let written = {
        let mut world = ctx.state.lock();
        let current = world
            .store
            .get(&ctx.desc.id(), ctx.namespace(), ctx.name())
            .cloned()
            .ok_or_else(|| ApiError::NotFound(ctx.desc.subject(ctx.name())))?;
        world.replace(&ctx.desc, &current, body, opts)?
    };
    let mut response = ctx.written_response(200, &written);
    http::add_warnings(&mut response, &written.warnings);
    Ok(response)
}
