"""Run labels: ``--label k=v`` from the command line and well-known CI variables."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from ansiscope.errors import UsageError

# CI variable -> label; only set ones are recorded.
CI_VARIABLES = {
    "GITHUB_RUN_ID": "ci.github.run_id",
    "GITHUB_SHA": "ci.commit",
    "GITHUB_REPOSITORY": "ci.repository",
    "GITHUB_REF_NAME": "ci.ref",
    "GITHUB_WORKFLOW": "ci.job",
    "CI_JOB_ID": "ci.gitlab.job_id",
    "CI_PIPELINE_ID": "ci.gitlab.pipeline_id",
    "CI_COMMIT_SHA": "ci.commit",
    "CI_PROJECT_PATH": "ci.repository",
    "CI_COMMIT_REF_NAME": "ci.ref",
    "CI_JOB_NAME": "ci.job",
    "BUILD_URL": "ci.build_url",
    "BUILD_NUMBER": "ci.build_number",
    "JOB_NAME": "ci.job",
    "GIT_COMMIT": "ci.commit",
    "BUILDKITE_BUILD_ID": "ci.buildkite.build_id",
}


def ci_labels(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Labels from the CI variables set in ``env`` (default: this process's)."""
    env = os.environ if env is None else env
    return {label: env[var] for var, label in CI_VARIABLES.items() if env.get(var)}


def parse_labels(pairs: Iterable[str]) -> dict[str, str]:
    """``["team=sre", "env=prod"]`` as a dict; a pair without ``=`` is a usage error."""
    labels: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--label {pair!r}: expected KEY=VALUE")
        labels[key.strip()] = value.strip()
    return labels


def run_labels(pairs: Iterable[str], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """CI labels, overridden by explicit ``--label`` pairs."""
    return {**ci_labels(env), **parse_labels(pairs)}
