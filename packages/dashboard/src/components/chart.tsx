import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

// Colour-blind-friendly series colours (Okabe–Ito), readable on light and dark backgrounds.
const COLORS = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#8a7a00', '#555555'];

export interface ChartSeries {
  label: string;
  /** one value per x; null leaves a gap */
  values: (number | null)[];
}

export interface ChartProps {
  /** what the chart shows, for screen readers (the canvas itself is not readable) */
  title: string;
  /** x values, epoch seconds */
  xs: number[];
  series: ChartSeries[];
  formatY?: (v: number) => string;
  height?: number;
}

/** A uPlot line chart that follows its container's width. */
export function Chart({ title, xs, series, formatY, height = 220 }: ChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join('\u0000');
  const formatRef = useRef(formatY);
  formatRef.current = formatY;

  // (Re)create when the set of series changes; otherwise only the data is replaced.
  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const fmt = (v: number) => (formatRef.current ? formatRef.current(v) : String(v));
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: series.length > 0 },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      axes: [
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          ticks: { stroke: 'rgba(128,128,128,0.4)' },
        },
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          ticks: { stroke: 'rgba(128,128,128,0.4)' },
          size: 60,
          values: (_u, ticks) => ticks.map(fmt),
        },
      ],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmt(v)),
        })),
      ],
    };
    const u = new uPlot(opts, [xs, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    plot.current = u;
    const observer = new ResizeObserver(() => {
      u.setSize({ width: Math.max(200, el.clientWidth), height });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [labels, height]);

  useEffect(() => {
    plot.current?.setData([xs, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [xs, series]);

  return (
    <figure class="chart">
      <div ref={holder} role="img" aria-label={title} />
    </figure>
  );
}
