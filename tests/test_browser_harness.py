"""The browser harness itself: Debian's Chromium opens a local page and the request log sees it."""

from __future__ import annotations

from tests.browser import RequestLog, open_browser


def test_chromium_opens_a_file_and_logs_requests(tmp_path):
    page_file = tmp_path / "page.html"
    page_file.write_text("<html><body><p id='x'>hello</p><img src='http://example.invalid/a.png'></body></html>")
    with open_browser() as browser:
        context = browser.new_context()
        log = RequestLog().attach(context)
        page = context.new_page()
        page.goto(page_file.as_uri())
        assert page.inner_text("#x") == "hello"
        context.close()
    assert log.outside() == ["http://example.invalid/a.png"]  # the log does see a request that leaves
