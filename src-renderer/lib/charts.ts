import {
  Chart,
  Legend,
  LinearScale,
  LogarithmicScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

// The parts of chart.js the app's line charts use, registered once for all of them.
Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip);

export { Chart };
export type { ChartDataset } from 'chart.js';

/** Axis text and grid colours from the current theme (light or dark), so charts match the rest of the window. */
export function chartTheme(): { text: string; grid: string } {
  const styles = getComputedStyle(document.documentElement);
  return { text: styles.getPropertyValue('--muted').trim(), grid: styles.getPropertyValue('--border').trim() };
}
