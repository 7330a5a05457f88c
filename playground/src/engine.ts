// The page's handle on the engine worker: promises instead of messages,
// and only the newest preview is ever delivered.
import type { Annotation, EngineError, Preview, SourceFile } from "./types";

type Reply = { id: number; ok: true; result: unknown; ms?: number } | { id: number; ok: false; error: EngineError };

export interface Timed<T> {
  value: T;
  ms: number;
}

export class Engine {
  private worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  private next = 1;
  private pending = new Map<number, { resolve: (r: Reply) => void }>();
  private latestPreview = 0;

  constructor() {
    this.worker.onmessage = (event: MessageEvent<Reply>) => {
      const waiting = this.pending.get(event.data.id);
      this.pending.delete(event.data.id);
      waiting?.resolve(event.data);
    };
  }

  private call(message: Record<string, unknown>): Promise<Reply> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      this.worker.postMessage({ ...message, id });
    });
  }

  async meta(): Promise<{ version: Record<string, string>; annotations: Annotation[] }> {
    const reply = await this.call({ kind: "meta" });
    if (!reply.ok) throw reply.error;
    return reply.result as { version: Record<string, string>; annotations: Annotation[] };
  }

  /** Resolves with the preview, rejects with an EngineError, or resolves
   * `null` when a newer preview was asked for meanwhile. */
  async preview(files: SourceFile[], showSecrets: boolean, strict: boolean): Promise<Timed<Preview> | null> {
    const ticket = ++this.latestPreview;
    const reply = await this.call({
      kind: "preview",
      sources: JSON.stringify({ files }),
      options: JSON.stringify({ showSecrets, strict }),
    });
    if (ticket !== this.latestPreview) return null;
    if (!reply.ok) throw reply.error;
    return { value: reply.result as Preview, ms: reply.ms ?? 0 };
  }

  /** Runs one of the other engines (status, nodes, elastic, …) on a YAML stream. */
  async tool(tool: string, text: string, now: string, replicas: number): Promise<Timed<unknown> | null> {
    const ticket = ++this.latestPreview;
    const reply = await this.call({ kind: "tool", tool, text, now, replicas });
    if (ticket !== this.latestPreview) return null;
    if (!reply.ok) throw reply.error;
    return { value: reply.result, ms: reply.ms ?? 0 };
  }

  /** Milliseconds per wasm preview call for `files`, over `runs` calls. */
  async bench(files: SourceFile[], runs: number): Promise<number> {
    const reply = await this.call({ kind: "bench", sources: JSON.stringify({ files }), runs });
    if (!reply.ok) throw reply.error;
    return (reply.result as { msPerCall: number }).msPerCall;
  }
}
