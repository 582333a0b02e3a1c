"""The status page in a real browser (Debian's chromium through chromedriver and selenium).

Run by scripts/browser-test, which starts the AWS emulator and passes:
  FINFOCUS_BIN         the controller binary (the plugin binary beside it prices services)
  AWS_ENDPOINT_URL     the emulator
  FINFOCUS_AXE         axe-core's axe.min.js
  FINFOCUS_UI_OUT      a directory for the screenshot and the 1,000-row page

It starts `run` on three services, then checks in the browser that every resource shows its status
and cost; that drift made in the emulator appears on the open page without a reload; that opening
the resource shows the drifted field and its rollout; that filters work from the keyboard; that no
request leaves the page's origin; and that axe-core finds no serious or critical violation. Last,
it measures a page of 1,000 resources (load and filter), printed as BENCH lines.
"""

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import boto3
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

REGION = "us-east-1"
LIMIT = 90


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, limit=LIMIT, every=0.1):
    """Polls `check` until it returns something truthy; fails after `limit` seconds.

    A live update replaces the table's rows, so an element found a moment ago may be gone: that
    counts as "not yet", and the next poll finds the new one."""
    deadline = time.monotonic() + limit
    while True:
        try:
            value = check()
        except StaleElementReferenceException:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} within {limit}s")
        time.sleep(every)


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return json.loads(answer.read())
    except OSError:
        return None


def passes(origin):
    try:
        with urllib.request.urlopen(origin + "/metrics", timeout=10) as answer:
            text = answer.read().decode()
    except OSError:
        return 0
    found = re.search(r'^finfocus_controller_passes_total\{result="ok"\} (\d+)', text, re.M)
    return int(found.group(1)) if found else 0


def manifests(prefix, subnet, sg, web_policy):
    docs = [
        f"""apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsCluster
metadata: {{name: {prefix}-cluster}}
spec: {{}}
""",
        f"""apiVersion: ecs.finfocus.io/v1alpha1
kind: CloudMapNamespace
metadata: {{name: {prefix}-ns}}
spec: {{name: {prefix}.local, vpc: vpc-{prefix}}}
""",
    ]
    for name, policy, cpu, memory in [
        ("web", web_policy, "256", "512"),
        ("api", "enforce", "512", "1024"),
        ("worker", "enforce", "1024", "2048"),
    ]:
        docs.append(f"""apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: {prefix}-{name}
  annotations: {{ecs.finfocus.io/drift-policy: {policy}}}
spec:
  cluster: {prefix}-cluster
  taskDefinition:
    family: {prefix}-{name}
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    cpu: "{cpu}"
    memory: "{memory}"
    containerDefinitions:
      - name: app
        image: nginx:1.27
        essential: true
  service:
    desiredCount: 1
    launchType: FARGATE
    networkConfiguration:
      awsvpcConfiguration: {{subnets: [{subnet}], securityGroups: [{sg}], assignPublicIp: DISABLED}}
""")
    return docs


def browser(out):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={tempfile.mkdtemp(dir=out)}",
    ]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def requested_urls(driver, origin):
    """Every request a document of `origin` made (the browser's own pages are not ours)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent" and \
                params.get("documentURL", "").startswith(origin + "/"):
            urls.append(params["request"]["url"])
    return urls


def row(driver, resource_id):
    return driver.find_element(By.CSS_SELECTOR, f'tr[data-id="{resource_id}"]')


# Reads of the table run as one script, so a live update cannot swap a row out halfway through.
def row_text(driver, resource_id):
    return driver.execute_script(
        "const tr = document.querySelector(`tr[data-id=\"${arguments[0]}\"]`);"
        "return tr ? tr.innerText : null;", resource_id)


def row_state(driver, resource_id):
    """The row's status, whether its details are open, and the text of its visible drift table."""
    return driver.execute_script(
        "const tr = document.querySelector(`tr[data-id=\"${arguments[0]}\"]`);"
        "if (!tr) return null;"
        "const d = tr.querySelector('details');"
        "const drift = [...tr.querySelectorAll('table.drift')].find(t => t.getClientRects().length);"
        "return {status: tr.dataset.status, open: !!(d && d.open),"
        " drift: drift ? drift.innerText : null, text: tr.innerText};", resource_id)


def visible_rows(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('#resources tbody > tr[data-id]')]"
        ".filter(tr => tr.getClientRects().length).map(tr => tr.dataset.id);")


def press_enter_on_summary(driver, resource_id):
    """Enter on the row's summary, found again if a live update replaced the row meanwhile."""
    def press():
        row(driver, resource_id).find_element(By.TAG_NAME, "summary").send_keys(Keys.ENTER)
        return True
    wait_for(f"Enter on {resource_id}", press, limit=10)


def check_live_page(driver, origin, report, prefix, ecs, out):
    driver.get(origin + "/")
    wait_for("the live connection", lambda: "Live" in driver.find_element(By.ID, "live").text
             or "Updated" in driver.find_element(By.ID, "live").text)
    driver.execute_script("window.__sameDocument = true;")

    # Every resource appears with its status, and every service with its cost.
    def missing():
        """Resources whose row lacks its status (or, for a service, its cost)."""
        wrong = []
        for r in report["resources"]:
            text = row_text(driver, r["id"]) or ""
            if r["status"] not in text or (r["kind"] == "EcsService" and "USD" not in text):
                wrong.append((r["id"], r["status"], text))
        return wrong
    try:
        wait_for("every resource with its status and cost", lambda: not missing(), limit=10)
    except AssertionError as e:
        raise AssertionError(f"{e}: {missing()}") from None
    assert driver.find_elements(By.CSS_SELECTOR, "svg.chart rect.after"), "no cost chart"

    # Drift made in the emulator shows up on the open page, without a reload.
    web = f"EcsService/{prefix}-web"
    ecs.update_service(cluster=f"{prefix}-cluster", service=f"{prefix}-web", desiredCount=3)
    changed = time.monotonic()
    wait_for("the drift on the page", lambda: (row_state(driver, web) or {}).get("status") == "Drifted",
             limit=20)
    print(f"BENCH status_page_drift_visible_seconds {time.monotonic() - changed:.2f}")
    assert driver.execute_script("return window.__sameDocument === true;"), "the page reloaded"

    # Opening the resource from the keyboard shows the drifted field.
    press_enter_on_summary(driver, web)
    state = wait_for("the drift table", lambda: (s := row_state(driver, web)) and s["drift"] and s)
    text = state["drift"]
    assert "service.desiredCount" in text and "3" in text and "1" in text, text
    assert re.search(r"manifests/.+\.yaml:\d+", state["text"]), state["text"]
    # The rollout run follows (the emulator never finishes one): its state and tasks.
    assert re.search(r"Rollout\s+State\s+IN_PROGRESS\s+Tasks\s+\d+ of \d+ running", state["text"]), state["text"]

    # Filters: by status, by name; the open row stays open across a live update.
    Select(driver.find_element(By.ID, "filter-status")).select_by_visible_text("Drifted")
    assert visible_rows(driver) == [web], visible_rows(driver)
    Select(driver.find_element(By.ID, "filter-status")).select_by_index(0)
    search = driver.find_element(By.ID, "filter-name")
    search.send_keys(f"{prefix}-wor")
    assert visible_rows(driver) == [f"EcsService/{prefix}-worker"], visible_rows(driver)
    search.send_keys(Keys.CONTROL, "a")
    search.send_keys(Keys.DELETE)
    before = driver.find_element(By.ID, "live").text
    wait_for("another live update", lambda: driver.find_element(By.ID, "live").text != before, limit=20)
    assert row_state(driver, web)["open"], "the open row closed on a live update"
    driver.save_screenshot(os.path.join(out, "status-page.png"))

    # Nothing left the origin.
    urls = requested_urls(driver, origin)
    assert any(u.endswith("/ui/app.js") for u in urls) and any(u.endswith("/events") for u in urls), urls
    outside = [u for u in urls if not u.startswith(origin + "/")]
    assert not outside, f"requests left the origin: {outside}"

    # Accessibility: no serious or critical violation.
    with open(os.environ["FINFOCUS_AXE"], encoding="utf-8") as f:
        driver.execute_script(f.read())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.length}))), e => done([{id: String(e), impact: 'critical', nodes: 0}]));"
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe-core: {bad}"
    print(f"axe-core: {len(result)} minor or moderate violation(s): {result}")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def bench_thousand(driver, origin, out):
    """A page of 1,000 resources (the live page's rows repeated), served statically."""
    with urllib.request.urlopen(origin + "/", timeout=10) as answer:
        page = answer.read().decode()
    rows = re.findall(r"<tr data-id=.*?</tr>\n", page, re.S)
    assert rows, "no rows on the page"
    many = []
    for i in range(1000):
        template = rows[i % len(rows)]
        many.append(re.sub(r'(data-id=")([^"]*)(")', rf"\g<1>\g<2>-{i}\g<3>", template)
                    .replace('data-name="', f'data-name="n{i}-'))
    big = re.sub(r"<tbody>\n.*?</tbody>", lambda _: "<tbody>\n" + "".join(many) + "</tbody>", page,
                 count=1, flags=re.S)
    site = os.path.join(out, "thousand")
    os.makedirs(os.path.join(site, "ui"), exist_ok=True)
    with open(os.path.join(site, "index.html"), "w", encoding="utf-8") as f:
        f.write(big)
    for asset in ["ui/style.css", "ui/app.js"]:
        with urllib.request.urlopen(f"{origin}/{asset}", timeout=10) as answer, \
                open(os.path.join(site, asset), "wb") as f:
            f.write(answer.read())
    handler = lambda *a: Quiet(*a, directory=site)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        loads = []
        for _ in range(3):
            driver.get(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            loads.append(driver.execute_script(
                "const t = performance.getEntriesByType('navigation')[0];"
                "return t.domContentLoadedEventEnd - t.startTime;"))
        assert len(driver.find_elements(By.CSS_SELECTOR, "#resources tbody > tr[data-id]")) == 1000
        filters = driver.execute_script(
            "const input = document.getElementById('filter-name'); const times = [];"
            "for (const q of ['n99', 'n1', 'web', '', 'n999-']) {"
            "  const t0 = performance.now(); input.value = q;"
            "  input.dispatchEvent(new Event('input', {bubbles: true}));"
            "  document.body.offsetHeight; times.push(performance.now() - t0); }"
            "return times;")
        shown = driver.find_element(By.ID, "shown").text
        assert shown.startswith("1 of 1000"), shown
        print(f"BENCH status_page_1000_load_ms median {sorted(loads)[1]:.0f} (runs {[round(x) for x in loads]})")
        print(f"BENCH status_page_1000_filter_ms max {max(filters):.1f} (each {[round(x, 1) for x in filters]})")
        assert max(filters) < 500, filters
    finally:
        server.shutdown()


def main():
    out = os.environ["FINFOCUS_UI_OUT"]
    os.makedirs(out, exist_ok=True)
    ec2 = boto3.client("ec2", region_name=REGION)
    ecs = boto3.client("ecs", region_name=REGION)
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    sg = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    prefix = f"ui{os.getpid()}"
    work = tempfile.mkdtemp(dir=out)
    source = os.path.join(work, "manifests")
    os.makedirs(source)
    def write(web_policy):
        for i, doc in enumerate(manifests(prefix, subnet, sg, web_policy)):
            with open(os.path.join(source, f"{i}-{prefix}.yaml"), "w", encoding="utf-8") as f:
                f.write(doc)

    # Everything is created first; then `web` only reports drift, so the drift stays to be seen.
    write("enforce")
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    log = open(os.path.join(work, "controller.log"), "w", encoding="utf-8")
    env = dict(os.environ, AWS_REGION=REGION, FINFOCUS_LOG="info,aws=warn", NO_COLOR="1")
    controller = subprocess.Popen(
        [os.environ["FINFOCUS_BIN"], "--instance", prefix, "run", "--source", source,
         "--listen", f"127.0.0.1:{port}", "--resync", "2s"],
        env=env, stdout=subprocess.DEVNULL, stderr=log)
    driver = None
    try:
        def converged():
            report = get_json(origin + "/report")
            if not report or len(report["resources"]) != 5:
                return None
            ok = all(r["status"] in ("InSync", "Progressing") and not r["changes"]
                     for r in report["resources"])
            priced = all(r.get("cost") for r in report["resources"] if r["kind"] == "EcsService")
            return report if ok and priced else None

        wait_for("converged and priced", converged)
        write("detect")
        # A watched directory is read again at every pass: two more passes have seen the change.
        seen = passes(origin)
        wait_for("two more passes", lambda: passes(origin) >= seen + 2)
        report = wait_for("converged", converged)
        driver = browser(out)
        check_live_page(driver, origin, report, prefix, ecs, out)
        bench_thousand(driver, origin, out)
        print("browser test: passed")
    except BaseException:
        log.flush()
        with open(os.path.join(work, "controller.log"), encoding="utf-8") as f:
            sys.stderr.write(f.read()[-6000:])
        raise
    finally:
        if driver is not None:
            driver.quit()
        controller.terminate()
        try:
            controller.wait(timeout=40)
        except subprocess.TimeoutExpired:
            controller.kill()


if __name__ == "__main__":
    main()
