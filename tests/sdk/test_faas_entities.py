"""Package/module/function/FunctionIO/runtime/service/execution entities, no server.

The expected JSON literals were produced by dtlpy 1.126.5 for the same constructor calls
(checked once with a throw-away script), so both SDKs send the same bodies.
"""

import pytest

import conveyor as dl
from conveyor import exceptions

ITEM_IO = {"name": "item", "type": "Item"}
JSON_IO = {"actions": ["x"], "description": "d", "name": "cfg", "type": "Json"}
RUN = {"computeConfig": None, "input": [ITEM_IO], "name": "run", "output": []}


def json_io():
    return dl.FunctionIO(type="Json", name="cfg", value={"a": 1}, description="d",
                         actions=["x"])


def test_function_io_json_for_package_and_execution():
    item = dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item")
    assert item.to_json() == ITEM_IO
    assert item.to_json(resource="execution") == {"item": None}
    assert json_io().to_json() == JSON_IO
    assert json_io().to_json(resource="service") == {"cfg": {"a": 1}}
    assert dl.FunctionIO(type="String").to_json() == {"name": "config", "type": "String"}
    assert dl.FunctionIO(type="Dataset").to_json() == {"name": "dataset", "type": "Dataset"}
    with pytest.raises(exceptions.BadRequest, match="resource"):
        item.to_json(resource="pipeline")


def test_function_io_validates_given_types_and_values():
    with pytest.raises(exceptions.BadRequest, match="type: invalid input type 'Banana'"):
        dl.FunctionIO(type="Banana", name="b")
    with pytest.raises(exceptions.BadRequest, match="value: 'cfg' is Json"):
        dl.FunctionIO(type="Json", name="cfg", value={1, 2})
    # JSON received from a server is kept as is, even with types this SDK does not list
    assert dl.FunctionIO.from_json({"name": "t", "type": "Trigger"}).to_json() == {
        "name": "t", "type": "Trigger"}


def test_every_input_type_and_its_list_form_exist():
    values = {t.value for t in dl.PackageInputType}
    singles = ["Dataset", "Item", "Annotation", "Execution", "Task", "Assignment", "Service",
               "Package", "Project", "Recipe", "Json", "String", "Number", "Integer", "Float",
               "Boolean", "Model"]
    assert set(singles) | {s + "[]" for s in singles} <= values


def test_package_function_json_matches_dtlpy():
    item = dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item")
    assert dl.PackageFunction(name="run", inputs=[item], outputs=[]).to_json() == RUN
    assert dl.PackageFunction().to_json() == {"computeConfig": None, "input": [],
                                              "name": "run", "output": []}
    assert dl.PackageFunction(inputs=[json_io()], description="x",
                              display_name="Run").to_json() == {
        "computeConfig": None, "description": "x", "displayName": "Run",
        "input": [JSON_IO], "name": "run", "output": []}


def test_package_module_json_matches_dtlpy():
    function = dl.PackageFunction(name="run", inputs=[dl.FunctionIO(type="Item", name="item")])
    module = dl.PackageModule(name="default_module", entry_point="main.py",
                              class_name="ServiceRunner", functions=[function])
    assert module.to_json() == {"className": "ServiceRunner", "computeConfig": None,
                                "entryPoint": "main.py", "functions": [RUN], "initInputs": [],
                                "name": "default_module"}
    module = dl.PackageModule(name="m2", functions=[])
    module.add_function(dl.PackageFunction(name="a"))
    module.add_function({"name": "hello"})
    assert [f["name"] for f in module.to_json()["functions"]] == ["a", "hello"]
    assert module.to_json()["functions"][1] == {"computeConfig": None, "input": [],
                                                "name": "hello", "output": []}
    with pytest.raises(ValueError, match="already has 'hello'"):
        module.add_function({"name": "hello"})
    with pytest.raises(TypeError, match="expected dl.PackageFunction"):
        module.add_function(42)


def test_module_from_json_fills_defaults_and_round_trips():
    received = {"name": "a", "functions": [{"name": "x", "input": [{"name": "i",
                                                                    "type": "Item"}]}],
                "description": "kept"}
    module = dl.PackageModule.from_json(received)
    assert module.class_name == "ServiceRunner" and module.entry_point == "main.py"
    assert module.functions[0].inputs[0].name == "i"
    expected = {"className": "ServiceRunner", "computeConfig": None, "entryPoint": "main.py",
                "functions": [{"computeConfig": None, "input": [{"name": "i", "type": "Item"}],
                               "name": "x", "output": []}],
                "initInputs": [], "name": "a", "description": "kept"}
    assert module.to_json() == expected
    assert dl.PackageModule.from_json(module.to_json()).to_json() == expected
    with pytest.raises(ValueError, match="two functions named 'x'"):
        dl.PackageModule(functions=[{"name": "x"}, {"name": "x"}])


def test_package_json_round_trip_matches_dtlpy():
    received = {"id": "x", "name": "p", "version": "1.0.0", "extra": 5,
                "modules": [{"name": "a"}], "codebase": {"type": "item", "itemId": "i1"},
                "requirements": [{"name": "numpy", "version": "1.0", "operator": "=="}]}
    package = dl.Package.from_json(received, client_api=None)
    assert isinstance(package.codebase, dl.ItemCodebase) and package.codebase_id == "i1"
    assert package.requirements == [dl.PackageRequirement("numpy", "1.0", "==")]
    package.modules = [dl.PackageModule(name="default_module", functions=[
        dl.PackageFunction(name="run", inputs=[dl.FunctionIO(type="Item", name="item")])])]
    assert package.to_json() == {
        "codebase": {"itemId": "i1", "type": "item"}, "extra": 5, "id": "x",
        "modules": [{"className": "ServiceRunner", "computeConfig": None,
                     "entryPoint": "main.py", "functions": [RUN], "initInputs": [],
                     "name": "default_module"}],
        "name": "p", "requirements": [{"name": "numpy", "operator": "==", "version": "1.0"}],
        "version": "1.0.0"}
    again = dl.Package.from_json(package.to_json(), client_api=None)
    assert again.to_json() == package.to_json()
    assert dl.Package(name="n", modules=[{"name": "m"}]).modules[0].name == "m"


def test_requirement_operators_are_checked():
    with pytest.raises(ValueError, match="operator"):
        dl.PackageRequirement("x", "1", "~=")
    assert dl.PackageRequirement("x").to_json() == {"name": "x"}


def test_codebases_factory_and_json():
    assert dl.Codebase(type="item", itemId="z").to_json() == {"type": "item", "itemId": "z"}
    assert dl.GitCodebase(git_url="https://g/x.git", git_tag="v1").to_json() == {
        "gitTag": "v1", "gitUrl": "https://g/x.git", "type": "git"}
    assert dl.Codebase(type="git", gitUrl="https://h/o/r.git").git_repo_name == "r"
    assert dl.FilesystemCodebase(host_path="/h", container_path="/c").to_json() == {
        "type": "filesystem", "hostPath": "/h", "containerPath": "/c"}
    local = dl.Codebase(type="local", localPath="/src")
    assert local.is_local and local.to_json() == {"type": "local", "localPath": "/src"}
    assert dl.ItemCodebase(item_id="z").is_remote
    with pytest.raises(ValueError, match="unknown codebase type 'svn'"):
        dl.Codebase(type="svn")


def test_runtime_json_matches_dtlpy_plus_backend():
    runtime = dl.KubernetesRuntime(autoscaler=dl.KubernetesRabbitmqAutoscaler(
        min_replicas=1, max_replicas=3, queue_length=5))
    assert runtime.to_json() == {
        "autoscaler": {"maxReplicas": 3, "minReplicas": 1, "queueLength": 5,
                       "type": "rabbitmq"},
        "concurrency": 10, "numReplicas": 1, "podType": "regular-s", "backend": "local"}
    assert dl.KubernetesRPSAutoscaler().to_json() == {
        "maxReplicas": 1, "minReplicas": 0, "rateSeconds": 30, "threshold": 10, "type": "rps"}
    parsed = dl.KubernetesRuntime(podType="gpu-t4", numReplicas=0, gpu=True, backend="docker",
                                  runnerImage="img", autoscaler={"type": "rps", "threshold": 3})
    assert (parsed.pod_type, parsed.num_replicas, parsed.backend) == ("gpu-t4", 0, "docker")
    assert isinstance(parsed.autoscaler, dl.KubernetesRPSAutoscaler)
    assert parsed.to_json()["runnerImage"] == "img" and "gpu" not in parsed.to_json()
    with pytest.raises(ValueError, match="unsupported autoscaler 'cpu'"):
        dl.KubernetesRuntime(autoscaler={"type": "cpu"})
    assert dl.KubernetesAutuscalerType.RABBITMQ is dl.KubernetesAutoscalerType.RABBITMQ
    assert dl.InstanceCatalog.GPU_T4_S.value == "gpu-t4"


def test_service_and_execution_entities_read_the_wire_json():
    service = dl.Service.from_json({"id": "s", "name": "svc", "projectId": "p",
                                    "runtime": {"podType": "regular-m", "concurrency": 2},
                                    "initParams": {"a": 1}, "onReset": "rerun"})
    assert isinstance(service.runtime, dl.KubernetesRuntime)
    assert service.runtime.concurrency == 2 and service.init_input == {"a": 1}
    service.runtime.num_replicas = 0
    sent = service.to_json()
    assert sent["runtime"]["numReplicas"] == 0 and sent["onReset"] == "rerun"
    assert sent["initParams"] == {"a": 1} and "maxAttempts" not in sent
    execution = dl.Execution.from_json(
        {"id": "e", "latestStatus": {"status": "created"}, "statusLog": [{"status": "created"}],
         "status": [{"status": "created"}], "pipeline": {"id": "pl", "nodeId": "n"}},
        client_api=None)
    assert execution.in_progress() and execution.pipeline_id == "pl"
    assert execution.node_id == "n" and execution.status == [{"status": "created"}]
    for final in ("success", "failed", "terminated", "aborted", "canceled", "system-failure"):
        execution.latest_status = {"status": final}
        assert not execution.in_progress()
    execution.latest_status = {"status": "inProgress"}  # unknown spellings count as running
    assert execution.in_progress()


def test_decorated_class_describes_its_module(tmp_path):
    source = tmp_path / "main.py"
    source.write_text(
        "import conveyor as dl\n"
        "@dl.Package.decorators.module(name='mod', init_inputs={'cfg': 'Json'})\n"
        "class Runner(dl.BaseServiceRunner):\n"
        "    @dl.Package.decorators.function(inputs={'item': dl.PackageInputType.ITEM},\n"
        "                                    outputs={'out': 'Json'})\n"
        "    def run(self, item):\n"
        "        return item\n")
    module = dl.PackageModule.from_entry_point(str(source))
    assert (module.name, module.class_name, module.entry_point) == ("mod", "Runner",
                                                                    str(source))
    assert module.init_inputs[0].to_json() == {"name": "cfg", "type": "Json"}
    run = module.functions[0]
    assert run.to_json()["input"] == [ITEM_IO] and run.display_name == "run"
