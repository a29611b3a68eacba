"""The deploy checker passes on the committed files and catches what it promises to.

The rendered manifests are checked by ``make deploy-check`` itself; these
tests make sure the checker is not vacuous: a missing probe, a root container,
a secret in a committed file, a Dockerfile running as root are all reported.
"""

import copy
import shutil

import pytest


@pytest.fixture(scope="module")
def rendered(deploy_check, tmp_path_factory):
    """Every target rendered from a temporary copy with example secrets."""
    deploy = deploy_check.prepare_copy(tmp_path_factory.mktemp("render"))
    return {target: deploy_check.render(deploy, target) for target in deploy_check.TARGETS}


def failures_of(deploy_check, function, *args):
    report = deploy_check.Report()
    function(*args, report)
    return report.failures


def test_committed_deploy_tree_passes_every_check(deploy_check):
    report, counts = deploy_check.run(["1.30.0"])
    assert report.failures == []
    assert counts["overlays/dev"]["StatefulSet"] == 1
    # Three services and the dashboard; a migration Job per service only.
    assert counts["overlays/prod"]["HorizontalPodAutoscaler"] == 4
    assert counts["overlays/prod"]["PodDisruptionBudget"] == 4
    for target in deploy_check.TARGETS:
        assert counts[target]["Deployment"] == 4
        assert counts[target]["Job"] == 3


def test_rendering_never_reads_a_real_secrets_file(deploy_check, tmp_path):
    copy_root = deploy_check.prepare_copy(tmp_path)
    for example in copy_root.rglob("*.env.example"):
        assert example.with_suffix("").read_text() == example.read_text()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda c: c.pop("livenessProbe"), "no livenessProbe"),
        (lambda c: c.pop("readinessProbe"), "no readinessProbe"),
        (lambda c: c["resources"].pop("limits"), "no limits.cpu"),
        (lambda c: c["securityContext"].update(readOnlyRootFilesystem=False), "readOnlyRoot"),
        (lambda c: c["securityContext"].update(allowPrivilegeEscalation=True), "allowPrivilege"),
        (lambda c: c["securityContext"].update(runAsNonRoot=False), "runAsNonRoot"),
        (lambda c: c["securityContext"]["capabilities"].update(drop=[]), "capabilities"),
        (lambda c: c.update(volumeMounts=[]), "emptyDir mounted at /tmp"),
        (lambda c: c.update(image="sim2l-cache-service:latest"), ":latest"),
    ],
)
def test_a_damaged_container_is_reported(deploy_check, rendered, damage, message):
    objects = copy.deepcopy(rendered["overlays/prod"])
    deployment = next(
        o for o in objects if o["metadata"]["name"] == "cache-service" and o["kind"] == "Deployment"
    )
    damage(deployment["spec"]["template"]["spec"]["containers"][0])
    failures = failures_of(deploy_check, deploy_check.check_workloads, objects, "prod")
    assert any(message in failure for failure in failures), failures


def test_an_invalid_field_fails_schema_validation(deploy_check, rendered):
    objects = copy.deepcopy(rendered["overlays/dev"])
    service = next(o for o in objects if o["kind"] == "Service")
    service["spec"]["prots"] = service["spec"].pop("ports")
    report = deploy_check.Report()
    deploy_check.validate_schemas(objects, ["1.30.0"], "dev", report)
    assert any("prots" in failure for failure in report.failures), report.failures


def test_a_policy_opening_another_port_is_reported(deploy_check, rendered):
    objects = copy.deepcopy(rendered["overlays/dev"])
    policy = next(
        o
        for o in objects
        if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "cache-service"
    )
    policy["spec"]["ingress"][0]["ports"].append({"port": 22, "protocol": "TCP"})
    failures = failures_of(deploy_check, deploy_check.check_services, objects, "dev")
    assert any("opens ports [22, 8001]" in failure for failure in failures), failures


def test_prod_without_autoscaler_or_budget_is_reported(deploy_check, rendered):
    objects = [
        o
        for o in rendered["overlays/prod"]
        if o["kind"] not in ("HorizontalPodAutoscaler", "PodDisruptionBudget")
    ]
    report = deploy_check.Report()
    deploy_check.check_overlay("overlays/prod", objects, report)
    # The three services and the dashboard.
    assert sum("no HorizontalPodAutoscaler" in f for f in report.failures) == 4
    assert sum("no PodDisruptionBudget" in f for f in report.failures) == 4


def test_a_dangling_secret_reference_is_reported(deploy_check, rendered):
    objects = [o for o in rendered["overlays/dev"] if o["kind"] != "Secret"]
    report = deploy_check.Report()
    deploy_check.check_references(objects, "dev", report, secrets_generated=True)
    assert any("Secret sim2l-secrets" in failure for failure in report.failures)


@pytest.mark.parametrize(
    "line",
    [
        "SIM2L_SECRET_KEY=Zt9qXv3LmP0aR7wKc2",
        "POSTGRES_PASSWORD: hunter2hunter2",
        "SIM2L_CACHE_DATABASE_URL=postgresql://sim2l:s3cr3tpw@db:5432/sim2l_cache",
        "-----BEGIN RSA " + "PRIVATE KEY-----",  # split so this file does not trip the scan
    ],
)
def test_secret_values_in_committed_files_are_reported(deploy_check, tmp_path, line):
    leaked = tmp_path / "settings.env.example"
    leaked.write_text(f"# a file someone meant to commit\n{line}\n")
    report = deploy_check.Report()
    deploy_check.scan_for_secrets([leaked], report)
    assert report.failures


@pytest.mark.parametrize(
    "line",
    [
        "SIM2L_SECRET_KEY=change-me-generate-a-random-key",
        "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}",
        "SIM2L_CACHE_DATABASE_URL=postgresql://sim2l:change-me@db.example.internal/sim2l_cache",
        "SIM2L_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(48))')",
        "            secretKeyRef:",
    ],
)
def test_placeholders_are_not_secrets(deploy_check, tmp_path, line):
    example = tmp_path / "settings.env.example"
    example.write_text(line + "\n")
    report = deploy_check.Report()
    deploy_check.scan_for_secrets([example], report)
    assert report.failures == []


def test_an_env_file_about_to_be_committed_is_reported(deploy_check, tmp_path):
    env_file = tmp_path / "secrets.env"
    env_file.write_text("SIM2L_SECRET_KEY=change-me\n")
    report = deploy_check.Report()
    deploy_check.scan_for_secrets([env_file], report)
    assert any("env file" in failure for failure in report.failures)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda text: text.replace("USER 10001:10001", "USER root"), "non-root USER"),
        (lambda text: text.replace("HEALTHCHECK", "# HEALTHCHECK"), "HEALTHCHECK"),
        (lambda text: text.replace('"--worker-tmp-dir", "/dev/shm", ', ""), "/dev/shm"),
        (
            lambda text: text.replace(
                "    PORT=8001", "    SIM2L_SECRET_KEY=abc \\\n    PORT=8001"
            ),
            "bakes a secret",
        ),
        (
            lambda text: text.replace(
                "FROM ${PYTHON_IMAGE} AS build", "FROM python:3.11 AS build"
            ).replace("COPY --from=build /opt/venv /opt/venv", ""),
            "multi-stage",
        ),
    ],
)
def test_a_damaged_dockerfile_is_reported(deploy_check, tmp_path, edit, message):
    source = deploy_check.DEPLOY / "docker" / "cache.Dockerfile"
    damaged = tmp_path / "cache.Dockerfile"
    text = edit(source.read_text())
    if message == "multi-stage":  # collapse to a single stage
        text = text.replace("FROM ${PYTHON_IMAGE} AS runtime", "")
    damaged.write_text(text)
    shutil.copy(source.with_name("cache.Dockerfile.dockerignore"), tmp_path)
    failures = failures_of(deploy_check, deploy_check.check_dockerfile, damaged, "cache")
    assert any(message in failure for failure in failures), failures


def _dashboard(objects, kind: str) -> dict:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == "web")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda objects: _dashboard(objects, "Deployment")["spec"]["template"]["spec"][
                "containers"
            ][0]["env"].append({"name": "SIM2L_RESULTS_DATABASE_URL", "value": "sqlite://"}),
            "database URL",
        ),
        (
            lambda objects: _dashboard(objects, "Deployment")["spec"]["template"]["spec"][
                "containers"
            ][0]["readinessProbe"]["httpGet"].update(path="/"),
            "readinessProbe is not GET /ready",
        ),
        (
            lambda objects: _dashboard(objects, "NetworkPolicy")["spec"]["egress"][0][
                "ports"
            ].append({"port": 5432, "protocol": "TCP"}),
            "not only the services' ports",
        ),
        (
            lambda objects: _dashboard(objects, "Deployment")["spec"]["template"]["spec"][
                "containers"
            ][0]["env"][1].update(value="http://elsewhere:8001"),
            "SIM2L_CACHE_SERVICE_URL is not the in-cluster cache Service",
        ),
    ],
)
def test_a_damaged_dashboard_is_reported(deploy_check, rendered, damage, message):
    objects = copy.deepcopy(rendered["overlays/prod"])
    damage(objects)
    failures = failures_of(deploy_check, deploy_check.check_dashboard, objects, "prod")
    assert any(message in failure for failure in failures), failures
