// Geometry for the dashboard's SVG charts (views/partials/bar-chart.hbs, stacked-chart.hbs): plain
// numbers computed here, so the templates only place them. No script: the charts print and read
// without JavaScript, and every figure is a link.

export interface ChartItem {
  label: string;
  n: number;
  href: string | null;
}

const WIDTH = 640;
const LABEL_WIDTH = 250;
const NUMBER_WIDTH = 48;
const BAR = 22;
const GAP = 8;

export function barChart(items: readonly ChartItem[]) {
  const max = Math.max(1, ...items.map((i) => i.n));
  const span = WIDTH - LABEL_WIDTH - NUMBER_WIDTH;
  return {
    width: WIDTH,
    height: items.length * (BAR + GAP) + GAP,
    labelX: LABEL_WIDTH - 8,
    bars: items.map((item, i) => {
      const y = GAP + i * (BAR + GAP);
      const width = Math.round((item.n / max) * span);
      return { ...item, x: LABEL_WIDTH, y, width, height: BAR, textY: y + BAR / 2 + 5, numberX: LABEL_WIDTH + width + 6 };
    }),
  };
}

export interface StackRow {
  label: string;
  segments: { key: string; label: string; n: number; href: string }[];
}

/** One horizontal bar per row, split into its segments; each segment's number sits in the legend line under it. */
export function stackedChart(rows: readonly StackRow[]) {
  const max = Math.max(1, ...rows.map((r) => r.segments.reduce((a, s) => a + s.n, 0)));
  const span = WIDTH - LABEL_WIDTH - 8;
  const ROW = BAR + 26;
  return {
    width: WIDTH,
    height: rows.length * ROW + GAP,
    labelX: LABEL_WIDTH - 8,
    rows: rows.map((row, i) => {
      const y = GAP + i * ROW;
      let x = LABEL_WIDTH;
      const segments = row.segments.map((s, j) => {
        const width = Math.round((s.n / max) * span);
        const seg = { ...s, x, width, numberX: LABEL_WIDTH + j * 150 };
        x += width;
        return seg;
      });
      return { label: row.label, y, height: BAR, textY: y + BAR / 2 + 5, legendY: y + BAR + 16, segments };
    }),
  };
}
