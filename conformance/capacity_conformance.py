#!/usr/bin/env python3
"""Conformance of elastic capacity: ElasticWorkload, overflow, unit priority.

1. Every Kubernetes document in fixtures/elastic, fixtures/overflow and
   fixtures/units validates with kubernetes-validate (inputs are real objects).
2. ElasticWorkload (`eci-bridge elastic`): every produced Deployment, Event
   and the autoscaling/v1 Scale validate with kubernetes-validate; the
   generated CRD validates; every produced ElasticWorkload (with status)
   validates against that CRD's openAPIV3Schema (jsonschema).
3. Overflow (`eci-bridge overflow`): for every pod that moves, the python
   `jsonpatch` package applies our patch to the pod and gets our patched pod,
   which validates with kubernetes-validate.
4. Unit priority (`eci-bridge units`): the same for every placed pod.

Usage: capacity_conformance.py <eci-bridge binary> <fixtures dir>
"""

import json
import os
import sys

import jsonpatch
import jsonschema
import yaml

from common import Report, run, validate, validate_fixture_documents, yaml_files

# Custom resources kubernetes-validate has no schema for.
CUSTOM_KINDS = {"ElasticWorkload", "ResourcePolicy"}






def elastic(binary, directory, report, stats, schema):
    for path in yaml_files(directory):
        name = os.path.basename(path)
        res = run([binary, "elastic", "-f", path])
        if res.returncode == 2:
            stats["elastic_rejected"] += 1
            continue
        report.check(res.returncode == 0, f"{name}: elastic exited {res.returncode}: {res.stderr[:300]}")
        if res.returncode != 0:
            continue
        stats["elastic"] += 1
        for item in yaml.safe_load(res.stdout)["items"]:
            if item["kind"] == "ElasticWorkload":
                try:
                    jsonschema.validate(item, schema)
                    report.check(True, "")
                    stats["ElasticWorkload (CRD schema)"] += 1
                except jsonschema.ValidationError as e:
                    report.check(False, f"{name}: the ElasticWorkload does not match its CRD schema: {e.message[:300]}")
            else:
                validate(item, name, report, stats["produced"])
        for event in yaml.safe_load(run([binary, "elastic", "-f", path, "-o", "events"]).stdout) or []:
            validate(event, f"{name} event", report, stats["produced"])
        validate(yaml.safe_load(run([binary, "elastic", "-f", path, "-o", "scale"]).stdout), f"{name} scale", report, stats["produced"])


def patched_pods(binary, command, directory, report, stats, moved_key):
    for path in yaml_files(directory):
        name = os.path.basename(path)
        res = run([binary, command, "-f", path])
        if res.returncode != 0:
            stats[f"{command}_rejected"] += 1
            continue
        decision = yaml.safe_load(res.stdout)
        patch = decision.get("patch") or []
        patched = decision.get("patched")
        if not patched:
            continue
        with open(path) as f:
            pods = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "Pod"]
        original = dict(pods[-1])
        original.pop("status", None)
        applied = jsonpatch.apply_patch(original, patch)
        report.check(applied == patched, f"{name}: python jsonpatch gives another pod than ours:\n  theirs {json.dumps(applied, sort_keys=True)[:300]}\n  ours   {json.dumps(patched, sort_keys=True)[:300]}")
        validate(patched, f"{name} patched", report, stats["produced"])
        stats[moved_key] += 1


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, fixtures = sys.argv[1], sys.argv[2]
    report = Report()
    inputs = {}
    for kind in ("elastic", "overflow", "units"):
        validate_fixture_documents(os.path.join(fixtures, kind), report, inputs, CUSTOM_KINDS)
    stats = {"elastic": 0, "elastic_rejected": 0, "ElasticWorkload (CRD schema)": 0, "produced": {},
             "moved": 0, "overflow_rejected": 0, "placed": 0, "units_rejected": 0}

    crd = yaml.safe_load(run([binary, "elastic", "--crd"]).stdout)
    validate(crd, "the ElasticWorkload CRD", report, stats["produced"])
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    elastic(binary, os.path.join(fixtures, "elastic"), report, stats, schema)
    patched_pods(binary, "overflow", os.path.join(fixtures, "overflow"), report, stats, "moved")
    patched_pods(binary, "units", os.path.join(fixtures, "units"), report, stats, "placed")

    print("fixture input documents validated: " + ", ".join(f"{v} {k}" for k, v in sorted(inputs.items())))
    print(f"elastic fixtures reconciled: {stats['elastic']} (rejected by design: {stats['elastic_rejected']}); "
          f"ElasticWorkloads valid against the CRD schema: {stats['ElasticWorkload (CRD schema)']}")
    print(f"overflow patches applied with python jsonpatch: {stats['moved']}; unit placements: {stats['placed']} (rejected by design: {stats['units_rejected']})")
    print("produced Kubernetes objects validated: " + ", ".join(f"{v} {k}" for k, v in sorted(stats["produced"].items())))
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
