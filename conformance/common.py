"""Helpers shared by the conformance scripts."""

import os
import socket
import subprocess

K8S_VERSION = "1.33"


class Report:
    """Counts checks and keeps the failures."""

    def __init__(self):
        self.failures = []
        self.checks = 0

    def check(self, ok, what):
        self.checks += 1
        if not ok:
            self.failures.append(what)

    def finish(self):
        """Prints the tally and the failures; the exit status."""
        print(f"checks: {self.checks}, failures: {len(self.failures)}")
        for failure in self.failures:
            print("FAIL", failure)
        return 1 if self.failures else 0


def run(cmd, env=None):
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def strip_empty(value):
    """Removes None values and the empty lists to_map() adds."""
    if isinstance(value, dict):
        return {k: strip_empty(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [strip_empty(v) for v in value]
    return value


def bool_keys(value, prefix=""):
    """Wire keys whose JSON value is a boolean."""
    keys = set()
    if isinstance(value, dict):
        for k, v in value.items():
            keys |= bool_keys(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            keys |= bool_keys(v, f"{prefix}.{i + 1}")
    elif isinstance(value, bool):
        keys.add(prefix)
    return keys


def yaml_files(directory):
    return sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".yaml"))


def validate(doc, what, report, counts):
    """Validates one object with kubernetes-validate (strict), counting it by kind."""
    import kubernetes_validate

    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        report.check(True, "")
        counts[doc.get("kind")] = counts.get(doc.get("kind"), 0) + 1
    except Exception as e:  # noqa: BLE001 - report every kind of failure
        first = (str(e) or type(e).__name__).splitlines()[0][:300]
        report.check(False, f"{what}: {doc.get('kind')} is not valid Kubernetes {K8S_VERSION}: {first}")


def validate_fixture_documents(directory, report, counts, skip_kinds=()):
    """Validates the Kubernetes documents of every fixture in `directory` (a
    List's items one by one), counting them by kind; documents without a kind
    (ECI API items), eci-bridge's own settings and `skip_kinds` (custom
    resources kubernetes-validate has no schema for) are skipped."""
    import yaml

    for path in yaml_files(directory):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if not doc or not doc.get("kind") or doc.get("kind") in skip_kinds:
                    continue
                if str(doc.get("apiVersion", "")).startswith("eci-bridge/"):
                    continue
                items = doc.get("items", []) if doc.get("kind") == "List" else [doc]
                for item in items:
                    validate(item, os.path.basename(path), report, counts)


def free_port():
    """A loopback port free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
