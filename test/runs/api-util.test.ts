// api://util/… steps answered inside Chime with QD's exact answers: json.dumps(indent=4,
// ensure_ascii=False) in QD's key order, parameters from the query string or a form body, errors in
// "状态", the delay capped and cancellable, OCR and unknown utilities failing plainly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HttpError } from '../../src/lib/http.js';
import { answerApi, ApiUtilError, type ApiUtilOptions } from '../../src/runs/api-util.js';
import { runSteps } from '../../src/runs/engine.js';
import type { Step } from '../../src/templates/schema.js';

const NOW_MS = 1_700_000_000_123; // 2023-11-14 22:13:20.123 UTC, 2023-11-15 06:13:20 in Beijing
const fixed = { clock: { now: () => NOW_MS }, localTimeZone: 'Asia/Shanghai' } satisfies ApiUtilOptions;

async function ask(url: string, request: { method?: string; body?: string; headers?: Record<string, string> } = {}, options: ApiUtilOptions = {}) {
  const res = await answerApi({ method: request.method ?? (request.body === undefined ? 'GET' : 'POST'), url, headers: request.headers, body: request.body }, { ...fixed, ...options });
  return { status: res.status, type: res.headers.find(([k]) => k === 'content-type')?.[1], text: res.body.toString('utf8') };
}

/** QD's answer for a dict of strings: 4-space indent, ", " never at line ends, non-ASCII as is. */
const pyDict = (entries: [string, string][]) => `{\n${entries.map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n')}\n}`;

const JSON_TYPE = 'application/json; charset=UTF-8';
const HTML_TYPE = 'text/html; charset=UTF-8';

describe('api://util/unicode', () => {
  it('decodes \\uXXXX escapes from the query string into QD\'s pretty-printed JSON', async () => {
    const res = await ask('api://util/unicode?content=\\u4f60\\u597d');
    assert.equal(res.status, 200);
    assert.equal(res.type, JSON_TYPE);
    assert.equal(res.text, '{\n    "转换后": "你好",\n    "状态": "200"\n}');
  });

  it('reads a POST form body, decodes \\xNN and \\n, and HTML-unescapes when asked', async () => {
    const res = await ask('api://util/unicode', { body: 'content=%5Cu7b7e%5Cu5230 %26amp; \\x41\\n&html_unescape=true' });
    assert.equal(res.text, pyDict([['转换后', '签到 & A\n'], ['状态', '200']]));
    assert.match(res.text, /"转换后": "签到 & A\\n"/); // a newline is written as \n, so `(.*)` reads the whole line
  });

  it('puts Python\'s codec error into 状态, counting bytes as QD does', async () => {
    assert.equal((await ask('api://util/unicode?content=ab\\uZZ12')).text, pyDict([['状态', "'unicodeescape' codec can't decode bytes in position 2-3: truncated \\uXXXX escape"]]));
    assert.equal((await ask('api://util/unicode?content=你好\\uZZ')).text, pyDict([['状态', "'unicodeescape' codec can't decode bytes in position 12-13: truncated \\uXXXX escape"]]));
    assert.equal((await ask('api://util/unicode?content=x&html_unescape=maybe')).text, pyDict([['状态', "invalid truth value 'maybe'"]]));
  });

  it('strips a parameter\'s surrounding whitespace and reads + as a space, as Tornado does', async () => {
    assert.equal((await ask('api://util/unicode?content=+a+b+%20')).text, pyDict([['转换后', 'a b'], ['状态', '200']]));
  });
});

describe('api://util/urldecode', () => {
  it('percent-decodes once more than the query string did', async () => {
    assert.equal((await ask('api://util/urldecode?content=%25E4%25BD%25A0%25E5%25A5%25BD%252Bx+y')).text, pyDict([['转换后', '你好+x y'], ['状态', '200']]));
  });

  it('reads bytes in the encoding asked for and turns + into spaces with unquote_plus', async () => {
    assert.equal((await ask('api://util/urldecode?content=%25C7%25A9%25B5%25BD&encoding=gbk')).text, pyDict([['转换后', '签到'], ['状态', '200']]));
    assert.equal((await ask('api://util/urldecode', { body: 'content=a%252Bb%2Bc&unquote_plus=true' })).text, pyDict([['转换后', 'a+b c'], ['状态', '200']]));
    assert.equal((await ask('api://util/urldecode?content=%25ff%25fe')).text, pyDict([['转换后', '\ufffd\ufffd'], ['状态', '200']]));
  });

  it('says an unknown encoding in 状态, but only when there is something to decode (as Python)', async () => {
    assert.equal((await ask('api://util/urldecode?content=a%2525b&encoding=nope')).text, pyDict([['状态', 'unknown encoding: nope']]));
    assert.equal((await ask('api://util/urldecode?content=ab&encoding=nope')).text, pyDict([['转换后', 'ab'], ['状态', '200']]));
  });

  it('answers a POST whose body is raw text, as QD\'s own templates send it', async () => {
    const res = await ask('api://util/urldecode', { body: 'content=吾爱币: 12 https://www.52pojie.cn/x?wzwscspd=MC4wLjAuMA==' });
    assert.equal(res.text, pyDict([['转换后', '吾爱币: 12 https://www.52pojie.cn/x?wzwscspd=MC4wLjAuMA=='], ['状态', '200']]));
  });
});

describe('api://util/gb2312', () => {
  it('percent-encodes as GB2312, leaving letters, digits, "_.-~" and "/"', async () => {
    assert.equal((await ask('api://util/gb2312?content=你好 a/b~!')).text, pyDict([['转换后', '%C4%E3%BA%C3%20a/b~%21'], ['状态', '200']]));
  });

  it('refuses a character GB2312 lacks with Python\'s message', async () => {
    assert.equal((await ask('api://util/gb2312?content=a镕')).text, pyDict([['状态', "'gb2312' codec can't encode character '\\u9555' in position 1: illegal multibyte sequence"]]));
    assert.equal((await ask('api://util/gb2312?content=·')).text, pyDict([['状态', "'gb2312' codec can't encode character '\\xb7' in position 0: illegal multibyte sequence"]]));
  });
});

describe('api://util/regex', () => {
  it('numbers every match from 1, case-insensitively: the match, the group, or the list of groups', async () => {
    assert.equal((await ask('api://util/regex?data=Ab12cd34AB&p=ab')).text, '{\n    "数据": {\n        "1": "Ab",\n        "2": "AB"\n    },\n    "状态": "OK"\n}');
    assert.equal((await ask('api://util/regex?data=Ab12cd34AB&p=\\d(\\d)')).text, '{\n    "数据": {\n        "1": "2",\n        "2": "4"\n    },\n    "状态": "OK"\n}');
    assert.equal(
      (await ask('api://util/regex', { body: 'data=Ab12cd34AB&p=(a)(b)?' })).text,
      '{\n    "数据": {\n        "1": [\n            "A",\n            "b"\n        ],\n        "2": [\n            "A",\n            "B"\n        ]\n    },\n    "状态": "OK"\n}',
    );
  });

  it('writes no match as an empty dict and a bad pattern into 状态', async () => {
    assert.equal((await ask('api://util/regex?data=x&p=y')).text, '{\n    "数据": {},\n    "状态": "OK"\n}');
    const bad = JSON.parse((await ask('api://util/regex?data=x&p=(')).text) as Record<string, string>;
    assert.deepEqual(Object.keys(bad), ['状态']);
    assert.match(bad['状态']!, /^invalid regular expression/);
  });
});

describe('api://util/string/replace', () => {
  it('answers re.sub with Python\'s replacement syntax, original first', async () => {
    assert.equal(
      (await ask('api://util/string/replace?s=2023-11-14&p=(?P<y>\\d%2B)-(\\d%2B)&t=\\g<y>年\\2月')).text,
      pyDict([['原始字符串', '2023-11-14'], ['处理后字符串', '2023年11月-14'], ['状态', 'OK']]),
    );
    assert.equal((await ask('api://util/string/replace?s=abxd&p=x*&t=-')).text, pyDict([['原始字符串', 'abxd'], ['处理后字符串', '-a-b--d-'], ['状态', 'OK']]));
  });

  it('with r=text answers the HTML-escaped result alone, as text/html', async () => {
    const res = await ask('api://util/string/replace', { body: "s=a<b>'&p=(a)&t=\\1\\1&r=text" });
    assert.equal(res.type, HTML_TYPE);
    assert.equal(res.text, 'aa&lt;b&gt;&#x27;');
  });

  it('keeps the original string when the pattern is bad, as QD sets it first', async () => {
    const bad = JSON.parse((await ask('api://util/string/replace?s=x&p=[')).text) as Record<string, string>;
    assert.deepEqual(Object.keys(bad), ['原始字符串', '状态']);
  });
});

describe('api://util/timestamp', () => {
  it('shows a given timestamp in Beijing time, GMT and ISO, without 本机时间', async () => {
    assert.equal(
      (await ask('api://util/timestamp?ts=1700000000')).text,
      '{\n    "完整时间戳": 1700000000.0,\n    "时间戳": 1700000000,\n    "16位时间戳": 1700000000000000,\n    "周": "3/46",\n    "日": "319/365",\n'
        + '    "北京时间": "2023-11-15 06:13:20",\n    "GMT格式": "Tue, 14 Nov 2023 22:13:20 GMT",\n    "ISO格式": "2023-11-14T22:13:20Z",\n    "状态": "200"\n}',
    );
  });

  it('without ts shows now, with 本机时间 in the server\'s zone, both in the form asked for', async () => {
    assert.equal(
      (await ask('api://util/timestamp', { body: 'form=%H:%M' }, { localTimeZone: 'Asia/Shanghai' })).text,
      '{\n    "完整时间戳": 1700000000.123,\n    "时间戳": 1700000000,\n    "16位时间戳": 1700000000123000,\n    "本机时间": "06:13",\n    "周": "3/46",\n    "日": "319/365",\n'
        + '    "北京时间": "06:13",\n    "GMT格式": "Tue, 14 Nov 2023 22:13:20 GMT",\n    "ISO格式": "2023-11-14T22:13:20.123000Z",\n    "状态": "200"\n}',
    );
    const utcServer = JSON.parse((await ask('api://util/timestamp?form=%25H:%25M', {}, { localTimeZone: 'UTC' })).text) as Record<string, string>;
    assert.equal(utcServer['本机时间'], '22:13');
    assert.equal(utcServer['周'], '2/46');
  });

  it('reads dt with the form (strptime, in the server\'s zone) and says why it cannot', async () => {
    const leap = JSON.parse((await ask('api://util/timestamp?dt=2024/02/29&form=%25Y/%25m/%25d')).text) as Record<string, unknown>;
    assert.deepEqual(leap, {
      完整时间戳: 1709136000, 时间戳: 1709136000, '16位时间戳': 1709136000000000, 周: '4/09', 日: '060/366', 北京时间: '2024/02/29',
      GMT格式: 'Wed, 28 Feb 2024 16:00:00 GMT', ISO格式: '2024-02-28T16:00:00Z', 状态: '200',
    });
    assert.equal((await ask('api://util/timestamp?dt=2024-02-30 08:30:00')).text, pyDict([['状态', 'day is out of range for month']]));
    assert.equal((await ask('api://util/timestamp?dt=2024/02/29')).text, pyDict([['状态', "time data '2024/02/29' does not match format '%Y-%m-%d %H:%M:%S'"]]));
    assert.equal((await ask('api://util/timestamp?ts=soon')).text, pyDict([['状态', "could not convert string to float: 'soon'"]]));
  });
});

describe('api://util/delay', () => {
  const recorder = () => {
    const waits: number[] = [];
    return { waits, sleep: async (ms: number) => void waits.push(ms) };
  };

  it('waits N seconds and says so as text/html, in all three of QD\'s spellings', async () => {
    const r = recorder();
    const three = await ask('api://util/delay/3', {}, { sleep: r.sleep });
    assert.deepEqual([three.status, three.type, three.text], [200, HTML_TYPE, 'delay 3.0 second.']);
    assert.equal((await ask('api://util/delay/1.5', {}, { sleep: r.sleep })).text, 'delay 1.5 second.');
    assert.equal((await ask('api://util/delay?seconds=0.25', {}, { sleep: r.sleep })).text, 'delay 0.25 second.');
    assert.deepEqual(r.waits, [3000, 1500, 250]);
  });

  it('waits the cap at most and says it was limited', async () => {
    const r = recorder();
    assert.equal((await ask('api://util/delay/100', {}, { sleep: r.sleep })).text, 'Error, limited by 30.0, delay 30.0 second.');
    assert.equal((await ask('api://util/delay/10', {}, { sleep: r.sleep, delayMaxSeconds: 10 })).text, 'delay 10.0 second.'); // QD: /N is capped above the cap
    assert.equal((await ask('api://util/delay?seconds=10', {}, { sleep: r.sleep, delayMaxSeconds: 10 })).text, 'Error, limited by 10.0, delay 10.0 second.'); // ?seconds from it
    assert.deepEqual(r.waits, [30_000, 10_000, 10_000]);
  });

  it('does not wait for a negative or unreadable number', async () => {
    const r = recorder();
    assert.equal((await ask('api://util/delay?seconds=-4', {}, { sleep: r.sleep })).text, 'delay 0.0 second.');
    assert.equal((await ask('api://util/delay?seconds=soon', {}, { sleep: r.sleep })).text, 'Error, delay 0.0 second.');
    assert.deepEqual(r.waits, [0]);
  });

  it('fails as a timeout when the wait is longer than the step\'s timeout', async () => {
    const r = recorder();
    await assert.rejects(ask('api://util/delay/5', {}, { sleep: r.sleep, timeoutMs: 2000 }), (err) => err instanceof HttpError && err.kind === 'timeout');
    assert.deepEqual(r.waits, [2000]);
  });

  it('stops waiting when the run is cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 5);
    const started = Date.now();
    await assert.rejects(ask('api://util/delay/20', {}, { signal: controller.signal }), (err) => err instanceof HttpError && err.kind === 'aborted');
    assert.ok(Date.now() - started < 1000);
  });
});

describe('what api:// does not answer', () => {
  it('fails OCR (dddd) plainly: it needs a model file', async () => {
    await assert.rejects(ask('api://util/dddd/ocr', { body: 'img=abc' }), (err) => err instanceof ApiUtilError && /^api:\/\/util\/dddd\/ocr .*not supported/.test(err.message));
  });

  it('fails an unknown utility naming it', async () => {
    await assert.rejects(ask('api://util/rsa?key=k'), (err) => err instanceof ApiUtilError && err.message.startsWith('api://util/rsa is not a utility Chime answers'));
    await assert.rejects(ask('api://util/unicode/'), (err) => err instanceof ApiUtilError && err.message.startsWith('api://util/unicode/ '));
  });

  it('answers Tornado\'s 400 page when a parameter is not UTF-8', async () => {
    const res = await ask('api://util/unicode?content=%FF');
    assert.deepEqual([res.status, res.text], [400, '<html><title>400: Bad Request</title><body>400: Bad Request</body></html>']);
  });

  it('merges query and form parameters, the body\'s last value winning; a JSON body is not read', async () => {
    assert.equal((await ask('api://util/unicode?content=query', { body: 'content=one&content=two' })).text, pyDict([['转换后', 'two'], ['状态', '200']]));
    assert.equal((await ask('api://util/unicode?content=query', { body: '{"content": "x"}', headers: { 'Content-Type': 'application/json' } })).text, pyDict([['转换后', 'query'], ['状态', '200']]));
  });
});

describe('api:// steps in a run', () => {
  const noNetwork = { request: async () => assert.fail('an api:// step must not touch the network') };

  it('a __log__ read from api://util/unicode is the message QD shows (2DFan\'s last step)', async () => {
    const steps: Step[] = [
      { method: 'GET', url: 'api://util/delay/0', assert: [{ from: 'status', op: 'matches', value: '200' }], assertMode: 'any' },
      {
        method: 'POST',
        url: 'api://util/unicode',
        body: 'html_unescape=false&content=用户名：{{name}}\\r\\n {{jf|striptags}}，{{sw|striptags}}',
        assert: [{ from: 'status', op: 'matches', value: '200' }, { from: 'body', op: 'matches', value: '"状态": "200"' }],
        assertMode: 'any',
        extract: [{ name: '__log__', from: 'body', pattern: '"转换后": "(.*)"' }],
      },
    ];
    const out = await runSteps({ steps, variables: { name: 'ada', jf: '<b>积分 42</b>', sw: '声望 7' } }, { http: noNetwork, clock: fixed.clock });
    assert.equal(out.status, 'success', out.error ?? '');
    // QD decodes \r\n to CR LF, json.dumps writes them back as \r\n, and `(.*)` reads them as text.
    assert.equal(out.log, '用户名：ada\\r\\n 积分 42，声望 7');
    const [delay, unicodeStep] = out.steps;
    assert.equal(delay!.responseBody, 'delay 0.0 second.');
    assert.equal(unicodeStep!.url, 'api://util/unicode');
    assert.equal(unicodeStep!.status, 200);
    assert.equal(unicodeStep!.responseHeaders['content-type'], JSON_TYPE);
    assert.equal(unicodeStep!.responseBody, pyDict([['转换后', '用户名：ada\r\n 积分 42，声望 7'], ['状态', '200']]));
    assert.equal(unicodeStep!.requestBody, 'html_unescape=false&content=用户名：ada\\r\\n 积分 42，声望 7');
  });

  it('an unknown api:// path fails its step with the plain message', async () => {
    const out = await runSteps({ steps: [{ method: 'GET', url: 'api://util/dddd/det' }], variables: {} }, { http: noNetwork, clock: fixed.clock });
    assert.equal(out.status, 'failure');
    assert.match(out.error!, /^step 1\/1 failed: api:\/\/util\/dddd\/det \(OCR by ddddocr\) is not supported by Chime/);
    assert.equal(out.steps[0]!.url, 'api://util/dddd/det');
  });
});
