//! placeholder
pub mod diagnostics;
pub mod eci;
pub mod quantity;
