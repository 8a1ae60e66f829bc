import sharp from 'sharp';
import t from 'tap';
import { cleanUploads } from '../../src/attachments/clean.js';
import { estimateJpegQuality } from '../../src/attachments/jpeg-quality.js';

// A photo is encoded again at the quality it came with, read from its quantization table.

const photo = (quality: number, width = 320, height = 240) =>
  sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
    .jpeg({ quality })
    .toBuffer();

t.test('the quality a JPEG was saved at is read back from its quantization table', async (t) => {
  for (const quality of [20, 25, 50, 60, 75, 85, 90, 95, 99]) {
    t.equal(estimateJpegQuality(await photo(quality)), quality, `saved at ${quality}`);
  }
  // At the ends libjpeg clamps the table's values (to 255, and to 1), so the estimate is rough there,
  // on the right side of the bounds clean.ts keeps to.
  t.ok(estimateJpegQuality(await photo(10))! < 20, 'saved at 10: below 20');
  t.ok(estimateJpegQuality(await photo(100))! >= 99, 'saved at 100: 99 or more');
});

t.test('bytes with no quantization table before the image data give no estimate', async (t) => {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer();
  t.equal(estimateJpegQuality(png), null, 'a PNG');
  const jpeg = await photo(80);
  const dqt = jpeg.indexOf(Buffer.from([0xff, 0xdb]));
  t.equal(estimateJpegQuality(jpeg.subarray(0, dqt + 10)), null, 'a table cut short');
  t.equal(estimateJpegQuality(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2])), null, 'scan data first');
});

t.test('a cleaned photo keeps its quality within 50–90, and so about its size', async (t) => {
  for (const [saved, expected] of [
    [75, 75],
    [40, 50],
    [97, 90],
  ] as const) {
    const source = await photo(saved, 800, 600);
    const [out] = await cleanUploads([{ name: 'p.jpg', bytes: source }]);
    t.equal(estimateJpegQuality(out!.bytes), expected, `saved at ${saved}: encoded again at ${expected}`);
    if (saved === 75) t.ok(out!.bytes.length < source.length * 1.1, `no larger than it came (${source.length} → ${out!.bytes.length} bytes)`);
  }
});
