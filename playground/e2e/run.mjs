// End-to-end tests of the built playground (dist/) in Debian's Chromium,
// driven by playwright-core. Serves dist/ on 127.0.0.1 itself.
//
//   node e2e/run.mjs            (from playground/, after `npm run build`)
//
// Environment: ECI_BRIDGE_BIN (the native CLI, default ../target/debug/eci-bridge),
// CHROMIUM (default /usr/bin/chromium), E2E_OUT (screenshots and measurements,
// default ../target/playground-e2e).
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const repo = path.resolve(root, "..");
const dist = path.join(root, "dist");
const cli = process.env.ECI_BRIDGE_BIN ?? path.join(repo, "target/debug/eci-bridge");
const out = process.env.E2E_OUT ?? path.join(repo, "target/playground-e2e");
fs.mkdirSync(out, { recursive: true });

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".json": "application/json", ".svg": "image/svg+xml" };
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const file = path.join(dist, decodeURIComponent(url.pathname === "/" ? "/index.html" : url.pathname));
  if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    res.writeHead(404).end("not found");
    return;
  }
  res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
  fs.createReadStream(file).pipe(res);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
});

const results = [];
const measurements = {};
async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false, error: String(e?.stack ?? e) });
    console.log(`FAIL ${name}\n     ${String(e?.message ?? e).split("\n").join("\n     ")}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

async function open(url = base, colorScheme = "light") {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(url);
  try {
    await page.waitForSelector("body[data-ready=true]", { timeout: 30000 });
  } catch (e) {
    const summary = await page.locator("#summary").textContent().catch(() => "?");
    throw new Error(`the page did not render a request (${url.slice(0, 120)}…): summary "${summary}", errors: ${errors.join("; ")}`);
  }
  return { page, context, errors };
}
const renders = (page) => page.evaluate(() => Number(document.body.dataset.renders ?? 0));
async function afterRender(page, action) {
  const before = await renders(page);
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.renders ?? 0) > n, before, { timeout: 15000 });
}
const requestJson = (page) => page.locator("#request-json").textContent();
function cliJson(name) {
  try {
    return execFileSync(cli, ["translate", "-f", path.join(repo, "fixtures/pods", `${name}.yaml`), "-o", "json", "--print-rejected"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
  } catch (e) {
    return e.stdout.toString(); // rejected pods exit 2 and still print their request
  }
}

const SIMPLE_POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
spec:
  containers:
  - name: web
    image: nginx:1.27
    resources:
      limits:
        cpu: "1"
        memory: 2Gi
`;

let shared;

await test("the page loads, with no errors, and renders the default example", async () => {
  const navigationStart = Date.now();
  const { page, context, errors } = await open();
  measurements.firstRenderMs = await page.evaluate(() => window.eciBridge.firstRenderMs());
  measurements.loadToRequestMs = Date.now() - navigationStart;
  const json = JSON.parse(await requestJson(page));
  assert(json.Container?.[0]?.Image === "nginx:1.27", "the default example's request is shown");
  assert((await page.locator("[data-testid=verdict]").textContent()).includes("accepts"), "the verdict is shown");
  assert(errors.length === 0, `console errors: ${errors.join("; ")}`);
  await context.close();
});

await test("every example shows exactly the CLI's translate -o json", async () => {
  const { page, context } = await open();
  const names = await page.evaluate(() => window.eciBridge.examples());
  assert(names.length >= 60, `only ${names.length} examples`);
  const mismatches = [];
  for (const name of names) {
    const current = await page.locator("#examples").inputValue();
    if (current === name) {
      await afterRender(page, () => page.evaluate(() => window.eciBridge.setText("pod", window.eciBridge.text("pod") + "\n")));
    } else {
      await afterRender(page, () => page.selectOption("#examples", name));
    }
    const shown = await requestJson(page);
    if (shown !== cliJson(name)) mismatches.push(name);
  }
  measurements.examplesCompared = names.length;
  assert(mismatches.length === 0, `differ from the CLI: ${mismatches.join(", ")}`);
  await context.close();
});

await test("every mode renders each of its examples (status phases as the CLI says)", async () => {
  const { page, context } = await open();
  const counts = {};
  for (const mode of ["admission", "status", "nodes", "elastic", "overflow", "units"]) {
    await afterRender(page, () => page.selectOption("#mode", mode));
    const names = await page.evaluate((m) => window.eciBridge.examples(m), mode);
    assert(names.length > 0, `${mode} has examples`);
    for (const name of names) {
      const current = await page.locator("#examples").inputValue();
      if (current !== name) await afterRender(page, () => page.selectOption("#examples", name));
      assert((await page.locator("[data-testid=failure]").count()) === 0, `${mode}/${name} failed: ${await page.locator("#summary").textContent()}`);
      const summary = await page.locator("[data-testid=tool-summary]").textContent();
      assert(summary && summary.length > 3, `${mode}/${name} has a summary`);
      if (mode === "status") {
        const cliYaml = execFileSync(cli, ["status", "-f", path.join(repo, "fixtures/status", `${name}.yaml`)], { stdio: ["ignore", "pipe", "ignore"] }).toString();
        const phase = /^phase: (\w+)$/m.exec(cliYaml)?.[1];
        assert(summary.startsWith(`phase ${phase}`), `${name}: page says "${summary}", CLI says phase ${phase}`);
      }
    }
    counts[mode] = names.length;
  }
  measurements.toolExamples = counts;
  await context.close();
});

await test("typing a higher CPU limit changes Cpu and Memory, as the CLI computes them", async () => {
  const { page, context } = await open();
  await afterRender(page, () => page.evaluate((t) => window.eciBridge.setText("pod", t), SIMPLE_POD));
  let json = JSON.parse(await requestJson(page));
  assert(json.Cpu === 1 && json.Memory === 2, `before: Cpu ${json.Cpu}, Memory ${json.Memory}`);
  const at = SIMPLE_POD.indexOf('cpu: "1"') + 'cpu: "'.length;
  await page.evaluate((pos) => window.eciBridge.select("pod", pos, pos + 1), at);
  await afterRender(page, () => page.keyboard.type("6"));
  const typed = await page.evaluate(() => window.eciBridge.text("pod"));
  assert(typed.includes('cpu: "6"'), "the keystroke replaced the limit");
  const file = path.join(out, "typed-pod.yaml");
  fs.writeFileSync(file, typed);
  const expected = JSON.parse(execFileSync(cli, ["translate", "-f", file, "-o", "json"], { stdio: ["ignore", "pipe", "ignore"] }).toString());
  json = JSON.parse(await requestJson(page));
  assert(json.Cpu === expected.Cpu && json.Memory === expected.Memory, `shown Cpu ${json.Cpu}/Memory ${json.Memory}, CLI ${expected.Cpu}/${expected.Memory}`);
  assert(json.Cpu > 1 && json.Memory > 2, `raised: Cpu ${json.Cpu}, Memory ${json.Memory}`);
  assert((await page.locator("[data-testid=metric-cpu] b").textContent()) === `${json.Cpu} vCPU`, "the summary follows");
  await context.close();
});

await test("a hostPath volume is flagged on its own line", async () => {
  const { page, context } = await open();
  await afterRender(page, () => page.evaluate((t) => window.eciBridge.setText("pod", t), SIMPLE_POD));
  const end = SIMPLE_POD.length;
  await page.evaluate((pos) => window.eciBridge.select("pod", pos), end);
  await afterRender(page, () => page.keyboard.insertText("  volumes:\n  - name: logs\n    hostPath:\n      path: /var/log\n"));
  await page.waitForSelector("#editor-pod .cm-lintRange-error", { timeout: 10000 });
  const line = await page.evaluate(() => document.querySelector("#editor-pod .cm-lintRange-error").closest(".cm-line").textContent);
  assert(line.trim() === "hostPath:", `the error underlines \`${line}\``);
  assert((await page.locator("[data-testid=verdict]").textContent()).includes("rejects"), "the verdict says rejects");
  await page.click("[data-testid=out-tab-diagnostics]");
  assert(await page.locator("#diagnostics li[data-code=hostpath-volume]").count() === 1, "listed with its code");
  await context.close();
});

await test("an annotation is added through autocompletion, with a value hint", async () => {
  const { page, context } = await open();
  const pod = SIMPLE_POD.replace("  namespace: default\n", "  namespace: default\n  annotations:\n    \n");
  await afterRender(page, () => page.evaluate((t) => window.eciBridge.setText("pod", t), pod));
  const at = pod.indexOf("  annotations:\n") + "  annotations:\n    ".length;
  await page.evaluate((pos) => window.eciBridge.select("pod", pos), at);
  await page.keyboard.type("k8s.aliyun.com/eci-use-sp", { delay: 15 });
  const option = page.locator(".cm-tooltip-autocomplete li", { hasText: "k8s.aliyun.com/eci-use-specs" });
  await option.first().waitFor({ timeout: 10000 });
  // CodeMirror ignores Enter for a moment after a list opens (interactionDelay), as a person would pause.
  await page.waitForTimeout(200);
  await page.keyboard.press("Enter");
  const hint = page.locator(".cm-tooltip-autocomplete li", { hasText: "2-4Gi,ecs.c6.xlarge" });
  await hint.first().waitFor({ timeout: 10000 });
  await page.waitForTimeout(200);
  await afterRender(page, () => page.keyboard.press("Enter"));
  const text = await page.evaluate(() => window.eciBridge.text("pod"));
  assert(text.includes('k8s.aliyun.com/eci-use-specs: "2-4Gi,ecs.c6.xlarge"'), `the editor holds: ${text}`);
  await page.waitForFunction(() => JSON.parse(document.getElementById("request-json").textContent).InstanceType === "2-4Gi,ecs.c6.xlarge", null, { timeout: 10000 });
  shared = { url: null, pod: text };
  await page.click("[data-testid=share]");
  await page.waitForSelector("body[data-share-url]");
  shared.url = await page.evaluate(() => document.body.dataset.shareUrl);
  assert(shared.url === (await page.evaluate(() => location.href)), "the address bar holds the shared link");
  shared.json = await requestJson(page);
  await context.close();
});

await test("a share link opened in a fresh page reproduces the state", async () => {
  assert(shared?.url, "the previous test made a link");
  const { page, context } = await open(shared.url);
  assert((await page.evaluate(() => window.eciBridge.text("pod"))) === shared.pod, "same pod text");
  assert((await requestJson(page)) === shared.json, "same request");
  await context.close();
});

await test("clicking an explain row highlights the inputs it came from", async () => {
  const { page, context } = await open();
  await afterRender(page, () => page.evaluate((t) => window.eciBridge.setText("pod", t), SIMPLE_POD));
  await page.click("[data-testid=out-tab-explain]");
  await page.locator("#explain-body tr[data-field=Cpu]").click();
  await page.waitForSelector("#editor-pod .cm-input-highlight", { timeout: 5000 });
  const marked = await page.evaluate(() => [...document.querySelectorAll("#editor-pod .cm-input-highlight")].map((e) => e.closest(".cm-line").textContent.trim()));
  assert(marked.includes('cpu: "1"') && marked.includes("memory: 2Gi"), `highlighted: ${JSON.stringify(marked)}`);
  await context.close();
});

await test("screenshots, light and dark, with a diagnostic showing", async () => {
  for (const scheme of ["light", "dark"]) {
    const { page, context } = await open(base, scheme);
    await afterRender(page, () => page.selectOption("#examples", "hostpath-rejected"));
    await page.click("[data-testid=out-tab-explain]");
    await page.locator("#explain-body tr[data-field=Cpu]").click();
    await page.click("[data-testid=out-tab-diagnostics]");
    await page.waitForSelector("#editor-pod .cm-lintRange-error");
    const file = path.join(out, `playground-${scheme}.png`);
    await page.screenshot({ path: file });
    assert(fs.statSync(file).size > 20000, `${file} looks empty`);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    measurements[`${scheme}Background`] = background;
    await context.close();
  }
  assert(measurements.lightBackground !== measurements.darkBackground, "dark mode changes the page");
  // One of the other engines, for the record.
  const { page, context } = await open();
  await afterRender(page, () => page.selectOption("#mode", "elastic"));
  await afterRender(page, () => page.selectOption("#examples", "three-units-in-order"));
  await page.screenshot({ path: path.join(out, "playground-elastic.png") });
  await context.close();
});

// --- operator experience: the header per mode, layout at common widths, help texts, first paint

const MODE_FIELDS = {
  pod: { now: false, replicas: false, secrets: true, strict: true },
  admission: { now: false, replicas: false, secrets: false, strict: false },
  status: { now: true, replicas: false, secrets: false, strict: false },
  nodes: { now: true, replicas: false, secrets: false, strict: false },
  elastic: { now: true, replicas: true, secrets: false, strict: false },
  overflow: { now: false, replicas: false, secrets: false, strict: false },
  units: { now: false, replicas: false, secrets: false, strict: false },
};

await test("the header shows only the fields each mode reads", async () => {
  const { page, context } = await open();
  for (const [mode, want] of Object.entries(MODE_FIELDS)) {
    if (mode !== "pod") await afterRender(page, () => page.selectOption("#mode", mode));
    const shown = {
      now: await page.locator("#now-field").isVisible(),
      replicas: await page.locator("#replicas-field").isVisible(),
      secrets: await page.locator("#secrets-field").isVisible(),
      strict: await page.locator("#strict-field").isVisible(),
    };
    assert(JSON.stringify(shown) === JSON.stringify(want), `${mode}: shows ${JSON.stringify(shown)}, wants ${JSON.stringify(want)}`);
    const replicasValue = await page.locator("#replicas").inputValue();
    assert(replicasValue !== "-1", `${mode}: the replicas field shows -1`);
    await page.locator("header").screenshot({ path: path.join(out, `header-${mode}.png`) });
  }
  // Elastic: an empty replicas field is spec.replicas; a number scales.
  await afterRender(page, () => page.selectOption("#mode", "elastic"));
  assert((await page.locator("#replicas").inputValue()) === "", "replicas start empty (spec.replicas)");
  await afterRender(page, () => page.selectOption("#examples", "three-units-in-order"));
  const before = await page.locator("[data-testid=tool-summary]").textContent();
  await page.fill("#replicas", "1");
  await afterRender(page, () => page.locator("#replicas").dispatchEvent("change"));
  const after = await page.locator("[data-testid=tool-summary]").textContent();
  assert(before !== after, `replicas 1 changes the split: "${before}" vs "${after}"`);
  await context.close();
});

/** Every text node of `selector` cells that holds no space sits on one line:
 * a name breaks only at its <wbr>s, between its parts. */
const brokenWords = (page, selector) =>
  page.evaluate((selector) => {
    const broken = [];
    for (const cell of document.querySelectorAll(selector)) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (/\s/.test(node.data) || node.parentElement.closest(".blob")) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(`${cell.textContent} (at "${node.data}")`);
      }
    }
    return broken;
  }, selector);

const WIDTHS = [1280, 1024, 800];

await test("the explain table breaks names only between their parts (1280, 1024, 800 px)", async () => {
  const { page, context } = await open();
  // The example with the longest wire name.
  const names = await page.evaluate(() => window.eciBridge.examples());
  let longest = { name: "", field: "" };
  for (const name of ["env-valuefrom", "volumes-emptydir-nfs-downward", "too-many-volumes", "cluster-env-list", "deployment-nginx"].filter((n) => names.includes(n))) {
    await afterRender(page, () => page.selectOption("#examples", name));
    await page.click("[data-testid=out-tab-explain]");
    const field = await page.evaluate(() => [...document.querySelectorAll("#explain-body td.name")].map((td) => td.textContent).sort((a, b) => b.length - a.length)[0] ?? "");
    if (field.length > longest.field.length) longest = { name, field };
  }
  await afterRender(page, () => page.selectOption("#examples", longest.name));
  await page.click("[data-testid=out-tab-explain]");
  const rows = await page.locator("#explain-body tr").count();
  assert(rows > 10, `${longest.name}: ${rows} rows`);
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(100);
    const broken = [...(await brokenWords(page, "#explain-body td.name")), ...(await brokenWords(page, "#explain-body td.value")), ...(await brokenWords(page, "#explain-body .chip"))];
    assert(broken.length === 0, `${width} px: broken mid-word: ${broken.slice(0, 5).join("; ")}`);
    await page.screenshot({ path: path.join(out, `explain-${width}.png`) });
  }
  measurements.explainLongestField = `${longest.name}: ${longest.field}`;
  await context.close();
});

await test("the stats row and the examples menu fit on one line (1280, 1024, 800 px)", async () => {
  const { page, context } = await open();
  const names = await page.evaluate(() => window.eciBridge.examples());
  const longestName = (list) => [...list].sort((a, b) => b.length - a.length)[0];
  const instanceTypeExample = names.find((n) => n.startsWith("use-specs")) ?? names[0];
  const podExamples = [...new Set(["deployment-nginx", "hostpath-rejected", instanceTypeExample, longestName(names)])];
  const fits = () =>
    page.evaluate(() => {
      const problems = [];
      const summary = document.getElementById("summary");
      const items = [...summary.children];
      const tops = new Set(items.map((e) => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2)));
      if (tops.size > 1) problems.push(`the stats row wraps: ${summary.innerText.replace(/\n/g, " ")}`);
      if (summary.scrollWidth > summary.clientWidth + 1) problems.push(`the stats row is cut: ${summary.scrollWidth} > ${summary.clientWidth}`);
      for (const e of items) if (e.getBoundingClientRect().right > summary.getBoundingClientRect().right + 1) problems.push(`cut: ${e.textContent}`);
      const select = document.getElementById("examples");
      const style = getComputedStyle(select);
      const ctx = document.createElement("canvas").getContext("2d");
      ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const text = select.selectedOptions[0]?.textContent ?? "";
      const needed = ctx.measureText(text).width + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + 16; // + the arrow
      const box = select.getBoundingClientRect();
      if (box.width < needed) problems.push(`the examples menu cuts "${text}": ${box.width.toFixed(0)} < ${needed.toFixed(0)} px`);
      if (box.right > window.innerWidth) problems.push(`the examples menu runs off the page (${box.right.toFixed(0)} > ${window.innerWidth})`);
      return problems;
    });
  const problems = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    for (const name of podExamples) {
      const current = await page.locator("#examples").inputValue();
      if (current !== name) await afterRender(page, () => page.selectOption("#examples", name));
      problems.push(...(await fits()).map((p) => `${width} px, ${name}: ${p}`));
    }
    await page.screenshot({ path: path.join(out, `layout-${width}.png`) });
  }
  // The longest example name of each other mode, in its menu.
  for (const mode of Object.keys(MODE_FIELDS).filter((m) => m !== "pod")) {
    await afterRender(page, () => page.selectOption("#mode", mode));
    const longest = longestName(await page.evaluate((m) => window.eciBridge.examples(m), mode));
    if ((await page.locator("#examples").inputValue()) !== longest) await afterRender(page, () => page.selectOption("#examples", longest));
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      const select = await page.evaluate(() => {
        const s = document.getElementById("examples");
        const ctx = document.createElement("canvas").getContext("2d");
        const st = getComputedStyle(s);
        ctx.font = `${st.fontWeight} ${st.fontSize} ${st.fontFamily}`;
        const box = s.getBoundingClientRect();
        return { width: box.width, right: box.right, needed: ctx.measureText(s.selectedOptions[0].textContent).width + parseFloat(st.paddingLeft) + parseFloat(st.paddingRight) + 16, inner: window.innerWidth };
      });
      if (select.width < select.needed || select.right > select.inner) problems.push(`${width} px, ${mode}/${longest}: the examples menu is cut (${JSON.stringify(select)})`);
      if (mode === "elastic") await page.screenshot({ path: path.join(out, `layout-elastic-${width}.png`) });
    }
  }
  assert(problems.length === 0, problems.join("\n"));
  await context.close();
});

await test("help texts name the page's tabs, not CLI flags", async () => {
  const { page, context } = await open();
  const pod = SIMPLE_POD.replace("    image: nginx:1.27\n", "    image: nginx:1.27\n    envFrom:\n    - configMapRef:\n        name: settings\n");
  await afterRender(page, () => page.evaluate((t) => window.eciBridge.setText("pod", t), pod));
  await page.click("[data-testid=out-tab-diagnostics]");
  const helps = await page.locator("#diagnostics .help").allTextContents();
  assert(helps.some((h) => h.includes("ConfigMaps & Secrets tab")), `the help names the tab: ${JSON.stringify(helps)}`);
  // Static texts, tooltips, placeholders, diagnostics — in every mode.
  for (const mode of Object.keys(MODE_FIELDS)) {
    if (mode !== "pod") await afterRender(page, () => page.selectOption("#mode", mode));
    const flags = await page.evaluate(() => {
      const texts = [];
      for (const e of document.querySelectorAll("body *")) {
        if (e.closest(".cm-editor, pre.code, option")) continue;
        for (const a of ["title", "placeholder", "aria-label"]) if (e.getAttribute(a)) texts.push(e.getAttribute(a));
        for (const n of e.childNodes) if (n.nodeType === Node.TEXT_NODE && n.data.trim()) texts.push(n.data);
      }
      return texts.filter((t) => /(^|[\s(])--[a-z]/.test(t) && !/playground/i.test(t));
    });
    assert(flags.length === 0, `${mode}: texts naming CLI flags: ${JSON.stringify(flags)}`);
  }
  await context.close();
});

await test("the strict switch makes a missing Secret an error, as for a provider, and travels in the link", async () => {
  const { page, context } = await open();
  const pod = SIMPLE_POD.replace("    image: nginx:1.27\n", "    image: nginx:1.27\n    envFrom:\n    - secretRef:\n        name: db\n");
  await afterRender(page, () => page.evaluate((t) => window.eciBridge.setText("pod", t), pod));
  await page.click("[data-testid=out-tab-diagnostics]");
  const missing = () => page.locator("#diagnostics li", { hasText: "db" }).first();
  const lenient = await missing().getAttribute("class");
  assert(/warning/.test(lenient ?? ""), `without strict the missing Secret is a warning: ${lenient}`);
  assert((await page.locator("[data-testid=verdict]").textContent()).includes("accepts"), "without strict the pod is accepted");
  await afterRender(page, () => page.check("#strict"));
  const strict = await missing().getAttribute("class");
  assert(/error/.test(strict ?? ""), `with strict the missing Secret is an error: ${strict}`);
  assert(!(await page.locator("[data-testid=verdict]").textContent()).includes("accepts"), "with strict the pod is rejected");
  await page.click("[data-testid=share]");
  await page.waitForSelector("body[data-share-url]");
  const link = await page.evaluate(() => document.body.dataset.shareUrl);
  await context.close();
  const reopened = await open(link);
  assert(await reopened.page.locator("#strict").isChecked(), "the link keeps the strict switch");
  await reopened.context.close();
});

/** One chromium run on its own profile, as a person would run it (not
 * execFileSync: this process serves the page meanwhile). */
async function oneShot(args) {
  const profile = fs.mkdtempSync(path.join(out, "oneshot-profile-"));
  try {
    return (await promisify(execFile)(process.env.CHROMIUM ?? "/usr/bin/chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", `--user-data-dir=${profile}`, "--window-size=1280,900", ...args, base], { timeout: 60000, maxBuffer: 64 << 20 })).stdout.toString();
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

await test("a one-shot chromium --headless --screenshot shows a rendered request", async () => {
  const png = path.join(out, "oneshot-1280.png");
  fs.rmSync(png, { force: true });
  const started = Date.now();
  await oneShot([`--screenshot=${png}`]);
  measurements.oneShotScreenshotMs = Date.now() - started;
  assert(fs.existsSync(png) && fs.statSync(png).size > 20000, `${png} missing or empty`);
  // A PNG is hard to assert on: the same one-shot load, dumped as DOM.
  const dom = await oneShot(["--dump-dom"]);
  fs.writeFileSync(path.join(out, "oneshot-dom.html"), dom);
  const pre = /<pre[^>]*id="request-json"[^>]*>([\s\S]*?)<\/pre>/.exec(dom)?.[1] ?? "";
  const text = pre.replace(/<[^>]+>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
  assert(text.includes("ContainerGroupName") && text.includes('"Cpu"'), `the one-shot page shows no request: ${text.slice(0, 200)}`);
  assert(text === cliJson("deployment-nginx"), "the first render is the CLI's request for the first example");
  assert(/data-testid="verdict"[^>]*>ECI accepts/.test(dom), "the verdict is shown");
  assert(!dom.includes("Loading the engine"), "not stuck loading");
  assert(/id="version"[^>]*>eci-bridge \d/.test(dom), "the version line is shown");
});

await test("translate time in Chromium for the largest fixture", async () => {
  const { page, context } = await open();
  const largest = fs.readdirSync(path.join(repo, "fixtures/pods")).sort((a, b) => fs.statSync(path.join(repo, "fixtures/pods", b)).size - fs.statSync(path.join(repo, "fixtures/pods", a)).size)[0].replace(/\.yaml$/, "");
  await afterRender(page, () => page.selectOption("#examples", largest));
  measurements.largestFixture = largest;
  measurements.chromiumMsPerPreview = await page.evaluate(() => window.eciBridge.bench(300));
  assert(measurements.chromiumMsPerPreview > 0, "timed");
  await context.close();
});

await browser.close();
server.close();
const wasm = fs.readdirSync(path.join(dist, "assets")).find((f) => f.endsWith(".wasm"));
measurements.wasmBytes = fs.statSync(path.join(dist, "assets", wasm)).size;
fs.writeFileSync(path.join(out, "measurements.json"), JSON.stringify(measurements, null, 2));
console.log(`measurements: ${JSON.stringify(measurements)}`);
console.log(`screenshots: ${path.join(out, "playground-light.png")}, ${path.join(out, "playground-dark.png")}`);
const failed = results.filter((r) => !r.ok);
console.log(`e2e: ${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
