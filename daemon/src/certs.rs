//! `eci-bridge certs`: a CA and a serving certificate for the webhook, for
//! clusters without cert-manager.
//!
//! The files are named as the keys of a Kubernetes TLS Secret (`tls.crt`,
//! `tls.key`, and `ca.crt` as cert-manager writes it), so a Secret made from
//! the folder mounts where cert-manager's would. Keys are ECDSA P-256. The
//! serving certificate names the Service the way the API server dials it
//! (`<name>.<namespace>.svc`, plus the shorter and longer forms) and every
//! extra `--dns`/`--ip`; it is valid for one year, the CA for ten. Both start
//! one hour in the past, for clocks a little behind.

use std::net::IpAddr;

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// What to certify.
#[derive(Debug, Clone)]
pub struct CertRequest {
    /// The webhook Service's name.
    pub service_name: String,
    /// Its namespace.
    pub service_namespace: String,
    /// More DNS names.
    pub dns: Vec<String>,
    /// IP addresses (e.g. 127.0.0.1 for a local run).
    pub ips: Vec<IpAddr>,
    /// The time the certificates start from (the caller's clock).
    pub now: jiff::Timestamp,
}

/// The generated files.
#[derive(Debug, Clone)]
pub struct CertBundle {
    /// `ca.crt`: the CA certificate (PEM).
    pub ca_crt: String,
    /// `tls.crt`: the serving certificate (PEM).
    pub tls_crt: String,
    /// `tls.key`: its private key (PEM, PKCS#8).
    pub tls_key: String,
}

impl CertBundle {
    /// The `caBundle` of a webhook configuration: base64 of `ca.crt`.
    pub fn ca_bundle(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.ca_crt.as_bytes())
    }
}

impl CertRequest {
    /// The DNS names of the serving certificate: the Service's forms first.
    pub fn dns_names(&self) -> Vec<String> {
        let (n, ns) = (&self.service_name, &self.service_namespace);
        let mut names =
            vec![n.clone(), format!("{n}.{ns}"), format!("{n}.{ns}.svc"), format!("{n}.{ns}.svc.cluster.local")];
        for d in &self.dns {
            if !names.contains(d) {
                names.push(d.clone());
            }
        }
        names
    }

    /// Problems with the request, one message each.
    pub fn check(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !eci_bridge_core::is_dns_label(&self.service_name) {
            out.push(format!("--service-name `{}` is not a Service name (a DNS label)", self.service_name));
        }
        if !eci_bridge_core::is_dns_label(&self.service_namespace) {
            out.push(format!("--service-namespace `{}` is not a namespace name (a DNS label)", self.service_namespace));
        }
        for d in &self.dns {
            if !eci_bridge_core::is_dns_subdomain(d) {
                out.push(format!("--dns `{d}` is not a DNS name"));
            }
        }
        out
    }

    /// Generates the CA and the serving certificate.
    pub fn generate(&self) -> Result<CertBundle, String> {
        let problems = self.check();
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        let fail = |what: &str, e: rcgen::Error| format!("cannot generate the {what}: {e}");
        let ca_key = KeyPair::generate().map_err(|e| fail("CA key", e))?;
        let mut ca = CertificateParams::default();
        ca.distinguished_name = name(&format!("eci-bridge webhook CA ({})", self.service_namespace));
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        (ca.not_before, ca.not_after) = validity(self.now, 10 * 365)?;
        let ca_crt = ca.self_signed(&ca_key).map_err(|e| fail("CA certificate", e))?.pem();
        let issuer = Issuer::new(ca, ca_key);

        let key = KeyPair::generate().map_err(|e| fail("serving key", e))?;
        let dns = self.dns_names();
        let mut serving = CertificateParams::new(dns.clone()).map_err(|e| fail("serving certificate", e))?;
        serving.subject_alt_names.extend(self.ips.iter().map(|ip| SanType::IpAddress(*ip)));
        serving.distinguished_name = name(&dns[2]);
        serving.is_ca = IsCa::ExplicitNoCa;
        serving.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        serving.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        (serving.not_before, serving.not_after) = validity(self.now, 365)?;
        let tls_crt = serving.signed_by(&key, &issuer).map_err(|e| fail("serving certificate", e))?.pem();
        Ok(CertBundle { ca_crt, tls_crt, tls_key: key.serialize_pem() })
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

fn validity(now: jiff::Timestamp, days: i64) -> Result<(time::OffsetDateTime, time::OffsetDateTime), String> {
    let at = |t: jiff::Timestamp| {
        time::OffsetDateTime::from_unix_timestamp(t.as_second()).map_err(|e| format!("time out of range: {e}"))
    };
    let start = now.checked_sub(jiff::SignedDuration::from_hours(1)).map_err(|e| e.to_string())?;
    let end = now.checked_add(jiff::SignedDuration::from_hours(24 * days)).map_err(|e| e.to_string())?;
    Ok((at(start)?, at(end)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CertRequest {
        CertRequest {
            service_name: "eci-bridge-webhook".into(),
            service_namespace: "kube-system".into(),
            dns: vec!["localhost".into()],
            ips: vec!["127.0.0.1".parse().expect("ip")],
            now: "2026-12-02T00:00:00Z".parse().expect("time"),
        }
    }

    #[test]
    fn the_serving_certificate_is_usable_by_the_server() {
        let bundle = request().generate().expect("certs");
        assert!(bundle.ca_crt.starts_with("-----BEGIN CERTIFICATE-----"));
        crate::tls::certified_key(bundle.tls_crt.as_bytes(), bundle.tls_key.as_bytes()).expect("key matches");
        assert!(base64::engine::general_purpose::STANDARD.decode(bundle.ca_bundle()).is_ok());
    }

    #[test]
    fn the_service_forms_come_first_and_bad_names_are_refused() {
        assert_eq!(
            request().dns_names(),
            [
                "eci-bridge-webhook",
                "eci-bridge-webhook.kube-system",
                "eci-bridge-webhook.kube-system.svc",
                "eci-bridge-webhook.kube-system.svc.cluster.local",
                "localhost"
            ]
        );
        let bad = CertRequest { service_name: "Bad_Name".into(), dns: vec!["-x".into()], ..request() };
        let e = bad.generate().expect_err("refused");
        assert!(e.contains("--service-name `Bad_Name`") && e.contains("--dns `-x`"), "{e}");
    }
}
