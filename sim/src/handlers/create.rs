//! POST: create an object.

use hyper::Response;

use super::Ctx;
use crate::errors::ApiError;
use crate::http::{self, Body};
use crate::world;

pub fn handle(ctx: &Ctx<'_>) -> Result<Response<Body>, ApiError> {
    let body = http::parse_json_body(ctx.content_type, ctx.body)?;
    let manager = ctx.manager();
    let opts = ctx.write_options(&manager, None)?;
    let admitted = world::admit_new(&ctx.desc, body, opts.validation)?;
    let written =
        ctx.state
            .lock()
            .create_admitted(&ctx.desc, ctx.path.namespace.as_deref(), admitted, opts)?;
    let mut response = ctx.written_response(201, &written);
    http::add_warnings(&mut response, &written.warnings);
    Ok(response)
}
