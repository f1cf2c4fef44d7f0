/**
 * A Jupyter Server's REST API (kernels, kernelspecs), with errors a person can act on. The token travels in
 * the Authorization header (no XSRF cookie dance) and is never put in a message, an output or a shown URL.
 */

export interface JupyterServerOptions {
  /** Base URL of the server, e.g. `http://localhost:8888/` (a path prefix such as `/jupyter/` is kept). */
  baseUrl: string;
  /** The server's token; kept in JavaScript only. */
  token?: string;
  /** Milliseconds a REST request may take before it fails with a message. Default 20 s. */
  requestTimeoutMs?: number;
  /**
   * Sign the kernel's WebSocket in with Jupyter's login cookie instead of the token, so the token is in no URL (a
   * browser cannot put it in a WebSocket's headers, and Chromium prints a failed WebSocket's URL in its console).
   * REST requests then carry the server's cookies, and the first of them, signed with the token, gets the cookie.
   * Needs a server started with `--ServerApp.allow_credentials=True` and this page in `allow_origin`, on this page's
   * site (another port of `localhost`, or `jupyter.example.com` for a page on `notebooks.example.com`), or on another
   * site that sets its login cookie Partitioned (README, *Kernels*): browsers that block third-party cookies keep that one.
   * Default false: the token rides in the WebSocket URL's query.
   */
  cookieLogin?: boolean;
}

export interface KernelModel {
  id: string;
  name: string;
  execution_state?: string;
}

export interface KernelSpecs {
  default: string;
  kernelspecs: Record<string, { name: string; spec: { display_name: string; language: string } }>;
}

/** A request to the Jupyter Server failed; `status` is the HTTP status when there was an answer. */
export class JupyterServerError extends Error {
  override name = 'JupyterServerError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export class JupyterServer {
  readonly baseUrl: string;
  readonly cookieLogin: boolean;
  private readonly token?: string;
  private readonly timeoutMs: number;

  constructor(options: JupyterServerOptions) {
    this.baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    this.token = options.token;
    this.timeoutMs = options.requestTimeoutMs ?? 20_000;
    this.cookieLogin = options.cookieLogin ?? false;
  }

  /** The server's address without credentials, for messages. */
  get displayUrl(): string {
    const url = new URL(this.baseUrl);
    url.search = '';
    url.username = '';
    url.password = '';
    return url.href;
  }

  /**
   * WebSocket URL of a kernel's channels. Browsers cannot set headers on a WebSocket, so the token rides in the query,
   * unless the socket signs in with the login cookie (cookieLogin).
   */
  channelsUrl(kernelId: string, sessionId: string): string {
    const url = new URL(`api/kernels/${encodeURIComponent(kernelId)}/channels`, this.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('session_id', sessionId);
    if (this.token && !this.cookieLogin) url.searchParams.set('token', this.token);
    return url.href;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = {};
    if (this.token) headers.Authorization = `token ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        credentials: this.cookieLogin ? 'include' : 'omit',
        mode: 'cors',
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'TimeoutError') {
        throw new JupyterServerError(`The Jupyter Server at ${this.displayUrl} did not answer within ${Math.round(this.timeoutMs / 1000)} s.`);
      }
      throw new JupyterServerError(
        `Cannot reach the Jupyter Server at ${this.displayUrl}: it is not running there, or it refused this page's ` +
          `origin (start it with --ServerApp.allow_origin='${location.origin}'${this.cookieLogin ? ' --ServerApp.allow_credentials=True' : ''}).`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      throw new JupyterServerError(`The Jupyter Server at ${this.displayUrl} answered ${response.status}: check the token.`, response.status);
    }
    if (!response.ok) {
      let detail = '';
      try {
        const json = await response.json();
        detail = json.message || json.reason || '';
      } catch {
        // no JSON body
      }
      throw new JupyterServerError(
        `The Jupyter Server at ${this.displayUrl} answered ${response.status} to ${method} ${path}${detail ? `: ${detail}` : ''}.`,
        response.status,
      );
    }
    return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
  }

  kernelspecs(): Promise<KernelSpecs> {
    return this.request('GET', 'api/kernelspecs');
  }

  /** Starts a kernel; a missing kernelspec is reported with the ones the server has. */
  async startKernel(name: string): Promise<KernelModel> {
    const specs = await this.kernelspecs();
    if (!specs.kernelspecs[name]) {
      throw new JupyterServerError(
        `The Jupyter Server at ${this.displayUrl} has no kernel "${name}"; it has: ${Object.keys(specs.kernelspecs).join(', ') || 'none'}.`,
        404,
      );
    }
    return this.request('POST', 'api/kernels', { name });
  }

  getKernel(id: string): Promise<KernelModel> {
    return this.request('GET', `api/kernels/${encodeURIComponent(id)}`);
  }

  interruptKernel(id: string): Promise<void> {
    return this.request('POST', `api/kernels/${encodeURIComponent(id)}/interrupt`);
  }

  restartKernel(id: string): Promise<KernelModel> {
    return this.request('POST', `api/kernels/${encodeURIComponent(id)}/restart`);
  }

  shutdownKernel(id: string): Promise<void> {
    return this.request('DELETE', `api/kernels/${encodeURIComponent(id)}`);
  }
}
