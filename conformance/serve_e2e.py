#!/usr/bin/env python3
"""`eci-bridge serve` end to end, on 127.0.0.1, with real HTTP clients.

Every daemon here is the built binary, started with certificates from
`eci-bridge certs --ip 127.0.0.1`, and every client verifies TLS against the
generated CA. Each daemon is stopped with SIGTERM and must exit 0.

1. Answers: every review of fixtures/admission/ (a bare pod or workload is
   sent as the review `eci-bridge admit -o request` builds around it), with
   the fixture's profile, Namespaces and settings given to the daemon as
   files, is answered byte for byte as `eci-bridge admit` answers the fixture,
   over HTTP/1.1 (requests), HTTP/2 (httpx) and curl (both versions).
2. Reloads: the profile swapped the kubelet's way (`..data` symlink) while a
   client sends reviews without pause: no request fails and the answers
   switch within 2 s; an invalid profile changes only the metrics and the
   readyz body; a rotated certificate is served on new connections within
   2 s; a changed Namespace label takes effect within 2 s.
3. Faults: 1000 idle TLS connections, slow headers, slow bodies, oversized
   and garbage bodies, TLS garbage, clients that vanish mid-request and an
   expensive pod, while a prober's well-formed reviews keep being answered;
   each bad request gets its documented status and the RSS stays bounded.

Usage: python -m pytest conformance/serve_e2e.py (ECI_BRIDGE names the
binary; target/debug/eci-bridge by default).
"""

import glob
import json
import os
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import httpx
import pytest
import requests
import yaml

from common import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BINARY = os.environ.get("ECI_BRIDGE", os.path.join(ROOT, "target/debug/eci-bridge"))
FIXTURES = sorted(glob.glob(os.path.join(ROOT, "fixtures/admission/*.yaml")))

# The RSS bound of the fault run (README, "The webhook daemon").
RSS_BOUND_MB = 200

# 1000 held connections need that many descriptors here and in the daemons
# (which inherit the limit).
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(_soft, 4096), _hard), _hard))


class TextTimestamps(yaml.SafeLoader):
    """YAML as the CLI reads it: timestamps stay strings."""


TextTimestamps.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_stream(path):
    with open(path) as f:
        return [d for d in yaml.load_all(f, Loader=TextTimestamps) if d is not None]


def certs(out_dir, force=False):
    cmd = [BINARY, "certs", "--ip", "127.0.0.1", "--dns", "localhost", "--out-dir", out_dir]
    out = subprocess.run(cmd + (["--force"] if force else []), capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.fixture(scope="module")
def tls_dir():
    d = tempfile.mkdtemp(prefix="eci-bridge-serve-")
    certs(d)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Daemon:
    """One `eci-bridge serve` process on a free loopback port."""

    def __init__(self, tls, *args, cert_dir=None):
        self.port = free_port()
        self.dir = cert_dir or tls
        self.ca = os.path.join(tls, "ca.crt")
        self.url = f"https://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="serve-log-", suffix=".jsonl", delete=False)
        cmd = [
            BINARY, "serve", "--listen", f"127.0.0.1:{self.port}",
            "--tls-cert-file", os.path.join(self.dir, "tls.crt"),
            "--tls-key-file", os.path.join(self.dir, "tls.key"),
            "--poll-interval-ms", "200",
            *args,
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.logs()}")
            try:
                if requests.get(self.url + "/healthz", verify=self.ca, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise AssertionError("serve did not answer /healthz within 10 s")

    def logs(self):
        with open(self.log.name) as f:
            return f.read()

    def log_lines(self, until=lambda lines: True):
        """The JSON log lines, once `until` holds for them (review lines are
        written at least every 100 ms; 5 s at most)."""
        deadline = time.time() + 5
        while True:
            lines = [json.loads(line) for line in self.logs().splitlines() if line.strip()]
            if until(lines) or time.time() > deadline:
                return lines
            time.sleep(0.05)

    def readyz(self):
        r = requests.get(self.url + "/readyz", verify=self.ca, timeout=5)
        return r.status_code, r.text

    def wait_settled(self):
        """Until readyz is 200 or says why not (the first poll happened)."""
        deadline = time.time() + 5
        while time.time() < deadline:
            code, body = self.readyz()
            if code == 200 or "refused" in body or ": " in body.split("\n")[0]:
                return code, body
            time.sleep(0.05)
        return self.readyz()

    def metric(self, name, labels=""):
        text = requests.get(self.url + "/metrics", verify=self.ca, timeout=5).text
        m = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
        return float(m.group(1)) if m else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("serve did not stop within 20 s of SIGTERM")
        if os.path.exists(self.log.name):
            os.unlink(self.log.name)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        code = self.stop()
        if exc[0] is None:
            assert code == 0, f"serve exited {code} after SIGTERM"


def post(url, ca, body, client=None):
    headers = {"Content-Type": "application/json"}
    if client is not None:
        return client.post(url + "/mutate", content=body, headers=headers)
    return requests.post(url + "/mutate", data=body, headers=headers, verify=ca, timeout=10)


def curl(url, ca, body, version):
    out = subprocess.run(
        ["curl", "--silent", "--show-error", version, "--cacert", ca, "-H", "Content-Type: application/json",
         "--data-binary", "@-", "-w", "\n%{http_code} %{http_version}", url + "/mutate"],
        input=body, capture_output=True, check=True,
    )
    text, _, tail = out.stdout.rpartition(b"\n")
    code, http_version = tail.decode().split()
    return text, int(code), http_version


def admit(*args, stdin=None):
    out = subprocess.run([BINARY, "admit", *args], input=stdin, capture_output=True)
    assert out.returncode in (0, 2), out.stderr.decode()
    return out.stdout


def write(path, docs):
    with open(path, "w") as f:
        f.write("\n---\n".join(json.dumps(d) for d in docs) + "\n")
    return path


# 1. Answers ---------------------------------------------------------------


@pytest.mark.parametrize("fixture", FIXTURES, ids=[os.path.basename(f) for f in FIXTURES])
def test_every_fixture_review_is_answered_as_admit_answers_it(fixture, tls_dir, tmp_path):
    docs = load_stream(fixture)
    reviews = [d for d in docs if d.get("kind") == "AdmissionReview"]
    body = json.dumps(reviews[0]).encode() if reviews else admit("-f", fixture, "-o", "request")
    profiles = [d for d in docs if d.get("kind") == "ConfigMap"]
    namespaces = [d for d in docs if d.get("kind") == "Namespace"]
    settings = [d for d in docs if d.get("kind") == "AdmissionSettings"]
    clusters = [d for d in docs if d.get("kind") == "ClusterSettings"]
    args = ["--namespaces-file", write(tmp_path / "namespaces.yaml", namespaces)]
    if clusters:
        args += ["--cluster", write(tmp_path / "cluster.yaml", clusters)]
    if profiles:
        args += ["--profile-file", write(tmp_path / "profile.yaml", profiles)]
    if settings:
        args += ["--settings", write(tmp_path / "settings.yaml", settings)]
    with Daemon(tls_dir, *args) as daemon:
        code, ready = daemon.wait_settled()
        if profiles and code != 200:
            # A profile with errors is refused whole: the daemon answers
            # without it, and so must the CLI.
            assert "no eci-profile loaded" in ready, ready
            expected = admit("-f", write(tmp_path / "without-profile.yaml", [d for d in docs if d not in profiles]))
        else:
            assert code == 200, ready
            expected = admit("-f", fixture)
        answers = {}
        r = post(daemon.url, daemon.ca, body)
        assert r.raw.version == 11
        answers["requests HTTP/1.1"] = (r.status_code, r.content)
        with httpx.Client(http2=True, verify=ssl.create_default_context(cafile=daemon.ca)) as h2:
            r = post(daemon.url, daemon.ca, body, client=h2)
            assert r.http_version == "HTTP/2"
            answers["httpx HTTP/2"] = (r.status_code, r.content)
        for version in ("--http1.1", "--http2"):
            text, code, http_version = curl(daemon.url, daemon.ca, body, version)
            assert http_version == ("1.1" if version == "--http1.1" else "2")
            answers[f"curl {version}"] = (code, text)
        for client, (code, content) in answers.items():
            assert code == 200, f"{client}: {code} {content[:300]!r}"
            assert content == expected, f"{client} differs from `eci-bridge admit`"
        # One log line per review, with identities and counts only.
        reviews = lambda lines: [line for line in lines if line["msg"] == "review"]  # noqa: E731
        lines = reviews(daemon.log_lines(until=lambda lines: len(reviews(lines)) >= 4))
        assert len(lines) == 4
        uid = json.loads(body)["request"]["uid"]
        assert all(line["uid"] == uid and "durationMs" in line and "patchOperations" in line for line in lines)


# 2. Reloads ---------------------------------------------------------------


def review(name="web", namespace="shop", labels=None, uid="r-1"):
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"generateName": f"{name}-", "namespace": namespace, "labels": labels or {"app": "web"}},
           "spec": {"containers": [{"name": "c", "image": "nginx:1.27",
                                    "resources": {"limits": {"cpu": "1", "memory": "2Gi"}}}]}}
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                       "request": {"uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
                                   "resource": {"group": "", "version": "v1", "resource": "pods"},
                                   "namespace": namespace, "operation": "CREATE", "object": pod}}).encode()


def patched(response):
    return bool(response.json()["response"].get("patch"))


def selectors(*names):
    return json.dumps([{"name": n, "objectSelector": {"matchLabels": {"app": "web"}},
                        "effect": {"labels": {"routed-by": n}}} for n in names])


class MountedConfigMap:
    """A ConfigMap volume as the kubelet writes it: keys link into `..data`,
    which links to a timestamped folder; an update swaps `..data`."""

    def __init__(self, root, data):
        self.root = root
        self.version = 0
        os.makedirs(root)
        self.update(data)
        for key in data:
            os.symlink(f"..data/{key}", os.path.join(root, key))

    def update(self, data):
        self.version += 1
        folder = f"..2026_12_02_00_00_{self.version:02d}"
        os.makedirs(os.path.join(self.root, folder))
        for key, value in data.items():
            with open(os.path.join(self.root, folder, key), "w") as f:
                f.write(value)
        tmp = os.path.join(self.root, "..data_tmp")
        os.symlink(folder, tmp)
        os.rename(tmp, os.path.join(self.root, "..data"))


class Load(threading.Thread):
    """Sends reviews without pause on one HTTP/2 connection; records each
    answer (time, status, patched)."""

    def __init__(self, daemon, body):
        super().__init__(daemon=True)
        self.daemon_ = daemon
        self.body = body
        self.answers = []
        self.errors = []
        self.stop_ = threading.Event()

    def run(self):
        with httpx.Client(http2=True, verify=ssl.create_default_context(cafile=self.daemon_.ca), timeout=10) as client:
            while not self.stop_.is_set():
                try:
                    r = post(self.daemon_.url, None, self.body, client=client)
                    self.answers.append((time.time(), r.status_code, r.status_code == 200 and patched(r)))
                except httpx.HTTPError as e:
                    self.errors.append(repr(e))

    def halt(self):
        self.stop_.set()
        self.join(timeout=30)


def switch_time(answers, since):
    """Seconds from `since` to the first patched answer; None when none."""
    for t, _, p in answers:
        if t >= since and p:
            return t - since
    return None


def test_profile_swapped_by_symlink_switches_answers_without_a_failed_request(tls_dir, tmp_path):
    mounted = MountedConfigMap(str(tmp_path / "eci-profile"), {"selectors": selectors()})
    ns = write(tmp_path / "ns.yaml", [{"kind": "Namespace", "metadata": {"name": "shop"}}])
    with Daemon(tls_dir, "--profile-file", mounted.root, "--namespaces-file", ns) as daemon:
        assert daemon.wait_settled()[0] == 200
        load = Load(daemon, review())
        load.start()
        time.sleep(0.5)
        swapped = time.time()
        mounted.update({"selectors": selectors("web")})
        time.sleep(2.5)
        # An invalid profile: nothing changes but the metrics and readyz.
        before = [a for a in load.answers if a[0] > swapped + 2.2]
        mounted.update({"selectors": "[{\"name\": "})
        time.sleep(1.5)
        load.halt()
        assert not load.errors, load.errors[:3]
        assert all(code == 200 for _, code, _ in load.answers)
        took = switch_time(load.answers, swapped)
        assert took is not None and took < 2.0, f"answers switched after {took} s"
        after_switch = [a for a in load.answers if a[0] >= swapped + took]
        assert all(p for _, _, p in after_switch), "every answer after the switch uses the new profile"
        assert before and all(p for _, _, p in before)
        code, body = daemon.readyz()
        assert code == 200 and "refused" in body, body
        assert daemon.metric("eci_bridge_reload_failures_total", '{source="profile"}') == 1
        assert daemon.metric("eci_bridge_reloads_total", '{source="profile"}') == 2
        print(f"profile swap: {len(load.answers)} reviews, none failed, switched after {took:.3f} s")


def test_a_changed_namespace_label_takes_effect_within_2_s(tls_dir, tmp_path):
    ns_file = tmp_path / "ns.yaml"
    write(ns_file, [{"kind": "Namespace", "metadata": {"name": "shop"}}])
    with Daemon(tls_dir, "--namespaces-file", str(ns_file)) as daemon:
        assert daemon.wait_settled()[0] == 200
        body = review(labels={"app": "web"})
        assert not patched(post(daemon.url, daemon.ca, body))
        # An editor's way: a new file renamed over the old one.
        write(tmp_path / "ns.new", [{"kind": "Namespace", "metadata": {"name": "shop", "labels": {"eci": "true"}}}])
        changed = time.time()
        os.rename(tmp_path / "ns.new", ns_file)
        while not patched(post(daemon.url, daemon.ca, body)):
            assert time.time() - changed < 2.0, "the namespace label was not used within 2 s"
            time.sleep(0.02)
        print(f"namespace label: used after {time.time() - changed:.3f} s")


def test_a_rotated_certificate_is_served_on_new_connections_within_2_s(tls_dir, tmp_path):
    served = tmp_path / "served"
    shutil.copytree(tls_dir, served)
    with Daemon(tls_dir, cert_dir=str(served)) as daemon:
        kept = httpx.Client(http2=True, verify=ssl.create_default_context(cafile=daemon.ca))
        assert kept.get(daemon.url + "/healthz").status_code == 200
        new_ca = tmp_path / "new"
        certs(str(new_ca))
        rotated = time.time()
        # cert-manager's Secret update reaches the pod as a swap of both files.
        for name in ("tls.key", "tls.crt"):
            shutil.copy(new_ca / name, served / f"{name}.tmp")
            os.rename(served / f"{name}.tmp", served / name)
        while True:
            try:
                if requests.get(daemon.url + "/healthz", verify=str(new_ca / "ca.crt"), timeout=2).ok:
                    break
            except requests.exceptions.SSLError:
                pass
            assert time.time() - rotated < 2.0, "the new certificate was not served within 2 s"
            time.sleep(0.02)
        print(f"certificate rotation: served after {time.time() - rotated:.3f} s")
        # The connection opened before keeps working; new ones under the old CA fail.
        assert kept.get(daemon.url + "/healthz").status_code == 200
        kept.close()
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(daemon.url + "/healthz", verify=daemon.ca, timeout=2)
        daemon.ca = str(new_ca / "ca.crt")
        assert daemon.metric("eci_bridge_reloads_total", '{source="tls"}') >= 1


# 3. Faults ----------------------------------------------------------------


class Prober(threading.Thread):
    """A well-formed review every 20 ms on fresh and kept connections."""

    def __init__(self, daemon):
        super().__init__(daemon=True)
        self.d = daemon
        self.ok = 0
        self.failures = []
        self.stop_ = threading.Event()

    def run(self):
        body = review(uid="probe")
        with httpx.Client(http2=True, verify=ssl.create_default_context(cafile=self.d.ca), timeout=5) as client:
            while not self.stop_.is_set():
                try:
                    r = post(self.d.url, None, body, client=client)
                    if r.status_code == 200 and patched(r):
                        self.ok += 1
                    else:
                        self.failures.append(f"{r.status_code} {r.text[:200]}")
                except httpx.HTTPError as e:
                    self.failures.append(repr(e))
                time.sleep(0.02)

    def halt(self):
        self.stop_.set()
        self.join(timeout=30)


def tls_socket(daemon, alpn=("http/1.1",)):
    ctx = ssl.create_default_context(cafile=daemon.ca)
    ctx.set_alpn_protocols(list(alpn))
    raw = socket.create_connection(("127.0.0.1", daemon.port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def read_response(sock, timeout=10):
    """Reads until the server closes or a whole response arrived."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ssl.SSLError, ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
        head, sep, rest = data.partition(b"\r\n\r\n")
        m = re.search(rb"content-length: (\d+)", head, re.I)
        if sep and m and len(rest) >= int(m.group(1)):
            break
    return data


def status_of(data):
    m = re.match(rb"HTTP/1\.1 (\d{3})", data)
    return int(m.group(1)) if m else None


def raw_request(daemon, head, body=b""):
    sock = tls_socket(daemon)
    sock.sendall(head + body)
    data = read_response(sock)
    sock.close()
    return data


def hostile_expensive_pod():
    """The costliest pod of the hostile corpus: `$(VAR)` doubling."""
    env = [{"name": "V0", "value": "x" * 64}] + [
        {"name": f"V{i}", "value": f"$(V{i - 1})$(V{i - 1})"} for i in range(1, 40)]
    pod = json.loads(review())["request"]["object"]
    pod["spec"]["containers"][0]["env"] = env
    pod["spec"]["containers"][0]["command"] = ["sh", "-c", "$(V39)" * 100]
    r = json.loads(review(uid="expensive"))
    r["request"]["object"] = pod
    return json.dumps(r).encode()


@pytest.fixture(scope="module")
def web_profile(tls_dir):
    """A profile that routes `app: web` pods (the reviews of these tests)."""
    return write(os.path.join(tls_dir, "profile.yaml"), [{
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "eci-profile", "namespace": "kube-system"},
        "data": {"selectors": selectors("web")}}])


@pytest.fixture(scope="module")
def fault_daemon(tls_dir, web_profile):
    daemon = Daemon(tls_dir, "--profile-file", web_profile, "--read-timeout-seconds", "2")
    prober = None
    try:
        assert daemon.wait_settled()[0] == 200
        prober = Prober(daemon)
        prober.start()
        daemon.prober = prober
        daemon.rss = {"idle": rss_mb(daemon.proc.pid)}
        yield daemon
        prober.halt()
        daemon.rss["end"] = rss_mb(daemon.proc.pid)
        print("RSS MB:", {k: round(v, 1) for k, v in daemon.rss.items()})
        assert not prober.failures, prober.failures[:5]
        assert prober.ok > 50
        assert max(daemon.rss.values()) < RSS_BOUND_MB, daemon.rss
    finally:
        # Stopped whatever failed above: no daemon outlives the module.
        if prober is not None:
            prober.halt()
        code = daemon.stop()
    assert code == 0


def test_1000_idle_tls_connections(tls_dir, web_profile):
    """1000 TLS connections held open (without a request: the read timeout,
    10 s by default, is what closes them) while reviews keep being answered."""
    with Daemon(tls_dir, "--profile-file", web_profile) as d:
        prober = Prober(d)
        prober.start()
        before = rss_mb(d.proc.pid)
        started = time.time()
        held = [tls_socket(d) for _ in range(1000)]
        opened_in = time.time() - started
        time.sleep(0.5)
        during = rss_mb(d.proc.pid)
        assert opened_in < 8, f"opening took {opened_in:.1f} s: the first ones may have timed out"
        assert d.metric("eci_bridge_open_connections") >= 1000
        assert patched(post(d.url, d.ca, review()))
        prober.halt()
        assert not prober.failures and prober.ok > 5, prober.failures[:3]
        for s in held:
            s.close()
        assert during < RSS_BOUND_MB
        per_connection_kb = (during - before) * 1024 / 1000
        print(f"idle TLS connections: RSS {before:.1f} -> {during:.1f} MB, {per_connection_kb:.1f} KB each")


def test_slow_headers_are_cut_and_slow_bodies_get_408(fault_daemon):
    d = fault_daemon
    slow_head = tls_socket(d)
    slow_head.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\n")
    slow_body = tls_socket(d)
    slow_body.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
    started = time.time()
    assert patched(post(d.url, d.ca, review())), "others are answered meanwhile"
    assert status_of(read_response(slow_body)) == 408
    assert time.time() - started < 4
    cut = read_response(slow_head)
    assert cut == b"" or status_of(cut) == 408, cut[:200]
    assert time.time() - started < 6, "the slow header was cut after the read timeout"
    slow_head.close()
    slow_body.close()


def test_oversized_garbage_and_wrong_requests_get_their_status(fault_daemon):
    d = fault_daemon
    head = b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    # Declared too large: refused before reading.
    assert status_of(raw_request(d, head + b"Content-Length: 5000000\r\n\r\n")) == 413
    # Chunked, no length: refused once the limit is crossed.
    big = b"[" + b"1," * (2_200_000) + b"1]"
    r = requests.post(d.url + "/mutate", data=iter([big[i:i + 65536] for i in range(0, len(big), 65536)]),
                      headers={"Content-Type": "application/json"}, verify=d.ca, timeout=10)
    assert r.status_code == 413
    cases = [
        (b"{not json", 400, "syntax"),
        (b"\xff\xfe\x00garbage", 400, "not UTF-8"),
        (b"", 400, "empty"),
        (b'{"kind": "Pod", "apiVersion": "v1"}', 400, "not an AdmissionReview"),
        (b'{"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "request": {"kind": {}}}', 400, "uid"),
        (b'[' * 100_000, 400, "nesting"),
    ]
    for body, code, words in cases:
        r = post(d.url, d.ca, body)
        assert r.status_code == code, (body[:40], r.status_code, r.text[:200])
        status = r.json()
        assert status["kind"] == "Status" and status["code"] == 400
        assert words in status["message"], status["message"]
    r = requests.post(d.url + "/mutate", data=review(), headers={"Content-Type": "text/plain"}, verify=d.ca)
    assert r.status_code == 415
    assert requests.get(d.url + "/mutate", verify=d.ca).status_code == 405
    assert requests.get(d.url + "/nothing", verify=d.ca).status_code == 404
    assert d.metric("eci_bridge_http_responses_total", '{code="413"}') >= 2


def test_tls_garbage_and_vanishing_clients(fault_daemon):
    d = fault_daemon
    failures = d.metric("eci_bridge_tls_handshake_failures_total")
    for payload in (os.urandom(4096), b"GET / HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x00\x05hello"):
        s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        s.sendall(payload)
        s.settimeout(5)
        try:
            s.recv(1024)
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
    # Mid-request: headers and half a body, then gone; and gone mid-handshake.
    for _ in range(50):
        s = tls_socket(d)
        s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n" + review()[:100])
        s.close()
        raw = socket.create_connection(("127.0.0.1", d.port))
        raw.sendall(b"\x16\x03\x01")
        raw.close()
    time.sleep(0.5)
    assert d.metric("eci_bridge_tls_handshake_failures_total") >= failures + 3
    assert patched(post(d.url, d.ca, review()))


def test_idle_connections_are_closed(tls_dir):
    with Daemon(tls_dir, "--read-timeout-seconds", "2", "--idle-timeout-seconds", "3") as d:
        idle_connections_are_closed(d)


def idle_connections_are_closed(d):
    silent = tls_socket(d)  # TLS done, never a request: closed after the read timeout (2 s)
    served = tls_socket(d)  # one request, then idle: closed after the idle timeout (3 s)
    served.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(read_response(served)) == 200
    started = time.time()
    assert read_response(silent, timeout=10) == b""
    silent_after = time.time() - started
    assert read_response(served, timeout=10) == b""
    served_after = time.time() - started
    assert 1 < silent_after < 4 and 2 < served_after < 6, (silent_after, served_after)


def test_slow_bodies_beyond_the_in_flight_cap_do_not_block_reviews(fault_daemon):
    d = fault_daemon
    body = review()
    slow = []
    for _ in range(80):  # more than --max-in-flight (64)
        s = tls_socket(d)
        s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
        slow.append(s)
    for _ in range(5):
        assert patched(post(d.url, d.ca, review())), "reviews are answered while 80 bodies trickle"
    for s in slow:
        s.close()


def test_a_large_valid_json_body_is_refused_by_the_limits_with_bounded_memory(fault_daemon):
    d = fault_daemon
    body = b"[" + b"0," * 1_900_000 + b"0]"  # 3.8 MB, 1.9 million nodes
    started = time.time()
    r = post(d.url, d.ca, body)
    assert r.status_code == 400 and "limit" in r.json()["message"], r.text[:300]
    assert time.time() - started < 5
    d.rss["after a 3.8 MB array"] = rss_mb(d.proc.pid)


def test_an_expensive_pod_is_answered_and_others_are_not_held_up(fault_daemon):
    d = fault_daemon
    body = hostile_expensive_pod()
    started = time.time()
    r = post(d.url, d.ca, body)
    took = time.time() - started
    assert r.status_code == 200
    warnings = " ".join(r.json()["response"].get("warnings", []))
    assert "limit" in warnings, warnings[:300]
    assert took < 2, f"the expensive pod took {took:.2f} s"
    d.rss["after the expensive pod"] = rss_mb(d.proc.pid)


def test_sigterm_drains_in_flight_requests_and_readiness_goes_false(tls_dir):
    daemon = Daemon(tls_dir, "--shutdown-delay-seconds", "1")
    try:
        slow = tls_socket(daemon)
        slow.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(review())}\r\n\r\n".encode() + review()[:50])
        time.sleep(0.2)
        daemon.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        code, body = daemon.readyz()
        assert code == 503 and "shutting down" in body
        # After the delay the listener is closed: new connections are refused,
        # and the request in flight is still answered (the graceful drain).
        time.sleep(1.2)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", daemon.port), timeout=2).close()
        slow.sendall(review()[50:])
        assert status_of(read_response(slow)) == 200, "the request in flight at SIGTERM is answered"
        slow.close()
        assert daemon.proc.wait(timeout=20) == 0
        assert "every connection finished" in daemon.logs()
    finally:
        daemon.stop()


def test_logs_name_reviews_but_never_their_values(tls_dir, web_profile):
    body = json.loads(review(uid="logged"))
    container = body["request"]["object"]["spec"]["containers"][0]
    container["env"] = [{"name": "PASSWORD", "value": "marker-env-value-7c1f"}]
    container["args"] = ["--token=marker-arg-value-9d2e"]
    with Daemon(tls_dir, "--profile-file", web_profile) as daemon:
        r = post(daemon.url, daemon.ca, json.dumps(body).encode())
        assert r.status_code == 200 and patched(r)
        garbage = post(daemon.url, daemon.ca, b'{"kind": "AdmissionReview", "marker-key-3e5a": [}')
        assert garbage.status_code == 400
        lines = daemon.log_lines(until=lambda lines: sum(line["msg"] == "review" for line in lines) >= 2)
        logs = daemon.logs()
        [line] = [line for line in lines if line.get("uid") == "logged"]
        assert line["patchOperations"] > 0 and line["namespace"] == "shop" and line["generateName"] == "web-"
        for marker in ("marker-env-value", "marker-arg-value", "marker-key"):
            assert marker not in logs, marker


def test_probes_keep_their_own_connection_slots(tls_dir):
    """With every webhook connection slot taken, a further connection is
    closed at accept, and the probes' plain-HTTP listener still answers."""
    metrics_port = free_port()
    with Daemon(tls_dir, "--max-connections", "5", "--metrics-listen", f"127.0.0.1:{metrics_port}") as d:
        held = [tls_socket(d) for _ in range(5)]
        refused = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        refused.settimeout(5)
        assert refused.recv(1) == b"", "the sixth connection is closed at accept"
        refused.close()
        r = requests.get(f"http://127.0.0.1:{metrics_port}/healthz", timeout=5)
        assert r.status_code == 200
        assert re.search(r"^eci_bridge_connections_refused_total [1-9]", requests.get(
            f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text, re.M)
        for s in held:
            s.close()
