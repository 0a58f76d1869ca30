"""The codebase role: getting a package's code onto the machine that runs it."""

from conveyor_runner.codebase.fetcher import CodebaseFetcher, CodebaseError

__all__ = ["CodebaseError", "CodebaseFetcher"]
