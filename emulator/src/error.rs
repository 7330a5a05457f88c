//! ECI's error envelope: an HTTP status and a JSON body with `RequestId`,
//! `HostId`, `Code`, `Message` and `Recommend` (docs/eci-api.md#errors).
//!
//! The codes are the ones Alibaba Cloud's gateway and the ECI operation pages
//! document; where a page names no code for a case (a container group that
//! does not exist) the emulator uses the gateway's generic form, and the
//! constructor says so.

use serde_json::{Value, json};

/// One refused call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The `Code` field.
    pub code: String,
    /// The `Message` field.
    pub message: String,
}

impl ApiError {
    fn new(status: u16, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.to_string(), message: message.into() }
    }

    /// A required parameter is absent.
    pub fn missing(name: &str) -> ApiError {
        ApiError::new(
            400,
            "MissingParameter",
            format!("The input parameter \"{name}\" that is mandatory for processing this request is not supplied."),
        )
    }

    /// A parameter's value breaks a documented rule.
    pub fn invalid(name: &str, why: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, "InvalidParameter", format!("The specified parameter \"{name}\" is not valid: {why}"))
    }

    /// The signature does not match the one computed from the request.
    pub fn signature_mismatch() -> ApiError {
        ApiError::new(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
    }

    /// The request carries no usable signature.
    pub fn incomplete_signature(what: &str) -> ApiError {
        ApiError::new(
            400,
            "IncompleteSignature",
            format!("The request signature does not conform to Aliyun standards: {what}"),
        )
    }

    /// The AccessKey ID is not known.
    pub fn unknown_access_key() -> ApiError {
        ApiError::new(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    }

    /// The timestamp is missing, malformed or outside the allowed skew.
    pub fn timestamp_expired(what: &str) -> ApiError {
        ApiError::new(400, "InvalidTimeStamp.Expired", format!("Specified time stamp or date value is expired: {what}"))
    }

    /// The nonce was used within the replay window.
    pub fn nonce_used() -> ApiError {
        ApiError::new(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    }

    /// The action is not an operation of this API.
    pub fn unknown_action(action: &str) -> ApiError {
        ApiError::new(
            404,
            "InvalidAction.NotFound",
            format!("Specified api \"{action}\" is not found, please check your url and method."),
        )
    }

    /// The API version is not 2018-08-08.
    pub fn unknown_version(version: &str) -> ApiError {
        ApiError::new(400, "InvalidVersion", format!("Specified parameter Version \"{version}\" is not valid."))
    }

    /// Flow control (the per-action rate limit, or an injected burst).
    pub fn throttled() -> ApiError {
        ApiError::new(400, "Throttling.User", "Request was denied due to user flow control.")
    }

    /// An injected server fault.
    pub fn unavailable(status: u16) -> ApiError {
        match status {
            503 => ApiError::new(
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
            ),
            _ => ApiError::new(
                status,
                "InternalError",
                "The request processing has failed due to some unknown error, exception or failure.",
            ),
        }
    }

    /// The container group does not exist (no ECI page names the code; this
    /// is the gateway's generic not-found form).
    pub fn no_group(id: &str) -> ApiError {
        ApiError::new(
            404,
            "InvalidParameter.NotFound",
            format!("The specified ContainerGroupId \"{id}\" does not exist."),
        )
    }

    /// The instance's status does not allow the operation (RestartContainerGroup,
    /// UpdateContainerGroup, DeleteContainerGroup: `IncorrectStatus`).
    pub fn incorrect_status(status: &str, action: &str) -> ApiError {
        ApiError::new(
            400,
            "IncorrectStatus",
            format!("The container group is {status}; {action} is not allowed in that status."),
        )
    }

    /// A ClientToken reused with other parameters (`OperationConflict` on the
    /// operation pages).
    pub fn conflict() -> ApiError {
        ApiError::new(400, "OperationConflict", "Request was denied due to conflict with a previous request.")
    }

    /// The account's instance quota is used up.
    pub fn quota_exceeded(limit: usize) -> ApiError {
        ApiError::new(
            400,
            "QuotaExceed.ContainerGroup",
            format!("The container group quota of {limit} instances is exceeded."),
        )
    }

    /// `DryRun=true` and every check passed (docs/eci-api.md#errors).
    pub fn dry_run_passed() -> ApiError {
        ApiError::new(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
    }

    /// The JSON body ECI answers with.
    pub fn body(&self, request_id: &str) -> Value {
        json!({
            "RequestId": request_id,
            "HostId": "eci.emulator.local",
            "Code": self.code,
            "Message": self.message,
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q={}", self.code),
        })
    }

    /// Whether a well-behaved client retries this error.
    pub fn is_retryable(&self) -> bool {
        self.status >= 500 || self.code.starts_with("Throttling")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}
