//! TLS: the serving certificate, swappable while the server runs.
//!
//! rustls asks the resolver for a certificate on every handshake, so a
//! rotated certificate (cert-manager renews the Secret, the kubelet updates
//! the mounted files) is served on the next new connection; connections
//! already open keep theirs.

use std::path::Path;
use std::sync::{Arc, RwLock};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Reads a PEM chain and key into a certified key, checking that the key is
/// the certificate's.
pub fn certified_key(cert_pem: &[u8], key_pem: &[u8]) -> Result<CertifiedKey, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate file is not PEM: {e}"))?;
    if chain.is_empty() {
        return Err("the certificate file holds no CERTIFICATE block".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("the key file holds no private key: {e}"))?;
    let provider = rustls::crypto::ring::default_provider();
    let signing_key =
        provider.key_provider.load_private_key(key).map_err(|e| format!("the private key cannot be used: {e}"))?;
    let certified = CertifiedKey::new(chain, signing_key);
    certified.keys_match().map_err(|e| format!("the key does not belong to the certificate: {e}"))?;
    Ok(certified)
}

/// Reads the certificate and key files.
pub fn load(cert_file: &Path, key_file: &Path) -> Result<CertifiedKey, String> {
    let read = |p: &Path| crate::watch::read_text(p, 1 << 20);
    certified_key(read(cert_file)?.as_bytes(), read(key_file)?.as_bytes())
}

/// The certificate every new handshake gets.
#[derive(Debug)]
pub struct CurrentCert(RwLock<Arc<CertifiedKey>>);

impl CurrentCert {
    /// Starts with `key`.
    pub fn new(key: CertifiedKey) -> CurrentCert {
        CurrentCert(RwLock::new(Arc::new(key)))
    }

    /// Serves `key` from the next handshake on.
    pub fn replace(&self, key: CertifiedKey) {
        if let Ok(mut current) = self.0.write() {
            *current = Arc::new(key);
        }
    }
}

impl ResolvesServerCert for CurrentCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.read().ok().map(|k| Arc::clone(&k))
    }
}

/// The server's TLS settings: TLS 1.2 and 1.3, ALPN `h2` then `http/1.1`.
pub fn server_config(current: Arc<CurrentCert>) -> Result<Arc<rustls::ServerConfig>, String> {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS settings: {e}"))?
        .with_no_client_auth()
        .with_cert_resolver(current);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
