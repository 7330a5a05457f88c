//! Pod sizing: how much vCPU and memory the ECI instance gets.
//!
//! The rules are ECI's documented ones (docs/sizing.md#pod-size,
//! "Specify the number of vCPUs and memory size"):
//!
//! | the pod sets                         | instance size                 |
//! |--------------------------------------|-------------------------------|
//! | nothing                              | 2 vCPU / 4 GiB                |
//! | only limits                          | sum of container limits       |
//! | only requests                        | sum of requests               |
//! | limits and requests                  | sum of limits                 |
//! | `eci-use-specs` (with or without)    | the annotation                |
//!
//! A sum that is not a supported spec is rounded **up** to the nearest spec
//! with at least that vCPU and at least that memory (7 vCPU / 13 GiB → 8/14
//! in cn-hangzhou). The spec table is data ([`SPEC_TABLE`]).
//!
//! Choices where the documents are silent (each written down here so it can
//! be argued with):
//! - limit-wins is applied per container and per resource: a container with
//!   only a request counts its request;
//! - init containers count the Kubernetes way: the instance must fit
//!   `max(largest init container, sum of app containers)`, because init
//!   containers run one at a time before the app containers start;
//! - a container with env `__ECI_RESOURCE_IGNORE__=TRUE` is left out of the
//!   sum (documented for sidecars); `true` in any case is accepted;
//! - pod-level `spec.resources` (Kubernetes 1.32+), when set, is the basis
//!   instead of the container sum;
//! - when only vCPU (or only memory) is set, the smallest spec with that
//!   vCPU (memory) is used;
//! - "nearest" means fewest vCPU first, then least memory;
//! - region-only specs are used only in the regions the ECI page lists and
//!   never for spot instances (they "cannot be spot").

use k8s_openapi::api::core::v1::{Container, Pod, ResourceRequirements};
use serde::Serialize;

use crate::diagnostics::{Code, Diagnostic, Pointer, Severity};
use crate::quantity::{GIB, Quantity, format_bytes, format_gib, format_millis, format_vcpu};

/// Where a spec row can be bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Availability {
    /// Every region ECI runs in.
    AllRegions,
    /// Only [`REGIONAL_SPEC_REGIONS`], and never as spot.
    SomeRegions,
}

/// One supported vCPU/memory combination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    /// vCPU in thousandths.
    pub cpu_millis: i128,
    /// Memory in MiB.
    pub memory_mib: i128,
    /// Where it is sold.
    pub availability: Availability,
}

impl Spec {
    /// Memory in bytes.
    pub fn memory_bytes(&self) -> i128 {
        self.memory_mib << 20
    }

    /// The `2-4Gi` name ECI uses for the spec.
    pub fn name(&self) -> String {
        format!("{}-{}Gi", format_vcpu(self.cpu_millis), format_gib(self.memory_bytes()))
    }
}

/// The supported specs, as (vCPU, [GiB…], availability). Source: ECI
/// "Specify the number of vCPUs and memory size" (help.aliyun.com
/// document 114662), tables "supported in all regions" and "supported only
/// in some regions"; kept as data because the table is versioned per region.
pub const SPEC_TABLE: &[(f64, &[f64], Availability)] = &[
    (0.25, &[0.5, 1.0], Availability::AllRegions),
    (0.5, &[1.0, 2.0], Availability::AllRegions),
    (1.0, &[2.0, 4.0, 8.0], Availability::AllRegions),
    (2.0, &[1.0, 2.0, 4.0, 8.0, 16.0], Availability::AllRegions),
    (4.0, &[2.0, 4.0, 8.0, 16.0, 32.0], Availability::AllRegions),
    (8.0, &[4.0, 8.0, 16.0, 32.0, 64.0], Availability::AllRegions),
    (12.0, &[12.0, 24.0, 48.0, 96.0], Availability::AllRegions),
    (16.0, &[16.0, 32.0, 64.0, 128.0], Availability::AllRegions),
    (24.0, &[24.0, 48.0, 96.0, 192.0], Availability::AllRegions),
    (32.0, &[32.0, 64.0, 128.0, 256.0], Availability::AllRegions),
    (52.0, &[96.0, 192.0, 384.0], Availability::AllRegions),
    (64.0, &[128.0, 256.0, 512.0], Availability::AllRegions),
    (2.0, &[6.0, 10.0, 12.0, 14.0], Availability::SomeRegions),
    (4.0, &[6.0, 10.0, 12.0, 14.0, 18.0, 20.0, 22.0, 24.0, 26.0, 28.0, 30.0], Availability::SomeRegions),
    (
        6.0,
        &[
            6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0, 22.0, 24.0, 26.0, 28.0, 30.0, 32.0, 34.0, 36.0, 38.0, 40.0,
            42.0, 44.0, 46.0, 48.0,
        ],
        Availability::SomeRegions,
    ),
    (
        8.0,
        &[
            10.0, 12.0, 14.0, 18.0, 20.0, 22.0, 24.0, 26.0, 28.0, 30.0, 34.0, 36.0, 38.0, 40.0, 42.0, 44.0, 46.0, 48.0,
            50.0, 52.0, 54.0, 56.0, 58.0, 60.0, 62.0,
        ],
        Availability::SomeRegions,
    ),
];

/// Regions that sell the region-only specs (same document: Hangzhou,
/// Shanghai, Qingdao, Beijing, Zhangjiakou, Hohhot, Ulanqab, Shenzhen,
/// Heyuan, Guangzhou, Chengdu, Singapore).
pub const REGIONAL_SPEC_REGIONS: &[&str] = &[
    "cn-hangzhou",
    "cn-shanghai",
    "cn-qingdao",
    "cn-beijing",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-wulanchabu",
    "cn-shenzhen",
    "cn-heyuan",
    "cn-guangzhou",
    "cn-chengdu",
    "ap-southeast-1",
];

/// The documented default when the pod sets nothing: 2 vCPU / 4 GiB.
pub const DEFAULT_CPU_MILLIS: i128 = 2000;
/// See [`DEFAULT_CPU_MILLIS`].
pub const DEFAULT_MEMORY_BYTES: i128 = 4 * GIB;

/// The env var that leaves a container out of the sum.
pub const RESOURCE_IGNORE_ENV: &str = "__ECI_RESOURCE_IGNORE__";

/// The GPU resource name.
pub const GPU_RESOURCE: &str = "nvidia.com/gpu";

/// The documented default instance type for ARM pods without a spec.
pub const ARM_DEFAULT_INSTANCE_TYPE: &str = "ecs.c8y.large";

/// Every spec row, flattened, in table order.
pub fn specs() -> impl Iterator<Item = Spec> {
    SPEC_TABLE.iter().flat_map(|(cpu, mems, availability)| {
        mems.iter().map(move |mem| Spec {
            cpu_millis: (cpu * 1000.0) as i128,
            memory_mib: (mem * 1024.0) as i128,
            availability: *availability,
        })
    })
}

/// The smallest spec (fewest vCPU, then least memory) that holds
/// `cpu_millis` and `memory_bytes`.
pub fn round_up(cpu_millis: i128, memory_bytes: i128, regional: bool) -> Option<Spec> {
    specs()
        .filter(|s| regional || s.availability == Availability::AllRegions)
        .filter(|s| s.cpu_millis >= cpu_millis && s.memory_bytes() >= memory_bytes)
        .min_by_key(|s| (s.cpu_millis, s.memory_mib))
}

/// True when a spec of the table matches exactly.
pub fn is_supported(cpu_millis: i128, memory_bytes: i128, regional: bool) -> bool {
    round_up(cpu_millis, memory_bytes, regional)
        .is_some_and(|s| s.cpu_millis == cpu_millis && s.memory_bytes() == memory_bytes)
}

/// One entry of `eci-use-specs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "form")]
pub enum UseSpec {
    /// `<cpu>-<mem>Gi`: a vCPU/memory spec (fuzzy: ECI rounds it).
    CpuMemory {
        /// As written.
        text: String,
        /// vCPU in thousandths.
        cpu_millis: i128,
        /// Memory in bytes.
        memory_bytes: i128,
    },
    /// An ECS instance type (exact).
    InstanceType {
        /// The type, e.g. `ecs.gn6i-c4g1.xlarge`.
        name: String,
        /// The family kind, which decides what it may be combined with.
        kind: InstanceKind,
    },
}

/// ECS families that may only be combined with their own kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum InstanceKind {
    /// An ordinary family.
    General,
    /// A GPU family.
    Gpu,
    /// An ARM family.
    Arm,
}

/// GPU families (ECS `gn*`, `vgn*`, `sgn*`, `ebmgn*`, `gi*`) and the old
/// `ecigpu-` names.
fn instance_kind(name: &str) -> InstanceKind {
    let family = name.strip_prefix("ecs.").unwrap_or(name);
    let family = family.split(['.', '-']).next().unwrap_or(family);
    let gpu = name.starts_with("ecigpu-")
        || ["gn", "vgn", "sgn", "ebmgn", "gi"]
            .iter()
            .any(|p| family.strip_prefix(p).is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit())));
    let arm = family.ends_with('y') && family.chars().any(|c| c.is_ascii_digit());
    if gpu {
        InstanceKind::Gpu
    } else if arm {
        InstanceKind::Arm
    } else {
        InstanceKind::General
    }
}

impl UseSpec {
    /// The entry as sent.
    pub fn text(&self) -> &str {
        match self {
            UseSpec::CpuMemory { text, .. } => text,
            UseSpec::InstanceType { name, .. } => name,
        }
    }

    fn kind(&self) -> InstanceKind {
        match self {
            UseSpec::CpuMemory { .. } => InstanceKind::General,
            UseSpec::InstanceType { kind, .. } => *kind,
        }
    }
}

/// A validated `eci-use-specs` value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UseSpecs(pub Vec<UseSpec>);

/// At most five entries (docs/annotations.md#eci-use-specs).
pub const MAX_USE_SPECS: usize = 5;

/// The annotation whose value [`UseSpecs`] parses
/// (`crate::annotations::registry::USE_SPECS`).
pub const USE_SPECS_ANNOTATION: &str = "k8s.aliyun.com/eci-use-specs";

/// Where the diagnostics about the candidate specs point.
fn use_specs_pointer() -> Pointer {
    Pointer::from_tokens(["metadata", "annotations", USE_SPECS_ANNOTATION])
}

impl UseSpecs {
    /// Parses the comma list; errors name the first bad entry.
    pub fn parse(value: &str) -> Result<UseSpecs, String> {
        let items = crate::text::split_list(value);
        if items.is_empty() {
            return Err("no specs given".into());
        }
        if items.len() > MAX_USE_SPECS {
            return Err(format!("{} specs given, at most {MAX_USE_SPECS} are allowed", items.len()));
        }
        let mut specs = Vec::new();
        for item in items {
            specs.push(parse_use_spec(&item)?);
        }
        let kinds: Vec<InstanceKind> = specs.iter().map(UseSpec::kind).collect();
        for special in [InstanceKind::Gpu, InstanceKind::Arm] {
            if kinds.contains(&special) && kinds.iter().any(|k| *k != special) {
                return Err(format!(
                    "{} instance types can only be combined with other {} types",
                    if special == InstanceKind::Gpu { "GPU" } else { "ARM" },
                    if special == InstanceKind::Gpu { "GPU" } else { "ARM" },
                ));
            }
        }
        Ok(UseSpecs(specs))
    }

    /// The entries as sent.
    pub fn entries(&self) -> Vec<String> {
        self.0.iter().map(|s| s.text().to_string()).collect()
    }

    /// True when an entry is a GPU type.
    pub fn has_gpu(&self) -> bool {
        self.0.iter().any(|s| s.kind() == InstanceKind::Gpu)
    }

    /// True when an entry is an ARM type.
    pub fn has_arm(&self) -> bool {
        self.0.iter().any(|s| s.kind() == InstanceKind::Arm)
    }
}

fn parse_use_spec(item: &str) -> Result<UseSpec, String> {
    if item.starts_with("ecs.") || item.starts_with("ecigpu-") {
        let valid =
            item.len() > 4 && item.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
        return if valid {
            Ok(UseSpec::InstanceType { name: item.to_string(), kind: instance_kind(item) })
        } else {
            Err(format!("`{item}` is not an ECS instance type"))
        };
    }
    let bad =
        || format!("`{item}` is neither `<cpu>-<memory>Gi` (e.g. `2-4Gi`) nor an ECS type (e.g. `ecs.c6.xlarge`)");
    let (cpu, mem) = item.split_once('-').ok_or_else(bad)?;
    let mem = mem.strip_suffix("Gi").ok_or_else(bad)?;
    let decimal = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !decimal(cpu) || !decimal(mem) {
        return Err(bad());
    }
    let cpu_millis = Quantity::parse(cpu).ok().and_then(|q| q.millis_ceil()).ok_or_else(bad)?;
    let memory_bytes = Quantity::parse(&format!("{mem}Gi")).ok().and_then(|q| q.units_ceil()).ok_or_else(bad)?;
    if cpu_millis <= 0 || memory_bytes <= 0 {
        return Err(bad());
    }
    Ok(UseSpec::CpuMemory { text: item.to_string(), cpu_millis, memory_bytes })
}

/// The sizing basis of one container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerResources {
    /// vCPU in thousandths (limit, else request).
    pub cpu_millis: Option<i128>,
    /// Where the vCPU came from.
    pub cpu_from: Option<String>,
    /// Memory in bytes (limit, else request).
    pub memory_bytes: Option<i128>,
    /// Where the memory came from.
    pub memory_from: Option<String>,
    /// GPUs (`nvidia.com/gpu`).
    pub gpu: Option<i64>,
    /// Where the GPU count came from.
    pub gpu_from: Option<String>,
    /// Left out of the sum by `__ECI_RESOURCE_IGNORE__`.
    pub ignored: bool,
}

/// What the instance size was derived from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum InstanceSize {
    /// From `eci-use-specs`: sent as `InstanceType`.
    UseSpecs {
        /// The validated entries.
        specs: UseSpecs,
    },
    /// From the containers (or the default), rounded up to a spec.
    Derived {
        /// Requested vCPU (before rounding).
        cpu_millis: i128,
        /// Requested memory (before rounding).
        memory_bytes: i128,
        /// The spec chosen.
        spec: Spec,
        /// How the request was formed, in words.
        basis: String,
        /// The inputs read.
        inputs: Vec<String>,
    },
    /// ARM pod without any size: the documented default type.
    ArmDefault,
    /// Nothing fits; the error is in the diagnostics.
    TooLarge,
}

/// The sizing of a whole pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sizing {
    /// The instance size.
    pub instance: InstanceSize,
    /// Per app container, in pod order.
    pub containers: Vec<ContainerResources>,
    /// Per init container, in pod order.
    pub init_containers: Vec<ContainerResources>,
}

/// What sizing needs to know besides the pod.
#[derive(Debug, Clone, Default)]
pub struct SizingOptions {
    /// The validated `eci-use-specs`, when given.
    pub use_specs: Option<UseSpecs>,
    /// The cluster region (decides whether region-only specs exist).
    pub region: String,
    /// The pod is a spot instance (region-only specs excluded).
    pub spot: bool,
    /// The pod selects `kubernetes.io/arch: arm64`.
    pub arm64: bool,
}

fn quantity_of(
    req: Option<&ResourceRequirements>,
    resource: &str,
    base: &Pointer,
    millis: bool,
    diags: &mut Vec<Diagnostic>,
) -> (Option<i128>, Option<String>) {
    let Some(req) = req else { return (None, None) };
    for (section, map) in [("limits", &req.limits), ("requests", &req.requests)] {
        let Some(q) = map.as_ref().and_then(|m| m.get(resource)) else {
            continue;
        };
        let pointer = base.key("resources").key(section).key(resource);
        let parsed = Quantity::parse(&q.0).ok().filter(|q| !q.is_negative());
        let value = parsed.and_then(|q| if millis { q.millis_ceil() } else { q.units_ceil() });
        match value {
            Some(v) => return (Some(v), Some(pointer.into())),
            None => diags.push(
                Diagnostic::pod(
                    Severity::Error,
                    Code::InvalidValue,
                    pointer,
                    format!("`{}` is not a valid non-negative quantity for {resource}", q.0),
                )
                .help("write e.g. `500m` or `2` for cpu and `512Mi` or `4Gi` for memory"),
            ),
        }
    }
    (None, None)
}

/// True when the container sets `__ECI_RESOURCE_IGNORE__=TRUE`.
pub fn is_resource_ignored(container: &Container) -> bool {
    container
        .env
        .iter()
        .flatten()
        .any(|e| e.name == RESOURCE_IGNORE_ENV && e.value.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("true")))
}

/// Reads the sizing basis of one container.
pub fn container_resources(container: &Container, base: &Pointer, diags: &mut Vec<Diagnostic>) -> ContainerResources {
    let res = container.resources.as_ref();
    let (cpu_millis, cpu_from) = quantity_of(res, "cpu", base, true, diags);
    let (memory_bytes, memory_from) = quantity_of(res, "memory", base, false, diags);
    let (gpu, gpu_from) = quantity_of(res, GPU_RESOURCE, base, false, diags);
    ContainerResources {
        cpu_millis,
        cpu_from,
        memory_bytes,
        memory_from,
        gpu: gpu.and_then(|g| i64::try_from(g).ok()),
        gpu_from,
        ignored: is_resource_ignored(container),
    }
}

#[derive(Default)]
struct Basis {
    value: Option<i128>,
    inputs: Vec<String>,
    words: &'static str,
}

/// `max(largest init container, sum of app containers)` for one resource.
fn basis(
    apps: &[ContainerResources],
    inits: &[ContainerResources],
    get: impl Fn(&ContainerResources) -> (Option<i128>, Option<&String>),
) -> Basis {
    let mut sum: Option<i128> = None;
    let mut inputs = Vec::new();
    for c in apps.iter().filter(|c| !c.ignored) {
        if let (Some(v), from) = get(c) {
            sum = Some(sum.unwrap_or(0).saturating_add(v));
            inputs.extend(from.cloned());
        }
    }
    let init_max = inits
        .iter()
        .filter(|c| !c.ignored)
        .filter_map(|c| match get(c) {
            (Some(v), from) => Some((v, from.cloned())),
            _ => None,
        })
        .max_by_key(|(v, _)| *v);
    match (sum, init_max) {
        (_, Some((init, from))) if init > sum.unwrap_or(0) => {
            Basis { value: Some(init), inputs: from.into_iter().collect(), words: "largest init container" }
        }
        (Some(v), _) => Basis { value: Some(v), inputs, words: "sum of container" },
        (None, _) => Basis::default(),
    }
}

fn describe(inputs: &[String]) -> &'static str {
    let limits = inputs.iter().any(|p| p.contains("/limits/"));
    let requests = inputs.iter().any(|p| p.contains("/requests/"));
    match (limits, requests) {
        (true, true) => "limits (requests where no limit is set)",
        (false, true) => "requests",
        _ => "limits",
    }
}

/// Sizes a pod. Diagnostics go to `diags`.
pub fn size_pod(pod: &Pod, options: &SizingOptions, diags: &mut Vec<Diagnostic>) -> Sizing {
    let spec = pod.spec.as_ref();
    let containers: Vec<ContainerResources> = spec
        .map(|s| &s.containers)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| container_resources(c, &Pointer::from_tokens(["spec", "containers"]).index(i), diags))
        .collect();
    let init_containers: Vec<ContainerResources> = spec
        .and_then(|s| s.init_containers.as_ref())
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| container_resources(c, &Pointer::from_tokens(["spec", "initContainers"]).index(i), diags))
        .collect();

    let instance = if let Some(specs) = &options.use_specs {
        check_use_specs_fit(specs, &containers, diags);
        InstanceSize::UseSpecs { specs: specs.clone() }
    } else {
        derive_instance(pod, &containers, &init_containers, options, diags)
    };
    check_gpu(&instance, &containers, options, diags);
    Sizing { instance, containers, init_containers }
}

fn derive_instance(
    pod: &Pod,
    containers: &[ContainerResources],
    inits: &[ContainerResources],
    options: &SizingOptions,
    diags: &mut Vec<Diagnostic>,
) -> InstanceSize {
    // Pod-level resources (Kubernetes 1.32+) replace the container sum.
    let pod_level = pod.spec.as_ref().and_then(|s| s.resources.as_ref()).map(|r| {
        let base = Pointer::from_tokens(["spec"]);
        let (cpu, cpu_from) = quantity_of(Some(r), "cpu", &base, true, diags);
        let (mem, mem_from) = quantity_of(Some(r), "memory", &base, false, diags);
        ContainerResources { cpu_millis: cpu, cpu_from, memory_bytes: mem, memory_from: mem_from, ..Default::default() }
    });
    let (cpu, mem, words) = match pod_level.filter(|p| p.cpu_millis.is_some() || p.memory_bytes.is_some()) {
        Some(p) => {
            let one = std::slice::from_ref(&p);
            (
                basis(one, &[], |c| (c.cpu_millis, c.cpu_from.as_ref())),
                basis(one, &[], |c| (c.memory_bytes, c.memory_from.as_ref())),
                "pod-level",
            )
        }
        None => (
            basis(containers, inits, |c| (c.cpu_millis, c.cpu_from.as_ref())),
            basis(containers, inits, |c| (c.memory_bytes, c.memory_from.as_ref())),
            "",
        ),
    };
    let regional = !options.spot && REGIONAL_SPEC_REGIONS.contains(&options.region.as_str());

    if cpu.value.is_none() && mem.value.is_none() {
        if options.arm64 {
            return InstanceSize::ArmDefault;
        }
        let spec = round_up(DEFAULT_CPU_MILLIS, DEFAULT_MEMORY_BYTES, false);
        return match spec {
            Some(spec) => InstanceSize::Derived {
                cpu_millis: DEFAULT_CPU_MILLIS,
                memory_bytes: DEFAULT_MEMORY_BYTES,
                spec,
                basis: "no container sets cpu or memory: ECI default 2 vCPU / 4 GiB".into(),
                inputs: vec![],
            },
            None => InstanceSize::TooLarge,
        };
    }
    let cpu_millis = cpu.value.unwrap_or(0);
    let memory_bytes = mem.value.unwrap_or(0);
    let mut inputs = cpu.inputs.clone();
    inputs.extend(mem.inputs.iter().cloned());
    let words = if words.is_empty() {
        let which = if cpu.words == mem.words || mem.words.is_empty() {
            cpu.words
        } else if cpu.words.is_empty() {
            mem.words
        } else {
            "sum of container / largest init container"
        };
        format!("{which} {}", describe(&inputs))
    } else {
        format!("{words} {}", describe(&inputs))
    };
    let basis_text = format!(
        "{words}: {} vCPU / {}",
        cpu.value.map_or("unset".into(), format_millis),
        mem.value.map_or("unset memory".into(), |b| format!("{} memory", format_bytes(b)))
    );
    match round_up(cpu_millis, memory_bytes, regional) {
        Some(spec) => {
            if spec.cpu_millis != cpu_millis || spec.memory_bytes() != memory_bytes {
                diags.push(
                    Diagnostic::pod(
                        Severity::Info,
                        Code::SpecRounded,
                        cpu.inputs.first().or(mem.inputs.first()).cloned().unwrap_or_else(|| "/spec".into()),
                        format!(
                            "{} vCPU / {} is not an ECI spec; the instance is rounded up to {} and billed as such",
                            format_millis(cpu_millis),
                            format_bytes(memory_bytes),
                            spec.name()
                        ),
                    )
                    .help("set limits to a supported spec (see `eci-bridge specs`) to pay for exactly what you use"),
                );
            }
            InstanceSize::Derived { cpu_millis, memory_bytes, spec, basis: basis_text, inputs }
        }
        None => {
            diags.push(
                Diagnostic::pod(
                    Severity::Error,
                    Code::SpecTooLarge,
                    cpu.inputs.first().or(mem.inputs.first()).cloned().unwrap_or_else(|| "/spec".into()),
                    format!(
                        "{} vCPU / {} exceeds the largest ECI spec (64 vCPU / 512 GiB)",
                        format_millis(cpu_millis),
                        format_bytes(memory_bytes)
                    ),
                )
                .help("lower the limits, or name a large ECS type in k8s.aliyun.com/eci-use-specs"),
            );
            InstanceSize::TooLarge
        }
    }
}

/// Containers are still sent with their own vCPU/memory; their sum must not
/// exceed a cpu-memory spec named in `eci-use-specs` (ECI rejects it).
fn check_use_specs_fit(specs: &UseSpecs, containers: &[ContainerResources], diags: &mut Vec<Diagnostic>) {
    let cpu: i128 = containers.iter().filter(|c| !c.ignored).filter_map(|c| c.cpu_millis).sum();
    let mem: i128 = containers.iter().filter(|c| !c.ignored).filter_map(|c| c.memory_bytes).sum();
    for spec in &specs.0 {
        if let UseSpec::CpuMemory { text, cpu_millis, memory_bytes } = spec
            && (cpu > *cpu_millis || mem > *memory_bytes)
        {
            diags.push(
                Diagnostic::pod(
                    Severity::Error,
                    Code::Conflict,
                    use_specs_pointer(),
                    format!(
                        "the containers ask for {} vCPU / {} in total, more than the spec `{text}` offers",
                        format_millis(cpu),
                        format_bytes(mem)
                    ),
                )
                .help("raise the spec in k8s.aliyun.com/eci-use-specs or lower the container limits"),
            );
        }
    }
}

fn check_gpu(
    instance: &InstanceSize,
    containers: &[ContainerResources],
    options: &SizingOptions,
    diags: &mut Vec<Diagnostic>,
) {
    let uses_gpu = containers.iter().any(|c| c.gpu.is_some_and(|g| g > 0));
    let gpu_type = options.use_specs.as_ref().is_some_and(UseSpecs::has_gpu);
    let annotation = use_specs_pointer();
    if gpu_type && !uses_gpu {
        diags.push(
            Diagnostic::pod(
                Severity::Error,
                Code::Conflict,
                annotation,
                "a GPU instance type is requested but no container sets resources.limits[\"nvidia.com/gpu\"]; ECI documents that such a pod fails to start",
            )
            .help("add `nvidia.com/gpu: 1` to the limits of the container that uses the GPU"),
        );
    }
    if uses_gpu && !gpu_type {
        let pointer = containers.iter().find_map(|c| c.gpu_from.clone()).unwrap_or_default();
        let help = match instance {
            InstanceSize::UseSpecs { .. } => "name a GPU type in k8s.aliyun.com/eci-use-specs",
            _ => "add k8s.aliyun.com/eci-use-specs with a GPU type, e.g. `ecs.gn6i-c4g1.xlarge`",
        };
        diags.push(
            Diagnostic::pod(
                Severity::Warning,
                Code::Conflict,
                pointer,
                "nvidia.com/gpu is requested but no GPU instance type is named; ECI picks GPU instances only from ECS GPU types",
            )
            .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GI: i128 = GIB;

    #[test]
    fn every_table_row_is_its_own_rounding() {
        for s in specs() {
            let regional = s.availability == Availability::SomeRegions;
            let got = round_up(s.cpu_millis, s.memory_bytes(), regional);
            assert_eq!(got, Some(s), "row {} must round to itself", s.name());
            assert!(is_supported(s.cpu_millis, s.memory_bytes(), regional));
        }
        assert_eq!(specs().count(), 44 + 4 + 11 + 22 + 25);
    }

    #[test]
    fn documented_rounding_examples() {
        // 7 vCPU / 13 GiB → 8/14 in cn-hangzhou (region-only spec) …
        assert_eq!(round_up(7000, 13 * GI, true).map(|s| s.name()), Some("8-14Gi".into()));
        // … and 8/16 where only the all-region table applies.
        assert_eq!(round_up(7000, 13 * GI, false).map(|s| s.name()), Some("8-16Gi".into()));
        assert_eq!(round_up(1500, 2 * GI, false).map(|s| s.name()), Some("2-2Gi".into()));
        assert_eq!(round_up(100, 128 << 20, false).map(|s| s.name()), Some("0.25-0.5Gi".into()));
        assert_eq!(round_up(1000, 10 * GI, false).map(|s| s.name()), Some("2-16Gi".into()));
        assert_eq!(round_up(64000, 512 * GI, false).map(|s| s.name()), Some("64-512Gi".into()));
        assert_eq!(round_up(65000, GI, false), None);
        assert_eq!(round_up(2000, 600 * GI, false), None);
    }

    #[test]
    fn use_specs_grammar() {
        let ok = UseSpecs::parse("2-4Gi, ecs.c6.xlarge,0.5-1Gi").unwrap();
        assert_eq!(ok.entries(), vec!["2-4Gi", "ecs.c6.xlarge", "0.5-1Gi"]);
        assert!(UseSpecs::parse("1-2Gi,2-4Gi,4-8Gi,8-16Gi,16-32Gi,32-64Gi").is_err(), "more than 5");
        assert!(UseSpecs::parse("2c4g").is_err());
        assert!(UseSpecs::parse("ecs.gn6i-c4g1.xlarge,2-4Gi").is_err(), "GPU mixed with cpu-mem");
        assert!(UseSpecs::parse("ecs.gn6i-c4g1.xlarge,ecs.gn6v-c8g1.2xlarge").unwrap().has_gpu());
        assert!(UseSpecs::parse("ecs.c8y.large").unwrap().has_arm());
        assert!(!UseSpecs::parse("ecs.c6.large").unwrap().has_gpu());
        assert!(UseSpecs::parse("ecigpu-P100-4").unwrap().has_gpu());
    }
}
