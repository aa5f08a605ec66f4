#!/usr/bin/env python3
"""OCI runtime conformance suite (issue 8).

Runs every test against Vessel (build/vessel-runc), runc and crun (through
crun-legacy) in the same run, or against RUNTIME=PATH alone, and prints a
table test x runtime, then the `N passed, N failed` line for Vessel.
The run fails when Vessel fails a test runc or crun passes (the
acceptance gate); OCI_STRICT=0 only reports it.  See docs/oci-conformance.md.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import suite  # noqa: E402
import cases_lifecycle  # noqa: E402,F401
import cases_process  # noqa: E402,F401
import cases_mounts  # noqa: E402,F401
import cases_linux  # noqa: E402,F401
import cases_cgroups  # noqa: E402,F401
import cases_seccomp  # noqa: E402,F401
import cases_hooks  # noqa: E402,F401
import cases_config  # noqa: E402,F401
import cases_cli  # noqa: E402,F401
import cases_robust  # noqa: E402,F401

if __name__ == "__main__":
    sys.exit(suite.main("OCI conformance", sys.argv[1:]))
