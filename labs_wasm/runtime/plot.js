// Plotly.js is 4.6 MB: load it only when the first figure node appears, once per page.
// Plotly.react diffs against the previous figure, so updates stay cheap.
let loading = null;

export function loadPlotly(url) {
  if (globalThis.Plotly) return Promise.resolve(globalThis.Plotly);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.async = true;
    script.onload = () => resolve(globalThis.Plotly);
    script.onerror = () => { loading = null; reject(new Error(`Could not load the chart library from ${url}`)); };
    document.head.append(script);
  });
  return loading;
}

const PLOT_CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"] };

/**
 * Draw (or redraw) `figure` into `div`. Draws are serialized per div, so a slow draw
 * never lands on top of a newer one. Dispatches "lab:plotted" on the div after each draw.
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
