//! API errors and the `metav1.Status` bodies a real apiserver sends for them.
//!
//! Clients key on `reason` and `code` (kube-rs matches `AlreadyExists` by reason only), so each
//! variant maps to exactly the pair the apiserver uses, with the message text kubectl prints.

use serde_json::{Value, json};

/// Who an error is about: the resource (plural and group) and the object's name.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub group: String,
    pub plural: String,
    pub kind: String,
    pub name: String,
}

impl Subject {
    /// `deployments.apps` or `configmaps`: how the apiserver names a resource in messages.
    pub fn qualified_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `Deployment.apps` or `ConfigMap`: how the apiserver names a kind in `Invalid` messages.
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }
}

/// One field-level problem inside a 422 `Invalid` or a 409 apply conflict.
#[derive(Debug, Clone)]
pub struct Cause {
    pub reason: String,
    pub field: String,
    pub message: String,
}

impl Cause {
    pub fn new(reason: &str, field: &str, message: impl Into<String>) -> Cause {
        Cause {
            reason: reason.to_string(),
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Everything a request can fail with. Each variant becomes one `Status` body.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{} \"{}\" not found", .0.qualified_resource(), .0.name)]
    NotFound(Box<Subject>),
    #[error("the server could not find the requested resource")]
    UnknownPath,
    #[error("{} \"{}\" already exists", .0.qualified_resource(), .0.name)]
    AlreadyExists(Box<Subject>),
    #[error(
        "Operation cannot be fulfilled on {} \"{}\": {}",
        .subject.qualified_resource(), .subject.name, .detail
    )]
    Conflict { subject: Box<Subject>, detail: String },
    #[error("{message}")]
    ApplyConflict {
        subject: Box<Subject>,
        message: String,
        causes: Vec<Cause>,
    },
    #[error("{} \"{}\" is invalid: {}", .subject.qualified_kind(), .subject.name, render_causes(.causes))]
    Invalid {
        subject: Box<Subject>,
        causes: Vec<Cause>,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Forbidden { subject: Box<Subject>, message: String },
    #[error("the server does not allow this method on the requested resource")]
    MethodNotAllowed,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Expired(String),
    #[error("{0}")]
    UnprocessableEntity(String),
    #[error("the sim does not implement this yet: {0}")]
    NotImplemented(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("Internal error occurred: {0}")]
    Internal(String),
}

fn render_causes(causes: &[Cause]) -> String {
    let parts: Vec<String> = causes
        .iter()
        .map(|c| {
            if c.field.is_empty() {
                c.message.clone()
            } else {
                format!("{}: {}", c.field, c.message)
            }
        })
        .collect();
    if parts.len() == 1 {
        parts[0].clone()
    } else {
        format!("[{}]", parts.join(", "))
    }
}

impl ApiError {
    pub fn code(&self) -> u16 {
        match self {
            ApiError::NotFound(_) | ApiError::UnknownPath => 404,
            ApiError::AlreadyExists(_) | ApiError::Conflict { .. } | ApiError::ApplyConflict { .. } => 409,
            ApiError::Invalid { .. } | ApiError::UnprocessableEntity(_) => 422,
            ApiError::BadRequest(_) => 400,
            ApiError::Forbidden { .. } => 403,
            ApiError::MethodNotAllowed => 405,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::Expired(_) => 410,
            ApiError::NotImplemented(_) => 501,
            ApiError::TooManyRequests(_) => 429,
            ApiError::Internal(_) => 500,
        }
    }

    pub fn reason(&self) -> &'static str {
        match self {
            ApiError::NotFound(_) | ApiError::UnknownPath => "NotFound",
            ApiError::AlreadyExists(_) => "AlreadyExists",
            ApiError::Conflict { .. } | ApiError::ApplyConflict { .. } => "Conflict",
            ApiError::Invalid { .. } => "Invalid",
            ApiError::UnprocessableEntity(_) => "Invalid",
            ApiError::BadRequest(_) => "BadRequest",
            ApiError::Forbidden { .. } => "Forbidden",
            ApiError::MethodNotAllowed => "MethodNotAllowed",
            ApiError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            ApiError::Expired(_) => "Expired",
            ApiError::NotImplemented(_) => "NotImplemented",
            ApiError::TooManyRequests(_) => "TooManyRequests",
            ApiError::Internal(_) => "InternalError",
        }
    }

    fn details(&self) -> Option<Value> {
        let named = |s: &Subject, kind: &str| json!({"name": s.name, "group": s.group, "kind": kind});
        match self {
            ApiError::NotFound(s) | ApiError::AlreadyExists(s) | ApiError::Conflict { subject: s, .. } => {
                Some(named(s, &s.plural))
            }
            ApiError::Forbidden { subject, .. } => Some(named(subject, &subject.plural)),
            ApiError::Invalid { subject, causes } => {
                let mut d = named(subject, &subject.kind);
                d["causes"] = causes_json(causes);
                Some(d)
            }
            ApiError::ApplyConflict { subject, causes, .. } => {
                let mut d = named(subject, &subject.plural);
                d["causes"] = causes_json(causes);
                Some(d)
            }
            ApiError::TooManyRequests(_) => Some(json!({"retryAfterSeconds": 1})),
            _ => None,
        }
    }

    /// The `metav1.Status` body for this error.
    pub fn status_body(&self) -> Value {
        let mut body = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),
            "code": self.code(),
        });
        if let Some(details) = self.details() {
            body["details"] = details;
        }
        body
    }
}

fn causes_json(causes: &[Cause]) -> Value {
    Value::Array(
        causes
            .iter()
            .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
            .collect(),
    )
}

/// A `Status` body reporting success, as DELETE returns when the object is gone at once.
pub fn success_status(subject: &Subject, uid: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": subject.name, "group": subject.group, "kind": subject.plural, "uid": uid},
    })
}
