// QD template import: the six real templates of ../shared/fixtures/qd-templates to exact steps, rules
// and variables, the requests they render as QD would send them, the mapping of QD's rule forms, and
// damaged files refused without saving anything.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { importQd } from '../../../src/templates/import/qd.js';
import type { Condition, ExtractRule, Step } from '../../../src/templates/schema.js';
import { RunContext } from '../../../src/runs/run-context.js';
import { runRequestStep } from '../../../src/runs/request-step.js';
import { conditionHolds } from '../../../src/runs/rules.js';
import { extractValue } from '../../../src/runs/extract.js';
import type { HttpRequest, HttpResponse } from '../../../src/lib/http.js';
import { QD_FIXTURES_DIR, qdFixturesSkip } from '../../helpers/qd-fixtures.js';
import { DIALECTS } from '../../helpers/db.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { api, userWithToken, WebClient } from '../../helpers/client.js';
import { assertImportError, savable } from './helpers.js';

const fixture = (name: string) => fs.readFileSync(path.join(QD_FIXTURES_DIR!, name), 'utf8');
const md5 = (text: string) => crypto.createHash('md5').update(text).digest('hex');

const status = (value: string): Condition => ({ from: 'status', op: 'matches', value });
const body = (value: string): Condition => ({ from: 'body', op: 'matches', value });
const extract = (name: string, pattern: string, more: Partial<ExtractRule> = {}): ExtractRule => ({ name, from: 'body', pattern, ...more });
/** A step's rules as one object: what the importer made of QD's success/failed asserts and extractions. */
type Rules = { assert?: Condition[]; failIf?: Condition[]; extract?: ExtractRule[]; allowErrorStatus?: true };
const rulesOf = (s: Step): Rules => {
  const out: Rules = {};
  if (s.assert) {
    assert.equal(s.assertMode, 'any', `${s.name}: QD needs one success assertion to hold`);
    out.assert = s.assert;
  } else assert.equal(s.assertMode, undefined);
  if (s.failIf) out.failIf = s.failIf;
  if (s.extract) out.extract = s.extract;
  if (s.allowErrorStatus) out.allowErrorStatus = true;
  return out;
};
const any = (...values: string[]) => ({ assert: values.map(status) });

/** One QD entry, with QD's empty lists where the test gives nothing. */
function entry(request: Record<string, unknown>, rule: Record<string, unknown> = {}, comment?: string) {
  return {
    ...(comment === undefined ? {} : { comment }),
    request: { method: 'GET', url: 'https://qd.example.com/', headers: [], cookies: [], data: '', ...request },
    rule: { success_asserts: [], failed_asserts: [], extract_variables: [], ...rule },
  };
}
const qd = (...entries: unknown[]) => savable(importQd(JSON.stringify(entries)));

/** Sends a step through the engine's own request code to a recorder; returns what went out. */
async function sent(step: Step, variables: Record<string, unknown>, nowMs = Date.UTC(2024, 0, 2, 3, 4, 5)): Promise<HttpRequest> {
  const requests: HttpRequest[] = [];
  const http = {
    async request(req: HttpRequest): Promise<HttpResponse> {
      requests.push(req);
      return { status: 200, statusText: 'OK', headers: [['content-type', 'text/plain']], body: Buffer.from('ok'), url: req.url, redirects: [], truncated: false } as unknown as HttpResponse;
    },
  };
  const ctx = new RunContext({ ...variables }, http, { now: () => nowMs }, undefined, undefined);
  // The recorder answers "ok" to everything, so the step's own rules may fail; its request may not.
  const record = await runRequestStep(step, 1, ctx);
  assert.doesNotMatch(record.error ?? '', /template error|URL must/, record.error);
  assert.equal(requests.length, 1);
  return requests[0]!;
}
/** An api:// step's body as the engine renders it (the utility itself is not under test here). */
const renderedBody = (step: Step, variables: Record<string, unknown>) => new RunContext({ ...variables }, { request: async () => assert.fail() }, { now: () => 0 }, undefined, undefined).render(step.body ?? '');

describe('importQd: the six real QD templates', { skip: qdFixturesSkip }, () => {
  it('2DFan: failed asserts, a default in the URL, the unicode utility into __log__', async () => {
    const { template, warnings } = savable(importQd(fixture('2DFan.har')));
    assert.deepEqual(warnings, []);
    assert.equal(template.name, '2dfan.org', 'named after the site its default points at');
    assert.equal(template.siteUrl, 'https://2dfan.org');
    assert.deepEqual(template.variables, [{ name: 'domain', default: '2dfan.org' }, { name: 'cookie', secret: true }]);
    const notLoggedIn = [body('<a href="/users/not_authenticated">登录</a>'), body('<a href="/users/new">注册</a>')];
    assert.deepEqual(template.steps.map(rulesOf), [
      { ...any('200'), failIf: notLoggedIn, extract: [extract('recheckin', '<a href="(.+)">签到</a>'), extract('panel', '<a href="(.+)">控制面板</a>')] },
      { ...any('200'), failIf: notLoggedIn, extract: [extract('token', 'name="csrf-token" content="(.+)"')] },
      { ...any('200'), extract: [extract('checkins_count', '"checkins_count":(\\d+)'), extract('serial_checkins', '"serial_checkins":(\\d+)')] },
      {
        ...any('200'),
        failIf: notLoggedIn,
        extract: [
          extract('name', '<i class="icon-user"></i> (.+) <i class="caret"></i>'),
          ...[['jf', '积分'], ['sw', '声望'], ['yqd', '已签到'], ['lxqd', '连续签到'], ['qdpm', '签到排名']].map(([n, label]) => extract(n!, `<span class="muted">${label}：</span>.+</li>`)),
        ],
      },
      { assert: [status('200'), body('"状态": "200"')], extract: [extract('__log__', '"转换后": "(.*)"')] },
    ]);
    assert.deepEqual(template.steps.map((s) => s.followRedirects), [false, false, false, false, undefined]);
    assert.equal(template.steps[4]!.url, 'api://util/unicode');
    assert.equal(template.steps[4]!.name, 'Unicode转换', 'the comment names the step');

    const ua = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36';
    const vars = { domain: '2dfan.org', cookie: '_project_hgc_session=abc; remember=1', recheckin: '/users/1/recheckin', token: 'csrf+/=', panel: '/users/1' };
    const first = await sent(template.steps[0]!, vars);
    assert.equal(first.url, 'https://2dfan.org/');
    assert.equal(first.method, 'GET');
    assert.deepEqual(first.headers, { cookie: vars.cookie, referer: 'https://2dfan.org/', 'user-agent': ua });
    assert.equal(first.body, undefined);
    assert.equal(first.followRedirects, false);
    const checkin = await sent(template.steps[2]!, vars);
    assert.equal(checkin.url, 'https://2dfan.org/checkins');
    assert.deepEqual(checkin.headers, { origin: 'https://2dfan.org', referer: 'https://2dfan.org/users/1/recheckin', 'user-agent': ua, 'x-csrf-token': 'csrf+/=' });
    assert.equal(checkin.body, undefined, 'QD sends an empty POST');
    const stats = { name: 'Neo', jf: '<span class="muted">积分：</span>12</li>', sw: '<span class="muted">声望：</span>3</li>', yqd: '<span class="muted">已签到：</span>4</li>', lxqd: '<span class="muted">连续签到：</span>5</li>', qdpm: '<span class="muted">签到排名：</span>6</li>' };
    assert.equal(renderedBody(template.steps[4]!, stats), 'html_unescape=false&content=用户名：Neo\\r\\n 积分：12，声望：3\\r\\n 已签到：4，连续签到：5，签到排名：6');
  });

  it('tencent_cloudstudio: /…/g extractions become lists, the body keeps its {% for %} and {% if %}', async () => {
    const { template, warnings } = savable(importQd(fixture('tencent_cloudstudio.har')));
    assert.deepEqual(warnings, []);
    assert.equal(template.name, 'cloudstudio.net');
    assert.deepEqual(template.variables, [{ name: 'xsrf' }, { name: 'cookie', secret: true }], 'nickName, reward and the lists are extracted; name is the loop variable');
    assert.deepEqual(template.steps.map(rulesOf), [
      { ...any('200'), extract: [extract('nickName', '"nickName":"(.*?)"')] },
      { ...any('200'), extract: [extract('reward', '"rewardNum":(\\d+)')] },
      {
        ...any('200'),
        extract: [
          extract('p_names', '"name":"(.*?)"', { all: true }),
          extract('p_totals', '"total":(\\d+)', { all: true }),
          extract('p_useds', '"used":(\\d+)', { all: true }),
          extract('p_exps', '"expiredTime":"(.*?)"', { all: true }),
        ],
      },
      { allowErrorStatus: true, extract: [extract('__log__', '"转换后": "(.*)"')] },
    ]);
    const reward = await sent(template.steps[1]!, { xsrf: 'x-1', cookie: 'XSRF-TOKEN=x-1; sid=2' });
    assert.equal(reward.method, 'POST');
    assert.deepEqual(reward.headers, { 'X-XSRF-TOKEN': 'x-1', Cookie: 'XSRF-TOKEN=x-1; sid=2', 'X-Requested-With': 'XMLHttpRequest', 'Content-Length': '0' });
    const summary = renderedBody(template.steps[3]!, {
      nickName: 'Ann',
      reward: '150000000',
      p_names: ['Pack A', 'Pack B'],
      p_useds: ['50000000', '100000000'],
      p_totals: ['200000000', '300000000'],
      p_exps: ['2025-01-01T00:00:00.000+00:00', '2025-02-01T08:00:00.000+00:00'],
    });
    assert.equal(
      summary,
      'content=用户 Ann 签到成功！\n获得奖励：1.5 机时\n最新可用资源为：\n已用 | 一共 | 到期时间 | 资源名称\n' +
        '0.5 | 2 机时 | 2025-01-01 00:00:00 | Pack A\n1.0 | 3 机时 | 2025-02-01 08:00:00 | Pack B',
    );
  });

  it('vr-moqu: the {% for %} … {% endfor %} entries stay control steps around the loop body', async () => {
    const { template, warnings } = savable(importQd(fixture('vr-moqu.har')));
    assert.deepEqual(warnings, []);
    assert.deepEqual(template.variables, [{ name: 'Email' }, { name: 'password', secret: true }], 'value, the loop variable, is no input');
    assert.deepEqual(
      template.steps.map((s) => [s.name, s.url]),
      [
        ['POST /wp-json/jwt-auth/v1/token', 'https://www.vrmoo.net/wp-json/jwt-auth/v1/token'],
        ['For 循环开始', '{% for value in range(0, 3, 1) %}'],
        ['POST /wp-json/b2/v1/userMission', 'https://www.vrmoo.net/wp-json/b2/v1/userMission'],
        ['延时3秒', 'api://util/delay/3'],
        ['POST /wp-json/b2/v1/getUserMission', 'https://www.vrmoo.net/wp-json/b2/v1/getUserMission'],
        ['For 循环结束', '{% endfor %}'],
        ['Unicode转换', 'api://util/unicode'],
      ],
    );
    assert.deepEqual(template.steps[1], { name: 'For 循环开始', method: 'GET', url: '{% for value in range(0, 3, 1) %}' }, 'a control step carries nothing else');
    assert.deepEqual(template.steps.map(rulesOf), [
      { ...any('200'), extract: [extract('token', 'token":"(.+?)"'), extract('user', 'name":"(.+?)"'), extract('uid', 'id":"(\\d+)"')] },
      {},
      any('200'),
      any('200'),
      { ...any('200'), extract: [extract('sj', 'date":"(.+?)"'), extract('jf', 'credit":"(\\d+)"'), extract('zjf', 'my_credit":"(\\d+)"')] },
      {},
      { ...any('200'), extract: [extract('__log__', '"转换后": "(.*)"')] },
    ]);
    const login = await sent(template.steps[0]!, { Email: 'a@b.example', password: 'p&w' });
    assert.equal(login.body, 'username=a@b.example&password=p&w', 'QD renders data as written: no encoding added');
    assert.deepEqual(login.headers, { 'User-Agent': 'Mozilla/5.0 (Windows NT 10.0; rv:122.0) Gecko/20100101 Firefox/122.0', 'Content-Type': 'application/x-www-form-urlencoded' });
    const mission = await sent(template.steps[2]!, { token: 'jwt.1' });
    assert.equal(mission.headers!.Authorization, 'Bearer jwt.1');
  });

  it('52pojie: header-location read by hand, redirects not followed, all 18 recorded headers in order', async () => {
    const { template, warnings } = savable(importQd(fixture('52pojie.har')));
    assert.deepEqual(warnings, []);
    assert.equal(template.steps.length, 9);
    assert.deepEqual(template.variables, [{ name: 'cookie', secret: true }], 'url and location are extracted before they are read');
    const loggedOut = [body('您需要先登录才能继续本操作')];
    const decoded = { assert: [status('200'), body('"状态": "200"')] };
    assert.deepEqual(template.steps.map(rulesOf), [
      any('200'),
      { ...any('200'), failIf: loggedOut, extract: [extract('dynamicurl', 'dynamicurl\\|/(.+?)\\|')] },
      { ...decoded, extract: [extract('url', '"转换后": "(.*)"')] },
      { ...any('302', '200'), extract: [{ name: 'location', from: 'header', header: 'location', pattern: '.+' }] },
      any('302', '200'),
      any('200'),
      { ...any('200'), failIf: [body('领取今日签到奖励')] },
      { ...any('200'), failIf: loggedOut, extract: [extract('log_value', '<span id="hcredit_2">(.+?)</span>')] },
      { ...decoded, extract: [extract('__log__', '"转换后": "(.*)"')] },
    ]);
    const raw = JSON.parse(fixture('52pojie.har')) as { request: { headers: { name: string; value: string }[] } }[];
    const first = await sent(template.steps[0]!, { cookie: 'htVC_2132_auth=a%2Fb' });
    assert.deepEqual(Object.entries(first.headers!), raw[0]!.request.headers.map((h) => [h.name, h.name === 'Cookie' ? 'htVC_2132_auth=a%2Fb' : h.value]));
    const waf = await sent(template.steps[3]!, { url: 'https://www.52pojie.cn/waf_zw_verify?wzwscspd=MC4wLjAuMA==' });
    assert.equal(waf.url, 'https://www.52pojie.cn/waf_zw_verify?wzwscspd=MC4wLjAuMA==');
    assert.equal(waf.followRedirects, false);
    assert.equal(renderedBody(template.steps[8]!, { log_value: '42' }), 'content=吾爱币: 42');
  });

  it('gebi1: username is both the login input and what the login extracts; md5 and urlencode in the form', async () => {
    const { template, warnings } = savable(importQd(fixture('gebi1.har')));
    assert.deepEqual(warnings, []);
    assert.deepEqual(template.variables, [{ name: 'username' }, { name: 'password', secret: true }]);
    assert.deepEqual(template.steps.map(rulesOf), [
      { assert: [body('欢迎您回来')], extract: [extract('username', "username':'(.+)','usergroup"), extract('uid', "uid':'(\\d+)'")] },
      { allowErrorStatus: true, extract: [extract('t', '(\\d{10})')] },
      { assert: [body('个人资料')], failIf: [body('登录')], extract: [extract('hash', 'formhash=(\\w*)"')] },
      { ...any('200'), extract: [extract('__log__', '\\s+(.+)</div>')] },
    ]);
    const login = await sent(template.steps[0]!, { username: '张 三', password: 'p@ss' });
    assert.equal(login.url, 'http://www.gebi1.com/member.php?mod=logging&action=login&loginsubmit=yes&handlekey=login&loginhash=LWYES&inajax=1');
    assert.equal(login.body, `formhash=a88fcf91&referer=http%3A%2F%2Fwww.gebi1.com%2F&username=%E5%BC%A0%20%E4%B8%89&password=${md5('p@ss')}&questionid=0&answer=`);
    assert.deepEqual(login.headers, { 'Content-Type': 'application/x-www-form-urlencoded' }, 'QD (curl) posts a form when no type is given');
    const sign = await sent(template.steps[3]!, { hash: 'f00d' });
    assert.equal(sign.url, 'http://www.gebi1.com/plugin.php?id=k_misign:sign&operation=qiandao&format=button&formhash=f00d', 'the file’s trailing newline is trimmed');
    assert.equal(sign.body, 'formhash=f00d&qdxq=kx');
  });

  it('SMZDM_FIXED: the signature is md5 of the text with the current time, upper-cased', async () => {
    const { template, warnings } = savable(importQd(fixture('SMZDM_FIXED.har')));
    assert.deepEqual(warnings, []);
    assert.deepEqual(template.variables, [{ name: 'cookie', secret: true }], 'checkin_msg, cgold, pre_re_silver are extracted (their defaults apply when nothing matched)');
    assert.deepEqual(template.steps.map(rulesOf), [
      {
        assert: [body('"error_code":\\s*"0"')],
        failIf: [body('"error_code":\\s*11111')],
        extract: [extract('daily_num', '"daily_num":\\s*(\\d+)'), extract('cgold', '"cgold":\\s*(\\d+)'), extract('pre_re_silver', '"pre_re_silver":\\s*(\\d+)'), extract('checkin_msg', '"error_msg":\\s*"([^"]+)"')],
      },
      any('200'),
      { assert: [body('"error_code":\\s*"[0-9]"')], extract: [extract('lottery_msg', '"error_msg":\\s*"([^"]+)"')] },
      any('200'),
      any('200'),
    ]);
    const now = Date.UTC(2024, 4, 6, 7, 8, 9, 500);
    const time = Math.floor(now / 1000) * 1000;
    const sign = md5(`basic_v=0&f=android&time=${time}&v=10.4.26&weixin=1&key=apr1$AwP!wRRT$gJ/q.X24poeBInlUJC`).toUpperCase();
    const checkin = await sent(template.steps[0]!, { cookie: 'sess=1' }, now);
    assert.equal(checkin.body, `weixin=1&basic_v=0&f=android&v=10.4.26&time=${time}&sign=${sign}`);
    assert.deepEqual(checkin.headers, { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'smzdm_android_V10.4.26 rv:866 (Redmi Note 3;Android10.0;zh)smzdmapp', Cookie: 'sess=1' });
    assert.equal(renderedBody(template.steps[4]!, {}), 'msg=什么值得买签到完成 - 签到成功 - 金币:0 - 银元:0');
    assert.equal(renderedBody(template.steps[4]!, { checkin_msg: '已签到', cgold: '5', pre_re_silver: '7' }), 'msg=什么值得买签到完成 - 已签到 - 金币:5 - 银元:7');
  });
});

describe('importQd: rules', () => {
  it('maps every `from`: content, status, header (all lines), header-<name>', () => {
    const { template, warnings } = qd(entry({}, {
      success_asserts: [{ re: '^2', from: 'status' }, { re: 'Set-Cookie: a=', from: 'header' }],
      failed_asserts: [{ re: 'login', from: 'header-location' }, { re: 'x', from: 'cookie' }],
      extract_variables: [{ name: 'loc', re: '/p/(\\d+)', from: 'header-location' }, { name: 'code', re: '\\d+', from: 'status' }],
    }));
    const [step] = template.steps;
    assert.deepEqual(step!.assert, [status('^2'), { from: 'header', op: 'matches', value: 'Set-Cookie: a=' }]);
    assert.deepEqual(step!.failIf, [{ from: 'header', header: 'location', op: 'matches', value: 'login' }]);
    assert.deepEqual(step!.extract, [{ name: 'loc', from: 'header', header: 'location', pattern: '/p/(\\d+)' }, { name: 'code', from: 'status', pattern: '\\d+' }]);
    assert.deepEqual(warnings, [{ key: 'import.qd_rule_from_unknown', params: { index: 1, list: 'failed_asserts', position: 2, from: 'cookie' } }]);
  });

  it('reads /pattern/flags in extractions only: g → all, i m s inline, u dropped; in assertions the slashes are text', () => {
    const { template } = qd(entry({}, {
      success_asserts: [{ re: '/ok/', from: 'content' }, { re: '', from: 'content' }],
      failed_asserts: [{ re: '', from: 'content' }],
      extract_variables: [
        { name: 'all', re: '/id=(\\d+)/g', from: 'content' },
        { name: 'ci', re: '/name: (\\w+)/gimsu', from: 'content' },
        { name: 'plain', re: '/a/b/', from: 'content' },
        { name: 'twice', re: '//x//', from: 'content' },
      ],
    }));
    const [step] = template.steps;
    assert.deepEqual(step!.assert, [body('(?:/ok/)'), body('(?!)')], 'an empty success regex never holds in QD');
    assert.equal(step!.failIf, undefined, 'an empty failed regex never fires in QD');
    assert.equal(step!.allowErrorStatus, undefined);
    assert.deepEqual(step!.extract, [
      extract('all', 'id=(\\d+)', { all: true }),
      extract('ci', '(?ims)name: (\\w+)', { all: true }),
      extract('plain', 'a/b'),
      extract('twice', '(?:/x/)'),
    ]);
    const view = { status: 200, headers: [] as [string, string][], contentType: 'text/html', body: Buffer.from('id=1 NAME: Ann\nid=22 /ok/ /x/') };
    assert.deepEqual(extractValue(view, step!.extract![0]!), ['1', '22']);
    assert.deepEqual(extractValue(view, step!.extract![1]!), ['Ann']);
    assert.equal(extractValue(view, step!.extract![3]!), '/x/');
    assert.equal(conditionHolds('has /ok/ in it', 'matches', '(?:/ok/)'), true);
    assert.equal(conditionHolds('ok', 'matches', '(?:/ok/)'), false, 'QD searched for the slashes too');
    assert.equal(conditionHolds('anything', 'matches', '(?!)'), false);
  });

  it('keeps Python regex syntax, which the engine translates: (?P<n>…), (?P=n), \\d on any digits', () => {
    const { template } = qd(entry({}, {
      success_asserts: [{ re: '(?P<q>["\'])ok(?P=q)', from: 'content' }],
      extract_variables: [{ name: 'uid', re: 'uid=(?P<uid>\\d+)', from: 'content' }],
    }));
    const [step] = template.steps;
    assert.equal(step!.assert![0]!.value, '(?P<q>["\'])ok(?P=q)');
    assert.equal(conditionHolds('{"a": "ok"}', 'matches', String(step!.assert![0]!.value)), true);
    assert.equal(conditionHolds('{"a": "ok\'}', 'matches', String(step!.assert![0]!.value)), false);
    const view = { status: 200, headers: [] as [string, string][], contentType: 'text/plain', body: Buffer.from('uid=١٢3') };
    assert.equal(extractValue(view, step!.extract![0]!), '١٢3', 'Python’s \\d is any Unicode digit');
  });

  it('leaves out an extraction from all headers (the schema needs a header name) and one into a name that is no identifier, saying so', () => {
    const { template, warnings } = qd(entry({}, {
      success_asserts: [{ re: '200', from: 'status' }],
      extract_variables: [{ name: 'h', re: 'Server: (.*)', from: 'header' }, { name: 'bad-name', re: '(.*)', from: 'content' }],
    }));
    assert.equal(template.steps[0]!.extract, undefined);
    assert.deepEqual(warnings, [
      { key: 'import.qd_extract_all_headers', params: { index: 1, list: 'extract_variables', position: 1, name: 'h' } },
      { key: 'import.qd_extract_name_invalid', params: { index: 1, list: 'extract_variables', position: 2, name: 'bad-name' } },
    ]);
  });

  it('refuses a rule whose regex cannot compile, naming the entry, the list and the rule', () => {
    const file = JSON.stringify([entry({}), entry({}, { failed_asserts: [{ re: 'ok', from: 'content' }, { re: '(unclosed', from: 'content' }] })]);
    const err = assertImportError(() => importQd(file), 'import.qd_rule_bad_regex', {
      index: 2, list: 'failed_asserts', position: 2, pattern: '(unclosed', problem: 'Unterminated group',
    });
    assert.match(err.detail!, /unclosed/);
    // A pattern built by Jinja is only known when the step runs.
    assert.doesNotThrow(() => qd(entry({}, { extract_variables: [{ name: 'v', re: '{{ p }}(', from: 'content' }] })));
  });
});

describe('importQd: requests', () => {
  it('folds the cookies list into the Cookie header (a listed cookie replaces a crumb of its name), keeps the header order, drops pseudo-headers', async () => {
    const { template, warnings } = qd(entry({
      method: 'POST',
      url: 'https://qd.example.com/sign?u={{ user|urlencode }}',
      headers: [
        { name: ':authority', value: 'qd.example.com' },
        { name: 'Accept', value: '*/*' },
        { name: 'cookie', value: 'a=1; b=2' },
        { name: 'X-Token', value: '{{ access_token }}' },
        { name: 'accept', value: 'application/json' },
        { name: 'Bad Name', value: 'x' },
      ],
      cookies: [{ name: 'b', value: '3' }, { name: 'c', value: '{{ sid }}' }],
      data: 'x={{ key }}',
      mimeType: 'application/x-www-form-urlencoded',
    }));
    const [step] = template.steps;
    assert.deepEqual(step!.headers, { Accept: 'application/json', cookie: 'a=1; b=3; c={{ sid }}', 'X-Token': '{{ access_token }}', 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.deepEqual(warnings, [
      { key: 'import.qd_pseudo_header', params: { index: 1, name: ':authority' } },
      { key: 'import.qd_header_repeated', params: { index: 1, name: 'Accept' } },
      { key: 'import.header_invalid', params: { index: 1, name: 'Bad Name' } },
    ]);
    assert.deepEqual(template.variables, [{ name: 'user' }, { name: 'sid', secret: true }, { name: 'access_token', secret: true }, { name: 'key', secret: true }]);
    assert.equal(step!.allowErrorStatus, true, 'no assertions: QD passes any status');
    const out = await sent(step!, { user: 'a b', access_token: 't', sid: 's1', key: 'k' });
    assert.equal(out.url, 'https://qd.example.com/sign?u=a%20b');
    assert.deepEqual(out.headers, { Accept: 'application/json', cookie: 'a=1; b=3; c=s1', 'X-Token': 't', 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(out.body, 'x=k');
  });

  it('appends listed cookies to a Cookie header built by Jinja, and makes one when there is none', () => {
    const built = qd(entry({ headers: [{ name: 'Cookie', value: '{{ cookie }}' }], cookies: [{ name: 'lang', value: 'zh' }] }));
    assert.deepEqual(built.template.steps[0]!.headers, { Cookie: '{{ cookie }}; lang=zh' });
    const listed = qd(entry({ cookies: [{ name: 'lang', value: 'zh' }, { name: 'u', value: '1' }] }));
    assert.deepEqual(listed.template.steps[0]!.headers, { Cookie: 'lang=zh; u=1' });
  });

  it('sends no body with GET, as QD does, and says so', () => {
    const { template, warnings } = qd(entry({ data: 'a=1' }));
    assert.equal(template.steps[0]!.body, undefined);
    assert.deepEqual(warnings, [{ key: 'import.qd_get_data_dropped', params: { index: 1, method: 'GET' } }]);
  });

  it('declares inputs with their defaults and secrecy, not globals, loop variables or names a loop binds', () => {
    const { template, warnings } = qd(
      entry({ url: '{% for item in items %}' }),
      entry({
        method: 'POST',
        url: 'https://qd.example.com/{{ item }}?i={{ loop_index }}&t={{ timestamp() }}&n={{ nick | default("anon") }}',
        headers: [{ name: 'Authorization', value: 'Bearer {{ userPwd | d(0) }}' }],
        data: '{% set x = 1 %}{{ x }}{{ _cookies }}{{ now }}{% for k, v in pairs %}{{ k }}{{ v }}{% endfor %}',
      }, { success_asserts: [{ re: '{{ expected }}', from: 'content' }] }),
      entry({ url: '{% endfor %}' }),
      entry({ url: '{% if count|int > 3 %}' }),
      entry({ url: '{% endif %}' }),
    );
    assert.deepEqual(warnings, []);
    assert.deepEqual(template.variables, [
      { name: 'items' },
      { name: 'nick', default: 'anon' },
      { name: 'userPwd', default: '0', secret: true },
      { name: 'pairs' },
      { name: 'expected' },
      { name: 'count' },
    ]);
    assert.deepEqual(template.steps.map((s) => s.url), ['{% for item in items %}', template.steps[1]!.url, '{% endfor %}', '{% if count|int > 3 %}', '{% endif %}']);
  });

  it('warns about what will not run: OCR, an unknown utility, Faker, unknown functions and filters, broken Jinja, unbalanced control entries', () => {
    const { warnings } = qd(
      entry({ method: 'POST', url: 'api://util/dddd/ocr', data: 'img={{ img }}' }),
      entry({ url: 'api://util/rsa?x=1' }),
      entry({ url: 'https://qd.example.com/?n={{ Faker().name() }}&x={{ shout(y) }}&z={{ y | nosuch }}' }),
      entry({ url: 'https://qd.example.com/{{ y' }),
      entry({ url: '{% endfor %}' }, { success_asserts: [{ re: '200', from: 'status' }] }),
      entry({ url: '{% while y %}' }),
    );
    assert.deepEqual(warnings.map((w) => [w.key, w.params?.index]), [
      ['import.qd_ocr', 1],
      ['import.qd_api_unknown', 2],
      ['import.qd_function_unsupported', 3],
      ['import.qd_function_unknown', 3],
      ['import.qd_filter_unknown', 3],
      ['import.qd_template_invalid', 4],
      ['import.qd_control_unbalanced', 5],
      ['import.qd_control_rules_dropped', 5],
      ['import.qd_control_unclosed', 6],
    ]);
    assert.deepEqual(warnings[2]!.params, { index: 3, name: 'Faker' });
  });
});

/** What JSON.parse says about `text`, which must not parse. */
function jsonErrorOf(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('the text parses');
}

describe('importQd: files that are not QD templates', () => {
  const cases: [string, string, string, Record<string, string | number>][] = [
    ['not JSON', '[{"request": ', 'import.not_json', { detail: jsonErrorOf('[{"request": ') }],
    ['not an array', '{"log": {"entries": []}}', 'import.qd_not_array', {}],
    ['an empty array', '[]', 'import.qd_no_entries', {}],
    ['an entry that is no object', JSON.stringify([entry({}), 'x']), 'import.qd_entry_not_object', { index: 2 }],
    ['an entry without request', JSON.stringify([entry({}), entry({}), { rule: {} }]), 'import.qd_entry_no_request', { index: 3 }],
    ['an entry without request.url', JSON.stringify([{ request: { method: 'GET' }, rule: {} }]), 'import.qd_entry_no_url', { index: 1 }],
    ['a method a step cannot send', JSON.stringify([entry({ method: 'PROPFIND' })]), 'import.qd_method_unsupported', { index: 1, method: 'PROPFIND' }],
    ['a URL of another scheme', JSON.stringify([entry({ url: 'ftp://qd.example.com/' })]), 'import.qd_entry_bad_url', { index: 1, url: 'ftp://qd.example.com/' }],
    ['headers that are no list', JSON.stringify([entry({ headers: { a: 'b' } })]), 'import.qd_entry_bad_field', { index: 1, field: 'request.headers' }],
    ['a rule without re', JSON.stringify([entry({}, { success_asserts: [{ from: 'status' }] })]), 'import.qd_rule_invalid', { index: 1, list: 'success_asserts', position: 1 }],
  ];
  for (const [what, content, key, params] of cases) {
    it(`refuses ${what}`, () => void assertImportError(() => importQd(content), key, params));
  }
});

for (const dialect of DIALECTS) {
  describe(`QD import through the app (${dialect})`, { skip: qdFixturesSkip }, () => {
    let app: TestApp;
    let token: string;
    const call = (method: string, path: string, body?: unknown) => api(app.url, method, path, { token, body });
    before(async () => {
      app = await startTestApp(dialect);
      ({ token } = await userWithToken(app.url, `qd-${dialect}@example.com`));
    });
    after(async () => app?.close());

    it('imports a QD file pasted as text, sent as an array, and declared as "har" (QD files end in .har), with warnings translated', async () => {
      const pasted = await call('POST', '/templates/import', { content: fixture('vr-moqu.har') });
      assert.equal(pasted.status, 201, JSON.stringify(pasted.body));
      assert.equal(pasted.body.steps.length, 7);
      assert.deepEqual(pasted.body.warnings, []);
      const asHar = await call('POST', '/templates/import', { format: 'har', content: fixture('52pojie.har') });
      assert.equal(asHar.status, 201, JSON.stringify(asHar.body));
      assert.equal(asHar.body.steps.length, 9);
      const ocr = [entry({ method: 'POST', url: 'api://util/dddd/ocr', data: 'img={{ img }}' }, { success_asserts: [{ re: '200', from: 'status' }] })];
      const asArray = await call('POST', '/templates/import', { format: 'qd', content: ocr, name: 'OCR' });
      assert.equal(asArray.status, 201, JSON.stringify(asArray.body));
      assert.equal(asArray.body.name, 'OCR');
      assert.deepEqual(asArray.body.warnings, ['Entry 1 uses QD’s OCR (api://util/dddd), which Chime does not have; runs fail at that step until it is replaced.']);
    });

    it('saves nothing for a damaged file, and says what is wrong', async () => {
      const before = (await call('GET', '/templates')).body.items.length;
      const damaged: [unknown, string][] = [
        ['[{"request": ', 'The file is not valid JSON'],
        [{ format: 'qd', content: '{"a": 1}' }, 'This is not a QD template file: it must be a JSON array of entries, each with a request and a rule.'],
        [{ format: 'qd', content: JSON.stringify([entry({}), { rule: {} }]) }, 'Entry 2 has no request.'],
        [{ format: 'qd', content: JSON.stringify([{ request: { method: 'GET', url: '' }, rule: {} }]) }, 'Entry 1 has no request.url.'],
        [{ format: 'qd', content: JSON.stringify([entry({}, { extract_variables: [{ name: 'v', re: '[a-', from: 'content' }] })]) }, 'Entry 1: rule 1 of extract_variables has a regular expression that cannot work'],
      ];
      for (const [request, message] of damaged) {
        const res = await call('POST', '/templates/import', typeof request === 'string' ? { format: 'qd', content: request } : request);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.error.code, 'invalid_import');
        assert.ok(String(res.body.error.fields.content).startsWith(message), res.body.error.fields.content);
      }
      assert.equal((await call('GET', '/templates')).body.items.length, before);
    });

    it('imports an uploaded .har QD file on the import page and shows its warnings', async () => {
      const browser = new WebClient(app.url);
      await browser.register(`qd-page-${dialect}@example.com`);
      await browser.get('/templates/import');
      const file = JSON.stringify([...JSON.parse(fixture('gebi1.har')), entry({ url: 'api://util/dddd/ocr' })]);
      const form = new FormData();
      form.append('file', new Blob([file], { type: 'application/octet-stream' }), 'gebi1.har');
      const uploaded = await browser.postMultipart('/templates/import', form);
      assert.equal(uploaded.status, 303, uploaded.html.slice(0, 500));
      const editor = await browser.get(uploaded.location!);
      assert.match(editor.html, /Imported 5 step\(s\)/);
      assert.match(editor.html, /Entry 5 uses QD’s OCR/);

      const broken = new FormData();
      broken.append('file', new Blob(['[{"comment": "x"}]']), 'broken.har');
      broken.append('format', 'qd');
      const refused = await browser.postMultipart('/templates/import', broken);
      assert.equal(refused.status, 400);
      assert.match(refused.html, /Entry 1 has no request\./);
    });
  });
}
