//! Reading the answer of Prometheus' `/api/v1/query`: a scalar is one float, an instant
//! vector one float per series, a matrix all its samples flattened; NaN and ±Inf (sent as
//! the strings `"NaN"`, `"+Inf"`, `"-Inf"`) are kept. Values print as Argo prints them:
//! `0.99`, `[0.99,0.5]`, `[]`.

use serde_json::Value as Json;

use crate::condition::Value;

/// The numbers a query returned.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    Scalar(f64),
    /// An instant vector (one per series, in Prometheus' order) or a flattened matrix.
    Samples(Vec<f64>),
}

impl QueryResult {
    /// The condition's `result`.
    pub fn value(&self) -> Value {
        match self {
            QueryResult::Scalar(sample) => Value::prometheus_scalar(*sample),
            QueryResult::Samples(samples) => Value::prometheus_vector(samples.iter().copied()),
        }
    }

    /// The measurement's `value`.
    pub fn printed(&self) -> String {
        match self {
            QueryResult::Scalar(sample) => print_sample(*sample),
            QueryResult::Samples(samples) => {
                let printed: Vec<String> = samples.iter().map(|sample| print_sample(*sample)).collect();
                format!("[{}]", printed.join(","))
            }
        }
    }
}

/// Why an answer gives no numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerError {
    /// Prometheus said `"status": "error"`.
    Refused { error_type: String, error: String },
    /// Not the JSON Prometheus sends.
    Malformed(String),
    /// A result type that is not a number (`string`) or not known.
    Unsupported(String),
}

/// Reads the body of a query answer.
pub fn read_answer(body: &[u8]) -> Result<QueryResult, AnswerError> {
    let document: Json =
        serde_json::from_slice(body).map_err(|error| AnswerError::Malformed(format!("not JSON: {error}")))?;
    if document["status"] == "error" {
        let text = |key: &str| document[key].as_str().unwrap_or_default().to_string();
        return Err(AnswerError::Refused {
            error_type: text("errorType"),
            error: text("error"),
        });
    }
    if document["status"] != "success" {
        return Err(AnswerError::Malformed("no \"status\": \"success\"".to_string()));
    }
    let data = &document["data"];
    let result = &data["result"];
    match data["resultType"].as_str().unwrap_or_default() {
        "scalar" => sample(result).map(QueryResult::Scalar),
        "vector" => series(result)?
            .iter()
            .map(|series| sample(&series["value"]))
            .collect::<Result<_, _>>()
            .map(QueryResult::Samples),
        "matrix" => {
            let mut samples = Vec::new();
            for series in series(result)? {
                let values = series["values"]
                    .as_array()
                    .ok_or_else(|| malformed("a matrix series without values"))?;
                for value in values {
                    samples.push(sample(value)?);
                }
            }
            Ok(QueryResult::Samples(samples))
        }
        other => Err(AnswerError::Unsupported(format!(
            "result type {other:?} is not a number"
        ))),
    }
}

fn series(result: &Json) -> Result<&Vec<Json>, AnswerError> {
    result.as_array().ok_or_else(|| malformed("result is not a list"))
}

/// One `[timestamp, "value"]` pair.
fn sample(pair: &Json) -> Result<f64, AnswerError> {
    let text = pair
        .get(1)
        .and_then(Json::as_str)
        .ok_or_else(|| malformed("a sample is not [time, \"value\"]"))?;
    parse_sample(text).ok_or_else(|| malformed(&format!("sample {text:?} is not a number")))
}

/// A sample as Prometheus writes it, NaN and infinities included.
pub fn parse_sample(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// A sample as Go's `strconv.FormatFloat(v, 'f', -1, 64)` writes it.
pub fn print_sample(sample: f64) -> String {
    if sample.is_nan() {
        "NaN".to_string()
    } else if sample.is_infinite() {
        if sample > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        format!("{sample}")
    }
}

fn malformed(what: &str) -> AnswerError {
    AnswerError::Malformed(what.to_string())
}
