"""FaaS test kit: push packages, deploy services and run replicas against a live server.

Used by the agent's and the plugins' tests (and usable by third-party plugin tests)::

    kit = FaasKit(sqlite_server)
    project = kit.create_project()
    package = kit.push_package(project["id"], "echo", {"main.py": SOURCE}, modules)
    service = kit.deploy(package, runtime={"numReplicas": 0})   # no replicas started
    env = kit.replica_env(service["id"], "replica-1", home=tmp_path)  # what a backend sets

Everything goes through the REST API with the administrator's token, except the service
bot's token, which is minted from the server's signing key exactly as the control plane
mints it for the replicas it starts (the database is read, never written).
"""

from __future__ import annotations

import io
import secrets
import time
import zipfile
from pathlib import Path
from typing import Any

import requests

DEFAULT_MODULE = "default_module"


def zip_files(files: dict[str, bytes | str]) -> bytes:
    """A zip archive holding ``files`` (path inside the zip -> content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def module(functions: list[dict], *, init_inputs: list[dict] | None = None,
           class_name: str = "ServiceRunner", entry_point: str = "main.py",
           name: str = DEFAULT_MODULE) -> dict:
    """A package module; ``functions`` are ``{"name", "input": [{"name", "type"}]}``."""
    return {"name": name, "entryPoint": entry_point, "className": class_name,
            "initInputs": init_inputs or [], "functions": functions}


class FaasKit:
    """REST helpers bound to one running server (``RunningServer`` of the pytest plugin).

    Args:
        server: has ``api_url``, ``url``, ``token`` and ``data_dir``.
        database_url: the server's database (default: its SQLite file under ``data_dir``).
    """

    def __init__(self, server: Any, database_url: str | None = None) -> None:
        self.server = server
        self.database_url = database_url or f"sqlite:///{Path(server.data_dir) / 'conveyor.db'}"
        self.session = requests.Session()
        self.session.headers["authorization"] = f"Bearer {server.token}"

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """``method`` on ``<api>/<path>``; asserts 2xx and returns the JSON body."""
        reply = self.session.request(method, self.server.api_url + path, timeout=60, **kwargs)
        assert reply.ok, f"{method.upper()} {path}: {reply.status_code} {reply.text[:500]}"
        return reply.json() if reply.content else None

    def create_project(self, name: str | None = None) -> dict:
        """A new project (with its hidden Binaries dataset)."""
        return self.call("post", "/projects",
                         json={"name": name or f"faas-{secrets.token_hex(4)}"})

    def binaries(self, project_id: str) -> dict:
        """The project's Binaries dataset."""
        page = self.call("post", "/datasets/query", json={
            "filter": {"$and": [{"name": "Binaries"}]}, "context": {"projects": [project_id]},
            "systemSpace": True})
        (dataset,) = page["items"]
        return dataset

    def upload(self, dataset_id: str, remote_path: str, content: bytes) -> dict:
        """Upload ``content`` as ``remote_path``; returns the Item JSON."""
        return self.call("post", f"/datasets/{dataset_id}/items", data={
            "type": "file", "path": remote_path},
            files={"file": (remote_path.rsplit("/", 1)[-1], content)})

    def upload_codebase(self, project_id: str, name: str, files: dict[str, bytes | str],
                        version: int = 1) -> dict:
        """Zip ``files`` into Binaries ``/codebases/<name>/<version>.zip``; the codebase JSON."""
        item = self.upload(self.binaries(project_id)["id"], f"/codebases/{name}/{version}.zip",
                           zip_files(files))
        return {"type": "item", "itemId": item["id"]}

    def push_package(self, project_id: str, name: str, files: dict[str, bytes | str],
                     modules: list[dict]) -> dict:
        """Upload the codebase and ``POST /packages``; returns the Package JSON."""
        codebase = self.upload_codebase(project_id, name, files)
        return self.call("post", "/packages", json={
            "name": name, "projectId": project_id, "modules": modules, "codebase": codebase,
            "type": "faas"})

    def deploy(self, package: dict, name: str | None = None, **settings: Any) -> dict:
        """``POST /services``; ``runtime.numReplicas`` defaults to 0 (start no replicas)."""
        runtime = {"numReplicas": 0, **settings.pop("runtime", {})}
        return self.call("post", "/services", json={
            "name": name or package["name"], "packageId": package["id"],
            "projectId": package["projectId"], "runtime": runtime, **settings})

    def execute(self, service_id: str, inputs: dict | None = None,
                function_name: str = "run") -> dict:
        """``POST /executions/{serviceId}``: a new execution (status ``created``)."""
        return self.call("post", f"/executions/{service_id}",
                         json={"input": inputs or {}, "functionName": function_name})

    def execution(self, execution_id: str, wait: float = 0.0) -> dict:
        """``GET /executions/{id}``, long-polling up to ``wait`` s for a terminal status."""
        return self.call("get", f"/executions/{execution_id}", params={"wait": wait})

    def wait_terminal(self, execution_id: str, timeout: float = 60.0) -> dict:
        """The execution once terminal; AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            record = self.execution(execution_id, wait=max(min(remaining, 20.0), 0.0))
            if record["latestStatus"]["status"] not in ("created", "in-progress"):
                return record
            assert remaining > 0, f"execution {execution_id} still {record['latestStatus']}"

    def logs(self, service_id: str, execution_id: str | None = None) -> list[str]:
        """Messages of the service's log lines (of one execution if given), oldest first."""
        body: dict = {"serviceId": service_id, "direction": "asc", "size": 1000,
                      "start": "2000-01-01T00:00:00.000Z"}
        if execution_id:
            body["executionId"] = [execution_id]
        return [line["message"] for line in self.call("post", "/services/logs",
                                                      json=body)["logs"]]

    def bot_token(self, service_id: str, ttl_seconds: int = 24 * 3600) -> str:
        """The service bot's JWT, signed with the server's key (as the control plane does)."""
        from conveyor_runner.control.auth import issue_token
        from conveyor_runner.store import services, users
        from conveyor_runner.store.db import Database

        database = Database(self.database_url)
        try:
            with database.transaction() as session:
                key = users.signing_key(session)
                bot = users.get_user(session, services.get(session, service_id).bot_id)
                return issue_token(bot.id, bot.email, key, ttl_seconds)
        finally:
            database.engine.dispose()

    def replica_env(self, service: dict, replica_id: str, home: Path) -> dict[str, str]:
        """The environment the control plane gives a replica of ``service``."""
        return {"CONVEYOR_URL": self.server.url, "CONVEYOR_TOKEN": self.bot_token(service["id"]),
                "CONVEYOR_SERVICE_ID": service["id"],
                "CONVEYOR_SERVICE_REVISION": str(service.get("version", "1")),
                "CONVEYOR_QUEUE_URL": "embedded+" + self.server.url,
                "CONVEYOR_REPLICA_ID": replica_id, "CONVEYOR_HOME": str(home)}
