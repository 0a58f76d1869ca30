"""The codebase role: getting a package's code onto the machine that runs it."""

from conveyor_runner.codebase.fetcher import CodebaseError, CodebaseFetcher

__all__ = ["CodebaseError", "CodebaseFetcher"]
