//! Where requests go: `https://eci.<region>.aliyuncs.com`, or any
//! `http(s)://host[:port]` (a local emulator on 127.0.0.1).

use std::fmt;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP (an emulator on loopback).
    Http,
    /// HTTPS (the real service).
    Https,
}

/// An ECI endpoint: scheme and authority, no path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: Scheme,
    /// `host` or `host:port`, as sent in (and signed as) the `host` header.
    authority: String,
}

/// Why an endpoint or region was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not a URL at all.
    #[error("`{0}` is not a URL: {1}")]
    Syntax(String, String),
    /// Neither `http` nor `https`.
    #[error("`{0}` must start with http:// or https://")]
    Scheme(String),
    /// A path, query, fragment or user name: the API lives at `/`.
    #[error("`{0}` must be scheme://host[:port] only (no path, query or user)")]
    Shape(String),
    /// A region id that cannot be part of a host name.
    #[error("region `{0}` is not a region id (lowercase letters, digits and `-`, e.g. cn-hangzhou)")]
    Region(String),
}

/// True for a plausible region id (`cn-hangzhou`, `ap-southeast-1`).
pub fn is_region_id(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 64
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
}

impl Endpoint {
    /// `https://eci.<region>.aliyuncs.com`.
    pub fn for_region(region: &str) -> Result<Self, EndpointError> {
        if !is_region_id(region) {
            return Err(EndpointError::Region(region.to_string()));
        }
        Ok(Endpoint { scheme: Scheme::Https, authority: format!("eci.{region}.aliyuncs.com") })
    }

    /// `http(s)://host[:port]`, with or without a trailing `/`.
    pub fn parse(url: &str) -> Result<Self, EndpointError> {
        let uri: hyper::Uri = url.parse().map_err(|e| EndpointError::Syntax(url.to_string(), format!("{e}")))?;
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            _ => return Err(EndpointError::Scheme(url.to_string())),
        };
        let authority = uri.authority().ok_or_else(|| EndpointError::Shape(url.to_string()))?;
        let bare_path = matches!(uri.path(), "" | "/");
        if !bare_path || uri.query().is_some() || authority.as_str().contains('@') || url.contains('#') {
            return Err(EndpointError::Shape(url.to_string()));
        }
        Ok(Endpoint { scheme, authority: authority.as_str().to_ascii_lowercase() })
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// `host[:port]`: the `host` header, signed by ACS3.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The URL of a request with this (already encoded) query string.
    pub fn url(&self, query: &str) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        if query.is_empty() {
            format!("{scheme}://{}/", self.authority)
        } else {
            format!("{scheme}://{}/?{query}", self.authority)
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_default() {
        let e = Endpoint::for_region("cn-hangzhou").unwrap();
        assert_eq!(e.authority(), "eci.cn-hangzhou.aliyuncs.com");
        assert_eq!(e.url("A=1"), "https://eci.cn-hangzhou.aliyuncs.com/?A=1");
        assert_eq!(e.to_string(), "https://eci.cn-hangzhou.aliyuncs.com/");
        for bad in ["", "cn_hangzhou", "evil.com/x", "-a", "CN-HANGZHOU"] {
            assert!(Endpoint::for_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn explicit_urls() {
        let e = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((e.scheme(), e.authority()), (Scheme::Http, "127.0.0.1:8080"));
        assert_eq!(e.url("x=y"), "http://127.0.0.1:8080/?x=y");
        let e = Endpoint::parse("https://ECI.aliyuncs.com/").unwrap();
        assert_eq!((e.scheme(), e.authority()), (Scheme::Https, "eci.aliyuncs.com"));
        assert_eq!(Endpoint::parse("http://[::1]:9000").unwrap().authority(), "[::1]:9000");
    }

    #[test]
    fn refused_urls() {
        assert!(matches!(Endpoint::parse("ftp://x"), Err(EndpointError::Scheme(_))));
        assert!(matches!(Endpoint::parse("127.0.0.1:80"), Err(EndpointError::Scheme(_))));
        for bad in ["http://h/api", "http://h/?a=b", "http://u:p@h", "http://h/#f"] {
            assert!(matches!(Endpoint::parse(bad), Err(EndpointError::Shape(_))), "{bad}");
        }
        assert!(matches!(Endpoint::parse("http://a b"), Err(EndpointError::Syntax(..))));
    }
}
