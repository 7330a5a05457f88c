#!/usr/bin/env python3
"""The project's Kubernetes claims against a real control plane.

`cargo xtask test` starts etcd, kube-apiserver, kube-controller-manager and
kube-scheduler (built from their Go modules by `cargo xtask cluster`), runs
this file with KUBECONFIG, PATH (the built kubectl) and ECI_BRIDGE (the CLI)
set, and stops them again. No kubelet runs: pods are bound by the scheduler
and stay Pending, so placement is read from `spec.nodeName`.

Scenarios (numbered as in the issue):

1. Admission: the MutatingWebhookConfiguration `eci-bridge webhook-config`
   generates is accepted by the API server (server-side dry run); registered
   with a loopback `url`, the API server calls `eci-bridge serve` (which
   reads Namespaces from it through a reflector) and persists what
   `eci-bridge admit` predicts; warnings reach kubectl; failurePolicy Ignore
   creates pods unrouted when the daemon is down.
2. Virtual nodes and the real scheduler: the Nodes and Leases `eci-bridge
   nodes` prints are registered (Leases and Ready kept fresh by this file)
   beside one small regular Node. Over a generated set of pods, each admitted
   as `eci-bridge admit` predicts, the virtual nodes the project says a pod
   fits (`placement::misfit`, read through `eci-bridge overflow`'s candidates)
   equal the virtual nodes the scheduler binds a copy of the pod to when the
   copy is pinned to each node in turn; routed pods land on a virtual node of
   the right zone and architecture, unrouted pods on the regular node, pods
   whose own constraints exclude virtual nodes never on one.
3. Overflow with real scheduler messages: pods too big for the regular node
   become Unschedulable with the scheduler's own message; `eci-bridge
   overflow` on the pod as read back decides to move them; the patch (only
   additions) applies through the API; the scheduler binds the pod to one of
   the predicted candidates. Pods pending for other reasons stay, and a pod
   the project says excludes every virtual node stays unschedulable even when
   the toleration is forced onto it.
4. ElasticWorkload: the CRD of `eci-bridge elastic --crd`, a source
   Deployment and an ElasticWorkload; what `eci-bridge elastic` computes is
   applied; the real ReplicaSet and Deployment controllers produce exactly the
   split in pods, no ReplicaSet owns another unit's pods, and `kubectl scale`
   through the CRD's /scale subresource followed by a new split reproduces
   the scale-in order (units first, the source's pods untouched).
5. Both overlays of deploy/ build with kubectl's kustomize (the CA of
   `eci-bridge certs` lands in every caBundle; cert-manager's injection
   annotation is set) and pass `kubectl apply --dry-run=server`.

Usage: python -m pytest conformance/cluster_e2e.py (against any cluster the
KUBECONFIG names; it creates nodes and namespaces prefixed `e2e-`).
"""

import copy
import datetime
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time

import pytest
import yaml
from kubernetes import client, config
from kubernetes.utils import parse_quantity

from common import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SETTINGS = os.path.join(HERE, "cluster", "settings.yaml")
FIXTURES = os.path.join(ROOT, "fixtures")
BIN = os.environ.get("ECI_BRIDGE", os.path.join(ROOT, "target", "debug", "eci-bridge"))
REGULAR = "e2e-regular-node"
HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
ARCH = "kubernetes.io/arch"
ELASTIC_GROUP, ELASTIC_VERSION, ELASTIC_PLURAL = "autoscaling.alibabacloud.com", "v1beta1", "elasticworkloads"


# --- helpers -----------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML as Kubernetes reads it: timestamps stay strings (PyYAML would make
    them datetime objects, which the client then writes in another format)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(text):
    return yaml.load(text, Loader=_Loader)


def load_all(text):
    return [d for d in yaml.load_all(text, Loader=_Loader) if d]


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339(t=None):
    return (t or utc_now()).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro(t=None):
    return (t or utc_now()).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def cli(*args, docs=None, check=True, settings=True):
    """Runs eci-bridge. `docs` (objects) are written as one YAML stream
    followed (with `settings`) by conformance/cluster/settings.yaml and
    passed as `-f`."""
    argv = [BIN, *args]
    path = None
    if docs is not None:
        with open(SETTINGS) as f:
            settings = f.read() if settings else ""
        fd, path = tempfile.mkstemp(suffix=".yaml", prefix="e2e-")
        with os.fdopen(fd, "w") as f:
            for d in docs:
                f.write(json.dumps(d) + "\n---\n")
            f.write(settings)
        argv += ["-f", path]
    try:
        res = subprocess.run(argv, capture_output=True, text=True)
    finally:
        if path:
            os.unlink(path)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {res.returncode}:\n{res.stderr}")
    return res


def kubectl(*args, check=True):
    res = subprocess.run(["kubectl", *args], capture_output=True, text=True)
    if check and res.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} exited {res.returncode}:\n{res.stderr}")
    return res


def wait_until(what, predicate, timeout=120, interval=0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def scheduled_condition(pod):
    for c in pod.get("status", {}).get("conditions", []) or []:
        if c.get("type") == "PodScheduled":
            return c
    return None


def decided(pod):
    """The scheduler has bound the pod or reported it Unschedulable."""
    if pod["spec"].get("nodeName"):
        return True
    c = scheduled_condition(pod)
    return bool(c and c.get("status") == "False" and c.get("reason") == "Unschedulable")


def small_pod(name, namespace, labels=None, cpu="10m", memory="16Mi"):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})},
        "spec": {
            "containers": [
                {"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
            ],
            "terminationGracePeriodSeconds": 0,
        },
    }


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"{status}: {body}")
        self.status = status


class Api:
    """The API server over the kubernetes client's transport (its kubeconfig
    handling and TLS), with JSON bodies sent and returned exactly as they are:
    the client's typed calls would turn every body into its own models first,
    reformatting timestamps and dropping fields it does not know."""

    def __init__(self):
        config.load_kube_config()
        self.client = client.ApiClient()

    def request(self, method, path, body=None, query=None, content_type="application/json"):
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        params = self.client.param_serialize(method=method, resource_path=path, header_params=headers, body=body,
                                             query_params=list((query or {}).items()))
        resp = self.client.call_api(*params)
        resp.read()
        if not 200 <= resp.status <= 299:
            raise ApiError(resp.status, resp.data.decode(errors="replace"))
        return json.loads(resp.data) if resp.data else None

    def get(self, path, **query):
        return self.request("GET", path, query=query)

    def create(self, path, body, **query):
        return self.request("POST", path, body, query=query)

    def patch(self, path, body, kind="strategic-merge-patch"):
        """`kind`: json-patch, merge-patch or strategic-merge-patch."""
        return self.request("PATCH", path, body, content_type=f"application/{kind}+json")

    def delete(self, path):
        return self.request("DELETE", path)

    def namespace(self, name):
        """A new namespace, once its default ServiceAccount exists (pods need it)."""
        self.create("/api/v1/namespaces", {"metadata": {"name": name, "labels": {"eci-bridge.io/e2e": "true"}}})

        def ready():
            try:
                return self.get(f"/api/v1/namespaces/{name}/serviceaccounts/default")
            except ApiError:
                return None

        wait_until(f"ServiceAccount {name}/default", ready, timeout=60)
        return name

    def pods(self, namespace, selector=None):
        query = {"labelSelector": selector} if selector else {}
        return self.get(f"/api/v1/namespaces/{namespace}/pods", **query)["items"]

    def pod(self, namespace, name):
        return self.get(f"/api/v1/namespaces/{namespace}/pods/{name}")

    def create_pod(self, namespace, pod):
        return self.create(f"/api/v1/namespaces/{namespace}/pods", pod)

    def patch_pod(self, namespace, name, patch):
        return self.patch(f"/api/v1/namespaces/{namespace}/pods/{name}", patch, "json-patch")


def lease_path(name):
    return f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}"


# --- the cluster: nodes kept alive --------------------------------------------


def regular_node(zone, region):
    labels = {
        HOSTNAME: REGULAR,
        "kubernetes.io/os": "linux",
        ARCH: "amd64",
        "topology.kubernetes.io/region": region,
        ZONE: zone,
        "disktype": "ssd",
    }
    capacity = {"cpu": "2", "memory": "4Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": REGULAR, "labels": labels},
        "spec": {},
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "e2e"}],
            "addresses": [{"type": "Hostname", "address": REGULAR}],
            "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux", "kubeletVersion": "v1.37.0",
                         "bootID": "", "containerRuntimeVersion": "", "kernelVersion": "", "kubeProxyVersion": "",
                         "machineID": "", "osImage": "", "systemUUID": ""},
        },
    }


def lease_for(name):
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name, "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": micro()},
    }


class Heartbeat(threading.Thread):
    """Renews every node's Lease and Ready heartbeat, as a (virtual) kubelet does."""

    def __init__(self, api, names, period=5.0):
        super().__init__(daemon=True)
        self.api, self.names, self.period = api, names, period
        self.stop = threading.Event()
        self.errors = []

    def beat(self):
        t = utc_now()
        for name in self.names:
            try:
                self.api.patch(lease_path(name), {"spec": {"renewTime": micro(t)}}, "merge-patch")
                self.api.patch(f"/api/v1/nodes/{name}/status", {"status": {"conditions": [
                    {"type": "Ready", "status": "True", "lastHeartbeatTime": rfc3339(t)}]}})
            except ApiError as e:  # reported by the freshness test
                self.errors.append(f"{name}: {e}")

    def run(self):
        while not self.stop.wait(self.period):
            self.beat()


@pytest.fixture(scope="session")
def api():
    return Api()


@pytest.fixture(scope="session")
def cluster(api):
    """Registers the virtual nodes of `eci-bridge nodes` (with their Leases)
    and one regular node, keeps them alive, and waits until the scheduler can
    bind a pod to each of them."""
    started = time.monotonic()
    out = cli("nodes", "-f", SETTINGS, "--leases", "--now", rfc3339())
    items = load(out.stdout)["items"]
    virtual = [i for i in items if i["kind"] == "Node"]
    leases = [i for i in items if i["kind"] == "Lease"]
    assert virtual and len(leases) == len(virtual), out.stdout
    zones = sorted({n["metadata"]["labels"][ZONE] for n in virtual})
    region = virtual[0]["metadata"]["labels"]["topology.kubernetes.io/region"]
    regular = regular_node(zones[0], region)
    for node in [*virtual, regular]:
        api.create("/api/v1/nodes", node)
        # A kubelet registers its Node and then writes its status.
        api.patch(f"/api/v1/nodes/{node['metadata']['name']}/status", {"status": node["status"]})
    for lease in [*leases, lease_for(REGULAR)]:
        api.create("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease)
    # A control: a copy of the first virtual node whose Lease nobody renews
    # (tainted so that nothing is scheduled to it).
    stale = copy.deepcopy(virtual[0])
    stale_name = stale["metadata"]["name"] + "-stale"
    stale["metadata"]["name"] = stale_name
    stale["metadata"]["labels"][HOSTNAME] = stale_name
    stale["spec"]["taints"] = stale["spec"]["taints"] + [{"key": "e2e/stale", "effect": "NoSchedule"}]
    api.create("/api/v1/nodes", stale)
    api.patch(f"/api/v1/nodes/{stale_name}/status", {"status": stale["status"]})
    api.create("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease_for(stale_name))
    names = [n["metadata"]["name"] for n in virtual] + [REGULAR]
    heartbeat = Heartbeat(api, names)
    heartbeat.beat()
    heartbeat.start()
    # The API server taints every new Node node.kubernetes.io/not-ready
    # (admission plugin TaintNodesByCondition); the node lifecycle controller
    # lifts it once it has seen the node Ready.
    def accepted():
        for name in [*names, stale_name]:
            taints = api.get(f"/api/v1/nodes/{name}")["spec"].get("taints") or []
            if any(t["key"] == "node.kubernetes.io/not-ready" for t in taints):
                return False
        return True

    wait_until("the node lifecycle controller to accept every node as Ready", accepted, timeout=60)
    # The scheduler has every node in its cache once a pod pinned to it binds.
    ns = api.namespace("e2e-probe")
    for i, name in enumerate(names):
        pod = small_pod(f"probe-{i}", ns)
        pod["spec"]["nodeSelector"] = {HOSTNAME: name}
        pod["spec"]["tolerations"] = [{"operator": "Exists"}]
        api.create_pod(ns, pod)
    wait_until("probe pods bound to every node", lambda: all(p["spec"].get("nodeName") for p in api.pods(ns)))
    yield {
        "virtual": virtual,
        "virtual_names": [n["metadata"]["name"] for n in virtual],
        "names": names,
        "zones": zones,
        "toleration_key": overflow_toleration_key(),
        "heartbeat": heartbeat,
        "started": started,
        "stale": stale_name,
    }
    heartbeat.stop.set()
    heartbeat.join(timeout=10)
    for name in [*names, stale_name]:
        try:
            api.delete(f"/api/v1/nodes/{name}")
        except ApiError:
            pass


# --- 1. admission ------------------------------------------------------------


def kubeconfig_ca():
    with open(os.environ.get("KUBECONFIG", os.path.expanduser("~/.kube/config"))) as f:
        kc = load(f)
    return kc["clusters"][0]["cluster"].get("certificate-authority")


def test_1_webhook_configuration_is_accepted_by_the_api_server(api, tmp_path):
    profile = next(d for d in load_all(open(SETTINGS).read()) if d.get("kind") == "ConfigMap")
    profile["data"]["selectors"] = json.dumps(
        [{"name": "team-a", "namespaceSelector": {"matchLabels": {"team": "a"}},
          "objectSelector": {"matchLabels": {"app": "batch"}}}]
    )
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile))
    args = ["webhook-config", "--profile", str(tmp_path / "profile.yaml"), "--service-namespace", "kube-system",
            "--service-name", "eci-bridge-webhook", "--kubernetes-version", "1.37"]
    ca = kubeconfig_ca()
    if ca:
        args += ["--ca-bundle-file", ca]
    config_doc = load(cli(*args).stdout)
    assert config_doc["kind"] == "MutatingWebhookConfiguration"
    assert config_doc["apiVersion"] == "admissionregistration.k8s.io/v1"
    # Server-side dry run: validated and defaulted by the API server, not stored
    # (a stored one would send every matching pod to a daemon that is not running).
    created = api.create("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", config_doc, dryRun="All")
    sent = [w["name"] for w in config_doc["webhooks"]]
    assert [w["name"] for w in created["webhooks"]] == sent
    for mine, theirs in zip(config_doc["webhooks"], created["webhooks"]):
        for key in ("rules", "objectSelector", "namespaceSelector", "failurePolicy", "sideEffects",
                    "admissionReviewVersions", "reinvocationPolicy"):
            if key in mine:
                assert theirs[key] == mine[key], f"{mine['name']}: the API server changed {key}"


class ServeDaemon:
    """`eci-bridge serve` on loopback, reading Namespaces from the API server
    (a kube-rs reflector through KUBECONFIG)."""

    def __init__(self, tmp_path, profile_path):
        self.certs = tmp_path / "certs"
        cli("certs", "--ip", "127.0.0.1", "--out-dir", str(self.certs))
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.log = open(tmp_path / "serve.log", "w")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--tls-cert-file", str(self.certs / "tls.crt"),
             "--tls-key-file", str(self.certs / "tls.key"), "--profile-file", str(profile_path),
             "--kubeconfig", os.environ["KUBECONFIG"]],
            stdout=subprocess.DEVNULL, stderr=self.log)
        try:
            wait_until("serve is ready (profile and Namespaces listed)", self.ready, timeout=30, interval=0.2)
        except BaseException:
            self.stop()
            raise

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"serve exited {self.proc.returncode}")
        res = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                              str(self.certs / "ca.crt"), self.url + "/readyz"], capture_output=True, text=True)
        return res.stdout == "200"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("serve did not stop within 30 s of SIGTERM") from None
            finally:
                self.log.close()
        self.log.close()
        return self.proc.returncode


def normalized(pod):
    """A pod without what the API server makes anew for every request: the
    name, uid and timestamps, and the random suffix of the service-account
    token volume (kube-api-access-xxxxx)."""
    pod = copy.deepcopy(pod)
    for key in ("name", "uid", "creationTimestamp", "managedFields"):
        pod["metadata"].pop(key, None)
    text = json.dumps(pod, sort_keys=True)
    return json.loads(re.sub(r"kube-api-access-[a-z0-9]{5}", "kube-api-access", text))


def routed(pod):
    return (pod["spec"].get("nodeSelector") or {}).get("type") == "virtual-kubelet"


def test_1_admission_through_the_api_server(api, tmp_path):
    """The generated configuration, with a `url` client config pointing at
    `eci-bridge serve` on loopback, registered for real: pods the API server
    persists carry what `eci-bridge admit` predicts; a Namespace label added
    later routes new pods (the daemon's reflector); the daemon's warnings
    reach the client; with the daemon stopped, failurePolicy Ignore creates
    pods unrouted."""
    profile = next(d for d in load_all(open(SETTINGS).read()) if d.get("kind") == "ConfigMap")
    profile["data"]["selectors"] = json.dumps([{
        "name": "team-a", "namespaceSelector": {"matchLabels": {"team": "a"}},
        "objectSelector": {"matchLabels": {"app": "batch"}},
        "effect": {"annotations": {"k8s.aliyun.com/eci-use-specs": "2-4Gi"}, "labels": {"routed-by": "team-a"}},
    }])
    profile_path = tmp_path / "profile.yaml"
    profile_path.write_text(yaml.safe_dump(profile))
    daemon = ServeDaemon(tmp_path, profile_path)
    config_name = "e2e-eci-bridge"
    team_a = other = None
    try:
        suffix = random.randrange(16**6)
        team_a = api.namespace(f"e2e-admission-a-{suffix:06x}")
        api.patch(f"/api/v1/namespaces/{team_a}", {"metadata": {"labels": {"team": "a"}}})
        other = api.namespace(f"e2e-admission-b-{suffix:06x}")
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"generateName": "batch-", "labels": {"app": "batch"}},
               "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                                        "resources": {"limits": {"cpu": "1", "memory": "2Gi"}}}]}}

        def dry_run(namespace, body):
            return api.create(f"/api/v1/namespaces/{namespace}/pods", body, dryRun="All")

        # What the webhook will be sent: the pod as the API server has
        # defaulted it, before any webhook is registered.
        sent = dry_run(team_a, pod)
        assert not routed(sent)

        generated = load(cli("webhook-config", "--profile", str(profile_path), "--service-name", "eci-bridge-webhook",
                             "--service-namespace", "kube-system", "--kubernetes-version", "1.37",
                             "--ca-bundle-file", str(daemon.certs / "ca.crt")).stdout)
        generated["metadata"]["name"] = config_name
        for w in generated["webhooks"]:
            # Out of cluster: the same webhooks, called at the loopback URL.
            w["clientConfig"] = {"url": daemon.url + "/mutate", "caBundle": w["clientConfig"]["caBundle"]}
        api.create("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", generated)
        # The API server picks up a new configuration within a moment.
        wait_until("the webhook is called", lambda: routed(dry_run(team_a, pod)), timeout=30)

        # Exactly the patch the CLI predicts for what the API server sends.
        namespace_doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": team_a, "labels": {"team": "a"}}}
        predicted = json.loads(cli("admit", "-o", "patched", docs=[sent, profile, namespace_doc], settings=False).stdout)
        admitted = dry_run(team_a, pod)
        assert routed(predicted)
        assert normalized(admitted) == normalized(predicted)

        # A Deployment, as the vendor documents create them: its pod persists routed.
        deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "batch"},
                      "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "batch"}},
                               "template": {"metadata": {"labels": {"app": "batch"}}, "spec": pod["spec"]}}}
        api.create(f"/apis/apps/v1/namespaces/{team_a}/deployments", deployment)
        [created] = wait_until("the Deployment's pod", lambda: api.pods(team_a, "app=batch"), timeout=60)
        assert routed(created)
        for field in ("labels", "annotations"):
            for k, v in predicted["metadata"][field].items():
                if k != "pod-template-hash":
                    assert created["metadata"][field].get(k) == v, f"{field} {k}"
        assert created["spec"]["tolerations"] == predicted["spec"]["tolerations"]

        # Not matched: the other namespace, until it is labelled to go to ECI.
        assert not routed(dry_run(other, pod))
        api.patch(f"/api/v1/namespaces/{other}", {"metadata": {"labels": {"alibabacloud.com/eci": "true"}}})
        wait_until("the Namespace label reaches the daemon", lambda: routed(dry_run(other, pod)), timeout=10)

        # The daemon's warnings reach the client.
        unsupported = copy.deepcopy(pod)
        unsupported["metadata"]["namespace"] = team_a
        unsupported["spec"]["volumes"] = [{"name": "host", "hostPath": {"path": "/var/log"}}]
        unsupported["spec"]["containers"][0]["volumeMounts"] = [{"name": "host", "mountPath": "/host"}]
        manifest = tmp_path / "unsupported.yaml"
        manifest.write_text(json.dumps(unsupported))
        res = kubectl("create", "--dry-run=server", "-o", "json", "-f", str(manifest))
        assert "Warning:" in res.stderr and "hostPath" in res.stderr, res.stderr
        assert routed(json.loads(res.stdout))

        # The daemon down: failurePolicy Ignore, the pod is created unrouted.
        assert daemon.stop() == 0
        assert not routed(dry_run(team_a, pod))
    finally:
        daemon.stop()
        # Nothing of this scenario may take the small regular node's room later.
        for namespace in filter(None, (team_a, other)):
            try:
                api.delete(f"/api/v1/namespaces/{namespace}")
            except ApiError:
                pass
        try:
            api.delete(f"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{config_name}")
        except ApiError:
            pass


# --- 2. virtual nodes and the real scheduler ----------------------------------


def test_2_virtual_nodes_register_as_printed(api, cluster):
    for node in cluster["virtual"]:
        name = node["metadata"]["name"]
        got = api.get(f"/api/v1/nodes/{name}")
        for k, v in node["metadata"]["labels"].items():
            assert got["metadata"]["labels"].get(k) == v, f"{name}: label {k}"
        assert got["spec"]["taints"] == node["spec"]["taints"], f"{name}: the node lifecycle controller changed the taints"
        ready = next(c for c in got["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True"
        for field in ("capacity", "allocatable"):
            mine, theirs = node["status"][field], got["status"][field]
            assert {k: parse_quantity(v) for k, v in theirs.items()} == {k: parse_quantity(v) for k, v in mine.items()}
        lease = api.get(lease_path(name))
        assert lease["spec"]["holderIdentity"] == name


def test_2_virtual_node_quantities_are_stored_as_printed(api, cluster):
    """The core writes quantities in the API server's canonical form (1M, 10k,
    not 1000000, 10000), so a provider comparing its Node with the stored one
    sees no change."""
    for node in cluster["virtual"]:
        got = api.get(f"/api/v1/nodes/{node['metadata']['name']}")
        assert got["status"]["capacity"] == node["status"]["capacity"]


def placement_cases(zones, rng, count):
    """Pods a user writes, with the constraints that decide placement."""
    other_zone = zones[0][: zones[0].rfind("-") + 1] + "x"  # a zone with no node
    zone_choices = [None, None, ("sel", zones[0]), ("sel", zones[-1]), ("in", [zones[-1]]), ("notin", [zones[0]]),
                    ("sel", other_zone)]
    arch_choices = [None, None, ("sel", "arm64"), ("sel", "amd64"), ("in", ["arm64"])]
    extra_choices = [None, None, "ssd", "tolerate", "not-virtual"]
    cases = []
    # Each routing with each kind of constraint at least once, then random ones.
    fixed = [(r, s, z, a, e) for r, s in (("label", "node-selector"), ("label", "affinity"), (None, None))
             for z, a, e in ((None, None, None), (zone_choices[2], None, None), (None, arch_choices[2], None),
                             (zone_choices[3], arch_choices[2], None), (None, None, "not-virtual"),
                             (zone_choices[6], None, None), (None, None, "tolerate"), (zone_choices[5], None, "ssd"))]
    for _ in range(count - len(fixed)):
        routed = rng.random() < 0.6
        fixed.append(("label" if routed else None, rng.choice(["node-selector", "affinity"]) if routed else None,
                      rng.choice(zone_choices), rng.choice(arch_choices), rng.choice(extra_choices)))
    for i, (routed, strategy, zone, arch, extra) in enumerate(fixed):
        labels = {"app": "placement"}
        if routed:
            labels["alibabacloud.com/eci"] = "true"
        spec = {}
        expressions = []
        for key, c in ((ZONE, zone), (ARCH, arch)):
            if c and c[0] == "sel":
                spec.setdefault("nodeSelector", {})[key] = c[1]
            elif c:
                expressions.append({"key": key, "operator": "In" if c[0] == "in" else "NotIn", "values": c[1]})
        if extra == "ssd":
            spec.setdefault("nodeSelector", {})["disktype"] = "ssd"
        elif extra == "not-virtual":
            expressions.append({"key": "type", "operator": "NotIn", "values": ["virtual-kubelet"]})
        if expressions:
            spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": expressions}]}}}
        cases.append({"name": f"p{i:02d}", "labels": labels, "spec": spec, "strategy": strategy, "extra": extra,
                      "describe": f"routed={bool(routed)} strategy={strategy} zone={zone} arch={arch} extra={extra}"})
    return cases


def unschedulable_for_cpu(pod):
    """The pod as the API server returns it once the scheduler found no node
    with enough CPU (the status overflow reads)."""
    pod = copy.deepcopy(pod)
    pod["status"] = {"phase": "Pending", "conditions": [{
        "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
        "message": "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
                   "1 No preemption victims found for incoming pod.."}]}
    return pod


def overflow_toleration_key():
    """The key of the toleration the project adds to send a pod to the
    virtual nodes, as `eci-bridge overflow` patches it."""
    decision = load(cli("overflow", "-o", "decision", docs=[unschedulable_for_cpu(small_pod("probe", "default"))]).stdout)
    assert decision["action"] == "move", decision
    added = [op["value"] for op in decision["patch"] if op["path"].startswith("/spec/tolerations")]
    tolerations = [t for v in added for t in (v if isinstance(v, list) else [v])]
    assert len(tolerations) == 1, decision["patch"]
    return tolerations[0]["key"]


def predicted_virtual_nodes(pod, toleration_key):
    """The virtual nodes the project says the pod fits: `placement::misfit`
    over the nodes of `node::virtual_nodes`, which the CLI exposes through
    `eci-bridge overflow` (the pod handed over as unschedulable for lack of
    CPU). A pod overflow would move, or says is excluded, fits none now; for
    a pod overflow leaves because it "already tolerates a virtual node it
    fits", the toleration of overflow's key is taken off and overflow's
    candidates (the nodes it fits once overflow adds that same toleration
    back) are the answer."""
    decision = load(cli("overflow", "-o", "decision", docs=[unschedulable_for_cpu(pod)]).stdout)
    if decision["action"] == "move" or decision["reason"] == "excludes-virtual-nodes":
        return set(), decision
    assert decision["reason"] == "already-on-eci", f"overflow cannot predict for this pod: {decision}"
    probe = copy.deepcopy(pod)
    probe["spec"]["tolerations"] = [t for t in pod["spec"]["tolerations"] if t.get("key") != toleration_key]
    decision = load(cli("overflow", "-o", "decision", docs=[unschedulable_for_cpu(probe)]).stdout)
    assert decision["action"] == "move", f"overflow contradicts itself: {decision}"
    return set(decision["candidates"]), decision


@pytest.fixture(scope="module")
def placement(api, cluster):
    """The generated pods, admitted as `eci-bridge admit` predicts and created,
    each with one copy pinned to every node; once the scheduler has decided on
    all of them: per pod, the nodes its pinned copies were bound to."""
    ns = api.namespace("e2e-placement")
    seed = int(os.environ.get("E2E_SEED", "11"))
    cases = placement_cases(cluster["zones"], random.Random(seed), 40)
    for case in cases:
        pod = small_pod(case["name"], ns, case["labels"])
        pod["spec"].update(copy.deepcopy(case["spec"]))
        args = ["admit", "-o", "patched"] + (["--strategy", case["strategy"]] if case["strategy"] else [])
        res = cli(*args, docs=[pod])
        admitted = json.loads(res.stdout) or pod
        case["routed"] = admitted["spec"] != pod["spec"]
        case["admission_warnings"] = [line for line in res.stderr.splitlines() if line.startswith("warning")]
        case["pod"] = admitted
        case["predicted"], case["decision"] = predicted_virtual_nodes(admitted, cluster["toleration_key"])
        api.create_pod(ns, admitted)
        # The same pod pinned to each node in turn: the scheduler's verdict per node.
        for j, node in enumerate(cluster["names"]):
            pinned = copy.deepcopy(admitted)
            pinned["metadata"]["name"] = f"{case['name']}-on-{j}"
            pinned["metadata"]["labels"].update({"e2e/of": case["name"], "e2e/pinned": "true"})
            pinned["spec"].setdefault("nodeSelector", {})[HOSTNAME] = node
            api.create_pod(ns, pinned)
    pods = wait_until("the scheduler to decide on every pod",
                      lambda: (lambda ps: ps if all(decided(p) for p in ps) else None)(api.pods(ns)), timeout=240)
    by_name = {p["metadata"]["name"]: p for p in pods}
    for case in cases:
        case["feasible"] = {node for j, node in enumerate(cluster["names"])
                            if by_name[f"{case['name']}-on-{j}"]["spec"].get("nodeName") == node}
        case["chosen"] = by_name[case["name"]]["spec"].get("nodeName")
        case["condition"] = scheduled_condition(by_name[case["name"]])
        case["what"] = f"{case['name']} ({case['describe']})"
    print(f"\n{len(cases)} pods (E2E_SEED={seed}), {len(cases) * (1 + len(cluster['names']))} scheduled")
    return cases


def test_2_placement_predictions_equal_the_schedulers_decisions(cluster, placement):
    """For every pod: the virtual nodes the project says it fits are exactly
    the virtual nodes the scheduler binds its pinned copies to."""
    virtual = set(cluster["virtual_names"])
    mismatches = [f"{c['what']}: predicted virtual nodes {sorted(c['predicted'])}, "
                  f"the scheduler accepts {sorted(c['feasible'] & virtual)}"
                  for c in placement if c["feasible"] & virtual != c["predicted"]]
    assert not mismatches, "placement predictions differ from the scheduler:\n" + "\n".join(mismatches)


def test_2_routed_unrouted_and_excluded_pods_land_where_they_should(cluster, placement):
    virtual = set(cluster["virtual_names"])
    nodes_by_name = {n["metadata"]["name"]: n for n in cluster["virtual"]}
    counts = {"routed-virtual": 0, "unrouted-regular": 0, "excluded": 0, "zone-selected": 0, "arm64": 0}
    for c in placement:
        what, chosen, feasible = c["what"], c["chosen"], c["feasible"]
        if c["routed"] and not c["admission_warnings"]:
            # Routed pods never go to the regular node (unless admission
            # warned that their own constraints exclude virtual nodes) ...
            assert REGULAR not in feasible, f"{what}: routed, yet the scheduler accepts the regular node"
        if not c["routed"] and not c["pod"]["spec"].get("tolerations"):
            # ... unrouted pods that do not tolerate the taint never go to a virtual node ...
            assert not feasible & virtual, f"{what}: unrouted, yet bound to a virtual node"
            counts["unrouted-regular"] += chosen == REGULAR
        if not c["predicted"]:
            # ... and pods whose constraints exclude every virtual node never go to one.
            assert chosen not in virtual, f"{what}: excluded from virtual nodes, yet bound to {chosen}"
            counts["excluded"] += bool(c["routed"] or c["extra"] == "tolerate")
        if chosen:
            assert chosen in feasible, f"{what}: bound to {chosen}, which its pinned copy could not use"
            if chosen in virtual:
                counts["routed-virtual"] += c["routed"]
                # The right zone and architecture.
                labels = nodes_by_name[chosen]["metadata"]["labels"]
                selector = c["pod"]["spec"].get("nodeSelector", {})
                for key in (ZONE, ARCH):
                    if key in selector:
                        assert labels[key] == selector[key], f"{what}: bound to {chosen} of {key}={labels[key]}"
                counts["zone-selected"] += ZONE in selector
                counts["arm64"] += labels[ARCH] == "arm64"
        else:
            assert not feasible, f"{what}: unschedulable, yet its pinned copies fit {sorted(feasible)}"
            assert "nodes are available" in c["condition"]["message"], c["condition"]
    print(f"\ncoverage {counts}")
    assert all(counts.values()), f"the generated set misses a kind of pod: {counts}"


@pytest.mark.xfail(strict=True, reason="admission routes, without a warning, pods that then fit no node: "
                   "(a) nodeSelector strategy with the pod's own required affinity `type NotIn [virtual-kubelet]` "
                   "(the affinity strategy warns); (b) a nodeSelector zone with no virtual node; (c) arm64 selected "
                   "by required node affinity instead of nodeSelector gets no arm64 toleration. "
                   "placement::misfit over node::virtual_nodes knows each (overflow reports excludes-virtual-nodes)")
def test_2_every_pod_admission_routes_silently_is_bound_to_a_virtual_node(cluster, placement):
    virtual = set(cluster["virtual_names"])
    silent = [f"{c['what']}: {c['condition']['message'] if c['condition'] else 'not bound'}; the project's own "
              f"misfit: {c['decision'].get('detail') or 'no virtual node without the toleration'}"
              for c in placement if c["routed"] and not c["admission_warnings"] and c["chosen"] not in virtual]
    assert not silent, "routed without a warning, yet on no virtual node:\n" + "\n".join(silent)


def register_custom_taint_nodes(api):
    """The nodes of fixtures/nodes/custom-taint-quota.yaml (VKUBELET_TAINT_KEY
    eci.example.com/virtual, NoExecute) beside the others, once."""
    with open(os.path.join(FIXTURES, "nodes", "custom-taint-quota.yaml")) as f:
        docs = load_all(f.read())
    items = load(cli("nodes", "-f", os.path.join(FIXTURES, "nodes", "custom-taint-quota.yaml"), "--leases",
                     "--now", rfc3339()).stdout)["items"]
    nodes = [i for i in items if i["kind"] == "Node"]
    for node in nodes:
        try:
            api.create("/api/v1/nodes", node)
            api.patch(f"/api/v1/nodes/{node['metadata']['name']}/status", {"status": node["status"]})
        except ApiError as e:
            assert e.status == 409, e
    for lease in (i for i in items if i["kind"] == "Lease"):
        try:
            api.create("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease)
        except ApiError as e:
            assert e.status == 409, e
    return docs, nodes


@pytest.mark.parametrize("taint_key_setting", [False, True],
                         ids=["cluster-settings-only", "with-admission-settings-taint-key"])
def test_2_custom_taint_key_routed_pod_is_bound(api, cluster, taint_key_setting):
    docs, nodes = register_custom_taint_nodes(api)
    taint_key = nodes[0]["spec"]["taints"][0]["key"]
    ns = f"e2e-custom-taint-{int(taint_key_setting)}"
    api.namespace(ns)
    pod = small_pod("routed", ns, {"alibabacloud.com/eci": "true"})
    # Only this cluster's nodes: the region of the custom settings.
    region = nodes[0]["metadata"]["labels"]["topology.kubernetes.io/region"]
    pod["spec"]["nodeSelector"] = {"topology.kubernetes.io/region": region}
    extra = [{"apiVersion": "eci-bridge/v1alpha1", "kind": "AdmissionSettings", "settings": {"taintKey": taint_key}}]
    admitted = json.loads(cli("admit", "-o", "patched", docs=[pod, *docs, *(extra if taint_key_setting else [])],
                              settings=False).stdout)
    api.create_pod(ns, admitted)
    bound = wait_until("the scheduler to decide", lambda: (lambda p: p if decided(p) else None)(api.pod(ns, "routed")))
    assert bound["spec"].get("nodeName") in {n["metadata"]["name"] for n in nodes}, (
        f"tolerations {admitted['spec'].get('tolerations')}, node taint {taint_key}: "
        f"{(scheduled_condition(bound) or {}).get('message')}")


# --- 3. overflow with real scheduler messages ---------------------------------


def overflow_cases(zones):
    z_home, z_other = zones[0], zones[-1]
    return [
        # name, (cpu, memory), spec additions, annotations, expected action / reason
        ("big-cpu", ("3", "64Mi"), {}, {}, "move"),
        ("big-memory", ("100m", "6Gi"), {}, {}, "move"),
        ("big-in-home-zone", ("3", "64Mi"), {"nodeSelector": {ZONE: z_home}}, {}, "move"),
        ("big-affinity-excludes-virtual", ("3", "64Mi"), {"affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "type", "operator": "NotIn", "values": ["virtual-kubelet"]}]}]}}}}, {},
         "excludes-virtual-nodes"),
        ("big-opted-out", ("3", "64Mi"), {}, {"alibabacloud.com/burst-resource": "ecs"}, "opted-out"),
        ("big-in-other-zone", ("3", "64Mi"), {"nodeSelector": {ZONE: z_other}}, {}, "not-for-lack-of-resources"),
        ("no-such-disk", ("100m", "64Mi"), {"nodeSelector": {"disktype": "nvme"}}, {}, "not-for-lack-of-resources"),
        ("gated", ("3", "64Mi"), {"schedulingGates": [{"name": "e2e/hold"}]}, {}, "not-unschedulable"),
    ]


def only_additions(patch):
    for op in patch:
        if op["op"] != "add":
            return False
        if not (op["path"].startswith("/spec/tolerations") or op["path"].startswith("/metadata/")):
            return False
    return True


def test_3_overflow_moves_unschedulable_pods_the_scheduler_then_binds(api, cluster):
    ns = api.namespace("e2e-overflow")
    cases = overflow_cases(cluster["zones"])
    for name, (cpu, memory), spec, annotations, _ in cases:
        pod = small_pod(name, ns, {"app": "overflow"}, cpu=cpu, memory=memory)
        pod["spec"].update(copy.deepcopy(spec))
        pod["metadata"]["annotations"] = annotations
        api.create_pod(ns, pod)

    def reported(p):
        c = scheduled_condition(p)
        return c and c["status"] == "False" and c.get("reason") in ("Unschedulable", "SchedulingGated")

    wait_until("the scheduler to report on every pod", lambda: all(reported(p) for p in api.pods(ns)))
    moved = {}
    for name, _, _, _, expected in cases:
        pod = api.pod(ns, name)  # as read back: spec, status and the scheduler's message
        cond = scheduled_condition(pod)
        decision = load(cli("overflow", "-o", "decision", docs=[pod]).stdout)
        got = decision["action"] if decision["action"] == "move" else decision["reason"]
        print(f"\n{name}: {cond.get('reason')}: {cond.get('message')}\n  -> {got}: "
              f"{decision.get('candidates') or decision.get('detail')}")
        assert got == expected, f"{name}: {decision} (scheduler said: {cond.get('message')})"
        if expected != "move":
            continue
        assert any("Insufficient" in s for s in decision["shortage"]), decision
        assert decision["candidates"], decision
        patch = json.loads(cli("overflow", "-o", "patch", docs=[pod]).stdout)
        assert patch == decision["patch"]
        assert only_additions(patch), f"{name}: the patch changes more than it adds: {patch}"
        api.patch_pod(ns, name, patch)  # a JSON patch, through the API server
        moved[name] = decision
    # Once the pod is updated the scheduler tries again and binds it to a candidate.
    for name, decision in moved.items():
        pod = wait_until(f"{name} to be bound", lambda n=name: (lambda p: p if p["spec"].get("nodeName") else None)(
            api.pod(ns, n)), timeout=120)
        assert pod["spec"]["nodeName"] in decision["candidates"], (name, pod["spec"]["nodeName"], decision)
        print(f"{name}: bound to {pod['spec']['nodeName']} (candidates {decision['candidates']})")
    # Pods pending for other reasons stay where they are.
    for name, _, _, _, expected in cases:
        if expected != "move":
            assert not api.pod(ns, name)["spec"].get("nodeName"), f"{name} ({expected}) was bound"
    # Only tolerations can be added to a pending pod: the API server refuses a nodeSelector.
    with pytest.raises(ApiError) as refused:
        api.patch_pod(ns, "no-such-disk", [{"op": "replace", "path": "/spec/nodeSelector/disktype", "value": "ssd"}])
    assert refused.value.status == 422
    # "Excludes every virtual node" is the scheduler's verdict too: with the
    # toleration forced onto it the pod still fits no node, now for affinity.
    name = "big-affinity-excludes-virtual"
    api.patch_pod(ns, name, [{"op": "add", "path": "/spec/tolerations/-",
                              "value": {"key": cluster["toleration_key"], "operator": "Exists"}}])
    n_virtual = len(cluster["virtual_names"])
    amd64_virtual = sum(1 for n in cluster["virtual"] if n["metadata"]["labels"][ARCH] == "amd64")

    def affinity_message():
        c = scheduled_condition(api.pod(ns, name))
        m = c.get("message", "")
        return m if f"{amd64_virtual} node(s) didn't match Pod's node affinity/selector" in m else None

    message = wait_until(f"{name} to be re-evaluated", affinity_message, timeout=60)
    assert not api.pod(ns, name)["spec"].get("nodeName"), message
    assert n_virtual >= amd64_virtual


# --- 4. ElasticWorkload ---------------------------------------------------------


def elastic_fixture(name):
    with open(os.path.join(FIXTURES, "elastic", name)) as f:
        docs = load_all(f.read())
    workload = next(d for d in docs if d["kind"] == "ElasticWorkload")
    source = next(d for d in docs if d["kind"] == "Deployment")
    settings = next((d for d in docs if d["kind"] == "ElasticSettings"), {})
    return workload, source, settings


def elastic_path(ns, name=None):
    path = f"/apis/{ELASTIC_GROUP}/{ELASTIC_VERSION}/namespaces/{ns}/{ELASTIC_PLURAL}"
    return f"{path}/{name}" if name else path


def pod_owners(api, ns):
    """Active pods of the namespace with the Deployment that owns each one
    (pod -> controlling ReplicaSet -> controlling Deployment)."""
    rs_owner = {}
    for rs in api.get(f"/apis/apps/v1/namespaces/{ns}/replicasets")["items"]:
        ctrl = next((o for o in rs["metadata"].get("ownerReferences", []) if o.get("controller")), None)
        rs_owner[rs["metadata"]["uid"]] = (rs["metadata"]["name"], ctrl["name"] if ctrl else None)
    result = []
    for p in api.pods(ns):
        if p["metadata"].get("deletionTimestamp"):
            continue
        ctrl = next((o for o in p["metadata"].get("ownerReferences", []) if o.get("controller")), None)
        rs, deployment = rs_owner.get(ctrl["uid"], (None, None)) if ctrl else (None, None)
        result.append({"pod": p, "rs": rs, "deployment": deployment})
    return result


def selector_matches(selector, labels):
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items()) and all(
        (e["operator"] == "In" and labels.get(e["key"]) in e["values"])
        or (e["operator"] == "NotIn" and labels.get(e["key"]) not in e["values"])
        or (e["operator"] == "Exists" and e["key"] in labels)
        or (e["operator"] == "DoesNotExist" and e["key"] not in labels)
        for e in selector.get("matchExpressions") or [])


def reconcile(api, ns, workload_name, source_name):
    """Runs `eci-bridge elastic` on the objects as read back and applies what
    it prints: the source and unit Deployments (server-side apply), deleted
    units, and the ElasticWorkload's status (the status subresource)."""
    workload = api.get(elastic_path(ns, workload_name))
    # List items come without kind and apiVersion; kubectl get -o yaml adds them, so do we.
    deployments = [{"apiVersion": "apps/v1", "kind": "Deployment", **d}
                   for d in api.get(f"/apis/apps/v1/namespaces/{ns}/deployments")["items"]]
    stream = [workload] + [d for d in deployments if d["metadata"]["name"] == source_name
                           or d["metadata"]["name"].startswith(f"{source_name}-unit-")]
    res = cli("elastic", "-o", "list", "--now", rfc3339(), docs=stream, settings=False)
    out = load(res.stdout)["items"]
    split = load(cli("elastic", "-o", "split", "--now", rfc3339(), docs=stream, settings=False).stdout)
    scale = load(cli("elastic", "-o", "scale", "--now", rfc3339(), docs=stream, settings=False).stdout)
    objects = [o for o in out if o["kind"] == "Deployment"]
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": objects}, f)
        f.flush()
        kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=eci-bridge-elastic", "-f", f.name)
    for line in res.stderr.splitlines():
        if line.startswith("delete: Deployment "):
            api.delete(f"/apis/apps/v1/namespaces/{ns}/deployments/{line.split()[2]}")
    status = next(o for o in out if o["kind"] == "ElasticWorkload")["status"]
    kubectl("patch", f"{ELASTIC_PLURAL}.{ELASTIC_GROUP}/{workload_name}", "-n", ns, "--subresource=status",
            "--type=merge", "-p", json.dumps({"status": status}))
    return {o["metadata"]["name"]: o for o in objects}, split, scale


def converged(api, ns, expected):
    """Pods per Deployment once every ReplicaSet holds what its Deployment wants."""
    def check():
        owners = pod_owners(api, ns)
        counts = {}
        for o in owners:
            counts[o["deployment"]] = counts.get(o["deployment"], 0) + 1
        want = {k: v for k, v in expected.items() if v}
        return owners if counts == want else None

    return wait_until(f"pods per Deployment to be {expected}", check, timeout=120)


@pytest.mark.parametrize("fixture", ["doc-example-min0-max2.yaml", "doc-scale-in-6-to-4.yaml",
                                     "three-units-scale-out-in.yaml"])
def test_4_elastic_workload_split_in_real_pods(api, cluster, fixture):
    ns = api.namespace("e2e-elastic-" + fixture.split(".")[0][:30])
    crd = load(cli("elastic", "--crd").stdout)
    try:
        api.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    except ApiError as e:
        assert e.status == 409, e  # the other case installed it
    crd_name = crd["metadata"]["name"]

    def established():
        crd_now = api.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd_name}")
        conditions = (crd_now.get("status") or {}).get("conditions") or []
        return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)

    wait_until("the CRD to be established", established)
    workload, source, settings = elastic_fixture(fixture)
    for obj in (workload, source):
        obj["metadata"]["namespace"] = ns
        obj["metadata"].pop("uid", None)
    wname, sname = workload["metadata"]["name"], source["metadata"]["name"]
    api.create(f"/apis/apps/v1/namespaces/{ns}/deployments", source)
    wait_until("the ElasticWorkload kind to be served", lambda: kubectl(
        "get", f"{ELASTIC_PLURAL}.{ELASTIC_GROUP}", "-n", ns, check=False).returncode == 0, timeout=60)
    api.create(elastic_path(ns), workload)
    # The project's own play of the sequence, step by step, from the fixture.
    sequence = settings.get("sequence") or [workload["spec"]["replicas"]]
    # (`-o steps` plays the fixture's sequence; without one, the --replicas given.)
    replay = [] if settings.get("sequence") else ["--replicas", str(sequence[0])]
    steps = load(cli("elastic", "-o", "steps", *replay, "-f", os.path.join(FIXTURES, "elastic", fixture)).stdout)
    unit_names = [f"{sname}-unit-{u['name']}" for u in workload["spec"]["elasticUnit"]]
    previous = None
    for i, (replicas, step) in enumerate(zip(sequence, steps)):
        if i > 0 or replicas != workload["spec"]["replicas"]:
            # As an HPA or a user would: the CRD's /scale subresource.
            kubectl("scale", f"{ELASTIC_PLURAL}.{ELASTIC_GROUP}/{wname}", "-n", ns, f"--replicas={replicas}")
        got = api.get(elastic_path(ns, wname))
        assert got["spec"]["replicas"] == replicas
        applied, split, scale = reconcile(api, ns, wname, sname)
        # The split of this reconcile is the one the project's play predicted.
        assert (split["source"], split["units"]) == (step["source"], step["units"]), (replicas, split, step)
        expected = {sname: split["source"], **dict(zip(unit_names, split["units"]))}
        for name, count in expected.items():
            if name in applied:
                assert applied[name]["spec"]["replicas"] == count
        owners = converged(api, ns, expected)
        # No ReplicaSet holds another unit's pods, and selectors are disjoint.
        for o in owners:
            unit = o["pod"]["metadata"]["labels"].get("eci-bridge.io/elastic-unit")
            want = f"{sname}-unit-{unit}" if unit else sname
            assert o["deployment"] == want, f"pod {o['pod']['metadata']['name']} (unit {unit}) is held by {o['rs']}"
        for name in unit_names:
            if name in applied:
                sel = applied[name]["spec"]["selector"]
                matched = {o["pod"]["metadata"]["name"] for o in owners if selector_matches(sel, o["pod"]["metadata"]["labels"])}
                own = {o["pod"]["metadata"]["name"] for o in owners if o["deployment"] == name}
                assert matched == own, f"{name}'s selector matches pods of another unit or the source"
        # /scale as the API server serves it, from the status the project computed.
        served = json.loads(kubectl("get", "--raw", f"/apis/{ELASTIC_GROUP}/{ELASTIC_VERSION}/namespaces/{ns}/"
                                    f"{ELASTIC_PLURAL}/{wname}/scale").stdout)
        assert served["spec"]["replicas"] == replicas
        assert served["status"]["replicas"] == scale["status"]["replicas"]
        assert served["status"].get("selector") == scale["status"].get("selector")
        uids = {}
        for o in owners:
            uids.setdefault(o["deployment"], set()).add(o["pod"]["metadata"]["uid"])
        if previous is not None and replicas < previous["replicas"]:
            # Scale-in: units go first; the source's pods stay the same pods
            # while its count does not drop, and no unit loses pods it keeps.
            if split["source"] == previous["split"]["source"]:
                assert uids.get(sname, set()) == previous["uids"].get(sname, set()), "scale-in replaced source pods"
            else:
                assert all(u == 0 for u in split["units"]), "the source shrank while units still hold replicas"
            for name in unit_names:
                assert uids.get(name, set()) <= previous["uids"].get(name, set()), f"{name} got new pods on a scale-in"
        print(f"\nR={replicas}: split {split['source']}/{split['units']}, pods per Deployment "
              f"{ {k: len(v) for k, v in sorted(uids.items())} }")
        previous = {"replicas": replicas, "split": split, "uids": uids}
    # kubectl reads the CRD's printer columns.
    listed = kubectl("get", f"{ELASTIC_PLURAL}.{ELASTIC_GROUP}", "-n", ns).stdout
    assert wname in listed and "PLACED" in listed, listed


def test_4_an_hpa_can_target_the_elastic_workload(api, cluster):
    """The real HPA controller reads the ElasticWorkload through its /scale
    subresource and the selector string of the status the project computed
    (no metrics server runs, so it cannot compute a recommendation)."""
    ns = "e2e-elastic-doc-scale-in-6-to-4"
    wname = "elasticworkload-sample"
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "elastic", "namespace": ns},
           "spec": {"scaleTargetRef": {"apiVersion": f"{ELASTIC_GROUP}/{ELASTIC_VERSION}", "kind": "ElasticWorkload",
                                       "name": wname},
                    "minReplicas": 1, "maxReplicas": 10,
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                        "type": "Utilization", "averageUtilization": 50}}}]}}
    api.create(f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers", hpa)

    def conditions():
        got = api.get(f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/elastic")
        found = {c["type"]: c for c in (got.get("status") or {}).get("conditions") or []}
        return found if "AbleToScale" in found and "ScalingActive" in found else None

    found = wait_until("the HPA controller to look at the ElasticWorkload", conditions, timeout=90)
    able, active = found["AbleToScale"], found["ScalingActive"]
    print(f"\nHPA: AbleToScale {able['status']} {able['reason']}; ScalingActive {active['status']} {active['reason']}: "
          f"{active.get('message')}")
    assert able["status"] == "True" and able["reason"] == "SucceededGetScale", able
    # It went on to the pods the selector names and found no metrics: not a selector or /scale problem.
    assert active["reason"] not in ("InvalidSelector", "FailedGetScale"), active


# --- 5. deploy/ manifests -------------------------------------------------------


def kustomize(overlay_dir):
    return load_all(kubectl("kustomize", str(overlay_dir)).stdout)


def dry_run_apply(objects, tmp_path):
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("\n---\n".join(json.dumps(o) for o in objects))
    res = kubectl("apply", "--dry-run=server", "-f", str(manifest), check=False)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_5_deploy_overlays_build_and_pass_server_side_dry_run(tmp_path):
    """Both overlays of deploy/ build with kubectl's kustomize and every
    object passes `kubectl apply --dry-run=server` (cert-manager's own
    objects are left out: its CRDs are not installed here)."""
    deploy = tmp_path / "deploy"
    shutil.copytree(os.path.join(ROOT, "deploy"), deploy)
    overlay = deploy / "overlays" / "eci-bridge-certs"
    ca_bundle = cli("certs", "--service-name", "eci-bridge-webhook", "--service-namespace", "kube-system",
                    "--out-dir", str(overlay)).stdout.strip()
    objects = kustomize(overlay)
    webhooks = [o for o in objects if o["kind"] == "MutatingWebhookConfiguration"]
    # kustomize wraps base64 at 76 columns; the API server's decoder skips the newlines.
    assert webhooks and all("".join(w["clientConfig"]["caBundle"].split()) == ca_bundle
                            for w in webhooks[0]["webhooks"])
    secret = next(o for o in objects if o["kind"] == "Secret")
    assert secret["metadata"]["name"] == "eci-bridge-webhook-tls" and secret["type"] == "kubernetes.io/tls"
    out = dry_run_apply(objects, tmp_path)
    assert "deployment.apps/eci-bridge-webhook created (server dry run)" in out, out

    objects = kustomize(deploy / "overlays" / "cert-manager")
    config = next(o for o in objects if o["kind"] == "MutatingWebhookConfiguration")
    assert config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == "kube-system/eci-bridge-webhook"
    certificates = [o for o in objects if o["apiVersion"].startswith("cert-manager.io/")]
    assert {o["kind"] for o in certificates} == {"Certificate", "Issuer"}
    dry_run_apply([o for o in objects if o not in certificates], tmp_path)


# --- the nodes stayed alive ---------------------------------------------------


def test_9_nodes_stay_ready_while_their_leases_are_renewed(api, cluster):
    """Past the controller manager's node-monitor grace period (50 s), the
    nodes whose Lease and Ready heartbeat are renewed are Ready and
    untainted, while the control node nobody renews is marked unreachable."""
    grace = 50 + 10  # the default grace period, and a monitor period or two
    elapsed = time.monotonic() - cluster["started"]
    if elapsed < grace:
        time.sleep(grace - elapsed)

    def unreachable():
        node = api.get(f"/api/v1/nodes/{cluster['stale']}")
        return {t["key"] for t in node["spec"].get("taints") or []} & {"node.kubernetes.io/unreachable"}

    wait_until("the control node without renewals to be marked unreachable", unreachable, timeout=30)
    assert not cluster["heartbeat"].errors, cluster["heartbeat"].errors
    for name in cluster["names"]:
        node = api.get(f"/api/v1/nodes/{name}")
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True", f"{name}: {ready}"
        keys = {t["key"] for t in node["spec"].get("taints") or []}
        assert not keys & {"node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready"}, (name, keys)
    print(f"\nnodes Ready {time.monotonic() - cluster['started']:.0f}s after registration")
