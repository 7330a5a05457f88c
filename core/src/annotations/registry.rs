//! The annotation registry: every pod annotation of
//! docs/annotations.md as one entry of data.
//!
//! An entry says what the value looks like ([`Format`]), where it goes
//! ([`Target`]: a `CreateContainerGroup` parameter, or behaviour of the
//! provider with no API parameter), its documented default, and its status.
//! Entries with a plain one-to-one parameter carry an `apply` function; the
//! rest are read by the translation module that owns the concern (sizing,
//! network, registry credentials, …), which names the entry's key.
//!
//! The annotation→parameter column of the reference is an inference by name
//! and value vocabulary (⚠ there); the registry follows it and says so.

use serde::Serialize;

use super::format::{Format, Item, Parsed};
use crate::eci::{CreateContainerGroupRequest as Req, SysctlContext};

/// Where an annotation's value ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "detail")]
pub enum Target {
    /// One `CreateContainerGroup` parameter (wire name).
    Param(&'static str),
    /// Several parameters, or a structure built from the value.
    Params(&'static str),
    /// Behaviour of the provider engine (`crate::provider`); no API
    /// parameter exists. Translation shows it as an explain row that is not
    /// sent.
    Provider(&'static str),
    /// Read by the admission webhook or the scheduler (`crate::admission`),
    /// not by translation; shown as an explain row that is not sent.
    Admission(&'static str),
    /// Documented, but CreateContainerGroup has no parameter for it and
    /// nothing here acts on it: translation says so in an explain row that
    /// is not sent and in an info diagnostic, never silently.
    NotSent(&'static str),
    /// Written by the provider after creation; ignored on input.
    Output(&'static str),
}

/// How current an annotation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "detail")]
pub enum Status {
    /// Documented on the current ECI pages.
    Current,
    /// An older name or feature; the detail names the replacement.
    Legacy(&'static str),
}

/// The documentation section an annotation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Section {
    /// Instance and specification (docs/annotations.md#instance-and-specification).
    Instance,
    /// Preemptible instances (docs/annotations.md#spot).
    Spot,
    /// Images and image caches (docs/annotations.md#images).
    Image,
    /// Data caches (docs/annotations.md#data-cache).
    DataCache,
    /// Networking (docs/annotations.md#network).
    Network,
    /// Storage (docs/annotations.md#storage).
    Storage,
    /// Container configuration, logs and O&M (docs/annotations.md#container-logs-and-om).
    Operations,
    /// Scheduling onto virtual nodes (docs/annotations.md#scheduling-labels).
    Scheduling,
    /// Written back by the system (docs/annotations.md#written-by-the-system).
    SystemWritten,
}

/// Sets a plain parameter from a validated value.
pub type Apply = fn(&mut Req, &Parsed);

/// One annotation.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationSpec {
    /// The full key, e.g. `k8s.aliyun.com/eci-use-specs`.
    pub key: &'static str,
    /// Value shape.
    pub format: Format,
    /// Where it goes.
    pub target: Target,
    /// The documented default, when there is one.
    pub default: Option<&'static str>,
    /// One line of meaning.
    pub summary: &'static str,
    /// Current or legacy.
    pub status: Status,
    /// Section of the docs.
    pub section: Section,
    /// An example value (autocompletion, docs).
    pub example: &'static str,
    /// Sets the parameter for one-to-one entries.
    #[serde(skip)]
    pub apply: Option<Apply>,
}

const fn spec(
    key: &'static str,
    format: Format,
    target: Target,
    section: Section,
    summary: &'static str,
    example: &'static str,
) -> AnnotationSpec {
    AnnotationSpec {
        key,
        format,
        target,
        default: None,
        summary,
        status: Status::Current,
        section,
        example,
        apply: None,
    }
}

impl AnnotationSpec {
    const fn apply(mut self, apply: Apply) -> Self {
        self.apply = Some(apply);
        self
    }
    const fn default(mut self, default: &'static str) -> Self {
        self.default = Some(default);
        self
    }
    const fn legacy(mut self, replacement: &'static str) -> Self {
        self.status = Status::Legacy(replacement);
        self
    }
}

const BOOL: Format = Format::Bool;
const TEXT: Format = Format::Text;
const fn int(min: i64, max: i64) -> Format {
    Format::Int { min, max }
}
const fn one_of(values: &'static [&'static str]) -> Format {
    Format::OneOf { values }
}
const fn prefixed(prefix: &'static str) -> Format {
    Format::Prefixed { prefix }
}
const fn list(item: Item, max: usize) -> Format {
    Format::List { item, max }
}

// Key constants for the entries that translation modules read themselves.
/// `k8s.aliyun.com/eci-vswitch`.
pub const VSWITCH: &str = "k8s.aliyun.com/eci-vswitch";
/// `k8s.aliyun.com/eci-use-specs` (defined by the sizing module, which
/// parses the value and points its diagnostics at it).
pub const USE_SPECS: &str = crate::sizing::USE_SPECS_ANNOTATION;
/// `k8s.aliyun.com/eci-security-group`.
pub const SECURITY_GROUP: &str = "k8s.aliyun.com/eci-security-group";
/// `k8s.aliyun.com/eci-resource-group-id`.
pub const RESOURCE_GROUP: &str = "k8s.aliyun.com/eci-resource-group-id";
/// `k8s.aliyun.com/eci-custom-tags`.
pub const CUSTOM_TAGS: &str = "k8s.aliyun.com/eci-custom-tags";
/// `k8s.aliyun.com/eci-custom-hosts`.
pub const CUSTOM_HOSTS: &str = "k8s.aliyun.com/eci-custom-hosts";
/// `k8s.aliyun.com/eci-custom-dnsconfig`.
pub const CUSTOM_DNS: &str = "k8s.aliyun.com/eci-custom-dnsconfig";
/// `k8s.aliyun.com/eci-spot-strategy`.
pub const SPOT_STRATEGY: &str = "k8s.aliyun.com/eci-spot-strategy";
/// `k8s.aliyun.com/eci-spot-price-limit`.
pub const SPOT_PRICE_LIMIT: &str = "k8s.aliyun.com/eci-spot-price-limit";
/// `k8s.aliyun.com/eci-compute-category`.
pub const COMPUTE_CATEGORY: &str = "k8s.aliyun.com/eci-compute-category";
/// `k8s.aliyun.com/eci-auto-imc`.
pub const AUTO_IMC: &str = "k8s.aliyun.com/eci-auto-imc";
/// `k8s.aliyun.com/eci-image-cache`.
pub const IMAGE_CACHE: &str = "k8s.aliyun.com/eci-image-cache";
/// `k8s.aliyun.com/eci-imc-id`.
pub const IMC_ID: &str = "k8s.aliyun.com/eci-imc-id";
/// `k8s.aliyun.com/eci-image-snapshot-id`.
pub const IMAGE_SNAPSHOT_ID: &str = "k8s.aliyun.com/eci-image-snapshot-id";
/// `k8s.aliyun.com/acr-instance-ids`.
pub const ACR_INSTANCE_IDS: &str = "k8s.aliyun.com/acr-instance-ids";
/// `k8s.aliyun.com/acr-instance-id`.
pub const ACR_INSTANCE_ID: &str = "k8s.aliyun.com/acr-instance-id";
/// `k8s.aliyun.com/acr-service-arns`.
pub const ACR_SERVICE_ARNS: &str = "k8s.aliyun.com/acr-service-arns";
/// `k8s.aliyun.com/acr-user-arns`.
pub const ACR_USER_ARNS: &str = "k8s.aliyun.com/acr-user-arns";
/// `k8s.aliyun.com/eci-privatepool-matchcriteria`.
pub const PRIVATEPOOL_CRITERIA: &str = "k8s.aliyun.com/eci-privatepool-matchcriteria";
/// `k8s.aliyun.com/eci-privatepool-id`.
pub const PRIVATEPOOL_ID: &str = "k8s.aliyun.com/eci-privatepool-id";
/// `k8s.aliyun.com/eci-host-sysctls`.
pub const HOST_SYSCTLS: &str = "k8s.aliyun.com/eci-host-sysctls";
/// `k8s.aliyun.com/eci-with-eip`.
pub const WITH_EIP: &str = "k8s.aliyun.com/eci-with-eip";
/// `k8s.aliyun.com/eci-eip-instanceid`.
pub const EIP_INSTANCE_ID: &str = "k8s.aliyun.com/eci-eip-instanceid";
/// `k8s.aliyun.com/eci-set-diskvolume`.
pub const SET_DISK_VOLUME: &str = "k8s.aliyun.com/eci-set-diskvolume";
/// `alibabacloud.com/burst-resource`.
pub const BURST_RESOURCE: &str = "alibabacloud.com/burst-resource";

const SPOT_STRATEGIES: &[&str] = &["SpotAsPriceGo", "SpotWithPriceLimit", "NoSpot"];

/// Every known annotation, in the order of docs/annotations.md.
pub static REGISTRY: &[AnnotationSpec] = &[
    // docs/annotations.md#instance-and-specification
    spec(VSWITCH, list(Item::Prefixed("vsw-"), 10), Target::Param("VSwitchId"), Section::Instance,
        "vSwitch IDs; several spread the pod over zones", "vsw-a,vsw-b")
        .default("eci-profile vSwitchIds"),
    spec("k8s.aliyun.com/eci-schedule-strategy", one_of(&["VSwitchOrdered", "VSwitchRandom"]),
        Target::Param("ScheduleStrategy"), Section::Instance,
        "multi-zone policy: try vSwitches in order or at random", "VSwitchOrdered")
        .apply(|r, v| r.schedule_strategy = v.text()),
    spec(USE_SPECS, Format::UseSpecs, Target::Params("InstanceType (Cpu/Memory are then not derived from containers)"),
        Section::Instance, "up to 5 candidate specs, tried in order", "2-4Gi,ecs.c6.xlarge"),
    spec("k8s.aliyun.com/eci-gpu-driver-version", TEXT, Target::Param("GpuDriverVersion"), Section::Instance,
        "GPU driver for families that support several (`tesla=535`)", "tesla=535")
        .apply(|r, v| r.gpu_driver_version = v.text()),
    spec("k8s.aliyun.com/eci-instance-family", list(Item::EcsFamily, 20),
        Target::NotSent("restricts the ECS families ECI may pick for a vCPU-memory spec; CreateContainerGroup has no parameter for it, so ECI may pick any family"),
        Section::Instance, "include ECS families for cpu-memory specs", "ecs.c6,ecs.g6"),
    spec("k8s.aliyun.com/eci-instance-generation", list(Item::Integer, 10),
        Target::NotSent("restricts the ECS generations ECI may pick for a vCPU-memory spec; CreateContainerGroup has no parameter for it, so ECI may pick any generation"),
        Section::Instance, "include ECS generations for cpu-memory specs", "6,5"),
    spec(COMPUTE_CATEGORY, list(Item::OneOf(&["economy", "general"]), 2), Target::Param("ComputeCategory"),
        Section::Instance, "compute categories for cpu-memory specs, in order", "economy,general"),
    spec(PRIVATEPOOL_CRITERIA, one_of(&["Open", "Target"]),
        Target::NotSent("private-pool (elasticity assurance) matching; CreateContainerGroup has no parameter for it, so the instance is created without a private pool"),
        Section::Instance, "match private pools openly or a target pool", "Target"),
    spec(PRIVATEPOOL_ID, prefixed("eap-"),
        Target::NotSent("the private pool of matchcriteria Target; CreateContainerGroup has no parameter for it, so the instance is created without a private pool"),
        Section::Instance, "the private pool ID", "eap-2ze0000000000000"),
    spec("k8s.aliyun.com/eci-fail-strategy", one_of(&["fail-back", "fail-over", "fail-fast"]),
        Target::Provider("the provider engine retries a refused create (fail-back, fail-over: the pod stays Pending) or fails the pod at once (fail-fast)"),
        Section::Instance, "creation failure handling", "fail-fast")
        .default("fail-back"),
    spec("k8s.aliyun.com/eci-max-pending-minute", int(10, 1440), Target::Param("MaxPendingMinute"), Section::Instance,
        "minutes an instance may stay Pending before it fails", "30")
        .default("240")
        .apply(|r, v| r.max_pending_minute = v.int()),
    spec(CUSTOM_HOSTS, Format::Json, Target::Params("HostAliase.N.Ip / HostAliase.N.Hostname.N"), Section::Instance,
        "extra /etc/hosts entries, JSON [{\"host\":…,\"ip\":…}]", r#"[{"host":"example.com","ip":"100.100.1.1"}]"#),
    spec(CUSTOM_TAGS, Format::KeyValues { max: 3 }, Target::Params("Tag.N.Key / Tag.N.Value"), Section::Instance,
        "instance tags, at most 3 through the annotation", "env:test,name:alice"),
    spec("k8s.aliyun.com/eci-ram-role-name", TEXT, Target::Param("RamRoleName"), Section::Instance,
        "instance RAM role (must be assumable by ECS)", "AliyunECIContainerGroupRole")
        .apply(|r, v| r.ram_role_name = v.text()),
    spec("k8s.aliyun.com/eci-cpu-option-core", int(1, 256), Target::Param("CpuOptionsCore"), Section::Instance,
        "physical CPU cores (some ECS types only)", "2")
        .apply(|r, v| r.cpu_options_core = v.int()),
    spec("k8s.aliyun.com/eci-cpu-option-ht", int(1, 2), Target::Param("CpuOptionsThreadsPerCore"), Section::Instance,
        "threads per core; 1 turns Hyper-Threading off", "1")
        .apply(|r, v| r.cpu_options_threads_per_core = v.int()),
    // docs/annotations.md#spot
    spec(SPOT_STRATEGY, one_of(SPOT_STRATEGIES), Target::Param("SpotStrategy"), Section::Spot,
        "bid policy; its presence makes the pod preemptible", "SpotAsPriceGo"),
    spec(SPOT_PRICE_LIMIT, Format::Decimal { places: 3 }, Target::Param("SpotPriceLimit"), Section::Spot,
        "maximum hourly price (with SpotWithPriceLimit)", "0.5"),
    spec("k8s.aliyun.com/eci-spot-duration", int(0, 6), Target::Param("SpotDuration"), Section::Spot,
        "protection period in hours; 0 = none", "1")
        .default("1")
        .apply(|r, v| r.spot_duration = v.int()),
    spec("k8s.aliyun.com/eci-spot-fallback", BOOL,
        Target::NotSent("fall back to pay-as-you-go when spot stock runs out (event SpotDegraded); CreateContainerGroup documents no parameter for it (StrictSpot's only description is unrelated), so it is not sent"),
        Section::Spot, "fall back to pay-as-you-go", "true")
        .default("false"),
    spec("k8s.aliyun.com/eci-spot-release-strategy", one_of(&["api-evict"]),
        Target::NotSent("on SpotToBeReleased ack-virtual-node (≥ 2.11.0) evicts the pod through the Eviction API; no API parameter, and the provider engine here does not evict: it fails the pod when the instance expires"),
        Section::Spot, "evict before a spot release", "api-evict"),
    // docs/annotations.md#images
    spec(AUTO_IMC, BOOL, Target::Param("AutoMatchImageCache"), Section::Image,
        "match (or create) an image cache automatically", "true")
        .default("true"),
    spec("k8s.aliyun.com/imc-perfect-match", BOOL,
        Target::NotSent("a filter of image-cache matching (DescribeImageCaches ImageFullMatch); CreateContainerGroup has no parameter for it and sends only AutoMatchImageCache, so ECI matches by its own order"),
        Section::Image, "require every image to be in the cache", "true")
        .default("false"),
    spec("k8s.aliyun.com/imc-match-count-request", int(1, 20),
        Target::NotSent("a filter of image-cache matching (DescribeImageCaches ImageMatchCountRequest); CreateContainerGroup has no parameter for it and sends only AutoMatchImageCache, so ECI matches by its own order"),
        Section::Image, "number of images that must match", "2"),
    spec(IMC_ID, prefixed("imc-"), Target::Param("ImageSnapshotId"), Section::Image,
        "use this image cache", "imc-2ze0000000000000"),
    spec(IMAGE_SNAPSHOT_ID, prefixed("imc-"), Target::Param("ImageSnapshotId"), Section::Image,
        "use this image cache (older name)", "imc-2ze0000000000000")
        .legacy(IMC_ID),
    spec(IMAGE_CACHE, BOOL, Target::Param("AutoMatchImageCache"), Section::Image,
        "match an image cache automatically (older name)", "true")
        .legacy(AUTO_IMC),
    spec(ACR_INSTANCE_IDS, list(Item::AcrInstance, 10), Target::Params("AcrRegistryInfo.N.InstanceId / RegionId"),
        Section::Image, "ACR EE instances to pull from without a secret; `region:` prefix for other regions",
        "cri-abc,cn-beijing:cri-def"),
    spec(ACR_INSTANCE_ID, list(Item::AcrInstance, 10), Target::Params("AcrRegistryInfo.N.InstanceId / RegionId"),
        Section::Image, "ACR EE instance (older singular name)", "cri-abc")
        .legacy(ACR_INSTANCE_IDS),
    spec(ACR_SERVICE_ARNS, list(Item::RoleArn, 10), Target::Params("AcrRegistryInfo.N.ArnService"), Section::Image,
        "RAM role ARN in ECI's account for ACR access", "acs:ram::1609982529:role/role-assume"),
    spec(ACR_USER_ARNS, list(Item::RoleArn, 10), Target::Params("AcrRegistryInfo.N.ArnUser"), Section::Image,
        "RAM role ARN in ACR's account (cross-account)", "acs:ram::1298452580:role/role-acr"),
    spec("k8s.aliyun.com/plain-http-registry", list(Item::Host, 20), Target::Param("PlainHttpRegistry"), Section::Image,
        "registries pulled over plain HTTP", "harbor.example.com,192.168.1.1:5000")
        .apply(|r, v| r.plain_http_registry = v.text()),
    spec("k8s.aliyun.com/insecure-registry", list(Item::Host, 20), Target::Param("InsecureRegistry"), Section::Image,
        "registries whose TLS certificate is not verified", "harbor.example.com")
        .apply(|r, v| r.insecure_registry = v.text()),
    // docs/annotations.md#data-cache
    spec("k8s.aliyun.com/eci-data-cache-bucket", TEXT, Target::Param("DataCacheBucket"), Section::DataCache,
        "bucket holding the data cache", "default")
        .apply(|r, v| r.data_cache_bucket = v.text()),
    spec("k8s.aliyun.com/eci-data-cache-pl", one_of(&["PL0", "PL1", "PL2", "PL3"]), Target::Param("DataCachePL"),
        Section::DataCache, "ESSD performance level of the cache disk", "PL1")
        .default("PL1")
        .apply(|r, v| r.data_cache_pl = v.text()),
    spec("k8s.aliyun.com/eci-data-cache-provisionedIops", int(0, 50000), Target::Param("DataCacheProvisionedIops"),
        Section::DataCache, "provisioned IOPS (makes the disk ESSD AutoPL)", "40000")
        .apply(|r, v| r.data_cache_provisioned_iops = v.int()),
    spec("k8s.aliyun.com/eci-data-cache-burstingEnabled", BOOL, Target::Param("DataCacheBurstingEnabled"),
        Section::DataCache, "performance burst (makes the disk ESSD AutoPL)", "true")
        .default("false")
        .apply(|r, v| r.data_cache_bursting_enabled = v.bool()),
    // docs/annotations.md#network
    spec(SECURITY_GROUP, list(Item::Prefixed("sg-"), 5), Target::Param("SecurityGroupId"), Section::Network,
        "security groups: at most 5, same VPC, same type", "sg-a,sg-b")
        .default("eci-profile securityGroupId"),
    spec(EIP_INSTANCE_ID, prefixed("eip-"), Target::Param("EipInstanceId"), Section::Network,
        "bind an existing EIP", "eip-uf60000000000000")
        .apply(|r, v| r.eip_instance_id = v.text()),
    spec(WITH_EIP, BOOL, Target::Param("AutoCreateEip"), Section::Network, "create and bind an EIP", "true")
        .default("false")
        .apply(|r, v| r.auto_create_eip = v.bool()),
    spec("k8s.aliyun.com/eip-bandwidth", int(1, 10000), Target::Param("EipBandwidth"), Section::Network,
        "EIP bandwidth in Mbit/s", "5")
        .default("5")
        .apply(|r, v| r.eip_bandwidth = v.int()),
    spec("k8s.aliyun.com/eip-common-bandwidth-package-id", prefixed("cbwp-"), Target::Param("EipCommonBandwidthPackage"),
        Section::Network, "shared bandwidth package for the EIP", "cbwp-2ze0000000000000")
        .apply(|r, v| r.eip_common_bandwidth_package = v.text()),
    spec("k8s.aliyun.com/eip-isp", one_of(&["BGP", "BGP_PRO"]), Target::Param("EipISP"), Section::Network,
        "EIP line type", "BGP")
        .default("BGP")
        .apply(|r, v| r.eip_isp = v.text()),
    spec("k8s.aliyun.com/eip-internet-charge-type", one_of(&["PayByBandwidth", "PayByTraffic"]),
        Target::NotSent("metering of the EIP ECI creates; CreateContainerGroup has no parameter for it, so the EIP gets ECI's default metering"),
        Section::Network, "EIP metering", "PayByTraffic"),
    spec("k8s.aliyun.com/eip-public-ip-address-pool-id", prefixed("pippool-"),
        Target::NotSent("the IP address pool of the EIP ECI creates; CreateContainerGroup has no parameter for it, so the address comes from the default pool"),
        Section::Network, "IP address pool for the EIP", "pippool-0000000000"),
    spec("k8s.aliyun.com/eci-enable-ipv6", BOOL, Target::Param("Ipv6AddressCount"), Section::Network,
        "assign one IPv6 address", "true")
        .apply(|r, v| {
            if v.bool() == Some(true) {
                r.ipv6_address_count = Some(1);
            }
        }),
    spec("k8s.aliyun.com/eci-ipv6-count", int(1, 1), Target::Param("Ipv6AddressCount"), Section::Network,
        "number of IPv6 addresses (older name; only 1 is possible)", "1")
        .legacy("k8s.aliyun.com/eci-enable-ipv6")
        .apply(|r, v| r.ipv6_address_count = v.int()),
    spec("k8s.aliyun.com/eci-ipv6-bandwidth-enable", BOOL, Target::Param("Ipv6GatewayBandwidthEnable"),
        Section::Network, "IPv6 internet access", "true")
        .apply(|r, v| r.ipv6_gateway_bandwidth_enable = v.bool()),
    spec("k8s.aliyun.com/eci-ipv6-bandwidth", Format::Quantity, Target::Param("Ipv6GatewayBandwidth"), Section::Network,
        "IPv6 public bandwidth (`100M` = 100 Mbit/s; sent in Mbit/s)", "100M"),
    spec("k8s.aliyun.com/eci-private-ip-address", Format::Ipv4, Target::Param("PrivateIpAddress"), Section::Network,
        "fixed private IPv4 (must be idle)", "172.16.0.1")
        .apply(|r, v| r.private_ip_address = v.text()),
    spec("k8s.aliyun.com/eci-fixed-ip", BOOL, Target::Param("FixedIp"), Section::Network,
        "keep the IP across re-creation of a pod with the same name", "true")
        .default("false")
        .apply(|r, v| {
            if v.bool() == Some(true) {
                r.fixed_ip = Some("true".into());
            }
        }),
    spec("k8s.aliyun.com/eci-fixed-ip-retain-hour", int(1, 8760), Target::Param("FixedIpRetainHour"), Section::Network,
        "hours an idle fixed IP is kept", "24")
        .default("48")
        .apply(|r, v| r.fixed_ip_retain_hour = v.int()),
    spec("kubernetes.io/ingress-bandwidth", Format::Quantity, Target::Param("IngressBandwidth"), Section::Network,
        "inbound limit (`40M` = 40 Mbit/s; sent in bit/s)", "40M"),
    spec("kubernetes.io/egress-bandwidth", Format::Quantity, Target::Param("EgressBandwidth"), Section::Network,
        "outbound limit (`20M` = 20 Mbit/s; sent in bit/s)", "20M"),
    spec(CUSTOM_DNS, Format::Json, Target::Params("DnsConfig.NameServer / Search / Option"), Section::Network,
        "custom DNS, JSON with comma-joined strings", r#"{"nameservers":"10.0.0.10","searches":"svc.local","options":"ndots:2"}"#),
    // docs/annotations.md#storage
    spec("k8s.aliyun.com/eci-extra-ephemeral-storage", Format::Quantity, Target::Param("EphemeralStorage"), Section::Storage,
        "extra temporary storage beyond the included 30 GiB (sent in whole GiB, rounded up)", "50Gi"),
    spec("k8s.aliyun.com/eci-ephemeral-storage-options", Format::Json,
        Target::NotSent("temporary storage options such as encryption; CreateContainerGroup has no parameter for them, so the temporary storage is not encrypted by this request"),
        Section::Storage, "temporary storage options", r#"{"encrypted":"true"}"#),
    spec("k8s.aliyun.com/eci-eviction-enable", BOOL,
        Target::NotSent("pods whose temporary storage runs out are to be evicted; no API parameter, and the provider engine here does not evict"),
        Section::Storage, "evict on temporary storage pressure", "true"),
    spec(SET_DISK_VOLUME, TEXT,
        Target::Params("Volume.N.Type DiskVolume, Volume.N.DiskVolume.FsType / DiskSize of the named emptyDir (⚠ by name; documented only on the 2021 ASK page)"),
        Section::Storage, "dynamic disk for an emptyDir (`name:fsType:size`)", "cache-volume:ext4:500Gi")
        .legacy("PVC-backed cloud disks"),
    // docs/annotations.md#container-logs-and-om
    spec("k8s.aliyun.com/eci-ntp-server", list(Item::Host, 10), Target::Param("NtpServer"), Section::Operations,
        "NTP servers", "100.100.3.1")
        .apply(|r, v| r.ntp_server = v.list()),
    spec("k8s.aliyun.com/eci-sls-enable", BOOL, Target::Param("SlsEnable"), Section::Operations,
        "false turns off SLS log collection for this pod", "false")
        .apply(|r, v| r.sls_enable = v.bool()),
    spec("k8s.aliyun.com/eci-core-pattern", TEXT, Target::Param("CorePattern"), Section::Operations,
        "core dump path (must not start with `|`)", "/pod/data/dump/core"),
    spec(HOST_SYSCTLS, Format::Json, Target::Params("HostSecurityContext.Sysctl.N"), Section::Operations,
        "host-level sysctls approved by ticket, JSON [{\"name\":…,\"value\":…}]", r#"[{"name":"vm.max_map_count","value":"262144"}]"#),
    // docs/annotations.md#legacy-annotations
    spec("k8s.aliyun.com/eci-reschedule-enable", BOOL,
        Target::Provider("the provider engine keeps retrying a refused create; this is its default (fail-back)"),
        Section::Instance, "retry scheduling (not recommended)", "true")
        .legacy("k8s.aliyun.com/eci-fail-strategy"),
    spec("k8s.aliyun.com/pod-fail-on-create-err", BOOL,
        Target::Provider("the provider engine fails the pod instead of retrying when a create is refused (as eci-fail-strategy: fail-fast)"),
        Section::Instance, "fail the pod on creation errors", "true")
        .legacy("k8s.aliyun.com/eci-fail-strategy: fail-fast"),
    spec(RESOURCE_GROUP, prefixed("rg-"), Target::Param("ResourceGroupId"), Section::Instance,
        "resource group (now set cluster-wide in eci-profile resourceGroupId)", "rg-uf60000000000000")
        .legacy("eci-profile resourceGroupId"),
    // docs/annotations.md#scheduling-labels
    spec(BURST_RESOURCE, one_of(&["eci", "eci_only", "ecs", ""]),
        Target::Admission("ECS-first scheduling with overflow to ECI (`eci`) or ECI only (`eci_only`); read by the admission webhook"),
        Section::Scheduling, "burst to ECI when ECS is short", "eci")
        .legacy("ResourcePolicy (maintenance discontinued since May 2023)"),
    // docs/annotations.md#written-by-the-system (ignored on input)
    spec("k8s.aliyun.com/eci-request-id", TEXT, Target::Output("request ID of the creation call"), Section::SystemWritten, "written by the provider", ""),
    spec("k8s.aliyun.com/eci-instance-id", TEXT, Target::Output("the ECI instance ID"), Section::SystemWritten, "written by the provider", ""),
    spec("k8s.aliyun.com/eci-instance-spec", TEXT, Target::Output("the spec billed, e.g. 2.0-4.0Gi"), Section::SystemWritten, "written by the provider", ""),
    spec("k8s.aliyun.com/eci-instance-compute-category", TEXT, Target::Output("the compute category used"), Section::SystemWritten, "written by the provider", ""),
    spec("k8s.aliyun.com/allocated-eipInstanceId", TEXT, Target::Output("the EIP bound"), Section::SystemWritten, "written by the provider", ""),
    spec("k8s.aliyun.com/allocated-eipAddress", TEXT, Target::Output("the EIP address"), Section::SystemWritten, "written by the provider", ""),
    spec("k8s.aliyun.com/allocated-ipv6Address", TEXT, Target::Output("the IPv6 address"), Section::SystemWritten, "written by the provider", ""),
    spec("k8s.aliyun.com/eci-created-by-template", TEXT, Target::Output("creation template marker"), Section::SystemWritten, "written by the provider", ""),
    spec("k8s.aliyun.com/eni-instance-id", TEXT, Target::Output("the ENI"), Section::SystemWritten, "written by the provider", ""),
    spec("k8s.aliyun.com/eci-vpc", TEXT, Target::Output("the VPC"), Section::SystemWritten, "written by the provider", ""),
    spec("k8s.aliyun.com/eci-matched-image-cache", TEXT, Target::Output("the image cache matched"), Section::SystemWritten, "written by the provider", ""),
    spec("k8s.aliyun.com/eci-schedule-result", TEXT, Target::Output("retired; see condition ContainerInstanceCreated"), Section::SystemWritten, "written by the provider", ""),
    spec("k8s.aliyun.com/eci-platform-version", TEXT, Target::Output("ECI platform version (1.1.0 needed for k8s ≥ 1.26)"), Section::SystemWritten, "written by the provider", ""),
];

/// The entry for `key`.
pub fn lookup(key: &str) -> Option<&'static AnnotationSpec> {
    REGISTRY.iter().find(|s| s.key == key)
}

/// Keys of the registry that belong to ECI (`k8s.aliyun.com/…`), used to
/// catch typos in unknown keys with that prefix.
pub fn is_eci_namespace(key: &str) -> bool {
    key.starts_with("k8s.aliyun.com/")
}

/// Applies the sysctl list of `eci-host-sysctls`.
pub(crate) fn host_sysctls(value: &serde_json::Value) -> Result<SysctlContext, String> {
    let items = value.as_array().ok_or("expected a JSON array of {\"name\":…,\"value\":…}")?;
    let mut sysctl = Vec::new();
    for item in items {
        let name = item.get("name").and_then(|v| v.as_str()).filter(|s| !s.is_empty());
        let val = item.get("value").and_then(|v| v.as_str());
        match (name, val) {
            (Some(name), Some(val)) => {
                sysctl.push(crate::eci::Sysctl { name: Some(name.into()), value: Some(val.into()) })
            }
            _ => {
                return Err(format!("`{item}` needs string fields \"name\" and \"value\""));
            }
        }
    }
    Ok(SysctlContext { sysctl })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_examples_validate() {
        let mut keys: Vec<_> = REGISTRY.iter().map(|s| s.key).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate registry key");
        for s in REGISTRY {
            if matches!(s.target, Target::Output(_)) {
                continue;
            }
            assert!(
                s.format.parse(s.example).is_ok(),
                "example of {} does not validate: {:?}",
                s.key,
                s.format.parse(s.example)
            );
        }
    }

    #[test]
    fn one_to_one_entries_set_the_parameter_they_name() {
        for s in REGISTRY {
            let (Some(apply), Target::Param(param)) = (s.apply, s.target) else {
                continue;
            };
            let parsed = s.format.parse(s.example).unwrap();
            let mut req = Req::default();
            apply(&mut req, &parsed);
            let json = req.to_json();
            assert!(json.get(param).is_some(), "{} should set {param}, got {json}", s.key);
        }
    }
}
