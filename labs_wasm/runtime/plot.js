// Plotly.js is 4.6 MB: load it only when the first figure node appears, once per page.
// Plotly.react diffs against the previous figure, so updates stay cheap. Charts are an
// extra: when Plotly cannot load, the figure says so in its place and the lab carries on;
// the next draw tries to load it again.
import { firstUnreachable } from "./fetching.js";

let loading = null;

export function loadPlotly(url) {
  if (globalThis.Plotly) return Promise.resolve(globalThis.Plotly);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.async = true;
    script.onload = () => (globalThis.Plotly ? resolve(globalThis.Plotly)
      : reject(new PlotlyUnavailable(`the chart library at ${url} loaded but defined no Plotly`)));
    script.onerror = async () => {
      script.remove(); // a later attempt adds a fresh script element
      reject(new PlotlyUnavailable(await firstUnreachable([url]) ?? `the chart library at ${url} failed to load`));
    };
    document.head.append(script);
  }).catch((err) => { loading = null; throw err; });
  return loading;
}

/** Plotly could not be loaded: the lab goes on without charts. */
export class PlotlyUnavailable extends Error {}

// No toolbar: its ~10 buttons per chart sat in the Tab order inside an aria-hidden element
// and covered chart titles on a phone; the data is in each chart's table.
const PLOT_CONFIG = { displayModeBar: false, responsive: true };

/**
 * Draw (or redraw) `figure` into `div`. Draws are serialized per div, so a slow draw
 * never lands on top of a newer one. Dispatches "lab:plotted" on the div after each draw.
 * Rejects with PlotlyUnavailable when the library cannot load.
 */
export function drawFigure(div, figure, plotlyUrl) {
  const previous = (div._labDraw ?? Promise.resolve()).catch(() => {});
  div._labDraw = previous.then(async () => {
    const Plotly = await loadPlotly(plotlyUrl);
    if (div._labFigure !== figure) return; // superseded while waiting
    await Plotly.react(div, figure.data ?? [], { autosize: true, ...(figure.layout ?? {}) }, PLOT_CONFIG);
    div.dataset.plotted = String(Number(div.dataset.plotted ?? 0) + 1);
    div.dispatchEvent(new CustomEvent("lab:plotted", { bubbles: true }));
  });
  div._labFigure = figure;
  return div._labDraw;
}
