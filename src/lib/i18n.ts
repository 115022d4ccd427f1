// i18next with the English and Simplified Chinese catalogs. Every visible string goes through t().
import i18next, { type TFunction } from 'i18next';
import en from '../locales/en.js';
import zhCN from '../locales/zh-CN.js';

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', 'zh-CN': '简体中文' };

const i18n = i18next.createInstance();
void i18n.init({
  resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  lng: 'en',
  fallbackLng: 'en',
  supportedLngs: [...LANGUAGES],
  interpolation: { escapeValue: false }, // EJS escapes on output
  initAsync: false,
});

export type Translate = TFunction;

export function translator(language: Language): Translate {
  return i18n.getFixedT(language);
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** Maps an Accept-Language tag to one of ours: any zh-* reads Simplified Chinese. */
export function languageFromTag(tag: string): Language | undefined {
  const lower = tag.toLowerCase();
  if (lower === 'en' || lower.startsWith('en-')) return 'en';
  if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
  return undefined;
}
