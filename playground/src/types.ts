// Shapes of what eci-bridge-core returns (as JSON) through the wasm layer.

export type Role = "stream" | "profile" | "cluster" | "objects";

export interface SourceFile {
  name: string;
  role: Role;
  text: string;
}

export interface TextLocation {
  line: number;
  column: number;
}

export interface Span {
  file?: string;
  start: TextLocation;
  end: TextLocation;
}

export interface Diagnostic {
  severity: "error" | "warning" | "info";
  code: string;
  input: { kind: string; name?: string };
  pointer: string;
  message: string;
  help?: string;
  span?: Span;
}

export interface InputRef {
  input: { kind: string; name?: string };
  pointer: string;
}

export interface ExplainRow {
  field: string;
  value: string;
  rule: string;
  inputs: InputRef[];
  spans: Span[];
}

export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
  optional: boolean;
  referencedAt: string[];
}

export interface AdmissionView {
  decision: { kind?: string } & Record<string, unknown>;
  patch: unknown[];
  patched: unknown;
  diagnostics: Diagnostic[];
}

export interface Preview {
  sourceKind: string;
  request: Record<string, unknown>;
  requestJson: string;
  query: string;
  explain: ExplainRow[];
  diagnostics: Diagnostic[];
  rejected: boolean;
  requiredObjects: ObjectRef[];
  admission: AdmissionView;
}

export interface Annotation {
  key: string;
  summary: string;
  example: string | null;
  default: string | null;
  section: string;
  format: { kind: string; values?: string[] } & Record<string, unknown>;
  status: { kind: string } & Record<string, unknown>;
  target: { kind: string; detail?: string };
}

export interface Example {
  name: string;
  title: string;
  text: string;
}

/** A failure of the engine: the message, and the diagnostic when there is one. */
export interface EngineError {
  message: string;
  diagnostic?: Diagnostic;
}

/** The first example's preview as the build computed it (vite.config.ts). */
export interface FirstRender {
  example: string;
  files: SourceFile[];
  preview: Preview;
  ms: number;
  version: Record<string, string>;
}
