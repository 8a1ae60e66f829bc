import t from 'tap';
import { CODE_LENGTH, dammDigit, formatCode, generateCode, hashCode, parseCode } from '../../src/lib/codes.js';

t.test('generated codes are 20 digits with a valid check digit, and differ', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const code = generateCode();
    t.equal(code.length, CODE_LENGTH);
    t.match(code, /^\d{20}$/);
    t.equal(dammDigit(code), 0);
    seen.add(code);
  }
  t.equal(seen.size, 2000, 'no repeats in 2000 codes');
});

t.test('every digit position is used: no fixed prefix, all ten digits appear', async (t) => {
  const perPosition = Array.from({ length: 19 }, () => new Set<string>());
  for (let i = 0; i < 500; i++) [...generateCode().slice(0, 19)].forEach((d, p) => perPosition[p]!.add(d));
  t.ok(perPosition.every((s) => s.size === 10));
});

t.test('formatting groups by four', async (t) => {
  t.equal(formatCode('12345678901234567890'), '1234 5678 9012 3456 7890');
});

t.test('parsing accepts spaces, dashes and full-width digits', async (t) => {
  const code = generateCode();
  const full = [...code].map((d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)).join('');
  for (const typed of [code, formatCode(code), formatCode(code).replace(/ /g, '-'), full, ` ${formatCode(full)} `, formatCode(code).replace(/ /g, '－')]) {
    t.same(parseCode(typed), { ok: true, code }, typed);
  }
});

t.test('invisible characters copied from a chat are stripped like spaces (security review)', async (t) => {
  const code = generateCode();
  const grouped = formatCode(code);
  for (const mark of ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u200E', '\u202A', '\u00A0', '\u3000', '\u00AD']) {
    t.same(parseCode(grouped.replace(/ /g, mark)), { ok: true, code }, `U+${mark.charCodeAt(0).toString(16).toUpperCase()} between groups`);
    t.same(parseCode(code.slice(0, 7) + mark + code.slice(7)), { ok: true, code }, `U+${mark.charCodeAt(0).toString(16).toUpperCase()} inside a group`);
  }
});

t.test('a typo is told apart from a malformed code', async (t) => {
  const code = generateCode();
  for (let p = 0; p < CODE_LENGTH; p++) {
    const d = Number(code[p]);
    const typo = code.slice(0, p) + String((d + 1 + (p % 9)) % 10) + code.slice(p + 1);
    if (typo !== code) t.same(parseCode(typo), { ok: false, reason: 'checkDigit' }, `single-digit change at ${p}`);
  }
  for (let p = 0; p < CODE_LENGTH - 1; p++) {
    if (code[p] === code[p + 1]) continue;
    const swapped = code.slice(0, p) + code[p + 1] + code[p] + code.slice(p + 2);
    t.same(parseCode(swapped), { ok: false, reason: 'checkDigit' }, `adjacent swap at ${p}`);
  }
  t.same(parseCode(code.slice(1)), { ok: false, reason: 'format' }, 'too short');
  t.same(parseCode(`${code}1`), { ok: false, reason: 'format' }, 'too long');
  t.same(parseCode('abcd efgh'), { ok: false, reason: 'format' });
  t.same(parseCode(''), { ok: false, reason: 'format' });
});

t.test('the stored hash depends on the key', async (t) => {
  const code = generateCode();
  const a = hashCode(Buffer.alloc(32, 1), code);
  t.equal(a.length, 32);
  t.same(a, hashCode(Buffer.alloc(32, 1), code));
  t.notSame(a, hashCode(Buffer.alloc(32, 2), code));
});
