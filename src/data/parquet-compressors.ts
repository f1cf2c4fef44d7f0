/**
 * The Parquet codecs hyparquet does not decode itself (ZSTD, GZIP, Brotli, LZ4), ~75 kB gzipped: a module of its own
 * so the build gives them a chunk named after it, loaded only for files that use one (src/data/parquet.ts).
 */
export { compressors } from 'hyparquet-compressors';
