//! A local ECI 2018-08-08 endpoint's model, with no IO: what `eci-bridge
//! emulate` serves and what a provider simulation can run in-process.
//!
//! In scope: both signature versions with timestamp skew and nonce reuse
//! ([`auth`]); parameter checks with the documented limits ([`validate`]);
//! ClientToken idempotency, zones with stock, a quota, and the instance
//! lifecycle with container states, restart counts and events on a virtual
//! clock ([`cloud`], [`group`]); faults and rate limits drawn
//! deterministically from a seed ([`scenario`]); the documented error
//! envelope ([`error`]). Time is always an input ([`emulator::Clock`]).
//!
//! Not in scope: sockets, TLS and sleeping (the daemon crate's
//! `emulate` module), real containers (ExecContainerCommand answers the
//! documented response and runs nothing; logs are the emulator's own
//! lifecycle lines), image caches, billing, and the operations of
//! docs/eci-api.md#other-operations.

pub mod auth;
pub mod cloud;
pub mod emulator;
pub mod error;
pub mod group;
pub mod scenario;
pub mod validate;

pub use emulator::{Clock, Config, Emulator, Reply};
