"""Open an HTML page in headless Chromium (Debian's `chromium`) and report
what a reader would see go wrong: console errors, images that do not
render, and the text of the elements a test asks for.

A copy of the page gets a small checking script first in <head> (the page
itself has none): it records errors, and after load every <img> that did
not decode and every inline <svg> with no size; --dump-dom then carries the
record out in a <pre id="sockchurn-check">.
"""

import json
import re
import shutil
import subprocess

CHROMIUM = "chromium"
CHECK = """<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(String(e.message || e.target && e.target.src)), true);
const _error = console.error;
console.error = (...a) => { window.__errors.push(a.join(" ")); _error(...a); };
window.addEventListener("load", () => {
  const bad = [];
  for (const img of document.images) if (!img.complete || img.naturalWidth === 0) bad.push("img " + img.src);
  for (const svg of document.querySelectorAll("svg")) {
    const r = svg.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0)) bad.push("svg " + (svg.closest("figure") || {}).id);
  }
  const out = {errors: window.__errors, broken: bad, images: document.images.length,
               svgs: document.querySelectorAll("figure svg").length,
               verdicts: [...document.querySelectorAll(".verdict")].map(e => [e.dataset.scenario, e.textContent])};
  const pre = document.createElement("pre");
  pre.id = "sockchurn-check";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def available():
    return shutil.which(CHROMIUM) is not None


def check(page, work):
    """{"errors", "broken", "images", "svgs", "verdicts", "console"} of the page (a Path)."""
    copy = work / ("checked-" + page.name)
    text = page.read_text(encoding="utf-8")
    copy.write_text(text.replace("<head>", "<head>" + CHECK, 1) if "<head>" in text else CHECK + text,
                    encoding="utf-8")
    run = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                          "--v=0", "--virtual-time-budget=10000", f"--user-data-dir={work / 'profile'}",
                          "--dump-dom", copy.resolve().as_uri()],
                         capture_output=True, text=True, timeout=180)
    match = re.search(r'<pre id="sockchurn-check">(.*?)</pre>', run.stdout, re.S)
    if not match:
        raise AssertionError(f"chromium did not finish the page (exit {run.returncode}): {run.stderr[-500:]}")
    out = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<")
                     .replace("&gt;", ">"))
    # Console messages the page logged. Chromium's own pages (chrome://, e.g. its "slow network"
    # note from the omnibox) log too, and are none of the report's business.
    out["console"] = [line for line in run.stderr.splitlines()
                      if ":CONSOLE" in line and "source: chrome://" not in line]
    return out


def screenshot(page, png, work, height=4200):
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--user-data-dir={work / 'profile-shot'}", f"--window-size=1280,{height}",
                    f"--screenshot={png}", page.resolve().as_uri()], capture_output=True, timeout=180, check=True)
