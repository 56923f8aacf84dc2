// Two small charts of a render's clip tasks (uPlot): how long each took, and how many ran at
// once over the render.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { durations, parallelism } from "../clip-timing";
import type { ClipView } from "../types";

const HEIGHT = 180;
const SEGMENT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500];

function chartWidth(el: HTMLElement): number {
  return Math.max(200, Math.min(560, el.clientWidth || 320));
}

function Chart({
  title,
  data,
  xLabel,
  yLabel,
  stepped,
  testId,
}: {
  title: string;
  data: [number[], number[]];
  xLabel: string;
  yLabel: string;
  stepped: boolean;
  testId: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || data[0].length === 0) return;
    const plot = new uPlot(
      {
        width: chartWidth(el),
        height: HEIGHT,
        scales: {
          // Bars centred on their segment; both charts count up from zero.
          x: { time: false, range: stepped ? undefined : (_u, lo, hi) => [lo - 0.5, hi + 0.5] },
          y: { range: (_u, _lo, hi) => [0, hi > 0 ? hi * 1.15 : 1] },
        },
        legend: { show: false },
        // Segments are whole numbers: no tick between two of them.
        axes: [{ label: xLabel, incrs: stepped ? undefined : SEGMENT_STEPS }, { label: yLabel }],
        series: [
          {},
          {
            label: yLabel,
            stroke: "#5b5bd6",
            fill: "rgba(91, 91, 214, 0.15)",
            paths: stepped
              ? uPlot.paths.stepped!({ align: 1 })
              : uPlot.paths.bars!({ size: [0.6, 40] }),
            points: { show: false },
          },
        ],
      },
      data,
      el,
    );
    // The page's width changes (a phone turned, a window resized): the canvas follows.
    const resized = new ResizeObserver(() => plot.setSize({ width: chartWidth(el), height: HEIGHT }));
    resized.observe(el);
    return () => {
      resized.disconnect();
      plot.destroy();
    };
  }, [data, xLabel, yLabel, stepped]);
  const summary = `${title}: ${data[0].length} points`;
  return (
    <figure class="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={summary} />
    </figure>
  );
}

/** Task durations by segment and parallelism over time. */
export function ClipCharts({ clips }: { clips: ClipView[] }) {
  return (
    <div class="charts">
      <Chart
        title="Task duration by segment"
        data={durations(clips)}
        xLabel="segment"
        yLabel="seconds"
        stepped={false}
        testId="chart-durations"
      />
      <Chart
        title="Clip tasks running over time"
        data={parallelism(clips)}
        xLabel="seconds into the render"
        yLabel="running"
        stepped={true}
        testId="chart-parallelism"
      />
    </div>
  );
}
