import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One series of daily values. */
export interface DailySeries {
  label: string;
  values: number[];
}

/**
 * Bars per UTC day (uPlot on a canvas). The numbers are also in a visually hidden table, so
 * the chart reads the same to a screen reader.
 */
export function DailyChart(props: { days: string[]; series: DailySeries[]; title: string; height?: number }) {
  const host = useRef<HTMLDivElement>(null);
  const { days, series } = props;
  useEffect(() => {
    const el = host.current;
    if (el === null) return undefined;
    const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const bars = uPlot.paths.bars!({ size: [0.7, 40], align: 0 });
    const colors = ['#d9480f', '#1c7ed6', '#2f9e44'];
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: props.height ?? 180,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        legend: { show: series.length > 1 },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [{}, { size: 48 }],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: colors[i % colors.length]!,
            fill: colors[i % colors.length]! + '99',
            paths: bars,
            points: { show: false },
          })),
        ],
      },
      [xs, ...series.map((s) => s.values)],
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
      <div ref={host} role="img" aria-label={`${props.title}: bar chart, one bar per day`} />
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
                <td key={s.label}>{s.values[i] ?? 0}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
