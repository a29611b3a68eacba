// The runs explorer's plots, drawn from columns of ALL matching runs (data.json).
// Scatter (WebGL scattergl, colour by a third column, log axes, units on the
// axes), histogram and parallel coordinates. Selecting points in the scatter
// adds the selection's ranges as filters, which reloads the table.
(function () {
  "use strict";
  var section = document.getElementById("plots");
  if (!section || typeof Plotly === "undefined") { return; }
  var status = document.getElementById("plot-status");
  var config = { responsive: true, displaylogo: false };

  function label(data, key) { return (data.labels && data.labels[key]) || key; }

  function numbers(values) {
    return values.map(function (v) { return typeof v === "number" ? v : (v === null ? null : Number(v)); });
  }

  function drawScatter(data) {
    var x = section.dataset.x, y = section.dataset.y, color = section.dataset.color;
    var marker = { size: 4, opacity: 0.7 };
    if (color && data.columns[color]) {
      marker.color = numbers(data.columns[color]);
      marker.colorscale = "Viridis";
      marker.showscale = true;
      marker.colorbar = { title: { text: label(data, color) } };
    }
    var trace = {
      type: "scattergl", mode: "markers",
      x: numbers(data.columns[x]), y: numbers(data.columns[y]),
      text: data.columns.execution_id, hovertemplate: "%{text}<br>%{x}, %{y}<extra></extra>",
      marker: marker
    };
    var layout = {
      title: { text: data.count + " runs" },
      dragmode: "select", hovermode: "closest",
      xaxis: { title: { text: label(data, x) }, type: section.dataset.logx ? "log" : "linear" },
      yaxis: { title: { text: label(data, y) }, type: section.dataset.logy ? "log" : "linear" },
      margin: { t: 40 }
    };
    var element = document.getElementById("scatter");
    return Plotly.newPlot(element, [trace], layout, config).then(function () {
      element.dataset.points = String(trace.x.length);
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

  var columns = [section.dataset.x, section.dataset.y, section.dataset.color, section.dataset.hist]
    .concat(section.dataset.parallel.split(",")).filter(Boolean);
  var url = new URL(section.dataset.url, window.location.href);
  columns.forEach(function (key) { url.searchParams.append("col", key); });
  var started = performance.now();
  fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("the data request failed (HTTP " + response.status + ")"); }
      return response.json();
    })
    .then(function (data) {
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
