import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { percent as formatPercent } from '../format';

/** One series of daily values (null: nothing to show that day, such as a rate without sessions). */
export interface DailySeries {
  label: string;
  values: Array<number | null>;
}

function cell(value: number | null | undefined, percent: boolean): string {
  if (value === null) return '—';
  return percent ? formatPercent(value ?? 0) : String(value ?? 0);
}

/**
 * Bars per UTC day (uPlot on a canvas), or with `percent` a line of fractions 0–1 drawn as
 * percentages. The numbers are also in a visually hidden table, so the chart reads the same to a
 * screen reader.
 */
export function DailyChart(props: {
  days: string[];
  series: DailySeries[];
  title: string;
  height?: number;
  percent?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const { days, series } = props;
  useEffect(() => {
    const el = host.current;
    if (el === null) return undefined;
    const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const bars = uPlot.paths.bars!({ size: [0.7, 40], align: 0 });
    const percent = props.percent === true;
    const data = series.map((s) => s.values.map((v) => (v === null ? null : percent ? v * 100 : v)));
    const lowest = Math.min(100, ...data.flat().filter((v): v is number => v !== null));
    const colors = ['#d9480f', '#1c7ed6', '#2f9e44'];
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: props.height ?? 180,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        legend: { show: series.length > 1 },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true },
          // A rate's axis starts a little under its lowest day, so 99.5 % and 98 % look different.
          y: {
            range: (_u, _min, max) => (percent ? [Math.max(0, Math.floor(lowest) - 1), 100] : [0, Math.max(1, max)]),
          },
        },
        axes: [
          {},
          {
            size: percent ? 60 : 48,
            ...(percent ? { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${t} %`) } : {}),
          },
        ],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: colors[i % colors.length]!,
            ...(percent
              ? { width: 2, points: { show: true, size: 5 } }
              : { fill: colors[i % colors.length]! + '99', paths: bars, points: { show: false } }),
          })),
        ],
      },
      [xs, ...data],
      el,
    );
    const onResize = () => plot.setSize({ width: Math.max(280, el.clientWidth), height: props.height ?? 180 });
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [days.join(), series.map((s) => s.values.join()).join('|')]);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div
        ref={host}
        role="img"
        aria-label={`${props.title}: ${props.percent ? 'line chart, one point per day' : 'bar chart, one bar per day'}`}
      />
      <table class="visually-hidden">
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            {series.map((s) => (
              <th scope="col" key={s.label}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {days.map((d, i) => (
            <tr key={d}>
              <th scope="row">{d}</th>
              {series.map((s) => (
                <td key={s.label}>{cell(s.values[i], props.percent === true)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
