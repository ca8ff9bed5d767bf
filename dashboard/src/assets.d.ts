/** Vite's `?url` imports: the file is emitted as a build asset and the import is its URL. */
declare module '*?url' {
  const url: string;
  export default url;
}

/**
 * `src/stream/web-audio-source.ts` (bundled for browser mode) schedules with `setImmediate` when it
 * exists (Node) and falls back to `setTimeout` (browsers); it guards with `typeof`, so declaring the
 * Node global here only lets that shared file type-check without Node's types.
 */
declare function setImmediate(callback: () => void): unknown;
