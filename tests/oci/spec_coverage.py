"""Every MUST and SHOULD sentence of the runtime spec, and what checks it.

tests/oci/spec-statements.json holds the sentences with MUST or SHOULD of
runtime.md, runtime-linux.md, config.md and config-linux.md (runtime-spec
main at 6999a89, v1.3 text; Windows, Solaris, z/OS and FreeBSD parts and
examples left out; the mount-option table is covered row by row by the
mounts.option.* and mounts.recursive.* tests).  A sentence is covered by
the tests that cite it (a cited text holds 90% of it verbatim), or
classified by REASONS below: a requirement on whoever writes config.json,
or something this host cannot exercise.
"""
import difflib
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))

# (regex on the sentence, why no test checks it)
REASONS = [
    (r"c:\\\\|For all other platforms", "other platforms (Windows, Solaris, ...)."),
    (r"Additional values MAY be defined by the runtime", "definitional: applies to runtime-specific states (runc's `paused` is one; cli.pause_resume uses it)."),
    (r"The value SHOULD be the conventional rootfs", "a requirement on the config's author."),
    (r"Keys SHOULD be named using a reverse domain|org.opencontainers namespace|All other keys in the org.opencontainers", "requirements on annotation authors and on future specs."),
    (r"The same type, major and minor SHOULD NOT be used", "a requirement on the config's author."),
    (r"The value of cgroupsPath MUST be either an absolute path or a relative path", "a tautology on the config; both kinds are tested (cgroupsPath.*)."),
    (r"MAY consider certain cgroupsPath values to be invalid", "which values are invalid is the runtime's choice."),
    (r"MAY, during a particular container operation.*fit for purpose", "the check itself is optional (MAY)."),
    (r"You MUST specify at least one of", "a requirement on the config's author."),
    (r"quota \(int64|burst \(uint64", "requirements on the config's author (runtimes MAY error)."),
    (r"checkBeforeUpdate|If enabled \(true\), runtime MAY check if a new memory limit", "concerns `update` on cgroup v2; v1 refuses such limits itself."),
    (r"cgroup ownership|Cgroup ownership|delegate|MUST fall back to using the following list|ownership of any other files|MUST NOT fail in this scenario", "cgroup v2 delegation; this host's controllers are v1 (cgroups.ownership.v1_unchanged checks the v1 rule)."),
    (r"intelRdt|resctrl|closID|l3CacheSchema|memBwSchema|schemata|MON group|CTRL_MON|MB: and|L3: and|The value MUST NOT contain newlines|The following rules on parameters MUST be applied", "Intel RDT: no resctrl on this host (linux.intelRdt.no_resctrl checks the required error)."),
    (r"network interface|network device|interface's lifecycle|move the interface|allow the move|IFA_F_PERMANENT", "netDevices beyond moving, renaming and bringing up one veth (linux.netDevices) needs addresses and namespaces lifecycles this suite does not set up."),
    (r"CPU affinity after the process is moved", "execCPUAffinity applies to exec'd processes only."),
    (r"This socket MUST use AF_UNIX domain and SOCK_STREAM type", "the agent creates the socket (seccomp.notify's agent is AF_UNIX/SOCK_STREAM)."),
    (r"options field of the mounts structure SHOULD contain either idmap or ridmap", "a requirement on the config's author."),
    (r"The \"MUST\" options correspond to mount\(8\)", "definitional; every option of the table has a mounts.option.* test."),
]


def norm(s):
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def cites_sentence(sentence, cited):
    """A cited text checks a sentence when it contains the sentence, or a
    stretch of 90% of it (citations trim or join sentences)."""
    if sentence in cited:
        return True
    m = difflib.SequenceMatcher(None, sentence, cited, autojunk=False).find_longest_match(
        0, len(sentence), 0, len(cited))
    return m.size >= 0.9 * len(sentence)


def statements():
    with open(os.path.join(HERE, "spec-statements.json")) as f:
        return json.load(f)


def coverage(tests):
    """[(doc, section, sentence, [test names], reason)]"""
    cites = [(t.name, norm(s)) for t in tests for _a, s in t.spec]
    rows = []
    for doc, sec, sent in statements():
        ns = norm(sent)
        hits = sorted({n for n, c in cites if cites_sentence(ns, c)})
        reason = None
        if not hits:
            for rx, why in REASONS:
                if re.search(rx, sent):
                    reason = why
                    break
        rows.append((doc, sec, sent, hits, reason))
    return rows


def print_coverage(tests):
    rows = coverage(tests)
    n_cov = sum(1 for r in rows if r[3])
    n_why = sum(1 for r in rows if not r[3] and r[4])
    n_open = len(rows) - n_cov - n_why
    print("## Every MUST and SHOULD sentence\n")
    print("%d sentences: %d checked by tests, %d not testable here or not a runtime requirement (reason given), %d open.\n"
          % (len(rows), n_cov, n_why, n_open))
    doc = None
    for d, sec, sent, hits, why in rows:
        if d != doc:
            doc = d
            print("\n### %s\n" % d)
            print("| section | sentence | tests |")
            print("|---|---|---|")
        shown = ", ".join(hits[:6]) + (" (+%d)" % (len(hits) - 6) if len(hits) > 6 else "")
        print("| %s | %s | %s |" % (sec, sent.replace("|", "\\|"),
                                    shown or ("*not tested:* " + why if why else "**OPEN**")))
    return n_open
