// The host page's own script, as a file: a strict policy allows no inline script without its hash.
import { registerConnector } from '../../dist/bento-lite.js';

registerConnector({ name: 'demo', kind: 'duckdb', label: 'Demo data', options: { tables: { temperatures: '/demo/data/city-temperatures.csv' } } });
