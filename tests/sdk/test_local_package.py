"""package.test() / test_local_package with mock.json, requirements, and code zipping."""

import io
import json
import threading
import zipfile

import pytest

import conveyor as dl
from conveyor import exceptions
from conveyor.repositories import package_local
from conveyor.repositories.zipping import GitIgnore, md5_hex, packed_files, unzip_to, zip_folder

MAIN_PY = '''
import threading
import conveyor as dl


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self, prefix="p"):
        self.prefix = prefix

    def run(self, text, times=1):
        return self.prefix + text * times

    def slow(self, text, progress):
        progress.update(progress=50)
        return (text, threading.get_ident(), type(progress).__name__)


class Other(dl.BaseServiceRunner):
    def hello(self):
        return "hello from other"
'''

PACKAGE_JSON = {"name": "local-pkg", "modules": [
    {"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
     "functions": [
         {"name": "run", "input": [{"name": "text", "type": "String"},
                                   {"name": "times", "type": "Integer"}]},
         {"name": "slow", "input": [{"name": "text", "type": "String"}]}]},
    {"name": "other", "entryPoint": "main.py", "className": "Other",
     "functions": [{"name": "hello", "input": []}]}]}


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "main.py").write_text(MAIN_PY)
    (tmp_path / "package.json").write_text(json.dumps(PACKAGE_JSON))
    return tmp_path


def write_mock(folder, mock, name="mock.json"):
    (folder / name).write_text(json.dumps(mock))


def test_single_mode_runs_with_init_params(folder):
    write_mock(folder, {"init_params": {"prefix": ">"},
                        "inputs": [{"name": "text", "value": "ab"},
                                   {"name": "times", "value": 2}]})
    assert dl.packages.test_local_package(cwd=str(folder)) == ">abab"


def test_legacy_config_key_and_custom_mock_path(folder):
    write_mock(folder, {"config": {"prefix": "#"},
                        "inputs": [{"name": "text", "value": "x"}, {"name": "times", "value": 1}]},
               name="other-mock.json")
    assert dl.packages.test_local_package(cwd=str(folder),
                                          mock_file_path="other-mock.json") == "#x"


def test_multi_mode_runs_each_input_list_in_threads(folder):
    write_mock(folder, {"function_name": "slow",
                        "inputs": [[{"name": "text", "value": "a"}],
                                   [{"name": "text", "value": "b"}],
                                   [{"name": "text", "value": "c"}]]})
    results = dl.packages.test_local_package(cwd=str(folder), concurrency=3)
    assert [r[0] for r in results] == ["a", "b", "c"]
    assert all(r[2] == "Progress" for r in results)
    assert threading.get_ident() not in {r[1] for r in results}


def test_mock_overrides_module_function_class_and_entry_point(folder):
    (folder / "second.py").write_text(MAIN_PY.replace("hello from other", "hello from second"))
    write_mock(folder, {"module_name": "other", "function_name": "hello", "class_name": "Other",
                        "entry_point": "second.py", "inputs": []})
    assert dl.packages.test_local_package(cwd=str(folder)) == "hello from second"


def test_package_entity_modules_win_over_package_json(folder):
    package = dl.Package(name="x", modules=[{"name": "default_module", "functions": [
        {"name": "run", "input": [{"name": "text", "type": "String"}]}]}])
    write_mock(folder, {"inputs": [{"name": "text", "value": "q"}]})
    assert package.test(cwd=str(folder)) == "pq"  # `times` undeclared: its default applies


def test_empty_modules_fall_back_to_a_run_function_without_inputs(folder):
    (folder / "package.json").write_text(json.dumps({"name": "x", "modules": []}))
    (folder / "main.py").write_text(
        "class ServiceRunner:\n    def run(self):\n        return 'bare'\n")
    write_mock(folder, {"inputs": []})
    assert dl.packages.test_local_package(cwd=str(folder)) == "bare"


@pytest.mark.parametrize("mock, message", [
    ({"inputs": [{"name": "times", "value": 1}]}, "input.text: no entry"),
    ({"inputs": [{"name": "text", "value": "a"}, {"name": "text", "value": "b"},
                 {"name": "times", "value": 1}]}, "input.text: duplicate entries"),
    ({"module_name": "nope", "inputs": []}, "module_name: module 'nope'"),
    ({"function_name": "nope", "inputs": []}, "function_name: function 'nope'"),
    ({"inputs": [[{"name": "text", "value": "a"}], {"name": "text", "value": "b"}]},
     "inputs: mock.json inputs can be"),
])
def test_mock_errors_are_named(folder, mock, message):
    write_mock(folder, mock)
    with pytest.raises(exceptions.BadRequest, match=message):
        dl.packages.test_local_package(cwd=str(folder))


def test_wrong_value_types_raise_input_errors(folder):
    write_mock(folder, {"inputs": [{"name": "text", "value": 5}, {"name": "times", "value": 1}]})
    with pytest.raises(dl.runtime.InputError, match="^input.text: expected String"):
        dl.packages.test_local_package(cwd=str(folder))


def test_unknown_declared_type_and_missing_package_json(folder):
    broken = json.loads(json.dumps(PACKAGE_JSON))
    broken["modules"][0]["functions"][0]["input"][0]["type"] = "Banana"
    (folder / "package.json").write_text(json.dumps(broken))
    write_mock(folder, {"inputs": [{"name": "text", "value": "a"}]})
    with pytest.raises(exceptions.BadRequest, match="input.text: unknown resource type"):
        dl.packages.test_local_package(cwd=str(folder))
    (folder / "package.json").unlink()
    with pytest.raises(exceptions.BadRequest, match="package.json"):
        dl.packages.test_local_package(cwd=str(folder))


def test_build_from_a_local_codebase(folder):
    package = dl.Package(name="x", codebase=dl.LocalCodebase(local_path=str(folder)),
                         modules=PACKAGE_JSON["modules"])
    runner = package.build(init_inputs={"prefix": "!"})
    assert runner.run("a") == "!a"
    assert package.build(module_name="other").hello() == "hello from other"
    with pytest.raises(ValueError, match="available: \\['default_module', 'other'\\]"):
        package.build(module_name="missing")


# ------------------------------------------------------------------------- requirements
def test_requirements_file_parsing(tmp_path):
    (tmp_path / "base.txt").write_text("requests==2.31.0\n")
    (tmp_path / "requirements.txt").write_text(
        "# comment\nnumpy>=1.24,<2  # inline\n-r base.txt\n--index-url https://x\n\n"
        "opencv-python-headless\ntorch~=2.1\n")
    parsed = [r.to_json() for r in dl.packages.build_requirements(
        str(tmp_path / "requirements.txt"))]
    assert parsed == [{"name": "numpy", "version": "1.24", "operator": ">="},
                      {"name": "numpy", "version": "2", "operator": "<"},
                      {"name": "requests", "version": "2.31.0", "operator": "=="},
                      {"name": "opencv-python-headless"}, {"name": "torch~=2.1"}]
    with pytest.raises(exceptions.BadRequest, match="does not exist"):
        package_local.build_requirements(str(tmp_path / "missing.txt"))


# ------------------------------------------------------------------------- zipping
def test_gitignore_rules():
    rules = GitIgnore(["# c", "*.log", "!keep.log", "/build", "data/", "docs/**/*.md",
                       "\\#hash", "a?c", "[xy].txt"])
    assert rules.ignored("x.log", False) and rules.ignored("sub/x.log", False)
    assert not rules.ignored("keep.log", False)
    assert rules.ignored("build", True) and not rules.ignored("sub/build", True)
    assert rules.ignored("data", True) and rules.ignored("sub/data", True)
    assert not rules.ignored("data", False)  # dir-only rule, and a file named data
    assert rules.ignored("docs/a/b/c.md", False) and rules.ignored("docs/c.md", False)
    assert rules.ignored("#hash", False) and rules.ignored("abc", False)
    assert rules.ignored("x.txt", False) and not rules.ignored("z.txt", False)


def test_zip_honours_gitignore_and_is_deterministic(tmp_path):
    (tmp_path / ".gitignore").write_text("*.bin\nout/\n")
    for name in ("main.py", "pkg/mod.py", "big.bin", "out/x.py", ".git/HEAD",
                 "pkg/__pycache__/m.pyc", ".conveyor/state.json", ".dataloop/x"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o755)
    assert packed_files(tmp_path) == [".gitignore", "main.py", "pkg/mod.py", "run.sh"]
    first = zip_folder(tmp_path)
    (tmp_path / "main.py").touch()  # a new mtime alone changes nothing
    assert md5_hex(zip_folder(tmp_path)) == md5_hex(first)
    (tmp_path / "main.py").write_text("changed")
    assert md5_hex(zip_folder(tmp_path)) != md5_hex(first)
    out = unzip_to(first, tmp_path / "unzipped")
    assert (out / "pkg/mod.py").read_text() == "pkg/mod.py"
    assert (out / "run.sh").stat().st_mode & 0o111


def test_zip_size_limit_and_unsafe_archives(tmp_path, monkeypatch):
    from conveyor.repositories import zipping

    (tmp_path / "a.txt").write_text("x" * 100)
    monkeypatch.setattr(zipping, "MAX_ZIP_BYTES", 50)
    with pytest.raises(exceptions.BadRequest, match="ignore_max_file_size"):
        zip_folder(tmp_path)
    assert zip_folder(tmp_path, ignore_max_file_size=True)
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../escape.txt", "x")
    with pytest.raises(exceptions.BadRequest, match="escapes"):
        unzip_to(evil.getvalue(), tmp_path / "target")
    assert not (tmp_path / "escape.txt").exists()
