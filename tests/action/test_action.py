"""The pull-request Action (action.yml and action/*.sh), run step by step as a GitHub runner runs a
composite action, against the AWS emulator, a local release server and a local server that speaks
GitHub's issue-comments API.

Run by scripts/test-action, which builds the binaries, starts its own emulator and passes:
  FINFOCUS_BIN      the controller binary (the plugin binary beside it prices services)
  AWS_ENDPOINT_URL  the emulator

The runner here reads action.yml itself: each step's `env:` is resolved from the inputs, the
steps' outputs and the few `github.*` values the action uses (any other expression fails the
test), each step runs with `bash --noprofile --norc -eo pipefail` as GitHub's `shell: bash` does,
with its own GITHUB_OUTPUT, the shared GITHUB_PATH prepended to PATH, and the first failing step
ends the action.
"""

import hashlib
import http.server
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import urllib.parse
import urllib.request

import boto3
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VERSION = "v0.1.0"
REPO = "acme/deployments"
PR = 7
TOKEN = "ghs_test-token-not-a-secret"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


# ---------------------------------------------------------------------------------------------
# Servers


class Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(handler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def release_server(directory):
    """Serves release assets from `directory` as /<tag>/<asset>; records the paths asked for."""
    asked = []

    class Handler(Quiet):
        def do_GET(self):
            asked.append(self.path)
            path = os.path.join(directory, *[p for p in self.path.split("/") if p not in ("", "..")])
            if not os.path.isfile(path):
                self.send_error(404)
                return
            with open(path, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server, url = serve(Handler)
    return server, url, asked


class GitHub:
    """Issue comments of one pull request, as GitHub's REST API serves them ("List issue
    comments", "Create an issue comment", "Update an issue comment"). Every request is checked
    against the API's documented shape; a request that does not match is answered 422 and kept in
    `refused`, so the test fails on it."""

    def __init__(self):
        self.comments = []
        self.next_id = 1000
        self.requests = []
        self.refused = []
        self.lock = threading.Lock()

    def add(self, body, user="someone"):
        self.next_id += 1
        comment = {"id": self.next_id, "body": body, "user": {"login": user, "type": "User"},
                   "html_url": f"https://github.example/{REPO}/pull/{PR}#issuecomment-{self.next_id}"}
        self.comments.append(comment)
        return comment

    def with_marker(self, marker):
        return [c for c in self.comments if marker in c["body"]]

    def handler(self):
        github = self

        class Handler(Quiet):
            def answer(self, status, value):
                data = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def refuse(self, why):
                github.refused.append((self.command, self.path, why))
                self.answer(422, {"message": why})

            def handle_any(self):
                with github.lock:
                    github.requests.append((self.command, self.path))
                    url = urllib.parse.urlsplit(self.path)
                    h = self.headers
                    if h.get("Authorization") != f"Bearer {TOKEN}":
                        return self.answer(401, {"message": "Bad credentials"})
                    if h.get("Accept") != "application/vnd.github+json":
                        return self.refuse(f"Accept: {h.get('Accept')}")
                    if h.get("X-GitHub-Api-Version") != "2022-11-28":
                        return self.refuse(f"X-GitHub-Api-Version: {h.get('X-GitHub-Api-Version')}")
                    if not h.get("User-Agent"):
                        return self.refuse("no User-Agent")
                    body = None
                    if self.command in ("POST", "PATCH"):
                        if h.get("Content-Type") != "application/json":
                            return self.refuse(f"Content-Type: {h.get('Content-Type')}")
                        raw = self.rfile.read(int(h.get("Content-Length", "0")))
                        try:
                            body = json.loads(raw)
                        except ValueError:
                            return self.refuse("body is not JSON")
                        if not isinstance(body, dict) or set(body) != {"body"} or \
                                not isinstance(body["body"], str):
                            return self.refuse(f"body must be {{\"body\": string}}: {body!r}")
                        if len(body["body"]) > 65536:
                            return self.refuse("body is too long (maximum is 65536 characters)")
                    listing = re.fullmatch(rf"/repos/{REPO}/issues/(\d+)/comments", url.path)
                    single = re.fullmatch(rf"/repos/{REPO}/issues/comments/(\d+)", url.path)
                    if listing and int(listing.group(1)) == PR and self.command == "GET":
                        query = urllib.parse.parse_qs(url.query)
                        per_page = int(query.get("per_page", ["30"])[0])
                        page = int(query.get("page", ["1"])[0])
                        if not 1 <= per_page <= 100 or page < 1:
                            return self.refuse(f"per_page={per_page} page={page}")
                        start = (page - 1) * per_page
                        return self.answer(200, github.comments[start:start + per_page])
                    if listing and int(listing.group(1)) == PR and self.command == "POST":
                        return self.answer(201, github.add(body["body"], user="github-actions[bot]"))
                    if single and self.command == "PATCH":
                        for c in github.comments:
                            if c["id"] == int(single.group(1)):
                                c["body"] = body["body"]
                                return self.answer(200, c)
                        return self.answer(404, {"message": "Not Found"})
                    return self.refuse(f"no such endpoint: {self.command} {url.path}")

            do_GET = do_POST = do_PATCH = handle_any

        return Handler


# ---------------------------------------------------------------------------------------------
# The composite action, run as a runner runs it


def resolve(value, context):
    def one(match):
        expression = match.group(1)
        if expression not in context:
            raise AssertionError(f"action.yml uses `{expression}`, which this runner does not know")
        return context[expression]
    return EXPRESSION.sub(one, str(value))


def run_action(inputs, env, work):
    """Runs action.yml's steps with `inputs` and the runner `env`; returns (ok, outputs, log,
    summary, path entries)."""
    with open(os.path.join(ROOT, "action.yml"), encoding="utf-8") as f:
        action = yaml.safe_load(f)
    assert action["runs"]["using"] == "composite", action["runs"]
    unknown = set(inputs) - set(action["inputs"])
    assert not unknown, f"inputs action.yml does not declare: {unknown}"
    context = {"github.token": env.get("GITHUB_TOKEN", ""),
               "github.action_ref": env.get("ACTION_REF", "")}
    # Defaults may be expressions themselves (`${{ github.token }}`).
    context.update({f"inputs.{name}": str(inputs[name]) if name in inputs
                    else resolve(spec.get("default", ""), context)
                    for name, spec in action["inputs"].items()})
    temp = tempfile.mkdtemp(dir=work)
    github_path = os.path.join(temp, "path")
    summary = os.path.join(temp, "summary.md")
    open(github_path, "w").close()
    open(summary, "w").close()
    log = []
    ok = True
    for number, step in enumerate(action["runs"]["steps"]):
        assert step.get("shell") == "bash", f"step {step.get('id')} needs shell: bash"
        assert "if" not in step, "the runner here does not evaluate `if:`; decide in the script"
        output = os.path.join(temp, f"output-{number}")
        open(output, "w").close()
        with open(github_path, encoding="utf-8") as f:
            added = [line.strip() for line in f if line.strip()]
        step_env = {
            **{k: v for k, v in env.items() if k not in ("GITHUB_TOKEN", "ACTION_REF")},
            "GITHUB_ACTION_PATH": ROOT,
            "GITHUB_OUTPUT": output,
            "GITHUB_PATH": github_path,
            "GITHUB_STEP_SUMMARY": summary,
            "PATH": os.pathsep.join(list(reversed(added)) + [env["PATH"]]),
        }
        step_env.update({k: resolve(v, context) for k, v in step.get("env", {}).items()})
        script = os.path.join(temp, f"step-{number}.sh")
        with open(script, "w", encoding="utf-8") as f:
            f.write(step["run"])
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
                              env=step_env, cwd=env["WORKSPACE"], capture_output=True, text=True,
                              timeout=600)
        log.append(f"--- step {step.get('id')} (exit {done.returncode})\n{done.stdout}{done.stderr}")
        with open(output, encoding="utf-8") as f:
            for line in f:
                name, _, value = line.rstrip("\n").partition("=")
                context[f"steps.{step.get('id')}.outputs.{name}"] = value
        if done.returncode != 0:
            ok = False
            break
    # Outputs of steps that did not run, or did not set them, are empty strings on GitHub.
    outputs = {}
    for name, spec in action["outputs"].items():
        outputs[name] = EXPRESSION.sub(lambda m: context.get(m.group(1), ""), spec["value"])
    with open(summary, encoding="utf-8") as f:
        summary_text = f.read()
    with open(github_path, encoding="utf-8") as f:
        path_entries = [line.strip() for line in f if line.strip()]
    return ok, outputs, "\n".join(log), summary_text, path_entries


# ---------------------------------------------------------------------------------------------
# The test


def package(binary_dir, assets, target):
    """A release archive as release.yml packages it, and its .sha256 (sha256sum's format)."""
    name = f"finfocus-ecs-{VERSION}-{target}"
    os.makedirs(os.path.join(assets, VERSION), exist_ok=True)
    archive = os.path.join(assets, VERSION, f"{name}.tar.gz")
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        for program in ("finfocus-ecs-controller", "finfocus-plugin-aws-public"):
            tar.add(os.path.join(binary_dir, program), arcname=f"{name}/{program}")
        tar.add(os.path.join(ROOT, "README.md"), arcname=f"{name}/README.md")
    with open(archive, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(archive + ".sha256", "w", encoding="utf-8") as f:
        f.write(f"{digest}  {name}.tar.gz\n")
    return name


def check(condition, message, log=""):
    if not condition:
        print(log, file=sys.stderr)
        raise AssertionError(message)


def main():
    binary = os.environ["FINFOCUS_BIN"]
    work = tempfile.mkdtemp(prefix="finfocus-action-")
    arch = {"x86_64": ("X64", "x86_64-unknown-linux-gnu"),
            "aarch64": ("ARM64", "aarch64-unknown-linux-gnu")}[platform.machine()]
    assets = os.path.join(work, "assets")
    name = package(os.path.dirname(binary), assets, arch[1])
    releases, releases_url, asked = release_server(assets)
    github = GitHub()
    comments, api = serve(github.handler())

    # A pull request with 120 comments of others before ours, one of them another path's plan.
    for i in range(120):
        github.add(f"comment {i}")
    github.add("<!-- finfocus-ecs:plan:other -->\nsomeone else's plan")

    # The emulator is this test's own (scripts/test-action); it starts empty.
    urllib.request.urlopen(urllib.request.Request(
        os.environ["AWS_ENDPOINT_URL"] + "/moto-api/reset", method="POST"), timeout=30).close()

    # The hello example, its placeholder subnet and security group replaced by the emulator's
    # default ones (the emulator checks that they exist).
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    subnet = ec2.describe_subnets()["Subnets"][0]
    sg = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [subnet["VpcId"]]}])["SecurityGroups"][0]["GroupId"]
    workspace = os.path.join(work, "repo")
    os.makedirs(os.path.join(workspace, "manifests"))
    example = os.path.join(ROOT, "examples", "hello")
    for file in sorted(os.listdir(example)):
        if file.endswith(".yaml"):
            with open(os.path.join(example, file), encoding="utf-8") as f:
                text = f.read().replace("subnet-0123456789abcdef0", subnet["SubnetId"]) \
                    .replace("sg-0123456789abcdef0", sg)
            with open(os.path.join(workspace, "manifests", file), "w", encoding="utf-8") as f:
                f.write(text)
    event = os.path.join(work, "event.json")
    with open(event, "w", encoding="utf-8") as f:
        json.dump({"pull_request": {"number": PR}}, f)

    def runner(**extra):
        temp = tempfile.mkdtemp(dir=work)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", work),
            "WORKSPACE": workspace,
            "RUNNER_OS": "Linux", "RUNNER_ARCH": arch[0], "RUNNER_TEMP": temp,
            "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event,
            "GITHUB_API_URL": api, "GITHUB_REPOSITORY": REPO, "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567", "GITHUB_RUN_ID": "42",
            "GITHUB_TOKEN": TOKEN, "ACTION_REF": VERSION,
            "FINFOCUS_RELEASES": releases_url,
            "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        }
        env.update(extra)
        return env

    ecs = boto3.client("ecs", region_name="us-east-1", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                       aws_access_key_id="testing", aws_secret_access_key="testing")

    def clusters():
        return [a.rsplit("/", 1)[1] for a in ecs.list_clusters()["clusterArns"]]

    marker = "<!-- finfocus-ecs:plan:manifests -->"

    # 1. A plan on a pull request: installed by checksum from the version the action is used
    #    at, one comment created (found on no page), the summary and the outputs written.
    ok, out, log, summary, path = run_action({"command": "plan"}, runner(), work)
    check(ok, "the plan action failed", log)
    check(asked == [f"/{VERSION}/{name}.tar.gz", f"/{VERSION}/{name}.tar.gz.sha256"], asked, log)
    check(len(path) == 1 and os.path.isfile(os.path.join(path[0], "finfocus-ecs-controller")), path, log)
    check(out["exit-code"] == "2", f"exit-code {out['exit-code']}", log)
    check(out["changes"] == "3", f"changes {out['changes']}", log)
    check(float(out["cost-delta"]) > 0, f"cost-delta {out['cost-delta']}", log)
    check("EcsService/hello-web" in summary and marker not in summary, summary, log)
    ours = github.with_marker(marker)
    check(len(ours) == 1 and "EcsService/hello-web" in ours[0]["body"], ours, log)
    check("changes to apply" in ours[0]["body"] and "actions/runs/42" in ours[0]["body"], ours[0]["body"])
    check(out["comment-url"] == ours[0]["html_url"], out, log)
    pages = [p for m, p in github.requests if m == "GET"]
    check(len(pages) == 2 and all("per_page=100" in p for p in pages), pages, log)
    check(clusters() == [], f"plan created {clusters()}")
    first_id = ours[0]["id"]

    # 2. Over the cost limit: the action fails after updating the same comment, and `apply`
    #    changes nothing.
    for command in ("plan", "apply"):
        ok, out, log, _, _ = run_action({"command": command, "max-cost-increase": "0.5"}, runner(), work)
        check(not ok and out["exit-code"] == "3", f"{command} over the limit: {out}", log)
        check("above max-cost-increase 0.5" in log, "the failure does not say why", log)
        ours = github.with_marker(f"<!-- finfocus-ecs:{command}:manifests -->")
        check(len(ours) == 1 and "above max-cost-increase" in ours[0]["body"], ours, log)
    check(clusters() == [], f"apply over the limit changed AWS: {clusters()}")
    check(github.with_marker(marker)[0]["id"] == first_id, "the plan comment was not updated in place")

    # 3. Apply converges; the next plan is in sync and updates the same comment.
    #    `--wait --timeout` go to the apply alone (the plan before it would refuse them); the
    #    emulator never finishes a rollout, so the wait times out and fails the action.
    ok, out, log, summary, _ = run_action(
        {"command": "apply", "comment": "false", "args": "--wait --timeout 1s"}, runner(), work)
    check(not ok and out["exit-code"] == "1" and "apply did not converge" in log, f"apply: {out}", log)
    check("hello-cluster" in clusters(), clusters(), log)
    check("converged" in summary and "rollout still pending after 1s" in summary, summary, log)
    ok, out, log, summary, _ = run_action({"command": "apply", "comment": "false"}, runner(), work)
    check(ok and out["exit-code"] == "0" and "converged" in summary, f"apply: {out}", log)
    # A usage error exits 2 like a plan with changes; it fails the action all the same.
    ok, out, log, _, _ = run_action({"command": "plan", "args": "--no-such-flag"}, runner(), work)
    check(not ok and "plan refused its arguments" in log, f"a wrong argument passed: {out}", log)
    ok, out, log, _, _ = run_action({"command": "plan"}, runner(), work)
    check(ok and out["exit-code"] == "0" and out["changes"] == "0", f"plan after apply: {out}", log)
    ours = github.with_marker(marker)
    check(len(ours) == 1 and ours[0]["id"] == first_id and "✅" in ours[0]["body"], ours, log)
    check("someone else's plan" in github.with_marker("<!-- finfocus-ecs:plan:other -->")[0]["body"],
          "another path's comment was touched")

    # 4. Verify: its own comment, `changes` counts the problems, and problems fail the action.
    ok, out, log, summary, _ = run_action({"command": "verify"}, runner(), work)
    check(out["exit-code"] in ("0", "2") and out["changes"].isdigit(), f"verify: {out}", log)
    check(ok == (out["exit-code"] == "0"), f"verify with {out['changes']} problem(s) ok={ok}", log)
    check(ok or f"verify found {out['changes']} problem(s)" in log, "the failure does not say why", log)
    ours = github.with_marker("<!-- finfocus-ecs:verify:manifests -->")
    check(len(ours) == 1 and "finfocus-ecs `verify`" in ours[0]["body"], ours, log)
    check(out["cost-delta"] == "", out, log)

    # 5. Not a pull request, or comment: false: nothing is asked of GitHub.
    before = len(github.requests)
    ok, out, log, _, _ = run_action({}, runner(GITHUB_EVENT_NAME="push"), work)
    check(ok and out["comment-url"] == "", out, log)
    ok, out, log, _, _ = run_action({"comment": "false"}, runner(), work)
    check(ok and len(github.requests) == before, github.requests[before:], log)

    # 6. A tampered archive is refused and nothing is installed or run.
    with open(os.path.join(assets, VERSION, f"{name}.tar.gz.sha256"), "r+", encoding="utf-8") as f:
        line = f.read()
        f.seek(0)
        f.write(("0" if line[0] != "0" else "1") + line[1:])
    ok, out, log, _, path = run_action({"command": "plan"}, runner(), work)
    check(not ok and "checksum mismatch" in log and path == [] and out["exit-code"] == "", out, log)

    # 7. No version: the action's ref must name a release.
    ok, _, log, _, _ = run_action({}, runner(ACTION_REF="main"), work)
    check(not ok and "set its 'version' input" in log, "a branch ref was taken for a version", log)

    check(not github.refused, f"requests GitHub's API would refuse: {github.refused}")
    releases.shutdown()
    comments.shutdown()
    shutil.rmtree(work, ignore_errors=True)
    print(f"action test: passed ({len(github.requests)} GitHub API requests checked)")


if __name__ == "__main__":
    main()
