// Export and import of one user's data (issue #9): the file is format.ts, the secrets secrets.ts.
import type { User } from '../accounts/users-repo.js';
import type { Translate } from '../lib/i18n.js';
import { translateFields } from '../web/error-handler.js';
import { buildExport, type ExportDeps } from './export.js';
import { importFile, type ImportDeps, type ImportOptions, type ImportReport, type Reason } from './import.js';

export type PortabilityDeps = ExportDeps & ImportDeps;

export function createPortabilityService(deps: PortabilityDeps) {
  return {
    /** The user's data as one file; secrets only with a passphrase, sealed with it. */
    export: (user: User, passphrase?: string) => buildExport(deps, user, passphrase),
    /** Merges a file into the user's account (see import.ts for what is refused and what is skipped). */
    import: (user: User, file: unknown, options?: ImportOptions) => importFile(deps, user, file, options),
  };
}

export type PortabilityService = ReturnType<typeof createPortabilityService>;

/** A reason in words: the message, and for an object that did not validate, each field's problem. */
export function reasonText(t: Translate, reason: Reason): string {
  const fields = Object.entries(translateFields(t, reason.fields));
  if (fields.length) return fields.map(([path, message]) => `${path}: ${message}`).join('; ');
  return t(reason.key, reason.params);
}

/** The report as the API answers it and the page shows it. */
export function reportJson(t: Translate, report: ImportReport) {
  const created = (items: ImportReport['created']['templates']) =>
    items.map(({ notes, ...item }) => ({ ...item, ...(notes.length ? { notes: notes.map((n) => reasonText(t, n)) } : {}) }));
  return {
    secrets: report.secrets,
    created: {
      templates: created(report.created.templates),
      tasks: created(report.created.tasks),
      registrations: created(report.created.registrations),
      pushSettings: report.created.pushSettings,
    },
    skipped: report.skipped.map(({ reason, ...item }) => ({ ...item, reason: reasonText(t, reason) })),
  };
}

export type ReportJson = ReturnType<typeof reportJson>;

/** "chime-export-2024-05-01.json", the date in the user's time zone. */
export function exportFileName(now: number, timeZone: string): string {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(now));
  return `chime-export-${day}.json`;
}
