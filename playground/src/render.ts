// Small DOM renderers for the output panels. Text content is always the
// exact text (highlighting only wraps it in spans), so what a reader copies
// is what the CLI prints.
import type { Diagnostic, ExplainRow, ObjectRef } from "./types";

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** JSON text with keys, strings, numbers and literals wrapped for colour. */
export function highlightJson(text: string): string {
  return escapeHtml(text).replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|\b(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\b|\b(true|false|null)\b/g,
    (match, str: string | undefined, colon: string | undefined, num: string | undefined, lit: string | undefined) => {
      if (str !== undefined) return colon ? `<span class="k">${str}</span>${colon}` : `<span class="s">${str}</span>`;
      if (num !== undefined) return `<span class="n">${num}</span>`;
      if (lit !== undefined) return `<span class="l">${lit}</span>`;
      return match;
    },
  );
}

/** `key=value` lines with the key coloured. */
export function highlightQuery(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const eq = line.indexOf("=");
      return eq < 0 ? escapeHtml(line) : `<span class="k">${escapeHtml(line.slice(0, eq))}</span>=${escapeHtml(line.slice(eq + 1))}`;
    })
    .join("\n");
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

export function inputLabel(input: { kind: string; name?: string }): string {
  return input.kind === "object" && input.name ? input.name : input.kind;
}

export function location(d: Diagnostic): string {
  if (!d.span) return `${inputLabel(d.input)} ${d.pointer || "/"}`;
  return `${d.span.file ?? inputLabel(d.input)}:${d.span.start.line}:${d.span.start.column} ${d.pointer || "/"}`;
}

/** The input tabs of the page, for help texts that name the CLI's options. */
const TAB_OF_FLAG: Record<string, string> = {
  "--objects": "the ConfigMaps & Secrets tab",
  "--profile": "the eci-profile tab",
  "--cluster": "the Cluster tab",
  "--show-secrets": "show secrets",
};

/** A diagnostic's help (the core's text, written for the CLI) as the page
 * says it: `with --objects` → `in the ConfigMaps & Secrets tab`. With one
 * input only (the other modes), the other documents go in that stream. A
 * text that already names the playground's way is left alone. */
export function forThePlayground(help: string, tabs: boolean): string {
  if (/playground/i.test(help)) return help;
  return help.replace(/(with |in )?(?<![\w-])(--objects|--profile|--cluster|--show-secrets|--strict)\b/g, (_m, prep: string | undefined, flag: string) => {
    if (flag === "--show-secrets") return `${prep ?? ""}the show secrets switch`;
    if (flag === "--strict") return `${prep ?? ""}the strict switch (as every provider reads pods)`;
    if (!tabs) return `${prep ? "as " : ""}another document of the input (after ---)`;
    return `${prep ? "in " : ""}${TAB_OF_FLAG[flag]}`;
  });
}

/** Text with a line-break opportunity after each separator (`<wbr>`), so a
 * name wraps between its parts (`Container.1.` / `EnvironmentVar.2.Key`)
 * and never inside one. A run longer than `LONG` without a separator (a
 * digest, base64) may break anywhere: it has no words to keep. */
const LONG = 36;
export function breakable(text: string, separators = "./,:=@-"): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const part of text.split(new RegExp(`(?<=[${separators.replace(/[\]\\^-]/g, "\\$&")}])`))) {
    if (!part) continue;
    if (part.length > LONG) fragment.append(el("span", { class: "blob" }, part));
    else fragment.append(document.createTextNode(part));
    fragment.append(document.createElement("wbr"));
  }
  return fragment;
}

export function diagnosticItem(d: Diagnostic, onJump: (d: Diagnostic) => void, tabs = true): HTMLLIElement {
  const where = el("span", { class: "where", title: "Show in the editor" }, location(d));
  where.addEventListener("click", () => onJump(d));
  const li = el(
    "li",
    { class: d.severity, "data-code": d.code },
    el("div", {}, el("span", { class: "code-name" }, `${d.severity}[${d.code}]`), " ", d.message),
    el("div", {}, where),
  );
  if (d.help) li.append(el("div", { class: "help" }, `help: ${forThePlayground(d.help, tabs)}`));
  return li;
}

export function explainRows(rows: ExplainRow[], filter: string, onPick: (row: ExplainRow, tr: HTMLTableRowElement) => void) {
  const needle = filter.trim().toLowerCase();
  const fragment = document.createDocumentFragment();
  for (const row of rows) {
    if (needle && !`${row.field} ${row.value} ${row.rule}`.toLowerCase().includes(needle)) continue;
    const inputs = el("td");
    for (const i of row.inputs) inputs.append(el("span", { class: "chip" }, breakable(`${inputLabel(i.input) === "pod" ? "" : `${inputLabel(i.input)}:`}${i.pointer || "/"}`, "/")));
    const tr = el("tr", { "data-field": row.field }, el("td", { class: "name" }, breakable(row.field, ".")), el("td", { class: "value" }, breakable(row.value)), el("td", {}, row.rule), inputs);
    tr.addEventListener("click", () => onPick(row, tr));
    fragment.append(tr);
  }
  return fragment;
}

export function objectItem(o: ObjectRef): HTMLLIElement {
  const where = o.referencedAt.map((p) => el("span", { class: "chip" }, p));
  return el(
    "li",
    {},
    el("div", {}, el("b", {}, `${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name}`), o.optional ? el("span", { class: "muted" }, " (optional)") : ""),
    el("div", {}, ...where),
  );
}
