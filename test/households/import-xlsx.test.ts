import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import t from 'tap';
import { readHouseholdRows } from '../../src/households/import-file.js';
import { xlsxRows } from '../../src/households/import-xlsx.js';
import { campaign, ID1, ID2, idNumber, inputOf, readAll, REQUIRED_HEADER, requiredRow, streamedXlsx, xlsx, zip } from '../support/households.js';

// The XLSX container: zip bombs and crafted archives refused before any parsing, archives from
// other writers accepted, nothing written to disk on the way, the first worksheet only.

t.test('zip bombs are refused before parsing', async (t) => {
  const zeros = (mb: number) => deflateRawSync(Buffer.alloc(mb * 1024 * 1024));
  const parts = (sheet: Buffer, declaredSize: number) => [
    { name: '[Content_Types].xml', data: deflateRawSync('<Types/>') },
    { name: 'xl/workbook.xml', data: deflateRawSync('<workbook/>') },
    { name: 'xl/worksheets/sheet1.xml', data: sheet, declaredSize },
  ];
  const small = zeros(1);
  t.ok(small.length < 2048, `1 MB of zeros deflates to ${small.length} bytes`);
  await t.rejects(readAll(zip(parts(small, 0xf0000000)), 'xlsx'), { code: 'zipBomb', params: { reason: 'size' } }, 'declares 3.75 GB');
  await t.rejects(readAll(zip(parts(zeros(20), 20 * 1024 * 1024)), 'xlsx'), { code: 'zipBomb', params: { reason: 'ratio' } }, '20 MB from 20 KB: ratio 1000');
  await t.rejects(readAll(zip(parts(zeros(8), 100_000)), 'xlsx'), { code: 'zipBomb', params: { reason: 'declared' } }, 'declares 100 KB, inflates to 8 MB');

  // A central directory that lists one small entry while the local records hold a second one the
  // streaming unzipper would inflate: what is checked must be what is parsed.
  const a = { name: 'xl/workbook.xml', data: deflateRawSync('<workbook/>') };
  const hidden = zip([{ name: 'xl/worksheets/sheet1.xml', data: zeros(8), declaredSize: 100 }]);
  const listed = zip([a]);
  const aLength = 30 + a.name.length + a.data.length;
  const hiddenLocal = hidden.subarray(0, hidden.length - 22 - 46 - 'xl/worksheets/sheet1.xml'.length);
  const crafted = Buffer.concat([listed.subarray(0, aLength), hiddenLocal, listed.subarray(aLength)]);
  crafted.writeUInt32LE(aLength + hiddenLocal.length, crafted.length - 22 + 16);
  await t.rejects(readAll(crafted, 'xlsx'), { code: 'malformed' }, 'an entry outside the central directory');

  // With bit 3 the unzipper ends an entry at the first data-descriptor signature it meets, so one
  // planted inside the data would start a record the central directory never mentions.
  const planted = Buffer.concat([Buffer.from('<workbook>'), Buffer.from([0x50, 0x4b, 0x07, 0x08]), Buffer.alloc(12), Buffer.from('</workbook>')]);
  await t.rejects(readAll(zip([{ name: 'xl/workbook.xml', data: planted, method: 0, descriptor: true }]), 'xlsx'), { code: 'malformed', params: { reason: 'data descriptor' } });
});

t.test('an XLSX from a streaming writer: data descriptors, inline strings, no shared-strings part', async (t) => {
  const book = await streamedXlsx([REQUIRED_HEADER, requiredRow(ID1), requiredRow(ID2)]);
  t.equal(book.readUInt16LE(6) & 0x08, 0x08, 'sizes in data descriptors');
  t.notOk(book.includes('xl/sharedStrings.xml'), 'no shared strings');
  t.same((await readAll(book, 'xlsx')).map((r) => inputOf(r).idNumber), [ID1, ID2]);
});

t.test('an XLSX is never written to disk on the way (exceljs does, for a sheet stored before its strings)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'import-tmp-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir; // where exceljs's temporary files would go (os.tmpdir())
  t.teardown(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  for (const book of [await xlsx([REQUIRED_HEADER, requiredRow(ID1), requiredRow(ID2)]), await streamedXlsx([REQUIRED_HEADER, requiredRow(ID1)])]) {
    for await (const row of readHouseholdRows(book, 'xlsx', campaign)) {
      t.same(readdirSync(dir), [], `nothing in the temporary directory while row ${row.row} is read`);
    }
  }
});

t.test('the first worksheet is read, and only it', async (t) => {
  const book = await xlsx([REQUIRED_HEADER, requiredRow()], { after: ['说明'] });
  t.equal(inputOf((await readAll(book, 'xlsx'))[0]).idNumber, ID1);
  await t.rejects(readAll(await xlsx([REQUIRED_HEADER, requiredRow()], { before: ['说明'] }), 'xlsx'), { code: 'noHeader' }, 'a note sheet first');
});

t.test('a sheet of real size keeps every Chinese character (none split between two chunks of the inflated XML)', async (t) => {
  // exceljs decodes each chunk of the inflated XML by itself: a character whose bytes straddle two
  // chunks came out as U+FFFD, past a few dozen kilobytes of sheet. 3,000 rows of varied
  // characters, in shared strings (Excel's way) and inline strings (a streaming writer's). No
  // characters beyond the BMP here: exceljs's own writer splits their surrogate pairs at its
  // buffer boundaries (the file is wrong before it is read); a small book checks them below.
  const villages = ['古路村', '草坪村', '乌牛村', '新店村', '银花村', '长寿村'];
  const given = '德明淑珍小红建国秀英志强桂兰永福玉梅海燕春生';
  const header = [...REQUIRED_HEADER, '代领原因', '备注'];
  const rows = Array.from({ length: 3000 }, (_, i) => {
    const first17 = `500112195${i % 10}0${1 + (Math.floor(i / 10) % 9)}${String(10 + (Math.floor(i / 90) % 18))}${String(i % 1000).padStart(3, '0')}`;
    return requiredRow(idNumber(first17), {
      村: villages[i % villages.length]!,
      户主姓名: `${'张王李赵欧阳'[i % 6]}${given[i % given.length]}${given[(i * 7) % given.length]}`,
      农户类型: ['低保户', '建档立卡贫困户', '分散供养特困人员'][i % 3]!,
      危房等级: i % 2 ? 'C级' : 'D级',
      改造方式: i % 2 ? '修缮加固' : '拆除重建',
    }).concat([`户主外出务工第${i}号`, `第${i + 1}户：房屋已于二〇一九年十月验收，补助资金分两次发放`]);
  });
  for (const [kind, book] of [['shared strings', await xlsx([header, ...rows])], ['inline strings', await streamedXlsx([header, ...rows])]] as const) {
    const read: string[][] = [];
    for await (const { cells } of xlsxRows(book).rows) read.push(cells.map((c) => String(c ?? '')));
    t.equal(read.length, rows.length + 1, `${kind}: every row`);
    const wrong = read.slice(1).flatMap((cells, i) => cells.filter((c, j) => c !== rows[i]![j]).map((c) => `row ${i + 2}: ${c}`));
    t.same(wrong.slice(0, 5), [], `${kind}: every cell as written`);
    t.same(read[0], header, `${kind}: the header`);

    const imported = await readAll(book, 'xlsx');
    t.same(imported.filter((r) => 'problems' in r).slice(0, 3), [], `${kind}: no row has problems`);
    t.same(imported.map((r) => ('input' in r ? r.input.headName : null)), rows.map((r) => r[1]), `${kind}: every name`);
  }

  const astral = ['𠀀字', '房屋🏠', '欧阳𪚥'];
  const small: string[][] = [];
  for await (const { cells } of xlsxRows(await xlsx([astral])).rows) small.push(cells.map((c) => String(c ?? '')));
  t.same(small, [astral], 'characters beyond the BMP (four UTF-8 bytes, one character reference)');
});
