// The HAR file the journey imports: one check-in request whose cookie is the task's variable.

/** A HAR of one check-in request whose cookie is the task's variable. */
export function harFixture(origin: string): Buffer {
  const har = {
    log: {
      version: '1.2',
      creator: { name: 'chime-e2e', version: '1' },
      entries: [
        {
          startedDateTime: '2026-11-21T08:00:00.000Z',
          time: 12,
          request: {
            method: 'POST',
            url: `${origin}/checkin`,
            httpVersion: 'HTTP/1.1',
            headers: [
              { name: 'Cookie', value: 'session={{ cookie }}' },
              { name: 'Content-Type', value: 'application/json' },
            ],
            cookies: [],
            queryString: [],
            postData: { mimeType: 'application/json', text: '{"daily":true}' },
            headersSize: -1,
            bodySize: 14,
          },
          response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 2, mimeType: 'application/json', text: '{}' }, redirectURL: '', headersSize: -1, bodySize: 2 },
          cache: {},
          timings: { send: 1, wait: 10, receive: 1 },
        },
      ],
    },
  };
  return Buffer.from(JSON.stringify(har));
}
