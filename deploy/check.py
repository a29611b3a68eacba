"""``make deploy-check``: render, validate and inspect everything in deploy/.

1. Renders the Kustomize base and every overlay with ``kubectl kustomize``
   from a temporary copy of deploy/ in which each ``secrets.env`` is written
   from its committed ``secrets.env.example`` (the real, uncommitted file is
   never read, and rendering works on a fresh clone).
2. Validates every rendered object against the Kubernetes OpenAPI schemas
   with ``kubernetes-validate`` (strict: unknown fields are errors), offline:
   the schemas ship inside the package.
3. Checks the properties the deployment promises: probes, requests and
   limits, non-root read-only containers, an emptyDir for /tmp, references
   that resolve, NetworkPolicies that open only each service's port, a
   migration Job per service, and per overlay its replicas, autoscalers,
   disruption budgets and database.
4. Checks the Dockerfiles and the compose file statically (no Docker engine
   is needed or used) and scans the files git would commit for secret values.

Prints a report with the object counts per overlay; exits 1 on any failure.
"""

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent
REPOSITORY = DEPLOY.parent
TARGETS = ["base", "overlays/dev", "overlays/prod"]
SERVICES = {"cache": 8001, "catalog": 8002, "results": 8003}
# The dashboard (sim2l-web): one more Deployment of the same shape, with no
# database and so no migration Job; it only talks to the services.
DASHBOARD = "web"
DASHBOARD_PORT = 8000
DASHBOARD_APP = "sim2l_web.app:create_app()"
DEFAULT_KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
SERVING_KINDS = {"Deployment", "StatefulSet", "DaemonSet"}


class Report:
    """Collects failures and notes, and prints them at the end."""

    def __init__(self):
        self.failures = []
        self.notes = []

    def fail(self, where: str, message: str) -> None:
        """Record a failed check."""
        self.failures.append(f"{where}: {message}")

    def check(self, condition: bool, where: str, message: str) -> bool:
        """Record a failure unless ``condition``; return the condition."""
        if not condition:
            self.fail(where, message)
        return bool(condition)

    def note(self, message: str) -> None:
        """Record something worth saying that is not a failure."""
        self.notes.append(message)


# ---------------------------------------------------------------------------
# Rendering


def kubectl() -> str:
    """The kubectl binary (its built-in kustomize renders without a cluster)."""
    found = shutil.which("kubectl") or (
        "/usr/bin/kubectl" if Path("/usr/bin/kubectl").exists() else None
    )
    if not found:
        raise SystemExit("deploy-check needs kubectl (for `kubectl kustomize`; no cluster is used)")
    return found


def prepare_copy(destination: Path) -> Path:
    """Copy deploy/ to ``destination`` and write every secrets.env from its example."""
    copy = destination / "deploy"
    shutil.copytree(
        DEPLOY, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "tests")
    )
    for example in copy.rglob("*.env.example"):
        example.with_suffix("").write_text(example.read_text())
    return copy


def render(copy: Path, target: str) -> list[dict]:
    """``kubectl kustomize`` one target of the copy; the objects it yields."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(copy / target)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {target} failed:\n{result.stderr.strip()}")
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def object_name(obj: dict) -> str:
    """``Kind/name`` of a rendered object."""
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


# ---------------------------------------------------------------------------
# Schema validation


def validate_schemas(objects: list[dict], versions: list[str], where: str, report: Report) -> int:
    """Validate every object against each Kubernetes version's schemas (strict)."""
    import kubernetes_validate

    checked = 0
    for version in versions:
        for obj in objects:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                path = ".".join(str(part) for part in error.path)
                report.fail(
                    f"{where} {object_name(obj)}",
                    f"invalid for Kubernetes {version}: {path}: {error.message}",
                )
            except (
                kubernetes_validate.SchemaNotFoundError,
                kubernetes_validate.InvalidSchemaError,
            ) as error:
                report.fail(
                    f"{where} {object_name(obj)}", f"no schema for Kubernetes {version}: {error}"
                )
            checked += 1
    return checked


# ---------------------------------------------------------------------------
# Workload properties


def pod_spec(obj: dict) -> dict:
    """The pod spec inside a workload object."""
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("spec", {})


def pod_labels(obj: dict) -> dict:
    """The pod template labels of a workload object."""
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("metadata", {}).get("labels", {})


def check_container(container: dict, pod: dict, serving: bool, where: str, report: Report) -> None:
    """Probes, resources and security settings of one container."""
    where = f"{where} container {container.get('name')}"
    if serving:
        report.check("livenessProbe" in container, where, "no livenessProbe")
        report.check("readinessProbe" in container, where, "no readinessProbe")
    resources = container.get("resources", {})
    for section in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            report.check(resource in resources.get(section, {}), where, f"no {section}.{resource}")
    security = container.get("securityContext", {})
    pod_security = pod.get("securityContext", {})
    report.check(
        security.get("allowPrivilegeEscalation") is False,
        where,
        "allowPrivilegeEscalation is not false",
    )
    report.check(
        security.get("readOnlyRootFilesystem") is True, where, "readOnlyRootFilesystem is not true"
    )
    report.check(
        "ALL" in security.get("capabilities", {}).get("drop", []),
        where,
        "capabilities.drop lacks ALL",
    )
    report.check(security.get("privileged") is not True, where, "privileged")
    non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
    report.check(non_root is True, where, "runAsNonRoot is not true (pod or container)")
    user = security.get("runAsUser", pod_security.get("runAsUser"))
    report.check(user != 0, where, "runAsUser is 0")
    image = container.get("image", "")
    report.check(
        bool(image) and not image.endswith(":latest"), where, f"image {image!r} is empty or :latest"
    )
    mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    tmp = volumes.get(mounts.get("/tmp"), {})
    report.check("emptyDir" in tmp, where, "no emptyDir mounted at /tmp")


def check_workloads(objects: list[dict], where: str, report: Report) -> None:
    """Every container of every workload: probes (serving ones), limits, security."""
    for obj in objects:
        if obj["kind"] not in WORKLOAD_KINDS:
            continue
        pod = pod_spec(obj)
        here = f"{where} {object_name(obj)}"
        report.check(
            pod.get("automountServiceAccountToken") is False, here, "mounts a service account token"
        )
        for container in pod.get("containers", []):
            check_container(container, pod, obj["kind"] in SERVING_KINDS, here, report)
        for container in pod.get("initContainers", []):
            check_container(container, pod, False, here, report)


def check_services(objects: list[dict], where: str, report: Report) -> None:
    """Each sim2l service: its Deployment shape, Service, NetworkPolicy and migration Job."""
    by_kind = collections.defaultdict(dict)
    for obj in objects:
        by_kind[obj["kind"]][obj["metadata"]["name"]] = obj
    for service, port in SERVICES.items():
        name = f"{service}-service"
        here = f"{where} {service}"
        deployment = by_kind["Deployment"].get(name)
        if not report.check(deployment is not None, here, f"no Deployment {name}"):
            continue
        report.check(
            deployment["metadata"].get("labels", {}).get("app") == name,
            here,
            f"Deployment lacks label app: {name}",
        )
        report.check(
            pod_labels(deployment).get("app") == name, here, f"pod template lacks label app: {name}"
        )
        pod = pod_spec(deployment)
        server = next((c for c in pod.get("containers", []) if c.get("name") == "server"), None)
        # Overlay patches address the server as containers/0.
        first = (pod.get("containers") or [{}])[0].get("name")
        report.check(first == "server", here, "the first container is not server")
        if report.check(server is not None, here, "no container named server"):
            ports = {p.get("name"): p.get("containerPort") for p in server.get("ports", [])}
            report.check(ports.get("http") == port, here, f"container port http is not {port}")
            live = server.get("livenessProbe", {}).get("httpGet", {})
            ready = server.get("readinessProbe", {}).get("httpGet", {})
            report.check(live.get("path") == "/health", here, "liveness probe is not GET /health")
            report.check(ready.get("path") == "/ready", here, "readiness probe is not GET /ready")
            env = {item["name"]: item for item in server.get("env", [])}
            for variable in (
                "SIM2L_SECRET_KEY",
                "SIM2L_SESSIONS_DATABASE_URL",
                f"SIM2L_{service.upper()}_DATABASE_URL",
            ):
                report.check(
                    "secretKeyRef" in env.get(variable, {}).get("valueFrom", {}),
                    here,
                    f"{variable} does not come from a Secret",
                )
        report.check(
            pod.get("serviceAccountName") == name and name in by_kind["ServiceAccount"],
            here,
            f"no ServiceAccount {name} in use",
        )
        kube_service = by_kind["Service"].get(name)
        if report.check(kube_service is not None, here, f"no Service {name}"):
            report.check(
                kube_service["spec"].get("selector") == {"app": name},
                here,
                "Service selector is not app",
            )
            service_ports = [
                (p.get("name"), p.get("port")) for p in kube_service["spec"].get("ports", [])
            ]
            report.check(
                service_ports == [("http", port)],
                here,
                f"Service ports are {service_ports}, not http:{port}",
            )
        policies = [
            p
            for p in by_kind["NetworkPolicy"].values()
            if p["spec"].get("podSelector", {}).get("matchLabels") == {"app": name}
        ]
        if report.check(policies, here, "no NetworkPolicy selects the service"):
            opened = {
                port_rule.get("port")
                for policy in policies
                for rule in policy["spec"].get("ingress", [])
                for port_rule in rule.get("ports", [])
            }
            report.check(
                opened == {port},
                here,
                f"NetworkPolicy opens ports {sorted(opened)}, not only {port}",
            )
        deny = [
            p
            for p in by_kind["NetworkPolicy"].values()
            if "Ingress" in p["spec"].get("policyTypes", [])
            and not p["spec"].get("ingress")
            and set(p["spec"].get("podSelector", {}).get("matchLabels", {}).items())
            <= set(pod_labels(deployment).items())
        ]
        report.check(deny, here, "no default-deny ingress NetworkPolicy covers the pods")
        job = by_kind["Job"].get(f"{service}-migrate")
        if report.check(job is not None, here, f"no migration Job {service}-migrate"):
            container = pod_spec(job)["containers"][0]
            report.check(
                container.get("command", [])[:2] == [f"sim2l-{service}-service", "migrate"],
                here,
                "the migration Job does not run `migrate`",
            )
            report.check(
                server is None or container.get("image") == server.get("image"),
                here,
                "the migration Job runs another image than the Deployment",
            )
    results = by_kind["Deployment"].get("results-service")
    if results:
        claims = [
            v.get("persistentVolumeClaim", {}).get("claimName")
            for v in pod_spec(results).get("volumes", [])
        ]
        report.check(
            any(claim in by_kind["PersistentVolumeClaim"] for claim in claims),
            f"{where} results",
            "the results service mounts no PersistentVolumeClaim for its run files",
        )


def check_dashboard(objects: list[dict], where: str, report: Report) -> None:
    """The dashboard: Deployment, Service, ServiceAccount, probes, its own NetworkPolicy."""
    named = {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}
    here = f"{where} {DASHBOARD}"
    deployment = named.get(("Deployment", DASHBOARD))
    if not report.check(deployment is not None, here, f"no Deployment {DASHBOARD}"):
        return
    report.check(
        pod_labels(deployment).get("app") == DASHBOARD, here, f"pod lacks label app: {DASHBOARD}"
    )
    pod = pod_spec(deployment)
    containers = pod.get("containers") or [{}]
    server = containers[0]
    report.check(server.get("name") == "server", here, "the first container is not server")
    ports = {p.get("name"): p.get("containerPort") for p in server.get("ports", [])}
    report.check(ports.get("http") == DASHBOARD_PORT, here, f"port http is not {DASHBOARD_PORT}")
    for probe, path in (("livenessProbe", "/health"), ("readinessProbe", "/ready")):
        got = server.get(probe, {}).get("httpGet", {}).get("path")
        report.check(got == path, here, f"{probe} is not GET {path}")
    env = {item["name"]: item for item in server.get("env", [])}
    report.check(
        "secretKeyRef" in env.get("SIM2L_SECRET_KEY", {}).get("valueFrom", {}),
        here,
        "SIM2L_SECRET_KEY does not come from a Secret",
    )
    for service, port in SERVICES.items():
        variable = f"SIM2L_{service.upper()}_SERVICE_URL"
        report.check(
            env.get(variable, {}).get("value") == f"http://{service}-service:{port}",
            here,
            f"{variable} is not the in-cluster {service} Service",
        )
    report.check(
        not any(name.endswith("_DATABASE_URL") for name in env),
        here,
        "the dashboard is given a database URL; it reaches the services only",
    )
    report.check(
        pod.get("serviceAccountName") == DASHBOARD and ("ServiceAccount", DASHBOARD) in named,
        here,
        f"no ServiceAccount {DASHBOARD} in use",
    )
    service = named.get(("Service", DASHBOARD))
    if report.check(service is not None, here, f"no Service {DASHBOARD}"):
        service_ports = [(p.get("name"), p.get("port")) for p in service["spec"].get("ports", [])]
        report.check(
            service_ports == [("http", DASHBOARD_PORT)]
            and service["spec"].get("selector") == {"app": DASHBOARD},
            here,
            f"Service is {service_ports} {service['spec'].get('selector')}",
        )
    policy = named.get(("NetworkPolicy", DASHBOARD))
    if report.check(policy is not None, here, "no NetworkPolicy for the dashboard"):
        opened = {
            rule.get("port") for entry in policy["spec"].get("ingress", [])
            for rule in entry.get("ports", [])
        }  # fmt: skip
        reached = {
            rule.get("port") for entry in policy["spec"].get("egress", [])
            for rule in entry.get("ports", [])
        }  # fmt: skip
        report.check(opened == {DASHBOARD_PORT}, here, f"ingress opens {sorted(opened)}")
        report.check(
            reached == set(SERVICES.values()),
            here,
            f"egress reaches {sorted(reached)}, not only the services' ports",
        )


def check_references(
    objects: list[dict], where: str, report: Report, secrets_generated: bool
) -> None:
    """ConfigMaps, Secrets, claims and ServiceAccounts that pods name exist in the render."""
    names = collections.defaultdict(set)
    for obj in objects:
        names[obj["kind"]].add(obj["metadata"]["name"])
    for obj in objects:
        if obj["kind"] not in WORKLOAD_KINDS:
            continue
        pod = pod_spec(obj)
        here = f"{where} {object_name(obj)}"
        claims_from_templates = {
            t["metadata"]["name"] for t in obj.get("spec", {}).get("volumeClaimTemplates", [])
        }
        wanted = []
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    wanted.append(("ConfigMap", source["configMapRef"]["name"]))
                if "secretRef" in source:
                    wanted.append(("Secret", source["secretRef"]["name"]))
            for item in container.get("env", []):
                value_from = item.get("valueFrom", {})
                if "configMapKeyRef" in value_from:
                    wanted.append(("ConfigMap", value_from["configMapKeyRef"]["name"]))
                if "secretKeyRef" in value_from:
                    wanted.append(("Secret", value_from["secretKeyRef"]["name"]))
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                wanted.append(("ConfigMap", volume["configMap"]["name"]))
            if "secret" in volume:
                wanted.append(("Secret", volume["secret"]["secretName"]))
            if "persistentVolumeClaim" in volume:
                wanted.append(
                    ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])
                )
        if pod.get("serviceAccountName"):
            wanted.append(("ServiceAccount", pod["serviceAccountName"]))
        for kind, name in wanted:
            if kind == "Secret" and not secrets_generated:
                continue
            if kind == "PersistentVolumeClaim" and name in claims_from_templates:
                continue
            report.check(
                name in names[kind], here, f"refers to {kind} {name}, which is not rendered"
            )


def check_overlay(target: str, objects: list[dict], report: Report) -> None:
    """What distinguishes dev from prod."""
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
    kinds = collections.Counter(o["kind"] for o in objects)
    if target == "overlays/dev":
        for name, deployment in deployments.items():
            report.check(
                deployment["spec"].get("replicas") == 1, f"{target} {name}", "dev runs one replica"
            )
        statefulsets = [
            o for o in objects if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "postgres"
        ]
        report.check(statefulsets, target, "no PostgreSQL StatefulSet")
        report.check(
            any(o["kind"] == "Service" and o["metadata"]["name"] == "postgres" for o in objects),
            target,
            "no postgres Service",
        )
    if target == "overlays/prod":
        autoscaled = {
            o["spec"]["scaleTargetRef"]["name"]: o
            for o in objects
            if o["kind"] == "HorizontalPodAutoscaler"
        }
        budgets = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
        for name, deployment in deployments.items():
            here = f"{target} {name}"
            hpa = autoscaled.get(name)
            if report.check(hpa is not None, here, "no HorizontalPodAutoscaler"):
                report.check(
                    hpa["spec"].get("minReplicas", 1) >= 2,
                    here,
                    "prod runs fewer than two replicas (HPA minReplicas)",
                )
                # The autoscaler owns the count: a fixed one would reset it on every apply.
                report.check(
                    "replicas" not in deployment["spec"], here, "fixes replicas beside an HPA"
                )
            labels = pod_labels(deployment)
            report.check(
                any(
                    set(b["spec"]["selector"].get("matchLabels", {}).items()) <= set(labels.items())
                    for b in budgets
                ),
                here,
                "no PodDisruptionBudget",
            )
        report.check(
            kinds["StatefulSet"] == 0,
            target,
            "prod should use an external PostgreSQL, not a StatefulSet",
        )
        for claim in (o for o in objects if o["kind"] == "PersistentVolumeClaim"):
            report.check(
                "ReadWriteMany" in claim["spec"].get("accessModes", []),
                f"{target} {object_name(claim)}",
                "a claim shared by several replicas must be ReadWriteMany",
            )
    if target != "base":
        namespaces = {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"}
        report.check(
            len(namespaces) == 1 and None not in namespaces,
            target,
            f"objects span namespaces {namespaces}",
        )


# ---------------------------------------------------------------------------
# Dockerfiles and compose, statically


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY)", re.IGNORECASE)


def check_dockerfile(
    path: Path, service: str, report: Report, app: str | None = None, port: int | None = None
) -> None:
    """One image's Dockerfile: stages, base, user, healthcheck, entry, sources.

    ``app`` and ``port`` default to the service's (``sim2l_cache_service.app:create_app()``).
    """
    app = app or f"sim2l_{service}_service.app:create_app()"
    port = port or SERVICES[service]
    here = f"docker/{path.name}"
    instructions = dockerfile_instructions(path)
    stages = [arguments for keyword, arguments in instructions if keyword == "FROM"]
    report.check(len(stages) >= 2, here, "not multi-stage")
    arguments = dict(a.split("=", 1) for k, a in instructions if k == "ARG" and "=" in a)
    report.check(
        arguments.get("PYTHON_IMAGE") == "python:3.11-slim",
        here,
        "base image is not python:3.11-slim",
    )
    final_stage = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    final = instructions[final_stage:]
    users = [a for k, a in final if k == "USER"]
    report.check(
        users and users[-1].split(":")[0] not in ("root", "0"),
        here,
        "the final stage does not switch to a non-root USER",
    )
    report.check(any(k == "HEALTHCHECK" for k, _ in final), here, "no HEALTHCHECK")
    commands = [a for k, a in final if k in ("CMD", "ENTRYPOINT")]
    entry = commands[-1] if commands else ""
    report.check(
        "gunicorn" in entry and "--worker-tmp-dir" in entry and "/dev/shm" in entry,
        here,
        "the entry is not gunicorn with --worker-tmp-dir /dev/shm",
    )
    report.check(app in entry, here, f"the entry does not serve {app}")
    exposed = [a for k, a in final if k == "EXPOSE"]
    report.check(exposed == [str(port)], here, f"EXPOSE is {exposed}, not {port}")
    for keyword, argument in instructions:
        if keyword in ("ENV", "ARG"):
            for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", argument):
                report.check(
                    not SECRET_NAME.search(name),
                    here,
                    f"{keyword} {name} bakes a secret into the image",
                )
        if keyword in ("COPY", "ADD") and "--from=" not in argument:
            for source in argument.split()[:-1]:
                if not source.startswith("--"):
                    report.check(
                        (REPOSITORY / source).exists(),
                        here,
                        f"copies {source}, which is not in the repository",
                    )
    ignore = path.with_name(path.name + ".dockerignore")
    if report.check(
        ignore.exists(), here, f"no {ignore.name} (the build context would include .venv and .git)"
    ):
        patterns = ignore.read_text().split()
        report.check(
            "**/*.env" in patterns and "**/.venv" in patterns,
            here,
            f"{ignore.name} lets env files or .venv in",
        )
    if (
        service in SERVICES
        and not (
            REPOSITORY / f"sim2l-{service}-service/src/sim2l_{service}_service/app.py"
        ).exists()
    ):
        report.note(
            f"{here}: sim2l-{service}-service has no app.py yet; the image could not serve it"
        )


def check_compose(report: Report) -> int:
    """compose.yaml: images from these Dockerfiles, healthchecks, no literal secrets, profiles."""
    path = DEPLOY / "compose.yaml"
    if not report.check(path.exists(), "compose.yaml", "missing"):
        return 0
    document = yaml.safe_load(path.read_text())
    services = document.get("services", {})
    profiles = collections.defaultdict(set)
    for name, service in services.items():
        here = f"compose.yaml {name}"
        for profile in service.get("profiles", []):
            profiles[profile].add(name)
        build = service.get("build")
        if build:
            context = (DEPLOY / build.get("context", ".")).resolve()
            dockerfile = context / build.get("dockerfile", "Dockerfile")
            report.check(dockerfile.exists(), here, f"Dockerfile {dockerfile} does not exist")
            report.check(service.get("read_only") is True, here, "not read_only")
            report.check(
                "ALL" in service.get("cap_drop", []), here, "does not drop all capabilities"
            )
        report.check(
            "healthcheck" in service or not service.get("ports"),
            here,
            "a served container without a healthcheck",
        )
        environment = service.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment if "=" in item)
        for key, value in environment.items():
            value = "" if value is None else str(value)
            credentials = [m.group("password") for m in URL_CREDENTIALS.finditer(value)]
            literal = (SECRET_NAME.search(key) and looks_secret(value)) or any(
                map(looks_secret, credentials)
            )
            report.check(
                not literal,
                here,
                f"{key} holds a literal secret; use ${{VARIABLE}} from the env file",
            )
    report.check(
        {"postgres"} <= profiles.get("prod", set()),
        "compose.yaml",
        "the prod profile has no postgres service",
    )
    for service in SERVICES:
        report.check(
            any(service in name for name in profiles.get("prod", set())),
            "compose.yaml",
            f"the prod profile has no {service} service",
        )
    return len(services)


# ---------------------------------------------------------------------------
# Secret values in files git would commit

PLACEHOLDER = re.compile(
    r"change-?me|example|placeholder|\$\{|\$\(|<[^>]*>|^\*+$|^x+$|^\.\.\.$", re.IGNORECASE
)
ASSIGNMENT = re.compile(
    r"""(?P<name>[A-Za-z0-9_]*(?:SECRET|PASSWORD|PASSWD|TOKEN|API_KEY)[A-Za-z0-9_]*)["']?\s*[=:]\s*["']?(?P<value>[^"'\s,#]*)""",
    re.IGNORECASE,
)
URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:(?P<password>[^@\s/]+)@")
KEY_BLOCK = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}")
TEXT_SUFFIXES = {
    ".yaml",
    ".yml",
    ".env",
    ".example",
    ".md",
    ".sql",
    ".ini",
    ".conf",
    ".json",
    ".toml",
    ".txt",
    ".Dockerfile",
    ".dockerignore",
    ".sh",
}


def looks_secret(value: str) -> bool:
    """Whether a value looks like a real secret rather than a placeholder or a reference."""
    value = value.strip().strip("\"'")
    if not value or PLACEHOLDER.search(value):
        return False
    harmless = {"true", "false", "none", "null", "required", "secret", "password", "secretkeyref"}
    return value.lower() not in harmless | {"secretref", "secretgenerator", "secrets.env"}


def committed_files() -> list[Path]:
    """Files under deploy/ that git tracks or would add (ignored files excluded)."""
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "deploy"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:  # not a git checkout: every file counts
        return [p for p in DEPLOY.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return [
        REPOSITORY / line for line in result.stdout.splitlines() if (REPOSITORY / line).is_file()
    ]


def scan_for_secrets(files: list[Path], report: Report) -> int:
    """Fail on env files, Secret data, credentials and keys in committed files."""
    scanned = 0
    for path in files:
        relative = path.relative_to(REPOSITORY) if path.is_relative_to(REPOSITORY) else path
        here = str(relative)
        if path.name.endswith(".env"):
            report.fail(here, "an env file would be committed (only *.env.example may be)")
            continue
        text = path.read_text(errors="replace")
        scanned += 1
        if KEY_BLOCK.search(text):
            report.fail(here, "contains a private key or cloud access key")
        if path.suffix not in TEXT_SUFFIXES and not path.name.endswith(
            (".Dockerfile", ".dockerignore")
        ):
            continue  # Python: tests generate their secrets at run time
        if path.suffix in (".yaml", ".yml"):
            try:
                for document in yaml.safe_load_all(text):
                    if (
                        isinstance(document, dict)
                        and document.get("kind") == "Secret"
                        and (document.get("data") or document.get("stringData"))
                    ):
                        report.fail(
                            here,
                            f"commits a Secret with values: {document['metadata'].get('name')}",
                        )
            except yaml.YAMLError:
                pass  # kustomize patches in JSON-patch form etc. are checked by rendering
        for number, line in enumerate(text.splitlines(), 1):
            for match in ASSIGNMENT.finditer(line):
                if looks_secret(match.group("value")):
                    report.fail(
                        f"{here}:{number}", f"{match.group('name')} has a value that looks real"
                    )
            for match in URL_CREDENTIALS.finditer(line):
                if looks_secret(match.group("password")):
                    report.fail(f"{here}:{number}", "a URL carries a password that looks real")
    return scanned


# ---------------------------------------------------------------------------


def run(versions: list[str], verbose: bool = True) -> tuple[Report, dict]:
    """Run every check; return the report and per-target object counts."""
    report = Report()
    counts = {}
    with tempfile.TemporaryDirectory(prefix="sim2l-deploy-check-") as temporary:
        copy = prepare_copy(Path(temporary))
        for target in TARGETS:
            try:
                objects = render(copy, target)
            except RuntimeError as error:
                report.fail(target, str(error))
                continue
            counts[target] = collections.Counter(obj["kind"] for obj in objects)
            validated = validate_schemas(objects, versions, target, report)
            counts[target]["_validated"] = validated
            check_workloads(objects, target, report)
            check_services(objects, target, report)
            check_dashboard(objects, target, report)
            check_references(objects, target, report, secrets_generated=target != "base")
            check_overlay(target, objects, report)
    for service in SERVICES:
        path = DEPLOY / "docker" / f"{service}.Dockerfile"
        if report.check(path.exists(), "docker", f"no {path.name}"):
            check_dockerfile(path, service, report)
    path = DEPLOY / "docker" / f"{DASHBOARD}.Dockerfile"
    if report.check(path.exists(), "docker", f"no {path.name}"):
        check_dockerfile(path, DASHBOARD, report, DASHBOARD_APP, DASHBOARD_PORT)
    counts["compose"] = check_compose(report)
    counts["scanned"] = scan_for_secrets(committed_files(), report)
    return report, counts


def print_report(report: Report, counts: dict, versions: list[str]) -> None:
    """The human-readable report."""
    print("deploy-check: kustomize render + strict schema validation", end=" ")
    print(f"(Kubernetes {', '.join(versions)})")
    for target in TARGETS:
        if target not in counts:
            print(f"  {target:<15} NOT RENDERED")
            continue
        kinds = {kind: n for kind, n in counts[target].items() if not kind.startswith("_")}
        total = sum(kinds.values())
        detail = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
        validations = counts[target]["_validated"]
        print(f"  {target:<15} {total:>3} objects ({detail}); {validations} schema validations")
    print(
        f"  docker          {len(SERVICES) + 1} Dockerfiles checked statically "
        "(no Docker engine used)"
    )
    print(f"  compose.yaml    {counts.get('compose', 0)} services checked")
    print(f"  secret scan     {counts.get('scanned', 0)} committed files under deploy/")
    for note in report.notes:
        print(f"  note: {note}")
    if report.failures:
        print(f"FAILED: {len(report.failures)} problem(s)")
        for failure in report.failures:
            print(f"  - {failure}")
    else:
        print("deploy-check passed")


def main(argv=None) -> int:
    """Command line entry: ``python deploy/check.py [--kubernetes-version V ...]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--kubernetes-version",
        action="append",
        dest="versions",
        help=f"validate against this version (repeatable; default {DEFAULT_KUBERNETES_VERSIONS})",
    )
    args = parser.parse_args(argv)
    versions = args.versions or DEFAULT_KUBERNETES_VERSIONS
    report, counts = run(versions)
    print_report(report, counts, versions)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
