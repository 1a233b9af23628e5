"""`knowledge review` opened in a real headless browser (Debian's chromium through Selenium and
chromedriver): a known sentence is highlighted, is one unbroken piece of text and links to its
item; an unaccounted sentence is red. A screenshot is kept in tests/artifacts/."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT, TEST_DIGEST
from tests.system.test_curation import sco_bot

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = PROJECT / "tests" / "artifacts"
PLAN = "They approved a new Plan for Cooperation between the SCO Defence Ministries for 2022-2023."
UNCITED = "They discussed ways of promoting peace, stability and security."
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,1600",
)
# The sentence as the page shows it, non-breaking spaces and all, found by its text.
FIND = """
const wanted = arguments[0];
return [...document.querySelectorAll('.s')].find(
  e => e.textContent.replace(/\\u00a0/g, ' ').replace(/\\s+/g, ' ').trim() === wanted) || null;
"""


def _browser_available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    if not _browser_available():
        if os.environ.get("CI") or os.environ.get("SCO_REQUIRE_BROWSER"):
            pytest.fail(
                "chromium and chromedriver are required here "
                "(apt-get install chromium chromium-driver)"
            )
        pytest.skip("Debian's chromium and chromium-driver are not installed (CI installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(condition: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_review_page_highlights_a_sentence_and_links_it_to_its_item(
    browser: Any, tmp_path: Path
) -> None:
    out = tmp_path / "review"
    result = sco_bot("knowledge", "review", "-o", out, "--dir", TEST_DIGEST)
    assert result.returncode == 0, result.stderr
    assert "34 sentences, 5 unaccounted for" in result.stdout  # as `knowledge coverage` counts
    browser.get((out / "sco-secretariat-2021-07-28.html").as_uri())
    sentence = wait_for(lambda: browser.execute_script(FIND, PLAN))
    assert sentence is not None, "the sentence is not one piece of text on the page"
    assert "cited" in sentence.get_attribute("class").split()
    # One unbroken piece of text: a single text node, the item's details outside it.
    assert browser.execute_script(
        "const e = arguments[0]; return e.childNodes.length === 1 && e.firstChild.nodeType === 3;",
        sentence,
    )
    assert sentence.get_attribute("href").endswith("#item-cooperation-plan-2022-2023")
    assert "Jointly" in sentence.get_attribute("title") or "reports" in sentence.get_attribute(
        "title"
    )
    assert sentence.value_of_css_property("background-color") == "rgba(255, 243, 176, 1)"
    missing = browser.execute_script(FIND, UNCITED)
    assert missing is not None and "missing" in missing.get_attribute("class").split()
    assert missing.value_of_css_property("color") == "rgba(176, 0, 32, 1)"
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "review-text.png"))
    sentence.click()
    assert (
        wait_for(lambda: browser.execute_script("return location.hash"))
        == "#item-cooperation-plan-2022-2023"
    )
    item = browser.find_element("id", "item-cooperation-plan-2022-2023")
    assert item.value_of_css_property("background-color") == "rgba(255, 251, 230, 1)"  # :target
    rendered = item.find_element("css selector", ".rendered").text
    assert (
        "They approved a new Plan for Cooperation" in rendered
        and "SCO Secretariat, 28 Jul 2021" in rendered
    )
    shot = ARTIFACTS / "review-item.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shutil.copy(shot, tmp_path / shot.name)
