"""ItemCodebaseFetcher against a live server: the codebase contract, plus the zip-specific
guarantees (no entry escapes the folder, corrupt downloads are refused, processes share)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from conveyor import ApiClient
from conveyor_plugins.codebase_item.fetcher import ItemCodebaseFetcher
from conveyor_runner.codebase import CodebaseError
from conveyor_runner.ids import new_id
from conveyor_runner.plugin.manager import build_registries, get_plugin_manager
from conveyor_runner.testing.contracts.codebase import CodebaseFetcherContract, sample_files, tree
from conveyor_runner.testing.faas import FaasKit, zip_files


@pytest.fixture(scope="module")
def kit(sqlite_server):
    return FaasKit(sqlite_server)


@pytest.fixture(scope="module")
def binaries(kit):
    return kit.binaries(kit.create_project()["id"])


@pytest.fixture
def upload(kit, binaries):
    def upload_zip(content: bytes) -> dict:
        item = kit.upload(binaries["id"], f"/codebases/contract/{new_id()}.zip", content)
        return {"type": "item", "itemId": item["id"]}
    return upload_zip


@pytest.fixture
def client(sqlite_server):
    return ApiClient(url=sqlite_server.url, token=sqlite_server.token)


@pytest.fixture
def fetcher(client, tmp_path):
    return ItemCodebaseFetcher(client, tmp_path / "cache")


class TestItemCodebaseFetcher(CodebaseFetcherContract):
    @pytest.fixture
    def make_codebase(self, upload):
        return lambda files: upload(zip_files(files))

    @pytest.fixture
    def missing_codebase(self):
        return {"type": "item", "itemId": new_id()}


@pytest.mark.parametrize("entry", ["../escaped.py", "/tmp/absolute-escape.py",
                                   "lib/../../escaped.py"])
def test_entries_escaping_the_folder_are_refused(fetcher, upload, tmp_path, entry):
    codebase = upload(zip_files({"main.py": b"x = 1", entry: b"print('escaped')"}))
    with pytest.raises(CodebaseError, match="outside the codebase folder"):
        fetcher.fetch(codebase)
    assert not (tmp_path / "escaped.py").exists()
    assert not any(p.is_dir() and not p.name.startswith(".")
                   for p in fetcher.cache_dir.iterdir()), "a refused zip left a cache entry"


def test_a_file_that_is_not_a_zip_is_refused(fetcher, upload):
    with pytest.raises(CodebaseError, match="not a zip"):
        fetcher.fetch(upload(b"just some text, not a zip archive"))


def test_a_short_download_is_refused(fetcher, upload, kit):
    content = zip_files(sample_files())
    codebase = upload(content)
    stored = [p for p in (kit.server.data_dir / "binaries").rglob("*")
              if p.is_file() and p.read_bytes() == content]
    assert len(stored) == 1, "cannot find the stored binary to corrupt"
    stored[0].write_bytes(content[:-10])  # the item still claims the original size
    with pytest.raises(CodebaseError, match="bytes"):
        fetcher.fetch(codebase)


def test_a_codebase_without_item_id_is_refused(fetcher):
    with pytest.raises(CodebaseError, match="itemId"):
        fetcher.fetch({"type": "item"})


def test_processes_fetching_at_once_share_one_folder(upload, sqlite_server, tmp_path):
    files = sample_files()
    codebase = upload(zip_files(files))
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from conveyor import ApiClient
        from conveyor_plugins.codebase_item.fetcher import ItemCodebaseFetcher
        client = ApiClient(url=sys.argv[1], token=sys.argv[2])
        print(ItemCodebaseFetcher(client, Path(sys.argv[3])).fetch({"type": "item",
              "itemId": sys.argv[4]}))
    """)
    args = [sqlite_server.url, sqlite_server.token, str(tmp_path / "shared"), codebase["itemId"]]
    children = [subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                                 text=True) for _ in range(4)]
    outputs = [child.communicate(timeout=120)[0].strip() for child in children]
    assert all(child.returncode == 0 for child in children)
    assert len(set(outputs)) == 1
    from pathlib import Path

    assert tree(Path(outputs[0])) == files


def test_the_plugin_registers_the_item_type():
    assert build_registries(get_plugin_manager()).codebase.get("item") is ItemCodebaseFetcher
