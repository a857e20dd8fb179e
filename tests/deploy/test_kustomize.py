"""The test renderer does what kustomize does for the features k8s/ uses."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from tests.deploy.kustomize import KustomizeError, build, strategic_merge

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "app",
                        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                        "ports": [{"containerPort": 8000}],
                    },
                    {"name": "sidecar", "image": "registry:5000/side:1.0"},
                ]
            },
        },
    },
}


def write(directory: Path, files: dict[str, object]) -> Path:
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        elif isinstance(content, list):
            path.write_text(yaml.safe_dump_all(content))
        else:
            path.write_text(yaml.safe_dump(content))
    return directory


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return write(
        tmp_path / "base",
        {
            "kustomization.yaml": {
                "resources": ["web.yaml"],
                "labels": [
                    {"pairs": {"part-of": "x"}, "includeSelectors": False, "includeTemplates": True}
                ],
                "generatorOptions": {"disableNameSuffixHash": True},
                "configMapGenerator": [{"name": "cfg", "literals": ["A=1", "B=x=y"]}],
            },
            "web.yaml": [
                DEPLOYMENT,
                {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}},
            ],
        },
    )


def test_base_resources_generators_and_labels(base: Path) -> None:
    objects = build(base)
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("Deployment", "web"),
        ("Service", "web"),
        ("ConfigMap", "cfg"),
    ]
    web, service, cfg = objects
    assert cfg["data"] == {"A": "1", "B": "x=y"}
    # labels reach metadata and pod templates, never selectors
    assert web["metadata"]["labels"] == {"app": "web", "part-of": "x"}
    assert web["spec"]["template"]["metadata"]["labels"] == {"app": "web", "part-of": "x"}
    assert web["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert service["metadata"]["labels"] == {"part-of": "x"}


def test_overlay_merges_generators_patches_images_replicas_namespace(
    base: Path, tmp_path: Path
) -> None:
    overlay = write(
        tmp_path / "overlay",
        {
            "kustomization.yaml": {
                "namespace": "prod",
                "resources": ["../base"],
                "images": [
                    {"name": "app", "newName": "reg.example/app", "newTag": "2.0"},
                    {"name": "registry:5000/side", "newTag": "1.1"},
                ],
                "replicas": [{"name": "web", "count": 5}],
                "generatorOptions": {"disableNameSuffixHash": True},
                "configMapGenerator": [{"name": "cfg", "behavior": "merge", "literals": ["A=2"]}],
                "secretGenerator": [{"name": "sec", "envs": ["sec.env"]}],
                "patches": [
                    {"path": "patch.yaml"},
                    {
                        "target": {"kind": "Deployment", "name": "web"},
                        "patch": "- op: add\n  path: /metadata/annotations\n  value: {x: y}\n"
                        "- op: add\n  path: /metadata/annotations/a~1b\n  value: c\n"
                        "- op: add\n  path: /spec/template/spec/containers/0/env/-\n"
                        "  value: {name: D, value: '4'}\n"
                        "- op: remove\n  path: /spec/template/spec/containers/1\n",
                    },
                ],
            },
            "sec.env": "# comment\nTOKEN=s3cret\n",
            "patch.yaml": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web"},
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {
                                    "name": "web",
                                    "env": [
                                        {"name": "B", "value": "3"},
                                        {"name": "C", "value": "9"},
                                    ],
                                }
                            ]
                        }
                    }
                },
            },
        },
    )
    objects = {(o["kind"], o["metadata"]["name"]): o for o in build(overlay)}
    web = objects[("Deployment", "web")]
    assert {o["metadata"]["namespace"] for o in objects.values()} == {"prod"}
    assert web["spec"]["replicas"] == 5
    (container,) = web["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "reg.example/app:2.0"
    assert container["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "3"},
        {"name": "C", "value": "9"},
        {"name": "D", "value": "4"},
    ]
    assert container["ports"] == [{"containerPort": 8000}]
    assert web["metadata"]["annotations"] == {"x": "y", "a/b": "c"}
    assert objects[("ConfigMap", "cfg")]["data"] == {"A": "2", "B": "x=y"}
    secret = objects[("Secret", "sec")]
    assert (secret["type"], base64.b64decode(secret["data"]["TOKEN"])) == ("Opaque", b"s3cret")


def test_strategic_merge_replaces_lists_without_a_merge_key_merges_ports_deletes_nulls() -> None:
    base = {"spec": {"metrics": [{"type": "cpu"}], "keep": 1, "drop": 2}}
    assert strategic_merge(base, {"spec": {"metrics": [{"type": "mem"}], "drop": None}}) == {
        "spec": {"metrics": [{"type": "mem"}], "keep": 1}
    }
    service = {"ports": [{"port": 80, "name": "http"}]}
    assert strategic_merge(service, {"ports": [{"port": 80, "targetPort": 8000}]}, "") == {
        "ports": [{"port": 80, "name": "http", "targetPort": 8000}]
    }


@pytest.mark.parametrize(
    ("kustomization", "message"),
    [
        ({"resources": [], "namePrefix": "x-"}, "unsupported fields ['namePrefix']"),
        (
            {"resources": [], "configMapGenerator": [{"name": "c", "literals": ["A=1"]}]},
            "name suffix hashes are not implemented",
        ),
        (
            {"resources": ["web.yaml"], "replicas": [{"name": "nope", "count": 1}]},
            "expected one",
        ),
    ],
)
def test_unsupported_or_wrong_kustomizations_are_refused(
    tmp_path: Path, kustomization: dict[str, object], message: str
) -> None:
    write(tmp_path, {"kustomization.yaml": kustomization, "web.yaml": [DEPLOYMENT]})
    with pytest.raises(KustomizeError) as excinfo:
        build(tmp_path)
    assert message in str(excinfo.value)
