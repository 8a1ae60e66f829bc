import t from 'tap';
import { multipartBoundary, PartHeaderWatch } from '../../src/attachments/part-headers.js';
import { multipart } from '../support/attachments.js';

// The watch must see the same thing however the body is cut into chunks.

const LIMITS = { maxLines: 20, maxBytes: 8 * 1024 };

function watch(body: { payload: Buffer; headers: Record<string, string> }, chunkSize: number) {
  const w = new PartHeaderWatch(multipartBoundary(body.headers['content-type'])!, LIMITS);
  for (let i = 0; i < body.payload.length; i += chunkSize) w.push(body.payload.subarray(i, i + chunkSize));
  return { parts: w.parts, tooLarge: w.tooLarge, malformed: w.malformed };
}

t.test('counts parts and finds bare CRs and oversized header blocks, in chunks of any size', async (t) => {
  const bytes = Buffer.from('\r\n--not-the-boundary\r\n'.repeat(50));
  const good = multipart({ a: '1', b: '两个字' }, [{ name: 'x.jpg', bytes }, { name: 'y.pdf', bytes }]);
  const cr = multipart({ a: '1' }, [{ name: 'x', bytes, rawHeaders: ['Content-Disposition: form-data; name="files"; filename="a\rb.jpg"'] }]);
  const many = multipart({ a: '1' }, [{ name: 'x', bytes, rawHeaders: Array.from({ length: 21 }, (_, i) => `X-${i}: 1`) }]);
  const big = multipart({ a: '1' }, [{ name: 'x', bytes, rawHeaders: [`X-Big: ${'a'.repeat(9000)}`] }]);
  for (const size of [1, 2, 3, 7, 64, 1000, 1_000_000]) {
    t.same(watch(good, size), { parts: 4, tooLarge: false, malformed: false }, `a good body in chunks of ${size}`);
    t.same(watch(cr, size), { parts: 2, tooLarge: false, malformed: true }, `a bare CR, chunks of ${size}`);
    t.equal(watch(many, size).tooLarge, true, `21 lines, chunks of ${size}`);
    t.equal(watch(big, size).tooLarge, true, `a 9 KB header, chunks of ${size}`);
  }
});

t.test('the boundary from the content type, quoted or not', async (t) => {
  t.equal(multipartBoundary('multipart/form-data; boundary=----abc123'), '----abc123');
  t.equal(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"'), 'a b');
  t.equal(multipartBoundary('multipart/form-data'), null);
});
