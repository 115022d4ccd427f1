// WeCom (企业微信) self-built app messages: an access token from gettoken (kept in ctx.cache until
// 5 minutes before it expires), then message/send, both judged by `errcode`. A token WeCom rejects
// (40001/40014/42001) is dropped and fetched again once. 60020 means the server's IP is not among the
// app's trusted IPs (企业可信IP), which only the WeCom admin can change: permanent.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { HttpResponse } from '../../lib/http.js';
import type { Channel, SendContext } from '../channel.js';
import { apiBaseField, cutBytes, failAnswer, failForStatus, isTransientStatus, joined, json, proxyField, send, shortBody, withApiBase } from './common.js';

const MAX_TEXT_BYTES = 2048;
const API = 'https://qyapi.weixin.qq.com';
const TOKEN_MARGIN_S = 300;
const TOKEN_REJECTED = new Set([40001, 40014, 42001]);
// -1 is 系统繁忙 (busy); 45009 and 45033 are call-rate and concurrency limits.
const BUSY = new Set([-1, 45009, 45033]);

const schema = z.object({
  corpId: z.string().trim().min(1, { error: 'errors.required' }).max(100).describe('push.field.corp_id'),
  corpSecret: z.string().trim().min(1, { error: 'errors.required' }).describe('push.field.corp_secret'),
  agentId: z.coerce.number().int().positive().describe('push.field.agent_id'),
  toUser: z.string().trim().max(1000).optional().describe('push.field.to_user'),
  apiBase: apiBaseField,
  proxy: proxyField,
});
type Config = z.output<typeof schema>;

type Answer = { code: number; said?: string; body: Record<string, unknown> };

/** The errcode of an answer; an answer without one fails here (transient unless an error status says otherwise). */
function judge(res: HttpResponse, ctx: SendContext): Answer {
  const body = json(res);
  const said = typeof body?.errmsg === 'string' && body.errmsg ? body.errmsg : undefined;
  // errcode 0 behind an error status is a proxy's page, not WeCom's answer.
  if (typeof body?.errcode !== 'number' || (body.errcode === 0 && res.status >= 300)) {
    if (res.status >= 200 && res.status < 300) {
      failAnswer(res, ctx, `WeCom app: unexpected answer (HTTP ${res.status}): ${shortBody(res, 100)}`, { permanent: false });
    }
    failForStatus(res, ctx, `WeCom app: ${said ?? `HTTP ${res.status}`}`);
  }
  return { code: body.errcode, said, body };
}

function fail(res: HttpResponse, ctx: SendContext, { code, said }: Answer, what: string): never {
  if (code === 60020) {
    const ip = /from ip:\s*([0-9a-f.:]+)/i.exec(said ?? '')?.[1];
    failAnswer(res, ctx, `WeCom app: this server's IP address${ip ? ` (${ip})` : ''} is not in the app's trusted IPs (企业可信IP); a WeCom admin must add it in the app's settings`, { permanent: true });
  }
  const transient = BUSY.has(code) || isTransientStatus(res.status) || (TOKEN_REJECTED.has(code) && what === 'send');
  failAnswer(res, ctx, `WeCom app${what === 'token' ? ' (getting the access token)' : ''}: ${said ?? 'error'} (errcode ${code})`, { permanent: !transient });
}

const cacheKey = (base: string, config: Config) =>
  `wecom_app:${base}:${config.corpId}:${createHash('sha256').update(config.corpSecret).digest('hex').slice(0, 16)}`;

async function accessToken(base: string, config: Config, ctx: SendContext): Promise<string> {
  const key = cacheKey(base, config);
  const cached = ctx.cache.get<string>(key);
  if (cached) return cached;
  const url = new URL(`${base}/cgi-bin/gettoken`);
  url.searchParams.set('corpid', config.corpId);
  url.searchParams.set('corpsecret', config.corpSecret);
  const res = await send(ctx, { method: 'GET', url: url.href, proxy: config.proxy });
  const answer = judge(res, ctx);
  const token = answer.body.access_token;
  if (answer.code !== 0 || typeof token !== 'string' || !token) fail(res, ctx, answer, 'token');
  const expiresIn = typeof answer.body.expires_in === 'number' ? answer.body.expires_in : 7200;
  if (expiresIn > TOKEN_MARGIN_S) ctx.cache.set(key, token, (expiresIn - TOKEN_MARGIN_S) * 1000);
  return token;
}

export const wecomAppChannel = {
  type: 'wecom_app',
  label: 'push.channel.wecom_app',
  config: schema,
  secrets: ['corpSecret'],
  limits: { maxText: MAX_TEXT_BYTES, perMinute: 30 },
  async send(message, config, ctx) {
    const base = withApiBase(API, config.apiBase).replace(/\/+$/, '');
    const payload = {
      touser: config.toUser || '@all',
      msgtype: 'text',
      agentid: config.agentId,
      text: { content: cutBytes(joined(message), MAX_TEXT_BYTES) },
      safe: 0,
    };
    const post = async () => {
      const url = new URL(`${base}/cgi-bin/message/send`);
      url.searchParams.set('access_token', await accessToken(base, config, ctx));
      const res = await send(ctx, { url: url.href, json: payload, proxy: config.proxy });
      return { res, answer: judge(res, ctx) };
    };
    let { res, answer } = await post();
    if (TOKEN_REJECTED.has(answer.code)) {
      // Revoked, or expired early (a new secret, another server fetching tokens): once more with a fresh one.
      ctx.cache.delete(cacheKey(base, config));
      ({ res, answer } = await post());
    }
    if (answer.code !== 0) fail(res, ctx, answer, 'send');
  },
} satisfies Channel<typeof schema>;
