// The host page's script: every notebook of the page runs its Python sandboxed (README: "What a notebook's code can reach").
import { PyodideRuntime } from '../../dist/bento-lite.js';

PyodideRuntime.configureDefault({ isolation: 'sandbox' });
