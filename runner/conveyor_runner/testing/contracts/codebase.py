"""CodebaseFetcherContract: what every ``CodebaseFetcher`` (item, git, yours) guarantees.

Subclass it and provide two fixtures (a third is optional)::

    from conveyor_runner.testing.contracts.codebase import CodebaseFetcherContract

    class TestMyFetcher(CodebaseFetcherContract):
        @pytest.fixture
        def fetcher(self, tmp_path):
            return MyFetcher(client, tmp_path / "cache")

        @pytest.fixture
        def make_codebase(self):
            def make(files: dict[str, bytes]) -> dict:
                ...  # store the files where your fetcher reads them
                return {"type": "mine", ...}             # the package's codebase JSON
            return make

        @pytest.fixture
        def missing_codebase(self):                      # optional: enables one more test
            return {"type": "mine", "ref": "does-not-exist"}

Every test uses fresh content, so a shared backing store is fine.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import pytest

from conveyor_runner.codebase import CodebaseError, CodebaseFetcher


def tree(folder: Path) -> dict[str, bytes]:
    """Relative POSIX path -> content of every file below ``folder``."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def sample_files() -> dict[str, bytes]:
    """A small codebase with a nested folder, binary content and a unique marker."""
    marker = secrets.token_hex(8)
    return {"main.py": f"MARKER = {marker!r}\n".encode(),
            "package.json": b'{"name": "contract"}',
            "lib/helpers.py": b"def helper():\n    return 42\n",
            "assets/blob.bin": bytes(range(256)) * 4}


class CodebaseFetcherContract:
    """The ``CodebaseFetcher`` guarantees, as tests. Needs ``fetcher`` and ``make_codebase``."""

    @pytest.fixture
    def missing_codebase(self) -> dict | None:
        """A codebase JSON that does not exist; None skips the test that needs it."""
        return None

    def test_declares_its_codebase_type(self, fetcher):
        assert isinstance(fetcher, CodebaseFetcher)
        assert isinstance(type(fetcher).codebase_type, str) and type(fetcher).codebase_type

    def test_fetch_returns_exactly_the_files(self, fetcher, make_codebase):
        files = sample_files()
        folder = fetcher.fetch(make_codebase(files))
        assert folder.is_dir()
        assert tree(folder) == files

    def test_a_second_fetch_reuses_the_cached_folder(self, fetcher, make_codebase):
        codebase = make_codebase(sample_files())
        first = fetcher.fetch(codebase)
        before = {p: p.stat().st_ino for p in first.rglob("*")}
        second = fetcher.fetch(codebase)
        assert second == first
        assert {p: p.stat().st_ino for p in second.rglob("*")} == before, (
            "the cached folder was unpacked again")

    def test_different_content_gets_a_different_folder(self, fetcher, make_codebase):
        one, two = sample_files(), sample_files()
        first, second = fetcher.fetch(make_codebase(one)), fetcher.fetch(make_codebase(two))
        assert first != second
        assert (tree(first), tree(second)) == (one, two)

    def test_concurrent_fetches_share_one_complete_folder(self, fetcher, make_codebase):
        files = sample_files()
        codebase = make_codebase(files)
        results: list[object] = []

        def fetch() -> None:
            try:
                results.append(fetcher.fetch(codebase))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                results.append(exc)

        threads = [threading.Thread(target=fetch) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(results) == 8 and len(set(map(str, results))) == 1, results
        assert isinstance(results[0], Path) and tree(results[0]) == files

    def test_leftovers_in_the_cache_do_not_break_a_fetch(self, fetcher, make_codebase):
        junk = fetcher.cache_dir / "left-by-a-crashed-fetch"
        junk.mkdir(parents=True)
        (junk / "half.py").write_bytes(b"# half")
        files = sample_files()
        assert tree(fetcher.fetch(make_codebase(files))) == files

    def test_a_missing_codebase_raises_codebase_error(self, fetcher, missing_codebase):
        if missing_codebase is None:
            pytest.skip("no missing_codebase fixture")
        with pytest.raises(CodebaseError):
            fetcher.fetch(missing_codebase)
