//! PATCH: JSON, merge, strategic merge and apply patches of an object or its status.
//!
//! The patch is applied to the stored object under the lock, then the result goes through the
//! same update path as a PUT, so a `resourceVersion` inside the patch is a precondition.

use hyper::Response;

use super::Ctx;
use crate::engines;
use crate::errors::ApiError;
use crate::http::{self, Body};
use crate::patch::PatchType;

pub fn handle(ctx: &Ctx<'_>) -> Result<Response<Body>, ApiError> {
    let kind = engines::patch_type(ctx.content_type.unwrap_or_default(), ctx.desc.strategic_merge)?;
    let patch = engines::parse_patch_body(kind, ctx.body)?;
    let force = ctx.query.flag("force");
    if kind == PatchType::Apply && ctx.query.get("fieldManager").is_none_or(str::is_empty) {
        return Err(ApiError::UnprocessableEntity(
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
                .into(),
        ));
    }
    if force && kind != PatchType::Apply {
        return Err(ApiError::UnprocessableEntity(
            "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch"
                .into(),
        ));
    }
    let manager = ctx.manager();
    let subresource = ctx.path.subresource.as_deref();
    let mut opts = ctx.write_options(&manager, subresource)?;
    opts.apply = kind == PatchType::Apply;
    let subject = ctx.desc.subject(ctx.name());
    let written = {
        let mut world = ctx.state.lock();
        let now = world.now();
        let current = world
            .store
            .get(&ctx.desc.id(), ctx.namespace(), ctx.name())
            .cloned();
        match current {
            None if kind == PatchType::Apply && subresource.is_none() => {
                let object = engines::server_side_apply(None, &patch, &manager, force, &now, &subject)?;
                world.create(&ctx.desc, ctx.path.namespace.as_deref(), object, opts)?
            }
            None => return Err(ApiError::NotFound(ctx.desc.subject(ctx.name()))),
            Some(current) => {
                let candidate = match kind {
                    PatchType::Apply => {
                        engines::server_side_apply(Some(&current), &patch, &manager, force, &now, &subject)?
                    }
                    other => engines::apply_patch(other, &current, &patch, &ctx.desc.kind)?,
                };
                world.replace(&ctx.desc, &current, candidate, opts)?
            }
        }
    };
    let status = if written.created { 201 } else { 200 };
    let mut response = ctx.written_response(status, &written);
    http::add_warnings(&mut response, &written.warnings);
    Ok(response)
}
