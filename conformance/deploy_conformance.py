#!/usr/bin/env python3
"""deploy/: what a cluster admin applies, checked without a cluster.

- every Kubernetes object under deploy/ validates with kubernetes-validate
  (strict: unknown fields are errors); cert-manager's objects, whose schemas
  kubernetes-validate does not carry, against the fields cert-manager v1
  requires;
- the MutatingWebhookConfiguration is what `eci-bridge webhook-config`
  generates for the Service (so the two cannot drift);
- every flag the Deployment passes is a flag of `eci-bridge serve`, the
  mounted paths are the ones the flags name, and the probes hit the routes
  the daemon serves on the port they name;
- the hardening the issue asks for is there: 2 replicas, anti-affinity, a
  PodDisruptionBudget, non-root, read-only root filesystem, seccomp
  RuntimeDefault, no privilege escalation, resource requests.

`cargo xtask cluster test` applies the overlays with a server-side dry run.

Usage: deploy_conformance.py <eci-bridge binary> <deploy dir>
"""

import glob
import os
import re
import subprocess
import sys

import kubernetes_validate
import yaml

from common import K8S_VERSION, Report

CERT_MANAGER_REQUIRED = {
    "Certificate": ["secretName", "issuerRef"],
    "Issuer": [],
}


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def objects(deploy):
    for path in sorted(glob.glob(os.path.join(deploy, "**", "*.yaml"), recursive=True)):
        if os.path.basename(path) == "kustomization.yaml":
            continue
        for doc in load(path):
            yield os.path.relpath(path, deploy), doc


def flags_of(binary, subcommand):
    text = subprocess.run([binary, subcommand, "--help"], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"--([a-z0-9-]+)", text))


def main():
    binary, deploy = sys.argv[1], sys.argv[2]
    report = Report()
    by_kind = {}
    for path, doc in objects(deploy):
        kind = doc.get("kind")
        by_kind.setdefault(kind, []).append(doc)
        what = f"{path}: {kind} {doc.get('metadata', {}).get('name')}"
        if doc.get("apiVersion", "").startswith("cert-manager.io/"):
            spec = doc.get("spec") or {}
            missing = [f for f in CERT_MANAGER_REQUIRED.get(kind, ["?"]) if f not in spec]
            if kind == "Issuer":
                missing += [] if ("selfSigned" in spec) != ("ca" in spec) else ["exactly one of selfSigned, ca"]
            report.check(doc["apiVersion"] == "cert-manager.io/v1" and not missing, f"{what}: missing {missing}")
            continue
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            report.check(True, what)
        except Exception as e:  # noqa: BLE001 - every validation error is a failure with its message
            report.check(False, f"{what}: {str(e)[:300]}")

    # The webhook configuration is the generator's output.
    with open(os.path.join(deploy, "base/mutatingwebhookconfiguration.yaml")) as f:
        committed = "".join(line for line in f if not line.startswith("#"))
    generated = subprocess.run(
        [binary, "webhook-config", "--service-name", "eci-bridge-webhook", "--service-namespace", "kube-system"],
        capture_output=True, text=True, check=True,
    ).stdout
    report.check(committed == generated, "deploy/base/mutatingwebhookconfiguration.yaml differs from webhook-config")
    webhooks = by_kind.get("MutatingWebhookConfiguration", [{}])[0].get("webhooks", [])
    report.check(bool(webhooks), "the webhook configuration has webhooks")
    for w in webhooks:
        service = w["clientConfig"]["service"]
        report.check(service == {"name": "eci-bridge-webhook", "namespace": "kube-system", "path": "/mutate", "port": 443},
                     f"{w['name']}: the webhook calls the Service's /mutate")
        report.check(w["failurePolicy"] == "Ignore" and w["sideEffects"] == "None", f"{w['name']}: failurePolicy Ignore")

    # The Deployment runs `serve` with flags it has.
    [deployment] = by_kind["Deployment"]
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    [container] = pod["containers"]
    args = container["args"]
    report.check(args[0] == "serve", "the container runs `eci-bridge serve`")
    known = flags_of(binary, "serve")
    for arg in args[1:]:
        name = arg[2:].split("=")[0]
        report.check(arg.startswith("--") and name in known, f"`{arg}` is a flag of eci-bridge serve")
    values = dict(a[2:].split("=", 1) for a in args[1:] if "=" in a)
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    report.check(values["tls-cert-file"] == mounts["tls"] + "/tls.crt", "the certificate flag names the mounted Secret")
    report.check(values["tls-key-file"] == mounts["tls"] + "/tls.key", "the key flag names the mounted Secret")
    report.check(values["profile-file"] == mounts["profile"], "the profile flag names the mounted ConfigMap")
    volumes = {v["name"]: v for v in pod["volumes"]}
    report.check(volumes["profile"]["configMap"]["name"] == "eci-profile", "the eci-profile ConfigMap is mounted")
    report.check(volumes["tls"]["secret"]["secretName"] == "eci-bridge-webhook-tls", "the TLS Secret is mounted")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    report.check(values["listen"].endswith(f":{ports['https']}"), "--listen is the https port")
    report.check(values["metrics-listen"].endswith(f":{ports['metrics']}"), "--metrics-listen is the metrics port")
    report.check(container["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness probes /readyz")
    report.check(container["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness probes /healthz")
    [service] = by_kind["Service"]
    report.check(service["spec"]["ports"][0]["targetPort"] == "https", "the Service targets the https port")

    # Hardening.
    report.check(spec["replicas"] == 2, "2 replicas")
    report.check("podAntiAffinity" in pod.get("affinity", {}), "anti-affinity between replicas")
    report.check(bool(by_kind.get("PodDisruptionBudget")), "a PodDisruptionBudget")
    security = pod["securityContext"]
    report.check(security.get("runAsNonRoot") is True, "runAsNonRoot")
    report.check(security.get("seccompProfile", {}).get("type") == "RuntimeDefault", "seccomp RuntimeDefault")
    c_security = container["securityContext"]
    report.check(c_security.get("readOnlyRootFilesystem") is True, "read-only root filesystem")
    report.check(c_security.get("allowPrivilegeEscalation") is False, "no privilege escalation")
    report.check(c_security.get("capabilities", {}).get("drop") == ["ALL"], "every capability dropped")
    report.check(bool(container["resources"].get("requests")), "resource requests")
    rules = [r for role in by_kind.get("ClusterRole", []) for r in role["rules"]]
    report.check(rules == [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]}],
                 "the ClusterRole reads Namespaces and nothing else")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
