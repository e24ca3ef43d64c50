// Delivered / deferred / bounced per time bucket as stacked bars (Chart.js,
// bundled: only the parts used are registered, so the rest is tree-shaken).
// The chart is updated in place when new data arrives (live dashboard); the
// same figures are in a table for screen readers and for copying.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface OutcomeSeries {
  readonly labels: readonly string[];
  readonly delivered: readonly number[];
  readonly deferred: readonly number[];
  readonly bounced: readonly number[];
}

export interface OutcomeChartProps {
  readonly series: OutcomeSeries;
  /** What the chart shows, for assistive technology (the canvas is an image to them). */
  readonly label: string;
  readonly names: { readonly delivered: string; readonly deferred: string; readonly bounced: string; readonly period: string; readonly table: string };
  readonly testId: string;
}

const COLOURS = { delivered: '#1b7a3a', deferred: '#c98a00', bounced: '#b3261e' } as const;

export function OutcomeChart({ series, label, names, testId }: OutcomeChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar'> | undefined>(undefined);

  useEffect(() => {
    const datasets = (['delivered', 'deferred', 'bounced'] as const).map((kind) => ({
      label: names[kind],
      data: [...series[kind]],
      backgroundColor: COLOURS[kind],
      stack: 'outcomes',
    }));
    if (chart.current === undefined) {
      if (canvas.current === null) return;
      chart.current = new Chart(canvas.current, {
        type: 'bar',
        data: { labels: [...series.labels], datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { position: 'bottom' } },
        },
      });
    } else {
      chart.current.data.labels = [...series.labels];
      chart.current.data.datasets = datasets;
      chart.current.update();
    }
  }, [series, names]);

  useEffect(
    () => () => {
      chart.current?.destroy();
      chart.current = undefined;
    },
    [],
  );

  return (
    <figure class="chart" data-testid={testId}>
      <div class="chart-box">
        <canvas ref={canvas} role="img" aria-label={label} />
      </div>
      <details>
        <summary>{names.table}</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{names.period}</th>
              <th scope="col">{names.delivered}</th>
              <th scope="col">{names.deferred}</th>
              <th scope="col">{names.bounced}</th>
            </tr>
          </thead>
          <tbody>
            {series.labels.map((l, i) => (
              <tr>
                <th scope="row">{l}</th>
                <td>{series.delivered[i]}</td>
                <td>{series.deferred[i]}</td>
                <td>{series.bounced[i]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
