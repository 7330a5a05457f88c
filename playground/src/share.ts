// The whole state in the URL hash, so a link reproduces it: JSON,
// deflate-compressed (CompressionStream), base64url. Links made without
// compression support still decode.

export interface SharedState {
  pod: string;
  profile: string;
  cluster: string;
  objects: string;
  showSecrets: boolean;
  /** Missing ConfigMaps and Secrets are errors (absent in older links: off). */
  strict?: boolean;
  output: string;
  mode?: string;
  now?: string;
  replicas?: number;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function pipe(bytes: Uint8Array, stream: GenerateTransformStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

type GenerateTransformStream = CompressionStream | DecompressionStream;

export async function encodeState(state: SharedState): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  if (typeof CompressionStream === "undefined") return `j=${toBase64Url(json)}`;
  return `z=${toBase64Url(await pipe(json, new CompressionStream("deflate-raw")))}`;
}

export async function decodeState(hash: string): Promise<SharedState | null> {
  const text = hash.replace(/^#/, "");
  try {
    if (text.startsWith("z=")) {
      const bytes = await pipe(fromBase64Url(text.slice(2)), new DecompressionStream("deflate-raw"));
      return JSON.parse(new TextDecoder().decode(bytes)) as SharedState;
    }
    if (text.startsWith("j=")) return JSON.parse(new TextDecoder().decode(fromBase64Url(text.slice(2)))) as SharedState;
  } catch {
    return null;
  }
  return null;
}
