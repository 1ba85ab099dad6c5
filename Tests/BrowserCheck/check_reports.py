#!/usr/bin/python3
"""Checks the reports in Reports/ as a reader would see them.

HTML: headless Chromium (Debian's chromium + chromium-driver, driven by
selenium) loads each page in a light and a dark colour scheme and asserts
that the console shows no error, that the page loaded no resource from
anywhere (no script, font, stylesheet or image), and that every SVG chart
has a non-zero size; it saves a full-page screenshot of each.

Markdown: cmark-gfm (the GitHub-flavoured reference renderer) renders each
.md and the check asserts that its tables became <table>s and that no raw
HTML from the input survived.

Run: /usr/bin/python3 Tests/BrowserCheck/check_reports.py [--screenshots DIR]
Exit status 0 when every check holds, 1 otherwise.
"""
import argparse
import glob
import os
import re
import subprocess
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                 "--window-size=1100,1400"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


MEASURE = """
return Array.from(document.querySelectorAll('svg')).map(function (svg) {
  var box = svg.getBoundingClientRect();
  return {id: svg.id, width: box.width, height: box.height, marks: svg.querySelectorAll('.mark').length};
});
"""


def check_html(driver, path, shots):
    failures = []
    name = os.path.splitext(os.path.basename(path))[0]
    for scheme in ["light", "dark"]:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
        driver.get("file://" + path)
        errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
        failures += [f"{name} ({scheme}): console error: {message}" for message in errors]
        resources = driver.execute_script("return performance.getEntriesByType('resource').map(function (r) { return r.name; });")
        failures += [f"{name} ({scheme}): loaded an outside resource: {url}" for url in resources]
        charts = driver.execute_script(MEASURE)
        if name != "index" and len(charts) < 4:
            failures.append(f"{name}: only {len(charts)} charts")
        for chart in charts:
            if chart["width"] <= 0 or chart["height"] <= 0:
                failures.append(f"{name} ({scheme}): chart {chart['id']} has size {chart['width']}x{chart['height']}")
        background = driver.execute_script("return getComputedStyle(document.body).backgroundColor;")
        dark = background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
        if dark != (scheme == "dark"):
            failures.append(f"{name}: the {scheme} scheme did not apply (background {background})")
        height = driver.execute_script("return document.documentElement.scrollHeight;")
        driver.set_window_size(1100, min(int(height) + 40, 16000))
        shot = os.path.join(shots, f"{name}-{scheme}.png")
        driver.save_screenshot(shot)
        driver.set_window_size(1100, 1400)
        print(f"ok   {name} ({scheme}): {len(charts)} charts, {sum(c['marks'] for c in charts)} bin marks, screenshot {os.path.relpath(shot, ROOT)}")
    return failures


def check_markdown(path):
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    html = subprocess.run(["cmark-gfm", "--extension", "table", "--extension", "strikethrough"],
                          input=text, capture_output=True, text=True, check=True).stdout
    expected = len(re.findall(r"^\|[-:|]+\|\s*$", text, flags=re.M))
    tables = html.count("<table>")
    failures = []
    if tables != expected or expected == 0:
        failures.append(f"{name}: {expected} Markdown tables became {tables} <table>s")
    if "<script" in html.lower():
        failures.append(f"{name}: raw <script> survived rendering")
    print(f"ok   {name}: {tables} tables rendered by cmark-gfm" if not failures else f"FAIL {name}")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshots", default=os.path.join(ROOT, ".build", "browser-check"))
    parser.add_argument("--reports", default=os.path.join(ROOT, "Reports"))
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    pages = sorted(glob.glob(os.path.join(os.path.abspath(args.reports), "*.html")))
    documents = sorted(glob.glob(os.path.join(os.path.abspath(args.reports), "*.md")))
    if not pages or not documents:
        print("no reports found", file=sys.stderr)
        return 1
    failures = []
    driver = browser()
    try:
        for page in pages:
            failures += check_html(driver, page, args.screenshots)
    finally:
        driver.quit()
    for document in documents:
        failures += check_markdown(document)
    for failure in failures:
        print("FAIL " + failure)
    print(f"browser check: {len(pages) * 2 + len(documents) - len(set(f.split(':')[0] for f in failures))} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
