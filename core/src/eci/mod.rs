//! The ECI OpenAPI side: request model, wire flattening, signing.

pub mod describe;
pub mod request;
pub mod secret;
pub mod sign;
pub mod update;
pub mod wire;

pub use request::*;
pub use secret::{REDACTED, SecretString, Sensitive};
pub use sign::{Credentials, HttpMethod, SignedAcs3, SignedRpc, SigningContext, Timestamp, sign_acs3, sign_rpc};
pub use wire::WireParams;
