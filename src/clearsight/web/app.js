// Clearsight analyst workspace: plain JavaScript over the REST API (/api/v1).
// Everything shown is built with DOM nodes and textContent, never from HTML strings.
"use strict";

const API = "/api/v1";
const state = { token: null, me: null, purpose: null, graph: null, lastProfile: null };

// ---------------------------------------------------------------- helpers
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k === "style") {
      // through the CSSOM: the content security policy allows no inline style attributes
      for (const decl of String(v).split(";")) {
        const at = decl.indexOf(":");
        if (at > 0) node.style.setProperty(decl.slice(0, at).trim(), decl.slice(at + 1).trim());
      }
    }
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c) node.append(c);
  return node;
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

const TIERS = ["OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"];
function tierOf(label) {
  let best = 0;
  TIERS.forEach((t, i) => { if ((label || "").startsWith(t)) best = i; });
  return best;
}

function marking(label) {
  const text = label || "OFFICIAL";
  const t = tierOf(text);
  const cls = t >= 2 ? "marking secret" : (t === 1 ? "marking sensitive" : "marking");
  return el("div", { class: cls, role: "note", "aria-label": "Security marking " + text, text });
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
  box.focus && box.setAttribute("tabindex", "-1");
}

function hideError() { $("error").hidden = true; }

function problemText(p, status) {
  if (!p || typeof p !== "object") return "The request failed (HTTP " + status + ").";
  let text = (p.title ? p.title + ": " : "") + (p.detail || "the request failed");
  if (Array.isArray(p.problems) && p.problems.length) {
    text += "\n" + p.problems.slice(0, 8).map((x) => " - " + [x.field, x.message].filter(Boolean).join(": ")).join("\n");
  }
  return text;
}

class ApiError extends Error {
  constructor(status, problem) { super(problemText(problem, status)); this.status = status; this.problem = problem; }
}

async function api(path, { method = "GET", body = null, raw = false, purpose = state.purpose } = {}) {
  const headers = { "Accept": "application/json, application/problem+json, application/geo+json" };
  if (state.token) headers["Authorization"] = "Bearer " + state.token;
  if (purpose) headers["X-Clearsight-Purpose"] = encodeURIComponent(purpose);
  if (body !== null) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(API + path, { method, headers, body: body === null ? null : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { title: "No connection", detail: "the Clearsight server could not be reached" });
  }
  if (!res.ok) {
    let problem = null;
    try { problem = await res.json(); } catch (e) { problem = null; }
    const err = new ApiError(res.status, problem);
    if (res.status === 401) signOut("Your sign-in was refused: " + (problem && problem.detail || "sign in again") + ".");
    throw err;
  }
  return raw ? res : res.json();
}

// Run an action, showing any failure in words.
async function attempt(fn) {
  hideError();
  try { await fn(); } catch (e) { showError(e instanceof ApiError ? e.message : "Something went wrong: " + e.message); }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") continue;
    (Array.isArray(v) ? v : [v]).forEach((x) => q.append(k, x));
  }
  const s = q.toString();
  return s ? "?" + s : "";
}

// ---------------------------------------------------------------- session
function signOut(message) {
  state.token = null; state.me = null; state.purpose = null;
  sessionStorage.removeItem("clearsight.token");
  sessionStorage.removeItem("clearsight.purpose");
  $("who").hidden = true; $("purpose-bar").hidden = true; $("tabs").hidden = true;
  document.querySelectorAll(".view").forEach((v) => { v.hidden = true; });
  $("purpose").hidden = true; $("signin").hidden = false;
  $("token").value = "";
  if (message) showError(message); else hideError();
  $("token").focus();
}

async function signIn(token) {
  state.token = token;
  const me = await api("/me", { purpose: null });
  state.me = me;
  sessionStorage.setItem("clearsight.token", token);
  $("who-user").textContent = me.user;
  $("who-roles").textContent = "(" + me.roles.join(", ") + "; " + me.clearance + ")";
  $("who").hidden = false;
  $("signin").hidden = true;
  $("tab-audit").hidden = !me.roles.some((r) => r === "auditor" || r === "dpo");
  askPurpose();
}

function askPurpose() {
  document.querySelectorAll(".view").forEach((v) => { v.hidden = true; });
  $("tabs").hidden = true;
  $("purpose").hidden = false;
  $("case-ref").focus();
}

async function declarePurpose(text) {
  const me = await api("/me", { purpose: text });
  state.purpose = me.purpose.text;
  sessionStorage.setItem("clearsight.purpose", state.purpose);
  $("purpose-text").textContent = state.purpose;
  $("purpose-bar").hidden = false;
  $("purpose").hidden = true;
  $("tabs").hidden = false;
  show("search");
  $("q").focus();
}

function show(view) {
  document.querySelectorAll(".view").forEach((v) => { v.hidden = v.id !== "view-" + view; });
  document.querySelectorAll(".tabs button").forEach((b) => {
    if (b.dataset.view === view) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
  });
  if (view === "review") attempt(loadReview);
}

// ---------------------------------------------------------------- search and profile
async function runSearch(q) {
  const res = await api("/search" + query({ q, limit: 25 }));
  const out = clear($("search-results"));
  out.append(marking(res.marking));
  out.append(el("p", { class: "muted", text: res.total + " found" + (res.total > res.hits.length ? ", showing " + res.hits.length : "") + ". " + (res.limits || "") }));
  const list = el("ul", { class: "hits", "aria-label": "Search results" });
  for (const h of res.hits) {
    const why = h.reasons.slice(0, 3).map((r) => r.label + " " + r.match + " (" + r.term + ")").join("; ");
    list.append(el("li", { class: "hit" },
      el("div", { class: "title" },
        el("button", { type: "button", class: "link", onclick: () => attempt(() => openProfile(h.id)) }, h.caption || h.id),
        " ", el("span", { class: "tag", text: h.schema }), " ", el("span", { class: "tag", text: h.marking })),
      el("div", { class: "why", text: "Matched: " + why }),
      el("div", { class: "why", text: "Sources: " + h.sources.join(", ") + " \u00b7 score " + h.score.toFixed(2) + " \u00b7 id " + h.id })));
  }
  if (!res.hits.length) list.append(el("li", { class: "muted", text: "Nothing you may see matches." }));
  out.append(list, marking(res.marking));
}

function table(headers, rows) {
  return el("table", {},
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))));
}

function kindTag(kind) { return el("span", { class: "tag " + (kind || ""), text: kind || "" }); }

async function openProfile(id) {
  const p = await api("/entities/" + encodeURIComponent(id));
  state.lastProfile = p;
  const body = clear($("profile-body"));
  body.append(marking(p.marking),
    el("h2", { id: "profile-title" }, p.caption + " ", el("span", { class: "tag", text: p.schema })),
    el("p", { class: "muted", text: "Entity " + p.id + " \u00b7 " + p.members.length + " source record(s)" }),
    el("div", { class: "actions" },
      el("button", { type: "button", onclick: () => attempt(() => expandNetwork(p.id, true)) }, "Expand network"),
      el("button", { type: "button", class: "secondary", onclick: () => { $("path-from").value = p.id; show("path"); $("path-to").focus(); } }, "Find a path from here")));
  body.append(el("h3", { text: "Values" }), table(["Property", "Value", "Source", "Fact / assessment", "Marking"],
    p.values.map((v) => [v.label, v.value, v.source + ":" + v.record_key, kindTag(v.kind), v.marking])));
  body.append(el("h3", { text: "Links" }), table(["Link", "Other", "Category / grading", "Dates", "Source", "Fact / assessment", "Marking"],
    p.links.map((lk) => [
      lk.label + " (" + lk.direction + ")",
      el("button", { type: "button", class: "link", onclick: () => attempt(() => openProfile(lk.other_id)) }, lk.other_caption + " [" + lk.other_schema + "]"),
      lk.category || (lk.grading ? ["sourceEvaluation", "intelligenceAssessment", "handlingCode"].map((g) => lk.grading[g] || "?").join("") : ""),
      [lk.valid_from, lk.valid_to].filter(Boolean).join(" to "),
      lk.source + ":" + lk.record_key, kindTag(lk.kind), lk.marking])));
  body.append(el("h3", { text: "Timeline" }), p.timeline.length
    ? table(["Date", "Event", "Via", "Category"], p.timeline.map((e) => [e.date, e.caption + " [" + e.schema + "]", e.via, e.category || ""]))
    : el("p", { class: "muted", text: "No dated events." }));
  body.append(marking(p.marking));
  show("profile");
  $("profile-title").setAttribute("tabindex", "-1");
  $("profile-title").focus();
}

// ---------------------------------------------------------------- network
const COLOURS = { Person: "#0b5cad", Crime: "#a4161a", Vehicle: "#2b6a3f", Phone: "#6a3d9a", Address: "#8a4b00",
                  Organisation: "#00787a", IntelligenceReport: "#5b6470" };
const colour = (schema) => COLOURS[schema] || "#7a869a";

async function expandNetwork(id, fresh) {
  const res = await api("/entities/" + encodeURIComponent(id) + "/neighbours" + query({ hops: 1 }));
  if (fresh || !state.graph) state.graph = { nodes: new Map(), edges: new Map(), markings: new Set(), selected: null };
  const g = state.graph;
  const origin = g.nodes.get(id) || g.nodes.get(res.nodes.length ? res.nodes[0].id : id);
  for (const n of res.cytoscape.elements.nodes) {
    if (!g.nodes.has(n.data.id)) {
      const jitter = () => (Math.random() - 0.5) * 60;
      g.nodes.set(n.data.id, { id: n.data.id, label: n.data.label, schema: n.data.schema,
        x: origin ? origin.x + jitter() : jitter(), y: origin ? origin.y + jitter() : jitter() });
    }
  }
  for (const e of res.cytoscape.elements.edges) {
    const key = [e.data.source, e.data.target].sort().join("|");
    g.edges.set(key, { key, source: e.data.source, target: e.data.target, label: e.data.label, links: e.data.links });
  }
  g.markings.add(res.cytoscape.data.marking);
  layout(g, fresh ? 400 : 250);
  drawNetwork();
  show("network");
}

// A small force-directed layout: springs on edges, repulsion between nodes, gravity to the centre.
function layout(g, rounds) {
  const nodes = [...g.nodes.values()];
  const n = nodes.length;
  if (n === 1) { nodes[0].x = 0; nodes[0].y = 0; return; }
  nodes.forEach((p, i) => {
    if (!isFinite(p.x) || !isFinite(p.y)) { p.x = Math.cos(i) * 100; p.y = Math.sin(i) * 100; }
  });
  const edges = [...g.edges.values()].map((e) => [g.nodes.get(e.source), g.nodes.get(e.target)]).filter(([a, b]) => a && b);
  const ideal = 90;
  for (let r = 0; r < rounds; r++) {
    const heat = 10 * (1 - r / rounds) + 0.5;
    const fx = new Map(nodes.map((p) => [p, [0, 0]]));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const a = nodes[i], b = nodes[j];
        let dx = a.x - b.x, dy = a.y - b.y;
        let d2 = dx * dx + dy * dy;
        if (d2 < 0.01) { dx = Math.random() - 0.5; dy = Math.random() - 0.5; d2 = 0.5; }
        const f = (ideal * ideal) / d2;
        fx.get(a)[0] += dx * f * 0.05; fx.get(a)[1] += dy * f * 0.05;
        fx.get(b)[0] -= dx * f * 0.05; fx.get(b)[1] -= dy * f * 0.05;
      }
    }
    for (const [a, b] of edges) {
      const dx = b.x - a.x, dy = b.y - a.y;
      const d = Math.sqrt(dx * dx + dy * dy) || 1;
      const f = (d - ideal) / d * 0.1;
      fx.get(a)[0] += dx * f; fx.get(a)[1] += dy * f;
      fx.get(b)[0] -= dx * f; fx.get(b)[1] -= dy * f;
    }
    for (const p of nodes) {
      const [vx, vy] = fx.get(p);
      const gx = -p.x * 0.01, gy = -p.y * 0.01;
      const mx = vx + gx, my = vy + gy;
      const m = Math.sqrt(mx * mx + my * my) || 1;
      const step = Math.min(m, heat);
      p.x += mx / m * step; p.y += my / m * step;
    }
  }
}

function drawNetwork() {
  const g = state.graph;
  const body = clear($("network-body"));
  const labels = [...g.markings].sort((a, b) => tierOf(b) - tierOf(a));
  const top = labels[0] || "OFFICIAL";
  body.append(marking(top));
  if (labels.length > 1) body.append(el("p", { class: "muted", text: "This chart combines results marked: " + labels.join("; ") + ". Handle it at the highest." }));
  const nodes = [...g.nodes.values()];
  const xs = nodes.map((p) => p.x), ys = nodes.map((p) => p.y);
  const pad = 60;
  const minX = Math.min(...xs) - pad, maxX = Math.max(...xs) + pad, minY = Math.min(...ys) - pad, maxY = Math.max(...ys) + pad;
  const picture = svg("svg", { viewBox: [minX, minY, Math.max(maxX - minX, 200), Math.max(maxY - minY, 200)].join(" "),
    role: "group", "aria-label": "Network of " + nodes.length + " entities and " + g.edges.size + " connections" });
  const side = el("div", { class: "side", id: "network-side", "aria-live": "polite" });
  for (const e of g.edges.values()) {
    const a = g.nodes.get(e.source), b = g.nodes.get(e.target);
    if (!a || !b) continue;
    const line = svg("line", { class: "edge" + (g.selected === e.key ? " selected" : ""), x1: a.x, y1: a.y, x2: b.x, y2: b.y,
      onclick: () => { g.selected = e.key; drawNetwork(); } }, svg("title", { text: e.label }));
    picture.append(line);
  }
  for (const p of nodes) {
    const select = () => { g.selected = p.id; drawNetwork(); const again = document.querySelector('[data-node="' + CSS.escape(p.id) + '"]'); if (again) again.focus(); };
    const node = svg("g", { class: "node" + (g.selected === p.id ? " selected" : ""), tabindex: "0", role: "button", "data-node": p.id,
      "aria-label": p.label + ", " + p.schema, transform: "translate(" + p.x + "," + p.y + ")",
      onclick: select,
      onkeydown: (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); select(); } } },
      svg("circle", { r: 11, fill: colour(p.schema) }),
      svg("text", { x: 14, y: 4, text: p.label }));
    picture.append(node);
  }
  const legend = el("div", { class: "legend", "aria-label": "Colours" },
    [...new Set(nodes.map((p) => p.schema))].sort().map((s) => el("span", { style: "--swatch:" + colour(s), text: s })));
  body.append(legend, el("div", { class: "graph" }, picture, side), marking(top));
  fillSide(side);
}

function fillSide(side) {
  const g = state.graph;
  if (!g.selected) { side.append(el("p", { class: "muted", text: "Select an entity or a connection to see it here." })); return; }
  if (g.nodes.has(g.selected)) {
    const p = g.nodes.get(g.selected);
    side.append(el("h3", { text: p.label }), el("p", { class: "muted", text: p.schema + " \u00b7 " + p.id }),
      el("div", { class: "actions" },
        el("button", { type: "button", onclick: () => attempt(() => expandNetwork(p.id, false)) }, "Expand from here"),
        el("button", { type: "button", class: "secondary", onclick: () => attempt(() => openProfile(p.id)) }, "Open profile")));
    const links = [...g.edges.values()].filter((e) => e.source === p.id || e.target === p.id);
    const other = (e) => (g.nodes.get(e.source === p.id ? e.target : e.source) || { label: "?" }).label;
    side.append(el("p", { text: links.length + " connection(s) shown; choose one for its evidence:" }),
      el("ul", { class: "evidence" }, links.map((e) => el("li", {},
        el("button", { type: "button", class: "link", onclick: () => { g.selected = e.key; drawNetwork(); } }, other(e) + " (" + e.label + ")")))));
    return;
  }
  const e = g.edges.get(g.selected);
  if (!e) return;
  const name = (id) => (g.nodes.get(id) || { label: id }).label;
  side.append(el("h3", { text: name(e.source) + " \u2013 " + name(e.target) }), evidenceList(e.links));
}

function evidenceList(links) {
  return el("ul", { class: "evidence" }, links.map((lk) => el("li", {},
    [lk.schema, lk.category || gradeText(lk.grading)].filter(Boolean).join(" "),
    lk.source || lk.record_key ? " \u00b7 " + [lk.source, lk.record_key].filter(Boolean).join(":") : "",
    lk.valid_from ? " \u00b7 from " + lk.valid_from : "", lk.valid_to ? " to " + lk.valid_to : "",
    " \u00b7 ", lk.marking || "")));
}

function gradeText(grading) {
  if (!grading) return "";
  return ["sourceEvaluation", "intelligenceAssessment", "handlingCode"].map((g) => grading[g] || "").join("");
}

// ---------------------------------------------------------------- paths
async function findPaths(from, to, k) {
  const res = await api("/paths" + query({ from, to, k }));
  const out = clear($("path-results"));
  out.append(marking(res.marking));
  if (!res.paths.length) out.append(el("p", { text: "No path through links you may see." }));
  res.paths.forEach((p, i) => {
    const names = Object.fromEntries(p.node_details.map((d) => [d.id, d.caption]));
    out.append(el("div", { class: "path" },
      el("h3", { text: "Path " + (i + 1) + " (" + p.length + " link" + (p.length === 1 ? "" : "s") + "): " + p.nodes.map((x) => names[x] || x).join(" \u2013 ") }),
      el("ol", {}, p.steps.map((s) => el("li", {},
        el("strong", { text: (names[s.from] || s.from) + " \u2192 " + (names[s.to] || s.to) }),
        evidenceList(s.evidence))))));
  });
  out.append(marking(res.marking));
}

// ---------------------------------------------------------------- hotspots
async function mapHotspots(month, type, cell) {
  const layer = await api("/hotspots" + query({ month, crime_type: type, cell }));
  const out = clear($("hotspots-body"));
  out.append(marking(layer.marking));
  const feats = layer.features || [];
  if (!feats.length) { out.append(el("p", { text: "No cells to show." })); return; }
  let lonMin = Infinity, lonMax = -Infinity, latMin = Infinity, latMax = -Infinity;
  for (const f of feats) for (const [lon, lat] of f.geometry.coordinates[0]) {
    lonMin = Math.min(lonMin, lon); lonMax = Math.max(lonMax, lon); latMin = Math.min(latMin, lat); latMax = Math.max(latMax, lat);
  }
  const k = Math.cos(((latMin + latMax) / 2) * Math.PI / 180);
  const width = 900, scale = width / ((lonMax - lonMin) * k || 1), height = Math.max(200, (latMax - latMin) * scale);
  const px = (lon) => (lon - lonMin) * k * scale, py = (lat) => (latMax - lat) * scale;
  const maxCount = Math.max(1, ...feats.map((f) => f.properties.count || 0));
  const fill = (p) => {
    if (p.category === "hot") return "#c0392b";
    if (p.category === "cold") return "#2e6fb7";
    const t = Math.log1p(p.count || 0) / Math.log1p(maxCount);
    const v = Math.round(240 - t * 150);
    return "rgb(" + v + "," + v + "," + v + ")";
  };
  const picture = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
    "aria-label": "Hotspot map: " + (layer.figures ? layer.figures.hot_cells + " hot and " + layer.figures.cold_cells + " cold cells" : feats.length + " cells") });
  for (const f of feats) {
    const d = "M" + f.geometry.coordinates[0].map(([lon, lat]) => px(lon).toFixed(1) + "," + py(lat).toFixed(1)).join("L") + "Z";
    const p = f.properties;
    picture.append(svg("path", { class: "cell", d, fill: fill(p) },
      svg("title", { text: (p.category || "") + ": " + p.count + " events, Gi* z " + (p.gi_z === null || p.gi_z === undefined ? "n/a" : Number(p.gi_z).toFixed(2)) })));
  }
  const fig = layer.figures || {};
  out.append(el("p", {}, el("span", { class: "keybox", style: "background:#c0392b" }), "hot spot ",
    el("span", { class: "keybox", style: "background:#2e6fb7" }), "cold spot ",
    el("span", { class: "keybox", style: "background:#777" }), "other cells, darker = more events"),
  el("div", { class: "map" }, picture),
  el("p", { text: (fig.events || 0) + " events in " + (fig.cells || feats.length) + " cells; " + (fig.hot_cells || 0) + " hot, " + (fig.cold_cells || 0) + " cold." }));
  const ex = layer.explanation || {};
  if (ex.method) out.append(el("p", { class: "muted", text: "Method: " + ex.method }));
  if (Array.isArray(ex.limits) && ex.limits.length) out.append(el("h3", { text: "Limits" }), el("ul", {}, ex.limits.map((l) => el("li", { text: l }))));
  out.append(marking(layer.marking));
}

// ---------------------------------------------------------------- review queue
function short(values) {
  return ["forename", "surname", "name", "birthDate", "postcode"].map((p) => (values[p] || []).join(", ")).filter(Boolean).join(" | ");
}

async function loadReview() {
  const items = await api("/review" + query({ limit: 50 }));
  const out = clear($("review-body"));
  if (!items.length) { out.append(el("p", { text: "No pairs are waiting for a decision." })); return; }
  const top = items.map((i) => i.marking).sort((a, b) => tierOf(b) - tierOf(a))[0];
  out.append(marking(top));
  out.append(table(["Pair", "Probability", "Left", "Right", "Marking", ""], items.map((i) => [
    i.pair.slice(0, 12), i.probability.toFixed(3), short(i.left), short(i.right), i.marking,
    el("button", { type: "button", class: "secondary", onclick: () => attempt(() => showPair(i.pair)) }, "Review")])),
  marking(top));
}

async function showPair(pair) {
  const item = await api("/review/" + encodeURIComponent(pair));
  const out = clear($("review-body"));
  const props = [...new Set([...Object.keys(item.left), ...Object.keys(item.right)])].sort();
  out.append(marking(item.marking), el("h3", { text: "Pair " + item.pair + " \u00b7 probability " + item.probability.toFixed(4) + " \u00b7 " + item.status }),
    table(["Property", item.left_id.slice(0, 12), item.right_id.slice(0, 12)], props.map((p) => [p, (item.left[p] || []).join(", "), (item.right[p] || []).join(", ")])),
    el("h3", { text: "What each comparison contributed (match weight)" }),
    table(["Comparison", "Level", "Weight"], item.waterfall.map(([n, l, w]) => [n, l, (w >= 0 ? "+" : "") + w.toFixed(2)])),
    el("p", { class: "muted", text: item.note }));
  const reason = el("textarea", { id: "decision-reason", required: true });
  const form = el("form", { onsubmit: (ev) => { ev.preventDefault(); attempt(() => decide(item.pair, ev.submitter ? ev.submitter.value : "same", reason.value)); } },
    el("label", { for: "decision-reason", text: "Reason (stored and audited)" }), reason,
    el("div", { class: "actions" },
      el("button", { type: "submit", value: "same" }, "Same person"),
      el("button", { type: "submit", value: "not_same", class: "secondary" }, "Not the same"),
      el("button", { type: "button", class: "link", onclick: () => attempt(loadReview) }, "Back to the queue")));
  out.append(form, marking(item.marking));
}

async function decide(pair, judgement, reason) {
  const d = await api("/review/decisions", { method: "POST", body: { judgement, pair, reason } });
  await loadReview();
  $("review-body").prepend(el("p", { role: "status", text: "Recorded judgement " + d.judgement_id + " (" + d.judgement + "): " + d.changes.length + " cluster change(s)." }));
}

// ---------------------------------------------------------------- audit
async function loadAudit(by, operation) {
  const entries = await api("/audit/log" + query({ by, operation, limit: 100 }));
  const out = clear($("audit-body"));
  out.append(el("p", { class: "muted", text: entries.length + " entries, newest first. Reading the log is itself logged." }));
  out.append(table(["#", "At (UTC)", "Operation", "Action", "User", "Purpose", "Outcome", "Records"], entries.map((e) => {
    const s = e.subjects;
    const n = Array.isArray(s) ? s.length : ((s && s.count) || 0);
    const why = e.outcome === "ok" ? "" : (e.details && e.details.reason) || "";
    return [String(e.seq), e.at, e.operation, e.action, e.user, e.purpose || "(none)", e.outcome + (why ? ": " + why : ""), String(n)];
  })));
}

async function verifyAudit() {
  const r = await api("/audit/verify");
  const out = $("audit-body");
  out.prepend(el("p", { role: "status", class: r.ok ? "" : "error",
    text: r.ok ? "Verified: " + r.entries + " entries, root " + r.root_hash + "." : "Verification FAILED; first bad entry " + r.first_bad_entry + ": " + (r.problems || []).slice(0, 3).join("; ") }));
}

// ---------------------------------------------------------------- wiring
function composePurpose(form) {
  const kind = form.querySelector("input[name=kind]:checked").value;
  const text = $("purpose-free").value.trim();
  if (kind === "case") {
    const ref = $("case-ref").value.trim();
    if (!ref) throw new ApiError(400, { title: "A purpose is required", detail: "give the case reference" });
    return "case:" + ref + (text ? " " + text : "");
  }
  return $("purpose-code-select").value + ": " + text;
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", (ev) => { ev.preventDefault(); attempt(() => signIn($("token").value.trim())); });
  $("sign-out").addEventListener("click", () => signOut());
  $("purpose-change").addEventListener("click", () => askPurpose());
  document.querySelectorAll("input[name=kind]").forEach((r) => r.addEventListener("change", () => {
    const code = document.querySelector("input[name=kind]:checked").value === "code";
    $("purpose-code").hidden = !code; $("purpose-case").hidden = code;
  }));
  $("purpose-form").addEventListener("submit", (ev) => { ev.preventDefault(); attempt(() => declarePurpose(composePurpose(ev.target))); });
  document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => show(b.dataset.view)));
  $("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); attempt(() => runSearch($("q").value.trim())); });
  $("path-form").addEventListener("submit", (ev) => { ev.preventDefault(); attempt(() => findPaths($("path-from").value.trim(), $("path-to").value.trim(), $("path-k").value)); });
  $("hotspots-form").addEventListener("submit", (ev) => { ev.preventDefault(); attempt(() => mapHotspots($("hs-month").value.trim(), $("hs-type").value.trim(), $("hs-cell").value)); });
  $("audit-form").addEventListener("submit", (ev) => { ev.preventDefault(); attempt(() => loadAudit($("audit-by").value.trim(), $("audit-op").value)); });
  $("audit-verify").addEventListener("click", () => attempt(verifyAudit));
  const token = sessionStorage.getItem("clearsight.token");
  if (token) {
    attempt(async () => {
      await signIn(token);
      const purpose = sessionStorage.getItem("clearsight.purpose");
      if (purpose) await declarePurpose(purpose);
    });
  } else {
    $("token").focus();
  }
});
