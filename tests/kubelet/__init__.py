"""A local kubelet for flink-render's tests: runs a rendered YAML stream on a real Flink, with no
container runtime, and serves it through a small Kubernetes API (DESIGN §8). Needs root, Linux
namespaces, overlayfs, iproute2, util-linux (nsenter), openssl and a JDK under /usr; Python
stdlib only.

    from kubelet import Cluster, build_job_jar
    with Cluster(flink_homes={"1": FLINK_HOME_1, "2": FLINK_HOME_2},
                 image_files={"/opt/flink/examples/streaming/StateMachineExample.jar": jar}) as cluster:
        cluster.apply(objects)                 # the rendered stream, parsed
        cluster.wait_ready()                   # every Deployment's pods ready
        cluster.rest_json("my-app-rest", "/overview")
        cluster.api.request("GET", "/api/v1/namespaces/default/configmaps")   # as the admin
        cluster.api.calls                      # every API request: user, verb, resource, name, code

What it emulates
  * Objects: one store (store.py) filled by apply() (like `kubectl apply -n <namespace>`; Job and
    Pod specs are immutable, as in Kubernetes) and by the Kubernetes API (api.py: HTTPS on the
    node address, in-cluster service-account tokens, RBAC from the stored Roles with every call
    recorded, watches; see its doc for what it serves and leaves out), with uids,
    resourceVersions and garbage collection by ownerReference; admission at pod creation,
    whoever creates the pod (admission.py: the ServiceAccount must exist; the namespace's Pod
    Security `enforce` level); bare Pods (applied or created through the API) run as they are, with a
    Deployment → ReplicaSet → Pod controller (pods named <deployment>-<template hash>-<suffix>,
    keyed by revision; a changed template makes a new ReplicaSet whose pods replace the old ones
    once ready, or after them for `strategy: Recreate`), a Job controller (a pod per attempt,
    backoffLimit, activeDeadlineSeconds) and an endpoints controller. Replicas are capped
    (replica_cap, default 2) so big specs fit on a small machine; the cap is listed in `notes`.
  * Pods: a network namespace each with its own address on a bridge that lives in a namespace
    the harness created (nothing listens or connects in the host's namespace); hostname = pod name
    cut to 63 characters; a private /etc/hosts, refreshed in place, resolving every Service name
    (`svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`) to the addresses of the *ready*
    pods it selects (publishNotReadyAddresses honoured) plus hostAliases; init containers in
    order, then the containers.
  * Containers: the image's ENTRYPOINT/CMD overridden by `command`/`args` as Kubernetes does, with
    `$(VAR)` expansion; the `kubernetes` Service's KUBERNETES_SERVICE_HOST/PORT (and KUBERNETES_PORT*)
    variables; the service-account token, `ca.crt` and `namespace` under
    /var/run/secrets/kubernetes.io/serviceaccount where automountServiceAccountToken (pod, else
    ServiceAccount, else true) says so; `env` and `envFrom` (values, downward API fieldRef/resourceFieldRef,
    configMapKeyRef/secretKeyRef, optional refs); every volumeMount (configMap, secret, projected,
    downwardAPI volumes laid out like the kubelet with `..data` symlinks, `items`, `defaultMode`,
    always read-only, and updated in place when the object changes (every 2 s here; a real
    kubelet takes up to a minute or two); emptyDir; persistentVolumeClaim as a directory that outlives pods; subPath,
    subPathExpr, readOnly); workingDir; /dev/termination-log (terminationMessagePath and
    FallbackToLogsOnError). Each container gets its own mount namespace with an overlay root (image
    layers + a writable layer), so it cannot see or change the host's files beyond the host's /usr
    and /etc, bound read-only as the image's operating system.
  * Users: runAsUser/runAsGroup (container over pod), fsGroup, supplementalGroups, runAsNonRoot,
    readOnlyRootFilesystem (the root is remounted read-only after the volumes are mounted, so only
    volumes stay writable), allowPrivilegeEscalation: false (no_new_privs). Without runAsUser the
    image's user applies: Flink 2.x images are `USER flink` (9999); 1.x images start as root and
    the entrypoint steps down to 9999 as gosu does, so Flink runs as 9999 either way.
  * The official `flink` image: /opt/flink from the PyPI distribution (1.20.5 for pods whose
    ConfigMap holds flink-conf.yaml, 2.3.0 for config.yaml; else by image tag), owned by flink,
    with no usrlib (only a volume provides it, as in the image) and no example jars (tests bake
    their jar in with `image_files`), and /docker-entrypoint.sh re-implemented in entrypoint.py
    (config-parser-utils rewrite of the conf dir, FLINK_PROPERTIES, ENABLE_BUILT_IN_PLUGINS,
    jobmanager / standalone-job / taskmanager / history-server dispatch, pass-through of any other
    command). Containers whose image is not a Flink image run `sleep infinity` as a stand-in.
  * Deletion: preStop exec hooks run in the container, then SIGTERM; terminationGracePeriodSeconds
    (capped by grace_cap_s) bounds both, then SIGKILL.
  * Readiness: startupProbe and readinessProbe (httpGet on a named or numbered port, tcpSocket,
    exec) with initialDelaySeconds, periodSeconds, timeoutSeconds, success/failureThreshold;
    without probes, "process alive and, for a JobManager, GET /config on its REST port answers".
  * Processes: started by one control-loop thread with a parent-death signal (re-armed after
    every credential change), each container its own process group; close() (also at exit and
    from pytest finalizers) sends SIGTERM, waits up to grace_cap_s, SIGKILLs the process groups
    and sweeps every process left in the cluster's network namespaces. Namespaces are held by
    processes only (nothing under /run/netns), mounts live in the containers' private mount
    namespaces: nothing is left behind on the host but the work dir, which close() removes.

What it does not emulate
  scheduling, nodes, resource requests/limits (no cgroups: memory and cpu are not enforced),
  image pulls and any non-Flink image (stand-in `sleep`), container restarts (a container that
  exits stays terminated; restartPolicy Always and probe failures only log an event), liveness
  probes, HTTPS/gRPC probes, a PID namespace (processes see the host's), capabilities, seccomp,
  AppArmor/SELinux, network policies, kube-proxy (a Service name resolves straight to pod
  addresses; ports are not remapped, ClusterIP/NodePort/LoadBalancer/ExternalName behave like
  headless), DNS (only /etc/hosts; unknown names fail fast; `kubernetes.default.svc` is the API),
  the service-link env vars of other Services, Ingress, token expiry and audiences (a token is an opaque string per
  ServiceAccount, not a JWT), the parts of the Kubernetes API api.py leaves out, any operator,
  jemalloc, and remote file systems (s3://, gs://: the PyPI distribution has no such plugin).
"""

from .cluster import Cluster, HarnessError, JobResult, Pod, WaitTimeout  # noqa: F401
from .image import ImageStore  # noqa: F401
from .testjob import JOB_CLASS, build_job_jar  # noqa: F401
