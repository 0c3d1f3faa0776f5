#!/usr/bin/python3 -I
"""/docker-entrypoint.sh of the harness's fake `flink` image (our own re-implementation).

Behaviour of the official image's entrypoint (apache/flink-docker; described in
shared/reference/flink-runtime.md §4), re-implemented here because its script is not ours to
ship:

 1. JOB_MANAGER_RPC_ADDRESS defaults to `hostname -f`.
 2. Images of Flink >= 2.0 (Dockerfile `USER flink`) warn when running as root; 1.x images start as
    root and step down to `flink` (uid/gid 9999) with gosu for the final exec, unless already
    non-root. Here the step-down is setgroups/setgid/setuid + HOME=/opt/flink, what gosu does.
 3. jemalloc is preloaded in the image; not here (a note is printed instead).
 4. ENABLE_BUILT_IN_PLUGINS="a.jar;b.jar": each opt/<jar> is linked into plugins/<name>/ (exit 1 if
    missing).
 5. Always: `$FLINK_HOME/bin/config-parser-utils.sh conf bin lib -Djobmanager.rpc.address=<1.>
    -Dblob.server.port=6124 -Dquery.server.port=6125 [-Dtaskmanager.numberOfTaskSlots=$TASK_MANAGER_NUMBER_OF_TASK_SLOTS]`,
    then once more with the FLINK_PROPERTIES lines (`key: value`, value through envsubst). On a
    read-only conf mount (a ConfigMap volume) the rewrite fails with "Read-only file system" and is
    ignored, as in the image. There the script's JVM reads the configuration and only the final
    `> conf/<file>` fails: here, when the file (or, missing, the directory) cannot be written, the
    JVM is not started and the shell's error is printed, which ends the same way and saves two
    JVM starts per container on two cores.
 6. `jobmanager`, `standalone-job`, `taskmanager`, `history-server` (and `sql-gateway` on 1.x) exec
    `$FLINK_HOME/bin/<script> start-foreground <rest>`; `help` prints usage; anything else is
    exec'd as given (pass-through), after the step-down of 2.
"""

import ctypes
import ctypes.util
import os
import re
import signal
import socket
import subprocess
import sys

# Replaced when the image layer is built: True for 1.x images (start as root, step down to flink).
STEP_DOWN_TO_FLINK = False
FLINK_UID = 9999
FLINK_GID = 9999


def say(msg: str) -> None:
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def step_down() -> None:
    if not STEP_DOWN_TO_FLINK or os.getuid() != 0:
        return
    os.setgroups([FLINK_GID])
    os.setgid(FLINK_GID)
    os.setuid(FLINK_UID)
    os.environ["HOME"] = "/opt/flink"
    # a credential change clears the parent-death signal the harness armed: arm it again
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)


def envsubst(text: str) -> str:
    def repl(m):
        return os.environ.get(m.group(1) or m.group(2), "")

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", repl, text)


def conf_file(conf: str) -> str:
    """The file config-parser-utils.sh writes: flink-conf.yaml where one exists (Flink 1.x), else
    config.yaml."""
    legacy = f"{conf}/flink-conf.yaml"
    return legacy if os.path.exists(legacy) else f"{conf}/config.yaml"


def set_config_options(pairs: list) -> None:
    if not pairs:
        return
    home = os.environ.get("FLINK_HOME", "/opt/flink")
    target = conf_file(f"{home}/conf")
    if not os.access(target if os.path.exists(target) else f"{home}/conf", os.W_OK):
        # the script's last step, `echo "$result" > "$CONF_FILE"`, would fail (see step 5 above)
        sys.stderr.write(f"{home}/bin/config-parser-utils.sh: {target}: Read-only file system\n")
        return
    cmd = [f"{home}/bin/config-parser-utils.sh", f"{home}/conf", f"{home}/bin", f"{home}/lib"]
    cmd += [f"-D{k}={v}" for k, v in pairs]
    subprocess.run(cmd, check=False)  # like the image: the exit status is not looked at


def flink_properties(content: str) -> list:
    pairs = []
    for prop in content.split("\n"):
        prop = re.sub(r"\s", "", prop) if STEP_DOWN_TO_FLINK else prop.strip()
        if not prop:
            continue
        key, _, value = prop.partition(":")
        value = " ".join(value.split())  # `echo $value` (unquoted) squeezes whitespace
        pairs.append((key, envsubst(value)))
    return pairs


def exec_(argv: list) -> None:
    step_down()
    sys.stdout.flush()
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        sys.stderr.write(f"/docker-entrypoint.sh: exec {argv[0]}: {e}\n")
        sys.exit(127)


def main(args: list) -> None:
    rpc = os.environ.get("JOB_MANAGER_RPC_ADDRESS") or socket.getfqdn()
    home = os.environ.get("FLINK_HOME", "/opt/flink")

    if not STEP_DOWN_TO_FLINK and os.getuid() == 0:
        say("WARNING: Running as root user is not recommended. Please use a non-root user to run Flink.")
    if os.environ.get("DISABLE_JEMALLOC", "false") == "false":
        say("kubelet-harness: jemalloc is not emulated; glibc malloc is used.")

    plugins = os.environ.get("ENABLE_BUILT_IN_PLUGINS", "")
    if plugins:
        say("Enabling required built-in plugins")
        for jar in plugins.replace(";", " ").split():
            name = jar[:-4] if jar.endswith(".jar") else jar
            say(f"Linking {jar} to plugin directory")
            os.makedirs(f"{home}/plugins/{name}", exist_ok=True)
            if not os.path.exists(f"{home}/opt/{jar}"):
                say(f"Plugin {jar} does not exist. Exiting.")
                sys.exit(1)
            link = f"{home}/plugins/{name}/{jar}"
            if os.path.lexists(link):
                os.remove(link)
            os.symlink(f"{home}/opt/{jar}", link)
            say(f"Successfully enabled {jar}")

    options = [("jobmanager.rpc.address", rpc), ("blob.server.port", "6124"), ("query.server.port", "6125")]
    slots = os.environ.get("TASK_MANAGER_NUMBER_OF_TASK_SLOTS")
    if slots:
        options.append(("taskmanager.numberOfTaskSlots", slots))
    set_config_options(options)
    if os.environ.get("FLINK_PROPERTIES"):
        set_config_options(flink_properties(os.environ["FLINK_PROPERTIES"]))

    scripts = {
        "jobmanager": ("Starting Job Manager", "jobmanager.sh"),
        "standalone-job": ("Starting Job Manager", "standalone-job.sh"),
        "history-server": ("Starting History Server", "historyserver.sh"),
        "taskmanager": ("Starting Task Manager", "taskmanager.sh"),
    }
    if STEP_DOWN_TO_FLINK:
        scripts["sql-gateway"] = ("Starting Sql Gateway", "sql-gateway.sh")
    if args[:1] == ["help"]:
        say(f"Usage: docker-entrypoint.sh ({'|'.join(scripts)})")
        say("    Or docker-entrypoint.sh help")
        sys.exit(0)
    if args and args[0] in scripts:
        banner, script = scripts[args[0]]
        say(banner)
        exec_([f"{home}/bin/{script}", "start-foreground", *args[1:]])
    if not args:
        sys.exit(0)
    exec_(args)


if __name__ == "__main__":
    main(sys.argv[1:])
