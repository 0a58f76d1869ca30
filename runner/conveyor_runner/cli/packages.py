"""``conveyor package ...``: generate a package from a template, test it, push and deploy it.

``generate`` and ``templates`` need no server, and neither does ``test`` for functions
without entity inputs. The other commands use the SDK's login (see ``cli.sdk``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import shlex
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

from conveyor_runner.cli import package_templates as templates
from conveyor_runner.cli.output import CliError, print_json, print_table
from conveyor_runner.cli.sdk import call, one_line, project, sdk, subcommands


def register(groups: argparse._SubParsersAction) -> None:
    """Add the package commands."""
    package = subcommands(groups, "package", "packages: generate, test, push, deploy")
    generate = package.add_parser("generate", help="create a package folder from a template")
    generate.add_argument("--template", required=True,
                          help="template name ('conveyor package templates' lists them)")
    generate.add_argument("--name", default=None, help="package name (default: the folder's "
                          "name if it is a valid package name, else the template's)")
    generate.add_argument("--to", default=".", help="folder to write to (default .)")
    generate.add_argument("--force", action="store_true", help="overwrite existing files")
    generate.set_defaults(handler=package_generate)
    package.add_parser("templates", help="list the package templates").set_defaults(
        handler=package_templates)

    listing = package.add_parser("list", help="list packages")
    listing.add_argument("--project", default=None,
                         help="project name (default: every project you are a member of)")
    listing.set_defaults(handler=package_list)

    test = package.add_parser("test", help="run a function in this process with mock.json")
    _path_argument(test)
    test.add_argument("--function", default="run",
                      help="function name (default run; a function_name in mock.json wins)")
    test.add_argument("--concurrency", type=int, default=10,
                      help="threads when mock.json has several runs (default 10)")
    test.add_argument("--mock", default="mock.json", help="mock file, relative to --path")
    test.set_defaults(handler=package_test)

    push = package.add_parser("push", help="upload the code as a new package version")
    _path_argument(push)
    push.add_argument("--project", default=None, help="project name (default: checked out)")
    push.add_argument("--name", default=None, help="package name (default: package.json's)")
    push.set_defaults(handler=package_push)

    deploy = package.add_parser("deploy", help="push, then deploy the services of package.json")
    _path_argument(deploy)
    deploy.add_argument("--project", default=None, help="project name (default: checked out)")
    deploy.set_defaults(handler=package_deploy)


def _path_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", default=".", help="package folder (default .)")


def _package_folder(path: str) -> Path:
    """The package folder ``--path`` names, absolute.

    Raises:
        CliError: it has no package.json.
    """
    folder = Path(path).resolve()
    if not (folder / "package.json").is_file():
        raise CliError(f"--path: {folder} has no package.json; create one with "
                       "'conveyor package generate --template hello-world'")
    return folder


def _read_json(path: Path, flag: str) -> object:
    """The JSON value of the file at ``path``.

    Raises:
        CliError: the file is missing or is not valid JSON. The message names ``flag``.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"{flag}: {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise CliError(f"{flag}: {path} is not valid JSON ({one_line(exc)})") from None


# ----------------------------------------------------------------------- templates
def package_generate(args: argparse.Namespace) -> int:
    """Write a template into ``--to`` and print the next steps."""
    target = Path(args.to)
    name = args.name or templates.default_name(args.template, target)
    result = templates.generate(args.template, name, target, force=args.force)
    print(f"created package {result.name} from template {args.template} in {target} "
          f"({len(result.files)} files)")
    steps = [] if target.resolve() == Path.cwd() else [(f"cd {shlex.quote(str(target))}", "")]
    steps += [("pytest", "run the package's tests"),
              ("conveyor package test", "run main.py with the inputs of mock.json"),
              ("conveyor package deploy --project <project>",
               "push the code and deploy its service"),
              ("cat README.md", "how to execute it")]
    width = max(len(command) for command, _ in steps)
    print("next steps:")
    for command, why in steps:
        print(f"  {command.ljust(width)}  {why}".rstrip())
    return 0


def package_templates(_args: argparse.Namespace) -> int:
    """Print the available templates with their functions."""
    print_table([{"template": name, "functions": summary}
                 for name, summary in templates.available().items()], ["template", "functions"])
    return 0


# ------------------------------------------------------------------------- remote
def package_list(args: argparse.Namespace) -> int:
    """Print the packages of a project, or of every project you are a member of."""
    repository = project(args.project).packages if args.project else sdk().packages
    pages = call(repository.list)
    rows = [{"name": p.name, "version": p.version, "id": p.id, "project": p.project_id,
             "updated": p.updated_at} for page in pages for p in page]
    print_table(rows, ["name", "version", "id", "updated"] if args.project
                else ["name", "version", "id", "project", "updated"])
    return 0


def package_push(args: argparse.Namespace) -> int:
    """Push the folder as a new version of its package."""
    folder = _package_folder(args.path)
    owner = project(args.project)
    with _no_progress_bars():
        package = call(owner.packages.push, src_path=str(folder), package_name=args.name)
    print(f"pushed package {package.name} version {package.version} ({package.id}) "
          f"to project {owner.name}")
    return 0


def package_deploy(args: argparse.Namespace) -> int:
    """Push the folder, then deploy each of package.json's ``services``.

    When package.json declares no services, one service named after the package is
    deployed. Guarantees: every service printed runs the version just pushed.
    """
    folder = _package_folder(args.path)
    owner = project(args.project)
    manifest_path = folder / "package.json"
    manifest = _read_json(manifest_path, "--path")
    with _no_progress_bars():
        if isinstance(manifest, dict) and manifest.get("services"):
            services, package = call(owner.packages.deploy_from_file, project=owner,
                                     json_filepath=str(manifest_path))
        else:
            package = call(owner.packages.push, src_path=str(folder))
            services = [call(package.deploy, service_name=package.name)]
    services = [_on_version(service, package.version) for service in services]
    print(f"pushed package {package.name} version {package.version} ({package.id})")
    for service in services:
        replicas = getattr(service.runtime, "num_replicas", None)
        print(f"deployed service {service.name} ({service.id}) at version "
              f"{service.package_revision}, {replicas} replica(s)")
    for service in services:
        print(f"  status: conveyor service status {service.name} --project {owner.name}")
    return 0


@contextlib.contextmanager
def _no_progress_bars() -> Iterator[None]:
    """Hide the SDK's upload bar (one codebase zip) while the block runs."""
    verbose = sdk().verbose
    previous, verbose.disable_progress_bar = verbose.disable_progress_bar, True
    try:
        yield
    finally:
        verbose.disable_progress_bar = previous


def _on_version(service, version: str):
    """The service, moved to ``version`` of its package if it is not there yet.

    ``deploy_from_file`` updates an existing service only when package.json changes its
    settings. Without this, a deploy of changed code would leave the service on the old
    version.
    """
    if service.package_revision == version:
        return service
    service.package_revision = version
    return call(service.update)


# -------------------------------------------------------------------------- local
def package_test(args: argparse.Namespace) -> int:
    """Run a function of the folder's package in this process and print its output.

    The output is printed as JSON, the way an execution stores it: entities become
    ``{"<type>_id": id}``. The function's log records go to stderr meanwhile.
    Exit code 1 when the function raises (its traceback goes to stderr) or the inputs
    are wrong.
    """
    folder = _package_folder(args.path)
    _read_json(folder / "package.json", "--path")
    _read_json(folder / args.mock, "--mock")
    dl = sdk()
    from conveyor.runtime.invocation import to_output

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.root.addHandler(handler)
    try:
        value = dl.packages.test_local_package(
            cwd=str(folder), concurrency=args.concurrency, function_name=args.function,
            mock_file_path=args.mock)
    except dl.exceptions.ConveyorError as exc:
        raise CliError(one_line(exc)) from exc
    except Exception as exc:  # the user's code failed: show where, then one line
        traceback.print_exc()
        raise CliError(f"the package's code raised {type(exc).__name__}: {one_line(exc)}") \
            from exc
    finally:
        logging.root.removeHandler(handler)
    print_json(call(to_output, value))
    return 0
