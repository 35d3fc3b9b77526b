// The propagation chart: one bar per measured change (oldest left), its height the
// seconds from the upstream change to the product's write; a dashed line at the median.
const SVG = "http://www.w3.org/2000/svg";

function node(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

export function seconds(value) {
  if (value === null || value === undefined) return "–";
  return value < 10 ? `${value.toFixed(1)} s` : `${Math.round(value)} s`;
}

export function propagationChart(propagation) {
  const samples = propagation.samples || [];
  const width = 320, height = 140, left = 34, bottom = 18, top = 8;
  const top_value = Math.max(1, ...samples.map((s) => s.seconds));
  const scale = (value) => (height - bottom) - ((height - bottom - top) * value) / top_value;
  const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Propagation times of the last ${samples.length} changes: median ` +
      `${seconds(propagation.medianSeconds)}, longest ${seconds(propagation.maxSeconds)}.` });
  svg.append(node("line", { class: "axis", x1: left, y1: height - bottom, x2: width,
                            y2: height - bottom }));
  svg.append(node("line", { class: "axis", x1: left, y1: top, x2: left, y2: height - bottom }));
  svg.append(node("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, seconds(top_value)));
  svg.append(node("text", { x: left - 4, y: height - bottom, "text-anchor": "end" }, "0"));
  const step = (width - left - 4) / Math.max(samples.length, 1);
  samples.forEach((sample, index) => {
    const y = scale(sample.seconds);
    const bar = node("rect", { class: "bar", x: left + 2 + index * step, y,
      width: Math.max(1, step - 2), height: Math.max(1, height - bottom - y) });
    bar.append(node("title", {}, `${sample.side === "calendar" ? "Calendar" : "Salesforce"}` +
      ` change: ${seconds(sample.seconds)}`));
    svg.append(bar);
  });
  if (propagation.medianSeconds !== null && samples.length) {
    const y = scale(propagation.medianSeconds);
    svg.append(node("line", { class: "median", x1: left, y1: y, x2: width, y2: y }));
    svg.append(node("text", { x: width - 2, y: y - 3, "text-anchor": "end" },
                    `median ${seconds(propagation.medianSeconds)}`));
  }
  svg.append(node("text", { x: left + 2, y: height - 4 }, "older"));
  svg.append(node("text", { x: width - 2, y: height - 4, "text-anchor": "end" }, "newer"));
  return svg;
}
