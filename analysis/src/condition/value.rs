//! The values a condition computes with: what metric providers hand over as `result` and what
//! expressions build from literals.
//!
//! They mirror what Argo Rollouts passes to expr-lang: a Prometheus scalar is a float, an
//! instant vector an array of floats, and a web provider's JSON body decodes as Go's
//! `encoding/json` decodes into `interface{}`, every number a float.

use std::collections::BTreeMap;
use std::fmt;

/// A value in a condition's world.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Array(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// The name of the value's type as error messages and the `type` builtin spell it:
    /// `nil`, `bool`, `int`, `float`, `string`, `array` or `map`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
        }
    }

    /// The `result` of a Prometheus query that returned a scalar.
    pub fn prometheus_scalar(sample: f64) -> Value {
        Value::Float(sample)
    }

    /// The `result` of a Prometheus query that returned an instant vector (one sample per
    /// series, in the order Prometheus sent them) or a matrix flattened to its samples.
    /// An empty vector stays an empty array, so `len(result) == 0` can test for it.
    pub fn prometheus_vector(samples: impl IntoIterator<Item = f64>) -> Value {
        Value::Array(samples.into_iter().map(Value::Float).collect())
    }

    /// The number this value holds, as a float, if it is an int or a float.
    pub(crate) fn as_number(&self) -> Option<f64> {
        match self {
            Value::Int(int) => Some(*int as f64),
            Value::Float(float) => Some(*float),
            _ => None,
        }
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Value {
        Value::Bool(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(value)
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Value {
        Value::Float(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::String(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::String(value)
    }
}

impl From<Vec<Value>> for Value {
    fn from(value: Vec<Value>) -> Value {
        Value::Array(value)
    }
}

/// Decodes JSON as Go's `encoding/json` does into `interface{}`: every number becomes a
/// [`Value::Float`] (so `result.Status == 999` compares floats, as under Argo Rollouts),
/// `null` becomes [`Value::Nil`].
///
/// The conversion recurses once per nesting level; `serde_json`'s parser already refuses
/// documents nested deeper than 128 levels, which keeps it (and every later walk over the
/// value) shallow.
impl From<serde_json::Value> for Value {
    fn from(json: serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(flag) => Value::Bool(flag),
            serde_json::Value::Number(number) => Value::Float(number.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(text) => Value::String(text),
            serde_json::Value::Array(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(fields) => Value::Map(
                fields
                    .into_iter()
                    .map(|(key, item)| (key, Value::from(item)))
                    .collect(),
            ),
        }
    }
}

/// Formats as Go's `fmt` verb `%v` does, which is what expr-lang's `string()` returns:
/// `<nil>`, `true`, `42`, `0.95`, `1e+06`, `[1 2 3]`, `map[a:1 b:2]`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("<nil>"),
            Value::Bool(flag) => write!(f, "{flag}"),
            Value::Int(int) => write!(f, "{int}"),
            Value::Float(float) => f.write_str(&format_go_float(*float)),
            Value::String(text) => f.write_str(text),
            Value::Array(items) => {
                f.write_str("[")?;
                for (position, item) in items.iter().enumerate() {
                    if position > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(fields) => {
                f.write_str("map[")?;
                for (position, (key, item)) in fields.iter().enumerate() {
                    if position > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{key}:{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Go's shortest `%v` form of a float: plain digits unless the decimal exponent is below -4
/// or at least 6, then `d.ddde±XX` with at least two exponent digits.
pub(crate) fn format_go_float(float: f64) -> String {
    if float.is_nan() {
        return "NaN".to_owned();
    }
    if float.is_infinite() {
        return if float > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    let scientific = format!("{float:e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return format!("{float}");
    };
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..6).contains(&exponent) {
        format!("{float}")
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_prints_them() {
        let cases = [
            (0.95, "0.95"),
            (1.0, "1"),
            (-0.0, "-0"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-300, "1.5e-300"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for (float, printed) in cases {
            assert_eq!(format_go_float(float), printed, "{float:?}");
        }
    }

    #[test]
    fn containers_print_as_go_prints_them() {
        let value = Value::from(serde_json::json!({"b": [1, "x", null], "a": true}));
        assert_eq!(value.to_string(), "map[a:true b:[1 x <nil>]]");
    }

    #[test]
    fn json_numbers_become_floats() {
        let value = Value::from(serde_json::json!({"Status": 999, "ratio": 0.5}));
        let Value::Map(fields) = value else {
            panic!("expected a map, got {value:?}")
        };
        assert_eq!(fields.get("Status"), Some(&Value::Float(999.0)));
        assert_eq!(fields.get("ratio"), Some(&Value::Float(0.5)));
    }

    #[test]
    fn prometheus_results_are_floats() {
        assert_eq!(Value::prometheus_scalar(0.5), Value::Float(0.5));
        assert_eq!(
            Value::prometheus_vector([0.5, 1.0]),
            Value::Array(vec![Value::Float(0.5), Value::Float(1.0)])
        );
        assert_eq!(Value::prometheus_vector([]), Value::Array(vec![]));
    }
}
