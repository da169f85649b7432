/* Year against two chosen attributes (from /api/v1.0/data_by_year) on two y axes, with Pearson's r. */
"use strict";

(function () {
  var KEYS = ["acousticness", "danceability", "duration_ms", "energy", "instrumentalness", "liveness", "loudness", "speechiness", "tempo", "valence", "popularity"];
  var box = MM.$("#lines"), left = MM.$("#attr-left"), right = MM.$("#attr-right"), rOut = MM.$("#correlation");
  var rows = [];
  var A = "#e4572e", B = "#2e86de";

  function draw() {
    var ka = left.value, kb = right.value;
    var w = MMCharts.width(box, 800), h = Math.max(300, Math.min(480, w * 0.55));
    var m = { top: 16, right: 64, bottom: 44, left: 64 };
    var svg = MMCharts.svgIn(box, w, h, "Line chart by year of " + MM.label(ka) + " and " + MM.label(kb));
    var x = d3.scaleLinear().domain(d3.extent(rows, function (d) { return +d.year; })).range([m.left, w - m.right]);
    var ya = d3.scaleLinear().domain(d3.extent(rows, function (d) { return +d[ka]; })).nice().range([h - m.bottom, m.top]);
    var yb = d3.scaleLinear().domain(d3.extent(rows, function (d) { return +d[kb]; })).nice().range([h - m.bottom, m.top]);
    svg.append("g").attr("class", "grid").attr("transform", "translate(" + m.left + ",0)").call(d3.axisLeft(ya).ticks(6).tickSize(-(w - m.left - m.right)).tickFormat(""));
    svg.append("g").attr("transform", "translate(0," + (h - m.bottom) + ")").call(d3.axisBottom(x).ticks(Math.min(10, w / 80)).tickFormat(d3.format("d")));
    svg.append("g").attr("transform", "translate(" + m.left + ",0)").call(d3.axisLeft(ya).ticks(6).tickFormat(MM.tickFormat(ya))).selectAll("text").style("fill", A);
    svg.append("g").attr("transform", "translate(" + (w - m.right) + ",0)").call(d3.axisRight(yb).ticks(6).tickFormat(MM.tickFormat(yb))).selectAll("text").style("fill", B);
    svg.append("text").attr("class", "axis-label").attr("x", (m.left + w - m.right) / 2).attr("y", h - 6).attr("text-anchor", "middle").text("Year");
    [[ka, ya, A], [kb, yb, B]].forEach(function (s) {
      var pts = rows.filter(function (d) { return d[s[0]] !== null && d[s[0]] !== undefined; });
      svg.append("path").datum(pts).attr("class", "series").attr("data-key", s[0]).attr("fill", "none").attr("stroke", s[2]).attr("stroke-width", 2.5)
        .attr("d", d3.line().x(function (d) { return x(+d.year); }).y(function (d) { return s[1](+d[s[0]]); }));
    });
    // A focus line follows the pointer (or the arrow keys) and shows both values of that year.
    var tip = MM.tooltip(box);
    var focus = svg.append("line").attr("y1", m.top).attr("y2", h - m.bottom).attr("stroke", "#999").attr("visibility", "hidden");
    var idx = rows.length - 1;
    function showYear(i) {
      idx = Math.max(0, Math.min(rows.length - 1, i));
      var d = rows[idx];
      focus.attr("x1", x(+d.year)).attr("x2", x(+d.year)).attr("visibility", "visible");
      tip.show([String(d.year), MM.label(ka) + ": " + MM.sig(d[ka]), MM.label(kb) + ": " + MM.sig(d[kb])], x(+d.year), m.top + 40);
    }
    svg.append("rect").attr("x", m.left).attr("y", m.top).attr("width", w - m.left - m.right).attr("height", h - m.top - m.bottom)
      .attr("fill", "transparent").attr("tabindex", 0).attr("aria-label", "Chart area: use left and right arrows to read each year")
      .on("mousemove", function (event) {
        var yr = x.invert(d3.pointer(event)[0]);
        showYear(d3.bisector(function (d) { return +d.year; }).center(rows, yr));
      })
      .on("keydown", function (event) {
        if (event.key === "ArrowLeft") { event.preventDefault(); showYear(idx - 1); }
        if (event.key === "ArrowRight") { event.preventDefault(); showYear(idx + 1); }
      })
      .on("focus", function () { showYear(idx); })
      .on("mouseleave blur", function () { focus.attr("visibility", "hidden"); tip.hide(); });
    var r = MM.pearson(rows.map(function (d) { return d[ka]; }), rows.map(function (d) { return d[kb]; }));
    rOut.textContent = "Pearson r = " + (Number.isFinite(r) ? r.toFixed(3) : "–") + " (" + MM.describeR(r) + ")";
  }

  MM.fillSelect(left, KEYS, "acousticness");
  MM.fillSelect(right, KEYS, "energy");
  MM.loading(box, "Loading a hundred years of music…");
  MM.api("api/v1.0/data_by_year").then(function (data) {
    rows = MM.list(data).slice().sort(function (a, b) { return a.year - b.year; });
    MM.done(box);
    draw();
    left.addEventListener("change", draw);
    right.addEventListener("change", draw);
    MM.onResize(box, draw);
  }, function (err) { MM.showError(box, "Could not load the yearly data", err); });
})();
