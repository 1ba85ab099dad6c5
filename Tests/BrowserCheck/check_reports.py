#!/usr/bin/python3
"""Checks the reports in Reports/ as a reader would see them.

HTML: headless Chromium (Debian's chromium + chromium-driver, driven by
selenium) loads each page in a light and a dark colour scheme and asserts
that the console shows no error, that the page loaded no resource from
anywhere (no script, font, stylesheet or image), and that every SVG chart
has a non-zero size; it saves a full-page screenshot of each. A page with a
ranking section (id "ranking") must draw its ROC curve (#roc-curve, with the
diagonal) and precision-recall curve (#pr-curve, with the no-skill line) as
styled lines of at least two points, or say why a value is undefined; a cost
chart (#cost-curve) must draw its line and mark the Bayes and the best
threshold; every operating point must sit inside its chart and be filled by
the page's style. --require-ranking fails report pages without the section.
A multi-label page (`calib audit --multilabel`) must draw one small
reliability diagram per row of its per-label table instead of the audit's sections.
Every report page must have its calibration section (id "calibration") with
the four estimators; a binary page also its four tests and fits, the CORP
decomposition as styled stacked bars inside their chart (#decomposition, or
a word on why it is undefined), and the isotonic (CORP) step line over the
positive-class reliability diagram; a multiclass page no tests. Every
reliability diagram of a page made with intervals (its settings say "Poisson
bootstrap") must draw one interval whisker (polyline.whisker, stroked by the
page's style, inside its chart) per bin mark, and a legend entry for it.

Markdown: cmark-gfm (the GitHub-flavoured reference renderer) renders each
.md and the check asserts that its tables became <table>s and that no raw
HTML from the input survived.

Injection: every page must carry the strict Content-Security-Policy <meta>,
hold no <script> element, no inline event handler (on… attribute) and no
javascript: (or other scheme) URL in any attribute, and link only to
relative ./ or #fragment targets; every Markdown file, rendered by cmark-gfm
with --unsafe (raw HTML kept, as a careless renderer would), must yield no
raw HTML element from the input and only relative ./ or # links. The same
checks run on a report directory that the built calib makes from inputs
with hostile file names (javascript: URLs, HTML, Markdown link syntax,
line breaks with workflow commands, terminal escapes), whose index links
must all resolve to files in that directory.

Run: /usr/bin/python3 Tests/BrowserCheck/check_reports.py [--screenshots DIR] [--calib PATH]
Exit status 0 when every check holds, 1 otherwise.
"""
import argparse
import glob
import html as htmllib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

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


# The ranking section, when the page has one: each curve's line (points and
# drawn size), the reference lines, the operating points (inside their chart,
# filled by the page's style), the cost chart, and whether the section says
# why a curve it left out is undefined.
RANKING = """
var section = document.getElementById('ranking');
if (!section) return null;
function line(selector) {
  var el = document.querySelector(selector);
  if (!el) return null;
  var box = el.getBBox();
  return {points: el.points.numberOfItems, width: box.width, height: box.height, stroke: getComputedStyle(el).stroke};
}
return {
  binary: !!section.querySelector('table'),
  rocChart: !!document.getElementById('roc-curve'), roc: line('svg#roc-curve polyline.curve'), diagonal: !!document.querySelector('svg#roc-curve line.diag'),
  prChart: !!document.getElementById('pr-curve'), pr: line('svg#pr-curve polyline.curve'), noSkill: !!document.querySelector('svg#pr-curve line.prior'),
  costChart: !!document.getElementById('cost-curve'), cost: line('svg#cost-curve polyline.cost-line'),
  costMarks: document.querySelectorAll('svg#cost-curve circle.op').length,
  marks: Array.from(section.querySelectorAll('svg circle.op')).map(function (c) {
    var svg = c.ownerSVGElement.getBoundingClientRect(), b = c.getBoundingClientRect();
    return {inside: b.left >= svg.left - 0.5 && b.right <= svg.right + 0.5 && b.top >= svg.top - 0.5 && b.bottom <= svg.bottom + 0.5,
            fill: getComputedStyle(c).fill};
  }),
  undefined: section.textContent.indexOf('undefined') >= 0,
};
"""


def check_ranking(driver, name, scheme, require):
    """The ranking charts of a loaded page render: curves with points and size, reference lines, marked points."""
    ranking = driver.execute_script(RANKING)
    if ranking is None:
        return ([f"{name}: no ranking section"] if require and name != "index" else []), ""
    failures = []
    drawn = []
    for chart, curve, reference, words in [("rocChart", "roc", "diagonal", "ROC curve"), ("prChart", "pr", "noSkill", "precision-recall curve")]:
        if not ranking["binary"]:
            continue
        if not ranking[chart]:
            if not ranking["undefined"]:
                failures.append(f"{name} ({scheme}): no {words} and no word on why")
            continue
        line = ranking[curve]
        if not line or line["points"] < 2 or line["width"] + line["height"] <= 0 or line["stroke"] in ("none", ""):
            failures.append(f"{name} ({scheme}): the {words} has no drawn line: {line}")
        if not ranking[reference]:
            failures.append(f"{name} ({scheme}): the {words} has no {reference} line")
        drawn.append(words)
    if ranking["costChart"]:
        line = ranking["cost"]
        if not line or line["points"] < 2 or line["width"] + line["height"] <= 0 or line["stroke"] in ("none", ""):
            failures.append(f"{name} ({scheme}): the cost chart has no drawn line: {line}")
        if ranking["costMarks"] < 2:
            failures.append(f"{name} ({scheme}): the cost chart marks {ranking['costMarks']} thresholds, not the Bayes and the best")
        drawn.append("cost chart")
    for mark in ranking["marks"]:
        if not mark["inside"] or mark["fill"] in ("none", "", "rgb(0, 0, 0)"):
            failures.append(f"{name} ({scheme}): an operating point is outside its chart or unstyled: {mark}")
    return failures, f", ranking: {', '.join(drawn) or 'no charts'}, {len(ranking['marks'])} operating points"


# The calibration section (SPEC section 9): the tables' rows, the CORP bars
# (drawn inside their chart, filled by the page's style), and the isotonic
# step line over the positive-class reliability diagram.
CALIBRATION = """
var section = document.getElementById('calibration');
if (!section) return null;
var iso = document.querySelector('svg#reliability-positive polyline.isotonic');
var isoBox = iso ? iso.getBBox() : null;
return {
  binary: !!document.getElementById('reliability-positive'),
  tests: section.querySelectorAll('#calibration-tests tbody tr').length,
  estimators: section.querySelectorAll('#calibration-estimators tbody tr').length,
  decomposition: !!document.getElementById('decomposition'),
  bars: Array.from(document.querySelectorAll('svg#decomposition rect[data-part]')).map(function (r) {
    var svg = r.ownerSVGElement.getBoundingClientRect(), b = r.getBoundingClientRect();
    return {part: r.getAttribute('data-part'), width: b.width, fill: getComputedStyle(r).fill,
            inside: b.left >= svg.left - 0.5 && b.right <= svg.right + 0.5 && b.top >= svg.top - 0.5 && b.bottom <= svg.bottom + 0.5};
  }),
  isotonic: iso ? {points: iso.points.numberOfItems, width: isoBox.width, height: isoBox.height, stroke: getComputedStyle(iso).stroke} : null,
  isotonicLegend: !!document.querySelector('svg#reliability-positive rect.isotonic-swatch'),
  undefined: section.textContent.indexOf('undefined') >= 0,
  bootstrap: document.body.textContent.indexOf('Poisson bootstrap') >= 0,
  reliability: Array.from(document.querySelectorAll('svg[id^="reliability-"]')).map(function (svg) {
    var box = svg.getBoundingClientRect();
    return {id: svg.id, marks: svg.querySelectorAll('circle.mark').length, legend: !!svg.querySelector('rect.whisker-swatch'),
            whiskers: Array.from(svg.querySelectorAll('polyline.whisker')).map(function (w) {
              var b = w.getBoundingClientRect();
              return {stroke: getComputedStyle(w).stroke, height: b.height,
                      inside: b.left >= box.left - 0.5 && b.right <= box.right + 0.5 && b.top >= box.top - 0.5 && b.bottom <= box.bottom + 0.5};
            })};
  }),
};
"""


def check_calibration(driver, name, scheme):
    """The calibration section of a loaded report page: tables, CORP bars and the isotonic overlay."""
    if name == "index":
        return [], ""
    calibration = driver.execute_script(CALIBRATION)
    if calibration is None:
        return [f"{name}: no calibration section"], ""
    failures = []
    if calibration["estimators"] != 4:
        failures.append(f"{name} ({scheme}): {calibration['estimators']} estimator rows, not 4")
    whiskers = 0
    for chart in calibration["reliability"] if calibration["bootstrap"] else []:
        drawn = chart["whiskers"]
        whiskers += len(drawn)
        if len(drawn) != chart["marks"] or not chart["legend"]:
            failures.append(f"{name} ({scheme}): {chart['id']} has {chart['marks']} bin marks but {len(drawn)} interval whiskers (legend: {chart['legend']})")
        for whisker in drawn:
            if not whisker["inside"] or whisker["stroke"] in ("none", ""):
                failures.append(f"{name} ({scheme}): an interval whisker of {chart['id']} is outside its chart or unstyled: {whisker}")
    intervals = f", {whiskers} interval whiskers" if calibration["bootstrap"] else ""
    if not calibration["binary"]:
        if calibration["tests"]:
            failures.append(f"{name} ({scheme}): a multiclass page lists {calibration['tests']} calibration tests")
        return failures, ", calibration: 4 estimators" + intervals
    if calibration["tests"] != 4:
        failures.append(f"{name} ({scheme}): {calibration['tests']} calibration tests and fits, not 4")
    bars = calibration["bars"]
    if not calibration["decomposition"]:
        if not calibration["undefined"]:
            failures.append(f"{name} ({scheme}): no decomposition chart and no word on why")
    elif len(bars) != 8 or sum(bar["width"] for bar in bars) <= 0:
        failures.append(f"{name} ({scheme}): the decomposition chart draws {len(bars)} bar parts: {bars}")
    for bar in bars:
        if not bar["inside"] or bar["fill"] in ("none", "", "rgb(0, 0, 0)"):
            failures.append(f"{name} ({scheme}): a decomposition bar is outside its chart or unstyled: {bar}")
    line = calibration["isotonic"]
    if not line or line["points"] < 2 or line["width"] + line["height"] <= 0 or line["stroke"] in ("none", ""):
        failures.append(f"{name} ({scheme}): no drawn isotonic (CORP) line over the reliability diagram: {line}")
    elif not calibration["isotonicLegend"]:
        failures.append(f"{name} ({scheme}): the isotonic line has no legend entry")
    drawn = f"{len(bars)} CORP bar parts, isotonic line of {line['points'] if line else 0} points"
    return failures, f", calibration: 4 tests, 4 estimators, {drawn}{intervals}"


CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

# Every attribute of every element (SVG included), as the browser parsed them.
ATTRIBUTES = """
var out = [];
document.querySelectorAll('*').forEach(function (el) {
  for (var i = 0; i < el.attributes.length; i++) {
    out.push({tag: el.tagName.toLowerCase(), name: el.attributes[i].name.toLowerCase(), value: el.attributes[i].value});
  }
});
return out;
"""

URL_ATTRIBUTES = {"href", "src", "xlink:href", "action", "formaction", "data", "poster", "background", "srcset"}


def relative_target(url):
    """Whether a link target is a relative path in the same folder (./…) or a fragment (#…)."""
    return url.startswith("./") or url.startswith("#")


def check_injection_html(driver, path):
    """The DOM of a loaded page: CSP, no script, no handler, no scheme URL, only relative links."""
    name = os.path.basename(path)
    failures = []
    csp = driver.execute_script(
        "var m = document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]'); return m ? m.content : null;")
    if csp != CSP:
        failures.append(f"{name}: Content-Security-Policy is {csp!r}, not {CSP!r}")
    scripts = driver.execute_script("return document.getElementsByTagName('script').length;")
    if scripts:
        failures.append(f"{name}: {scripts} <script> elements")
    for attribute in driver.execute_script(ATTRIBUTES):
        tag, key, value = attribute["tag"], attribute["name"], attribute["value"]
        if key.startswith("on"):
            failures.append(f"{name}: inline handler <{tag} {key}=…>")
        squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
        if key in URL_ATTRIBUTES or "javascript:" in squeezed:
            if squeezed.startswith("javascript:") or (key in URL_ATTRIBUTES and not relative_target(value)):
                failures.append(f"{name}: <{tag} {key}={value[:80]!r}> is not a relative ./ or # URL")
    return failures


def check_injection_markdown(path):
    """A Markdown file under an unsafe renderer: no raw HTML element, only relative links."""
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    rendered = subprocess.run(["cmark-gfm", "--unsafe", "--extension", "table", "--extension", "autolink"],
                              input=text, capture_output=True, text=True, check=True).stdout
    failures = []
    allowed = {"p", "table", "thead", "tbody", "tr", "th", "td", "h1", "h2", "h3", "ul", "ol", "li", "strong", "em",
               "code", "a", "br", "blockquote", "details", "summary", "hr", "del", "pre"}
    for tag in set(re.findall(r"<([a-zA-Z][a-zA-Z0-9-]*)", rendered)):
        if tag.lower() not in allowed:
            failures.append(f"{name}: raw <{tag}> element survived rendering")
    for url in re.findall(r'(?:href|src)="([^"]*)"', rendered):
        target = htmllib.unescape(url)
        if not relative_target(target):
            failures.append(f"{name}: link to {target[:80]!r} is not a relative ./ or # URL")
    return failures


def check_html(driver, path, shots, require_ranking=False):
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
        # A comparison page (calib compare) has its own sections: both models' diagrams and
        # curves on shared axes, checked as charts above; the audit's sections are not on it.
        ranking_note = calibration_note = ""
        # A multi-label page (calib audit --multilabel) has a per-label table and one small
        # reliability diagram per label (.multiples), not the single audit's sections.
        multilabel = driver.execute_script("return document.querySelectorAll('.multiples svg.chart').length;")
        if multilabel:
            rows = driver.execute_script("return document.querySelectorAll('section table')[1].querySelectorAll('tbody tr').length;")
            if multilabel != rows:
                failures.append(f"{name} ({scheme}): {multilabel} small reliability diagrams for {rows} labels")
            calibration_note = f", {multilabel} label diagrams"
        elif not name.endswith("_comparison"):
            found, ranking_note = check_ranking(driver, name, scheme, require_ranking)
            failures += found
            found, calibration_note = check_calibration(driver, name, scheme)
            failures += found
        if scheme == "light":
            failures += check_injection_html(driver, path)
        background = driver.execute_script("return getComputedStyle(document.body).backgroundColor;")
        dark = background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
        if dark != (scheme == "dark"):
            failures.append(f"{name}: the {scheme} scheme did not apply (background {background})")
        height = driver.execute_script("return document.documentElement.scrollHeight;")
        driver.set_window_size(1100, min(int(height) + 40, 16000))
        shot = os.path.join(shots, f"{name}-{scheme}.png")
        driver.save_screenshot(shot)
        driver.set_window_size(1100, 1400)
        print(f"ok   {name} ({scheme}): {len(charts)} charts, {sum(c['marks'] for c in charts)} bin marks{ranking_note}{calibration_note}, screenshot {os.path.relpath(shot, ROOT)}")
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


# Input names an attacker might choose; each becomes a file (same sample data) audited into one report directory.
HOSTILE_NAMES = [
    "javascript:alert(document.domain).csv",
    "<img src=x onerror=alert(1)>.csv",
    "x](javascript:alert(1)) [y](data:text,z).csv",
    "line\n::stop-commands::pwned.csv",
    "esc\x1b]0;title\x07\x1b[31m.csv",
    "#fragment?query=1 &amp; 'q\".csv",
    "%2e%2e%2findex.csv",
]


def hostile_report_directory(calib, scratch):
    """Runs calib on hostile-named copies of a sample; returns the report directory."""
    inputs = os.path.join(scratch, "in")
    out = os.path.join(scratch, "reports")
    os.makedirs(inputs)
    for name in HOSTILE_NAMES:
        shutil.copy(os.path.join(ROOT, "SampleData", "spam_messages.tsv"), os.path.join(inputs, name))
    paths = sorted(os.path.join(inputs, name) for name in HOSTILE_NAMES)
    env = dict(os.environ, NO_COLOR="1")
    env.pop("GITHUB_ACTIONS", None)
    run = subprocess.run([calib, "audit", *paths, "--delimiter", "tab", "--report-dir", out], capture_output=True, env=env)
    if run.returncode != 0:
        raise SystemExit(f"calib on hostile file names exited {run.returncode}: {run.stderr.decode(errors='replace')}")
    return out


def check_index_links(folder):
    """Every link of index.html and index.md is ./NAME and NAME (percent-decoded) is a file in the folder."""
    failures = []
    for index in ["index.html", "index.md"]:
        with open(os.path.join(folder, index), encoding="utf-8") as f:
            text = f.read()
        if index.endswith(".md"):
            text = subprocess.run(["cmark-gfm", "--unsafe", "--extension", "table"], input=text, capture_output=True, text=True, check=True).stdout
        links = re.findall(r'href="([^"]*)"', text)
        if len(links) != len(HOSTILE_NAMES):
            failures.append(f"hostile {index}: {len(links)} links for {len(HOSTILE_NAMES)} inputs")
        for link in links:
            target = htmllib.unescape(link)
            if not target.startswith("./") or not os.path.isfile(os.path.join(folder, urllib.parse.unquote(target[2:]))):
                failures.append(f"hostile {index}: link {target[:80]!r} is not ./ and a file of the folder")
    return failures


def default_calib():
    bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(bin_path, "calib")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshots", default=os.path.join(ROOT, ".build", "browser-check"))
    parser.add_argument("--reports", default=os.path.join(ROOT, "Reports"))
    parser.add_argument("--calib", help="the built calib (default: swift build --show-bin-path)/calib")
    parser.add_argument("--require-ranking", action="store_true", help="fail a report page (not an index) without a ranking section")
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    pages = sorted(glob.glob(os.path.join(os.path.abspath(args.reports), "*.html")))
    documents = sorted(glob.glob(os.path.join(os.path.abspath(args.reports), "*.md")))
    if not pages or not documents:
        print("no reports found", file=sys.stderr)
        return 1
    failures = []
    checks = len(pages) * 2 + len(documents) * 2
    scratch = tempfile.mkdtemp(prefix="calib-hostile-")
    try:
        hostile = hostile_report_directory(args.calib or default_calib(), scratch)
        hostile_pages = sorted(glob.glob(os.path.join(hostile, "*.html")))
        hostile_documents = sorted(glob.glob(os.path.join(hostile, "*.md")))
        driver = browser()
        try:
            for page in pages:
                failures += check_html(driver, page, args.screenshots, args.require_ranking)
            for page in hostile_pages:
                driver.get("file://" + urllib.parse.quote(page))
                found = check_injection_html(driver, page)
                print(("ok   " if not found else "FAIL ") + f"hostile {os.path.basename(page)!r}: CSP, no script, no handler, only ./ and # links")
                failures += ["hostile " + f for f in found]
        finally:
            driver.quit()
        for document in documents:
            failures += check_markdown(document)
            failures += check_injection_markdown(document)
        for document in hostile_documents:
            found = check_injection_markdown(document)
            print(("ok   " if not found else "FAIL ") + f"hostile {os.path.basename(document)!r}: no raw HTML, only ./ and # links under cmark-gfm --unsafe")
            failures += ["hostile " + f for f in found]
        found = check_index_links(hostile)
        print(("ok   " if not found else "FAIL ") + f"hostile index.html and index.md: {len(HOSTILE_NAMES)} links, each ./ and a file of the folder")
        failures += found
        checks += len(hostile_pages) + len(hostile_documents) + 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for failure in failures:
        print("FAIL " + failure)
    failed = len(set(f.split(':')[0] for f in failures))
    print(f"browser check: {checks - failed} passed, {failed} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
