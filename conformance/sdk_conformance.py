#!/usr/bin/env python3
"""Vendor conformance: eci-bridge's requests against Alibaba Cloud's own SDK.

For every fixture the CLI accepts:

1. `CreateContainerGroupRequest().from_map(out).to_map() == out`, where `out`
   is `eci-bridge translate -o json --show-secrets`, ignoring the empty lists
   `to_map()` adds for absent repeated fields.
2. Our flattened query equals `alibabacloud_openapi_util.client.Client.query(out)`.
   That helper renders booleans with Python's `str()` (`True`/`False`); the
   wire form the Go and Java SDKs send, and the ECI documentation shows, is
   `true`/`false`, which is what eci-bridge sends. Booleans are compared
   case-insensitively; every other value must be identical.
3. Parameters newer (or older) than the SDK model are never skipped
   silently: every key `from_map` drops must be in EXTENSION_PARAMETERS below
   (with its source), and those are checked on their own: value type, range,
   and their presence in the query.
4. Our RPC signature (HMAC-SHA1) equals
   `Client.get_rpcsignature(params, method, secret)` for GET and POST, and
   our ACS3-HMAC-SHA256 `Authorization` equals `Client.get_authorization`.

Every Kubernetes document in the fixtures is also validated with
`kubernetes-validate`, so the fixtures are objects a real API server accepts.

Usage: sdk_conformance.py <eci-bridge binary> <fixtures/pods dir>
Exit status 0 when everything conforms; the failures are listed otherwise.
"""

import json
import os
import sys
import urllib.parse

from alibabacloud_eci20180808 import models
from alibabacloud_openapi_util.client import Client

from common import Report, bool_keys, run, strip_empty

# Keys the pinned SDK model (alibabacloud-eci20180808 2.1.0) does not know,
# with their source and a value check. Mirrors
# eci_bridge_core::eci::request::EXTENSION_PARAMETERS.
EXTENSION_PARAMETERS = {
    "MaxPendingMinute": (
        "Go SDK alibabacloud-go/eci-20180808 v3.1.1, ChangeLog 2025-06-05",
        lambda v: isinstance(v, int) and not isinstance(v, bool) and 10 <= v <= 1440,
    ),
    "SlsEnable": (
        "legacy Go/Java SDKs and ROS ALIYUN::ECI::ContainerGroup",
        lambda v: isinstance(v, bool),
    ),
}

SECRET = "conformance-secret"
# Fixtures about malformed input carry this mark; they must fail validation.
MARK_INVALID = "eci-bridge: not-valid-kubernetes"
AK = "conformance-ak"








def parse_query_string(qs):
    return dict(urllib.parse.parse_qsl(qs, keep_blank_values=True, strict_parsing=True))




def check_fixture(binary, path, report, stats):
    name = os.path.basename(path)
    res = run([binary, "translate", "-f", path, "-o", "json", "--show-secrets"])
    if res.returncode == 2:
        stats["rejected"] += 1
        return
    report.check(res.returncode == 0, f"{name}: translate exited {res.returncode}: {res.stderr[:300]}")
    if res.returncode != 0:
        return
    stats["accepted"] += 1
    out = json.loads(res.stdout)

    # 1. Round trip through the SDK model.
    sdk = models.CreateContainerGroupRequest().from_map(out).to_map()
    sdk = strip_empty(sdk)
    dropped = sorted(set(out) - set(sdk))
    for key in dropped:
        report.check(key in EXTENSION_PARAMETERS, f"{name}: `{key}` is unknown to the SDK and not a documented extension")
    core = {k: v for k, v in out.items() if k not in EXTENSION_PARAMETERS}
    report.check(sdk == core, f"{name}: from_map().to_map() differs:\n  ours: {json.dumps(core, sort_keys=True)[:400]}\n  sdk:  {json.dumps(sdk, sort_keys=True)[:400]}")

    # 3. Extension parameters, checked on their own.
    for key in dropped:
        if key in EXTENSION_PARAMETERS:
            source, valid = EXTENSION_PARAMETERS[key]
            stats["extensions"].setdefault(key, source)
            report.check(valid(out[key]), f"{name}: extension {key}={out[key]!r} is out of range ({source})")

    # 2. Flattened query.
    res = run([binary, "translate", "-f", path, "-o", "query", "--show-secrets"])
    ours = {}
    for line in res.stdout.splitlines():
        k, _, v = line.partition("=")
        ours[k] = v
    theirs = Client.query(out)
    bools = bool_keys(out)
    report.check(set(ours) == set(theirs), f"{name}: query keys differ: {sorted(set(ours) ^ set(theirs))[:10]}")
    for k, v in theirs.items():
        mine = ours.get(k)
        if k in bools:
            report.check(mine == v.lower(), f"{name}: boolean {k}: ours {mine!r}, SDK {v!r}")
            stats["booleans"] += 1
        else:
            report.check(mine == v, f"{name}: {k}: ours {mine!r}, SDK {v!r}")
    for key in dropped:
        report.check(any(q == key or q.startswith(key + ".") for q in ours), f"{name}: extension {key} missing from the query")

    # 4. Signatures over the real request.
    request_file = path + ".request.json.tmp"
    with open(request_file, "w") as f:
        json.dump(out, f)
    env = dict(os.environ, ECI_BRIDGE_TEST_SECRET=SECRET)
    try:
        for method in ("POST", "GET"):
            res = run([binary, "sign", "-f", request_file, "--action", "CreateContainerGroup", "--access-key-id", AK,
                       "--access-key-secret-env", "ECI_BRIDGE_TEST_SECRET", "--timestamp", "2026-11-23T10:00:00+08:00",
                       "--nonce", f"nonce-{name}", "--method", method.lower()], env=env)
            report.check(res.returncode == 0, f"{name}: sign exited {res.returncode}: {res.stderr[:300]}")
            params = parse_query_string(res.stdout.strip())
            signature = params.pop("Signature", None)
            expected = Client.get_rpcsignature(params, method, SECRET)
            report.check(signature == expected, f"{name}: {method} signature {signature} != SDK {expected}")
            report.check(params.get("Timestamp") == "2026-11-23T02:00:00Z", f"{name}: timestamp not normalised to UTC: {params.get('Timestamp')}")
            stats["signatures"] += 1

        res = run([binary, "sign", "-f", request_file, "--action", "CreateContainerGroup", "--access-key-id", AK,
                   "--access-key-secret-env", "ECI_BRIDGE_TEST_SECRET", "--timestamp", "2026-11-23T10:00:00Z",
                   "--nonce", f"nonce-{name}", "--algorithm", "acs3-hmac-sha256"], env=env)
        lines = res.stdout.strip().splitlines()
        query = parse_query_string(lines[0]) if lines and lines[0] else {}
        headers = dict(line.split(": ", 1) for line in lines[1:])
        authorization = headers.pop("authorization", None)
        signed = {k: v for k, v in headers.items() if k == "host" or k.startswith("x-acs-")}

        class Req:
            method = "POST"
            pathname = "/"
        req = Req()
        req.query = query
        req.headers = signed
        expected = Client.get_authorization(req, "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"], AK, SECRET)
        report.check(authorization == expected, f"{name}: ACS3 authorization differs:\n  ours {authorization}\n  sdk  {expected}")
        report.check(query == theirs_as_strings(theirs, bools), f"{name}: ACS3 query differs from the flattened request")
        stats["signatures"] += 1
    finally:
        os.remove(request_file)


def theirs_as_strings(theirs, bools):
    return {k: (v.lower() if k in bools else v) for k, v in theirs.items()}


def validate_kubernetes(paths, report, stats):
    import kubernetes_validate
    import yaml  # installed with kubernetes-validate

    version = "1.33"
    for path in paths:
        with open(path) as f:
            text = f.read()
        if MARK_INVALID in text:
            # A fixture about invalid input: it must stay invalid, or the mark is stale.
            failed = False
            for doc in yaml.safe_load_all(text):
                try:
                    if doc and doc.get("kind") not in ("ClusterSettings", "TokenRequest"):
                        kubernetes_validate.validate(doc, version, strict=True)
                except Exception:  # noqa: BLE001
                    failed = True
            report.check(failed, f"{os.path.basename(path)} is marked not-valid-kubernetes but validates")
            stats["k8s_invalid_by_design"] += 1
            continue
        for doc in yaml.safe_load_all(text):
            if not doc or doc.get("kind") in ("ClusterSettings", "TokenRequest"):
                continue
            try:
                kubernetes_validate.validate(doc, version, strict=True)
                stats["k8s_documents"] += 1
                report.check(True, "")
            except Exception as e:  # noqa: BLE001 - report every kind of failure
                report.check(False, f"{os.path.basename(path)}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')} is not valid Kubernetes {version}: {str(e).splitlines()[0][:300]}")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, fixtures = sys.argv[1], sys.argv[2]
    paths = sorted(os.path.join(fixtures, f) for f in os.listdir(fixtures) if f.endswith(".yaml"))
    report = Report()
    stats = {"accepted": 0, "rejected": 0, "signatures": 0, "booleans": 0, "k8s_documents": 0, "k8s_invalid_by_design": 0, "extensions": {}}
    for path in paths:
        check_fixture(binary, path, report, stats)
    validate_kubernetes(paths, report, stats)

    print(f"fixtures: {len(paths)} ({stats['accepted']} accepted and checked, {stats['rejected']} rejected by design)")
    print(f"signatures compared with the SDK: {stats['signatures']}; boolean parameters compared modulo case: {stats['booleans']}")
    print(f"Kubernetes documents validated: {stats['k8s_documents']} (fixtures invalid by design, confirmed invalid: {stats['k8s_invalid_by_design']})")
    for key, source in sorted(stats["extensions"].items()):
        print(f"extension parameter checked separately: {key} ({source})")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
