"""Registers the item codebase fetcher."""

from conveyor_plugins.codebase_item.fetcher import ItemCodebaseFetcher
from conveyor_runner.plugin import hookimpl


@hookimpl
def conveyor_register_codebase_fetchers():
    """``codebase.type == "item"``: a zip item in the project's Binaries dataset."""
    return [ItemCodebaseFetcher]
