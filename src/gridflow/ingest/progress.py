"""Page progress of API ingestion runs in this process, for CLI progress bars."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class PageProgress:
    """Pages done and expected; a chunk not opened yet counts as one page."""

    callback: Callable[[int, int], None] | None = None
    chunks: int = 0
    done: int = 0
    known: dict[str, int] = field(default_factory=dict)

    def planned(self, chunks: int) -> None:
        """A run planned `chunks` chunks: start counting afresh."""
        self.chunks, self.done, self.known = chunks, 0, {}

    def page(self, chunk: str, page_count: int) -> None:
        """One page of `chunk` arrived; the chunk has `page_count` pages in all."""
        self.done += 1
        self.known[chunk] = page_count
        if self.callback is not None:
            total = sum(self.known.values()) + max(0, self.chunks - len(self.known))
            self.callback(self.done, max(total, self.done))


# Module state on purpose: tasks run in the CLI's process and have no other channel to its bar.
_current = PageProgress()


def current() -> PageProgress:
    """The progress that chunks of runs in this process report to."""
    return _current


@contextmanager
def page_progress(on_page: Callable[[int, int], None]) -> Iterator[None]:
    """Report ``on_page(pages_done, pages_expected)`` while a flow runs in this process.

    `pages_expected` counts one page for each chunk not opened yet, so it can grow (CLI bars should
    update their length). Runs on a remote worker report nothing.
    """
    global _current
    previous, _current = _current, PageProgress(callback=on_page)
    try:
        yield
    finally:
        _current = previous
