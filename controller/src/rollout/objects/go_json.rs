//! Re-encodes a JSON value the way Go's `encoding/json` marshals the Go struct it stands for.
//!
//! Argo Rollouts names ReplicaSets after an FNV hash of `json.Marshal(template)`, so adopting the
//! ReplicaSets it created needs those bytes exactly: struct fields in declaration order,
//! `omitempty` honoured per field (and ignored for value structs, which Go never omits), maps
//! with sorted keys, Go's string escaping and `resource.Quantity` in canonical form. The field
//! order and tags come from the tables in [`super::go_json_fields`]; a field the table does not
//! know is an error naming it, never a guess.

use serde_json::Value;

use super::quantity::canonical_quantity;

/// A Go struct type: its name (for errors) and its JSON fields in declaration order.
pub struct GoType {
    pub name: &'static str,
    pub fields: &'static [GoField],
}

/// One field of a Go struct: its JSON name and how Go encodes it.
pub struct GoField {
    pub json: &'static str,
    pub kind: Kind,
}

/// How a field is encoded. "Omit" variants carry `omitempty`; the others are written even when
/// unset, with Go's zero value.
#[derive(Clone, Copy)]
pub enum Kind {
    /// `string` with omitempty: left out when empty.
    Str,
    /// `string` without omitempty: `""` when unset.
    StrAlways,
    /// An integer with omitempty: left out when 0.
    Int,
    /// An integer without omitempty: `0` when unset.
    IntAlways,
    /// `bool` with omitempty: left out when false.
    Bool,
    /// A pointer to a scalar with omitempty: written whenever set, even as `0`/`false`/`""`.
    Ptr,
    /// A pointer to a scalar without omitempty: `null` when unset.
    PtrAlways,
    /// `intstr.IntOrString` held by value: a struct, so never omitted; `0` when unset.
    IntOrStr,
    /// `*intstr.IntOrString` with omitempty.
    PtrIntOrStr,
    /// `resource.Quantity` held by value: never omitted, `"0"` when unset.
    Quantity,
    /// `*resource.Quantity` with omitempty.
    PtrQuantity,
    /// `metav1.Time` held by value: `null` when unset (the encoding Argo keeps for the hash).
    Time,
    /// A struct held by value: always written, `{...zero fields}` when unset.
    Struct(&'static GoType),
    /// A pointer to a struct with omitempty: written whenever set, even as `{}`.
    PtrStruct(&'static GoType),
    /// A pointer to a struct without omitempty: `null` when unset.
    NullableStruct(&'static GoType),
    /// An embedded struct (`json:",inline"`): its fields appear here, in its order.
    Inline(&'static GoType),
    /// `[]string` with omitempty.
    StrList,
    /// `[]int64` (or another integer) with omitempty.
    IntList,
    /// A slice of structs with omitempty.
    List(&'static GoType),
    /// A slice of structs without omitempty: `null` when unset.
    ListAlways(&'static GoType),
    /// `map[string]string` with omitempty.
    StrMap,
    /// `map[string]resource.Quantity` (a `ResourceList`) with omitempty.
    QuantityMap,
    /// `map[string]Struct` with omitempty.
    Map(&'static GoType),
}

/// Why a value cannot be encoded as Go would.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoJsonError {
    /// The value holds a field the Go type table does not list.
    #[error("{path}: field `{field}` of {go_type} is not supported by the template hash encoder")]
    UnknownField {
        path: String,
        field: String,
        go_type: &'static str,
    },
    /// The value has the wrong JSON type for its Go field.
    #[error("{path}: expected {expected}, found {found}")]
    WrongType {
        path: String,
        expected: &'static str,
        found: String,
    },
    /// A quantity string that `resource.ParseQuantity` would reject.
    #[error("{path}: invalid quantity {value:?}: {reason}")]
    Quantity {
        path: String,
        value: String,
        reason: String,
    },
}

/// Encodes `value` as Go marshals a `ty`.
pub fn encode(ty: &GoType, value: &Value) -> Result<String, GoJsonError> {
    let mut out = String::new();
    encode_struct(ty, Some(value), &Path::Root, &mut out)?;
    Ok(out)
}

/// Encodes a slice of `ty` (Go `json.Marshal` of `[]T`): `null` when absent.
pub fn encode_list(ty: &GoType, value: Option<&Value>) -> Result<String, GoJsonError> {
    let mut out = String::new();
    write_list(ty, value, &Path::Root, &mut out)?;
    Ok(out)
}

/// Where a value sits in the encoded document, written out as text only for an error rather
/// than for every field encoded.
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'static str),
    Index(&'a Path<'a>, usize),
    Key(&'a Path<'a>, &'a str),
}

impl Path<'_> {
    /// `.spec.containers[0].image`; the root alone is `.`.
    fn render(&self) -> String {
        let mut text = String::new();
        self.render_into(&mut text);
        if text.is_empty() {
            text.push('.');
        }
        text
    }

    fn render_into(&self, text: &mut String) {
        match self {
            Path::Root => {}
            Path::Field(parent, name) => {
                parent.render_into(text);
                text.push('.');
                text.push_str(name);
            }
            Path::Index(parent, index) => {
                parent.render_into(text);
                text.push_str(&format!("[{index}]"));
            }
            Path::Key(parent, key) => {
                parent.render_into(text);
                text.push_str(&format!("[{key}]"));
            }
        }
    }
}

fn encode_struct(
    ty: &GoType,
    value: Option<&Value>,
    path: &Path<'_>,
    out: &mut String,
) -> Result<(), GoJsonError> {
    let object = match value {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(other) => return Err(wrong(path, "an object", other)),
    };
    if let Some(map) = object {
        check_known(ty, map, path)?;
    }
    out.push('{');
    let mut first = true;
    write_fields(ty, object, path, out, &mut first)?;
    out.push('}');
    Ok(())
}

/// Every key of `map` must be a field of `ty` (or of a type it embeds).
fn check_known(
    ty: &GoType,
    map: &serde_json::Map<String, Value>,
    path: &Path<'_>,
) -> Result<(), GoJsonError> {
    for key in map.keys() {
        if !knows(ty, key) {
            return Err(GoJsonError::UnknownField {
                path: path.render(),
                field: key.clone(),
                go_type: ty.name,
            });
        }
    }
    Ok(())
}

fn knows(ty: &GoType, key: &str) -> bool {
    ty.fields.iter().any(|field| match field.kind {
        Kind::Inline(inner) => knows(inner, key),
        _ => field.json == key,
    })
}

fn write_fields(
    ty: &GoType,
    object: Option<&serde_json::Map<String, Value>>,
    path: &Path<'_>,
    out: &mut String,
    first: &mut bool,
) -> Result<(), GoJsonError> {
    for field in ty.fields {
        if let Kind::Inline(inner) = field.kind {
            write_fields(inner, object, path, out, first)?;
            continue;
        }
        let value = object.and_then(|map| map.get(field.json));
        // The key is written first and taken back when `omitempty` leaves the field out.
        let start = out.len();
        if !*first {
            out.push(',');
        }
        write_string(field.json, out);
        out.push(':');
        if write_field(field.kind, value, &Path::Field(path, field.json), out)? {
            *first = false;
        } else {
            out.truncate(start);
        }
    }
    Ok(())
}

/// Writes one field's value; returns false when `omitempty` leaves the field out.
fn write_field(
    kind: Kind,
    value: Option<&Value>,
    path: &Path<'_>,
    out: &mut String,
) -> Result<bool, GoJsonError> {
    let value = value.filter(|v| !v.is_null());
    match kind {
        Kind::Str | Kind::StrAlways => {
            let text = match value {
                Some(Value::String(text)) => text.as_str(),
                Some(other) => return Err(wrong(path, "a string", other)),
                None => "",
            };
            if text.is_empty() && matches!(kind, Kind::Str) {
                return Ok(false);
            }
            write_string(text, out);
        }
        Kind::Int | Kind::IntAlways => {
            let number = match value {
                Some(v) => integer(v, path)?,
                None => "0".to_string(),
            };
            if number == "0" && matches!(kind, Kind::Int) {
                return Ok(false);
            }
            out.push_str(&number);
        }
        Kind::Bool => match value {
            Some(Value::Bool(true)) => out.push_str("true"),
            Some(Value::Bool(false)) | None => return Ok(false),
            Some(other) => return Err(wrong(path, "a boolean", other)),
        },
        Kind::Ptr | Kind::PtrAlways => match value {
            Some(v) => write_scalar(v, path, out)?,
            None if matches!(kind, Kind::PtrAlways) => out.push_str("null"),
            None => return Ok(false),
        },
        Kind::IntOrStr => match value {
            Some(v) => write_int_or_string(v, path, out)?,
            None => out.push('0'),
        },
        Kind::PtrIntOrStr => match value {
            Some(v) => write_int_or_string(v, path, out)?,
            None => return Ok(false),
        },
        Kind::Quantity => match value {
            Some(v) => write_quantity(v, path, out)?,
            None => out.push_str("\"0\""),
        },
        Kind::PtrQuantity => match value {
            Some(v) => write_quantity(v, path, out)?,
            None => return Ok(false),
        },
        Kind::Time => match value {
            Some(Value::String(text)) => write_string(text, out),
            Some(other) => return Err(wrong(path, "a timestamp", other)),
            None => out.push_str("null"),
        },
        Kind::Struct(ty) => encode_struct(ty, value, path, out)?,
        Kind::PtrStruct(ty) => match value {
            Some(v) => encode_struct(ty, Some(v), path, out)?,
            None => return Ok(false),
        },
        Kind::NullableStruct(ty) => match value {
            Some(v) => encode_struct(ty, Some(v), path, out)?,
            None => out.push_str("null"),
        },
        // Expanded by `write_fields` before this point; nothing of its own to write.
        Kind::Inline(_) => return Ok(false),
        Kind::StrList | Kind::IntList => {
            let items = match value {
                Some(Value::Array(items)) if !items.is_empty() => items,
                Some(Value::Array(_)) | None => return Ok(false),
                Some(other) => return Err(wrong(path, "a list", other)),
            };
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                let item_path = Path::Index(path, index);
                match (kind, item) {
                    (Kind::IntList, v) => out.push_str(&integer(v, &item_path)?),
                    (_, Value::String(text)) => write_string(text, out),
                    (_, other) => return Err(wrong(&item_path, "a string", other)),
                }
            }
            out.push(']');
        }
        Kind::List(ty) | Kind::ListAlways(ty) => {
            let empty = match value {
                None => true,
                Some(Value::Array(items)) => items.is_empty(),
                Some(_) => false,
            };
            if empty && matches!(kind, Kind::List(_)) {
                return Ok(false);
            }
            write_list(ty, value, path, out)?;
        }
        Kind::StrMap | Kind::QuantityMap | Kind::Map(_) => {
            let map = match value {
                Some(Value::Object(map)) => map,
                Some(other) => return Err(wrong(path, "a map", other)),
                None => return Ok(false),
            };
            if map.is_empty() {
                return Ok(false);
            }
            write_map(kind, map, path, out)?;
        }
    }
    Ok(true)
}

fn write_list(
    ty: &GoType,
    value: Option<&Value>,
    path: &Path<'_>,
    out: &mut String,
) -> Result<(), GoJsonError> {
    match value.filter(|v| !v.is_null()) {
        None => out.push_str("null"),
        Some(Value::Array(items)) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                encode_struct(ty, Some(item), &Path::Index(path, index), out)?;
            }
            out.push(']');
        }
        Some(other) => return Err(wrong(path, "a list", other)),
    }
    Ok(())
}

fn write_map(
    kind: Kind,
    map: &serde_json::Map<String, Value>,
    path: &Path<'_>,
    out: &mut String,
) -> Result<(), GoJsonError> {
    // Go sorts map keys by their bytes.
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    out.push('{');
    for (index, key) in keys.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(key, out);
        out.push(':');
        let entry_path = Path::Key(path, key);
        let entry = &map[key.as_str()];
        match kind {
            Kind::QuantityMap => write_quantity(entry, &entry_path, out)?,
            Kind::Map(ty) => encode_struct(ty, Some(entry), &entry_path, out)?,
            _ => match entry {
                Value::String(text) => write_string(text, out),
                other => return Err(wrong(&entry_path, "a string", other)),
            },
        }
    }
    out.push('}');
    Ok(())
}

fn write_scalar(value: &Value, path: &Path<'_>, out: &mut String) -> Result<(), GoJsonError> {
    match value {
        Value::String(text) => write_string(text, out),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(_) => out.push_str(&integer(value, path)?),
        other => return Err(wrong(path, "a scalar", other)),
    }
    Ok(())
}

fn write_int_or_string(value: &Value, path: &Path<'_>, out: &mut String) -> Result<(), GoJsonError> {
    match value {
        Value::String(text) => write_string(text, out),
        Value::Number(_) => out.push_str(&integer(value, path)?),
        other => return Err(wrong(path, "an integer or a string", other)),
    }
    Ok(())
}

fn write_quantity(value: &Value, path: &Path<'_>, out: &mut String) -> Result<(), GoJsonError> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => return Err(wrong(path, "a quantity", other)),
    };
    let canonical = canonical_quantity(&text).map_err(|reason| GoJsonError::Quantity {
        path: path.render(),
        value: text.clone(),
        reason: reason.to_string(),
    })?;
    write_string(&canonical, out);
    Ok(())
}

/// An integer as Go prints it; floats never occur in the types this encoder covers.
fn integer(value: &Value, path: &Path<'_>) -> Result<String, GoJsonError> {
    match value {
        Value::Number(number) if number.is_i64() || number.is_u64() => Ok(number.to_string()),
        other => Err(wrong(path, "an integer", other)),
    }
}

/// Writes a JSON string with Go's escaping: besides `"` and `\`, Go escapes `<`, `>` and `&`
/// (HTML safety), U+2028 and U+2029, and control characters (`\b`, `\f`, `\n`, `\r`, `\t` by
/// name since Go 1.22, the rest as `\u00XX`).
pub fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", ch as u32)),
            ch if (ch as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", ch as u32)),
            ch => out.push(ch),
        }
    }
    out.push('"');
}

fn wrong(path: &Path<'_>, expected: &'static str, found: &Value) -> GoJsonError {
    GoJsonError::WrongType {
        path: path.render(),
        expected,
        found: found.to_string(),
    }
}
