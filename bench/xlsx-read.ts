import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadCampaign } from '../src/campaign/schema.js';
import { readHouseholdRows } from '../src/households/import-file.js';
import { xlsxRows } from '../src/households/import-xlsx.js';
import { registerCsv, registerXlsx } from './lib/register.js';

// Reading a register XLSX (issue 12) by itself, without the app or a database: the rows of the
// first sheet (`rows`), or the import's whole file reader (`import`: layout, values, schema).
//   tsx bench/xlsx-read.ts <file.xlsx> [rows|import] [households]
// The file is written first (bench/lib/register.ts: inline strings) when it does not exist; a
// file named .sst.xlsx gets shared strings, as Excel saves; a file named .csv is the same register as CSV, read by the import (any mode), for comparison.

const [file = '/tmp/register-100k.xlsx', mode = 'rows', count = '100000'] = process.argv.slice(2);
const campaign = loadCampaign(new URL('../config/campaign.json', import.meta.url).pathname);
const csv = file.endsWith('.csv');
if (!existsSync(file)) writeFileSync(file, csv ? registerCsv(campaign, 0, Number(count)) : await registerXlsx(campaign, 0, Number(count), file.endsWith('.sst.xlsx')));
const bytes = readFileSync(file);
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
let rows = 0;
if (mode === 'import' || csv) {
  for await (const row of readHouseholdRows(bytes, csv ? 'csv' : 'xlsx', campaign, { maxBytes: 64 * 1024 * 1024, maxRows: 200_000 })) if ('input' in row || 'problems' in row) rows++;
} else {
  for await (const row of xlsxRows(bytes).rows) if (row.cells.length > 0) rows++;
}
const seconds = (performance.now() - started) / 1000;
const peakMb = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ file, mb: +(bytes.length / 1048576).toFixed(1), mode: csv ? 'import' : mode, rows, seconds: +seconds.toFixed(2), rowsPerSecond: Math.round(rows / seconds), rssBeforeMb: Math.round(rssBefore / 1048576), peakRssMb: Math.round(peakMb) }));
