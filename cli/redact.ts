/** Masks what could be a credential in text shown to on-call, so no command ever prints a token. */

const SECRET_KEY = /token|secret|password|authorization|credential/i;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const ASSIGNED = /\b(access_token|refresh_token|client_secret|code)=([^&\s"']+)/gi;

/** The text with bearer credentials and token parameters replaced by `***`. Pure. */
export function withoutSecrets(text: string): string {
  return text.replace(BEARER, '$1 ***').replace(ASSIGNED, '$1=***');
}

/** A JSON value with every string under a secret-looking key replaced by `***` and other strings masked. Pure. */
export function redactJson(value: unknown): unknown {
  if (typeof value === 'string') return withoutSecrets(value);
  if (Array.isArray(value)) return value.map(redactJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, SECRET_KEY.test(key) ? '***' : redactJson(inner)]),
    );
  }
  return value;
}
