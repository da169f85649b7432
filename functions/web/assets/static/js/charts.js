/* Small d3 charts shared by several pages. Each draws into a container (replacing what was
 * there), sizes itself to the container's width, and gives the SVG a text alternative. */
"use strict";

var MMCharts = (function () {
  function width(node, fallback) { return Math.max(260, node.clientWidth || fallback || 600); }

  function svgIn(node, w, h, label) {
    MM.clear(node);
    return d3.select(node).append("svg").attr("class", "chart").attr("viewBox", "0 0 " + w + " " + h)
      .attr("width", w).attr("height", h).attr("role", "img").attr("aria-label", label);
  }

  /* Packed bubbles, one per item ({name, value}); the biggest get their name written inside. */
  function bubbles(node, items, colour, label) {
    var w = width(node, 420), h = Math.min(w, 420);
    var svg = svgIn(node, w, h, label || "Bubble chart");
    var root = d3.hierarchy({ children: items }).sum(function (d) { return Math.max(0, +d.value || 0); });
    d3.pack().size([w, h]).padding(3)(root);
    var tip = MM.tooltip(node);
    var leaf = svg.selectAll("g.bubble").data(root.leaves()).join("g").attr("class", "bubble")
      .attr("transform", function (d) { return "translate(" + d.x + "," + d.y + ")"; });
    leaf.append("circle").attr("r", function (d) { return d.r; }).attr("fill", colour || "#1db954")
      .attr("fill-opacity", function (d, i) { return 0.9 - (i % 5) * 0.12; })
      .attr("tabindex", 0).attr("aria-label", function (d) { return d.data.name + ": " + d.data.value; })
      .on("mouseenter focus", function (event, d) { tip.show([d.data.name, d.data.value + " tracks"], d.x, d.y - d.r); })
      .on("mouseleave blur", tip.hide);
    leaf.filter(function (d) { return d.r > 22; }).append("text").attr("text-anchor", "middle").attr("dy", "0.35em")
      .attr("pointer-events", "none").style("fill", "#fff").style("font-weight", 600)
      .style("font-size", function (d) { return Math.min(14, d.r / 3.2) + "px"; })
      .text(function (d) { var n = d.data.name; var max = Math.floor(d.r / 3.6); return n.length > max ? n.slice(0, Math.max(3, max - 1)) + "…" : n; });
    return svg;
  }

  /* Vertical bars ({label, value, colour}); `compare` (same labels) draws thin reference ticks. */
  function bars(node, items, opts) {
    opts = opts || {};
    var w = width(node, 600), h = opts.height || 300;
    var m = { top: 12, right: 12, bottom: opts.bottom || 70, left: 48 };
    var svg = svgIn(node, w, h, opts.label || "Bar chart");
    var x = d3.scaleBand().domain(items.map(function (d) { return d.label; })).range([m.left, w - m.right]).padding(0.2);
    var max = opts.max || d3.max(items.concat(opts.compare || []), function (d) { return +d.value; }) || 1;
    var y = d3.scaleLinear().domain([0, max]).nice().range([h - m.bottom, m.top]);
    svg.append("g").attr("class", "grid").attr("transform", "translate(" + m.left + ",0)")
      .call(d3.axisLeft(y).ticks(5).tickSize(-(w - m.left - m.right)).tickFormat(""));
    var tip = MM.tooltip(node);
    svg.append("g").selectAll("rect").data(items).join("rect").attr("class", "bar")
      .attr("x", function (d) { return x(d.label); }).attr("width", x.bandwidth())
      .attr("y", function (d) { return y(Math.max(0, +d.value)); })
      .attr("height", function (d) { return Math.abs(y(0) - y(+d.value)); })
      .attr("rx", 3).attr("fill", function (d) { return d.colour || "#1db954"; })
      .attr("tabindex", opts.focusable ? 0 : null)
      .attr("aria-label", function (d) { return d.label + ": " + MM.fmt(d.value); })
      .on("mouseenter focus", function (event, d) { tip.show([d.label, (opts.format || MM.fmt)(d.value)], x(d.label), y(+d.value)); })
      .on("mouseleave blur", tip.hide)
      .on("click keydown", function (event, d) {
        if (!opts.onSelect || (event.type === "keydown" && event.key !== "Enter" && event.key !== " ")) return;
        event.preventDefault();
        opts.onSelect(d);
      })
      .style("cursor", opts.onSelect ? "pointer" : null);
    if (opts.compare) {
      svg.append("g").selectAll("line").data(opts.compare).join("line").attr("class", "ref")
        .attr("x1", function (d) { return x(d.label) - 2; }).attr("x2", function (d) { return x(d.label) + x.bandwidth() + 2; })
        .attr("y1", function (d) { return y(+d.value); }).attr("y2", function (d) { return y(+d.value); })
        .attr("stroke", "#0f1a14").attr("stroke-width", 2).attr("stroke-dasharray", "4 2");
    }
    svg.append("g").attr("transform", "translate(0," + (h - m.bottom) + ")").call(d3.axisBottom(x))
      .selectAll("text").attr("transform", "rotate(-35)").attr("text-anchor", "end").attr("dx", "-0.4em").attr("dy", "0.6em");
    svg.append("g").attr("transform", "translate(" + m.left + ",0)").call(d3.axisLeft(y).ticks(5));
    return svg;
  }

  /* A radar: one polygon per series over the same axes (values expected in 0..1). */
  function radar(node, axes, series, opts) {
    opts = opts || {};
    var w = Math.min(width(node, 480), 520), h = w;
    var svg = svgIn(node, w, h, opts.label || "Radar chart");
    var r = w / 2 - 70, cx = w / 2, cy = h / 2;
    var angle = function (i) { return (Math.PI * 2 * i) / axes.length - Math.PI / 2; };
    var rs = d3.scaleLinear().domain([0, opts.max || 1]).range([0, r]);
    var g = svg.append("g").attr("transform", "translate(" + cx + "," + cy + ")");
    [0.2, 0.4, 0.6, 0.8, 1].forEach(function (t) {
      g.append("polygon").attr("class", "ring").attr("fill", "none").attr("stroke", "#dfe5e2")
        .attr("points", axes.map(function (a, i) { return [Math.cos(angle(i)) * r * t, Math.sin(angle(i)) * r * t].join(","); }).join(" "));
    });
    axes.forEach(function (a, i) {
      g.append("line").attr("x1", 0).attr("y1", 0).attr("x2", Math.cos(angle(i)) * r).attr("y2", Math.sin(angle(i)) * r).attr("stroke", "#dfe5e2");
      var lx = Math.cos(angle(i)) * (r + 14), ly = Math.sin(angle(i)) * (r + 14);
      g.append("text").attr("x", lx).attr("y", ly).attr("dy", "0.35em")
        .attr("text-anchor", Math.abs(lx) < 1 ? "middle" : lx > 0 ? "start" : "end").text(MM.label(a));
    });
    series.forEach(function (s) {
      var pts = axes.map(function (a, i) { var v = Math.max(0, Math.min(opts.max || 1, +s.values[a] || 0)); return [Math.cos(angle(i)) * rs(v), Math.sin(angle(i)) * rs(v)]; });
      g.append("polygon").attr("class", "series").attr("data-series", s.name)
        .attr("points", pts.map(function (p) { return p.join(","); }).join(" "))
        .attr("fill", s.colour).attr("fill-opacity", 0.22).attr("stroke", s.colour).attr("stroke-width", 2.5);
      g.append("g").selectAll("circle").data(pts).join("circle").attr("class", "vertex").attr("r", 3.5)
        .attr("cx", function (p) { return p[0]; }).attr("cy", function (p) { return p[1]; }).attr("fill", s.colour);
    });
    return svg;
  }

  return { bubbles: bubbles, bars: bars, radar: radar, svgIn: svgIn, width: width };
})();
