// The playground: YAML in on the left, everything ECI will receive on the
// right, re-computed on every edit by the engine in a Web Worker.
import "./style.css";
import { autocompletion } from "@codemirror/autocomplete";
import { annotationCompletion, createEditor, setDark, type YamlEditor } from "./editor";
import { Engine } from "./engine";
import examples from "./generated/examples.json";
import { FIRST_EXAMPLE, INPUTS, type InputName } from "./inputs";
import prebuiltFirst from "virtual:first-render";
import { diagnosticItem, explainRows, highlightJson, highlightQuery, objectItem } from "./render";
import { decodeState, encodeState, type SharedState } from "./share";
import type { Annotation, Diagnostic, EngineError, Example, FirstRender, Preview, SourceFile, Span } from "./types";

type Mode = "pod" | "admission" | "status" | "nodes" | "elastic" | "overflow" | "units";
/** Each mode's examples, and the header fields it reads: the clock (`now`)
 * in the modes that read time, replicas in elastic, the secrets and strict
 * switches where Secrets are read (the pod preview). */
const MODES: Record<Mode, { dir: string; needsNow?: boolean; needsReplicas?: boolean; secrets?: boolean }> = {
  pod: { dir: "pods", secrets: true },
  admission: { dir: "admission" },
  status: { dir: "status", needsNow: true },
  nodes: { dir: "nodes", needsNow: true },
  elastic: { dir: "elastic", needsNow: true, needsReplicas: true },
  overflow: { dir: "overflow" },
  units: { dir: "units" },
};
const ALL_EXAMPLES = examples as unknown as Record<string, Example[]>;
const examplesOf = (mode: Mode) => ALL_EXAMPLES[MODES[mode].dir] ?? [];
const EXAMPLES = examplesOf("pod");
let mode: Mode = "pod";
/** The input text of each mode, kept while another mode is shown. */
const modeTexts: Partial<Record<Mode, string>> = {};
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
/** The replicas field: empty means "as spec.replicas says" (-1 for the engine). */
const replicas = () => ($<HTMLInputElement>("replicas").value.trim() === "" ? -1 : Number($<HTMLInputElement>("replicas").value));
const first = prebuiltFirst as FirstRender | null;

const engine = new Engine();
let registry: Annotation[] = [];
let editors = {} as Record<InputName, YamlEditor>;
let activeOutput = "request";
let last: Preview | null = null;
let timer: number | undefined;
let firstRender: number | null = null;

// --- theme -----------------------------------------------------------------
const prefersDark = window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
let dark = (localStorage.getItem("eci-bridge-theme") ?? (prefersDark ? "dark" : "light")) === "dark";
const applyTheme = () => {
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  setDark(Object.values(editors), dark);
};

// --- tabs ------------------------------------------------------------------
function showInput(name: InputName) {
  for (const i of INPUTS) $(`editor-${i.name}`).hidden = i.name !== name;
  document.querySelectorAll<HTMLButtonElement>("#input-tabs button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.input === name)));
  editors[name]?.view.requestMeasure();
}
function showOutput(name: string) {
  activeOutput = name;
  document.querySelectorAll<HTMLElement>(".panel").forEach((p) => (p.hidden = p.dataset.panel !== name));
  document.querySelectorAll<HTMLButtonElement>("#output-tabs button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.output === name)));
  scheduleHashUpdate();
}

// --- state -----------------------------------------------------------------
function files(): SourceFile[] {
  return INPUTS.map((i) => ({ name: i.name, role: i.role, text: editors[i.name].text() }));
}
function state(): SharedState {
  return {
    pod: editors.pod.text(),
    profile: editors.profile.text(),
    cluster: editors.cluster.text(),
    objects: editors.objects.text(),
    showSecrets: $<HTMLInputElement>("secrets").checked,
    strict: $<HTMLInputElement>("strict").checked,
    output: activeOutput,
    mode,
    now: $<HTMLInputElement>("now").value,
    replicas: replicas(),
  };
}
let hashTimer: number | undefined;
let hashGeneration = 0;
/** Writes the state into the URL; an older (slower) encoding never
 * overwrites a newer one. */
async function writeHash(): Promise<string> {
  const generation = ++hashGeneration;
  const url = `${location.origin}${location.pathname}#${await encodeState(state())}`;
  if (generation === hashGeneration) history.replaceState(null, "", url);
  return url;
}
function scheduleHashUpdate() {
  clearTimeout(hashTimer);
  hashTimer = window.setTimeout(() => editors.pod && writeHash(), 300);
}

// --- rendering --------------------------------------------------------------
function fileOf(span: Span | undefined): InputName {
  const name = span?.file as InputName | undefined;
  return name && name in editors ? name : "pod";
}
function jumpTo(d: Diagnostic) {
  if (!d.span) return;
  const name = fileOf(d.span);
  showInput(name);
  editors[name].highlight([d.span]);
}
function gib(n: unknown): string {
  return typeof n === "number" ? `${n}` : "—";
}
function renderSummary(p: Preview, ms: number, prebuilt: boolean) {
  const errors = p.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = p.diagnostics.filter((d) => d.severity === "warning").length;
  const r = p.request;
  const metric = (value: string, label: string, testid: string) => {
    const m = document.createElement("div");
    m.className = "metric";
    m.dataset.testid = testid;
    m.innerHTML = `<b></b><span>${label}</span>`;
    (m.querySelector("b") as HTMLElement).textContent = value;
    return m;
  };
  const badge = document.createElement("span");
  badge.className = `badge ${p.rejected ? "bad" : "ok"}`;
  badge.dataset.testid = "verdict";
  badge.textContent = p.rejected ? "ECI rejects" : "ECI accepts";
  badge.title = p.rejected ? "ECI would reject this pod (see Diagnostics)" : "ECI accepts this pod";
  /** The instance types, the first in full and the count of the others
   * (all of them in the title and in the request). */
  const instanceTypes = (value: string) => {
    const types = value.split(",");
    const m = metric(types.length > 1 ? `${types[0]} +${types.length - 1}` : types[0], types.length > 1 ? "instance types" : "instance type", "metric-cpu");
    m.title = types.join(", ");
    return m;
  };
  const summary = $("summary");
  summary.replaceChildren(
    badge,
    metric(p.sourceKind, "from", "metric-kind"),
    ...(r.InstanceType
      ? [instanceTypes(String(r.InstanceType))]
      : [metric(`${gib(r.Cpu)} vCPU`, "cpu", "metric-cpu"), metric(`${gib(r.Memory)} GiB`, "memory", "metric-memory")]),
    metric(`${errors} / ${warnings}`, "err / warn", "metric-diagnostics"),
    metric(prebuilt ? "build" : `${ms.toFixed(1)} ms`, prebuilt ? "translated at" : "translate", "metric-ms"),
  );
  const timing = summary.querySelector<HTMLElement>("[data-testid=metric-ms]");
  if (timing && prebuilt) timing.title = "The first example's result as the build computed it; the engine recomputes it as it loads";
  $("diag-count").textContent = String(p.diagnostics.length);
}
const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;
const bySeverity = (a: Diagnostic, b: Diagnostic) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity];

/** Whether the page's inputs are `files` (the texts and roles). */
function sameFiles(other: SourceFile[]): boolean {
  const mine = files();
  return !$<HTMLInputElement>("secrets").checked && !$<HTMLInputElement>("strict").checked && mine.length === other.length && mine.every((f, i) => f.text === other[i].text && f.role === other[i].role);
}
const versionLine = (v: Record<string, string>) => `eci-bridge ${v.eciBridge} · ECI API ${v.eciApi} · Kubernetes ${v.kubernetes} types`;

/** `prebuilt`: the build's result of the first example, until the engine answers. */
function renderPreview(p: Preview, ms: number, prebuilt = false) {
  p.diagnostics.sort(bySeverity);
  p.admission.diagnostics.sort(bySeverity);
  last = p;
  document.body.classList.remove("stale");
  $("request-json").innerHTML = highlightJson(p.requestJson);
  $("query").innerHTML = highlightQuery(p.query);
  renderExplain();
  const decision = p.admission.decision as Record<string, unknown>;
  const kind = String(decision.decision ?? "");
  const decisionText: Record<string, string> = {
    routed: "Routed to ECI", notRouted: "Not routed: no selector or label sends this pod to ECI", overflow: "May overflow to ECI (burst-resource: eci)",
    denied: "Denied", skipped: "Passed through unchanged",
  };
  const reasons = Array.isArray(decision.reasons) ? ` — ${(decision.reasons as string[]).join(", ")}` : decision.reason ? ` — ${decision.reason}` : "";
  $("admission-decision").textContent = `${decisionText[kind] ?? kind}${reasons}`;
  $("admission-diagnostics").replaceChildren(...p.admission.diagnostics.map((d) => diagnosticItem(d, jumpTo, mode === "pod")));
  $("admission-patch").innerHTML = highlightJson(JSON.stringify(p.admission.patch, null, 2));
  $("admission-patched").innerHTML = highlightJson(JSON.stringify(p.admission.patched, null, 2));
  $("diagnostics").replaceChildren(...p.diagnostics.map((d) => diagnosticItem(d, jumpTo, mode === "pod")));
  $("objects").replaceChildren(...(p.requiredObjects.length ? p.requiredObjects.map(objectItem) : [Object.assign(document.createElement("li"), { textContent: "The pod needs no ConfigMaps, Secrets or claims." })]));
  for (const i of INPUTS) editors[i.name].showDiagnostics(p.diagnostics.filter((d) => fileOf(d.span) === i.name));
  renderSummary(p, ms, prebuilt);
  document.body.dataset.prebuilt = String(prebuilt);
}
function renderExplain() {
  if (!last) return;
  const body = $("explain-body");
  body.replaceChildren(
    explainRows(last.explain, $<HTMLInputElement>("explain-filter").value, (row, tr) => {
      body.querySelectorAll("tr.selected").forEach((r) => r.classList.remove("selected"));
      tr.classList.add("selected");
      const spans = row.spans;
      if (!spans.length) return;
      const name = fileOf(spans[0]);
      showInput(name);
      for (const i of INPUTS) editors[i.name].highlight(spans.filter((s) => fileOf(s) === i.name));
    }),
  );
}
function renderFailure(e: EngineError) {
  document.body.classList.add("stale");
  const d = e.diagnostic;
  const banner = document.createElement("div");
  banner.className = "banner";
  banner.dataset.testid = "failure";
  banner.textContent = e.message;
  $("summary").replaceChildren(banner);
  for (const i of INPUTS) editors[i.name].showDiagnostics(d && fileOf(d.span) === i.name ? [d] : []);
}

// --- the loop ---------------------------------------------------------------
function summarize(value: Record<string, any>): string {
  switch (mode) {
    case "admission": {
      const r = value.response?.response ?? {};
      return `${r.allowed ? "allowed" : "denied"} · ${value.decision?.decision ?? ""} · ${(value.patch ?? []).length} patch operation(s)`;
    }
    case "status":
      return `phase ${value.status?.phase ?? "?"}${value.status?.reason ? ` (${value.status.reason})` : ""} · ${(value.events ?? []).length} event(s)`;
    case "nodes":
      return `${(value.nodes ?? []).length} virtual node(s): ${(value.nodes ?? []).map((n: any) => n.metadata?.name).join(", ")}`;
    case "elastic":
      return `source ${value.split?.source} · units ${(value.split?.units ?? []).join(" / ")}${value.split?.unplaced ? ` · ${value.split.unplaced} unplaced` : ""}`;
    case "overflow":
      return value.decision?.action === "move" ? `move to ECI (${(value.decision.candidates ?? []).length} candidate node(s))` : `leave: ${value.decision?.reason} — ${value.decision?.detail}`;
    case "units": {
      const d = value.decision ?? {};
      return d.decision === "unit" ? `unit ${d.index} (${d.resource})` : `${d.decision}${d.reason ? `: ${d.reason}` : ""}`;
    }
    default:
      return "";
  }
}
function renderTool(value: Record<string, any>, ms: number) {
  document.body.classList.remove("stale");
  const diagnostics: Diagnostic[] = [...(value.diagnostics ?? [])].sort(bySeverity);
  $("result-diagnostics").replaceChildren(...diagnostics.map((d) => diagnosticItem(d, jumpTo, mode === "pod")));
  // The answer first; diagnostics (listed above) and events last.
  const late = ["events", "diagnostics", "deletedUnits"];
  const ordered = Object.fromEntries(Object.entries(value).sort(([a], [b]) => Number(late.includes(a)) - Number(late.includes(b))));
  $("result-json").innerHTML = highlightJson(JSON.stringify(ordered, null, 2));
  const line = document.createElement("span");
  line.dataset.testid = "tool-summary";
  line.textContent = summarize(value);
  const took = document.createElement("span");
  took.className = "muted";
  took.textContent = `${ms.toFixed(1)} ms`;
  $("summary").replaceChildren(line, took);
  editors.pod.showDiagnostics([]);
}

async function update() {
  try {
    if (mode !== "pod") {
      const r = await engine.tool(mode, editors.pod.text(), $<HTMLInputElement>("now").value, replicas());
      if (!r) return;
      renderTool(r.value as Record<string, any>, r.ms);
      document.body.dataset.renders = String(Number(document.body.dataset.renders ?? 0) + 1);
      return;
    }
    const result = await engine.preview(files(), $<HTMLInputElement>("secrets").checked, $<HTMLInputElement>("strict").checked);
    if (!result) return;
    renderPreview(result.value, result.ms);
    document.body.dataset.renders = String(Number(document.body.dataset.renders ?? 0) + 1);
    if (firstRender === null) {
      firstRender = performance.now();
      document.body.dataset.ready = "true";
    }
  } catch (e) {
    renderFailure(e as EngineError);
    document.body.dataset.renders = String(Number(document.body.dataset.renders ?? 0) + 1);
  }
}
function changed() {
  clearTimeout(timer);
  timer = window.setTimeout(update, 120);
  scheduleHashUpdate();
}

function loadExample(name: string) {
  const example = examplesOf(mode).find((e) => e.name === name);
  if (!example) return;
  editors.pod.setText(example.text);
  if (mode === "pod") for (const i of INPUTS.slice(1)) editors[i.name].setText(i.placeholder);
  showInput("pod");
}

function fillExamples(selected?: string) {
  const select = $<HTMLSelectElement>("examples");
  select.replaceChildren();
  for (const e of examplesOf(mode)) {
    const option = document.createElement("option");
    option.value = e.name;
    // The name only, so the menu fits the header at 800 px; the fixture's
    // comment line is the option's (and, selected, the menu's) tooltip.
    option.textContent = e.name;
    option.title = e.title;
    select.append(option);
  }
  select.value = selected ?? "";
  select.title = examplesOf(mode).find((e) => e.name === select.value)?.title ?? "";
}

/** Switches the page between the pod preview and the other engines. */
function setMode(next: Mode, text?: string) {
  if (editors.pod) modeTexts[mode] = editors.pod.text();
  mode = next;
  $<HTMLSelectElement>("mode").value = next;
  const tool = next !== "pod";
  document.querySelectorAll<HTMLButtonElement>("#input-tabs button").forEach((b) => (b.hidden = tool && b.dataset.input !== "pod"));
  document.querySelectorAll<HTMLButtonElement>("#output-tabs button").forEach((b) => (b.hidden = tool !== (b.dataset.output === "result")));
  ($("now-field") as HTMLElement).hidden = !MODES[next].needsNow;
  ($("replicas-field") as HTMLElement).hidden = !MODES[next].needsReplicas;
  ($("secrets-field") as HTMLElement).hidden = !MODES[next].secrets;
  ($("strict-field") as HTMLElement).hidden = !MODES[next].secrets;
  (document.querySelector("[data-testid=tab-pod]") as HTMLElement).textContent = tool ? "Input" : "Pod / workload";
  const list = examplesOf(next);
  const body = text ?? modeTexts[next] ?? list[0]?.text ?? "";
  fillExamples(list.find((e) => e.text === body)?.name);
  editors.pod?.setText(body);
  showInput("pod");
  showOutput(tool ? "result" : activeOutput === "result" ? "request" : activeOutput);
}

async function main() {
  const select = $<HTMLSelectElement>("examples");
  // No await before the editors and the first render when there is no link:
  // the page then shows the build's result of the first example before the
  // load event (a one-shot headless screenshot sees it).
  const shared = location.hash.length > 1 ? await decodeState(location.hash) : null;
  $<HTMLInputElement>("now").value = shared?.now ?? new Date().toISOString().replace(/\.\d+Z$/, "Z");
  $<HTMLInputElement>("replicas").value = (shared?.replicas ?? -1) < 0 ? "" : String(shared?.replicas);
  fillExamples();
  const initial = EXAMPLES.find((e) => e.name === FIRST_EXAMPLE) ?? EXAMPLES[0];
  const texts: Record<InputName, string> = {
    pod: shared?.pod ?? initial?.text ?? "",
    profile: shared?.profile ?? INPUTS[1].placeholder,
    cluster: shared?.cluster ?? INPUTS[2].placeholder,
    objects: shared?.objects ?? INPUTS[3].placeholder,
  };
  $<HTMLInputElement>("secrets").checked = shared?.showSecrets ?? false;
  $<HTMLInputElement>("strict").checked = shared?.strict ?? false;
  const completion = autocompletion({ override: [annotationCompletion(() => registry)], activateOnTyping: true });
  for (const i of INPUTS) {
    editors[i.name] = createEditor($(`editor-${i.name}`), {
      text: texts[i.name],
      dark,
      onChange: changed,
      completion: i.name === "pod" ? completion : [],
      label: `${i.name} YAML`,
    });
  }
  applyTheme();
  document.querySelectorAll<HTMLButtonElement>("#input-tabs button").forEach((b) => b.addEventListener("click", () => showInput(b.dataset.input as InputName)));
  document.querySelectorAll<HTMLButtonElement>("#output-tabs button").forEach((b) => b.addEventListener("click", () => showOutput(b.dataset.output as string)));
  showInput("pod");
  if (first && !shared && sameFiles(first.files)) {
    renderPreview(structuredClone(first.preview), first.ms, true);
    $("version").textContent = versionLine(first.version);
  }
  if (shared?.mode && shared.mode !== "pod" && shared.mode in MODES) {
    setMode(shared.mode as Mode, shared.pod);
  } else {
    fillExamples(select.value || (shared ? EXAMPLES.find((e) => e.text === shared.pod)?.name : initial?.name));
    showOutput(shared?.output ?? "request");
  }
  select.addEventListener("change", () => {
    select.title = examplesOf(mode).find((e) => e.name === select.value)?.title ?? "";
    loadExample(select.value);
  });
  $<HTMLSelectElement>("mode").addEventListener("change", () => setMode($<HTMLSelectElement>("mode").value as Mode));
  $<HTMLInputElement>("now").addEventListener("change", changed);
  $<HTMLInputElement>("replicas").addEventListener("change", changed);
  $<HTMLInputElement>("secrets").addEventListener("change", changed);
  $<HTMLInputElement>("strict").addEventListener("change", changed);
  $<HTMLInputElement>("explain-filter").addEventListener("input", renderExplain);
  $("theme").addEventListener("click", () => {
    dark = !dark;
    localStorage.setItem("eci-bridge-theme", dark ? "dark" : "light");
    applyTheme();
  });
  $("share").addEventListener("click", async () => {
    clearTimeout(hashTimer);
    const url = await writeHash();
    document.body.dataset.shareUrl = url;
    try {
      await navigator.clipboard.writeText(url);
      $("share").textContent = "Link copied";
    } catch {
      $("share").textContent = "Link in the address bar";
    }
    setTimeout(() => ($("share").textContent = "Share link"), 1800);
  });
  const meta = await engine.meta();
  registry = meta.annotations;
  $("version").textContent = versionLine(meta.version);
  await update();
}

// Hooks for the end-to-end tests and the curious (`eciBridge.bench(200)` in
// the console times the engine on the current inputs).
Object.assign(window, {
  eciBridge: {
    bench: (runs: number) => engine.bench(files(), runs),
    firstRenderMs: () => firstRender,
    examples: (m: Mode = "pod") => examplesOf(m).map((e) => e.name),
    setMode: (m: Mode) => setMode(m),
    text: (name: InputName) => editors[name].text(),
    setText: (name: InputName, text: string) => editors[name].setText(text),
    /** Puts the cursor (or a selection) in an editor, for typing. */
    select: (name: InputName, from: number, to = from) => {
      showInput(name);
      editors[name].view.focus();
      editors[name].view.dispatch({ selection: { anchor: from, head: to } });
    },
  },
});

main();
