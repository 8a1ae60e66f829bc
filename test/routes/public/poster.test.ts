import jsQRModule from 'jsqr';
import sharp from 'sharp';
import t from 'tap';
import { testApp } from '../../support/app.js';
import { checkHeaders, checkMarkup } from '../../support/page-checks.js';

// http: an https address would add upgrade-insecure-requests to the CSP the page checks expect.
const PUBLIC_URL = 'http://xiansuo.example.org';

/** Decodes the first QR code (inline SVG) in a page, as a phone would from the printed sheet. */
async function decodeQr(html: string): Promise<string | null> {
  const svg = /<svg[\s\S]*?<\/svg>/.exec(html)?.[0];
  if (!svg) return null;
  const { data, info } = await sharp(Buffer.from(svg), { density: 300 })
    .resize(600, 600, { kernel: 'nearest' })
    .flatten({ background: '#ffffff' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  // jsqr is CommonJS: its function is module.exports and, for TypeScript, module.exports.default.
  return jsQRModule.default(new Uint8ClampedArray(data), info.width, info.height)?.data ?? null;
}

t.test('the poster: hotline, categories, anonymity, dates, and a QR code of the public address', async (t) => {
  const { app } = await testApp(t, { env: { PUBLIC_URL } });
  const res = await app.inject('/poster');
  t.equal(res.statusCode, 200);
  t.equal(await decodeQr(res.body), PUBLIC_URL, 'the QR code opens the portal');
  t.match(res.body, /023-6716 6106/, 'the hotline');
  for (const name of ['资金管理不规范', '政策落实打折扣', '履行职责不到位', '违反廉洁纪律行为']) t.match(res.body, name, `category ${name}`);
  t.match(res.body, /可以匿名举报/, 'the promise of anonymity');
  t.match(res.body, /2023年5月1日至2023年11月15日/, 'the campaign’s dates');
  checkHeaders(t, 'poster', res);
  checkMarkup(t, 'poster', res.body);

  const en = await app.inject({ url: '/poster', headers: { 'accept-language': 'en' } });
  t.match(en.body, /You do not have to give your name/);
});

t.test('a village’s poster opens the report form with that village chosen, and nothing more', async (t) => {
  const { app } = await testApp(t, { env: { PUBLIC_URL } });
  const res = await app.inject('/poster?village=caoping');
  t.equal(res.statusCode, 200);
  const url = await decodeQr(res.body);
  t.equal(url, `${PUBLIC_URL}/report?village=caoping`);
  t.match(res.body, /草坪村村民专用/);
  const form = await app.inject(new URL(url!).pathname + new URL(url!).search);
  t.match(form.body, /<option value="caoping" selected>/, 'the form opens with the village chosen');
  checkMarkup(t, 'village poster', res.body);
  t.equal((await app.inject('/poster?village=nowhere')).statusCode, 404);
});

t.test('the wallet card: hotline, address and QR code, eight to a sheet', async (t) => {
  const { app } = await testApp(t, { env: { PUBLIC_URL } });
  const res = await app.inject('/poster/card?village=gulu');
  t.equal(res.statusCode, 200);
  t.equal((res.body.match(/class="wallet-card"/g) ?? []).length, 8);
  t.equal(await decodeQr(res.body), `${PUBLIC_URL}/report?village=gulu`);
  t.match(res.body, /023-6716 6106/);
  t.match(res.body, PUBLIC_URL);
  t.match(res.body, /古路镇人民政府/, 'the office address');
  checkHeaders(t, 'wallet card', res);
  checkMarkup(t, 'wallet card', res.body);
});

t.test('the stylesheet prints the poster on one A4 page', async (t) => {
  const { app } = await testApp(t);
  const css = (await app.inject('/static/app.css')).body;
  t.match(css, /@page poster \{ size: A4 portrait;/);
  t.match(css, /\.poster \{ page: poster; height: 270mm; overflow: hidden;/);
});
