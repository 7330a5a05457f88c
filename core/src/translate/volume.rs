//! Volumes.
//!
//! | Kubernetes                         | ECI                                           |
//! |------------------------------------|-----------------------------------------------|
//! | emptyDir (medium, sizeLimit)       | `EmptyDirVolume` (`Medium: Memory`)           |
//! | configMap, secret, downwardAPI     | `ConfigFileVolume`, one base64 file per key   |
//! | projected (token, CA, namespace…)  | `ConfigFileVolume` merging every source       |
//! | nfs                                | `NFSVolume`                                   |
//! | flexVolume `alicloud/*`            | `FlexVolume`                                  |
//! | persistentVolumeClaim              | from its PersistentVolume: NAS → `NFSVolume`, disk → `DiskVolume`, OSS → `FlexVolume` |
//! | hostPath                           | rejected (allow-listed accounts only)         |
//! | anything else                      | rejected                                      |
//!
//! File contents are base64 (every known client does so;
//! docs/eci-api.md#configfile-content). A missing ConfigMap/Secret marked `optional` gives an empty volume,
//! as in Kubernetes. `kube-root-ca.crt` and service-account tokens are
//! provided by the cluster rather than by the user: when they are not
//! supplied the file is sent empty with a warning, so that previewing an
//! ordinary Deployment pod does not fail; a daemon supplies both.

use std::collections::BTreeMap;

use base64::Engine as _;
use k8s_openapi::api::core::v1::{DownwardAPIVolumeFile, KeyToPath, PersistentVolumeSpec, Volume as K8sVolume};

use super::Ctx;
use super::env::{FieldValue, field_value, resource_value};
use crate::diagnostics::{Code, Diagnostic, Input, Pointer, Severity};
use crate::eci::{
    ConfigFileToPath, ConfigFileVolume, CreateContainerGroupRequest, DiskVolume, EmptyDirVolume, FlexVolume, NfsVolume,
    Sensitive, Volume,
};
use crate::explain::InputRef;
use crate::objects::{ObjectKind, object_name};
use crate::quantity::{GIB, Quantity};

/// Documented maximum size of one file's content (ROS schema, 32 KB).
pub const MAX_FILE_CONTENT: usize = 32 * 1024;

/// Cluster-provided objects: missing ones are warnings, not errors.
const CLUSTER_PROVIDED_CONFIG_MAPS: &[&str] = &["kube-root-ca.crt"];

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One file of a ConfigFileVolume, before encoding.
struct File {
    path: String,
    bytes: Vec<u8>,
    secret: bool,
    mode: Option<i32>,
}

/// Checks a file mode the way the API server does (0–0777).
fn check_mode(ctx: &mut Ctx<'_>, mode: Option<i32>, at: &Pointer) {
    if let Some(m) = mode
        && !(0..=0o777).contains(&m)
    {
        ctx.push(
            Diagnostic::pod(
                Severity::Error,
                Code::InvalidValue,
                at,
                format!("mode {m} is not a file mode (0–0777, i.e. 0–511 in decimal)"),
            )
            .help("write the mode in octal with a leading 0 (0644) or in decimal (420)"),
        );
    }
}

/// Data of a ConfigMap or Secret as (key, bytes).
fn object_data(ctx: &Ctx<'_>, kind: ObjectKind, name: &str) -> Option<BTreeMap<String, Vec<u8>>> {
    let ns = ctx.namespace.as_str();
    match kind {
        ObjectKind::ConfigMap => ctx.input.objects.config_map(ns, name).map(|cm| {
            let mut data: BTreeMap<String, Vec<u8>> =
                cm.data.iter().flatten().map(|(k, v)| (k.clone(), v.clone().into_bytes())).collect();
            data.extend(cm.binary_data.iter().flatten().map(|(k, v)| (k.clone(), v.0.clone())));
            data
        }),
        _ => ctx
            .input
            .objects
            .secret(ns, name)
            .map(|s| s.data.iter().flatten().map(|(k, v)| (k.clone(), v.0.clone())).collect()),
    }
}

/// Files of a ConfigMap/Secret source (volume or projection). `None` when
/// the object is missing and that is an error.
fn key_files(
    ctx: &mut Ctx<'_>,
    kind: ObjectKind,
    name: &str,
    items: Option<&Vec<KeyToPath>>,
    optional: bool,
    at: &Pointer,
    inputs: &mut Vec<InputRef>,
) -> Vec<File> {
    let secret = kind == ObjectKind::Secret;
    let display = object_name(kind, &ctx.namespace, name);
    let Some(data) = object_data(ctx, kind, name) else {
        let cluster_provided = kind == ObjectKind::ConfigMap && CLUSTER_PROVIDED_CONFIG_MAPS.contains(&name);
        if optional {
            ctx.push(Diagnostic::pod(
                Severity::Info,
                Code::MissingObject,
                at,
                format!("{display} was not supplied; the reference is optional, so its files are left out"),
            ));
        } else if cluster_provided {
            ctx.push(
                Diagnostic::pod(Severity::Warning, Code::MissingObject, at, format!("{display} (published by the cluster) was not supplied; its files are sent empty"))
                    .help("a provider supplies it; for a preview pass it with --objects (kubectl get configmap kube-root-ca.crt -o yaml)"),
            );
            return items
                .into_iter()
                .flatten()
                .map(|i| File { path: i.path.clone(), bytes: Vec::new(), secret, mode: i.mode })
                .collect();
        } else if ctx.input.missing_objects == super::MissingObjects::Placeholder {
            // A preview shows the volume, each file marked as missing.
            let (files, effect) = match items {
                Some(items) => (
                    items
                        .iter()
                        .map(|i| File {
                            path: i.path.clone(),
                            bytes: super::MissingObjects::placeholder(kind, name, &i.key).into_bytes(),
                            secret: false,
                            mode: i.mode,
                        })
                        .collect(),
                    "each file reads `<missing: …>` in this preview",
                ),
                None => (Vec::new(), "its keys are unknown, so this preview mounts an empty directory"),
            };
            ctx.push(
                Diagnostic::pod(
                    Severity::Warning,
                    Code::MissingObject,
                    at,
                    format!("{display} was not supplied: {effect}; the request is incomplete"),
                )
                .help(
                    "supply it with --objects (kubectl get -o yaml); --strict makes this an error, as a provider does",
                ),
            );
            return files;
        } else {
            ctx.push(
                Diagnostic::pod(Severity::Error, Code::MissingObject, at, format!("{display} was not supplied"))
                    .help("supply it with --objects (kubectl get -o yaml), or mark the reference optional"),
            );
        }
        return Vec::new();
    };
    inputs.push(InputRef::of(Input::Object(display.clone()), ""));
    match items {
        Some(items) => {
            let mut files = Vec::new();
            for (i, item) in items.iter().enumerate() {
                check_mode(ctx, item.mode, &at.key("items").index(i).key("mode"));
                match data.get(&item.key) {
                    Some(bytes) => {
                        files.push(File { path: item.path.clone(), bytes: bytes.clone(), secret, mode: item.mode })
                    }
                    None if optional => ctx.push(Diagnostic::pod(
                        Severity::Info,
                        Code::MissingKey,
                        at.key("items").index(i).key("key"),
                        format!("{display} has no key `{}`; optional, left out", item.key),
                    )),
                    None => ctx.push(Diagnostic::pod(
                        Severity::Error,
                        Code::MissingKey,
                        at.key("items").index(i).key("key"),
                        format!("{display} has no key `{}`", item.key),
                    )),
                }
            }
            files
        }
        None => data.into_iter().map(|(k, bytes)| File { path: k, bytes, secret, mode: None }).collect(),
    }
}

/// Files of downward-API items.
fn downward_files(
    ctx: &mut Ctx<'_>,
    items: &[DownwardAPIVolumeFile],
    at: &Pointer,
    resources: &BTreeMap<String, crate::sizing::ContainerResources>,
) -> Vec<File> {
    let mut files = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_at = at.key("items").index(i);
        check_mode(ctx, item.mode, &item_at.key("mode"));
        let content = if let Some(sel) = &item.field_ref {
            match sel.field_path.as_str() {
                // Whole maps are written as sorted `key="value"` lines (kubelet fieldpath.FormatMap).
                "metadata.labels" | "metadata.annotations" => {
                    let map = if sel.field_path == "metadata.labels" {
                        &ctx.pod.metadata.labels
                    } else {
                        &ctx.pod.metadata.annotations
                    };
                    Ok(map.iter().flatten().map(|(k, v)| format!("{k}={v:?}\n")).collect::<String>())
                }
                _ => match field_value(ctx, sel) {
                    Ok(FieldValue::Static(v, _)) => Ok(v),
                    Ok(FieldValue::Runtime { .. }) => Err(format!(
                        "{} is known only at run time and cannot be written into a file before creation",
                        sel.field_path
                    )),
                    Err(e) => Err(e),
                },
            }
        } else if let Some(sel) = &item.resource_field_ref {
            let name = sel.container_name.clone().unwrap_or_default();
            match resources.get(&name) {
                Some(own) => {
                    resource_value(sel, own, (crate::sizing::DEFAULT_CPU_MILLIS, crate::sizing::DEFAULT_MEMORY_BYTES))
                }
                None => Err(format!("no container named `{name}`")),
            }
        } else {
            Err("the item has neither fieldRef nor resourceFieldRef".into())
        };
        match content {
            Ok(text) => {
                files.push(File { path: item.path.clone(), bytes: text.into_bytes(), secret: false, mode: item.mode })
            }
            Err(why) => ctx.push(Diagnostic::pod(Severity::Error, Code::UnsupportedFieldPath, item_at, why)),
        }
    }
    files
}

fn config_file_volume(
    ctx: &mut Ctx<'_>,
    files: Vec<File>,
    default_mode: Option<i32>,
    at: &Pointer,
) -> ConfigFileVolume {
    let mut out = ConfigFileVolume { default_mode: default_mode.map(i64::from), ..Default::default() };
    for f in files {
        if f.bytes.len() > MAX_FILE_CONTENT {
            ctx.push(Diagnostic::pod(
                Severity::Warning,
                Code::OverLimit,
                at,
                format!(
                    "file `{}` has {} bytes; ECI documents at most 32 KB per file (ROS schema)",
                    f.path,
                    f.bytes.len()
                ),
            ));
        }
        let content = b64(&f.bytes);
        out.config_file_to_path.push(ConfigFileToPath {
            content: Some(if f.secret { Sensitive::secret(content) } else { Sensitive::public(content) }),
            mode: f.mode.map(i64::from),
            path: Some(f.path),
        });
    }
    out
}

fn resources_by_name(ctx: &Ctx<'_>) -> BTreeMap<String, crate::sizing::ContainerResources> {
    let mut scratch = Vec::new();
    ctx.spec()
        .map(|s| {
            s.containers
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    (
                        c.name.clone(),
                        crate::sizing::container_resources(
                            c,
                            &Pointer::from_tokens(["spec", "containers"]).index(i),
                            &mut scratch,
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Translates one volume; `None` when it cannot be carried.
fn volume(ctx: &mut Ctx<'_>, v: &K8sVolume, at: &Pointer) -> Option<(Volume, String, Vec<InputRef>)> {
    let mut out = Volume { name: Some(v.name.clone()), ..Default::default() };
    let mut inputs = vec![InputRef::pod(at.clone())];
    let rule;
    if let Some(e) = &v.empty_dir {
        let medium = match e.medium.as_deref() {
            None | Some("") => None,
            Some("Memory") => Some("Memory".to_string()),
            Some(other) => {
                ctx.push(Diagnostic::pod(
                    Severity::Error,
                    Code::UnsupportedVolume,
                    at.key("emptyDir").key("medium"),
                    format!("emptyDir medium `{other}` is not available on ECI (only Memory)"),
                ));
                None
            }
        };
        if let Some(limit) = &e.size_limit
            && Quantity::parse(&limit.0).is_err()
        {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::InvalidValue,
                at.key("emptyDir").key("sizeLimit"),
                format!("`{}` is not a quantity", limit.0),
            ));
        }
        out.volume_type = Some("EmptyDirVolume".into());
        out.empty_dir_volume = Some(EmptyDirVolume { medium, size_limit: e.size_limit.as_ref().map(|q| q.0.clone()) });
        rule = "emptyDir → EmptyDirVolume";
    } else if let Some(cm) = &v.config_map {
        let files = key_files(
            ctx,
            ObjectKind::ConfigMap,
            &cm.name,
            cm.items.as_ref(),
            cm.optional == Some(true),
            &at.key("configMap"),
            &mut inputs,
        );
        check_mode(ctx, cm.default_mode, &at.key("configMap").key("defaultMode"));
        out.volume_type = Some("ConfigFileVolume".into());
        out.config_file_volume = Some(config_file_volume(ctx, files, cm.default_mode, at));
        rule = "configMap → ConfigFileVolume, one base64 file per key";
    } else if let Some(s) = &v.secret {
        let name = s.secret_name.clone().unwrap_or_default();
        let files = key_files(
            ctx,
            ObjectKind::Secret,
            &name,
            s.items.as_ref(),
            s.optional == Some(true),
            &at.key("secret"),
            &mut inputs,
        );
        check_mode(ctx, s.default_mode, &at.key("secret").key("defaultMode"));
        out.volume_type = Some("ConfigFileVolume".into());
        out.config_file_volume = Some(config_file_volume(ctx, files, s.default_mode, at));
        rule = "secret → ConfigFileVolume, one base64 file per key";
    } else if let Some(d) = &v.downward_api {
        let resources = resources_by_name(ctx);
        let files = downward_files(ctx, d.items.as_deref().unwrap_or_default(), &at.key("downwardAPI"), &resources);
        check_mode(ctx, d.default_mode, &at.key("downwardAPI").key("defaultMode"));
        out.volume_type = Some("ConfigFileVolume".into());
        out.config_file_volume = Some(config_file_volume(ctx, files, d.default_mode, at));
        ctx.push(Diagnostic::pod(
            Severity::Info,
            Code::Converted,
            at.key("downwardAPI"),
            "downwardAPI files are written once at creation; later label or annotation changes are not reflected",
        ));
        rule = "downwardAPI → ConfigFileVolume with the values known at creation";
    } else if let Some(p) = &v.projected {
        let files = projected_files(ctx, p, at, &mut inputs);
        check_mode(ctx, p.default_mode, &at.key("projected").key("defaultMode"));
        out.volume_type = Some("ConfigFileVolume".into());
        out.config_file_volume = Some(config_file_volume(ctx, files, p.default_mode, at));
        rule = "projected → one ConfigFileVolume holding every source's files";
    } else if let Some(n) = &v.nfs {
        out.volume_type = Some("NFSVolume".into());
        out.nfs_volume = Some(NfsVolume {
            path: Some(n.path.clone()),
            read_only: n.read_only.filter(|r| *r),
            server: Some(n.server.clone()),
        });
        rule = "nfs → NFSVolume";
    } else if let Some(f) = &v.flex_volume {
        if !f.driver.starts_with("alicloud/") {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::UnsupportedVolume,
                at.key("flexVolume").key("driver"),
                format!(
                    "flexVolume driver `{}` is not available on ECI (alicloud/disk, alicloud/nas, alicloud/oss)",
                    f.driver
                ),
            ));
            return None;
        }
        out.volume_type = Some("FlexVolume".into());
        out.flex_volume = Some(FlexVolume {
            driver: Some(f.driver.clone()),
            fs_type: f.fs_type.clone(),
            options: f.options.as_ref().map(|o| serde_json::to_string(o).unwrap_or_default()),
        });
        rule = "flexVolume → FlexVolume (options as a JSON string)";
    } else if let Some(claim) = &v.persistent_volume_claim {
        let (vol, claim_rule) = claim_volume(ctx, &claim.claim_name, claim.read_only == Some(true), at, &mut inputs)?;
        let name = out.name.take();
        out = vol;
        out.name = name;
        return Some((out, claim_rule, inputs));
    } else if v.host_path.is_some() {
        ctx.push(
            Diagnostic::pod(
                Severity::Error,
                Code::HostPathVolume,
                at.key("hostPath"),
                format!("volume `{}` is a hostPath; ECI mounts host paths only for allow-listed accounts", v.name),
            )
            .help("use an emptyDir, a NAS (nfs) volume or a cloud disk instead"),
        );
        return None;
    } else {
        let kind = unsupported_kind(v);
        ctx.push(
            Diagnostic::pod(Severity::Error, Code::UnsupportedVolume, at.key(kind), format!("volume `{}` is of type {kind}, which ECI cannot mount", v.name))
                .help("ECI mounts emptyDir, configMap, secret, downwardAPI, projected, nfs, alicloud flexVolume and NAS/disk/OSS claims"),
        );
        return None;
    }
    // A file volume with no files (an optional object that is missing, or an
    // empty one) is an empty directory in Kubernetes; ECI gets exactly that.
    if out.config_file_volume.as_ref().is_some_and(|c| c.config_file_to_path.is_empty()) {
        out.config_file_volume = None;
        out.volume_type = Some("EmptyDirVolume".into());
        out.empty_dir_volume = Some(EmptyDirVolume::default());
        // A required object that is missing was already said (an error, or the preview's warning).
        let here = String::from(at);
        let missing = ctx.diags.iter().any(|d| {
            d.code == Code::MissingObject
                && d.severity != Severity::Info
                && d.pointer.strip_prefix(here.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        if missing {
            return Some((out, format!("{rule}; the object was not supplied, so an empty EmptyDirVolume"), inputs));
        }
        ctx.push(Diagnostic::pod(
            Severity::Info,
            Code::Converted,
            at,
            format!("volume `{}` has no files, so it is sent as an empty directory (as Kubernetes mounts it)", v.name),
        ));
        return Some((out, format!("{rule}; no files, so an empty EmptyDirVolume"), inputs));
    }
    Some((out, rule.to_string(), inputs))
}

fn unsupported_kind(v: &K8sVolume) -> &'static str {
    let kinds: [(bool, &str); 21] = [
        (v.csi.is_some(), "csi"),
        (v.ephemeral.is_some(), "ephemeral"),
        (v.image.is_some(), "image"),
        (v.iscsi.is_some(), "iscsi"),
        (v.git_repo.is_some(), "gitRepo"),
        (v.aws_elastic_block_store.is_some(), "awsElasticBlockStore"),
        (v.azure_disk.is_some(), "azureDisk"),
        (v.azure_file.is_some(), "azureFile"),
        (v.cephfs.is_some(), "cephfs"),
        (v.cinder.is_some(), "cinder"),
        (v.fc.is_some(), "fc"),
        (v.flocker.is_some(), "flocker"),
        (v.gce_persistent_disk.is_some(), "gcePersistentDisk"),
        (v.glusterfs.is_some(), "glusterfs"),
        (v.photon_persistent_disk.is_some(), "photonPersistentDisk"),
        (v.portworx_volume.is_some(), "portworxVolume"),
        (v.quobyte.is_some(), "quobyte"),
        (v.rbd.is_some(), "rbd"),
        (v.scale_io.is_some(), "scaleIO"),
        (v.storageos.is_some(), "storageos"),
        (v.vsphere_volume.is_some(), "vsphereVolume"),
    ];
    kinds.iter().find(|(present, _)| *present).map_or("unknown", |(_, k)| k)
}

fn projected_files(
    ctx: &mut Ctx<'_>,
    p: &k8s_openapi::api::core::v1::ProjectedVolumeSource,
    at: &Pointer,
    inputs: &mut Vec<InputRef>,
) -> Vec<File> {
    let mut files = Vec::new();
    let sa = ctx.spec().and_then(|s| s.service_account_name.clone()).unwrap_or_else(|| "default".into());
    for (i, source) in p.sources.iter().flatten().enumerate() {
        let sat = at.key("projected").key("sources").index(i);
        if let Some(cm) = &source.config_map {
            files.extend(key_files(
                ctx,
                ObjectKind::ConfigMap,
                &cm.name,
                cm.items.as_ref(),
                cm.optional == Some(true),
                &sat.key("configMap"),
                inputs,
            ));
        } else if let Some(s) = &source.secret {
            files.extend(key_files(
                ctx,
                ObjectKind::Secret,
                &s.name,
                s.items.as_ref(),
                s.optional == Some(true),
                &sat.key("secret"),
                inputs,
            ));
        } else if let Some(d) = &source.downward_api {
            let resources = resources_by_name(ctx);
            files.extend(downward_files(
                ctx,
                d.items.as_deref().unwrap_or_default(),
                &sat.key("downwardAPI"),
                &resources,
            ));
        } else if let Some(t) = &source.service_account_token {
            let ns = ctx.namespace.clone();
            match ctx.input.objects.token(&ns, &sa, t.audience.as_deref()) {
                Some(token) => {
                    inputs.push(InputRef::of(
                        Input::Object(object_name(ObjectKind::TokenRequest, &ns, &sa)),
                        "/status/token",
                    ));
                    files.push(File {
                        path: t.path.clone(),
                        bytes: token.token.clone().into_bytes(),
                        secret: true,
                        mode: None,
                    });
                }
                None => {
                    ctx.push(
                        Diagnostic::pod(
                            Severity::Warning,
                            Code::MissingObject,
                            sat.key("serviceAccountToken"),
                            format!("no token for service account `{sa}` was supplied; `{}` is sent empty and the pod cannot call the API server", t.path),
                        )
                        .help("a provider mints it with a TokenRequest; for a preview pass a TokenRequest object with --objects"),
                    );
                    files.push(File { path: t.path.clone(), bytes: Vec::new(), secret: true, mode: None });
                }
            }
        } else {
            ctx.push(Diagnostic::pod(
                Severity::Error,
                Code::UnsupportedVolume,
                sat,
                "this projected source (clusterTrustBundle, podCertificate) is not available on ECI",
            ));
        }
    }
    files
}

/// A claim's bound PersistentVolume as an ECI volume.
fn claim_volume(
    ctx: &mut Ctx<'_>,
    claim_name: &str,
    read_only: bool,
    at: &Pointer,
    inputs: &mut Vec<InputRef>,
) -> Option<(Volume, String)> {
    let ns = ctx.namespace.clone();
    let at = at.key("persistentVolumeClaim");
    let claim_display = object_name(ObjectKind::PersistentVolumeClaim, &ns, claim_name);
    let Some(claim) = ctx.input.objects.claim(&ns, claim_name).cloned() else {
        ctx.push(
            Diagnostic::pod(Severity::Error, Code::MissingObject, at, format!("{claim_display} was not supplied"))
                .help("supply the claim and its bound PersistentVolume with --objects"),
        );
        return None;
    };
    inputs.push(InputRef::of(Input::Object(claim_display.clone()), "/spec/volumeName"));
    let Some(pv_name) = claim.spec.as_ref().and_then(|s| s.volume_name.clone()).filter(|n| !n.is_empty()) else {
        ctx.push(
            Diagnostic::pod(Severity::Error, Code::Unsupported, at, format!("{claim_display} is not bound to a volume"))
                .help("virtual-node pods cannot wait for a WaitForFirstConsumer StorageClass; use Immediate binding or a pre-provisioned volume"),
        );
        return None;
    };
    let pv_display = object_name(ObjectKind::PersistentVolume, "", &pv_name);
    let Some(pv) = ctx.input.objects.volume(&pv_name).cloned() else {
        ctx.push(
            Diagnostic::pod(
                Severity::Error,
                Code::MissingObject,
                at,
                format!("{pv_display} (bound to {claim_display}) was not supplied"),
            )
            .help("supply the PersistentVolume with --objects"),
        );
        return None;
    };
    inputs.push(InputRef::of(Input::Object(pv_display.clone()), "/spec"));
    let spec: PersistentVolumeSpec = pv.spec.unwrap_or_default();
    let mut out = Volume::default();
    let rule;
    if let Some(nfs) = &spec.nfs {
        out.volume_type = Some("NFSVolume".into());
        out.nfs_volume = Some(NfsVolume {
            server: Some(nfs.server.clone()),
            path: Some(nfs.path.clone()),
            read_only: (read_only || nfs.read_only == Some(true)).then_some(true),
        });
        rule = "persistentVolumeClaim → its NFS PersistentVolume → NFSVolume";
    } else if let Some(csi) = &spec.csi {
        let attrs = csi.volume_attributes.clone().unwrap_or_default();
        match csi.driver.as_str() {
            "nasplugin.csi.alibabacloud.com" => {
                out.volume_type = Some("NFSVolume".into());
                out.nfs_volume = Some(NfsVolume {
                    server: attrs.get("server").cloned(),
                    path: Some(attrs.get("path").cloned().unwrap_or_else(|| "/".into())),
                    read_only: (read_only || csi.read_only == Some(true)).then_some(true),
                });
                rule = "persistentVolumeClaim → NAS CSI PersistentVolume → NFSVolume (server, path)";
            }
            "diskplugin.csi.alibabacloud.com" => {
                let size = spec
                    .capacity
                    .as_ref()
                    .and_then(|c| c.get("storage"))
                    .and_then(|q| Quantity::parse(&q.0).ok())
                    .and_then(|q| q.units_ceil())
                    .map(|b| (b + (1 << 30) - 1) >> 30);
                out.volume_type = Some("DiskVolume".into());
                out.disk_volume = Some(DiskVolume {
                    disk_id: Some(csi.volume_handle.clone()),
                    disk_size: size.and_then(|s| i64::try_from(s).ok()),
                    fs_type: csi.fs_type.clone(),
                });
                rule = "persistentVolumeClaim → disk CSI PersistentVolume → DiskVolume (volumeHandle is the disk ID)";
            }
            "ossplugin.csi.alibabacloud.com" => {
                out.volume_type = Some("FlexVolume".into());
                out.flex_volume = Some(FlexVolume {
                    driver: Some("alicloud/oss".into()),
                    fs_type: None,
                    options: Some(serde_json::to_string(&attrs).unwrap_or_default()),
                });
                rule = "persistentVolumeClaim → OSS CSI PersistentVolume → FlexVolume alicloud/oss (attributes as options)";
            }
            other => {
                ctx.push(Diagnostic::pod(
                    Severity::Error,
                    Code::UnsupportedVolume,
                    at,
                    format!("{pv_display} uses CSI driver `{other}`, which ECI cannot mount"),
                ));
                return None;
            }
        }
    } else if let Some(flex) = &spec.flex_volume {
        out.volume_type = Some("FlexVolume".into());
        out.flex_volume = Some(FlexVolume {
            driver: Some(flex.driver.clone()),
            fs_type: flex.fs_type.clone(),
            options: flex.options.as_ref().map(|o| serde_json::to_string(o).unwrap_or_default()),
        });
        rule = "persistentVolumeClaim → FlexVolume PersistentVolume → FlexVolume";
    } else {
        ctx.push(Diagnostic::pod(
            Severity::Error,
            Code::UnsupportedVolume,
            at,
            format!("{pv_display} is of a type ECI cannot mount (NAS, disk and OSS are supported)"),
        ));
        return None;
    }
    Some((out, rule.to_string()))
}

pub(super) fn apply(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest) {
    let volumes = ctx.spec().and_then(|s| s.volumes.as_deref()).unwrap_or_default();
    let mut origin = Vec::new();
    for (i, v) in volumes.iter().enumerate() {
        let at = Pointer::from_tokens(["spec", "volumes"]).index(i);
        if let Some((vol, rule, inputs)) = volume(ctx, v, &at) {
            req.volume.push(vol);
            origin.push(at);
            ctx.note(format!("Volume.{}", req.volume.len()), rule, inputs);
        }
    }
    set_disk_volumes(ctx, req, &origin);
}

/// `k8s.aliyun.com/eci-set-diskvolume: "$volumeName:$fsType:$size"` (the
/// 2021 ASK "ECI Pod Annotation" page; several entries may be joined by
/// commas) turns the named emptyDir into a dynamic cloud disk: the volume is
/// sent as `Type: DiskVolume` with `DiskVolume.FsType` and
/// `DiskVolume.DiskSize` (whole GiB, rounded up) and no `DiskId`. The
/// parameter names are matched by meaning (⚠ the page names no parameter).
fn set_disk_volumes(ctx: &mut Ctx<'_>, req: &mut CreateContainerGroupRequest, origin: &[Pointer]) {
    use crate::annotations::{Parsed, registry::SET_DISK_VOLUME};
    let Some(value) = ctx.annotations.get(SET_DISK_VOLUME).and_then(Parsed::text) else { return };
    let from = ctx.annotation_ref(SET_DISK_VOLUME);
    let bad = |ctx: &mut Ctx<'_>, message: String| {
        ctx.push(
            Diagnostic::pod(Severity::Error, Code::InvalidAnnotation, from.pointer.clone(), message)
                .help("write `<emptyDir volume name>:<fsType>:<size>`, e.g. cache-volume:ext4:500Gi")
                .on(from.input.clone()),
        );
    };
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parts: Vec<&str> = entry.split(':').collect();
        let [name, fs_type, size] = parts.as_slice() else {
            bad(ctx, format!("`{entry}` is not `name:fsType:size`"));
            continue;
        };
        let Some(gib) =
            Quantity::parse(size).ok().and_then(|q| q.units_ceil()).filter(|b| *b > 0).map(|b| (b + GIB - 1) / GIB)
        else {
            bad(ctx, format!("`{size}` in `{entry}` is not a positive size such as 500Gi"));
            continue;
        };
        if fs_type.is_empty() || !fs_type.bytes().all(|b| b.is_ascii_alphanumeric()) {
            bad(ctx, format!("`{fs_type}` in `{entry}` is not a file system type such as ext4 or xfs"));
            continue;
        }
        let found = req.volume.iter().position(|v| v.name.as_deref() == Some(*name));
        let Some(i) = found.filter(|&i| req.volume[i].empty_dir_volume.is_some()) else {
            let what = if found.is_some() { "is not an emptyDir" } else { "is not a volume of the pod" };
            bad(ctx, format!("`{name}` {what}; only an emptyDir can become a dynamic disk"));
            continue;
        };
        let volume = &mut req.volume[i];
        volume.volume_type = Some("DiskVolume".into());
        volume.empty_dir_volume = None;
        volume.disk_volume = Some(DiskVolume {
            disk_id: None,
            disk_size: i64::try_from(gib).ok(),
            fs_type: Some((*fs_type).to_string()),
        });
        let mut inputs = vec![from.clone()];
        inputs.extend(origin.get(i).map(|p| InputRef::pod(p.clone())));
        ctx.note(
            format!("Volume.{}", i + 1),
            format!(
                "{}: emptyDir → dynamic DiskVolume ({fs_type}, {gib} GiB, created with the instance)",
                ctx.annotation_rule(SET_DISK_VOLUME)
            ),
            inputs,
        );
    }
}
