//! Value formats of annotations, and their validation.

use serde::Serialize;
use serde_json::Value;

use crate::quantity::Quantity;
use crate::text::split_list;

/// What a list item must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum Item {
    /// An ID with this prefix (`vsw-`, `sg-`).
    Prefixed(&'static str),
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A `host`, `host:port` or IP address.
    Host,
    /// A non-negative integer.
    Integer,
    /// An ECS instance family such as `ecs.c6`.
    EcsFamily,
    /// An ACR instance, `cri-…` or `region:cri-…`.
    AcrInstance,
    /// A RAM role ARN, `acs:ram::<uid>:role/<name>`.
    RoleArn,
}

/// The documented shape of an annotation value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Format {
    /// `"true"` or `"false"`.
    Bool,
    /// A decimal integer within bounds.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// A decimal number with at most `places` decimal places, above zero.
    Decimal {
        /// Maximum number of decimal places.
        places: usize,
    },
    /// One of these words.
    OneOf {
        /// The words.
        values: &'static [&'static str],
    },
    /// An ID starting with this prefix.
    Prefixed {
        /// The prefix.
        prefix: &'static str,
    },
    /// A comma-separated list.
    List {
        /// Item shape.
        item: Item,
        /// Maximum number of items.
        max: usize,
    },
    /// `key:value,key:value`.
    KeyValues {
        /// Maximum number of pairs.
        max: usize,
    },
    /// A JSON document.
    Json,
    /// A Kubernetes quantity (`50Gi`, `40M`).
    Quantity,
    /// A dotted IPv4 address.
    Ipv4,
    /// Free text.
    Text,
    /// The `eci-use-specs` grammar: up to five `<cpu>-<mem>Gi` or ECS types.
    UseSpecs,
}

/// A validated value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Parsed {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A decimal, with its text kept (it is sent as written).
    Decimal(f64),
    /// A string.
    Text(String),
    /// A list.
    List(Vec<String>),
    /// Key/value pairs, in order.
    Pairs(Vec<(String, String)>),
    /// JSON.
    Json(Value),
}

impl Parsed {
    /// The string form (`Text`, or a list joined by commas).
    pub fn text(&self) -> Option<String> {
        match self {
            Parsed::Text(s) => Some(s.clone()),
            Parsed::List(items) => Some(items.join(",")),
            _ => None,
        }
    }

    /// The integer.
    pub fn int(&self) -> Option<i64> {
        match self {
            Parsed::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The boolean.
    pub fn bool(&self) -> Option<bool> {
        match self {
            Parsed::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The decimal.
    pub fn decimal(&self) -> Option<f64> {
        match self {
            Parsed::Decimal(d) => Some(*d),
            _ => None,
        }
    }

    /// The list items.
    pub fn list(&self) -> Vec<String> {
        match self {
            Parsed::List(items) => items.clone(),
            Parsed::Text(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

fn check_item(item: Item, s: &str) -> Result<(), String> {
    let ok = match item {
        Item::Prefixed(prefix) => s.starts_with(prefix) && s.len() > prefix.len() && is_id(s),
        Item::OneOf(values) => values.contains(&s),
        Item::Host => is_host(s),
        Item::Integer => !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
        Item::EcsFamily => s.starts_with("ecs.") && s.len() > 4 && is_id(&s[4..].replace('.', "-")),
        Item::AcrInstance => {
            let id = s.rsplit_once(':').map_or(s, |(_, id)| id);
            id.starts_with("cri-") && id.len() > 4 && is_id(id)
        }
        Item::RoleArn => s.starts_with("acs:ram::") && s.contains(":role/"),
    };
    if ok {
        Ok(())
    } else {
        Err(match item {
            Item::Prefixed(prefix) => format!("`{s}` is not an ID starting with `{prefix}`"),
            Item::OneOf(values) => format!("`{s}` is not one of {}", values.join(", ")),
            Item::Host => format!("`{s}` is not a host, host:port or IP address"),
            Item::Integer => format!("`{s}` is not a non-negative integer"),
            Item::EcsFamily => format!("`{s}` is not an ECS instance family such as `ecs.c6`"),
            Item::AcrInstance => {
                format!("`{s}` is not an ACR instance ID (`cri-…` or `region:cri-…`)")
            }
            Item::RoleArn => format!("`{s}` is not a RAM role ARN (`acs:ram::<uid>:role/<name>`)"),
        })
    }
}

fn is_id(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A DNS name, an IPv4 address or either with `:port`.
pub fn is_host(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    port_ok && host_ok
}

/// A dotted IPv4 address.
pub fn is_ipv4(s: &str) -> bool {
    s.parse::<std::net::Ipv4Addr>().is_ok()
}

impl Format {
    /// Checks `value`; `Err` carries a message that names the expected form.
    pub fn parse(self, value: &str) -> Result<Parsed, String> {
        let v = value.trim();
        match self {
            Format::Bool => match v {
                "true" => Ok(Parsed::Bool(true)),
                "false" => Ok(Parsed::Bool(false)),
                _ => Err(format!("`{v}` is not \"true\" or \"false\"")),
            },
            Format::Int { min, max } => match v.parse::<i64>() {
                Ok(i) if (min..=max).contains(&i) => Ok(Parsed::Int(i)),
                Ok(i) => Err(format!("{i} is outside {min}..={max}")),
                Err(_) => Err(format!("`{v}` is not an integer")),
            },
            Format::Decimal { places } => {
                let decimals = v.split_once('.').map_or(0, |(_, f)| f.len());
                let digits_ok = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.');
                match v.parse::<f64>() {
                    Ok(d) if digits_ok && d > 0.0 && decimals <= places => Ok(Parsed::Decimal(d)),
                    _ => Err(format!("`{v}` is not a positive decimal with at most {places} decimal places")),
                }
            }
            Format::OneOf { values } => {
                if values.contains(&v) {
                    return Ok(Parsed::Text(v.to_string()));
                }
                let mut message = format!("`{v}` is not one of {}", one_of_text(values));
                if let Some(near) = values.iter().find(|c| c.eq_ignore_ascii_case(v)) {
                    message.push_str(&format!(" (values are case-sensitive: `{near}`)"));
                }
                Err(message)
            }
            Format::Prefixed { prefix } => {
                check_item(Item::Prefixed(prefix), v)?;
                Ok(Parsed::Text(v.to_string()))
            }
            Format::List { item, max } => {
                let items = split_list(v);
                if items.is_empty() {
                    return Err("the list is empty".into());
                }
                if items.len() > max {
                    return Err(format!("{} items given, at most {max} are allowed", items.len()));
                }
                for i in &items {
                    check_item(item, i)?;
                }
                Ok(Parsed::List(items))
            }
            Format::KeyValues { max } => {
                let mut pairs = Vec::new();
                for item in split_list(v) {
                    let Some((k, val)) = item.split_once(':') else {
                        return Err(format!("`{item}` is not `key:value`"));
                    };
                    if k.trim().is_empty() {
                        return Err(format!("`{item}` has an empty key"));
                    }
                    pairs.push((k.trim().to_string(), val.trim().to_string()));
                }
                if pairs.is_empty() {
                    return Err("no `key:value` pairs".into());
                }
                if pairs.len() > max {
                    return Err(format!("{} pairs given, at most {max} are allowed", pairs.len()));
                }
                Ok(Parsed::Pairs(pairs))
            }
            Format::Json => serde_json::from_str(v).map(Parsed::Json).map_err(|e| format!("not valid JSON: {e}")),
            Format::Quantity => match Quantity::parse(v) {
                Ok(q) if !q.is_negative() => Ok(Parsed::Text(v.to_string())),
                Ok(_) => Err(format!("`{v}` is negative")),
                Err(e) => Err(e.to_string()),
            },
            Format::Ipv4 => {
                if is_ipv4(v) {
                    Ok(Parsed::Text(v.to_string()))
                } else {
                    Err(format!("`{v}` is not an IPv4 address"))
                }
            }
            Format::Text => {
                if v.is_empty() {
                    Err("the value is empty".into())
                } else {
                    Ok(Parsed::Text(v.to_string()))
                }
            }
            Format::UseSpecs => crate::sizing::UseSpecs::parse(v).map(|specs| Parsed::List(specs.entries())),
        }
    }

    /// A short human description for docs and autocompletion.
    pub fn describe(self) -> String {
        match self {
            Format::Bool => "\"true\" | \"false\"".into(),
            Format::Int { min, max } if max == i64::MAX => format!("integer ≥ {min}"),
            Format::Int { min, max } => format!("integer {min}–{max}"),
            Format::Decimal { places } => format!("decimal, ≤ {places} places"),
            Format::OneOf { values } => one_of_text(values),
            Format::Prefixed { prefix } => format!("{prefix}…"),
            Format::List { item, max } => format!("comma list of {}, ≤ {max}", item_name(item)),
            Format::KeyValues { max } => format!("key:value,… (≤ {max})"),
            Format::Json => "JSON".into(),
            Format::Quantity => "quantity (e.g. 50Gi)".into(),
            Format::Ipv4 => "IPv4 address".into(),
            Format::Text => "text".into(),
            Format::UseSpecs => "comma list of <cpu>-<mem>Gi or ECS types, ≤ 5".into(),
        }
    }
}

/// `a | b | "" (empty)`.
fn one_of_text(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| if v.is_empty() { "\"\" (empty)".to_string() } else { (*v).to_string() })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn item_name(item: Item) -> String {
    match item {
        Item::Prefixed(p) => format!("{p}… IDs"),
        Item::OneOf(v) => v.join("|"),
        Item::Host => "hosts".into(),
        Item::Integer => "integers".into(),
        Item::EcsFamily => "ECS families".into(),
        Item::AcrInstance => "ACR instances".into(),
        Item::RoleArn => "RAM role ARNs".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(Format::Bool.parse("true"), Ok(Parsed::Bool(true)));
        assert!(Format::Bool.parse("yes").is_err());
        assert!(Format::Int { min: 10, max: 1440 }.parse("5").is_err());
        assert_eq!(Format::Int { min: 10, max: 1440 }.parse("30"), Ok(Parsed::Int(30)));
        assert!(Format::Decimal { places: 3 }.parse("0.1234").is_err());
        assert_eq!(Format::Decimal { places: 3 }.parse("0.5"), Ok(Parsed::Decimal(0.5)));
        assert!(Format::Decimal { places: 3 }.parse("-1").is_err());
        let vsw = Format::List { item: Item::Prefixed("vsw-"), max: 2 };
        assert_eq!(vsw.parse(" vsw-a , vsw-b "), Ok(Parsed::List(vec!["vsw-a".into(), "vsw-b".into()])));
        assert!(vsw.parse("vsw-a,vsw-b,vsw-c").is_err());
        assert!(vsw.parse("sg-a").is_err());
        assert!(Format::KeyValues { max: 3 }.parse("a:1,b:2,c:3,d:4").is_err());
        assert_eq!(
            Format::KeyValues { max: 3 }.parse("env:test,name:alice"),
            Ok(Parsed::Pairs(vec![("env".into(), "test".into()), ("name".into(), "alice".into())]))
        );
        assert!(Format::Ipv4.parse("300.1.1.1").is_err());
        assert!(is_host("192.168.1.1:5000") && is_host("harbor.example.com") && !is_host("http://x"));
        let acr = Format::List { item: Item::AcrInstance, max: 10 };
        assert!(acr.parse("cn-beijing:cri-abc,cri-def").is_ok());
    }
}
