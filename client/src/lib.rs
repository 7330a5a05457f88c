//! A native client of the Alibaba Cloud ECI OpenAPI (`Eci`, version
//! `2018-08-08`), built on the models and signers of `eci-bridge-core`.
//!
//! # In scope
//!
//! - **Transport**: HTTPS (rustls, ring, the system's roots) and plain HTTP
//!   (a local emulator) through hyper 1; RPC style — every operation
//!   parameter in the query string, an empty body, `POST` by default, `GET`
//!   selectable (docs/eci-api.md#transport).
//! - **Signing** by [`eci_bridge_core::eci::sign`]: ACS3-HMAC-SHA256 by
//!   default, HMAC-SHA1 (V2) selectable; a fresh timestamp and nonce for
//!   every attempt ([`request`]).
//! - **Credentials** from the SDK environment variables or an Alibaba
//!   credentials INI file ([`credentials`]); the parsing is pure, reading the
//!   environment or a file is a thin wrapper.
//! - **Errors as values** ([`EciError`]): the documented error envelope
//!   (`Code`, `Message`, `RequestId`, `Recommend`), transport, timeout and
//!   decode failures, each saying whether it is worth retrying.
//! - **Retries** with capped exponential backoff and full jitter
//!   ([`RetryPolicy`], a pure schedule); creates, updates, deletes and
//!   restarts carry one `ClientToken` over all their attempts, so a retry
//!   never makes a second instance.
//! - **Pagination** of `DescribeContainerGroups` and
//!   `DescribeContainerGroupStatus` by `NextToken`, at most 20 ids per call
//!   ([`pager`]).
//! - **Typed calls** over the core's request and response models
//!   ([`EciClient`]), and a generic [`EciClient::call`].
//!
//! # Out of scope
//!
//! - Deciding what to send: requests come from the core (`translate`,
//!   `update`, …); this crate moves them.
//! - Other credential providers (ECS RAM roles, `AssumeRole`, OIDC), proxies,
//!   HTTP/2, interactive exec sessions (the WebSocket URI is returned, not
//!   opened).
//!
//! # Choices
//!
//! - The default endpoint is `https://eci.<region>.aliyuncs.com`; any URL
//!   can replace it ([`Endpoint::parse`]), `https://eci.aliyuncs.com` (the
//!   host the vendor SDKs' endpoint rule yields, docs/eci-api.md#endpoint)
//!   included.
//! - A dry-run create that passes comes back as the server sends it: the
//!   `DryRunOperation` error, which [`EciError::is_dry_run_passed`] names —
//!   as the vendor SDKs report it.
//! - `ExecContainerCommand` is not idempotent: it is retried only when the
//!   server refused it (throttling), never after a 5xx, a lost answer or a
//!   timeout.
//! - No secret (AccessKey secret, STS token, `Authorization`, `Signature`)
//!   reaches a `Debug` or `Display` output of any type here.

pub mod client;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod pager;
pub mod random;
pub mod request;
pub mod retry;
pub mod transport;

pub use client::{ClientConfig, EciClient, ExecResponse};
pub use credentials::{Credentials, CredentialsError};
pub use endpoint::{Endpoint, EndpointError};
pub use error::EciError;
pub use pager::{DescribeFilter, StatusFilter};
pub use request::{HttpRequest, SignatureVersion};
pub use retry::RetryPolicy;
pub use transport::{HttpResponse, HyperTransport, Transport, TransportError};
