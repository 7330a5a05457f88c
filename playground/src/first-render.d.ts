// The first example's preview, computed at build time by the same wasm
// module (vite.config.ts): a `FirstRender` (types.ts), or null when the
// module was not built.
declare module "virtual:first-render" {
  const first: unknown;
  export default first;
}
