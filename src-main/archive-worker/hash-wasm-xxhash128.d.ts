/** hash-wasm's XXH3-128 alone (its 20 kB bundle), rather than the package's index of every algorithm. */
declare module 'hash-wasm/dist/xxhash128.umd.min.js' {
  export { createXXHash128 } from 'hash-wasm';
}
