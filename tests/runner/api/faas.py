"""Helpers to push packages and deploy services through the REST API in tests."""

from __future__ import annotations

import io
import secrets
import zipfile

from tests.runner.api.conftest import Api

MAIN_PY = '''
import conveyor as dl


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self, greeting="hello"):
        self.greeting = greeting

    def run(self, item, progress=None):
        return {"item": item.id}

    def echo(self, text, count=1):
        return text * count
'''

MODULES = [{
    "name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
    "initInputs": [],
    "functions": [
        {"name": "run", "input": [{"name": "item", "type": "Item"}], "output": []},
        {"name": "echo", "input": [{"name": "text", "type": "String"},
                                   {"name": "count", "type": "Integer"}], "output": []},
    ],
}]


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def upload_codebase(api: Api, project_id: str, name: str, files: dict[str, str]) -> dict:
    """Upload a zip into the project's Binaries dataset; returns the item codebase JSON."""
    binaries = api.ok("post", "/datasets/query", json={
        "filter": {"$and": [{"name": "Binaries"}]}, "context": {"projects": [project_id]},
        "systemSpace": True})["items"][0]
    reply = api.call("post", f"/datasets/{binaries['id']}/items?mode=overwrite",
                     files={"file": ("1.zip", zip_bytes(files))},
                     data={"type": "file", "path": f"/codebases/{name}/{secrets.token_hex(3)}.zip"})
    assert reply.status_code == 200, reply.text
    return {"type": "item", "itemId": reply.json()["id"]}


def push(api: Api, project_id: str, name: str | None = None, modules=None,
         files: dict[str, str] | None = None):
    """POST /packages with a real codebase; returns the reply."""
    name = name or f"pkg-{secrets.token_hex(3)}"
    codebase = upload_codebase(api, project_id, name, files or {"main.py": MAIN_PY})
    return api.call("post", "/packages", json={
        "name": name, "projectId": project_id, "modules": modules or MODULES,
        "codebase": codebase, "type": None})


def deploy(api: Api, package: dict, **fields) -> dict:
    """A service of ``package`` with no replicas (tests drive replicas themselves)."""
    body = {"name": package["name"], "packageId": package["id"],
            "projectId": package["projectId"], "runtime": {"numReplicas": 0}, **fields}
    return api.ok("post", "/services", json=body)
