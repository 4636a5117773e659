import { api, type UsageStats } from '../api';
import { DailyChart } from '../components/chart';
import { Empty, ErrorBox, Loading, TableScroll } from '../components/ui';
import { useLoad } from '../hooks';
import { inEnvironment, lastDays, num } from '../format';
import { RangePicker } from '../components/range-picker';
import { navigate, routeUrl, RANGES, type Route } from '../router';

/** What usage reports say: installs per day, and each metric's values over a range. */
export function UsagePage(props: { route: Extract<Route, { page: 'usage' }> }) {
  const { key, range, env } = props.route;
  const [from, to] = lastDays(range);
  const [load, reload] = useLoad(() => api.usageStats(key, from, to, env), [key, from, to, env]);
  const usage = load.data;
  const metrics = new Map<string, UsageStats['rows']>();
  for (const row of usage?.rows ?? []) {
    const list = metrics.get(row.metric) ?? [];
    list.push(row);
    metrics.set(row.metric, list);
  }
  return (
    <>
      <div class="toolbar">
        <h2 class="visually-hidden">Usage</h2>
        <RangePicker
          days={RANGES.usage.days}
          value={range}
          onChange={(days) => navigate(routeUrl({ ...props.route, range: days }), { replace: true })}
        />
      </div>
      {load.state === 'error' && <ErrorBox error={load.error} retry={() => void reload()} what="usage" />}
      {usage === undefined && load.state === 'loading' && <Loading what="usage" />}
      {usage !== undefined &&
        (usage.reports === 0 ? (
          <Empty title="No usage reports in this range">
            <p>
              The SDKs send usage metrics (for example OS, runtime version, a command used) from their metric registry
              once a day, unless the app's users opted out. See docs/sdks.md for how to register a metric.
            </p>
          </Empty>
        ) : (
          <>
            <section class="card">
              <p class="figure">
                <strong>{num(usage.installs)}</strong> distinct installs sent <strong>{num(usage.reports)}</strong>{' '}
                usage reports in the last {range} days{inEnvironment(env)}
              </p>
              <DailyChart
                title={`Distinct installs per day, last ${range} days (UTC)`}
                days={usage.series.map((s) => s.day)}
                series={[{ label: 'Installs', values: usage.series.map((s) => s.installs) }]}
              />
            </section>
            <div class="grid2">
              {[...metrics].map(([name, rows]) => (
                <section class="card" key={name} aria-label={`Metric ${name}`}>
                  <h2>
                    <code>{name}</code>
                  </h2>
                  <TableScroll label={`Values of ${name}, table`}>
                    <table class="list compact">
                      <caption class="visually-hidden">Values of {name}</caption>
                      <thead>
                        <tr>
                          <th scope="col">Value</th>
                          <th scope="col">Reports</th>
                        </tr>
                      </thead>
                      <tbody>
                        {rows.map((r, i) =>
                          'value' in r ? (
                            <tr key={i}>
                              <td>{r.value}</td>
                              <td>{num(r.count)}</td>
                            </tr>
                          ) : (
                            <tr key={i}>
                              <td>
                                numbers: mean {(r.sum / Math.max(1, r.count)).toFixed(2)}, min {r.min}, max {r.max}
                              </td>
                              <td>{num(r.count)}</td>
                            </tr>
                          ),
                        )}
                      </tbody>
                    </table>
                  </TableScroll>
                </section>
              ))}
            </div>
          </>
        ))}
    </>
  );
}
