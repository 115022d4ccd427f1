// CSRF: a synchronizer token kept in the session, sent back by forms (`_csrf`) and by scripts
// (`X-CSRF-Token`). A state-changing request without it gets a 403.
import { csrfSync } from 'csrf-sync';

export const csrf = csrfSync({
  getTokenFromRequest: (req) => {
    const fromBody = (req.body as { _csrf?: unknown } | undefined)?._csrf;
    if (typeof fromBody === 'string') return fromBody;
    const fromHeader = req.headers['x-csrf-token'];
    return typeof fromHeader === 'string' ? fromHeader : undefined;
  },
  errorConfig: { statusCode: 403, code: 'EBADCSRFTOKEN', message: 'invalid csrf token' },
});

export function isCsrfError(err: unknown): boolean {
  return (err as { code?: string })?.code === 'EBADCSRFTOKEN';
}
