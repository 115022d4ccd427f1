// One-time messages shown on the next page after a redirect ("Saved.").
import type { Request } from 'express';

export function flash(req: Request, type: 'success' | 'error' | 'info', key: string, params?: Record<string, string | number>) {
  if (!req.session) return;
  (req.session.flash ??= []).push({ type, key, params });
}

export function takeFlash(req: Request) {
  const messages = req.session?.flash ?? [];
  if (req.session?.flash) delete req.session.flash;
  return messages;
}
