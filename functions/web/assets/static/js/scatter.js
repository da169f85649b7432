/* 51 genres on two chosen features (from /api/v1.0/top_51_genres), with Pearson's r and a fit line. */
"use strict";

(function () {
  var KEYS = ["acousticness", "danceability", "duration_ms", "energy", "instrumentalness", "liveness", "loudness", "speechiness", "tempo", "valence", "popularity"];
  var box = MM.$("#scatter"), xs = MM.$("#x-select"), ys = MM.$("#y-select"), rOut = MM.$("#correlation");
  var rows = [];

  function draw() {
    var kx = xs.value, ky = ys.value;
    var w = MMCharts.width(box, 700), h = Math.max(320, Math.min(520, w * 0.62));
    var m = { top: 16, right: 20, bottom: 52, left: 64 };
    var svg = MMCharts.svgIn(box, w, h, "Scatter plot of " + rows.length + " genres: " + MM.label(kx) + " against " + MM.label(ky));
    var pts = rows.filter(function (d) { return d[kx] !== null && d[ky] !== null; });
    var x = d3.scaleLinear().domain(d3.extent(pts, function (d) { return +d[kx]; })).nice().range([m.left, w - m.right]);
    var y = d3.scaleLinear().domain(d3.extent(pts, function (d) { return +d[ky]; })).nice().range([h - m.bottom, m.top]);
    var pop = d3.scaleSequential(d3.interpolateGreens).domain([d3.min(rows, function (d) { return +d.popularity; }) - 10, d3.max(rows, function (d) { return +d.popularity; })]);
    svg.append("g").attr("class", "grid").attr("transform", "translate(0," + (h - m.bottom) + ")").call(d3.axisBottom(x).ticks(6).tickSize(-(h - m.top - m.bottom)).tickFormat(""));
    svg.append("g").attr("class", "grid").attr("transform", "translate(" + m.left + ",0)").call(d3.axisLeft(y).ticks(6).tickSize(-(w - m.left - m.right)).tickFormat(""));
    svg.append("g").attr("transform", "translate(0," + (h - m.bottom) + ")").call(d3.axisBottom(x).ticks(6).tickFormat(MM.tickFormat(x)));
    svg.append("g").attr("transform", "translate(" + m.left + ",0)").call(d3.axisLeft(y).ticks(6).tickFormat(MM.tickFormat(y)));
    svg.append("text").attr("class", "axis-label").attr("x", (m.left + w - m.right) / 2).attr("y", h - 10).attr("text-anchor", "middle").text(MM.label(kx));
    svg.append("text").attr("class", "axis-label").attr("transform", "rotate(-90)").attr("x", -(m.top + h - m.bottom) / 2).attr("y", 16).attr("text-anchor", "middle").text(MM.label(ky));

    var r = MM.pearson(pts.map(function (d) { return d[kx]; }), pts.map(function (d) { return d[ky]; }));
    if (Number.isFinite(r)) {
      var mx = d3.mean(pts, function (d) { return +d[kx]; }), my = d3.mean(pts, function (d) { return +d[ky]; });
      var sx = d3.deviation(pts, function (d) { return +d[kx]; }), sy = d3.deviation(pts, function (d) { return +d[ky]; });
      var slope = r * sy / sx, x0 = x.domain()[0], x1 = x.domain()[1];
      var clampY = function (v) { return Math.max(y.domain()[0], Math.min(y.domain()[1], v)); };
      svg.append("line").attr("class", "fit").attr("x1", x(x0)).attr("x2", x(x1))
        .attr("y1", y(clampY(my + slope * (x0 - mx)))).attr("y2", y(clampY(my + slope * (x1 - mx))))
        .attr("stroke", "#0f1a14").attr("stroke-width", 1.5).attr("stroke-dasharray", "6 4").attr("opacity", 0.6);
    }
    rOut.textContent = "Correlation coefficient: r = " + (Number.isFinite(r) ? r.toFixed(3) : "–");
    rOut.title = MM.describeR(r);

    var tip = MM.tooltip(box);
    svg.append("g").attr("class", "points").selectAll("circle").data(pts).join("circle").attr("class", "genre")
      .attr("cx", function (d) { return x(+d[kx]); }).attr("cy", function (d) { return y(+d[ky]); }).attr("r", 7)
      .attr("fill", function (d) { return pop(+d.popularity); }).attr("stroke", "#0f1a14").attr("stroke-width", 0.8)
      .attr("tabindex", 0).attr("aria-label", function (d) { return d.genres + ": " + MM.label(kx) + " " + MM.sig(d[kx]) + ", " + MM.label(ky) + " " + MM.sig(d[ky]); })
      .on("mouseenter focus", function (event, d) {
        d3.select(this).attr("r", 10);
        tip.show([d.genres, MM.label(kx) + ": " + MM.sig(d[kx]), MM.label(ky) + ": " + MM.sig(d[ky]), "Popularity: " + MM.sig(d.popularity)], x(+d[kx]), y(+d[ky]));
      })
      .on("mouseleave blur", function () { d3.select(this).attr("r", 7); tip.hide(); });
  }

  MM.fillSelect(xs, KEYS, "energy");
  MM.fillSelect(ys, KEYS, "loudness");
  MM.loading(box, "Loading 51 genres…");
  MM.api("api/v1.0/top_51_genres").then(function (data) {
    rows = MM.list(data);
    MM.done(box);
    draw();
    xs.addEventListener("change", draw);
    ys.addEventListener("change", draw);
    MM.onResize(box, draw);
  }, function (err) { MM.showError(box, "Could not load the genres", err); });
})();
