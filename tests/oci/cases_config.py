"""config.json validity: required fields, valid values, annotations,
extensibility, and malformed or hostile input (config.md, issue 8)."""
import json
import os

from ocilib import die, find_cgroup_dirs
from suite import CFG, ISSUE, inside, register

S_VALID = (CFG + "#valid-values", "Runtimes MUST generate an error when invalid or unsupported values are encountered.")
S_EXT = (CFG + "#configExtensibility", "Runtimes MAY log unknown properties but MUST otherwise ignore them. That includes not generating errors if they encounter an unknown property.")
S_ANN = (CFG + "#configAnnotations", "Annotations MUST be a key-value map. Keys MUST be strings. Keys MUST NOT be an empty string. Values MUST be strings.")
S_HOSTILE = (ISSUE, "Malformed or hostile config.json (missing fields, wrong types, absurd values, paths escaping the bundle through .. or symlinks): a clear error, nothing created on the host.")


def setup_unknown(c, ctx):
    c.config["vesselUnknownTopLevel"] = {"nested": [1, 2, 3]}
    c.config["process"]["vesselUnknownProcessField"] = True
    c.config["linux"]["vesselUnknownLinuxField"] = "x"
    c.config["mounts"][0]["vesselUnknownMountField"] = 7
    c.config["root"]["vesselUnknownRootField"] = None


inside("config.unknown_properties_ignored", [S_EXT], setup=setup_unknown,
       check=lambda r, ctx, c: r.want("uid", 0))

inside("config.annotations.unknown_keys_ignored", [(CFG + "#configAnnotations", "Runtimes MUST handle unknown annotation keys like any other unknown property.")],
       setup=lambda c, ctx: c.patch({"annotations": {"com.example.vessel.unknown": "1", "org.opencontainers.image.os": "linux"}}),
       check=lambda r, ctx, c: r.want("uid", 0))

inside("config.annotations.empty_key", [S_ANN, S_VALID],
       setup=lambda c, ctx: c.patch({"annotations": {"": "value"}}), error="create")

inside("config.annotations.non_string_value", [S_ANN, S_VALID],
       setup=lambda c, ctx: c.patch({"annotations": {"com.example.n": 5}}), error="create")

inside("config.ociVersion.not_semver", [(CFG + "#configSpecificationVersion", "ociVersion (string, REQUIRED) MUST be in SemVer v2.0.0 format and specifies the version of the Open Container Initiative Runtime Specification with which the bundle complies."), S_VALID],
       setup=lambda c, ctx: c.patch({"ociVersion": "not-a-version"}), error="create")


def drop(*path):
    def setup(c, ctx):
        d = c.config
        for k in path[:-1]:
            d = d[k]
        del d[path[-1]]
    return setup


for name, path, spec in (
        ("ociVersion", ("ociVersion",), (CFG + "#configSpecificationVersion", "ociVersion (string, REQUIRED)")),
        ("root", ("root",), (CFG + "#configRoot", "On all other platforms, this field is REQUIRED.")),
        ("root.path", ("root", "path"), (CFG + "#configRoot", "path (string, REQUIRED) Specifies the path to the root filesystem for the container.")),
        ("process.cwd", ("process", "cwd"), (CFG + "#configProcess", "cwd (string, REQUIRED) is the working directory that will be set for the executable.")),
        ("process.user.uid", ("process", "user", "uid"), (CFG + "#configPOSIXUser", "uid (int, REQUIRED) specifies the user ID in the container namespace.")),
        ("mounts.destination", ("mounts", 0, "destination"), (CFG + "#configMounts", "destination (string, REQUIRED) Destination of mount point: path inside container.")),
        ("namespaces.type", ("linux", "namespaces", 0, "type"), ("config-linux.md#configLinuxNamespaces", "type (string, REQUIRED) - namespace type."))):
    inside("config.missing." + name, [spec, S_VALID, S_HOSTILE], setup=drop(*path), error="create")


def set_value(path, value):
    def setup(c, ctx):
        d = c.config
        for k in path[:-1]:
            d = d.setdefault(k, {}) if isinstance(k, str) else d[k]
        d[path[-1]] = value
    return setup


WRONG = [
    ("args_string", ("process", "args"), "/bin/checker info"),
    ("uid_string", ("process", "user", "uid"), "0"),
    ("uid_negative", ("process", "user", "uid"), -1),
    ("uid_too_big", ("process", "user", "uid"), 1 << 40),
    ("env_not_strings", ("process", "env"), [1, 2]),
    ("mounts_object", ("mounts",), {"destination": "/x"}),
    ("memory_limit_string", ("linux", "resources", "memory", "limit"), "64M"),
    ("rlimit_huge", ("process", "rlimits"), [{"type": "RLIMIT_NOFILE", "soft": 1e30, "hard": 1e30}]),
    ("namespaces_string", ("linux", "namespaces"), "pid"),
    ("readonly_string", ("root", "readonly"), "yes"),
    ("hostname_too_long", ("hostname",), "h" * 300),
]

for name, path, value in WRONG:
    inside("config.invalid." + name, [S_VALID, S_HOSTILE], level="ISSUE",
           setup=set_value(path, value), error="create")


def raw_config_test(name, text, note):
    @register("config.malformed." + name, [S_VALID, S_HOSTILE], level="ISSUE", note=note, negative=True)
    def _(ctx):
        c = ctx.container()
        c.write()
        with open(os.path.join(c.bundle, "config.json"), "w") as f:
            f.write(text)
        r = ctx.rt.call("create", "--bundle", c.bundle, c.id)
        if r.rc == 0:
            c.created = True
            die("create accepted a malformed config.json")
        if r.rc is None:
            die("create hung on a malformed config.json")
        if c.state() is not None or find_cgroup_dirs(c.id):
            die("the failed create left a container or cgroups behind")
        if not (r.err or r.out).strip():
            die("no error message for a malformed config.json")


raw_config_test("not_json", "{ this is not json", "A parse error, with a message.")
raw_config_test("empty", "", "An empty file.")
raw_config_test("array", "[1, 2, 3]", "Valid JSON, not an object.")
raw_config_test("truncated", json.dumps({"ociVersion": "1.0.2", "process": {"args": ["/bin/true"]}})[:-5],
                "Truncated in the middle.")


@register("config.missing_file", [S_VALID, S_HOSTILE], level="ISSUE", negative=True)
def _(ctx):
    c = ctx.container()
    r = ctx.rt.call("create", "--bundle", c.bundle, c.id)
    if r.rc == 0:
        c.created = True
        die("create succeeded without a config.json")
    if not (r.err or r.out).strip():
        die("no error message for a missing config.json")
