import t from 'tap';
import { amountSchema, currentMonth, periodSchema, phoneSchema } from '../../src/reports/schema.js';
import { charLength, cleanText, digitsOnly, toHalfWidth } from '../../src/lib/text.js';
import { formString, parseFormBody } from '../../src/lib/validation.js';

/** The catalog key of the first issue, or the parsed value. */
function outcome(schema: { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { issues: { message: string }[] } } }, value: unknown) {
  const r = schema.safeParse(value);
  return r.success ? { ok: r.data } : { error: r.error!.issues[0]!.message };
}

t.test('cleanText normalises line ends, trims, and strips invisible characters', async (t) => {
  t.same(cleanText('  a\r\nb\rc  '), { text: 'a\nb\nc', stripped: false, undecodable: false });
  t.same(cleanText('tab\tand\nnewline stay'), { text: 'tab\tand\nnewline stay', stripped: false, undecodable: false });
  for (const ch of ['\u200B', '\u202E', '\u0007', '\uFEFF', '\u2066', '\u0000', '\u009F', '\u200F']) {
    const r = cleanText(`协调${ch}费`);
    t.equal(r.text, '协调费', `U+${ch.codePointAt(0)!.toString(16)} removed`);
    t.equal(r.stripped, true);
  }
  t.equal(cleanText('乱码\uFFFD').undecodable, true);
  t.equal(cleanText('正常的中文 abc').undecodable, false);
  t.equal(cleanText('   ').text, '');
});

t.test('toHalfWidth converts full-width ASCII and the ideographic space only', async (t) => {
  t.equal(toHalfWidth('１２３'), '123');
  t.equal(toHalfWidth('５，０００．５０'), '5,000.50');
  t.equal(toHalfWidth('－＋（）'), '-+()');
  t.equal(toHalfWidth('ａＢｃ'), 'aBc');
  t.equal(toHalfWidth('a\u3000b'), 'a b');
  t.equal(toHalfWidth('汉字。、'), '汉字。、', 'CJK text and CJK punctuation unchanged');
});

t.test('digitsOnly drops separators people type in numbers', async (t) => {
  t.equal(digitsOnly('138 1234 5678'), '13812345678');
  t.equal(digitsOnly('138-1234-5678'), '13812345678');
  t.equal(digitsOnly('（023）6716·6106'), '02367166106');
  t.equal(digitsOnly('０２３－６７１６６１０６'), '02367166106');
  t.equal(digitsOnly('1234\u30005678'), '12345678');
  t.equal(digitsOnly('12a4'), '12a4', 'letters are kept, so the caller can reject them');
});

t.test('charLength counts characters, not UTF-16 units or bytes', async (t) => {
  t.equal(charLength('汉'), 1);
  t.equal(charLength('😀'), 1);
  t.equal('😀'.length, 2, 'precondition: the emoji is a surrogate pair');
  t.equal(charLength('abc汉😀'), 5);
  t.equal(charLength(''), 0);
});

t.test('charLength: the quick count of plain text agrees with counting graphemes', async (t) => {
  const graphemes = (s: string) => [...new Intl.Segmenter('zh', { granularity: 'grapheme' }).segment(s)].length;
  const samples = [
    '户主姓名', '3组', 'Zhang Wei', '拆除重建，修缮加固。', '２０２０年', 'café', '「公示」', '㐀㐁',
    // Not plain: each goes the slow way and still counts right.
    'e\u0301', '👨‍👩‍👧', '🇨🇳', '第一行\r\n第二行', '𠀀', '汉\u200d字',
  ];
  for (const s of samples) t.equal(charLength(s), graphemes(s), JSON.stringify(s));
  t.equal(charLength('e\u0301'), 1, 'a letter with a combining accent is one character');
  t.equal(charLength('a\r\nb'), 3, 'CR LF is one character');
});

t.test('phoneSchema: mobiles, landlines and local numbers as people write them', async (t) => {
  const valid: [string, string][] = [
    ['13812345678', '13812345678'],
    ['138 1234 5678', '13812345678'],
    ['138-1234-5678', '13812345678'],
    ['１３８１２３４５６７８', '13812345678'],
    ['+86 138 1234 5678', '13812345678'],
    ['+86-13812345678', '13812345678'],
    ['0086 13812345678', '13812345678'],
    ['8613812345678', '13812345678'],
    ['023-67166106', '02367166106'],
    ['(023) 6716 6106', '02367166106'],
    ['010-12345678', '01012345678'],
    ['67166106', '67166106'],
    ['6716610', '6716610'],
  ];
  for (const [typed, stored] of valid) t.same(outcome(phoneSchema, typed), { ok: stored }, typed);
  for (const bad of ['', '12345', '1381234567', '12812345678', '138123456789', '023-123', 'abcdefghijk', '+44 20 7946 0958', '13812345678\u200B', '01234567']) {
    t.same(outcome(phoneSchema, bad), { error: 'errors.phone.invalid' }, JSON.stringify(bad));
  }
  t.same(outcome(phoneSchema, 13812345678), { error: 'errors.phone.invalid' }, 'a number type is refused');
});

t.test('currentMonth is the month in China, whatever the server time zone', async (t) => {
  t.same(currentMonth(new Date('2023-12-31T16:30:00Z')), { year: 2024, month: 1 });
  t.same(currentMonth(new Date('2023-12-31T15:30:00Z')), { year: 2023, month: 12 });
});

t.test('periodSchema: year and month since 2017, not in the future', async (t) => {
  for (const [typed, stored] of [
    ['2023-6', '2023-06'],
    ['2023-06', '2023-06'],
    ['2023/12', '2023-12'],
    ['2023.1', '2023-01'],
    ['2023年6月', '2023-06'],
    ['２０２３－０６', '2023-06'],
    [' 2017-01 ', '2017-01'],
  ] as const) {
    t.same(outcome(periodSchema, typed), { ok: stored }, typed);
  }
  for (const bad of ['2023', '2023-13', '2023-0', 'incomplete', 'June 2023', '23-06', '']) {
    t.same(outcome(periodSchema, bad), { error: 'errors.period.invalid' }, JSON.stringify(bad));
  }
  t.same(outcome(periodSchema, '2016-12'), { error: 'errors.period.tooEarly' });
  const now = currentMonth();
  const next = now.month === 12 ? { year: now.year + 1, month: 1 } : { year: now.year, month: now.month + 1 };
  t.same(outcome(periodSchema, `${now.year}-${now.month}`), { ok: `${now.year}-${String(now.month).padStart(2, '0')}` }, 'this month is fine');
  t.same(outcome(periodSchema, `${next.year}-${next.month}`), { error: 'errors.period.future' });
  t.same(outcome(periodSchema, `${now.year + 1}-1`), { error: 'errors.period.future' });
});

t.test('amountSchema: digits in any width, separators and 元 ignored, two decimals at most', async (t) => {
  const valid: [unknown, string][] = [
    ['3000', '3000'],
    ['１２３', '123'],
    ['5,000', '5000'],
    ['５，０００', '5000'],
    ['1 234.50 元', '1234.50'],
    ['¥300', '300'],
    ['￥ 300', '300'],
    ['3。5', '3.5'],
    ['0', '0'],
    [1500, '1500'],
    [2500.5, '2500.5'],
    ['99999999999', '99999999999'],
  ];
  for (const [typed, stored] of valid) t.same(outcome(amountSchema, typed), { ok: stored }, String(typed));
  for (const neg of ['-5', '－５', -5]) t.same(outcome(amountSchema, neg), { error: 'errors.amount.negative' }, String(neg));
  for (const bad of ['abc', '3千', '1.234', '1.2.3', '.5', '五百', '1e5', '']) {
    t.same(outcome(amountSchema, bad), { error: 'errors.amount.invalid' }, JSON.stringify(bad));
  }
  t.same(outcome(amountSchema, '100000000000'), { error: 'errors.amount.tooLarge' });
  t.same(outcome(amountSchema, '100,000,000,000.00'), { error: 'errors.amount.tooLarge' });
  t.same(outcome(amountSchema, true), { error: 'errors.amount.invalid' });
});

t.test('parseFormBody decodes forms as browsers do: bad UTF-8 becomes U+FFFD', async (t) => {
  const body = parseFormBody('description=%E5%8D%8F%FF%FE+ok&category=duty&category=funds&flag&__proto__=x');
  t.equal(body.description, '协\uFFFD\uFFFD ok');
  t.equal(cleanText(String(body.description)).undecodable, true);
  t.same(body.category, ['duty', 'funds']);
  t.equal(formString(body.category), 'duty', 'a repeated field counts once');
  t.equal(body.flag, '');
  t.equal(Object.getPrototypeOf(body), null, 'no prototype to pollute');
  t.equal(body.__proto__, 'x');
});

t.test('parseFormBody reads a body without escapes exactly as URLSearchParams does', async (t) => {
  const bodies = ['code=1234+5678+9012+3456+7890', 'a=1&&b=&=x&c&d==e&a=2', '', '&', 'k+1=v+2+&x=协调+费', 'lang=en&code=１２３'];
  // And bodies made of the characters that matter to the format.
  const alphabet = ['a', 'b', '=', '&', '+', ' ', '协', '1'];
  let seed = 7;
  for (let i = 0; i < 500; i++) {
    let body = '';
    for (let n = 0; n < 12; n++) body += alphabet[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % alphabet.length];
    bodies.push(body);
  }
  for (const body of bodies) {
    const expected: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(body)) {
      const prev = expected[k];
      expected[k] = prev === undefined ? v : [prev, v].flat();
    }
    t.same({ ...parseFormBody(body) }, expected, body);
  }
});

t.test('emoji built with joiners are kept and count as one character each', async (t) => {
  const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
  t.same(cleanText(`${family}好`), { text: `${family}好`, stripped: false, undecodable: false });
  t.equal(charLength(`${family}🏳️‍🌈汉`), 3);
});
