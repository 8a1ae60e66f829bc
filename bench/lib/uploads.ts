import sharp from 'sharp';
import { memoryOf, sampleRss } from './processes.js';

// Report submissions with a phone photo (issue 4): how long stripping and storing one takes, and how
// much memory the app needs while several arrive at once.

export interface UploadFigures {
  photo: { bytes: number; width: number; height: number };
  sequential: { count: number; medianMs: number; p90Ms: number; minMs: number; maxMs: number };
  concurrent: { count: number; wallMs: number; rssBefore: number; peakRss: number; hwmAfter: number };
  /** Submissions not answered with a receipt (HTTP status other than 200, or no code on the page). */
  failures: number;
}

/** A 12-megapixel photo as a phone takes it: noisy enough to weigh ~3 MB, with EXIF, GPS and a turn. */
export async function makePhoto(width = 4000, height = 3000): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 24 } } })
    .jpeg({ quality: 75 })
    .withExif({
      IFD0: { Make: 'Xiaomi', Model: 'Redmi Note 12', DateTime: '2023:05:12 14:30:22' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '29/1 33/1 4608/100', GPSLongitudeRef: 'E', GPSLongitude: '106/1 33/1 1008/100' },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

const FIELDS = {
  category: 'integrity',
  typicalForm: 'fees',
  subject: '某村村主任',
  description: '村干部以协调费的名义收了我家500元，说不交就不给批危房补助。这是收据的照片。',
  identity: 'anonymous',
};

/** The token of a freshly loaded report form: the app refuses one it did not issue (src/reports/form-token.ts). */
async function formToken(url: string): Promise<string> {
  const page = await (await fetch(`${url}/report`, { headers: { 'accept-language': 'zh-CN' } })).text();
  const token = /name="token" value="([^"]+)"/.exec(page)?.[1];
  if (!token) throw new Error('uploads: no token in the report form');
  return token;
}

/** One submission of the report form with the photo, as a browser sends it (fields, then the file). */
async function submit(url: string, photo: Buffer): Promise<{ ms: number; ok: boolean }> {
  const form = new FormData();
  for (const [k, v] of Object.entries({ ...FIELDS, token: await formToken(url) })) form.append(k, v);
  form.append('files', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'IMG_20230512_143022.jpg');
  const started = performance.now();
  const res = await fetch(`${url}/report`, { method: 'POST', body: form, headers: { 'accept-language': 'zh-CN' } });
  const body = await res.text();
  const ms = performance.now() - started;
  return { ms, ok: res.status === 200 && body.includes('id="tracking-code"') };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/**
 * Measures the running app at `url` (process `pid`): `sequential` submissions one after the other
 * (after two to warm up), then `concurrent` at once while its RSS is sampled every 20 ms.
 */
export async function measureUploads(url: string, pid: number, opts: { sequential?: number; concurrent?: number } = {}): Promise<UploadFigures> {
  const { sequential = 20, concurrent = 10 } = opts;
  const photo = await makePhoto();
  const meta = await sharp(photo).metadata();
  let failures = 0;
  const record = (r: { ms: number; ok: boolean }) => {
    if (!r.ok) failures++;
    return r.ms;
  };
  for (let i = 0; i < 2; i++) record(await submit(url, photo));
  const times: number[] = [];
  for (let i = 0; i < sequential; i++) times.push(record(await submit(url, photo)));
  times.sort((a, b) => a - b);

  const rssBefore = memoryOf(pid)?.rss ?? NaN;
  const rss = sampleRss(pid, 20);
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrent }, async () => record(await submit(url, photo))));
  const wallMs = performance.now() - started;
  const peakRss = rss.stop();
  return {
    photo: { bytes: photo.length, width: meta.width ?? 0, height: meta.height ?? 0 },
    sequential: { count: sequential, medianMs: quantile(times, 0.5), p90Ms: quantile(times, 0.9), minMs: times[0]!, maxMs: times.at(-1)! },
    concurrent: { count: concurrent, wallMs, rssBefore, peakRss, hwmAfter: memoryOf(pid)?.hwm ?? NaN },
    failures,
  };
}
