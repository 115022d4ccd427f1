// One error type for requests. Messages are i18n keys, translated where the error is shown, so the
// same error reads right in a page, in the API, in English and in Chinese.
export type Message = { key: string; params?: Record<string, string | number> };

/** Field path ("steps.0.url") → what is wrong with it. */
export type FieldErrors = Record<string, Message>;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly messageKey: string,
    readonly fields?: FieldErrors,
    readonly params?: Record<string, string | number>,
  ) {
    super(messageKey);
    this.name = 'AppError';
  }
}

export const notFound = () => new AppError(404, 'not_found', 'errors.not_found');
export const forbidden = () => new AppError(403, 'forbidden', 'errors.forbidden');
export const unauthorized = () => new AppError(401, 'unauthorized', 'errors.unauthorized');
export const invalid = (fields: FieldErrors, messageKey = 'errors.invalid_input') =>
  new AppError(400, 'invalid_input', messageKey, fields);
export const conflict = (messageKey: string, fields?: FieldErrors, params?: Record<string, string | number>) =>
  new AppError(409, 'conflict', messageKey, fields, params);
