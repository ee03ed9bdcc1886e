//! HTTP plumbing shared by every handler: the response body type, JSON and error responses,
//! query strings (tolerating kube-rs' `?&watch=true`) and the Accept header forms clients use.

use std::collections::HashMap;
use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::Value;

use crate::errors::ApiError;

pub type Body = BoxBody<Bytes, Infallible>;

pub const JSON: &str = "application/json";

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// A response with a body already encoded.
pub fn bytes_response(status: u16, content_type: &str, bytes: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(full(bytes));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

pub fn json_response(status: u16, value: &Value) -> Response<Body> {
    bytes_response(status, JSON, serde_json::to_vec(value).unwrap_or_default())
}

pub fn error_response(error: &ApiError) -> Response<Body> {
    let mut response = json_response(error.code(), &error.status_body());
    if matches!(error, ApiError::TooManyRequests(_)) {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
    }
    response
}

pub fn text_response(status: u16, text: &str) -> Response<Body> {
    bytes_response(status, "text/plain; charset=utf-8", text.to_string())
}

/// Adds `Warning: 299 - "..."` headers, as the apiserver does for field validation warnings.
pub fn add_warnings(response: &mut Response<Body>, warnings: &[String]) {
    for warning in warnings {
        let escaped = warning.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(value) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
            response.headers_mut().append("warning", value);
        }
    }
}

/// Query parameters; empty segments (`?&watch=true`) are skipped, later values win.
#[derive(Debug, Default, Clone)]
pub struct Query {
    params: HashMap<String, String>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let mut params = HashMap::new();
        for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            params.insert(percent_decode(key), percent_decode(value));
        }
        Query { params }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }

    pub fn dry_run(&self) -> Result<bool, ApiError> {
        match self.get("dryRun") {
            None | Some("") => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::BadRequest(format!(
                "Invalid dry run value: {other:?}: supported values: \"All\""
            ))),
        }
    }
}

/// Decodes `%XX` escapes and `+` (space) in a query component; bad escapes stay as they are.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the Accept header asks for, among the forms the sim distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Accept {
    /// `as=PartialObjectMetadata` / `as=PartialObjectMetadataList` (kube-runtime's metadata watcher).
    pub partial_metadata: bool,
    /// `as=APIGroupDiscoveryList;v=v2` (aggregated discovery).
    pub aggregated_discovery: bool,
}

impl Accept {
    pub fn parse(header: Option<&str>) -> Accept {
        let mut accept = Accept::default();
        for media in header.unwrap_or_default().split(',') {
            let params: Vec<&str> = media.split(';').map(str::trim).collect();
            let has = |p: &str| params.contains(&p);
            if has("as=PartialObjectMetadata") || has("as=PartialObjectMetadataList") {
                accept.partial_metadata = true;
            }
            if has("as=APIGroupDiscoveryList") && has("v=v2") && has("g=apidiscovery.k8s.io") {
                accept.aggregated_discovery = true;
            }
        }
        accept
    }
}

/// The media type of a request body (the part before any `;`).
pub fn media_type(content_type: Option<&str>) -> &str {
    content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
}

/// Parses a JSON request body; protobuf gets the 415 the apiserver would give a client it
/// cannot decode.
pub fn parse_json_body(content_type: Option<&str>, body: &[u8]) -> Result<Value, ApiError> {
    let media = media_type(content_type);
    if media == "application/vnd.kubernetes.protobuf" {
        return Err(ApiError::UnsupportedMediaType(
            "the sim accepts JSON only; protobuf request bodies (application/vnd.kubernetes.protobuf) are not \
             supported - accepted media types include: \"application/json\", \"application/yaml\""
                .into(),
        ));
    }
    if media == "application/yaml" {
        let text = std::str::from_utf8(body).map_err(|_| ApiError::BadRequest("body is not UTF-8".into()))?;
        return serde_saphyr::from_str(text)
            .map_err(|e| ApiError::BadRequest(format!("error decoding YAML: {e}")));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("error decoding the request body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_tolerates_empty_segments_and_decodes() {
        let q = Query::parse(Some("&watch=true&labelSelector=app%3Dweb%2Ctier+in+(a)&&x"));
        assert!(q.flag("watch"));
        assert_eq!(q.get("labelSelector"), Some("app=web,tier in (a)"));
        assert_eq!(q.get("x"), Some(""));
        assert_eq!(q.get("missing"), None);
    }

    #[test]
    fn percent_decode_keeps_bad_escapes() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("a%2Fb"), "a/b");
    }

    #[test]
    fn accept_forms() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
        assert!(Accept::parse(Some(kubectl)).aggregated_discovery);
        let beta_only = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
        assert!(!Accept::parse(Some(beta_only)).aggregated_discovery);
        let meta = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
        assert!(Accept::parse(Some(meta)).partial_metadata);
        assert_eq!(Accept::parse(None), Accept::default());
    }

    #[test]
    fn protobuf_bodies_are_refused() {
        let err = parse_json_body(Some("application/vnd.kubernetes.protobuf"), b"k8s\0");
        assert_eq!(err.err().map(|e| e.code()), Some(415));
    }
}
