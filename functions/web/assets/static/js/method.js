/* The elbow curve from /api/v3/elbow and the nearest-to-centroid table from /api/v3/clusters. */
"use strict";

(function () {
  var elbowBox = MM.$("#elbow");
  var points = [];

  function drawElbow() {
    var w = MMCharts.width(elbowBox, 520), h = Math.max(260, Math.min(360, w * 0.66));
    var m = { top: 16, right: 20, bottom: 44, left: 64 };
    var svg = MMCharts.svgIn(elbowBox, w, h, "Elbow curve: inertia for k = " + points[0].k + " to " + points[points.length - 1].k);
    var x = d3.scaleLinear().domain(d3.extent(points, function (d) { return d.k; })).range([m.left, w - m.right]);
    var y = d3.scaleLinear().domain([0, d3.max(points, function (d) { return d.inertia; })]).nice().range([h - m.bottom, m.top]);
    svg.append("g").attr("class", "grid").attr("transform", "translate(" + m.left + ",0)").call(d3.axisLeft(y).ticks(5).tickSize(-(w - m.left - m.right)).tickFormat(""));
    svg.append("g").attr("transform", "translate(0," + (h - m.bottom) + ")").call(d3.axisBottom(x).ticks(points.length).tickFormat(d3.format("d")));
    svg.append("g").attr("transform", "translate(" + m.left + ",0)").call(d3.axisLeft(y).ticks(5).tickFormat(MM.tickFormat(y)));
    svg.append("text").attr("class", "axis-label").attr("x", (m.left + w - m.right) / 2).attr("y", h - 8).attr("text-anchor", "middle").text("Number of clusters k");
    svg.append("text").attr("class", "axis-label").attr("transform", "rotate(-90)").attr("x", -(m.top + h - m.bottom) / 2).attr("y", 14).attr("text-anchor", "middle").text("Inertia");
    svg.append("path").datum(points).attr("fill", "none").attr("stroke", "#1db954").attr("stroke-width", 2.5)
      .attr("d", d3.line().x(function (d) { return x(d.k); }).y(function (d) { return y(d.inertia); }));
    var tip = MM.tooltip(elbowBox);
    svg.append("g").selectAll("circle").data(points).join("circle").attr("class", "elbow-point")
      .attr("cx", function (d) { return x(d.k); }).attr("cy", function (d) { return y(d.inertia); })
      .attr("r", function (d) { return d.k === 10 ? 7 : 5; }).attr("fill", function (d) { return d.k === 10 ? "#e4572e" : "#0f1a14"; })
      .attr("tabindex", 0).attr("aria-label", function (d) { return "k = " + d.k + ": inertia " + MM.fmt(d.inertia, 1); })
      .on("mouseenter focus", function (event, d) { tip.show(["k = " + d.k, "inertia " + MM.fmt(d.inertia, 1)], x(d.k), y(d.inertia)); })
      .on("mouseleave blur", tip.hide);
  }

  /* The elbow may come as [{k, inertia}], or as {k: [...], inertia: [...]}. */
  function parseElbow(body) {
    if (body && Array.isArray(body.k) && Array.isArray(body.inertia)) return body.k.map(function (k, i) { return { k: +k, inertia: +body.inertia[i] }; });
    return MM.list(body).map(function (d) { return { k: +d.k, inertia: +(d.inertia !== undefined ? d.inertia : d.sse) }; });
  }

  MM.loading(elbowBox, "Loading the elbow curve…");
  MM.api("api/v3/elbow").then(function (body) {
    points = parseElbow(body).sort(function (a, b) { return a.k - b.k; });
    MM.done(elbowBox);
    if (!points.length) { MM.showError(elbowBox, "No elbow data", "the pipeline recorded no inertia"); return; }
    drawElbow();
    MM.onResize(elbowBox, drawElbow);
  }, function (err) { MM.showError(elbowBox, "Could not load the elbow curve", err); });

  var tableStatus = MM.$("#centroid-status");
  MM.loading(tableStatus, "Loading the clusters…");
  MM.api("api/v3/clusters").then(function (body) {
    MM.clear(tableStatus); MM.done(tableStatus);
    var tbody = MM.$("#centroid-table");
    MM.list(body).slice().sort(function (a, b) { return a.cluster - b.cluster; }).forEach(function (c) {
      var t = MM.list(c.nearest)[0] || {};
      tbody.appendChild(MM.el("tr", null,
        MM.el("td", null, MM.el("span", { class: "cluster-badge", style: "background:" + MM.clusterColour(c.cluster) }, String(c.cluster))),
        MM.el("td", null, c.label || "–"),
        MM.el("td", null, MM.fmt(c.size, 0)),
        MM.el("td", null, t.id ? MM.el("a", { href: "application.html?id=" + encodeURIComponent(t.id) }, t.name) : "–"),
        MM.el("td", null, MM.artists(t.artists).join(", ")),
        MM.el("td", { class: "text-end" }, MM.fmt(t.distance, 3)),
        MM.el("td", { class: "text-end", title: "Distance from this cluster's centre to the original project's cluster of the same number" },
          c.reference_distance === null || c.reference_distance === undefined ? "–" : MM.fmt(c.reference_distance, 2))));
    });
  }, function (err) { MM.showError(tableStatus, "Could not load the clusters", err); });
})();
