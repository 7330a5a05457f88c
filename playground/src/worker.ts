// The engine's thread: loads the wasm module once and answers previews, so
// typing never waits for a translation.
import init, { admit, annotations, elastic, nodes, overflow, preview, status, units, version } from "./pkg/eci_bridge_wasm.js";

export type Tool = "admission" | "status" | "nodes" | "elastic" | "overflow" | "units";

export type Request =
  | { id: number; kind: "preview"; sources: string; options: string }
  | { id: number; kind: "tool"; tool: Tool; text: string; now: string; replicas: number }
  | { id: number; kind: "bench"; sources: string; runs: number }
  | { id: number; kind: "meta" };

function runTool(request: Extract<Request, { kind: "tool" }>): string {
  switch (request.tool) {
    case "admission":
      return admit(request.text);
    case "status":
      return status(request.text, request.now);
    case "nodes":
      return nodes(request.text, request.now);
    case "elastic":
      return elastic(request.text, request.replicas, request.now);
    case "overflow":
      return overflow(request.text);
    case "units":
      return units(request.text);
  }
}

const ready = init();

function failure(e: unknown) {
  const err = e as { message?: string; diagnostic?: unknown };
  return { message: String(err?.message ?? e), diagnostic: err?.diagnostic };
}

self.onmessage = async (event: MessageEvent<Request>) => {
  const request = event.data;
  try {
    await ready;
    switch (request.kind) {
      case "meta":
        postMessage({ id: request.id, ok: true, result: { version: JSON.parse(version()), annotations: JSON.parse(annotations()) } });
        break;
      case "preview": {
        const started = performance.now();
        const text = preview(request.sources, request.options);
        const ms = performance.now() - started;
        postMessage({ id: request.id, ok: true, result: JSON.parse(text), ms });
        break;
      }
      case "tool": {
        const started = performance.now();
        const text = runTool(request);
        postMessage({ id: request.id, ok: true, result: JSON.parse(text), ms: performance.now() - started });
        break;
      }
      case "bench": {
        // Times the wasm call alone (no JSON.parse, no messaging).
        preview(request.sources, "{}");
        const started = performance.now();
        for (let i = 0; i < request.runs; i++) preview(request.sources, "{}");
        postMessage({ id: request.id, ok: true, result: { msPerCall: (performance.now() - started) / request.runs } });
        break;
      }
    }
  } catch (e) {
    postMessage({ id: request.id, ok: false, error: failure(e) });
  }
};
