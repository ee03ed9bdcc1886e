//! One HTTP request from arrival to answer: routing, fault injection, the non-resource
//! endpoints (version, health, discovery, OpenAPI, `/sim/*`) and the request log.

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use hyper::{Method, Request, Response};
use serde_json::json;

use crate::clock;
use crate::discovery;
use crate::errors::ApiError;
use crate::faults::Faults;
use crate::handlers::{self, Ctx};
use crate::http::{self, Accept, Body, Query};
use crate::openapi;
use crate::request_log::RequestRecord;
use crate::router::{self, Route};
use crate::server::SimState;

/// The version `/version` reports; the kubectl dispatcher picks its binary by the minor.
pub fn version_info() -> serde_json::Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.5",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23.8",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

pub async fn handle(state: Arc<SimState>, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let arrived = clock::format_micros(jiff::Timestamp::now());
    let arrived_at = std::time::Instant::now();
    let (parts, body) = request.into_parts();
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
    };
    let content_type = header(CONTENT_TYPE).map(str::to_string);
    let accept = Accept::parse(header(ACCEPT));
    let user_agent = header(USER_AGENT).unwrap_or_default().to_string();
    let path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or_default().to_string();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let response =
                http::error_response(&ApiError::BadRequest(format!("could not read the body: {e}")));
            return Ok(response);
        }
    };
    let route = router::route(&path);
    let request = RequestParts {
        method: &parts.method,
        query: Query::parse(Some(&raw_query)),
        accept,
        content_type: content_type.as_deref(),
        user_agent: &user_agent,
        body: &body,
    };
    let response = match respond(&state, route, &request).await {
        Ok(response) => response,
        Err(error) => http::error_response(&error),
    };
    state.requests.record(RequestRecord {
        seq: 0,
        method: parts.method.to_string(),
        path,
        query: raw_query,
        content_type,
        status: response.status().as_u16(),
        time: arrived,
        arrived: arrived_at,
        answered: std::time::Instant::now(),
    });
    Ok(response)
}

/// The parts of a request the endpoints look at.
struct RequestParts<'a> {
    method: &'a Method,
    query: Query,
    accept: Accept,
    content_type: Option<&'a str>,
    user_agent: &'a str,
    body: &'a [u8],
}

async fn respond(
    state: &Arc<SimState>,
    route: Route,
    req: &RequestParts<'_>,
) -> Result<Response<Body>, ApiError> {
    let read_only = |response: Response<Body>| {
        if req.method == Method::GET {
            Ok(response)
        } else {
            Err(ApiError::MethodNotAllowed)
        }
    };
    match route {
        Route::Version => read_only(http::json_response(200, &version_info())),
        Route::Health => read_only(http::text_response(200, "ok")),
        Route::CoreRoot => {
            let response = if req.accept.aggregated_discovery {
                let document = discovery::aggregated(&state.lock().registry, true);
                aggregated_response(&document)
            } else {
                http::json_response(200, &discovery::api_versions(state.addr))
            };
            read_only(response)
        }
        Route::GroupsRoot => {
            let registry = &state.lock().registry;
            let response = if req.accept.aggregated_discovery {
                aggregated_response(&discovery::aggregated(registry, false))
            } else {
                http::json_response(200, &discovery::api_group_list(registry))
            };
            read_only(response)
        }
        Route::Group(group) => {
            let document =
                discovery::api_group_document(&state.lock().registry, &group).ok_or(ApiError::UnknownPath)?;
            read_only(http::json_response(200, &document))
        }
        Route::GroupVersion { group, version } => {
            let document = discovery::api_resource_list(&state.lock().registry, &group, &version)
                .ok_or(ApiError::UnknownPath)?;
            read_only(http::json_response(200, &document))
        }
        Route::OpenApiV3Index => read_only(http::json_response(200, &openapi::index(&state.lock().registry))),
        Route::OpenApiV3Doc(path) => {
            let document = openapi::document(&state.lock().registry, &path).ok_or(ApiError::UnknownPath)?;
            read_only(http::json_response(200, &document))
        }
        Route::OpenApiV2 | Route::Unknown => Err(ApiError::UnknownPath),
        Route::SimFaults => sim_faults(state, req),
        Route::SimRequests => read_only(http::json_response(200, &json!(state.requests.snapshot()))),
        Route::SimCompact => {
            if req.method != Method::POST {
                return Err(ApiError::MethodNotAllowed);
            }
            let revision = {
                let mut world = state.lock();
                world.store.compact();
                world.store.revision()
            };
            Ok(http::json_response(
                200,
                &json!({"compactedThrough": revision.to_string()}),
            ))
        }
        Route::Resource(path) => {
            let (delay, failure) = state.faults.decide();
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if let Some(error) = failure {
                return Err(error);
            }
            let desc = state
                .lock()
                .registry
                .lookup(&path.group, &path.version, &path.plural)
                .ok_or(ApiError::UnknownPath)?;
            if path.namespace.is_some() && !desc.namespaced {
                return Err(ApiError::UnknownPath);
            }
            let ctx = Ctx {
                state,
                desc,
                path: &path,
                query: &req.query,
                accept: req.accept,
                content_type: req.content_type,
                user_agent: req.user_agent,
                body: req.body,
            };
            handlers::dispatch(&ctx, req.method)
        }
    }
}

fn aggregated_response(document: &serde_json::Value) -> Response<Body> {
    http::bytes_response(
        200,
        discovery::AGGREGATED_CONTENT_TYPE,
        serde_json::to_vec(document).unwrap_or_default(),
    )
}

/// `GET /sim/faults` shows the settings; `POST` (or `PUT`) replaces them.
fn sim_faults(state: &Arc<SimState>, req: &RequestParts<'_>) -> Result<Response<Body>, ApiError> {
    match *req.method {
        Method::GET => {}
        Method::POST | Method::PUT => {
            let faults: Faults = serde_json::from_slice(req.body)
                .map_err(|e| ApiError::BadRequest(format!("invalid fault settings: {e}")))?;
            state.apply_faults(faults);
        }
        _ => return Err(ApiError::MethodNotAllowed),
    }
    Ok(http::json_response(200, &json!(state.faults.current())))
}
