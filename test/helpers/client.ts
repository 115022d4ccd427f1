// A small browser stand-in: keeps cookies, remembers the CSRF token of the last page it loaded and
// sends it with forms, never follows redirects by itself (tests look at them).
import assert from 'node:assert/strict';

export type Page = { status: number; location: string | null; html: string; headers: Headers };

export class WebClient {
  private cookies = new Map<string, string>();
  csrf = '';

  constructor(
    readonly baseUrl: string,
    private readonly defaultHeaders: Record<string, string> = {},
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
  }

  hasCookie(name: string) {
    return this.cookies.has(name);
  }

  async request(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Page> {
    const res = await fetch(this.baseUrl + path, {
      method,
      redirect: 'manual',
      headers: { ...this.defaultHeaders, cookie: this.cookieHeader(), ...init.headers },
      body: init.body,
    });
    this.remember(res);
    const html = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html);
    if (token) this.csrf = token[1]!;
    return { status: res.status, location: res.headers.get('location'), html, headers: res.headers };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers });
  }

  /** Posts a form the way a browser does, with the CSRF token of the last page unless given. */
  post(path: string, fields: Record<string, string | string[]> = {}, options: { csrf?: boolean } = {}) {
    const body = new URLSearchParams();
    if (options.csrf !== false && fields._csrf === undefined) body.append('_csrf', this.csrf);
    for (const [k, v] of Object.entries(fields)) for (const item of [v].flat()) body.append(k, item);
    return this.request('POST', path, { body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  /** Posts a multipart form (a file upload), with the CSRF token of the last page. */
  async postMultipart(path: string, form: FormData): Promise<Page> {
    if (!form.has('_csrf')) form.append('_csrf', this.csrf);
    const res = await fetch(this.baseUrl + path, { method: 'POST', redirect: 'manual', headers: { ...this.defaultHeaders, cookie: this.cookieHeader() }, body: form });
    this.remember(res);
    const html = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html);
    if (token) this.csrf = token[1]!;
    return { status: res.status, location: res.headers.get('location'), html, headers: res.headers };
  }

  /** Registers through the pages and stays logged in. */
  async register(email: string, password = 'correct horse battery') {
    await this.get('/register');
    return this.post('/register', { email, password, passwordConfirm: password });
  }

  async login(email: string, password = 'correct horse battery') {
    await this.get('/login');
    return this.post('/login', { email, password });
  }
}

export type ApiResponse = { status: number; body: any; headers: Headers };

/** JSON API calls. */
export async function api(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(baseUrl + '/api/v1' + path, {
    method,
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text so the assertion shows it */
  }
  return { status: res.status, body, headers: res.headers };
}

/** Registers a user through the API and returns a token for them. */
export async function userWithToken(baseUrl: string, email: string, password = 'correct horse battery') {
  const reg = await api(baseUrl, 'POST', '/register', { body: { email, password } });
  if (reg.status !== 201) throw new Error(`register ${email}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const tok = await api(baseUrl, 'POST', '/tokens', { body: { email, password, name: 'test' } });
  if (tok.status !== 201) throw new Error(`token ${email}: ${tok.status} ${JSON.stringify(tok.body)}`);
  return { id: reg.body.user.id as number, email, password, token: tok.body.token as string };
}

/**
 * Asserts the API's error answer: the status and exactly `{error: {code, message, fields?}}`. The
 * message is compared when given; `fields` must be exactly the given ones (none when not given).
 */
export function assertApiError(res: Pick<ApiResponse, 'status' | 'body'>, status: number, expected: { code: string; message?: string; fields?: Record<string, string> }) {
  assert.equal(res.status, status, `status of ${JSON.stringify(res.body)}`);
  assert.deepEqual(Object.keys(res.body ?? {}), ['error'], `an error body: ${JSON.stringify(res.body)}`);
  const { code, message, fields, ...rest } = res.body.error;
  assert.deepEqual(rest, {}, 'nothing but code, message and fields');
  assert.equal(code, expected.code);
  if (expected.message === undefined) assert.ok(typeof message === 'string' && message.length > 0, 'a message');
  else assert.equal(message, expected.message);
  assert.deepEqual(fields, expected.fields);
}
