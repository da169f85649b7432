/* API documentation rendered from /api/v3/openapi.json, with a "try it" form per operation that
 * calls the live route and shows its answer. */
"use strict";

(function () {
  var docs = MM.$("#api-docs");
  var seq = 0;

  function relative(path) { return path.replace(/^\/+/, ""); }

  function exampleOf(p) {
    if (p.example !== undefined) return p.example;
    if (p.schema && p.schema.example !== undefined) return p.schema.example;
    if (p.examples) { var k = Object.keys(p.examples)[0]; if (k) return p.examples[k].value !== undefined ? p.examples[k].value : p.examples[k]; }
    if (p.schema && Array.isArray(p.schema.examples) && p.schema.examples.length) return p.schema.examples[0];
    if (p.schema && p.schema.default !== undefined) return p.schema.default;
    return "";
  }

  /* Fills the path template and query string from the form; every value is percent-encoded. */
  function buildUrl(path, params, form) {
    var url = path, query = [];
    params.forEach(function (p) {
      var v = form.elements[p.name] ? form.elements[p.name].value : "";
      if (p.in === "path") url = url.replace("{" + p.name + "}", p.rest ? v.split("/").map(encodeURIComponent).join("/") : encodeURIComponent(v));
      else if (p.in === "query" && v !== "") query.push(encodeURIComponent(p.name) + "=" + encodeURIComponent(v));
    });
    return relative(url) + (query.length ? "?" + query.join("&") : "");
  }

  /* Parameter values read off the operation's example URL (x-example): the template's {name}
   * segments against the example's segments, and its query string. A last parameter that spans
   * several example segments is a catch-all (static/{path}). */
  function examplesFrom(path, example) {
    var out = {}, rest = {};
    if (!example) return { values: out, rest: rest };
    var parts = example.split("?"), tpl = path.split("/"), seg = parts[0].split("/");
    tpl.forEach(function (t, i) {
      var m = /^\{(.+)\}$/.exec(t);
      if (!m || seg[i] === undefined) return;
      var isLast = i === tpl.length - 1;
      var raw = isLast ? seg.slice(i).join("/") : seg[i];
      if (isLast && seg.length > tpl.length) rest[m[1]] = true;
      try { out[m[1]] = decodeURIComponent(raw); } catch (e) { out[m[1]] = raw; }
    });
    if (parts[1]) new URLSearchParams(parts[1]).forEach(function (v, k) { out[k] = v; });
    return { values: out, rest: rest };
  }

  function operation(path, method, op, common) {
    var params = (common || []).concat(op.parameters || []).filter(function (p) { return p && (p.in === "path" || p.in === "query"); });
    var ex = examplesFrom(path, op["x-example"]);
    params.forEach(function (p) { p.rest = !!ex.rest[p.name]; });
    var id = "op-" + (++seq);
    var form = MM.el("form", { class: "row g-2 align-items-end", "aria-label": "Try " + method.toUpperCase() + " " + path });
    var link = MM.el("a", { class: "try-link text-break", href: "#" });
    var out = MM.el("div", { class: "mt-2", "aria-live": "polite" });
    params.forEach(function (p) {
      var inputId = id + "-" + p.name;
      form.appendChild(MM.el("div", { class: "col-sm-6 col-md-4" },
        MM.el("label", { class: "form-label small mb-1", for: inputId }, p.name + (p.required ? " (required)" : "") + " · " + p.in),
        MM.el("input", { class: "form-control form-control-sm", id: inputId, name: p.name, value: String(ex.values[p.name] !== undefined ? ex.values[p.name] : exampleOf(p)), required: !!p.required, maxlength: 500 })));
    });
    form.appendChild(MM.el("div", { class: "col-auto" }, MM.el("button", { class: "btn btn-sm btn-mm", type: "submit" }, "Send")));
    function refresh() { var u = buildUrl(path, params, form); link.href = u; link.textContent = u; }
    form.addEventListener("input", refresh);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      refresh();
      MM.loading(out, "Calling " + link.textContent + "…");
      fetch(link.getAttribute("href"), { headers: { Accept: "application/json" } }).then(function (r) {
        return r.text().then(function (text) {
          var shown = text;
          try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (err) { shown = text; }
          if (shown.length > 6000) shown = shown.slice(0, 6000) + "\n… (" + text.length + " bytes in all; open the link for everything)";
          MM.clear(out); MM.done(out);
          out.appendChild(MM.el("div", { class: "small mb-1" }, MM.el("span", { class: "badge " + (r.ok ? "text-bg-success" : "text-bg-warning") }, String(r.status)), " ", r.headers.get("content-type") || ""));
          out.appendChild(MM.el("pre", { class: "try-output mb-0", tabindex: 0 }, shown));
        });
      }).catch(function (err) { MM.showError(out, "The call failed", err); });
    });
    refresh();
    var paramList = params.length ? MM.el("ul", { class: "small mb-2" }, params.map(function (p) {
      return MM.el("li", null, MM.el("code", null, p.name), " (" + p.in + (p.schema && p.schema.type ? ", " + p.schema.type : "") + ")" + (p.description ? ": " + p.description : ""));
    })) : null;
    return MM.el("article", { class: "card endpoint mb-3", id: id },
      MM.el("div", { class: "card-body" },
        MM.el("h3", { class: "h6 mb-1" }, MM.el("span", { class: "method-badge text-success me-2" }, method.toUpperCase()), MM.el("code", { class: "path" }, path)),
        op.summary ? MM.el("p", { class: "mb-1" }, op.summary) : null,
        op.description && op.description !== op.summary ? MM.el("p", { class: "small text-muted-2 mb-2" }, op.description) : null,
        paramList,
        MM.el("details", null, MM.el("summary", { class: "small fw-semibold" }, "Try it"),
          MM.el("div", { class: "pt-2" }, form, MM.el("div", { class: "small mt-2" }, "Request: ", link), out))));
  }

  function render(doc) {
    var info = doc.info || {};
    MM.$("#api-info").appendChild(MM.el("p", { class: "mb-0" }, MM.el("strong", null, info.title || "API"), info.version ? " · version " + info.version : "", doc.openapi ? " · OpenAPI " + doc.openapi : ""));
    var groups = {}, order = [];
    Object.keys(doc.paths || {}).forEach(function (path) {
      var item = doc.paths[path];
      ["get", "head", "post", "put", "delete", "patch"].forEach(function (method) {
        var op = item[method];
        if (!op) return;
        var tag = (op.tags && op.tags[0]) || (path.match(/^\/api\/(v[\d.]+)/) || [null, "other"])[1];
        if (!groups[tag]) { groups[tag] = []; order.push(tag); }
        groups[tag].push(operation(path, method, op, item.parameters));
      });
    });
    var toc = MM.$("#api-toc");
    var tocList = MM.el("ul", { class: "nav nav-pills gap-1" });
    toc.appendChild(tocList);
    var tagInfo = {};
    (doc.tags || []).forEach(function (t) { tagInfo[t.name] = t.description; });
    order.forEach(function (tag, i) {
      var anchor = "group-" + i;
      tocList.appendChild(MM.el("li", { class: "nav-item" }, MM.el("a", { class: "nav-link border", href: "#" + anchor }, tag + " (" + groups[tag].length + ")")));
      docs.appendChild(MM.el("section", { id: anchor, class: "mb-4" },
        MM.el("h2", { class: "h4" }, tag), tagInfo[tag] ? MM.el("p", { class: "text-muted-2" }, tagInfo[tag]) : null, groups[tag]));
    });
    if (!order.length) docs.appendChild(MM.el("p", { class: "text-muted-2" }, "The document lists no routes."));
  }

  MM.loading(docs, "Loading the API description…");
  MM.api("api/v3/openapi.json").then(function (doc) { MM.clear(docs); MM.done(docs); render(doc); },
    function (err) { MM.showError(docs, "Could not load the API description", err); });
})();
