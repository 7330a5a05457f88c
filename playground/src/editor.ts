// The YAML editors: CodeMirror 6 with YAML highlighting, diagnostics pushed
// from the engine (inline, on the exact range of their JSON pointer),
// annotation completion from the registry, and input highlighting for the
// explain table.
import { type Completion, type CompletionContext, type CompletionResult, startCompletion } from "@codemirror/autocomplete";
import { yaml } from "@codemirror/lang-yaml";
import { type Diagnostic as CmDiagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import { Compartment, EditorState, type Extension, StateEffect, StateField } from "@codemirror/state";
import { oneDark } from "@codemirror/theme-one-dark";
import { Decoration, type DecorationSet, EditorView, keymap } from "@codemirror/view";
import { basicSetup } from "codemirror";
import type { Annotation, Diagnostic, Span } from "./types";

const themes = new Compartment();

/** Marks the ranges an explain row came from. */
const setHighlights = StateEffect.define<{ from: number; to: number }[]>();
const highlightField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(value, tr) {
    value = value.map(tr.changes);
    for (const effect of tr.effects) {
      if (effect.is(setHighlights)) {
        value = Decoration.set(
          effect.value.map((r) => Decoration.mark({ class: "cm-input-highlight" }).range(r.from, r.to)),
          true,
        );
      }
    }
    return value;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** Offset of a 1-based line and column, clamped into the document. */
export function offsetOf(state: EditorState, line: number, column: number): number {
  const l = state.doc.line(Math.min(Math.max(line, 1), state.doc.lines));
  return Math.min(l.from + Math.max(column - 1, 0), l.to);
}

function rangeOf(state: EditorState, span: Span): { from: number; to: number } {
  const from = offsetOf(state, span.start.line, span.start.column);
  let to = offsetOf(state, span.end.line, span.end.column);
  if (to <= from) to = Math.min(state.doc.lineAt(from).to, from + 1);
  if (to <= from) to = from;
  return { from, to };
}

// --- annotation completion -------------------------------------------------

interface YamlContext {
  parentKey: string | null;
  keyBeforeCursor: string | null;
  valueKey: string | null;
  valuePrefix: string;
}

function indentOf(text: string): number {
  return text.length - text.trimStart().length;
}

/** What the cursor is in: a key under some parent, or a value of some key. */
function yamlContext(context: CompletionContext): YamlContext {
  const line = context.state.doc.lineAt(context.pos);
  const before = line.text.slice(0, context.pos - line.from);
  const indent = indentOf(before);
  let parentKey: string | null = null;
  for (let n = line.number - 1; n >= 1; n--) {
    const text = context.state.doc.line(n).text;
    if (!text.trim() || text.trim().startsWith("#")) continue;
    if (indentOf(text) < indent) {
      const m = /^\s*-?\s*([^\s:#]+):\s*$/.exec(text);
      parentKey = m ? m[1] : null;
      break;
    }
  }
  const key = /^\s*([A-Za-z0-9./_-]*)$/.exec(before);
  const value = /^\s*([A-Za-z0-9./_-]+):\s+"?([^"]*)$/.exec(before);
  return {
    parentKey,
    keyBeforeCursor: key ? key[1] : null,
    valueKey: value ? value[1] : null,
    valuePrefix: value ? value[2] : "",
  };
}

function valueHints(a: Annotation): string[] {
  const hints = new Set<string>();
  if (a.format.kind === "oneOf" && a.format.values) a.format.values.forEach((v) => hints.add(v));
  if (a.format.kind === "bool") ["true", "false"].forEach((v) => hints.add(v));
  if (a.example) hints.add(a.example);
  if (a.default && !a.default.includes(" ")) hints.add(a.default);
  return [...hints];
}

export function annotationCompletion(registry: () => Annotation[]) {
  return (context: CompletionContext): CompletionResult | null => {
    const ctx = yamlContext(context);
    if (ctx.parentKey !== "annotations") return null;
    const annotations = registry();
    if (ctx.keyBeforeCursor !== null) {
      const from = context.pos - ctx.keyBeforeCursor.length;
      if (!context.explicit && ctx.keyBeforeCursor.length === 0) return null;
      const options: Completion[] = annotations.map((a) => ({
        label: a.key,
        detail: a.target.detail ?? a.target.kind,
        info: `${a.summary}${a.example ? `\n\nexample: ${a.example}` : ""}${a.status.kind !== "current" ? `\n\nstatus: ${a.status.kind}` : ""}`,
        type: a.status.kind === "current" ? "property" : "keyword",
        apply: (view: EditorView, _completion: Completion, start: number, end: number) => {
          const insert = `${a.key}: ""`;
          view.dispatch({ changes: { from: start, to: end, insert }, selection: { anchor: start + insert.length - 1 } });
          // Offer the value hints once this completion has closed.
          setTimeout(() => startCompletion(view), 0);
        },
      }));
      return { from, options, validFor: /^[A-Za-z0-9./_-]*$/ };
    }
    if (ctx.valueKey) {
      const a = annotations.find((x) => x.key === ctx.valueKey);
      if (!a) return null;
      const from = context.pos - ctx.valuePrefix.length;
      const options = valueHints(a).map((v) => ({ label: v, detail: a.format.kind, info: a.summary, type: "constant" }));
      return options.length ? { from, options, validFor: /^[^"]*$/ } : null;
    }
    return null;
  };
}

// --- the editor ----------------------------------------------------------

export interface YamlEditor {
  view: EditorView;
  setText(text: string): void;
  text(): string;
  showDiagnostics(diagnostics: Diagnostic[]): void;
  highlight(spans: Span[]): void;
}

export function createEditor(
  parent: HTMLElement,
  options: { text: string; dark: boolean; onChange: () => void; completion?: Extension; label: string },
): YamlEditor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.text,
      extensions: [
        basicSetup,
        yaml(),
        lintGutter(),
        highlightField,
        themes.of(options.dark ? oneDark : []),
        options.completion ?? [],
        keymap.of([]),
        EditorView.contentAttributes.of({ "aria-label": options.label }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) options.onChange();
        }),
      ],
    }),
  });
  return {
    view,
    setText(text: string) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    text: () => view.state.doc.toString(),
    showDiagnostics(diagnostics: Diagnostic[]) {
      const state = view.state;
      const cm: CmDiagnostic[] = diagnostics
        .filter((d) => d.span)
        .map((d) => {
          const { from, to } = rangeOf(state, d.span as Span);
          return {
            from,
            to,
            severity: d.severity === "info" ? "info" : d.severity,
            source: d.code,
            message: `${d.message}${d.help ? `\nhelp: ${d.help}` : ""}\n(${d.pointer || "/"})`,
          };
        });
      view.dispatch(setDiagnostics(state, cm));
    },
    highlight(spans: Span[]) {
      const ranges = spans.map((s) => rangeOf(view.state, s));
      view.dispatch({
        effects: [setHighlights.of(ranges), ...(ranges[0] ? [EditorView.scrollIntoView(ranges[0].from, { y: "center" })] : [])],
      });
    },
  };
}

export function setDark(editors: YamlEditor[], dark: boolean) {
  for (const e of editors) e.view.dispatch({ effects: themes.reconfigure(dark ? oneDark : []) });
}

export function readOnlyView(parent: HTMLElement, dark: boolean, language: Extension): EditorView {
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: "",
      extensions: [basicSetup, language, themes.of(dark ? oneDark : []), EditorState.readOnly.of(true), EditorView.editable.of(false)],
    }),
  });
}

export function setReadOnlyText(view: EditorView, text: string) {
  if (view.state.doc.toString() !== text) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

export function setReadOnlyDark(view: EditorView, dark: boolean) {
  view.dispatch({ effects: themes.reconfigure(dark ? oneDark : []) });
}
