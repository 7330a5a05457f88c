#!/usr/bin/env python3
"""Admission conformance, with implementations eci-bridge does not share.

For every fixture in fixtures/admission:

1. `eci-bridge admit -o review` gives the AdmissionReview response. Its
   base64 `patch` is applied to the admitted object with the Python `jsonpatch`
   package (an independent RFC 6902 implementation); the result must equal the
   reviewed snapshot `core/tests/snapshots/admission__patched@<case>.snap`.
2. That patched object validates with `kubernetes-validate` (strict).
3. The MutatingWebhookConfiguration generated for the case's profile
   (`eci-bridge webhook-config`) validates with `kubernetes-validate`.

Usage: admission_conformance.py <eci-bridge binary> <fixtures/admission dir>
"""

import base64
import json
import os
import sys
import tempfile

import jsonpatch
import kubernetes_validate
import yaml

from common import run

KUBERNETES = "1.30"
SNAPSHOTS = os.path.join(os.path.dirname(__file__), "..", "core", "tests", "snapshots")




def snapshot(name):
    """The content of an insta snapshot: everything after the second `---` line."""
    with open(os.path.join(SNAPSHOTS, name)) as f:
        text = f.read()
    _, _, rest = text.partition("---\n")
    _, _, content = rest.partition("---\n")
    return json.loads(content)


def main():
    binary, fixtures = sys.argv[1], sys.argv[2]
    failures, checks, patches, configs = [], 0, 0, 0
    for name in sorted(f for f in os.listdir(fixtures) if f.endswith(".yaml")):
        path = os.path.join(fixtures, name)
        review = run([binary, "admit", "-f", path, "-o", "review"])
        if review.returncode not in (0, 2):
            failures.append(f"{name}: admit exited {review.returncode}: {review.stderr[:300]}")
            continue
        response = json.loads(review.stdout)["response"]
        original = json.loads(run([binary, "admit", "-f", path, "-o", "object"]).stdout)
        expected = snapshot(f"admission__patched@{name}.snap")
        checks += 1
        if response.get("patch"):
            ops = json.loads(base64.b64decode(response["patch"]))
            result = jsonpatch.apply_patch(original, ops)
            patches += 1
        else:
            result = original if response["allowed"] else None
        if result != expected:
            failures.append(f"{name}: python jsonpatch result differs from the snapshot\n  got:  {json.dumps(result)[:300]}\n  want: {json.dumps(expected)[:300]}")
        if result is not None:
            checks += 1
            try:
                kubernetes_validate.validate(result, KUBERNETES, strict=True)
            except Exception as e:  # noqa: BLE001
                failures.append(f"{name}: the patched object is not valid Kubernetes {KUBERNETES}: {str(e).splitlines()[0][:300]}")

        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        profiles = [d for d in docs if d.get("kind") == "ConfigMap" and d.get("metadata", {}).get("name") == "eci-profile"]
        if profiles:
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as tmp:
                yaml.safe_dump(profiles[0], tmp)
            try:
                out = run([binary, "webhook-config", "--profile", tmp.name, "--ca-bundle-file", path, "--kubernetes-version", KUBERNETES])
                if out.returncode == 0:
                    config = yaml.safe_load(out.stdout)
                    checks += 1
                    configs += 1
                    try:
                        kubernetes_validate.validate(config, KUBERNETES, strict=True)
                    except Exception as e:  # noqa: BLE001
                        failures.append(f"{name}: webhook configuration is not valid Kubernetes {KUBERNETES}: {str(e).splitlines()[0][:300]}")
                elif out.returncode != 2:
                    failures.append(f"{name}: webhook-config exited {out.returncode}: {out.stderr[:300]}")
            finally:
                os.remove(tmp.name)

    print(f"admission fixtures: {len([f for f in os.listdir(fixtures) if f.endswith('.yaml')])}; "
          f"patches applied with python jsonpatch: {patches}; webhook configurations validated: {configs}")
    print(f"checks: {checks}, failures: {len(failures)}")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
