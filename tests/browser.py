"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright.

Never ``playwright install`` (it downloads a browser, and the machines have no
internet). :func:`open_browser` launches Chromium with the flags that stop its
own calls home; :class:`RequestLog` records every request a page makes, so a
test can assert that none left 127.0.0.1.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@contextlib.contextmanager
def open_browser() -> Iterator["object"]:
    """A Playwright Chromium browser (``playwright.sync_api.Browser``), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class RequestLog:
    """Every URL a context asked for; ``outside()`` lists those that were not local (file:, data:, loopback)."""

    urls: list[str] = field(default_factory=list)

    def attach(self, context) -> "RequestLog":
        context.on("request", lambda request: self.urls.append(request.url))
        return self

    def outside(self) -> list[str]:
        def local(url: str) -> bool:
            parts = urlsplit(url)
            return parts.scheme in {"file", "data", "blob", "about"} or parts.hostname in LOCAL_HOSTS
        return [url for url in self.urls if not local(url)]
