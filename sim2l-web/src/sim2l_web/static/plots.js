// The runs explorer's plots, drawn from columns of ALL matching runs (data.ndjson).
// Scatter (WebGL scattergl, colour by a third column, log axes, units on the
// axes), histogram and parallel coordinates. Selecting points in the scatter
// adds the selection's ranges as filters, which reloads the table.
// This file runs before plotly.min.js (see runs.html): the data request
// starts at once and arrives while the browser is still reading plotly.js;
// the drawing waits for both.
(function () {
  "use strict";
  var section = document.getElementById("plots");
  if (!section) { return; }
  var status = document.getElementById("plot-status");
  var config = { responsive: true, displaylogo: false };

  function label(data, key) { return (data.labels && data.labels[key]) || key; }

  function numbers(values) {
    return values.map(function (v) { return typeof v === "number" ? v : (v === null ? null : Number(v)); });
  }

  // Plotly's Viridis (17 evenly spaced stops, as plotly.js defines it).
  var VIRIDIS = ["#440154", "#48186a", "#472d7b", "#424086", "#3b528b", "#33638d", "#2c728e",
    "#26828e", "#21918c", "#1fa088", "#28ae80", "#3fbc73", "#5ec962", "#84d44b", "#addc30",
    "#d8e219", "#fde725"];
  var VIRIDIS_RGB = VIRIDIS.map(function (hex) {
    return [1, 3, 5].map(function (at) { return parseInt(hex.substr(at, 2), 16); });
  });
  var VIRIDIS_SCALE = VIRIDIS.map(function (hex, i) { return [i / (VIRIDIS.length - 1), hex]; });
  var NO_VALUE = [153, 153, 153, 1];

  // The colour of every point as [r, g, b, a], interpolated here on the
  // scale the colour bar shows. Given numbers and a colorscale, plotly.js
  // runs a scale function and parses a colour string per point, which for
  // 100,000 points cost more than drawing them; an [r, g, b, a] per point it
  // takes as it is. The points stay one trace, in the answer's order.
  function pointColours(values) {
    var low = Infinity, high = -Infinity;
    values.forEach(function (v) { if (v !== null && isFinite(v)) { low = Math.min(low, v); high = Math.max(high, v); } });
    if (low > high) { return null; }
    var span = high - low || 1, last = VIRIDIS_RGB.length - 1;
    var colours = values.map(function (v) {
      if (v === null || !isFinite(v)) { return NO_VALUE; }
      var at = (v - low) / span * last, i = Math.min(Math.floor(at), last - 1), mix = at - i;
      var a = VIRIDIS_RGB[i], b = VIRIDIS_RGB[i + 1];
      return [a[0] + (b[0] - a[0]) * mix, a[1] + (b[1] - a[1]) * mix, a[2] + (b[2] - a[2]) * mix, 1];
    });
    return { colours: colours, range: [low, high] };
  }

  function drawScatter(data) {
    var x = section.dataset.x, y = section.dataset.y, color = section.dataset.color;
    var marker = { size: 4, opacity: 0.7 };
    var coloured = color && data.columns[color] ? pointColours(numbers(data.columns[color])) : null;
    if (coloured) { marker.color = coloured.colours; }
    var traces = [{
      type: "scattergl", mode: "markers",
      x: numbers(data.columns[x]), y: numbers(data.columns[y]),
      text: data.columns.execution_id, hovertemplate: "%{text}<br>%{x}, %{y}<extra></extra>",
      marker: marker
    }];
    if (coloured) {  // the colour bar, carried by a trace without a visible point
      traces.push({
        type: "scattergl", mode: "markers", x: [null], y: [null], showlegend: false, hoverinfo: "skip",
        marker: { color: coloured.range, cmin: coloured.range[0], cmax: coloured.range[1],
          colorscale: VIRIDIS_SCALE, showscale: true, colorbar: { title: { text: label(data, color) } } }
      });
    }
    var layout = {
      title: { text: data.count + " runs" },
      dragmode: "select", hovermode: "closest", showlegend: false,
      xaxis: { title: { text: label(data, x) }, type: section.dataset.logx ? "log" : "linear" },
      yaxis: { title: { text: label(data, y) }, type: section.dataset.logy ? "log" : "linear" },
      margin: { t: 40 }
    };
    var element = document.getElementById("scatter");
    return Plotly.newPlot(element, traces, layout, config).then(function () {
      element.dataset.points = String(data.columns[x].length);
      element.on("plotly_selected", function (event) {
        if (!event || !event.points || !event.points.length) { return; }
        var xs = event.points.map(function (p) { return p.x; });
        var ys = event.points.map(function (p) { return p.y; });
        var url = new URL(section.dataset.explorer, window.location.href);
        url.searchParams.delete("cursor");
        [[x, xs], [y, ys]].forEach(function (pair) {
          url.searchParams.append("p", pair[0]);
          url.searchParams.append("op", "between");
          url.searchParams.append("v", Math.min.apply(null, pair[1]) + "," + Math.max.apply(null, pair[1]));
        });
        window.location.assign(url.toString());
      });
      element.on("plotly_click", function (event) {
        if (event && event.points && event.points.length) {
          window.location.assign("/runs/" + encodeURIComponent(event.points[0].text));
        }
      });
    });
  }

  function drawHistogram(data) {
    var key = section.dataset.hist;
    var element = document.getElementById("histogram");
    return Plotly.newPlot(element, [{ type: "histogram", x: numbers(data.columns[key]) }], {
      xaxis: { title: { text: label(data, key) } }, yaxis: { title: { text: "runs" } },
      margin: { t: 20 }
    }, config).then(function () { element.dataset.points = String(data.columns[key].length); });
  }

  function drawParallel(data) {
    var keys = section.dataset.parallel.split(",").filter(Boolean);
    var element = document.getElementById("parallel");
    var dimensions = keys.map(function (key) {
      return { label: label(data, key), values: numbers(data.columns[key]) };
    });
    return Plotly.newPlot(element, [{ type: "parcoords", dimensions: dimensions }], { margin: { t: 40 } }, config)
      .then(function () { element.dataset.points = String(data.count); });
  }

  // data.ndjson, read as it arrives: the dashboard's line (labels, source),
  // the columnar answer's header (column names, units), chunks of columns,
  // and {"count": n} last. Without that last line the answer was cut short
  // and nothing is drawn.
  function readColumns(response) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var data = { columns: {}, labels: {}, count: null, source: "" };
    var pending = "", seen = 0;

    function take(line) {
      if (!line) { return; }
      var message;
      try { message = JSON.parse(line); } catch (error) { throw new Error("the data arrived damaged or cut short"); }
      seen += 1;
      if (seen === 1) { data.labels = message.labels; data.source = message.source; return; }
      if (seen === 2) {
        message.columns.forEach(function (key) { data.columns[key] = []; });
        data.units = message.units;
        return;
      }
      if (message.error) { throw new Error(message.error.message || "the results service failed"); }
      if (message.columns) {
        Object.keys(message.columns).forEach(function (key) {
          var target = data.columns[key], values = message.columns[key];
          for (var i = 0; i < values.length; i += 1) { target.push(values[i]); }
        });
      } else if (typeof message.count === "number") {
        data.count = message.count;
      }
    }

    function pump() {
      return reader.read().then(function (step) {
        if (step.done) {
          take(pending + decoder.decode());
          if (data.count === null) { throw new Error("the data arrived cut short; reload to try again"); }
          return data;
        }
        var lines = (pending + decoder.decode(step.value, { stream: true })).split("\n");
        pending = lines.pop();
        lines.forEach(take);
        return pump();
      });
    }
    return pump();
  }

  var columns = [section.dataset.x, section.dataset.y, section.dataset.color, section.dataset.hist]
    .concat(section.dataset.parallel.split(",")).filter(Boolean);
  var url = new URL(section.dataset.url, window.location.href);
  columns.forEach(function (key) { url.searchParams.append("col", key); });
  var started = performance.now();
  var arriving = fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "application/x-ndjson" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("the data request failed (HTTP " + response.status + ")"); }
      return readColumns(response);
    });
  // plotly.min.js, the next script, has run once the document is parsed.
  var plotlyLoaded = new Promise(function (resolve) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", resolve); } else { resolve(); }
  });
  Promise.all([arriving, plotlyLoaded])
    .then(function (both) {
      var data = both[0];
      if (typeof Plotly === "undefined") { throw new Error("plotly.js did not load"); }
      var drawings = [];
      if (document.getElementById("scatter")) { drawings.push(drawScatter(data)); }
      if (document.getElementById("histogram")) { drawings.push(drawHistogram(data)); }
      if (document.getElementById("parallel")) { drawings.push(drawParallel(data)); }
      return Promise.all(drawings).then(function () {
        status.textContent = data.count + " matching runs plotted (" + data.source + ") in " +
          Math.round(performance.now() - started) + " ms. Drag a box on the scatter to filter the table.";
        section.dataset.ready = "1";
      });
    })
    .catch(function (error) {
      status.textContent = "The plots could not be drawn: " + error.message;
      section.dataset.ready = "error";
    });
})();
