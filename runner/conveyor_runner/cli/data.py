"""``conveyor project|dataset|item``: the basics of data, through the SDK."""

from __future__ import annotations

import argparse

from conveyor_runner.cli.output import CliError, print_table


def register(groups: argparse._SubParsersAction) -> None:
    """Add the project, dataset and item commands."""
    project = _group(groups, "project", "projects you are a member of")
    project.add_parser("list", help="list projects").set_defaults(handler=project_list)
    create = project.add_parser("create", help="create a project")
    create.add_argument("name")
    create.set_defaults(handler=project_create)

    dataset = _group(groups, "dataset", "datasets of a project")
    listing = dataset.add_parser("list", help="list a project's datasets")
    listing.add_argument("--project", required=True, help="project name")
    listing.set_defaults(handler=dataset_list)
    create = dataset.add_parser("create", help="create a dataset")
    create.add_argument("name")
    create.add_argument("--project", required=True, help="project name")
    create.set_defaults(handler=dataset_create)

    item = _group(groups, "item", "items of a dataset")
    listing = item.add_parser("list", help="list a dataset's files")
    _dataset_arguments(listing)
    listing.add_argument("--folder", default=None,
                         help="only files under this remote folder (recursive)")
    listing.set_defaults(handler=item_list)
    upload = item.add_parser("upload", help="upload files or folders (with a progress bar)")
    _dataset_arguments(upload)
    upload.add_argument("paths", nargs="+", help="local files or folders")
    upload.add_argument("--remote-path", default="/", help="remote folder (default /)")
    upload.add_argument("--overwrite", action="store_true", help="replace existing files")
    upload.set_defaults(handler=item_upload)
    download = item.add_parser("download", help="download files (with a progress bar)")
    _dataset_arguments(download)
    download.add_argument("--folder", default=None, help="only files under this remote folder")
    download.add_argument("--to", default=".", help="local folder (default .)")
    download.add_argument("--overwrite", action="store_true", help="replace local files")
    download.set_defaults(handler=item_download)


def _group(groups: argparse._SubParsersAction, name: str, help_text: str):
    parser = groups.add_parser(name, help=help_text)
    return parser.add_subparsers(dest="command", metavar="COMMAND", required=True)


def _dataset_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", required=True, help="project name")
    parser.add_argument("--dataset", required=True, help="dataset name")


def _sdk():
    import conveyor as dl

    return dl


def _call(function, *args, **kwargs):
    """Run an SDK call, turning its errors into one-line CLI errors."""
    dl = _sdk()
    try:
        return function(*args, **kwargs)
    except (dl.exceptions.ConveyorError, ValueError) as exc:
        raise CliError(str(exc)) from exc


def _dataset(args: argparse.Namespace):
    dl = _sdk()
    project = _call(dl.projects.get, project_name=args.project)
    return _call(project.datasets.get, dataset_name=args.dataset)


def project_list(_args: argparse.Namespace) -> int:
    """Print the caller's projects."""
    projects = _call(_sdk().projects.list)
    print_table([{"name": p.name, "id": p.id, "created": p.created_at} for p in projects],
                ["name", "id", "created"])
    return 0


def project_create(args: argparse.Namespace) -> int:
    """Create a project and print its id."""
    project = _call(_sdk().projects.create, project_name=args.name)
    print(f"created project {project.name} ({project.id})")
    return 0


def dataset_list(args: argparse.Namespace) -> int:
    """Print a project's datasets."""
    project = _call(_sdk().projects.get, project_name=args.project)
    datasets = _call(project.datasets.list)
    print_table([{"name": d.name, "id": d.id, "items": d.items_count} for d in datasets],
                ["name", "id", "items"])
    return 0


def dataset_create(args: argparse.Namespace) -> int:
    """Create a dataset and print its id."""
    project = _call(_sdk().projects.get, project_name=args.project)
    dataset = _call(project.datasets.create, dataset_name=args.name)
    print(f"created dataset {dataset.name} ({dataset.id})")
    return 0


def _folder_filters(folder: str | None):
    dl = _sdk()
    filters = dl.Filters()
    if folder and folder.strip("/"):
        filters.add(field="filename", values="/" + folder.strip("/") + "/**")
    return filters


def item_list(args: argparse.Namespace) -> int:
    """Print the files of a dataset (optionally of one folder)."""
    dataset = _dataset(args)
    pages = _call(dataset.items.list, filters=_folder_filters(args.folder))
    rows = [{"filename": i.filename, "id": i.id, "size": i.metadata["system"].get("size")}
            for page in pages for i in page]
    print_table(rows, ["filename", "id", "size"])
    return 0


def item_upload(args: argparse.Namespace) -> int:
    """Upload local files and folders into the dataset."""
    dataset = _dataset(args)
    uploaded = _call(dataset.items.upload, local_path=args.paths, remote_path=args.remote_path,
                     overwrite=args.overwrite, return_as_list=True)
    count = sum(1 for item in uploaded or [] if item is not None)
    print(f"uploaded {count} file(s) to {args.project}/{args.dataset}{args.remote_path}")
    return 0


def item_download(args: argparse.Namespace) -> int:
    """Download the dataset's files (optionally of one folder) into a local folder."""
    dataset = _dataset(args)
    path = _call(dataset.items.download, filters=_folder_filters(args.folder),
                 local_path=args.to, overwrite=args.overwrite)
    print(f"downloaded to {path}")
    return 0
