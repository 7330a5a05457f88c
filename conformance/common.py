"""Helpers shared by the conformance scripts."""

import subprocess


class Report:
    """Counts checks and keeps the failures."""

    def __init__(self):
        self.failures = []
        self.checks = 0

    def check(self, ok, what):
        self.checks += 1
        if not ok:
            self.failures.append(what)


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
