import {
  Chart,
  Legend,
  LinearScale,
  LogarithmicScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartOptions,
  type TooltipOptions,
} from 'chart.js';

// The parts of chart.js the app's line charts use, registered once for all of them.
Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip);

export { Chart };
export type { ChartDataset } from 'chart.js';

type TooltipCallbacks = Partial<TooltipOptions<'line'>['callbacks']>;

/** Axis text and grid colours from the current theme (light or dark), so charts match the rest of the window. */
function chartTheme(): { text: string; grid: string } {
  const styles = getComputedStyle(document.documentElement);
  return { text: styles.getPropertyValue('--muted').trim(), grid: styles.getPropertyValue('--border').trim() };
}

/** One axis of a line chart: its title (always shown), scale type, range and any extra tick settings. */
export interface AxisOptions {
  title: string;
  type?: 'linear' | 'logarithmic';
  min?: number;
  max?: number;
  ticks?: { precision?: number; stepSize?: number };
}

/**
 * The options all the app's line charts share: drawn at once (no animation) to fill their box, {x, y} points as
 * given, titled axes and a legend in the theme's colours, and tooltips for the nearest point.
 */
export function lineChartOptions(options: {
  x: AxisOptions;
  y: AxisOptions;
  legendAlign?: 'start' | 'end';
  tooltip?: TooltipCallbacks;
}): ChartOptions<'line'> {
  const { text, grid } = chartTheme();
  const axis = ({ title, type = 'linear', min, max, ticks }: AxisOptions) => ({
    type,
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    title: { display: true, text: title, color: text },
    ticks: { color: text, ...ticks },
    grid: { color: grid },
  });
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    parsing: false,
    interaction: { mode: 'nearest', intersect: false },
    scales: { x: axis(options.x), y: axis(options.y) },
    plugins: {
      legend: { position: 'top', align: options.legendAlign ?? 'start', labels: { color: text, boxWidth: 14 } },
      ...(options.tooltip ? { tooltip: { callbacks: options.tooltip } } : {}),
    },
  };
}
