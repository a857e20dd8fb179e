"""A small offline renderer for the subset of kustomize that k8s/ uses.

Neither kustomize nor kubectl is on PyPI (the PyPI project named ``kustomize`` is an
unrelated Python library), so the tests render the overlays with this. It supports,
with kustomize's meaning:

* ``resources``: files (multi-document YAML) and directories holding a kustomization;
* ``configMapGenerator`` / ``secretGenerator`` with ``literals`` and ``envs``, and
  ``behavior: create | merge | replace`` against a generator of the base; only with
  ``generatorOptions.disableNameSuffixHash: true`` (k8s/ names its objects directly);
* ``patches`` with a ``path`` or an inline ``patch``: strategic-merge patches, one
  or more documents (the target is each patch's own kind and name; lists of containers, volumes, env and ports
  merge by their Kubernetes merge keys, other lists are replaced) or, with a
  ``target``, a JSON 6902 list of ``add`` / ``replace`` / ``remove`` operations;
* ``namespace``, ``labels`` (``pairs``, ``includeSelectors: false``,
  ``includeTemplates``), ``images`` (``newName``, ``newTag``) and ``replicas``.

Anything else in a kustomization is refused, so a manifest using a feature this does
not implement fails the tests instead of rendering wrongly.
"""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import yaml

Object = dict[str, Any]

SUPPORTED = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "images",
    "replicas",
    "patches",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
# Strategic-merge keys of the lists k8s/ patches (from the Kubernetes API's patchMergeKey).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeClaimTemplates": None,  # replaced, as in the API
}


class KustomizeError(ValueError):
    """The kustomization uses something this renderer does not support, or is wrong."""


def build(directory: Path) -> list[Object]:
    """Render the kustomization in `directory` into a list of objects."""
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text()) or {}
    unknown = set(spec) - SUPPORTED
    if unknown:
        raise KustomizeError(f"{directory}: unsupported fields {sorted(unknown)}")
    objects: list[Object] = []
    for entry in spec.get("resources", []):
        path = directory / entry
        if path.is_dir():
            objects += build(path)
        else:
            objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    generated = spec.get("configMapGenerator", []) + spec.get("secretGenerator", [])
    if generated and not spec.get("generatorOptions", {}).get("disableNameSuffixHash"):
        raise KustomizeError(f"{directory}: name suffix hashes are not implemented")
    for gen in spec.get("configMapGenerator", []):
        _generate(objects, "ConfigMap", gen, directory)
    for gen in spec.get("secretGenerator", []):
        _generate(objects, "Secret", gen, directory)
    for patch in spec.get("patches", []):
        _patch(objects, patch, directory)
    if "namespace" in spec:
        for obj in objects:
            obj["metadata"]["namespace"] = spec["namespace"]
    for label in spec.get("labels", []):
        _label(objects, label)
    for image in spec.get("images", []):
        _image(objects, image)
    for replica in spec.get("replicas", []):
        _find(objects, None, replica["name"], kinds=WORKLOADS)["spec"]["replicas"] = replica[
            "count"
        ]
    _check_unique(objects)
    return objects


def _find(
    objects: list[Object], kind: str | None, name: str, *, kinds: set[str] | None = None
) -> Object:
    found = [
        o
        for o in objects
        if o["metadata"]["name"] == name
        and (kind is None or o["kind"] == kind)
        and (kinds is None or o["kind"] in kinds)
    ]
    if len(found) != 1:
        raise KustomizeError(f"expected one {kind or kinds} named {name!r}, found {len(found)}")
    return found[0]


def _check_unique(objects: list[Object]) -> None:
    seen = set()
    for o in objects:
        key = (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        if key in seen:
            raise KustomizeError(f"duplicate object {key}")
        seen.add(key)


# --- generators ---------------------------------------------------------------------


def _pairs(gen: Object, directory: Path) -> dict[str, str]:
    pairs: dict[str, str] = {}
    lines = list(gen.get("literals", []))
    for env_file in gen.get("envs", []):
        lines += [
            ln.strip()
            for ln in (directory / env_file).read_text().splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")
        ]
    for line in lines:
        key, sep, value = line.partition("=")
        if not sep:
            raise KustomizeError(f"not KEY=VALUE: {line!r}")
        pairs[key] = value
    return pairs


def _generate(objects: list[Object], kind: str, gen: Object, directory: Path) -> None:
    pairs = _pairs(gen, directory)
    behavior = gen.get("behavior", "create")
    if behavior == "create":
        obj: Object = {"apiVersion": "v1", "kind": kind, "metadata": {"name": gen["name"]}}
        if kind == "Secret":
            obj["type"] = gen.get("type", "Opaque")
        objects.append(obj)
    elif behavior in ("merge", "replace"):
        obj = _find(objects, kind, gen["name"])
        if behavior == "replace":
            obj.pop("data", None)
    else:
        raise KustomizeError(f"unknown generator behavior {behavior!r}")
    data = obj.setdefault("data", {})
    for key, value in pairs.items():
        data[key] = base64.b64encode(value.encode()).decode() if kind == "Secret" else value


# --- patches ------------------------------------------------------------------------


def _patch(objects: list[Object], entry: Object, directory: Path) -> None:
    text = (directory / entry["path"]).read_text() if "path" in entry else entry["patch"]
    documents = [doc for doc in yaml.safe_load_all(text) if doc]
    if len(documents) == 1 and isinstance(documents[0], list):
        target = entry.get("target")
        if not target:
            raise KustomizeError("a JSON 6902 patch needs a target")
        _json6902(_find(objects, target.get("kind"), target["name"]), documents[0])
        return
    for body in documents:
        if not isinstance(body, dict):
            raise KustomizeError(f"cannot read patch {entry}")
        obj = _find(objects, body["kind"], body["metadata"]["name"])
        merged = strategic_merge(obj, body)
        obj.clear()
        obj.update(merged)


def strategic_merge(base: Any, patch: Any, field: str = "") -> Any:
    """Merge `patch` into a copy of `base` as a strategic-merge patch does (subset)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = copy.deepcopy(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = strategic_merge(out[key], value, key)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(patch, list):
        key = _merge_key(field, base + patch)
        if key is None:
            return copy.deepcopy(patch)
        out_list = copy.deepcopy(base)
        for item in patch:
            match = [i for i, b in enumerate(out_list) if b.get(key) == item.get(key)]
            if match:
                out_list[match[0]] = strategic_merge(out_list[match[0]], item)
            else:
                out_list.append(copy.deepcopy(item))
        return out_list
    return copy.deepcopy(patch)


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports" and items and all(isinstance(i, dict) for i in items):
        # Container ports merge by containerPort, Service ports by port.
        return "containerPort" if "containerPort" in items[0] else "port"
    return MERGE_KEYS.get(field)


def _pointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]


def _json6902(obj: Object, operations: list[Object]) -> None:
    for op in operations:
        *parents, last = _pointer(op["path"])
        node: Any = obj
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        kind = op["op"]
        if kind in ("add", "replace"):
            value = copy.deepcopy(op["value"])
            if isinstance(node, list):
                if last == "-":
                    node.append(value)
                elif kind == "add":
                    node.insert(int(last), value)
                else:
                    node[int(last)] = value
            else:
                if kind == "replace" and last not in node:
                    raise KustomizeError(f"replace of missing {op['path']}")
                node[last] = value
        elif kind == "remove":
            del node[int(last) if isinstance(node, list) else last]
        else:
            raise KustomizeError(f"unsupported JSON patch op {kind!r}")


# --- transformers -------------------------------------------------------------------


def _pod_specs(obj: Object) -> list[Object]:
    if obj["kind"] in WORKLOADS:
        return [obj["spec"]["template"]["spec"]]
    return []


def _label(objects: list[Object], label: Object) -> None:
    if label.get("includeSelectors"):
        raise KustomizeError("labels with includeSelectors are not implemented")
    pairs = label["pairs"]
    for obj in objects:
        obj["metadata"].setdefault("labels", {}).update(pairs)
        if label.get("includeTemplates") and obj["kind"] in WORKLOADS:
            obj["spec"]["template"].setdefault("metadata", {}).setdefault("labels", {}).update(
                pairs
            )


def _split_image(ref: str) -> tuple[str, str]:
    """("registry:5000/app", "1.2") from "registry:5000/app:1.2": a tag follows the last '/'."""
    head, slash, last = ref.rpartition("/")
    name, _, tag = last.partition(":")
    return head + slash + name, tag


def _image(objects: list[Object], image: Object) -> None:
    for obj in objects:
        for pod in _pod_specs(obj):
            for container in pod.get("containers", []) + pod.get("initContainers", []):
                name, tag = _split_image(container["image"])
                if name != image["name"]:
                    continue
                name = image.get("newName", name)
                tag = image.get("newTag", tag)
                container["image"] = f"{name}:{tag}" if tag else name
