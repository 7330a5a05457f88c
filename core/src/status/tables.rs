//! The documented tables the status mapping walks: ECI instance status →
//! pod phase (docs/status.md#phase-table, the official "Lifecycle of a
//! pod" table) and ECI event reasons → Kubernetes event type and the
//! condition they set (docs/status.md#pod-conditions, #events).

use serde::Serialize;

/// One row of the official status table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseRow {
    /// ECI `Status`.
    pub status: &'static str,
    /// Kubernetes pod phase.
    pub phase: &'static str,
    /// Whether ECI bills the instance in this status.
    pub billed: bool,
    /// What the status means.
    pub meaning: &'static str,
}

/// ECI status → pod phase, exactly as documented.
pub const PHASES: &[PhaseRow] = &[
    PhaseRow { status: "Scheduling", phase: "Pending", billed: false, meaning: "the instance is being created" },
    PhaseRow {
        status: "Pending",
        phase: "Pending",
        billed: true,
        meaning: "containers are being started; none runs yet",
    },
    PhaseRow {
        status: "Running",
        phase: "Running",
        billed: true,
        meaning: "all containers created; at least one runs or restarts",
    },
    PhaseRow { status: "Restarting", phase: "Pending", billed: true, meaning: "the instance is restarting" },
    PhaseRow { status: "Updating", phase: "Pending", billed: true, meaning: "the instance is being updated" },
    PhaseRow { status: "Terminating", phase: "Running", billed: true, meaning: "being terminated; preStop hooks run" },
    PhaseRow {
        status: "Succeeded",
        phase: "Succeeded",
        billed: false,
        meaning: "all containers finished successfully",
    },
    PhaseRow {
        status: "Failed",
        phase: "Failed",
        billed: false,
        meaning: "all containers finished; at least one failed",
    },
    PhaseRow { status: "Expired", phase: "Failed", billed: false, meaning: "a spot instance was reclaimed" },
    PhaseRow {
        status: "ScheduleFailed",
        phase: "Failed",
        billed: false,
        meaning: "creation failed; deleted after 24 h, not billed",
    },
];

/// The row of an ECI status.
pub fn phase_row(status: &str) -> Option<&'static PhaseRow> {
    PHASES.iter().find(|r| r.status == status)
}

/// How an ECI event reason is shown in Kubernetes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRow {
    /// ECI event reason.
    pub reason: &'static str,
    /// `Normal` or `Warning`.
    pub event_type: &'static str,
    /// The condition it explains when the instance cannot be created
    /// (`ContainerInstanceCreated`), or `None`.
    pub creation_condition: bool,
    /// The documented message (with `%s`).
    pub message: &'static str,
}

const fn ev(
    reason: &'static str,
    event_type: &'static str,
    creation_condition: bool,
    message: &'static str,
) -> EventRow {
    EventRow { reason, event_type, creation_condition, message }
}

/// Documented ECI events (docs/status.md#pod-conditions, #events): the
/// vendor document "ECI自定义事件" (ECI custom events, in "Kubernetes与ECI集成",
/// §2.7: the ContainerGroup, ImageCache and other-resource tables). Where
/// §2.7 and the older 2020 list differ in wording, §2.7 is used. An event
/// keeps the `Type` ECI sends; the documented type is used when ECI sends
/// none (see `events::pod_events`).
pub const EVENTS: &[EventRow] = &[
    ev("StockExhaust", "Warning", true, "The stock of the specified zones will be used up. %s"),
    ev("NoStock", "Warning", true, "Create ECI failed because the specified instance is out of stock. %s"),
    ev(
        "StockClose",
        "Warning",
        true,
        "Create ECI failed because current zone closed or limited without living instance. %s",
    ),
    ev("FailedScheduling", "Warning", true, "Schedule eci failed:%s"),
    ev("FailedScheduling", "Warning", true, "Unknown error occurred."),
    ev(
        "UnknownError",
        "Warning",
        true,
        "The ECI service is under heavy load while creating container group resources, please wait and try again later",
    ),
    ev("UnknownError", "Warning", true, "An unknown error occurred for %s"),
    ev("DiskCapacityQuotaFull", "Warning", true, "Your disk capacity quota is exceeded"),
    ev("InsufficientBalance", "Warning", true, "Your account does not have enough balance to purchase %s"),
    ev(
        "CpuOptionsNotSupported",
        "Warning",
        true,
        "The cpu options is not supported for your instanceType[%s] in current region",
    ),
    ev("CpuOptionsNotValid", "Warning", true, "The cpu options is not valid for your instanceType[%s]"),
    ev("AttachDiskFailed", "Warning", true, "Attach disk %s failed"),
    // "ECI自定义事件" §2.7, "其它资源相关事件" (other resource events): RAM
    // role, vSwitch, security group, EIP and SLS. The 2020 list had
    // "%s quota is full." and "%s not enough for %s."; §2.7 names the
    // security group and the vSwitch.
    ev("Unauthorized", "Warning", true, "No permission granted to eci service account for %s"),
    ev("ResourceInsufficient", "Warning", true, "The maximum number of IP address in the VSwitch %s is exceeded"),
    ev("QuotaFull", "Warning", true, "The maximum number of instances in the security group %s is exceeded"),
    ev("CreateEipFailed", "Warning", true, "%s"),
    ev("AliyunSlsQuotaExceed", "Warning", false, "%s"),
    ev("AliyunSlsError", "Warning", false, "%s"),
    ev(
        "Throttling",
        "Warning",
        false,
        "The request was denied due to system flow control, please wait and try again later",
    ),
    ev("SpotToBeReleased", "Warning", false, "Spot ECI will be released in %s minutes"),
    ev("SpotDegraded", "Warning", false, "Spot [%s] will be degraded because the specified instance is out of stock"),
    ev("SystemFailureReboot", "Warning", false, "The Specified ContainerGroup is rebooting"),
    ev(
        "SystemReboot",
        "Warning",
        false,
        "It is strongly recommended that you re-create this instance within 48 hours because of %s, otherwise, the pod will be forced to restart.",
    ),
    ev("OOMKilled", "Warning", false, "Out of memory"),
    // "ECI自定义事件" §2.7, "镜像缓存(ImageCache)相关事件" (image cache
    // events), in the document's order. The 2020 list ended some of these
    // messages with a period; §2.7 does not.
    ev("ImageCacheNotFound", "Warning", false, "The specified image cache %s does not exist"),
    ev("ImageCacheMissed", "Warning", false, "Missed image cache"),
    ev("ImageCacheAutoCreated", "Normal", false, "Image cache %s is auto created"),
    ev("ImageCacheAutoEliminated", "Warning", false, "Image cache %s is auto eliminated"),
    ev(
        "ImageCacheCapacityUtilization",
        "Normal",
        false,
        "Total capacity utilization of current CacheDisk is %sGB / %sGB",
    ),
    ev("ImageCacheAutoCreateFailed", "Warning", false, "Image cache auto create failed for %s"),
    ev(
        "ImageCacheFlashCreatedFailed",
        "Warning",
        false,
        "Flash image cache is failed,standard image cache will be created",
    ),
    ev(
        "ImageCacheFlashFinished",
        "Normal",
        false,
        "Flash image cache is created successfully, standard image cache will be created",
    ),
    ev(
        "ImageCacheFlashUsedFailed",
        "Warning",
        false,
        "Flash image cache can only be used in zones with ESSD, but current zone is %s",
    ),
    ev(
        "ImageCacheFlashReplacedFailed",
        "Warning",
        false,
        "Standard image cache is failed, flash image cache %s will not be deleted. But flash image can only be used in zones with ESSD",
    ),
    // Documented as Warning although it reports a success.
    ev("ImageCacheFlashReplacedSuccess", "Warning", false, "Flash image cache [%s] has been replaced successfully"),
    ev(
        "ImageCacheCreate",
        "Normal",
        false,
        "Snapshot [%s] of image cache has been created, waiting for the completion of it",
    ),
    ev("ImageCacheFinished", "Normal", false, "Image cache [%s] has been made successfully"),
    ev("ImageCacheUpdateFinished", "Normal", false, "Image cache [%s] has been updated successfully"),
    ev(
        "ImageCacheUpdateFailed",
        "Warning",
        false,
        "Image cache [%s] update failed, but the old resource is still available",
    ),
    ev("ImageCacheUnknownError", "Warning", false, "An unknown error occurred while handling the image cache for %s"),
    ev("SuccessfulHitImageCache", "Normal", false, "Successfully hit image cache %s"),
    ev("ImageCacheNotComplete", "Normal", false, "The production for specified image cache %s is not yet complete"),
    ev("ImageCacheEliminated", "Warning", false, "Current imageCache is eliminated"),
    ev("AutoInstanceTypeMatch", "Normal", false, "The most-matched instanceType for current eci instance is %s"),
    ev("UserInstanceTypeSpec", "Normal", false, "The user-specified instanceType for current eci instance is %s"),
    ev("MultiZoneRecommendations", "Normal", false, "%s"),
    // Container lifecycle events ECI reports like the kubelet does.
    ev("Pulling", "Normal", false, "Pulling image %s"),
    ev("Pulled", "Normal", false, "Successfully pulled image %s"),
    ev("Created", "Normal", false, "Created container %s"),
    ev("Started", "Normal", false, "Started container %s"),
    ev("Killing", "Normal", false, "Stopping container %s"),
    ev("Scheduled", "Normal", false, "Successfully assigned %s"),
    ev("BackOff", "Warning", false, "Back-off restarting failed container"),
    ev("Failed", "Warning", false, "Error: %s"),
    ev("Unhealthy", "Warning", false, "Liveness or readiness probe failed: %s"),
];

/// The row of an event reason (also for the `ContainerGroup.` prefixed form).
pub fn event_row(reason: &str) -> Option<&'static EventRow> {
    event_rows(reason).next()
}

/// Every row of a reason (some reasons have several documented messages).
pub fn event_rows(reason: &str) -> impl Iterator<Item = &'static EventRow> + use<> {
    let bare = reason.strip_prefix("ContainerGroup.").unwrap_or(reason).to_string();
    EVENTS.iter().filter(move |r| r.reason == bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_official_table_has_ten_statuses_and_five_phases_at_most() {
        assert_eq!(PHASES.len(), 10);
        for r in PHASES {
            assert!(["Pending", "Running", "Succeeded", "Failed", "Unknown"].contains(&r.phase));
        }
        assert_eq!(event_row("ContainerGroup.NoStock").map(|r| r.reason), Some("NoStock"));
    }
}
