/**
 * Python `repr()`/`str()` of the few value shapes PEFT interpolates into its targeting messages, so that our
 * messages read exactly like PEFT's.
 * @module
 */

const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python's `repr(s)` of a str: quote choice, backslash escapes, `\xhh`/`\uhhhh`/`\Uhhhhhhhh` for non-printables. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) {
      if (c <= 0xff) out += `\\x${c.toString(16).padStart(2, '0')}`;
      else if (c <= 0xffff) out += `\\u${c.toString(16).padStart(4, '0')}`;
      else out += `\\U${c.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
}

/** Python's `str()` of a value PEFT prints with an f-string: a str as is, a list as `[...]`, a set as `{...}`. */
export function pyStr(
  value: string | number | readonly (string | number)[],
  container: 'list' | 'set' = 'list',
): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return pyNumber(value);
  const items = value.map((v) => (typeof v === 'string' ? pyStrRepr(v) : pyNumber(v)));
  if (container === 'list') return `[${items.join(', ')}]`;
  return items.length === 0 ? 'set()' : `{${items.join(', ')}}`;
}

function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return String(n);
}
