//! The ECI OpenAPI side: request model, wire flattening, signing.

/// Declares a request struct whose every field is left out of the serialized
/// form while it is absent (`None`, an empty list), as the SDK's `to_map()`
/// leaves out unset parameters: one `skip_serializing_if` written here
/// instead of one on each field. Attributes and doc comments pass through;
/// each field's docs end with the wire rule, so none is undocumented.
macro_rules! wire_struct {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$field_meta:meta])* $field_vis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $(
                $(#[$field_meta])*
                #[doc = concat!("\n\nThe wire parameter of `", stringify!($field), "` in PascalCase (docs/eci-api.md#wire-names); left out while absent.")]
                #[serde(skip_serializing_if = "crate::eci::Absent::is_absent")]
                $field_vis $field: $ty,
            )*
        }
    };
}

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

/// A field of a [`wire_struct!`] that is not sent: `None` or an empty list.
pub(crate) trait Absent {
    fn is_absent(&self) -> bool;
}

impl<T> Absent for Option<T> {
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

impl<T> Absent for Vec<T> {
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}
