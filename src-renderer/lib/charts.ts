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
  ticks?: { precision?: number; stepSize?: number; callback?: (value: number | string) => string };
  /** A fixed width in pixels (labels and title), so charts stacked one above the other share their x positions. */
  width?: number;
}

/** The y axis width of the loss chart and the learning-rate chart under it, so their epochs line up. */
export const rateChartAxisWidth = 72;

/**
 * The options all the app's line charts share: drawn at once (no animation) to fill their box, {x, y} points as
 * given, titled axes and a legend in the theme's colours, and tooltips for the nearest point.
 */
export function lineChartOptions(options: {
  x: AxisOptions;
  y: AxisOptions;
  /** A second y axis, on the right, for series that measure something else (`yAxisID: 'y2'`). */
  y2?: AxisOptions;
  legendAlign?: 'start' | 'end';
  tooltip?: TooltipCallbacks;
}): ChartOptions<'line'> {
  const { text, grid } = chartTheme();
  const axis = ({ title, type = 'linear', min, max, ticks, width }: AxisOptions) => ({
    type,
    ...(width === undefined ? {} : { afterFit: (scale: { width: number }) => void (scale.width = width) }),
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
    // The last epoch's markers sit on the plot's edge: room for them, and not cut in half.
    layout: { padding: { top: 6, right: 8 } },
    datasets: { line: { clip: false } },
    scales: {
      x: axis(options.x),
      y: axis(options.y),
      ...(options.y2
        ? { y2: { ...axis(options.y2), position: 'right' as const, grid: { drawOnChartArea: false } } }
        : {}),
    },
    plugins: {
      legend: { position: 'top', align: options.legendAlign ?? 'start', labels: { color: text, boxWidth: 14 } },
      ...(options.tooltip ? { tooltip: { callbacks: options.tooltip } } : {}),
    },
  };
}

/**
 * A curve smoothed as TensorBoard smooths it: an exponential moving average with weight 0 (as measured) to 0.99,
 * corrected for its start so the first points are not pulled towards zero.
 */
export function smoothed(points: Array<{ x: number; y: number }>, weight: number): Array<{ x: number; y: number }> {
  if (weight <= 0) return points;
  let average = 0;
  return points.map((point, i) => {
    average = average * weight + (1 - weight) * point.y;
    return { x: point.x, y: average / (1 - weight ** (i + 1)) };
  });
}
