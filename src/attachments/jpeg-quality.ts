// A JPEG's quality, estimated from its luminance quantization table, so that a cleaned photo is
// encoded again at the quality it came with: at a fixed 90, a phone photo saved at 75 came out 64%
// larger with no more detail in it (and cost that much more memory on its way to the database).

// The IJG (libjpeg) luminance table that encoders scale by quality; the order of its values does not
// matter here, as only their sum is compared.
const IJG_LUMINANCE_SUM = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100,
  103, 99,
].reduce((a, b) => a + b, 0);

/**
 * The quality (1–100) on libjpeg's scale that the first quantization table corresponds to, or null
 * when the bytes hold none before the image data (not a baseline/progressive JPEG, or damaged).
 */
export function estimateJpegQuality(bytes: Buffer): number | null {
  let at = 2; // after SOI
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    // Start of scan or end of image: no table came first.
    if (marker === 0xda || marker === 0xd9) return null;
    const length = bytes.readUInt16BE(at + 2);
    if (marker === 0xdb) return qualityOfTable(bytes.subarray(at + 4, at + 2 + length));
    at += 2 + length;
  }
  return null;
}

function qualityOfTable(segment: Buffer): number | null {
  const precision = segment[0]! >> 4; // 0: 8-bit values, 1: 16-bit
  const width = precision === 0 ? 1 : 2;
  if (segment.length < 1 + 64 * width) return null;
  let sum = 0;
  for (let i = 0; i < 64; i++) sum += width === 1 ? segment[1 + i]! : segment.readUInt16BE(1 + 2 * i);
  // libjpeg scales the base table by s% (s = 5000/q below 50, 200 − 2q above) and keeps values ≥ 1.
  const scale = (sum * 100) / IJG_LUMINANCE_SUM;
  const quality = scale <= 100 ? (200 - scale) / 2 : 5000 / scale;
  return Math.min(100, Math.max(1, Math.round(quality)));
}
